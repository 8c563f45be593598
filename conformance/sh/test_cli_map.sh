#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx map: exact text and JSON of a differencing chain built with known allocation (depth,
# bitmap runs, host holes); the JSON map of every fixed and dynamic real image and of built
# images checked against their BAT by map_oracle.py; usage errors.
. "$(dirname "$0")/cli_common.sh"
need_images
ORACLE="$(dirname "$0")/map_oracle.py"

fill() { # fill IMAGE OFFSET COUNT BYTE_OCTAL
    head -c "$3" /dev/zero | tr '\0' "\\$4" | "$CLI" write "$1" "$2" - >/dev/null || fail "write $*"
}
oracle() { # oracle IMAGE: map --json against the BAT
    "$CLI" info --json "$1" >"$T/info.json" || fail "info $1"
    "$CLI" map --json "$1" >"$T/map.json" || fail "map $1"
    if python3 "$ORACLE" "$T/info.json" "$T/map.json" "$1" >"$T/.oracle" 2>&1; then ok
    else fail "map of $1 against its BAT: $(cat "$T/.oracle")"; fi
}

run 0 "$CLI" create --type dynamic --block-size 1M "$T/p.vhdx" 8M
fill "$T/p.vhdx" 0 1M 021
fill "$T/p.vhdx" 3146240 512 063
run 0 "$CLI" create --type differencing --block-size 1M --parent "$T/p.vhdx" "$T/c.vhdx"
fill "$T/c.vhdx" 1056768 4096 062
run 0 "$CLI" map "$T/c.vhdx"
expect_eq "map text" "$OUT" "Offset              Length              State        Depth  File offset
0x0000000000000000  0x0000000000100000  data             1  0x0000000000400000
0x0000000000100000  0x0000000000002000  not_present      1  -
0x0000000000102000  0x0000000000001000  data             0  0x0000000000402000
0x0000000000103000  0x00000000001fd000  not_present      1  -
0x0000000000300000  0x0000000000001000  data             1  0x0000000000500000
0x0000000000301000  0x00000000000ff000  data             1  0x0000000000501000  (host hole)
0x0000000000400000  0x0000000000400000  not_present      1  -"
run 0 "$CLI" map --json "$T/c.vhdx"
expect_eq "map json" "$OUT" '[{"start": 0, "length": 1048576, "depth": 1, "present": true, "zero": false, "data": true, "offset": 4194304, "state": "data"},
{"start": 1048576, "length": 8192, "depth": 1, "present": false, "zero": true, "data": false, "state": "not_present"},
{"start": 1056768, "length": 4096, "depth": 0, "present": true, "zero": false, "data": true, "offset": 4202496, "state": "data"},
{"start": 1060864, "length": 2084864, "depth": 1, "present": false, "zero": true, "data": false, "state": "not_present"},
{"start": 3145728, "length": 4096, "depth": 1, "present": true, "zero": false, "data": true, "offset": 5242880, "state": "data"},
{"start": 3149824, "length": 1044480, "depth": 1, "present": true, "zero": true, "data": false, "offset": 5246976, "state": "data"},
{"start": 4194304, "length": 4194304, "depth": 1, "present": false, "zero": true, "data": false, "state": "not_present"}]'
# the bytes at the reported host offsets are the ones written
expect_eq "child data at its offset" "$(od -An -tx1 -j 4202496 -N 1 "$T/c.vhdx" | tr -d ' ')" 32
expect_eq "parent data at its offset" "$(od -An -tx1 -j 5243392 -N 1 "$T/p.vhdx" | tr -d ' ')" 33
# without the parent: unknown bytes of the child
mv "$T/p.vhdx" "$T/p2.vhdx"
run 1 "$CLI" map "$T/c.vhdx"
run 0 "$CLI" map --parent "$T/p2.vhdx" "$T/c.vhdx"
expect_eq "map with --parent" "$(echo "$OUT" | wc -l)" 8

# built images against the oracle: dynamic and fixed, 4096-byte sectors, last block partial
run 0 "$CLI" create --type dynamic --block-size 2M --logical-sector 4096 "$T/d.vhdx" 23M
fill "$T/d.vhdx" 2M 3M 001
fill "$T/d.vhdx" 20M 4096 002
oracle "$T/d.vhdx"
run 0 "$CLI" create --type fixed --block-size 1M "$T/f.vhdx" 9M
fill "$T/f.vhdx" 4096 8192 003
oracle "$T/f.vhdx"
# a 64 TiB dynamic image: one extent
run 0 "$CLI" create --type dynamic "$T/big.vhdx" 64T
run 0 "$CLI" map --json "$T/big.vhdx"
expect_eq "64 TiB map" "$OUT" '[{"start": 0, "length": 70368744177664, "depth": 0, "present": false, "zero": true, "data": false, "state": "not_present"}]'

# the real fixed and dynamic images (clean logs)
for n in $CLEAN_IMAGES; do
    oracle "$(extract "$n")"
done

# writes of zeros: a whole-block zero write stays unallocated; --zero makes ZERO blocks;
# qemu-img reads the result like a raw reference
run 0 "$CLI" create --type dynamic --block-size 1M "$T/z.vhdx" 8M
size0=$(stat -c %s "$T/z.vhdx")
head -c 3M /dev/zero >"$T/zeros.bin"
run 0 "$CLI" write "$T/z.vhdx" 1M "$T/zeros.bin"
expect_eq "zero write: file size unchanged" "$(stat -c %s "$T/z.vhdx")" "$size0"
fill "$T/z.vhdx" 2M 2M 011
run 0 "$CLI" write --zero 1M "$T/z.vhdx" 2M
expect_eq "--zero message" "$OUT" "zeroed 1048576 bytes at offset 2097152"
run 0 "$CLI" write --zero 4097 "$T/z.vhdx" 3M
run 0 "$CLI" map --json "$T/z.vhdx"
expect_eq "map after zero writes" "$(python3 -c 'import json,sys; print(" ".join("%d:%d:%s" % (x["start"] >> 10, x["length"] >> 10, x["state"]) for x in json.load(sys.stdin)))' <<<"$OUT")" "0:2048:not_present 2048:1024:zero 3072:1024:data 4096:4096:not_present"
truncate -s 8M "$T/z.raw"
head -c $((1048576 - 4097)) /dev/zero | tr '\0' '\11' | dd of="$T/z.raw" bs=1 seek=$((3 * 1048576 + 4097)) conv=notrunc status=none
run 0 "$CLI" compare "$T/z.vhdx" "$T/z.raw"
run 0 "$CLI" check "$T/z.vhdx"
if command -v qemu-img >/dev/null 2>&1; then
    run 0 qemu-img check -f vhdx "$T/z.vhdx"
    run 0 qemu-img compare -f vhdx -F raw "$T/z.vhdx" "$T/z.raw"
fi
run 1 "$CLI" write --zero 1M "$T/z.vhdx" 8M
run 1 "$CLI" write --zero 1M "$T/z.vhdx" 0 "$T/zeros.bin"

run 1 "$CLI" map
expect_match "missing IMAGE" "$ERR" "vhdx: map: missing IMAGE*"
run 1 "$CLI" map "$T/d.vhdx" extra
run 1 "$CLI" map --nope "$T/d.vhdx"
run 1 "$CLI" map "$T/absent.vhdx"
run 0 "$CLI" map --help
expect_match "help" "$OUT" "usage: vhdx map*"
finish
