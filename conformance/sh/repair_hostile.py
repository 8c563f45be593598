# SPDX-License-Identifier: Apache-2.0
"""repair_hostile.py - the driver of cli.test_repair_hostile (test_repair_hostile.sh).

`vhdx repair` over the hostile images of conformance/hostile, asserted against
conformance/hostile/repair-expected.tsv. For each image:
  * --dry-run never writes (sha256 before and after) and plans what the table says;
  * without --allow-data-loss, a plan that loses data is refused (exit 2, file unchanged);
  * `repair --allow-data-loss --fix-deviations`: exit code (0 repaired or nothing, 2
    refused), outcome, the sorted set of action kinds and of the damage left, exactly;
    a refused or nothing-to-do repair leaves the file as it was;
  * after a repair: `vhdx check` exits 0, a second repair plans nothing and writes
    nothing, and the disk reads as before (`vhdx cat` of the original when it opens,
    else of base.vhdx, the image every case was made from) outside the ranges the plan
    lists as lost (first 16 MiB, or what both disks have);
  * every JSON document validates against reports/schema/repair.schema.json.
One Python process runs every case (a process per check made the shell version spend
most of its time starting interpreters).
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema

SRC = os.environ.get("VHDX_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("VHDX_BINARY_DIR", "")
CLI = os.environ.get("VHDX_CLI", "")
GEN = os.path.join(BIN, "bin", "gen_hostile")
EXPECTED = os.path.join(SRC, "conformance", "hostile", "repair-expected.tsv")
SCHEMA = os.path.join(SRC, "reports", "schema", "repair.schema.json")
DUMP_MAX = 16 * 1024 * 1024

fails = []


def fail(msg):
    print("FAIL: " + msg)
    fails.append(msg)


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def run(*args):
    """(exit code, stdout bytes, stderr text) of the CLI."""
    p = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


documents = []


def summarise(out):
    """JSON output -> "outcome<TAB>kinds<TAB>left"; the document is kept for the schema
    check at the end. None when the output is not JSON."""
    try:
        doc = json.loads(out)
    except ValueError:
        return None, None
    documents.append(doc)
    kinds = sorted({a["kind"] for a in doc["actions"]}) or ["-"]
    left = sorted({l["code"][len("VHDX_"):] for l in doc["left"]}) or ["-"]
    return "%s\t%s\t%s" % (doc["outcome"], ",".join(kinds), ",".join(left)), doc


def dump16(image):
    """The first 16 MiB (or the whole disk when smaller) through vhdx cat, or None."""
    rc, out, _ = run("info", "--json", image)
    if rc != 0:
        return None
    try:
        vs = json.loads(out)["virtual_size"]
    except (ValueError, KeyError):
        return None
    rc, out, _ = run("cat", "--length", str(min(vs, DUMP_MAX)), image)
    return out if rc == 0 else None


def same_outside_lost(ref, got, doc):
    """None when the two dumps are equal outside the lost ranges, else the reason."""
    # base.vhdx (the fallback reference) may be smaller than the case's disk: common prefix
    n = min(len(ref), len(got))
    a, b = bytearray(ref[:n]), bytearray(got[:n])
    for x in doc["actions"]:
        o, l = x["lost_offset"], x["lost_length"]
        if l and o < n:
            e = min(n, o + l)
            if any(b[o:e]):
                return "lost range 0x%x+0x%x does not read as zeros" % (o, l)
            a[o:e] = bytes(e - o)
            b[o:e] = bytes(e - o)
    if a != b:
        i = next(k for k in range(n) if a[k] != b[k])
        return "first difference outside the lost ranges at 0x%x" % i
    return None


def one_case(work, file, outcome, actions, left):
    orig = os.path.join(work, "h", file)
    img = os.path.join(work, "img.vhdx")
    if not os.path.isfile(orig):
        return fail("%s: not generated" % file)
    shutil.copyfile(orig, img)
    h0 = sha(img)
    want = "%s\t%s\t%s" % (outcome, actions, left)

    # dry run: never writes, plans what the table says
    rc, out, err = run("repair", "--dry-run", "--allow-data-loss", "--fix-deviations",
                       "--format", "json", img)
    if sha(img) != h0:
        fail("%s: --dry-run wrote the file" % file)
    got, dry = summarise(out)
    if got is None:
        return fail("%s: dry-run JSON: %s" % (file, err[:300]))
    want_dry = want.replace("repaired\t", "planned\t", 1) if outcome == "repaired" else want
    if got != want_dry:
        fail("%s: dry run '%s', expected '%s'" % (file, got, want_dry))
    if rc != (2 if outcome == "refused" else 0):
        fail("%s: dry run exited %d" % (file, rc))

    # data loss needs --allow-data-loss
    if dry.get("data_loss"):
        rc, out, _ = run("repair", "--format", "json", img)
        if rc != 2:
            fail("%s: repair without --allow-data-loss exited %d, expected 2" % (file, rc))
        if sha(img) != h0:
            fail("%s: refused repair wrote the file" % file)
        if summarise(out)[0] is None:
            fail("%s: JSON of the refused repair" % file)

    rc, out, err = run("repair", "--allow-data-loss", "--fix-deviations", "--format", "json", img)
    got, doc = summarise(out)
    if got is None:
        return fail("%s: JSON: %s" % (file, err[:300]))
    if got != want:
        fail("%s: repair '%s', expected '%s'" % (file, got, want))
    if rc != (2 if outcome == "refused" else 0):
        fail("%s: repair exited %d, expected %d" % (file, rc, 2 if outcome == "refused" else 0))
    if outcome != "repaired":
        if sha(img) != h0:
            fail("%s: %s repair wrote the file" % (file, outcome))
        return None

    rc, out, err = run("check", img)
    if rc != 0:
        fail("%s: check after repair exited %d: %s" % (file, rc, (out.decode() + err)[:400]))
    h1 = sha(img)
    _, out, _ = run("repair", "--allow-data-loss", "--fix-deviations", "--format", "json", img)
    got, _ = summarise(out)
    if got != "nothing\t-\t-":
        fail("%s: second repair '%s', expected nothing" % (file, got))
    if sha(img) != h1:
        fail("%s: second repair wrote the file" % file)

    ref_name, ref = file, dump16(orig)
    if ref is None:
        ref_name, ref = "base.vhdx", dump16(os.path.join(work, "h", "base.vhdx"))
    dump = dump16(img)
    if dump is None or ref is None:
        return fail("%s: cat after repair" % file)
    msg = same_outside_lost(ref, dump, doc)
    if msg:
        fail("%s: content against %s: %s" % (file, ref_name, msg))
    return None


def main():
    if not CLI or not os.access(CLI, os.X_OK):
        print("FAIL: VHDX_CLI not set or not executable")
        return 1
    if not os.access(GEN, os.X_OK):
        print("FAIL: %s not built" % GEN)
        return 1
    with tempfile.TemporaryDirectory(prefix="repair-hostile.", dir=BIN or None) as work:
        if subprocess.run([GEN, "--write", os.path.join(work, "h")],
                          stdout=subprocess.DEVNULL).returncode != 0:
            print("FAIL: gen_hostile --write")
            return 1
        n = 0
        with open(EXPECTED, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line or line.startswith("#"):
                    continue
                file, outcome, actions, left = line.split("\t")[:4]
                n += 1
                one_case(work, file, outcome, actions, left)
    schema = json.load(open(SCHEMA, encoding="utf-8"))
    for i, doc in enumerate(documents):
        try:
            jsonschema.validate(doc, schema)
        except jsonschema.ValidationError as e:
            fail("schema: document %d: %s" % (i, str(e).splitlines()[0]))
            break
    print("%d JSON documents valid against repair.schema.json" % len(documents))
    if n == 0:
        print("FAIL: no case in %s" % EXPECTED)
        return 1
    if fails:
        print("FAIL: %d failures over %d hostile images" % (len(fails), n))
        return 1
    print("PASS: %d hostile images: repair outcomes, actions and damage left as expected; dry "
          "runs never write; repaired images check clean, repair again to nothing and read as "
          "before outside the lost ranges" % n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
