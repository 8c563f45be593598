#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""interop_matrix.py - the interoperability matrix (run by scripts/interop-matrix.sh).

Every image (the conformance kit of `vhdx kit` and the known-good images) is read by every
independent VHDX reader found on the machine: qemu-img (info, check, convert -O raw), libvhdi
(vhdiinfo, pyvhdi), 7-Zip (7z t, 7z x) and this library (vhdx check, vhdx cat). Each cell is
one outcome (see OUTCOMES) with the reader's message. A reader that is not installed is a
missing column, never a failure. The interoperability predictions `vhdx check` makes for an
image are compared with the measured cells of the consumers that run here (QEMU, libvhdi,
7-Zip); every disagreement must be listed in the allowlist with its reason.

Whole-disk reads are hashed as streams (SHA-256 in this process, never written to disk), except
qemu-img convert, which cannot write to a pipe: its raw output is a sparse file in the work
folder, hashed with its holes fed as zeros. --quick (the ctest) reads disks larger than
--quick-limit by the manifest's range hashes instead of whole (7z x, which cannot seek, is
skipped for them); make report runs the full matrix.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

SCHEMA_ID = "vhdx-interop-matrix/1"
MiB = 1 << 20
PREFIX = 8 * MiB      # bytes read of an image without a reference hash
ZERO = bytes(MiB)

# outcome of a cell: the first seven are measured, "skipped" is a cell not run in this mode
OUTCOMES = {
    "exact": "read; the bytes hash as the manifest/catalogue says",
    "wrong": "read without an error, but the bytes differ from the manifest/catalogue",
    "reads": "read without an error (no reference hash: an invalid image or a missing parent)",
    "accepts": "opened (or checked) without an error",
    "warns": "opened with a warning",
    "refuses": "refused with an error",
    "crashes": "killed by a signal or a sanitizer report",
    "hangs": "did not finish within the timeout (killed)",
    "skipped": "not run in this mode",
}

PYVHDI_READ = r'''
import hashlib, os, sys
import pyvhdi
keep = []  # parents stay referenced while the child reads through them
def open_file(path):
    f = pyvhdi.file()
    f.open(path)
    if f.get_disk_type() == 4:  # differential: attach the parent named by the locator
        name = (f.get_parent_filename() or "").replace("\\", "/").split("/")[-1]
        if not name:
            sys.exit("libvhdi: differencing image without a parent file name that libvhdi reads")
        p = open_file(os.path.join(os.path.dirname(path), name))
        f.set_parent(p)
        keep.append(p)
    return f
f = open_file(sys.argv[1])
size = f.get_media_size()
args = sys.argv[2:]
if args and args[0].startswith("cap:"):
    ranges = [(0, min(size, int(args[0][4:])))]
else:
    ranges = [tuple(int(x) for x in r.split(":")) for r in args] or [(0, size)]
for off, length in ranges:
    h = hashlib.sha256()
    got = 0
    while got < length:
        b = f.read_buffer_at_offset(min(4 << 20, length - got), off + got)
        if not b:
            break
        h.update(b)
        got += len(b)
    print(h.hexdigest(), got)
'''


class Result:
    """What one command did."""
    def __init__(self):
        self.rc = None
        self.sig = None
        self.hung = False
        self.seconds = 0.0
        self.out = b""
        self.err = b""
        self.hashes = []     # [(sha256 hex, bytes)] per range (one for a whole disk)
        self.stopped = False # killed on purpose after the bytes wanted (a prefix read)


def _kill(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


# qemu-img runs with -U (force share; locking=off in --image-opts, where -U does not reach the
# file node): this library's readers hold a shared OFD lock over the whole file, which QEMU's
# lock test takes for every permission unshared ("Failed to get "consistent read" lock")
# while a vhdx command reads the same image in parallel.


def run_cmd(argv, timeout, stream=None, cwd=None, stop=False):
    """Runs argv in its own process group with stdin closed. stream: None (stdout captured,
    first 4 MiB kept) or a list of lengths: stdout is hashed, one SHA-256 per length (None:
    to the end). stop: kill the group once those bytes are read. Kills the group after
    timeout seconds."""
    r = Result()
    t0 = time.monotonic()
    with tempfile.TemporaryFile() as errf:
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=errf, start_new_session=True, cwd=cwd)
        except OSError as e:
            r.rc, r.err = 127, str(e).encode()
            return r
        timer = threading.Timer(timeout, lambda: (setattr(r, "hung", True), _kill(proc)))
        timer.start()
        try:
            if stream is None:
                r.out = proc.stdout.read(4 * MiB)
                while proc.stdout.read(MiB):
                    pass
            else:
                for length in stream:
                    h, got = hashlib.sha256(), 0
                    while length is None or got < length:
                        b = proc.stdout.read(MiB if length is None else min(MiB, length - got))
                        if not b:
                            break
                        h.update(b)
                        got += len(b)
                    r.hashes.append((h.hexdigest(), got))
                if stop and all(n == want for (_, n), want in zip(r.hashes, stream)):
                    r.stopped = True
                    _kill(proc)
                while proc.stdout.read(MiB):
                    pass
            proc.wait()
        finally:
            timer.cancel()
            proc.stdout.close()
        errf.seek(0)
        r.err = errf.read(65536)
    r.seconds = time.monotonic() - t0
    if r.stopped:
        r.rc = 0
    elif proc.returncode is not None and proc.returncode < 0:
        r.sig = -proc.returncode
    else:
        r.rc = proc.returncode
    return r


def hash_sparse_file(path, ranges):
    """SHA-256 of [off, off+len) ranges of a (sparse) file; holes are fed as zeros."""
    out = []
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        fd = f.fileno()
        for off, length in ranges:
            h, pos, end = hashlib.sha256(), off, min(size, off + length)
            while pos < end:
                try:
                    data = os.lseek(fd, pos, os.SEEK_DATA)
                except OSError:
                    data = end
                data = min(data, end)
                while pos < data:           # a hole: zeros without reading
                    n = min(MiB, data - pos)
                    h.update(ZERO[:n])
                    pos += n
                if pos >= end:
                    break
                try:
                    hole = min(os.lseek(fd, pos, os.SEEK_HOLE), end)
                except OSError:
                    hole = end
                f.seek(pos)
                while pos < hole:
                    b = f.read(min(MiB, hole - pos))
                    if not b:
                        break
                    h.update(b)
                    pos += len(b)
            out.append((h.hexdigest(), max(0, end - off)))
    return out


# ---- readers ----

def first_line(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        for line in (p.stdout + p.stderr).splitlines():
            if line.strip():
                return line.strip()
    except (OSError, subprocess.TimeoutExpired):
        pass
    return None


def find_readers(cli, python):
    """The reader commands found here ([dict]) and the missing readers ([dict])."""
    cols, missing = [], []
    q = shutil.which("qemu-img")
    if q:
        v = first_line([q, "--version"])
        for cmd, kind in (("info", "open"), ("check", "open"), ("convert", "read")):
            cols.append({"id": "qemu-img " + cmd, "reader": "qemu-img", "consumer": "QEMU",
                         "kind": kind, "version": v, "path": q})
    else:
        missing.append({"reader": "qemu-img", "consumer": "QEMU", "reason": "qemu-img not found (Debian: qemu-utils)"})
    vi = shutil.which("vhdiinfo")
    if vi:
        cols.append({"id": "vhdiinfo", "reader": "libvhdi", "consumer": "libvhdi", "kind": "open",
                     "version": first_line([vi, "-V"]), "path": vi})
    else:
        missing.append({"reader": "vhdiinfo", "consumer": "libvhdi", "reason": "vhdiinfo not found (Debian: libvhdi-utils)"})
    pv = first_line([python, "-c", "import pyvhdi; print('pyvhdi', pyvhdi.get_version())"]) if python else None
    if pv and pv.startswith("pyvhdi "):
        cols.append({"id": "pyvhdi", "reader": "libvhdi", "consumer": "libvhdi", "kind": "read",
                     "version": pv, "path": python})
    else:
        missing.append({"reader": "pyvhdi", "consumer": "libvhdi", "reason": "python3 module pyvhdi not found (Debian: python3-libvhdi)"})
    sz = shutil.which("7zz") or shutil.which("7z")
    if sz:
        v = next((l for l in (subprocess.run([sz], capture_output=True, text=True).stdout.splitlines())
                  if l.startswith("7-Zip")), None)
        for cmd, kind in (("t", "open"), ("x", "read")):
            cols.append({"id": "7z " + cmd, "reader": "7-Zip", "consumer": "7-Zip", "kind": kind,
                         "version": v, "path": sz})
    else:
        missing.append({"reader": "7-Zip", "consumer": "7-Zip", "reason": "7zz/7z not found (Debian: 7zip)"})
    v = first_line([cli, "--version"])
    for cmd, kind in (("check", "open"), ("cat", "read")):
        cols.append({"id": "vhdx " + cmd, "reader": "vhdx", "consumer": "vhdx", "kind": kind,
                     "version": v, "path": cli})
    return cols, missing


CRASH_MARKS = (b"AddressSanitizer", b"UndefinedBehaviorSanitizer", b"MemorySanitizer",
               b"Segmentation fault", b"core dumped")


def message(col, r):
    """The reader's message: its error lines, else its last line."""
    text = (r.err + b"\n" + (r.out if col["reader"] == "7-Zip" else b"")).decode("utf-8", "replace")
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if col["reader"] == "7-Zip":
        keep = [l for l in lines if re.search(r"error|warning|cannot|unsupported|not replayed|unexpected", l, re.I)
                and not l.startswith("Scanning")]
        lines = keep or lines[-1:]
    elif col["id"] == "vhdx check":
        lines = [l for l in lines if not l.startswith("  interop")][-3:]
    elif col["id"] == "pyvhdi":
        lines = [l for l in lines if not l.startswith(("File ", "Traceback", "f = ", "f.open", "p = "))][-2:]
    msg = " | ".join(dict.fromkeys(lines))
    if r.hung:
        msg = "timeout; killed" + (": " + msg if msg else "")
    elif r.sig:
        msg = "signal %d%s" % (r.sig, ": " + msg if msg else "")
    return msg[:300]


def open_outcome(col, r):
    if r.hung:
        return "hangs"
    if r.sig or any(m in r.err for m in CRASH_MARKS):
        return "crashes"
    if col["id"] == "vhdx check":
        return {0: "accepts", 3: "warns"}.get(r.rc, "refuses")
    if col["reader"] == "7-Zip" and r.rc == 1:       # 7-Zip: 1 = warning
        return "warns"
    return "accepts" if r.rc == 0 else "refuses"


class Matrix:
    def __init__(self, a, cols):
        self.a = a
        self.cols = cols
        self.work = tempfile.mkdtemp(prefix="vhdx-interop.", dir=a.work)

    def timeout(self, img, length):
        return self.a.timeout + self.a.timeout_per_gib * length / (1 << 30)

    def plan(self, img):
        """(scope, [(off, len)], expected hashes or None) of the reads of img. Without a
        reference hash (an invalid image, a missing parent) only a prefix is read: whether
        the reader opens and reads the image is the fact, and a broken header may claim
        any size (the kit's bad-R66 claims 200 GiB)."""
        size = img.get("virtual_size") or 0
        if not img.get("sha256"):
            return "prefix", [(0, PREFIX)], None
        if self.a.quick and size > self.a.quick_limit:
            if not img.get("ranges"):
                return "skip", None, None
            rs = sorted(img["ranges"], key=lambda x: x["offset"])
            return "ranges", [(x["offset"], x["length"]) for x in rs], [x["sha256"] for x in rs]
        return "disk", [(0, size)], [img["sha256"]]

    def read_cmd(self, col, img, ranges, scope):
        """Runs the read command of col; returns a Result with hashes, or None (skipped)"""
        p = img["path"]
        if scope == "skip" or (scope == "ranges" and col["id"] == "7z x"):
            return None
        to = self.timeout(img, sum(l for _, l in ranges))
        if scope == "prefix" and col["id"] in ("vhdx cat", "7z x"):
            argv = [col["path"], "cat", p] if col["id"] == "vhdx cat" else [col["path"], "x", "-tvhdx", "-so", "-bd", p]
            return run_cmd(argv, to, [PREFIX], stop=True)
        if col["id"] == "vhdx cat":
            if scope == "ranges":
                res = Result()
                for off, ln in ranges:
                    r = run_cmd([col["path"], "cat", "--offset", str(off), "--length", str(ln), p], to, [None])
                    res.hashes += r.hashes
                    res.seconds += r.seconds
                    res.rc, res.sig, res.hung, res.err = r.rc, r.sig, r.hung, r.err
                    if r.rc != 0:
                        break
                return res
            return run_cmd([col["path"], "cat", p], to, [None])
        if col["id"] == "7z x":
            return run_cmd([col["path"], "x", "-tvhdx", "-so", "-bd", p], to, [None])
        if col["id"] == "pyvhdi":
            argv = [col["path"], "-c", PYVHDI_READ, p] + (["%d:%d" % x for x in ranges] if scope == "ranges" else
                                                          ["cap:%d" % PREFIX] if scope == "prefix" else [])
            r = run_cmd(argv, to)
            if r.rc == 0 and not r.hung and not r.sig:
                r.hashes = [(l.split()[0], int(l.split()[1])) for l in r.out.decode().split("\n") if l.strip()]
            return r
        if col["id"] == "qemu-img convert":
            d = tempfile.mkdtemp(dir=self.work)
            try:
                if scope in ("ranges", "prefix"):
                    res = Result()
                    for i, (off, ln) in enumerate(ranges):
                        out = os.path.join(d, "r%d" % i)
                        if scope == "prefix":   # dd stops at the end of a smaller disk
                            argv = [col["path"], "dd", "-U", "-f", "vhdx", "-O", "raw", "bs=1M",
                                    "count=%d" % (ln // MiB), "if=" + p, "of=" + out]
                        else:                   # a raw node with offset and size over the vhdx
                            argv = [col["path"], "convert", "-U", "--image-opts", "-O", "raw",
                                    "driver=raw,read-only=on,offset=%d,size=%d,file.driver=vhdx,"
                                    "file.file.driver=file,file.file.locking=off,file.file.filename=%s"
                                    % (off, ln, p.replace(",", ",,")), out]
                        r = run_cmd(argv, to)
                        res.seconds += r.seconds
                        res.rc, res.sig, res.hung, res.err = r.rc, r.sig, r.hung, r.err
                        if r.rc != 0 or r.hung:
                            break
                        res.hashes += hash_sparse_file(out, [(0, os.path.getsize(out))])
                    return res
                out = os.path.join(d, "disk.raw")
                r = run_cmd([col["path"], "convert", "-U", "-f", "vhdx", "-O", "raw", p, out], to)
                if r.rc == 0 and not r.hung:
                    r.hashes = hash_sparse_file(out, [(0, os.path.getsize(out))])
                return r
            finally:
                shutil.rmtree(d, ignore_errors=True)
        raise ValueError(col["id"])

    def open_cmd(self, col, img):
        p = img["path"]
        argv = {
            "qemu-img info": [col["path"], "info", "-U", "-f", "vhdx", p],
            "qemu-img check": [col["path"], "check", "-U", "-f", "vhdx", p],
            "vhdiinfo": [col["path"], p],
            "7z t": [col["path"], "t", "-tvhdx", "-bd", p],
            "vhdx check": [col["path"], "check", "--no-progress", "--format", "json", p],
        }[col["id"]]
        # 7z t reads the whole disk: it gets a read's timeout
        size = img.get("virtual_size") or 0
        return run_cmd(argv, self.timeout(img, size if col["id"] == "7z t" else 0))

    def cell(self, col, img):
        t0 = time.monotonic()
        if col["kind"] == "open":
            r = self.open_cmd(col, img)
            c = {"outcome": open_outcome(col, r), "exit": r.rc, "signal": r.sig, "scope": "open"}
            if col["id"] == "vhdx check" and r.rc is not None:
                try:
                    img["check"] = json.loads(r.out.decode())["images"][0]
                except (ValueError, KeyError, IndexError):
                    img["check"] = None
                if img.get("check"):
                    n = img["check"]["counts"]
                    c["message"] = "%s: %d error(s), %d warning(s)" % (img["check"]["verdict"], n["errors"], n["warnings"])
        else:
            scope, ranges, want = self.plan(img)
            r = self.read_cmd(col, img, ranges, scope)
            if r is None:
                return {"outcome": "skipped", "exit": None, "signal": None, "scope": scope,
                        "seconds": 0.0, "message": "quick mode: disks over %d MiB are read whole only in the full matrix (make report)%s" % (
                            self.a.quick_limit >> 20, "" if scope == "skip" else "; 7z x cannot read ranges")}
            c = {"outcome": None, "exit": r.rc, "signal": r.sig, "scope": scope}
            o = open_outcome(col, r)
            if o in ("hangs", "crashes"):
                c["outcome"] = o
            elif (r.rc != 0 and not (col["reader"] == "7-Zip" and r.rc == 1 and r.hashes and r.hashes[0][1])) or (
                    r.stopped and col["reader"] == "7-Zip" and b"ERROR" in r.err):
                c["outcome"] = "refuses"
            else:
                got = [h for h, _ in r.hashes]
                c["sha256"] = got[0] if len(got) == 1 else None
                if scope == "ranges":
                    c["range_sha256"] = got
                if want is None:
                    c["outcome"] = "reads"
                else:
                    c["outcome"] = "exact" if got == want else "wrong"
                    if c["outcome"] == "wrong" and scope != "prefix":
                        nbytes = sum(n for _, n in r.hashes)
                        need = sum(l for _, l in ranges)
                        c["detail"] = ("%d bytes, expected %d" % (nbytes, need)) if nbytes != need else "same length, other bytes"
                if col["reader"] == "7-Zip" and r.rc == 1:
                    c["warning"] = True
        c["seconds"] = round(time.monotonic() - t0, 3)
        if "message" not in c:
            c["message"] = message(col, r) if c["outcome"] not in ("exact", "accepts") or c.get("warning") else ""
            if c.get("detail"):
                c["message"] = (c["detail"] + "; " + c["message"]).rstrip("; ")
        return c

    def run(self, images):
        tasks = [(img, col) for img in images for col in self.cols]
        # longest first: whole reads of large disks, then the rest
        tasks.sort(key=lambda t: -(t[0].get("virtual_size") or 0) * (t[1]["kind"] == "read"))
        with concurrent.futures.ThreadPoolExecutor(self.a.jobs) as ex:
            futs = {ex.submit(self.cell, col, img): (img, col) for img, col in tasks}
            for f in concurrent.futures.as_completed(futs):
                img, col = futs[f]
                img.setdefault("cells", {})[col["id"]] = f.result()
        shutil.rmtree(self.work, ignore_errors=True)


# ---- images ----

def kit_images(kit_dir):
    man = json.load(open(os.path.join(kit_dir, "manifest.json")))
    out = []
    for i in man["images"]:
        out.append({"image": i["file"], "set": "kit", "kind": i["kind"], "path": os.path.join(kit_dir, i["file"]),
                    "rules": i["rules"], "warnings": i["warnings"], "cause": i.get("cause"),
                    "virtual_size": i["parameters"]["virtual_size"] if i["kind"] != "invalid" else None,
                    "sha256": i.get("sha256"), "ranges": i.get("ranges"), "description": i["description"]})
    return out


def shared_images(shared_dir, known_good):
    """the decompressed known-good images in shared_dir, hashes from conformance/known-good.tsv"""
    rows = {}
    for line in open(known_good):
        if line.startswith("#") or not line.strip():
            continue
        f = line.rstrip("\n").split("\t")
        base = re.sub(r"\.(gz|bz2|zip)$", "", f[0])
        rows[base] = {"sha256": f[2], "parent": f[5], "note": f[6]}
    out = []
    for base in sorted(rows):
        p = os.path.join(shared_dir, base)
        if not os.path.exists(p):
            continue
        r = rows[base]
        img = {"image": base, "set": "known-good", "kind": "valid", "path": p, "rules": [], "warnings": [],
               "sha256": r["sha256"], "description": r["note"], "virtual_size": None}
        if r["parent"] != "-":
            # the catalogue's hash reads the child over a blank parent that does not exist here
            img["sha256"] = None
            img["description"] += " (no reference hash here: the parent is not shipped)"
        out.append(img)
    return out


def virtual_sizes(cli, images):
    """virtual sizes of images that have none yet (vhdx info --json)"""
    for img in images:
        if img["virtual_size"] is not None or img["set"] == "kit":
            continue
        p = subprocess.run([cli, "info", "--json", img["path"]], capture_output=True, text=True)
        try:
            img["virtual_size"] = json.loads(p.stdout)["virtual_size"]
        except (ValueError, KeyError):
            img["virtual_size"] = None


# ---- predictions ----

MEASURED = {"QEMU": ("qemu-img info", "qemu-img convert"), "libvhdi": ("vhdiinfo", "pyvhdi"),
            "7-Zip": ("7z t", "7z x")}


def measured_effects(img, consumer):
    """what the consumer did with img, as a set of effects ("unread" when its read was
    skipped: whether it misreads is not measured), or None when not measured"""
    opn, rd = MEASURED[consumer]
    cells = img.get("cells", {})
    if opn not in cells and rd not in cells:
        return None
    got = [cells[c] for c in (opn, rd) if c in cells and cells[c]["outcome"] != "skipped"]
    eff = set()
    if rd in cells and cells[rd]["outcome"] == "skipped":
        eff.add("unread")
    for c in got:
        if c["outcome"] in ("refuses", "crashes", "hangs"):
            eff.add("rejects")
            if consumer == "QEMU" and "contains a log that needs to be replayed" in c.get("message", ""):
                eff.add("read-write only")
        if c["outcome"] == "wrong" or (c["outcome"] == "reads" and img["kind"] == "invalid"):
            eff.add("misreads")
        if c["outcome"] == "warns" or c.get("warning"):
            eff.add("warns")
    if not eff - {"unread"}:
        eff.add("accepts")
    return eff


def agrees(effect, eff, others):
    """True/False, or None when not measured. others: the other effects predicted for the
    same consumer and image."""
    if effect == "rejects":
        return "rejects" in eff
    if effect == "read-write only":
        return "read-write only" in eff
    if effect == "misreads":
        if "unread" in eff and "rejects" not in eff:
            return None
        return "misreads" in eff
    if effect == "warns":
        return "warns" in eff
    # a note: the image is accepted, unless another prediction explains the rejection
    return "rejects" not in eff or bool({"rejects", "read-write only"} & others)


def load_allowlist(path):
    out = {}
    if path and os.path.exists(path):
        for line in open(path):
            if line.startswith("#") or not line.strip():
                continue
            f = line.rstrip("\n").split("\t")
            out[(f[0], f[1], f[2])] = f[3]
    return out


def compare_predictions(images, cols, allow):
    have = {c["consumer"] for c in cols}
    items, doc, used, unmeasured = [], {}, set(), 0
    for img in images:
        chk = img.get("check") or {}
        for p in chk.get("interop", []):
            cons, eff = p["consumer"], p["effect"]
            if cons not in MEASURED or cons not in have:
                doc[cons] = doc.get(cons, 0) + 1
                continue
            m = measured_effects(img, cons)
            others = {q["effect"] for q in chk["interop"] if q["consumer"] == cons and q is not p}
            ok = None if m is None else agrees(eff, m, others)
            if ok is None:
                unmeasured += 1
                continue
            key = (img["image"], cons, eff)
            it = {"image": img["image"], "consumer": cons, "effect": eff, "reason": p["reason"],
                  "measured": sorted(m), "agrees": ok}
            if not ok and key in allow:
                it["allowlisted"] = allow[key]
                used.add(key)
            items.append(it)
    n = len(items)
    agree = sum(1 for i in items if i["agrees"])
    unpredicted = []
    for img in images:
        if img["kind"] == "invalid" or not img.get("sha256"):
            continue
        preds = {(p["consumer"], p["effect"]) for p in (img.get("check") or {}).get("interop", [])}
        for cons in MEASURED:
            if cons not in have:
                continue
            m = measured_effects(img, cons) or set()
            for e in sorted(m & {"rejects", "misreads"}):
                if not any(pc == cons and (pe == e or (e == "rejects" and pe == "read-write only")) for pc, pe in preds):
                    unpredicted.append({"image": img["image"], "consumer": cons, "measured": e})
    stale = [{"image": k[0], "consumer": k[1], "effect": k[2], "reason": v}
             for k, v in allow.items() if k not in used and any(i["image"] == k[0] and i["consumer"] == k[1] and i["effect"] == k[2] for i in items)]
    return {"compared": n, "agree": agree, "allowlisted": sum(1 for i in items if "allowlisted" in i),
            "disagree": sum(1 for i in items if not i["agrees"] and "allowlisted" not in i),
            "rate": round(agree / n, 4) if n else None, "not_measured": unmeasured, "items": items,
            "from_documentation": [{"consumer": k, "predictions": v} for k, v in sorted(doc.items())],
            "unpredicted": unpredicted, "stale_allowlist": stale}


# ---- summary and output ----

def summarise(images, cols):
    s = {}
    for col in cols:
        d = {"valid": 0, "exact": 0, "accepted_valid": 0, "wrong": 0, "refused_valid": 0, "invalid": 0,
             "accepted_invalid": 0, "unverifiable": 0, "crashes": 0, "hangs": 0, "skipped": 0}
        for img in images:
            c = img.get("cells", {}).get(col["id"])
            if not c:
                continue
            o = c["outcome"]
            if o == "skipped":
                d["skipped"] += 1
                continue
            d["crashes"] += o == "crashes"
            d["hangs"] += o == "hangs"
            if img["kind"] == "invalid":
                d["invalid"] += 1
                d["accepted_invalid"] += o in ("reads", "accepts", "warns", "exact", "wrong")
            elif not img.get("sha256"):
                d["unverifiable"] += 1     # a valid image without a reference (parent missing)
            else:
                d["valid"] += 1
                d["exact"] += o == "exact"
                d["accepted_valid"] += o in ("exact", "accepts", "warns")
                d["wrong"] += o == "wrong"
                d["refused_valid"] += o in ("refuses", "crashes", "hangs")
        s[col["id"]] = d
    return s


SHORT = {"exact": "exact", "wrong": "**WRONG**", "reads": "reads", "accepts": "ok", "warns": "warns",
         "refuses": "refused", "crashes": "**CRASH**", "hangs": "**HANG**", "skipped": "-"}


def write_md(doc, path):
    cols = [c["id"] for c in doc["readers"]]
    L = ["# Interoperability matrix", "",
         "Generated by `%s` (%s mode) with %s. Every image of the conformance kit (`vhdx kit`) and of the" % (
             doc["generated_by"], doc["mode"], doc["tool"]),
         "known-good corpus, read by every VHDX reader found on this machine. JSON with every message:",
         "`reports/interop-matrix.json` (schema `reports/schema/interop-matrix.schema.json`).", "",
         "Cells: " + "; ".join("%s = %s" % (SHORT[k], v) for k, v in OUTCOMES.items()) + ".", "",
         "## Readers", "", "| column | reader | version |", "|---|---|---|"]
    for c in doc["readers"]:
        L.append("| %s | %s | %s |" % (c["id"], c["reader"], c["version"] or "?"))
    for m in doc["missing_readers"]:
        L.append("| (missing) | %s | %s |" % (m["reader"], m["reason"]))
    L += ["", "## Summary per reader", "",
          "Valid images: the kit's valid and deviating images and the known-good images with a reference hash.",
          "A read column counts the valid images read exactly, an open column those it opens.", "",
          "| column | valid images read exactly / opened | valid read wrong | valid refused | invalid images accepted | crashes | hangs | skipped |",
          "|---|---|---|---|---|---|---|---|"]
    for c in doc["readers"]:
        d = doc["summary"][c["id"]]
        L.append("| %s | %d of %d | %d | %d | %d of %d | %d | %d | %d |" % (
            c["id"], d["exact"] if c["kind"] == "read" else d["accepted_valid"], d["valid"], d["wrong"],
            d["refused_valid"], d["accepted_invalid"], d["invalid"], d["crashes"], d["hangs"], d["skipped"]))
    L.append("")
    for cid in cols:
        d = doc["summary"][cid]
        L.append("* **%s** accepts %d invalid image(s) and reads %d valid one(s) wrong." % (cid, d["accepted_invalid"], d["wrong"]))
    p = doc.get("predictions")
    if p:
        L += ["", "## Predictions of `vhdx check` against the measurements", "",
              "%d predictions for consumers measured here (QEMU, libvhdi, 7-Zip): %d agree (%.1f%%), %d disagree "
              "and are allowlisted (`conformance/interop-allowlist.tsv`), %d disagree otherwise." % (
                  p["compared"], p["agree"], 100.0 * (p["rate"] or 0), p["allowlisted"], p["disagree"]),
              "Predictions for consumers that cannot run here stay from documentation: " +
              (", ".join("%s (%d)" % (x["consumer"], x["predictions"]) for x in p["from_documentation"]) or "none") + ".", ""]
        bad = [i for i in p["items"] if not i["agrees"]]
        if bad:
            L += ["| image | consumer | predicted | measured | allowlist reason |", "|---|---|---|---|---|"]
            for i in bad:
                L.append("| %s | %s | %s | %s | %s |" % (i["image"], i["consumer"], i["effect"], ", ".join(i["measured"]),
                                                          i.get("allowlisted", "**not allowlisted**")))
        if p["unpredicted"]:
            L += ["", "Valid images a measured consumer rejects or misreads without a prediction saying so:", "",
                  "| image | consumer | measured |", "|---|---|---|"]
            for u in p["unpredicted"]:
                L.append("| %s | %s | %s |" % (u["image"], u["consumer"], u["measured"]))
    L += ["", "## Matrix", "", "| image | set | kind | rules | " + " | ".join(cols) + " |",
          "|---|---|---|---|" + "---|" * len(cols)]
    for img in doc["images"]:
        rules = ",".join(img["rules"] + ["(%s)" % w for w in img["warnings"]]) or "-"
        L.append("| %s | %s | %s | %s | %s |" % (img["image"], img["set"], img["kind"], rules,
                                                 " | ".join(SHORT[img["cells"][c]["outcome"]] if c in img["cells"] else "" for c in cols)))
    L += ["", "## Messages", "", "The reader's message for every cell other than exact/ok.", "",
          "| image | column | outcome | message |", "|---|---|---|---|"]
    for img in doc["images"]:
        for cid in cols:
            c = img["cells"].get(cid)
            if c and c["outcome"] not in ("exact", "accepts", "skipped") and c.get("message"):
                L.append("| %s | %s | %s | %s |" % (img["image"], cid, c["outcome"],
                                                    c["message"].replace("|", "\\|").replace("\n", " ")))
    open(path, "w").write("\n".join(L) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--kit", help="kit folder (manifest.json)")
    ap.add_argument("--shared", help="folder of the decompressed known-good images")
    ap.add_argument("--known-good", help="conformance/known-good.tsv")
    ap.add_argument("--allowlist", help="conformance/interop-allowlist.tsv")
    ap.add_argument("--python", default="/usr/bin/python3", help="python with pyvhdi")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--quick-limit", type=int, default=128 * MiB)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per command (plus --timeout-per-gib)")
    ap.add_argument("--timeout-per-gib", type=float, default=20.0)
    ap.add_argument("--work", default=None)
    ap.add_argument("--json", required=True)
    ap.add_argument("--md")
    ap.add_argument("--generated-by", default="scripts/interop-matrix.sh")
    a = ap.parse_args()
    t0 = time.monotonic()
    cols, missing = find_readers(a.cli, a.python)
    images = kit_images(a.kit) if a.kit else []
    if a.shared and a.known_good:
        images += shared_images(a.shared, a.known_good)
    virtual_sizes(a.cli, images)
    Matrix(a, cols).run(images)
    pred = compare_predictions(images, cols, load_allowlist(a.allowlist))
    for img in images:
        chk = img.pop("check", None) or {}
        img["predictions"] = [{"consumer": p["consumer"], "effect": p["effect"],
                               "source": "measured" if p["consumer"] in MEASURED else "documentation"}
                              for p in chk.get("interop", [])]
        if img["set"] != "kit":
            img["rules"] = sorted({f["rule"] for f in chk.get("findings", []) if f["severity"] == "error" and f["rule"]})
            img["warnings"] = sorted({f["rule"] for f in chk.get("findings", []) if f["severity"] == "warning" and f["rule"]})
        img.pop("path", None)
        img.pop("ranges", None)
        img["cells"] = {c["id"]: img["cells"][c["id"]] for c in cols if c["id"] in img.get("cells", {})}
    doc = {"schema": SCHEMA_ID, "generated_by": a.generated_by, "mode": "quick" if a.quick else "full",
           "tool": first_line([a.cli, "--version"]) or "vhdx",
           "readers": [{k: c[k] for k in ("id", "reader", "consumer", "kind", "version")} for c in cols],
           "missing_readers": missing, "outcomes": OUTCOMES, "images": images,
           "summary": summarise(images, cols), "predictions": pred,
           "seconds": round(time.monotonic() - t0, 1)}
    with open(a.json + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(a.json + ".tmp", a.json)
    if a.md:
        write_md(doc, a.md)
    for c in cols:
        d = doc["summary"][c["id"]]
        print("interop: %-17s valid %d/%d %s, %d wrong, %d refused; invalid %d/%d accepted; %d crashes, %d hangs, %d skipped" % (
            c["id"], d["exact"] if c["kind"] == "read" else d["accepted_valid"], d["valid"],
            "exact" if c["kind"] == "read" else "accepted", d["wrong"], d["refused_valid"], d["accepted_invalid"],
            d["invalid"], d["crashes"], d["hangs"], d["skipped"]))
    print("interop: predictions: %d compared, %d agree (%s), %d allowlisted, %d disagree; %d stale allowlist entries" % (
        pred["compared"], pred["agree"], "%.1f%%" % (100 * pred["rate"]) if pred["rate"] is not None else "-",
        pred["allowlisted"], pred["disagree"], len(pred["stale_allowlist"])))
    print("interop: %d images x %d columns in %.1f s%s" % (len(images), len(cols), doc["seconds"],
          "; missing: " + ", ".join(m["reader"] for m in missing) if missing else ""))
    return 1 if pred["disagree"] or pred["stale_allowlist"] else 0


if __name__ == "__main__":
    sys.exit(main())
