#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# nbdkit/bench.sh --quick (the NBD part of `make bench`) runs to the end and prints both
# figures with their ratios; the figures themselves are not asserted (shared machines).
. "$(dirname "$0")/nbd_common.sh"
if ! need_prog qemu-nbd; then
    echo "SKIP: qemu-nbd not installed (qemu-utils)" >&2
    exit 77
fi
# bench.sh makes its folder under TMPDIR: a private one, so that the check below sees only
# this run's (a bench of another build or checkout running meanwhile used to fail it)
run 0 env TMPDIR="$T" bash "$VHDX_SOURCE_DIR/nbdkit/bench.sh" --quick "$VHDX_BINARY_DIR"
expect_match "bench output" "$OUT" "
NBD: nbdkit-vhdx-plugin vs qemu-nbd -f vhdx, Unix socket, best of 1
sequential read: 64M dynamic image, nbdcopy to null:
  plugin: * GB/s (* s)
  qemu-nbd: * GB/s (* s)
  ratio plugin/qemu-nbd: *x (goal >= 1.0x: *)
random writes: 200 x 4 KiB at aligned offsets (seed 0x5eed) into a new dynamic 1G image, then flush
  plugin: * GB/s (* s, * writes/s)
  qemu-nbd: * GB/s (* s, * writes/s)
  ratio plugin/qemu-nbd: *x (goal >= 2x: *)"
expect_eq "bench leaves no temporary folder" "$(find "$T" -maxdepth 1 -name 'vhdx-nbdbench.*' 2>/dev/null)" ""
finish
