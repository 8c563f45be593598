#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx convert, proven by other readers: every output passes `vhdx check` and `qemu-img
# check`, and `qemu-img compare` (and `vhdx compare`, libvhdi when installed) finds it equal
# to its source: raw -> fixed and dynamic VHDX for every block size 1..256 MiB, 4096-byte
# logical sectors (qemu-img 7.2 cannot open those: vhdx check, vhdx compare and libvhdi
# only), sizes that are not block (or sector) multiples, VHDX -> VHDX re-layouts, a
# differencing chain flattened, stdin, VHDX -> raw, and the 14 real images (qemu-img compare
# for those up to 1 GiB virtual; the larger ones: qemu-img check, vhdx compare, libvhdi). Zero blocks stay
# NOT_PRESENT in dynamic outputs; failures leave no output.
. "$(dirname "$0")/cli_common.sh"
need_images
command -v qemu-img >/dev/null || { echo "SKIP: qemu-img not installed"; exit 77; }
ORACLE="$(dirname "$0")/oracle.py"
HAVE_PYVHDI=0
python3 "$ORACLE" pyvhdi-check >/dev/null 2>&1 && HAVE_PYVHDI=1

# proof OUT.vhdx REF [qemu|qcheck|noqemu]: OUT checks clean and reads like REF (raw or
# VHDX); qcheck: qemu-img check only (qemu-img compare reads every byte of a VHDX, which
# takes 15-55 s per multi-GiB real image here: vhdx compare and libvhdi prove those)
proof() {
    local out=$1 ref=$2 q=${3:-qemu}
    run 0 "$CLI" check "$out"
    run 0 "$CLI" compare "$out" "$ref"
    [ "$q" = noqemu ] || run 0 qemu-img check -f vhdx "$out"
    if [ "$q" = qemu ]; then
        local rf=raw
        [ "$(head -c 8 "$ref")" = vhdxfile ] && rf=vhdx
        run 0 qemu-img compare -f vhdx -F "$rf" "$out" "$ref"
    fi
    if [ "$HAVE_PYVHDI" = 1 ]; then
        local want
        want=$("$CLI" cat "$ref" 2>/dev/null | python3 "$ORACLE" sha256 - 2>/dev/null)
        [ "$(head -c 8 "$ref")" = vhdxfile ] || want=$(python3 "$ORACLE" sha256 "$ref")
        # libvhdi reads the whole virtual disk, whose size is REF's rounded up to a sector
        [ "$(stat -c %s "$ref")" = "$("$CLI" info --json "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual_size"])')" ] || return 0
        expect_eq "libvhdi reads $out" "$(python3 "$ORACLE" pyvhdi "$out")" "$want"
    fi
}
# blocks PATH STATE -> number of payload blocks in BAT state STATE
blocks() {
    "$CLI" info --json "$1" | python3 -c "import json,sys; print(json.load(sys.stdin)['bat']['payload']['$2'])"
}

# a raw source of 40 MiB + 1234 bytes: data at 0, 3 MiB - 100 (straddling 1 MiB blocks),
# 17 MiB and in the last partial sector; the rest holes or zeros
truncate -s $((40 * 1048576 + 1234)) "$T/src.raw"
python3 "$ORACLE" pattern 1 65536 | dd of="$T/src.raw" conv=notrunc status=none
python3 "$ORACLE" pattern 2 200 | dd of="$T/src.raw" bs=1 seek=$((3 * 1048576 - 100)) conv=notrunc status=none
python3 "$ORACLE" pattern 3 1048576 | dd of="$T/src.raw" bs=1M seek=17 conv=notrunc status=none
printf 'tail' | dd of="$T/src.raw" bs=1 seek=$((40 * 1048576 + 1230)) conv=notrunc status=none
head -c 1M /dev/zero | dd of="$T/src.raw" bs=1M seek=30 conv=notrunc status=none

for bs in 1 2 4 8 16 32 64 128 256; do
    run 0 "$CLI" convert --block-size ${bs}M "$T/src.raw" "$T/d$bs.vhdx"
    proof "$T/d$bs.vhdx" "$T/src.raw"
done
# dynamic, 1 MiB blocks: exactly the blocks holding data are allocated (0, 2 and 3, 17,
# 40); the zeros written at 30 MiB (host data) leave block 30 unallocated
expect_eq "dynamic 1M: allocated blocks" "$(blocks "$T/d1.vhdx" FULLY_PRESENT)" 5
expect_eq "dynamic 1M: other blocks NOT_PRESENT" "$(blocks "$T/d1.vhdx" NOT_PRESENT)" 36
run 0 "$CLI" convert --type fixed --block-size 2M "$T/src.raw" "$T/f.vhdx"
proof "$T/f.vhdx" "$T/src.raw"
run 0 "$CLI" convert -O vhdx --type fixed --logical-sector 4096 --physical-sector 512 "$T/src.raw" "$T/f4k.img"
proof "$T/f4k.img" "$T/src.raw" noqemu
run 0 "$CLI" convert --logical-sector 4096 --block-size 1M "$T/src.raw" "$T/d4k.vhdx"
proof "$T/d4k.vhdx" "$T/src.raw" noqemu
expect_eq "dynamic 4k: allocated blocks" "$(blocks "$T/d4k.vhdx" FULLY_PRESENT)" 5

# VHDX -> VHDX: dynamic -> fixed, fixed -> dynamic with another block size, 4k -> 512
run 0 "$CLI" convert --type fixed --block-size 8M "$T/d1.vhdx" "$T/df.vhdx"
proof "$T/df.vhdx" "$T/d1.vhdx"
run 0 "$CLI" convert --block-size 4M "$T/f.vhdx" "$T/fd.vhdx"
proof "$T/fd.vhdx" "$T/f.vhdx"
expect_eq "fixed -> dynamic 4M: allocated blocks" "$(blocks "$T/fd.vhdx" FULLY_PRESENT)" 3
run 0 "$CLI" convert "$T/d4k.vhdx" "$T/d512.vhdx"
proof "$T/d512.vhdx" "$T/src.raw"

# a differencing chain of depth 3 flattened into one standalone dynamic image
run 0 "$CLI" create --type dynamic --block-size 1M "$T/base.vhdx" 8M
python3 "$ORACLE" pattern 4 2097152 | "$CLI" write "$T/base.vhdx" 1M - >/dev/null
run 0 "$CLI" create --type differencing --parent "$T/base.vhdx" "$T/mid.vhdx"
python3 "$ORACLE" pattern 5 4096 | "$CLI" write "$T/mid.vhdx" 1536K - >/dev/null
run 0 "$CLI" create --type differencing --parent "$T/mid.vhdx" "$T/top.vhdx"
python3 "$ORACLE" pattern 6 512 | "$CLI" write "$T/top.vhdx" 7M - >/dev/null
"$CLI" convert "$T/top.vhdx" "$T/top.raw" || fail "top -> raw"
run 0 "$CLI" convert "$T/top.vhdx" "$T/flat.vhdx"
proof "$T/flat.vhdx" "$T/top.raw"
run 0 "$CLI" compare "$T/flat.vhdx" "$T/top.vhdx"
expect_eq "flattened: no parent" "$("$CLI" info --json "$T/flat.vhdx" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["type"], d["parent"]["has_parent"])')" "dynamic False"

# stdin (a pipe): sequential allocation into a dynamic image; --size required
python3 "$ORACLE" pattern 7 3000000 >"$T/stream.raw"
cat "$T/stream.raw" | "$CLI" convert --size 3000064 --block-size 1M - "$T/stream.vhdx" || fail "stdin convert"
truncate -s 3000064 "$T/stream.raw"
proof "$T/stream.vhdx" "$T/stream.raw"
run 1 "$CLI" convert - "$T/nosize.vhdx"
expect_eq "stdin needs --size" "$(head -1 <<<"$ERR")" "vhdx: convert: SRC '-' needs --size"
head -c 2M /dev/zero | tr '\0' x >"$T/long.raw"
"$CLI" convert --size 1M - "$T/short.vhdx" <"$T/long.raw" 2>"$T/.err"
expect_eq "stream longer than --size: exit" "$?" 1
expect_eq "stream longer than --size: message" "$(cat "$T/.err")" "vhdx: standard input: longer than --size (1048576 bytes)"
[ ! -e "$T/short.vhdx" ] && ok || fail "failed stdin convert left its output"

# VHDX -> raw, and raw -> raw: holes kept
run 0 "$CLI" convert "$T/d2.vhdx" "$T/back.raw"
run 0 qemu-img compare -f raw -F raw "$T/back.raw" "$T/src.raw"
run 0 "$CLI" convert -O raw "$T/src.raw" "$T/copy.img"
run 0 cmp "$T/copy.img" "$T/src.raw"
# the source is never modified
expect_eq "source unchanged" "$(python3 "$ORACLE" sha256 "$T/d1.vhdx")" "$(cp "$T/d1.vhdx" "$T/d1.copy"; "$CLI" convert "$T/d1.vhdx" "$T/x.raw"; python3 "$ORACLE" sha256 "$T/d1.copy")"
# invalid create options fail before anything is written
run 1 "$CLI" convert --block-size 3M "$T/src.raw" "$T/bad.vhdx"
[ ! -e "$T/bad.vhdx" ] && ok || fail "bad block size left its output"
run 1 "$CLI" convert --type differencing "$T/src.raw" "$T/bad.vhdx"

# the 14 real images into dynamic VHDX: equal to the source as vhdx reads it (raw with holes)
for n in $(awk -F'\t' '!/^#/ && NF > 2 { print $1 }' "$VHDX_SOURCE_DIR/conformance/known-good.tsv"); do
    p=$(extract "$n")
    args=()
    if [[ $n == *differencing* ]]; then
        vs=$("$CLI" info --json "$p" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual_size"])')
        rm -f "$T/zp.vhdx"
        "$CLI" create --type dynamic --block-size 2M "$T/zp.vhdx" "$vs" >/dev/null
        args=(--parent "$T/zp.vhdx" --parent-ignore-linkage)
    fi
    run 0 "$CLI" convert "${args[@]}" "$p" "$T/real.raw"
    run 0 "$CLI" convert "${args[@]}" "$p" "$T/real.vhdx"
    q=qemu
    [ "$(stat -c %s "$T/real.raw")" -le 1073741824 ] || q=qcheck
    proof "$T/real.vhdx" "$T/real.raw" $q
    run 0 "$CLI" compare "${args[@]}" "$p" "$T/real.vhdx"
    rm -f "$T/real.raw" "$T/real.vhdx"
done
finish
