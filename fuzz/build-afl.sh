#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make afl`: AFL++ targets into build-afl/ (afl-clang-fast + libAFLDriver, ASan+UBSan) and
# a CMPLOG build into build-afl/cmplog/ (AFL_LLVM_CMPLOG=1), for fuzz/afl-campaign.sh.
# Debian's afl++ 4.04c works with clang-14 only (TOOLCHAIN.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
# the libvhdi differential harness where libvhdi-dev is installed (fuzz/build-oss-fuzz.sh)
[ -f /usr/include/libvhdi.h ] && export VHDX_FUZZ_LIBVHDI=${VHDX_FUZZ_LIBVHDI:-1}
command -v afl-clang-fast >/dev/null || { echo "build-afl: afl-clang-fast not found (apt-get install afl++)"; exit 1; }
DRIVER=${AFL_DRIVER:-/usr/lib/afl/libAFLDriver.a}
[ -f "$DRIVER" ] || { echo "build-afl: $DRIVER not found"; exit 1; }
OUTBASE=${OUT:-$ROOT/build-afl}
export AFL_QUIET=1
export SRC=$ROOT/.. VHDX_SRC=$ROOT FUZZING_ENGINE=afl
export CC=afl-clang-fast CXX=afl-clang-fast++
export LIB_FUZZING_ENGINE=$DRIVER

# main build: ASan + UBSan through AFL's own switches
export OUT=$OUTBASE WORK=$OUTBASE/work SANITIZER=address
export CFLAGS="-g -O1 -fno-omit-frame-pointer -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
export CXXFLAGS="$CFLAGS"
mkdir -p "$OUT" "$WORK"
AFL_USE_ASAN=1 AFL_USE_UBSAN=1 bash "$ROOT/oss-fuzz/build.sh"

# CMPLOG build (no sanitizers; used by the -c 0 secondary, TOOLCHAIN.md trap 2)
export OUT=$OUTBASE/cmplog WORK=$OUTBASE/work-cmplog SANITIZER=none
mkdir -p "$OUT" "$WORK"
AFL_LLVM_CMPLOG=1 bash "$ROOT/oss-fuzz/build.sh"
# AFL++ custom mutator libraries (fuzz/afl_mutator.c over fuzz/fz_mutate.c), one per
# whole-image input format: AFL_CUSTOM_MUTATOR_LIBRARY=build-afl/fz_mutator_<t>.so
MUTCC=${MUTATOR_CC:-clang-14}
command -v "$MUTCC" >/dev/null || MUTCC=clang
msrc=("$ROOT"/lib/src/*.c "$ROOT"/fuzz/fuzz_common.c "$ROOT"/fuzz/fz_*.c "$ROOT"/conformance/support/faultio.c
      "$ROOT"/fuzz/uuid_stub.c "$ROOT"/fuzz/afl_mutator.c)
for km in fuzz_open:FZ_MUT_OPEN fuzz_log:FZ_MUT_LOG; do
  "$MUTCC" -O2 -g -fPIC -shared -std=gnu11 -D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -DVHDX_BUILDING_LIBRARY \
    -DFZ_AFL_KIND="${km#*:}" -I"$ROOT/lib/include" -I"$ROOT/lib/src" -I"$ROOT/fuzz" \
    -I"$ROOT/conformance/support" "${msrc[@]}" -lpthread -o "$OUTBASE/fz_mutator_${km%%:*}.so"
done
echo "build-afl: targets in $OUTBASE (cmplog: $OUTBASE/cmplog; custom mutators: $OUTBASE/fz_mutator_*.so)"
