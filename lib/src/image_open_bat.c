/* SPDX-License-Identifier: Apache-2.0 */
/* image_open_bat.c - open step for the BAT (2.5): the region holds every entry (R66-R68),
 * then the entries are streamed from the file through the placement checks of
 * image_batplace.c with the regions and the log as fixed structures. */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

static int bat_read(void *ctx, uint64_t pos, uint8_t *buf, size_t len)
{
    img_open_state *os = ctx;
    return img_os_read(os, os->img->bat_offset + pos, buf, len, "BAT");
}

static void bat_progress(void *ctx, uint64_t done, uint64_t total)
{
    const img_open_hooks *h = ((img_open_state *)ctx)->hooks;
    h->progress(h->progress_ctx, done, total);
}

int img_step_bat(img_open_state *os)
{
    vhdx_image *img = os->img;
    const fmt_geometry *g = &img->geo;
    uint64_t need;
    /* [MS-VHDX 2.5] R66-R68: the region holds every required entry */
    if (!vhdx_mul_ok(g->bat_entries, 8, &need) || need > img->bat_length) {
        char d[160];
        snprintf(d, sizeof d, "%llu entries need %llu bytes, region is %u bytes",
                 (unsigned long long)g->bat_entries, (unsigned long long)g->bat_entries * 8u,
                 (unsigned)img->bat_length);
        return OS_STOP(os, VHDX_E_BAT_TOO_SMALL,
                       os->rt_base + RT_HEADER_SIZE + (uint64_t)os->bat_idx * RT_ENTRY_SIZE + RTE_OFF_LENGTH,
                       "region.Length", d);
    }
    /* fixed structures: every usable region (known or not) and the log */
    const fmt_region_table *rt = img->rt;
    img_span *fixed = vhdx_malloc(((size_t)rt->decoded + 1) * sizeof *fixed);
    if (!fixed) return OS_STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT", NULL);
    size_t nf = 0;
    for (uint32_t j = 0; j < rt->decoded; j++) {
        const fmt_region_entry *e = &rt->entries[j];
        if (!img_region_usable(e)) continue;
        fixed[nf].start = e->file_offset;
        fixed[nf].end = e->file_offset + e->length;
        nf++;
    }
    if (os->log_len) {
        fixed[nf].start = os->log_off;
        fixed[nf].end = os->log_off + os->log_len;
        nf++;
    }
    /* the sweep's records are bounded by the caller's BAT memory limit (floor 1024) */
    uint64_t lim = img->limits.max_bat_memory / IMG_BAT_RECORD_SIZE;
    if (lim < 1024) lim = 1024;
    if (lim > (uint64_t)SIZE_MAX / IMG_BAT_RECORD_SIZE) lim = (uint64_t)SIZE_MAX / IMG_BAT_RECORD_SIZE;
    img_bat_layout l = { g, img->file_size, img->bat_offset, fixed, nf, (size_t)lim };
    img_bat_reader rd = { bat_read, os, NULL, os };
    if (os->hooks && os->hooks->progress) rd.progress = bat_progress;
    int rc = img_bat_placement(&l, &rd, &os->sink, &img->counts);
    vhdx_free(fixed);
    return rc;
}
