/* image_create.c - create new images (stub, replaced soon). */
#include <string.h>
#include "image.h"

void vhdx_create_params_default(vhdx_create_params *p)
{
    if (p) memset(p, 0, sizeof(*p));
}

int vhdx_create(const char *path, const vhdx_create_params *p, vhdx_diag *diag)
{
    (void)path; (void)p;
    return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, NULL);
}

int vhdx_create_io(vhdx_io *io, const vhdx_create_params *p, vhdx_diag *diag)
{
    (void)io; (void)p;
    return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, NULL);
}
