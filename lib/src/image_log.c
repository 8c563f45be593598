/*
 * image_log.c - the VHDX log (MS-VHDX 2.3): finding the active sequence, replay in place
 * (writable opens) or into an in-memory overlay (read-only opens), and journaled metadata
 * updates for the write path.
 *
 * Writer design (why it looks the way it does):
 * - Every img_log_write is ONE entry whose Tail points at itself: the entry is written,
 *   flushed, applied in place and flushed again before the call returns, so no earlier
 *   entry is ever needed for replay. A torn entry therefore leaves the previous entry as
 *   the active sequence, and replaying that again is idempotent.
 * - A new entry is never placed over the most recent entry of the session; when it would
 *   be, the session is closed first (LogGuid cleared) and a new one started at ring
 *   offset 0 with a fresh LogGuid.
 * - At the start of a session the entry is written and flushed BEFORE the header carrying
 *   the new LogGuid: a header with a non-zero LogGuid and no valid entry is unopenable
 *   (R61), so the reverse order would turn a crash between the two steps into a corrupt
 *   file. The current LogGuid is zero at that time (clean image or replay just cleared
 *   it), so no valid entry is overwritten, which is what R14 protects.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define LOG_RING_CACHE_MAX (8u * 1024u * 1024u) /* rings up to this size are read once */
#define LOG_LOGGABLE_MIN   (192u * 1024u)       /* first region table: lowest loggable byte */
#define LOG_MAX_TARGET     ((uint64_t)1 << 47)  /* no VHDX file extends this far (64 TiB data) */
#define OV_MAX_ZERO_RANGES 65536u

typedef struct ov_sector {
    uint64_t off;
    uint64_t order;
    uint8_t *data;            /* 4096 bytes */
} ov_sector;

typedef struct ov_zero {
    uint64_t off, len;
    uint64_t order;
} ov_zero;

typedef struct log_pos_info {
    uint8_t state;            /* 0 unknown, 1 invalid, 2 valid */
    uint32_t entry_length, tail;
    uint64_t seq, flushed, last;
} log_pos_info;

struct img_wbatch;

struct img_log {
    /* read-only overlay */
    int overlay;
    uint64_t backend_size;
    ov_sector *sec;
    size_t nsec, capsec;
    ov_zero *zr;              /* sorted, disjoint */
    size_t nzr, capzr;
    uint64_t mem;
    uint64_t order;
    /* ranges touched by the last replay (for info/check) */
    uint64_t *rg_off, *rg_len;
    size_t nrg;
    /* writer session */
    int session;
    int failed;
    vhdx_guid guid;
    uint64_t next_seq;
    uint32_t head_pos, head_len;
    /* image_write.c */
    struct img_wbatch *wb;
};

/* ------------------------------------------------------------------------------------ */

static struct img_log *log_state(vhdx_image *img)
{
    if (!img->log) img->log = calloc(1, sizeof(struct img_log));
    return img->log;
}

uint64_t img_log_backend_size(const vhdx_image *img)
{
    if (img->log && img->log->overlay) return img->log->backend_size;
    return img->file_size;
}

size_t img_log_replay_ranges(const vhdx_image *img, uint64_t *offs, uint64_t *lens, size_t max)
{
    const struct img_log *lg = img->log;
    size_t i;
    if (!lg) return 0;
    for (i = 0; i < lg->nrg && i < max; i++) {
        if (offs) offs[i] = lg->rg_off[i];
        if (lens) lens[i] = lg->rg_len[i];
    }
    return lg->nrg;
}

/* ---- ring access ------------------------------------------------------------------- */

typedef struct log_ctx {
    vhdx_image *img;
    uint64_t log_off;
    uint32_t log_len;
    vhdx_guid guid;
    uint8_t *ring;            /* whole ring when small, else NULL */
    uint8_t *scratch;         /* one entry */
    size_t scratch_cap;
    log_pos_info *pos;        /* per 4 KiB slot */
    uint64_t budget;          /* entry bytes the scan may still read and checksum */
} log_ctx;

static int ring_read(log_ctx *c, uint32_t pos, uint8_t *buf, size_t len, vhdx_diag *diag)
{
    while (len > 0) {
        size_t n = len;
        if ((uint64_t)pos + n > c->log_len) n = (size_t)(c->log_len - pos);
        if (c->ring) {
            memcpy(buf, c->ring + pos, n);
        } else {
            int rc = img_pread(c->img, c->log_off + pos, buf, n, diag);
            if (rc != VHDX_OK) return rc;
        }
        buf += n;
        len -= n;
        pos = (uint32_t)(((uint64_t)pos + n) % c->log_len);
    }
    return VHDX_OK;
}

static int scratch_reserve(log_ctx *c, size_t len)
{
    uint8_t *p;
    if (len <= c->scratch_cap) return VHDX_OK;
    p = realloc(c->scratch, len);
    if (!p) return VHDX_E_NOMEM;
    c->scratch = p;
    c->scratch_cap = len;
    return VHDX_OK;
}

/* Validity of the entry at ring slot pos (cached). Only I/O and memory errors fail. */
static int entry_at(log_ctx *c, uint32_t pos, const log_pos_info **out, vhdx_diag *diag)
{
    log_pos_info *pi = &c->pos[pos / VHDX_LOG_SECTOR];
    uint8_t hs[VHDX_LOG_SECTOR];
    fmt_log_entry_header h;
    int rc;

    *out = pi;
    if (pi->state != 0) return VHDX_OK;
    pi->state = 1;
    rc = ring_read(c, pos, hs, sizeof hs, diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_log_entry_header_decode(hs, sizeof hs, &h) != VHDX_OK) return VHDX_OK;
    /* cheap filters first: R36 signature, R42 LogGuid, R38 length */
    if (h.signature != VHDX_SIG_LOGE || !vhdx_guid_equal(&h.log_guid, &c->guid)) return VHDX_OK;
    if (h.entry_length == 0 || h.entry_length % VHDX_LOG_SECTOR != 0 || h.entry_length > c->log_len)
        return VHDX_OK;
    /* A real log checksums each entry once (entries do not overlap); a hostile one can
     * put an entry header claiming the whole ring at every 4 KiB slot. Bound the work. */
    if (h.entry_length > c->budget)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_LOG, c->log_off + pos, "log (scan work)");
    c->budget -= h.entry_length;
    rc = scratch_reserve(c, h.entry_length);
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "log");
    rc = ring_read(c, pos, c->scratch, h.entry_length, diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_log_entry_validate(c->scratch, h.entry_length, &c->guid, c->log_len, NULL,
                               c->log_off + pos) != VHDX_OK)
        return VHDX_OK;
    pi->state = 2;
    pi->entry_length = h.entry_length;
    pi->tail = h.tail;
    pi->seq = h.sequence_number;
    pi->flushed = h.flushed_file_offset;
    pi->last = h.last_file_offset;
    return VHDX_OK;
}

typedef struct log_seq {
    uint32_t *pos;            /* entry positions, tail first */
    size_t n;
    uint64_t head_seq, flushed, last;
} log_seq;

/* [MS-VHDX 2.3.3] the search of VHDX-FORMAT.md 8.7: runs of consecutive valid entries;
 * a run is a valid sequence when its head's Tail is the start of one of its entries;
 * the newest valid sequence (highest head SequenceNumber) is active. */
static int find_active(log_ctx *c, log_seq *best, vhdx_diag *diag)
{
    size_t slots = c->log_len / VHDX_LOG_SECTOR;
    uint32_t *run = malloc(slots * sizeof(uint32_t));
    uint32_t cur = 0, old = 0;
    int rc = VHDX_OK;

    if (!run) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
    best->n = 0;
    best->head_seq = 0;
    for (;;) {
        size_t n = 0, k, tail_idx = SIZE_MAX;
        uint64_t total = 0, last_seq = 0;
        uint32_t p = cur;
        const log_pos_info *head = NULL;
        while (total < c->log_len) {
            const log_pos_info *pi;
            rc = entry_at(c, p, &pi, diag);
            if (rc != VHDX_OK) goto out;
            if (pi->state != 2) break;
            if (n > 0 && pi->seq != last_seq + 1) break; /* R57: consecutive */
            if (total + pi->entry_length > c->log_len) break;
            run[n++] = p;
            head = pi;
            last_seq = pi->seq;
            total += pi->entry_length;
            p = (uint32_t)(((uint64_t)p + pi->entry_length) % c->log_len);
        }
        if (head) {
            for (k = 0; k < n; k++)
                if (run[k] == head->tail) { tail_idx = k; break; }
        }
        if (tail_idx != SIZE_MAX) {
            if (head->seq > best->head_seq) {
                best->n = n - tail_idx;
                memcpy(best->pos, run + tail_idx, best->n * sizeof(uint32_t));
                best->head_seq = head->seq;
                best->flushed = head->flushed;
                best->last = head->last;
            }
            cur = p;
        } else {
            cur = (uint32_t)(((uint64_t)cur + VHDX_LOG_SECTOR) % c->log_len);
        }
        if (cur <= old) break; /* wrapped: the whole ring was scanned */
        old = cur;
    }
out:
    free(run);
    return rc;
}

/* ---- overlay ----------------------------------------------------------------------- */

static int ov_charge(vhdx_image *img, struct img_log *lg, uint64_t bytes, vhdx_diag *diag)
{
    if (lg->mem + bytes > img->limits.max_overlay_memory)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_MEMORY, VHDX_NO_OFFSET, "log overlay");
    lg->mem += bytes;
    return VHDX_OK;
}

static int ov_add_sector(vhdx_image *img, struct img_log *lg, uint64_t off, const uint8_t *data,
                         vhdx_diag *diag)
{
    int rc = ov_charge(img, lg, VHDX_LOG_SECTOR + sizeof(ov_sector), diag);
    if (rc != VHDX_OK) return rc;
    if (lg->nsec == lg->capsec) {
        size_t nc = lg->capsec ? lg->capsec * 2 : 16;
        ov_sector *p = realloc(lg->sec, nc * sizeof(*p));
        if (!p) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log overlay");
        lg->sec = p;
        lg->capsec = nc;
    }
    lg->sec[lg->nsec].data = malloc(VHDX_LOG_SECTOR);
    if (!lg->sec[lg->nsec].data) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log overlay");
    memcpy(lg->sec[lg->nsec].data, data, VHDX_LOG_SECTOR);
    lg->sec[lg->nsec].off = off;
    lg->sec[lg->nsec].order = lg->order++;
    lg->nsec++;
    return VHDX_OK;
}

/* Insert [off, off+len) with the newest order into the sorted disjoint zero set. */
static int ov_add_zero(vhdx_image *img, struct img_log *lg, uint64_t off, uint64_t len,
                       vhdx_diag *diag)
{
    uint64_t end = off + len;
    size_t i, j, nkeep = 0;
    ov_zero *out;
    int rc;

    if (len == 0) return VHDX_OK;
    if (lg->nzr + 2 > OV_MAX_ZERO_RANGES)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_MEMORY, VHDX_NO_OFFSET, "log overlay");
    rc = ov_charge(img, lg, 2 * sizeof(ov_zero), diag);
    if (rc != VHDX_OK) return rc;
    out = malloc((lg->nzr + 2) * sizeof(*out));
    if (!out) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log overlay");
    for (i = 0; i < lg->nzr && lg->zr[i].off + lg->zr[i].len <= off; i++) out[nkeep++] = lg->zr[i];
    if (i < lg->nzr && lg->zr[i].off < off) { /* left part of an overlapping range */
        out[nkeep] = lg->zr[i];
        out[nkeep].len = off - lg->zr[i].off;
        nkeep++;
    }
    out[nkeep].off = off;
    out[nkeep].len = len;
    out[nkeep].order = lg->order++;
    nkeep++;
    for (j = i; j < lg->nzr && lg->zr[j].off < end; j++) {
        uint64_t e = lg->zr[j].off + lg->zr[j].len;
        if (e > end) { /* right part survives */
            out[nkeep] = lg->zr[j];
            out[nkeep].off = end;
            out[nkeep].len = e - end;
            nkeep++;
        }
    }
    for (; j < lg->nzr; j++) out[nkeep++] = lg->zr[j];
    free(lg->zr);
    lg->zr = out;
    lg->nzr = nkeep;
    lg->capzr = nkeep;
    return VHDX_OK;
}

static int cmp_sec(const void *a, const void *b)
{
    const ov_sector *x = a, *y = b;
    if (x->off != y->off) return x->off < y->off ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static const ov_zero *zr_find(const struct img_log *lg, uint64_t off)
{
    size_t lo = 0, hi = lg->nzr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lg->zr[mid].off + lg->zr[mid].len <= off) lo = mid + 1;
        else hi = mid;
    }
    if (lo < lg->nzr && lg->zr[lo].off <= off) return &lg->zr[lo];
    return NULL;
}

/* Sort sectors, keep the newest per offset, drop sectors a later zero range covers. */
static void ov_finalize(struct img_log *lg)
{
    size_t i, n = 0;
    if (lg->nsec > 1) qsort(lg->sec, lg->nsec, sizeof(ov_sector), cmp_sec);
    for (i = 0; i < lg->nsec; i++) {
        const ov_zero *z;
        int drop = (i + 1 < lg->nsec && lg->sec[i + 1].off == lg->sec[i].off);
        z = zr_find(lg, lg->sec[i].off);
        if (z && z->order > lg->sec[i].order) drop = 1;
        if (drop) {
            free(lg->sec[i].data);
            lg->mem -= VHDX_LOG_SECTOR + sizeof(ov_sector);
            continue;
        }
        lg->sec[n++] = lg->sec[i];
    }
    lg->nsec = n;
}

void img_log_overlay_apply(const vhdx_image *img, uint64_t off, uint8_t *buf, size_t len)
{
    const struct img_log *lg = img->log;
    uint64_t end = off + len;
    size_t lo, hi, i;

    if (!lg || !lg->overlay || len == 0) return;
    /* zero ranges first: every surviving data sector is newer than any range covering it */
    lo = 0;
    hi = lg->nzr;
    while (lo < hi) { /* first range ending after off */
        size_t mid = lo + (hi - lo) / 2;
        if (lg->zr[mid].off + lg->zr[mid].len <= off) lo = mid + 1;
        else hi = mid;
    }
    for (i = lo; i < lg->nzr; i++) {
        uint64_t a = lg->zr[i].off, b = a + lg->zr[i].len;
        if (b <= off) continue;
        if (a >= end) break;
        if (a < off) a = off;
        if (b > end) b = end;
        memset(buf + (a - off), 0, (size_t)(b - a));
    }
    lo = 0;
    hi = lg->nsec;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lg->sec[mid].off + VHDX_LOG_SECTOR <= off) lo = mid + 1;
        else hi = mid;
    }
    for (i = lo; i < lg->nsec && lg->sec[i].off < end; i++) {
        uint64_t a = lg->sec[i].off, b = a + VHDX_LOG_SECTOR;
        uint64_t ca = a < off ? off : a, cb = b > end ? end : b;
        memcpy(buf + (ca - off), lg->sec[i].data + (ca - a), (size_t)(cb - ca));
    }
}

/* ---- replay ------------------------------------------------------------------------ */

static int add_range(struct img_log *lg, uint64_t off, uint64_t len)
{
    if (lg->nrg % 64 == 0) {
        uint64_t *a = realloc(lg->rg_off, (lg->nrg + 64) * sizeof(uint64_t));
        uint64_t *b;
        if (!a) return VHDX_E_NOMEM;
        lg->rg_off = a;
        b = realloc(lg->rg_len, (lg->nrg + 64) * sizeof(uint64_t));
        if (!b) return VHDX_E_NOMEM;
        lg->rg_len = b;
    }
    lg->rg_off[lg->nrg] = off;
    lg->rg_len[lg->nrg] = len;
    lg->nrg++;
    return VHDX_OK;
}

static int zero_fill(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag)
{
    static const uint8_t zeros[64 * 1024];
    int rc;
    /* past the end of the file an extension gives zeros without writing them */
    if (off >= img->file_size && img->io->set_size) {
        rc = img->io->set_size(img->io->ctx, off + len);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, off, "log replay");
        img->file_size = off + len;
        return VHDX_OK;
    }
    while (len > 0) {
        size_t n = len > sizeof zeros ? sizeof zeros : (size_t)len;
        if (off < img->file_size && off + n > img->file_size) n = (size_t)(img->file_size - off);
        rc = img_pwrite(img, off, zeros, n, diag);
        if (rc != VHDX_OK) return rc;
        off += n;
        len -= n;
        if (off >= img->file_size && len > 0 && img->io->set_size) return zero_fill(img, off, len, diag);
    }
    return VHDX_OK;
}

/* D14: a descriptor must not target the file identifier, the headers or the log. */
static int check_target(log_ctx *c, uint64_t off, uint64_t len, uint64_t base, vhdx_diag *diag)
{
    if (off < LOG_LOGGABLE_MIN || len > LOG_MAX_TARGET || off > LOG_MAX_TARGET - len ||
        vhdx_ranges_overlap(off, len, c->log_off, c->log_len))
        return VHDX_FAIL(diag, VHDX_E_LOG_DESC_TARGET, base, "log descriptor FileOffset");
    return VHDX_OK;
}

/* pass 0: validate targets, compute the end; pass 1: apply (in place or overlay). */
static int replay_pass(log_ctx *c, const log_seq *s, int pass, uint64_t *max_end, vhdx_diag *diag)
{
    vhdx_image *img = c->img;
    struct img_log *lg = img->log;
    size_t e;
    int rc;

    for (e = 0; e < s->n; e++) {
        fmt_log_entry_header h;
        uint64_t i, data_idx = 0, dsec;
        uint64_t ebase = c->log_off + s->pos[e];
        rc = ring_read(c, s->pos[e], c->scratch, VHDX_LOG_SECTOR, diag);
        if (rc != VHDX_OK) return rc;
        if (fmt_log_entry_header_decode(c->scratch, VHDX_LOG_SECTOR, &h) != VHDX_OK)
            return VHDX_FAIL(diag, VHDX_E_INTERNAL, ebase, "log entry");
        rc = scratch_reserve(c, h.entry_length);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, ebase, "log entry");
        rc = ring_read(c, s->pos[e], c->scratch, h.entry_length, diag);
        if (rc != VHDX_OK) return rc;
        dsec = fmt_log_descriptor_sectors(h.descriptor_count);
        for (i = 0; i < h.descriptor_count; i++) {
            fmt_log_descriptor d;
            uint64_t dpos = fmt_log_descriptor_pos(i);
            if (fmt_log_descriptor_decode(c->scratch + dpos, LOGD_SIZE, &d) != VHDX_OK)
                return VHDX_FAIL(diag, VHDX_E_INTERNAL, ebase + dpos, "log descriptor");
            if (d.signature == VHDX_SIG_DESC) {
                uint64_t spos = (dsec + data_idx) * VHDX_LOG_SECTOR;
                data_idx++;
                if (pass == 0) {
                    rc = check_target(c, d.file_offset, VHDX_LOG_SECTOR, ebase + dpos, diag);
                    if (rc != VHDX_OK) return rc;
                    if (d.file_offset + VHDX_LOG_SECTOR > *max_end)
                        *max_end = d.file_offset + VHDX_LOG_SECTOR;
                    rc = add_range(lg, d.file_offset, VHDX_LOG_SECTOR);
                    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "log");
                } else {
                    uint8_t upd[VHDX_LOG_SECTOR];
                    /* R51: LeadingBytes || Data || TrailingBytes */
                    fmt_log_data_sector_decode(c->scratch + spos, &d, upd);
                    if (lg->overlay) rc = ov_add_sector(img, lg, d.file_offset, upd, diag);
                    else rc = img_pwrite(img, d.file_offset, upd, VHDX_LOG_SECTOR, diag);
                    if (rc != VHDX_OK) return rc;
                }
            } else if (d.signature == VHDX_SIG_ZERO) {
                if (pass == 0) {
                    rc = check_target(c, d.file_offset, d.zero_length, ebase + dpos, diag);
                    if (rc != VHDX_OK) return rc;
                    if (d.zero_length > 0 && d.file_offset + d.zero_length > *max_end)
                        *max_end = d.file_offset + d.zero_length;
                    rc = add_range(lg, d.file_offset, d.zero_length);
                    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "log");
                } else {
                    if (lg->overlay) rc = ov_add_zero(img, lg, d.file_offset, d.zero_length, diag);
                    else rc = zero_fill(img, d.file_offset, d.zero_length, diag);
                    if (rc != VHDX_OK) return rc;
                }
            } else {
                return VHDX_FAIL(diag, VHDX_E_INTERNAL, ebase + dpos, "log descriptor");
            }
        }
    }
    return VHDX_OK;
}

int img_log_open(vhdx_image *img, vhdx_diag *diag)
{
    const fmt_header *hd = &img->hdr[img->cur];
    struct img_log *lg;
    log_ctx c;
    log_seq s;
    uint64_t max_end = 0, slots;
    int rc;

    if (vhdx_guid_is_zero(&hd->log_guid)) return VHDX_OK; /* R14: nothing to replay */
    img->log_dirty_at_open = 1;
    if (hd->log_version != 0) /* R15 */
        return VHDX_FAIL(diag, VHDX_E_HEADER_LOG_VERSION,
                         (img->cur ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET) + HDR_OFF_LOG_VERSION,
                         "header.LogVersion");
    if (img->flags & VHDX_OPEN_NO_REPLAY) /* R59 */
        return VHDX_FAIL(diag, VHDX_E_LOG_REPLAY_REQUIRED, VHDX_NO_OFFSET, "header.LogGuid");
    if (hd->log_length == 0)
        return VHDX_FAIL(diag, VHDX_E_LOG_GUID_NO_LOG, VHDX_NO_OFFSET, "header.LogLength");
    if (hd->log_length % MiB != 0)
        return VHDX_FAIL(diag, VHDX_E_HEADER_LOG_LENGTH, VHDX_NO_OFFSET, "header.LogLength");
    if (hd->log_offset % MiB != 0 || hd->log_offset < VHDX_HEADER_SECTION)
        return VHDX_FAIL(diag, VHDX_E_HEADER_LOG_OFFSET, VHDX_NO_OFFSET, "header.LogOffset");
    if (!vhdx_range_ok(hd->log_offset, hd->log_length, img->file_size))
        return VHDX_FAIL(diag, VHDX_E_LOG_OUTSIDE_FILE, hd->log_offset, "header.LogOffset");
    if (hd->log_length > img->limits.max_log_length)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_LOG, hd->log_offset, "header.LogLength");

    lg = log_state(img);
    if (!lg) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
    memset(&c, 0, sizeof c);
    memset(&s, 0, sizeof s);
    c.img = img;
    c.log_off = hd->log_offset;
    c.log_len = hd->log_length;
    c.guid = hd->log_guid;
    c.budget = 8 * (uint64_t)hd->log_length + 64 * MiB;
    slots = hd->log_length / VHDX_LOG_SECTOR;
    c.pos = calloc((size_t)slots, sizeof(log_pos_info));
    s.pos = malloc((size_t)slots * sizeof(uint32_t));
    rc = (c.pos && s.pos) ? VHDX_OK : VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
    if (rc == VHDX_OK && hd->log_length <= LOG_RING_CACHE_MAX) {
        c.ring = malloc(hd->log_length);
        if (!c.ring) rc = VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
        else rc = img_pread(img, c.log_off, c.ring, hd->log_length, diag);
    }
    if (rc == VHDX_OK) rc = scratch_reserve(&c, VHDX_LOG_SECTOR);
    if (rc == VHDX_OK) rc = find_active(&c, &s, diag);
    if (rc == VHDX_OK && s.n == 0) /* R61 */
        rc = VHDX_FAIL(diag, VHDX_E_LOG_NO_SEQUENCE, c.log_off, "log");
    if (rc == VHDX_OK && img->file_size < s.flushed) /* R62 */
        rc = VHDX_FAIL(diag, VHDX_E_LOG_TRUNCATED, s.flushed, "log entry FlushedFileOffset");
    if (rc == VHDX_OK) rc = replay_pass(&c, &s, 0, &max_end, diag);
    if (rc == VHDX_OK) {
        if (s.last > max_end) max_end = s.last;
        if (img->writable) {
            /* R12/R20: header update with a fresh FileWriteGuid before the replay writes */
            rc = img_begin_modify(img, 0, diag);
            if (rc == VHDX_OK) rc = replay_pass(&c, &s, 1, &max_end, diag);
            /* R64/R65: the file reaches at least LastFileOffset */
            if (rc == VHDX_OK && img->file_size < s.last)
                rc = zero_fill(img, img->file_size, s.last - img->file_size, diag);
            if (rc == VHDX_OK) rc = img_fflush(img, diag);
            if (rc == VHDX_OK) rc = img_header_update(img, IMG_HDR_SET_LOG_GUID, NULL, diag);
            if (rc == VHDX_OK) img->log_replayed = 2;
        } else {
            lg->overlay = 1;
            lg->backend_size = img->file_size;
            rc = replay_pass(&c, &s, 1, &max_end, diag);
            if (rc == VHDX_OK) {
                ov_finalize(lg);
                if (max_end > img->file_size) img->file_size = max_end;
                img->log_replayed = 1;
            }
        }
        if (rc == VHDX_OK) img->log_entries_replayed = s.n;
    }
    free(c.pos);
    free(s.pos);
    free(c.ring);
    free(c.scratch);
    return rc;
}

struct img_wbatch **img_log_wbatch_slot(vhdx_image *img)
{
    struct img_log *lg = log_state(img);
    return lg ? &lg->wb : NULL;
}

static void log_free(struct img_log *lg)
{
    size_t i;
    img_write_batch_free(lg->wb);
    for (i = 0; i < lg->nsec; i++) free(lg->sec[i].data);
    free(lg->sec);
    free(lg->zr);
    free(lg->rg_off);
    free(lg->rg_len);
    free(lg);
}

int img_log_finish(vhdx_image *img, vhdx_diag *diag)
{
    struct img_log *lg = img->log;
    int rc;
    if (!lg || !lg->session || !img->writable) return VHDX_OK;
    lg->session = 0;
    if (lg->failed) return VHDX_OK; /* leave LogGuid set: the next open replays */
    rc = img_fflush(img, diag);
    if (rc == VHDX_OK) rc = img_header_update(img, IMG_HDR_SET_LOG_GUID, NULL, diag);
    return rc;
}

void img_log_close(vhdx_image *img)
{
    if (!img->log) return;
    (void)img_log_finish(img, NULL);
    log_free(img->log);
    img->log = NULL;
}

/* ---- journaled writes -------------------------------------------------------------- */

static int guid_nonzero(vhdx_image *img, vhdx_guid *g, vhdx_diag *diag)
{
    const vhdx_guid_gen *gen = img->gen ? img->gen : vhdx_guid_gen_default();
    int i, rc;
    for (i = 0; i < 8; i++) {
        rc = vhdx_guid_generate(gen, g);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "LogGuid");
        if (!vhdx_guid_is_zero(g)) return VHDX_OK;
    }
    return VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_NO_OFFSET, "LogGuid");
}

static int ring_write(vhdx_image *img, uint64_t log_off, uint32_t log_len, uint32_t pos,
                      const uint8_t *buf, size_t len, vhdx_diag *diag)
{
    while (len > 0) {
        size_t n = len;
        int rc;
        if ((uint64_t)pos + n > log_len) n = (size_t)(log_len - pos);
        rc = img_pwrite(img, log_off + pos, buf, n, diag);
        if (rc != VHDX_OK) return rc;
        buf += n;
        len -= n;
        pos = (uint32_t)(((uint64_t)pos + n) % log_len);
    }
    return VHDX_OK;
}

static uint64_t img_log_entry_size(size_t n)
{
    return VHDX_LOG_SECTOR * (fmt_log_descriptor_sectors(n) + n);
}

int img_log_write(vhdx_image *img, const img_meta_sector *sectors, size_t n, vhdx_diag *diag)
{
    const fmt_header *hd;
    struct img_log *lg;
    uint64_t elen64, dsec, seq, i;
    uint32_t elen, pos, log_len;
    uint64_t log_off;
    uint8_t *ent;
    fmt_log_entry_header eh;
    int first, rc;

    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    if (n == 0) return VHDX_OK;
    hd = &img->hdr[img->cur];
    log_off = hd->log_offset;
    log_len = hd->log_length;
    for (i = 0; i < n; i++) {
        uint64_t off = sectors[i].file_offset;
        if (off % VHDX_LOG_SECTOR != 0 || off < LOG_LOGGABLE_MIN ||
            vhdx_ranges_overlap(off, VHDX_LOG_SECTOR, log_off, log_len))
            return VHDX_FAIL(diag, VHDX_E_MISUSE, off, "img_log_write target");
    }
    elen64 = img_log_entry_size(n);
    if (log_len == 0 || elen64 > log_len)
        return VHDX_FAIL(diag, VHDX_E_LOG_FULL, log_off, "log");
    elen = (uint32_t)elen64;
    lg = log_state(img);
    if (!lg) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
    if (lg->failed) return VHDX_FAIL(diag, VHDX_E_IO, VHDX_NO_OFFSET, "log (earlier failure)");
    rc = img_begin_modify(img, 0, diag);
    if (rc != VHDX_OK) return rc;

    if (lg->session && elen > log_len - lg->head_len) {
        /* the entry would overwrite the newest one: end the session (everything is
         * applied and flushed), start a new one at offset 0 */
        rc = img_log_finish(img, diag);
        if (rc != VHDX_OK) { lg->failed = 1; return rc; }
    }
    first = !lg->session;
    if (first) {
        rc = guid_nonzero(img, &lg->guid, diag);
        if (rc != VHDX_OK) return rc;
        pos = 0;
        seq = 1;
    } else {
        pos = (uint32_t)(((uint64_t)lg->head_pos + lg->head_len) % log_len);
        seq = lg->next_seq;
    }

    ent = calloc(1, elen);
    if (!ent) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log entry");
    dsec = fmt_log_descriptor_sectors(n);
    for (i = 0; i < n; i++) {
        fmt_log_descriptor d;
        memset(&d, 0, sizeof d);
        d.signature = VHDX_SIG_DESC;
        d.file_offset = sectors[i].file_offset;
        d.sequence_number = seq;
        fmt_log_data_sector_encode(sectors[i].data, seq, &d,
                                   ent + (dsec + i) * VHDX_LOG_SECTOR);
        (void)fmt_log_descriptor_encode(&d, ent + fmt_log_descriptor_pos(i), LOGD_SIZE);
    }
    memset(&eh, 0, sizeof eh);
    eh.signature = VHDX_SIG_LOGE;
    eh.entry_length = elen;
    eh.tail = pos;                       /* every entry is a complete sequence by itself */
    eh.sequence_number = seq;
    eh.descriptor_count = (uint32_t)n;
    eh.log_guid = lg->guid;
    eh.flushed_file_offset = img->file_size / MiB * MiB;          /* R43 */
    eh.last_file_offset = vhdx_div_round_up(img->file_size, MiB) * MiB; /* R44 */
    (void)fmt_log_entry_header_encode(&eh, ent, LOGE_HEADER_SIZE);
    vhdx_put32(ent + LOGE_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(ent, elen, LOGE_OFF_CHECKSUM));

    rc = ring_write(img, log_off, log_len, pos, ent, elen, diag);
    free(ent);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    if (rc == VHDX_OK && first) {
        rc = img_header_update(img, IMG_HDR_SET_LOG_GUID, &lg->guid, diag);
        if (rc == VHDX_OK) lg->session = 1;
    }
    if (rc != VHDX_OK) { lg->failed = 1; return rc; }
    lg->head_pos = pos;
    lg->head_len = elen;
    lg->next_seq = seq + 1;
    for (i = 0; i < n && rc == VHDX_OK; i++)
        rc = img_pwrite(img, sectors[i].file_offset, sectors[i].data, VHDX_LOG_SECTOR, diag);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    if (rc != VHDX_OK) lg->failed = 1;
    return rc;
}

/* ---- vhdx_replay_file -------------------------------------------------------------- */

int vhdx_replay_file(const char *path, uint64_t *replayed, vhdx_diag *diag)
{
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    vhdx_info *info;
    int rc, dirty;

    if (replayed) *replayed = 0;
    if (!path) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    info = malloc(sizeof *info);
    if (!info) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_NO_PARENT | VHDX_OPEN_IGNORE_LINKAGE;
    /* a clean image is left untouched (a writable open would refresh FileWriteGuid) */
    rc = vhdx_open_file(&img, path, &o, diag);
    if (rc != VHDX_OK) { free(info); return rc; }
    rc = vhdx_get_info(img, info);
    dirty = info->log_dirty;
    (void)vhdx_close(img);
    img = NULL;
    if (rc != VHDX_OK || !dirty) { free(info); return rc; }
    o.flags |= VHDX_OPEN_RDWR;
    rc = vhdx_open_file(&img, path, &o, diag);
    if (rc == VHDX_OK) {
        rc = vhdx_get_info(img, info);
        if (rc == VHDX_OK && replayed) *replayed = info->log_entries_replayed;
        {
            int rc2 = vhdx_close(img);
            if (rc == VHDX_OK) rc = rc2;
        }
    }
    free(info);
    return rc;
}
