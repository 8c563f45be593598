#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/interop-matrix.sh [--quick] [--out DIR] [--kit DIR] [--images DIR] [BUILD_DIR]
#
# The interoperability matrix: every image of the default conformance kit (`vhdx kit`, written
# once into a temporary folder unless --kit names one) and the 14 known-good images of
# ../shared/images (decompressed sparse into a temporary folder, or taken decompressed from
# --images; skipped with a message when absent), read by every independent VHDX reader found
# here: qemu-img (info, check, convert -O raw), libvhdi (vhdiinfo, pyvhdi), 7-Zip (7z t, 7z x)
# and this library (vhdx check, vhdx cat). Readers that are not installed are missing columns.
# Writes DIR/interop-matrix.json (schema reports/schema/interop-matrix.schema.json) and
# DIR/interop-matrix.md (DIR: reports/). The predictions of `vhdx check` are compared with the
# measured cells; disagreements must be in conformance/interop-allowlist.tsv.
#   --quick   the ctest's bounded run: disks over 128 MiB are read by the kit manifest's range
#             hashes (7z x, which cannot seek, is skipped for them; the known-good images have
#             no ranges: only their open/check commands and small disks run)
# Environment: JOBS (parallel commands, default nproc), VHDX_SHARED_DIR, INTEROP_TIMEOUT
# (seconds per command, default 10) and INTEROP_TIMEOUT_PER_GIB (plus seconds per GiB read:
# default 20 with --quick, 60 in full mode, where 10 GiB disks are read whole on a loaded
# machine).
# Exit status: 0, or 1 when a prediction disagrees with the measurement without an allowlist
# entry, an allowlist entry is stale, or the matrix could not be made.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=() out="$root/reports" kit="" images=""
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) quick=(--quick) ;;
    --out) out=$2; shift ;;
    --kit) kit=$2; shift ;;
    --images) images=$2; shift ;;
    -h|--help) sed -n '3,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "interop-matrix: unknown option $1" >&2; exit 1 ;;
    *) break ;;
    esac
    shift
done
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
CLI="$build/bin/vhdx"
[ -x "$CLI" ] || { echo "interop-matrix: $CLI not built (run make build)" >&2; exit 1; }
shared=${VHDX_SHARED_DIR:-$(cd "$root/.." && pwd)/shared}
W=$(mktemp -d "${TMPDIR:-/tmp}/vhdx-interop.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
mkdir -p "$out" || exit 1

if [ -z "$kit" ]; then
    kit="$W/kit"
    "$CLI" kit "$kit" >/dev/null || { echo "interop-matrix: vhdx kit failed" >&2; exit 1; }
fi

# the known-good images, decompressed sparse (their 2 GiB of files hold ~4 MiB of data)
if [ -z "$images" ] && [ -d "$shared/images" ]; then
    images="$W/images"
    mkdir -p "$images"
    for src in "$shared/images"/*.gz "$shared/images"/*.bz2 "$shared/images"/*.zip; do
        [ -e "$src" ] || continue
        b=$(basename "$src"); b=${b%.gz}; b=${b%.bz2}; b=${b%.zip}
        case "$src" in
        *.gz) gzip -dc "$src" ;;
        *.bz2) bzip2 -dc "$src" ;;
        *.zip) python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); sys.stdout.buffer.write(z.read(z.namelist()[0]))' "$src" ;;
        esac | dd of="$images/$b" bs=1M conv=sparse iflag=fullblock status=none ||
            { echo "interop-matrix: cannot extract $src" >&2; rm -f "$images/$b"; }
    done
fi
shared_args=()
if [ -n "$images" ]; then
    shared_args=(--shared "$images" --known-good "$root/conformance/known-good.tsv")
else
    echo "interop-matrix: known-good images not found at $shared/images: skipped"
fi

python3 "$root/scripts/interop_matrix.py" --cli "$CLI" --kit "$kit" "${shared_args[@]}" \
    --allowlist "$root/conformance/interop-allowlist.tsv" --jobs "${JOBS:-$(nproc 2>/dev/null || echo 2)}" \
    --timeout "${INTEROP_TIMEOUT:-10}" --timeout-per-gib "${INTEROP_TIMEOUT_PER_GIB:-$([ ${#quick[@]} -gt 0 ] && echo 20 || echo 60)}" \
    --work "$W" "${quick[@]}" \
    --json "$out/interop-matrix.json" --md "$out/interop-matrix.md"
