/* SPDX-License-Identifier: Apache-2.0 */
/* image_vread.c - virtual disk reads: payload blocks by BAT state, PARTIALLY_PRESENT blocks
 * through the sector bitmap (2.5.1.2), and the parent chain (a parent's reads recurse here). */
#include <stdlib.h>

#include "image.h"

/* BAT entry of payload block b */
int img_block_entry(vhdx_image *img, uint64_t b, uint64_t *e, vhdx_diag *diag)
{
    return img_bat_get(img, fmt_bat_pb_index(b, img->geo.chunk_ratio), e, diag);
}

int img_check_range(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag)
{
    if (!vhdx_range_ok(off, len, img->geo.virtual_size))
        return VHDX_FAIL(diag, VHDX_E_RANGE, off, NULL);
    return VHDX_OK;
}

int img_vread(vhdx_image *img, uint64_t off, void *buf, size_t len, vhdx_diag *diag)
{
    int rc = img_check_range(img, off, len, diag);
    if (rc != VHDX_OK) return rc;
    uint8_t *p = buf;
    const uint64_t bs = img->geo.block_size;
    const int diff = img->geo.has_parent;
    while (len > 0) {
        uint64_t b = off / bs, in = off % bs;
        size_t n = bs - in < len ? (size_t)(bs - in) : len;
        uint64_t e;
        rc = img_block_entry(img, b, &e, diag);
        if (rc != VHDX_OK) return rc;
        switch (fmt_bat_state(e)) {
        case VHDX_PB_FULLY_PRESENT:
            rc = img_pread(img, fmt_bat_offset(e) + in, p, n, diag);
            break;
        case VHDX_PB_PARTIALLY_PRESENT:
            rc = img_read_partial(img, b, in, p, n, diag);
            break;
        case VHDX_PB_ZERO:
            /* [MS-VHDX 2.5.1.1] R73: ZERO reads as zeros, also in a differencing file */
            memset(p, 0, n);
            break;
        case VHDX_PB_NOT_PRESENT:
        case VHDX_PB_UNDEFINED:
        case VHDX_PB_UNMAPPED:
            /* differencing: the parent's data; otherwise zeros. FileOffsetMB is never
             * followed for these states (stale host data must not leak, libvhdi #17) */
            if (diff) rc = img_parent_read(img, off, p, n, diag);
            else memset(p, 0, n);
            break;
        default:
            /* reserved states never pass open */
            rc = VHDX_FAIL(diag, VHDX_E_INTERNAL, img->bat_offset, "BAT.State");
            break;
        }
        if (rc != VHDX_OK) return rc;
        p += n;
        off += n;
        len -= n;
    }
    return VHDX_OK;
}

int img_parent_read(vhdx_image *img, uint64_t off, uint8_t *buf, size_t len, vhdx_diag *diag)
{
    vhdx_image *par = img->parent;
    uint64_t psize;
    size_t n = len;
    int rc;
    if (len == 0) return VHDX_OK;
    if (!par) return VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent");
    psize = par->geo.virtual_size;
    if (off >= psize) {
        memset(buf, 0, len);
        return VHDX_OK;
    }
    if (off + len > psize) n = (size_t)(psize - off);
    rc = img_vread(par, off, buf, n, diag);
    if (rc != VHDX_OK) return rc;
    if (n < len) memset(buf + n, 0, len - n);
    return VHDX_OK;
}

int img_read_partial(vhdx_image *img, uint64_t block, uint64_t off_in_block, uint8_t *buf,
                     size_t len, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio, lss = img->geo.logical_sector_size;
    uint64_t e, sbe, pos, end, s0, s1, bm_first, bm_len, sb_off, blk_off;
    uint8_t *bm;
    int rc;

    if (len == 0) return VHDX_OK;
    rc = img_bat_get(img, fmt_bat_pb_index(block, cr), &e, diag);
    if (rc != VHDX_OK) return rc;
    rc = img_bat_get(img, fmt_bat_sb_index(block / cr, cr), &sbe, diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_bat_state(sbe) != VHDX_SB_PRESENT) /* R76 */
        return VHDX_FAIL(diag, VHDX_E_BAT_PARTIAL_NO_SB, img->bat_offset + fmt_bat_sb_index(block / cr, cr) * 8,
                         "BAT sector bitmap entry");
    blk_off = fmt_bat_offset(e);
    /* [MS-VHDX 2.5.1.2] block b's bits start at byte (b % CR) * (1 MiB / CR) */
    sb_off = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    end = off_in_block + len;
    s0 = off_in_block / lss;
    s1 = (end - 1) / lss;
    bm_first = s0 / 8;
    bm_len = s1 / 8 - bm_first + 1;
    bm = vhdx_malloc((size_t)bm_len);
    if (!bm) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "sector bitmap");
    rc = img_pread(img, sb_off + bm_first, bm, (size_t)bm_len, diag);
    pos = off_in_block;
    while (rc == VHDX_OK && pos < end) {
        uint64_t s = pos / lss, run_end;
        int bit = (bm[s / 8 - bm_first] >> (s % 8)) & 1;
        uint64_t t = s + 1;
        while (t <= s1 && (((bm[t / 8 - bm_first] >> (t % 8)) & 1) == bit)) t++;
        run_end = t * lss;
        if (run_end > end) run_end = end;
        if (bit) /* sector present in this file */
            rc = img_pread(img, blk_off + pos, buf + (pos - off_in_block), (size_t)(run_end - pos), diag);
        else
            rc = img_parent_read(img, block * img->geo.block_size + pos, buf + (pos - off_in_block),
                                 (size_t)(run_end - pos), diag);
        pos = run_end;
    }
    vhdx_free(bm);
    return rc;
}
