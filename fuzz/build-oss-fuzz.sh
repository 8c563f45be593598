#!/bin/bash -eu
# SPDX-License-Identifier: Apache-2.0
# The OSS-Fuzz / ClusterFuzzLite build of the libvhdx fuzz targets. oss-fuzz/build.sh and
# .clusterfuzzlite/build.sh are one-line calls into this script, so the build that OSS-Fuzz runs
# is the one in this repository (also used by `make fuzz`, `make afl` and the emulation
# fuzz/check-oss-fuzz-build.sh).
# Inputs (from the base-builder image or fuzz/check-oss-fuzz-build.sh): CC CXX CFLAGS CXXFLAGS
# LIB_FUZZING_ENGINE OUT SRC [WORK SANITIZER FUZZING_ENGINE]. VHDX_SRC overrides the source
# directory ($SRC/vhdx). Every target is a fuzz/<name>.c harness + the fuzz helpers
# (fuzz/fuzz_common.c, fuzz/fz_*.c, and conformance/support/faultio.c for crash injection;
# the same list as fuzz/CMakeLists.txt) + the library sources, compiled with $CC $CFLAGS and
# linked with $CXX $LIB_FUZZING_ENGINE.
# libuuid is replaced by fuzz/uuid_stub.c (MSan; the harnesses never generate GUIDs
# through it). Beside each target: <t>_seed_corpus.zip, <t>.dict, <t>.options.
VHDX_SRC=${VHDX_SRC:-$SRC/vhdx}
WORK=${WORK:-$(mktemp -d)}
OBJ=$WORK/vhdx-obj
rm -rf "$OBJ"
mkdir -p "$OBJ" "$OUT"

TARGETS=${VHDX_FUZZ_TARGETS:-"fuzz_header fuzz_region_table fuzz_metadata fuzz_bat fuzz_log fuzz_guid fuzz_crc32c fuzz_open fuzz_roundtrip"}
# The differential harness against libvhdi (fuzz/fuzz_diff_libvhdi.c) needs libvhdi-dev: only
# with VHDX_FUZZ_LIBVHDI=1 (make fuzz / make afl set it where /usr/include/libvhdi.h exists;
# OSS-Fuzz does not build libvhdi, so its build never has this target).
[ "${VHDX_FUZZ_LIBVHDI:-0}" = 1 ] && TARGETS="$TARGETS fuzz_diff_libvhdi"
DEFS="-D_FILE_OFFSET_BITS=64 -D_GNU_SOURCE -DVHDX_BUILDING_LIBRARY"
INC="-I$VHDX_SRC/lib/include -I$VHDX_SRC/lib/src -I$VHDX_SRC/fuzz -I$VHDX_SRC/conformance/support"
# SanitizerCoverage builds (libFuzzer: -fsanitize=fuzzer-no-link, OSS-Fuzz's included): hot
# leaf code that guides nothing is compiled without coverage (fuzz/coverage-ignorelist.txt)
COVIGN=
case " $CFLAGS " in
  *fuzzer-no-link*) COVIGN="-fsanitize-coverage-ignorelist=$VHDX_SRC/fuzz/coverage-ignorelist.txt" ;;
esac

objs=()
for src in "$VHDX_SRC"/lib/src/*.c "$VHDX_SRC"/fuzz/fuzz_common.c "$VHDX_SRC"/fuzz/fz_*.c \
           "$VHDX_SRC"/conformance/support/faultio.c "$VHDX_SRC"/fuzz/uuid_stub.c; do
  o="$OBJ/$(basename "${src%.c}").o"
  $CC $CFLAGS $COVIGN -std=gnu11 $DEFS $INC -c "$src" -o "$o"
  objs+=("$o")
done

for t in $TARGETS; do
  $CC $CFLAGS $COVIGN -std=gnu11 $DEFS $INC -c "$VHDX_SRC/fuzz/$t.c" -o "$OBJ/$t.o"
  extra=(); seeds=$t
  [ "$t" = fuzz_diff_libvhdi ] && extra=(-lvhdi) && seeds=fuzz_open  # fuzz_open's input format
  $CXX $CXXFLAGS "$OBJ/$t.o" "${objs[@]}" $LIB_FUZZING_ENGINE "${extra[@]}" -lpthread -o "$OUT/$t"
  cp "$VHDX_SRC/fuzz/vhdx.dict" "$OUT/$t.dict"
  [ -f "$VHDX_SRC/fuzz/$t.options" ] && cp "$VHDX_SRC/fuzz/$t.options" "$OUT/$t.options"
  rm -f "$OUT/${t}_seed_corpus.zip"
  for d in "$VHDX_SRC/corpus/$seeds" "$VHDX_SRC/corpus/regress/$t"; do
    if [ -d "$d" ] && [ -n "$(ls -A "$d" 2>/dev/null | grep -v '^\.')" ]; then
      (cd "$d" && zip -q -j "$OUT/${t}_seed_corpus.zip" $(ls | grep -v '^\.'))
    fi
  done
done
