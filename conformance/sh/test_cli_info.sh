#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx info on known-good images: exact values from ../shared/images/CATALOGUE.md, text and
# JSON (valid JSON, stable keys), read-only (the file hashes the same afterwards).
. "$(dirname "$0")/cli_common.sh"
need_images

# jq-like checks with python: jcheck FILE 'python expression over d' ...
jcheck() {
    local f=$1; shift
    local e
    for e in "$@"; do
        if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$f" "$e" 2>/dev/null; then
            ok
        else
            fail "$(basename "$f"): JSON check failed: $e"
        fi
    done
}

FIX=$(extract dissect-hypervisor_fixed.vhdx.gz)
before=$(sha "$FIX")
run 0 "$CLI" info "$FIX"
expect_match "fixed text type" "$OUT" "*
type: fixed
virtual size: 10485760 (10 MiB)
block size: 2097152 (2 MiB)
logical sector size: 512
physical sector size: 4096
chunk ratio: 2048
payload blocks: 5
*"
expect_match "fixed vdid" "$OUT" "*
virtual disk id: 4a49d245-db0a-4634-9818-9f93db5ba6c1
*"
expect_match "fixed creator" "$OUT" "*
creator: Microsoft Windows 10.0.18363.0
*"
expect_match "fixed headers" "$OUT" "*
current header: 2
header 1: sequence 6
*
header 2: sequence 7 (current)
*"
expect_match "fixed BAT" "$OUT" "*
BAT payload blocks: FULLY_PRESENT 5
BAT sector bitmap blocks: none
log: clean*"
run 0 "$CLI" info --json "$FIX"
printf '%s\n' "$OUT" >"$T/fixed.json"
if python3 -m json.tool "$T/fixed.json" >/dev/null; then ok; else fail "fixed: invalid JSON"; fi
jcheck "$T/fixed.json" \
    'd["type"] == "fixed"' 'd["virtual_size"] == 10485760' 'd["block_size"] == 2097152' \
    'd["logical_sector_size"] == 512' 'd["physical_sector_size"] == 4096' \
    'd["chunk_ratio"] == 2048' 'd["payload_blocks"] == 5' \
    'd["virtual_disk_id"] == "4a49d245-db0a-4634-9818-9f93db5ba6c1"' \
    'd["creator"] == "Microsoft Windows 10.0.18363.0"' 'd["current_header"] == 1' \
    '[h["sequence_number"] for h in d["headers"]] == [6, 7]' \
    '[(r["name"], r["file_offset"], r["length"], r["required"]) for r in d["regions"]] in ([("metadata", 2097152, 1048576, 1), ("bat", 3145728, 1048576, 1)], [("bat", 3145728, 1048576, 1), ("metadata", 2097152, 1048576, 1)])' \
    'd["bat"]["payload"]["FULLY_PRESENT"] == 5 and sum(d["bat"]["payload"].values()) == 5' \
    'd["log"] == {"dirty": False, "replayed": "no", "entries_replayed": 0, "replay_range_count": 0, "replay_ranges": []}' \
    'd["parent"]["has_parent"] is False' \
    'sorted(m["name"] for m in d["metadata"]) == ["file_parameters", "logical_sector_size", "physical_sector_size", "virtual_disk_id", "virtual_disk_size"]' \
    'all(m["offset"] >= 65536 and m["is_user"] is False for m in d["metadata"])' \
    'set(d) == {"image","type","virtual_size","block_size","logical_sector_size","physical_sector_size","chunk_ratio","payload_blocks","bat_entries","file_size","virtual_disk_id","creator","opened","current_header","headers","regions","metadata","bat","log","parent"}'
expect_eq "info does not modify the file" "$(sha "$FIX")" "$before"

# JSON string escaping: quotes, backslash, control characters, UTF-8 and an invalid byte
odd="$T/"$'q"b\\s\tt\x01-\xc3\xa4-\xff.vhdx'
cp "$FIX" "$odd"
"$CLI" info --json "$odd" >"$T/odd.json" 2>"$T/.e" || fail "info on odd name: $(cat "$T/.e")"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
want = sys.argv[2] + "/q\"b\\s\tt\x01-\u00e4-\ufffd.vhdx"
sys.exit(0 if d["image"] == want else 1)' "$T/odd.json" "$T"; then ok; else fail "JSON escaping of the image name: $(head -2 "$T/odd.json")"; fi
rm -f "$odd"

# ZERO-state blocks (Hyper-V 2012)
D1G=$(extract qemu-iotests_iotest-dynamic-1G.vhdx.bz2)
run 0 "$CLI" info --json "$D1G"
printf '%s\n' "$OUT" >"$T/d1g.json"
jcheck "$T/d1g.json" 'd["type"] == "dynamic"' 'd["virtual_size"] == 1<<30' \
    'd["block_size"] == 32<<20' 'd["bat"]["payload"]["FULLY_PRESENT"] == 3' \
    'd["bat"]["payload"]["ZERO"] == 29' '[h["sequence_number"] for h in d["headers"]] == [14, 15]' \
    'd["creator"] == "Microsoft Windows 6.2.9200.16384"'

# dirty log: replayed in memory, the file untouched
DIRTY=$(extract qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2)
before=$(sha "$DIRTY")
run 0 "$CLI" info "$DIRTY"
expect_match "dirty log text" "$OUT" "*
log: dirty, replayed in memory (1 entry; file not modified)
log replay changes 1 file range:
  offset 0x200000 length 0x1000*"
run 0 "$CLI" info --json "$DIRTY"
printf '%s\n' "$OUT" >"$T/dirty.json"
jcheck "$T/dirty.json" 'd["virtual_size"] == 10<<30' 'd["block_size"] == 1<<20' \
    'd["logical_sector_size"] == 512 and d["physical_sector_size"] == 512' \
    'd["chunk_ratio"] == 4096' 'd["payload_blocks"] == 10240' \
    'sorted(h["sequence_number"] for h in d["headers"]) == [932638740, 932638741]' \
    'all(h["log_guid"] == "c82755bc-427f-1245-b72c-da70aaabe031" for h in d["headers"])' \
    'd["log"] == {"dirty": True, "replayed": "in-memory", "entries_replayed": 1, "replay_range_count": 1, "replay_ranges": [{"offset": 0x200000, "length": 4096}]}' \
    'd["bat"]["payload"]["FULLY_PRESENT"] == 18' \
    'all(r["required"] == 0 for r in d["regions"])' 'd["creator"] == "QEMU v1.6.50"'
expect_eq "dirty info leaves the file untouched" "$(sha "$DIRTY")" "$before"

# differencing with its parent absent: shown without the parent
DIFF=$(extract dissect-hypervisor_differencing.avhdx.gz)
run 0 "$CLI" info --json "$DIFF"
printf '%s\n' "$OUT" >"$T/diff.json"
jcheck "$T/diff.json" 'd["type"] == "differencing"' 'd["virtual_size"] == 8<<30' \
    'd["block_size"] == 2<<20' 'd["bat"]["payload"]["PARTIALLY_PRESENT"] == 32' \
    'd["bat"]["payload"]["NOT_PRESENT"] == 4064' 'd["bat"]["sector_bitmap"]["PRESENT"] == 2' \
    'd["parent"]["has_parent"] is True and d["parent"]["found"] is False' \
    'd["parent"]["parent_linkage"] == "ff34003b-11ed-4cf8-a166-b2be05e20b80"' \
    'any(m["name"] == "parent_locator" for m in d["metadata"])'
run 0 "$CLI" info "$DIFF"
expect_match "differencing text" "$OUT" "*
parent linkage: ff34003b-11ed-4cf8-a166-b2be05e20b80
parent: not found (shown without parent)*"
# an explicit parent that does not exist is an error, not silently ignored
run 1 "$CLI" info --parent "$T/nope.vhdx" "$DIFF"
expect_match "explicit missing parent" "$ERR" "vhdx: $DIFF: *parent image not found*"

# every known-good image gives JSON valid against reports/schema/info.schema.json (the four
# large DiscUtils file-system images, hundreds of MiB each once decompressed, are left to
# the cmocka known-good suite), and its members are exactly those of the info object of
# `check --format json` for the same image (one encoder; check knows no replay ranges)
SCHEMAS=${VHDX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}/reports/schema
validate_info() { # validate_info JSON-FILE -> 0 when valid
    python3 - "$SCHEMAS" "$1" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
d = sys.argv[1]
info, check = (json.load(open("%s/%s.schema.json" % (d, n))) for n in ("info", "check"))
reg = Registry().with_resources([(s["$id"], Resource.from_contents(s)) for s in (info, check)])
errs = list(Draft202012Validator(info, registry=reg).iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:5]:
    print("  %s: %s" % (list(e.absolute_path), e.message[:200]), file=sys.stderr)
sys.exit(1 if errs else 0)
PY
}
n=0
for f in "$IMAGES"/*.gz "$IMAGES"/*.bz2 "$IMAGES"/*.zip; do
    case "$f" in *_btrfs.* | *_lvm2.* | *_xfs.* | *_xfs5.*) continue ;; esac
    p=$(extract "$(basename "$f")")
    run 0 "$CLI" info --json "$p"
    printf '%s\n' "$OUT" >"$T/kg$n.json"
    validate_info "$T/kg$n.json" && ok || fail "info --json of $p does not match info.schema.json"
    "$CLI" check --format json "$p" >"$T/kg$n.check.json"
    python3 - "$T/kg$n.json" "$T/kg$n.check.json" <<'PY' && ok || fail "info --json and check's info differ for $p"
import json, sys
i, c = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))["images"][0]["info"]
del i["image"]
assert i.keys() == c.keys(), set(i) ^ set(c)
i["log"]["replay_range_count"] = i["log"]["replay_ranges"] = None
if c["parent"]["found"] is None: i["parent"]["found"] = None
assert i == c, [k for k in i if i[k] != c[k]]
PY
    n=$((n + 1))
done
[ "$n" -ge 8 ] && ok || fail "only $n known-good images checked"

# a damaged image (both header checksums broken) prints what it can decode and the finding
# that stopped it, exit 2; the JSON names the decoded parts
cp "$FIX" "$T/broken.vhdx"
printf '\xff' | dd of="$T/broken.vhdx" bs=1 seek=$((0x10010)) conv=notrunc status=none
printf '\xff' | dd of="$T/broken.vhdx" bs=1 seek=$((0x20010)) conv=notrunc status=none
run 2 "$CLI" info "$T/broken.vhdx"
expect_match "damaged: stderr names what stopped the open" "$ERR" "vhdx: $T/broken.vhdx: R11 \[MS-VHDX 2.2.2\] at offset 0x10000: neither header is valid*"
expect_match "damaged: text" "$OUT" "image: $T/broken.vhdx
damaged: the image does not open; decoded: file type identifier, headers, region table, metadata table, system metadata items
type: fixed
virtual size: 10485760 (10 MiB)
block size: 2097152 (2 MiB)
*
creator: Microsoft Windows 10.0.18363.0
current header: 1
header 1: invalid (signature or CRC-32C; sequence 6, checksum 0x*)
header 2: invalid (signature or CRC-32C; sequence 7, checksum 0x*)
regions: 2
*metadata items: 5
*findings: 1 errors, 0 warnings
  error   R11   at 0x10000 (header): neither header is valid (header 1: CRC-32C mismatch; header 2: CRC-32C mismatch)"
run 2 "$CLI" info --json "$T/broken.vhdx"
printf '%s\n' "$OUT" >"$T/broken.json"
validate_info "$T/broken.json" && ok || fail "damaged info --json does not match info.schema.json"
jcheck "$T/broken.json" 'd["opened"] is False' \
    'd["decoded"] == ["fileid", "headers", "regions", "metadata", "geometry"]' \
    'd["type"] == "fixed" and d["virtual_size"] == 10485760 and d["payload_blocks"] == 5' \
    '[h["sequence_number"] for h in d["headers"]] == [6, 7] and not any(h["valid"] for h in d["headers"])' \
    '[(f["rule"], f["code"], f["offset"]) for f in d["findings"]] == [("R11", "VHDX_E_NO_VALID_HEADER", 0x10000)]' \
    'sorted(r["name"] for r in d["regions"]) == ["bat", "metadata"]'
# a file cut short: the tables still decode, the region outside the file stops the open
head -c 3000000 "$FIX" >"$T/short.vhdx"
run 2 "$CLI" info --json "$T/short.vhdx"
printf '%s\n' "$OUT" >"$T/short.json"
validate_info "$T/short.json" && ok || fail "truncated info --json does not match info.schema.json"
jcheck "$T/short.json" 'd["file_size"] == 3000000 and d["current_header"] == 1' \
    'd["decoded"] == ["fileid", "headers", "regions", "metadata", "geometry"]' \
    '"D6" in [f["rule"] for f in d["findings"]]'
# not a VHDX file: nothing to decode, the plain error (exit 2 as before)
head -c 2097152 /dev/zero >"$T/zeros.vhdx"
run 2 "$CLI" info "$T/zeros.vhdx"
expect_eq "not VHDX: no output" "$OUT" ""

finish
