/* SPDX-License-Identifier: Apache-2.0 */
/* bench_maint.h - the compact case of `vhdx bench`. */
#ifndef VHDX_CLI_BENCH_MAINT_H
#define VHDX_CLI_BENCH_MAINT_H

#include <stdint.h>

typedef struct compact_result {
    uint64_t virtual_size;        /* the dynamic image (32 MiB blocks) */
    unsigned free_every;          /* every free_every-th block discarded before compact */
    double seconds;               /* vhdx_compact (and close), wall clock */
    uint64_t blocks_moved, bytes_moved, file_before, file_after;
    int rc;
} compact_result;

/* Creates at path a dynamic image of r->virtual_size bytes full of data, discards every
 * r->free_every-th block, then times vhdx_compact; checks the content of the moved blocks
 * after it. The file is removed. Returns a CLI exit code (errors printed). */
int bench_compact(const char *path, compact_result *r);

#endif
