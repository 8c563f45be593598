/* SPDX-License-Identifier: Apache-2.0 */
/* image_zero.c - vhdx_write_zeroes: whole blocks become PAYLOAD_BLOCK_ZERO without writing
 * data (journaled BAT updates, one batch); partial blocks and images that keep their blocks
 * allocated (LeaveBlockAllocated, fixed images) get zero bytes written. */
#include <stdlib.h>

#include "image.h"

#define ZERO_CHUNK (1024u * 1024u)

/* The zero source of zero_range for blocks not allocated yet (one write each, so that a
 * differencing block's allocation and sector bitmap update stay one): allocated at the
 * first such write, len bytes (no larger than the range); allocated blocks are written
 * from img_zeros. */
typedef struct zero_src {
    uint8_t *p;
    size_t len;
} zero_src;

static int zero_src_get(zero_src *z, vhdx_diag *diag)
{
    if (!z->p && !(z->p = vhdx_calloc(1, z->len)))
        return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "write zeroes");
    return VHDX_OK;
}

/* [off, off+n) inside one block written as zero bytes, unless it already reads as zeros */
static int zero_bytes(vhdx_image *img, zero_src *z, uint64_t off, uint64_t n, vhdx_diag *diag)
{
    const uint64_t bs = img->geo.block_size;
    while (n > 0) {
        uint64_t b = off / bs, e;
        size_t k = n < ZERO_CHUNK ? (size_t)n : ZERO_CHUNK;
        int rc = img_block_entry(img, b, &e, diag);
        if (rc != VHDX_OK) return rc;
        unsigned st = fmt_bat_state(e);
        if (st == VHDX_PB_FULLY_PRESENT) {
            /* in place: the same bytes from the library's zero block, no allocation */
            const uint64_t at = fmt_bat_offset(e) + off % bs;
            for (size_t i = 0; rc == VHDX_OK && i < k; i += IMG_ZEROS)
                rc = img_pwrite(img, at + i, img_zeros, k - i < IMG_ZEROS ? k - i : IMG_ZEROS, diag);
        } else if (st == VHDX_PB_PARTIALLY_PRESENT || (img->geo.has_parent && st != VHDX_PB_ZERO)) {
            /* differencing: the parent's bytes must not show through */
            rc = zero_src_get(z, diag);
            if (rc == VHDX_OK) rc = img_write_unallocated(img, b, off % bs, z->p, k, diag);
        }
        /* else: unallocated in a fixed/dynamic file, or ZERO: reads as zeros already */
        if (rc != VHDX_OK) return rc;
        off += k;
        n -= k;
    }
    return VHDX_OK;
}

static int zero_range(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag)
{
    const uint64_t bs = img->geo.block_size;
    /* the zero source: allocated when bytes are written, no larger than the range (a
     * small range gets a small buffer from the allocator's pools, not a fresh 1 MiB) */
    zero_src z = { NULL, len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK };
    int rc = VHDX_OK;
    while (rc == VHDX_OK && len > 0) {
        uint64_t in = off % bs, n = bs - in < len ? bs - in : len;
        /* [MS-VHDX 2.6.2.1] LeaveBlockAllocated (fixed): blocks stay allocated */
        int whole = in == 0 && (n == bs || off + n == img->geo.virtual_size);
        if (whole && !img->geo.leave_allocated) {
            rc = img_zero_block(img, off / bs, diag);
        } else {
            rc = zero_bytes(img, &z, off, n, diag);
        }
        off += n;
        len -= n;
    }
    vhdx_free(z.p);
    return rc;
}

int vhdx_write_zeroes(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag)
{
    if (!img) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    int rc = img_check_range(img, off, len, diag);
    if (rc != VHDX_OK || len == 0) return rc;
    /* [MS-VHDX 2.2.2] R13: new DataWriteGuid before the first user-visible change */
    rc = img_begin_modify(img, 1, diag);
    if (rc != VHDX_OK) return rc;
    rc = img_write_batch_begin(img, diag);
    if (rc != VHDX_OK) return rc;
    rc = zero_range(img, off, len, diag);
    return img_write_batch_end(img, rc, diag);
}
