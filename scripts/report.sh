#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/report.sh [BUILD_DIR] - what `make report` runs after the build:
#   1. the conformance suite through ctest, JUnit into reports/junit/conformance.xml;
#   2. `vhdx check` over
#        - the known-good images of ../shared/images (decompressed to a temporary folder;
#          skipped with a message when absent), with the virtual-disk SHA-256 compared to
#          CATALOGUE.md for disks up to 2 GiB (conformance.test_known_good covers all),
#        - the generated known-good corpus (corpus/known-good/gen.sh, needs qemu-img), with
#          verdict and content hash compared to corpus/known-good/expected.tsv,
#        - the hostile images (gen_hostile --write), verdicts compared to
#          conformance/hostile/expected.tsv,
#        - the conformance kit (`vhdx kit`), verdicts and rules compared to its manifest;
#      each set also as JUnit (reports/junit/check-<set>.xml: one test case per rule per image);
#   3. reports/conformance.json and reports/conformance.md summarising all of it;
#   4. the interoperability matrix (scripts/interop-matrix.sh, full mode: every reader
#      command over the kit and the known-good images, whole-disk reads included):
#      reports/interop-matrix.json and reports/interop-matrix.md.
# Exit status: 0 when ctest passed and every image met its expectation, 1 otherwise.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
CLI="$build/bin/vhdx"
[ -x "$CLI" ] || { echo "report: $CLI not built (run make build)" >&2; exit 1; }
shared=${VHDX_SHARED_DIR:-$(cd "$root/.." && pwd)/shared}
out="$root/reports"
mkdir -p "$out/junit"
W=$(mktemp -d "${TMPDIR:-/tmp}/vhdx-report.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
status=0

# ---- 1. conformance suite ----
echo "report: running the conformance suite (ctest)"
rm -f "$out/junit/conformance.xml"
unset CMOCKA_MESSAGE_OUTPUT CMOCKA_XML_FILE
ctest --test-dir "$build" --output-on-failure -j"$jobs" --output-junit "$out/junit/conformance.xml" \
      ${CTEST_ARGS:-} >"$W/ctest.log" 2>&1
ctest_rc=$?
tail -3 "$W/ctest.log"
[ "$ctest_rc" -eq 0 ] || status=1

# ---- 2. vhdx check over each image set ----
check_set() { # NAME DIR: check every *.vhdx/*.avhdx in DIR
    local name=$1 dir=$2
    local imgs=()
    while IFS= read -r f; do imgs+=("$f"); done < <(find "$dir" -maxdepth 1 -type f \( -name '*.vhdx' -o -name '*.avhdx' \) | LC_ALL=C sort)
    if [ ${#imgs[@]} -eq 0 ]; then echo "report: $name: no images"; return; fi
    echo "report: $name: checking ${#imgs[@]} images"
    "$CLI" check --no-progress --format json --output "$W/$name.json" "${imgs[@]}"
    "$CLI" check --no-progress --format junit --output "$out/junit/check-$name.xml" "${imgs[@]}"
    "$CLI" check --no-progress --format markdown --output "$W/$name.md" "${imgs[@]}"
}

extract() { # SRC DST
    case "$1" in
    *.gz) gzip -dc "$1" >"$2" ;;
    *.bz2) bzip2 -dc "$1" >"$2" ;;
    *.zip) python3 -c 'import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); sys.stdout.buffer.write(z.read(z.namelist()[0]))' "$1" >"$2" ;;
    esac
}

if [ -d "$shared/images" ]; then
    mkdir -p "$W/shared"
    for src in "$shared/images"/*.gz "$shared/images"/*.bz2 "$shared/images"/*.zip; do
        [ -e "$src" ] || continue
        b=$(basename "$src"); b=${b%.gz}; b=${b%.bz2}; b=${b%.zip}
        extract "$src" "$W/shared/$b" || { echo "report: cannot extract $src"; status=1; }
    done
    check_set known-good "$W/shared"
else
    echo "report: known-good images not found at $shared/images: skipped"
fi

if command -v qemu-img >/dev/null && command -v qemu-io >/dev/null; then
    if bash "$root/corpus/known-good/gen.sh" "$W/generated" >"$W/gen.log" 2>&1; then
        check_set generated "$W/generated"
    else
        echo "report: corpus/known-good/gen.sh failed (see below): generated set skipped"; tail -5 "$W/gen.log"
        status=1
    fi
else
    echo "report: qemu-img/qemu-io not installed: generated known-good corpus skipped"
fi

if [ -x "$build/bin/gen_hostile" ]; then
    mkdir -p "$W/hostile"
    "$build/bin/gen_hostile" --write "$W/hostile" >/dev/null && check_set hostile "$W/hostile"
else
    echo "report: gen_hostile not built: hostile set skipped"
fi

"$CLI" kit "$W/kit" >/dev/null && check_set kit "$W/kit"

# ---- 3. aggregate ----
python3 - "$W" "$root" "$shared" "$CLI" "$ctest_rc" "$out" <<'PY'
import hashlib, json, os, re, subprocess, sys, xml.etree.ElementTree as ET
W, root, shared, cli, ctest_rc, out = sys.argv[1:7]
ctest_rc = int(ctest_rc)
problems = []

def vhash(path):
    h = hashlib.sha256()
    p = subprocess.Popen([cli, "cat", path], stdout=subprocess.PIPE)
    for chunk in iter(lambda: p.stdout.read(1 << 20), b""):
        h.update(chunk)
    return h.hexdigest() if p.wait() == 0 else None

def load(name):
    f = os.path.join(W, name + ".json")
    return json.load(open(f))["images"] if os.path.exists(f) else None

def summarise(img):
    e = sorted({f["rule"] or f["code"] for f in img["findings"] if f["severity"] == "error"})
    w = sorted({f["rule"] or f["code"] for f in img["findings"] if f["severity"] == "warning"})
    return {"image": os.path.basename(img["image"]), "verdict": img["verdict"],
            "errors": img["counts"]["errors"], "warnings": img["counts"]["warnings"],
            "error_rules": e, "warning_rules": w, "note": img.get("note"),
            "interop": ["%s %s" % (p["consumer"], p["effect"]) for p in img["interop"]
                        if p["effect"] not in ("note",)],
            "type": img["info"]["type"] if img["info"] else None,
            "virtual_size": img["info"]["virtual_size"] if img["info"] else None}

sets = {}

# known-good: no errors; hash vs CATALOGUE.md (disks up to 2 GiB)
kg = load("known-good")
if kg is not None:
    cat = {}
    catalogue = os.path.join(shared, "images", "CATALOGUE.md")
    for line in open(catalogue, encoding="utf-8"):
        m = re.match(r"\|\s*\d+\s*\|\s*`([^`]+)`", line)
        if m:
            h = re.findall(r"`([0-9a-f]{64})`", line.split("|")[-2])
            base = re.sub(r"\.(gz|bz2|zip)$", "", m.group(1))
            if h: cat[base] = h[0]
    rows = []
    for img in kg:
        s = summarise(img)
        s["expected"] = "conformant (no errors)"
        s["ok"] = img["verdict"] == "conformant" and img["counts"]["errors"] == 0
        want = cat.get(s["image"])
        if want and s["virtual_size"] is not None and s["virtual_size"] <= 2 << 30:
            got = vhash(img["image"])
            s["sha256"], s["expected_sha256"] = got, want
            s["ok"] = s["ok"] and got == want
        rows.append(s)
    sets["known-good"] = rows

# generated corpus: expected.tsv (check exit, rules, content hash)
gen = load("generated")
if gen is not None:
    exp = {}
    for line in open(os.path.join(root, "corpus/known-good/expected.tsv")):
        if line.startswith("#") or not line.strip(): continue
        name, sha, rc, rules = line.rstrip("\n").split("\t")[:4]
        exp[name] = (sha, int(rc), sorted(set(rules.split(","))) if rules != "-" else [])
    rows = []
    for img in gen:
        s = summarise(img)
        name = re.sub(r"\.vhdx$", "", s["image"])
        e = exp.get(name)
        if e is None:
            s["expected"], s["ok"] = "not in expected.tsv", False
        else:
            verdict = "nonconformant" if e[1] == 2 else "unreadable" if e[1] == 1 else "conformant"
            got_rules = sorted(set(s["error_rules"] + s["warning_rules"]))
            s["expected"] = "%s, rules %s" % (verdict, ",".join(e[2]) or "-")
            s["sha256"], s["expected_sha256"] = vhash(img["image"]), e[0]
            s["ok"] = img["verdict"] == verdict and got_rules == e[2] and s["sha256"] == e[0]
        rows.append(s)
    sets["generated"] = rows

# hostile: conformance/hostile/expected.tsv verdicts
ho = load("hostile")
if ho is not None:
    exp = {}
    for line in open(os.path.join(root, "conformance/hostile/expected.tsv")):
        if line.startswith("#") or not line.strip(): continue
        f = line.rstrip("\n").split("\t")
        exp[f[0]] = (f[1], [] if f[2] == "-" else f[2].split(","))
    rows = []
    for img in ho:
        s = summarise(img)
        e = exp.get(s["image"])
        if e is None:
            s["expected"], s["ok"] = "not in expected.tsv", False
        else:
            verdict = "conformant" if e[0] == "warnings" else e[0]
            s["expected"] = "%s, rules %s" % (e[0], ",".join(e[1]) or "-")
            got = set(s["error_rules"] + s["warning_rules"])
            s["ok"] = img["verdict"] == verdict and set(e[1]) <= got and (e[0] != "warnings" or s["warnings"] > 0)
        rows.append(s)
    sets["hostile"] = rows

# kit: manifest
ki = load("kit")
if ki is not None:
    man = {i["file"]: i for i in json.load(open(os.path.join(W, "kit", "manifest.json")))["images"]}
    rows = []
    for img in ki:
        s = summarise(img)
        e = man[s["image"]]
        s["expected"] = "%s, rules %s%s" % (e["verdict"], ",".join(e["rules"]) or "-",
                                           (", warnings " + ",".join(e["warnings"])) if e["warnings"] else "")
        s["ok"] = (img["verdict"] == e["verdict"] and s["error_rules"] == sorted(e["rules"])
                   and s["warning_rules"] == sorted(set(e["warnings"])))
        rows.append(s)
    sets["kit"] = rows

ctest = {"exit_code": ctest_rc, "junit": "reports/junit/conformance.xml"}
try:
    r = ET.parse(os.path.join(out, "junit", "conformance.xml")).getroot()
    node = r if r.tag == "testsuite" else r.find("testsuite")
    ctest.update({k: int(node.get(k, 0)) for k in ("tests", "failures", "skipped") if node is not None})
except Exception as ex:
    ctest["error"] = str(ex)

version = subprocess.run([cli, "--version"], capture_output=True, text=True).stdout.strip()
summary = {n: {"images": len(r), "ok": sum(1 for x in r if x["ok"]),
               "conformant": sum(1 for x in r if x["verdict"] == "conformant"),
               "nonconformant": sum(1 for x in r if x["verdict"] == "nonconformant"),
               "unreadable": sum(1 for x in r if x["verdict"] == "unreadable")} for n, r in sets.items()}
doc = {"generated_by": "scripts/report.sh", "tool": version or "vhdx", "ctest": ctest,
       "summary": summary, "sets": sets,
       "schema_of_check_output": "reports/schema/check.schema.json"}
json.dump(doc, open(os.path.join(out, "conformance.json"), "w"), indent=1, sort_keys=False)

md = ["# Conformance report", "",
      "Generated by `make report` (scripts/report.sh). Rule ids: `vhdx check --rules`.", "",
      "## Conformance suite (ctest)", "",
      "exit code %d; %s tests, %s failures, %s skipped; JUnit: `reports/junit/conformance.xml`" % (
          ctest_rc, ctest.get("tests", "?"), ctest.get("failures", "?"), ctest.get("skipped", "?")), "",
      "## `vhdx check` over the image sets", "",
      "| set | images | as expected | conformant | nonconformant | unreadable | JUnit |",
      "|---|---|---|---|---|---|---|"]
for n, s in summary.items():
    md.append("| %s | %d | %d | %d | %d | %d | `reports/junit/check-%s.xml` |" % (
        n, s["images"], s["ok"], s["conformant"], s["nonconformant"], s["unreadable"], n))
for n, rows in sets.items():
    md += ["", "### %s" % n, "", "| image | verdict | expected | errors | warnings | consumers predicted to fail | as expected |",
           "|---|---|---|---|---|---|---|"]
    for x in rows:
        md.append("| %s | %s | %s | %s | %s | %s | %s |" % (
            x["image"], x["verdict"], x["expected"], ",".join(x["error_rules"]) or "-",
            ",".join(x["warning_rules"]) or "-",
            ", ".join(sorted(set(i for i in x["interop"] if not i.endswith("warns")))) or "-",
            "yes" if x["ok"] else "**NO**"))
        if not x["ok"]:
            problems.append("%s/%s" % (n, x["image"]))
open(os.path.join(out, "conformance.md"), "w").write("\n".join(md) + "\n")
for p in problems:
    print("report: not as expected:", p)
print("report: wrote reports/conformance.json, reports/conformance.md, reports/junit/")
sys.exit(1 if problems else 0)
PY
[ $? -eq 0 ] || status=1

# ---- 4. interoperability matrix (the kit and images decompressed above) ----
im_args=(--out "$out")
[ -f "$W/kit/manifest.json" ] && im_args+=(--kit "$W/kit")
[ -d "$W/shared" ] && im_args+=(--images "$W/shared")
echo "report: interoperability matrix (scripts/interop-matrix.sh)"
bash "$root/scripts/interop-matrix.sh" "${im_args[@]}" "$build" || status=1
exit $status
