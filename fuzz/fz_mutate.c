/* SPDX-License-Identifier: Apache-2.0 */
/* fz_mutate.c - structure-aware mutation of whole-image inputs (see fz_mutate.h). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_mutate.h"

FZ_NO_COVERAGE_BEGIN

/* libFuzzer's byte mutator, when the engine is linked (weak: AFL++'s driver and the replay
 * build have none). */
size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size) __attribute__((weak));

#define R(n) ((unsigned)(fz_rand(rng) % (n)))

size_t fz_mutate_bytes(uint8_t *data, size_t size, size_t max_size, uint64_t *rng)
{
    if (LLVMFuzzerMutate) return LLVMFuzzerMutate(data, size, max_size);
    static const uint8_t magic[] = { 0x00, 0x01, 0x7f, 0x80, 0xff, 0x10, 0x20, 0x40 };
    unsigned n = 1 + R(8);
    for (unsigned i = 0; i < n; i++) {
        unsigned what = R(4);
        if (size == 0 || (what == 3 && size < max_size)) {
            size_t at = size ? R((unsigned)size + 1) : 0;
            memmove(data + at + 1, data + at, size - at);
            data[at] = (uint8_t)fz_rand(rng);
            size++;
            continue;
        }
        size_t at = R((unsigned)size);
        if (what == 0) data[at] ^= (uint8_t)(1u << R(8));
        else if (what == 1) data[at] = magic[R(sizeof magic)];
        else data[at] = (uint8_t)fz_rand(rng);
    }
    return size;
}

/* ---- structures inside an image ---- */

static uint64_t fz_get64(const fz_file *f, uint64_t off)
{
    uint8_t b[8];
    fz_file_read(f, off, b, 8);
    return vhdx_le64(b);
}

static uint32_t fz_get32(const fz_file *f, uint64_t off)
{
    uint8_t b[4];
    fz_file_read(f, off, b, 4);
    return vhdx_le32(b);
}

static void fz_set64(fz_file *f, uint64_t off, uint64_t v)
{
    uint8_t b[8];
    vhdx_put64(b, v);
    (void)fz_file_put(f, off, b, 8);
}

static void fz_set32(fz_file *f, uint64_t off, uint32_t v)
{
    uint8_t b[4];
    vhdx_put32(b, v);
    (void)fz_file_put(f, off, b, 4);
}

static const uint64_t hdr_at[2] = { VHDX_HEADER1_OFFSET, VHDX_HEADER2_OFFSET };

/* The header the library would pick (higher sequence number among "head" signatures). */
static int cur_header(const fz_file *f)
{
    int s1 = fz_get32(f, hdr_at[0]) == VHDX_SIG_HEAD, s2 = fz_get32(f, hdr_at[1]) == VHDX_SIG_HEAD;
    if (s1 && s2) return fz_get64(f, hdr_at[1] + HDR_OFF_SEQUENCE) > fz_get64(f, hdr_at[0] + HDR_OFF_SEQUENCE);
    return s2 && !s1;
}

/* File offset and length of the region `g` in region table 1 (0 when absent). */
static uint64_t region(const fz_file *f, const vhdx_guid *g, uint32_t *len)
{
    uint32_t n = fz_get32(f, VHDX_RT1_OFFSET + RT_OFF_ENTRY_COUNT);
    if (n > 16) n = 16;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t e = VHDX_RT1_OFFSET + RT_HEADER_SIZE + (uint64_t)i * RT_ENTRY_SIZE;
        uint8_t b[RT_ENTRY_SIZE];
        vhdx_guid id;
        fz_file_read(f, e, b, sizeof b);
        vhdx_get_guid(&id, b + RTE_OFF_GUID);
        if (vhdx_guid_equal(&id, g)) {
            *len = vhdx_le32(b + RTE_OFF_LENGTH);
            return vhdx_le64(b + RTE_OFF_FILE_OFFSET);
        }
    }
    *len = 0;
    return 0;
}

/* An interesting value for a 64-bit size/offset field. */
static uint64_t interesting64(uint64_t old, const fz_file *f, uint64_t *rng)
{
    switch (R(10)) {
    case 0: return 0;
    case 1: return old + MiB;
    case 2: return old - MiB;
    case 3: return old + 1;
    case 4: return old * 2;
    case 5: return f->size;
    case 6: return f->size - MiB;
    case 7: return (uint64_t)R(64) * MiB;
    case 8: return UINT64_MAX - R(3);
    default: return (uint64_t)1 << R(63);
    }
}

/* ---- image mutations (each returns 0 when it did not apply) ---- */

static int mut_header(fz_file *f, uint64_t *rng)
{
    int c = cur_header(f), which = R(3) == 0 ? c : 1 - c;
    uint8_t raw[VHDX_HEADER_SIZE], other[VHDX_HEADER_SIZE];
    fmt_header h;
    fz_file_read(f, hdr_at[which], raw, sizeof raw);
    fz_file_read(f, hdr_at[1 - which], other, sizeof other);
    switch (R(8)) {
    case 0: /* swap the two headers */
        (void)fz_file_put(f, hdr_at[which], other, sizeof other);
        (void)fz_file_put(f, hdr_at[1 - which], raw, sizeof raw);
        return 1;
    case 1: /* copy one over the other (identical headers, equal sequence numbers) */
        (void)fz_file_put(f, hdr_at[1 - which], raw, sizeof raw);
        return 1;
    default: break;
    }
    if (fmt_header_decode(raw, sizeof raw, &h) != VHDX_OK) return 0;
    uint64_t oseq = vhdx_le64(other + HDR_OFF_SEQUENCE);
    switch (R(7)) {
    case 0: h.sequence_number = oseq + 1; break;
    case 1: h.sequence_number = oseq; break;
    case 2: h.sequence_number = oseq ? oseq - 1 : 0; break;
    case 3: h.sequence_number = interesting64(h.sequence_number, f, rng); break;
    case 4: /* a log GUID: zero, the other header's, or new */
        if (R(2)) memset(&h.log_guid, 0, sizeof h.log_guid);
        else for (int i = 0; i < 16; i++) h.log_guid.b[i] = (uint8_t)fz_rand(rng);
        break;
    case 5:
        if (R(2)) h.log_offset = interesting64(h.log_offset, f, rng);
        else h.log_length = R(2) ? h.log_length * 2 : (uint32_t)(MiB * R(4));
        break;
    default:
        if (R(2)) h.version = (uint16_t)R(3);
        else h.log_version = (uint16_t)R(3);
    }
    if (fmt_header_encode(&h, raw, sizeof raw) != VHDX_OK) return 0;
    (void)fz_file_put(f, hdr_at[which], raw, sizeof raw);
    return 1;
}

static int mut_region_table(fz_file *f, uint64_t *rng)
{
    static uint8_t raw[VHDX_RT_SIZE];
    static fmt_region_table rt;
    uint64_t at = R(4) ? VHDX_RT1_OFFSET : VHDX_RT2_OFFSET;
    fz_file_read(f, at, raw, sizeof raw);
    if (fmt_region_table_decode(raw, sizeof raw, &rt) != VHDX_OK || rt.decoded == 0 || rt.decoded > 64) return 0;
    fmt_region_entry *e = &rt.entries[R(rt.decoded)];
    const fmt_region_entry *o = &rt.entries[R(rt.decoded)];
    switch (R(7)) {
    case 0: e->file_offset = interesting64(e->file_offset, f, rng); break; /* move the region */
    case 1: e->file_offset = o->file_offset + (R(2) ? 0 : o->length / 2); break; /* overlap */
    case 2: e->length = R(2) ? e->length * 2 : e->length + (uint32_t)MiB * R(3) - (uint32_t)MiB; break;
    case 3: e->required ^= R(2) ? 1u : (1u << R(32)); break;
    case 4: *e = *o; break; /* duplicate an entry */
    case 5: rt.entry_count += R(2) ? 1u : (uint32_t)-1; break;
    default: e->guid.b[R(16)] ^= (uint8_t)(1u << R(8));
    }
    if (rt.entry_count <= VHDX_RT_MAX_ENTRIES) rt.decoded = rt.entry_count < rt.decoded ? rt.entry_count : rt.decoded;
    if (fmt_region_table_encode(&rt, raw, sizeof raw) != VHDX_OK) return 0;
    (void)fz_file_put(f, at, raw, sizeof raw);
    if (R(2)) (void)fz_file_put(f, at == VHDX_RT1_OFFSET ? VHDX_RT2_OFFSET : VHDX_RT1_OFFSET, raw, sizeof raw);
    return 1;
}

static int mut_metadata(fz_file *f, uint64_t *rng)
{
    static uint8_t raw[64 * 1024];
    static fmt_metadata_table mt;
    uint32_t len;
    uint64_t at = region(f, &VHDX_GUID_METADATA_REGION, &len);
    if (!at) return 0;
    fz_file_read(f, at, raw, sizeof raw);
    if (fmt_metadata_table_decode(raw, sizeof raw, &mt) != VHDX_OK || mt.decoded == 0 || mt.decoded > VHDX_MD_MAX_ENTRIES)
        return 0;
    fmt_metadata_entry *e = &mt.entries[R(mt.decoded)];
    const fmt_metadata_entry *o = &mt.entries[R(mt.decoded)];
    static const uint32_t vals[] = { 0, 1, 512, 4096, 1u << 20, 1u << 21, 256u << 20, 0x80000000u, 0xFFFFFFFFu, 3 };
    switch (R(6)) {
    case 0: /* the item's value: a boundary value in its first or second u32 */
        fz_set32(f, at + e->offset + 4u * R(2), vals[R(sizeof vals / sizeof vals[0])]);
        return 1;
    case 1: fz_set64(f, at + e->offset, interesting64(fz_get64(f, at + e->offset), f, rng)); return 1;
    case 2: e->offset = R(2) ? o->offset : e->offset + 8u * R(8); break;
    case 3: e->length = R(2) ? 0 : e->length + 4u * R(4); break;
    case 4: e->flags ^= 1u << R(4); break;
    default: e->item_id = o->item_id; break; /* duplicate item id */
    }
    if (fmt_metadata_table_encode(&mt, raw, sizeof raw) != VHDX_OK) return 0;
    (void)fz_file_put(f, at, raw, sizeof raw);
    return 1;
}

static int mut_bat(fz_file *f, uint64_t *rng)
{
    uint32_t len;
    uint64_t at = region(f, &VHDX_GUID_BAT_REGION, &len);
    if (!at || len < 8) return 0;
    uint64_t n = len / 8;
    if (n > 4096) n = 4096;
    uint64_t i = R((unsigned)n), j = R((unsigned)n);
    uint64_t e = fz_get64(f, at + i * 8), o = fz_get64(f, at + j * 8);
    uint32_t mlen;
    uint64_t md = region(f, &VHDX_GUID_METADATA_REGION, &mlen);
    switch (R(7)) {
    case 0: e = o; break;                                                    /* duplicate */
    case 1: e = (e & ~(uint64_t)7) | R(8); break;                            /* state */
    case 2: e = fmt_bat_make(R(8), (f->size + MiB * R(3)) & ~(uint64_t)(MiB - 1)); break; /* at/after EOF */
    case 3: e = fmt_bat_make(6, R(2) ? md : at); break;                      /* over metadata / the BAT */
    case 4: e = fmt_bat_make(6, (uint64_t)R(64) * MiB); break;               /* anywhere */
    case 5: e ^= (uint64_t)1 << (3 + R(17));                                  /* reserved bits */ break;
    default: e = 0; break;
    }
    fz_set64(f, at + i * 8, e);
    return 1;
}

/* A new, valid log entry (one data or zero descriptor, sequence after the last entry found)
 * at a chosen sector of the ring, possibly wrapping around its end; the header's LogGuid
 * is set to match (or not). */
static int mut_log_entry(fz_file *f, uint64_t *rng)
{
    int c = cur_header(f);
    uint64_t lo = fz_get64(f, hdr_at[c] + HDR_OFF_LOG_OFFSET);
    uint32_t ll = fz_get32(f, hdr_at[c] + HDR_OFF_LOG_LENGTH);
    if (ll < 2 * VHDX_LOG_SECTOR || ll > 8 * MiB || !vhdx_range_ok(lo, ll, f->size)) return 0;
    uint32_t sectors = ll / VHDX_LOG_SECTOR;
    uint64_t seq = 0;
    uint32_t last = 0;
    for (uint32_t s = 0; s < sectors; s++) {
        uint64_t p = lo + (uint64_t)s * VHDX_LOG_SECTOR;
        if (fz_get32(f, p) == VHDX_SIG_LOGE && fz_get64(f, p + LOGE_OFF_SEQUENCE) >= seq) {
            seq = fz_get64(f, p + LOGE_OFF_SEQUENCE);
            last = s;
        }
    }
    uint32_t at = R(3) == 0 ? sectors - 1 : (R(2) ? (last + 2) % sectors : R(sectors)); /* last sector: wraps */
    vhdx_guid g;
    for (int i = 0; i < 16; i++) g.b[i] = (uint8_t)fz_get32(f, hdr_at[c] + HDR_OFF_LOG_GUID + (uint64_t)i);
    if (vhdx_guid_is_zero(&g) || R(8) == 0) {
        for (int i = 0; i < 16; i++) g.b[i] = (uint8_t)fz_rand(rng);
        uint8_t h[VHDX_HEADER_SIZE];
        fmt_header hd;
        fz_file_read(f, hdr_at[c], h, sizeof h);
        if (fmt_header_decode(h, sizeof h, &hd) == VHDX_OK) {
            hd.log_guid = g;
            if (fmt_header_encode(&hd, h, sizeof h) == VHDX_OK) (void)fz_file_put(f, hdr_at[c], h, sizeof h);
        }
    }
    uint8_t sec[2][VHDX_LOG_SECTOR];
    memset(sec, 0, sizeof sec);
    fmt_log_entry_header eh;
    memset(&eh, 0, sizeof eh);
    int zero = R(3) == 0;
    eh.signature = VHDX_SIG_LOGE;
    eh.entry_length = (uint32_t)(zero ? 1 : 2) * VHDX_LOG_SECTOR;
    eh.tail = R(2) ? at * VHDX_LOG_SECTOR : last * VHDX_LOG_SECTOR;
    eh.sequence_number = R(4) ? seq + 1 : interesting64(seq, f, rng);
    eh.descriptor_count = 1;
    eh.log_guid = g;
    eh.flushed_file_offset = eh.last_file_offset = R(4) ? f->size : interesting64(f->size, f, rng);
    (void)fmt_log_entry_header_encode(&eh, sec[0], LOGE_HEADER_SIZE);
    fmt_log_descriptor d;
    memset(&d, 0, sizeof d);
    uint32_t blen;
    uint64_t bat = region(f, &VHDX_GUID_BAT_REGION, &blen);
    uint64_t targets[] = { bat, region(f, &VHDX_GUID_METADATA_REGION, &blen), VHDX_RT1_OFFSET, hdr_at[R(2)],
                           (uint64_t)R(64) * MiB, f->size, lo };
    d.file_offset = targets[R(sizeof targets / sizeof targets[0])] + (uint64_t)R(4) * 4096;
    d.sequence_number = eh.sequence_number;
    if (zero) {
        d.signature = VHDX_SIG_ZERO;
        d.zero_length = (uint64_t)(1 + R(4)) * 4096;
        (void)fmt_log_descriptor_encode(&d, sec[0] + fmt_log_descriptor_pos(0), LOGD_SIZE);
    } else {
        uint8_t update[4096];
        fz_file_read(f, d.file_offset, update, sizeof update);
        for (unsigned k = 0, n = 1 + R(16); k < n; k++) update[R(4096)] = (uint8_t)fz_rand(rng);
        d.signature = VHDX_SIG_DESC;
        fmt_log_data_sector_encode(update, eh.sequence_number, &d, sec[1]);
        (void)fmt_log_descriptor_encode(&d, sec[0] + fmt_log_descriptor_pos(0), LOGD_SIZE);
    }
    for (unsigned k = 0; k < (zero ? 1u : 2u); k++)
        (void)fz_file_put(f, lo + (uint64_t)((at + k) % sectors) * VHDX_LOG_SECTOR, sec[k], VHDX_LOG_SECTOR);
    return 1;
}

static int mut_image(fz_file *f, uint64_t *rng)
{
    switch (R(6)) {
    case 0: return mut_header(f, rng);
    case 1: return mut_region_table(f, rng);
    case 2: return mut_metadata(f, rng);
    case 3: case 4: return mut_bat(f, rng) || mut_header(f, rng);
    default: return mut_log_entry(f, rng);
    }
}

/* ---- log region mutations (fuzz_log: the log alone, ring of len bytes) ---- */

/* Sector indexes of the "loge" entries of log[0..len) (at most max). */
static unsigned log_entries(const uint8_t *log, size_t len, uint32_t *idx, unsigned max)
{
    unsigned n = 0;
    for (size_t p = 0; p + VHDX_LOG_SECTOR <= len && n < max; p += VHDX_LOG_SECTOR)
        if (vhdx_le32(log + p) == VHDX_SIG_LOGE) idx[n++] = (uint32_t)(p / VHDX_LOG_SECTOR);
    return n;
}

static int mut_log(uint8_t *log, size_t len, uint64_t *rng)
{
    uint32_t idx[64];
    size_t sectors = len / VHDX_LOG_SECTOR;
    unsigned n = log_entries(log, len, idx, 64);
    if (!n || sectors < 2) return 0;
    uint8_t *e = log + (size_t)idx[R(n)] * VHDX_LOG_SECTOR;
    const uint8_t *o = log + (size_t)idx[R(n)] * VHDX_LOG_SECTOR;
    uint32_t el = vhdx_le32(e + LOGE_OFF_ENTRY_LENGTH), dc = vhdx_le32(e + LOGE_OFF_DESC_COUNT);
    size_t room = len - (size_t)(e - log); /* bytes from the entry to the end of the buffer */
    switch (R(8)) {
    case 0: /* sequence numbers */
        vhdx_put64(e + LOGE_OFF_SEQUENCE, R(2) ? vhdx_le64(o + LOGE_OFF_SEQUENCE) + 1 : vhdx_le64(e + LOGE_OFF_SEQUENCE) + R(3) - 1);
        return 1;
    case 1: /* tail: this entry, another one, or out of the ring */
        vhdx_put32(e + LOGE_OFF_TAIL, R(2) ? (uint32_t)(o - log) : (uint32_t)(e - log) + VHDX_LOG_SECTOR * R(3));
        return 1;
    case 2: { /* wrap: copy the entry to the end of the ring so it continues at the start */
        if (el == 0 || el % VHDX_LOG_SECTOR || el > len / 2 || el > room) return 0;
        size_t start = (sectors - 1 - R((unsigned)(el / VHDX_LOG_SECTOR) > 1 ? (unsigned)(el / VHDX_LOG_SECTOR - 1) : 1)) * VHDX_LOG_SECTOR;
        uint8_t *tmp = malloc(el);
        if (!tmp) return 0;
        memcpy(tmp, e, el);
        for (size_t k = 0; k < el; k++) log[(start + k) % len] = tmp[k];
        free(tmp);
        return 1;
    }
    case 3: { /* duplicate the entry at another sector */
        if (el == 0 || el % VHDX_LOG_SECTOR || el > len / 2 || el > room) return 0;
        size_t to = (size_t)R((unsigned)sectors) * VHDX_LOG_SECTOR;
        if (to + el > len) return 0;
        memmove(log + to, e, el);
        return 1;
    }
    case 4: { /* flip a descriptor between data and zero, or move its target */
        if (dc == 0 || dc > 126 || fmt_log_descriptor_pos(dc) > room) return 0;
        uint8_t *d = e + fmt_log_descriptor_pos(R(dc));
        if (R(2)) vhdx_put32(d, vhdx_le32(d) == VHDX_SIG_ZERO ? VHDX_SIG_DESC : VHDX_SIG_ZERO);
        else vhdx_put64(d + LOGD_OFF_FILE_OFFSET, R(2) ? (uint64_t)R(16) * 65536 : vhdx_le64(d + LOGD_OFF_FILE_OFFSET) + 4096);
        return 1;
    }
    case 5: /* descriptor count / entry length */
        if (R(2)) vhdx_put32(e + LOGE_OFF_DESC_COUNT, dc + R(3) - 1);
        else vhdx_put32(e + LOGE_OFF_ENTRY_LENGTH, el + (R(2) ? VHDX_LOG_SECTOR : -VHDX_LOG_SECTOR));
        return 1;
    case 6: /* flushed/last file offsets */
        vhdx_put64(e + (R(2) ? LOGE_OFF_FLUSHED : LOGE_OFF_LAST), (uint64_t)R(32) * MiB);
        return 1;
    default: /* erase the entry's signature (a hole in the sequence) */
        vhdx_put32(e, 0);
        return 1;
    }
}

/* ---- harness input formats ---- */

#define OPEN_PREFIX 4  /* fuzz_open: flags, extra MiB, u16 read seed */
#define LOG_PREFIX 17  /* fuzz_log: flags, LogGuid */

static size_t encode_open(const fz_file *f, const uint8_t *prefix, uint8_t *out, size_t max)
{
    size_t n = 0;
    uint8_t *enc = fz_image_to_segments(f, prefix, OPEN_PREFIX, &n);
    if (!enc || n > max) { free(enc); return 0; }
    memcpy(out, enc, n);
    free(enc);
    return n;
}

static size_t mutate_open(uint8_t *data, size_t size, size_t max, uint64_t *rng)
{
    uint8_t prefix[OPEN_PREFIX] = { 0 };
    memcpy(prefix, data, size < OPEN_PREFIX ? size : OPEN_PREFIX);
    fz_file f;
    fz_file_init(&f, FZ_IMAGE_MAX);
    fz_image_from_segments(&f, data + (size < OPEN_PREFIX ? size : OPEN_PREFIX),
                           size < OPEN_PREFIX ? 0 : size - OPEN_PREFIX, prefix[1]);
    int did = 0;
    for (unsigned k = 0, m = 1 + R(3); k < m; k++) did |= mut_image(&f, rng);
    if (R(8) == 0) { prefix[0] ^= (uint8_t)(1u << R(6)); did = 1; }
    if (!(prefix[0] & FZ_FLAG_NO_FIXUP)) fz_fix_image(&f);
    size_t n = did ? encode_open(&f, prefix, data, max) : 0;
    fz_file_free(&f);
    return n;
}

static size_t mutate_log(uint8_t *data, size_t size, size_t max, uint64_t *rng)
{
    if (size < LOG_PREFIX + VHDX_LOG_SECTOR) return 0;
    size_t len = (size - LOG_PREFIX) / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
    uint8_t *log = data + LOG_PREFIX;
    int did = 0;
    for (unsigned k = 0, m = 1 + R(3); k < m; k++) did |= mut_log(log, len, rng);
    if (R(4) == 0) { /* entries and the header agree on the LogGuid (or stop agreeing) */
        uint32_t idx[1];
        if (log_entries(log, len, idx, 1)) memcpy(data + 1, log + (size_t)idx[0] * VHDX_LOG_SECTOR + LOGE_OFF_LOG_GUID, 16);
        else data[1 + R(16)] ^= 1;
        did = 1;
    }
    if (!did) return 0;
    if (!(data[0] & FZ_FLAG_NO_FIXUP)) {
        vhdx_guid g;
        memcpy(g.b, data + 1, 16);
        fz_fix_log(log, len, (data[0] & 0x02) ? &g : NULL);
    }
    (void)max;
    return size;
}

static size_t cross_open(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                         size_t max, uint64_t *rng)
{
    if (s1 < OPEN_PREFIX || s2 < OPEN_PREFIX) return 0;
    fz_file a, b;
    fz_file_init(&a, FZ_IMAGE_MAX);
    fz_file_init(&b, FZ_IMAGE_MAX);
    fz_image_from_segments(&a, d1 + OPEN_PREFIX, s1 - OPEN_PREFIX, d1[1]);
    fz_image_from_segments(&b, d2 + OPEN_PREFIX, s2 - OPEN_PREFIX, d2[1]);
    /* one structure of b replaces a's: a header, a region table, the BAT or metadata region */
    uint64_t from = 0, to = 0;
    uint32_t len = 0, l2 = 0;
    switch (R(4)) {
    case 0: from = to = hdr_at[R(2)]; len = VHDX_HEADER_SIZE; break;
    case 1: from = to = VHDX_RT1_OFFSET; len = VHDX_RT_SIZE; break;
    case 2: from = region(&b, &VHDX_GUID_BAT_REGION, &len); to = region(&a, &VHDX_GUID_BAT_REGION, &l2); break;
    default: from = region(&b, &VHDX_GUID_METADATA_REGION, &len); to = region(&a, &VHDX_GUID_METADATA_REGION, &l2);
    }
    if (len > MiB) len = (uint32_t)MiB;
    size_t n = 0;
    if (from && to && len) {
        (void)fz_file_copy_range(&a, to, &b, from, len);
        fz_fix_image(&a);
        n = encode_open(&a, d1, out, max);
    }
    fz_file_free(&a);
    fz_file_free(&b);
    return n;
}

static size_t cross_log(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                        size_t max, uint64_t *rng)
{
    /* d1's prefix and log, with one entry of d2 written over a sector of it */
    if (s1 < LOG_PREFIX + VHDX_LOG_SECTOR || s2 < LOG_PREFIX + VHDX_LOG_SECTOR || s1 > max) return 0;
    memcpy(out, d1, s1);
    size_t l1 = (s1 - LOG_PREFIX) / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR, l2 = s2 - LOG_PREFIX;
    uint32_t idx[64];
    unsigned n = log_entries(d2 + LOG_PREFIX, l2, idx, 64);
    if (!n) return 0;
    const uint8_t *e = d2 + LOG_PREFIX + (size_t)idx[R(n)] * VHDX_LOG_SECTOR;
    size_t el = vhdx_le32(e + LOGE_OFF_ENTRY_LENGTH);
    size_t avail = (size_t)(d2 + s2 - e);
    if (el == 0 || el > avail) el = avail < VHDX_LOG_SECTOR ? avail : VHDX_LOG_SECTOR;
    size_t to = (size_t)R((unsigned)(l1 / VHDX_LOG_SECTOR)) * VHDX_LOG_SECTOR;
    if (to + el > l1) el = l1 - to;
    memcpy(out + LOG_PREFIX + to, e, el);
    if (!(out[0] & FZ_FLAG_NO_FIXUP)) {
        vhdx_guid g;
        memcpy(g.b, out + 1, 16);
        fz_fix_log(out + LOG_PREFIX, l1, (out[0] & 0x02) ? &g : NULL);
    }
    return s1;
}

/* A prefix of d1 followed by a suffix of d2 (the plain crossover). */
static size_t splice(const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2, uint8_t *out,
                     size_t max_out, uint64_t *rng)
{
    size_t a = s1 ? R((unsigned)s1 + 1) : 0, b = s2 ? R((unsigned)s2 + 1) : 0;
    if (a > max_out) a = max_out;
    if (s2 - b > max_out - a) b = s2 - (max_out - a);
    memcpy(out, d1, a);
    memcpy(out + a, d2 + b, s2 - b);
    return a + (s2 - b);
}

size_t fz_mutate(fz_mut_kind kind, uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + size, *rng = &st;
    size_t n = 0;
    if (R(4) != 0) n = kind == FZ_MUT_OPEN ? mutate_open(data, size, max_size, rng) : mutate_log(data, size, max_size, rng);
    return n ? n : fz_mutate_bytes(data, size, max_size, rng);
}

size_t fz_crossover(fz_mut_kind kind, const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                    uint8_t *out, size_t max_out, unsigned seed)
{
    uint64_t st = seed * 0x9E3779B97F4A7C15ull + s1 + s2, *rng = &st;
    size_t n = kind == FZ_MUT_OPEN ? cross_open(d1, s1, d2, s2, out, max_out, rng)
                                   : cross_log(d1, s1, d2, s2, out, max_out, rng);
    return n ? n : splice(d1, s1, d2, s2, out, max_out, rng);
}

static int fz_plain_only(void)
{
    static int v = -1;
    if (v < 0) {
        const char *e = getenv("FZ_NO_CUSTOM_MUTATOR");
        v = e && *e == '1';
    }
    return v;
}

size_t fz_mutate_entry(fz_mut_kind kind, uint8_t *data, size_t size, size_t max_size, unsigned seed)
{
    if (fz_plain_only()) {
        uint64_t st = seed;
        return fz_mutate_bytes(data, size, max_size, &st);
    }
    return fz_mutate(kind, data, size, max_size, seed);
}

size_t fz_crossover_entry(fz_mut_kind kind, const uint8_t *d1, size_t s1, const uint8_t *d2,
                          size_t s2, uint8_t *out, size_t max_out, unsigned seed)
{
    if (fz_plain_only()) {
        uint64_t st = seed;
        return splice(d1, s1, d2, s2, out, max_out, &st);
    }
    return fz_crossover(kind, d1, s1, d2, s2, out, max_out, seed);
}

FZ_NO_COVERAGE_END
