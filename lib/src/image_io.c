/* SPDX-License-Identifier: Apache-2.0 */
/* image_io.c - the file accessors every image file uses: reads (with the read-only replay
 * overlay patched over the backend's bytes), writes that track the file size, flush. */
#include <errno.h>
#include <stdio.h>

#include "image.h"

int img_pread(vhdx_image *img, uint64_t off, void *buf, size_t len, vhdx_diag *diag)
{
    if (len == 0) return VHDX_OK;
    if (!vhdx_range_ok(off, len, img->file_size))
        return VHDX_FAIL(diag, VHDX_E_IO_EOF, off, NULL);
    /* under a read-only replay overlay the logical file may be longer than the backend:
     * bytes past the backend's end read as zeros before the overlay is applied */
    uint64_t backend = img_log_backend_size(img);
    size_t n = len;
    if (off >= backend) n = 0;
    else if (backend - off < len) n = (size_t)(backend - off);
    if (n) {
        errno = 0;
        int rc = img->io->read_at(img->io->ctx, off, buf, n);
        if (rc != VHDX_OK) return img_io_fail(diag, rc, off, NULL, errno);
    }
    if (n < len) memset((uint8_t *)buf + n, 0, len - n);
    img_overlay_apply(img, off, buf, len);
    return VHDX_OK;
}

int img_pwrite(vhdx_image *img, uint64_t off, const void *buf, size_t len, vhdx_diag *diag)
{
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, off, NULL);
    if (len == 0) return VHDX_OK;
    uint64_t end;
    if (!vhdx_add_ok(off, len, &end)) return VHDX_FAIL(diag, VHDX_E_IO, off, NULL);
    errno = 0;
    int rc = img->io->write_at(img->io->ctx, off, buf, len);
    if (rc != VHDX_OK) return img_io_fail(diag, rc, off, NULL, errno);
    if (end > img->file_size) img->file_size = end;
    return VHDX_OK;
}

int img_fflush(vhdx_image *img, vhdx_diag *diag)
{
    if (!img->io->flush) return VHDX_OK;
    errno = 0;
    int rc = img->io->flush(img->io->ctx);
    if (rc != VHDX_OK) return img_io_fail(diag, rc, VHDX_NO_OFFSET, "flush", errno);
    return VHDX_OK;
}

int img_set_size(vhdx_image *img, uint64_t size, const char *field, vhdx_diag *diag)
{
    if (!img->io->set_size) return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, size, field);
    errno = 0;
    int rc = img->io->set_size(img->io->ctx, size);
    if (rc != VHDX_OK) return img_io_fail(diag, rc, size, field, errno);
    img->file_size = size;
    return VHDX_OK;
}

int img_io_fail_at(vhdx_diag *diag, int rc, uint64_t off, const char *field, int e,
                   const char *src_file, int src_line)
{
    vhdx_diag_set(diag, rc, off, field, src_file, src_line);
    return vhdx_diag_set_errno(diag, rc, e);
}

const uint8_t img_zeros[IMG_ZEROS];

/* libvhdx allocates no space ending past 4 PiB (BAT FileOffsetMB reaches 2^64, 2.5.1). */
#define IMG_MAX_ALLOC_END ((uint64_t)1 << 52)

/* New zeroed space of `size` bytes at the end of the file, 1 MiB aligned. A file already
 * near the limit (a log's LastFileOffset extends it that far, R65) is a limit of this
 * implementation, not a caller's range error: VHDX_E_LIMIT_FILE_SIZE. */
int img_alloc_space(vhdx_image *img, uint64_t size, uint64_t *off, vhdx_diag *diag)
{
    uint64_t start = vhdx_div_round_up(img->file_size, MiB) * MiB, end;
    int rc;
    if (!vhdx_add_ok(start, size, &end) || end > IMG_MAX_ALLOC_END) {
        rc = VHDX_FAIL(diag, VHDX_E_LIMIT_FILE_SIZE, start, "allocation");
        if (diag && diag->code == rc)
            snprintf(diag->detail, sizeof diag->detail, "libvhdx grows no file past %llu bytes",
                     (unsigned long long)IMG_MAX_ALLOC_END);
        return rc;
    }
    if (img->io->set_size) {
        rc = img_set_size(img, end, "allocation", diag);
        if (rc != VHDX_OK) return rc;
    } else {
        uint64_t p = img->file_size;
        while (p < end) {
            size_t n = end - p > IMG_ZEROS ? IMG_ZEROS : (size_t)(end - p);
            rc = img_pwrite(img, p, img_zeros, n, diag);
            if (rc != VHDX_OK) return rc;
            p += n;
        }
    }
    *off = start;
    return VHDX_OK;
}
