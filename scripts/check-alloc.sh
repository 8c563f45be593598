#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/check-alloc.sh LIBVHDX.a [NM] - every allocation of the library goes through
# vhdx_set_allocator (lib/src/alloc.c): no other object of the static library refers to the C
# library's allocator, except free() in an object that calls realpath() (which returns C
# library memory).
# exit: 0 clean, 1 a stray reference (listed), 2 usage
set -euo pipefail
lib=${1:?usage: check-alloc.sh LIBVHDX.a [NM]}
nm=${2:-nm}
bad=$("$nm" -A -u "$lib" | awk '
    { sym = $NF; sub(/@.*/, "", sym); obj = $1; sub(/:[^:]*$/, "", obj); sub(/.*:/, "", obj) }
    sym == "realpath" { rp[obj] = 1 }
    sym ~ /^(malloc|calloc|realloc|free|reallocarray|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc|asprintf|vasprintf)$/ {
        if (obj == "alloc.c.o" || obj == "alloc.c.obj") next
        uses[obj] = uses[obj] " " sym
    }
    END {
        for (o in uses) {
            n = split(uses[o], s, " ")
            for (i = 1; i <= n; i++)
                if (!(s[i] == "free" && (o in rp))) print o ": " s[i]
        }
    }' | sort)
if [[ -n $bad ]]; then
    echo "check-alloc: allocations outside vhdx_set_allocator's hook (use vhdx_malloc/vhdx_calloc/vhdx_realloc/vhdx_free):"
    echo "$bad"
    exit 1
fi
echo "check-alloc: only alloc.c calls the C library's allocator"
