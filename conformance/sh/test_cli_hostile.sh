#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A hostile environment (issue 17): concurrent writers and readers (OFD locks, -U),
# special files as inputs and outputs, hostile strings on the terminal, I/O failures.
. "$(dirname "$0")/cli_common.sh"

# hold_lock KIND FILE: a process holding an OFD lock (KIND r or w) on FILE, as a vhdx
# reader or writer does, until $T/.release exists. Prints its pid once the lock is held.
hold_lock() {
    rm -f "$T/.release" "$T/.held"
    python3 - "$1" "$2" "$T" <<'PY' &
import fcntl, os, struct, sys, time
kind, path, tdir = sys.argv[1:]
fd = os.open(path, os.O_RDWR if kind == 'w' else os.O_RDONLY)
lt = fcntl.F_WRLCK if kind == 'w' else fcntl.F_RDLCK
# struct flock: l_type, l_whence (short), l_start, l_len (off_t), l_pid (int), padding
fcntl.fcntl(fd, fcntl.F_OFD_SETLK, struct.pack('hhqqi4x', lt, 0, 0, 0, 0))
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

finish
