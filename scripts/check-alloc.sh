#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/check-alloc.sh LIBVHDX.a [NM] - every allocation of the library goes through
# vhdx_set_allocator (lib/src/alloc.c): no other object of the static library refers to the C
# library's allocator, except image_create.c's free() of what realpath() returned.
# exit: 0 clean, 1 a stray reference (listed), 2 usage
set -euo pipefail
lib=${1:?usage: check-alloc.sh LIBVHDX.a [NM]}
nm=${2:-nm}
bad=$("$nm" -A -u "$lib" | awk '
    { sym = $NF; sub(/@.*/, "", sym); obj = $1; sub(/:[^:]*$/, "", obj); sub(/.*:/, "", obj) }
    sym ~ /^(malloc|calloc|realloc|free|reallocarray|strdup|strndup|aligned_alloc|posix_memalign|memalign|valloc|asprintf|vasprintf)$/ {
        if (obj == "alloc.c.o" || obj == "alloc.c.obj") next
        if (obj ~ /^image_create\.c\.o/ && sym == "free") next
        print obj ": " sym
    }')
if [[ -n $bad ]]; then
    echo "check-alloc: allocations outside vhdx_set_allocator's hook (use vhdx_malloc/vhdx_calloc/vhdx_realloc/vhdx_free):"
    echo "$bad"
    exit 1
fi
echo "check-alloc: only alloc.c calls the C library's allocator"
