/* SPDX-License-Identifier: Apache-2.0 */
/* alloc.c - every allocation of libvhdx goes through here: the C library's allocator, or
 * the one a caller set with vhdx_set_allocator (memory accounting, failure injection). */
#include <stdlib.h>

#include "internal.h"

static vhdx_allocator current;   /* all NULL: the C library */

void vhdx_set_allocator(const vhdx_allocator *a)
{
    if (a && a->malloc_fn && a->realloc_fn && a->free_fn) current = *a;
    else memset(&current, 0, sizeof current);
}

void *vhdx_malloc(size_t n)
{
    if (n == 0) n = 1;
    return current.malloc_fn ? current.malloc_fn(current.ctx, n) : malloc(n);
}

void *vhdx_calloc(size_t n, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(n, size, &total)) return NULL;
    void *p = vhdx_malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

void *vhdx_realloc(void *p, size_t n)
{
    if (n == 0) n = 1;
    return current.realloc_fn ? current.realloc_fn(current.ctx, p, n) : realloc(p, n);
}

void vhdx_free(void *p)
{
    if (!p) return;
    if (current.free_fn) current.free_fn(current.ctx, p);
    else free(p);
}
