#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx check over the 14 known-good images of ../shared/images: the zero-false-positive
# baseline. No image may get an error; the tolerated deviations appear as exactly the
# expected warnings, with the expected interoperability predictions; exit codes 0 / 3.
# ctest-labels: images
. "$(dirname "$0")/cli_common.sh"
need_images

declare -A WARN=(
  [qemu-iotests_test-disk2vhd.vhdx.bz2]="R11"
  [qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2]="D7 D7"
  [dissect-hypervisor_differencing.avhdx.gz]="R108"
)
for src in "$IMAGES"/*.gz "$IMAGES"/*.bz2 "$IMAGES"/*.zip; do
    name=$(basename "$src")
    img=$(extract "$name") || { fail "cannot extract $name"; continue; }
    want=${WARN[$name]:-}
    rc_want=0
    [ -n "$want" ] && rc_want=3
    "$CLI" check --format json "$img" >"$T/r.json" 2>"$T/r.err"
    rc=$?
    expect_eq "$name exit code" "$rc" "$rc_want"
    got=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["images"][0]
errs = [f["code"] for f in d["findings"] if f["severity"] == "error"]
if errs or d["verdict"] != "conformant":
    print("ERRORS", d["verdict"], errs); sys.exit(0)
print(" ".join(f["rule"] or f["code"] for f in d["findings"] if f["severity"] == "warning"))
' "$T/r.json")
    expect_eq "$name warnings" "$got" "$want"
    case "$name" in
    qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2|discutils-ltrdata_vhdx-log-replay.vhdx.gz)
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["images"][0]
p = {(x["consumer"], x["effect"]) for x in d["interop"]}
need = {("QEMU", "read-write only"), ("VirtualBox", "rejects"), ("libvhdi", "misreads"),
        ("cloud-hypervisor", "misreads"), ("7-Zip", "rejects")}
assert need <= p, p
assert d["info"]["log"]["dirty"] is True
assert [f["rule"] for f in d["findings"] if f["severity"] == "info" and f["rule"]] == ["R58"]
' "$T/r.json" && ok || fail "$name: dirty-log predictions"
        ;;
    esac
    case "$name" in
    qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2)
        grep -q '"consumer": "VirtualBox", "effect": "rejects", "reason": "the BAT and metadata region entries have Required = 0' "$T/r.json" \
            && ok || fail "$name: Required=0 prediction" ;;
    qemu-iotests_test-disk2vhd.vhdx.bz2)
        grep -q '"consumer": "7-Zip", "effect": "note", "reason": "identical headers' "$T/r.json" && ok || fail "$name: Disk2vhd note" ;;
    dissect-hypervisor_differencing.avhdx.gz)
        python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["images"][0]
assert d["note"].startswith("parent not found"), d["note"]
assert ("QEMU", "rejects") in {(x["consumer"], x["effect"]) for x in d["interop"]}
assert d["info"]["type"] == "differencing"
' "$T/r.json" && ok || fail "$name: differencing without parent" ;;
    esac
done

# all images at once: warnings only => 3; every format over the whole corpus
all=()
for src in "$IMAGES"/*.gz "$IMAGES"/*.bz2 "$IMAGES"/*.zip; do all+=("$(extract "$(basename "$src")")"); done
run 3 "$CLI" check "${all[@]}"
expect_match "corpus summary" "$(printf '%s\n' "$OUT" | tail -1)" "14 images: 14 conformant, 0 nonconformant, 0 unreadable"
for fmt in junit sarif markdown; do
    run 3 "$CLI" check --format "$fmt" --output "$T/all.$fmt" "${all[@]}"
done
run 3 "$CLI" check --format json --output "$T/all.json" "${all[@]}"
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then
        "$p" -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)
' "${VHDX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/reports/schema/check.schema.json" "$T/all.json" \
            && ok || fail "corpus JSON report does not fit the schema"
        break
    fi
done
python3 -c '
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
sys.exit(0 if r.get("failures") == "0" and r.get("errors") == "0" and len(r.findall("testsuite")) == 14 else 1)' "$T/all.junit" \
    && ok || fail "corpus JUnit has failures"
finish
