#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# JSON and XML output stay valid whatever the image carries: control characters (escaped
# as \b \f \n \r \t or \u00xx in JSON, replaced by '?' in XML), invalid UTF-8 (\ufffd in
# JSON, '?' in XML), U+FFFE (not an XML 1.0 character) and markup characters, in the image
# path and in the creator string. Exact bytes are asserted.
. "$(dirname "$0")/cli_common.sh"

GOOD=$T/good.vhdx
run 0 "$CLI" create --type dynamic --block-size 1M "$GOOD" 8M

# ---- creator: "ab" ESC SOH, a lone low surrogate (U+FFFD after decoding), "z" ----
# The file type identifier ([MS-VHDX 2.2.1]) has no checksum: patch its UTF-16LE creator.
CR=$T/creator.vhdx
cp "$GOOD" "$CR"
python3 - "$CR" <<'PY'
import struct, sys
units = [0x61, 0x62, 0x1b, 0x01, 0xdc00, 0x7a]
with open(sys.argv[1], "r+b") as f:
    f.seek(8)
    f.write(struct.pack("<%dH" % len(units), *units) + b"\0" * (512 - 2 * len(units)))
PY
run 0 "$CLI" info --json "$CR"
printf '%s\n' "$OUT" >"$T/cr.json"
python3 - "$T/cr.json" <<'PY' && ok || fail "info --json creator bytes"
import json, sys
raw = open(sys.argv[1], "rb").read()
want = b'  "creator": "ab\\u001b\\u0001\xef\xbf\xbdz",\n'
assert want in raw, raw[:600]
assert json.loads(raw)["creator"] == "ab\x1b\x01\ufffdz"
assert all(b >= 0x20 for b in raw.replace(b"\n", b"")), "raw control byte in JSON"
PY
run 0 "$CLI" check --format json "$CR"
printf '%s\n' "$OUT" >"$T/crc.json"
python3 - "$T/crc.json" <<'PY' && ok || fail "check --format json creator bytes"
import json, sys
raw = open(sys.argv[1], "rb").read()
assert b'"creator": "ab\\u001b\\u0001\xef\xbf\xbdz"' in raw
assert json.loads(raw)["images"][0]["info"]["creator"] == "ab\x1b\x01\ufffdz"
assert all(b >= 0x20 for b in raw.replace(b"\n", b""))
PY
run 0 "$CLI" info "$CR"
expect_match "text info still shows the creator" "$OUT" "*creator: ab*z*"

# ---- image path: every kind of awkward byte ----
# SOH ESC DEL BS FF TAB LF, an invalid byte, e-acute, U+FFFE, markup and quotes
NAME=$(printf 'e\001\033\177\010\014\t\n\377\303\251\357\277\276<&>'"'"'".vhdx')
ODD=$T/$NAME
cp "$GOOD" "$ODD"
run 0 "$CLI" info --json "$ODD"
printf '%s\n' "$OUT" >"$T/odd-info.json"
run 0 "$CLI" check --format json --output "$T/odd.json" "$ODD"
run 0 "$CLI" check --format sarif --output "$T/odd.sarif" "$ODD"
run 0 "$CLI" check --format junit --output "$T/odd.junit" "$ODD"
python3 - "$T" "$T/odd-info.json" "$T/odd.json" "$T/odd.sarif" "$T/odd.junit" <<'PY' && ok || fail "escaping of an awkward image path"
import json, sys, xml.etree.ElementTree as ET
t = sys.argv[1].encode()
info, rep, sarif, junit = (open(p, "rb").read() for p in sys.argv[2:])
esc = b'e\\u0001\\u001b\\u007f\\b\\f\\t\\n\\ufffd\xc3\xa9\xef\xbf\xbe<&>\'\\".vhdx'
text = "e\x01\x1b\x7f\x08\x0c\t\n\ufffd\u00e9\ufffe<&>'\".vhdx"
# JSON: exact escapes, parses back to the text, no raw control byte
assert b'  "image": "' + t + b"/" + esc + b'",\n' in info, info[:300]
assert json.loads(info)["image"] == sys.argv[1] + "/" + text
assert b'{"image": "' + t + b"/" + esc + b'", ' in rep
assert json.loads(rep)["images"][0]["image"] == sys.argv[1] + "/" + text
for raw in (info, rep, sarif):
    assert all(b >= 0x20 for b in raw.replace(b"\n", b"")), "raw control byte in JSON"
# SARIF: the artifact URI percent-encodes every byte outside the unreserved set
uri = json.loads(sarif)["runs"][0]["artifacts"][0]["location"]["uri"]
assert uri.endswith("/e%01%1B%7F%08%0C%09%0A%FF%C3%A9%EF%BF%BE%3C%26%3E%27%22.vhdx"), uri
# XML: disallowed characters and invalid bytes as '?', DEL/TAB/LF kept, markup escaped
xml_name = b'e??\x7f??\t\n?\xc3\xa9?&lt;&amp;&gt;&apos;&quot;.vhdx'
assert b'<testsuite name="' + t + b"/" + xml_name + b'" tests=' in junit, junit[:400]
assert b'.e??\x7f??\t\n?\xc3\xa9?&lt;&amp;&gt;&apos;&quot;_vhdx" name=' in junit
root = ET.fromstring(junit)
assert root.find("testsuite").get("name").startswith(sys.argv[1] + "/e??\x7f??")
PY

finish
