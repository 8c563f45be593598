#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_repair_hostile.sh - `vhdx repair` over the hostile images of conformance/hostile,
# asserted against conformance/hostile/repair-expected.tsv. For each image:
#   * --dry-run never writes (sha256 before and after) and plans what the table says;
#   * without --allow-data-loss, a plan that loses data is refused (exit 2, file unchanged);
#   * `repair --allow-data-loss --fix-deviations`: exit code (0 repaired or nothing, 2
#     refused), outcome, the sorted set of action kinds and of the damage left, exactly;
#     a refused or nothing-to-do repair leaves the file as it was;
#   * after a repair: `vhdx check` exits 0, a second repair plans nothing and writes
#     nothing, and the disk reads as before (`vhdx cat` of the original when it opens,
#     else of base.vhdx, the image every case was made from) outside the ranges the plan
#     lists as lost (first 16 MiB, or what both disks have);
#   * every JSON document validates against reports/schema/repair.schema.json.
# ctest-labels: slow
set -u
SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${VHDX_BINARY_DIR:-}
CLI=${VHDX_CLI:-}
GEN="$BIN/bin/gen_hostile"
EXPECTED="$SRC/conformance/hostile/repair-expected.tsv"
SCHEMA="$SRC/reports/schema/repair.schema.json"
[[ -n $CLI && -x $CLI ]] || { echo "FAIL: VHDX_CLI not set or not executable"; exit 1; }
[[ -x $GEN ]] || { echo "FAIL: $GEN not built"; exit 1; }
python3 -c 'import jsonschema' 2>/dev/null || { echo "FAIL: python3-jsonschema missing"; exit 1; }

WORK=$(mktemp -d "${BIN:-${TMPDIR:-/tmp}}/repair-hostile.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$GEN" --write "$WORK/h" >/dev/null || { echo "FAIL: gen_hostile --write"; exit 1; }

FAILS=0
n=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# summary JSON -> "outcome<TAB>kinds<TAB>left"; the document is kept for the schema check
# at the end (one python with jsonschema for all of them)
mkdir -p "$WORK/json"
summarise() {
    cp "$1" "$(mktemp "$WORK/json/XXXXXX.json")"
    python3 - "$1" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
kinds = sorted({a["kind"] for a in doc["actions"]}) or ["-"]
left = sorted({l["code"][len("VHDX_"):] for l in doc["left"]}) or ["-"]
print("%s\t%s\t%s" % (doc["outcome"], ",".join(kinds), ",".join(left)))
EOF
}

# same_outside_lost REF OUT JSON: the two raw dumps equal outside the lost ranges
same_outside_lost() {
    python3 - "$1" "$2" "$3" <<'EOF'
import json, sys
a = bytearray(open(sys.argv[1], "rb").read())
b = bytearray(open(sys.argv[2], "rb").read())
# base.vhdx (the fallback reference) may be smaller than the case's disk: its common prefix
n = min(len(a), len(b))
a, b = a[:n], b[:n]
for x in json.load(open(sys.argv[3]))["actions"]:
    o, l = x["lost_offset"], x["lost_length"]
    if l and o < len(a):
        e = min(len(a), o + l)
        a[o:e] = bytes(e - o)
        if any(b[o:e]):
            sys.exit("lost range 0x%x+0x%x does not read as zeros" % (o, l))
        b[o:e] = bytes(e - o)
if a != b:
    i = next(k for k in range(len(a)) if a[k] != b[k])
    sys.exit("first difference outside the lost ranges at 0x%x" % i)
EOF
}

dump16() { # IMAGE OUT: the first 16 MiB (or the whole disk when smaller) through vhdx cat
    local vs len
    vs=$("$CLI" info --json "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual_size"])') || return 1
    len=$(( vs < 16777216 ? vs : 16777216 ))
    "$CLI" cat --length "$len" "$1" >"$2" 2>/dev/null
}

while IFS=$'\t' read -r file outcome actions left _why; do
    [[ -z $file || $file == \#* ]] && continue
    n=$((n + 1))
    orig="$WORK/h/$file"
    img="$WORK/img.vhdx"
    [[ -f $orig ]] || { fail "$file: not generated"; continue; }
    cp "$orig" "$img"
    h0=$(sha "$img")

    # dry run: never writes, plans what the table says
    rc=0
    "$CLI" repair --dry-run --allow-data-loss --fix-deviations --format json "$img" >"$WORK/dry.json" 2>"$WORK/err" || rc=$?
    [[ $(sha "$img") == "$h0" ]] || fail "$file: --dry-run wrote the file"
    want_dry=$outcome; [[ $outcome == repaired ]] && want_dry=planned
    got=$(summarise "$WORK/dry.json") || { fail "$file: dry-run JSON: $(head -c 300 "$WORK/err")"; continue; }
    [[ $got == "$want_dry"$'\t'"$actions"$'\t'"$left" ]] || fail "$file: dry run '$got', expected '$want_dry $actions $left'"
    [[ $rc == $([[ $outcome == refused ]] && echo 2 || echo 0) ]] || fail "$file: dry run exited $rc"

    # data loss needs --allow-data-loss
    if grep -q '"data_loss": true' "$WORK/dry.json"; then
        rc=0
        "$CLI" repair --format json "$img" >"$WORK/noloss.json" 2>&1 || rc=$?
        [[ $rc == 2 ]] || fail "$file: repair without --allow-data-loss exited $rc, expected 2"
        [[ $(sha "$img") == "$h0" ]] || fail "$file: refused repair wrote the file"
        summarise "$WORK/noloss.json" >/dev/null || fail "$file: JSON of the refused repair"
    fi

    rc=0
    "$CLI" repair --allow-data-loss --fix-deviations --format json "$img" >"$WORK/out.json" 2>"$WORK/err" || rc=$?
    got=$(summarise "$WORK/out.json") || { fail "$file: JSON: $(head -c 300 "$WORK/err")"; continue; }
    [[ $got == "$outcome"$'\t'"$actions"$'\t'"$left" ]] || fail "$file: repair '$got', expected '$outcome $actions $left'"
    want=0; [[ $outcome == refused ]] && want=2
    [[ $rc == "$want" ]] || fail "$file: repair exited $rc, expected $want"
    if [[ $outcome != repaired ]]; then
        [[ $(sha "$img") == "$h0" ]] || fail "$file: $outcome repair wrote the file"
        continue
    fi

    rc=0
    "$CLI" check "$img" >"$WORK/check" 2>&1 || rc=$?
    [[ $rc == 0 ]] || fail "$file: check after repair exited $rc: $(head -c 400 "$WORK/check")"
    h1=$(sha "$img")
    "$CLI" repair --allow-data-loss --fix-deviations --format json "$img" >"$WORK/again.json" 2>&1
    got=$(summarise "$WORK/again.json")
    [[ $got == nothing$'\t-\t-' ]] || fail "$file: second repair '$got', expected nothing"
    [[ $(sha "$img") == "$h1" ]] || fail "$file: second repair wrote the file"

    ref="$orig"
    dump16 "$orig" "$WORK/ref.raw" || { ref="$WORK/h/base.vhdx"; dump16 "$ref" "$WORK/ref.raw"; }
    dump16 "$img" "$WORK/out.raw" || { fail "$file: cat after repair"; continue; }
    msg=$(same_outside_lost "$WORK/ref.raw" "$WORK/out.raw" "$WORK/out.json" 2>&1) ||
        fail "$file: content against $(basename "$ref"): $msg"
done <"$EXPECTED"

msg=$(python3 - "$SCHEMA" "$WORK"/json/*.json <<'EOF' 2>&1
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
for p in sys.argv[2:]:
    try:
        jsonschema.validate(json.load(open(p)), schema)
    except Exception as e:
        sys.exit("%s: %s" % (p, str(e).splitlines()[0]))
print(len(sys.argv) - 2)
EOF
) || fail "schema: $msg"
echo "$msg JSON documents valid against repair.schema.json"
if (( n == 0 )); then echo "FAIL: no case in $EXPECTED"; exit 1; fi
if (( FAILS > 0 )); then echo "FAIL: $FAILS failures over $n hostile images"; exit 1; fi
echo "PASS: $n hostile images: repair outcomes, actions and damage left as expected; dry runs never write; repaired images check clean, repair again to nothing and read as before outside the lost ranges"
