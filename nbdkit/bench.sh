#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# nbdkit/bench.sh [--quick] BUILD_DIR - part of `make bench`: nbdkit-vhdx-plugin next to
# qemu-nbd -f vhdx, each serving the same kind of image on a Unix socket, the same client
# doing the same work, in one run (best of 3, the two servers alternating):
#   - sequential read of a dynamic image full of data (1 GiB; --quick 64 MiB) with
#     nbdcopy to null: (goal: ratio >= 1.0x);
#   - 2000 (--quick 200) random aligned 4 KiB writes into a new dynamic 1 GiB image
#     (fixed seed) by one libnbd client, then a flush (goal: ratio >= 2x).
# Both servers use their defaults (qemu-nbd: cache=writeback); each is stopped by its pid.
# Skips with a message (exit 0) when the plugin was not built or a program is missing.
set -u
quick=0
if [ "${1:-}" = "--quick" ]; then quick=1; shift; fi
build=${1:?usage: nbdkit/bench.sh [--quick] BUILD_DIR}
cli="$build/bin/vhdx"
plugin="$build/nbdkit/nbdkit-vhdx-plugin.so"
if [ ! -f "$plugin" ]; then
    echo "nbd bench: skipped ($plugin not built: install nbdkit-plugin-dev)"
    exit 0
fi
for p in nbdkit qemu-nbd nbdcopy; do
    command -v "$p" >/dev/null || { echo "nbd bench: skipped ($p not installed)"; exit 0; }
done
py=
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import nbd' 2>/dev/null; then py=$p; break; fi
done
[ -n "$py" ] || { echo "nbd bench: skipped (no python3 with the nbd module)"; exit 0; }

size=$((1 << 30)); nwrites=2000; trials=3
if [ $quick = 1 ]; then size=$((64 << 20)); nwrites=200; trials=1; fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/vhdx-nbdbench.XXXXXX") || exit 1
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
sock="$dir/s.sock"
uri="nbd+unix:///?socket=$sock"

# serve plugin|qemu IMAGE [-r]: the server in the background, $pid its pid, ready on $sock
serve() {
    rm -f "$sock" "$dir/pid"
    if [ "$1" = plugin ]; then
        # a sanitizer build's plugin needs the runtime preloaded (as ctest does)
        ${VHDX_NBDKIT_PRELOAD:+env LD_PRELOAD=$VHDX_NBDKIT_PRELOAD} \
            nbdkit -U "$sock" -P "$dir/pid" ${3:-} "$plugin" file="$2" || return 1
    else
        qemu-nbd --fork --pid-file="$dir/pid" --shared=8 -k "$sock" -f vhdx ${3:-} "$2" || return 1
    fi
    # the pid file may appear after the starting process returns
    local i
    for i in $(seq 100); do [ -s "$dir/pid" ] && break; sleep 0.05; done
    pid=$(cat "$dir/pid") || return 1
}
stop() {
    kill "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
    pid=
}
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.9f\", $1 }"; }

# the read image: every block allocated, every byte 0xaa
img="$dir/read.vhdx"
head -c "$size" /dev/zero | tr '\0' '\252' | "$cli" convert --size "$size" -O vhdx - "$img" ||
    { echo "nbd bench: cannot create $img" >&2; exit 1; }

read_once() { # read_once plugin|qemu -> seconds
    serve "$1" "$img" -r || return 1
    local t0 t1
    t0=$(now)
    nbdcopy "$uri" null: || { stop; return 1; }
    t1=$(now)
    stop
    calc "$t1 - $t0"
}

write_once() { # write_once plugin|qemu -> seconds
    local w="$dir/write.vhdx" t0 t1
    rm -f "$w"
    "$cli" create --type dynamic "$w" 1G >/dev/null || return 1
    serve "$1" "$w" || return 1
    t0=$(now)
    "$py" - "$uri" "$nwrites" <<'PY' || { stop; return 1; }
import random, sys
import nbd
h = nbd.NBD()
h.connect_uri(sys.argv[1])
rng = random.Random(0x5eed)
buf = b"\xcd" * 4096
for _ in range(int(sys.argv[2])):
    h.pwrite(buf, rng.randrange((1 << 30) // 4096) * 4096)
h.flush()
h.shutdown()
PY
    t1=$(now)
    stop
    rm -f "$w"
    calc "$t1 - $t0"
}

best() { # best FUNC SERVER -> fastest of $trials runs
    local b="" t i
    for i in $(seq "$trials"); do
        t=$("$1" "$2") || return 1
        if [ -z "$b" ] || [ "$(calc "($t < $b)")" = 1.000000000 ]; then b=$t; fi
    done
    echo "$b"
}

report() { # report TITLE PLUGIN_S QEMU_S BYTES OPS GOAL
    local ratio pass
    ratio=$(calc "$3 / $2")
    pass=$(calc "($ratio >= $6)")
    echo "$1"
    printf '  plugin:   %8.3f GB/s (%.3f s' "$(calc "$4 / $2 / 1e9")" "$2"
    [ "$5" -gt 0 ] && printf ', %.0f writes/s' "$(calc "$5 / $2")"
    printf ')\n  qemu-nbd: %8.3f GB/s (%.3f s' "$(calc "$4 / $3 / 1e9")" "$3"
    [ "$5" -gt 0 ] && printf ', %.0f writes/s' "$(calc "$5 / $3")"
    printf ')\n  ratio plugin/qemu-nbd: %.2fx (goal >= %sx: %s)\n' "$ratio" "$6" \
        "$([ "$pass" = 1.000000000 ] && echo PASS || echo FAIL)"
}

echo
echo "NBD: nbdkit-vhdx-plugin vs qemu-nbd -f vhdx, Unix socket, best of $trials"
rp=$(best read_once plugin) && rq=$(best read_once qemu) ||
    { echo "nbd bench: sequential read failed" >&2; exit 1; }
human=$((size >> 20))M
[ $((size % (1 << 30))) = 0 ] && human=$((size >> 30))G
report "sequential read: $human dynamic image, nbdcopy to null:" "$rp" "$rq" "$size" 0 1.0
wp=$(best write_once plugin) && wq=$(best write_once qemu) ||
    { echo "nbd bench: random writes failed" >&2; exit 1; }
report "random writes: $nwrites x 4 KiB at aligned offsets (seed 0x5eed) into a new dynamic 1G image, then flush" \
    "$wp" "$wq" $((nwrites * 4096)) "$nwrites" 2
