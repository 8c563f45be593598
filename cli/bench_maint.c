/* SPDX-License-Identifier: Apache-2.0 */
/* bench_maint.c - `vhdx bench`: compact of a dynamic image with blocks freed; the time
 * should follow the bytes moved (one pass over the BAT besides). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_maint.h"
#include "util.h"

#define BM_BLOCK (32u * 1024u * 1024u)
#define BM_CHUNK (4u * 1024u * 1024u)

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* chunk c of the disk: its index in every 8-byte word */
static void pattern(uint8_t *b, uint64_t c)
{
    for (size_t i = 0; i < BM_CHUNK; i += 8) memcpy(b + i, &c, 8);
}

static int fill_and_free(const char *path, compact_result *r, uint8_t *buf)
{
    vhdx_create_params p;
    vhdx_open_opts o;
    vhdx_image *img;
    vhdx_create_params_default(&p);
    p.virtual_size = r->virtual_size;
    p.block_size = BM_BLOCK;
    int rc = vhdx_create(path, &p, NULL);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    if (rc == VHDX_OK) rc = vhdx_open_file(&img, path, &o, NULL);
    if (rc != VHDX_OK) return rc;
    for (uint64_t off = 0; rc == VHDX_OK && off < r->virtual_size; off += BM_CHUNK) {
        pattern(buf, off / BM_CHUNK);
        rc = vhdx_write(img, off, buf, BM_CHUNK, NULL);
    }
    for (uint64_t b = 0; rc == VHDX_OK && b < r->virtual_size / BM_BLOCK; b += r->free_every)
        rc = vhdx_discard(img, b * BM_BLOCK, BM_BLOCK, NULL);
    int crc = vhdx_close(img);
    return rc != VHDX_OK ? rc : crc;
}

static int verify(const char *path, const compact_result *r, uint8_t *buf, uint8_t *want)
{
    vhdx_image *img;
    int rc = vhdx_open_file(&img, path, NULL, NULL);
    if (rc != VHDX_OK) return rc;
    for (uint64_t off = 0; rc == VHDX_OK && off < r->virtual_size; off += BM_CHUNK) {
        rc = vhdx_read(img, off, buf, BM_CHUNK, NULL);
        if ((off / BM_BLOCK) % r->free_every == 0) memset(want, 0, BM_CHUNK);
        else pattern(want, off / BM_CHUNK);
        if (rc == VHDX_OK && memcmp(buf, want, BM_CHUNK) != 0) rc = VHDX_E_INTERNAL;
    }
    (void)vhdx_close(img);
    return rc;
}

int bench_compact(const char *path, compact_result *r)
{
    uint8_t *buf = malloc(BM_CHUNK), *want = malloc(BM_CHUNK);
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_compact_stats st;
    int rc = buf && want ? fill_and_free(path, r, buf) : VHDX_E_NOMEM;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    memset(&st, 0, sizeof st);
    double t0 = now_s();
    if (rc == VHDX_OK) rc = vhdx_open_file(&img, path, &o, NULL);
    if (rc == VHDX_OK) {
        rc = vhdx_compact(img, 0, &st, NULL);
        int crc = vhdx_close(img);
        if (rc == VHDX_OK) rc = crc;
    }
    r->seconds = now_s() - t0;
    r->blocks_moved = st.blocks_moved;
    r->bytes_moved = st.bytes_moved;
    r->file_before = st.file_size_before;
    r->file_after = st.file_size_after;
    if (rc == VHDX_OK) rc = verify(path, r, buf, want);
    r->rc = rc;
    free(buf);
    free(want);
    unlink(path);
    if (rc != VHDX_OK) return cli_fail(path, rc, NULL);
    return CLI_EXIT_OK;
}
