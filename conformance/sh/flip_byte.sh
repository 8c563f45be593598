# SPDX-License-Identifier: Apache-2.0
# flip_byte.sh - sourced by cli_common.sh and difflib.sh (not a test itself).

# flip_byte FILE OFFSET: invert every bit of the byte at OFFSET in place. A checksum byte
# holds any value (the GUIDs in a new image are random), so writing a fixed value would
# leave it unchanged once in 256 runs; inverting always changes it.
flip_byte() {
    python3 - "$1" "$2" <<'FLIP' || { echo "FAIL: cannot flip byte $2 of $1" >&2; exit 1; }
import os, sys
path, off = sys.argv[1], int(sys.argv[2], 0)
with open(path, 'r+b') as f:
    f.seek(off)
    b = f.read(1)
    assert len(b) == 1, "offset past the end"
    f.seek(off)
    f.write(bytes([b[0] ^ 0xff]))
    f.flush()
    os.fsync(f.fileno())
FLIP
}
