/* SPDX-License-Identifier: Apache-2.0 */
/* image_read.c - virtual disk I/O: reads, writes into allocated blocks, flush. */
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
