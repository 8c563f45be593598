#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# vhdx create: parameters land in the image exactly (checked with vhdx info --json and, when
# installed, qemu-img), invalid parameters are refused before anything is written.
. "$(dirname "$0")/cli_common.sh"

jcheck() {
    local f=$1; shift
    local e
    for e in "$@"; do
        if python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$f" "$e" 2>/dev/null; then
            ok
        else
            fail "$(basename "$f"): JSON check failed: $e"
        fi
    done
}
info_json() { # info_json IMAGE OUTFILE [info args]
    local img=$1 out=$2; shift 2
    "$CLI" info --json "$@" "$img" >"$out" 2>"$T/.ierr" || fail "info $img: $(cat "$T/.ierr")"
}
qcheck() { # qemu-img check must find no errors
    if need_prog qemu-img; then
        if qemu-img check -f vhdx "$1" >"$T/.q" 2>&1; then ok; else fail "qemu-img check $1: $(cat "$T/.q")"; fi
    fi
}
ZERO1M=$(head -c 1M /dev/zero | hash_stdin)

# dynamic, defaults: 32 MiB blocks, 512/4096 sectors, 1 MiB log, Required=1, NOT_PRESENT
run 0 "$CLI" create --type dynamic "$T/dyn.vhdx" 64M
expect_eq "create prints nothing" "$OUT$ERR" ""
info_json "$T/dyn.vhdx" "$T/dyn.json"
jcheck "$T/dyn.json" 'd["type"] == "dynamic"' 'd["virtual_size"] == 64 << 20' \
    'd["block_size"] == 32 << 20' 'd["logical_sector_size"] == 512' \
    'd["physical_sector_size"] == 4096' 'd["chunk_ratio"] == (1 << 23) * 512 // (32 << 20)' \
    'd["payload_blocks"] == 2' 'd["bat"]["payload"]["NOT_PRESENT"] == 2' \
    'sum(d["bat"]["payload"].values()) == 2' \
    'len(d["regions"]) == 2 and all(r["required"] == 1 for r in d["regions"])' \
    'sorted(r["name"] for r in d["regions"]) == ["bat", "metadata"]' \
    'all(h["valid"] and h["log_length"] == 1 << 20 for h in d["headers"])' \
    'all(h["log_guid"] == "00000000-0000-0000-0000-000000000000" for h in d["headers"])' \
    'd["virtual_disk_id"][14] == "4" and d["virtual_disk_id"][19] in "89ab"' \
    'all(h["data_write_guid"][14] == "4" and h["file_write_guid"][14] == "4" for h in d["headers"])' \
    'd["log"]["dirty"] is False' 'd["parent"]["has_parent"] is False' \
    'd["creator"].startswith("libvhdx")'
expect_eq "dynamic reads as zeros" "$("$CLI" cat --length 1M "$T/dyn.vhdx" | hash_stdin)" "$ZERO1M"
qcheck "$T/dyn.vhdx"
if need_prog qemu-img; then
    vs=$(qemu-img info --output=json "$T/dyn.vhdx" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"])')
    expect_eq "qemu-img sees the virtual size" "$vs" 67108864
fi

# the file exists: refused, file untouched
before=$(sha "$T/dyn.vhdx")
run 1 "$CLI" create --type dynamic "$T/dyn.vhdx" 64M
expect_match "exists" "$ERR" "vhdx: $T/dyn.vhdx: *output file already exists*"
expect_eq "existing file untouched" "$(sha "$T/dyn.vhdx")" "$before"

# fixed: every block FULLY_PRESENT, reads as zeros
run 0 "$CLI" create --type fixed --block-size 1M "$T/fix.vhdx" 5M
info_json "$T/fix.vhdx" "$T/fix.json"
jcheck "$T/fix.json" 'd["type"] == "fixed"' 'd["virtual_size"] == 5 << 20' \
    'd["block_size"] == 1 << 20' 'd["bat"]["payload"]["FULLY_PRESENT"] == 5' \
    'sum(d["bat"]["payload"].values()) == 5' 'd["file_size"] >= (5 << 20) + (4 << 20)'
expect_eq "fixed reads as zeros" "$("$CLI" cat --offset 4M "$T/fix.vhdx" | hash_stdin)" "$ZERO1M"
qcheck "$T/fix.vhdx"

# 4096-byte sectors, small blocks, bigger log, hex and suffix forms
run 0 "$CLI" create --type dynamic --logical-sector 4096 --physical-sector 4096 --block-size 0x100000 --log-size 2MiB "$T/4k.vhdx" 10G
info_json "$T/4k.vhdx" "$T/4k.json"
jcheck "$T/4k.json" 'd["virtual_size"] == 10 << 30' 'd["block_size"] == 1 << 20' \
    'd["logical_sector_size"] == 4096 and d["physical_sector_size"] == 4096' \
    'd["chunk_ratio"] == (1 << 23) * 4096 // (1 << 20)' 'd["payload_blocks"] == 10240' \
    'all(h["log_length"] == 2 << 20 for h in d["headers"])'
run 0 "$CLI" create --type dynamic --physical-sector=512 "$T/p512.vhdx" 1G
info_json "$T/p512.vhdx" "$T/p512.json"
jcheck "$T/p512.json" 'd["physical_sector_size"] == 512' 'd["logical_sector_size"] == 512'

# differencing: parent linkage = parent's DataWriteGuid, size inherited, reads fall through
run 0 "$CLI" create --type dynamic --block-size 1M "$T/parent.vhdx" 16M
head -c 1M /dev/zero | tr '\0' '\132' >"$T/z1m"
run 0 "$CLI" write "$T/parent.vhdx" 3M "$T/z1m"
run 0 "$CLI" create --type differencing --parent "$T/parent.vhdx" "$T/child.vhdx"
info_json "$T/parent.vhdx" "$T/parent.json"
info_json "$T/child.vhdx" "$T/child.json"
pdw=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["headers"][d["current_header"]]["data_write_guid"])' "$T/parent.json")
jcheck "$T/child.json" 'd["type"] == "differencing"' 'd["virtual_size"] == 16 << 20' \
    'd["block_size"] == 2 << 20' \
    "d['parent']['has_parent'] is True and d['parent']['parent_linkage'] == '$pdw'" \
    'd["parent"]["found"] is True and d["parent"]["chain_depth"] == 2' \
    'any(m["name"] == "parent_locator" for m in d["metadata"])'
expect_eq "child reads the parent's data" "$("$CLI" cat "$T/child.vhdx" | hash_stdin)" \
    "$("$CLI" cat "$T/parent.vhdx" | hash_stdin)"
run 0 "$CLI" create --type differencing --parent "$T/parent.vhdx" --block-size 1M --logical-sector 512 "$T/child2.vhdx" 16M
# relative parent path, child opened from another working directory (relative_path locator)
mkdir -p "$T/rel/sub"
( cd "$T/rel/sub" && "$CLI" create --type differencing --parent ../../parent.vhdx c.vhdx ) || fail "relative differencing create"
( cd / && "$CLI" info --json "$T/rel/sub/c.vhdx" ) >"$T/rel.json" 2>"$T/.e" || fail "info of relative child: $(cat "$T/.e")"
jcheck "$T/rel.json" 'd["parent"]["found"] is True and d["parent"]["chain_depth"] == 2' \
    "d['parent']['parent_linkage'] == '$pdw'"
# a chain of three: grandchild over child over parent
run 0 "$CLI" create --type differencing --parent "$T/child.vhdx" "$T/grandchild.vhdx"
info_json "$T/grandchild.vhdx" "$T/gc.json"
jcheck "$T/gc.json" 'd["parent"]["chain_depth"] == 3'
expect_eq "grandchild reads through the chain" "$("$CLI" cat "$T/grandchild.vhdx" | hash_stdin)" \
    "$("$CLI" cat "$T/parent.vhdx" | hash_stdin)"
run 1 "$CLI" create --type differencing --parent "$T/missing.vhdx" "$T/child3.vhdx"
[ ! -e "$T/child3.vhdx" ] && ok || fail "failed differencing create left child3.vhdx"

# invalid parameters: refused before anything is written (exit 1), no file left
bad() { # bad "stderr glob" args...
    local want=$1; shift
    run 1 "$CLI" create "$@"
    expect_match "create $*" "$ERR" "$want"
    [ ! -e "$T/bad.vhdx" ] && ok || { fail "create $* left bad.vhdx"; rm -f "$T/bad.vhdx"; }
}
bad "vhdx: $T/bad.vhdx: *invalid create parameter*" --type dynamic --block-size 3M "$T/bad.vhdx" 1G
bad "vhdx: $T/bad.vhdx: *invalid create parameter*" --type dynamic --block-size 512K "$T/bad.vhdx" 1G
bad "vhdx: $T/bad.vhdx: *invalid create parameter*" --type dynamic --block-size 512M "$T/bad.vhdx" 1G
bad "vhdx: $T/bad.vhdx: *invalid create parameter*" --type dynamic --log-size 1536K "$T/bad.vhdx" 1G
bad "vhdx: $T/bad.vhdx: *invalid create parameter*" --type dynamic "$T/bad.vhdx" 1000
bad "vhdx: $T/bad.vhdx: *invalid create parameter*" --type dynamic --logical-sector 4096 "$T/bad.vhdx" 6K
bad "vhdx: $T/bad.vhdx: *invalid create parameter*" --type dynamic "$T/bad.vhdx" 65T
run 0 "$CLI" create --type dynamic "$T/max.vhdx" 64T
info_json "$T/max.vhdx" "$T/max.json"
jcheck "$T/max.json" 'd["virtual_size"] == 64 << 40'
bad "vhdx: create: invalid SIZE*" --type dynamic "$T/bad.vhdx" 99999999999999999999
run 1 "$CLI" create --type dynamic "$T/no/such/dir/x.vhdx" 1G
expect_match "unwritable path" "$ERR" "vhdx: $T/no/such/dir/x.vhdx: *"

finish
