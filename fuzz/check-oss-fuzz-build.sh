#!/usr/bin/env bash
# Emulates the OSS-Fuzz base-builder environment (Docker does not run here) and runs
# oss-fuzz/build.sh for address, undefined, memory and coverage with libFuzzer, and address
# with AFL++; then checks that every target in $OUT starts and runs its seed corpus
# (<t>_seed_corpus.zip) without a finding, and that .dict/.options sit beside it.
#   fuzz/check-oss-fuzz-build.sh [CONFIG...]   configs: address undefined memory coverage afl
# CC/CXX default to clang-14 (AFL++ 4.04c needs clang-14). Exit 0 when all pass.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CONFIGS=${*:-"address undefined memory coverage afl"}
BASE=${CHECK_OUT:-$ROOT/build-ossfuzz}
CLANG=${CC:-clang-14}
CLANGXX=${CXX:-clang++-14}
COMMON="-O1 -fno-omit-frame-pointer -gline-tables-only -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION"
UBSAN="-fsanitize=array-bounds,bool,builtin,enum,float-divide-by-zero,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound -fno-sanitize-recover=array-bounds,bool,builtin,enum,float-divide-by-zero,integer-divide-by-zero,null,object-size,return,returns-nonnull-attribute,shift,signed-integer-overflow,unreachable,vla-bound"
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

for cfg in $CONFIGS; do
  out=$BASE/$cfg
  rm -rf "$out"; mkdir -p "$out/work" "$out/profraw"
  export OUT=$out WORK=$out/work SRC=$ROOT/.. VHDX_SRC=$ROOT ARCHITECTURE=x86_64
  case $cfg in
    address)  export SANITIZER=address FUZZING_ENGINE=libfuzzer CC=$CLANG CXX=$CLANGXX
              export CFLAGS="$COMMON -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    undefined) export SANITIZER=undefined FUZZING_ENGINE=libfuzzer CC=$CLANG CXX=$CLANGXX
              export CFLAGS="$COMMON $UBSAN -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    memory)   export SANITIZER=memory FUZZING_ENGINE=libfuzzer CC=$CLANG CXX=$CLANGXX
              export CFLAGS="$COMMON -fsanitize=memory -fsanitize-memory-track-origins=2 -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    coverage) export SANITIZER=coverage FUZZING_ENGINE=libfuzzer CC=$CLANG CXX=$CLANGXX
              export CFLAGS="$COMMON -fprofile-instr-generate -fcoverage-mapping -pthread -fsanitize=fuzzer-no-link"
              export LIB_FUZZING_ENGINE=-fsanitize=fuzzer;;
    afl)      command -v afl-clang-fast >/dev/null || { summary+=("afl: skipped (afl++ not installed)"); continue; }
              export SANITIZER=address FUZZING_ENGINE=afl CC=afl-clang-fast CXX=afl-clang-fast++ AFL_QUIET=1
              export CFLAGS="$COMMON -fsanitize=address -fsanitize-address-use-after-scope"
              export LIB_FUZZING_ENGINE=/usr/lib/afl/libAFLDriver.a;;
    *) echo "unknown config $cfg"; exit 2;;
  esac
  export CXXFLAGS="$CFLAGS"
  echo "== $cfg: building into $out"
  if ! bash "$ROOT/oss-fuzz/build.sh" >"$out/build.log" 2>&1; then
    echo "  build FAILED (tail of $out/build.log):"; tail -15 "$out/build.log"
    summary+=("$cfg: build FAILED"); fail=1; continue
  fi
  # libuuid must stay out of the targets (MSan, TOOLCHAIN.md trap 3)
  for bin in "$out"/fuzz_*; do
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    if ldd "$bin" 2>/dev/null | grep -q libuuid; then echo "  $(basename "$bin") links libuuid"; fail=1; fi
  done
  if check_targets "$out" "$([ "$cfg" = afl ] && echo afl || echo libfuzzer)"; then
    summary+=("$cfg: ok")
  else
    summary+=("$cfg: FAILED"); fail=1
  fi
done
echo "== summary"
printf '  %s\n' "${summary[@]}"
exit $fail
