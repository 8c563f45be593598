#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx check: exit codes (0 conformant, 2 errors, 3 warnings only, 1 not checkable), exact
# findings on mutated images, --rules / --explain, --output (no partial file on failure),
# progress bar only on a terminal.
. "$(dirname "$0")/cli_common.sh"

py() { python3 "$@"; }

GOOD=$T/good.vhdx
run 0 "$CLI" create --type dynamic --block-size 1M "$GOOD" 8M

# metadata region offset and current header of the created image (from the JSON report)
MD_OFF=$("$CLI" check --format json "$GOOD" | py -c 'import json,sys; d=json.load(sys.stdin)["images"][0]; print([r["file_offset"] for r in d["info"]["regions"] if r["name"]=="metadata"][0])')
expect_eq "metadata region offset" "$MD_OFF" 2097152

# R79: metadata signature broken (no checksum covers the metadata table)
BAD=$T/bad-md.vhdx
cp "$GOOD" "$BAD"
printf 'X' | dd of="$BAD" bs=1 seek=$((MD_OFF + 7)) conv=notrunc status=none
# R10 (tolerated): header 1's checksum broken, header 2 still valid
TORN=$T/torn.vhdx
cp "$GOOD" "$TORN"
flip_byte "$TORN" $((0x10004))
# not a VHDX file at all
NOTV=$T/zeros.bin
head -c 2097152 /dev/zero >"$NOTV"

run 0 "$CLI" check "$GOOD"
expect_match "good text verdict line" "$(printf '%s\n' "$OUT" | head -1)" "$GOOD: conformant (0 errors, 0 warnings): dynamic, 8 MiB, 1 MiB blocks, sectors 512/4096"
expect_eq "no progress output when stderr is not a terminal" "$ERR" ""

run 2 "$CLI" check "$BAD"
expect_match "bad verdict" "$(printf '%s\n' "$OUT" | head -1)" "$BAD: nonconformant (1 error, 0 warnings)*"
expect_match "bad finding line" "$OUT" "*error   R79   \[MS-VHDX 2.6.1.1\] at 0x200000 (*): metadata table signature is not \"metadata\"*"

run 3 "$CLI" check "$TORN"
expect_match "torn verdict" "$(printf '%s\n' "$OUT" | head -1)" "$TORN: conformant (0 errors, 1 warning)*"
expect_match "torn finding" "$OUT" "*warning R10   \[MS-VHDX 2.2.2\] at 0x10000 (header\[0\]): one header copy is invalid*"
expect_match "torn interop" "$OUT" "*interop 7-Zip rejects: only one header is valid*"

run 1 "$CLI" check "$NOTV"
expect_match "not vhdx verdict" "$OUT" "$NOTV: unreadable*"
run 1 "$CLI" check "$T/missing.vhdx"
expect_match "missing file" "$OUT" "*cannot check*"

# several images: 1 beats 2 beats 3 beats 0
run 2 "$CLI" check "$GOOD" "$BAD" "$TORN"
expect_match "summary line" "$(printf '%s\n' "$OUT" | tail -1)" "3 images: 2 conformant, 1 nonconformant, 0 unreadable"
run 3 "$CLI" check "$GOOD" "$TORN"
run 1 "$CLI" check "$BAD" "$T/missing.vhdx"

# usage errors
run 1 "$CLI" check
run 1 "$CLI" check --format yaml "$GOOD"
run 1 "$CLI" check --bogus "$GOOD"
run 0 "$CLI" check --help
expect_match "help" "$OUT" "usage: vhdx check*"

# --output: the report goes to the file, atomically; nothing is left behind on failure
run 2 "$CLI" check --format json --output "$T/r.json" "$GOOD" "$BAD"
expect_eq "stdout empty with --output" "$OUT" ""
py -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if [i["verdict"] for i in d["images"]]==["conformant","nonconformant"] else 1)' "$T/r.json" && ok || fail "--output JSON content"
run 1 "$CLI" check --output "$T/nodir/r.txt" "$GOOD"
[ ! -e "$T/nodir" ] && ok || fail "--output into a missing folder left something behind"
ls "$T" | grep -q '\.tmp-' && fail "temporary report file left behind" || ok

# --rules: every rule R1-R108 and D1-D15 once; every status code's rule is in the catalogue
run 0 "$CLI" check --rules
expect_eq "rules listed" "$(printf '%s\n' "$OUT" | grep -cE '^(R[0-9]+|D[0-9]+) ')" 123
run 0 "$CLI" check --rules --format json
printf '%s' "$OUT" >"$T/rules.json"
py - "$T/rules.json" <<'PY' && ok || fail "--rules JSON catalogue"
import json, sys
r = json.load(open(sys.argv[1]))["rules"]
ids = [x["id"] for x in r]
want = ["R%d" % i for i in range(1, 109)] + ["D%d" % i for i in range(1, 16)]
assert ids == want, ids
byid = {x["id"]: x for x in r}
assert byid["R2"]["judged"] is False and byid["R10"]["judged"] is True
assert "VHDX_E_HEADER_CHECKSUM" in byid["R10"]["codes"]
assert "VHDX_W_RT_NOT_REQUIRED" in byid["D7"]["codes"] and byid["D7"]["severity"] == "warning"
# every judged static rule (kind S) is backed by a status code or marked as judged through others
for x in r:
    assert x["requirement"] and x["fix"], x["id"]
    if x["kind"] == "S" and x["judge"] == "judged from the image bytes":
        assert x["codes"], x["id"]
PY
run 0 "$CLI" check --rules --format markdown
expect_match "markdown rules" "$(printf '%s\n' "$OUT" | head -1)" "| rule | MS-VHDX | level | kind | judged | requirement | how to fix |"

# every status code that names a rule names one of the catalogue
"$CLI" check --rules --format json | py -c '
import json, re, sys
ids = {x["id"] for x in json.load(sys.stdin)["rules"]}
src = open(sys.argv[1]).read()
rules = set(re.findall(r"^X\(\w+,\s*\w+,\s*\w+,\s*\"([RD]\d+)\"", src, re.M))
missing = sorted(rules - ids)
sys.exit("status table rules missing from the catalogue: %s" % missing if missing else 0)
' "${VHDX_SOURCE_DIR:-$(dirname "$0")/../..}/lib/include/vhdx_errors.h" && ok || fail "status table rule not in catalogue"

# --explain
run 0 "$CLI" check --explain R10
expect_match "explain R10" "$OUT" "R10 \[MS-VHDX 2.2.2\] level -, kind S: judged from the image bytes
Requirement: A header is valid only when its CRC-32C*
How to fix:  Recompute the CRC-32C*VHDX_E_HEADER_CHECKSUM (error)*"
run 0 "$CLI" check --explain r2
expect_match "explain behaviour rule" "$OUT" "R2 \[MS-VHDX 2.2\] level M, kind B: not judged from an image*"
run 0 "$CLI" check --explain VHDX_W_HEADERS_IDENTICAL
expect_match "explain by status" "$OUT" "VHDX_W_HEADERS_IDENTICAL (deviation, warning)*R11 \[MS-VHDX 2.2.2\]*"
run 1 "$CLI" check --explain R999
expect_match "explain unknown" "$ERR" "*unknown rule 'R999'*"

# differencing: --parent, --parent-ignore-linkage, a missing parent
P=$T/parent.vhdx
C=$T/child.vhdx
run 0 "$CLI" create --type dynamic --block-size 1M "$P" 8M
run 0 "$CLI" create --type differencing --parent "$P" "$C"
run 0 "$CLI" check "$C"
expect_eq "child with parent: no note" "$(printf '%s\n' "$OUT" | grep -c 'note:')" 0
printf 'data' >"$T/four"
run 0 "$CLI" write "$P" 0 "$T/four"          # the parent's DataWriteGuid changes: R105
run 2 "$CLI" check "$C"
expect_match "linkage mismatch" "$OUT" "*error   R105  \[MS-VHDX 2.6.2.6.3\]*"
run 0 "$CLI" check --parent-ignore-linkage "$C"
mv "$P" "$T/moved.vhdx"
run 0 "$CLI" check --parent-ignore-linkage "$C"
expect_match "missing parent note" "$OUT" "*note: parent not found*checked without it*"
run 0 "$CLI" check --parent "$T/moved.vhdx" --parent-ignore-linkage "$C"
expect_eq "explicit parent: no note" "$(printf '%s\n' "$OUT" | grep -c 'note:')" 0
run 2 "$CLI" check --parent "$T/moved.vhdx" "$C"

# progress bar: drawn on a terminal (a pty from script(1)), cleared before the report
if need_prog script; then
    script -qec "$CLI check $GOOD" /dev/null >"$T/tty.out" 2>&1
    grep -q $'\r' "$T/tty.out" && grep -q '100.0%' "$T/tty.out" && ok || fail "no progress bar on a terminal"
    run 0 "$CLI" check --no-progress "$GOOD"
else
    echo "note: script(1) not installed: terminal progress bar not tested"
fi
finish
