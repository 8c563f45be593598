#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx bench --quick: runs end to end, prints every measurement, valid JSON, cleans up.
. "$(dirname "$0")/cli_common.sh"

export TMPDIR="$T"
run 0 "$CLI" bench --quick
expect_match "crc table" "$OUT" "*CRC-32C (vhdx_crc32c * path vs byte-at-a-time table)*"
for s in "4 KiB" "64 KiB" "1 MiB"; do
    expect_match "crc row $s" "$OUT" "*
  $s * GB/s * GB/s *x*"
done
expect_match "crc target" "$OUT" "*
  target: 1 MiB ratio >= 30x: [PF][AI][SI][SL] (*x)*"
expect_match "convert" "$OUT" "*
convert: fixed 64 MiB image in a sparse host file (holes skipped; GB/s of virtual disk)
  vhdx: * GB/s*"
expect_match "data movement" "$OUT" "*
data movement (child processes; ratio = qemu-img time / vhdx time)
  vhdx_to_raw *
  compare_sparse *"
expect_match "seq write" "$OUT" "*
sequential write: 64 MiB in 1 MiB writes into a new dynamic image
  vhdx: * GB/s*"
expect_match "random write" "$OUT" "*
random writes: 200 x 4 KiB at aligned offsets (seed 0x5eed) into a new dynamic 64 MiB image
  vhdx: * GB/s (*, * writes/s)*"
expect_match "commit" "$OUT" "*
commit: differencing child (2 MiB blocks spread over the disk) into a dynamic parent
  64 MiB child into 256 MiB parent: * s (CPU * s), 67108864 bytes moved, * MiB/s
  16 MiB child into 256 MiB parent: * s (CPU * s), 16777216 bytes moved, * MiB/s
  time ratio * (CPU *) for a data ratio of 4.00 (proportional to the data moved)*"
if need_prog qemu-io && need_prog qemu-img; then
    expect_match "qemu-io comparison" "$OUT" "*ratio vhdx/qemu-io: *x*"
    expect_match "qemu-img comparison" "$OUT" "*ratio vhdx/qemu-img: *x*"
fi
n=$(find "$T" -mindepth 1 -name 'vhdx-bench-*' | wc -l)
expect_eq "bench temp folder removed" "$n" 0

run 0 "$CLI" bench --quick --json
printf '%s\n' "$OUT" >"$T/b.json"
if python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["quick"] is True
c = d["crc32c"]
assert [s["bytes"] for s in c["sizes"]] == [4096, 65536, 1048576]
assert all(s["vhdx_gbps"] > 0 and s["table_gbps"] > 0 for s in c["sizes"])
assert c["target_ratio_1m"] == 30 and isinstance(c["pass"], bool)
assert abs(c["ratio_1m"] - c["sizes"][2]["ratio"]) < 1e-9
for k in ("convert_read", "sequential_write", "random_write_4k"):
    assert d[k]["vhdx_gbps"] > 0, k
assert d["random_write_4k"]["writes"] == 200
assert d["sequential_write"]["bytes"] == 64 << 20
m = d["data_movement"]
assert [c["name"] for c in m] == ["vhdx_to_raw", "vhdx_to_raw_sync", "raw_to_dynamic",
    "fixed_sparse_to_raw", "sparse_raw_to_dynamic", "compare_sparse"]
assert all(c["ok"] and c["vhdx_s"] > 0 and 0 < c["peak_rss_kib"] <= 64 * 1024 for c in m)
assert all(c["runs"] == 1 and c["vhdx_cpu_s"] >= 0 for c in m)
assert [c["cp_floor_s"] is not None for c in m] == [False, False, True, False, True, False]
assert m[4]["output_allocated"] < 64 << 20
assert len(d["data_movement_load"]) == 2 and all(x >= 0 for x in d["data_movement_load"])
cm = d["commit"]
assert [(c["parent_bytes"], c["child_bytes"], c["moved_bytes"]) for c in cm] == \
    [(256 << 20, 64 << 20, 64 << 20), (256 << 20, 16 << 20, 16 << 20)]
assert all(c["seconds"] > 0 for c in cm)
' "$T/b.json"; then ok; else fail "bench JSON"; fi
n=$(find "$T" -mindepth 1 -name 'vhdx-bench-*' | wc -l)
expect_eq "bench temp folder removed (json)" "$n" 0

# --data-only: the data movement cases and their method, nothing else
run 0 "$CLI" bench --quick --data-only
expect_match "data only" "$OUT" "
data movement (child processes; ratio = qemu-img time / vhdx time)
  vhdx_to_raw * (1 run each)
  * compare_sparse * (1 run each)
  * method: a sync() before each case, one untimed run of each tool, then the two
  tools alternately *
  *Load average (1 min): * before, * after."
case "$OUT" in *CRC-32C*|*compact:*|*commit:*) fail "--data-only printed other sections";; *) ok;; esac

finish
