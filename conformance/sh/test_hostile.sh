#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test_hostile.sh - the hostile images of conformance/hostile through the CLI.
#
# gen_hostile --write builds one image per rule violation; for each, exactly as
# conformance/hostile/expected.tsv says:
#   * `vhdx check` exits 0 (conformant), 3 (warnings only), 2 (errors) or 1 (unreadable)
#     and the rule ids of its error and warning lines are exactly the expected set,
#   * `vhdx info` and `vhdx cat --length 1M` exit 0 when the image opens (open = OK) and 2 otherwise,
# and no command may die of a signal. (The library-level assertion of the exact rule ids,
# status codes and open errors is ctest conformance.hostile.)
set -u
SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BIN=${VHDX_BINARY_DIR:-}
CLI=${VHDX_CLI:-}
GEN="$BIN/bin/gen_hostile"
EXPECTED="$SRC/conformance/hostile/expected.tsv"
[[ -n $CLI && -x $CLI ]] || { echo "FAIL: VHDX_CLI not set or not executable"; exit 1; }
[[ -x $GEN ]] || { echo "FAIL: $GEN not built"; exit 1; }

WORK=$(mktemp -d "${BIN:-${TMPDIR:-/tmp}}/hostile.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$GEN" --write "$WORK" || { echo "FAIL: gen_hostile --write"; exit 1; }

FAILS=0
n=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

while IFS=$'\t' read -r file verdict rules _codes open; do
    [[ -z $file || $file == \#* ]] && continue
    n=$((n + 1))
    img="$WORK/$file"
    [[ -f $img ]] || { fail "$file: not generated"; continue; }
    case $verdict in
    conformant) want=0 ;; warnings) want=3 ;; nonconformant) want=2 ;; unreadable) want=1 ;;
    *) fail "$file: unknown verdict $verdict"; continue ;;
    esac
    rc=0
    timeout 60 "$CLI" check "$img" >"$WORK/out" 2>&1 || rc=$?
    if [[ $rc != "$want" ]]; then
        fail "$file: vhdx check exited $rc, expected $want ($verdict): $(head -c 400 "$WORK/out")"
    fi
    # the rule ids of the error and warning lines, as a sorted set, exactly
    got=$(sed -n 's/^  \(error\|warning\) *\([A-Z][0-9][0-9]*\) .*/\2/p' "$WORK/out" | LC_ALL=C sort -u | paste -sd, -)
    [[ -n $got ]] || got=-
    [[ $got == "$rules" ]] || fail "$file: vhdx check rules '$got', expected '$rules'"
    [[ $open == OK ]] && want=0 || want=2
    # cat only the first MiB: size-64t-256m is a valid 64 TiB disk
    for cmd in info "cat --length 1M"; do
        rc=0
        timeout 60 "$CLI" $cmd "$img" >/dev/null 2>"$WORK/err" || rc=$?
        if [[ $rc != "$want" ]]; then
            fail "$file: vhdx $cmd exited $rc, expected $want (open $open): $(head -c 300 "$WORK/err")"
        fi
    done
done < "$EXPECTED"

if (( n == 0 )); then echo "FAIL: no case in $EXPECTED"; exit 1; fi
if (( FAILS > 0 )); then echo "FAIL: $FAILS failures over $n hostile images"; exit 1; fi
echo "PASS: $n hostile images: vhdx check/info/cat exit codes and exact rule ids as expected"
