/* SPDX-License-Identifier: Apache-2.0 */
/* fz_memfile.c - memory-backed image file, segments and templates (see fz_memfile.h). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* ---- buffer pool ----
 * Large buffers are recycled instead of freed: under ASan every multi-MiB malloc/free is
 * an mmap/munmap plus page faults, which dominated the run time of the image harnesses.
 * The library never sees these buffers except through the I/O callbacks. */
#define FZ_POOL 8
static struct { uint8_t *p; size_t cap; } fz_pool[FZ_POOL];

static uint8_t *fz_pool_get(size_t want, size_t *cap)
{
    int best = -1;
    for (int i = 0; i < FZ_POOL; i++)
        if (fz_pool[i].p && fz_pool[i].cap >= want && (best < 0 || fz_pool[i].cap < fz_pool[best].cap))
            best = i;
    if (best >= 0) {
        uint8_t *p = fz_pool[best].p;
        *cap = fz_pool[best].cap;
        fz_pool[best].p = NULL;
        return p;
    }
    *cap = want;
    return malloc(want ? want : 1);
}

static void fz_pool_put(uint8_t *p, size_t cap)
{
    if (!p) return;
    if (cap >= 256 * 1024) {
        int slot = -1;
        for (int i = 0; i < FZ_POOL; i++) {
            if (!fz_pool[i].p) { slot = i; break; }
            if (slot < 0 || fz_pool[i].cap < fz_pool[slot].cap) slot = i;
        }
        if (!fz_pool[slot].p || fz_pool[slot].cap < cap) {
            free(fz_pool[slot].p);
            fz_pool[slot].p = p;
            fz_pool[slot].cap = cap;
            return;
        }
    }
    free(p);
}

void *fz_big_alloc(size_t n)
{
    size_t cap;
    uint8_t *p = fz_pool_get(n + 16, &cap);
    if (!p) return NULL;
    vhdx_put64(p, cap);
    return p + 16;
}

void fz_big_free(void *p)
{
    if (!p) return;
    uint8_t *b = (uint8_t *)p - 16;
    fz_pool_put(b, (size_t)vhdx_le64(b));
}

/* ---- memory file ---- */

void fz_file_init(fz_file *f, uint64_t max_size)
{
    memset(f, 0, sizeof *f);
    f->max_size = max_size;
}

void fz_file_free(fz_file *f)
{
    fz_pool_put(f->data, f->cap);
    f->data = NULL;
    f->len = f->cap = 0;
    f->size = 0;
}

int fz_file_ensure(fz_file *f, uint64_t end)
{
    if (end <= f->len) return 0;
    if (end > f->max_size || end > SIZE_MAX / 2) return -1;
    if (end > f->cap) {
        size_t cap = f->cap ? f->cap : 65536;
        while (cap < end) cap *= 2;
        if (cap > f->max_size) cap = (size_t)f->max_size;
        size_t got;
        uint8_t *d = fz_pool_get(cap, &got);
        if (!d) return -1;
        if (f->len) memcpy(d, f->data, f->len);
        fz_pool_put(f->data, f->cap);
        cap = got;
        f->data = d;
        f->cap = cap;
    }
    memset(f->data + f->len, 0, (size_t)end - f->len);
    f->len = (size_t)end;
    if (f->size < end) f->size = end;
    return 0;
}

int fz_file_put(fz_file *f, uint64_t off, const void *buf, size_t n)
{
    uint64_t end;
    if (!vhdx_add_ok(off, n, &end) || fz_file_ensure(f, end) != 0) return -1;
    if (n) memcpy(f->data + off, buf, n);
    return 0;
}

void fz_file_set_size(fz_file *f, uint64_t size)
{
    f->size = size;
    if (f->len > size) f->len = (size_t)size;
}

uint8_t fz_file_byte(const fz_file *f, uint64_t off)
{
    return off < f->len ? f->data[off] : 0;
}

void fz_file_read(const fz_file *f, uint64_t off, uint8_t *buf, size_t n)
{
    size_t have = 0;
    if (off < f->len) {
        have = f->len - (size_t)off;
        if (have > n) have = n;
        memcpy(buf, f->data + off, have);
    }
    memset(buf + have, 0, n - have);
}

static int fz_io_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    fz_file *f = ctx;
    if (!vhdx_range_ok(off, len, f->size)) return VHDX_E_IO_EOF;
    fz_file_read(f, off, buf, len);
    return VHDX_OK;
}

static int fz_io_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    fz_file *f = ctx;
    f->writes++;
    if (f->readonly) return VHDX_E_IO;
    if (fz_file_put(f, off, buf, len) != 0) return VHDX_E_IO;
    return VHDX_OK;
}

static int fz_io_get_size(void *ctx, uint64_t *size)
{
    *size = ((fz_file *)ctx)->size;
    return VHDX_OK;
}

static int fz_io_set_size(void *ctx, uint64_t size)
{
    fz_file *f = ctx;
    if (f->readonly) { f->writes++; return VHDX_E_IO; }
    if (size > f->max_size) return VHDX_E_IO;
    fz_file_set_size(f, size);
    return VHDX_OK;
}

static int fz_io_flush(void *ctx)
{
    fz_file *f = ctx;
    f->flushes++;
    return VHDX_OK;
}

void fz_file_io(vhdx_io *io, fz_file *f)
{
    memset(io, 0, sizeof *io);
    io->ctx = f;
    io->read_at = fz_io_read;
    io->write_at = fz_io_write;
    io->get_size = fz_io_get_size;
    io->set_size = fz_io_set_size;
    io->flush = fz_io_flush;
    io->destroy = NULL;
    io->data_status = NULL;
}

int fz_file_create(fz_file *f, uint64_t max_size, const vhdx_create_params *p)
{
    vhdx_io io;
    fz_file_init(f, max_size);
    fz_file_io(&io, f);
    int rc = vhdx_create_io(&io, p, NULL);
    if (rc != VHDX_OK) fz_file_free(f);
    return rc;
}

/* ---- compact image input ---- */

void fz_image_from_segments(fz_file *f, const uint8_t *p, size_t n, unsigned extra_mib)
{
    fz_in in = { p, n };
    uint64_t end = 0;
    while (in.n >= 6) {
        uint64_t off = fz_u32(&in) % FZ_IMAGE_MAX;
        size_t got;
        const uint8_t *seg = fz_take(&in, fz_u16(&in), &got);
        if (off + got > FZ_IMAGE_MAX) got = (size_t)(FZ_IMAGE_MAX - off);
        if (fz_file_put(f, off, seg, got) != 0) break;
        if (off + got > end) end = off + got;
    }
    uint64_t size = (end + MiB - 1) / MiB * MiB + (uint64_t)extra_mib * MiB;
    if (size > FZ_IMAGE_MAX) size = FZ_IMAGE_MAX;
    if (size < f->len) size = f->len;
    f->size = size;
}

uint8_t *fz_image_to_segments(const fz_file *f, const uint8_t *prefix, size_t prefix_len,
                              size_t *out_len)
{
    size_t cap = prefix_len + 4096, n = prefix_len;
    uint8_t *out = malloc(cap);
    if (!out) return NULL;
    memcpy(out, prefix, prefix_len);
    size_t len = f->len;
    size_t i = 0;
    while (i < len) {
        if (f->data[i] == 0) { i++; continue; }
        /* segment [i, j): extend while the next zero run is shorter than 32 bytes */
        size_t j = i, end = i;
        while (j < len && j - i < 65535) {
            if (f->data[j] != 0) end = j + 1;
            else if (j - end + 1 >= 32) break;
            j++;
        }
        j = end;
        size_t seg = j - i;
        if (n + 6 + seg > cap) {
            while (n + 6 + seg > cap) cap *= 2;
            uint8_t *o = realloc(out, cap);
            if (!o) { free(out); return NULL; }
            out = o;
        }
        vhdx_put32(out + n, (uint32_t)i);
        vhdx_put16(out + n + 4, (uint16_t)seg);
        memcpy(out + n + 6, f->data + i, seg);
        n += 6 + seg;
        i = j;
    }
    *out_len = n;
    return out;
}

/* ---- template images ---- */

static fz_file fz_templates[2];
static int fz_template_state[2]; /* 0 untried, 1 ok, -1 failed */

const fz_file *fz_template(unsigned kind)
{
    if (kind > 1) return NULL;
    if (fz_template_state[kind] == 0) {
        fz_guid_state gs;
        vhdx_create_params p;
        vhdx_create_params_default(&p);
        p.guid_gen = fz_guid_gen(&gs, 0x5EED0000u + kind);
        p.block_size = (uint32_t)MiB;
        p.log_size = (uint32_t)MiB;
        p.creator = "libvhdx fuzz";
        if (kind == 0) {
            p.type = VHDX_TYPE_DYNAMIC;
            p.virtual_size = 8 * MiB;
            p.logical_sector_size = 512;
            p.physical_sector_size = 4096;
        } else {
            p.type = VHDX_TYPE_FIXED;
            p.virtual_size = 4 * MiB;
            p.logical_sector_size = 4096;
            p.physical_sector_size = 4096;
        }
        int rc = fz_file_create(&fz_templates[kind], 32 * MiB, &p);
        fz_template_state[kind] = rc == VHDX_OK ? 1 : -1;
    }
    return fz_template_state[kind] == 1 ? &fz_templates[kind] : NULL;
}
