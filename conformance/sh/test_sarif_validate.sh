#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest-labels: oracles
# vhdx check --format sarif through Microsoft's SARIF validator with GitHub code scanning's
# ingestion rules (Sarif.Multitool validate --rule-kind "Gh;Sarif", installed by
# scripts/deps.sh under $VHDX_TOOLS): 0 errors and 0 warnings for a clean, a warning-only, a
# broken and an unreadable image (each alone, all four together, and with absolute paths
# outside the working folder). Then what GitHub needs to track alerts across runs: the same
# partialFingerprints from another working folder and another copy of the image, relative
# URIs with uriBaseId under the working folder, every rule with a name that is not its id and
# a helpUri into docs/rules.md, executionSuccessful false when an image could not be examined.
. "$(dirname "$0")/cli_common.sh"
SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

VHDX_TOOLS=${VHDX_TOOLS:-/opt/vhdx-tools}
MT=${SARIF_MULTITOOL:-$VHDX_TOOLS/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool}
if [ ! -x "$MT" ]; then
    echo "SKIP: Sarif.Multitool not found at $MT (scripts/deps.sh installs it with npm)" >&2
    exit 77
fi
export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
# the validator resolves github.com (dozens of lookups); without a network each waits for the
# resolver's default 5 s timeout and 2 attempts (~35 s of a 50 s run): fail them after 1 s
export RES_OPTIONS="timeout:1 attempts:1"

W=$T/work
mkdir -p "$W/imgs" "$T/elsewhere"
run 0 "$CLI" create --type dynamic --block-size 1M "$W/imgs/clean.vhdx" 8M
cp "$W/imgs/clean.vhdx" "$W/imgs/warn.vhdx"
flip_byte "$W/imgs/warn.vhdx" $((0x10004))   # R10 warning
cp "$W/imgs/clean.vhdx" "$W/imgs/broken.vhdx"
printf 'X' | dd of="$W/imgs/broken.vhdx" bs=1 seek=$((0x200000 + 7)) conv=notrunc status=none # R79 error
head -c 2097152 /dev/zero >"$W/imgs/unreadable.vhdx"                                       # not VHDX
cp "$W/imgs/"*.vhdx "$T/elsewhere/"

# validate SARIF...: one validator run over all files (it takes seconds to start); passes
# when no file has a result (error or warning), and prints the counts per file
validate() {
    local out=$T/validation.sarif
    rm -f "$out"
    if ! "$MT" validate --rule-kind "Gh;Sarif" -o "$out" "$@" >"$T/validator.log" 2>&1; then
        fail "validator failed: $(tail -5 "$T/validator.log")"
        return
    fi
    grep -q "Done. $# files scanned." "$T/validator.log" && ok ||
        fail "the validator did not scan $# files: $(tail -3 "$T/validator.log")"
    python3 - "$out" "$@" <<'PY' && ok || fail "validator findings"
import json, os, sys
d = json.load(open(sys.argv[1]))
count = {os.path.basename(p): [0, 0] for p in sys.argv[2:]}
for run in d["runs"]:
    for r in run.get("results", []):
        uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        lvl = r.get("level", "warning")
        count[os.path.basename(uri)][0 if lvl == "error" else 1] += 1
        print("  %s %s %s %s" % (uri, lvl, r["ruleId"], r["message"].get("arguments")), file=sys.stderr)
bad = 0
for name, (e, w) in count.items():
    print("%s: %d errors, %d warnings" % (name, e, w))
    bad += e + w
sys.exit(1 if bad else 0)
PY
}

cd "$W" || exit 1
run 0 "$CLI" check --format sarif --output "$T/clean.sarif" imgs/clean.vhdx
run 3 "$CLI" check --format sarif --output "$T/warn.sarif" imgs/warn.vhdx
run 2 "$CLI" check --format sarif --output "$T/broken.sarif" imgs/broken.vhdx
run 1 "$CLI" check --format sarif --output "$T/unreadable.sarif" imgs/unreadable.vhdx
run 1 "$CLI" check --format sarif --output "$T/missing.sarif" imgs/missing.vhdx
run 1 "$CLI" check --format sarif --output "$T/all.sarif" imgs/clean.vhdx imgs/warn.vhdx \
    imgs/broken.vhdx imgs/unreadable.vhdx
run 1 "$CLI" check --format sarif --output "$T/abs.sarif" "$T"/elsewhere/clean.vhdx \
    "$T"/elsewhere/warn.vhdx "$T"/elsewhere/broken.vhdx "$T"/elsewhere/unreadable.vhdx
validate "$T"/clean.sarif "$T"/warn.sarif "$T"/broken.sarif "$T"/unreadable.sarif "$T"/missing.sarif \
    "$T"/all.sarif "$T"/abs.sarif

# the same findings from another working folder (images copied elsewhere, given as ./x)
cd "$T/elsewhere" || exit 1
run 1 "$CLI" check --format sarif --output "$T/again.sarif" ./clean.vhdx ./warn.vhdx \
    ./broken.vhdx ./unreadable.vhdx

python3 - "$T/all.sarif" "$T/again.sarif" "$T/abs.sarif" "$T" <<'PY' && ok || fail "SARIF contents"
import json, re, sys
a, b, c = (json.load(open(p)) for p in sys.argv[1:4])
tmp = sys.argv[4]
run = a["runs"][0]
rules = run["tool"]["driver"]["rules"]
names = [r["name"] for r in rules]
assert len(set(names)) == len(names)
for r in rules:
    assert r["name"] != r["id"] and re.fullmatch(r"[A-Z][A-Za-z0-9]+", r["name"]), r["name"]
    assert r["shortDescription"]["text"] and r["fullDescription"]["text"], r["id"]
    if r["id"] != "GENERAL":
        assert r["helpUri"].endswith("/blob/main/docs/rules.md#" + r["id"].lower()), r["helpUri"]
assert rules[10]["name"] == "OnlyCurrentHeaderIsUsed" and rules[10]["id"] == "R11"
assert run["tool"]["driver"]["informationUri"].startswith("https://")
# relative URIs under the working folder, absolute file:// URIs outside it
uris = [x["location"] for x in run["artifacts"]]
assert uris == [{"uri": "imgs/%s.vhdx" % n, "uriBaseId": "SRCROOT"}
                for n in ("clean", "warn", "broken", "unreadable")], uris
assert run["originalUriBaseIds"]["SRCROOT"]["uri"].endswith("/work/")
cu = [x["location"] for x in c["runs"][0]["artifacts"]]
assert all(x["uri"].startswith("file:///") and "uriBaseId" not in x for x in cu), cu
assert "originalUriBaseIds" not in c["runs"][0]
# executionSuccessful false: the unreadable image is named in a notification
inv = run["invocations"][0]
assert inv["executionSuccessful"] is False
notes = inv["toolExecutionNotifications"]
assert [n["locations"][0]["physicalLocation"]["artifactLocation"]["index"] for n in notes] == [3]
# one result per finding, each with a fingerprint; the same on the second run
def fps(doc):
    return [(r["ruleId"], r["locations"][0]["physicalLocation"]["region"]["byteOffset"],
             r["partialFingerprints"]["vhdxFinding/v1"]) for r in doc["runs"][0]["results"]]
fa, fb, fc = fps(a), fps(b), fps(c)
assert [(x[0], x[1]) for x in fa] == [("R10", 0x10000), ("R79", 0x200000), ("R4", 0)], fa
assert fa == fb == fc, (fa, fb, fc)
assert len({x[2] for x in fa}) == 3
assert all(re.fullmatch(r"[0-9a-f]{16}:1", x[2]) for x in fa)
for doc in (a, b):
    assert tmp not in json.dumps(doc["runs"][0]["results"]), "absolute path in a result"
PY
# a single clean image: nothing to report, execution successful
python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["runs"][0]; sys.exit(0 if r["results"] == [] and r["invocations"][0]["executionSuccessful"] is True else 1)' \
    "$T/clean.sarif" && ok || fail "clean image: no results, executionSuccessful true"

finish
