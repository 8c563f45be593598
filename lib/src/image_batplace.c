/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_batplace.c - BAT entry checks and block placement (MS-VHDX 2.5) over any source of
 * entries: per-entry rules (fmt_bat_entry_validate), R76, and where each allocated block
 * lies: inside the file (D12), off the regions and the log (R70/R32), off every other block
 * (R70 overlap, R71 duplicate). No I/O of its own: the caller's reader supplies BAT bytes,
 * so open streams the file's BAT and a test hands in synthetic entries.
 *
 * Memory stays bounded whatever the BAT claims: at most max_records blocks are held for the
 * sorted sweep; past that the file is swept in windows of (max_records - 2) MiB, where
 * non-overlapping blocks can never exceed the bound.
 */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

typedef struct bat_rec {
    uint64_t start;
    uint32_t index;       /* BAT index (< 2^29: the region is at most 4095 MiB) */
    uint32_t len_mb;
} bat_rec;
_Static_assert(sizeof(bat_rec) == IMG_BAT_RECORD_SIZE, "img_step_bat sizes the limit with it");

typedef struct bat_ctx {
    const img_bat_layout *l;
    vhdx_sink *sink;
    vhdx_bat_counts *counts;
    uint64_t cr;
    img_span *fixed;      /* regions and log, sorted by start */
    uint64_t *fixed_maxend; /* prefix maximum of fixed[].end */
    size_t nfixed;
    bat_rec *recs;
    size_t nrecs, cap, limit;
    int overflow;
    uint64_t min_start;
    int chunk_partial;
    uint64_t chunk_partial_index;
    /* windowed pass */
    uint64_t w0, w1, next_min;
    int window_full;
    uint64_t window_full_index;
} bat_ctx;

#define BP_NOTE(bc, code, off, field, detail) \
    vhdx_sink_report((bc)->sink, (code), (off), (field), (detail), __FILE__, __LINE__)

static int bp_nomem(bat_ctx *bc)
{
    (void)BP_NOTE(bc, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT", NULL);
    return VHDX_E_NOMEM;
}

static int span_cmp(const void *a, const void *b)
{
    const img_span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int rec_cmp(const void *a, const void *b)
{
    const bat_rec *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int overlaps_fixed(const bat_ctx *bc, uint64_t start, uint64_t end)
{
    /* last fixed span with start < end; any earlier span reaching past `start` overlaps */
    size_t lo = 0, hi = bc->nfixed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bc->fixed[mid].start < end) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && bc->fixed_maxend[lo - 1] > start;
}

/* The file range an entry occupies, when it has one (1) or not (0). */
static int entry_extent(const bat_ctx *bc, uint64_t i, uint64_t e, uint64_t *start, uint64_t *len)
{
    const fmt_geometry *g = bc->l->geo;
    unsigned st = fmt_bat_state(e);
    uint64_t off = fmt_bat_offset(e);
    if (off == 0) return 0;
    if (fmt_bat_is_sb_slot(i, bc->cr)) {
        if (st != VHDX_SB_PRESENT || !g->has_parent) return 0;
        *start = off;
        *len = VHDX_SB_BLOCK_SIZE;
        return 1;
    }
    switch (st) {
    case VHDX_PB_FULLY_PRESENT:
    case VHDX_PB_UNDEFINED:
    case VHDX_PB_UNMAPPED:
        break;
    case VHDX_PB_PARTIALLY_PRESENT:
        if (!g->has_parent) return 0;
        break;
    default:
        return 0;
    }
    uint64_t b = i - i / (bc->cr + 1);
    uint64_t l = g->block_size;
    /* the last block may extend past the virtual disk; only the part holding disk data
     * (rounded to the 1 MiB allocation unit) has to exist (QEMU wrote such files) */
    uint64_t vstart = b * g->block_size;
    if (vstart < g->virtual_size && g->virtual_size - vstart < l) {
        uint64_t need = vhdx_div_round_up(g->virtual_size - vstart, MiB) * MiB;
        if (need < l) l = need;
    }
    *start = off;
    *len = l;
    return 1;
}

static int add_rec(bat_ctx *bc, uint64_t i, uint64_t start, uint64_t len)
{
    if (bc->nrecs == bc->cap) {
        size_t limit = bc->limit;
        if (bc->cap >= limit) return 1;
        size_t ncap = bc->cap ? bc->cap * 2 : 256;
        if (ncap > limit) ncap = limit;
        bat_rec *p = vhdx_realloc(bc->recs, ncap * sizeof *p);
        if (!p) return -1;
        bc->recs = p;
        bc->cap = ncap;
    }
    bat_rec *r = &bc->recs[bc->nrecs++];
    r->start = start;
    r->index = (uint32_t)i;
    r->len_mb = (uint32_t)(len / MiB);
    return 0;
}

/* Entry counts and R76: a PARTIALLY_PRESENT block needs its chunk's sector bitmap. */
static int count_entry(bat_ctx *bc, uint64_t i, uint64_t e)
{
    unsigned st = fmt_bat_state(e);
    if (!fmt_bat_is_sb_slot(i, bc->cr)) {
        bc->counts->payload[st]++;
        if (st == VHDX_PB_PARTIALLY_PRESENT && bc->l->geo->has_parent && !bc->chunk_partial) {
            bc->chunk_partial = 1;
            bc->chunk_partial_index = i;
        }
        return VHDX_OK;
    }
    bc->counts->sector_bitmap[st]++;
    int partial = bc->chunk_partial;
    bc->chunk_partial = 0;
    /* [MS-VHDX 2.5.1.1] R76 */
    if (partial && st != VHDX_SB_PRESENT)
        return BP_NOTE(bc, VHDX_E_BAT_PARTIAL_NO_SB, bc->l->bat_offset + bc->chunk_partial_index * 8u,
                       "bat.State", NULL);
    return VHDX_OK;
}

static int bat_first(bat_ctx *bc, uint64_t i, uint64_t e)
{
    const img_bat_layout *l = bc->l;
    uint64_t eoff = l->bat_offset + i * 8u;
    int rc = fmt_bat_entry_validate(e, i, l->geo, bc->sink, eoff);
    if (rc == VHDX_OK) rc = count_entry(bc, i, e);
    if (rc != VHDX_OK) return rc;
    uint64_t start, len;
    if (!entry_extent(bc, i, e, &start, &len)) return VHDX_OK;
    /* D12: inside the file */
    if (!vhdx_range_ok(start, len, l->file_size))
        return BP_NOTE(bc, VHDX_E_BAT_OUTSIDE_FILE, eoff, "bat.FileOffsetMB", NULL);
    /* R70/R32: not over a region or the log */
    if (overlaps_fixed(bc, start, start + len)) {
        rc = BP_NOTE(bc, VHDX_E_BAT_OVERLAP, eoff, "bat.FileOffsetMB", "block overlaps a region or the log");
        if (rc != VHDX_OK) return rc;
    }
    if (start < bc->min_start) bc->min_start = start;
    if (!bc->overflow) {
        int a = add_rec(bc, i, start, len);
        if (a < 0) return bp_nomem(bc);
        if (a > 0) bc->overflow = 1;
    }
    return VHDX_OK;
}

/* n all-zero entries from index i, as bat_first takes them one by one: each valid
 * (NOT_PRESENT, FileOffsetMB 0) and counted, none with an extent; R76 can only fire at
 * the first sector bitmap slot of the run (the run clears the pending partial block).
 * A sparse BAT is mostly such runs: a differencing image of a few MiB has 4097 to 32769
 * entries (a whole chunk), validated per entry this cost more than the rest of its open. */
static int bat_first_zeros(bat_ctx *bc, uint64_t i, uint64_t n)
{
    const uint64_t per = bc->cr + 1, end = i + n, sb = i + (bc->cr - i % per); /* first SB slot >= i */
    if (sb >= end) {
        bc->counts->payload[VHDX_PB_NOT_PRESENT] += n;
        return VHDX_OK;
    }
    bc->counts->payload[VHDX_PB_NOT_PRESENT] += sb - i;
    bc->counts->sector_bitmap[VHDX_SB_NOT_PRESENT]++;
    int partial = bc->chunk_partial;
    bc->chunk_partial = 0;
    /* [MS-VHDX 2.5.1.1] R76 */
    if (partial) {
        int rc = BP_NOTE(bc, VHDX_E_BAT_PARTIAL_NO_SB, bc->l->bat_offset + bc->chunk_partial_index * 8u,
                         "bat.State", NULL);
        if (rc != VHDX_OK) return rc;
    }
    uint64_t nsb = end / per - (sb + 1) / per; /* SB slots in [sb + 1, end) */
    bc->counts->payload[VHDX_PB_NOT_PRESENT] += end - (sb + 1) - nsb;
    bc->counts->sector_bitmap[VHDX_SB_NOT_PRESENT] += nsb;
    return VHDX_OK;
}

/* bat_window has nothing to do for zero entries (no extent) */
static int bat_window_zeros(bat_ctx *bc, uint64_t i, uint64_t n)
{
    (void)bc;
    (void)i;
    (void)n;
    return VHDX_OK;
}

static int bat_window(bat_ctx *bc, uint64_t i, uint64_t e)
{
    uint64_t start, len;
    if (bc->window_full) return VHDX_OK;
    if (!entry_extent(bc, i, e, &start, &len)) return VHDX_OK;
    if (!vhdx_range_ok(start, len, bc->l->file_size)) return VHDX_OK;
    if (start >= bc->w1) {
        if (start < bc->next_min) bc->next_min = start;
        return VHDX_OK;
    }
    if (start + len <= bc->w0) return VHDX_OK;
    int a = add_rec(bc, i, start, len);
    if (a < 0) return bp_nomem(bc);
    if (a > 0) {
        /* more blocks intersect the window than non-overlapping blocks could */
        bc->window_full = 1;
        bc->window_full_index = i;
    }
    return VHDX_OK;
}

/* Sorted sweep: R71 duplicates and R70 overlaps between blocks. Conflicts are attributed
 * to the later block (by offset, then by BAT index) and reported when it starts in
 * [w0, w1). */
static int bat_sweep(bat_ctx *bc, uint64_t w0, uint64_t w1)
{
    if (bc->nrecs == 0) return VHDX_OK;
    qsort(bc->recs, bc->nrecs, sizeof *bc->recs, rec_cmp);
    const bat_rec *best = &bc->recs[0];
    uint64_t best_end = best->start + (uint64_t)best->len_mb * MiB;
    for (size_t k = 1; k < bc->nrecs; k++) {
        const bat_rec *r = &bc->recs[k], *prev = &bc->recs[k - 1];
        uint64_t end = r->start + (uint64_t)r->len_mb * MiB;
        int code = VHDX_OK;
        if (r->start >= w0 && r->start < w1) {
            if (r->start == prev->start) code = VHDX_E_BAT_DUPLICATE;
            else if (r->start < best_end) code = VHDX_E_BAT_OVERLAP;
        }
        if (code != VHDX_OK) {
            char d[160];
            snprintf(d, sizeof d, IMG_BAT_CONFLICT_FMT, (unsigned)r->index,
                     (unsigned)(code == VHDX_E_BAT_DUPLICATE ? prev->index : best->index));
            int rc = BP_NOTE(bc, code, bc->l->bat_offset + (uint64_t)r->index * 8u,
                             "bat.FileOffsetMB", d);
            if (rc != VHDX_OK) return rc;
        }
        if (end > best_end) { best = r; best_end = end; }
    }
    return VHDX_OK;
}

static int zero_entry(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8); /* zero in any byte order */
    return w == 0;
}

#define BAT_ZERO_PIECE 512u

/* Runs of all-zero entries go to zeros(first index, count) in one call, the others to fn. */
static int bat_stream(bat_ctx *bc, int (*fn)(bat_ctx *, uint64_t, uint64_t),
                      int (*zeros)(bat_ctx *, uint64_t, uint64_t), const img_bat_reader *rd, int progress)
{
    uint64_t total = bc->l->geo->bat_entries * 8u;
    uint64_t pages = vhdx_div_round_up(total, IMG_BAT_PAGE);
    uint8_t *buf = vhdx_malloc(IMG_BAT_PAGE);
    if (!buf) return bp_nomem(bc);
    int rc = VHDX_OK;
    for (uint64_t p = 0; p < pages && rc == VHDX_OK; p++) {
        uint64_t pos = p * IMG_BAT_PAGE;
        size_t n = (size_t)(total - pos < IMG_BAT_PAGE ? total - pos : IMG_BAT_PAGE);
        rc = rd->read(rd->ctx, pos, buf, n);
        for (size_t k = 0; k + 8 <= n && rc == VHDX_OK;) {
            size_t z = k;
            /* whole zero pieces by memcmp first (a differencing image's BAT is mostly a
             * chunk of zero entries), then entry by entry */
            while (z + BAT_ZERO_PIECE <= n && vhdx_all_zero(buf + z, BAT_ZERO_PIECE)) z += BAT_ZERO_PIECE;
            while (z + 8 <= n && zero_entry(buf + z)) z += 8;
            if (z > k) {
                rc = zeros(bc, pos / 8u + k / 8u, (z - k) / 8u);
                k = z;
            } else {
                rc = fn(bc, pos / 8u + k / 8u, vhdx_le64(buf + k));
                k += 8;
            }
        }
        if (progress && rd->progress) rd->progress(rd->progress_ctx, p + 1, pages);
    }
    vhdx_free(buf);
    return rc;
}

/* Fixed structures sorted by start, with the prefix maximum of their ends. */
static int fixed_init(bat_ctx *bc)
{
    const img_bat_layout *l = bc->l;
    size_t nf = l->nfixed;
    bc->fixed = vhdx_malloc((nf ? nf : 1) * sizeof *bc->fixed);
    bc->fixed_maxend = vhdx_malloc((nf ? nf : 1) * sizeof *bc->fixed_maxend);
    if (!bc->fixed || !bc->fixed_maxend) return bp_nomem(bc);
    if (nf) memcpy(bc->fixed, l->fixed, nf * sizeof *bc->fixed);
    qsort(bc->fixed, nf, sizeof *bc->fixed, span_cmp);
    for (size_t k = 0; k < nf; k++)
        bc->fixed_maxend[k] = k && bc->fixed_maxend[k - 1] > bc->fixed[k].end ? bc->fixed_maxend[k - 1]
                                                                          : bc->fixed[k].end;
    bc->nfixed = nf;
    return VHDX_OK;
}

/* More allocated blocks than max_records: check the file in windows of (max_records - 2)
 * MiB; non-overlapping blocks intersecting one window never exceed that. */
static int bat_windows(bat_ctx *bc, const img_bat_reader *rd)
{
    uint64_t width = ((uint64_t)bc->limit - 2) * MiB;
    uint64_t w0 = bc->min_start;
    int rc = VHDX_OK;
    while (w0 != UINT64_MAX && rc == VHDX_OK) {
        bc->w0 = w0;
        bc->w1 = w0 > UINT64_MAX - width ? UINT64_MAX : w0 + width;
        bc->next_min = UINT64_MAX;
        bc->nrecs = 0;
        bc->window_full = 0;
        rc = bat_stream(bc, bat_window, bat_window_zeros, rd, 0);
        if (rc != VHDX_OK) break;
        if (bc->window_full)
            return BP_NOTE(bc, VHDX_E_BAT_OVERLAP, bc->l->bat_offset + bc->window_full_index * 8u,
                           "bat.FileOffsetMB", "more blocks than fit in the file range: blocks overlap");
        rc = bat_sweep(bc, bc->w0, bc->w1);
        w0 = bc->next_min;
    }
    return rc;
}

int img_bat_placement(const img_bat_layout *l, const img_bat_reader *rd, vhdx_sink *sink,
                      vhdx_bat_counts *counts)
{
    bat_ctx bc;
    memset(&bc, 0, sizeof bc);
    bc.l = l;
    bc.sink = sink;
    bc.counts = counts;
    bc.cr = l->geo->chunk_ratio;
    bc.min_start = UINT64_MAX;
    bc.limit = l->max_records < 3 ? 3 : l->max_records; /* a window holds at least one MiB */
    memset(counts, 0, sizeof *counts);
    int rc = fixed_init(&bc);
    if (rc == VHDX_OK) rc = bat_stream(&bc, bat_first, bat_first_zeros, rd, 1);
    if (rc == VHDX_OK) rc = bc.overflow ? bat_windows(&bc, rd) : bat_sweep(&bc, 0, UINT64_MAX);
    vhdx_free(bc.recs);
    vhdx_free(bc.fixed);
    vhdx_free(bc.fixed_maxend);
    return rc;
}
