#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The bash completion (scripts/vhdx-completion.bash): it registers for vhdx (complete -p),
# completes every command of `vhdx --help`, each command's long options, the values of
# --format/--type/--explain, and file names.
. "$(dirname "$0")/cli_common.sh"
SRC=${VHDX_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
COMP=$SRC/scripts/vhdx-completion.bash

mkdir -p "$T/bin" "$T/files"
ln -s "$CLI" "$T/bin/vhdx"
touch "$T/files/a.vhdx" "$T/files/b.vhdx"

# complete LINE...: the words of a command line (the last one is completed) -> COMPREPLY
complete_words() {
    PATH="$T/bin:$PATH" bash -c '
        . "$1"; shift
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _vhdx
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$COMP" "$@"
}

reg=$(bash -c '. "$1"; complete -p vhdx' _ "$COMP")
expect_eq "complete -p vhdx" "$reg" "complete -F _vhdx vhdx"

want=$("$CLI" --help | sed -n 's/^  \([a-z]\+\) .*/\1/p' | sort | tr '\n' ' ')
got=$(complete_words vhdx "" | tr ' ' '\n' | grep -v -e '^--' -e '^help$' -e '^$' | sort | tr '\n' ' ')
expect_eq "commands" "$got" "$want"
expect_eq "ch" "$(complete_words vhdx ch)" "check "
expect_eq "c" "$(complete_words vhdx c)" "cat check commit compact compare convert create "
expect_eq "--v" "$(complete_words vhdx --v)" "--version "
expect_eq "check --fo" "$(complete_words vhdx check --fo)" "--force-share --format "
expect_eq "check --j" "$(complete_words vhdx check --j)" "--junit-warnings-fail "
expect_eq "info --" "$(complete_words vhdx info --)" "--force-share --help --json --parent --parent-ignore-linkage "
expect_eq "check --format s" "$(complete_words vhdx check --format s)" "sarif "
expect_eq "check -f j" "$(complete_words vhdx check -f j)" "json junit "
expect_eq "create --type d" "$(complete_words vhdx create --type d)" "differencing dynamic "
expect_eq "check --explain R10" "$(complete_words vhdx check --explain R10)" "R10 R100 R101 R102 R103 R104 R105 R106 R107 R108 "
expect_eq "bench --case vhdx" "$(complete_words vhdx bench --case vhdx)" "vhdx_to_raw vhdx_to_raw_sync "
expect_eq "help i" "$(complete_words vhdx help i)" "info "
expect_eq "file names" "$(complete_words vhdx info "$T/files/")" "$T/files/a.vhdx $T/files/b.vhdx "
# every long option of every command's --help completes
for c in $want; do
    for opt in $("$CLI" "$c" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
        case " $(complete_words vhdx "$c" "$opt") " in
        *" $opt "*) ok ;;
        *) fail "vhdx $c $opt does not complete" ;;
        esac
    done
done
finish
