# SPDX-License-Identifier: Apache-2.0
# difflib.sh - shared part of the differential tests (sourced by test_diff_*.sh).
# Provides: skip/fail/note, the oracle allow-list, and `diff_image KEY IMAGE SHA` that
# compares `vhdx cat` with qemu-img and libvhdi and asserts the expected SHA-256.

SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CLI=${VHDX_CLI:-}
PY=/usr/bin/python3
[[ -x $PY ]] || PY=$(command -v python3 || true)
ORACLE="$SRC/conformance/sh/oracle.py"
ALLOW="$SRC/conformance/oracle-allowlist.tsv"
FAILS=0

skip() { echo "SKIP: $*"; exit 77; }
note() { echo "  $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

. "$(dirname "${BASH_SOURCE[0]}")/flip_byte.sh"

# qemu_raw ARGS...: qemu-img convert with an O_DIRECT source (as in cli_common.sh)
qemu_raw() { qemu-img convert -T none "$@" 2>/dev/null || qemu-img convert "$@"; }

diff_prereqs() {
    command -v qemu-img >/dev/null || skip "qemu-img not installed (make deps installs qemu-utils)"
    [[ -n $PY ]] || skip "python3 not installed"
    [[ -n $CLI && -x $CLI ]] || { echo "FAIL: VHDX_CLI not set or not executable"; exit 1; }
    HAVE_PYVHDI=1
    "$PY" "$ORACLE" pyvhdi-check || { HAVE_PYVHDI=0; echo "note: pyvhdi not installed: libvhdi comparisons skipped"; }
    WORK=$(mktemp -d "${VHDX_BINARY_DIR:-${TMPDIR:-/tmp}}/diff.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
}

# allowed ORACLE KEY -> prints the allow-listed first_diff ("" when not listed)
allowed() {
    awk -F'\t' -v o="$1" -v k="$2" '!/^#/ && $1 == o && $2 == k { print $4 }' "$ALLOW"
}

# judge ORACLE KEY RESULT-LINE: RESULT is "same", "differs OFF" or "error MSG"
judge() {
    local oracle=$1 key=$2 res=$3 want
    want=$(allowed "$oracle" "$key")
    case $res in
    same)
        [[ -z $want ]] || fail "$key: $oracle now agrees with us; remove its line from oracle-allowlist.tsv"
        ;;
    "differs "*)
        if [[ -z $want ]]; then
            fail "$key: $oracle differs from vhdx cat at byte ${res#differs }"
        elif [[ $want != "${res#differs }" ]]; then
            fail "$key: $oracle differs at byte ${res#differs }, allow-list says $want"
        else
            note "$key: $oracle differs at byte $want (allow-listed)"
        fi
        ;;
    "error "*)
        if [[ $want == open ]]; then
            note "$key: $oracle cannot read it (allow-listed): ${res#error }"
        else
            fail "$key: $oracle failed: $(head -c 300 <<<"${res#error }")"
        fi
        ;;
    *) fail "$key: $oracle: unexpected result '$res'" ;;
    esac
}

# diff_image KEY IMAGE EXPECTED_SHA [qemu|noqemu] [REFERENCE_RAW]: one pass over
# `vhdx cat IMAGE`, hashed and compared with qemu-img's raw conversion, with pyvhdi and with
# an independently built raw reference. EXPECTED_SHA "-" = any.
diff_image() {
    local key=$1 img=$2 sha=$3 useqemu=${4:-qemu} ref=${5:-} raw args=() out rc
    key=${key//\//_}
    raw="$WORK/${key//:/_}.raw"
    if [[ $useqemu == qemu ]]; then
        if ! qemu_raw -f vhdx -O raw "$img" "$raw" 2>"$raw.err"; then
            if [[ $(allowed qemu-img "$1") == open ]]; then
                note "$1: qemu-img cannot read it (allow-listed)"
            else
                fail "$1: qemu-img convert failed: $(head -c 300 "$raw.err")"
            fi
        else
            args+=(--raw "$raw")
        fi
    fi
    [[ -n $ref ]] && args+=(--raw "reference=$ref")
    # `vhdx convert` (sparse raw output) must equal `vhdx cat` byte for byte
    local conv="$raw.convert" crc=0 cparent=()
    [[ -n ${PYV_PARENT:-} ]] && cparent=(--parent "$PYV_PARENT")
    "$CLI" convert "${cparent[@]}" "$img" "$conv" >"$conv.err" 2>&1 || crc=$?
    if [[ $crc != 0 ]]; then
        fail "$1: vhdx convert exited $crc: $(head -c 300 "$conv.err")"
    else
        args+=(--raw "convert=$conv")
    fi
    # differencing images: libvhdi is given the parent explicitly (PYV_PARENT)
    [[ $HAVE_PYVHDI == 1 && -n ${PYV_PARENT:-} ]] && args+=(--pyvhdi-parent "$PYV_PARENT")
    [[ $HAVE_PYVHDI == 1 ]] && args+=(--pyvhdi "$img")
    out=$( { "$CLI" cat "$img" 2>"$raw.cat.err"; echo $? > "$raw.cat.rc"; } | "$PY" "$ORACLE" compare - "${args[@]}")
    rc=$(cat "$raw.cat.rc")
    rm -f "$raw" "$conv"
    if [[ $rc != 0 ]]; then
        fail "$1: vhdx cat exited $rc: $(head -c 300 "$raw.cat.err")"
        return
    fi
    local ours line
    ours=$(sed -n 's/^ours \([0-9a-f]*\) .*/\1/p' <<<"$out")
    if [[ $sha != - && $ours != "$sha" ]]; then
        fail "$1: vhdx cat sha256 $ours, expected $sha"
    fi
    line=$(sed -n 's/^raw //p' <<<"$out"); [[ -n $line ]] && judge qemu-img "$1" "$line"
    line=$(sed -n 's/^convert //p' <<<"$out")
    [[ -n $line && $line != same ]] && fail "$1: vhdx convert output differs from vhdx cat: $line"
    line=$(sed -n 's/^reference //p' <<<"$out")
    [[ -n $line && $line != same ]] && fail "$1: vhdx cat differs from the reference raw: $line"
    line=$(sed -n 's/^pyvhdi //p' <<<"$out"); [[ -n $line ]] && judge libvhdi "$1" "$line"
    LAST_SHA=$ours
}

# info_image KEY IMAGE [qemu|noqemu]: `vhdx info --json` against qemu-img info and libvhdi
# (sizes, sector size, disk type, current DataWriteGuid). Disagreements are allow-listed
# like content ones, with oracle "qemu-img-info"/"libvhdi-info" and first_diff = the field.
info_image() {
    local key=$1 img=$2 useqemu=${3:-qemu} args=() out line rc=0 o want
    [[ $useqemu == qemu ]] && args+=(--qemu)
    [[ $HAVE_PYVHDI == 1 ]] && args+=(--pyvhdi)
    out=$("$CLI" info --json "$img" 2>"$WORK/info.err" | "$PY" "$ORACLE" info "$img" "${args[@]}") || rc=$?
    [[ $rc == 0 ]] || { fail "$key: vhdx info --json | oracle.py info failed: $(head -c 300 "$WORK/info.err")"; return; }
    while read -r o line; do
        [[ -z $o ]] && continue
        want=$(allowed "$o-info" "$key")
        case $line in
        same) [[ -z $want ]] || fail "$key: $o info now agrees; remove its allow-list line" ;;
        *)
            if [[ -n $want && $line == "differs $want"* ]]; then
                note "$key: $o info $line (allow-listed)"
            else
                fail "$key: $o info $line"
            fi
            ;;
        esac
    done <<<"$out"
}

# check_image KEY IMAGE EXPECTED_EXIT [EXPECTED_RULES]: `vhdx check` exit code and the sorted
# distinct rule ids of its error and warning lines ("-" = none; omitted = not compared)
check_image() {
    local rc=0 rules
    "$CLI" check --no-progress "$2" >"$WORK/check.out" 2>&1 || rc=$?
    if [[ $rc != "$3" ]]; then
        fail "$1: vhdx check exited $rc, expected $3: $(head -c 600 "$WORK/check.out")"
    fi
    if [[ -n ${4:-} ]]; then
        rules=$(sed -n 's/^  \(error\|warning\) *\([A-Z][0-9][0-9]*\) .*/\2/p' "$WORK/check.out" | LC_ALL=C sort -u | paste -sd, -)
        [[ -n $rules ]] || rules=-
        [[ $rules == "$4" ]] || fail "$1: vhdx check rules '$rules', expected '$4': $(head -c 600 "$WORK/check.out")"
    fi
}
