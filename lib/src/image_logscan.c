/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_logscan.c - reading the VHDX log (MS-VHDX 2.3): finding the active sequence
 * (2.3.2-2.3.3) and replaying it, in place for writable opens (then LogGuid is cleared)
 * or into the read-only overlay (image_overlay.c). The open step (image_open_hdr.c) has
 * checked the header's log fields (R14, R15, R17, R18, D3) and R59 with their offsets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

/* The ring is read through LOG_WINDOWS windows of LOG_WINDOW bytes (never the whole ring
 * at once: the memory of a replay is bounded whatever LogLength says, apart from the
 * per-slot table and one entry). Two, because the scan alternates between its position and
 * the chain it follows ahead of it. */
#define LOG_WINDOW         (64u * 1024u)
#define LOG_WINDOWS        2
#define LOG_MAX_TARGET     IMG_MAX_FILE_SIZE

#define NO_SLOT UINT32_MAX

/* One 4 KiB slot of the ring. For a valid entry whose chain is known (chained): nxt is the
 * slot of the entry that continues its run (valid, SequenceNumber + 1, starting where this
 * one ends) or NO_SLOT, depth the number of entries after it on that chain, sum the bytes
 * from it to the chain's end, jump a skew-binary jump pointer toward the chain's end
 * (Myers 1983): any entry further down the chain is reached in O(log n) steps. */
typedef struct log_pos_info {
    uint8_t state;            /* 0 unknown, 1 invalid, 2 valid */
    uint8_t chained;
    uint32_t entry_length, tail;
    uint32_t nxt, jump, depth;
    uint64_t seq, flushed, last, sum;
} log_pos_info;

size_t img_log_replay_ranges(const vhdx_image *img, uint64_t *offs, uint64_t *lens, size_t max)
{
    size_t i;
    for (i = 0; i < img->replay_n && i < max; i++) {
        if (offs) offs[i] = img->replay_off[i];
        if (lens) lens[i] = img->replay_len[i];
    }
    return img->replay_n;
}

void img_log_replay_free(vhdx_image *img)
{
    vhdx_free(img->replay_off);
    vhdx_free(img->replay_len);
    img->replay_off = img->replay_len = NULL;
    img->replay_n = 0;
}

/* ---- ring access ------------------------------------------------------------------- */

typedef struct log_ctx {
    vhdx_image *img;
    uint64_t log_off;
    uint32_t log_len;
    vhdx_guid guid;
    struct {
        uint8_t *buf;         /* LOG_WINDOW bytes */
        uint32_t pos, len;    /* the ring's bytes [pos, pos+len) */
        uint64_t used;        /* last use (the older window is reloaded) */
    } win[LOG_WINDOWS];
    uint64_t tick;
    uint8_t *scratch;         /* one entry */
    size_t scratch_cap;
    log_pos_info *pos;        /* per 4 KiB slot */
    uint64_t budget;          /* entry bytes the scan may still read and checksum */
} log_ctx;

/* The ring's bytes [pos, pos+n) (n <= LOG_WINDOW, not wrapping) in a window: *out points
 * at them until the next window load. The scan reads the ring slot by slot, so one read
 * per window, not per slot. */
static int win_get(log_ctx *c, uint32_t pos, size_t n, const uint8_t **out, vhdx_diag *diag)
{
    int k = 0;
    while (k < LOG_WINDOWS && !(c->win[k].len && pos >= c->win[k].pos &&
                                (uint64_t)pos + n <= (uint64_t)c->win[k].pos + c->win[k].len))
        k++;
    if (k == LOG_WINDOWS) { /* reload the least recently used window */
        k = 0;
        for (int i = 1; i < LOG_WINDOWS; i++)
            if (c->win[i].used < c->win[k].used) k = i;
        uint32_t wl = c->log_len - pos < LOG_WINDOW ? c->log_len - pos : LOG_WINDOW;
        c->win[k].len = 0;
        int rc = img_pread(c->img, c->log_off + pos, c->win[k].buf, wl, diag);
        if (rc != VHDX_OK) return rc;
        c->win[k].pos = pos;
        c->win[k].len = wl;
    }
    c->win[k].used = ++c->tick;
    *out = c->win[k].buf + (pos - c->win[k].pos);
    return VHDX_OK;
}

static int ring_read(log_ctx *c, uint32_t pos, uint8_t *buf, size_t len, vhdx_diag *diag)
{
    while (len > 0) {
        size_t n = len;
        if ((uint64_t)pos + n > c->log_len) n = (size_t)(c->log_len - pos);
        if (n <= LOG_WINDOW) {
            const uint8_t *w;
            int rc = win_get(c, pos, n, &w, diag);
            if (rc != VHDX_OK) return rc;
            memcpy(buf, w, n);
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
    p = vhdx_realloc(c->scratch, len);
    if (!p) return VHDX_E_NOMEM;
    c->scratch = p;
    c->scratch_cap = len;
    return VHDX_OK;
}

/* Validity of the entry at ring slot pos (cached). Only I/O and memory errors fail. */
static int entry_at(log_ctx *c, uint32_t pos, const log_pos_info **out, vhdx_diag *diag)
{
    log_pos_info *pi = &c->pos[pos / VHDX_LOG_SECTOR];
    const uint8_t *hs; /* the header fields, in a window; the checksum reads the entry below */
    fmt_log_entry_header h;
    int rc;

    *out = pi;
    if (pi->state != 0) return VHDX_OK;
    pi->state = 1;
    /* pos is a slot and LogLength a multiple of 1 MiB (R15, checked by the open): the
     * header never wraps */
    rc = win_get(c, pos, LOGE_HEADER_SIZE, &hs, diag);
    if (rc != VHDX_OK) return rc;
    /* cheap filters first: R36 signature (most slots of a ring are not entry starts:
     * nothing else is decoded for them), R42 LogGuid, R38 length */
    if (vhdx_le32(hs + LOGE_OFF_SIGNATURE) != VHDX_SIG_LOGE) return VHDX_OK;
    if (fmt_log_entry_header_decode(hs, LOGE_HEADER_SIZE, &h) != VHDX_OK) return VHDX_OK;
    if (!vhdx_guid_equal(&h.log_guid, &c->guid)) return VHDX_OK;
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

/* Fills nxt/depth/sum/jump for the valid entry at slot and every entry after it on its
 * chain, walking only to the first entry already chained: each slot is walked once per
 * scan, so all chains together cost O(n). stack holds up to every slot. */
static int chain_build(log_ctx *c, uint32_t slot, uint32_t *stack, vhdx_diag *diag)
{
    size_t sp = 0;
    uint32_t x = slot;
    while (!c->pos[x].chained) {
        log_pos_info *pi = &c->pos[x];
        const log_pos_info *ni;
        uint32_t npos = (uint32_t)(((uint64_t)x * VHDX_LOG_SECTOR + pi->entry_length) % c->log_len);
        stack[sp++] = x;
        int rc = entry_at(c, npos, &ni, diag);
        if (rc != VHDX_OK) return rc;
        /* R57: consecutive; SequenceNumber strictly grows along a chain, so it never
         * comes back to a slot of the stack */
        pi->nxt = ni->state == 2 && ni->seq == pi->seq + 1 ? npos / VHDX_LOG_SECTOR : NO_SLOT;
        if (pi->nxt == NO_SLOT) break;
        x = pi->nxt;
    }
    while (sp > 0) {
        log_pos_info *pi = &c->pos[stack[--sp]];
        pi->chained = 1;
        if (pi->nxt == NO_SLOT) {
            pi->depth = 0;
            pi->sum = pi->entry_length;
            pi->jump = stack[sp];
            continue;
        }
        const log_pos_info *p = &c->pos[pi->nxt], *j = &c->pos[p->jump];
        pi->depth = p->depth + 1;
        pi->sum = p->sum + pi->entry_length;
        pi->jump = p->depth - j->depth == j->depth - c->pos[j->jump].depth ? j->jump : pi->nxt;
    }
    return VHDX_OK;
}

/* Bytes of the run from slot s through y (y on s's chain) fit in the ring. */
static int run_fits(const log_ctx *c, uint32_t s, uint32_t y)
{
    return c->pos[s].sum - c->pos[y].sum + c->pos[y].entry_length <= c->log_len;
}

/* The entry of s's chain with `depth` entries after it (depth <= depth of s). */
static uint32_t chain_at_depth(const log_ctx *c, uint32_t x, uint32_t depth)
{
    while (c->pos[x].depth > depth)
        x = c->pos[c->pos[x].jump].depth >= depth ? c->pos[x].jump : c->pos[x].nxt;
    return x;
}

/* The run starting at slot s (valid entry): the entries of its chain while they fit in
 * the ring; *head its last entry; *tail_out the slot of head's Tail when that entry lies
 * on the run (the valid sequence tail..head), else NO_SLOT. */
static void run_of(const log_ctx *c, uint32_t s, uint32_t *head, uint32_t *tail_out)
{
    uint32_t x = s, t;
    while (c->pos[x].nxt != NO_SLOT) {
        uint32_t j = c->pos[x].jump;
        if (j != x && run_fits(c, s, j)) x = j;
        else if (run_fits(c, s, c->pos[x].nxt)) x = c->pos[x].nxt;
        else break;
    }
    *head = x;
    *tail_out = NO_SLOT;
    t = c->pos[x].tail / VHDX_LOG_SECTOR;
    if (c->pos[x].tail % VHDX_LOG_SECTOR != 0 || (uint64_t)c->pos[x].tail >= c->log_len) return;
    if (!c->pos[t].chained || c->pos[t].depth < c->pos[x].depth || c->pos[t].depth > c->pos[s].depth)
        return;
    if (chain_at_depth(c, s, c->pos[t].depth) == t) *tail_out = t;
}

/* [MS-VHDX 2.3.3] the search of VHDX-FORMAT.md 8.7: runs of consecutive valid entries;
 * a run is a valid sequence when its head's Tail is the start of one of its entries;
 * the newest valid sequence (highest head SequenceNumber) is active. Starting points are
 * visited as a plain walk would (after a sequence, at the end of its run; else at the next
 * slot), but each run is found through the chains in O(log n): the whole scan is
 * O(n log n) in the ring's slots even when every slot holds a valid entry and no head is
 * valid (a plain walk is O(n^2) there). */
static int find_active(log_ctx *c, log_seq *best, vhdx_diag *diag)
{
    size_t slots = c->log_len / VHDX_LOG_SECTOR;
    uint32_t *stack = vhdx_malloc(slots * sizeof(uint32_t));
    uint32_t cur = 0, old = 0, best_tail = NO_SLOT;
    int rc = VHDX_OK;

    if (!stack) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
    best->n = 0;
    best->head_seq = 0;
    for (;;) {
        const log_pos_info *pi;
        uint32_t s = cur / VHDX_LOG_SECTOR, head, tail;
        rc = entry_at(c, cur, &pi, diag);
        if (rc != VHDX_OK) goto out;
        tail = NO_SLOT;
        if (pi->state == 2) {
            rc = chain_build(c, s, stack, diag);
            if (rc != VHDX_OK) goto out;
            run_of(c, s, &head, &tail);
        }
        if (tail != NO_SLOT) {
            const log_pos_info *h = &c->pos[head];
            if (h->seq > best->head_seq) {
                best_tail = tail;
                best->n = c->pos[tail].depth - h->depth + 1;
                best->head_seq = h->seq;
                best->flushed = h->flushed;
                best->last = h->last;
            }
            cur = (uint32_t)(((uint64_t)head * VHDX_LOG_SECTOR + h->entry_length) % c->log_len);
        } else {
            cur = (uint32_t)(((uint64_t)cur + VHDX_LOG_SECTOR) % c->log_len);
        }
        if (cur <= old) break; /* wrapped: the whole ring was scanned */
        old = cur;
    }
    for (size_t k = 0, x = best_tail; k < best->n; k++, x = c->pos[x].nxt)
        best->pos[k] = (uint32_t)x * VHDX_LOG_SECTOR;
out:
    vhdx_free(stack);
    return rc;
}

static int zero_fill(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag)
{
    int rc;
    /* past the end of the file an extension gives zeros without writing them */
    if (off >= img->file_size && img->io->set_size)
        return img_set_size(img, off + len, "log replay", diag);
    while (len > 0) {
        size_t n = len > IMG_ZEROS ? IMG_ZEROS : (size_t)len;
        if (off < img->file_size && off + n > img->file_size) n = (size_t)(img->file_size - off);
        rc = img_pwrite(img, off, img_zeros, n, diag);
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
    if (off < IMG_LOG_LOGGABLE_MIN || len > LOG_MAX_TARGET || off > LOG_MAX_TARGET - len ||
        vhdx_ranges_overlap(off, len, c->log_off, c->log_len))
        return VHDX_FAIL(diag, VHDX_E_LOG_DESC_TARGET, base, "log descriptor FileOffset");
    return VHDX_OK;
}

static int add_range(vhdx_image *img, uint64_t off, uint64_t len)
{
    if (img->replay_n % 64 == 0) {
        uint64_t *a = vhdx_realloc(img->replay_off, (img->replay_n + 64) * sizeof(uint64_t));
        uint64_t *b;
        if (!a) return VHDX_E_NOMEM;
        img->replay_off = a;
        b = vhdx_realloc(img->replay_len, (img->replay_n + 64) * sizeof(uint64_t));
        if (!b) return VHDX_E_NOMEM;
        img->replay_len = b;
    }
    img->replay_off[img->replay_n] = off;
    img->replay_len[img->replay_n] = len;
    img->replay_n++;
    return VHDX_OK;
}

/* pass 0 of a descriptor: validate its target, record the range, track the end */
static int replay_record(log_ctx *c, uint64_t off, uint64_t len, uint64_t dbase, uint64_t *max_end,
                         vhdx_diag *diag)
{
    int rc = check_target(c, off, len, dbase, diag);
    if (rc != VHDX_OK) return rc;
    if (len > 0 && off + len > *max_end) *max_end = off + len;
    rc = add_range(c->img, off, len);
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "log");
    return VHDX_OK;
}

/* pass 1 of a descriptor: apply it (in place or into the overlay) */
static int replay_apply(log_ctx *c, const fmt_log_descriptor *d, const uint8_t *sector,
                        vhdx_diag *diag)
{
    vhdx_image *img = c->img;
    if (d->signature == VHDX_SIG_ZERO) {
        if (img->ov) return img_overlay_add_zero(img, d->file_offset, d->zero_length, diag);
        return zero_fill(img, d->file_offset, d->zero_length, diag);
    }
    uint8_t upd[VHDX_LOG_SECTOR];
    /* R51: LeadingBytes || Data || TrailingBytes */
    fmt_log_data_sector_decode(sector, d, upd);
    if (img->ov) return img_overlay_add_sector(img, d->file_offset, upd, diag);
    return img_pwrite(img, d->file_offset, upd, VHDX_LOG_SECTOR, diag);
}

/* One entry of the active sequence (validated by the scan), read into c->scratch. */
static int replay_entry(log_ctx *c, uint32_t pos, int pass, uint64_t *max_end, vhdx_diag *diag)
{
    fmt_log_entry_header h;
    uint64_t i, data_idx = 0, dsec, ebase = c->log_off + pos;
    int rc = ring_read(c, pos, c->scratch, VHDX_LOG_SECTOR, diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_log_entry_header_decode(c->scratch, VHDX_LOG_SECTOR, &h) != VHDX_OK)
        return VHDX_FAIL(diag, VHDX_E_INTERNAL, ebase, "log entry");
    rc = scratch_reserve(c, h.entry_length);
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, ebase, "log entry");
    rc = ring_read(c, pos, c->scratch, h.entry_length, diag);
    if (rc != VHDX_OK) return rc;
    dsec = fmt_log_descriptor_sectors(h.descriptor_count);
    for (i = 0; i < h.descriptor_count && rc == VHDX_OK; i++) {
        fmt_log_descriptor d;
        uint64_t dpos = fmt_log_descriptor_pos(i);
        if (fmt_log_descriptor_decode(c->scratch + dpos, LOGD_SIZE, &d) != VHDX_OK ||
            (d.signature != VHDX_SIG_DESC && d.signature != VHDX_SIG_ZERO))
            return VHDX_FAIL(diag, VHDX_E_INTERNAL, ebase + dpos, "log descriptor");
        int is_data = d.signature == VHDX_SIG_DESC;
        const uint8_t *sector = c->scratch + (dsec + data_idx) * VHDX_LOG_SECTOR;
        if (is_data) data_idx++;
        if (pass == 0)
            rc = replay_record(c, d.file_offset, is_data ? VHDX_LOG_SECTOR : d.zero_length,
                               ebase + dpos, max_end, diag);
        else
            rc = replay_apply(c, &d, sector, diag);
    }
    return rc;
}

/* pass 0: validate targets, compute the end; pass 1: apply (in place or overlay). */
static int replay_pass(log_ctx *c, const log_seq *s, int pass, uint64_t *max_end, vhdx_diag *diag)
{
    int rc = VHDX_OK;
    for (size_t e = 0; e < s->n && rc == VHDX_OK; e++) rc = replay_entry(c, s->pos[e], pass, max_end, diag);
    return rc;
}

static int log_ctx_init(log_ctx *c, log_seq *s, vhdx_image *img, vhdx_diag *diag)
{
    const fmt_header *hd = &img->hdr[img->cur];
    uint64_t slots = hd->log_length / VHDX_LOG_SECTOR;
    memset(c, 0, sizeof *c);
    memset(s, 0, sizeof *s);
    c->img = img;
    c->log_off = hd->log_offset;
    c->log_len = hd->log_length;
    c->guid = hd->log_guid;
    c->budget = 8 * (uint64_t)hd->log_length + 64 * MiB;
    c->pos = vhdx_calloc((size_t)slots, sizeof(log_pos_info));
    s->pos = vhdx_malloc((size_t)slots * sizeof(uint32_t));
    if (!c->pos || !s->pos) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
    for (int k = 0; k < LOG_WINDOWS; k++) {
        c->win[k].buf = vhdx_malloc(LOG_WINDOW);
        if (!c->win[k].buf) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log");
    }
    return scratch_reserve(c, VHDX_LOG_SECTOR);
}

static void log_ctx_free(log_ctx *c, log_seq *s)
{
    vhdx_free(c->pos);
    vhdx_free(s->pos);
    for (int k = 0; k < LOG_WINDOWS; k++) vhdx_free(c->win[k].buf);
    vhdx_free(c->scratch);
}

/* Before the first header update: the file is extended to what the replay needs (R64,
 * and past every descriptor), so a host that refuses the size (EFBIG: a file system or
 * RLIMIT_FSIZE limit) fails the replay with nothing on disk changed. The extension alone
 * changes no byte a reader sees: the replay extends the file anyway. */
static int extend_first(log_ctx *c, const log_seq *s, uint64_t max_end, vhdx_diag *diag)
{
    vhdx_image *img = c->img;
    if (max_end <= img->file_size || !img->io->set_size) return VHDX_OK;
    errno = 0;
    int rc = img->io->set_size(img->io->ctx, max_end);
    if (rc == VHDX_OK) {
        img->file_size = max_end;
        return VHDX_OK;
    }
    int e = errno;
    const char *field = max_end == s->last ? "log entry LastFileOffset" : "log descriptor FileOffset";
    rc = img_io_fail(diag, e == ENOSPC || e == EIO ? rc : VHDX_E_LIMIT_FILE_SIZE,
                     c->log_off + s->pos[s->n - 1], field, e);
    if (diag && diag->code == rc)
        snprintf(diag->detail, sizeof diag->detail, "the replay needs a file of %llu bytes",
                 (unsigned long long)max_end);
    return rc;
}

/* Writable open: header update first (R12/R20: fresh FileWriteGuid before the replay
 * writes), then the replay, the file extended to LastFileOffset (R64/R65), a flush and
 * LogGuid cleared. */
static int replay_in_place(log_ctx *c, const log_seq *s, uint64_t max_end, vhdx_diag *diag)
{
    vhdx_image *img = c->img;
    uint64_t unused = 0;
    int rc = extend_first(c, s, max_end, diag);
    if (rc == VHDX_OK) rc = img_begin_modify(img, 0, diag);
    if (rc == VHDX_OK) rc = replay_pass(c, s, 1, &unused, diag);
    if (rc == VHDX_OK && img->file_size < s->last)
        rc = zero_fill(img, img->file_size, s->last - img->file_size, diag);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    if (rc == VHDX_OK) rc = img_header_update(img, IMG_HDR_SET_LOG_GUID, NULL, diag);
    if (rc == VHDX_OK) img->log_replayed = 2;
    return rc;
}

/* Read-only open: the replay goes into the overlay; the logical file size covers every
 * replayed byte and LastFileOffset. */
static int replay_overlay(log_ctx *c, const log_seq *s, uint64_t max_end, vhdx_diag *diag)
{
    vhdx_image *img = c->img;
    uint64_t unused = 0;
    int rc = img_overlay_start(img, diag);
    if (rc == VHDX_OK) rc = replay_pass(c, s, 1, &unused, diag);
    if (rc != VHDX_OK) return rc;
    img_overlay_finalize(img);
    if (max_end > img->file_size) img->file_size = max_end;
    img->log_replayed = 1;
    return VHDX_OK;
}

int img_log_replay(vhdx_image *img, vhdx_diag *diag)
{
    const fmt_header *hd = &img->hdr[img->cur];
    log_ctx c;
    log_seq s;
    uint64_t max_end = 0;

    if (hd->log_length > img->limits.max_log_length)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_LOG, hd->log_offset, "header.LogLength");
    int rc = log_ctx_init(&c, &s, img, diag);
    if (rc == VHDX_OK) rc = find_active(&c, &s, diag);
    if (rc == VHDX_OK && s.n == 0) /* R61 */
        rc = VHDX_FAIL(diag, VHDX_E_LOG_NO_SEQUENCE, c.log_off, "log");
    if (rc == VHDX_OK && img->file_size < s.flushed) /* R62 */
        rc = VHDX_FAIL(diag, VHDX_E_LOG_TRUNCATED, s.flushed, "log entry FlushedFileOffset");
    if (rc == VHDX_OK) rc = replay_pass(&c, &s, 0, &max_end, diag);
    if (rc == VHDX_OK) {
        if (s.last > max_end) max_end = s.last;
        rc = img->writable ? replay_in_place(&c, &s, max_end, diag) : replay_overlay(&c, &s, max_end, diag);
    }
    if (rc == VHDX_OK) img->log_entries_replayed = s.n;
    log_ctx_free(&c, &s);
    return rc;
}
