/* image_write.c - block allocation (stub, replaced soon). */
#include "image.h"

int img_write_unallocated(vhdx_image *img, uint64_t block, uint64_t off_in_block,
                          const uint8_t *buf, size_t len, vhdx_diag *diag)
{
    (void)img; (void)block; (void)off_in_block; (void)buf; (void)len;
    return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, NULL);
}
