# SPDX-License-Identifier: Apache-2.0
# cli_common.sh - sourced by conformance/sh/test_cli_*.sh (not a test itself).
# Environment (set by ctest): VHDX_CLI, VHDX_SHARED_DIR, VHDX_SOURCE_DIR, VHDX_BINARY_DIR.
set -u

CLI=${VHDX_CLI:-}
if [ -z "$CLI" ] || [ ! -x "$CLI" ]; then
    echo "SKIP: VHDX_CLI is not set to the vhdx binary" >&2
    exit 77
fi
IMAGES=${VHDX_SHARED_DIR:-}/images
T=$(mktemp -d "${TMPDIR:-/tmp}/vhdx-clitest.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
FAILS=0
CHECKS=0

fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
ok() { CHECKS=$((CHECKS + 1)); }

need_images() {
    if [ ! -d "$IMAGES" ]; then
        echo "SKIP: known-good images not found at $IMAGES (set VHDX_SHARED_DIR)" >&2
        exit 77
    fi
}

. "$(dirname "${BASH_SOURCE[0]}")/flip_byte.sh"

need_prog() {
    command -v "$1" >/dev/null 2>&1
}

# The real images with a clean log that need no parent: all but the two with a dirty log
# (discutils-ltrdata_vhdx-log-replay, qemu-iotests_iotest-dirtylog-10G-4M) and the
# differencing one (dissect-hypervisor_differencing).
CLEAN_IMAGES="dissect-hypervisor_fixed.vhdx.gz dissect-hypervisor_dynamic.vhdx.gz
    velociraptor_test.vhdx.zip qemu-iotests_iotest-dynamic-1G.vhdx.bz2
    qemu-iotests_test-disk2vhd.vhdx.bz2 discutils-ltrdata_btrfs.vhdx.gz
    discutils-ltrdata_lvm2.vhdx.gz discutils-ltrdata_swap.vhdx.gz
    discutils-ltrdata_xfs.vhdx.gz discutils-ltrdata_xfs5.vhdx.gz
    coreos-hyperv_config2_base.vhdx.bz2"

# extract NAME -> prints the path of the decompressed image. Images are decompressed once
# into a cache under the build tree (shared by the CLI tests; written via rename, so
# concurrent tests are safe) and verified against the hash recorded at extraction. Callers
# must not modify the returned file: use extract_rw for a private writable copy.
CACHE=${VHDX_BINARY_DIR:-$T}/cli-image-cache
extract() {
    local src="$IMAGES/$1" base out tmp
    base=${1%.gz}; base=${base%.bz2}; base=${base%.zip}
    out="$CACHE/$base"
    if [ -f "$out" ] && [ -f "$out.sha256" ] && \
       [ "$(sha "$out")" = "$(cat "$out.sha256")" ]; then
        printf '%s\n' "$out"
        return 0
    fi
    mkdir -p "$CACHE" || exit 1
    tmp=$(mktemp "$CACHE/.$base.XXXXXX") || exit 1
    case "$1" in
    *.gz) gzip -dc "$src" >"$tmp" ;;
    *.bz2) bzip2 -dc "$src" >"$tmp" ;;
    *.zip) python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); sys.stdout.buffer.write(z.read(z.namelist()[0]))' "$src" >"$tmp" ;;
    esac || { rm -f "$tmp"; echo "cannot extract $1" >&2; exit 1; }
    sha "$tmp" >"$tmp.sha256"
    mv -f "$tmp.sha256" "$out.sha256" && mv -f "$tmp" "$out" || exit 1
    printf '%s\n' "$out"
}
# extract_rw NAME -> a private copy under $T that the test may modify
extract_rw() {
    local ro base
    ro=$(extract "$1") || exit 1
    base=$(basename "$ro")
    cp "$ro" "$T/$base" || exit 1
    printf '%s\n' "$T/$base"
}

# SHA-256 of stdin / of a file. OpenSSL uses the SHA extensions where the CPU has them
# (coreutils sha256sum does not: 5x slower on the GiB-sized virtual disks here).
if command -v openssl >/dev/null 2>&1; then
    hash_stdin() { openssl dgst -sha256 -r | cut -d' ' -f1; }
else
    hash_stdin() { sha256sum | cut -d' ' -f1; }
fi
sha() { hash_stdin <"$1"; }

# qemu_raw ARGS...: `qemu-img convert ARGS` reading the source with O_DIRECT (-T none): the
# holes of a sparse fixed image then reach qemu as zeros without filling (and later
# reclaiming) GiBs of page cache; the same bytes. Falls back to the default cache mode where
# O_DIRECT is refused (tmpfs) or the conversion fails (its error is the plain run's).
qemu_raw() { qemu-img convert -T none "$@" 2>/dev/null || qemu-img convert "$@"; }

# run EXPECTED_RC CMD... : runs, captures $OUT (stdout) and $ERR (stderr), checks the exit code
run() {
    local want=$1; shift
    "$@" >"$T/.out" 2>"$T/.err"
    RC=$?
    OUT=$(cat "$T/.out")
    ERR=$(cat "$T/.err")
    if [ "$RC" != "$want" ]; then
        fail "exit $RC (want $want): $*"
        [ -n "$ERR" ] && echo "  stderr: $ERR" >&2
    else
        ok
    fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" != "$3" ]; then fail "$1: got '$2', want '$3'"; else ok; fi
}

# expect_match WHAT TEXT GLOB
expect_match() {
    # shellcheck disable=SC2053
    if [[ "$2" != $3 ]]; then fail "$1: '$2' does not match '$3'"; else ok; fi
}

finish() {
    if [ "$FAILS" -ne 0 ]; then
        echo "$FAILS of $((CHECKS + FAILS)) checks failed" >&2
        exit 1
    fi
    echo "all $CHECKS checks passed"
    exit 0
}
