#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Exclusive access through the library's OFD lock: while nbdkit serves an image writable
# to a client, a second nbdkit (writable or -r: it does not start) and `vhdx write` or
# `vhdx cat` are refused with the lock error (VHDX_E_LOCKED); while it serves read-only,
# other readers (a second nbdkit -r, `vhdx cat`) share the image, and writers are refused
# (a writable nbdkit when its client connects). Each server is stopped by its pid.
. "$(dirname "$0")/nbd_common.sh"
SOCK="$T/a.sock"
URI="nbd+unix:///?socket=$SOCK"
run 0 "$CLI" create --type dynamic --block-size 1M "$T/d.vhdx" 8M
# run(args) for the clients below: nbdkit gets the sanitizer runtime, other programs not
export RUNPY="$T/run.py"
cat >"$RUNPY" <<'PY'
def run(args):
    env = dict(os.environ)
    if args[0] == "nbdkit" and env.get("VHDX_NBDKIT_PRELOAD"):
        env["LD_PRELOAD"] = env["VHDX_NBDKIT_PRELOAD"]
    return subprocess.run(args, capture_output=True, text=True, env=env)
PY


# writer A with a connected client
nbdkit_start "$SOCK" file="$T/d.vhdx" || finish
PLUGIN=$PLUGIN IMG=$T/d.vhdx CLI=$CLI T=$T nbdsh -u "$URI" -c '
import subprocess, os
h.pwrite(b"A" * 4096, 0)
exec(open(os.environ["RUNPY"]).read())
def attempt(args):
    r = run(args)
    locked = [l for l in r.stderr.splitlines() if "VHDX_E_LOCKED" in l]
    return "%d %s" % (r.returncode, locked[0] if locked else r.stderr.strip())
plugin, img, cli, T = os.environ["PLUGIN"], os.environ["IMG"], os.environ["CLI"], os.environ["T"]
with open(T + "/held.out", "w") as f:
    for args in ([ "nbdkit", "-U", "-", plugin, "file=" + img, "--run", "unset LD_PRELOAD; nbdinfo --size \"$uri\""],
                 [ "nbdkit", "-U", "-", "-r", plugin, "file=" + img, "--run", "unset LD_PRELOAD; nbdinfo --size \"$uri\""],
                 [ cli, "write", img, "0", "/dev/null"],
                 [ cli, "cat", "--length", "512", img]):
        print(attempt(args), file=f)
h.flush()
' || fail "writer: client"
nbdkit_stop
expect_eq "second writer, reader and vhdx write refused while a writer serves" "$(cat "$T/held.out")" \
"1 nbdkit: error: open: $T/d.vhdx: file is in use: locked by another open (a writer excludes every other open, a reader excludes writers): $T/d.vhdx (VHDX_E_LOCKED)
1 nbdkit: error: open: $T/d.vhdx: file is in use: locked by another open (a writer excludes every other open, a reader excludes writers): $T/d.vhdx (VHDX_E_LOCKED)
1 vhdx: $T/d.vhdx: file is in use: locked by another open (a writer excludes every other open, a reader excludes writers): $T/d.vhdx (VHDX_E_LOCKED)
1 vhdx: $T/d.vhdx: file is in use: locked by another open (a writer excludes every other open, a reader excludes writers): $T/d.vhdx (VHDX_E_LOCKED)"
expect_eq "the writer's data is in the image" "$("$CLI" cat --length 4096 "$T/d.vhdx" | hash_stdin)" \
    "$(head -c 4096 /dev/zero | tr '\0' A | hash_stdin)"

# reader A with a connected client: readers share, writers are refused
nbdkit_start "$SOCK" -r file="$T/d.vhdx" || finish
PLUGIN=$PLUGIN IMG=$T/d.vhdx CLI=$CLI T=$T nbdsh -u "$URI" -c '
import subprocess, os
exec(open(os.environ["RUNPY"]).read())
assert h.pread(4096, 0) == b"A" * 4096
plugin, img, cli, T = os.environ["PLUGIN"], os.environ["IMG"], os.environ["CLI"], os.environ["T"]
with open(T + "/held.out", "w") as f:
    for args in ([ "nbdkit", "-U", "-", "-r", plugin, "file=" + img, "--run", "unset LD_PRELOAD; nbdcopy \"$uri\" %s/r.raw && head -c 4096 %s/r.raw" % (T, T)],
                 [ cli, "cat", "--length", "4096", img],
                 [ "nbdkit", "-U", "-", plugin, "file=" + img, "--run", "unset LD_PRELOAD; nbdinfo --size \"$uri\""],
                 [ cli, "write", img, "0", "/dev/null"]):
        r = run(args)
        locked = [l for l in r.stderr.splitlines() if "VHDX_E_LOCKED" in l]
        out = "A*4096" if r.stdout == "A" * 4096 else repr(r.stdout[:16])
        print(r.returncode, out, locked[0] if locked else r.stderr.strip(), file=f)
' || fail "reader: client"
nbdkit_stop
expect_eq "readers share, writers are refused while a reader serves" "$(cat "$T/held.out")" \
"0 A*4096 
0 A*4096 
1 '' nbdkit: vhdx[1]: error: open: $T/d.vhdx: file is in use: locked by another open (a writer excludes every other open, a reader excludes writers): $T/d.vhdx (VHDX_E_LOCKED)
1 '' vhdx: $T/d.vhdx: file is in use: locked by another open (a writer excludes every other open, a reader excludes writers): $T/d.vhdx (VHDX_E_LOCKED)"

# with no server left, writing works again
run 0 "$CLI" write "$T/d.vhdx" 0 /dev/null
finish
