#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Writes through nbdkit-vhdx-plugin: qemu-io -f raw nbd+unix://... (write, write -z,
# discard) and nbdsh (pwrite, zero, fast zero, trim, flush, FUA, a second connection;
# nbd_ops.py), into a dynamic, a fixed and a differencing image. Afterwards `vhdx check` and
# `qemu-img check` are clean and the disk equals a raw reference model of the same writes,
# and the map equals `vhdx map`. Errors reach the client as EIO with the rule and offset in
# nbdkit's log; a read-only export refuses writes.
. "$(dirname "$0")/nbd_common.sh"
if ! need_prog qemu-io || ! need_prog qemu-img; then
    echo "SKIP: qemu-io/qemu-img not installed (qemu-utils)" >&2
    exit 77
fi
OPS="$(dirname "$0")/nbd_ops.py"
M=1048576

# ops IMAGE MODEL FIXED: the writes, through one nbdkit
ops() {
    local img=$1 model=$2 fixed=$3
    local qio='qemu-io -f raw -c "write -P 0x5a 512K 8K" -c "write -z 6M 1M" -c "discard 7M 1M" -c flush "$uri" >/dev/null'
    if MODEL=$model BS=$M FIXED=$fixed nbdkit_serve \
        "$qio"' && URI="$uri" nbdsh -u "$uri" -c "exec(open(\"'"$OPS"'\").read())"' file="$img"; then ok
    else fail "$img: writes: $(cat "$T/nbdkit.log")"; fi
}

# verify IMAGE MODEL QEMU: clean checks, bytes and map
verify() {
    local img=$1 model=$2
    run 0 "$CLI" check "$img"
    if [ "$3" = 1 ]; then
        run 0 qemu-img check -f vhdx "$img"
        expect_match "$img: qemu-img check" "$OUT" "*No errors were found on the image.*"
    fi
    run 0 "$CLI" compare --strict "$img" "$model"
    expect_eq "$img: disk equals the reference model" "$OUT" "Images are identical."
    nbdkit_serve 'nbdinfo --map --json "$uri" >'"$T/nbd.map" -r file="$img" || fail "$img: map"
    "$CLI" map --json "$img" >"$T/vhdx.map" || fail "$img: vhdx map"
    expect_eq "$img: nbdinfo --map equals vhdx map" "$(map_equal "$T/nbd.map" "$T/vhdx.map")" ""
}

# dynamic: fast zero leaves whole blocks ZERO, trim UNMAPPED (no data written; block 7, discarded
# by qemu-io, holds the last sector written afterwards)
run 0 "$CLI" create --type dynamic --block-size 1M "$T/d.vhdx" 8M
truncate -s 8M "$T/d.raw"
ops "$T/d.vhdx" "$T/d.raw" 0
verify "$T/d.vhdx" "$T/d.raw" 1
run 0 "$CLI" map --json "$T/d.vhdx"
expect_eq "dynamic: zeroed blocks are ZERO, trimmed ones UNMAPPED" \
    "$(printf '%s' "$OUT" | python3 -c '
import json, sys
print(" ".join("%s:%d+%d" % (e["state"], e["start"] >> 20, e["length"] >> 20)
               for e in json.load(sys.stdin) if e["state"] in ("zero", "unmapped")))')" "zero:3+1 unmapped:4+1 zero:6+1"

# fixed: blocks stay allocated, trim changes nothing
run 0 "$CLI" create --type fixed --block-size 1M "$T/f.vhdx" 8M
truncate -s 8M "$T/f.raw"
ops "$T/f.vhdx" "$T/f.raw" 1
verify "$T/f.vhdx" "$T/f.raw" 1

# differencing over a parent with data: the model starts as the parent's disk
run 0 "$CLI" create --type dynamic --block-size 1M "$T/p.vhdx" 8M
head -c 8M /dev/zero | tr '\0' '\041' >"$T/fill"
run 0 "$CLI" write "$T/p.vhdx" 0 "$T/fill"
run 0 "$CLI" create --type differencing --block-size 1M --parent "$T/p.vhdx" "$T/c.vhdx"
cp "$T/fill" "$T/c.raw"
ops "$T/c.vhdx" "$T/c.raw" 0
verify "$T/c.vhdx" "$T/c.raw" 0
expect_eq "differencing: the parent is unchanged" "$("$CLI" cat "$T/p.vhdx" | hash_stdin)" "$(sha "$T/fill")"

# a read-only export (nbdkit -r) refuses writes before they reach the plugin
nbdkit_serve 'nbdsh -u "$uri" -c "
assert h.is_read_only()
try:
    h.pwrite(b\"x\", 0)
    raise SystemExit(\"write accepted\")
except nbd.Error as e:
    print(\"refused\")" >'"$T/ro.out" -r file="$T/d.vhdx" || fail "read-only export: $(cat "$T/nbdkit.log")"
expect_eq "read-only export refuses writes" "$(cat "$T/ro.out")" "refused"

# an I/O error (the file cut short under the server) reaches the client as EIO; nbdkit's
# log names the file, the offset and the library's status
cp "$T/d.vhdx" "$T/cut.vhdx"
nbdkit_serve 'nbdsh -u "$uri" -c "
import errno, subprocess
subprocess.run([\"truncate\", \"-s\", \"4M\", \"'"$T/cut.vhdx"'\"], check=True)
try:
    h.pread(4096, 2 * 1048576)
    raise SystemExit(\"read succeeded\")
except nbd.Error as e:
    print(errno.errorcode[e.errnum])" >'"$T/eio.out" file="$T/cut.vhdx" || fail "EIO: $(cat "$T/nbdkit.log")"
expect_eq "I/O error: EIO" "$(cat "$T/eio.out")" "EIO"
expect_match "I/O error: logged with offset and status" "$(cat "$T/nbdkit.log")" \
    "*vhdx\[1\]: error: read: $T/cut.vhdx: D1 \[MS-VHDX 2.1\] at offset 0x600000: structure extends past the end of the file (VHDX_E_IO_EOF)*"
finish
