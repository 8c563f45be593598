#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx check output formats on the same four images (conformant, an error, a tolerated
# warning, not a VHDX file): JSON validated against reports/schema/check.schema.json with
# exact values, JUnit (one testcase per catalogue rule per image, failures exactly where the
# findings are), SARIF 2.1.0 (rules, results with byte offsets), Markdown and text.
. "$(dirname "$0")/cli_common.sh"
SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SCHEMA=$SRC/reports/schema/check.schema.json

# a python with jsonschema (Debian: python3-jsonschema, installed by scripts/deps.sh)
PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
if [ -z "$PY" ]; then
    fail "no python3 with the jsonschema module (apt-get install python3-jsonschema)"
    PY=python3
fi

GOOD=$T/good.vhdx
run 0 "$CLI" create --type dynamic --block-size 1M "$GOOD" 8M
# corrupt COPY SRC OFFSET BYTE: a private copy of SRC with one byte replaced, written
# through, read back, and compared with SRC (exactly that byte differs): a corruption
# that did not land fails here, not as a missing finding later (issue 17 item 10)
corrupt() {
    python3 - "$2" "$1" "$3" "$4" <<'PY' && ok || fail "corrupting $1 at $3"
import os, sys
src, dst, off = sys.argv[1], sys.argv[2], int(sys.argv[3], 0)
data = bytearray(open(src, 'rb').read())
# BYTE "^X": the byte XOR X (a checksum byte may hold any value: always a change)
byte = data[off] ^ int(sys.argv[4][1:], 0) if sys.argv[4].startswith('^') else int(sys.argv[4], 0)
assert data[off] != byte, "byte already has that value"
data[off] = byte
with open(dst + '.new', 'wb') as f:
    f.write(data)
    f.flush()
    os.fsync(f.fileno())
os.rename(dst + '.new', dst)
got = open(dst, 'rb').read()
assert len(got) == len(data) and got[off] == byte
orig = open(src, 'rb').read()
assert got[:off] == orig[:off] and got[off + 1:] == orig[off + 1:]
PY
}
# the metadata region's offset as the image says (not a fixed layout)
MD_OFF=$("$CLI" info --json "$GOOD" | python3 -c 'import json,sys; print([r["file_offset"] for r in json.load(sys.stdin)["regions"] if r["name"] == "metadata"][0])')
expect_eq "metadata region of a new 8 MiB image" "$MD_OFF" $((0x200000))
BAD=$T/bad.vhdx
corrupt "$BAD" "$GOOD" $((MD_OFF + 7)) 0x58        # R79: "metadatX"
TORN=$T/torn.vhdx
corrupt "$TORN" "$GOOD" $((0x10004)) ^0xff         # R10 (warning)
NOTV=$T/zeros.bin
head -c 2097152 /dev/zero >"$NOTV"
ALL=("$GOOD" "$BAD" "$TORN" "$NOTV")

for fmt in json junit sarif markdown text; do
    run 1 "$CLI" check --format "$fmt" --output "$T/out.$fmt" "${ALL[@]}"
done

# ---- JSON ----
"$PY" - "$SCHEMA" "$T/out.json" "${ALL[@]}" <<'PY' && ok || fail "JSON report"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
good, bad, torn, notv = doc["images"]
assert [i["image"] for i in doc["images"]] == sys.argv[3:]
assert doc["summary"] == {"images": 4, "conformant": 2, "nonconformant": 1, "unreadable": 1}, doc["summary"]
assert good["verdict"] == "conformant" and good["findings"] == [] and good["error"] is None
assert good["info"]["type"] == "dynamic" and good["info"]["virtual_size"] == 8 << 20
assert good["info"]["block_size"] == 1 << 20 and good["info"]["bat"]["payload"]["NOT_PRESENT"] == 8
f = bad["findings"]
assert bad["verdict"] == "nonconformant" and bad["counts"]["errors"] == 1 and len(f) == 1, f
assert (f[0]["rule"], f[0]["section"], f[0]["severity"], f[0]["offset"], f[0]["code"], f[0]["class"]) == \
       ("R79", "2.6.1.1", "error", 0x200000, "VHDX_E_MD_SIGNATURE", "corrupt"), f[0]
t = torn["findings"]
assert torn["verdict"] == "conformant" and [(x["rule"], x["severity"], x["offset"]) for x in t] == [("R10", "warning", 0x10000)], t
assert {(p["consumer"], p["effect"]) for p in torn["interop"]} >= {("7-Zip", "rejects"), ("cloud-hypervisor", "rejects")}
assert notv["verdict"] == "unreadable"
# a report for a single image has the same shape
PY
run 0 "$CLI" check --format json "$GOOD"
printf '%s' "$OUT" | "$PY" -c '
import json, sys, jsonschema
d = json.load(sys.stdin)
jsonschema.validate(d, json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)
sys.exit(0 if len(d["images"]) == 1 and d["images"][0]["verdict"] == "conformant" else 1)' "$SCHEMA" && ok || fail "single-image JSON"
# the schema rejects what it must (guards against a schema that accepts anything)
"$PY" - "$SCHEMA" "$T/out.json" <<'PY' && ok || fail "schema too lax"
import copy, json, sys, jsonschema
schema = json.load(open(sys.argv[1])); doc = json.load(open(sys.argv[2]))
V = jsonschema.Draft202012Validator(schema)
bad = copy.deepcopy(doc); bad["images"][1]["verdict"] = "conformant"       # errors but conformant
assert not V.is_valid(bad)
bad = copy.deepcopy(doc); bad["images"][1]["findings"][0]["severity"] = "fatal"
assert not V.is_valid(bad)
bad = copy.deepcopy(doc); del bad["images"][0]["findings"]
assert not V.is_valid(bad)
bad = copy.deepcopy(doc); bad["images"][1]["findings"][0]["rule"] = "R109"
assert not V.is_valid(bad)
PY

# every prediction's basis cites the spec section, the rule and the consumer's entry in
# docs/interop.md (never a file outside the repository); every anchor used exists
"$PY" - "$T/out.json" "$SRC/cli/interop.c" "$SRC/docs/interop.md" <<'PY' && ok || fail "interop basis"
import json, re, sys
doc = json.load(open(sys.argv[1]))
src = open(sys.argv[2]).read()
md = open(sys.argv[3]).read()
anchors = {re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-") for h in re.findall(r"^## (.+)$", md, re.M)}
used = set(re.findall(r'docs/interop\.md#([a-z0-9-]+)', src))
assert used and used <= anchors, (used - anchors, anchors)
form = re.compile(r"^\[MS-VHDX [0-9.]+\]; (docs/rules\.md#[rd][0-9]+; docs/interop\.md#[a-z0-9-]+|known behaviour of QEMU 7\.2 \(docs/interop\.md#qemu\))$")
preds = [p for i in doc["images"] for p in i["interop"]]
assert preds
for p in preds:
    assert form.match(p["basis"]), p["basis"]
    assert "VHDX-FORMAT" not in p["basis"] + p["reason"] and "shared" not in p["basis"], p
    assert "{0}" not in p["reason"] and "{1}" not in p["reason"], p
assert "../shared" not in src and "VHDX-FORMAT" not in src
PY

# ---- JUnit ----
NRULES=$("$CLI" check --rules | grep -cE '^(R[0-9]+|D[0-9]+) ')
python3 - "$T/out.junit" "$NRULES" <<'PY' && ok || fail "JUnit report"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
n = int(sys.argv[2])
assert root.tag == "testsuites"
suites = root.findall("testsuite")
assert len(suites) == 4
for s in suites:
    cases = s.findall("testcase")
    assert len(cases) == n + 1 and int(s.get("tests")) == n + 1, (len(cases), n)
def failing(s):
    return sorted(c.get("name").split()[0] for c in s.findall("testcase") if c.find("failure") is not None)
def skipped(s):
    return [c.get("name").split()[0] for c in s.findall("testcase") if c.find("skipped") is not None]
good, bad, torn, notv = suites
assert failing(good) == [] and failing(torn) == [], (failing(good), failing(torn))
assert failing(bad) == ["R79"], failing(bad)
assert "R2" in skipped(good) and "R10" not in skipped(good)
r10 = [c for c in torn.findall("testcase") if c.get("name").startswith("R10 ")][0]
assert "VHDX_W_HEADER_INVALID_COPY" in r10.find("system-out").text
gen = notv.findall("testcase")[0]
assert gen.find("error") is not None and int(notv.get("errors")) == 1
assert "R4" in failing(notv)
assert int(root.get("failures")) == 2 and int(root.get("errors")) == 1
PY

# ---- SARIF ----
python3 - "$T/out.sarif" <<'PY' && ok || fail "SARIF report"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["version"] == "2.1.0" and "sarif" in d["$schema"]
run = d["runs"][0]
rules = run["tool"]["driver"]["rules"]
ids = [r["id"] for r in rules]
assert len(ids) == len(set(ids))
assert {"R%d" % i for i in range(1, 109)} | {"D%d" % i for i in range(1, 16)} <= set(ids)
res = run["results"]
for r in res:
    assert ids[r["ruleIndex"]] == r["ruleId"]
    assert r["level"] in ("error", "warning", "note")
    assert r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
r79 = [r for r in res if r["ruleId"] == "R79"]
assert len(r79) == 1 and r79[0]["level"] == "error"
assert r79[0]["locations"][0]["physicalLocation"]["region"]["byteOffset"] == 0x200000
r10 = [r for r in res if r["ruleId"] == "R10"]
assert len(r10) == 1 and r10[0]["level"] == "warning" and r10[0]["locations"][0]["physicalLocation"]["region"]["byteOffset"] == 0x10000
r4 = [r for r in res if r["ruleId"] == "R4"]
assert len(r4) == 1 and r4[0]["level"] == "error" and r4[0]["locations"][0]["physicalLocation"]["artifactLocation"]["index"] == 3
assert len(run["artifacts"]) == 4
PY

# an image name that is not valid UTF-8 (or holds markup) still gives valid JSON and XML
ODD=$T/$(printf 'odd\xff<&>\xc3\xa9.vhdx')
cp "$GOOD" "$ODD"
run 0 "$CLI" check --format json --output "$T/odd.json" "$ODD"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["images"][0]["image"].endswith("odd\ufffd<&>\u00e9.vhdx") else 1)' "$T/odd.json" \
    && ok || fail "JSON with an invalid UTF-8 image name"
for fmt in junit sarif; do
    run 0 "$CLI" check --format "$fmt" --output "$T/odd.$fmt" "$ODD"
done
python3 -c 'import sys, xml.etree.ElementTree as ET; ET.parse(sys.argv[1])' "$T/odd.junit" && ok || fail "JUnit with an odd image name is not XML"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/odd.sarif" && ok || fail "SARIF with an odd image name is not JSON"

# ---- Markdown and text ----
md=$(cat "$T/out.markdown")
expect_match "markdown title" "$(printf '%s\n' "$md" | head -1)" "# VHDX conformance report"
expect_match "markdown summary row" "$md" "*| $BAD | \*\*nonconformant\*\* | 1 | 0 |*"
expect_match "markdown finding row" "$md" "*| error | R79 | 2.6.1.1 | 0x200000 |*"
txt=$(cat "$T/out.text")
expect_match "text first line" "$(printf '%s\n' "$txt" | head -1)" "$GOOD: conformant (0 errors, 0 warnings)*"
expect_match "text unreadable" "$txt" "*$NOTV: unreadable*"
finish
