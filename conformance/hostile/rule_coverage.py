#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""rule_coverage.py - ctest conformance.rule_coverage: the conformance kit (`vhdx kit`: the
default kit holds every invalid image; --big only adds large valid ones) and the hostile
images (gen_hostile, expected.tsv) together raise every error rule of the status table
lib/include/vhdx_errors.h.

Error rules: the rows of the table whose class is CORRUPT, UNSUPPORTED or DEVIATION (a
property of an image: broken, not understood, or tolerated) and that carry a rule id (R<n> of
the specification or a derived D<n> check). Every other row is excluded, each for a reason
listed below (EXCLUDED); a new row of an image class without a rule id fails this test until
it is covered or given a reason here.

A row is covered
  * by the hostile images when expected.tsv lists its status in a case's codes (asserted
    against the library by ctest conformance.hostile and through the CLI by cli.test_hostile);
  * by the kit when `vhdx check` reports it for a kit image whose verdict, error rules and
    warnings are exactly those of the kit manifest (asserted here for every image);
  * for the decoder-level rows of DECODED_AS, which the image layer by design reports as another
    row, by a kit image built to break that rule (manifest "cause") for which `vhdx check`
    reports that other row.

Usage: rule_coverage.py ERRORS_H EXPECTED_TSV VHDX_CLI WORKDIR
"""
import json
import os
import re
import shutil
import subprocess
import sys

IMAGE_CLASSES = {"CORRUPT", "UNSUPPORTED", "DEVIATION"}

# class -> why no image can be expected to raise it
EXCLUDED_CLASSES = {
    "NONE": "success, not a finding",
    "IO": "the environment (missing file, failed or short read), not the image's bytes",
    "LIMIT": "a resource limit (the caller's limits, or a log too small for a write), not a rule "
             "of the format",
    "NOMEM": "the machine, not the image",
    "MISUSE": "a wrong call of the API",
    "INTERNAL": "a bug in libvhdx; fuzzing aborts on it",
}

# rows of an image class that are not error rules, and the one IO row with a rule id
EXCLUDED = {
    "VHDX_E_UNSUPPORTED": "no rule id: an operation the library does not offer, not a property of an image",
    "VHDX_E_REBASE_CONTENT": "no rule id: a rebase refused because two parents' contents differ, a "
                             "property of an operation on three files, not of an image (test_commit)",
    "VHDX_E_HEADER_SEQ_MAX": "no rule id: a sequence number of 2^64-1 only prevents an update "
                             "(MS-VHDX 2.2.2.1); check and read accept it (test_header_alternation)",
    "VHDX_W_HEADER_FIELDS_DIFFER": "no rule id: information that the two headers differ beyond the "
                                   "sequence number (test_check)",
    "VHDX_E_PARENT_CYCLE": "no rule id: a differencing chain that loops needs several files whose "
                           "locators name each other (test_differencing)",
    "VHDX_W_PARENT_LOG_PENDING": "D15 needs two files, a differencing child and a parent with a "
                                 "pending log (cli.test_cli_parent_log)",
    "VHDX_E_TRUNCATED_INPUT": "no rule id: a codec given a buffer shorter than its structure; the image "
                              "layer reads whole structures, so only codec calls reach it (test_endian_export)",
    "VHDX_E_LOG_REPLAY_REQUIRED": "R59 is raised only when the caller opens with VHDX_OPEN_NO_REPLAY "
                                  "(test_crash); the image side of R58/R59, a pending log, is "
                                  "VHDX_I_LOG_DIRTY, which is covered",
    "VHDX_E_IO_EOF": "D1, class IO: a read past the end of the file in the I/O layer; every structure "
                     "is bounded by the file size first (D2, D3, D6, D12, R62), so images raise those "
                     "rows instead (test_read)",
}

# [MS-VHDX 2.2.2] a header that fails R9/R10 is just not valid: one such copy is
# W_HEADER_INVALID_COPY, two are E_NO_VALID_HEADER. [MS-VHDX 2.3.3] a log entry that fails an
# entry, descriptor or data sector check is not part of any valid sequence: with a LogGuid and
# no valid sequence the log is corrupt, R61.
LOG_NO_SEQ = "VHDX_E_LOG_NO_SEQUENCE"
DECODED_AS = {
    "VHDX_E_HEADER_SIGNATURE": "VHDX_E_NO_VALID_HEADER",
    "VHDX_E_HEADER_CHECKSUM": "VHDX_E_NO_VALID_HEADER",
    **{c: LOG_NO_SEQ for c in (
        "VHDX_E_LOG_DESC_COUNT", "VHDX_E_LOG_ENTRY_SIGNATURE", "VHDX_E_LOG_ENTRY_CHECKSUM",
        "VHDX_E_LOG_ENTRY_LENGTH", "VHDX_E_LOG_ENTRY_TAIL", "VHDX_E_LOG_ENTRY_SEQ_ZERO",
        "VHDX_E_LOG_ENTRY_RESERVED", "VHDX_E_LOG_ENTRY_GUID", "VHDX_E_LOG_FLUSHED_OFFSET",
        "VHDX_E_LOG_LAST_OFFSET", "VHDX_E_LOG_ZERO_SIGNATURE", "VHDX_E_LOG_ZERO_RESERVED",
        "VHDX_E_LOG_ZERO_LENGTH", "VHDX_E_LOG_ZERO_OFFSET", "VHDX_E_LOG_ZERO_SEQ",
        "VHDX_E_LOG_DESC_OFFSET", "VHDX_E_LOG_DESC_SEQ", "VHDX_E_LOG_DATA_SIGNATURE",
        "VHDX_E_LOG_DATA_SEQ_HIGH", "VHDX_E_LOG_DATA_SEQ_LOW")},
}


def table(path):
    rows = []
    pat = re.compile(r'^X\((\w+),\s*(\w+),\s*(\w+),\s*"([^"]*)",')
    for line in open(path, encoding="utf-8"):
        m = pat.match(line)
        if m:
            rows.append(dict(zip(("name", "cls", "sev", "rule"), m.groups())))
    return rows


def hostile_codes(path):
    codes = {}
    for line in open(path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        for c in f[3].split(","):
            if c != "-":
                codes.setdefault("VHDX_" + c, []).append(f[0])
    return codes


def kit_findings(cli, work):
    """{code: [kit image]} and {(image cause, code)} over the default kit checked by vhdx check"""
    kit = os.path.join(work, "kit")
    shutil.rmtree(kit, ignore_errors=True)
    subprocess.run([cli, "kit", kit], check=True, stdout=subprocess.DEVNULL)
    man = {i["file"]: i for i in json.load(open(os.path.join(kit, "manifest.json")))["images"]}
    out = os.path.join(work, "check.json")
    files = [os.path.join(kit, f) for f in sorted(man)]
    subprocess.run([cli, "check", "--no-progress", "--format", "json", "--output", out] + files,
                   stdout=subprocess.DEVNULL)
    codes, caused, bad = {}, set(), []
    for r in json.load(open(out))["images"]:
        e = man[os.path.basename(r["image"])]
        errs = sorted({f["rule"] or f["code"] for f in r["findings"] if f["severity"] == "error"})
        warns = sorted({f["rule"] or f["code"] for f in r["findings"] if f["severity"] == "warning"})
        if r["verdict"] != e["verdict"] or errs != sorted(e["rules"]) or warns != sorted(e["warnings"]):
            bad.append("%s: check %s %s %s, manifest %s %s %s" % (e["file"], r["verdict"], errs, warns,
                                                                  e["verdict"], e["rules"], e["warnings"]))
            continue
        for f in r["findings"]:
            codes.setdefault(f["code"], []).append(e["file"])
            if "cause" in e:
                caused.add((e["cause"], f["code"]))
    shutil.rmtree(kit, ignore_errors=True)
    return codes, caused, bad, len(man)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    errors_h, expected, cli, work = sys.argv[1:]
    rows = table(errors_h)
    names = {r["name"] for r in rows}
    fails = []
    stale = sorted(set(EXCLUDED) - names) + sorted(set(DECODED_AS) - names)
    if stale:
        fails.append("EXCLUDED/DECODED_AS name rows that are not in the table: %s" % stale)

    rules, excluded = [], []
    for r in rows:
        if r["name"] in EXCLUDED:
            excluded.append((r, EXCLUDED[r["name"]]))
        elif r["cls"] in IMAGE_CLASSES and r["rule"]:
            rules.append(r)
        elif r["cls"] in EXCLUDED_CLASSES:
            excluded.append((r, "class %s: %s" % (r["cls"], EXCLUDED_CLASSES[r["cls"]])))
        else:
            fails.append("%s (class %s) has no rule id and no reason to be excluded" % (r["name"], r["cls"]))

    host = hostile_codes(expected)
    kit, caused, bad, nkit = kit_findings(cli, work)
    fails += ["kit image disagrees with its manifest: " + b for b in bad]

    by = {"kit": 0, "hostile": 0, "both": 0, "kit (decoded as)": 0}
    for r in rules:
        n = r["name"]
        k, h = n in kit, n in host
        if n in DECODED_AS and not k and not h:
            via = DECODED_AS[n]
            if (r["rule"], via) in caused:
                by["kit (decoded as)"] += 1
                print("covered  %-32s %-5s kit: image built to break %s, reported as %s" % (n, r["rule"], r["rule"], via))
            else:
                fails.append("%s (%s): no kit image with cause %s reports %s" % (n, r["rule"], r["rule"], via))
            continue
        if not k and not h:
            fails.append("%s (%s, %s) is raised by no kit or hostile image" % (n, r["rule"], r["cls"]))
            continue
        key = "both" if k and h else "kit" if k else "hostile"
        by[key] += 1
        where = (["kit: " + kit[n][0]] if k else []) + (["hostile: " + host[n][0]] if h else [])
        print("covered  %-32s %-5s %s" % (n, r["rule"], "; ".join(where)))
    for r, why in excluded:
        print("excluded %-32s %-5s %s" % (r["name"], r["rule"] or "-", why))
    distinct = sorted({r["rule"] for r in rules}, key=lambda x: (x[0], int(x[1:])))
    print("table rows %d: %d error rules (%d distinct rule ids), %d excluded" %
          (len(rows), len(rules), len(distinct), len(excluded)))
    print("covered by kit only %d, hostile only %d, both %d, kit through the row they decode as %d"
          " (kit: %d images)" % (by["kit"], by["hostile"], by["both"], by["kit (decoded as)"], nkit))
    for f in fails:
        print("FAIL: " + f)
    if fails:
        sys.exit(1)
    print("PASS: every error rule of the table is raised by the kit or the hostile images")


if __name__ == "__main__":
    main()
