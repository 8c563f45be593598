/* SPDX-License-Identifier: Apache-2.0 */
/* progress.c - progress bar on a terminal (progress.h). */
#include <stdio.h>
#include <unistd.h>

#include "progress.h"
#include "util.h"

void cli_progress_start(cli_progress *p, int asked, uint64_t total)
{
    p->on = asked && isatty(STDERR_FILENO);
    p->drawn = 0;
    p->total = total;
    p->t0 = cli_now();
    p->last = 0;
    p->label = NULL;
}

void cli_progress_update(cli_progress *p, uint64_t done)
{
    if (!p->on) return;
    double now = cli_now();
    if (p->drawn && now - p->last < 0.1 && done < p->total) return;
    p->last = now;
    p->drawn = 1;
    if (done > p->total) done = p->total;
    int pm = p->total ? (int)((done * 1000) / p->total) : 1000;
    char bar[31], hb[32], hr[32];
    for (int i = 0; i < 30; i++) bar[i] = i < pm * 30 / 1000 ? '#' : '.';
    bar[30] = 0;
    double el = now - p->t0;
    uint64_t rate = el > 0 ? (uint64_t)((double)done / el) : 0;
    fprintf(stderr, "\r%.40s%s[%s] %3d.%d%% %s %s/s\033[K", p->label ? p->label : "",
            p->label ? " " : "", bar, pm / 10, pm % 10,
            cli_human_size(done, hb, sizeof hb), cli_human_size(rate, hr, sizeof hr));
    fflush(stderr);
}

void cli_progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    cli_progress *p = ctx;
    p->total = total;
    cli_progress_update(p, done);
}

void cli_progress_end(cli_progress *p)
{
    if (p->drawn) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
    }
    p->drawn = 0;
}
