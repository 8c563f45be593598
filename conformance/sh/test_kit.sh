#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx kit: the kit is byte-identical for the same seed (and to kit-seed1.sha256, the recorded
# kit of this version); it holds every invalid image, and only the large valid images are
# omitted (each with its reason) without --big; the images are sparse: their apparent size
# (du -b --apparent-size, over 200 MiB) and data size (du -k, under 50 MiB) are the manifest's;
# every image gets exactly the verdict, error rules and warnings of its manifest entry
# from `vhdx check`; every readable image's virtual disk (whole and ranges) hashes as the
# manifest says through `vhdx cat`; and the valid 512-byte-sector non-differencing images read
# the same through qemu-img (a pending log replayed with `qemu-img check -r all` first) and
# libvhdi (pyvhdi; images libvhdi cannot read correctly are skipped with the reason).
# The manifest hashes come from the CLI's own SHA-256 (cli/sha256.c): the whole-disk hashes
# are checked with python's hashlib (OpenSSL) too, as are the ranges, and the vhdx binary
# must not link libcrypto.
# ctest-labels: slow
. "$(dirname "$0")/cli_common.sh"

# VHDX_KIT_BIG=1 tests the --big kit instead (adds the large valid images; slow)
BIG=()
[ "${VHDX_KIT_BIG:-0}" = 1 ] && BIG=(--big)
K1=$T/kit1
K2=$T/kit2
run 0 "$CLI" kit "${BIG[@]}" "$K1"
expect_match "kit summary" "$OUT" "vhdx kit: $K1: * images (* MiB apparent, * MiB data)*"
run 0 "$CLI" kit "${BIG[@]}" --seed 1 "$K2"
if diff -r "$K1" "$K2" >/dev/null; then ok; else fail "two kits with the same seed differ: $(diff -rq "$K1" "$K2" | head -3)"; fi
rm -rf "$K2"
# ... and byte-identical to the recorded kit of this version (kit-seed1.sha256)
if [ ${#BIG[@]} -eq 0 ]; then
    GOLD=$(dirname "$0")/kit-seed1.sha256
    if (cd "$K1" && grep -v '^#' "$GOLD" | sha256sum --quiet --strict -c - >"$T/gold.out" 2>&1); then ok
    else fail "kit differs from $GOLD: $(head -5 "$T/gold.out")"; fi
    expect_eq "kit files" "$(cd "$K1" && ls | LC_ALL=C sort | paste -sd' ')" \
        "$(grep -v '^#' "$GOLD" | awk '{ print $2 }' | LC_ALL=C sort | paste -sd' ')"
fi
run 1 "$CLI" kit
run 1 "$CLI" kit --seed x "$K2"
run 1 "$CLI" kit --frobnicate "$K2"
[ -f "$K1/README.md" ] && grep -q 'manifest.json' "$K1/README.md" && ok || fail "kit README missing"

# apparent size and manifest structure
python3 - "$K1" "${VHDX_KIT_BIG:-0}" <<'PY' && ok || fail "kit size / manifest"
import json, os, sys
k, big = sys.argv[1], sys.argv[2] == "1"
m = json.load(open(os.path.join(k, "manifest.json")))
assert m["seed"] == 1 and m["generator"].startswith("vhdx kit")
files = [i["file"] for i in m["images"]]
assert len(files) == len(set(files))
total = sum(os.path.getsize(os.path.join(k, f)) for f in files)
assert total == m["apparent_size"], total
big_files = ["big-dynamic-256M-data.vhdx", "big-fixed-1M-chunk-4G.vhdx", "big-dynamic-1M-l4096-chunk-32G.vhdx"]
assert m["big"] == big
if big:
    assert m["omitted"] == [], m["omitted"]
else:
    assert [o["file"] for o in m["omitted"]] == big_files, m["omitted"]
    assert all(o["reason"].startswith("large valid image: ") for o in m["omitted"]), m["omitted"]
    assert len(m["images"]) == 107 and sum(i["kind"] == "invalid" for i in m["images"]) == 88
    assert m["apparent_size"] == 438829056 and m["data_size"] == 34349056, (m["apparent_size"], m["data_size"])
# (the --big kit's 256 MiB-block image alone holds 512 MiB of data)
assert m["data_size"] == sum(i["data_size"] for i in m["images"]) and (big or m["data_size"] < 50 << 20)
rd = open(os.path.join(k, "README.md")).read()
assert "apparent size is %d bytes" % m["apparent_size"] in rd and "data %d bytes" % m["data_size"] in rd
on_disk = sorted(f for f in os.listdir(k) if f.endswith(".vhdx"))
assert on_disk == sorted(files), set(on_disk) ^ set(files)
kinds = {i["kind"] for i in m["images"]}
assert kinds == {"valid", "deviation", "invalid"}
for i in m["images"]:
    assert os.path.getsize(os.path.join(k, i["file"])) == i["file_size"]
    if i["kind"] == "invalid":
        assert i["rules"] and "sha256" not in i and i["verdict"] in ("nonconformant", "unreadable")
    else:
        assert i["verdict"] == "conformant" and len(i["sha256"]) == 64 and i["ranges"]
p = {i["file"]: i["parameters"] for i in m["images"] if i["kind"] == "valid"}
# the matrix the kit promises
assert {x["block_size"] >> 20 for x in p.values()} >= {1, 2, 32, 256}
assert {x["logical_sector_size"] for x in p.values()} == {512, 4096}
assert {x["physical_sector_size"] for x in p.values()} == {512, 4096}
assert {x["type"] for x in p.values()} == {"fixed", "dynamic", "differencing"}
assert {x["log"] for x in p.values()} >= {"clean", "pending", "stale", "none"}
states = {s for x in p.values() for s in x["blocks"].values()}
assert {"ZERO", "UNMAPPED", "NOT_PRESENT", "PARTIALLY_PRESENT", "FULLY_PRESENT", "UNDEFINED"} <= states | {"NOT_PRESENT"}
assert any(x["virtual_size"] % x["block_size"] for x in p.values())
assert any(x["virtual_size"] > (x["logical_sector_size"] << 23) for x in p.values())
PY

# the images are sparse: du sees the manifest's data pages, within 1 MiB (a cut image holds
# fewer; file systems add extent blocks), and stays under 50 MiB without --big
du_k=$(du -ck "$K1"/*.vhdx | tail -1 | cut -f1)
data_k=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["data_size"] >> 10)' "$K1/manifest.json")
if [ "$du_k" -le $((data_k + 1024)) ] && [ "$du_k" -ge $((data_k - 1024)) ] && { [ ${#BIG[@]} -gt 0 ] || [ "$du_k" -lt 51200 ]; }; then ok
else fail "du -k of the images: $du_k KiB, manifest data_size $data_k KiB"; fi
[ "$(du -cb --apparent-size "$K1"/*.vhdx | tail -1 | cut -f1)" = \
  "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["apparent_size"])' "$K1/manifest.json")" ] \
  && ok || fail "du -b --apparent-size of the images differs from the manifest"

# vhdx check against the manifest (exact error rules, exact warnings)
"$CLI" check --no-progress --format json --output "$T/check.json" "$K1"/*.vhdx
python3 - "$K1" "$T/check.json" <<'PY' && ok || fail "vhdx check disagrees with the kit manifest"
import json, os, sys
k = sys.argv[1]
m = {i["file"]: i for i in json.load(open(os.path.join(k, "manifest.json")))["images"]}
bad = []
for r in json.load(open(sys.argv[2]))["images"]:
    e = m[os.path.basename(r["image"])]
    errs = sorted({f["rule"] or f["code"] for f in r["findings"] if f["severity"] == "error"})
    warns = sorted({f["rule"] or f["code"] for f in r["findings"] if f["severity"] == "warning"})
    if r["verdict"] != e["verdict"] or errs != sorted(e["rules"]) or warns != sorted(e["warnings"]):
        bad.append((e["file"], e["verdict"], e["rules"], e["warnings"], "got", r["verdict"], errs, warns))
for b in bad: print("MISMATCH", *b)
sys.exit(1 if bad else 0)
PY

# the report over every kit image (valid, deviating, invalid, unreadable) fits the schema
SCHEMA=${VHDX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/reports/schema/check.schema.json
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import jsonschema' 2>/dev/null; then
        "$p" -c '
import json, sys, jsonschema
jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)
' "$SCHEMA" "$T/check.json" && ok || fail "kit check report does not fit the JSON schema"
        break
    fi
done

# interoperability predictions on images built to trigger them
python3 - "$T/check.json" <<'PY' && ok || fail "interop predictions on kit images"
import json, os, sys
p = {os.path.basename(r["image"]): {(x["consumer"], x["effect"]) for x in r["interop"]}
     for r in json.load(open(sys.argv[1]))["images"]}
want = {
    "dev-region-not-required.vhdx": {("VirtualBox", "rejects")},
    "dev-zero-block-offset.vhdx": {("Hyper-V", "rejects")},
    "dev-torn-header.vhdx": {("7-Zip", "rejects"), ("cloud-hypervisor", "rejects")},
    "dev-region-copy2-invalid.vhdx": {("libvhdi", "rejects"), ("cloud-hypervisor", "rejects")},
    "dev-identical-headers.vhdx": {("QEMU", "note"), ("7-Zip", "note")},
    "fixed-2M-l4096-p4096.vhdx": {("QEMU", "rejects"), ("cloud-hypervisor", "rejects")},
    "dynamic-pending-log.vhdx": {("QEMU", "read-write only"), ("VirtualBox", "rejects"), ("libvhdi", "misreads"),
                                 ("cloud-hypervisor", "misreads"), ("7-Zip", "rejects")},
    "dynamic-1M-chunk-4G.vhdx": {("cloud-hypervisor", "misreads")},
    "diff-child.vhdx": {("QEMU", "rejects")},
    "diff-child-flags3.vhdx": {("libvhdi", "rejects")},
    "bad-R69-bat-reserved.vhdx": {("7-Zip", "rejects")},
}
bad = [(f, w - p.get(f, set())) for f, w in want.items() if f in p and not w <= p[f]]
missing = [f for f in want if f not in p and not f.startswith("bad-")]
for b in bad: print("MISSING PREDICTION", *b)
for m in missing: print("MISSING IMAGE", m)
# a plain valid image draws no rejection
assert not any(e == "rejects" for _, e in p["dynamic-2M-l512-p512.vhdx"]), p["dynamic-2M-l512-p512.vhdx"]
sys.exit(1 if bad or missing else 0)
PY

# no libcrypto in the vhdx binary (its SHA-256 is cli/sha256.c)
if need_prog ldd; then
    run 0 ldd "$CLI"
    case $OUT in *libcrypto*|*libssl*) fail "vhdx links OpenSSL: $(grep -E 'libcrypto|libssl' <<<"$OUT")" ;; *) ok ;; esac
fi

# whole virtual disks through vhdx cat, hashed by python's hashlib (OpenSSL: an implementation
# independent of the kit's, with the SHA extensions 5x faster than coreutils sha256sum on the
# 5 GiB of virtual disk here; oracle.py reads the pipe in 16 MiB chunks)
python3 -c '
import json, sys
for i in json.load(open(sys.argv[1]))["images"]:
    if "sha256" in i: print(i["file"], i["sha256"])
' "$K1/manifest.json" >"$T/whole.txt"
nwhole=0
while read -r f want; do
    got=$("$CLI" cat "$K1/$f" | python3 "$(dirname "$0")/oracle.py" sha256 -)
    expect_eq "sha256 of vhdx cat $f" "$got" "$want"
    nwhole=$((nwhole + 1))
done <"$T/whole.txt"
[ "$nwhole" -ge 19 ] && ok || fail "only $nwhole readable images hashed"

# ranges through vhdx cat --offset --length, hashed by python's hashlib
python3 - "$K1" "$CLI" <<'PY' && ok || fail "vhdx cat range hashes differ from the manifest"
import hashlib, json, os, subprocess, sys
k, cli = sys.argv[1], sys.argv[2]
bad = 0
for i in json.load(open(os.path.join(k, "manifest.json")))["images"]:
    if "sha256" not in i: continue
    p = os.path.join(k, i["file"])
    for r in i["ranges"]:
        out = subprocess.run([cli, "cat", "--offset", str(r["offset"]), "--length", str(r["length"]), p],
                             capture_output=True).stdout
        if hashlib.sha256(out).hexdigest() != r["sha256"]:
            print("MISMATCH range", i["file"], r["offset"], r["length"]); bad += 1
sys.exit(1 if bad else 0)
PY

# the same readable images through independent readers
LIST=$(python3 -c '
import json, sys
for i in json.load(open(sys.argv[1]))["images"]:
    p = i["parameters"]
    if "sha256" in i and p["logical_sector_size"] == 512 and p["type"] != "differencing":
        print(i["file"], i["sha256"], p["log"], p["type"], p["virtual_size"])
' "$K1/manifest.json")
if need_prog qemu-img; then
    while read -r f want log type vsize; do
        src=$K1/$f
        if [ "$log" = pending ]; then
            cp "$K1/$f" "$T/replay.vhdx"
            qemu-img check -r all "$T/replay.vhdx" >/dev/null 2>&1
            src=$T/replay.vhdx
        fi
        rm -f "$T/q.raw"
        if qemu_raw -f vhdx -O raw "$src" "$T/q.raw" 2>"$T/q.err"; then
            expect_eq "qemu-img reads $f" "$(python3 "$(dirname "$0")/oracle.py" sha256 "$T/q.raw")" "$want"
        else
            fail "qemu-img cannot read $f: $(cat "$T/q.err")"
        fi
    done <<<"$LIST"
    rm -f "$T/q.raw" "$T/replay.vhdx"
else
    echo "note: qemu-img not installed: qemu-img comparison skipped"
fi
PYVHDI=
for p in python3 /usr/bin/python3; do "$p" -c 'import pyvhdi' 2>/dev/null && { PYVHDI=$p; break; }; done
if [ -n "$PYVHDI" ]; then
    "$PYVHDI" - "$K1" <<'PY' && ok || fail "libvhdi reads differ from the manifest"
import hashlib, json, os, sys, pyvhdi
k = sys.argv[1]
bad = 0
for i in json.load(open(os.path.join(k, "manifest.json")))["images"]:
    p = i["parameters"]
    if "sha256" not in i or p["logical_sector_size"] != 512 or p["type"] == "differencing":
        continue
    if p["log"] == "pending":
        print("skip %s: libvhdi ignores the log (returns pre-replay data)" % i["file"]); continue
    if p["type"] == "fixed" and p["virtual_size"] > (p["logical_sector_size"] << 23):
        print("skip %s: libvhdi reads fixed BATs without the sector-bitmap interleave" % i["file"]); continue
    f = pyvhdi.file()
    try:
        f.open(os.path.join(k, i["file"]))
    except IOError:
        if i["file"] == "dev-region-copy2-invalid.vhdx":
            print("ok %s: libvhdi refuses an invalid region table copy (as vhdx check predicts)" % i["file"]); continue
        print("FAIL %s: libvhdi cannot open it" % i["file"]); bad += 1; continue
    def digest(off, length):
        h = hashlib.sha256(); f.seek_offset(off, os.SEEK_SET)
        while length:
            n = min(1 << 22, length); h.update(f.read_buffer(n)); length -= n
        return h.hexdigest()
    if p["virtual_size"] > (1 << 30):   # large disks: the manifest ranges (time)
        for r in i["ranges"]:
            if digest(r["offset"], r["length"]) != r["sha256"]:
                print("FAIL %s range %d" % (i["file"], r["offset"])); bad += 1
    elif digest(0, p["virtual_size"]) != i["sha256"]:
        print("FAIL %s" % i["file"]); bad += 1
    f.close()
# predictions that libvhdi refuses an image hold for the real libvhdi
for name in ("diff-child-flags3.vhdx", "dev-region-copy2-invalid.vhdx"):
    if not os.path.exists(os.path.join(k, name)): continue
    f = pyvhdi.file()
    try:
        f.open(os.path.join(k, name)); f.close()
        print("FAIL %s: libvhdi opened it although vhdx check predicts a rejection" % name); bad += 1
    except IOError:
        pass
sys.exit(1 if bad else 0)
PY
else
    echo "note: pyvhdi not importable: libvhdi comparison skipped"
fi
finish
