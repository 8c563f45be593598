#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx write: bytes land exactly (read back with cat, and with qemu-img when installed),
# nothing is written on usage errors, failures name rule and offset.
. "$(dirname "$0")/cli_common.sh"

shacat() { "$CLI" cat "$@" | hash_stdin; }
qcheck() {
    if need_prog qemu-img; then
        if qemu-img check -f vhdx "$1" >"$T/.q" 2>&1; then ok; else fail "qemu-img check $1: $(cat "$T/.q")"; fi
    fi
}
python3 -c 'import sys; sys.stdout.buffer.write(bytes((i * 7 + 3) & 255 for i in range(3 * 1048576 + 1234)))' >"$T/data"
DATA_SHA=$(sha "$T/data")
DLEN=$(stat -c %s "$T/data")

run 0 "$CLI" create --type dynamic --block-size 1M "$T/d.vhdx" 64M
run 0 "$CLI" write "$T/d.vhdx" 1000 "$T/data"
expect_eq "write message" "$OUT" "wrote $DLEN bytes at offset 1000"
expect_eq "read back (unaligned, across blocks)" "$(shacat --offset 1000 --length "$DLEN" "$T/d.vhdx")" "$DATA_SHA"
expect_eq "bytes before untouched" "$(shacat --length 1000 "$T/d.vhdx")" "$(head -c 1000 /dev/zero | hash_stdin)"
# from stdin (a pipe), overlapping the first write
head -c 5000 /dev/zero | tr '\0' '\377' | "$CLI" write "$T/d.vhdx" 0x200 - >"$T/.o" 2>"$T/.e"
expect_eq "stdin write exit" "$?" 0
expect_eq "stdin write message" "$(cat "$T/.o")" "wrote 5000 bytes at offset 512"
python3 - "$T/data" >"$T/expect" <<'PY'
import sys
d = bytearray(64 << 20)
src = open(sys.argv[1], 'rb').read()
d[1000:1000 + len(src)] = src
d[512:5512] = b'\xff' * 5000
sys.stdout.buffer.write(d)
PY
expect_eq "whole disk after two writes" "$(shacat "$T/d.vhdx")" "$(sha "$T/expect")"
run 0 "$CLI" info --json "$T/d.vhdx"
expect_match "4 blocks allocated" "$OUT" '*"FULLY_PRESENT": 4*'
qcheck "$T/d.vhdx"
if need_prog qemu-img; then
    qemu-img convert -f vhdx -O raw "$T/d.vhdx" "$T/q.raw" 2>"$T/.q" && ok || fail "qemu-img convert: $(cat "$T/.q")"
    expect_eq "qemu-img reads our writes" "$(sha "$T/q.raw")" "$(sha "$T/expect")"
    rm -f "$T/q.raw"
fi

# up to the last byte works; one past is a usage error and nothing is written
run 0 "$CLI" write "$T/d.vhdx" $((64 * 1048576 - DLEN)) "$T/data"
before=$(sha "$T/d.vhdx")
run 1 "$CLI" write "$T/d.vhdx" $((64 * 1048576 - DLEN + 1)) "$T/data"
expect_eq "past the end" "$ERR" "vhdx: $T/d.vhdx: $T/data ($DLEN bytes) extends past the end of the virtual disk (67108864 bytes) when written at offset $((64 * 1048576 - DLEN + 1))"
expect_eq "past the end: file untouched" "$(sha "$T/d.vhdx")" "$before"
head -c 2M /dev/zero | "$CLI" write "$T/d.vhdx" 63M - >/dev/null 2>"$T/.e"
expect_eq "stdin past the end exit" "$?" 1
expect_eq "stdin past the end message" "$(cat "$T/.e")" "vhdx: $T/d.vhdx: standard input extends past the end of the virtual disk (67108864 bytes) when written at offset 66060288"
expect_eq "stdin past the end: file untouched" "$(sha "$T/d.vhdx")" "$before"
run 1 "$CLI" write "$T/d.vhdx" 65M "$T/data"
expect_eq "offset past the end" "$ERR" "vhdx: $T/d.vhdx: OFFSET 68157440 is past the end of the virtual disk (67108864 bytes)"
run 1 "$CLI" write "$T/d.vhdx" 0 "$T/no-such-file"
expect_eq "missing input" "$ERR" "vhdx: $T/no-such-file: No such file or directory"
expect_eq "usage errors: file untouched" "$(sha "$T/d.vhdx")" "$before"
: >"$T/empty"
run 0 "$CLI" write "$T/d.vhdx" 64M "$T/empty"
expect_eq "empty write" "$OUT" "wrote 0 bytes at offset 67108864"

# an I/O failure in the middle of a write (file size limit during block allocation): exit 1
# (an I/O error, not a rule violation), errno's text,
# message with the offset, and the image still opens clean and checks clean
run 0 "$CLI" create --type dynamic --block-size 1M "$T/lim.vhdx" 64M
lsz=$(stat -c %s "$T/lim.vhdx")
( trap '' XFSZ; ulimit -f $(( (lsz + 1048576) / 1024 )); "$CLI" write "$T/lim.vhdx" 0 "$T/data" ) >"$T/.o" 2>"$T/.e"
expect_eq "write hitting the size limit: exit" "$?" 1
expect_match "write hitting the size limit: message" "$(cat "$T/.e")" "vhdx: $T/lim.vhdx: at offset 0x*: I/O error*: File too large (VHDX_E_IO)"
run 0 "$CLI" info --json "$T/lim.vhdx"
expect_match "image still opens clean" "$OUT" '*"dirty": false*'
qcheck "$T/lim.vhdx"
run 0 "$CLI" write "$T/lim.vhdx" 0 "$T/data"
expect_eq "write after the failure" "$(shacat --length "$DLEN" "$T/lim.vhdx")" "$DATA_SHA"

# 4096-byte logical sectors, unaligned write; 10 GiB disk: writes past 4 GiB (second chunk)
run 0 "$CLI" create --type dynamic --logical-sector 4096 --block-size 1M "$T/4k.vhdx" 10G
printf 'hello, sector' >"$T/hello"
run 0 "$CLI" write "$T/4k.vhdx" $((5 * 1073741824 + 4093)) "$T/hello"
expect_eq "4k read back" "$("$CLI" cat --offset $((5 * 1073741824 + 4093)) --length 13 "$T/4k.vhdx")" "hello, sector"
run 0 "$CLI" write "$T/4k.vhdx" $((10 * 1073741824 - 13)) "$T/hello"
expect_eq "last bytes" "$("$CLI" cat --offset $((10 * 1073741824 - 13)) "$T/4k.vhdx")" "hello, sector"
run 0 "$CLI" info --json "$T/4k.vhdx"
expect_match "2 blocks allocated" "$OUT" '*"FULLY_PRESENT": 2*'

# fixed image: written in place
run 0 "$CLI" create --type fixed --block-size 1M "$T/f.vhdx" 8M
fsz=$(stat -c %s "$T/f.vhdx")
run 0 "$CLI" write "$T/f.vhdx" 1M "$T/data"
expect_eq "fixed read back" "$(shacat --offset 1M --length "$DLEN" "$T/f.vhdx")" "$DATA_SHA"
expect_eq "fixed file does not grow" "$(stat -c %s "$T/f.vhdx")" "$fsz"
qcheck "$T/f.vhdx"

# differencing child: the parent is never written
run 0 "$CLI" create --type dynamic --block-size 1M "$T/p.vhdx" 16M
run 0 "$CLI" write "$T/p.vhdx" 0 "$T/data"
run 0 "$CLI" create --type differencing --parent "$T/p.vhdx" "$T/c.vhdx"
psha=$(sha "$T/p.vhdx")
run 0 "$CLI" write "$T/c.vhdx" 4097 "$T/hello"
expect_eq "parent untouched" "$(sha "$T/p.vhdx")" "$psha"
python3 - "$T/data" >"$T/expect2" <<'PY'
import sys
d = bytearray(16 << 20)
src = open(sys.argv[1], 'rb').read()
d[0:len(src)] = src
d[4097:4110] = b'hello, sector'
sys.stdout.buffer.write(d)
PY
expect_eq "child = parent + write" "$(shacat "$T/c.vhdx")" "$(sha "$T/expect2")"
expect_eq "parent content unchanged" "$(shacat --length "$DLEN" "$T/p.vhdx")" "$DATA_SHA"

# a dirty image is replayed on the read-write open, then written
if [ -d "$IMAGES" ]; then
    LR=$(extract_rw discutils-ltrdata_vhdx-log-replay.vhdx.gz)
    run 0 "$CLI" write "$LR" 0x30000000 "$T/hello"
    run 0 "$CLI" info --json "$LR"
    expect_match "log clean after write" "$OUT" '*"dirty": false*'
    expect_eq "write after replay" "$("$CLI" cat --offset 0x30000000 --length 13 "$LR")" "hello, sector"
    # the replayed content (the MBR) is still there: first 512 bytes as after replay
    expect_eq "replayed content kept" "$("$CLI" cat --length 2 --offset 510 "$LR" | od -An -tx1 | tr -d ' \n')" "55aa"
    qcheck "$LR"
    # invalid image: exit 2, rule and offset named
    head -c 2M /dev/zero >"$T/zero.img"
    run 2 "$CLI" write "$T/zero.img" 0 "$T/hello"
    expect_eq "invalid image" "$ERR" "vhdx: $T/zero.img: R4 [MS-VHDX 2.2.1] at offset 0x0: file type identifier signature is not \"vhdxfile\" (fileid.Signature) (VHDX_E_FILEID_SIGNATURE)"
fi

finish
