#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# SIGKILL of nbdkit in the middle of a write load: random 4 KiB writes (new blocks
# allocated through the journal, rewrites of allocated ones in place) with flushes between.
# The image then opens (read-only, log replayed in memory) and every 4 KiB unit reads
# either its old bytes or the bytes of one write the client sent to it; after an in-place
# replay `vhdx check` and `qemu-img check` are clean.
. "$(dirname "$0")/nbd_common.sh"
SOCK="$T/s.sock"
IMG="$T/d.vhdx"
run 0 "$CLI" create --type dynamic --block-size 1M "$IMG" 16M
head -c 8M /dev/zero | tr '\0' '\021' >"$T/old"
run 0 "$CLI" write "$IMG" 0 "$T/old"

nbdkit_start "$SOCK" file="$IMG" || finish
# the writer logs "unit value" before each write is sent, so the log holds every write
# that may have reached the image
"$NBD_PY" - "nbd+unix:///?socket=$SOCK" "$T/writes.log" <<'PY' 2>/dev/null &
import random, sys
import nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
log = open(sys.argv[2], "w", buffering=1)
rng = random.Random(13)
k = 0
while True:
    k += 1
    unit, value = rng.randrange(4096), 1 + k % 250
    log.write("%d %d\n" % (unit, value))
    log.flush()
    h.pwrite(bytes([value]) * 4096, unit * 4096)
    if k % 64 == 0:
        h.flush()
PY
WRITER=$!
for i in $(seq 200); do
    [ -f "$T/writes.log" ] && [ "$(wc -l <"$T/writes.log")" -ge 1500 ] && break
    sleep 0.05
done
kill -KILL "$NBDKIT_PID"
wait "$NBDKIT_PID" 2>/dev/null
wait "$WRITER" 2>/dev/null
n=$(wc -l <"$T/writes.log")
[ "$n" -ge 100 ] && ok || fail "only $n writes before the kill"

# the kill left the log dirty (the journal session of the open had allocated blocks)
run 0 "$CLI" info --json "$IMG"
expect_match "dirty log after the kill" "$OUT" '*"log": {"dirty": true,*'
"$CLI" cat "$IMG" >"$T/after.raw" || fail "cat after the kill"
expect_eq "every unit old or one write's bytes" "$(python3 - "$T/after.raw" "$T/writes.log" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
allowed = [{0x11 if u < 2048 else 0} for u in range(4096)]
for line in open(sys.argv[2]):
    parts = line.split()
    if len(parts) == 2:
        allowed[int(parts[0])].add(int(parts[1]))
bad = []
for u in range(4096):
    unit = data[u * 4096:(u + 1) * 4096]
    if unit != bytes([unit[0]]) * 4096 or unit[0] not in allowed[u]:
        bad.append(u)
print("bad units: %s" % bad[:10] if bad else "ok")
PY
)" ok
cp "$IMG" "$T/r.vhdx"
run 0 "$CLI" replay "$T/r.vhdx"
run 0 "$CLI" check "$T/r.vhdx"
if need_prog qemu-img; then
    run 0 qemu-img check -f vhdx "$T/r.vhdx"
fi
run 0 "$CLI" compare --strict "$T/r.vhdx" "$T/after.raw"
expect_eq "replayed in place: same disk" "$OUT" "Images are identical."
finish
