#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make coverage`: clang source-based coverage of lib/ (TOOLCHAIN.md: llvm-profdata/llvm-cov
# of the same version as clang).
#  1. replays the whole fuzz corpus (corpus/<h>/ + corpus/regress/<h>/) through the replay
#     drivers  -> "corpus only" figure
#  2. runs the conformance suite (ctest) as well -> "corpus + conformance" figure, HTML
# Writes reports/coverage/index.html (corpus + conformance), reports/coverage/corpus/
# (corpus only) and reports/coverage/summary.txt; prints both line-coverage figures.
#   LLVM_VERSION=14 BUILD=build-coverage COVERAGE_CORPUS_ONLY=0 scripts/coverage.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
V=${LLVM_VERSION:-14}
BUILD=${BUILD:-$ROOT/build-coverage}
OUTDIR=$ROOT/reports/coverage
CC=${CC:-clang-$V}
PROFDATA=llvm-profdata-$V
COV=llvm-cov-$V
for t in "$CC" "$PROFDATA" "$COV"; do
  command -v "$t" >/dev/null || { echo "coverage: $t not found (apt-get install clang-$V llvm-$V)"; exit 1; }
done
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DVHDX_COVERAGE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$BUILD" -j"$(nproc)" >/dev/null
PROF=$BUILD/profraw
rm -rf "$PROF" && mkdir -p "$PROF/corpus" "$PROF/conf"

HARNESSES="fuzz_header fuzz_region_table fuzz_metadata fuzz_bat fuzz_log fuzz_guid fuzz_crc32c fuzz_open fuzz_roundtrip"
objs=()
# The harnesses' file mode writes under TMPDIR (default /dev/shm, a tmpfs, for speed when
# fuzzing). The replay puts those files on the build's own file system instead, as a user's
# images are: io_file.c's kernel copy takes a file-system-specific path (splice on ext4,
# copy_file_range elsewhere) that a tmpfs would never reach.
mkdir -p "$BUILD/fztmp"
export TMPDIR="$BUILD/fztmp"
for h in $HARNESSES; do
  [ -x "$BUILD/bin/$h" ] || continue
  objs+=("$BUILD/bin/$h")
  LLVM_PROFILE_FILE="$PROF/corpus/$h-%p.profraw" "$BUILD/bin/$h" -n "$ROOT/corpus/$h" "$ROOT/corpus/regress/$h" \
    | sed "s/^/$h: /"
done
"$PROFDATA" merge -sparse "$PROF"/corpus/*.profraw -o "$BUILD/corpus.profdata"

# conformance suite (failures are reported by `make check`, not here);
# COVERAGE_CORPUS_ONLY=1 skips it (the corpus figure alone takes seconds)
if [ "${COVERAGE_CORPUS_ONLY:-0}" != 1 ]; then
  (cd "$BUILD" && LLVM_PROFILE_FILE="$PROF/conf/%p.profraw" ctest -j"$(nproc)" -LE fuzz-replay >"$BUILD/ctest-coverage.log" 2>&1) || \
    echo "coverage: some tests failed (see $BUILD/ctest-coverage.log); coverage still computed"
fi
for b in "$BUILD"/bin/*; do
  [ -x "$b" ] && [ -f "$b" ] || continue
  case " ${objs[*]} " in *" $b "*) ;; *) objs+=("$b");; esac
done
"$PROFDATA" merge -sparse "$PROF"/corpus/*.profraw $(ls "$PROF"/conf/*.profraw 2>/dev/null) -o "$BUILD/all.profdata"

first=${objs[0]}
rest=()
for o in "${objs[@]:1}"; do rest+=(-object "$o"); done
FILTER=(-ignore-filename-regex="^$ROOT/(fuzz|conformance|cli)/")  # anchored: a checkout path may contain "fuzz/"
line_pct() { # line_pct PROFDATA
  "$COV" export -summary-only -instr-profile="$1" "$first" "${rest[@]}" "${FILTER[@]}" "$ROOT/lib" 2>/dev/null |
    python3 -c 'import json,sys; T=json.load(sys.stdin)["data"][0]["totals"]; t=T["lines"]; b=T.get("branches", {"percent": 0, "covered": 0, "count": 0}); print("%.1f%% (%d/%d lines), branches %.1f%% (%d/%d)" % (t["percent"], t["covered"], t["count"], b["percent"], b["covered"], b["count"]))'
}
rm -rf "$OUTDIR" && mkdir -p "$OUTDIR/corpus"
"$COV" show -format=html -output-dir="$OUTDIR" -instr-profile="$BUILD/all.profdata" "$first" "${rest[@]}" "${FILTER[@]}" "$ROOT/lib" >/dev/null
"$COV" show -format=html -output-dir="$OUTDIR/corpus" -instr-profile="$BUILD/corpus.profdata" "$first" "${rest[@]}" "${FILTER[@]}" "$ROOT/lib" >/dev/null
"$COV" report -instr-profile="$BUILD/corpus.profdata" "$first" "${rest[@]}" "${FILTER[@]}" "$ROOT/lib" >"$OUTDIR/corpus-report.txt"
"$COV" report -instr-profile="$BUILD/all.profdata" "$first" "${rest[@]}" "${FILTER[@]}" "$ROOT/lib" >"$OUTDIR/report.txt"
corpus=$(line_pct "$BUILD/corpus.profdata")
all=$(line_pct "$BUILD/all.profdata")
{
  echo "lib/ line (and branch) coverage, fuzz corpus only:      $corpus"
  if [ "${COVERAGE_CORPUS_ONLY:-0}" != 1 ]; then
    echo "lib/ line (and branch) coverage, corpus + conformance:  $all"
  else
    echo "lib/ line (and branch) coverage, corpus + conformance:  (not run: COVERAGE_CORPUS_ONLY=1)"
  fi
  echo "(clang $V source-based; per-file tables: corpus-report.txt, report.txt; HTML: index.html, corpus/index.html)"
} | tee "$OUTDIR/summary.txt"
