#!/usr/bin/env bash
# gen.sh - builds the generated known-good VHDX corpus with qemu-img/qemu-io.
#
# The images are never committed and never hand-edited: this script is their source.
# Every image is built from scratch (sparse files, little data) in a few seconds.
#
#   gen.sh OUTDIR [NAME...]   build all images (or only NAME...) into OUTDIR; writes
#                             OUTDIR/MANIFEST.tsv (name, file, description)
#   gen.sh --list             print "name<TAB>description" for every image
#
# Content is deterministic (fixed patterns, a fixed-seed LCG for the random writes), so
# the virtual-disk SHA-256 of each image is recorded in expected.tsv beside this script.
# Metadata is not deterministic (qemu-img draws random GUIDs and sequence numbers), so
# only the virtual-disk content is compared byte for byte.
#
# What qemu-img 7.2 writes that our checker must tolerate as warnings, not errors:
# Required = 0 on the BAT and metadata region entries (D7), memcpy'd RFC-4122 GUIDs (not
# version-4-shaped in the MS layout), and PAYLOAD_BLOCK_ZERO for unwritten blocks
# (block_state_zero=on, qemu's default).
set -euo pipefail

LIST_ONLY=0
if [[ ${1:-} == --list ]]; then
    LIST_ONLY=1
elif [[ $# -lt 1 ]]; then
    echo "usage: $0 OUTDIR [NAME...] | --list" >&2
    exit 2
fi

if [[ $LIST_ONLY == 0 ]]; then
    OUT=$1; shift
    WANT=("$@")
    for t in qemu-img qemu-io; do
        command -v "$t" >/dev/null || { echo "gen.sh: $t not found" >&2; exit 77; }
    done
    mkdir -p "$OUT"
    : > "$OUT/MANIFEST.tsv"
fi

wanted() {
    [[ ${#WANT[@]} -eq 0 ]] && return 0
    local w
    for w in "${WANT[@]}"; do [[ $w == "$1" ]] && return 0; done
    return 1
}

# img NAME "CREATE-OPTIONS" SIZE "DESCRIPTION" [QEMU-IO-COMMAND...]
img() {
    local name=$1 opts=$2 size=$3 desc=$4
    shift 4
    if [[ $LIST_ONLY == 1 ]]; then
        printf '%s\t%s\n' "$name" "$desc"
        return
    fi
    wanted "$name" || return 0
    local f="$OUT/$name.vhdx"
    rm -f "$f"
    qemu-img create -q -f vhdx -o "$opts" "$f" "$size"
    if [[ $# -gt 0 ]]; then
        local args=() c
        # '@' stands for a space (rand_writes output survives word splitting that way)
        for c in "$@"; do args+=(-c "${c//@/ }"); done
        qemu-io -f vhdx "${args[@]}" "$f" >/dev/null
    fi
    printf '%s\t%s\t%s\n' "$name" "$name.vhdx" "$desc" >> "$OUT/MANIFEST.tsv"
}

# conv NAME "CONVERT-OPTIONS" SIZE "DESCRIPTION" [QEMU-IO-COMMAND...]: the commands write
# a raw image, which `qemu-img convert -O vhdx` turns into the VHDX (a different qemu code
# path: zero detection, sequential allocation)
conv() {
    local name=$1 opts=$2 size=$3 desc=$4
    shift 4
    if [[ $LIST_ONLY == 1 ]]; then
        printf '%s\t%s\n' "$name" "$desc"
        return
    fi
    wanted "$name" || return 0
    local f="$OUT/$name.vhdx" raw="$OUT/$name.raw.tmp"
    rm -f "$f" "$raw"
    qemu-img create -q -f raw "$raw" "$size"
    if [[ $# -gt 0 ]]; then
        local args=() c
        for c in "$@"; do args+=(-c "${c//@/ }"); done
        qemu-io -f raw "${args[@]}" "$raw" >/dev/null
    fi
    qemu-img convert -f raw -O vhdx -o "$opts" "$raw" "$f"
    rm -f "$raw"
    printf '%s\t%s\t%s\n' "$name" "$name.vhdx" "$desc" >> "$OUT/MANIFEST.tsv"
}

# Deterministic pseudo-random writes: a 31-bit LCG (glibc constants) in shell arithmetic,
# identical on every host. rand_writes SEED COUNT SPAN MAXLEN prints qemu-io commands.
RNG=0
rng() { RNG=$(( (RNG * 1103515245 + 12345) % 2147483648 )); }
rand_writes() {
    local seed=$1 count=$2 span=$3 maxlen=$4 i off len pat
    RNG=$seed
    for ((i = 0; i < count; i++)); do
        rng; off=$(( (RNG * 64 + (RNG >> 7)) % (span - maxlen) ))
        rng; len=$(( 1 + RNG % maxlen ))
        rng; pat=$(( RNG % 256 ))
        if (( pat < 24 )); then
            # qemu-io 'write -z' needs sector alignment
            printf 'write -z %d %d\n' $(( off / 512 * 512 )) $(( (len + 511) / 512 * 512 ))
        else
            printf 'write -P 0x%02x %d %d\n' "$pat" "$off" "$len"
        fi
    done
}

G4=4294967296   # first sector-bitmap boundary with 512-byte sectors (chunk = 2^23 sectors)

# ---- dynamic, 1 MiB blocks ----
img dyn-1M-64M-empty "subformat=dynamic,block_size=1M" 64M \
    "dynamic 1 MiB blocks, 64 MiB, never written (BAT all ZERO)"
img dyn-1M-64M-pat "subformat=dynamic,block_size=1M" 64M \
    "dynamic 1 MiB blocks, aligned and unaligned writes, a zero write" \
    "write -P 0xab 0 1M" "write -P 0x5a 1536k 3k" "write -P 0x11 5000 1234" \
    "write -z 0 4k" "write -P 0xee 67107840 1024" "write -P 0x3c 3145727 2"
img dyn-1M-64M-nozero "subformat=dynamic,block_size=1M,block_state_zero=off" 64M \
    "dynamic 1 MiB blocks, block_state_zero=off (NOT_PRESENT), unaligned writes" \
    "write -P 0xab 0 1M" "write -P 0x77 10485761 777" "write -P 0x01 33554431 3"
img dyn-1M-4G1M "subformat=dynamic,block_size=1M" 4097M \
    "dynamic 1 MiB blocks, 4 GiB + 1 MiB: writes before, across and after the SB slot" \
    "write -P 0xa1 0 64k" "write -P 0xa2 $((G4 - 1048576)) 1M" \
    "write -P 0xa3 $((G4 - 700)) 1400" "write -P 0xa4 $((G4 + 4096)) 5000" \
    "write -P 0xa5 $((G4 + 1048576 - 513)) 513"
img dyn-1M-4G1M-nozero "subformat=dynamic,block_size=1M,block_state_zero=off" 4097M \
    "as dyn-1M-4G1M with block_state_zero=off" \
    "write -P 0xb1 $((G4 - 512)) 1024" "write -P 0xb2 $((G4 + 1048575)) 1"
img dyn-1M-random "subformat=dynamic,block_size=1M" 64M \
    "dynamic 1 MiB blocks, 40 random writes (LCG seed 20260101), lengths up to 96 KiB" \
    $(rand_writes 20260101 40 67108864 98304 | tr ' ' '@')

# ---- dynamic, other block and log sizes ----
img dyn-8M-1G-log8M "subformat=dynamic,block_size=8M,log_size=8M" 1G \
    "dynamic 8 MiB blocks, 8 MiB log (BAT and metadata after 9 MiB)" \
    "write -P 0xc1 0 1M" "write -P 0xc2 $((8 * 1048576 - 100)) 200" \
    "write -P 0xc3 $((1024 * 1048576 - 3 * 512)) 1536"
img dyn-32M-100M "subformat=dynamic,block_size=32M" 100M \
    "dynamic 32 MiB blocks, 100 MiB: last block only partly inside the disk" \
    "write -P 0xd1 1M 1M" "write -P 0xd2 $((100 * 1048576 - 4096)) 4096"
img dyn-32M-random-log8M "subformat=dynamic,block_size=32M,log_size=8M" 256M \
    "dynamic 32 MiB blocks, 8 MiB log, 24 random writes (LCG seed 7)" \
    $(rand_writes 7 24 268435456 200000 | tr ' ' '@')
img dyn-256M-4G1M "subformat=dynamic,block_size=256M" 4097M \
    "dynamic 256 MiB blocks (chunk ratio 16), 4 GiB + 1 MiB: writes around the SB slot" \
    "write -P 0xe1 $((256 * 1048576 - 10)) 20" "write -P 0xe2 $((G4 - 4096)) 8192" \
    "write -P 0xe3 $((G4 + 1048576 - 1)) 1"

# ---- fixed ----
img fix-1M-64M "subformat=fixed,block_size=1M" 64M \
    "fixed 1 MiB blocks (block_state_zero=on: unwritten blocks ZERO, writes append)" \
    "write -P 0xab 0 1M" "write -P 0x42 5M 333"
img fix-1M-64M-nozero "subformat=fixed,block_size=1M,block_state_zero=off" 64M \
    "fixed 1 MiB blocks, block_state_zero=off: every block FULLY_PRESENT, written in place" \
    "write -P 0xab 0 1M" "write -P 0x42 $((63 * 1048576 + 5)) 1000"
img fix-32M-96M-nozero "subformat=fixed,block_size=32M,block_state_zero=off" 96M \
    "fixed 32 MiB blocks, block_state_zero=off" \
    "write -P 0x61 $((32 * 1048576 - 1)) 2" "write -P 0x62 95M 1M"
img fix-1M-4G1M-nozero "subformat=fixed,block_size=1M,block_state_zero=off" 4097M \
    "fixed 1 MiB blocks, 4 GiB + 1 MiB, all FULLY_PRESENT: the BAT has an SB slot at index 4096" \
    "write -P 0xf1 $((G4 - 1024)) 1024" "write -P 0xf2 $G4 4096" \
    "write -P 0xf3 $((G4 + 1048576 - 512)) 512"
img fix-256M-512M-log8M "subformat=fixed,block_size=256M,log_size=8M" 512M \
    "fixed 256 MiB blocks, 8 MiB log, block_state_zero=on" \
    "write -P 0x71 $((256 * 1048576 - 512)) 1024"

# ---- qemu-img convert from raw ----
conv conv-dyn-1M "subformat=dynamic,block_size=1M" 64M \
    "qemu-img convert raw -> dynamic 1 MiB blocks (zero detection leaves ZERO blocks)" \
    "write -P 0x81 0 1M" "write -P 0x82 3M 5000" "write -P 0x83 40M 1M" "write -z 3M 4096"
conv conv-fix-32M "subformat=fixed,block_size=32M" 96M \
    "qemu-img convert raw -> fixed 32 MiB blocks" \
    "write -P 0x91 0 64k" "write -P 0x92 $((64 * 1048576 - 4096)) 8192"
