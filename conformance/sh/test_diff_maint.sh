#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_diff_maint.sh - cross-reads after `vhdx resize`, `vhdx discard` and `vhdx compact`
# (issue 12): after each operation the image passes `qemu-img check` (not differencing:
# qemu-img cannot open those) and `vhdx check`, and `vhdx cat`, qemu-img convert, libvhdi
# (the parent set for a child) and a raw reference kept with dd/truncate read the same
# bytes. Also the CLI contract: usage errors, refused shrinks, exit codes.
# ctest-labels: slow
set -u
. "$(dirname "${BASH_SOURCE[0]}")/difflib.sh"
diff_prereqs

# mk NAME CREATE-ARGS... SIZE: image and sparse reference
mk() {
    local name=$1; shift
    IMG="$WORK/$name.vhdx"; REF="$WORK/$name.ref"; KEY="m:$name"; PYV_PARENT=
    "$CLI" create "${@:1:$#-1}" "$IMG" "${*: -1}" >/dev/null || fail "$KEY: vhdx create $*"
    rm -f "$REF"; truncate -s "$(numfmt --from=iec "${*: -1}")" "$REF"
}
# w OFFSET LEN SEED
w() {
    "$PY" "$ORACLE" pattern "$3" "$2" > "$WORK/data"
    "$CLI" write "$IMG" "$1" "$WORK/data" >/dev/null || fail "$KEY: vhdx write $1 $2"
    dd if="$WORK/data" of="$REF" bs=1M conv=notrunc oflag=seek_bytes seek="$1" status=none
}
# z OFFSET LEN: the reference reads zeros there
# LEAD (12:40): count_bytes is an iflag; as an oflag dd ignored count and filled the disk (62 GB)
z() { dd if=/dev/zero of="$REF" bs=1M conv=notrunc iflag=count_bytes oflag=seek_bytes seek="$1" count="$2" status=none; }
# op EXPECTED-EXIT vhdx-ARGS...: one CLI call and its exit code
op() {
    local want=$1 rc=0; shift
    "$CLI" "$@" >"$WORK/op.out" 2>&1 || rc=$?
    [[ $rc == "$want" ]] || fail "$KEY: vhdx $* exited $rc, expected $want: $(head -c 300 "$WORK/op.out")"
}
# cross [noqemu]: qemu-img check, vhdx check, and the readers against the reference
cross() {
    local useqemu=${1:-qemu} q rc=0
    if [[ $useqemu == qemu ]]; then
        q=$(qemu-img check -f vhdx "$IMG" 2>&1) || rc=$?
        [[ $rc == 0 && $q == *"No errors were found on the image."* ]] ||
            fail "$KEY: qemu-img check exited $rc: $(head -c 400 <<<"$q")"
    fi
    check_image "$KEY" "$IMG" 0
    diff_image "$KEY" "$IMG" - "$useqemu" "$REF"
}

# dynamic: grow (unaligned), discard, compact --zeroes, shrink
mk dyn --type dynamic --block-size 1M 6M
w 0 3000000 1; w 4194304 2097152 2
op 0 resize "$IMG" +1M; truncate -s 7M "$REF"; cross
op 0 discard "$IMG" 512K 3M; z 524288 3145728; cross
size_before=$(stat -c %s "$IMG")
op 0 compact --zeroes "$IMG"; cross
(( $(stat -c %s "$IMG") < size_before )) || fail "$KEY: compact did not shrink the file ($size_before bytes)"
op 1 resize "$IMG" 3M
grep -q "shrinking needs the shrink flag" "$WORK/op.out" || fail "$KEY: refused shrink message: $(cat "$WORK/op.out")"
op 1 resize --shrink "$IMG" 3M
grep -q "data lies beyond the new end" "$WORK/op.out" || fail "$KEY: data-loss message: $(cat "$WORK/op.out")"
op 0 resize --shrink --allow-data-loss "$IMG" 4M; truncate -s 4M "$REF"; cross
op 0 resize "$IMG" 8M; truncate -s 4M "$REF"; truncate -s 8M "$REF"; cross
op 0 discard --all "$IMG"; z 0 8388608; cross
op 0 compact "$IMG"; cross
[[ $FAILS == 0 ]] && echo "ok   $KEY"

# dynamic grown past its BAT region (1 MiB of entries: 128 GiB with 1 MiB blocks), with a
# block behind the BAT (the region moves to the end of the file), then compacted; read back
# at chosen offsets only (the disk is 129 GiB)
mk bat --type dynamic --block-size 1M 8M
printf '\xab%.0s' $(seq 4096) > "$WORK/ab"
"$CLI" write "$IMG" 1048576 "$WORK/ab" >/dev/null || fail "$KEY: write"
op 0 resize "$IMG" 129G
"$CLI" write "$IMG" 138512691200 "$WORK/ab" >/dev/null || fail "$KEY: write at 129 GiB - 4 KiB"
for step in resize compact; do
    [[ $step == compact ]] && op 0 compact "$IMG"
    q=$(qemu-img check -f vhdx "$IMG" 2>&1) || fail "$KEY: qemu-img check after $step: $q"
    check_image "$KEY" "$IMG" 0
    for o in 1048576 138512691200; do
        out=$(qemu-io -f vhdx -r -c "read -q -P 0xab $o 4096" "$IMG" 2>&1)
        [[ -z $out ]] || fail "$KEY: qemu-io after $step at $o: $out"
        "$CLI" cat --offset "$o" --length 4096 "$IMG" 2>/dev/null | cmp -s - "$WORK/ab" ||
            fail "$KEY: vhdx cat after $step at $o"
        if [[ $HAVE_PYVHDI == 1 ]]; then
            r=$("$PY" -c 'import pyvhdi,sys; f=pyvhdi.file(); f.open(sys.argv[1]); f.seek_offset(int(sys.argv[2]), 0); print(f.read_buffer(4096) == b"\xab" * 4096)' "$IMG" "$o")
            [[ $r == True ]] || fail "$KEY: libvhdi after $step at $o: $r"
        fi
    done
    [[ $(qemu-img info --output=json "$IMG" | grep -o '"virtual-size": [0-9]*') == '"virtual-size": 138512695296' ]] ||
        fail "$KEY: qemu-img virtual size after $step"
done
[[ $FAILS == 0 ]] && echo "ok   $KEY"

# fixed: grow, discard (zero bytes, blocks stay allocated), shrink, compact
mk fixed --type fixed --block-size 1M 4M
w 100 2000000 5
op 0 resize "$IMG" 6M; truncate -s 6M "$REF"; w 5242880 1048576 6; cross
op 0 discard "$IMG" 1M 1M; z 1048576 1048576; cross
op 0 resize --shrink --allow-data-loss "$IMG" 3M; truncate -s 3M "$REF"; cross
op 0 compact "$IMG"; cross
op 2 compact --zeroes "$IMG"
[[ $FAILS == 0 ]] && echo "ok   $KEY"

# differencing: grow past the parent (reads zeros, not the parent), discard hides the parent
mk par --type dynamic --block-size 1M 5M
w 0 5242880 7
PAR=$IMG; PREF=$REF
IMG="$WORK/child.vhdx"; REF="$WORK/child.ref"; KEY="m:child"
"$CLI" create --type differencing --parent "$PAR" "$IMG" >/dev/null || fail "$KEY: create"
cp "$PREF" "$REF"; PYV_PARENT=$PAR
w 300000 1000000 8
op 0 resize "$IMG" 7M; truncate -s 7M "$REF"; cross noqemu
op 0 discard "$IMG" 2M 2M; z 2097152 2097152; cross noqemu
op 0 compact --zeroes "$IMG"; cross noqemu
op 1 resize --shrink "$IMG" 1M
[[ $FAILS == 0 ]] && echo "ok   $KEY"

# usage errors
op 1 discard "$IMG"
op 1 discard "$IMG" 0
op 1 discard --all "$IMG" 0
op 1 resize "$IMG"
op 1 resize "$IMG" 12Q
op 1 compact
op 1 discard "$IMG" 6M 2M
[[ $FAILS == 0 ]] || { echo "$FAILS failure(s)"; exit 1; }
echo "all passed"
