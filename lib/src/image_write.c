/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_write.c - block allocation for dynamic and differencing images.
 *
 * New payload blocks and sector bitmap blocks go to the end of the file, 1 MiB aligned;
 * the file is extended first (set_size), so the new space reads as zeros and a partial
 * block needs no zero writes. Payload data is written directly (R34: never through the
 * log); BAT and sector bitmap sectors are collected as pending 4 KiB sector images and
 * journaled with img_log_write: one entry per vhdx_write batch, or more when a batch
 * outgrows half the log (each block's metadata stays inside one entry, so every entry
 * leaves the image consistent).
 *
 * Differencing images: a partial write into a NOT_PRESENT block allocates the block,
 * writes whole logical sectors (edge sectors merged with the parent's data), sets their
 * sector bitmap bits and marks the block PARTIALLY_PRESENT (allocating the chunk's sector
 * bitmap block when needed); a write covering the whole block makes it FULLY_PRESENT.
 * ZERO blocks read as zeros, so they become FULLY_PRESENT with zero fill; in a dynamic
 * image so do NOT_PRESENT, UNMAPPED and UNDEFINED; in a differencing image those read the
 * parent and become PARTIALLY_PRESENT (stale bitmap bits of the block cleared first).
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"

typedef struct wb_sector {
    uint64_t off;
    uint8_t data[VHDX_LOG_SECTOR];
} wb_sector;

typedef struct wb_undo {
    uint64_t index, old;
} wb_undo;

struct img_wbatch {
    int active;
    wb_sector *sec;
    size_t nsec, capsec;
    wb_undo *undo;
    size_t nundo, capundo;
    /* counts changes, to revert with the cache */
    vhdx_bat_counts counts_before;
};

void img_write_batch_free(vhdx_image *img)
{
    struct img_wbatch *wb = img->wb;
    if (!wb) return;
    vhdx_free(wb->sec);
    vhdx_free(wb->undo);
    vhdx_free(wb);
    img->wb = NULL;
}

static struct img_wbatch *wb_get(vhdx_image *img)
{
    if (!img->wb) img->wb = vhdx_calloc(1, sizeof(struct img_wbatch));
    return img->wb;
}

/* Largest number of sectors one commit may carry: the entry stays within half the log, so
 * it never has to overwrite the previous entry of the session. */
static size_t wb_max_sectors(const vhdx_image *img)
{
    uint64_t half = img->hdr[img->cur].log_length / 2, n;
    if (half < 2 * VHDX_LOG_SECTOR) return 0;
    n = half / VHDX_LOG_SECTOR;
    while (n > 0 && VHDX_LOG_SECTOR * (fmt_log_descriptor_sectors(n) + n) > half) n--;
    return (size_t)n;
}

/* Pending image of the 4 KiB file sector at off (read from the file on first use). */
static int wb_sector_at(vhdx_image *img, struct img_wbatch *wb, uint64_t off, uint8_t **out,
                        vhdx_diag *diag)
{
    size_t i;
    int rc;
    for (i = 0; i < wb->nsec; i++)
        if (wb->sec[i].off == off) { *out = wb->sec[i].data; return VHDX_OK; }
    if (wb->nsec == wb->capsec) {
        /* from 8 sectors (32 KiB): most batches carry a BAT sector or two, and allocators
         * serve small blocks from their pools (with ASan, over ~128 KiB is a fresh mapping) */
        size_t nc = wb->capsec ? wb->capsec * 2 : 8;
        wb_sector *p = vhdx_realloc(wb->sec, nc * sizeof *p);
        if (!p) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write batch");
        wb->sec = p;
        wb->capsec = nc;
    }
    rc = img_pread(img, off, wb->sec[wb->nsec].data, VHDX_LOG_SECTOR, diag);
    if (rc != VHDX_OK) return rc;
    wb->sec[wb->nsec].off = off;
    *out = wb->sec[wb->nsec].data;
    wb->nsec++;
    return VHDX_OK;
}

static int wb_set_entry(vhdx_image *img, struct img_wbatch *wb, uint64_t index, uint64_t entry,
                        int is_sb, vhdx_diag *diag)
{
    uint64_t boff = img->bat_offset + index * 8, old;
    uint8_t *sec;
    int rc = img_bat_get(img, index, &old, diag);
    if (rc != VHDX_OK) return rc;
    rc = wb_sector_at(img, wb, boff / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR, &sec, diag);
    if (rc != VHDX_OK) return rc;
    if (wb->nundo == wb->capundo) {
        size_t nc = wb->capundo ? wb->capundo * 2 : 32;
        wb_undo *p = vhdx_realloc(wb->undo, nc * sizeof *p);
        if (!p) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write batch");
        wb->undo = p;
        wb->capundo = nc;
    }
    wb->undo[wb->nundo].index = index;
    wb->undo[wb->nundo].old = old;
    wb->nundo++;
    vhdx_put64(sec + boff % VHDX_LOG_SECTOR, entry);
    img_bat_cache_set(img, index, entry);
    if (is_sb) {
        img->counts.sector_bitmap[fmt_bat_state(old)]--;
        img->counts.sector_bitmap[fmt_bat_state(entry)]++;
    } else {
        img->counts.payload[fmt_bat_state(old)]--;
        img->counts.payload[fmt_bat_state(entry)]++;
    }
    return VHDX_OK;
}

static void wb_rollback(vhdx_image *img, struct img_wbatch *wb)
{
    size_t i = wb->nundo;
    while (i-- > 0) img_bat_cache_set(img, wb->undo[i].index, wb->undo[i].old);
    img->counts = wb->counts_before;
    wb->nsec = 0;
    wb->nundo = 0;
}

static int wb_commit(vhdx_image *img, struct img_wbatch *wb, vhdx_diag *diag)
{
    img_meta_sector *ms;
    size_t i;
    int rc;
    if (wb->nsec == 0) {
        wb->nundo = 0;
        wb->counts_before = img->counts;
        return VHDX_OK;
    }
    ms = vhdx_malloc(wb->nsec * sizeof *ms);
    if (!ms) {
        wb_rollback(img, wb);
        return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write batch");
    }
    for (i = 0; i < wb->nsec; i++) {
        ms[i].file_offset = wb->sec[i].off;
        ms[i].data = wb->sec[i].data;
    }
    rc = img_log_write(img, ms, wb->nsec, diag);
    vhdx_free(ms);
    if (rc != VHDX_OK) {
        wb_rollback(img, wb);
        return rc;
    }
    wb->nsec = 0;
    wb->nundo = 0;
    wb->counts_before = img->counts;
    return VHDX_OK;
}

int img_write_batch_begin(vhdx_image *img, vhdx_diag *diag)
{
    struct img_wbatch *wb = wb_get(img);
    if (!wb) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write batch");
    wb->active = 1;
    wb->nsec = 0;
    wb->nundo = 0;
    wb->counts_before = img->counts;
    return VHDX_OK;
}

int img_write_batch_end(vhdx_image *img, int status, vhdx_diag *diag)
{
    struct img_wbatch *wb = img->wb;
    int rc;
    if (!wb || !wb->active) return status;
    wb->active = 0;
    if (status != VHDX_OK) {
        /* the failed write's blocks stay unallocated */
        wb_rollback(img, wb);
        return status;
    }
    rc = wb_commit(img, wb, diag);
    return rc;
}

/* Set the sector bitmap bits of sectors [s0, s1] of block b (allocating the SB block). */
static int set_bits(vhdx_image *img, struct img_wbatch *wb, uint64_t block, uint64_t s0,
                    uint64_t s1, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio;
    uint64_t sbi = fmt_bat_sb_index(block / cr, cr), sbe, base, s;
    int rc = img_bat_get(img, sbi, &sbe, diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_bat_state(sbe) != VHDX_SB_PRESENT) {
        uint64_t off;
        rc = img_alloc_space(img, VHDX_SB_BLOCK_SIZE, &off, diag);
        if (rc != VHDX_OK) return rc;
        sbe = fmt_bat_make(VHDX_SB_PRESENT, off);
        rc = wb_set_entry(img, wb, sbi, sbe, 1, diag);
        if (rc != VHDX_OK) return rc;
    }
    /* [MS-VHDX 2.5.1.2] block b's bits start at byte (b % CR) * (1 MiB / CR) */
    base = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    s = s0;
    while (s <= s1) {
        uint64_t byte = base + s / 8;
        uint64_t soff = byte / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
        uint8_t *sec;
        rc = wb_sector_at(img, wb, soff, &sec, diag);
        if (rc != VHDX_OK) return rc;
        /* all bits of this sector in one go */
        while (s <= s1 && base + s / 8 < soff + VHDX_LOG_SECTOR) {
            uint64_t b = base + s / 8 - soff;
            if (s % 8 == 0 && s + 7 <= s1) {
                sec[b] = 0xFF;
                s += 8;
            } else {
                sec[b] = (uint8_t)(sec[b] | (1u << (s % 8)));
                s++;
            }
        }
    }
    return VHDX_OK;
}

/* Clear every bit of block b in an existing SB block: a block that was partially present
 * before (and then trimmed by another writer) may have left bits set. */
static int clear_block_bits(vhdx_image *img, struct img_wbatch *wb, uint64_t block, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio;
    uint64_t sbe, a, end;
    int rc = img_bat_get(img, fmt_bat_sb_index(block / cr, cr), &sbe, diag);
    if (rc != VHDX_OK || fmt_bat_state(sbe) != VHDX_SB_PRESENT) return rc;
    a = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    end = a + VHDX_SB_BLOCK_SIZE / cr;
    while (a < end) {
        uint64_t soff = a / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
        uint64_t n = soff + VHDX_LOG_SECTOR - a;
        uint8_t *sec;
        size_t i;
        int any = 0;
        if (n > end - a) n = end - a;
        /* only sectors that hold a set bit become pending */
        {
            uint8_t tmp[VHDX_LOG_SECTOR];
            rc = img_pread(img, soff, tmp, VHDX_LOG_SECTOR, diag);
            if (rc != VHDX_OK) return rc;
            for (i = 0; i < n; i++) any |= tmp[a - soff + i];
        }
        if (any) {
            rc = wb_sector_at(img, wb, soff, &sec, diag);
            if (rc != VHDX_OK) return rc;
            memset(sec + (a - soff), 0, (size_t)n);
        }
        a += n;
    }
    return VHDX_OK;
}

/* 1 when every bit for sectors [s0, s1] of block b is already set (no SB change). */
static int bits_all_set(vhdx_image *img, uint64_t block, uint64_t s0, uint64_t s1, int *all,
                        vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio;
    uint64_t sbe, base, s;
    uint8_t byte = 0;
    int rc = img_bat_get(img, fmt_bat_sb_index(block / cr, cr), &sbe, diag);
    *all = 0;
    if (rc != VHDX_OK) return rc;
    if (fmt_bat_state(sbe) != VHDX_SB_PRESENT) return VHDX_OK;
    base = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    for (s = s0; s <= s1; s++) {
        if (s == s0 || s % 8 == 0) {
            rc = img_pread(img, base + s / 8, &byte, 1, diag);
            if (rc != VHDX_OK) return rc;
        }
        if (!((byte >> (s % 8)) & 1)) return VHDX_OK;
    }
    *all = 1;
    return VHDX_OK;
}

/* Differencing: write [oib, oib+len) of a block as whole logical sectors at blk_off, the
 * edge sectors merged with the current virtual content (parent, or this file when
 * partial_existing and the sector's bit is set). */
static int write_sectors(vhdx_image *img, uint64_t block, uint64_t blk_off, uint64_t oib,
                         const uint8_t *buf, size_t len, int partial_existing, vhdx_diag *diag)
{
    const uint64_t lss = img->geo.logical_sector_size;
    uint64_t a = oib / lss * lss, b = vhdx_div_round_up(oib + len, lss) * lss;
    uint8_t *tmp;
    int rc = VHDX_OK;
    if (a == oib && b == oib + len) return img_pwrite(img, blk_off + oib, buf, len, diag);
    tmp = vhdx_malloc((size_t)(b - a));
    if (!tmp) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write");
    if (a != oib) {
        rc = partial_existing ? img_read_partial(img, block, a, tmp, (size_t)lss, diag)
                              : img_parent_read(img, block * img->geo.block_size + a, tmp, (size_t)lss, diag);
    }
    if (rc == VHDX_OK && b != oib + len && (b - lss > a || a == oib)) {
        rc = partial_existing ? img_read_partial(img, block, b - lss, tmp + (b - lss - a), (size_t)lss, diag)
                              : img_parent_read(img, block * img->geo.block_size + b - lss,
                                                tmp + (b - lss - a), (size_t)lss, diag);
    }
    if (rc == VHDX_OK) {
        memcpy(tmp + (oib - a), buf, len);
        rc = img_pwrite(img, blk_off + a, tmp, (size_t)(b - a), diag);
    }
    vhdx_free(tmp);
    return rc;
}

/* Byte `pos` of the file as the batch will leave it (a pending sector, else the file). */
static int wb_byte(vhdx_image *img, struct img_wbatch *wb, uint64_t pos, uint8_t *out,
                   vhdx_diag *diag)
{
    uint64_t soff = pos / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
    for (size_t i = 0; i < wb->nsec; i++)
        if (wb->sec[i].off == soff) { *out = wb->sec[i].data[pos - soff]; return VHDX_OK; }
    return img_pread(img, pos, out, 1, diag);
}

/* A PARTIALLY_PRESENT block whose sectors (within the disk) are all present becomes
 * FULLY_PRESENT at the same offset; when no block of its chunk stays PARTIALLY_PRESENT,
 * the chunk's sector bitmap block is released (SB_BLOCK_NOT_PRESENT, R78 allows it) and
 * its space is free for compact. A later partial allocation clears the block's bits. */
static int promote_if_full(vhdx_image *img, struct img_wbatch *wb, uint64_t block,
                           uint64_t blk_off, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio, lss = img->geo.logical_sector_size;
    const uint64_t bs = img->geo.block_size, vs = img->geo.virtual_size;
    uint64_t sbi = fmt_bat_sb_index(block / cr, cr), sbe, nsec, base, s;
    int rc = img_bat_get(img, sbi, &sbe, diag);
    if (rc != VHDX_OK || fmt_bat_state(sbe) != VHDX_SB_PRESENT) return rc;
    nsec = (vs - block * bs < bs ? vs - block * bs : bs) / lss;
    base = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    for (s = 0; s < nsec; s += 8) {
        uint8_t byte, want = nsec - s >= 8 ? 0xFF : (uint8_t)((1u << (nsec - s)) - 1);
        rc = wb_byte(img, wb, base + s / 8, &byte, diag);
        if (rc != VHDX_OK) return rc;
        if ((byte & want) != want) return VHDX_OK;
    }
    rc = wb_set_entry(img, wb, fmt_bat_pb_index(block, cr),
                      fmt_bat_make(VHDX_PB_FULLY_PRESENT, blk_off), 0, diag);
    for (uint64_t b = block / cr * cr; rc == VHDX_OK && b < (block / cr + 1) * cr &&
                                        b < img->geo.payload_blocks; b++) {
        uint64_t e;
        rc = img_bat_get(img, fmt_bat_pb_index(b, cr), &e, diag);
        if (rc == VHDX_OK && fmt_bat_state(e) == VHDX_PB_PARTIALLY_PRESENT) return VHDX_OK;
    }
    if (rc == VHDX_OK) rc = wb_set_entry(img, wb, sbi, fmt_bat_make(VHDX_SB_NOT_PRESENT, 0), 1, diag);
    return rc;
}

static int write_block(vhdx_image *img, struct img_wbatch *wb, uint64_t block, uint64_t oib,
                       const uint8_t *buf, size_t len, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio, lss = img->geo.logical_sector_size;
    const uint64_t bs = img->geo.block_size;
    uint64_t pbi = fmt_bat_pb_index(block, cr), e, off;
    unsigned st;
    int rc = img_bat_get(img, pbi, &e, diag);
    if (rc != VHDX_OK) return rc;
    st = fmt_bat_state(e);

    if (st == VHDX_PB_FULLY_PRESENT)
        return img_pwrite(img, fmt_bat_offset(e) + oib, buf, len, diag);

    if (st == VHDX_PB_PARTIALLY_PRESENT) {
        uint64_t s0 = oib / lss, s1 = (oib + len - 1) / lss;
        int all = 0;
        if (!img->geo.has_parent) /* R72 */
            return VHDX_FAIL(diag, VHDX_E_BAT_PARTIAL_NO_PARENT, img->bat_offset + pbi * 8, "BAT entry");
        rc = write_sectors(img, block, fmt_bat_offset(e), oib, buf, len, 1, diag);
        if (rc == VHDX_OK) rc = bits_all_set(img, block, s0, s1, &all, diag);
        if (rc == VHDX_OK && !all) {
            rc = set_bits(img, wb, block, s0, s1, diag);
            if (rc == VHDX_OK) rc = promote_if_full(img, wb, block, fmt_bat_offset(e), diag);
        }
        return rc;
    }

    /* a whole block of zeros stays unallocated: it reads as zeros already (fixed and
     * dynamic), or becomes PAYLOAD_BLOCK_ZERO so a differencing file hides its parent's
     * bytes (R73) without data */
    if (oib == 0 && len == bs && vhdx_all_zero(buf, len)) {
        if (!img->geo.has_parent || st == VHDX_PB_ZERO) return VHDX_OK;
        return wb_set_entry(img, wb, pbi, fmt_bat_make(VHDX_PB_ZERO, 0), 0, diag);
    }

    /* not allocated: a new block at the end of the file */
    rc = img_alloc_space(img, bs, &off, diag);
    if (rc != VHDX_OK) return rc;
    /* differencing: NOT_PRESENT, UNDEFINED and UNMAPPED read the parent, so the rest of
     * the block keeps coming from there; ZERO reads zeros like everywhere else */
    if (img->geo.has_parent && st != VHDX_PB_ZERO && !(oib == 0 && len == bs)) {
        uint64_t s0 = oib / lss, s1 = (oib + len - 1) / lss;
        rc = write_sectors(img, block, off, oib, buf, len, 0, diag);
        if (rc == VHDX_OK) rc = clear_block_bits(img, wb, block, diag);
        if (rc == VHDX_OK) rc = set_bits(img, wb, block, s0, s1, diag);
        if (rc == VHDX_OK)
            rc = wb_set_entry(img, wb, pbi, fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, off), 0, diag);
        if (rc == VHDX_OK) rc = promote_if_full(img, wb, block, off, diag);
        return rc;
    }
    /* dynamic, or a whole block, or a block that reads as zeros: the rest stays zero */
    rc = img_pwrite(img, off + oib, buf, len, diag);
    if (rc == VHDX_OK) rc = wb_set_entry(img, wb, pbi, fmt_bat_make(VHDX_PB_FULLY_PRESENT, off), 0, diag);
    return rc;
}

int img_zero_block(vhdx_image *img, uint64_t block, vhdx_diag *diag)
{
    struct img_wbatch *wb = wb_get(img);
    if (!wb) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write batch");
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    if (block >= img->geo.payload_blocks) return VHDX_FAIL(diag, VHDX_E_RANGE, VHDX_NO_OFFSET, "zero");
    uint64_t pbi = fmt_bat_pb_index(block, img->geo.chunk_ratio), e;
    int rc = img_bat_get(img, pbi, &e, diag);
    if (rc != VHDX_OK || fmt_bat_state(e) == VHDX_PB_ZERO) return rc;
    int standalone = !wb->active;
    if (standalone) (void)img_write_batch_begin(img, diag); /* wb exists: cannot fail */
    rc = img_begin_modify(img, 1, diag);
    if (rc == VHDX_OK) rc = img_log_ensure(img, diag);
    if (rc == VHDX_OK && wb->nsec + 20 > wb_max_sectors(img)) rc = wb_commit(img, wb, diag);
    /* [MS-VHDX 2.5.1.1] ZERO: FileOffsetMB reserved (0); the block's old space is left
     * unused in the file */
    if (rc == VHDX_OK) rc = wb_set_entry(img, wb, pbi, fmt_bat_make(VHDX_PB_ZERO, 0), 0, diag);
    if (standalone) return img_write_batch_end(img, rc, diag);
    if (rc != VHDX_OK) {
        wb_rollback(img, wb);
        wb->active = 0;
    }
    return rc;
}

int img_write_unallocated(vhdx_image *img, uint64_t block, uint64_t off_in_block,
                          const uint8_t *buf, size_t len, vhdx_diag *diag)
{
    struct img_wbatch *wb;
    size_t maxs;
    int standalone, rc;

    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    if (len == 0) return VHDX_OK;
    if (block >= img->geo.payload_blocks || off_in_block >= img->geo.block_size ||
        len > img->geo.block_size - off_in_block)
        return VHDX_FAIL(diag, VHDX_E_RANGE, VHDX_NO_OFFSET, "write");
    wb = wb_get(img);
    if (!wb) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write batch");
    rc = img_log_ensure(img, diag);
    if (rc != VHDX_OK) return rc;
    maxs = wb_max_sectors(img);
    if (maxs < 24) return VHDX_FAIL(diag, VHDX_E_LOG_FULL, img->hdr[img->cur].log_offset, "log");
    standalone = !wb->active;
    if (standalone) (void)img_write_batch_begin(img, diag); /* wb exists: cannot fail */
    /* [MS-VHDX 2.2.2] R12/R13: header update before the first (user-visible) change */
    rc = img_begin_modify(img, 1, diag);
    /* one block adds at most 2 BAT sectors and 17 bitmap sectors: commit before the
     * pending entry could outgrow half the log */
    if (rc == VHDX_OK && wb->nsec + 20 > maxs) rc = wb_commit(img, wb, diag);
    if (rc == VHDX_OK) rc = write_block(img, wb, block, off_in_block, buf, len, diag);
    if (standalone) return img_write_batch_end(img, rc, diag);
    if (rc != VHDX_OK) {
        /* undo this block's pending metadata only by failing the whole batch */
        wb_rollback(img, wb);
        wb->active = 0;
    }
    return rc;
}

/* ---- batch access for the maintenance operations (resize, discard, compact) ---- */

int img_batch_sector(vhdx_image *img, uint64_t off, uint8_t **sec, vhdx_diag *diag)
{
    struct img_wbatch *wb = img->wb;
    if (!wb || !wb->active || off % VHDX_LOG_SECTOR != 0)
        return VHDX_FAIL(diag, VHDX_E_INTERNAL, off, "write batch");
    return wb_sector_at(img, wb, off, sec, diag);
}

int img_batch_set_entry(vhdx_image *img, uint64_t index, uint64_t entry, vhdx_diag *diag)
{
    struct img_wbatch *wb = img->wb;
    if (!wb || !wb->active) return VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_NO_OFFSET, "write batch");
    return wb_set_entry(img, wb, index, entry, fmt_bat_is_sb_slot(index, img->geo.chunk_ratio),
                        diag);
}

size_t img_batch_room(vhdx_image *img)
{
    size_t maxs = wb_max_sectors(img), n = img->wb ? img->wb->nsec : 0;
    return maxs > n ? maxs - n : 0;
}

int img_batch_commit(vhdx_image *img, vhdx_diag *diag)
{
    struct img_wbatch *wb = img->wb;
    if (!wb || !wb->active) return VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_NO_OFFSET, "write batch");
    return wb_commit(img, wb, diag);
}
