/* SPDX-License-Identifier: Apache-2.0 */
/* io_mem.c - vhdx_io memory backend: a private, growable copy of the image bytes. */
#include <stdlib.h>

#include "internal.h"

typedef struct mem_ctx {
    uint8_t *data;
    size_t len;       /* logical size */
    size_t cap;       /* allocated bytes */
    uint64_t max;     /* largest size the backend may grow to */
} mem_ctx;

static int mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    mem_ctx *m = ctx;
    if (!vhdx_range_ok(off, len, m->len)) return VHDX_E_IO_EOF;
    if (len) memcpy(buf, m->data + off, len);
    return VHDX_OK;
}

/* Make the logical size `size` (zero-filling growth); bounded by m->max. */
static int mem_resize(mem_ctx *m, uint64_t size)
{
    if (size > m->max || size > (uint64_t)SIZE_MAX) return VHDX_E_IO;
    size_t want = (size_t)size;
    if (want > m->cap) {
        size_t ncap = m->cap ? m->cap : 4096;
        while (ncap < want) {
            if (ncap > SIZE_MAX / 2) { ncap = want; break; }
            ncap *= 2;
        }
        if ((uint64_t)ncap > m->max) ncap = (size_t)m->max;
        if (ncap < want) ncap = want;
        uint8_t *p = vhdx_realloc(m->data, ncap);
        if (!p) return VHDX_E_NOMEM;
        m->data = p;
        m->cap = ncap;
    }
    if (want > m->len) memset(m->data + m->len, 0, want - m->len);
    m->len = want;
    return VHDX_OK;
}

static int mem_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    mem_ctx *m = ctx;
    uint64_t end;
    if (!vhdx_add_ok(off, len, &end)) return VHDX_E_IO;
    if (end > m->len) {
        int rc = mem_resize(m, end);
        if (rc != VHDX_OK) return rc;
    }
    if (len) memcpy(m->data + off, buf, len);
    return VHDX_OK;
}

static int mem_get_size(void *ctx, uint64_t *size)
{
    mem_ctx *m = ctx;
    *size = m->len;
    return VHDX_OK;
}

static int mem_set_size(void *ctx, uint64_t size)
{
    return mem_resize(ctx, size);
}

static int mem_flush(void *ctx)
{
    (void)ctx;
    return VHDX_OK;
}

static void mem_destroy(void *ctx)
{
    mem_ctx *m = ctx;
    if (!m) return;
    vhdx_free(m->data);
    vhdx_free(m);
}

int(vhdx_io_mem_open)(vhdx_io *io, const void *data, size_t len, uint64_t max_size)
{
    if (!io || (!data && len)) return VHDX_E_MISUSE;
    vhdx_io full;
    memset(&full, 0, sizeof full);
    ABI_OUT(io, &full);
    if (max_size < len) max_size = len;
    mem_ctx *m = vhdx_calloc(1, sizeof *m);
    if (!m) return VHDX_E_NOMEM;
    m->max = max_size;
    if (len) {
        m->data = vhdx_malloc(len);
        if (!m->data) { vhdx_free(m); return VHDX_E_NOMEM; }
        memcpy(m->data, data, len);
        m->len = m->cap = len;
    }
    full.ctx = m;
    full.read_at = mem_read;
    full.write_at = mem_write;
    full.get_size = mem_get_size;
    full.set_size = mem_set_size;
    full.flush = mem_flush;
    full.destroy = mem_destroy;
    full.data_status = NULL; /* no hole information: every byte is data */
    ABI_OUT(io, &full);
    return VHDX_OK;
}

const uint8_t *vhdx_io_mem_data(const vhdx_io *io, size_t *len)
{
    if (!io || io->read_at != mem_read || !io->ctx) {
        if (len) *len = 0;
        return NULL;
    }
    const mem_ctx *m = io->ctx;
    if (len) *len = m->len;
    return m->data;
}
