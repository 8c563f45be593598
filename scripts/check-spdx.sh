#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# scripts/check-spdx.sh - every source file of the project names its licence: the line
# "SPDX-License-Identifier: Apache-2.0" within its first 3 lines (ctest build.spdx).
#
#   scripts/check-spdx.sh [SRCDIR]             exit 0 when every covered file carries the line;
#                                              otherwise list the others and exit 1
#   scripts/check-spdx.sh --missing [SRCDIR]   print the covered files without it, exit 0
#   scripts/check-spdx.sh --list [SRCDIR]      print every covered file, exit 0
#
# Covered (the files that are the project's code and build): *.c *.h *.sh *.py *.cmake *.in
# *.yml *.yaml, CMakeLists.txt, Makefile, Dockerfile, and any other file starting with "#!"
# (.ci/run). Not covered: corpus/ (fuzzer inputs, byte-exact), data that has no comment syntax
# or is consumed verbatim by other tools (*.json, *.tsv, fuzz/*.dict, fuzz/*.options), prose
# (*.md, LICENSE itself) and generated files (build trees are untracked; docs/rules.md is
# Markdown). The file list is git's (tracked plus untracked-but-not-ignored files) when SRCDIR
# is a git work tree, so build directories never count; otherwise a find that skips build*/.
# scripts/add-spdx.sh inserts the line where it is missing.
set -euo pipefail

mode=check
case "${1:-}" in
  --missing) mode=missing; shift ;;
  --list) mode=list; shift ;;
  -h|--help) sed -n '3,20p' "$0"; exit 0 ;;
  -*) echo "usage: $0 [--missing|--list] [SRCDIR]" >&2; exit 64 ;;
esac
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

candidates() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard
  else
    find . -type d \( -name .git -o -name 'build*' -o -name node_modules \) -prune -o -type f -print0 |
      sed -z 's|^\./||'
  fi
}

covered() { # covered PATH: 0 when the rule applies to PATH
  local f=$1
  case "$f" in
    corpus/*) return 1 ;;
    *.c|*.h|*.sh|*.py|*.cmake|*.in|*.yml|*.yaml) return 0 ;;
    CMakeLists.txt|*/CMakeLists.txt|Makefile|*/Makefile|Dockerfile|*/Dockerfile) return 0 ;;
    *.md|*.json|*.tsv|*.dict|*.options|LICENSE|.gitignore|*/.gitignore) return 1 ;;
  esac
  [ "$(head -c 2 "$f" 2>/dev/null)" = "#!" ]
}

has_tag() { head -n 3 "$1" | grep -q 'SPDX-License-Identifier: Apache-2\.0'; }

missing=()
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue          # deleted in the work tree, or a submodule
  covered "$f" || continue
  case $mode in
    list) printf '%s\n' "$f" ;;
    *) has_tag "$f" || missing+=("$f") ;;
  esac
done < <(candidates | sort -z)

case $mode in
  list) exit 0 ;;
  missing) [ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}"; exit 0 ;;
esac
if [ ${#missing[@]} -ne 0 ]; then
  echo "check-spdx: ${#missing[@]} file(s) without 'SPDX-License-Identifier: Apache-2.0' in their first 3 lines:"
  printf '  %s\n' "${missing[@]}"
  echo "check-spdx: run scripts/add-spdx.sh to insert it"
  exit 1
fi
echo "check-spdx: every covered file carries SPDX-License-Identifier: Apache-2.0"
