#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx cat: whole-disk SHA-256 against ../shared/images/CATALOGUE.md, exact slices, range
# errors, dirty logs replayed in memory with the file untouched.
. "$(dirname "$0")/cli_common.sh"
need_images

catsha() { # catsha IMAGE [args] -> sha256 of cat output; checks exit 0
    local img=$1; shift
    "$CLI" cat "$@" "$img" 2>"$T/.caterr" | hash_stdin
    local rc=${PIPESTATUS[0]}
    if [ "$rc" != 0 ]; then fail "cat $* $img exited $rc: $(cat "$T/.caterr")"; fi
}
pattern() { # pattern BYTE_OCTAL COUNT -> sha256
    head -c "$2" /dev/zero | tr '\0' "\\$1" | hash_stdin
}

while read -r name want; do
    p=$(extract "$name")
    expect_eq "cat $name" "$(catsha "$p")" "$want"
done <<'LIST'
dissect-hypervisor_fixed.vhdx.gz bc0be4623b15aa84216fb31ba24e3b621ec7f1c72d198c990ac0eced222d9f62
dissect-hypervisor_dynamic.vhdx.gz 8e2b5e9265d694b42b81819e3bff29770eff4ed0f4f9f311693ff3dbdc93efac
velociraptor_test.vhdx.zip 762ca4030df6cf834f5121ed2ecf52fe6cfd3294673406867ef94b9e0990143e
qemu-iotests_test-disk2vhd.vhdx.bz2 96d964042be9b58dda1725567abfb0cf9fd8380e2118754afa979c2ad445938a
coreos-hyperv_config2_base.vhdx.bz2 afce9cca367ebfa91a673d612bcb6fc32b12a80211207f7a7b1cd3aed3cac19d
qemu-iotests_iotest-dynamic-1G.vhdx.bz2 d3d112d8dab7fd360609f7d5a7b769904b7a2a7d7b6b8c535f65a23293c05478
LIST

# slices of iotest-dynamic-1G: 0xA5 over 0-33 MiB, 0x96 over 33-66 MiB, zeros after
D1G=$(extract qemu-iotests_iotest-dynamic-1G.vhdx.bz2)
expect_eq "slice across 0xA5/0x96" "$(catsha "$D1G" --offset $((33 * 1048576 - 512)) --length 1024)" \
    "$( (head -c 512 /dev/zero | tr '\0' '\245'; head -c 512 /dev/zero | tr '\0' '\226') | hash_stdin)"
expect_eq "slice 0x96 to zeros (unaligned)" "$(catsha "$D1G" --offset=$((66 * 1048576 - 3)) --length=7)" \
    "$( (printf '\226\226\226'; head -c 4 /dev/zero) | hash_stdin)"
expect_eq "hex offset, suffix length" "$(catsha "$D1G" --offset 0x100000 --length 1M)" "$(pattern 245 1048576)"
expect_eq "tail of the disk" "$(catsha "$D1G" --offset 1023M)" "$(head -c 1M /dev/zero | hash_stdin)"
run 0 "$CLI" cat --offset 1G "$D1G"
expect_eq "offset == size gives nothing" "$OUT" ""
run 0 "$CLI" cat --offset 4096 --length 0 "$D1G"
expect_eq "length 0 gives nothing" "$OUT" ""
run 1 "$CLI" cat --offset 1073741825 "$D1G"
expect_eq "offset past the end" "$ERR" "vhdx: $D1G: --offset 1073741825 is past the end of the virtual disk (1073741824 bytes)"
expect_eq "offset past the end: no output" "$OUT" ""
run 1 "$CLI" cat --offset 1G --length 1 "$D1G"
expect_eq "length past the end" "$ERR" "vhdx: $D1G: --offset 1073741824 --length 1 extends past the end of the virtual disk (1073741824 bytes)"
run 1 "$CLI" cat --offset 1 --length 18446744073709551615 "$D1G"
expect_match "huge length" "$ERR" "*extends past the end of the virtual disk*"

# dirty logs: read-only cat replays in memory, the file stays byte-identical
LR=$(extract discutils-ltrdata_vhdx-log-replay.vhdx.gz)
before=$(sha "$LR")
expect_eq "cat log-replay (replayed in memory)" "$(catsha "$LR")" \
    3ba3b309425b7ff5e8e0199edceed95226250f880c53b24e8eae93865f3fad5e
expect_eq "log-replay file untouched" "$(sha "$LR")" "$before"
DIRTY=$(extract qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2)
before=$(sha "$DIRTY")
expect_eq "dirtylog: 18 MiB of 0xA5 after replay" "$(catsha "$DIRTY" --length 18M)" "$(pattern 245 18874368)"
expect_eq "dirtylog: the 18th MiB (replayed BAT entry)" "$(catsha "$DIRTY" --offset 17M --length 2M)" \
    "$( (head -c 1M /dev/zero | tr '\0' '\245'; head -c 1M /dev/zero) | hash_stdin)"
expect_eq "dirtylog: last MiB zero" "$(catsha "$DIRTY" --offset 10239M)" "$(head -c 1M /dev/zero | hash_stdin)"
expect_eq "dirtylog file untouched" "$(sha "$DIRTY")" "$before"

# differencing: parent missing -> error naming the parent; linkage enforced
DIFF=$(extract dissect-hypervisor_differencing.avhdx.gz)
run 1 "$CLI" cat --length 512 "$DIFF"
expect_match "missing parent" "$ERR" "vhdx: $DIFF: *parent image not found*"
expect_eq "missing parent: no output" "$OUT" ""
run 0 "$CLI" create --type dynamic --block-size 2M "$T/zero-parent.vhdx" 8G
run 2 "$CLI" cat --length 512 --parent "$T/zero-parent.vhdx" "$DIFF"
expect_match "linkage mismatch" "$ERR" "vhdx: $DIFF: R105 \[MS-VHDX 2.6.2.6.3\]*parent DataWriteGuid matches neither parent_linkage nor parent_linkage2*"
if "$CLI" cat --length 1M --parent "$T/zero-parent.vhdx" --parent-ignore-linkage "$DIFF" >/dev/null; then ok; else fail "cat with --parent-ignore-linkage"; fi

# truncated image: error names rule and offset, no crash
FIX=$(extract dissect-hypervisor_fixed.vhdx.gz)
head -c 5M "$FIX" >"$T/trunc.vhdx"
run 2 "$CLI" cat "$T/trunc.vhdx"
expect_match "truncated image" "$ERR" "vhdx: $T/trunc.vhdx: *at offset 0x*"

finish
