#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx check --format junit against Jenkins' JUnit schema (xmllint; the xsd is the xUnit
# plugin's junit-10.xsd from $VHDX_SHARED_DIR/schemas), with and without
# --junit-warnings-fail, and what CI summaries see: a warning is a <skipped type="warning">
# whose message names the rule and the warning (a <failure type="warning"> with the flag),
# an image that cannot be examined reports its rules as skipped (never passed), and two
# images with the same base name in different folders get different class names.
. "$(dirname "$0")/cli_common.sh"
XSD=${VHDX_SHARED_DIR:-}/schemas/jenkins-junit-10.xsd
[ -f "$XSD" ] || { echo "SKIP: $XSD not found" >&2; exit 77; }
need_prog xmllint || { fail "xmllint not found (Debian package libxml2-utils)"; finish; }

mkdir -p "$T/a" "$T/b"
run 0 "$CLI" create --type dynamic --block-size 1M "$T/a/x.vhdx" 8M
cp "$T/a/x.vhdx" "$T/b/x.vhdx"
flip_byte "$T/b/x.vhdx" $((0x10004))   # R10 warning
cp "$T/a/x.vhdx" "$T/broken.vhdx"
printf 'X' | dd of="$T/broken.vhdx" bs=1 seek=$((0x200000 + 7)) conv=notrunc status=none # R79 error
# a random 2 MiB file (fixed bytes so the test is reproducible) and a missing file
python3 -c 'import random, sys; random.seed(10); sys.stdout.buffer.write(random.randbytes(2 << 20))' >"$T/random.bin"
ALL=("$T/a/x.vhdx" "$T/b/x.vhdx" "$T/broken.vhdx" "$T/random.bin" "$T/missing.vhdx")

run 1 "$CLI" check --format junit --output "$T/default.xml" "${ALL[@]}"
run 1 "$CLI" check --format junit --junit-warnings-fail --output "$T/strict.xml" "${ALL[@]}"
run 3 "$CLI" check --format junit --output "$T/warn.xml" "$T/b/x.vhdx"
run 3 "$CLI" check --format junit --junit-warnings-fail --output "$T/warn-strict.xml" "$T/b/x.vhdx"
for x in default strict warn warn-strict; do
    xmllint --noout --schema "$XSD" "$T/$x.xml" 2>"$T/xmllint.err" && ok ||
        fail "$x.xml does not validate: $(head -3 "$T/xmllint.err")"
done

NRULES=$("$CLI" check --rules | grep -cE '^(R[0-9]+|D[0-9]+) ')
NJUDGED=$("$CLI" check --rules | grep -cE '^(R[0-9]+|D[0-9]+) .* (yes|static part|via others) ')
python3 - "$T/default.xml" "$T/strict.xml" "$NRULES" "$NJUDGED" "$T" <<'PY' && ok || fail "JUnit contents"
import sys, xml.etree.ElementTree as ET
d, s = (ET.parse(p).getroot() for p in sys.argv[1:3])
n, judged, tmp = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
behav = n - judged
def suites(root):
    return {x.get("name"): x for x in root.findall("testsuite")}
def counts(x):
    return tuple(int(x.get(k)) for k in ("tests", "failures", "errors", "skipped"))
def case(x, rule):
    return [c for c in x.findall("testcase") if c.get("name").startswith(rule + " ")][0]
ds, ss = suites(d), suites(s)
a, b, broken, rnd, miss = (tmp + p for p in ("/a/x.vhdx", "/b/x.vhdx", "/broken.vhdx", "/random.bin", "/missing.vhdx"))
# clean: behaviour rules skipped, everything else passes
assert counts(ds[a]) == (n + 1, 0, 0, behav), counts(ds[a])
# warning-only: R10 skipped with the warning as message (failure with the flag)
assert counts(ds[b]) == (n + 1, 0, 0, behav + 1), counts(ds[b])
assert counts(ss[b]) == (n + 1, 1, 0, behav), counts(ss[b])
sk = case(ds[b], "R10").find("skipped")
assert sk.get("type") == "warning" and sk.get("message").startswith("R10: 1 warning(s): "), sk.attrib
assert "VHDX_W_HEADER_INVALID_COPY" in sk.text and "VHDX_W_HEADER_INVALID_COPY" in case(ds[b], "R10").find("system-out").text
fl = case(ss[b], "R10").find("failure")
assert fl.get("type") == "warning" and fl.get("message") == sk.get("message") and case(ss[b], "R10").find("skipped") is None
# an error: R79 fails in both
assert counts(ds[broken]) == (n + 1, 1, 0, behav) == counts(ss[broken])
assert case(ds[broken], "R79").find("failure").get("type") == "error"
# a random file: R4 fails, the general case is an error, every other rule is skipped
assert counts(ds[rnd]) == (n + 1, 1, 1, n - 1), counts(ds[rnd])
r11 = case(ds[rnd], "R11").find("skipped")
assert r11 is not None and r11.get("type") == "unreadable", r11
assert case(ds[rnd], "R4").find("failure") is not None
# a missing file: the general case is an error, every rule is skipped
assert counts(ds[miss]) == (n + 1, 0, 1, n), counts(ds[miss])
assert all(c.find("skipped") is not None for c in ds[miss].findall("testcase")[1:])
# nothing passes in an image that could not be examined
for x in (ds[rnd], ds[miss]):
    passed = [c.get("name") for c in x.findall("testcase") if len(c) == 0]
    assert passed == [], passed
# totals: <testsuites> sums its suites and has no skipped attribute (not in the schema)
assert d.get("skipped") is None
assert int(d.get("tests")) == 5 * (n + 1) and int(d.get("failures")) == 2 and int(d.get("errors")) == 2
assert int(s.get("failures")) == 3
# class names: unique per path
ca, cb = ds[a].find("testcase").get("classname"), ds[b].find("testcase").get("classname")
assert ca != cb and ca.endswith(".a.x_vhdx") and cb.endswith(".b.x_vhdx"), (ca, cb)
PY

# --rules has no JUnit form: a usage error, not text
run 1 "$CLI" check --rules --format junit
expect_match "check --rules --format junit" "$ERR" "vhdx: check: --rules: format junit has no rule list*"
expect_eq "check --rules --format junit prints nothing" "$OUT" ""
# --rules --format sarif: the rules as SARIF, no results
run 0 "$CLI" check --rules --format sarif
printf '%s' "$OUT" | python3 -c '
import json, sys
r = json.load(sys.stdin)["runs"][0]
sys.exit(0 if len(r["tool"]["driver"]["rules"]) == int(sys.argv[1]) + 1 and r["results"] == [] else 1)' "$NRULES" \
    && ok || fail "check --rules --format sarif"

finish
