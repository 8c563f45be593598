#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make fuzz-smoke`: runs every libFuzzer target in build-fuzz/ for FUZZ_SECONDS (default
# 30) from its seed corpus plus its regression inputs, fails on any finding, and writes
# reports/fuzz.md (exec/s, corpus size, coverage from libFuzzer's cov/ft counters,
# findings). Findings are kept in reports/fuzz-findings/<target>/ for triage; turn each
# into corpus/regress/<target>/<what-it-caught> once fixed.
#   FUZZ_SECONDS=N  FUZZ_TARGETS="fuzz_open fuzz_log"  FUZZ_JOBS=2  FUZZ_MERGE=1  fuzz/smoke.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${FUZZ_BIN:-$ROOT/build-fuzz}
SECS=${FUZZ_SECONDS:-30}
JOBS=${FUZZ_JOBS:-1}
TARGETS=${FUZZ_TARGETS:-"fuzz_header fuzz_region_table fuzz_metadata fuzz_bat fuzz_log fuzz_guid fuzz_crc32c fuzz_open fuzz_roundtrip"}
REPORT=${FUZZ_REPORT:-$ROOT/reports/fuzz.md}
FIND=$ROOT/reports/fuzz-findings
WORKDIR=$(mktemp -d)
trap 'rm -rf "$WORKDIR"' EXIT
mkdir -p "$(dirname "$REPORT")"

opt() { # opt TARGET KEY DEFAULT: value from fuzz/<t>.options
  local v
  v=$(sed -n "s/^$2[[:space:]]*=[[:space:]]*//p" "$ROOT/fuzz/$1.options" 2>/dev/null | head -1)
  echo "${v:-$3}"
}

run_one() {
  local t=$1 w=$WORKDIR/$1
  mkdir -p "$w/corpus" "$w/art"
  [ -x "$BIN/$t" ] || { echo "missing" >"$w/status"; return; }
  local regress=$ROOT/corpus/regress/$t
  [ -d "$regress" ] || regress=
  "$BIN/$t" -max_total_time="$SECS" -print_final_stats=1 \
    -timeout="$(opt "$t" timeout 25)" -rss_limit_mb="$(opt "$t" rss_limit_mb 2560)" \
    -max_len="$(opt "$t" max_len 1048576)" -dict="$ROOT/fuzz/vhdx.dict" \
    -artifact_prefix="$w/art/" "$w/corpus" "$ROOT/corpus/$t" ${regress:+"$regress"} \
    >"$w/log" 2>&1
  echo $? >"$w/status"
  # FUZZ_MERGE=1: fold the units that add coverage back into corpus/<t> (libFuzzer -merge)
  if [ "${FUZZ_MERGE:-0}" = 1 ] && [ "$(cat "$w/status")" = 0 ] && [ -n "$(ls "$w/corpus")" ]; then
    "$BIN/$t" -merge=1 -rss_limit_mb=4096 -timeout=60 -max_len="$(opt "$t" max_len 1048576)" \
      "$ROOT/corpus/$t" "$w/corpus" >"$w/merge.log" 2>&1 || echo "smoke: merge into corpus/$t failed" >&2
  fi
}

export -f run_one opt
export BIN SECS ROOT WORKDIR
printf '%s\n' $TARGETS | xargs -P "$JOBS" -I{} bash -c 'run_one {}'

fail=0
{
  echo "# Fuzz smoke report"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $SECS s per target, libFuzzer + ASan + UBSan ($BIN), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')."
  echo
  echo "| target | execs | exec/s | seeds | corpus after | new units | cov (edges) | ft (features) | peak RSS MiB | findings |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} >"$REPORT.tmp"
for t in $TARGETS; do
  w=$WORKDIR/$t
  st=$(cat "$w/status" 2>/dev/null || echo missing)
  log=$w/log
  stat() { sed -n "s/^stat::$1:[[:space:]]*//p" "$log" 2>/dev/null | tail -1; }
  execs=$(stat number_of_executed_units); eps=$(stat average_exec_per_sec)
  newu=$(stat new_units_added); rss=$(stat peak_rss_mb)
  last=$(grep -E '^#[0-9]+' "$log" 2>/dev/null | grep -E 'cov:' | tail -1)
  cov=$(sed -n 's/.*cov: \([0-9]*\).*/\1/p' <<<"$last"); ft=$(sed -n 's/.*ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.*corp: \([0-9]*\/[0-9A-Za-z]*\).*/\1/p' <<<"$last")
  seeds=$(ls "$ROOT/corpus/$t" 2>/dev/null | wc -l)
  arts=$(ls "$w/art" 2>/dev/null | wc -l)
  if [ "$st" = missing ]; then
    findings="target not built"; fail=1
  elif [ "$st" != 0 ] || [ "$arts" -gt 0 ]; then
    fail=1
    mkdir -p "$FIND/$t"
    cp "$w/art"/* "$FIND/$t"/ 2>/dev/null
    cp "$log" "$FIND/$t/log.txt"
    kind=$(grep -m1 -oE 'ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer)[^(]*|fuzz oracle failed.*|runtime error: .*' "$log" | head -1 | cut -c1-160)
    findings="**exit $st**: ${kind:-see log} ($(ls "$w/art" | tr '\n' ' '))"
  else
    findings="none"
  fi
  echo "| $t | ${execs:-?} | ${eps:-?} | $seeds | ${corp:-?} | ${newu:-?} | ${cov:-?} | ${ft:-?} | ${rss:-?} | $findings |" >>"$REPORT.tmp"
done
{
  echo
  echo "cov/ft are libFuzzer's edge and feature counters over the whole target (library +"
  echo "harness) at the end of the run. Line coverage of lib/ from the corpus: \`make coverage\`"
  echo "(reports/coverage/summary.txt). Findings are copied to reports/fuzz-findings/."
} >>"$REPORT.tmp"
# keep the sections other scripts write (<!-- kind:name:begin/end -->: throughput.sh,
# campaign.sh, afl-campaign.sh); when the report is missing (CI deletes it first), those of
# the committed reports/fuzz.md
{ if [ -f "$REPORT" ]; then cat "$REPORT"; else git -C "$ROOT" show HEAD:reports/fuzz.md 2>/dev/null; fi; } |
  python3 -c '
import re, sys
text = sys.stdin.read()
for m in re.finditer(r"<!-- ([a-z]+):([^:]+):begin -->.*?<!-- \1:\2:end -->", text, re.S):
    print("\n" + m.group(0))
' >>"$REPORT.tmp"
mv "$REPORT.tmp" "$REPORT"
cat "$REPORT"
exit $fail
