#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A hostile environment (issue 17): concurrent writers and readers (OFD locks, -U),
# special files as inputs and outputs, hostile strings on the terminal, I/O failures.
. "$(dirname "$0")/cli_common.sh"

# hold_lock KIND FILE: a process holding the OFD locks of a vhdx reader or writer (KIND r or
# w) on FILE, in QEMU's image locking protocol (shared locks on byte 100 + i: uses
# permission i, 200 + i: does not share it; 0 read, 1 write, 3 resize), until $T/.release
# exists.
hold_lock() {
    rm -f "$T/.release" "$T/.held"
    python3 - "$1" "$2" "$T" <<'PY' &
import fcntl, os, struct, sys, time
kind, path, tdir = sys.argv[1:]
fd = os.open(path, os.O_RDWR if kind == 'w' else os.O_RDONLY)
# struct flock: l_type, l_whence (short), l_start, l_len (off_t), l_pid (int), padding
for off in ([100, 101, 103, 201, 203] if kind == 'w' else [100, 201, 203]):
    fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack('hhqqi4x', fcntl.F_RDLCK, 0, off, 1, 0))
open(os.path.join(tdir, '.held'), 'w').close()
while not os.path.exists(os.path.join(tdir, '.release')):
    time.sleep(0.02)
PY
    HOLDER=$!
    for _ in $(seq 200); do [ -f "$T/.held" ] && return 0; sleep 0.02; done
    fail "lock holder did not start"
}
release_lock() { touch "$T/.release"; wait "$HOLDER"; }

head -c 70000 /dev/urandom >"$T/data"
run 0 "$CLI" create --type dynamic --block-size 1M "$T/a.vhdx" 64M

# ---- 1. locking ----
LOCKED_MSG="vhdx: $T/a.vhdx: file is in use: locked by another open (a writer excludes every other open, a reader excludes writers): $T/a.vhdx (VHDX_E_LOCKED)"
hold_lock w "$T/a.vhdx"
before=$(sha "$T/a.vhdx")
run 1 "$CLI" write "$T/a.vhdx" 0 "$T/data"
expect_eq "second writer refused" "$ERR" "$LOCKED_MSG"
run 1 "$CLI" info "$T/a.vhdx"
expect_eq "reader refused while a writer holds it" "$ERR" "$LOCKED_MSG"
run 1 "$CLI" cat --length 512 "$T/a.vhdx"
run 0 "$CLI" info -U "$T/a.vhdx"
run 0 "$CLI" cat --force-share --length 512 "$T/a.vhdx"
run 0 "$CLI" check -U "$T/a.vhdx"
run 0 "$CLI" convert -U "$T/a.vhdx" "$T/a.raw"
expect_eq "refused writer changed nothing" "$(sha "$T/a.vhdx")" "$before"
release_lock
hold_lock r "$T/a.vhdx"
run 0 "$CLI" info "$T/a.vhdx"
run 0 "$CLI" check "$T/a.vhdx"
run 1 "$CLI" write "$T/a.vhdx" 0 "$T/data"
expect_eq "writer refused while a reader holds it" "$ERR" "$LOCKED_MSG"
release_lock
run 1 "$CLI" write -U "$T/a.vhdx" 0 "$T/data"
# QEMU sees vhdx's locks and vhdx sees QEMU's (the same protocol): a vhdx reader lets
# qemu-img info open the image and refuses qemu-io's writer; a vhdx writer refuses both;
# a QEMU writer refuses vhdx's reader and writer, a QEMU reader only vhdx's writer.
# wait_locked BYTE FILE: until another open holds a lock on BYTE of FILE (never racing it)
wait_locked() {
    python3 - "$1" "$2" <<'PY' || fail "no lock on byte $1 of $2"
import fcntl, os, struct, sys, time
fd = os.open(sys.argv[2], os.O_RDONLY)
for _ in range(400):
    r = fcntl.fcntl(fd, fcntl.F_OFD_GETLK, struct.pack('hhqqi4x', fcntl.F_WRLCK, 0, int(sys.argv[1]), 1, 0))
    if struct.unpack('hhqqi4x', r)[0] != fcntl.F_UNLCK:
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
PY
}
if command -v qemu-io >/dev/null; then
    hold_lock r "$T/a.vhdx"
    run 0 qemu-img info "$T/a.vhdx"
    run 1 qemu-io -f vhdx -c "write 0 512" "$T/a.vhdx"
    expect_match "qemu-io writer refused by a vhdx reader" "$ERR" '*Failed to get "write" lock*'
    release_lock
    hold_lock w "$T/a.vhdx"
    run 1 qemu-img info "$T/a.vhdx"
    expect_match "qemu-img info refused by a vhdx writer" "$ERR" '*Failed to get shared "write" lock*'
    release_lock
    mkfifo "$T/q"
    qemu-io -f vhdx "$T/a.vhdx" <"$T/q" >/dev/null 2>&1 &
    Q=$!
    exec 7>"$T/q"
    wait_locked 101 "$T/a.vhdx"
    run 1 "$CLI" info "$T/a.vhdx"
    expect_eq "vhdx reader refused by a QEMU writer" "$ERR" "$LOCKED_MSG"
    run 1 "$CLI" write "$T/a.vhdx" 0 "$T/data"
    expect_eq "vhdx writer refused by a QEMU writer" "$ERR" "$LOCKED_MSG"
    exec 7>&-
    wait "$Q"
    qemu-io -r -f vhdx "$T/a.vhdx" <"$T/q" >/dev/null 2>&1 &
    Q=$!
    exec 7>"$T/q"
    wait_locked 201 "$T/a.vhdx"
    run 0 "$CLI" info "$T/a.vhdx"
    run 1 "$CLI" write "$T/a.vhdx" 0 "$T/data"
    expect_eq "vhdx writer refused by a QEMU reader" "$ERR" "$LOCKED_MSG"
    exec 7>&-
    wait "$Q"
    rm -f "$T/q"
fi
# real concurrent writers: each exits 0 or is refused; the image stays valid and every
# successful write reads back
for i in $(seq 0 7); do
    ( "$CLI" write "$T/a.vhdx" $((i * 3))M "$T/data" >/dev/null 2>"$T/.w$i"; echo $? >"$T/.rc$i" ) &
done
wait
for i in $(seq 0 7); do
    rc=$(cat "$T/.rc$i")
    if [ "$rc" = 0 ]; then
        expect_eq "writer $i data" "$("$CLI" cat --offset $((i * 3))M --length 70000 "$T/a.vhdx" | hash_stdin)" "$(sha "$T/data")"
    else
        expect_eq "writer $i refused" "$rc:$(cat "$T/.w$i")" "1:$LOCKED_MSG"
    fi
done
run 0 "$CLI" check "$T/a.vhdx"

# ---- 6. special input files ----
mkfifo "$T/fifo"
mkdir "$T/dir"
for cmd in info check cat; do
    run 1 timeout 10 "$CLI" $cmd "$T/fifo"
done
run 1 timeout 10 "$CLI" info "$T/fifo"
expect_eq "FIFO image" "$ERR" "vhdx: $T/fifo: not a regular file or block device: $T/fifo is a FIFO (VHDX_E_FILE_TYPE)"
run 1 timeout 10 "$CLI" info "$T/dir"
expect_eq "directory image" "$ERR" "vhdx: $T/dir: not a regular file or block device: $T/dir is a directory (VHDX_E_FILE_TYPE)"
run 1 timeout 10 "$CLI" write "$T/fifo" 0 "$T/data"
run 1 timeout 10 "$CLI" check "$T/fifo"
expect_match "check FIFO" "$OUT" "*cannot open $T/fifo: not a regular file or block device: is a FIFO*"
run 0 "$CLI" create --type differencing --parent "$T/a.vhdx" "$T/child.vhdx"
run 1 timeout 10 "$CLI" info --parent "$T/fifo" "$T/child.vhdx"
expect_match "FIFO parent" "$ERR" "*$T/fifo is a FIFO (VHDX_E_FILE_TYPE)"
run 1 timeout 10 "$CLI" create --type differencing --parent "$T/fifo" "$T/child2.vhdx"
expect_match "create with a FIFO parent" "$ERR" "*is a FIFO*"
[ -e "$T/child2.vhdx" ] && fail "child2 created" || ok

# ---- 5. output paths that are not regular files ----
run 0 "$CLI" create --type dynamic --block-size 1M "$T/p.vhdx" 8M
run 0 "$CLI" write "$T/p.vhdx" 4096 "$T/data"
run 0 "$CLI" create --type differencing --parent "$T/p.vhdx" "$T/c.vhdx"
psha=$(sha "$T/p.vhdx"); csha=$(sha "$T/c.vhdx")
run 1 "$CLI" convert "$T/c.vhdx" "$T/p.vhdx"
expect_eq "convert over the parent" "$ERR" "vhdx: $T/p.vhdx: is the parent image $T/./p.vhdx of $T/c.vhdx: refusing to overwrite it"
ln "$T/p.vhdx" "$T/p-hardlink"
ln -s "$T/p.vhdx" "$T/p-symlink"
run 1 "$CLI" convert "$T/c.vhdx" "$T/p-hardlink"
run 1 "$CLI" convert "$T/c.vhdx" "$T/p-symlink"
run 1 "$CLI" convert "$T/c.vhdx" "$T/c.vhdx"
run 1 "$CLI" check --output "$T/c.vhdx" "$T/c.vhdx"
expect_eq "check --output over the image" "$ERR" "vhdx: check: $T/c.vhdx: is the image $T/c.vhdx: refusing to overwrite it"
run 1 "$CLI" check --output "$T/p-symlink" --parent "$T/p.vhdx" "$T/c.vhdx"
expect_eq "parent and image untouched" "$(sha "$T/p.vhdx"):$(sha "$T/c.vhdx")" "$psha:$csha"
"$CLI" cat "$T/c.vhdx" >"$T/want.raw"
# a private character device (the null device's numbers) is written through, not replaced
if mknod "$T/null" c 1 3 2>/dev/null; then
    run 0 "$CLI" convert "$T/c.vhdx" "$T/null"
    expect_eq "device still a device" "$(stat -c %F "$T/null")" "character special file"
    run 0 "$CLI" check --output "$T/null" "$T/c.vhdx"
    expect_eq "device still a device after check" "$(stat -c %F "$T/null")" "character special file"
fi
mkfifo "$T/out.fifo"
timeout 30 cat "$T/out.fifo" >"$T/fifo.raw" &
reader=$!
run 0 timeout 20 "$CLI" convert "$T/c.vhdx" "$T/out.fifo"
wait "$reader"
expect_eq "convert into a FIFO: every byte" "$(sha "$T/fifo.raw")" "$(sha "$T/want.raw")"
expect_eq "FIFO still a FIFO" "$(stat -c %F "$T/out.fifo")" "fifo"
"$CLI" convert "$T/c.vhdx" - >"$T/stdout.raw"
expect_eq "convert to -" "$?:$(sha "$T/stdout.raw")" "0:$(sha "$T/want.raw")"
ln -s "target.raw" "$T/link.raw"
run 0 "$CLI" convert "$T/c.vhdx" "$T/link.raw"
expect_eq "symlink kept" "$(readlink "$T/link.raw")" "target.raw"
expect_eq "symlink target written" "$(sha "$T/target.raw")" "$(sha "$T/want.raw")"
run 0 "$CLI" check --output "$T/link.raw" "$T/c.vhdx"
expect_eq "symlink kept by check" "$(readlink "$T/link.raw")" "target.raw"
expect_match "report in the target" "$(cat "$T/target.raw")" "*conformant*"

# ---- 7. hostile strings reach the terminal escaped ----
cp "$T/p.vhdx" "$T/h.vhdx"
python3 - "$T/h.vhdx" <<'PY'
import sys
# [MS-VHDX 2.2.1] Creator: UTF-16LE at offset 8 of the file type identifier (no checksum)
with open(sys.argv[1], 'r+b') as f:
    f.seek(8)
    f.write('\x1b]0;pwned\x07\n'.encode('utf-16-le') + b'\0\0')
PY
run 0 "$CLI" info "$T/h.vhdx"
expect_match "creator escaped in info" "$OUT" '*creator: \\x1b]0;pwned\\x07\\x0a*'
case "$OUT" in *$'\e'*|*$'\a'*) fail "raw control characters in info" ;; *) ok ;; esac
run 0 "$CLI" info --json "$T/h.vhdx"
expect_match "creator in JSON" "$OUT" '*"creator": "\\u001b]0;pwned\\u0007\\n"*'
HP="$T/par"$'\n'$'\e'"[31mred.vhdx"
cp "$T/p.vhdx" "$HP"
run 0 "$CLI" create --type differencing --parent "$HP" "$T/hc.vhdx"
mv "$HP" "$T/moved.vhdx"
run 1 "$CLI" cat "$T/hc.vhdx"
case "$ERR" in *$'\e'*|*$'\n'*) fail "cat: raw control characters on stderr" ;; *) ok ;; esac
expect_match "cat: path escaped" "$ERR" '*/par\\x0a\\x1b\[31mred.vhdx (VHDX_E_PARENT_NOT_FOUND)'
run 0 "$CLI" info "$T/hc.vhdx"
case "$OUT$ERR" in *$'\e'*) fail "info: raw control characters" ;; *) ok ;; esac
for fmt in text markdown; do
    "$CLI" check --format $fmt "$T/hc.vhdx" "$T/h.vhdx" >"$T/.o" 2>&1
    case "$(cat "$T/.o")" in *$'\e'*|*$'\a'*) fail "check $fmt: raw control characters" ;; *) ok ;; esac
done
run 1 "$CLI" info "$T/no"$'\e'"such"
expect_eq "command-line path escaped" "$ERR" "vhdx: $T/no\\x1bsuch: file not found: $T/no\\x1bsuch (VHDX_E_NOT_FOUND)"

# ---- 8. I/O failures: exit 1, errno's text and the file ----
head -c 3M /dev/urandom >"$T/big"
run 0 "$CLI" create --type dynamic --block-size 1M "$T/e.vhdx" 64M
# EFBIG from a file-size limit (SIGXFSZ ignored, so write(2) fails instead of killing)
run 1 bash -c 'trap "" XFSZ; ulimit -f 4096; exec "$0" write "$1" 0 "$2"' "$CLI" "$T/e.vhdx" "$T/big"
expect_match "EFBIG message" "$ERR" "vhdx: $T/e.vhdx: at offset 0x*: I/O error (allocation): File too large (VHDX_E_IO)"
run 0 "$CLI" check "$T/e.vhdx"
mkdir "$T/mnt"
if mount -t tmpfs -o size=3m tmpfs "$T/mnt" 2>/dev/null; then
    trap 'umount "$T/mnt"; rm -rf "$T"' EXIT
    run 0 "$CLI" create --type dynamic --block-size 1M "$T/mnt/a.vhdx" 64M
    run 1 "$CLI" write "$T/mnt/a.vhdx" 0 "$T/big"
    expect_match "ENOSPC message" "$ERR" "vhdx: $T/mnt/a.vhdx: at offset 0x*: I/O error: No space left on device (VHDX_E_IO)"
    run 0 "$CLI" check "$T/mnt/a.vhdx"
    run 1 "$CLI" create --type fixed "$T/mnt/f.vhdx" 16M
    expect_match "create ENOSPC" "$ERR" "*No space left on device (VHDX_E_IO)"
    run 0 "$CLI" create --type dynamic --block-size 1M "$T/full.vhdx" 64M
    run 0 "$CLI" write "$T/full.vhdx" 0 "$T/big"
    run 1 "$CLI" convert "$T/full.vhdx" "$T/mnt/out.raw"
    expect_match "convert ENOSPC" "$ERR" "vhdx: $T/mnt/out.raw: *No space left on device"
    expect_eq "nothing left behind" "$(ls "$T/mnt")" "a.vhdx"
    umount "$T/mnt"
    trap 'rm -rf "$T"' EXIT
else
    echo "note: tmpfs mount not permitted; ENOSPC part skipped" >&2
fi

# ---- 2. limits never strand data ----
# a 2 GiB log (conformant, sparse here): reads work, a writer refuses up front and changes
# nothing (a dirty 2 GiB log could not be replayed by any open)
run 0 "$CLI" create --type dynamic --log-size 2G "$T/biglog.vhdx" 64M
bsha=$(sha "$T/biglog.vhdx")
run 1 "$CLI" write "$T/biglog.vhdx" 0 "$T/data"
expect_eq "big log refused for writing" "$ERR" "vhdx: $T/biglog.vhdx: [MS-VHDX 2.3] at offset 0x20044: log larger than the configured limit (header.LogLength): a writer could leave this log dirty, and no open could replay it (VHDX_E_LIMIT_LOG)"
expect_eq "big log untouched" "$(sha "$T/biglog.vhdx")" "$bsha"
run 0 "$CLI" info "$T/biglog.vhdx"
run 0 "$CLI" cat --length 4096 "$T/biglog.vhdx"
# chain depth: level 16 is the limit; create refuses level 17
mkdir "$T/chain"
run 0 "$CLI" create --type dynamic "$T/chain/l1.vhdx" 8M
for l in $(seq 2 16); do
    "$CLI" create --type differencing --parent "$T/chain/l$((l - 1)).vhdx" "$T/chain/l$l.vhdx" >/dev/null || fail "create level $l"
done
run 0 "$CLI" check "$T/chain/l16.vhdx"
run 1 "$CLI" create --type differencing --parent "$T/chain/l16.vhdx" "$T/chain/l17.vhdx"
expect_eq "level 17 refused" "$ERR" "vhdx: $T/chain/l17.vhdx: [MS-VHDX 2.6.2.6]: differencing chain deeper than the configured limit (parent chain): the child would be level 17 of its chain; the limit is 16 (VHDX_E_LIMIT_CHAIN)"
[ -e "$T/chain/l17.vhdx" ] && fail "l17 created" || ok
# a chain made deeper behind the tool's back (the base replaced by a child of another
# image): check reports the limit as exit 1, class limit, not a rule violation
run 0 "$CLI" create --type dynamic "$T/chain/x.vhdx" 8M
mv "$T/chain/l1.vhdx" "$T/chain/l1.orig"
run 0 "$CLI" create --type differencing --parent "$T/chain/x.vhdx" "$T/chain/l1.vhdx"
run 1 "$CLI" check --parent-ignore-linkage "$T/chain/l16.vhdx"
expect_match "check: chain limit" "$OUT" "*differencing chain deeper than the configured limit*"
run 1 "$CLI" check --format json --parent-ignore-linkage "$T/chain/l16.vhdx"
expect_match "check json: class limit" "$OUT" '*"VHDX_E_LIMIT_CHAIN"*'

finish
