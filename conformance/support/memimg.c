/* SPDX-License-Identifier: Apache-2.0 */
/* memimg.c - in-memory images for the conformance tests (memimg.h) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "memimg.h"

#define MEMIMG_MiB (1024u * 1024u)
#define MEMIMG_MAX (8ull << 30)

void memimg_create(vhdx_io *io, vhdx_disk_type type, uint64_t vs, const char *parent)
{
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.type = type;
    p.virtual_size = vs;
    p.block_size = MEMIMG_MiB;
    p.parent_path = parent;
    assert_int_equal(vhdx_io_mem_open(io, NULL, 0, MEMIMG_MAX), VHDX_OK);
    assert_int_equal(vhdx_create_io(io, &p, NULL), VHDX_OK);
}

uint8_t *memimg_copy(const vhdx_io *io, size_t *len)
{
    size_t n;
    const uint8_t *d = vhdx_io_mem_data(io, &n);
    assert_non_null(d);
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    memcpy(b, d, n);
    *len = n;
    return b;
}
