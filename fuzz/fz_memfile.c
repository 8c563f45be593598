/* SPDX-License-Identifier: Apache-2.0 */
/* fz_memfile.c - memory-backed image file, segments and templates (see fz_memfile.h). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_common.h"

FZ_NO_COVERAGE_BEGIN

/* ---- buffer pool ----
 * Large buffers are recycled instead of freed: under ASan every multi-MiB malloc/free is
 * an mmap/munmap plus page faults, which dominated the run time of the image harnesses.
 * The library never sees these buffers except through the I/O callbacks. */
#define FZ_POOL 8
#define FZ_POOL_MIN ((size_t)256 * 1024) /* smaller buffers are plain malloc/free */
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
    if (cap >= FZ_POOL_MIN) {
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
    size_t cap, want = n + 16;
    /* power-of-two classes from 256 KiB: a freed buffer fits the next request of its
     * class, so the pool holds at most what was live at once per class (best fit over
     * exact sizes kept adding near-miss buffers: ~75 MB resident in fuzz_roundtrip). Only
     * the bytes used are touched. */
    if (want >= FZ_POOL_MIN && want <= SIZE_MAX / 4)
        while (want & (want - 1)) want = (want | (want - 1)) + 1;
    uint8_t *p = fz_pool_get(want, &cap);
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

/* ---- memory file ----
 * The bytes live in an anonymous mapping of max_size bytes (reserved, not touched), so a
 * file never grows by copying and its zeros cost nothing. Every 64 KiB page the file has
 * written to is marked dirty; invariant: bytes outside dirty pages, and bytes at or beyond
 * len, are zero. Copies, file saves and the clean-up before a mapping goes back to the
 * pool visit only dirty pages: an 8-64 MiB image with a few KiB of content costs a few
 * KiB per input, not a multi-MiB memset + memcpy (which dominated fuzz_open and fuzz_log). */
#define FZ_PAGE_SHIFT 16
#define FZ_PAGE ((size_t)1 << FZ_PAGE_SHIFT)
#define FZ_MAPS 6
static struct { uint8_t *p, *dirty; size_t cap, zeroed; } fz_maps[FZ_MAPS];
/* Bytes a mapping may zero in place (they stay resident) before it is handed back to the
 * kernel whole: the resident set of a pooled mapping stays bounded instead of growing
 * with every offset ever written. */
#define FZ_MAP_ZEROED_MAX ((size_t)16 << 20)

static size_t fz_npages(size_t cap) { return (cap + FZ_PAGE - 1) >> FZ_PAGE_SHIFT; }

/* Zeroes the dirty pages of [p, p+cap) and clears their marks. Runs of 1 MiB or more go
 * back to the kernel (MADV_DONTNEED reads back as zeros), so the resident set stays near
 * what one input touches instead of growing with every offset the fuzzer ever wrote. */
static size_t fz_map_clean(uint8_t *p, uint8_t *dirty, size_t cap)
{
    size_t np = fz_npages(cap), zeroed = 0;
    for (size_t i = 0; i < np;) {
        if (!dirty[i]) { i++; continue; }
        size_t j = i;
        while (j < np && dirty[j]) dirty[j++] = 0;
        size_t a = i << FZ_PAGE_SHIFT, b = j << FZ_PAGE_SHIFT;
        if (b > cap) b = cap;
        if (b - a >= MiB && madvise(p + a, (b - a) & ~(size_t)4095, MADV_DONTNEED) == 0) {
            memset(p + a + ((b - a) & ~(size_t)4095), 0, (b - a) & 4095);
        } else {
            memset(p + a, 0, b - a);
            zeroed += b - a;
        }
        i = j;
    }
    return zeroed;
}

static int fz_map_get(fz_file *f, size_t want)
{
    int best = -1;
    for (int i = 0; i < FZ_MAPS; i++)
        if (fz_maps[i].p && fz_maps[i].cap >= want && (best < 0 || fz_maps[i].cap < fz_maps[best].cap))
            best = i;
    if (best >= 0) {
        f->data = fz_maps[best].p;
        f->dirty = fz_maps[best].dirty;
        f->cap = fz_maps[best].cap;
        f->zeroed = fz_maps[best].zeroed;
        fz_maps[best].p = NULL;
        return 0;
    }
    size_t cap = (want + FZ_PAGE - 1) & ~(FZ_PAGE - 1);
    void *m = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    uint8_t *dirty = calloc(fz_npages(cap), 1);
    if (m == MAP_FAILED || !dirty) {
        if (m != MAP_FAILED) munmap(m, cap);
        free(dirty);
        return -1;
    }
    f->data = m;
    f->dirty = dirty;
    f->cap = cap;
    f->zeroed = 0;
    return 0;
}

static void fz_map_put(uint8_t *p, uint8_t *dirty, size_t cap, size_t zeroed)
{
    zeroed += fz_map_clean(p, dirty, cap);
    if (zeroed > FZ_MAP_ZEROED_MAX) { /* all zero now: give every page back */
        (void)madvise(p, cap & ~(size_t)4095, MADV_DONTNEED);
        zeroed = 0;
    }
    int slot = -1;
    for (int i = 0; i < FZ_MAPS; i++) {
        if (!fz_maps[i].p) { slot = i; break; }
        if (slot < 0 || fz_maps[i].cap < fz_maps[slot].cap) slot = i;
    }
    if (fz_maps[slot].p) {
        if (fz_maps[slot].cap >= cap) { munmap(p, cap); free(dirty); return; }
        munmap(fz_maps[slot].p, fz_maps[slot].cap);
        free(fz_maps[slot].dirty);
    }
    fz_maps[slot].p = p;
    fz_maps[slot].dirty = dirty;
    fz_maps[slot].cap = cap;
    fz_maps[slot].zeroed = zeroed;
}

void fz_file_init(fz_file *f, uint64_t max_size)
{
    memset(f, 0, sizeof *f);
    f->max_size = max_size;
}

void fz_file_free(fz_file *f)
{
    if (f->data) fz_map_put(f->data, f->dirty, f->cap, f->zeroed);
    f->data = NULL;
    f->dirty = NULL;
    f->len = f->cap = 0;
    f->size = 0;
}

int fz_file_ensure(fz_file *f, uint64_t end)
{
    if (end <= f->len) return 0;
    if (end > f->max_size || end > SIZE_MAX / 2) return -1;
    if (!f->data && fz_map_get(f, (size_t)f->max_size) != 0) return -1;
    f->len = (size_t)end; /* [old len, end) is zero by the invariant */
    if (f->size < end) f->size = end;
    return 0;
}

int fz_file_put(fz_file *f, uint64_t off, const void *buf, size_t n)
{
    uint64_t end;
    if (!vhdx_add_ok(off, n, &end) || fz_file_ensure(f, end) != 0) return -1;
    /* page by page; zeros bound for a clean page are already there (a fixed disk's
     * create writes its whole payload as zeros; vhdx_all_zero is libc's memcmp, not an
     * instrumented loop) */
    const uint8_t *b = buf;
    while (n) {
        size_t pg = (size_t)(off >> FZ_PAGE_SHIFT), k = FZ_PAGE - (size_t)(off & (FZ_PAGE - 1));
        if (k > n) k = n;
        if (f->dirty[pg] || !vhdx_all_zero(b, k)) {
            memcpy(f->data + off, b, k);
            f->dirty[pg] = 1;
        }
        off += k;
        b += k;
        n -= k;
    }
    return 0;
}

int fz_file_zero(fz_file *f, uint64_t off, size_t n)
{
    uint64_t end;
    if (!vhdx_add_ok(off, n, &end) || fz_file_ensure(f, end) != 0) return -1;
    for (size_t i = (size_t)(off >> FZ_PAGE_SHIFT); n && i <= (size_t)((end - 1) >> FZ_PAGE_SHIFT); i++) {
        if (!f->dirty[i]) continue;
        uint64_t a = (uint64_t)i << FZ_PAGE_SHIFT, b = a + FZ_PAGE;
        if (a < off) a = off;
        if (b > end) b = end;
        memset(f->data + a, 0, (size_t)(b - a));
        /* a whole page zeroed is clean again: reads of it cost no copy, later zeroing and
         * the clean-up skip it */
        if (b - a == FZ_PAGE) f->dirty[i] = 0;
    }
    return 0;
}

int fz_file_copy(fz_file *dst, const fz_file *src)
{
    if (src->len > dst->max_size) return -1;
    if (src->len && fz_file_ensure(dst, src->len) != 0) return -1;
    size_t np = fz_npages(src->len);
    for (size_t i = 0; i < np; i++) {
        if (!src->dirty[i]) continue;
        size_t a = i << FZ_PAGE_SHIFT, n = src->len - a < FZ_PAGE ? src->len - a : FZ_PAGE;
        if (fz_file_put(dst, a, src->data + a, n) != 0) return -1;
    }
    if (dst->size < src->size) dst->size = src->size;
    return 0;
}

int fz_file_copy_range(fz_file *dst, uint64_t to, const fz_file *src, uint64_t from, size_t n)
{
    /* page by page of src: its clean pages (and bytes past its len) are zeros */
    while (n) {
        size_t k = FZ_PAGE - (size_t)(from & (FZ_PAGE - 1)), have = 0;
        if (k > n) k = n;
        if (from < src->len && src->dirty[from >> FZ_PAGE_SHIFT])
            have = src->len - (size_t)from < k ? src->len - (size_t)from : k;
        if (have && fz_file_put(dst, to, src->data + from, have) != 0) return -1;
        if (have < k && fz_file_zero(dst, to + have, k - have) != 0) return -1;
        from += k;
        to += k;
        n -= k;
    }
    return 0;
}

int fz_file_save(const char *path, const fz_file *f)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    int rc = ftruncate(fd, (off_t)f->size);
    size_t np = fz_npages(f->len);
    for (size_t i = 0; rc == 0 && i < np; i++) {
        if (!f->dirty[i]) continue;
        size_t a = i << FZ_PAGE_SHIFT, n = f->len - a < FZ_PAGE ? f->len - a : FZ_PAGE;
        if (pwrite(fd, f->data + a, n, (off_t)a) != (ssize_t)n) rc = -1;
    }
    if (close(fd) != 0) rc = -1;
    return rc;
}

void fz_file_set_size(fz_file *f, uint64_t size)
{
    f->size = size;
    if (f->len > size) {
        (void)fz_file_zero(f, size, f->len - (size_t)size); /* keep the invariant */
        f->len = (size_t)size;
    }
}

uint8_t fz_file_byte(const fz_file *f, uint64_t off)
{
    return off < f->len ? f->data[off] : 0;
}

void fz_file_read(const fz_file *f, uint64_t off, uint8_t *buf, size_t n)
{
    /* page by page: clean pages are zeros without touching (faulting in) the mapping */
    while (n) {
        size_t k = FZ_PAGE - (size_t)(off & (FZ_PAGE - 1));
        if (k > n) k = n;
        if (off < f->len && f->dirty[off >> FZ_PAGE_SHIFT]) {
            size_t have = f->len - (size_t)off < k ? f->len - (size_t)off : k;
            memcpy(buf, f->data + off, have);
            memset(buf + have, 0, k - have);
        } else {
            memset(buf, 0, k);
        }
        off += k;
        buf += k;
        n -= k;
    }
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

/* fz_image_to_segments: a segment holds at most FZ_SEG_MAX bytes (its u16 length) and ends
 * before a zero run of FZ_SEG_GAP bytes or more. Fixed: the mutator's output depends on
 * them. */
#define FZ_SEG_MAX 65535u
#define FZ_SEG_GAP 32u

/* Length of the zero run at p, counted up to max bytes (8 at a time). */
static size_t fz_zero_run(const uint8_t *p, size_t max)
{
    size_t i = 0;
    uint64_t w;
    while (i + 8 <= max && (memcpy(&w, p + i, 8), w == 0)) i += 8;
    while (i < max && p[i] == 0) i++;
    return i;
}

/* End of the segment that starts at the non-zero byte d[i]: it extends over zero runs
 * shorter than FZ_SEG_GAP bytes, up to lim; found with memchr and word steps, not a byte loop. */
static size_t fz_segment_end(const uint8_t *d, size_t i, size_t lim)
{
    size_t end = i + 1;
    while (end < lim) {
        const uint8_t *z = memchr(d + end, 0, lim - end);
        if (!z) return lim;
        size_t zs = (size_t)(z - d), run = fz_zero_run(z, lim - zs < FZ_SEG_GAP ? lim - zs : FZ_SEG_GAP);
        if (run >= FZ_SEG_GAP || zs + run == lim) return zs;
        end = zs + run + 1; /* d[zs + run] is not zero */
    }
    return end;
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
        size_t pe = ((i >> FZ_PAGE_SHIFT) + 1) << FZ_PAGE_SHIFT;
        if (pe > len) pe = len;
        if (!f->dirty[i >> FZ_PAGE_SHIFT]) { i = pe; continue; }
        i += fz_zero_run(f->data + i, pe - i); /* up to the page's end */
        if (i == pe) continue;
        /* segment [i, j): up to FZ_SEG_MAX bytes, ends before a zero run of >= FZ_SEG_GAP */
        size_t j = fz_segment_end(f->data, i, len - i < FZ_SEG_MAX ? len : i + FZ_SEG_MAX);
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

FZ_NO_COVERAGE_END
