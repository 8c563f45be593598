/* SPDX-License-Identifier: Apache-2.0 */
/* image_read.c - virtual disk I/O: reads, writes into allocated blocks, flush, block
 * status. */
#include "image.h"

int vhdx_read(vhdx_image *img, uint64_t off, void *buf, size_t len, vhdx_diag *diag)
{
    if (!img || (!buf && len)) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    return img_vread(img, off, buf, len, diag);
}

int vhdx_write(vhdx_image *img, uint64_t off, const void *buf, size_t len, vhdx_diag *diag)
{
    if (!img || (!buf && len)) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    int rc = img_check_range(img, off, len, diag);
    if (rc != VHDX_OK || len == 0) return rc;
    /* [MS-VHDX 2.2.2] R13: new DataWriteGuid before the first user-visible change */
    rc = img_begin_modify(img, 1, diag);
    if (rc != VHDX_OK) return rc;
    const uint8_t *p = buf;
    const uint64_t bs = img->geo.block_size;
    rc = img_write_batch_begin(img, diag);
    if (rc != VHDX_OK) return rc;
    while (len > 0) {
        uint64_t b = off / bs, in = off % bs;
        size_t n = bs - in < len ? (size_t)(bs - in) : len;
        uint64_t e;
        rc = img_block_entry(img, b, &e, diag);
        if (rc != VHDX_OK) break;
        if (fmt_bat_state(e) == VHDX_PB_FULLY_PRESENT) {
            /* R34: payload goes straight to its block, never through the log */
            rc = img_pwrite(img, fmt_bat_offset(e) + in, p, n, diag);
        } else {
            rc = img_write_unallocated(img, b, in, p, n, diag);
        }
        if (rc != VHDX_OK) break;
        p += n;
        off += n;
        len -= n;
    }
    return img_write_batch_end(img, rc, diag);
}

int vhdx_flush(vhdx_image *img, vhdx_diag *diag)
{
    if (!img) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    if (!img->writable) return VHDX_OK;
    return img_fflush(img, diag);
}

/* status of [off, off+n) as seen through the parent chain */
static int parent_status(vhdx_image *img, uint64_t off, uint64_t n, uint64_t *run, int *st,
                         vhdx_diag *diag)
{
    *run = n;
    if (img->parent && off < img->parent->geo.virtual_size) {
        uint64_t pn = img->parent->geo.virtual_size - off < n ? img->parent->geo.virtual_size - off : n;
        return vhdx_block_status(img->parent, off, pn, run, st, diag);
    }
    /* beyond the parent reads zeros; without the parent the data is unknown: report DATA
     * so a copy reads it (and fails) instead of leaving a silent hole */
    *st = img->parent ? VHDX_BLOCK_ZERO : VHDX_BLOCK_DATA;
    return VHDX_OK;
}

/* PARTIALLY_PRESENT block: sectors whose bitmap bit is set are DATA of this file, the
 * others are the parent's; returns the run of equal bits starting at off (bounded by n) */
static int partial_status(vhdx_image *img, uint64_t block, uint64_t off, uint64_t n,
                          uint64_t *run, int *st, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio, lss = img->geo.logical_sector_size;
    const uint64_t bs = img->geo.block_size;
    uint64_t sbe;
    int rc = img_bat_get(img, fmt_bat_sb_index(block / cr, cr), &sbe, diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_bat_state(sbe) != VHDX_SB_PRESENT) { /* R76; cannot pass open */
        *run = n;
        *st = VHDX_BLOCK_DATA;
        return VHDX_OK;
    }
    /* [MS-VHDX 2.5.1.2] block b's bits start at byte (b % CR) * (1 MiB / CR) */
    uint64_t bits = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    uint64_t in = off % bs, end = in + n;
    uint64_t s = in / lss, last = (end - 1) / lss;
    uint8_t bm[512];
    uint64_t have_first = UINT64_MAX; /* first bitmap byte index held in bm */
    int bit = -1;
    uint64_t t = s;
    while (t <= last) {
        uint64_t byte = t / 8;
        if (have_first == UINT64_MAX || byte < have_first || byte >= have_first + sizeof bm) {
            uint64_t want = last / 8 - byte + 1;
            if (want > sizeof bm) want = sizeof bm;
            rc = img_pread(img, bits + byte, bm, (size_t)want, diag);
            if (rc != VHDX_OK) return rc;
            have_first = byte;
        }
        int b = (bm[byte - have_first] >> (t % 8)) & 1;
        if (bit < 0) bit = b;
        else if (b != bit) break;
        t++;
    }
    uint64_t run_end = t * lss < end ? t * lss : end;
    uint64_t len = run_end - in;
    if (bit == 1) {
        *run = len;
        *st = VHDX_BLOCK_DATA;
        return VHDX_OK;
    }
    return parent_status(img, off, len, run, st, diag);
}

/* status of one block: VHDX_BLOCK_DATA / VHDX_BLOCK_ZERO, or a run from the parent */
static int block_status_one(vhdx_image *img, uint64_t off, uint64_t n, uint64_t *run, int *st,
                            vhdx_diag *diag)
{
    uint64_t e, b = off / img->geo.block_size;
    int rc = img_block_entry(img, b, &e, diag);
    if (rc != VHDX_OK) return rc;
    *run = n;
    switch (fmt_bat_state(e)) {
    case VHDX_PB_FULLY_PRESENT:
        *st = VHDX_BLOCK_DATA;
        return VHDX_OK;
    case VHDX_PB_PARTIALLY_PRESENT:
        return partial_status(img, b, off, n, run, st, diag);
    case VHDX_PB_ZERO:
        *st = VHDX_BLOCK_ZERO;
        return VHDX_OK;
    default:
        if (!img->geo.has_parent) {
            *st = VHDX_BLOCK_ZERO;
            return VHDX_OK;
        }
        return parent_status(img, off, n, run, st, diag);
    }
}

int vhdx_block_status(vhdx_image *img, uint64_t off, uint64_t len, uint64_t *len_out,
                      int *status, vhdx_diag *diag)
{
    if (!img || !len_out || !status || len == 0)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    int rc = img_check_range(img, off, len, diag);
    if (rc != VHDX_OK) return rc;
    const uint64_t bs = img->geo.block_size;
    uint64_t done = 0;
    int first = -1;
    while (done < len) {
        uint64_t pos = off + done;
        uint64_t n = bs - pos % bs;
        if (n > len - done) n = len - done;
        uint64_t run;
        int st;
        rc = block_status_one(img, pos, n, &run, &st, diag);
        if (rc != VHDX_OK) return rc;
        if (first < 0) first = st;
        else if (st != first) break;
        if (run == 0) return VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_NO_OFFSET, "block status");
        done += run; /* a run may end inside a block (bitmap, parent): continue from there */
    }
    *len_out = done;
    *status = first;
    return VHDX_OK;
}
