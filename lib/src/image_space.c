/* SPDX-License-Identifier: Apache-2.0 */
/* image_space.c - the map of used file space (fixed structures and every block a BAT entry
 * of the disk names), for resize (is the space after the BAT free?) and compact (which
 * blocks to move where). Memory: one record per used range, bounded by
 * limits.max_bat_memory (VHDX_E_LIMIT_MEMORY beyond). */
#include <stdlib.h>

#include "image.h"

static int sp_add(vhdx_image *img, img_space *sp, uint64_t start, uint64_t end, uint64_t index,
                  int kind, vhdx_diag *diag)
{
    if (sp->n == sp->cap) {
        size_t nc = sp->cap ? sp->cap * 2 : 64;
        if ((uint64_t)nc * sizeof *sp->v > img->limits.max_bat_memory && nc > 64)
            return VHDX_FAIL(diag, VHDX_E_LIMIT_MEMORY, VHDX_NO_OFFSET, "file space map");
        img_extent *p = vhdx_realloc(sp->v, nc * sizeof *p);
        if (!p) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "file space map");
        sp->v = p;
        sp->cap = nc;
    }
    sp->v[sp->n].start = start;
    sp->v[sp->n].end = end;
    sp->v[sp->n].index = index;
    sp->v[sp->n].kind = kind;
    sp->n++;
    return VHDX_OK;
}

static int cmp_extent(const void *a, const void *b)
{
    const img_extent *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Space a BAT entry holds: payload data or a sector bitmap, and UNDEFINED/UNMAPPED blocks
 * that still point at their prior contents (R74): their space is not free either. */
static uint64_t entry_len(const vhdx_image *img, uint64_t i, uint64_t e)
{
    unsigned st = fmt_bat_state(e);
    if (fmt_bat_is_sb_slot(i, img->geo.chunk_ratio))
        return st == VHDX_SB_PRESENT ? VHDX_SB_BLOCK_SIZE : 0;
    if (st == VHDX_PB_FULLY_PRESENT || st == VHDX_PB_PARTIALLY_PRESENT ||
        ((st == VHDX_PB_UNDEFINED || st == VHDX_PB_UNMAPPED) && fmt_bat_offset(e) != 0))
        return img->geo.block_size;
    return 0;
}

int img_space_scan(vhdx_image *img, img_space *sp, vhdx_diag *diag)
{
    const fmt_header *h = &img->hdr[img->cur];
    int rc = sp_add(img, sp, 0, MiB, 0, IMG_EXT_FIXED, diag);
    if (rc == VHDX_OK && h->log_length)
        rc = sp_add(img, sp, h->log_offset, h->log_offset + h->log_length, 0, IMG_EXT_FIXED, diag);
    for (uint32_t j = 0; rc == VHDX_OK && j < img->rt->decoded; j++) {
        const fmt_region_entry *r = &img->rt->entries[j];
        if (img_region_usable(r))
            rc = sp_add(img, sp, r->file_offset, r->file_offset + r->length, 0, IMG_EXT_FIXED, diag);
    }
    for (uint64_t i = 0; rc == VHDX_OK && i < img->geo.bat_entries; i++) {
        uint64_t e, len;
        rc = img_bat_get(img, i, &e, diag);
        if (rc != VHDX_OK) break;
        len = entry_len(img, i, e);
        if (len) rc = sp_add(img, sp, fmt_bat_offset(e), fmt_bat_offset(e) + len, i,
                             fmt_bat_is_sb_slot(i, img->geo.chunk_ratio) ? IMG_EXT_SB : IMG_EXT_PAYLOAD, diag);
    }
    if (rc != VHDX_OK) {
        img_space_free(sp);
        return rc;
    }
    if (sp->n) qsort(sp->v, sp->n, sizeof *sp->v, cmp_extent);
    return VHDX_OK;
}

void img_space_free(img_space *sp)
{
    vhdx_free(sp->v);
    sp->v = NULL;
    sp->n = sp->cap = 0;
}

int img_space_overlaps(const img_space *sp, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < sp->n && sp->v[i].start < end; i++)
        if (vhdx_ranges_overlap(sp->v[i].start, sp->v[i].end - sp->v[i].start, start, end - start))
            return 1;
    return 0;
}

uint64_t img_space_end(const img_space *sp)
{
    uint64_t end = 0;
    for (size_t i = 0; i < sp->n; i++)
        if (sp->v[i].end > end) end = sp->v[i].end;
    return end;
}
