/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_resize.c - vhdx_resize: a new virtual size for a fixed, dynamic or differencing
 * image.
 *
 * Order of a grow, each step leaving a valid image that reads the old content:
 *   1. the old last block's bytes past the old end are made zero (a FULLY_PRESENT block
 *      gets zero bytes in place, they are not visible yet; a differencing block that
 *      would show its parent or stale sectors there becomes FULLY_PRESENT with its
 *      current content and zeros: one journaled entry);
 *   2. fixed: the new blocks are allocated (zeros) at the end of the file;
 *   3. the BAT entries of the new blocks inside the current BAT region are journaled (they
 *      lie past the BAT's required entries, so nobody reads them yet);
 *   4. a larger BAT region is written outside the live one: in place after the old region
 *      when that space is free, else as a copy at the end of the file; flushed;
 *   5. one log entry switches the Virtual Disk Size item and, when the region moved or
 *      grew, both region tables.
 * A shrink is step 5 alone: the entries past the new end are no longer read; a later grow
 * rewrites every entry it adds (steps 1 and 3), so nothing stale comes back.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define RZ_CHUNK (1024u * 1024u)

/* n bytes at file offset off into the pending batch (a sector whose bytes would not
 * change joins it only with `always`) */
static int batch_bytes(vhdx_image *img, uint64_t off, const uint8_t *src, size_t n, int always,
                       vhdx_diag *diag)
{
    while (n > 0) {
        uint64_t soff = off / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
        size_t in = (size_t)(off - soff), k = VHDX_LOG_SECTOR - in < n ? VHDX_LOG_SECTOR - in : n;
        uint8_t *sec, cur[8];
        int rc;
        if (!always && k <= sizeof cur) {
            rc = img_pread(img, off, cur, k, diag);
            if (rc != VHDX_OK) return rc;
            if (!memcmp(cur, src, k)) {
                off += k;
                src += k;
                n -= k;
                continue;
            }
        }
        rc = img_batch_sector(img, soff, &sec, diag);
        if (rc != VHDX_OK) return rc;
        memcpy(sec + in, src, k);
        off += k;
        src += k;
        n -= k;
    }
    return VHDX_OK;
}

/* Shrinking: VHDX_E_DATA_BEYOND_END when bytes past new_size in its block are not zero, or
 * a block past it holds data (allocated here, or the parent's bytes show through). */
static int check_beyond(vhdx_image *img, uint64_t new_size, vhdx_diag *diag)
{
    const uint64_t bs = img->geo.block_size, vs = img->geo.virtual_size;
    uint64_t first = vhdx_div_round_up(new_size, bs), tail_end = first * bs < vs ? first * bs : vs;
    int rc = VHDX_OK;
    if (tail_end > new_size) {
        /* sized to what is read (an allocator serves a small tail from its pools) */
        uint8_t *buf = vhdx_malloc(tail_end - new_size < RZ_CHUNK ? (size_t)(tail_end - new_size) : RZ_CHUNK);
        if (!buf) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "resize");
        for (uint64_t p = new_size; rc == VHDX_OK && p < tail_end; p += RZ_CHUNK) {
            size_t n = tail_end - p < RZ_CHUNK ? (size_t)(tail_end - p) : RZ_CHUNK;
            rc = img_vread(img, p, buf, n, diag);
            if (rc == VHDX_OK && !vhdx_all_zero(buf, n))
                rc = VHDX_FAIL(diag, VHDX_E_DATA_BEYOND_END, p, "virtual disk");
        }
        vhdx_free(buf);
    }
    uint64_t psize = img->parent ? img->parent->geo.virtual_size : UINT64_MAX;
    for (uint64_t b = first; rc == VHDX_OK && b < img->geo.payload_blocks; b++) {
        uint64_t e;
        rc = img_block_entry(img, b, &e, diag);
        if (rc != VHDX_OK) break;
        unsigned st = fmt_bat_state(e);
        int data = st == VHDX_PB_FULLY_PRESENT || st == VHDX_PB_PARTIALLY_PRESENT;
        if (img->geo.has_parent && st != VHDX_PB_ZERO && b * bs < psize) data = 1;
        if (data) rc = VHDX_FAIL(diag, VHDX_E_DATA_BEYOND_END, b * bs, "virtual disk");
    }
    return rc;
}

/* Step 1: the bytes of the old last block past the old end read as zeros once visible. */
static int fix_tail(vhdx_image *img, vhdx_diag *diag)
{
    const uint64_t bs = img->geo.block_size, vs = img->geo.virtual_size;
    uint64_t b = vs / bs, in = vs % bs, e;
    if (in == 0) return VHDX_OK;
    int rc = img_block_entry(img, b, &e, diag);
    if (rc != VHDX_OK) return rc;
    unsigned st = fmt_bat_state(e);
    const int present = st == VHDX_PB_FULLY_PRESENT, inherit = img->geo.has_parent && st != VHDX_PB_ZERO;
    if (!present && !inherit) return VHDX_OK; /* reads as zeros already: nothing to allocate */
    /* the zeros past the end, or (differencing) the whole block: no larger than needed */
    uint8_t *buf = vhdx_calloc(1, (size_t)(present ? bs - in : bs));
    if (!buf) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "resize");
    if (present) {
        rc = img_pwrite(img, fmt_bat_offset(e) + in, buf, (size_t)(bs - in), diag);
    } else {
        rc = img_vread(img, b * bs, buf, (size_t)in, diag);
        if (rc == VHDX_OK) rc = img_write_unallocated(img, b, 0, buf, (size_t)bs, diag);
    }
    vhdx_free(buf);
    return rc;
}

/* BAT entry `i` of the grown disk when it is new (i >= the old entry count). */
static uint64_t new_entry(const vhdx_image *img, const fmt_geometry *ng, uint64_t i,
                          uint64_t fixed_base)
{
    if (fmt_bat_is_sb_slot(i, ng->chunk_ratio)) return 0;
    uint64_t b = i - i / (ng->chunk_ratio + 1);
    /* [MS-VHDX 2.5.1.1] R73: ZERO hides the parent; fixed blocks are FULLY_PRESENT */
    if (ng->has_parent) return fmt_bat_make(VHDX_PB_ZERO, 0);
    if (ng->leave_allocated)
        return fmt_bat_make(VHDX_PB_FULLY_PRESENT,
                            fixed_base + (b - img->geo.payload_blocks) * ng->block_size);
    return 0;
}

/* Step 3: new entries that lie inside the current BAT region, journaled in batches. */
static int new_entries_in_place(vhdx_image *img, const fmt_geometry *ng, uint64_t fixed_base,
                                vhdx_diag *diag)
{
    uint64_t end = ng->bat_entries < img->bat_length / 8 ? ng->bat_entries : img->bat_length / 8;
    int rc = VHDX_OK;
    for (uint64_t i = img->geo.bat_entries; rc == VHDX_OK && i < end; i++) {
        uint8_t v[8];
        vhdx_put64(v, new_entry(img, ng, i, fixed_base));
        if (img_batch_room(img) < 2) rc = img_batch_commit(img, diag);
        if (rc == VHDX_OK) rc = batch_bytes(img, img->bat_offset + i * 8, v, 8, 0, diag);
    }
    return rc == VHDX_OK ? img_batch_commit(img, diag) : rc;
}

/* Step 4: BAT bytes [from, len) of the new region at new_off: the old region's bytes (a
 * relocation copies them), then new entries, zeros after the last entry. */
static int write_bat_area(vhdx_image *img, const fmt_geometry *ng, uint64_t new_off,
                          uint64_t from, uint64_t len, uint64_t fixed_base, vhdx_diag *diag)
{
    uint8_t *buf = vhdx_malloc(len > from && len - from < RZ_CHUNK ? (size_t)(len - from) : RZ_CHUNK);
    int rc = VHDX_OK;
    if (!buf) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "resize");
    for (uint64_t p = from; rc == VHDX_OK && p < len; p += RZ_CHUNK) {
        size_t n = len - p < RZ_CHUNK ? (size_t)(len - p) : RZ_CHUNK;
        memset(buf, 0, n);
        if (p < img->bat_length) {
            size_t k = img->bat_length - p < n ? (size_t)(img->bat_length - p) : n;
            rc = img_pread(img, img->bat_offset + p, buf, k, diag);
        }
        for (uint64_t i = p / 8; rc == VHDX_OK && i < (p + n) / 8 && i < ng->bat_entries; i++)
            if (i >= img->geo.bat_entries && (from == 0 || i * 8 >= img->bat_length))
                vhdx_put64(buf + (i * 8 - p), new_entry(img, ng, i, fixed_base));
        if (rc == VHDX_OK) rc = img_pwrite(img, new_off + p, buf, n, diag);
    }
    vhdx_free(buf);
    return rc == VHDX_OK ? img_fflush(img, diag) : rc;
}

typedef struct rz_plan {
    fmt_geometry ng;
    uint64_t fixed_base;      /* first new block of a fixed image */
    uint64_t bat_off;         /* the BAT region after the resize */
    uint32_t bat_len;
} rz_plan;

/* Step 4's decision: the region's new place and length (unchanged when it is big enough);
 * *from: the first BAT byte to write there (0: a relocated copy). */
static int place_bat(vhdx_image *img, rz_plan *pl, uint64_t *from, vhdx_diag *diag)
{
    uint64_t need = vhdx_div_round_up(pl->ng.bat_entries * 8, MiB) * MiB;
    pl->bat_off = img->bat_offset;
    pl->bat_len = img->bat_length;
    *from = img->bat_length;
    if (need <= img->bat_length) return VHDX_OK;
    if (need > 0xFFF00000u) return VHDX_FAIL(diag, VHDX_E_RANGE, VHDX_NO_OFFSET, "BAT region");
    img_space sp = { NULL, 0, 0 };
    int rc = img_space_scan(img, &sp, diag);
    if (rc != VHDX_OK) return rc;
    /* [MS-VHDX 2.2.3] R70: the grown region overlaps no other structure or block */
    int in_place = !img_space_overlaps(&sp, img->bat_offset + img->bat_length, img->bat_offset + need);
    img_space_free(&sp);
    if (in_place) {
        if (img->bat_offset + need > img->file_size)
            rc = img_set_size(img, img->bat_offset + need, "BAT region", diag);
    } else {
        rc = img_alloc_space(img, need, &pl->bat_off, diag);
        *from = 0;
    }
    pl->bat_len = (uint32_t)need;
    return rc;
}

static int bat_region_index(const vhdx_image *img)
{
    for (uint32_t j = 0; j < img->rt->decoded; j++)
        if (vhdx_guid_equal(&img->rt->entries[j].guid, &VHDX_GUID_BAT_REGION)) return (int)j;
    return -1;
}

/* Step 5: Virtual Disk Size and region tables in one log entry. */
static int switch_size(vhdx_image *img, const rz_plan *pl, vhdx_diag *diag)
{
    int mi = fmt_metadata_find(img->md, &VHDX_GUID_VIRTUAL_DISK_SIZE), rc;
    if (mi < 0) return VHDX_FAIL(diag, VHDX_E_INTERNAL, img->md_offset, "Virtual Disk Size");
    uint8_t v[8];
    vhdx_put64(v, pl->ng.virtual_size);
    rc = batch_bytes(img, img->md_offset + img->md->entries[mi].offset, v, 8, 1, diag);
    if (rc != VHDX_OK || (pl->bat_off == img->bat_offset && pl->bat_len == img->bat_length))
        return rc == VHDX_OK ? img_batch_commit(img, diag) : rc;
    int bi = bat_region_index(img);
    if (bi < 0) return VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_RT1_OFFSET, "region table");
    fmt_region_table rt = *img->rt;
    rt.entries[bi].file_offset = pl->bat_off;
    rt.entries[bi].length = pl->bat_len;
    uint8_t *raw = vhdx_malloc(VHDX_RT_SIZE), *cur = vhdx_malloc(VHDX_LOG_SECTOR);
    if (!raw || !cur) rc = VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "region table");
    if (rc == VHDX_OK && fmt_region_table_encode(&rt, raw, VHDX_RT_SIZE) != VHDX_OK)
        rc = VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_RT1_OFFSET, "region table");
    /* [MS-VHDX 2.2.3] both copies, only the sectors that change (the checksum sits in the
     * first; entries past the first sector are zero in both) */
    static const uint64_t copies[2] = { VHDX_RT1_OFFSET, VHDX_RT2_OFFSET };
    for (int c = 0; c < 2 && rc == VHDX_OK; c++)
        for (uint32_t s = 0; s < VHDX_RT_SIZE && rc == VHDX_OK; s += VHDX_LOG_SECTOR) {
            rc = img_pread(img, copies[c] + s, cur, VHDX_LOG_SECTOR, diag);
            if (rc == VHDX_OK && memcmp(cur, raw + s, VHDX_LOG_SECTOR) != 0)
                rc = batch_bytes(img, copies[c] + s, raw + s, VHDX_LOG_SECTOR, 1, diag);
        }
    if (rc == VHDX_OK) rc = img_batch_commit(img, diag);
    if (rc == VHDX_OK) *img->rt = rt;
    vhdx_free(raw);
    vhdx_free(cur);
    return rc;
}

/* The image as the file now describes it: geometry, BAT place, cache and counts. */
static int adopt(vhdx_image *img, const rz_plan *pl, vhdx_diag *diag)
{
    img->geo = pl->ng;
    img->bat_offset = pl->bat_off;
    img->bat_length = pl->bat_len;
    img_bat_cache_free(img);
    if (img_bat_cache_init(img) != VHDX_OK)
        return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT cache");
    memset(&img->counts, 0, sizeof img->counts);
    for (uint64_t i = 0; i < img->geo.bat_entries; i++) {
        uint64_t e;
        int rc = img_bat_get(img, i, &e, diag);
        if (rc != VHDX_OK) return rc;
        if (fmt_bat_is_sb_slot(i, img->geo.chunk_ratio)) img->counts.sector_bitmap[fmt_bat_state(e)]++;
        else img->counts.payload[fmt_bat_state(e)]++;
    }
    return VHDX_OK;
}

static int grow_steps(vhdx_image *img, rz_plan *pl, vhdx_diag *diag)
{
    int rc = fix_tail(img, diag);
    if (rc == VHDX_OK) rc = img_batch_commit(img, diag);
    if (rc == VHDX_OK && pl->ng.leave_allocated && !pl->ng.has_parent) {
        uint64_t n = pl->ng.payload_blocks - img->geo.payload_blocks, bytes;
        if (!vhdx_mul_ok(n, pl->ng.block_size, &bytes))
            return VHDX_FAIL(diag, VHDX_E_RANGE, VHDX_NO_OFFSET, "resize");
        if (n) rc = img_alloc_space(img, bytes, &pl->fixed_base, diag);
    }
    uint64_t from = 0;
    if (rc == VHDX_OK) rc = place_bat(img, pl, &from, diag);
    /* a relocated copy gets every new entry in step 4 */
    if (rc == VHDX_OK && from != 0) rc = new_entries_in_place(img, &pl->ng, pl->fixed_base, diag);
    if (rc == VHDX_OK && pl->bat_len != img->bat_length)
        rc = write_bat_area(img, &pl->ng, pl->bat_off, from, pl->bat_len, pl->fixed_base, diag);
    return rc;
}

int vhdx_resize(vhdx_image *img, uint64_t new_size, unsigned flags, vhdx_diag *diag)
{
    if (!img) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    rz_plan pl;
    memset(&pl, 0, sizeof pl);
    const fmt_geometry *g = &img->geo;
    /* [MS-VHDX 2.6.2.2] R95: a multiple of the logical sector size, at most 64 TiB */
    if (new_size == 0 || fmt_geometry_compute(&pl.ng, new_size, g->block_size, g->logical_sector_size,
                                              g->physical_sector_size, g->fp_flags) != VHDX_OK)
        return VHDX_FAIL(diag, VHDX_E_RANGE, new_size, "virtual size");
    if (new_size == g->virtual_size) return VHDX_OK;
    int rc = VHDX_OK;
    if (new_size < g->virtual_size) {
        if (!(flags & VHDX_RESIZE_SHRINK))
            return VHDX_FAIL(diag, VHDX_E_SHRINK_REFUSED, new_size, "virtual size");
        if (!(flags & VHDX_RESIZE_ALLOW_DATA_LOSS)) rc = check_beyond(img, new_size, diag);
        if (rc != VHDX_OK) return rc;
    }
    /* [MS-VHDX 2.2.2] R13: a new DataWriteGuid before the first user-visible change */
    rc = img_begin_modify(img, 1, diag);
    if (rc == VHDX_OK) rc = img_log_ensure(img, diag);
    if (rc == VHDX_OK) rc = img_write_batch_begin(img, diag);
    if (rc != VHDX_OK) return rc;
    pl.bat_off = img->bat_offset;
    pl.bat_len = img->bat_length;
    if (new_size > g->virtual_size) rc = grow_steps(img, &pl, diag);
    if (rc == VHDX_OK) rc = switch_size(img, &pl, diag);
    rc = img_write_batch_end(img, rc, diag);
    if (rc == VHDX_OK) rc = adopt(img, &pl, diag);
    return rc;
}
