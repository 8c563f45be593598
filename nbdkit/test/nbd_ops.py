# SPDX-License-Identifier: Apache-2.0
# nbd_ops.py - run inside nbdsh (handle h) by test_nbd_write.sh: pwrite, zero (also fast
# zero), trim and flush through NBD, each mirrored into a raw reference model of the disk.
# Environment: MODEL (raw file, the disk before these operations), BS (VHDX block size),
# FIXED (1: LeaveBlockAllocated, trim leaves the bytes), URI (for a second connection).
# The qemu-io commands test_nbd_write.sh ran before are mirrored first (QEMU_OPS list).
import errno
import os

import nbd

model = open(os.environ["MODEL"], "r+b")
bs = int(os.environ["BS"])
fixed = os.environ["FIXED"] == "1"
size = h.get_size()
M = 1 << 20


def mwrite(off, data):
    model.seek(off)
    model.write(data)


def pattern(seed, n):
    unit = bytes((seed + 31 * i) & 0xFF for i in range(4096))
    return (unit * (n // 4096 + 1))[:n]


def mtrim(off, n):
    # the plugin's trim: whole blocks inside the range read as zeros afterwards (fixed
    # images: unchanged); partial blocks unchanged
    a = -(-off // bs) * bs
    b = off + n if off + n == size else (off + n) // bs * bs
    if not fixed and a < b:
        mwrite(a, bytes(b - a))


# mirrors of test_nbd_write.sh's qemu-io commands
mwrite(512 * 1024, b"\x5a" * 8192)                 # write -P 0x5a 512K 8K
mwrite(6 * M, bytes(M))                            # write -z 6M 1M
mtrim(7 * M, M)                                    # discard 7M 1M

assert h.can_fua() and h.can_trim() and h.can_zero() and h.can_fast_zero()
assert h.can_flush() and h.can_multi_conn() and not h.is_read_only()


def pwrite(off, data, flags=0):
    h.pwrite(data, off, flags)
    mwrite(off, data)


def zero(off, n, flags=0):
    h.zero(n, off, flags)
    mwrite(off, bytes(n))


def refused_fast_zero(off, n):
    try:
        h.zero(n, off, nbd.CMD_FLAG_FAST_ZERO)
    except nbd.Error as e:
        assert e.errnum == errno.ENOTSUP, e
        return
    raise AssertionError("fast zero of %d+%d was not refused" % (off, n))


pwrite(M - 300, pattern(1, 700))                    # unaligned, across a block boundary
pwrite(2 * M, pattern(2, M), nbd.CMD_FLAG_FUA)      # whole block, FUA
zero(2 * M + 4096, 4096)                            # partial block: zero bytes
if fixed:
    refused_fast_zero(3 * M, M)                     # fixed: zeroing writes bytes
    zero(3 * M, M)
else:
    zero(3 * M, M, nbd.CMD_FLAG_FAST_ZERO)          # reads as zeros already: fast
refused_fast_zero(2 * M + 8192, 4096)               # partial block with data: not fast
pwrite(4 * M, pattern(3, 65536))
if fixed:
    refused_fast_zero(4 * M, M)                     # fixed: zeroing writes bytes
    zero(4 * M, M)
else:
    zero(4 * M, M, nbd.CMD_FLAG_FAST_ZERO | nbd.CMD_FLAG_FUA)  # whole block -> ZERO
pwrite(4 * M + 512, pattern(4, 1024))
h.trim(3 * M, 2 * M + M // 2)                       # 3M..5.5M: blocks 3, 4 whole
mtrim(2 * M + M // 2, 3 * M)
h.trim(8192, 5 * M + 4096)                          # inside one block: no change
pwrite(size - 512, pattern(5, 512))                 # the last sector
h.flush()

# a second connection shares the writable image: it reads what the first one wrote
h2 = nbd.NBD()
h2.connect_uri(os.environ["URI"])
assert h2.pread(700, M - 300) == pattern(1, 700)
h2.pwrite(b"\x77" * 4096, 5 * M)
mwrite(5 * M, b"\x77" * 4096)
h2.flush()
h2.shutdown()
assert h.pread(4096, 5 * M) == b"\x77" * 4096
h.flush()
model.close()
