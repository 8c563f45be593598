#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx replay: dirty logs replayed in place give the catalogue's post-replay content, the log
# is clean afterwards (qemu-img check agrees), clean images are not modified.
. "$(dirname "$0")/cli_common.sh"
need_images

qcheck() {
    if need_prog qemu-img; then
        if qemu-img check -f vhdx "$1" >"$T/.q" 2>&1; then ok; else fail "qemu-img check $1: $(cat "$T/.q")"; fi
    fi
}

DIRTY=$(extract_rw qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2)
if need_prog qemu-img; then
    if qemu-img check -f vhdx "$DIRTY" >/dev/null 2>&1; then fail "qemu-img accepts the dirty image before replay"; else ok; fi
fi
run 0 "$CLI" replay "$DIRTY"
expect_eq "dirtylog replay message" "$OUT" "$DIRTY: replayed 1 log entry"
run 0 "$CLI" info --json "$DIRTY"
expect_match "dirtylog clean after replay" "$OUT" '*"log": {"dirty": false, "replayed": "no", "entries_replayed": 0, "replay_range_count": 0, "replay_ranges": []}*'
expect_match "dirtylog 18 blocks after replay" "$OUT" '*"FULLY_PRESENT": 18*'
expect_eq "dirtylog data after replay" "$("$CLI" cat --length 18M "$DIRTY" | hash_stdin)" \
    "$(head -c 18M /dev/zero | tr '\0' '\245' | hash_stdin)"
qcheck "$DIRTY"
after=$(sha "$DIRTY")
run 0 "$CLI" replay "$DIRTY"
expect_eq "second replay" "$OUT" "$DIRTY: log is clean: 0 entries replayed"
expect_eq "second replay does not modify" "$(sha "$DIRTY")" "$after"

LR=$(extract_rw discutils-ltrdata_vhdx-log-replay.vhdx.gz)
run 0 "$CLI" replay "$LR"
expect_match "log-replay message" "$OUT" "$LR: replayed [0-9]* log entr*"
run 0 "$CLI" info "$LR"
expect_match "log-replay clean" "$OUT" "*
log: clean*"
expect_eq "log-replay content" "$("$CLI" cat "$LR" | hash_stdin)" \
    3ba3b309425b7ff5e8e0199edceed95226250f880c53b24e8eae93865f3fad5e
qcheck "$LR"
if need_prog qemu-img; then
    qemu-img convert -f vhdx -O raw "$LR" "$T/lr.raw" 2>/dev/null && ok || fail "qemu-img convert after replay"
    expect_eq "qemu-img reads the replayed image" "$(sha "$T/lr.raw")" 3ba3b309425b7ff5e8e0199edceed95226250f880c53b24e8eae93865f3fad5e
    rm -f "$T/lr.raw"
fi

# clean image: nothing replayed, file byte-identical (no header update)
FIX=$(extract_rw dissect-hypervisor_fixed.vhdx.gz)
before=$(sha "$FIX")
run 0 "$CLI" replay "$FIX"
expect_eq "clean replay message" "$OUT" "$FIX: log is clean: 0 entries replayed"
expect_eq "clean image not modified" "$(sha "$FIX")" "$before"

# failures
run 1 "$CLI" replay "$T/none.vhdx"
expect_match "missing image" "$ERR" "vhdx: $T/none.vhdx: *"
head -c 2M /dev/zero >"$T/zero.img"
run 2 "$CLI" replay "$T/zero.img"
expect_match "invalid image" "$ERR" "vhdx: $T/zero.img: R4 \[MS-VHDX 2.2.1\] at offset 0x0: *"

finish
