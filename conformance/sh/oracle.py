#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""oracle.py - helpers of the differential shell tests (test_diff_*.sh).

  oracle.py sha256 FILE|-      SHA-256 of a file (holes not read) or stdin (16 MiB reads; hashlib uses the
                               CPU's SHA extensions, several times faster than sha256sum)
  oracle.py pyvhdi FILE        SHA-256 of the whole virtual disk as read by libvhdi (pyvhdi)
  oracle.py pyvhdi-check       exit 0 when pyvhdi can be imported, 77 otherwise
  oracle.py info IMAGE [--qemu] [--pyvhdi] < `vhdx info --json IMAGE`
                               compares our information with `qemu-img info` (virtual size,
                               cluster size) and libvhdi (media size, bytes per sector, disk
                               type, identifier = DataWriteGuid of the current header);
                               prints "qemu-img same" / "qemu-img differs FIELD ours=.. them=.."
                               and the same for "libvhdi"
  oracle.py pattern SEED LEN    LEN bytes of test data: 8-byte LE words (index * 0x9E3779B97F4A7C15)
                               ^ SEED, so misplaced bytes are detected
  oracle.py compare OURS_RAW [--raw [LABEL=]FILE]... [--pyvhdi-parent PARENT] [--pyvhdi IMAGE]
                               one pass over the stream OURS_RAW (a file or - for stdin):
                               prints "ours <sha256> <bytes>", then for each raw file
                               "LABEL same" / "LABEL differs <first offset>" (LABEL
                               defaults to "raw"; raw files are read hole-aware) and "pyvhdi same" / "pyvhdi differs
                               <offset>" / "pyvhdi error <message>"

Exit 1 with a message on stderr when the oracle cannot read the image.
"""
import errno
import hashlib
import sys

CHUNK = 16 << 20


def sha_stream(f):
    h = hashlib.sha256()
    while True:
        b = f.read(CHUNK)
        if not b:
            break
        h.update(b)
    return h.hexdigest()


class RawFile:
    """A possibly sparse raw file: holes are compared as zeros without reading them."""

    def __init__(self, path):
        import os
        self.os = os
        self.fd = os.open(path, os.O_RDONLY)
        self.size = os.fstat(self.fd).st_size

    def is_hole(self, off, n):
        os = self.os
        try:
            d = os.lseek(self.fd, off, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:  # no data after off
                return True
            return False  # SEEK_DATA not available: read the bytes
        return d >= off + n

    def read(self, off, n):
        return self.os.pread(self.fd, n, off)

    def close(self):
        self.os.close(self.fd)


def sha_file(path):
    """sha_stream of a file whose holes are hashed as zeros without reading them (reading a
    hole fills the page cache with zeroed pages: GiBs for a sparse raw disk)"""
    raw = RawFile(path)
    h = hashlib.sha256()
    zeros = memoryview(bytes(CHUNK))
    off = 0
    while off < raw.size:
        n = min(CHUNK, raw.size - off)
        if raw.is_hole(off, n):
            h.update(zeros[:n])
        else:
            b = raw.read(off, n)
            if len(b) != n:
                raise OSError("short read at %d of %s" % (off, path))
            h.update(b)
        off += n
    raw.close()
    return h.hexdigest()


def compare(argv):
    ours_path = argv[0]
    raws = []  # (label, RawFile, first differing offset or None)
    pyv = pyv_parent = None
    pyv_err = None
    i = 1
    while i < len(argv):
        if argv[i] == "--raw":
            label, sep, path = argv[i + 1].partition("=")
            if not sep:
                label, path = "raw", argv[i + 1]
            raws.append([label, RawFile(path), None])
        elif argv[i] == "--pyvhdi":
            import pyvhdi
            pyv = pyvhdi.file()
            try:
                pyv.open(argv[i + 1])
                if pyv_parent:
                    pyv.set_parent(pyv_parent)
            except (IOError, OSError) as e:
                pyv, pyv_err = None, str(e).replace("\n", " ")
        elif argv[i] == "--pyvhdi-parent":  # must precede --pyvhdi
            import pyvhdi
            pyv_parent = pyvhdi.file()
            pyv_parent.open(argv[i + 1])
        i += 2
    if ours_path == "-":
        fd = sys.stdin.fileno()
        try:  # fewer, larger pipe transfers (Linux F_SETPIPE_SZ)
            import fcntl
            fcntl.fcntl(fd, 1031, 1 << 20)
        except (OSError, ImportError):
            pass
        src = open(fd, "rb", buffering=0, closefd=False)
    else:
        src = open(ours_path, "rb", buffering=0)
    h = hashlib.sha256()
    zeros = bytes(CHUNK)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    off = 0
    pyv_diff = None
    pyv_size = pyv.get_media_size() if pyv else 0
    while True:
        # fill the whole chunk (a pipe returns short reads) so compares stay aligned
        n = 0
        while n < CHUNK:
            got = src.readinto(view[n:])
            if not got:
                break
            n += got
        if n == 0:
            break
        b = view[:n]
        h.update(b)
        b = bytes(b) if n < CHUNK else buf
        for r in raws:
            raw = r[1]
            if r[2] is not None:
                continue
            if raw.is_hole(off, n):
                m = n if off + n <= raw.size else max(0, raw.size - off)
                other = zeros if m == CHUNK else zeros[:m]
            else:
                other = raw.read(off, n)
            if other != b:
                r[2] = off + first_diff(b, other)
        if pyv is not None and pyv_diff is None and pyv_err is None:
            try:
                other = pyv.read_buffer_at_offset(min(n, max(0, pyv_size - off)), off)
            except (IOError, OSError) as e:
                pyv_err = str(e).replace("\n", " ")
            else:
                if other != b:
                    pyv_diff = off + first_diff(b, other)
        off += n
    print("ours %s %d" % (h.hexdigest(), off))
    for label, raw, diff in raws:
        if diff is None and raw.size != off:
            diff = min(raw.size, off)
        print("%s same" % label if diff is None else "%s differs %d" % (label, diff))
    if pyv_err is not None:
        print("pyvhdi error %s" % pyv_err)
    elif pyv is not None:
        if pyv_diff is None and pyv_size != off:
            pyv_diff = min(pyv_size, off)
        print("pyvhdi same" if pyv_diff is None else "pyvhdi differs %d" % pyv_diff)
    return 0


def info(argv):
    import json
    import subprocess
    img = argv[0]
    ours = json.load(sys.stdin)
    if "--qemu" in argv:
        out = subprocess.run(["qemu-img", "info", "-f", "vhdx", "--output=json", img],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print("qemu-img error %s" % out.stderr.strip().replace("\n", " "))
        else:
            q = json.loads(out.stdout)
            diffs = ["%s ours=%s them=%s" % (k, ours.get(o), q.get(k))
                     for k, o in (("virtual-size", "virtual_size"), ("cluster-size", "block_size"))
                     if ours.get(o) != q.get(k)]
            print("qemu-img same" if not diffs else "qemu-img differs " + "; ".join(diffs))
    if "--pyvhdi" in argv:
        import pyvhdi
        f = pyvhdi.file()
        try:
            f.open(img)
        except (IOError, OSError) as e:
            print("libvhdi error %s" % str(e).replace("\n", " "))
            return 0
        types = {2: "fixed", 3: "dynamic", 4: "differencing"}
        cur = [h for h in ours.get("headers", []) if h.get("current")]
        dwg = cur[0].get("data_write_guid") if cur else None
        pairs = (("media_size", ours.get("virtual_size"), f.media_size),
                 ("bytes_per_sector", ours.get("logical_sector_size"), f.bytes_per_sector),
                 ("disk_type", ours.get("type"), types.get(f.disk_type, f.disk_type)),
                 ("identifier", dwg, f.identifier))
        diffs = ["%s ours=%s them=%s" % (k, a, b) for k, a, b in pairs if a != b]
        print("libvhdi same" if not diffs else "libvhdi differs " + "; ".join(diffs))
        f.close()
    return 0


def first_diff(a, b):
    n = min(len(a), len(b))
    lo = 0
    # binary search on prefix equality keeps this fast for 16 MiB chunks
    hi = n
    while lo < hi:
        mid = (lo + hi) // 2
        if a[lo:mid + 1] == b[lo:mid + 1]:
            lo = mid + 1
        else:
            hi = mid
    return lo


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "sha256" and len(argv) == 3:
        if argv[2] == "-":
            print(sha_stream(sys.stdin.buffer))
        else:
            print(sha_file(argv[2]))
        return 0
    if cmd == "pattern" and len(argv) == 4:
        import struct
        seed, n = int(argv[2], 0), int(argv[3], 0)
        words = (n + 7) // 8
        data = b"".join(struct.pack("<Q", ((i * 0x9E3779B97F4A7C15) ^ seed) & 0xFFFFFFFFFFFFFFFF)
                        for i in range(words))
        sys.stdout.buffer.write(data[:n])
        return 0
    if cmd == "compare" and len(argv) >= 3:
        return compare(argv[2:])
    if cmd == "info" and len(argv) >= 3:
        return info(argv[2:])
    if cmd == "pyvhdi-check":
        try:
            import pyvhdi  # noqa: F401
        except ImportError:
            return 77
        return 0
    if cmd == "pyvhdi" and len(argv) == 3:
        import pyvhdi
        f = pyvhdi.file()
        try:
            f.open(argv[2])
            size = f.get_media_size()
            h = hashlib.sha256()
            done = 0
            while done < size:
                n = min(CHUNK, size - done)
                b = f.read_buffer_at_offset(n, done)
                if len(b) != n:
                    print("pyvhdi: short read at %d" % done, file=sys.stderr)
                    return 1
                h.update(b)
                done += n
            f.close()
        except (IOError, OSError) as e:
            print("pyvhdi: %s" % e, file=sys.stderr)
            return 1
        print(h.hexdigest())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
