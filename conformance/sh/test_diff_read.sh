#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_diff_read.sh - read-side differential test (issue 4).
#
# For every image corpus/known-good/gen.sh builds with qemu-img/qemu-io:
#   * `vhdx cat IMG` has exactly the SHA-256 recorded in corpus/known-good/expected.tsv,
#   * and is byte-identical to `qemu-img convert -f vhdx -O raw IMG` and to libvhdi's read
#     (pyvhdi), except where conformance/oracle-allowlist.tsv lists the disagreement and the
#     rule that proves us right (asserted at its exact first differing byte),
#   * `vhdx convert IMG OUT.raw` (sparse) is byte-identical to `vhdx cat`,
#   * `vhdx info` agrees with qemu-img info and libvhdi on sizes, sector size, disk type and
#     the current header's DataWriteGuid,
#   * `vhdx check IMG` exits with the recorded code (3: warnings only, e.g. qemu's
#     Required = 0 region entries).
# Skips (77) without qemu-img. Two images are processed at a time (2 cores).
# ctest-labels: slow
set -u
. "$(dirname "${BASH_SOURCE[0]}")/difflib.sh"
diff_prereqs

KG="$SRC/corpus/known-good"
EXPECTED="$KG/expected.tsv"
bash "$KG/gen.sh" "$WORK/kg" >"$WORK/gen.log" 2>&1 || { cat "$WORK/gen.log"; echo "FAIL: gen.sh"; exit 1; }

# the generated set and expected.tsv must name exactly the same images
gen_names=$(cut -f1 "$WORK/kg/MANIFEST.tsv" | sort)
exp_names=$(grep -v '^#' "$EXPECTED" | cut -f1 | sort)
if [[ $gen_names != "$exp_names" ]]; then
    fail "gen.sh images and expected.tsv differ: $(diff <(echo "$gen_names") <(echo "$exp_names") | grep '^[<>]' | tr '\n' ' ')"
fi

one() {
    local name=$1 img=$2 sha=$3 code=$4 rules=$5
    FAILS=0
    diff_image "kg:$name" "$img" "$sha"
    info_image "kg:$name" "$img"
    check_image "kg:$name" "$img" "$code" "$rules"
    [[ $FAILS == 0 ]] && echo "ok   kg:$name"
    return "$FAILS"
}

n=0
pids=()
while IFS=$'\t' read -r name sha code rules; do
    [[ -z $name || $name == \#* ]] && continue
    [[ -f $WORK/kg/$name.vhdx ]] || continue
    img="$WORK/kg/$name.vhdx"
    ( WORK="$WORK/j$n"; mkdir -p "$WORK"; one "$name" "$img" "$sha" "$code" "$rules" ) > "$WORK/out.$n" 2>&1 &
    pids+=($!)
    n=$((n + 1))
    if (( ${#pids[@]} >= 2 )); then
        wait "${pids[0]}" || FAILS=$((FAILS + 1))
        pids=("${pids[@]:1}")
    fi
done < "$EXPECTED"
for p in "${pids[@]}"; do wait "$p" || FAILS=$((FAILS + 1)); done
for ((i = 0; i < n; i++)); do cat "$WORK/out.$i"; done

if (( n == 0 )); then echo "FAIL: no image compared"; exit 1; fi
if (( FAILS > 0 )); then echo "FAIL: $FAILS of $n images"; exit 1; fi
echo "PASS: $n generated images identical through vhdx, qemu-img and libvhdi (allow-list applied)"
