/* fuzz_common.c - helpers shared by the libvhdx fuzz harnesses (see fuzz_common.h). */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* ---- input cursor ---- */

uint8_t fz_u8(fz_in *in)
{
    if (in->n == 0) return 0;
    uint8_t v = in->p[0];
    in->p++;
    in->n--;
    return v;
}

uint16_t fz_u16(fz_in *in)
{
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | (uint16_t)(fz_u8(in) << 8));
}

uint32_t fz_u32(fz_in *in)
{
    uint32_t lo = fz_u16(in);
    return lo | ((uint32_t)fz_u16(in) << 16);
}

uint64_t fz_u64(fz_in *in)
{
    uint64_t lo = fz_u32(in);
    return lo | ((uint64_t)fz_u32(in) << 32);
}

const uint8_t *fz_take(fz_in *in, size_t want, size_t *got)
{
    const uint8_t *p = in->p;
    size_t n = want < in->n ? want : in->n;
    in->p += n;
    in->n -= n;
    *got = n;
    return p;
}

/* ---- oracles ---- */

void fz_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fuzz oracle failed at %s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    abort();
}

int fz_rc(int rc, const char *what)
{
    if (rc < 0 || rc >= (int)VHDX_STATUS_COUNT)
        FZ_FAIL("%s returned %d, not a status code", what, rc);
    vhdx_class c = vhdx_status_class(rc);
    if (c == VHDX_CLASS_INTERNAL || c == VHDX_CLASS_MISUSE)
        FZ_FAIL("%s returned %s (class %s)", what, vhdx_status_name(rc), vhdx_class_name(c));
    if (rc != VHDX_OK) {
        /* every failure must have a complete row in the error table */
        const char *n = vhdx_status_name(rc), *m = vhdx_status_message(rc);
        if (!n || strncmp(n, "VHDX_", 5) != 0 || !m || !*m) FZ_FAIL("status %d has no table row", rc);
        fz_use(vhdx_status_rule(rc), strlen(vhdx_status_rule(rc)));
        fz_use(vhdx_status_section(rc), strlen(vhdx_status_section(rc)));
        fz_use(vhdx_severity_name(vhdx_status_severity(rc)), 1);
        fz_use(vhdx_class_name(c), 1);
    }
    return rc;
}

int fz_rc_allow(int rc, int allowed, const char *what)
{
    if (rc == allowed) return rc;
    return fz_rc(rc, what);
}

static volatile uint64_t fz_sinkhole;

void fz_use(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t acc = 0;
    for (size_t i = 0; i < n; i++) acc = acc * 31u + b[i];
    fz_sinkhole += acc;
}

void fz_use_u64(uint64_t v) { fz_sinkhole += v; }

/* ---- sink ---- */

static int fz_sink_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                          const char *detail, const char *src_file, int src_line)
{
    fz_sink *fs = s->ctx;
    (void)offset;
    if (code == VHDX_OK || code < 0 || code >= (int)VHDX_STATUS_COUNT)
        FZ_FAIL("validator at %s:%d reported invalid code %d", src_file ? src_file : "?",
                src_line, code);
    vhdx_class c = vhdx_status_class(code);
    if (c == VHDX_CLASS_INTERNAL || c == VHDX_CLASS_MISUSE)
        FZ_FAIL("validator at %s:%d reported %s", src_file ? src_file : "?", src_line,
                vhdx_status_name(code));
    if (field) fz_use(field, strlen(field));
    if (detail) fz_use(detail, strlen(detail));
    if (fs->count++ == 0) fs->first = code;
    if (vhdx_status_is_fatal(code) && fs->fatal++ == 0) fs->first_fatal = code;
    return VHDX_OK;
}

void fz_sink_init(fz_sink *s)
{
    memset(s, 0, sizeof *s);
    s->sink.report = fz_sink_report;
    s->sink.ctx = s;
    s->first = VHDX_OK;
    s->first_fatal = VHDX_OK;
}

/* ---- checksum fix-ups ---- */

void fz_fix_header(uint8_t *h)
{
    if (vhdx_le32(h + HDR_OFF_SIGNATURE) != VHDX_SIG_HEAD) return;
    vhdx_put32(h + HDR_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(h, VHDX_HEADER_SIZE, HDR_OFF_CHECKSUM));
}

void fz_fix_region_table(uint8_t *rt)
{
    if (vhdx_le32(rt + RT_OFF_SIGNATURE) != VHDX_SIG_REGI) return;
    vhdx_put32(rt + RT_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(rt, VHDX_RT_SIZE, RT_OFF_CHECKSUM));
}

/* CRC-32C over the ring bytes [p, p+n) mod len, with the 4 bytes at p+4 taken as zero. */
static uint32_t ring_crc(const uint8_t *log, size_t len, size_t p, size_t n)
{
    static const uint8_t zero4[4];
    uint32_t crc = vhdx_crc32c(0, log + p, 4);
    crc = vhdx_crc32c(crc, zero4, 4);
    size_t done = 8;
    while (done < n) {
        size_t at = (p + done) % len;
        size_t chunk = n - done;
        if (chunk > len - at) chunk = len - at;
        crc = vhdx_crc32c(crc, log + at, chunk);
        done += chunk;
    }
    return crc;
}

void fz_fix_log(uint8_t *log, size_t len, const vhdx_guid *stamp_guid)
{
    if (len < VHDX_LOG_SECTOR) return;
    len -= len % VHDX_LOG_SECTOR;
    /* Back to front, so an entry that contains a later one is summed after the later
     * one's checksum was fixed. */
    for (size_t p = len; p >= VHDX_LOG_SECTOR;) {
        p -= VHDX_LOG_SECTOR;
        uint8_t *e = log + p;
        if (vhdx_le32(e + LOGE_OFF_SIGNATURE) != VHDX_SIG_LOGE) continue;
        uint32_t el = vhdx_le32(e + LOGE_OFF_ENTRY_LENGTH);
        if (el == 0 || el % VHDX_LOG_SECTOR != 0 || el > len) continue;
        if (stamp_guid) vhdx_put_guid(e + LOGE_OFF_LOG_GUID, stamp_guid);
        vhdx_put32(e + LOGE_OFF_CHECKSUM, ring_crc(log, len, p, el));
    }
}

static int header_valid(const uint8_t *h)
{
    return vhdx_le32(h) == VHDX_SIG_HEAD &&
           vhdx_le32(h + HDR_OFF_CHECKSUM) == vhdx_crc32c_with_zero_field(h, VHDX_HEADER_SIZE, HDR_OFF_CHECKSUM);
}

void fz_fix_image(fz_file *f)
{
    if (f->size < VHDX_HEADER_SECTION || fz_file_ensure(f, VHDX_HEADER_SECTION) != 0) return;
    uint8_t *h1 = f->data + VHDX_HEADER1_OFFSET, *h2 = f->data + VHDX_HEADER2_OFFSET;
    fz_fix_header(h1);
    fz_fix_header(h2);
    fz_fix_region_table(f->data + VHDX_RT1_OFFSET);
    fz_fix_region_table(f->data + VHDX_RT2_OFFSET);
    int v1 = header_valid(h1), v2 = header_valid(h2);
    const uint8_t *cur = NULL;
    if (v1 && v2)
        cur = vhdx_le64(h2 + HDR_OFF_SEQUENCE) > vhdx_le64(h1 + HDR_OFF_SEQUENCE) ? h2 : h1;
    else if (v1 || v2)
        cur = v1 ? h1 : h2;
    if (!cur) return;
    uint64_t lo = vhdx_le64(cur + HDR_OFF_LOG_OFFSET), ll = vhdx_le32(cur + HDR_OFF_LOG_LENGTH);
    if (ll == 0 || ll > (64u << 20) || !vhdx_range_ok(lo, ll, f->size)) return;
    if (fz_file_ensure(f, lo + ll) != 0) return;
    fz_fix_log(f->data + lo, (size_t)ll, NULL);
}

/* ---- deterministic GUIDs ---- */

uint64_t fz_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int fz_guid_generate(void *ctx, vhdx_guid *out)
{
    fz_guid_state *st = ctx;
    uint64_t a = fz_rand(&st->s), b = fz_rand(&st->s);
    vhdx_put64(out->b, a);
    vhdx_put64(out->b + 8, b);
    out->b[7] = (uint8_t)((out->b[7] & 0x0F) | 0x40); /* Data3 high nibble: version 4 */
    out->b[8] = (uint8_t)((out->b[8] & 0x3F) | 0x80); /* variant 10 */
    return VHDX_OK;
}

const vhdx_guid_gen *fz_guid_gen(fz_guid_state *st, uint64_t seed)
{
    st->s = seed;
    st->gen.generate = fz_guid_generate;
    st->gen.ctx = st;
    return &st->gen;
}

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
    f->fail_after = -1;
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

static int fz_io_crashed(fz_file *f)
{
    if (f->fail_after < 0) return 0;
    if (f->fail_after == 0) return 1;
    f->fail_after--;
    return 0;
}

static int fz_io_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    fz_file *f = ctx;
    f->writes++;
    if (f->readonly || fz_io_crashed(f)) return VHDX_E_IO;
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
    if (fz_io_crashed(f)) return VHDX_E_IO;
    if (size > f->max_size) return VHDX_E_IO;
    fz_file_set_size(f, size);
    return VHDX_OK;
}

static int fz_io_flush(void *ctx)
{
    fz_file *f = ctx;
    if (!f->readonly && f->fail_after == 0) return VHDX_E_IO;
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
        fz_file *f = &fz_templates[kind];
        fz_guid_state gs;
        vhdx_create_params p;
        vhdx_io io;
        fz_file_init(f, 32 * MiB);
        fz_file_io(&io, f);
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
        int rc = vhdx_create_io(&io, &p, NULL);
        fz_template_state[kind] = rc == VHDX_OK ? 1 : -1;
        if (rc != VHDX_OK) fz_file_free(f);
    }
    return fz_template_state[kind] == 1 ? &fz_templates[kind] : NULL;
}

/* ---- whole-image oracle ---- */

#define FZ_READ_MAX (64u * 1024u)

static void fz_opts(vhdx_open_opts *o, fz_guid_state *gs, unsigned exflags, uint64_t seed)
{
    vhdx_open_opts_default(o);
    o->guid_gen = fz_guid_gen(gs, seed ^ 0xA5A5u);
    if (exflags & FZ_EX_NO_REPLAY) o->flags |= VHDX_OPEN_NO_REPLAY;
    o->flags |= VHDX_OPEN_NO_PARENT;
    if (exflags & FZ_EX_SMALL_LIMITS) {
        o->limits.max_bat_memory = 64 * KiB; /* one BAT page: forces paging */
        o->limits.max_overlay_memory = MiB;
        o->limits.max_log_length = MiB;
        o->limits.max_metadata_item = 64 * KiB;
    }
}

/* A read-only view of f whose writes fail (and are counted as an oracle failure). */
typedef struct fz_ro { fz_file view; } fz_ro;
static void fz_ro_init(fz_ro *r, const fz_file *f)
{
    r->view = *f;
    r->view.readonly = 1;
    r->view.max_size = f->len; /* never grows */
    r->view.writes = 0;
}

/* Expected bytes of [off, off+n) from an independent BAT reader (clean log, no parent). */
static int fz_reference_read(const fz_file *f, const vhdx_info *info, uint64_t bat_off,
                             uint64_t off, uint8_t *buf, size_t n)
{
    uint64_t bs = info->block_size, cr = info->chunk_ratio;
    while (n) {
        uint64_t b = off / bs, in_block = off % bs;
        size_t chunk = (size_t)(bs - in_block < n ? bs - in_block : n);
        uint64_t idx = fmt_bat_pb_index(b, cr), e = 0;
        uint8_t eb[8];
        fz_file_read(f, bat_off + idx * 8, eb, 8);
        e = vhdx_le64(eb);
        unsigned st = fmt_bat_state(e);
        if (st == VHDX_PB_FULLY_PRESENT)
            fz_file_read(f, fmt_bat_offset(e) + in_block, buf, chunk);
        else if (st <= VHDX_PB_UNMAPPED)
            memset(buf, 0, chunk);
        else
            return -1; /* open should have refused it; no reference */
        buf += chunk;
        off += chunk;
        n -= chunk;
    }
    return 0;
}

static void fz_check_report(const vhdx_report *r)
{
    FZ_ASSERT(r->verdict == VHDX_VERDICT_CONFORMANT || r->verdict == VHDX_VERDICT_NONCONFORMANT ||
              r->verdict == VHDX_VERDICT_UNREADABLE);
    size_t e = 0, w = 0, in = 0;
    for (size_t i = 0; i < r->count; i++) {
        const vhdx_finding *fd = &r->findings[i];
        if (fd->code <= VHDX_OK || fd->code >= (int)VHDX_STATUS_COUNT)
            FZ_FAIL("check finding %zu has invalid code %d", i, fd->code);
        vhdx_class c = vhdx_status_class(fd->code);
        if (c == VHDX_CLASS_INTERNAL || c == VHDX_CLASS_MISUSE)
            FZ_FAIL("check finding %s of class %s", vhdx_status_name(fd->code), vhdx_class_name(c));
        if (strnlen(fd->detail, sizeof fd->detail) == sizeof fd->detail)
            FZ_FAIL("finding detail not NUL-terminated");
        if (fd->severity == VHDX_SEV_ERROR) e++;
        else if (fd->severity == VHDX_SEV_WARNING) w++;
        else in++;
    }
    if (r->dropped == 0 && (e != r->errors || w != r->warnings || in != r->infos))
        FZ_FAIL("report counts %zu/%zu/%zu, findings say %zu/%zu/%zu", r->errors, r->warnings,
                r->infos, e, w, in);
    if (r->verdict == VHDX_VERDICT_CONFORMANT && r->errors)
        FZ_FAIL("verdict conformant with %zu error findings", r->errors);
    if (r->verdict == VHDX_VERDICT_NONCONFORMANT && r->errors == 0)
        FZ_FAIL("verdict nonconformant without error findings");
}

static void fz_ro_session(const fz_file *f, unsigned flags, uint64_t seed, fz_ex_result *res)
{
    fz_ro ro;
    vhdx_io io;
    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_diag d;
    vhdx_image *img = NULL;
    vhdx_info *info = calloc(1, sizeof *info);
    uint8_t *buf = malloc(FZ_READ_MAX), *ref = malloc(FZ_READ_MAX);
    if (!info || !buf || !ref) goto out;

    fz_ro_init(&ro, f);
    fz_file_io(&io, &ro.view);
    fz_opts(&o, &gs, flags, seed);
    vhdx_diag_clear(&d);
    res->open_rc = fz_rc(vhdx_open(&img, &io, 0, &o, &d), "vhdx_open(ro)");
    if (ro.view.writes) FZ_FAIL("read-only open wrote to the file");
    if (res->open_rc != VHDX_OK) {
        char msg[512];
        vhdx_diag_format(&d, "fuzz.vhdx", msg, sizeof msg);
        if (strnlen(msg, sizeof msg) == sizeof msg) FZ_FAIL("diag_format output not terminated");
        if (d.code != res->open_rc)
            FZ_FAIL("open failed with %s but diag says %s", vhdx_status_name(res->open_rc),
                    vhdx_status_name(d.code));
        if (img) FZ_FAIL("failed open left *out non-NULL");
        goto out;
    }
    FZ_ASSERT(img != NULL);
    if (fz_rc(vhdx_get_info(img, info), "vhdx_get_info") != VHDX_OK) FZ_FAIL("get_info failed on an open image");
    res->log_replayed = info->log_replayed;
    uint64_t vs = info->virtual_size;
    res->virtual_size = vs;
    FZ_ASSERT(vs > 0 && vs <= VHDX_MAX_DISK_SIZE);
    FZ_ASSERT(info->logical_sector_size == 512 || info->logical_sector_size == 4096);
    FZ_ASSERT(vhdx_is_pow2(info->block_size) && info->block_size >= MiB && info->block_size <= 256 * MiB);
    FZ_ASSERT(vs % info->logical_sector_size == 0);
    FZ_ASSERT(strnlen(info->creator, sizeof info->creator) < sizeof info->creator);

    uint64_t bat_off = UINT64_MAX;
    for (unsigned i = 0; i < info->region_count && i < VHDX_MAX_INFO_REGIONS; i++)
        if (vhdx_guid_equal(&info->regions[i].guid, &VHDX_GUID_BAT_REGION)) bat_off = info->regions[i].file_offset;
    int reference = info->log_dirty == 0 && !info->has_parent && info->type != VHDX_TYPE_DIFFERENCING &&
                    bat_off != UINT64_MAX && info->chunk_ratio != 0;

    /* contracts: out-of-range and read-only */
    uint8_t one[4096];
    if (vhdx_read(img, vs, one, 1, NULL) != VHDX_E_RANGE) FZ_FAIL("read at the virtual size not VHDX_E_RANGE");
    if (vhdx_read(img, vs - 1, one, 2, NULL) != VHDX_E_RANGE) FZ_FAIL("read across the end not VHDX_E_RANGE");
    if (vhdx_read(img, UINT64_MAX - 1, one, 4, NULL) != VHDX_E_RANGE) FZ_FAIL("wrapping read not VHDX_E_RANGE");
    memset(one, 0, sizeof one);
    if (vhdx_write(img, 0, one, 512, NULL) != VHDX_E_READONLY) FZ_FAIL("write to a read-only image not VHDX_E_READONLY");
    if (ro.view.writes) FZ_FAIL("read-only image wrote to the file");

    uint64_t rs = seed;
    unsigned nreads = 4 + (unsigned)(seed % 12);
    for (unsigned i = 0; i < nreads; i++) {
        uint64_t r = fz_rand(&rs);
        uint64_t off, len;
        switch (i) {
        case 0: off = 0; len = vs < 4096 ? vs : 4096; break;
        case 1: len = vs < 4096 ? vs : 4096; off = vs - len; break;
        default:
            off = r % vs;
            len = 1 + (fz_rand(&rs) % FZ_READ_MAX);
            if (len > vs - off) len = vs - off;
        }
        vhdx_diag_clear(&d);
        int rc = fz_rc(vhdx_read(img, off, buf, (size_t)len, &d), "vhdx_read");
        if (rc != VHDX_OK) {
            if (d.code != rc) FZ_FAIL("read failed with %s, diag %s", vhdx_status_name(rc), vhdx_status_name(d.code));
            continue;
        }
        if (reference && fz_reference_read(f, info, bat_off, off, ref, (size_t)len) == 0 &&
            memcmp(buf, ref, (size_t)len) != 0) {
            size_t at = 0;
            while (buf[at] == ref[at]) at++;
            FZ_FAIL("vhdx_read(%llu, %llu) differs from the reference BAT reader at +%zu (%02x != %02x)",
                    (unsigned long long)off, (unsigned long long)len, at, buf[at], ref[at]);
        }
        uint64_t run = 0;
        int status = -1;
        rc = fz_rc(vhdx_block_status(img, off, len, &run, &status, NULL), "vhdx_block_status");
        if (rc == VHDX_OK) {
            if (run == 0 || run > len) FZ_FAIL("block_status run %llu for len %llu", (unsigned long long)run, (unsigned long long)len);
            if (status != VHDX_BLOCK_ZERO && status != VHDX_BLOCK_DATA) FZ_FAIL("block_status %d", status);
            if (status == VHDX_BLOCK_ZERO)
                for (uint64_t k = 0; k < run; k++)
                    if (buf[k]) FZ_FAIL("block_status says zero at %llu but read returned data", (unsigned long long)(off + k));
        }
        fz_use(buf, (size_t)len);
    }
    if (ro.view.writes) FZ_FAIL("read-only image wrote to the file");
    int crc = fz_rc(vhdx_close(img), "vhdx_close(ro)");
    if (crc != VHDX_OK) FZ_FAIL("closing a read-only image failed: %s", vhdx_status_name(crc));
out:
    free(info);
    free(buf);
    free(ref);
}

static void fz_check_session(const fz_file *f, unsigned flags, fz_ex_result *res)
{
    fz_ro ro;
    vhdx_io io;
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    fz_ro_init(&ro, f);
    fz_file_io(&io, &ro.view);
    vhdx_check_opts_default(&co);
    co.flags |= VHDX_OPEN_NO_PARENT;
    if (flags & FZ_EX_SMALL_LIMITS) {
        vhdx_open_opts o;
        fz_guid_state gs;
        fz_opts(&o, &gs, flags, 0);
        co.limits = o.limits;
    }
    co.max_findings = 64;
    res->check_rc = fz_rc(vhdx_check(&io, NULL, &co, &rep), "vhdx_check");
    res->verdict = -1;
    if (ro.view.writes) FZ_FAIL("vhdx_check wrote to the file");
    if (res->check_rc != VHDX_OK) {
        if (rep) FZ_FAIL("vhdx_check failed but returned a report");
        return;
    }
    FZ_ASSERT(rep != NULL);
    fz_check_report(rep);
    res->verdict = (int)rep->verdict;
    int open_ok = res->open_rc == VHDX_OK;
    if (!(flags & FZ_EX_NO_REPLAY)) {
        if (open_ok && rep->verdict == VHDX_VERDICT_UNREADABLE)
            FZ_FAIL("image opens, but check says unreadable");
        if (!open_ok && vhdx_status_class(res->open_rc) == VHDX_CLASS_CORRUPT &&
            rep->verdict == VHDX_VERDICT_CONFORMANT)
            FZ_FAIL("open fails with %s, but check says conformant", vhdx_status_name(res->open_rc));
        if (rep->opened != open_ok)
            FZ_FAIL("check opened=%d, but vhdx_open returned %s", rep->opened, vhdx_status_name(res->open_rc));
    }
    vhdx_report_free(rep);
}

static void fz_rw_session(const fz_file *f, unsigned flags, uint64_t seed)
{
    fz_file w;
    vhdx_io io;
    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_image *img = NULL;
    fz_file_init(&w, FZ_IMAGE_MAX + 16 * MiB);
    if (fz_file_put(&w, 0, f->data, f->len) != 0) { fz_file_free(&w); return; }
    w.size = f->size;
    fz_file_io(&io, &w);
    fz_opts(&o, &gs, flags & ~FZ_EX_NO_REPLAY, seed);
    o.flags |= VHDX_OPEN_RDWR;
    if (flags & FZ_EX_CRASH) w.fail_after = (long)(seed % 16);
    int rc = fz_rc(vhdx_open(&img, &io, 0, &o, NULL), "vhdx_open(rw)");
    if (rc == VHDX_OK) {
        vhdx_info info;
        uint8_t pat[8192];
        uint64_t rs = seed ^ 0x77u;
        if (fz_rc(vhdx_get_info(img, &info), "get_info(rw)") != VHDX_OK) FZ_FAIL("get_info failed");
        uint64_t vs = info.virtual_size, lss = info.logical_sector_size;
        uint64_t off = (fz_rand(&rs) % vs) / lss * lss;
        size_t len = (size_t)(vs - off < sizeof pat ? vs - off : sizeof pat);
        memset(pat, (int)(0x40 + seed % 64), sizeof pat);
        int wrc = fz_rc(vhdx_write(img, off, pat, len, NULL), "vhdx_write");
        if (wrc == VHDX_OK) {
            uint8_t back[8192];
            int rrc = fz_rc(vhdx_read(img, off, back, len, NULL), "vhdx_read(after write)");
            if (rrc == VHDX_OK && memcmp(back, pat, len) != 0 && w.fail_after < 0)
                FZ_FAIL("read after write returned other data at %llu", (unsigned long long)off);
        }
        (void)fz_rc(vhdx_flush(img, NULL), "vhdx_flush");
        (void)fz_rc(vhdx_close(img), "vhdx_close(rw)");
        if (!(flags & FZ_EX_CRASH) && wrc == VHDX_OK) {
            /* what we opened and wrote must open again and hold the data */
            vhdx_image *again = NULL;
            fz_opts(&o, &gs, 0, seed + 1);
            rc = fz_rc(vhdx_open(&again, &io, 0, &o, NULL), "vhdx_open(reopen)");
            if (rc != VHDX_OK) FZ_FAIL("image written by libvhdx does not reopen: %s", vhdx_status_name(rc));
            uint8_t back[8192];
            rc = fz_rc(vhdx_read(again, off, back, len, NULL), "vhdx_read(reopen)");
            if (rc == VHDX_OK && memcmp(back, pat, len) != 0)
                FZ_FAIL("data written at %llu not read back after reopen", (unsigned long long)off);
            (void)fz_rc(vhdx_close(again), "vhdx_close(reopen)");
        }
    }
    if (flags & FZ_EX_CRASH) {
        /* after a crash at any point, the file must still open (replaying its log) or fail
         * cleanly; never an internal error */
        vhdx_image *again = NULL;
        w.fail_after = -1;
        fz_opts(&o, &gs, 0, seed + 2);
        rc = fz_rc(vhdx_open(&again, &io, 0, &o, NULL), "vhdx_open(after crash)");
        if (rc == VHDX_OK) (void)fz_rc(vhdx_close(again), "vhdx_close(after crash)");
    }
    fz_file_free(&w);
}

void fz_exercise_image(const fz_file *f, unsigned flags, uint64_t seed, fz_ex_result *res)
{
    memset(res, 0, sizeof *res);
    res->verdict = -1;
    fz_ro_session(f, flags, seed, res);
    fz_check_session(f, flags, res);
    if (flags & FZ_EX_RDWR) fz_rw_session(f, flags, seed);
}

uint8_t *fz_read_all(const fz_file *f, unsigned open_flags, uint64_t *len, int *rc_out)
{
    fz_ro ro;
    vhdx_io io;
    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_image *img = NULL;
    vhdx_info info;
    fz_ro_init(&ro, f);
    fz_file_io(&io, &ro.view);
    fz_opts(&o, &gs, 0, 1);
    o.flags |= open_flags;
    int rc = fz_rc(vhdx_open(&img, &io, 0, &o, NULL), "vhdx_open(read_all)");
    *rc_out = rc;
    if (rc != VHDX_OK) return NULL;
    uint8_t *buf = NULL;
    if (fz_rc(vhdx_get_info(img, &info), "get_info") == VHDX_OK && info.virtual_size <= 64 * MiB) {
        buf = fz_big_alloc((size_t)info.virtual_size);
        if (buf) {
            rc = fz_rc(vhdx_read(img, 0, buf, (size_t)info.virtual_size, NULL), "vhdx_read(all)");
            *rc_out = rc;
            if (rc != VHDX_OK) { fz_big_free(buf); buf = NULL; }
            else *len = info.virtual_size;
        }
    }
    (void)fz_rc(vhdx_close(img), "vhdx_close");
    return buf;
}

/* ---- file mode ---- */

static int fz_write_file(const char *path, const fz_file *f)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return -1;
    size_t done = 0;
    while (done < f->len) {
        ssize_t w = write(fd, f->data + done, f->len - done);
        if (w <= 0) { close(fd); return -1; }
        done += (size_t)w;
    }
    int rc = ftruncate(fd, (off_t)f->size);
    close(fd);
    return rc;
}

static char fz_dir[512];

static void fz_tmpdir_cleanup(void)
{
    char p[600];
    snprintf(p, sizeof p, "%s/child.vhdx", fz_dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/parent.vhdx", fz_dir);
    unlink(p);
    rmdir(fz_dir);
}

const char *fz_tmpdir(void)
{
    static int state;
    char *dir = fz_dir;
    if (state == 0) {
        const char *t = getenv("TMPDIR");
        snprintf(dir, sizeof fz_dir, "%s/vhdx-fuzz-%ld", t && *t ? t : "/tmp", (long)getpid());
        state = (mkdir(dir, 0700) == 0 || access(dir, W_OK) == 0) ? 1 : -1;
        if (state == 1) atexit(fz_tmpdir_cleanup);
    }
    return state == 1 ? dir : NULL;
}

void fz_exercise_file(const fz_file *f, unsigned flags, uint64_t seed)
{
    const char *dir = fz_tmpdir();
    const fz_file *parent = fz_template(0);
    char child[600], ppath[600];
    if (!dir || !parent) return;
    snprintf(child, sizeof child, "%s/child.vhdx", dir);
    snprintf(ppath, sizeof ppath, "%s/parent.vhdx", dir);
    if (fz_write_file(ppath, parent) != 0 || fz_write_file(child, f) != 0) return;

    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_diag d;
    vhdx_image *img = NULL;
    fz_opts(&o, &gs, flags & FZ_EX_SMALL_LIMITS, seed);
    o.flags &= ~VHDX_OPEN_NO_PARENT;
    if (seed & 1) o.flags |= VHDX_OPEN_IGNORE_LINKAGE;
    vhdx_diag_clear(&d);
    int open_rc = fz_rc(vhdx_open_file(&img, child, &o, &d), "vhdx_open_file");
    if (open_rc == VHDX_OK) {
        vhdx_info info;
        uint8_t *buf = fz_big_alloc(FZ_READ_MAX);
        if (fz_rc(vhdx_get_info(img, &info), "get_info(file)") != VHDX_OK) FZ_FAIL("get_info failed");
        uint64_t rs = seed, vs = info.virtual_size;
        for (unsigned i = 0; buf && i < 6; i++) {
            uint64_t off = i == 0 ? 0 : fz_rand(&rs) % vs;
            uint64_t len = 1 + fz_rand(&rs) % FZ_READ_MAX;
            if (len > vs - off) len = vs - off;
            int rc = fz_rc(vhdx_read(img, off, buf, (size_t)len, NULL), "vhdx_read(file)");
            if (rc == VHDX_OK) fz_use(buf, (size_t)len);
            uint64_t run;
            int st;
            rc = fz_rc(vhdx_block_status(img, off, len, &run, &st, NULL), "block_status(file)");
            fz_use_u64(run + (uint64_t)st + (uint64_t)rc);
        }
        fz_big_free(buf);
        (void)fz_rc(vhdx_close(img), "vhdx_close(file)");
    }

    vhdx_io io;
    if (fz_rc(vhdx_io_file_open(&io, child, VHDX_IO_READ), "io_file_open") == VHDX_OK) {
        vhdx_check_opts co;
        vhdx_report *rep = NULL;
        vhdx_check_opts_default(&co);
        co.flags = o.flags & (VHDX_OPEN_IGNORE_LINKAGE | VHDX_OPEN_NO_PARENT);
        co.limits = o.limits;
        co.max_findings = 64;
        int rc = fz_rc(vhdx_check(&io, child, &co, &rep), "vhdx_check(file)");
        if (rc == VHDX_OK) {
            fz_check_report(rep);
            if (open_rc == VHDX_OK && rep->verdict == VHDX_VERDICT_UNREADABLE)
                FZ_FAIL("image opens by path, but check says unreadable");
            if (rep->opened != (open_rc == VHDX_OK))
                FZ_FAIL("check opened=%d, but vhdx_open_file returned %s", rep->opened, vhdx_status_name(open_rc));
            vhdx_report_free(rep);
        }
        vhdx_io_destroy(&io);
    }

    if ((flags & FZ_EX_RDWR) && open_rc == VHDX_OK) {
        o.flags |= VHDX_OPEN_RDWR;
        img = NULL;
        if (fz_rc(vhdx_open_file(&img, child, &o, NULL), "vhdx_open_file(rw)") == VHDX_OK) {
            vhdx_info info;
            uint8_t pat[4096], back[4096];
            memset(pat, 0x5c, sizeof pat);
            if (fz_rc(vhdx_get_info(img, &info), "get_info") != VHDX_OK) FZ_FAIL("get_info failed");
            uint64_t lss = info.logical_sector_size;
            uint64_t off = (seed * 7919u % info.virtual_size) / lss * lss;
            size_t len = (size_t)(info.virtual_size - off < sizeof pat ? info.virtual_size - off : sizeof pat);
            int wrc = fz_rc(vhdx_write(img, off, pat, len, NULL), "vhdx_write(file)");
            (void)fz_rc(vhdx_close(img), "vhdx_close(file rw)");
            img = NULL;
            o.flags &= ~VHDX_OPEN_RDWR;
            if (wrc == VHDX_OK) {
                int rc = fz_rc(vhdx_open_file(&img, child, &o, NULL), "vhdx_open_file(reopen)");
                if (rc != VHDX_OK) FZ_FAIL("file written by libvhdx does not reopen: %s", vhdx_status_name(rc));
                rc = fz_rc(vhdx_read(img, off, back, len, NULL), "vhdx_read(reopen)");
                if (rc == VHDX_OK && memcmp(back, pat, len) != 0)
                    FZ_FAIL("data written at %llu (by path) not read back", (unsigned long long)off);
                (void)fz_rc(vhdx_close(img), "vhdx_close(reopen)");
            }
        }
    }
    unlink(child);
}
