/* SPDX-License-Identifier: Apache-2.0 */
/*
 * uuid_stub.c - replaces libuuid in engine builds (oss-fuzz/build.sh), so fuzz targets do
 * not link the uninstrumented system libuuid, whose output MSan reports as uninitialised
 * (TOOLCHAIN.md trap 3). The harnesses always pass a deterministic generator; reaching
 * the default generator is a harness bug, so this aborts.
 */
#include <stdio.h>
#include <stdlib.h>

typedef unsigned char fz_uuid_t[16];
void uuid_generate_random(fz_uuid_t out);

void uuid_generate_random(fz_uuid_t out)
{
    (void)out;
    fputs("uuid_stub: libuuid generator reached from a fuzz target\n", stderr);
    abort();
}
