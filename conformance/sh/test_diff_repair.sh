#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_diff_repair.sh - cross-read of what `vhdx repair` writes.
#
# Damaged images (the hostile cases that repair: a torn header, a bad region table copy,
# an optional metadata entry dropped, BAT entries over each other or past the end of the
# file, a truncated file, a dirty log; and an image qemu-img created, written by qemu-img,
# with its current header torn) are repaired with --allow-data-loss --fix-deviations; each
# result must
#   * pass `vhdx check` (exit 0) and `qemu-img check` with no error,
#   * read byte-identical through `vhdx cat`, qemu-img convert, libvhdi (pyvhdi) and
#     `vhdx convert`,
# except where conformance/oracle-allowlist.tsv lists a disagreement. Skips (77) without
# qemu-img.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/difflib.sh"
diff_prereqs
GEN="${VHDX_BINARY_DIR:-}/bin/gen_hostile"
[[ -x $GEN ]] || { echo "FAIL: $GEN not built"; exit 1; }
"$GEN" --write "$WORK/h" >/dev/null || { echo "FAIL: gen_hostile --write"; exit 1; }
N=0

repaired() { # KEY IMAGE: repair, then check with both tools and cross-read
    local key=$1 img=$2 rc=0
    "$CLI" repair --allow-data-loss --fix-deviations "$img" >"$WORK/repair.out" 2>&1 || rc=$?
    [[ $rc == 0 ]] || { fail "$key: vhdx repair exited $rc: $(head -c 300 "$WORK/repair.out")"; return; }
    grep -q ': repaired$' "$WORK/repair.out" || fail "$key: nothing repaired: $(head -c 300 "$WORK/repair.out")"
    rc=0
    "$CLI" check "$img" >"$WORK/check.out" 2>&1 || rc=$?
    [[ $rc == 0 ]] || fail "$key: vhdx check after repair exited $rc: $(head -c 300 "$WORK/check.out")"
    rc=0
    qemu-img check -f vhdx "$img" >"$WORK/qcheck.out" 2>&1 || rc=$?
    [[ $rc == 0 ]] || fail "$key: qemu-img check exited $rc: $(head -c 300 "$WORK/qcheck.out")"
    diff_image "$key" "$img" -
    N=$((N + 1))
}

for c in header-torn-current header-higher-seq-bad-crc rt1-bad-crc rt2-bad-crc \
         md-zero-length-offset bat-duplicate bat-past-eof bat-into-log bat-state-4 \
         bat-reserved-bits truncated-1m log-replay-valid; do
    cp "$WORK/h/$c.vhdx" "$WORK/img.vhdx"
    repaired "repair:$c" "$WORK/img.vhdx"
done

# an image qemu-img made and wrote, its current header torn (its CRC broken); qemu-img
# writes Required = 0 on its BAT and metadata region entries (D7): fixed too
Q="$WORK/q.vhdx"
qemu-img create -q -f vhdx -o subformat=dynamic,block_size=1M "$Q" 16M || fail "qemu-img create"
for off in 0 5 11; do
    qemu-io -f vhdx -c "write -P $((off * 37 % 251 + 1)) $((off * 1048576 + 4096)) 65536" "$Q" >/dev/null 2>&1 ||
        fail "qemu-io write into the qemu-img image"
done
cur=$("$CLI" info --json "$Q" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["current_header"])')
hdr=$(( cur == 0 ? 65536 : 131072 ))
flip_byte "$Q" $((hdr + 4))
"$CLI" cat "$Q" >"$WORK/q.before" 2>/dev/null || fail "qemu image with a torn header does not read"
repaired "repair:qemu-torn-header" "$Q"
"$CLI" cat "$Q" | cmp -s - "$WORK/q.before" || fail "repair:qemu-torn-header: content changed by the repair"

(( N > 0 )) || fail "no image repaired"
if (( FAILS > 0 )); then echo "FAIL: $FAILS failures over $N repaired images"; exit 1; fi
echo "PASS: $N repaired images: vhdx check and qemu-img check clean; vhdx cat, qemu-img, libvhdi and vhdx convert agree"
