#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Output files (convert OUT.raw, check --output): written through a temporary file in the
# target's folder and renamed, mode 0666 & ~umask like a plain creat, no temporary file
# left after a failure or after SIGTERM/SIGHUP, errors name the target.
. "$(dirname "$0")/cli_common.sh"

no_tmp() { # no_tmp WHAT DIR
    local n
    n=$(find "$2" -maxdepth 1 -name '*.tmp-*' | wc -l)
    expect_eq "$1: no temporary file left" "$n" 0
}

run 0 "$CLI" create --type dynamic --block-size 1M "$T/d.vhdx" 8M
printf 'hello' >"$T/five"
run 0 "$CLI" write "$T/d.vhdx" 4096 "$T/five"

# modes under two umasks, for a new file and for a replaced one (a replaced file gets the
# new mode too: it is a new file renamed over the old one)
for um in 022 077 002; do
    want=$(printf '%o' $(( 0666 & ~0$um )))
    rm -f "$T/o.raw" "$T/r.json"
    ( umask $um; "$CLI" convert "$T/d.vhdx" "$T/o.raw" ) && ok || fail "convert under umask $um"
    expect_eq "convert output mode under umask $um" "$(stat -c %a "$T/o.raw")" "$want"
    ( umask $um; "$CLI" check --format json --output "$T/r.json" "$T/d.vhdx" ) && ok || fail "check under umask $um"
    expect_eq "check --output mode under umask $um" "$(stat -c %a "$T/r.json")" "$want"
    chmod 0640 "$T/o.raw"
    ( umask $um; "$CLI" convert "$T/d.vhdx" "$T/o.raw" ) && ok || fail "convert over an existing file under umask $um"
    expect_eq "replaced output mode under umask $um" "$(stat -c %a "$T/o.raw")" "$want"
done
expect_eq "converted content" "$(head -c 4101 "$T/o.raw" | tail -c 5)" "hello"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/r.json" && ok || fail "check --output JSON"
no_tmp "after successful runs" "$T"

# failures: nothing at the target, no temporary file, the message names the target
mkdir "$T/f"
head -c 2M /dev/zero >"$T/f/zero.bin"
run 2 "$CLI" convert -f vhdx "$T/f/zero.bin" "$T/f/out.raw"
[ ! -e "$T/f/out.raw" ] && ok || fail "failed convert left its output"
no_tmp "failed convert (not an image)" "$T/f"
run 1 "$CLI" convert "$T/d.vhdx" "$T/f/missing/out.raw"
expect_eq "unwritable folder message" "$ERR" "vhdx: $T/f/missing/out.raw: cannot create: No such file or directory"
run 1 "$CLI" check --output "$T/f/missing/r.txt" "$T/d.vhdx"
expect_eq "check --output message names the target" "$ERR" "vhdx: $T/f/missing/r.txt: cannot write: No such file or directory"
# the target is a folder: the rename fails after the data was written
mkdir "$T/f/dir.raw"
run 1 "$CLI" convert "$T/d.vhdx" "$T/f/dir.raw"
expect_match "rename failure names the target" "$ERR" "vhdx: $T/f/dir.raw: *"
case "$ERR" in *.tmp-*) fail "message names the temporary file: $ERR" ;; *) ok ;; esac
no_tmp "failed rename" "$T/f"
# a write failure half-way (file size limit): the temporary file is removed
( trap '' XFSZ; ulimit -f 1024; "$CLI" check --format json --output "$T/f/r.json" "$T/d.vhdx" ) >/dev/null 2>&1
expect_eq "check --output within the limit" "$?" 0
( trap '' XFSZ; ulimit -f 2048; "$CLI" convert "$T/d.vhdx" "$T/f/limited.raw" ) >"$T/.out" 2>"$T/.err"
expect_eq "size-limited convert exit" "$?" 1
expect_eq "size-limited convert message" "$(cat "$T/.err")" "vhdx: $T/f/limited.raw: write at offset 8388608: File too large"
[ ! -e "$T/f/limited.raw" ] && ok || fail "size-limited convert left its output"
no_tmp "size-limited convert" "$T/f"

# SIGTERM and SIGHUP during a long convert (a raw stream on stdin from a FIFO that never
# ends: the convert waits for data with its temporary file open): the temporary file is
# removed and the process dies of the signal
mkdir "$T/s"
mkfifo "$T/s/fifo"
exec 3<>"$T/s/fifo"
for sig in TERM HUP; do
    "$CLI" convert --size 1G - "$T/s/big.vhdx" <"$T/s/fifo" &
    pid=$!
    for _ in $(seq 1 200); do
        compgen -G "$T/s/big.vhdx.tmp-*" >/dev/null && break
        sleep 0.05
    done
    compgen -G "$T/s/big.vhdx.tmp-*" >/dev/null && ok || fail "SIG$sig: no temporary file seen while converting"
    kill -s "$sig" "$pid"
    wait "$pid" 2>/dev/null
    st=$?
    expect_eq "convert killed by SIG$sig" "$st" $((128 + $(kill -l "$sig")))
    [ ! -e "$T/s/big.vhdx" ] && ok || fail "SIG$sig: interrupted convert left big.vhdx"
    no_tmp "convert interrupted by SIG$sig" "$T/s"
done
exec 3>&-
rm -f "$T/s/fifo"
# an ignored SIGHUP (nohup) stays ignored: the convert completes
( trap '' HUP; "$CLI" convert "$T/d.vhdx" "$T/s/nohup.raw" & p=$!; kill -s HUP $p; wait $p ) && ok || fail "convert with SIGHUP ignored"
[ -e "$T/s/nohup.raw" ] && ok || fail "convert with SIGHUP ignored produced no output"
no_tmp "convert with SIGHUP ignored" "$T/s"

finish
