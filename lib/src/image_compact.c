/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_compact.c - vhdx_compact: payload and sector bitmap blocks move down into free
 * space, then the file is truncated after its last used byte.
 *
 * The highest block moves into the lowest gap below it that holds it (gaps come from the
 * map taken before any move, so a block's old space is never a target in the same run).
 * Moves are grouped: the copies are written and flushed, then one log entry switches
 * their BAT entries; a crash before the switch leaves the old places in use (the copies
 * lie in free space), after it the new ones. Before the truncation the log session is
 * closed (LogGuid cleared), so no log entry names a file longer than the file (R43).
 * UNDEFINED/UNMAPPED entries that still point at prior contents get FileOffsetMB 0
 * (2.5.1.1 allows it), so their space is free too.
 */
#include <stdlib.h>
#include <string.h>

#include "api_abi.h"
#include "image.h"

#define CP_GROUP_BYTES (64u * 1024u * 1024u) /* data copied per log entry */
#define CP_COPY (1024u * 1024u)

typedef struct cp_move { uint64_t index, entry; } cp_move;

typedef struct cp_run {
    vhdx_image *img;
    vhdx_compact_stats st;
    cp_move *mv;                  /* pending moves of the group */
    size_t nmv, capmv;
    uint64_t group_bytes;
    uint8_t *buf;                 /* CP_COPY bytes, allocated at first use (cp_buf) */
} cp_run;

/* The copy buffer, allocated when a block is first read: a compact with nothing to read
 * or move allocates none. */
static int cp_buf(cp_run *r, vhdx_diag *diag)
{
    if (!r->buf) r->buf = vhdx_malloc(CP_COPY);
    return r->buf ? VHDX_OK : VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "compact");
}

static int set_entry(vhdx_image *img, uint64_t index, uint64_t entry, vhdx_diag *diag)
{
    int rc = VHDX_OK;
    if (img_batch_room(img) < 2) rc = img_batch_commit(img, diag);
    return rc == VHDX_OK ? img_batch_set_entry(img, index, entry, diag) : rc;
}

/* With `zeroes`, allocated blocks that read as zeros are released (dynamic NOT_PRESENT,
 * differencing ZERO: R73); always, UNDEFINED/UNMAPPED entries drop their old offset. */
static int release_blocks(cp_run *r, int zeroes, vhdx_diag *diag)
{
    vhdx_image *img = r->img;
    const uint64_t bs = img->geo.block_size, vs = img->geo.virtual_size, cr = img->geo.chunk_ratio;
    int rc = VHDX_OK;
    for (uint64_t b = 0; rc == VHDX_OK && b < img->geo.payload_blocks; b++) {
        uint64_t e, pbi = fmt_bat_pb_index(b, cr);
        rc = img_bat_get(img, pbi, &e, diag);
        if (rc != VHDX_OK) break;
        unsigned s = fmt_bat_state(e);
        if ((s == VHDX_PB_UNDEFINED || s == VHDX_PB_UNMAPPED) && fmt_bat_offset(e) != 0) {
            rc = set_entry(img, pbi, fmt_bat_make(s, 0), diag);
            continue;
        }
        if (!zeroes || (s != VHDX_PB_FULLY_PRESENT && s != VHDX_PB_PARTIALLY_PRESENT)) continue;
        size_t n = vs - b * bs < bs ? (size_t)(vs - b * bs) : (size_t)bs;
        int zero = 1;
        rc = cp_buf(r, diag);
        for (size_t p = 0; rc == VHDX_OK && zero && p < n; p += CP_COPY) {
            size_t k = n - p < CP_COPY ? n - p : CP_COPY;
            rc = img_vread(img, b * bs + p, r->buf, k, diag);
            zero = rc == VHDX_OK && vhdx_all_zero(r->buf, k);
        }
        if (rc != VHDX_OK || !zero) continue;
        rc = set_entry(img, pbi, fmt_bat_make(img->geo.has_parent ? VHDX_PB_ZERO : VHDX_PB_NOT_PRESENT, 0), diag);
        r->st.zero_blocks++;
    }
    return rc == VHDX_OK ? img_batch_commit(img, diag) : rc;
}

/* The group's copies are flushed; then one log entry switches their entries. */
static int flush_group(cp_run *r, vhdx_diag *diag)
{
    int rc = VHDX_OK;
    if (r->nmv == 0) return VHDX_OK;
    rc = img_fflush(r->img, diag);
    for (size_t i = 0; rc == VHDX_OK && i < r->nmv; i++)
        rc = set_entry(r->img, r->mv[i].index, r->mv[i].entry, diag);
    if (rc == VHDX_OK) rc = img_batch_commit(r->img, diag);
    r->nmv = 0;
    r->group_bytes = 0;
    return rc;
}

static int move_block(cp_run *r, const img_extent *x, uint64_t to, vhdx_diag *diag)
{
    vhdx_image *img = r->img;
    uint64_t len = x->end - x->start, e;
    int rc = img_bat_get(img, x->index, &e, diag);
    if (rc == VHDX_OK) rc = cp_buf(r, diag);
    for (uint64_t p = 0; rc == VHDX_OK && p < len; p += CP_COPY) {
        size_t k = len - p < CP_COPY ? (size_t)(len - p) : CP_COPY;
        rc = img_pread(img, x->start + p, r->buf, k, diag);
        if (rc == VHDX_OK) rc = img_pwrite(img, to + p, r->buf, k, diag);
    }
    if (rc != VHDX_OK) return rc;
    if (r->nmv == r->capmv) {
        size_t nc = r->capmv ? r->capmv * 2 : 64;
        cp_move *m = vhdx_realloc(r->mv, nc * sizeof *m);
        if (!m) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "compact");
        r->mv = m;
        r->capmv = nc;
    }
    r->mv[r->nmv].index = x->index;
    r->mv[r->nmv].entry = fmt_bat_make(fmt_bat_state(e), to);
    r->nmv++;
    r->group_bytes += len;
    r->st.blocks_moved++;
    r->st.bytes_moved += len;
    if (r->group_bytes >= CP_GROUP_BYTES || r->nmv * 2 + 8 > img_batch_room(img))
        return flush_group(r, diag);
    return VHDX_OK;
}

/* Free gaps between used ranges, 1 MiB aligned, below the highest used range. */
static img_span *find_gaps(const img_space *sp, size_t *ngaps, vhdx_diag *diag)
{
    img_span *g = vhdx_malloc((sp->n + 1) * sizeof *g);
    uint64_t end = 0;
    size_t n = 0;
    if (!g) { VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "compact"); return NULL; }
    for (size_t i = 0; i < sp->n; i++) {
        uint64_t a = vhdx_div_round_up(end, MiB) * MiB, b = sp->v[i].start / MiB * MiB;
        if (b > a) {
            g[n].start = a;
            g[n].end = b;
            n++;
        }
        if (sp->v[i].end > end) end = sp->v[i].end;
    }
    *ngaps = n;
    return g;
}

/* Highest blocks first, each into the lowest gap below it that holds it. */
static int move_all(cp_run *r, const img_space *sp, vhdx_diag *diag)
{
    size_t ng = 0, first = 0;
    img_span *g = find_gaps(sp, &ng, diag);
    if (!g) return VHDX_E_NOMEM;
    int rc = VHDX_OK;
    for (size_t i = sp->n; rc == VHDX_OK && i-- > 0;) {
        const img_extent *x = &sp->v[i];
        uint64_t len = x->end - x->start;
        if (x->kind == IMG_EXT_FIXED) continue;
        while (first < ng && g[first].start >= g[first].end) first++;
        if (first == ng || g[first].start >= x->start) break;
        for (size_t j = first; j < ng && g[j].start < x->start; j++) {
            if (g[j].end - g[j].start < len || g[j].start + len > x->start) continue;
            rc = move_block(r, x, g[j].start, diag);
            g[j].start += len;
            break;
        }
    }
    vhdx_free(g);
    return rc == VHDX_OK ? flush_group(r, diag) : rc;
}

/* Truncates after the last used byte (log session closed first). */
static int truncate_tail(vhdx_image *img, vhdx_diag *diag)
{
    img_space sp = { NULL, 0, 0 };
    int rc = img_space_scan(img, &sp, diag);
    if (rc != VHDX_OK) return rc;
    uint64_t end = vhdx_div_round_up(img_space_end(&sp), MiB) * MiB;
    img_space_free(&sp);
    if (end >= img->file_size) return VHDX_OK;
    /* [MS-VHDX 2.3.1.1] R43: no log entry may describe a longer file than the one left */
    rc = img_log_finish(img, diag);
    if (rc == VHDX_OK) rc = img_set_size(img, end, "compact", diag);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    return rc;
}

static int compact_run(cp_run *r, unsigned flags, vhdx_diag *diag)
{
    vhdx_image *img = r->img;
    int rc = img_begin_modify(img, 0, diag);
    if (rc == VHDX_OK) rc = img_log_ensure(img, diag);
    if (rc == VHDX_OK) rc = img_write_batch_begin(img, diag);
    if (rc != VHDX_OK) return rc;
    rc = release_blocks(r, (flags & VHDX_COMPACT_ZEROES) != 0, diag);
    img_space sp = { NULL, 0, 0 };
    if (rc == VHDX_OK) rc = img_space_scan(img, &sp, diag);
    if (rc == VHDX_OK) rc = move_all(r, &sp, diag);
    img_space_free(&sp);
    rc = img_write_batch_end(img, rc, diag);
    if (rc == VHDX_OK) rc = truncate_tail(img, diag);
    return rc;
}

int(vhdx_compact)(vhdx_image *img, unsigned flags, vhdx_compact_stats *stats, vhdx_diag *diag)
{
    if (!img) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    if (flags & ~VHDX_COMPACT_ZEROES) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "flags");
    /* [MS-VHDX 2.5.1.1] footnote <6>: a fixed file's blocks stay FULLY_PRESENT */
    if ((flags & VHDX_COMPACT_ZEROES) && img->geo.leave_allocated && !img->geo.has_parent)
        return VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, "compact --zeroes on a fixed image");
    cp_run r;
    memset(&r, 0, sizeof r);
    r.img = img;
    r.st.file_size_before = img->file_size;
    int rc = compact_run(&r, flags, diag);
    r.st.file_size_after = img->file_size;
    r.st.struct_size = (uint32_t)sizeof r.st;
    if (stats) ABI_OUT(stats, &r.st);
    vhdx_free(r.buf);
    vhdx_free(r.mv);
    return rc;
}
