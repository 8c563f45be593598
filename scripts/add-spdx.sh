#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# scripts/add-spdx.sh [SRCDIR] - insert "SPDX-License-Identifier: Apache-2.0" into every file
# scripts/check-spdx.sh reports as missing it. Idempotent: a file that already carries the line
# is not touched, so a second run changes nothing.
#
# Style: C sources and headers (*.c, *.h) get "/* SPDX-License-Identifier: Apache-2.0 */" as
# their first line; every other covered file gets "# SPDX-License-Identifier: Apache-2.0" after
# the lines that must stay first: a "#!" line, a Python coding cookie in line 1 or 2, Dockerfile
# parser directives ("# syntax=", "# escape=", "# check="). The file is rewritten in place
# (same inode, so its mode is kept).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${1:-$(cd "$here/.." && pwd)}
root=$(cd "$root" && pwd)

# lines_to_keep FILE: how many leading lines must stay above the SPDX comment
lines_to_keep() {
  local f=$1 n=0 line i=0
  while IFS= read -r line || [ -n "$line" ]; do
    i=$((i + 1))
    if [ $i -eq 1 ] && [[ $line == '#!'* ]]; then n=1; continue; fi
    if [ $i -le 2 ] && [[ $line =~ ^[[:space:]]*#.*coding[:=] ]]; then n=$i; continue; fi
    case "$(basename "$f")" in
      Dockerfile|*.Dockerfile)
        if [[ $line =~ ^#[[:space:]]*(syntax|escape|check)= ]]; then n=$i; continue; fi ;;
    esac
    break
  done <"$f"
  echo $n
}

count=0
while IFS= read -r rel; do
  [ -n "$rel" ] || continue
  f=$root/$rel
  case "$rel" in
    *.c|*.h|*.c.in|*.h.in) comment='/* SPDX-License-Identifier: Apache-2.0 */'; keep=0 ;;
    *) comment='# SPDX-License-Identifier: Apache-2.0'; keep=$(lines_to_keep "$f") ;;
  esac
  tmp=$(mktemp)
  { [ "$keep" -gt 0 ] && head -n "$keep" "$f"
    printf '%s\n' "$comment"
    tail -n +"$((keep + 1))" "$f"; } >"$tmp"
  cat "$tmp" >"$f"
  rm -f "$tmp"
  count=$((count + 1))
  echo "add-spdx: $rel"
done < <(bash "$here/check-spdx.sh" --missing "$root")
echo "add-spdx: $count file(s) updated"
bash "$here/check-spdx.sh" "$root" >/dev/null
