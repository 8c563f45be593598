/* SPDX-License-Identifier: Apache-2.0 */
/* bench_commit.h - the commit measurement of `vhdx bench`. */
#ifndef VHDX_CLI_BENCH_COMMIT_H
#define VHDX_CLI_BENCH_COMMIT_H

#include <stdint.h>

#include "json.h"

typedef struct commit_case {
    uint64_t parent_size, child_data, moved;
    double seconds;
    double cpu_seconds;           /* user + system time of the commit (what a loaded
                                     machine does not inflate) */
} commit_case;

typedef struct bench_commit {
    int ok;
    commit_case c[2];             /* the full child, and one with a quarter of its data */
} bench_commit;

/* Commits of a differencing child holding 1 GiB (--quick: 64 MiB) of 2 MiB blocks spread
 * over a 4 GiB (256 MiB) dynamic parent with data of its own, and of a child with a quarter
 * of that: the times show the work is proportional to the data moved. Files in dir,
 * removed. Returns a CLI exit code (errors printed). */
int bench_commit_run(const char *dir, int quick, bench_commit *out);
void bench_commit_text(const bench_commit *b);
void bench_commit_json(json_w *w, const bench_commit *b);

#endif
