/* SPDX-License-Identifier: Apache-2.0 */
/* progress.h - the progress bar of convert, write and check (-p): percent, bytes and rate
 * on stderr, redrawn at most ten times a second, and only when stderr is a terminal. */
#ifndef VHDX_CLI_PROGRESS_H
#define VHDX_CLI_PROGRESS_H

#include <stdint.h>

typedef struct cli_progress {
    int on;              /* asked for and stderr is a terminal */
    int drawn;
    uint64_t total;
    double t0, last;
    const char *label;   /* drawn before the bar (e.g. the image name), or NULL */
} cli_progress;

void cli_progress_start(cli_progress *p, int asked, uint64_t total);
void cli_progress_update(cli_progress *p, uint64_t done);
/* A library progress callback (ctx: the cli_progress; total taken from the call). */
void cli_progress_cb(void *ctx, uint64_t done, uint64_t total);
/* Erases the bar. */
void cli_progress_end(cli_progress *p);

#endif
