#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# AFL++ campaign on one target for a CPU-time budget (the AFL++ counterpart of
# fuzz/campaign.sh), two instances (TOOLCHAIN.md trap 2 recipe):
#   main:    afl-fuzz -M main -x fuzz/vhdx.dict -- build-afl/<t>    (ASan+UBSan; the
#            structure-aware mutator build-afl/fz_mutator_<t>.so where the target has one)
#   cmplog:  afl-fuzz -S cmplog -c 0 -- build-afl/cmplog/<t>       (AFL_LLVM_CMPLOG build)
# Both start from corpus/<t> + corpus/regress/<t> at `nice -n ${CAMPAIGN_NICE:-10}`. Every 5 s
# the CPU time of both process trees (afl-fuzz, its fork server and the reaped targets) is
# added up; the campaign stops (SIGINT) when it reaches CPU_SECONDS or WALL_MAX seconds of
# wall time. Then: every crash and hang is replayed in the libFuzzer ASan build (build-fuzz/,
# `make fuzz`) and kept in reports/fuzz-findings/afl-<t>/; both queues are minimised with
# afl-cmin and folded into corpus/<t> by the libFuzzer build's `-merge=1` (only units that
# add libFuzzer coverage; past 20 MB, only those under 64 KiB; undone if even those would
# pass 20 MB); a section goes into
# reports/fuzz.md: CPU and wall time, execs and exec per CPU second, edges found at the
# start, after 600 CPU s and at the end, the merge, findings.
#   fuzz/afl-campaign.sh [TARGET] [CPU_SECONDS] [WALL_MAX]   (defaults: fuzz_open 600, CPU x 20)
#   CAMPAIGN_MERGE=0 (no merge)  AFL_NO_CUSTOM=1 (byte mutation only)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=${1:-fuzz_open}
CPU=${2:-${AFL_SECONDS:-600}}
WALL=${3:-$((CPU * 20))}
AB=${AFL_BUILD:-$ROOT/build-afl}
LF=${FUZZ_BIN:-$ROOT/build-fuzz}/$T
[ -x "$AB/$T" ] && [ -x "$AB/cmplog/$T" ] || bash "$ROOT/fuzz/build-afl.sh" || exit 1
[ -x "$LF" ] || bash "$ROOT/fuzz/build-fuzz.sh" || exit 1
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
opt() { sed -n "s/^$1[[:space:]]*=[[:space:]]*//p" "$ROOT/fuzz/$T.options" 2>/dev/null | head -1; }
TMO=$(opt timeout)
TMO_MS=$(( ${TMO:-10} * 1000 ))
NICE=${CAMPAIGN_NICE:-10}

# the structure-aware mutator (fuzz/afl_mutator.c) for the whole-image harnesses, on main
MUT=$AB/fz_mutator_$T.so
mut="byte mutation (AFL++ havoc and dictionary)"
if [ -f "$MUT" ] && [ "${AFL_NO_CUSTOM:-0}" != 1 ]; then
  export AFL_CUSTOM_MUTATOR_LIBRARY=$MUT
  mut="structure-aware mutator on main ($(basename "$MUT"))"
fi
timeout --preserve-status -s INT "$WALL" nice -n "$NICE" afl-fuzz -M main -i "$IN" -o "$OUTD/out" \
  -x "$ROOT/fuzz/vhdx.dict" -t "$TMO_MS" -m none -- "$AB/$T" >"$OUTD/main.log" 2>&1 &
P1=$!
unset AFL_CUSTOM_MUTATOR_LIBRARY
sleep 2
timeout --preserve-status -s INT "$WALL" nice -n "$NICE" afl-fuzz -S cmplog -c 0 -i "$IN" -o "$OUTD/out" \
  -t "$TMO_MS" -m none -- "$AB/cmplog/$T" >"$OUTD/cmplog.log" 2>&1 &
P2=$!

TCK=$(getconf CLK_TCK)
# CPU seconds of a process tree: own and reaped children's user+system time of every live
# descendant (a target run that ended is in its fork server's cutime/cstime)
tree_cpu() {
  local pids
  pids=$(ps -e -o pid=,ppid= | awk -v r="$1" '{ par[$1] = $2 } END {
    n = 1; keep[r] = 1; while (n) { n = 0; for (p in par) if (!(p in keep) && (par[p] in keep)) { keep[p] = 1; n = 1 } }
    for (p in keep) print p }')
  for p in $pids; do sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null; done |
    awk -v t="$TCK" '{ s += $12 + $13 + $14 + $15 } END { printf "%d\n", s / t }'
}
plot() { tail -1 "$OUTD/out/$1/plot_data" 2>/dev/null | awk -F', *' 'NF >= 13 && $1 !~ /^#/ { print $12, $13 }'; }
t0=$(date +%s)
: >"$OUTD/series"  # cpu_s wall_s main_execs main_edges cmplog_execs cmplog_edges
while kill -0 "$P1" 2>/dev/null || kill -0 "$P2" 2>/dev/null; do
  sleep 5
  c1=$(tree_cpu "$P1"); c2=$(tree_cpu "$P2")
  c=$(( ${c1:-0} + ${c2:-0} )); now=$(( $(date +%s) - t0 ))
  m=$(plot main); s=$(plot cmplog)
  echo "$c $now ${m:-0 0} ${s:-0 0}" >>"$OUTD/series"
  if [ "$c" -ge "$CPU" ]; then kill -INT "$P1" "$P2" 2>/dev/null; break; fi
done
wait "$P1" "$P2"
# afl-fuzz may leave a stopped child behind (trap 2): end only our own instances' children
for p in $(pgrep -P "$P1" 2>/dev/null) $(pgrep -P "$P2" 2>/dev/null); do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done

stat() { sed -n "s/^$2[[:space:]]*:[[:space:]]*//p" "$OUTD/out/$1/fuzzer_stats" 2>/dev/null | head -1; }
cpu=$(awk 'END { print $1 }' "$OUTD/series"); wall=$(awk 'END { print $2 }' "$OUTD/series")
e1=$(stat main execs_done); e2=$(stat cmplog execs_done)
execs=$(( ${e1:-0} + ${e2:-0} ))
epc=$(awk -v e="$execs" -v c="${cpu:-0}" 'BEGIN { if (c > 0) printf "%d", e / c; else print "?" }')
# edges of each instance: first plot_data row (the seeds after calibration), at 600 CPU s, end
first() { grep -v '^#' "$OUTD/out/$1/plot_data" 2>/dev/null | head -1 | awk -F', *' '{ print $13 }'; }
start_m=$(first main); start_s=$(first cmplog)
at10_m=$(awk '$1 >= 600 { print $4; exit }' "$OUTD/series"); at10_s=$(awk '$1 >= 600 { print $6; exit }' "$OUTD/series")
end_m=$(stat main edges_found); end_s=$(stat cmplog edges_found)

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

# merge: both queues, minimised by afl-cmin, then only what adds libFuzzer coverage
merged="not merged"
queued=$(ls "$OUTD"/out/*/queue/id* 2>/dev/null | wc -l)
if [ "${CAMPAIGN_MERGE:-1}" = 1 ] && [ "$queued" -gt 0 ] && [ "$confirmed" -eq 0 ]; then
  Q=$OUTD/queue-all; mkdir -p "$Q"
  for f in "$OUTD"/out/*/queue/id*; do
    cp "$f" "$Q/$(basename "$(dirname "$(dirname "$f")")")-$(basename "$f" | cut -d, -f1 | tr ':' '_')"
  done
  AFL_SKIP_BIN_CHECK=1 afl-cmin -i "$Q" -o "$OUTD/cmin" -t "$TMO_MS" -m none -- "$AB/$T" >"$OUTD/cmin.log" 2>&1
  kept=$(ls "$OUTD/cmin" 2>/dev/null | wc -l)
  before=$(ls "$ROOT/corpus/$T" | wc -l)
  "$LF" -merge=1 -rss_limit_mb=2560 -timeout=60 -max_len="$(opt max_len)" \
    "$ROOT/corpus/$T" "$OUTD/cmin" >"$OUTD/merge.log" 2>&1
  after=$(ls "$ROOT/corpus/$T" | wc -l)
  newcov=$(grep -a 'MERGE-OUTER: [0-9]* new files' "$OUTD/merge.log" | sed 's/.*MERGE-OUTER: //' | tail -1)
  mb=$(du -sm --apparent-size "$ROOT/corpus" | cut -f1)
  if [ "$mb" -gt 20 ]; then
    git -C "$ROOT" checkout -q -- "corpus/$T" 2>/dev/null; git -C "$ROOT" clean -qfd "corpus/$T" 2>/dev/null
    # second try: only the minimised units under 64 KiB
    mkdir -p "$OUTD/small"; find "$OUTD/cmin" -type f -size -65k -exec cp {} "$OUTD/small/" \;
    "$LF" -merge=1 -rss_limit_mb=2560 -timeout=60 -max_len="$(opt max_len)" \
      "$ROOT/corpus/$T" "$OUTD/small" >"$OUTD/merge-small.log" 2>&1
    after=$(ls "$ROOT/corpus/$T" | wc -l); small=$(ls "$OUTD/small" | wc -l)
    newcov=$(grep -a 'MERGE-OUTER: [0-9]* new files' "$OUTD/merge-small.log" | sed 's/.*MERGE-OUTER: //' | tail -1)
    mb2=$(du -sm --apparent-size "$ROOT/corpus" | cut -f1)
    if [ "$mb2" -gt 20 ]; then
      git -C "$ROOT" checkout -q -- "corpus/$T" 2>/dev/null; git -C "$ROOT" clean -qfd "corpus/$T" 2>/dev/null
      merged="$queued queued, $kept after afl-cmin; merge undone: corpus/ would be ${mb} MB, ${mb2} MB with only the $small under 64 KiB (> 20 MB)"
    else
      merged="$queued queued, $kept after afl-cmin (all would take corpus/ to ${mb} MB, > 20 MB); of the $small under 64 KiB, +$((after - before)) merged into corpus/$T by libFuzzer -merge=1 (${newcov:-?}; corpus/ now ${mb2} MB)"
    fi
  else
    merged="$queued queued, $kept after afl-cmin, +$((after - before)) merged into corpus/$T by libFuzzer -merge=1 (${newcov:-?}; corpus/ now ${mb} MB)"
  fi
fi
SECTION=$(cat <<EOS
## AFL++ campaign: $T

$(date -u '+%Y-%m-%d %H:%M UTC'), \`fuzz/afl-campaign.sh $T $CPU $WALL\`, two instances (main: ASan+UBSan, vhdx.dict, $mut; cmplog: \`-c 0\`) at \`nice -n $NICE\`: ${cpu:-?} CPU s in ${wall:-?} s wall.

| instance | execs | corpus | crashes | hangs | edges at start | edges after 600 CPU s | edges at end |
|---|---|---|---|---|---|---|---|
| main | ${e1:-?} | $(stat main corpus_count) | $(stat main saved_crashes) | $(stat main saved_hangs) | ${start_m:-?} | ${at10_m:-not reached} | ${end_m:-?} |
| cmplog | ${e2:-?} | $(stat cmplog corpus_count) | $(stat cmplog saved_crashes) | $(stat cmplog saved_hangs) | ${start_s:-?} | ${at10_s:-not reached} | ${end_s:-?} |

Both instances: $execs execs, $epc exec per CPU second. Merge: $merged. Crashes/hangs saved: $total; reproduced in the libFuzzer ASan build: $confirmed$( [ "$confirmed" -gt 0 ] && echo " (copied to reports/fuzz-findings/afl-$T/)").
EOS
)
REPORT=$ROOT/reports/fuzz.md
mkdir -p "$(dirname "$REPORT")"
touch "$REPORT"
python3 "$(dirname "${BASH_SOURCE[0]}")/report-section.py" "$REPORT" "<!-- afl:$T:begin -->" "<!-- afl:$T:end -->" "$SECTION"
echo "$SECTION"
[ "$confirmed" -eq 0 ]
