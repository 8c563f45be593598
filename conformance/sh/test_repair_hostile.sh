#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_repair_hostile.sh - `vhdx repair` over the hostile images of conformance/hostile,
# asserted against conformance/hostile/repair-expected.tsv; the assertions are listed in
# repair_hostile.py, which runs every case in one Python process.
# ctest-labels: slow
set -u
SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
python3 -c 'import jsonschema' 2>/dev/null || { echo "FAIL: python3-jsonschema missing"; exit 1; }
exec python3 "$SRC/conformance/sh/repair_hostile.py"
