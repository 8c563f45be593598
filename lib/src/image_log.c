/* image_log.c - log replay and journaled metadata updates (stub, replaced soon). */
#include "image.h"

int img_log_open(vhdx_image *img, vhdx_diag *diag)
{
    if (vhdx_guid_is_zero(&img->hdr[img->cur].log_guid)) return VHDX_OK;
    return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, "log");
}

void img_log_overlay_apply(const vhdx_image *img, uint64_t off, uint8_t *buf, size_t len)
{
    (void)img; (void)off; (void)buf; (void)len;
}

void img_log_close(vhdx_image *img) { (void)img; }

int img_log_write(vhdx_image *img, const img_meta_sector *sectors, size_t n, vhdx_diag *diag)
{
    (void)img; (void)sectors; (void)n;
    return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, "log");
}

int vhdx_replay_file(const char *path, uint64_t *replayed, vhdx_diag *diag)
{
    (void)path;
    if (replayed) *replayed = 0;
    return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, NULL);
}
