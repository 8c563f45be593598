#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx compare: equal and different disks (VHDX and raw, either side), the first differing
# offset, size differences (zero tail, --strict), a differencing child, formats forced,
# exit codes 0/1/2 like qemu-img compare (cross-checked with it when installed), and a
# 64 GiB pair compared by block status without reading the holes.
. "$(dirname "$0")/cli_common.sh"
need_images

fill() { # fill IMAGE OFFSET COUNT BYTE_OCTAL
    head -c "$3" /dev/zero | tr '\0' "\\$4" | "$CLI" write "$1" "$2" - >/dev/null || fail "write $*"
}
run 0 "$CLI" create --type dynamic --block-size 1M "$T/a.vhdx" 8M
fill "$T/a.vhdx" 1M 1M 001
fill "$T/a.vhdx" 5M 4096 002
run 0 "$CLI" create --type fixed --block-size 2M "$T/b.vhdx" 8M
fill "$T/b.vhdx" 1M 1M 001
fill "$T/b.vhdx" 5M 4096 002
"$CLI" cat "$T/a.vhdx" >"$T/a.raw"
run 0 "$CLI" compare "$T/a.vhdx" "$T/b.vhdx"
expect_eq "equal message" "$OUT" "Images are identical."
run 0 "$CLI" compare "$T/a.vhdx" "$T/a.raw"
run 0 "$CLI" compare "$T/a.raw" "$T/b.vhdx"
run 0 "$CLI" compare "$T/a.raw" "$T/a.raw"
# one byte differs
fill "$T/b.vhdx" 5247000 1 003
run 1 "$CLI" compare "$T/a.vhdx" "$T/b.vhdx"
expect_eq "first differing offset" "$OUT" "Content mismatch at offset 5247000!"
# data on one side, zeros (unallocated) on the other
fill "$T/b.vhdx" 7M 1 004
fill "$T/b.vhdx" 5247000 1 000
run 1 "$CLI" compare "$T/b.vhdx" "$T/a.raw"
expect_eq "data against a hole" "$OUT" "Content mismatch at offset 7340032!"
# sizes: a zero tail is equal unless --strict; a non-zero tail differs
cp "$T/a.raw" "$T/long.raw"
truncate -s 12M "$T/long.raw"
run 0 "$CLI" compare "$T/a.vhdx" "$T/long.raw"
run 1 "$CLI" compare --strict "$T/a.vhdx" "$T/long.raw"
expect_eq "strict size" "$OUT" "Image size mismatch: 8388608 != 12582912"
printf 'x' | dd of="$T/long.raw" bs=1 seek=$((10 * 1048576)) conv=notrunc status=none
run 1 "$CLI" compare "$T/long.raw" "$T/a.vhdx"
expect_eq "non-zero tail" "$OUT" "Content mismatch at offset 10485760!"
# differencing child against its flattened bytes; --parent
run 0 "$CLI" create --type differencing --parent "$T/a.vhdx" "$T/c.vhdx"
fill "$T/c.vhdx" 3M 512 005
"$CLI" cat "$T/c.vhdx" >"$T/c.raw"
run 0 "$CLI" compare "$T/c.vhdx" "$T/c.raw"
run 1 "$CLI" compare "$T/c.vhdx" "$T/a.vhdx"
expect_eq "child differs from parent" "$OUT" "Content mismatch at offset 3145728!"
cp "$T/a.vhdx" "$T/a-copy.vhdx"
run 0 "$CLI" compare --parent "$T/a-copy.vhdx" "$T/c.vhdx" "$T/c.raw"
# forced formats: a VHDX file compared as raw bytes differs from its virtual disk
run 1 "$CLI" compare -f raw "$T/a.vhdx" "$T/a.raw"
run 0 "$CLI" compare -F raw "$T/a.raw" "$T/a.raw"
# errors: exit 2
run 2 "$CLI" compare "$T/a.vhdx" "$T/absent.raw"
expect_match "missing file" "$ERR" "vhdx: $T/absent.raw: *"
run 2 "$CLI" compare -f qcow2 "$T/a.vhdx" "$T/a.raw"
run 2 "$CLI" compare "$T/a.vhdx"
run 2 "$CLI" compare -f vhdx "$T/a.raw" "$T/a.raw"
run 0 "$CLI" compare --help
expect_match "help" "$OUT" "usage: vhdx compare*"
# real images against their raw bytes
for n in velociraptor_test.vhdx.zip dissect-hypervisor_dynamic.vhdx.gz; do
    p=$(extract "$n")
    "$CLI" cat "$p" >"$T/r.raw"
    run 0 "$CLI" compare "$p" "$T/r.raw"
done
# 64 GiB sparse pair holding 16 MiB each: time proportional to the data
run 0 "$CLI" create --type dynamic "$T/big.vhdx" 64G
fill "$T/big.vhdx" 40G 16M 006
truncate -s 64G "$T/big.raw"
head -c 16M /dev/zero | tr '\0' '\6' | dd of="$T/big.raw" bs=1M seek=$((40 * 1024)) conv=notrunc status=none
run 0 "$CLI" compare "$T/big.vhdx" "$T/big.raw"
if command -v qemu-img >/dev/null 2>&1; then
    for pair in "a.vhdx b.vhdx" "a.vhdx a.raw" "a.vhdx absent.raw"; do
        set -- $pair
        "$CLI" compare "$T/$1" "$T/$2" >/dev/null 2>&1; mine=$?
        qemu-img compare "$T/$1" "$T/$2" >/dev/null 2>&1; theirs=$?
        expect_eq "exit code vs qemu-img compare ($pair)" "$mine" "$theirs"
    done
fi
finish
