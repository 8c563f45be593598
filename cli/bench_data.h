/* SPDX-License-Identifier: Apache-2.0 */
/* bench_data.h - the data movement cases of `vhdx bench` (convert, compare), each run as a
 * child process next to qemu-img doing the same work: wall time, ratio, peak RSS. */
#ifndef VHDX_CLI_BENCH_DATA_H
#define VHDX_CLI_BENCH_DATA_H

#include <stdint.h>

#include "json.h"

#define BENCH_DATA_CASES 6
#define BENCH_DATA_REPS 15         /* most runs of one case */

typedef struct bench_case {
    const char *name, *what;
    int reps;                      /* runs of each tool (alternating) */
    double ours_s, theirs_s;       /* median wall seconds; theirs 0 when qemu-img did not run */
    double ours_cpu, theirs_cpu;   /* median CPU seconds (user + system) */
    double ratio;                  /* median over the runs of qemu-img time / our time */
    double floor_s;                /* median wall of `cp` copying the same source (0: none) */
    long ours_rss_kib;             /* highest peak RSS of our process */
    int ours_ok, theirs_ok;
    uint64_t out_bytes;            /* allocated bytes of our output (0 when none) */
    double target;                 /* ratio qemu-img time / our time asked for */
} bench_case;

typedef struct bench_data {
    bench_case c[BENCH_DATA_CASES];
    int n;
    double load[2];                /* 1-minute load average before and after */
} bench_data;

/* Runs argv with stdin, stdout and stderr on /dev/null; its exit status or -1; wall seconds
 * and peak RSS (KiB) of the child when secs / rss are not NULL. */
int bench_spawn(char *const argv[], double *secs, long *rss);
/* Runs every case in folder dir (files removed after each), or only the case named only
 * (not NULL). quick: 64 MiB instead of 1 GiB, 256 MiB instead of 4 GiB, 1 GiB instead of
 * 64 GiB, one run of each tool. Returns an exit code. */
int bench_data_run(const char *dir, int quick, const char *qemu_img, const char *only,
                   bench_data *out);
/* 1 when name is a data movement case ("vhdx_to_raw", ...) */
int bench_data_case_known(const char *name);
void bench_data_text(const bench_data *d);
void bench_data_json(json_w *w, const bench_data *d);

#endif
