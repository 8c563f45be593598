/* SPDX-License-Identifier: Apache-2.0 */
/* image_status.c - allocation map: the extent at a virtual offset (BAT state, sector bitmap
 * runs, parent chain depth, host file holes), and the two-state block status built on it.
 * Reads BAT entries and sector bitmaps only; payload bytes are never read. */
#include "image.h"

/* What the host file says about [off, off+len) of one file: the last answer is kept, so a
 * run of FULLY_PRESENT blocks over one host extent costs one query. */
typedef struct host_cache {
    const vhdx_image *img;
    uint64_t lo, hi;              /* [lo, hi) known */
    int is_data;
} host_cache;

typedef struct ext_walk {
    host_cache hc;
    vhdx_diag *diag;
} ext_walk;

static void ext_set(vhdx_extent *x, uint64_t start, uint64_t len, vhdx_extent_state st,
                    uint32_t depth, int zero, int data, int present, uint64_t offset)
{
    x->start = start;
    x->length = len;
    x->state = st;
    x->depth = depth;
    x->zero = zero;
    x->data = data;
    x->present = present;
    x->offset = offset;
}

/* Host status of file bytes [foff, foff+n): shortens *n to the run with the status of foff.
 * No hole information under a read-only replay overlay (replayed sectors are not in the
 * host file) or without the io callback. */
static int host_status(ext_walk *w, const vhdx_image *img, uint64_t foff, uint64_t *n,
                       int *is_data)
{
    vhdx_io *io = img->io;
    *is_data = 1;
    if (!VHDX_HAS_MEMBER(io, vhdx_io, data_status) || !io->data_status || img->ov) return VHDX_OK;
    host_cache *c = &w->hc;
    if (!(c->img == img && foff >= c->lo && foff < c->hi)) {
        uint64_t run = 0;
        int d = 1;
        int rc = io->data_status(io->ctx, foff, *n, &run, &d);
        if (rc != VHDX_OK) return VHDX_FAIL(w->diag, rc, foff, "host data status");
        if (run == 0 || run > *n) return VHDX_FAIL(w->diag, VHDX_E_INTERNAL, foff, "host run");
        c->img = img;
        c->lo = foff;
        c->hi = foff + run;
        c->is_data = d != 0;
    }
    if (c->hi - foff < *n) *n = c->hi - foff;
    *is_data = c->is_data;
    return VHDX_OK;
}

static int piece(ext_walk *w, vhdx_image *img, uint32_t depth, uint64_t off, uint64_t n,
                 vhdx_extent *x);

/* Bytes the file at depth leaves to its parent: the parent's piece, zeros beyond the
 * parent's size, unknown without the parent. */
static int parent_piece(ext_walk *w, vhdx_image *img, uint32_t depth, vhdx_extent_state st,
                        uint64_t off, uint64_t n, vhdx_extent *x)
{
    vhdx_image *par = img->parent;
    if (!par) {
        ext_set(x, off, n, st, depth, 0, 0, 0, 0);
        return VHDX_OK;
    }
    if (off >= par->geo.virtual_size) {
        ext_set(x, off, n, VHDX_EXTENT_NOT_PRESENT, depth + 1, 1, 0, 0, 0);
        return VHDX_OK;
    }
    uint64_t pn = par->geo.virtual_size - off < n ? par->geo.virtual_size - off : n;
    /* the parent's blocks may be smaller than the child's: one parent block at a time */
    uint64_t pb = par->geo.block_size - off % par->geo.block_size;
    return piece(w, par, depth + 1, off, pn < pb ? pn : pb, x);
}

/* PARTIALLY_PRESENT block: the run of equal sector bitmap bits at off (bounded by n);
 * set bits are this file's data, clear bits the parent's. */
static int partial_piece(ext_walk *w, vhdx_image *img, uint32_t depth, uint64_t e,
                         uint64_t off, uint64_t n, vhdx_extent *x)
{
    const uint64_t cr = img->geo.chunk_ratio, lss = img->geo.logical_sector_size;
    const uint64_t bs = img->geo.block_size, block = off / bs;
    uint64_t sbe;
    int rc = img_bat_get(img, fmt_bat_sb_index(block / cr, cr), &sbe, w->diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_bat_state(sbe) != VHDX_SB_PRESENT) /* R76: cannot pass open */
        return VHDX_FAIL(w->diag, VHDX_E_BAT_PARTIAL_NO_SB,
                         img->bat_offset + fmt_bat_sb_index(block / cr, cr) * 8, "BAT");
    /* [MS-VHDX 2.5.1.2] block b's bits start at byte (b % CR) * (1 MiB / CR) */
    uint64_t bits = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    uint64_t in = off % bs, end = in + n, last = (end - 1) / lss, t = in / lss;
    uint8_t bm[512];
    uint64_t have = UINT64_MAX; /* first bitmap byte held in bm */
    int bit = -1;
    while (t <= last) {
        uint64_t byte = t / 8;
        if (have == UINT64_MAX || byte >= have + sizeof bm) {
            uint64_t want = last / 8 - byte + 1;
            if (want > sizeof bm) want = sizeof bm;
            rc = img_pread(img, bits + byte, bm, (size_t)want, w->diag);
            if (rc != VHDX_OK) return rc;
            have = byte;
        }
        int b = (bm[byte - have] >> (t % 8)) & 1;
        if (bit < 0) bit = b;
        else if (b != bit) break;
        t++;
    }
    uint64_t len = (t * lss < end ? t * lss : end) - in;
    if (bit == 1) {
        ext_set(x, off, len, VHDX_EXTENT_DATA, depth, 0, 1, 1, fmt_bat_offset(e) + in);
        return VHDX_OK;
    }
    return parent_piece(w, img, depth, VHDX_EXTENT_NOT_PRESENT, off, len, x);
}

static int full_piece(ext_walk *w, vhdx_image *img, uint32_t depth, uint64_t e, uint64_t off,
                      uint64_t n, vhdx_extent *x)
{
    uint64_t foff = fmt_bat_offset(e) + off % img->geo.block_size;
    int is_data;
    int rc = host_status(w, img, foff, &n, &is_data);
    if (rc != VHDX_OK) return rc;
    ext_set(x, off, n, VHDX_EXTENT_DATA, depth, !is_data, is_data, 1, foff);
    return VHDX_OK;
}

/* The piece at off of the file img (depth in the chain); [off, off+n) lies in one block. */
static int piece(ext_walk *w, vhdx_image *img, uint32_t depth, uint64_t off, uint64_t n,
                 vhdx_extent *x)
{
    uint64_t e;
    int rc = img_block_entry(img, off / img->geo.block_size, &e, w->diag);
    if (rc != VHDX_OK) return rc;
    const int diff = img->geo.has_parent;
    vhdx_extent_state st;
    switch (fmt_bat_state(e)) {
    case VHDX_PB_FULLY_PRESENT:
        return full_piece(w, img, depth, e, off, n, x);
    case VHDX_PB_PARTIALLY_PRESENT:
        return partial_piece(w, img, depth, e, off, n, x);
    case VHDX_PB_ZERO:
        /* [MS-VHDX 2.5.1.1] R73: ZERO reads as zeros, also in a differencing file */
        ext_set(x, off, n, VHDX_EXTENT_ZERO, depth, 1, 0, 1, 0);
        return VHDX_OK;
    case VHDX_PB_UNMAPPED: st = VHDX_EXTENT_UNMAPPED; break;
    case VHDX_PB_UNDEFINED: st = VHDX_EXTENT_UNDEFINED; break;
    case VHDX_PB_NOT_PRESENT: st = VHDX_EXTENT_NOT_PRESENT; break;
    default:
        return VHDX_FAIL(w->diag, VHDX_E_INTERNAL, img->bat_offset, "BAT.State");
    }
    /* same policy as img_vread: the parent's bytes in a differencing file, else zeros
     * (FileOffsetMB is never followed for these states) */
    if (diff) return parent_piece(w, img, depth, st, off, n, x);
    ext_set(x, off, n, st, depth, 1, 0, st != VHDX_EXTENT_NOT_PRESENT, 0);
    return VHDX_OK;
}

/* b continues a: same classification and, for stored bytes, the next host byte */
static int ext_joins(const vhdx_extent *a, const vhdx_extent *b)
{
    if (a->state != b->state || a->depth != b->depth || a->zero != b->zero ||
        a->data != b->data || a->present != b->present)
        return 0;
    if (a->state == VHDX_EXTENT_DATA) return a->offset + a->length == b->offset;
    return 1;
}

static int extent_at(vhdx_image *img, uint64_t off, uint64_t len, vhdx_extent *ext,
                     vhdx_diag *diag)
{
    int rc = img_check_range(img, off, len, diag);
    if (rc != VHDX_OK) return rc;
    ext_walk w;
    memset(&w, 0, sizeof w);
    w.diag = diag;
    const uint64_t bs = img->geo.block_size;
    uint64_t pos = off, end = off + len;
    while (pos < end) {
        uint64_t n = bs - pos % bs;
        if (n > end - pos) n = end - pos;
        vhdx_extent x;
        rc = piece(&w, img, 0, pos, n, &x);
        if (rc != VHDX_OK) return rc;
        if (x.length == 0 || x.length > n)
            return VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_NO_OFFSET, "extent length");
        if (pos == off) *ext = x;
        else if (ext_joins(ext, &x)) ext->length += x.length;
        else break;
        /* a piece may end inside a block (bitmap run, parent, host hole): go on from there */
        pos += x.length;
    }
    return VHDX_OK;
}

int(vhdx_extent_at)(vhdx_image *img, uint64_t off, uint64_t len, vhdx_extent *ext,
                    vhdx_diag *diag)
{
    if (!img || !ext || len == 0) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_extent full;
    memset(&full, 0, sizeof full);
    int rc = extent_at(img, off, len, &full, diag);
    if (rc == VHDX_OK) {
        full.struct_size = (uint32_t)sizeof full;
        ABI_OUT(ext, &full);
    }
    return rc;
}

int vhdx_block_status(vhdx_image *img, uint64_t off, uint64_t len, uint64_t *len_out,
                      int *status, vhdx_diag *diag)
{
    if (!img || !len_out || !status || len == 0)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    uint64_t done = 0;
    int first = -1;
    while (done < len) {
        vhdx_extent x;
        int rc = vhdx_extent_at(img, off + done, len - done, &x, diag);
        if (rc != VHDX_OK) return rc;
        int st = x.zero ? VHDX_BLOCK_ZERO : VHDX_BLOCK_DATA;
        if (first < 0) first = st;
        else if (st != first) break;
        done += x.length;
    }
    *len_out = done;
    *status = first;
    return VHDX_OK;
}
