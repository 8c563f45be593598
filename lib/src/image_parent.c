/* image_parent.c - differencing chains (stub, replaced soon). */
#include "image.h"

int img_parent_open(vhdx_image *img, vhdx_diag *diag)
{
    if (!img->geo.has_parent) return VHDX_OK;
    if (img->flags & VHDX_OPEN_NO_PARENT) return VHDX_OK;
    return VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, NULL);
}

int img_read_partial(vhdx_image *img, uint64_t block, uint64_t off_in_block, uint8_t *buf,
                     size_t len, vhdx_diag *diag)
{
    (void)img; (void)block; (void)off_in_block; (void)buf; (void)len;
    return VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, NULL);
}
