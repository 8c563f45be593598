# SPDX-License-Identifier: Apache-2.0
# nbd_common.sh - sourced by nbdkit/test/test_*.sh (not a test itself): the CLI test helpers
# (conformance/sh/cli_common.sh: $T, extract, run, expect_eq, finish) plus the plugin.
# Environment (set by ctest): VHDX_NBDKIT_PLUGIN (the built plugin), VHDX_NBDKIT_PRELOAD
# (sanitizer runtime for the uninstrumented nbdkit, or empty), and those of cli_common.sh.
. "${VHDX_SOURCE_DIR:-$(dirname "$0")/../..}/conformance/sh/cli_common.sh"

PLUGIN=${VHDX_NBDKIT_PLUGIN:-}
if [ -z "$PLUGIN" ] || [ ! -f "$PLUGIN" ]; then
    echo "SKIP: VHDX_NBDKIT_PLUGIN is not set to the built plugin" >&2
    exit 77
fi
for p in nbdkit nbdcopy nbdinfo nbdsh; do
    if ! need_prog "$p"; then
        echo "SKIP: $p not installed (scripts/deps.sh: nbdkit libnbd-bin python3-libnbd)" >&2
        exit 77
    fi
done
# nbdsh runs `python3 -m nbd`: the first python3 on PATH may lack the module that Debian's
# python3-libnbd installs for /usr/bin/python3. $T/bin/nbdsh uses one that has it.
NBD_PY=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import nbd' 2>/dev/null; then NBD_PY=$(command -v "$p"); break; fi
done
if [ -z "$NBD_PY" ]; then
    echo "SKIP: no python3 with the nbd module (python3-libnbd)" >&2
    exit 77
fi
mkdir -p "$T/bin" && printf '#!/bin/sh\nexec %s -m nbd "$@"\n' "$NBD_PY" >"$T/bin/nbdsh" &&
    chmod +x "$T/bin/nbdsh" && PATH="$T/bin:$PATH" || exit 1
export PATH

# nbd-wait-idle PID: waits (5 s at most) until nbdkit PID holds no connected socket, i.e.
# it has closed every connection (plugin .close done). nbdkit may exit while a connection
# whose client is gone is still closing; under a sanitizer that shows as a leak.
cat >"$T/bin/nbd-wait-idle" <<'SH'
#!/bin/sh
i=0
while [ $i -lt 100 ]; do
    inodes=$(ls -l "/proc/$1/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | tr '\n' ' ')
    [ -z "$inodes" ] && exit 0
    # /proc/net/unix: St (column 6) 03 = connected
    awk -v l=" $inodes" 'NR > 1 && $6 == "03" && index(l, " " $7 " ") { n++ } END { exit (n > 0 ? 1 : 0) }' \
        /proc/net/unix && exit 0
    sleep 0.05
    i=$((i + 1))
done
exit 0
SH
chmod +x "$T/bin/nbd-wait-idle" || exit 1

# the sanitizer runtime goes into nbdkit only, never into the clients of --run
NBDKIT_ENV=()
if [ -n "${VHDX_NBDKIT_PRELOAD:-}" ]; then
    NBDKIT_ENV=(env "LD_PRELOAD=$VHDX_NBDKIT_PRELOAD")
fi

# nbdkit_serve RUN PLUGIN_ARGS... : nbdkit on a Unix socket in its own temporary folder
# (-U -), running the shell command RUN with $uri set; nbdkit exits with RUN's status when
# RUN ends. stderr of nbdkit (its log) goes to $T/nbdkit.log.
nbdkit_serve() {
    local cmd=$1; shift
    "${NBDKIT_ENV[@]}" nbdkit -U - "$PLUGIN" "$@" \
        --run "unset LD_PRELOAD; $cmd"'
rc=$?; nbd-wait-idle $PPID; exit $rc' 2>"$T/nbdkit.log"
}

# nbdkit_start SOCKET PLUGIN_ARGS... : nbdkit in the foreground of a background job on
# SOCKET; sets NBDKIT_PID and waits until the socket accepts connections (10 s at most).
nbdkit_start() {
    local sock=$1; shift
    rm -f "$sock"
    "${NBDKIT_ENV[@]}" nbdkit -f -U "$sock" "$PLUGIN" "$@" 2>>"$T/nbdkit.log" &
    NBDKIT_PID=$!
    local i
    for i in $(seq 100); do
        [ -S "$sock" ] && nbdinfo --size "nbd+unix:///?socket=$sock" >/dev/null 2>&1 && return 0
        kill -0 "$NBDKIT_PID" 2>/dev/null || break
        sleep 0.1
    done
    fail "nbdkit did not start on $sock: $(cat "$T/nbdkit.log")"
    return 1
}

# nbdkit_stop: SIGTERM to our own nbdkit (by its pid) once its connections are closed,
# then wait for it.
nbdkit_stop() {
    nbd-wait-idle "$NBDKIT_PID"
    kill "$NBDKIT_PID" 2>/dev/null
    wait "$NBDKIT_PID" 2>/dev/null
    NBDKIT_PID=
}

# map_equal NBDINFO_MAP_JSON VHDX_MAP_JSON: prints nothing when `nbdinfo --map --json` lists
# the extents of `vhdx map --json`, else both lists. A stored extent is allocated (type 0),
# one that reads as zeros without being stored is hole+zero (3); neighbours of one type are
# merged, as an NBD server reports them.
map_equal() {
    python3 - "$1" "$2" <<'PY'
import json, sys
nbd = [(e["offset"], e["length"], e["type"]) for e in json.load(open(sys.argv[1]))]
want = []
for e in json.load(open(sys.argv[2])):
    t = 0 if e["data"] or not e["zero"] else 3
    if want and want[-1][2] == t and want[-1][0] + want[-1][1] == e["start"]:
        want[-1][1] += e["length"]
    else:
        want.append([e["start"], e["length"], t])
want = [tuple(x) for x in want]
if nbd != want:
    print("nbdinfo --map:", nbd)
    print("vhdx map:     ", want)
PY
}
