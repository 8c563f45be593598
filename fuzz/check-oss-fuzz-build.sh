#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Emulates the OSS-Fuzz base-builder environment (Docker does not run here) and runs
# oss-fuzz/build.sh (a call into fuzz/build-oss-fuzz.sh) for address, undefined, memory and
# coverage with libFuzzer, and address with AFL++; then checks that every target in $OUT starts
# and runs its seed corpus (<t>_seed_corpus.zip) without a finding, and that .dict/.options sit
# beside it. Each configuration is built with every clang of CLANG_VERSIONS: clang-14 (Debian
# 12's default; the only one Debian's AFL++ 4.04c works with, so afl runs with it alone) and
# clang-19, the newest clang Debian 12 ships and the closest to OSS-Fuzz's own (a recent LLVM
# trunk).
#   fuzz/check-oss-fuzz-build.sh [CONFIG...]   configs: address undefined memory coverage afl
#   CLANG_VERSIONS="14 19" (default)   CHECK_OUT=dir (default build-ossfuzz/)
# Output goes to $CHECK_OUT/clang<V>-<config>/; the summary has one line per build,
# "clang<V>-<config>: ok|FAILED|skipped (why)". Exit 0 when none failed.
#
# Flags are OSS-Fuzz's own, from infra/base-images/base-builder (ubuntu-20-04.Dockerfile and
# ubuntu-24-04.Dockerfile, 2025): base-clang's CFLAGS, SANITIZER_FLAGS_<sanitizer>,
# COVERAGE_FLAGS and COVERAGE_FLAGS_coverage. SANITIZER_FLAGS_undefined has no
# float-divide-by-zero since google/oss-fuzz#11567 (2024: defined by IEEE 754 on every platform
# OSS-Fuzz runs). unsigned-integer-overflow is instrumented but recoverable, and OSS-Fuzz runs
# every target with UBSAN_OPTIONS=silence_unsigned_overflow=1 (google/oss-fuzz#910): the check
# is a coverage signal there, never a report. This script does the same; in addition, the
# undefined builds replay the seeds once more with the silencing off and list each distinct
# unsigned wrap-around site in $out/unsigned-overflow.txt (information, not a failure).
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONFIGS=${*:-"address undefined memory coverage afl"}
BASE=${CHECK_OUT:-$ROOT/build-ossfuzz}
VERSIONS=${CLANG_VERSIONS:-"14 19"}
COMMON="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
# SANITIZER_FLAGS_undefined, verbatim:
UBSAN="-fsanitize=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unsigned-integer-overflow,unreachable,vla-bound,vptr -fno-sanitize-recover=array-bounds,bool,builtin,enum,function,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound,vptr"
COVERAGE="-fprofile-instr-generate -fcoverage-mapping -pthread -Wl,--no-as-needed -Wl,-ldl -Wl,-lm -Wno-unused-command-line-argument"
export UBSAN_OPTIONS="silence_unsigned_overflow=1:print_stacktrace=1"
fail=0
summary=()

check_targets() { # check_targets OUT ENGINE
  local out=$1 engine=$2 t n ok=1
  for bin in "$out"/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    case "$bin" in *.zip|*.dict|*.options) continue;; esac
    t=$(basename "$bin")
    for x in dict options; do
      [ -f "$out/$t.$x" ] || { echo "  $t: missing $t.$x"; ok=0; }
    done
    local seeds=$out/seeds-$t
    rm -rf "$seeds"; mkdir -p "$seeds"
    [ -f "$out/${t}_seed_corpus.zip" ] && unzip -q -o "$out/${t}_seed_corpus.zip" -d "$seeds"
    n=$(ls "$seeds" | wc -l)
    if [ "$engine" = afl ]; then
      # libAFLDriver runs each file argument once when started outside afl-fuzz
      if [ "$n" -gt 0 ]; then
        (cd "$seeds" && "$bin" $(ls) >"$out/$t.run.log" 2>&1) || { echo "  $t: FAILED on its seeds (see $out/$t.run.log)"; ok=0; continue; }
      else
        echo "" | "$bin" >"$out/$t.run.log" 2>&1 || { echo "  $t: does not start"; ok=0; continue; }
      fi
    else
      LLVM_PROFILE_FILE="$out/profraw/$t-%p.profraw" \
        "$bin" -runs=0 -rss_limit_mb=2560 -artifact_prefix="$out/" "$seeds" >"$out/$t.run.log" 2>&1 || { echo "  $t: FAILED on its seeds (see $out/$t.run.log)"; ok=0; continue; }
      grep -qE "INITED|DONE" "$out/$t.run.log" || { echo "  $t: no libFuzzer banner"; ok=0; continue; }
    fi
    echo "  $t: ok ($n seeds)"
  done
  return $((1 - ok))
}

# unsigned_census OUT: replays every target's seeds with unsigned-overflow reports on and lists
# the distinct sites (file:line:column and the expression) in OUT/unsigned-overflow.txt.
unsigned_census() {
  local out=$1 bin t
  : >"$out/unsigned-overflow.log"
  for bin in "$out"/fuzz_*; do
    [ -x "$bin" ] && [ -f "$bin" ] || continue
    t=$(basename "$bin")
    UBSAN_OPTIONS="silence_unsigned_overflow=0:print_stacktrace=0:halt_on_error=0" \
      "$bin" -runs=0 -rss_limit_mb=2560 "$out/seeds-$t" >>"$out/unsigned-overflow.log" 2>&1 || true
  done
  grep -o '[^ ]*\.c:[0-9]*:[0-9]*: runtime error: unsigned integer overflow.*' "$out/unsigned-overflow.log" |
    sed -e "s|^$ROOT/||" -e 's|runtime error: unsigned integer overflow: ||' |
    sort -u -t: -k1,1 -k2,2n -k3,3n | awk -F: '!seen[$1 FS $2 FS $3]++' >"$out/unsigned-overflow.txt"
  echo "  unsigned wrap-around sites (silenced as on OSS-Fuzz): $(grep -c . "$out/unsigned-overflow.txt") (see $out/unsigned-overflow.txt)"
}

# build_one V CFG: one emulated OSS-Fuzz build with clang-V; appends to summary, sets fail.
build_one() {
  local v=$1 cfg=$2 name="clang$1-$2" out cc=clang-$1 cxx=clang++-$1 bin
  out=$BASE/$name
  rm -rf "$out"; mkdir -p "$out/work" "$out/profraw"
  export OUT=$out WORK=$out/work SRC=$ROOT/.. VHDX_SRC=$ROOT ARCHITECTURE=x86_64
  unset AFL_QUIET
  case $cfg in
    address)  export SANITIZER=address FUZZING_ENGINE=libfuzzer CC=$cc CXX=$cxx
              export CFLAGS="$COMMON -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    undefined) export SANITIZER=undefined FUZZING_ENGINE=libfuzzer CC=$cc CXX=$cxx
              export CFLAGS="$COMMON $UBSAN -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    memory)   export SANITIZER=memory FUZZING_ENGINE=libfuzzer CC=$cc CXX=$cxx
              export CFLAGS="$COMMON -fsanitize=memory -fsanitize-memory-track-origins -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    coverage) export SANITIZER=coverage FUZZING_ENGINE=libfuzzer CC=$cc CXX=$cxx
              export CFLAGS="$COMMON $COVERAGE -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    afl)      if [ "$v" != 14 ]; then return 0; fi   # Debian's AFL++ 4.04c is built on LLVM 14
              command -v afl-clang-fast >/dev/null || { summary+=("$name: skipped (afl++ not installed)"); return 0; }
              export SANITIZER=address FUZZING_ENGINE=afl CC=afl-clang-fast CXX=afl-clang-fast++ AFL_QUIET=1
              export CFLAGS="$COMMON -fsanitize=address -fsanitize-address-use-after-scope"
              export LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a;;
    *) echo "unknown config $cfg"; exit 2;;
  esac
  export CXXFLAGS="$CFLAGS"
  echo "== $name: building into $out"
  if ! bash "$ROOT/oss-fuzz/build.sh" >"$out/build.log" 2>&1; then
    echo "  build FAILED (tail of $out/build.log):"; tail -15 "$out/build.log"
    summary+=("$name: build FAILED"); fail=1; return 0
  fi
  # libuuid must stay out of the targets (MSan cannot see into the uninstrumented library)
  for bin in "$out"/fuzz_*; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    if ldd "$bin" 2>/dev/null | grep -q libuuid; then echo "  $(basename "$bin") links libuuid"; fail=1; fi
  done
  if check_targets "$out" "$([ "$cfg" = afl ] && echo afl || echo libfuzzer)"; then
    summary+=("$name: ok")
  else
    summary+=("$name: FAILED"); fail=1
  fi
  [ "$cfg" = undefined ] && unsigned_census "$out"
  return 0
}

for v in $VERSIONS; do
  if ! command -v "clang-$v" >/dev/null || ! command -v "clang++-$v" >/dev/null; then
    summary+=("clang$v: skipped (clang-$v not installed; scripts/deps.sh installs it)")
    continue
  fi
  for cfg in $CONFIGS; do
    build_one "$v" "$cfg"
  done
done
echo "== summary"
printf '  %s\n' "${summary[@]}"
exit $fail
