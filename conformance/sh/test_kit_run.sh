#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest-labels: oracles slow
# vhdx kit --run 'READER {}': the pass/fail table of a vendor's reader over the default kit,
# with qemu-img info and libvhdi's vhdiinfo as the readers (exact counts for QEMU 7.2 and
# libvhdi 20221220 as Debian 12 ships them), plus `true` (accepts everything: every invalid
# image fails) and the usage errors; --run-cat with `vhdx cat`, with qemu-img convert (to a temporary
# file, then cat) and with plain `cat` (the file's bytes: every image misread) as the readers.
. "$(dirname "$0")/cli_common.sh"
need_prog qemu-img || { echo "SKIP: qemu-img not installed" >&2; exit 77; }
need_prog vhdiinfo || { echo "SKIP: vhdiinfo not installed" >&2; exit 77; }

summary() { tail -4 <<<"$OUT"; }

run 2 "$CLI" kit --run 'true {}' "$T/k1"
expect_eq "true: summary" "$(summary)" "reader: true {}
valid: 12 of 12 pass (exit 0)
invalid: 0 of 88 pass (rejected: non-zero exit)
deviation: 7 of 7 accepted"
expect_match "true: an invalid row" "$OUT" "*
FAIL   invalid   bad-R4-fileid-signature.vhdx                     exit 0
*"
# the table has one row per image of the manifest, in its order
python3 - "$T/k1/manifest.json" "$OUT" <<'PY' && ok || fail "one row per manifest image"
import json, sys
m = json.load(open(sys.argv[1]))
rows = [l.split()[2] for l in sys.argv[2].splitlines() if l.split()[:1] and l.split()[0] in ("pass", "FAIL", "accept", "reject")]
assert rows == [i["file"] for i in m["images"]], (rows[:3], len(rows), len(m["images"]))
PY

run 2 "$CLI" kit --run 'qemu-img info {}' "$T/k2"
expect_eq "qemu-img: summary" "$(summary)" "reader: qemu-img info {}
valid: 7 of 12 pass (exit 0)
invalid: 59 of 88 pass (rejected: non-zero exit)
deviation: 6 of 7 accepted"
expect_match "qemu-img: differencing unsupported" "$OUT" "*
FAIL   valid     diff-child.vhdx                                  exit 1
*"
run 2 "$CLI" kit --run 'vhdiinfo {}' "$T/k3"
expect_eq "vhdiinfo: summary" "$(summary)" "reader: vhdiinfo {}
valid: 11 of 12 pass (exit 0)
invalid: 21 of 88 pass (rejected: non-zero exit)
deviation: 6 of 7 accepted"
# a path with a quote reaches the reader as one argument
mkdir -p "$T/it's"
run 2 "$CLI" kit --run 'test -f {}' "$T/it's"
expect_match "quoted path: valid pass" "$OUT" "*valid: 12 of 12 pass*"

# --run-cat: the SHA-256 of the reader's stdout against the manifest's (valid, deviation)
run 2 "$CLI" kit --run-cat "$CLI cat {}" --matrix-json "$T/c1.json" "$T/c1"
expect_eq "vhdx cat: summary" "$(summary)" "reader: $CLI cat {}
valid: 12 of 12 pass (exit 0, stdout has the manifest's sha256)
invalid: 80 of 88 pass (rejected: non-zero exit)
deviation: 7 of 7 accepted"
expect_match "vhdx cat: a valid row" "$OUT" "*
pass   valid     dynamic-pending-log.vhdx                         exit 0, sha256 ok
*"
# vhdx cat reads images whose only fault is a reserved field (it reports them in check)
expect_eq "vhdx cat: accepted invalid images" "$(grep '^FAIL' <<<"$OUT" | awk '{ print $3 }' | paste -sd' ')" \
    "bad-R15-log-version.vhdx bad-R19-header-reserved.vhdx bad-R27-region-reserved.vhdx bad-R80-metadata-reserved.vhdx bad-R82-metadata-reserved2.vhdx bad-R91-metadata-flags.vhdx bad-R94-file-parameters-reserved.vhdx bad-R100-locator-reserved.vhdx"
# --matrix-json: the same run as one column of the interoperability matrix (its schema)
python3 - "${VHDX_SOURCE_DIR:-$(dirname "$0")/../..}/reports/schema/interop-matrix.schema.json" "$T/c1.json" \
    "$T/c1/manifest.json" "$CLI cat {}" <<'PY' && ok || fail "--matrix-json"
import json, sys
doc, man, col = json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4]
try:
    import jsonschema
    jsonschema.validate(doc, json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)
except ImportError:
    pass
assert doc["mode"] == "kit-run" and doc["generated_by"] == "vhdx kit --run-cat"
assert doc["readers"] == [{"id": col, "reader": "vendor", "consumer": "vendor", "kind": "read", "version": None}]
assert [i["image"] for i in doc["images"]] == [i["file"] for i in man["images"]]
for i, m in zip(doc["images"], man["images"]):
    assert i["kind"] == m["kind"] and i["rules"] == m["rules"] and i["sha256"] == m.get("sha256"), i
    c = i["cells"][col]
    want = "exact" if m["kind"] != "invalid" else "reads" if c["exit"] == 0 else "refuses"
    assert c["outcome"] == want and c["scope"] == "disk", (i["image"], c)
    assert c["message"] == ("" if c["exit"] == 0 else "exit 2"), c
s = doc["summary"][col]
assert (s["valid"], s["exact"], s["wrong"], s["invalid"], s["accepted_invalid"], s["crashes"]) == (19, 19, 0, 88, 8, 0), s
PY
run 1 "$CLI" kit --matrix-json "$T/x.json" "$T/c9"
expect_match "--matrix-json without --run" "$ERR" "vhdx kit: --matrix-json needs --run or --run-cat*"
run 2 "$CLI" kit --run-cat 'cat {}' "$T/c2"
expect_eq "cat: summary" "$(summary)" "reader: cat {}
valid: 0 of 12 pass (exit 0, stdout has the manifest's sha256)
invalid: 0 of 88 pass (rejected: non-zero exit)
deviation: 0 of 7 accepted"
expect_match "cat: a misread deviation fails" "$OUT" "*
FAIL   deviation dev-torn-header.vhdx                             exit 0, sha256 differs
*"
QREADER='sh -c '\''f=$(mktemp) || exit 3; qemu-img convert -f vhdx -O raw "$1" "$f" && cat "$f"; rc=$?; rm -f "$f"; exit $rc'\'' sh {}'
run 2 "$CLI" kit --run-cat "$QREADER" "$T/c3"
expect_eq "qemu-img convert: summary" "$(summary)" "reader: $QREADER
valid: 7 of 12 pass (exit 0, stdout has the manifest's sha256)
invalid: 61 of 88 pass (rejected: non-zero exit)
deviation: 6 of 7 accepted"
expect_match "qemu-img convert: a stale log is not replayed" "$OUT" "*
pass   valid     dynamic-stale-log.vhdx                           exit 0, sha256 ok
*"
expect_match "qemu-img convert: no 4096-byte logical sectors" "$OUT" "*
FAIL   valid     dynamic-256M-l4096-p4096.vhdx                    exit 1
*"

run 1 "$CLI" kit --run-cat 'vhdx cat' "$T/k5"
expect_eq "--run-cat: no {}" "$(head -1 <<<"$ERR")" "vhdx kit: --run-cat needs a command with {} (the image path)"
run 1 "$CLI" kit --run 'vhdiinfo' "$T/k4"
expect_eq "no {}" "$(head -1 <<<"$ERR")" "vhdx kit: --run needs a command with {} (the image path)"
run 1 "$CLI" kit --run
expect_eq "--run without value" "$(head -1 <<<"$ERR")" "vhdx kit: --run needs a value"
finish
