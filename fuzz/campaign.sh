#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# libFuzzer campaign on one target for a CPU-time budget (the libFuzzer counterpart of
# fuzz/afl-campaign.sh): runs build-fuzz/<t> (`make fuzz`) at `nice -n ${CAMPAIGN_NICE:-10}`
# from corpus/<t> + corpus/regress/<t> (new units go to a scratch corpus), samples its
# coverage counters against its own CPU time every 5 s, stops it (SIGINT) when it has used
# CPU_SECONDS of CPU or WALL_MAX seconds of wall time, merges the new units that add
# coverage into corpus/<t> (-merge=1; if corpus/ would exceed 20 MB of file content, only the
# new units under 64 KiB; undone if even those would), keeps findings
# in reports/fuzz-findings/campaign-<tag>/, and writes a section into reports/fuzz.md:
# exec/s, coverage at the start, after 10 CPU-minutes and at the end, findings.
#   fuzz/campaign.sh TARGET CPU_SECONDS [WALL_MAX]
#   CAMPAIGN_TAG (default TARGET)  CAMPAIGN_MERGE=0 (no merge)  FZ_NO_CUSTOM_MUTATOR=1
#   (byte mutation only, for a with/without comparison)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=${1:?target}
CPU=${2:-1800}
WALL=${3:-$((CPU * 20))}
TAG=${CAMPAIGN_TAG:-$T}
BIN=${FUZZ_BIN:-$ROOT/build-fuzz}/$T
[ -x "$BIN" ] || bash "$ROOT/fuzz/build-fuzz.sh" || exit 1
W=$ROOT/build-fuzz/campaign-$TAG
rm -rf "$W"; mkdir -p "$W/new" "$W/art"
opt() { sed -n "s/^$2[[:space:]]*=[[:space:]]*//p" "$ROOT/fuzz/$T.options" 2>/dev/null | head -1; }
regress=$ROOT/corpus/regress/$T; [ -d "$regress" ] || regress=
nice -n "${CAMPAIGN_NICE:-10}" "$BIN" -print_final_stats=1 -dict="$ROOT/fuzz/vhdx.dict" \
  -timeout="$(opt "$T" timeout)" -rss_limit_mb=2560 -max_len="$(opt "$T" max_len)" \
  -artifact_prefix="$W/art/" "$W/new" "$ROOT/corpus/$T" ${regress:+"$regress"} >"$W/log" 2>&1 &
P=$!
TCK=$(getconf CLK_TCK)
t0=$(date +%s)
cpu_of() { awk -v t="$TCK" '{ print int(($14 + $15) / t) }' "/proc/$1/stat" 2>/dev/null; }
last_cov() { grep -aE '^#[0-9]+.*cov: ' "$W/log" | tail -1 | sed -n 's/^#\([0-9]*\).*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \2 \3/p'; }
: >"$W/series"  # cpu_s wall_s execs cov ft
while kill -0 "$P" 2>/dev/null; do
  sleep 5
  c=$(cpu_of "$P"); [ -n "$c" ] || break
  now=$(( $(date +%s) - t0 ))
  echo "$c $now $(last_cov)" >>"$W/series"
  if [ "$c" -ge "$CPU" ] || [ "$now" -ge "$WALL" ]; then kill -INT "$P"; break; fi
done
wait "$P"; st=$?
inited=$(grep -a 'INITED' "$W/log" | sed -n 's/.*cov: \([0-9]*\) ft: \([0-9]*\).*/\1 \/ \2/p' | head -1)
at10=$(awk '$1 >= 600 && NF >= 5 { print $4 " / " $5; exit }' "$W/series")
endl=$(awk 'NF >= 5 { l = $4 " / " $5 } END { print l }' "$W/series")
s() { sed -n "s/^stat::$1:[[:space:]]*//p" "$W/log" | tail -1; }
execs=$(s number_of_executed_units); rss=$(s peak_rss_mb)
cpu=$(awk 'END { print $1 }' "$W/series"); wall=$(awk 'END { print $2 }' "$W/series")
eps=$(awk -v e="${execs:-0}" -v w="${wall:-0}" 'BEGIN { if (w > 0) printf "%d", e / w; else print "?" }')
epc=$(awk -v e="${execs:-0}" -v c="${cpu:-0}" 'BEGIN { if (c > 0) printf "%d", e / c; else print "?" }')
newu=$(ls "$W/new" | wc -l)
arts=$(ls "$W/art" | wc -l)
findings=none
if [ "$arts" -gt 0 ] || { [ "$st" != 0 ] && [ "$st" != 130 ] && [ "$st" != 72 ]; }; then
  mkdir -p "$ROOT/reports/fuzz-findings/campaign-$TAG"
  cp "$W/art"/* "$W/log" "$ROOT/reports/fuzz-findings/campaign-$TAG/" 2>/dev/null
  findings="**$arts artifact(s), exit $st**: $(grep -m1 -aoE 'ERROR: [A-Za-z]+Sanitizer[^(]*|fuzz oracle: .*|runtime error: .*' "$W/log" | cut -c1-160) (reports/fuzz-findings/campaign-$TAG/)"
fi
# merge_from DIR LOG: the units of DIR that add coverage into corpus/<t>; sets after and total
# (corpus/ in MB of file content)
merge_from() {
  "$BIN" -merge=1 -rss_limit_mb=2560 -timeout=60 -max_len="$(opt "$T" max_len)" \
    "$ROOT/corpus/$T" "$1" >"$2" 2>&1
  after=$(ls "$ROOT/corpus/$T" | wc -l)
  total=$(du -sm --apparent-size "$ROOT/corpus" | cut -f1)
}
undo_merge() { git -C "$ROOT" checkout -q -- "corpus/$T" 2>/dev/null; git -C "$ROOT" clean -qfd "corpus/$T" 2>/dev/null; }
merged="not merged"
if [ "${CAMPAIGN_MERGE:-1}" = 1 ] && [ "$newu" -gt 0 ] && [ "$arts" -eq 0 ]; then
  before=$(ls "$ROOT/corpus/$T" | wc -l)
  merge_from "$W/new" "$W/merge.log"
  if [ "$total" -gt 20 ]; then
    undo_merge
    merged="all of them would take corpus/ to ${total} MB (> 20 MB)"
    # second try: only the new units under 64 KiB (whole-image units run up to max_len)
    mkdir -p "$W/small"; find "$W/new" -type f -size -65k -exec cp {} "$W/small/" \;
    merge_from "$W/small" "$W/merge-small.log"
    if [ "$total" -gt 20 ]; then
      undo_merge
      merged="$merged; merge undone: even its $(ls "$W/small" | wc -l) units under 64 KiB would make ${total} MB"
    else
      merged="$merged; of its $(ls "$W/small" | wc -l) units under 64 KiB, +$((after - before)) merged into corpus/$T (corpus/ now ${total} MB)"
    fi
  else
    merged="+$((after - before)) units merged into corpus/$T (corpus/ now ${total} MB)"
  fi
fi
mut=$([ "${FZ_NO_CUSTOM_MUTATOR:-0}" = 1 ] && echo "byte mutation only (FZ_NO_CUSTOM_MUTATOR=1)" || echo "structure-aware mutator where the harness has one")
SECTION=$(cat <<EOS
## libFuzzer campaign: $TAG

$(date -u '+%Y-%m-%d %H:%M UTC'), \`fuzz/campaign.sh $T $CPU $WALL\` ($mut), ASan+UBSan, \`nice -n ${CAMPAIGN_NICE:-10}\` on a shared 2-core machine: ${cpu:-?} CPU s in ${wall:-?} s wall.

| execs | exec/s (wall) | exec per CPU s | cov/ft at start (INITED) | cov/ft after 600 CPU s | cov/ft at end | new units | peak RSS MB | findings |
|---|---|---|---|---|---|---|---|---|
| ${execs:-?} | $eps | $epc | ${inited:-?} | ${at10:-not reached} | ${endl:-?} | $newu ($merged) | ${rss:-?} | $findings |
EOS
)
REPORT=$ROOT/reports/fuzz.md
mkdir -p "$(dirname "$REPORT")"; touch "$REPORT"
python3 "$(dirname "${BASH_SOURCE[0]}")/report-section.py" "$REPORT" "<!-- campaign:$TAG:begin -->" "<!-- campaign:$TAG:end -->" "$SECTION"
echo "$SECTION"
[ "$findings" = none ]
