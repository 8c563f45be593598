/* SPDX-License-Identifier: Apache-2.0 */
/* version.c - vhdx_version(): the library's version at run time (see vhdx.h). */
#include "vhdx.h"

const char *vhdx_version(void)
{
    return VHDX_VERSION_STRING;
}

int vhdx_version_number(void)
{
    return VHDX_VERSION_NUMBER;
}
