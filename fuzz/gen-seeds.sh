#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Regenerates corpus/<harness>/ from images the library creates (fuzz_gen_seeds) and, when
# qemu-img is installed, from qemu-img images made now; then minimises each harness's
# corpus with libFuzzer -merge=1 (when build-fuzz/ has the targets; `make fuzz` first),
# keeping the seeds already in corpus/<harness>/ that add coverage.
#   fuzz/gen-seeds.sh [BUILD_DIR]   (default build-seeds; configured here if missing)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build-seeds}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
if [ ! -x "$BUILD/bin/fuzz_gen_seeds" ]; then
  cmake -S "$ROOT" -B "$BUILD" -DVHDX_BUILD_CLI=OFF >/dev/null
  cmake --build "$BUILD" --target fuzz_gen_seeds -j"$(nproc)" >/dev/null
fi
imgs=()
if command -v qemu-img >/dev/null; then
  q() { qemu-img create -q -f vhdx "$@"; }
  q -o subformat=dynamic,block_size=1M,log_size=1M "$TMP/qemu-dyn-8m.vhdx" 8M && imgs+=("$TMP/qemu-dyn-8m.vhdx")
  q -o subformat=fixed,block_size=1M,log_size=1M "$TMP/qemu-fixed-4m.vhdx" 4M && imgs+=("$TMP/qemu-fixed-4m.vhdx")
  q -o subformat=dynamic "$TMP/qemu-dyn-1g-default.vhdx" 1G && imgs+=("$TMP/qemu-dyn-1g-default.vhdx")
  if command -v qemu-io >/dev/null; then
    q -o subformat=dynamic,block_size=2M,log_size=1M "$TMP/qemu-dyn-written.vhdx" 16M
    qemu-io -f vhdx -c 'write -P 0xab 0 64k' -c 'write -P 0xcd 5M 8k' -c 'write -z 9M 1M' \
      "$TMP/qemu-dyn-written.vhdx" >/dev/null && imgs+=("$TMP/qemu-dyn-written.vhdx")
  fi
else
  echo "gen-seeds: qemu-img not installed; library images only"
fi
"$BUILD/bin/fuzz_gen_seeds" "$TMP/new" "${imgs[@]}"

for dir in "$TMP"/new/*/; do
  h=$(basename "$dir")
  mkdir -p "$ROOT/corpus/$h"
  if [ -x "$ROOT/build-fuzz/$h" ]; then
    # keep the union's coverage in as few files as possible
    mkdir -p "$TMP/merged/$h"
    "$ROOT/build-fuzz/$h" -merge=1 -rss_limit_mb=4096 -timeout=60 "$TMP/merged/$h" \
      "$ROOT/corpus/$h" "$dir" >"$TMP/merge-$h.log" 2>&1 || { tail -20 "$TMP/merge-$h.log"; exit 1; }
    rm -f "$ROOT/corpus/$h"/*
    cp "$TMP/merged/$h"/* "$ROOT/corpus/$h"/ 2>/dev/null || true
  else
    cp "$dir"/* "$ROOT/corpus/$h"/
  fi
  echo "corpus/$h: $(ls "$ROOT/corpus/$h" | wc -l) files, $(du -sk "$ROOT/corpus/$h" | cut -f1) KiB"
done
du -sh "$ROOT/corpus"
