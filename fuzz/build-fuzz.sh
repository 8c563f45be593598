#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make fuzz`: libFuzzer targets with ASan+UBSan into build-fuzz/ (same build script as
# OSS-Fuzz: oss-fuzz/build.sh). Override CC/CXX (default clang/clang++) or OUT.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# the libvhdi differential harness where libvhdi-dev is installed (fuzz/build-oss-fuzz.sh)
[ -f /usr/include/libvhdi.h ] && export VHDX_FUZZ_LIBVHDI=${VHDX_FUZZ_LIBVHDI:-1}
export CC=${CC:-clang} CXX=${CXX:-clang++}
command -v "$CC" >/dev/null || { echo "build-fuzz: $CC not found (apt-get install clang-14 libclang-rt-14-dev)"; exit 1; }
export OUT=${OUT:-$ROOT/build-fuzz}
export WORK=${WORK:-$OUT/work}
export SRC=$ROOT/..
export VHDX_SRC=$ROOT
export SANITIZER=address FUZZING_ENGINE=libfuzzer
export CFLAGS="-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined -fsanitize=fuzzer-no-link -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE="-fsanitize=fuzzer"
mkdir -p "$OUT" "$WORK"
bash "$ROOT/oss-fuzz/build.sh"
echo "build-fuzz: targets in $OUT"
