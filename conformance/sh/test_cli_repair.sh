#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx repair: usage and exit codes, the text and JSON plan of a torn header, --dry-run
# never writes, refusal without --allow-data-loss writes nothing; every image of
# ../shared/images (when present) repairs to an image that checks as before or better,
# plans nothing afterwards, and reads as before.
. "$(dirname "$0")/cli_common.sh"
GEN="${VHDX_BINARY_DIR:-}/bin/gen_hostile"
[ -x "$GEN" ] || { echo "FAIL: $GEN not built" >&2; exit 1; }
"$GEN" --write "$T/h" >/dev/null || { echo "FAIL: gen_hostile --write" >&2; exit 1; }

# usage
run 0 "$CLI" repair --help
expect_match "help" "$OUT" "usage: vhdx repair \\[--dry-run\\] \\[--format text|json\\] \\[--allow-data-loss\\]*"
run 0 "$CLI" --help
expect_match "listed in vhdx --help" "$OUT" "*  repair   repair headers, region tables, metadata table and BAT*"
run 1 "$CLI" repair
expect_match "missing image" "$ERR" "vhdx: repair: missing IMAGE*"
run 1 "$CLI" repair --format xml "$T/h/base.vhdx"
expect_match "unknown format" "$ERR" "vhdx: repair: unknown format 'xml' (text or json)*"
run 1 "$CLI" repair "$T/h/base.vhdx" extra
expect_match "extra operand" "$ERR" "vhdx: repair: unexpected argument 'extra'*"
run 1 "$CLI" repair "$T/none.vhdx"
expect_match "missing file" "$ERR" "vhdx: $T/none.vhdx: *"

# nothing to do: exit 0, file untouched
cp "$T/h/base.vhdx" "$T/b.vhdx"
before=$(sha "$T/b.vhdx")
run 0 "$CLI" repair "$T/b.vhdx"
expect_eq "clean image" "$OUT" "$T/b.vhdx: nothing"
expect_eq "clean image not written" "$(sha "$T/b.vhdx")" "$before"

# a torn header: the dry run prints the plan and writes nothing; the repair does it
cp "$T/h/header-torn-current.vhdx" "$T/t.vhdx"
before=$(sha "$T/t.vhdx")
run 0 "$CLI" repair --dry-run "$T/t.vhdx"
expect_eq "dry run text" "$OUT" "$T/t.vhdx: planned
  planned  header          R10  write 0x10000+0x1000: header 1 rewritten from the current header (sequence + 1, new FileWriteGuid)"
expect_eq "dry run does not write" "$(sha "$T/t.vhdx")" "$before"
run 0 "$CLI" repair -n --format json "$T/t.vhdx"
expect_match "dry run json" "$OUT" '*"outcome": "planned"*"kind": "header", "status": "planned", "code": "VHDX_W_HEADER_INVALID_COPY", "rule": "R10", "index": 0, "deviation": false, "write_offset": 65536, "write_length": 4096, "lost_offset": 0, "lost_length": 0*'
expect_eq "json dry run does not write" "$(sha "$T/t.vhdx")" "$before"
run 0 "$CLI" repair "$T/t.vhdx"
expect_eq "repair text" "$OUT" "$T/t.vhdx: repaired
  done     header          R10  write 0x10000+0x1000: header 1 rewritten from the current header (sequence + 1, new FileWriteGuid)"
run 0 "$CLI" check "$T/t.vhdx"
run 0 "$CLI" repair "$T/t.vhdx"
expect_eq "second repair" "$OUT" "$T/t.vhdx: nothing"

# data loss: refused without --allow-data-loss (exit 2, nothing written), then done
cp "$T/h/bat-past-eof.vhdx" "$T/p.vhdx"
before=$(sha "$T/p.vhdx")
run 2 "$CLI" repair "$T/p.vhdx"
expect_eq "data loss refused" "$OUT" "$T/p.vhdx: refused
  skipped  bat_entry       D12  write 0x300000+0x1000: BAT entry 2 (payload block 2) set to NOT_PRESENT; data lost: virtual 0x200000+0x100000
  data would be lost: rerun with --allow-data-loss to apply"
expect_eq "refused repair does not write" "$(sha "$T/p.vhdx")" "$before"
run 0 "$CLI" repair --allow-data-loss "$T/p.vhdx"
expect_match "data loss allowed" "$OUT" "$T/p.vhdx: repaired
  done     bat_entry       D12  *"
run 0 "$CLI" check "$T/p.vhdx"

# damage left: exit 2, listed, nothing written
cp "$T/h/header-both-bad-crc.vhdx" "$T/x.vhdx"
before=$(sha "$T/x.vhdx")
run 2 "$CLI" repair --allow-data-loss --fix-deviations "$T/x.vhdx"
expect_eq "refused damage" "$OUT" "$T/x.vhdx: refused
  left     VHDX_E_NO_VALID_HEADER R11  at 0x10000: neither header is valid: header 1: CRC-32C mismatch; header 2: CRC-32C mismatch"
expect_eq "refused damage not written" "$(sha "$T/x.vhdx")" "$before"

# a differencing image: without --parent the plan says what was not checked; with its
# parent nothing is left; with another parent the linkage refuses (nothing written); a
# torn header of the child is repaired with the parent open
run 0 "$CLI" create --type dynamic --block-size 1M "$T/par.vhdx" 8M
run 0 "$CLI" create --type dynamic --block-size 1M "$T/other.vhdx" 8M
run 0 "$CLI" create --type differencing --parent "$T/par.vhdx" "$T/child.vhdx"
run 0 "$CLI" repair "$T/child.vhdx"
expect_eq "child without parent" "$OUT" "$T/child.vhdx: nothing
  not checked without --parent: parent_linkage (R105), the parent's sector size (R96)"
run 0 "$CLI" repair --format json "$T/child.vhdx"
expect_match "child without parent, json" "$OUT" '*"parent": {"checked": false, "not_checked": "not checked without --parent: parent_linkage (R105), the parent'"'"'s sector size (R96)"}*'
run 0 "$CLI" repair --parent "$T/par.vhdx" "$T/child.vhdx"
expect_eq "child with its parent" "$OUT" "$T/child.vhdx: nothing"
run 0 "$CLI" repair --format json --parent "$T/par.vhdx" "$T/child.vhdx"
expect_match "child with its parent, json" "$OUT" '*"parent": {"checked": true}*'
before=$(sha "$T/child.vhdx")
run 2 "$CLI" repair --parent "$T/other.vhdx" "$T/child.vhdx"
expect_eq "child with another parent" "$OUT" "$T/child.vhdx: refused
  left     VHDX_E_PL_LINKAGE_MISMATCH R105 at 0x0: parent DataWriteGuid matches neither parent_linkage nor parent_linkage2: $T/other.vhdx"
expect_eq "refused linkage not written" "$(sha "$T/child.vhdx")" "$before"
run 1 "$CLI" repair --parent "" "$T/child.vhdx"
expect_match "empty --parent" "$ERR" "vhdx: repair: empty --parent path*"
flip_byte "$T/child.vhdx" $((0x10004))
run 0 "$CLI" repair --parent "$T/par.vhdx" "$T/child.vhdx"
expect_eq "torn child header, with its parent" "$OUT" "$T/child.vhdx: repaired
  done     header          R10  write 0x10000+0x1000: header 1 rewritten from the current header (sequence + 1, new FileWriteGuid)"
run 0 "$CLI" check --parent "$T/par.vhdx" "$T/child.vhdx"
run 0 "$CLI" repair --parent "$T/par.vhdx" "$T/child.vhdx"
expect_eq "child repaired" "$OUT" "$T/child.vhdx: nothing"

# the real images: repair (with the deviations) leaves nothing to plan, check no worse,
# the disk unchanged (its first 64 MiB: the 10 GiB one would take minutes)
if [ -d "$IMAGES" ]; then
    for f in "$IMAGES"/*.vhdx.* "$IMAGES"/*.avhdx.*; do
        name=$(basename "$f")
        img=$(extract_rw "$name")
        args=()
        nothing="$img: nothing"
        case $name in *differencing*) args=(--parent-ignore-linkage)
            nothing="$nothing
  not checked without --parent: parent_linkage (R105), the parent's sector size (R96)" ;; esac
        "$CLI" check "$img" >/dev/null 2>&1; c0=$?
        len=$("$CLI" info --json "$img" | python3 -c 'import json,sys; print(min(json.load(sys.stdin)["virtual_size"], 64 << 20))')
        h0=$("$CLI" cat --length "$len" "${args[@]}" "$img" 2>/dev/null | hash_stdin)
        run 0 "$CLI" repair --fix-deviations "$img"
        "$CLI" check "$img" >"$T/chk" 2>&1; c1=$?
        if [ "$c1" -ne 0 ] && [ "$c1" -ne "$c0" ]; then fail "$name: check exit $c0 before repair, $c1 after"; else ok; fi
        run 0 "$CLI" repair --fix-deviations "$img"
        expect_eq "$name: second repair" "$OUT" "$nothing"
        expect_eq "$name: content" "$("$CLI" cat --length "$len" "${args[@]}" "$img" 2>/dev/null | hash_stdin)" "$h0"
        rm -f "$img"
    done
else
    echo "note: ../shared/images not found: real images not repaired" >&2
fi

finish
