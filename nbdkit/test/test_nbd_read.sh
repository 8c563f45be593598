#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest-labels: images
# nbdkit-vhdx-plugin serving the 14 real images: nbdcopy of the served disk equals
# `vhdx cat` (byte for byte with cmp up to 256 MiB; beyond, through `vhdx compare --strict`,
# which reads the image as cat does and skips only ranges that read as zeros on both sides),
# and `nbdinfo --map` equals `vhdx map` extent for extent. The two images with a dirty log
# are served read-only (log replayed in memory, file untouched) and writable on a copy
# (replayed in place first); the differencing image over a zero parent given by parent=.
. "$(dirname "$0")/nbd_common.sh"
need_images

# check_served IMAGE [PLUGIN_ARGS...]: serve, copy, map; compare with the CLI
check_served() {
    local img=$1 name size; shift
    name=$(basename "$img")
    size=$("$CLI" info --json "${CATARGS[@]}" "$img" | sed -n 's/^ *"virtual_size": \([0-9]*\),$/\1/p')
    rm -f "$T/out.raw" "$T/nbd.map"
    if nbdkit_serve 'nbdcopy "$uri" '"$T/out.raw"' && nbdinfo --map --json "$uri" >'"$T/nbd.map" \
        file="$img" "$@"; then ok
    else fail "$name: nbdkit $*: $(cat "$T/nbdkit.log")"; return; fi
    expect_eq "$name: copy size" "$(stat -c %s "$T/out.raw")" "$size"
    if [ "$size" -le $((256 << 20)) ]; then
        if cmp -s <("$CLI" cat "${CATARGS[@]}" "$img") "$T/out.raw"; then ok
        else fail "$name: nbdcopy differs from vhdx cat"; fi
    else
        run 0 "$CLI" compare --strict "${CATARGS[@]}" "$img" "$T/out.raw"
        expect_eq "$name: nbdcopy equals the disk" "$OUT" "Images are identical."
    fi
    "$CLI" map --json "${CATARGS[@]}" "$img" >"$T/vhdx.map" || fail "$name: vhdx map"
    expect_eq "$name: nbdinfo --map equals vhdx map" "$(map_equal "$T/nbd.map" "$T/vhdx.map")" ""
    rm -f "$T/out.raw"
}

CATARGS=()
for n in $CLEAN_IMAGES; do
    check_served "$(extract "$n")" -r
done

# dirty logs: read-only leaves the file untouched; writable replays in place on a copy
for n in discutils-ltrdata_vhdx-log-replay.vhdx.gz qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2; do
    img=$(extract "$n")
    before=$(sha "$img")
    check_served "$img" -r
    expect_eq "$n: read-only serve leaves the file untouched" "$(sha "$img")" "$before"
    rw=$(extract_rw "$n")
    check_served "$rw"
    run 0 "$CLI" info --json "$rw"
    expect_match "$n: log replayed in place by the writable serve" "$OUT" '*"dirty": false*'
    rm -f "$rw"
done
# differencing: its parent is missing; over an all-zero parent of the right size the
# linkage (R105) does not hold: refused unless ignore-linkage=true
DIFF=$(extract dissect-hypervisor_differencing.avhdx.gz)
run 0 "$CLI" create --type dynamic --block-size 2M "$T/zp.vhdx" 8G
run 1 nbdkit_serve true -r file="$DIFF"
expect_match "differencing without its parent" "$(cat "$T/nbdkit.log")" "*parent image not found*"
run 1 nbdkit_serve true -r file="$DIFF" parent="$T/zp.vhdx"
expect_match "differencing: linkage enforced" "$(cat "$T/nbdkit.log")" "*R105 \[MS-VHDX 2.6.2.6.3\]*"
CATARGS=(--parent "$T/zp.vhdx" --parent-ignore-linkage)
check_served "$DIFF" -r parent="$T/zp.vhdx" ignore-linkage=true
finish
