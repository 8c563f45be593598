#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Throughput of the libFuzzer targets: exec/s and peak RSS per harness, ASan+UBSan build
# (build-fuzz/, `make fuzz`), starting from the seed corpus (corpus/<t> + corpus/regress/<t>,
# read-only: new units go to a scratch directory), THROUGHPUT_SECONDS (default 60) each, one
# target at a time at `nice -n ${THROUGHPUT_NICE:-0}`. Writes the table into reports/fuzz.md
# (between <!-- throughput:all:begin/end --> markers; other sections are kept) and prints it.
#   fuzz/throughput.sh [SECONDS] [TARGET...]      fuzz/throughput.sh --print
# Goals (issue 14): fuzz_open and fuzz_log >= 1000 exec/s, fuzz_roundtrip >= 300, every
# harness >= 300, peak RSS <= 256 MB. Target names are in backquotes: .ci/run reads rows that
# start with "| fuzz_" as the smoke table's. The machine's load average is recorded beside the table:
# exec/s are wall-clock figures and fall with whatever else runs.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
REPORT=${FUZZ_REPORT:-$ROOT/reports/fuzz.md}
BEGIN='<!-- throughput:all:begin -->' END='<!-- throughput:all:end -->'
if [ "${1:-}" = --print ]; then
  [ -f "$REPORT" ] && sed -n "/$BEGIN/,/$END/p" "$REPORT" | grep -v '^<!--' ||
    echo "no throughput table yet: run fuzz/throughput.sh"
  exit 0
fi
SECS=${1:-${THROUGHPUT_SECONDS:-60}}
[ $# -gt 0 ] && shift
TARGETS=${*:-"fuzz_header fuzz_region_table fuzz_metadata fuzz_bat fuzz_log fuzz_guid fuzz_crc32c fuzz_open fuzz_roundtrip"}
BIN=${FUZZ_BIN:-$ROOT/build-fuzz}
NICE=${THROUGHPUT_NICE:-0}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
goal() { case $1 in fuzz_open|fuzz_log) echo 1000;; *) echo 300;; esac; }
opt() { sed -n "s/^$2[[:space:]]*=[[:space:]]*//p" "$ROOT/fuzz/$1.options" 2>/dev/null | head -1; }

rows=() fail=0
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for t in $TARGETS; do
  [ -x "$BIN/$t" ] || { rows+=("| \`$t\` | not built | | | | | | |"); fail=1; continue; }
  mkdir -p "$W/$t"
  regress=$ROOT/corpus/regress/$t; [ -d "$regress" ] || regress=
  TIMEFORMAT='%U %S'
  { time nice -n "$NICE" "$BIN/$t" -max_total_time="$SECS" -print_final_stats=1 \
    -timeout="$(opt "$t" timeout)" -rss_limit_mb=2560 -max_len="$(opt "$t" max_len)" \
    -dict="$ROOT/fuzz/vhdx.dict" -artifact_prefix="$W/$t/" "$W/$t" "$ROOT/corpus/$t" \
    ${regress:+"$regress"} >"$W/$t.log" 2>&1; echo $? >"$W/$t.st"; } 2>"$W/$t.time"
  st=$(cat "$W/$t.st")
  cpu=$(awk '{ printf "%.1f", $1 + $2 }' "$W/$t.time")
  s() { sed -n "s/^stat::$1:[[:space:]]*//p" "$W/$t.log" | tail -1; }
  eps=$(s average_exec_per_sec) rss=$(s peak_rss_mb) execs=$(s number_of_executed_units)
  g=$(goal "$t") ok=yes
  { [ -n "$eps" ] && [ "$eps" -ge "$g" ] && [ -n "$rss" ] && [ "$rss" -le 256 ]; } || { ok=no; fail=1; }
  [ "$st" = 0 ] || { ok="no (exit $st)"; fail=1; }
  epc=$(awk -v e="${execs:-0}" -v c="$cpu" 'BEGIN { if (c > 0) printf "%d", e / c; else print "?" }')
  rows+=("| \`$t\` | ${execs:-?} | ${eps:-?} | $cpu | $epc | $g | ${rss:-?} | $ok |")
  echo "throughput: $t ${eps:-?} exec/s, ${rss:-?} MB" >&2
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
SECTION=$(cat <<EOS
## Throughput

$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), \`fuzz/throughput.sh $SECS\`: libFuzzer + ASan + UBSan, ${SECS} s per target from the seed corpus, one target at a time at \`nice -n $NICE\` on $(nproc) cores. Load average before/after: $load0 / $load1 (the machine is shared with other work: exec/s are wall-clock figures and fall with the load; exec per CPU second is what the process got).

| target | execs | exec/s (wall) | CPU s | exec per CPU s | goal exec/s | peak RSS MB (goal <= 256) | meets goals (wall exec/s, RSS) |
|---|---|---|---|---|---|---|---|
$(printf '%s\n' "${rows[@]}")
EOS
)
mkdir -p "$(dirname "$REPORT")"; touch "$REPORT"
python3 "$(dirname "${BASH_SOURCE[0]}")/report-section.py" "$REPORT" "$BEGIN" "$END" "$SECTION"
echo "$SECTION"
exit $fail
