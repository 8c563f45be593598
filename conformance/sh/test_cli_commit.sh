#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_cli_commit.sh - `vhdx commit` and `vhdx rebase` (issue 12), cross-read by the oracles.
#
# Generated chain (64 MiB, 1 MiB parent blocks, 2 MiB child blocks with full, partial and
# zero blocks): after `vhdx commit` the parent passes `qemu-img check` and reads what the
# child read through `vhdx cat`, qemu-img convert, libvhdi and `vhdx convert`; the child is
# re-linked and still reads the same (libvhdi with the parent set); `vhdx rebase` refuses a
# parent that differs (exit 2), copies the differences with --content (the child then reads
# the same over the new parent, libvhdi agreeing) and re-links with -u; --remove deletes.
# The Hyper-V checkpoint in ../shared/images (parent missing) is re-linked with -u to a zero
# parent and committed into it: the ranges it holds read the same through vhdx, libvhdi
# (child over the parent) and qemu-img (the committed parent), qemu-img check is clean and
# the parent's allocation (vhdx map: qemu-img map calls every VHDX byte data) lies inside
# the child's data blocks. Usage errors and exit codes. Skips (77) without qemu-img.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/difflib.sh"
diff_prereqs
M=1048576

w() { # w IMAGE OFFSET LEN SEED
    "$PY" "$ORACLE" pattern "$4" "$3" > "$WORK/data"
    "$CLI" write "$1" "$2" "$WORK/data" >/dev/null || fail "vhdx write $1 $2 $3"
}
expect_rc() { # expect_rc WANT WHAT CMD...: runs CMD, output in $WORK/out
    local want=$1 what=$2 rc=0; shift 2
    "$@" >"$WORK/out" 2>&1 || rc=$?
    [[ $rc == "$want" ]] || fail "$what: exit $rc, expected $want: $(head -c 400 "$WORK/out")"
}
qcheck() {
    local q rc=0
    q=$(qemu-img check -f vhdx "$1" 2>&1) || rc=$?
    [[ $rc == 0 && $q == *"No errors were found on the image."* ]] || fail "qemu-img check $1: $rc $(head -c 300 <<<"$q")"
}
catsha() { "$CLI" cat "$@" | sha256sum | cut -c1-64; }

# ---- generated chain ----
P=$WORK/p.vhdx; C=$WORK/c.vhdx; Q=$WORK/q.vhdx
"$CLI" create --type dynamic --block-size 1M "$P" 64M >/dev/null
w "$P" 0 $((3 * M + 100)) 1; w "$P" $((40 * M)) $((2 * M)) 2
"$CLI" create --type differencing --parent "$P" "$C" >/dev/null
w "$C" $((2 * M)) $((2 * M)) 3            # a full child block
w "$C" 1000 3000 4; w "$C" $((41 * M + 7)) 5000 5; w "$C" $((63 * M + 512)) 512 6
"$CLI" write --zero $((2 * M)) "$C" $((10 * M)) >/dev/null || fail "write --zero"
V=$(catsha "$C")
PV=$(catsha "$P")
[[ $V != "$PV" ]] || fail "the child must differ from its parent"

expect_rc 0 "commit" "$CLI" commit "$C"
grep -q "committed 4203520 bytes" "$WORK/out" || fail "commit output: $(cat "$WORK/out")"
qcheck "$P"
check_image "commit:parent" "$P" 0 -
PYV_PARENT=""
diff_image "commit:parent" "$P" "$V" qemu
check_image "commit:child" "$C" 0 -
PYV_PARENT=$P diff_image "commit:child" "$C" "$V" noqemu

# rebase onto a parent with other data
"$CLI" create --type dynamic --block-size 1M "$Q" 64M >/dev/null
w "$Q" 0 $M 7; w "$Q" $((30 * M)) 4096 8
expect_rc 2 "rebase onto a different parent" "$CLI" rebase "$C" --parent "$Q"
grep -q "first difference at virtual offset 0" "$WORK/out" || fail "rebase refusal: $(cat "$WORK/out")"
expect_rc 0 "rebase --content" "$CLI" rebase --content "$C" -b "$Q"
grep -q "rebased onto" "$WORK/out" || fail "rebase output: $(cat "$WORK/out")"
check_image "rebase:child" "$C" 0 -
PYV_PARENT=$Q diff_image "rebase:child" "$C" "$V" noqemu
expect_rc 0 "rebase -u" "$CLI" rebase -u "$C" --parent "$P"
[[ $(catsha "$C") == "$V" ]] || fail "rebase -u back onto the committed parent"
expect_rc 0 "commit --remove" "$CLI" commit --remove "$C"
[[ ! -e $C ]] || fail "commit --remove left the child"
[[ $(catsha "$P") == "$V" ]] || fail "parent after the second commit"

# usage and refusals
expect_rc 1 "rebase without --parent" "$CLI" rebase "$P"
expect_rc 1 "rebase -u --content" "$CLI" rebase -u --content "$P" -b "$Q"
expect_rc 1 "commit without CHILD" "$CLI" commit
expect_rc 1 "commit of a dynamic image" "$CLI" commit "$P"
grep -q "not a differencing image" "$WORK/out" || fail "commit of a dynamic image: $(cat "$WORK/out")"
"$CLI" create --type differencing --parent "$P" "$C" >/dev/null
w "$P" 0 512 9
expect_rc 2 "commit after the parent changed" "$CLI" commit "$C"
grep -q "R105" "$WORK/out" || fail "linkage refusal: $(cat "$WORK/out")"
expect_rc 0 "commit --parent-ignore-linkage" "$CLI" commit --parent-ignore-linkage "$C"
expect_rc 0 "commit --help" "$CLI" commit --help
expect_rc 0 "rebase --help" "$CLI" rebase --help
rm -f "$P" "$C" "$Q"

# ---- the Hyper-V checkpoint ----
IMAGES=${VHDX_SHARED_DIR:-}/images
if [[ -f $IMAGES/dissect-hypervisor_differencing.avhdx.gz ]]; then
    D=$WORK/d.avhdx; Z=$WORK/z.vhdx
    gzip -dc "$IMAGES/dissect-hypervisor_differencing.avhdx.gz" > "$D"
    "$CLI" create --type dynamic --block-size 2M "$Z" 8G >/dev/null
    expect_rc 1 "rebase of the checkpoint without its parent" "$CLI" rebase "$D" -b "$Z"
    expect_rc 0 "rebase -u of the checkpoint" "$CLI" rebase -u "$D" -b "$Z"
    check_image "hyperv:child" "$D" 0 -
    "$CLI" map --json "$D" > "$WORK/map.json" || fail "vhdx map"
    expect_rc 0 "commit of the checkpoint" "$CLI" commit "$D"
    qcheck "$Z"
    check_image "hyperv:parent" "$Z" 0 -
    qemu-img convert -f vhdx -O raw "$Z" "$WORK/z.raw" || fail "qemu-img convert"
    "$CLI" map --json "$Z" > "$WORK/qmap.json" || fail "vhdx map of the parent"
    out=$("$PY" - "$CLI" "$D" "$Z" "$WORK/map.json" "$WORK/z.raw" "$WORK/qmap.json" "$HAVE_PYVHDI" <<'PYEOF'
import hashlib, json, subprocess, sys
cli, child, parent, mapf, raw, qmap, have = sys.argv[1:8]
ext = [e for e in json.load(open(mapf)) if e["depth"] == 0 and e["data"]]
total = sum(e["length"] for e in ext)
def vcat(img, e):
    return subprocess.run([cli, "cat", "--offset", str(e["start"]), "--length", str(e["length"]), img],
                          check=True, stdout=subprocess.PIPE).stdout
hc, hp, hr, hv = (hashlib.sha256() for _ in range(4))
with open(raw, "rb") as f:
    for e in ext:
        hc.update(vcat(child, e)); hp.update(vcat(parent, e))
        f.seek(e["start"]); hr.update(f.read(e["length"]))
if have == "1":
    import pyvhdi
    pp = pyvhdi.file(); pp.open(parent)
    pc = pyvhdi.file(); pc.open(child); pc.set_parent(pp)
    for e in ext:
        pc.seek(e["start"]); hv.update(pc.read(e["length"]))
print("extents", len(ext), "bytes", total)
print("child", hc.hexdigest()); print("parent", hp.hexdigest()); print("qemu", hr.hexdigest())
print("libvhdi", hv.hexdigest() if have == "1" else hc.hexdigest())
# every block allocated in the parent holds a child extent (2 MiB blocks; qemu-img map
# reports every byte of a VHDX as data, so vhdx map says it)
blocks = {e["start"] // 2097152 for e in ext} | {(e["start"] + e["length"] - 1) // 2097152 for e in ext}
bad = [m for m in json.load(open(qmap)) if m["data"] and any(
       b not in blocks for b in range(m["start"] // 2097152, (m["start"] + m["length"] - 1) // 2097152 + 1))]
print("outside", len(bad))
PYEOF
) || fail "checkpoint cross-read: $out"
    h=$(sed -n 's/^child //p' <<<"$out")
    for o in parent qemu libvhdi; do
        [[ $(sed -n "s/^$o //p" <<<"$out") == "$h" ]] || fail "checkpoint: $o reads other bytes than vhdx cat of the child: $out"
    done
    [[ $(sed -n 's/^outside //p' <<<"$out") == 0 ]] || fail "checkpoint: parent data outside the child's blocks: $out"
    [[ $(sed -n 's/^extents //p' <<<"$out") == "179 bytes 3174400" ]] || fail "checkpoint: $(head -1 <<<"$out")"
    echo "ok   hyperv checkpoint: $(head -1 <<<"$out") identical through vhdx (child, parent), libvhdi and qemu-img"
    rm -f "$D" "$Z" "$WORK/z.raw"
fi

if (( FAILS > 0 )); then echo "FAIL: $FAILS"; exit 1; fi
echo "PASS: commit and rebase results read back identically through vhdx, qemu-img and libvhdi"
