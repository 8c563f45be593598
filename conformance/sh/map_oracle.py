#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# map_oracle.py INFO.json MAP.json IMAGE: checks `vhdx map --json` of a fixed or dynamic
# image against the BAT read from the file here, independently of the library: every
# payload block's state and host offset, FULLY_PRESENT runs split at the host file's holes
# (SEEK_DATA/SEEK_HOLE), equal neighbours merged. Prints the first difference; exit 0/1.
import json
import os
import struct
import sys

info = json.load(open(sys.argv[1]))
got = json.load(open(sys.argv[2]))
fd = os.open(sys.argv[3], os.O_RDONLY)
vs, bs, cr = info["virtual_size"], info["block_size"], info["chunk_ratio"]
bat = [r for r in info["regions"] if r["name"].upper() == "BAT"][0]["file_offset"]
NAMES = {0: "not_present", 1: "undefined", 2: "zero", 3: "unmapped", 6: "data"}


def host(off, n):
    """[(len, is_data)] runs of file bytes [off, off+n)"""
    out = []
    end = off + n
    while off < end:
        try:
            d = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            d = end
        if d > off:
            m = min(d, end) - off
            out.append((m, False))
        else:
            h = os.lseek(fd, off, os.SEEK_HOLE)
            m = min(h, end) - off
            out.append((m, True))
        off += m
    return out


want = []
for b in range((vs + bs - 1) // bs):
    e = struct.unpack("<Q", os.pread(fd, 8, bat + 8 * (b + b // cr)))[0]
    st, foff = e & 7, e & ~0xFFFFF
    start, n = b * bs, min(bs, vs - b * bs)
    if st == 6:
        pos = 0
        for m, d in host(foff, n):
            want.append(dict(start=start + pos, length=m, depth=0, present=True, zero=not d,
                             data=d, offset=foff + pos, state="data"))
            pos += m
    else:
        want.append(dict(start=start, length=n, depth=0, present=st != 0, zero=True,
                         data=False, state=NAMES[st]))
merged = []
for x in want:
    p = merged[-1] if merged else None
    same = p and all(p[k] == x[k] for k in ("state", "depth", "zero", "data", "present"))
    if same and (x["state"] != "data" or p["offset"] + p["length"] == x["offset"]):
        p["length"] += x["length"]
    else:
        merged.append(dict(x))
for i, (w, g) in enumerate(zip(merged, got)):
    if w != g:
        print(f"extent {i}: got {g}, want {w}")
        sys.exit(1)
if len(merged) != len(got):
    print(f"{len(got)} extents, want {len(merged)}")
    sys.exit(1)
sys.exit(0)
