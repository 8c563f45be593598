#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Function size limits of the library (STYLE.md): no function in lib/src over 80 lines or
# over cyclomatic complexity 30 (pmccabe's traditional McCabe count), except a flat
# validator: a list of `if (rule) report`, marked by a comment right above the function
# that contains "flat validator:". Prints the 10 largest functions by complexity, then
# every violation.
#
# usage: scripts/complexity.sh [source dir]   (default: lib/src next to this script)
# exit: 0 within the limits, 1 a violation, 77 pmccabe missing
set -euo pipefail

src=${1:-"$(cd "$(dirname "$0")/.." && pwd)/lib/src"}
max_lines=80
max_cc=30
if ! command -v pmccabe >/dev/null 2>&1; then
    echo "complexity: pmccabe not installed: skipped" >&2
    exit 77
fi

cd "$src"
shopt -s nullglob
files=(*.c *.h)
report=$(pmccabe "${files[@]}")
echo "pmccabe (modified CC, traditional CC, statements, first line, lines), worst 10:"
sort -k2,2nr -k5,5nr <<<"$report" | sed -n 1,10p

# 1 when the comment block ending right above line $2 of file $1 says "flat validator:"
flat_validator() {
    awk -v first="$2" '
        NR < first { buf[NR] = $0 }
        END {
            for (i = first - 1; i > 0; i--) {
                if (buf[i] ~ /^[ \t]*$/) break
                text = buf[i] "\n" text
                if (buf[i] ~ /^[ \t]*\/\*/) break
            }
            exit !(text ~ /\/\*/ && text ~ /flat validator:/)
        }' "$1"
}

bad=0
while IFS=$'\t' read -r _ cc _ first lines where; do
    if [ "$cc" -le "$max_cc" ] && [ "$lines" -le "$max_lines" ]; then continue; fi
    file=${where%%(*}
    if flat_validator "$file" "$first"; then
        echo "flat validator (exempt): $where cc=$cc lines=$lines"
        continue
    fi
    echo "TOO LARGE: $where cc=$cc lines=$lines (limits: cc $max_cc, lines $max_lines)" >&2
    bad=1
done <<<"$report"
exit $bad
