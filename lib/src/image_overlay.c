/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_overlay.c - the read-only replay overlay: the file as a log replay would leave it,
 * kept in memory as 4 KiB data sectors and zero ranges (in replay order) over the
 * unchanged backend. Pure memory: no I/O. It sits under image_io.c because every file
 * read (img_pread) patches it over the backend's bytes; image_logscan.c fills it.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define OV_MAX_ZERO_RANGES 65536u

typedef struct ov_sector {
    uint64_t off;
    uint64_t order;
    uint8_t *data;            /* 4096 bytes */
} ov_sector;

typedef struct ov_zero {
    uint64_t off, len;
    uint64_t order;
} ov_zero;

struct img_overlay {
    uint64_t backend_size;
    ov_sector *sec;
    size_t nsec, capsec;
    ov_zero *zr;              /* sorted, disjoint */
    size_t nzr;
    uint64_t mem;
    uint64_t order;
};

int img_overlay_start(vhdx_image *img, vhdx_diag *diag)
{
    if (!img->ov) img->ov = vhdx_calloc(1, sizeof *img->ov);
    if (!img->ov) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log overlay");
    img->ov->backend_size = img->file_size;
    return VHDX_OK;
}

uint64_t img_log_backend_size(const vhdx_image *img)
{
    return img->ov ? img->ov->backend_size : img->file_size;
}

static int ov_charge(vhdx_image *img, uint64_t bytes, vhdx_diag *diag)
{
    if (img->ov->mem + bytes > img->limits.max_overlay_memory)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_MEMORY, VHDX_NO_OFFSET, "log overlay");
    img->ov->mem += bytes;
    return VHDX_OK;
}

int img_overlay_add_sector(vhdx_image *img, uint64_t off, const uint8_t *data, vhdx_diag *diag)
{
    struct img_overlay *ov = img->ov;
    int rc = ov_charge(img, VHDX_LOG_SECTOR + sizeof(ov_sector), diag);
    if (rc != VHDX_OK) return rc;
    if (ov->nsec == ov->capsec) {
        size_t nc = ov->capsec ? ov->capsec * 2 : 16;
        ov_sector *p = vhdx_realloc(ov->sec, nc * sizeof(*p));
        if (!p) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log overlay");
        ov->sec = p;
        ov->capsec = nc;
    }
    ov->sec[ov->nsec].data = vhdx_malloc(VHDX_LOG_SECTOR);
    if (!ov->sec[ov->nsec].data) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log overlay");
    memcpy(ov->sec[ov->nsec].data, data, VHDX_LOG_SECTOR);
    ov->sec[ov->nsec].off = off;
    ov->sec[ov->nsec].order = ov->order++;
    ov->nsec++;
    return VHDX_OK;
}

/* Insert [off, off+len) with the newest order into the sorted disjoint zero set. */
int img_overlay_add_zero(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag)
{
    struct img_overlay *ov = img->ov;
    uint64_t end = off + len;
    size_t i, j, nkeep = 0;
    ov_zero *out;
    int rc;

    if (len == 0) return VHDX_OK;
    if (ov->nzr + 2 > OV_MAX_ZERO_RANGES)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_MEMORY, VHDX_NO_OFFSET, "log overlay");
    rc = ov_charge(img, 2 * sizeof(ov_zero), diag);
    if (rc != VHDX_OK) return rc;
    out = vhdx_malloc((ov->nzr + 2) * sizeof(*out));
    if (!out) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log overlay");
    for (i = 0; i < ov->nzr && ov->zr[i].off + ov->zr[i].len <= off; i++) out[nkeep++] = ov->zr[i];
    if (i < ov->nzr && ov->zr[i].off < off) { /* left part of an overlapping range */
        out[nkeep] = ov->zr[i];
        out[nkeep].len = off - ov->zr[i].off;
        nkeep++;
    }
    out[nkeep].off = off;
    out[nkeep].len = len;
    out[nkeep].order = ov->order++;
    nkeep++;
    for (j = i; j < ov->nzr && ov->zr[j].off < end; j++) {
        uint64_t e = ov->zr[j].off + ov->zr[j].len;
        if (e > end) { /* right part survives */
            out[nkeep] = ov->zr[j];
            out[nkeep].off = end;
            out[nkeep].len = e - end;
            nkeep++;
        }
    }
    for (; j < ov->nzr; j++) out[nkeep++] = ov->zr[j];
    vhdx_free(ov->zr);
    ov->zr = out;
    ov->nzr = nkeep;
    return VHDX_OK;
}

static int cmp_sec(const void *a, const void *b)
{
    const ov_sector *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

/* First zero range ending after off (nzr when none). */
static size_t zr_lower(const struct img_overlay *ov, uint64_t off)
{
    size_t lo = 0, hi = ov->nzr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ov->zr[mid].off + ov->zr[mid].len <= off) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static const ov_zero *zr_find(const struct img_overlay *ov, uint64_t off)
{
    size_t lo = zr_lower(ov, off);
    if (lo < ov->nzr && ov->zr[lo].off <= off) return &ov->zr[lo];
    return NULL;
}

void img_overlay_finalize(vhdx_image *img)
{
    struct img_overlay *ov = img->ov;
    size_t i, n = 0;
    if (ov->nsec > 1) qsort(ov->sec, ov->nsec, sizeof(ov_sector), cmp_sec);
    for (i = 0; i < ov->nsec; i++) {
        const ov_zero *z;
        int drop = (i + 1 < ov->nsec && ov->sec[i + 1].off == ov->sec[i].off);
        z = zr_find(ov, ov->sec[i].off);
        if (z && z->order > ov->sec[i].order) drop = 1;
        if (drop) {
            vhdx_free(ov->sec[i].data);
            ov->mem -= VHDX_LOG_SECTOR + sizeof(ov_sector);
            continue;
        }
        ov->sec[n++] = ov->sec[i];
    }
    ov->nsec = n;
}

void img_overlay_apply(const vhdx_image *img, uint64_t off, uint8_t *buf, size_t len)
{
    const struct img_overlay *ov = img->ov;
    uint64_t end = off + len;
    size_t lo, hi, i;

    if (!ov || len == 0) return;
    /* zero ranges first: every surviving data sector is newer than any range covering it */
    for (i = zr_lower(ov, off); i < ov->nzr; i++) {
        uint64_t a = ov->zr[i].off, b = a + ov->zr[i].len;
        if (a >= end) break;
        if (a < off) a = off;
        if (b > end) b = end;
        memset(buf + (a - off), 0, (size_t)(b - a));
    }
    lo = 0;
    hi = ov->nsec;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ov->sec[mid].off + VHDX_LOG_SECTOR <= off) lo = mid + 1;
        else hi = mid;
    }
    for (i = lo; i < ov->nsec && ov->sec[i].off < end; i++) {
        uint64_t a = ov->sec[i].off, b = a + VHDX_LOG_SECTOR;
        /* before img_overlay_finalize (reads of a large ring during the replay) the sectors
         * are not sorted yet: skip those that end before the read */
        if (b <= off) continue;
        uint64_t ca = a < off ? off : a, cb = b > end ? end : b;
        memcpy(buf + (ca - off), ov->sec[i].data + (ca - a), (size_t)(cb - ca));
    }
}

void img_overlay_free(vhdx_image *img)
{
    struct img_overlay *ov = img->ov;
    if (!ov) return;
    for (size_t i = 0; i < ov->nsec; i++) vhdx_free(ov->sec[i].data);
    vhdx_free(ov->sec);
    vhdx_free(ov->zr);
    vhdx_free(ov);
    img->ov = NULL;
}
