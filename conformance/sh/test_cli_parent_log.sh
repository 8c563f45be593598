#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# ctest-labels: images
# D15: a differencing image whose parent has a pending log. `vhdx create` over such a parent
# creates the child (exit 0) and warns on stderr; `vhdx check` of the child reports the D15
# warning (exit 3) naming the parent; after `vhdx replay` of the parent the finding is gone.
. "$(dirname "$0")/cli_common.sh"
need_images
P=$(extract_rw discutils-ltrdata_vhdx-log-replay.vhdx.gz)
cd "$T" || exit 1
P=$(basename "$P")
run 0 "$CLI" info --json "$P"
printf '%s' "$OUT" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["log"]["dirty"] is True else 1)' \
    && ok || fail "the parent image has a pending log"

run 0 "$CLI" create --type differencing --parent "$P" child.vhdx
expect_eq "create warns" "$ERR" "vhdx: create: warning: parent $P has a pending log (LogGuid set; D15): readers that do not replay it (libvhdi, 7-Zip) read stale parent data through the new child; replay it first with 'vhdx replay $P'"
run 3 "$CLI" check --format json child.vhdx
printf '%s' "$OUT" | python3 -c '
import json, sys
f = json.load(sys.stdin)["images"][0]["findings"]
want = [("D15", "VHDX_W_PARENT_LOG_PENDING", "warning", None, "parent LogGuid", "./" + sys.argv[1])]
got = [(x["rule"], x["code"], x["severity"], x["offset"], x["field"], x["detail"]) for x in f]
sys.exit(0 if got == want else print(got) or 1)' "$P" && ok || fail "check finds D15 on the child"
run 3 "$CLI" check child.vhdx
expect_match "text finding" "$OUT" "*warning D15   \[MS-VHDX 2.3.3\] (parent LogGuid): a parent in the chain has a pending log*"
# the parent itself is fine to check (its own log is R-rules' business, not D15)
"$CLI" check --format json "$P" | python3 -c 'import json,sys; sys.exit(1 if any(x["rule"] == "D15" for x in json.load(sys.stdin)["images"][0]["findings"]) else 0)' \
    && ok || fail "D15 on the parent itself"

# replayed parent: no finding, no warning (linkage kept: replay changes no DataWriteGuid?)
run 0 "$CLI" replay "$P"
rm -f child2.vhdx
run 0 "$CLI" create --type differencing --parent "$P" child2.vhdx
expect_eq "no warning after replay" "$ERR" ""
run 0 "$CLI" check child2.vhdx
finish
