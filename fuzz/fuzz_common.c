/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz_common.c - oracles, findings sink, checksum fix-ups and GUIDs of the fuzz harnesses
 * (see fuzz_common.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

FZ_NO_COVERAGE_BEGIN

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

#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#define FZ_HAS_MSAN 1
#include <sanitizer/msan_interface.h>
#endif
#if __has_feature(address_sanitizer)
#define FZ_HAS_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FZ_HAS_ASAN 1
#endif
#ifndef FZ_HAS_MSAN
#define FZ_HAS_MSAN 0
#endif

#ifdef FZ_HAS_ASAN
/* Peak RSS: ASan's default 256 MB quarantine of freed memory was most of the image
 * harnesses' 400-600 MB. 32 MB still catches the use-after-free of a recently freed buffer;
 * ASAN_OPTIONS (as OSS-Fuzz sets them) override this. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=32"; }
#endif

/* Keeps a result alive at O(1) cost: 8 bytes sampled across [p, p+n) (hashing every byte
 * of every multi-MiB read cost a tenth of the image harnesses' time). Under MSan the whole
 * range must be initialised: that is the check a byte loop never made (MSan reports
 * uninitialised values on branches, not on arithmetic). */
void fz_use(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t acc = n;
    if (!n) return;
#if FZ_HAS_MSAN
    __msan_check_mem_is_initialized(p, n);
#endif
    for (size_t k = 0; k < 8; k++) acc = acc * 31u + b[(n - 1) * k / 7];
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

int fz_all_passes;

uint64_t fz_hash(const uint8_t *data, size_t size)
{
    uint64_t h = 0xcbf29ce484222325ull ^ size, w;
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        memcpy(&w, data + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < size; i++) h = (h ^ data[i]) * 0x100000001b3ull;
    return h;
}

int fz_sampled(uint64_t key, uint64_t salt, unsigned one_in)
{
    static int env = -1;
    if (env < 0) {
        const char *e = getenv("FZ_ALL_PASSES");
        env = e && *e && strcmp(e, "0") != 0;
    }
    if (fz_all_passes || env || one_in <= 1) return 1;
    uint64_t s = key ^ (salt * 0x9E3779B97F4A7C15ull);
    return fz_rand(&s) % one_in == 0;
}

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

FZ_NO_COVERAGE_END
