#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Time-boxed two-core AFL++ campaign on one target (TOOLCHAIN.md trap 2 recipe):
#   main:    afl-fuzz -M main -x fuzz/vhdx.dict -- build-afl/<t>          (ASan+UBSan)
#   cmplog:  afl-fuzz -S cmplog -c 0 -- build-afl/cmplog/<t>             (AFL_LLVM_CMPLOG build)
# then replays every crash/hang in the libFuzzer ASan build (build-fuzz/, `make fuzz`) and
# writes a summary section into reports/fuzz.md.
#   fuzz/afl-campaign.sh [TARGET] [SECONDS]     (defaults: fuzz_open 600)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=${1:-fuzz_open}
SECS=${2:-${AFL_SECONDS:-600}}
AB=${AFL_BUILD:-$ROOT/build-afl}
[ -x "$AB/$T" ] && [ -x "$AB/cmplog/$T" ] || bash "$ROOT/fuzz/build-afl.sh" || exit 1
OUTD=$AB/campaign-$T
rm -rf "$OUTD"; mkdir -p "$OUTD"
IN=$OUTD/in
mkdir -p "$IN"
cp "$ROOT/corpus/$T"/* "$IN"/ 2>/dev/null
cp "$ROOT/corpus/regress/$T"/* "$IN"/ 2>/dev/null
[ -n "$(ls "$IN")" ] || printf '\0' >"$IN/empty"
# AFL++ refuses inputs over 1 MiB by default; drop them from the campaign's seeds
find "$IN" -type f -size +1024k -delete
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=0
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1
TMO=$(sed -n 's/^timeout[[:space:]]*=[[:space:]]*//p' "$ROOT/fuzz/$T.options" 2>/dev/null | head -1)
TMO_MS=$(( ${TMO:-10} * 1000 ))

# the structure-aware mutator (fuzz/afl_mutator.c) for the whole-image harnesses, on main
MUT=$AB/fz_mutator_$T.so
[ -f "$MUT" ] && [ "${AFL_NO_CUSTOM:-0}" != 1 ] && export AFL_CUSTOM_MUTATOR_LIBRARY=$MUT
timeout --preserve-status -s INT "$SECS" afl-fuzz -M main -i "$IN" -o "$OUTD/out" -x "$ROOT/fuzz/vhdx.dict" \
  -t "$TMO_MS" -m none -- "$AB/$T" >"$OUTD/main.log" 2>&1 &
P1=$!
unset AFL_CUSTOM_MUTATOR_LIBRARY
sleep 2
timeout --preserve-status -s INT "$SECS" afl-fuzz -S cmplog -c 0 -i "$IN" -o "$OUTD/out" \
  -t "$TMO_MS" -m none -- "$AB/cmplog/$T" >"$OUTD/cmplog.log" 2>&1 &
P2=$!
wait "$P1" "$P2"
# afl-fuzz may leave a stopped child behind (trap 2): end only our own instances' children
for p in $(pgrep -P "$P1" 2>/dev/null) $(pgrep -P "$P2" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done

stat() { sed -n "s/^$2[[:space:]]*:[[:space:]]*//p" "$OUTD/out/$1/fuzzer_stats" 2>/dev/null | head -1; }
eps() { # execs_done / run_time (the execs_per_sec field of 4.04c is a short-window value)
  local e t; e=$(stat "$1" execs_done); t=$(stat "$1" run_time)
  [ -n "$t" ] || t=$(( $(stat "$1" last_update) - $(stat "$1" start_time) ))
  [ -n "$e" ] && [ "${t:-0}" -gt 0 ] && echo $(( e / t )) || echo "?"
}
REPLAY=$ROOT/build-fuzz/$T
FIND=$ROOT/reports/fuzz-findings/afl-$T
confirmed=0; total=0
for f in "$OUTD"/out/*/crashes/id* "$OUTD"/out/*/hangs/id*; do
  [ -f "$f" ] || continue
  total=$((total + 1))
  if [ -x "$REPLAY" ]; then
    if ! timeout 60 "$REPLAY" -runs=1 "$f" >"$OUTD/replay.log" 2>&1; then
      confirmed=$((confirmed + 1)); mkdir -p "$FIND"
      cp "$f" "$FIND/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f" | tr ':,' '__')"
    fi
  fi
done
SECTION=$(cat <<EOS
## AFL++ campaign: $T

$(date -u '+%Y-%m-%d %H:%M UTC'), ${SECS} s, two instances (main: ASan+UBSan with vhdx.dict; cmplog: \`-c 0\`).

| instance | execs | exec/s | corpus | crashes | hangs | edges found |
|---|---|---|---|---|---|---|
| main | $(stat main execs_done) | $(eps main) | $(stat main corpus_count) | $(stat main saved_crashes) | $(stat main saved_hangs) | $(stat main edges_found) |
| cmplog | $(stat cmplog execs_done) | $(eps cmplog) | $(stat cmplog corpus_count) | $(stat cmplog saved_crashes) | $(stat cmplog saved_hangs) | $(stat cmplog edges_found) |

Crashes/hangs saved: $total; reproduced in the libFuzzer ASan build: $confirmed$( [ "$confirmed" -gt 0 ] && echo " (copied to reports/fuzz-findings/afl-$T/)").
EOS
)
REPORT=$ROOT/reports/fuzz.md
mkdir -p "$(dirname "$REPORT")"
touch "$REPORT"
python3 "$(dirname "${BASH_SOURCE[0]}")/report-section.py" "$REPORT" "<!-- afl:$T:begin -->" "<!-- afl:$T:end -->" "$SECTION"
echo "$SECTION"
[ "$confirmed" -eq 0 ]
