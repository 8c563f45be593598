#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# File-level call graph of the image layer (lib/src/image_*.c, io_*.c, api_*.c): which
# file's functions each file calls. Prints every edge "caller.c -> callee.c (functions)",
# then the files bottom-up (each calls only files listed before it), and fails when the
# graph has a cycle other than the parent open: image_parent.c -> image_open.c is the one
# edge allowed to go back up (a parent open is an open; see lib/src/image.h).
#
# Definitions come from ctags (external functions only); calls are identifiers followed by
# "(" in the comment- and string-free source, plus the functions a macro of image.h or
# internal.h expands to (OS_STOP -> img_os_stop).
#
# usage: scripts/callgraph.sh [source dir]   (default: lib/src next to this script)
# exit: 0 no cycle but the allowed one, 1 a cycle, 77 ctags or python3 missing
set -euo pipefail

src=${1:-"$(cd "$(dirname "$0")/.." && pwd)/lib/src"}
for tool in ctags python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "callgraph: $tool not installed: skipped" >&2
        exit 77
    fi
done

shopt -s nullglob
files=("$src"/image_*.c "$src"/io_*.c "$src"/api_*.c)
if [ ${#files[@]} -eq 0 ]; then
    echo "callgraph: no image layer sources under $src" >&2
    exit 1
fi

tags=$(mktemp)
trap 'rm -f "$tags"' EXIT
# external (non-static) function definitions: tags lines without a "file:" scope field
ctags --c-kinds=f --fields=+f -o - "${files[@]}" | awk -F'\t' '
    { static = 0; for (i = 4; i <= NF; i++) if ($i == "file:") static = 1 }
    !static { n = split($2, p, "/"); print $1 "\t" p[n] }' >"$tags"

python3 - "$tags" "$src" "${files[@]}" <<'EOF'
import os
import re
import sys

tags, src, files = sys.argv[1], sys.argv[2], sys.argv[3:]
ALLOWED = {("image_parent.c", "image_open.c")}

defined = {}
for line in open(tags):
    name, f = line.rstrip("\n").split("\t")
    defined[name] = f

CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\(")

def strip(text):
    """C source without comments, string and character literals."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"'(\\.|[^'\\\n])*'", "''", text)

# function-like macros of the shared headers and the functions they call
macros = {}
for h in ("image.h", "internal.h"):
    path = os.path.join(src, h)
    if not os.path.exists(path):
        continue
    body = strip(open(path).read()).replace("\\\n", " ")
    for m in re.finditer(r"#\s*define\s+(\w+)\(([^)]*)\)([^\n]*)", body):
        macros[m.group(1)] = set(CALL.findall(m.group(3)))

edges = {}
for path in files:
    me = os.path.basename(path)
    names = set(CALL.findall(strip(open(path).read())))
    for n in list(names):
        names |= macros.get(n, set())
    for n in names:
        f = defined.get(n)
        if f and f != me:
            edges.setdefault((me, f), set()).add(n)

nodes = sorted({os.path.basename(p) for p in files})
for (a, b) in sorted(edges):
    mark = "   [allowed back edge: parent open]" if (a, b) in ALLOWED else ""
    print(f"{a} -> {b} ({', '.join(sorted(edges[(a, b)]))}){mark}")

# cycles once the allowed edge is removed (Tarjan's strongly connected components)
graph = {n: sorted(b for (a, b) in edges if a == n and (a, b) not in ALLOWED) for n in nodes}
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

def visit(v):
    index[v] = low[v] = counter[0]
    counter[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        sccs.append(comp)

sys.setrecursionlimit(10000)
for n in nodes:
    if n not in index:
        visit(n)
cycles = [sorted(c) for c in sccs if len(c) > 1]
if cycles:
    for c in cycles:
        print("CYCLE: " + " <-> ".join(c), file=sys.stderr)
    sys.exit(1)

# bottom-up layers: a file sits one layer above the highest file it calls
level = {}
for c in sccs:  # Tarjan emits a component after every component it reaches
    v = c[0]
    level[v] = 1 + max((level[w] for w in graph[v]), default=-1)
print("\nlayers, bottom-up (each file calls only files of lower layers; the allowed back edge left out):")
for k in range(max(level.values()) + 1):
    print(f"  {k}: " + " ".join(sorted(n for n in nodes if level[n] == k)))
print(f"{len(nodes)} files, {len(edges)} edges, no cycle but the allowed parent open")
EOF
