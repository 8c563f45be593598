#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# CLI argument handling: help, version, usage errors (exit 1, exact messages), no crash.
. "$(dirname "$0")/cli_common.sh"

run 0 "$CLI" --help
expect_match "global help" "$OUT" "usage: vhdx *"
for c in info check cat convert create write replay kit bench; do
    expect_match "global help lists $c" "$OUT" "*
  $c *"
done
run 0 "$CLI" -h
run 0 "$CLI" --version
expect_eq "version" "$(head -1 <<<"$OUT")" "vhdx 0.1.0"
expect_match "version: build details" "$OUT" "vhdx 0.1.0
library: libvhdx 0.1.0
git: ?*
compiler: ?* ?*
build type: ?*
home: https://*
License: Apache-2.0"

run 1 "$CLI"
expect_match "no command" "$ERR" "vhdx: missing command*"
run 1 "$CLI" frobnicate
expect_eq "unknown command" "$(head -1 <<<"$ERR")" "vhdx: unknown command 'frobnicate'"
expect_eq "no suggestion for a far name" "$(sed -n 2p <<<"$ERR")" "Try 'vhdx --help' for the list of commands."
# "did you mean": the commands nearest by edit distance (at most 2; 1 for short names)
run 1 "$CLI" chek x.vhdx
expect_eq "did you mean check" "$(sed -n 2p <<<"$ERR")" "Did you mean 'vhdx check'?"
run 1 "$CLI" inof x.vhdx
expect_eq "did you mean info" "$(sed -n 2p <<<"$ERR")" "Did you mean 'vhdx info'?"
run 1 "$CLI" cnvert
expect_eq "did you mean convert" "$(sed -n 2p <<<"$ERR")" "Did you mean 'vhdx convert'?"
run 1 "$CLI" cat2
expect_eq "did you mean cat" "$(sed -n 2p <<<"$ERR")" "Did you mean 'vhdx cat'?"
# info on a directory says so (not "I/O error")
mkdir -p "$T/dir.vhdx"
run 1 "$CLI" info "$T/dir.vhdx"
expect_eq "info on a directory" "$ERR" "vhdx: $T/dir.vhdx: not a regular file or block device: $T/dir.vhdx is a directory (VHDX_E_FILE_TYPE)"

# every subcommand has --help (exit 0, on stdout)
for c in info check cat convert create write replay kit bench; do
    run 0 "$CLI" "$c" --help
    if [ -z "$OUT" ]; then fail "$c --help printed nothing"; else ok; fi
    run 0 "$CLI" help "$c"
done
for c in info cat convert create write replay bench; do
    run 0 "$CLI" "$c" --help
    expect_match "$c --help usage line" "$(head -1 <<<"$OUT")" "usage: vhdx $c*"
    expect_match "$c --help exit codes" "$OUT" "*Exit codes: 0 success*, 1 usage*"
done

# usage errors: exit 1, first stderr line exact, usage line follows
u() { # u "expected first line" args...
    local want=$1; shift
    run 1 "$CLI" "$@"
    expect_eq "stderr of '$*'" "$(head -1 <<<"$ERR")" "$want"
    expect_match "usage hint of '$*'" "$ERR" "*Try 'vhdx $1 --help' for more information."
    expect_eq "no stdout for '$*'" "$OUT" ""
}
u "vhdx: info: missing IMAGE" info
u "vhdx: info: unknown option '--bogus'" info --bogus x.vhdx
u "vhdx: info: unexpected argument 'b'" info a b
u "vhdx: info: option --parent needs a value" info x.vhdx --parent
u "vhdx: info: empty --parent path" info --parent= x.vhdx
u "vhdx: cat: missing IMAGE" cat
u "vhdx: cat: option --offset needs a value" cat x.vhdx --offset
u "vhdx: cat: invalid --offset '-5'" cat --offset -5 x.vhdx
u "vhdx: cat: invalid --offset ' 12'" cat --offset " 12" x.vhdx
u "vhdx: cat: invalid --offset '+12'" cat --offset +12 x.vhdx
u "vhdx: cat: invalid --offset '1Q'" cat --offset 1Q x.vhdx
u "vhdx: cat: invalid --offset ''" cat --offset= x.vhdx
u "vhdx: cat: invalid --offset '18446744073709551616'" cat --offset 18446744073709551616 x.vhdx
u "vhdx: cat: invalid --offset '16E'" cat --offset 16E x.vhdx
u "vhdx: cat: invalid --length '17179869184G'" cat --length 17179869184G x.vhdx
u "vhdx: cat: invalid --offset '0x'" cat --offset 0x x.vhdx
u "vhdx: cat: invalid --offset '0x1g'" cat --offset 0x1g x.vhdx
u "vhdx: cat: invalid --offset '0x10000000000000000'" cat --offset 0x10000000000000000 x.vhdx
u "vhdx: cat: invalid --offset '1MBB'" cat --offset 1MBB x.vhdx
u "vhdx: convert: missing DST" convert x.vhdx
u "vhdx: convert: missing SRC" convert
u "vhdx: convert: unexpected argument 'c'" convert a b c
u "vhdx: create: missing --type" create x.vhdx 1G
u "vhdx: create: invalid --type 'sparse' (fixed, dynamic or differencing)" create --type sparse x.vhdx 1G
u "vhdx: create: missing SIZE" create --type dynamic x.vhdx
u "vhdx: create: missing IMAGE" create --type dynamic
u "vhdx: create: invalid SIZE '1X'" create --type dynamic x.vhdx 1X
u "vhdx: create: SIZE must not be 0" create --type dynamic x.vhdx 0
u "vhdx: create: differencing needs --parent" create --type differencing x.vhdx
u "vhdx: create: --parent is only valid with --type differencing" create --type fixed --parent p.vhdx x.vhdx 1G
u "vhdx: create: invalid --logical-sector '1024' (512 or 4096)" create --type dynamic --logical-sector 1024 x.vhdx 1G
u "vhdx: create: invalid --physical-sector '4K1' (512 or 4096)" create --type dynamic --physical-sector 4K1 x.vhdx 1G
u "vhdx: create: invalid --block-size '4G'" create --type dynamic --block-size 4G x.vhdx 1G
u "vhdx: create: invalid --log-size '0'" create --type dynamic --log-size 0 x.vhdx 1G
u "vhdx: create: option --type given twice" create --type dynamic --type fixed x.vhdx 1G
u "vhdx: create: option --block-size needs a value" create --type dynamic x.vhdx 1G --block-size
u "vhdx: write: missing IMAGE" write
u "vhdx: write: missing OFFSET" write x.vhdx
u "vhdx: write: missing FILE (or - for stdin)" write x.vhdx 0
u "vhdx: write: invalid OFFSET 'abc'" write x.vhdx abc -
u "vhdx: write: unexpected argument 'd'" write a 0 c d
u "vhdx: write: unknown option '--force'" write --force a 0 c
u "vhdx: replay: missing IMAGE" replay
u "vhdx: replay: unexpected argument 'b'" replay a b
u "vhdx: bench: unknown option '--slow'" bench --slow
u "vhdx: bench: unexpected argument 'x'" bench x
[ ! -e x.vhdx ] && ok || fail "a usage error created x.vhdx"

# ---- getopt_long: the same rules for every command ----
# an unknown option: exit 1, the message, the usage line(s) and the hint on stderr
for c in info check cat convert create write replay bench; do
    run 1 "$CLI" "$c" --no-such-option x
    expect_eq "$c: unknown option" "$(head -1 <<<"$ERR")" "vhdx: $c: unknown option '--no-such-option'"
    expect_match "$c: usage on stderr" "$(sed -n 2p <<<"$ERR")" "usage: vhdx $c *"
    expect_match "$c: hint" "$ERR" "*Try 'vhdx $c --help' for more information."
    expect_eq "$c: nothing on stdout" "$OUT" ""
    run 1 "$CLI" "$c" -Z
    expect_eq "$c: unknown short option" "$(head -1 <<<"$ERR")" "vhdx: $c: unknown option '-Z'"
done
u "vhdx: info: option --json takes no value" info --json=yes x.vhdx
u "vhdx: info: ambiguous option '--par'" info --par p.vhdx x.vhdx
u "vhdx: check: option --output needs a value" check x.vhdx --output
u "vhdx: check: option -f needs a value" check x.vhdx -f
u "vhdx: check: unknown format 'yaml' (text, json, junit, sarif or markdown)" check --format=yaml x.vhdx
u "vhdx: check: missing IMAGE" check
run 1 "$CLI" --no-such-option
expect_eq "top-level unknown option" "$(head -1 <<<"$ERR")" "vhdx: unknown option '--no-such-option'"
expect_eq "top-level hint" "$(sed -n 2p <<<"$ERR")" "Try 'vhdx --help' for more information."
run 0 "$CLI" -V
expect_eq "-V" "$(head -1 <<<"$OUT")" "vhdx 0.1.0"

# --opt=value and --opt value; options after operands; unique prefixes; "--" ends options
G=$T/g.vhdx
run 0 "$CLI" create --type=dynamic --block-size=1M "$G" 8M
run 0 "$CLI" create "$T/g2.vhdx" --type dynamic 8M --block-size 1M
printf 'abcdefgh' >"$T/eight"
run 0 "$CLI" write "$G" 4096 "$T/eight"
run 0 "$CLI" cat --offset=4098 --length=3 "$G"
expect_eq "cat --offset=V --length=V" "$OUT" "cde"
run 0 "$CLI" cat "$G" --offset 4098 --length 3
expect_eq "cat IMAGE --offset V --length V" "$OUT" "cde"
run 0 "$CLI" cat --off 4100 --len 2 "$G"
expect_eq "cat with abbreviated options" "$OUT" "ef"
run 0 "$CLI" info "$G" --json
expect_match "info IMAGE --json" "$OUT" "{
  \"image\": *"
run 0 "$CLI" check --format=json "$G"
expect_match "check --format=json" "$OUT" "{\"schema\": *"
run 0 "$CLI" check "$G" -f json --no-progress
expect_match "check IMAGE -f json" "$OUT" "{\"schema\": *"
cp "$G" "$T/-x.vhdx"
cp "$G" "$T/--json"
here=$PWD
CLI=$(readlink -f "$CLI")   # the block below runs in $T
cd "$T" || exit 1
run 0 "$CLI" info -- -x.vhdx
expect_match "info -- -x.vhdx" "$OUT" "image: -x.vhdx*"
run 1 "$CLI" info -x.vhdx
expect_eq "info -x.vhdx is an option" "$(head -1 <<<"$ERR")" "vhdx: info: unknown option '-x'"
run 0 "$CLI" info -- --json
expect_match "info -- --json: an image named --json" "$OUT" "image: --json*"
run 0 "$CLI" cat --length 3 --offset 4096 -- -x.vhdx
expect_eq "cat -- -x.vhdx" "$OUT" "abc"
run 0 "$CLI" convert -- -x.vhdx -out.raw
[ -f ./-out.raw ] && ok || fail "convert -- -x.vhdx -out.raw"
cd "$here" || exit 1

# files that do not exist / are not images: exit 1 (I/O) or 2 (invalid), message names the file
run 1 "$CLI" info "$T/does-not-exist.vhdx"
expect_match "missing file message" "$ERR" "vhdx: $T/does-not-exist.vhdx: *"
head -c 4096 /dev/zero >"$T/zeros.bin"
run 2 "$CLI" info "$T/zeros.bin"
expect_match "tiny file message" "$ERR" "vhdx: $T/zeros.bin: D2 \[MS-VHDX 2.1\]*file shorter than the 1 MiB header section*"
head -c 2M /dev/zero >"$T/zeros2.bin"
run 2 "$CLI" cat "$T/zeros2.bin"
expect_eq "not-vhdx message" "$ERR" "vhdx: $T/zeros2.bin: R4 [MS-VHDX 2.2.1] at offset 0x0: file type identifier signature is not \"vhdxfile\" (fileid.Signature) (VHDX_E_FILEID_SIGNATURE)"
expect_eq "no stdout on failure" "$OUT" ""
run 2 "$CLI" convert -f vhdx "$T/zeros2.bin" "$T/out.raw"
[ ! -e "$T/out.raw" ] && ok || fail "convert of a non-image left out.raw"
n=$(find "$T" -name 'out.raw.tmp-*' | wc -l)
expect_eq "no temp files left" "$n" "0"

finish
