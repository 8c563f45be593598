/* SPDX-License-Identifier: Apache-2.0 */
/* image_discard.c - vhdx_discard: whole blocks give their space back (dynamic: UNMAPPED,
 * differencing: ZERO, both with FileOffsetMB 0, journaled in batches); partial blocks and
 * fixed images get zero bytes through vhdx_write_zeroes. Head, whole blocks and tail are
 * three steps; a crash between them leaves each block with its old or its new content. */
#include "image.h"

/* Whole blocks [b0, b1): the state that reads as zeros without holding space. */
static int discard_blocks(vhdx_image *img, uint64_t b0, uint64_t b1, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio;
    /* [MS-VHDX 2.5.1.1] UNMAPPED reads as zeros in a dynamic file; a differencing file
     * needs ZERO (R73) so that the parent's bytes stay hidden */
    const unsigned target = img->geo.has_parent ? VHDX_PB_ZERO : VHDX_PB_UNMAPPED;
    int rc = img_begin_modify(img, 1, diag);
    if (rc == VHDX_OK) rc = img_log_ensure(img, diag);
    if (rc == VHDX_OK) rc = img_write_batch_begin(img, diag);
    if (rc != VHDX_OK) return rc;
    for (uint64_t b = b0; rc == VHDX_OK && b < b1; b++) {
        uint64_t e;
        rc = img_block_entry(img, b, &e, diag);
        if (rc != VHDX_OK) break;
        unsigned st = fmt_bat_state(e);
        if (st == target && fmt_bat_offset(e) == 0) continue;
        if (!img->geo.has_parent && (st == VHDX_PB_NOT_PRESENT || st == VHDX_PB_ZERO)) continue;
        if (img_batch_room(img) < 2) rc = img_batch_commit(img, diag);
        if (rc == VHDX_OK) rc = img_batch_set_entry(img, fmt_bat_pb_index(b, cr), fmt_bat_make(target, 0), diag);
    }
    return img_write_batch_end(img, rc, diag);
}

int vhdx_discard(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag)
{
    if (!img) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    int rc = img_check_range(img, off, len, diag);
    if (rc != VHDX_OK || len == 0) return rc;
    /* [MS-VHDX 2.2] footnote <6>: a fixed file's blocks stay FULLY_PRESENT */
    if (img->geo.leave_allocated && !img->geo.has_parent) return vhdx_write_zeroes(img, off, len, diag);
    const uint64_t bs = img->geo.block_size, end = off + len;
    uint64_t a = vhdx_div_round_up(off, bs) * bs;
    /* the disk's last block counts as whole when the range reaches the end of the disk */
    uint64_t z = end == img->geo.virtual_size ? vhdx_div_round_up(end, bs) * bs : end / bs * bs;
    if (a >= z) return vhdx_write_zeroes(img, off, len, diag);
    if (off < a) rc = vhdx_write_zeroes(img, off, a - off, diag);
    if (rc == VHDX_OK) rc = discard_blocks(img, a / bs, z / bs, diag);
    if (rc == VHDX_OK && z < end) rc = vhdx_write_zeroes(img, z, end - z, diag);
    return rc;
}
