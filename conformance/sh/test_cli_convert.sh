#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx convert: exact SHA-256 of the raw output, sparseness (holes, not zeros), atomic
# output (temp file + rename), no output file left on failure.
. "$(dirname "$0")/cli_common.sh"
need_images

alloc() { echo $(( $(stat -c %b "$1") * $(stat -c %B "$1") )); }
no_tmp() { # no_tmp DIR
    local n
    n=$(find "$1" -maxdepth 1 -name '*.tmp-*' | wc -l)
    expect_eq "no temporary files left in $1" "$n" "0"
}

FIX=$(extract_rw dissect-hypervisor_fixed.vhdx.gz)
run 0 "$CLI" convert "$FIX" "$T/fixed.raw"
expect_eq "convert fixed: no output" "$OUT$ERR" ""
expect_eq "fixed.raw size" "$(stat -c %s "$T/fixed.raw")" 10485760
expect_eq "fixed.raw sha256" "$(sha "$T/fixed.raw")" bc0be4623b15aa84216fb31ba24e3b621ec7f1c72d198c990ac0eced222d9f62
no_tmp "$T"
um=$(umask)
expect_eq "output mode follows umask" "$(stat -c %a "$T/fixed.raw")" "$(printf '%o' $(( 0666 & ~0$um )))"

# an existing output is replaced
echo "old content" >"$T/fixed2.raw"
run 0 "$CLI" convert "$FIX" "$T/fixed2.raw"
expect_eq "existing output replaced" "$(sha "$T/fixed2.raw")" bc0be4623b15aa84216fb31ba24e3b621ec7f1c72d198c990ac0eced222d9f62

# 1 GiB dynamic with 3 FULLY_PRESENT (66 MiB of data) and 29 ZERO blocks: holes for the rest
D1G=$(extract qemu-iotests_iotest-dynamic-1G.vhdx.bz2)
run 0 "$CLI" convert "$D1G" "$T/d1g.raw"
expect_eq "d1g.raw size" "$(stat -c %s "$T/d1g.raw")" 1073741824
expect_eq "d1g.raw sha256" "$(sha "$T/d1g.raw")" d3d112d8dab7fd360609f7d5a7b769904b7a2a7d7b6b8c535f65a23293c05478
a=$(alloc "$T/d1g.raw")
if [ "$a" -le $((66 * 1048576 + 1048576)) ] && [ "$a" -ge $((66 * 1048576)) ]; then ok; else fail "d1g.raw allocates $a bytes (want ~66 MiB: holes elsewhere)"; fi
rm -f "$T/d1g.raw"

# a freshly created fixed image: fully allocated but all zero -> an all-hole raw file
run 0 "$CLI" create --type fixed "$T/fix256.vhdx" 256M
run 0 "$CLI" convert "$T/fix256.vhdx" "$T/fix256.raw"
expect_eq "fix256.raw size" "$(stat -c %s "$T/fix256.raw")" 268435456
a=$(alloc "$T/fix256.raw")
if [ "$a" -le 65536 ]; then ok; else fail "fix256.raw allocates $a bytes (want holes only)"; fi
rm -f "$T/fix256.raw" "$T/fix256.vhdx"

# dirty log: replayed in memory, the image untouched
LR=$(extract discutils-ltrdata_vhdx-log-replay.vhdx.gz)
before=$(sha "$LR")
run 0 "$CLI" convert "$LR" "$T/lr.raw"
expect_eq "log-replay raw sha256" "$(sha "$T/lr.raw")" 3ba3b309425b7ff5e8e0199edceed95226250f880c53b24e8eae93865f3fad5e
expect_eq "log-replay image untouched" "$(sha "$LR")" "$before"
rm -f "$T/lr.raw"

# differencing over an all-zero parent of the right size (linkage not enforced)
DIFF=$(extract dissect-hypervisor_differencing.avhdx.gz)
run 0 "$CLI" create --type dynamic --block-size 2M "$T/zp.vhdx" 8G
run 2 "$CLI" convert --parent "$T/zp.vhdx" "$DIFF" "$T/diff.raw"
expect_match "linkage enforced" "$ERR" "vhdx: $DIFF: R105 *"
[ ! -e "$T/diff.raw" ] && ok || fail "failed convert left diff.raw"
no_tmp "$T"
run 0 "$CLI" convert --parent "$T/zp.vhdx" --parent-ignore-linkage "$DIFF" "$T/diff.raw"
expect_eq "differencing raw size" "$(stat -c %s "$T/diff.raw")" 8589934592
# hashing 8 GiB costs ~10 s of CPU: only with VHDX_TEST_LARGE=1
if [ "${VHDX_TEST_LARGE:-0}" = 1 ]; then
    expect_eq "differencing over zero parent sha256" "$(sha "$T/diff.raw")" fc5c91bfd8f7ee388cf482dc7eb6cef64b39a7e1bd043516ee95887b839f2b78
else
    echo "note: 8 GiB hash of the differencing image skipped (set VHDX_TEST_LARGE=1)"
fi
a=$(alloc "$T/diff.raw")
if [ "$a" -le $((4 * 1048576)) ]; then ok; else fail "diff.raw allocates $a bytes (child holds 3,174,400)"; fi
rm -f "$T/diff.raw"

# failures: no output, no temp file
head -c 2M /dev/zero >"$T/notvhdx.bin"
run 2 "$CLI" convert -f vhdx "$T/notvhdx.bin" "$T/bad.raw"
expect_match "not a vhdx" "$ERR" "vhdx: $T/notvhdx.bin: R4 \[MS-VHDX 2.2.1\] at offset 0x0: *"
[ ! -e "$T/bad.raw" ] && ok || fail "failed convert left bad.raw"
no_tmp "$T"
run 1 "$CLI" convert "$FIX" "$T/no/such/dir/out.raw"
expect_eq "unwritable output" "$ERR" "vhdx: $T/no/such/dir/out.raw: cannot create: No such file or directory"
run 1 "$CLI" convert "$FIX" "$FIX"
expect_eq "output is the image" "$(head -1 <<<"$ERR")" "vhdx: convert: DST is SRC itself"
expect_eq "image intact" "$(sha "$FIX")" "$(gzip -dc "$IMAGES/dissect-hypervisor_fixed.vhdx.gz" | hash_stdin)"
if [ "$(id -u)" != 0 ]; then
    mkdir "$T/ro" && chmod 555 "$T/ro"
    run 1 "$CLI" convert "$FIX" "$T/ro/out.raw"
    [ ! -e "$T/ro/out.raw" ] && ok || fail "read-only dir got output"
fi
# failure after the temporary file exists (file size limit): it is removed
( trap '' XFSZ; ulimit -f 2048; "$CLI" convert "$FIX" "$T/limited.raw" ) >"$T/.out" 2>"$T/.err"
expect_eq "size-limited convert exit" "$?" 1
expect_eq "size-limited convert message (names the target)" "$(cat "$T/.err")" "vhdx: $T/limited.raw: write at offset 2097152: File too large"
[ ! -e "$T/limited.raw" ] && ok || fail "size-limited convert left limited.raw"
no_tmp "$T"
# worker threads (-m): the same bytes and holes whatever their number, and the same error
# (the write at the lowest offset that fails, as with one thread)
for m in 1 3 8; do
    run 0 "$CLI" convert -m "$m" "$FIX" "$T/fixed-m$m.raw"
    expect_eq "fixed.raw sha256 with -m $m" "$(sha "$T/fixed-m$m.raw")" bc0be4623b15aa84216fb31ba24e3b621ec7f1c72d198c990ac0eced222d9f62
    if [ "$m" = 3 ]; then # hashing 1 GiB costs a second or two: one thread count only
        run 0 "$CLI" convert --parallel "$m" "$D1G" "$T/d1g-m$m.raw"
        expect_eq "d1g.raw sha256 with -m $m" "$(sha "$T/d1g-m$m.raw")" d3d112d8dab7fd360609f7d5a7b769904b7a2a7d7b6b8c535f65a23293c05478
        a=$(alloc "$T/d1g-m$m.raw")
        if [ "$a" -le $((66 * 1048576 + 1048576)) ] && [ "$a" -ge $((66 * 1048576)) ]; then ok; else fail "d1g-m$m.raw allocates $a bytes (want ~66 MiB)"; fi
    fi
    rm -f "$T/fixed-m$m.raw" "$T/d1g-m$m.raw"
    ( trap '' XFSZ; ulimit -f 2048; "$CLI" convert -m "$m" "$FIX" "$T/limited.raw" ) >"$T/.out" 2>"$T/.err"
    expect_eq "size-limited convert -m $m exit" "$?" 1
    expect_eq "size-limited convert -m $m message" "$(cat "$T/.err")" "vhdx: $T/limited.raw: write at offset 2097152: File too large"
    [ ! -e "$T/limited.raw" ] && ok || fail "size-limited convert -m $m left limited.raw"
    no_tmp "$T"
done
run 1 "$CLI" convert -m 0 "$FIX" "$T/m0.raw"
expect_eq "-m 0 refused" "$(head -1 <<<"$ERR")" "vhdx: convert: -m must be 1..8, not '0'"
run 1 "$CLI" convert --parallel 9 "$FIX" "$T/m9.raw"
expect_eq "-m 9 refused" "$(head -1 <<<"$ERR")" "vhdx: convert: -m must be 1..8, not '9'"
[ ! -e "$T/m0.raw" ] && [ ! -e "$T/m9.raw" ] && ok || fail "refused -m left output"

finish
