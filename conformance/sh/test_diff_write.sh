#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_diff_write.sh - write-side differential test (issue 4).
#
# Every image libvhdx creates (`vhdx create`: fixed and dynamic, block sizes 1, 2, 32 and
# 256 MiB, 512- and 4096-byte logical sectors; differencing children over a parent, read
# by libvhdi with the parent set) or modifies (`vhdx write` at chosen offsets:
# unaligned, across the first sector-bitmap boundary at 4 GiB with 1 MiB blocks, the last
# bytes of the disk; also into images qemu-img created) must
#   * pass `qemu-img check` with no errors (512-byte sectors; qemu-img cannot open 4096),
#   * pass `vhdx check` with the expected exit code and rule ids,
#   * report the same sizes, sector size, type and DataWriteGuid as qemu-img info / libvhdi,
#   * read back byte-identical through `vhdx cat`, qemu-img convert, libvhdi (pyvhdi) and a
#     raw reference built independently with dd from the same writes, and `vhdx convert`,
# except where conformance/oracle-allowlist.tsv lists a disagreement with the rule that
# proves us right. Skips (77) without qemu-img.
# ctest-labels: slow
set -u
. "$(dirname "${BASH_SOURCE[0]}")/difflib.sh"
diff_prereqs

G4=4294967296
N=0

# new NAME -- CREATE-ARGS... : creates $WORK/NAME.vhdx with vhdx create and a sparse raw
# reference of SIZE (the last create argument)
new() {
    local name=$1; shift
    IMG="$WORK/$name.vhdx"; REF="$WORK/$name.ref"; KEY="w:$name"
    local size=${*: -1} rc=0
    "$CLI" create "${@:1:$#-1}" "$IMG" "$size" >"$WORK/create.out" 2>&1 || rc=$?
    [[ $rc == 0 ]] || fail "$KEY: vhdx create $* exited $rc: $(head -c 300 "$WORK/create.out")"
    rm -f "$REF"
    truncate -s "$(numfmt --from=iec "$size")" "$REF"
}

# from_qemu NAME QEMU-CREATE-OPTIONS SIZE: the image is made by qemu-img instead
from_qemu() {
    local name=$1 opts=$2 size=$3
    IMG="$WORK/$name.vhdx"; REF="$WORK/$name.ref"; KEY="w:$name"
    qemu-img create -q -f vhdx -o "$opts" "$IMG" "$size" || fail "$KEY: qemu-img create"
    rm -f "$REF"
    truncate -s "$(numfmt --from=iec "$size")" "$REF"
}

# child NAME [CREATE-ARGS...]: a differencing child of the current image (which becomes its
# parent and must not change afterwards); the reference keeps the parent's content
child() {
    local name=$1 rc=0; shift
    PYV_PARENT=$IMG
    IMG="$WORK/$name.vhdx"; KEY="w:$name"
    "$CLI" create --type differencing --parent "$PYV_PARENT" "$@" "$IMG" >"$WORK/create.out" 2>&1 || rc=$?
    [[ $rc == 0 ]] || fail "$KEY: vhdx create --type differencing $* exited $rc: $(head -c 300 "$WORK/create.out")"
}

# w OFFSET LEN SEED: `vhdx write` of LEN pattern bytes at OFFSET, mirrored into the reference
w() {
    local off=$1 len=$2 seed=$3 rc=0
    "$PY" "$ORACLE" pattern "$seed" "$len" > "$WORK/data"
    "$CLI" write "$IMG" "$off" "$WORK/data" >"$WORK/write.out" 2>&1 || rc=$?
    [[ $rc == 0 ]] || fail "$KEY: vhdx write $off $len exited $rc: $(head -c 300 "$WORK/write.out")"
    dd if="$WORK/data" of="$REF" bs=1M conv=notrunc oflag=seek_bytes seek="$off" status=none
}

# verify qemu|noqemu CHECK_EXIT CHECK_RULES SHA256: the SHA-256 of the virtual disk is
# exact (the written data is deterministic), on top of byte identity with the dd reference
verify() {
    local useqemu=$1 code=$2 rules=$3 sha=$4 before=$FAILS
    if [[ $useqemu == qemu ]]; then
        local q rc=0
        q=$(qemu-img check -f vhdx "$IMG" 2>&1) || rc=$?
        if [[ $rc != 0 || $q != *"No errors were found on the image."* ]]; then
            fail "$KEY: qemu-img check exited $rc: $(head -c 400 <<<"$q")"
        fi
    fi
    check_image "$KEY" "$IMG" "$code" "$rules"
    diff_image "$KEY" "$IMG" "$sha" "$useqemu" "$REF"
    info_image "$KEY" "$IMG" "$useqemu"
    rm -f "$IMG" "$REF"
    [[ $FAILS == "$before" ]] && echo "ok   $KEY"
}

# run: runs the case just defined as one() in a subshell with its own scratch directory,
# two at a time (2 cores); the subshell's exit status is its failure count
JOBS=()
run() {
    local dir="$WORK/j$N"
    mkdir -p "$dir"
    ( WORK=$dir; FAILS=0; one; exit $(( FAILS > 0 ? 1 : 0 )) ) > "$WORK/out.$N" 2>&1 &
    JOBS+=($!)
    N=$((N + 1))
    if (( ${#JOBS[@]} >= 2 )); then
        wait "${JOBS[0]}" || FAILS=$((FAILS + 1))
        JOBS=("${JOBS[@]:1}")
    fi
}

# ---- dynamic, 512-byte sectors, every block size ----
one() {
    new dyn-1M-64M --type dynamic --block-size 1M 64M
    w 0 1048576 1; w 5000 1234 2; w 1572864 3072 3; w $((64 * 1048576 - 1000)) 1000 4
    verify qemu 0 - 5e22c86334c4b4410be4b87df9c26bbdbc6e582e2636df4d24bab698fd98ead4
}; run

one() {
    new dyn-2M-64M --type dynamic --block-size 2M 64M
    w 2097151 2 5; w $((3 * 1048576 + 17)) 300000 6
    verify qemu 0 - 74767d751b62664f2551843e4be2d2d986d924c4f7e79c84d203c100cd8e3b71
}; run

one() {
    new dyn-32M-100M --type dynamic --block-size 32M 100M
    w 0 4096 7; w $((100 * 1048576 - 4096)) 4096 8; w $((32 * 1048576 - 100)) 200 9
    verify qemu 0 - b969b447cbb55f2e23441a9a1ef60e985de8b4799c6e3fa4e739fa101abbafb5
}; run

one() {
    new dyn-256M-600M --type dynamic --block-size 256M --log-size 8M 600M
    w $((256 * 1048576 - 10)) 20 10; w $((600 * 1048576 - 513)) 513 11
    verify qemu 0 - 85f13d4895666d0eced5ba560b21f3675149fba09642e511d3d436afa5785a2c
}; run

# across the first sector-bitmap boundary (chunk = 4096 blocks of 1 MiB = 4 GiB)
one() {
    new dyn-1M-4G1M --type dynamic --block-size 1M 4097M
    w 0 65536 12; w $((G4 - 1048576)) 1048576 13; w $((G4 - 700)) 1400 14
    w $((G4 + 4096)) 5000 15; w $((G4 + 1048576 - 513)) 513 16
    verify qemu 0 - 180397a967b423a885f56ab9389c1ab5b62dd6493baf9747d66efa658210bbfb
}; run

# random writes (31-bit LCG, fixed seed: the same generator as corpus/known-good/gen.sh)
RNG=20261129
rng() { RNG=$(( (RNG * 1103515245 + 12345) % 2147483648 )); }
one() {
    new dyn-1M-random --type dynamic --block-size 1M 48M
    for ((i = 0; i < 24; i++)); do
        rng; off=$(( (RNG * 64 + (RNG >> 7)) % (48 * 1048576 - 150000) ))
        rng; len=$(( 1 + RNG % 150000 ))
        w "$off" "$len" $((100 + i))
    done
    verify qemu 0 - df0588dcfbd93ce70aed11ade7c73780086513d5322cb8bfd3e9b48c58a9b85b
}; run

# ---- fixed, 512-byte sectors ----
one() {
    new fix-1M-64M --type fixed --block-size 1M 64M
    w 0 1048576 17; w $((63 * 1048576 + 5)) 1000 18
    verify qemu 0 - 260068f487b5f0e86d4f7962d678c728c5bd589beb826db22fa4c7c419d8816e
}; run

one() {
    new fix-2M-32M --type fixed --block-size 2M 32M
    w 1 2 19; w $((32 * 1048576 - 2)) 2 20
    verify qemu 0 - 207c7fc55a10198996d1ebfaabbe3949f9f08b252ebe4eb4602d367c2a681ab9
}; run

one() {
    new fix-32M-96M --type fixed --block-size 32M 96M
    w $((32 * 1048576 - 1)) 2 21
    verify qemu 0 - 481fa7aaa722654bbca9eb81c0dc01caed52c6777865f7b9128413c26cd4c16f
}; run

one() {
    new fix-256M-512M --type fixed --block-size 256M 512M
    w $((256 * 1048576 - 512)) 1024 22
    verify qemu 0 - 52c7f1dfa070484c407a8499bd7283376dad65264646df10a5f063d4ff0231ae
}; run

one() {
    new fix-1M-4G1M --type fixed --block-size 1M 4097M
    w $((G4 - 1024)) 1024 23; w "$G4" 4096 24; w $((G4 + 1048576 - 512)) 512 25
    verify qemu 0 - 620e1fed2507787a5e77b42a3b8b6031333037b135148488e7e83da88dae75c9
}; run

# ---- 4096-byte logical sectors: libvhdi must agree (qemu-img cannot open them) ----
one() {
    new dyn-1M-4k-64M --type dynamic --block-size 1M --logical-sector 4096 64M
    w 0 8192 26; w 12345 4000 27; w $((64 * 1048576 - 4096)) 4096 28
    verify noqemu 0 - 2a8afcba42093579ee8bb0c410d54071cb607445a69ea34e128668a57cda537e
}; run

one() {
    new fix-1M-4k-16M --type fixed --block-size 1M --logical-sector 4096 16M
    w 4095 2 29; w $((15 * 1048576)) 1048576 30
    verify noqemu 0 - fca77757ee784ffb601ec205c242c295aaa641cf0ce18db556b72e852f3e04b5
}; run

one() {
    new dyn-32M-4k-64M --type dynamic --block-size 32M --logical-sector 4096 --physical-sector 512 64M
    w $((32 * 1048576 - 3)) 6 31
    verify noqemu 0 - 374128dedc3c26fb31867a49dcbecc8ae64fb3f379a25715decf97036ea948c0
}; run

# ---- differencing (qemu-img cannot open them: libvhdi with the parent set, dd reference) ----
one() {
    new diff-parent-64M --type dynamic --block-size 1M 64M
    w 1000 3000000 40; w $((40 * 1048576)) 1048576 41
    child diff-2M-64M
    # sector-granular writes make PARTIALLY_PRESENT blocks with sector bitmaps
    w 2000000 5000 42; w 513 1 43; w $((40 * 1048576 + 4096)) 8192 44
    w $((64 * 1048576 - 512)) 512 45; w $((10 * 1048576)) 2097152 46
    verify noqemu 0 - 8e3729000591c75ff311847c20b5caa6e4c57182823697538f4a3cdfcb5a1a3b
}; run

one() {
    new diff-parent-4G1M --type dynamic --block-size 1M 4097M
    w $((G4 - 4096)) 8192 47
    child diff-1M-4G1M --block-size 1M
    # chunk 1 (from 4 GiB) has its own sector bitmap block
    w $((G4 - 700)) 1400 48; w $((G4 + 1048576 - 513)) 513 49
    verify noqemu 0 - f755e078bffddeea9278e64051f38d7ca16be4abcc213e04926827d8e2c9eb0f
}; run

one() {
    new diff-parent-4k --type dynamic --block-size 1M --logical-sector 4096 32M
    w 0 1048576 50
    child diff-4k-32M
    w 4095 2 51; w $((31 * 1048576)) 12288 52
    verify noqemu 0 - 43a9adeb12e233f41b25ecec1d684d264e959f74a48bf07a9a1b755c95ebb7ce
}; run

# ---- images qemu-img made, modified by libvhdx (Required = 0 stays: D7 warnings) ----
one() {
    from_qemu qemu-dyn-1M-4G1M "subformat=dynamic,block_size=1M" 4097M
    w $((G4 - 512)) 1024 32; w $((G4 + 1048575)) 1 33
    verify qemu 3 D7 fb4959f094ad157516a487186daa594a557a87be64d65b947ab0ce06ad474268
}; run

one() {
    from_qemu qemu-fix-1M-64M-nozero "subformat=fixed,block_size=1M,block_state_zero=off" 64M
    w 100 100 34; w $((40 * 1048576 - 5)) 10 35
    verify qemu 3 D7 12aae10e2cdf1746cfdc98287e7ea681a6a6a15379b52972fb6f3ee85bc80dd1
}; run

one() {
    from_qemu qemu-dyn-8M-log8M "subformat=dynamic,block_size=8M,log_size=8M" 1G
    w $((8 * 1048576 - 100)) 200 36; w $((1024 * 1048576 - 1536)) 1536 37
    verify qemu 3 D7 98cb0f4399b4b9588a93cdf816686255a9580f476c27165789f28a3dc2fc2384
}; run

for p in "${JOBS[@]}"; do wait "$p" || FAILS=$((FAILS + 1)); done
for ((i = 0; i < N; i++)); do cat "$WORK/out.$i"; done
if (( FAILS > 0 )); then echo "FAIL: $FAILS of $N images"; exit 1; fi
echo "PASS: $N images created or modified by vhdx read back identically through qemu-img, libvhdi and a dd reference"
