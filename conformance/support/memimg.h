/* SPDX-License-Identifier: Apache-2.0 */
/*
 * memimg.h - in-memory images for the conformance tests (setup shared by test_maint.c,
 * test_maint_crash.c and test_crash.c). Failures are cmocka assertions.
 */
#ifndef VHDX_TEST_MEMIMG_H
#define VHDX_TEST_MEMIMG_H

#include <stddef.h>
#include <stdint.h>

#include "vhdx.h"

/* io: a new memory backend (up to 8 GiB) holding a created image of `type`, virtual size
 * vs (0 for a child: the parent's), 1 MiB blocks, over `parent` (NULL: none) */
void memimg_create(vhdx_io *io, vhdx_disk_type type, uint64_t vs, const char *parent);

/* a malloc'd copy of a memory backend's bytes; *len their count */
uint8_t *memimg_copy(const vhdx_io *io, size_t *len);

#endif
