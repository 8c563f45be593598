#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest-labels: oracles
# The interoperability matrix (scripts/interop-matrix.sh --quick): the default kit, written
# once into a temporary folder, and the known-good images (from the CLI tests' image cache;
# skipped with a message when absent), read by every reader installed here. Asserts: the JSON
# validates against reports/schema/interop-matrix.schema.json and has one row per image and
# one column per reader command found; known cells of each installed reader (exact outcomes
# measured on Debian 12: qemu-img 7.2, libvhdi 20210425, 7-Zip 26.02); this library reads every
# valid image exactly; every prediction of `vhdx check` for QEMU, libvhdi and 7-Zip agrees with
# its measured cell or is in conformance/interop-allowlist.tsv (the script's exit status).
# A second run with no external reader on PATH: missing columns, never failures.
# Bounded for the CI: disks over 128 MiB are read by the kit manifest's range hashes (7z x and
# the large known-good disks are read whole only by `make report`).
. "$(dirname "$0")/cli_common.sh"
SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=$(cd "$(dirname "$CLI")/.." && pwd)
SCHEMA=$SRC/reports/schema/interop-matrix.schema.json
PY=
for p in /usr/bin/python3 python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "SKIP: no python3 with jsonschema (python3-jsonschema)" >&2; exit 77; }

"$CLI" kit "$T/kit" >/dev/null || { fail "vhdx kit"; finish; }
img_args=()
if [ -d "$IMAGES" ]; then
    for src in "$IMAGES"/*.gz "$IMAGES"/*.bz2 "$IMAGES"/*.zip; do
        extract "$(basename "$src")" >/dev/null || fail "cannot extract $src"
    done
    img_args=(--images "$CACHE")
else
    echo "known-good images not found at $IMAGES: the matrix covers the kit only"
fi

run 0 bash "$SRC/scripts/interop-matrix.sh" --quick --kit "$T/kit" "${img_args[@]}" --out "$T/out" "$BUILD"
echo "$OUT" | sed -n '/^interop:/p'
[ "$RC" = 0 ] || echo "$OUT" | tail -20 >&2

"$PY" - "$SCHEMA" "$T/out/interop-matrix.json" "$T/kit/manifest.json" "$T/out/interop-matrix.md" \
    "${#img_args[@]}" <<'PY' && ok || fail "matrix contents"
import json, shutil, sys, jsonschema
schema, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
man = json.load(open(sys.argv[3]))
md = open(sys.argv[4]).read()
with_images = sys.argv[5] != "0"
assert doc["mode"] == "quick"
kit = [i for i in doc["images"] if i["set"] == "kit"]
assert sorted(i["image"] for i in kit) == sorted(i["file"] for i in man["images"]), "one row per kit image"
assert len(doc["images"]) == len(kit) + (14 if with_images else 0), len(doc["images"])
cols = [r["id"] for r in doc["readers"]]
assert cols[-2:] == ["vhdx check", "vhdx cat"], cols
for i in doc["images"]:
    assert sorted(i["cells"]) == sorted(cols), (i["image"], sorted(i["cells"]))
    assert "| %s | %s |" % (i["image"], i["set"]) in md, i["image"]
cell = {(i["image"], c): v for i in doc["images"] for c, v in i["cells"].items()}
def want(image, col, outcome, text=""):
    if col not in cols:
        return
    c = cell[(image, col)]
    assert c["outcome"] == outcome, (image, col, c["outcome"], c["message"])
    assert text in c["message"], (image, col, c["message"])
# this library: every valid image exactly (whole, or by ranges over 128 MiB), known-good too
for i in doc["images"]:
    c = i["cells"]["vhdx cat"]
    if i["sha256"]:
        assert c["outcome"] == ("exact" if i["virtual_size"] <= 128 << 20 or i["set"] == "kit" else "skipped"), (i["image"], c)
    if i["kind"] == "invalid":
        assert c["outcome"] in ("refuses", "reads"), (i["image"], c)
want("dynamic-pending-log.vhdx", "vhdx cat", "exact")
want("dynamic-1M-chunk-4G.vhdx", "vhdx cat", "exact")
assert cell[("dynamic-1M-chunk-4G.vhdx", "vhdx cat")]["scope"] == "ranges"
want("bad-R92-block-size.vhdx", "vhdx cat", "refuses", "R92")
want("dev-torn-header.vhdx", "vhdx check", "warns", "conformant: 0 error(s), 1 warning(s)")
# qemu-img 7.2
want("dynamic-256M-l4096-p4096.vhdx", "qemu-img info", "refuses", "Operation not supported")
want("diff-child.vhdx", "qemu-img convert", "refuses", "Operation not supported")
want("dynamic-pending-log.vhdx", "qemu-img info", "refuses", "contains a log that needs to be replayed")
want("dynamic-stale-log.vhdx", "qemu-img convert", "exact")
want("dynamic-1M-chunk-4G.vhdx", "qemu-img convert", "exact")
want("bad-R95-disk-size.vhdx", "qemu-img convert", "reads")
want("bad-R69-bat-reserved.vhdx", "qemu-img info", "accepts")
# libvhdi 20210425: ignores the log, refuses File Parameters flags 3 and a bad region copy
want("dynamic-pending-log.vhdx", "pyvhdi", "wrong", "same length, other bytes")
want("dynamic-pending-log.vhdx", "vhdiinfo", "accepts")
want("diff-child-flags3.vhdx", "vhdiinfo", "refuses", "unsupported file parameters flags: 0x03")
want("dev-region-copy2-invalid.vhdx", "pyvhdi", "refuses", "mismatch in checksum")
want("fixed-1M-l512-p512.vhdx", "pyvhdi", "exact")
# 7-Zip 26.02: refuses a dirty log and a size with bit 9 set, reads the rest
want("dynamic-pending-log.vhdx", "7z x", "refuses", "non-empty LOG was not replayed")
want("dynamic-1M-states.vhdx", "7z t", "refuses", "Cannot open the file as [VHDX] archive")
want("fixed-1M-l512-p512.vhdx", "7z x", "exact")
want("dynamic-1M-chunk-4G.vhdx", "7z x", "skipped")
if with_images:
    want("velociraptor_test.vhdx", "vhdx cat", "exact")
    want("velociraptor_test.vhdx", "7z x", "exact")
    want("velociraptor_test.vhdx", "qemu-img convert", "exact")
    want("qemu-iotests_iotest-dirtylog-10G-4M.vhdx", "7z t", "refuses", "non-empty LOG was not replayed")
    want("discutils-ltrdata_lvm2.vhdx", "vhdx cat", "skipped")
# predictions: checked, none disagreeing outside the allowlist
p = doc["predictions"]
assert p["disagree"] == 0 and not p["stale_allowlist"], [i for i in p["items"] if not i["agrees"]]
measured = {r["consumer"] for r in doc["readers"]} & {"QEMU", "libvhdi", "7-Zip"}
if measured:
    assert p["compared"] >= 20 * len(measured) // 3, p["compared"]
    assert p["agree"] + p["allowlisted"] == p["compared"]
    assert "## Predictions of `vhdx check` against the measurements" in md
assert {x["consumer"] for x in p["from_documentation"]} <= {"VirtualBox", "Hyper-V", "cloud-hypervisor"}
assert {x["consumer"] for x in p["from_documentation"]} >= {"VirtualBox", "cloud-hypervisor"}
for i in doc["images"]:
    for q in i["predictions"]:
        assert q["source"] == ("measured" if q["consumer"] in ("QEMU", "libvhdi", "7-Zip") else "documentation")
PY

# no external reader on PATH, no pyvhdi: only this library's columns, exit 0
mkdir -p "$T/empty" "$T/small"
for f in fixed-1M-l512-p512.vhdx bad-R9-header-signature.vhdx; do ln -s "$T/kit/$f" "$T/small/$f"; done
"$PY" -c '
import json, sys
m = json.load(open(sys.argv[1]))
m["images"] = [i for i in m["images"] if i["file"] in ("fixed-1M-l512-p512.vhdx", "bad-R9-header-signature.vhdx")]
json.dump(m, open(sys.argv[2], "w"))' "$T/kit/manifest.json" "$T/small/manifest.json"
run 0 env PATH="$T/empty" "$("$PY" -c 'import sys; print(sys.executable)')" "$SRC/scripts/interop_matrix.py" --cli "$CLI" --kit "$T/small" \
    --python /nonexistent/python3 --json "$T/small.json"
"$PY" - "$SCHEMA" "$T/small.json" <<'PY' && ok || fail "missing readers"
import json, sys, jsonschema
doc = json.load(open(sys.argv[2]))
jsonschema.validate(doc, json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)
assert [r["id"] for r in doc["readers"]] == ["vhdx check", "vhdx cat"], doc["readers"]
assert sorted(m["reader"] for m in doc["missing_readers"]) == ["7-Zip", "pyvhdi", "qemu-img", "vhdiinfo"]
assert doc["summary"]["vhdx cat"]["exact"] == 1 and doc["summary"]["vhdx cat"]["invalid"] == 1
assert doc["predictions"]["compared"] == 0
PY
finish
