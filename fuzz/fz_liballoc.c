/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fz_liballoc.c - the library's allocator in the harnesses that install it (see
 * fz_memfile.h): large blocks recycled, with the sanitizers' view of them kept exact.
 *
 * Under ASan a block of ~128 KiB or more is a fresh mapping on every malloc (shadow
 * poisoned, pages faulted in, unmapped when it leaves the quarantine): the library's
 * per-call 1 MiB buffers (convert's lane, compact's copy buffer) cost more than the work
 * done in them (fuzz_roundtrip: ~0.5 ms per convert in page faults). Here a block of
 * FZ_LA_MIN bytes or more is served from per-size-class free lists and given back to
 * them (at most FZ_LA_FREE_MAX bytes kept there). What a sanitizer checks stays checked:
 * ASan sees the bytes past the size asked for, and the whole block while it is free, as
 * poisoned (overflows and uses after free are reported as with its own redzones; a
 * reused block has no quarantine delay), MSan
 * sees a block as uninitialised when it is handed out, and a block the library never
 * gives back is never in a free list, so LeakSanitizer still reports it.
 * Single-threaded: the library allocates on the calling thread only (image_copy.c).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FZ_LA_ASAN 1
#endif
#if __has_feature(memory_sanitizer)
#define FZ_LA_MSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FZ_LA_ASAN)
#define FZ_LA_ASAN 1
#endif
#ifdef FZ_LA_ASAN
#include <sanitizer/asan_interface.h>
#define FZ_LA_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define FZ_LA_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define FZ_LA_POISON(p, n) ((void)(p), (void)(n))
#define FZ_LA_UNPOISON(p, n) ((void)(p), (void)(n))
#endif
#ifdef FZ_LA_MSAN
#include <sanitizer/msan_interface.h>
#define FZ_LA_UNINIT(p, n) __msan_allocated_memory(p, n)
#else
#define FZ_LA_UNINIT(p, n) ((void)(p), (void)(n))
#endif

FZ_NO_COVERAGE_BEGIN

#define FZ_LA_MIN ((size_t)96 * 1024)       /* smaller blocks: malloc/free */
#define FZ_LA_MIN_SHIFT 17                  /* the smallest class: 128 KiB */
#define FZ_LA_CLASSES 8                     /* 128 KiB .. 16 MiB */
#define FZ_LA_FREE_PER_CLASS 2
#define FZ_LA_LIVE 64                       /* pooled blocks handed out at once */
#define FZ_LA_FREE_MAX ((size_t)8 << 20)    /* bytes kept in the free lists (peak RSS) */

static struct { uint8_t *p; size_t n, cap; } fz_la_live[FZ_LA_LIVE];
static uint8_t *fz_la_free[FZ_LA_CLASSES][FZ_LA_FREE_PER_CLASS];
static size_t fz_la_free_bytes;

/* The class of a request of n bytes, or -1 when it is not pooled. */
static int fz_la_class(size_t n)
{
    if (n < FZ_LA_MIN) return -1;
    for (int c = 0; c < FZ_LA_CLASSES; c++)
        if (n <= (size_t)1 << (FZ_LA_MIN_SHIFT + c)) return c;
    return -1;
}

/* The live slot holding p (NULL: a free slot), or -1. */
static int fz_la_find(const void *p)
{
    for (int i = 0; i < FZ_LA_LIVE; i++)
        if (fz_la_live[i].p == p) return i;
    return -1;
}

void *fz_liballoc_malloc(size_t n)
{
    int c = fz_la_class(n), slot = fz_la_find(NULL);
    if (c < 0 || slot < 0) return malloc(n ? n : 1);
    size_t cap = (size_t)1 << (FZ_LA_MIN_SHIFT + c);
    uint8_t *p = NULL;
    for (int i = 0; i < FZ_LA_FREE_PER_CLASS && !p; i++)
        if (fz_la_free[c][i]) {
            p = fz_la_free[c][i];
            fz_la_free[c][i] = NULL;
            fz_la_free_bytes -= cap;
        }
    if (!p && !(p = malloc(cap))) return NULL;
    FZ_LA_POISON(p, cap); /* the bytes past the request are a redzone */
    FZ_LA_UNPOISON(p, n);
    FZ_LA_UNINIT(p, n);
    fz_la_live[slot].p = p;
    fz_la_live[slot].n = n;
    fz_la_live[slot].cap = cap;
    return p;
}

void fz_liballoc_free(void *p)
{
    int i = p ? fz_la_find(p) : -1;
    if (i < 0) {
        free(p);
        return;
    }
    uint8_t *b = fz_la_live[i].p;
    size_t cap = fz_la_live[i].cap;
    int c = fz_la_class(cap);
    fz_la_live[i].p = NULL;
    for (int k = 0; k < FZ_LA_FREE_PER_CLASS && fz_la_free_bytes + cap <= FZ_LA_FREE_MAX; k++)
        if (!fz_la_free[c][k]) {
            FZ_LA_POISON(b, cap); /* a use after free is reported */
            fz_la_free[c][k] = b;
            fz_la_free_bytes += cap;
            return;
        }
    FZ_LA_UNPOISON(b, cap);
    free(b);
}

void *fz_liballoc_realloc(void *p, size_t n)
{
    int i = p ? fz_la_find(p) : -1;
    if (i < 0) return p ? realloc(p, n) : fz_liballoc_malloc(n); /* malloc'ed blocks stay so */
    if (n == 0) {
        fz_liballoc_free(p);
        return NULL;
    }
    uint8_t *q = fz_liballoc_malloc(n);
    if (!q) return NULL;
    memcpy(q, p, n < fz_la_live[i].n ? n : fz_la_live[i].n);
    fz_liballoc_free(p);
    return q;
}

static void *fz_la_malloc_cb(void *ctx, size_t n) { (void)ctx; return fz_liballoc_malloc(n); }
static void *fz_la_realloc_cb(void *ctx, void *p, size_t n) { (void)ctx; return fz_liballoc_realloc(p, n); }
static void fz_la_free_cb(void *ctx, void *p) { (void)ctx; fz_liballoc_free(p); }

void fz_liballoc_install(void)
{
    static const vhdx_allocator a = { fz_la_malloc_cb, fz_la_realloc_cb, fz_la_free_cb, NULL };
    vhdx_set_allocator(&a);
}

FZ_NO_COVERAGE_END
