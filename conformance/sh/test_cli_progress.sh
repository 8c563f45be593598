#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# -p of convert, write and check: on a terminal (a pty made by script(1)) a bar with
# percent, bytes and rate is drawn on stderr and erased at the end; when stderr is not a
# terminal nothing is drawn and the output is the same as without -p.
. "$(dirname "$0")/cli_common.sh"
need_prog script || { echo "SKIP: script(1) not installed"; exit 77; }

head -c 3M /dev/urandom >"$T/src.raw"
# on_tty CMD...: runs CMD with stdin, stdout and stderr on a pty; prints what it wrote
on_tty() {
    local q=()
    for a in "$@"; do q+=("$(printf '%q' "$a")"); done
    script -qefc "${q[*]}" /dev/null </dev/null
}
bar='*\[##############################] 100.0% 3 MiB *B/s*'

out=$(on_tty "$CLI" convert -p "$T/src.raw" "$T/tty.vhdx")
expect_eq "convert -p on a tty: exit" "$?" 0
expect_match "convert -p on a tty draws the bar" "$out" "$bar"
expect_match "convert -p erases it" "$out" "*$(printf '\r\033[K')"
run 0 "$CLI" convert -p "$T/src.raw" "$T/notty.vhdx"
expect_eq "convert -p, stderr not a tty: nothing drawn" "$OUT$ERR" ""
run 0 "$CLI" compare "$T/tty.vhdx" "$T/src.raw"

out=$(on_tty "$CLI" write -p "$T/notty.vhdx" 0 "$T/src.raw")
expect_eq "write -p on a tty: exit" "$?" 0
expect_match "write -p on a tty draws the bar" "$out" "$bar"
run 0 "$CLI" write -p "$T/notty.vhdx" 0 "$T/src.raw"
expect_eq "write -p, stderr not a tty: nothing on stderr" "$ERR" ""
expect_eq "write -p, stderr not a tty: the usual summary" "$OUT" "$("$CLI" write "$T/notty.vhdx" 0 "$T/src.raw")"

out=$(on_tty "$CLI" check -p "$T/tty.vhdx")
expect_eq "check -p on a tty: exit" "$?" 0
expect_match "check -p on a tty draws the bar after the name" "$out" "*tty.vhdx \[*] 100.0% *B/s*"
run 0 "$CLI" check -p "$T/tty.vhdx"
expect_eq "check -p, stderr not a tty: nothing on stderr" "$ERR" ""
expect_eq "check -p, stderr not a tty: the usual report" "$OUT" "$("$CLI" check "$T/tty.vhdx")"
out=$(on_tty "$CLI" check --no-progress "$T/tty.vhdx")
expect_match "check --no-progress on a tty: no bar" "$out" "*conformant*"
case $out in *'%'*B/s*) fail "check --no-progress drew a bar" ;; *) ok ;; esac
finish
