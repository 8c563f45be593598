/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_convert.c - vhdx_convert: the virtual disk of a VHDX image, a raw vhdx_io or a raw
 * stream copied into a raw destination or a new fixed/dynamic VHDX image.
 *
 * The source is walked by extents (vhdx_extent_at; a raw io's data_status): runs that read
 * as zeros are skipped. Data runs go in chunks of CV_CHUNK bytes that never cross a chunk
 * boundary (so never a VHDX block boundary, blocks being >= 1 MiB). A chunk whose bytes sit
 * in a file backend (raw file, fully present block of a file without replay overlay) and
 * whose first page is not zero is copied by the kernel (copy_file_range) into the
 * destination file; other chunks are read, and only what is not zero is written (raw:
 * non-zero pages, holes elsewhere; VHDX: chunks not all zero, so all-zero blocks of a
 * dynamic image stay NOT_PRESENT). Without VHDX_CONVERT_SYNC the destination is never
 * flushed (a wrapper drops the journal's flushes), like qemu-img's default cache; with it,
 * a file destination starts writing back as the bytes come in (write-behind), so that the
 * final flush overlaps the copy instead of following it.
 *
 * Worker threads (opts threads >= 2, image_copy.c): for a raw destination whose backend
 * is concurrent (vhdx_io_concurrent: the file backend), the chunks of data runs that sit
 * in a concurrent host backend go to a pool of workers, each copying at explicit offsets
 * with its own buffer and kernel copier; this thread alone walks the source through the
 * image layer (not thread-safe) and copies what the workers cannot (runs read through
 * vhdx_read: partially present blocks, a replay overlay). Chunks are decided alike in
 * every thread, so the output is the same as a copy by one thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "api_abi.h"
#include "image.h"

#define CV_CHUNK CPY_CHUNK
#define CV_PAGE CPY_PAGE
#define CV_AUTO_THREADS 4u /* threads 0: online CPUs, at most this */

typedef struct cv_job {
    const vhdx_convert_src *src;
    const vhdx_convert_opts *o;
    vhdx_convert_stats *st;
    vhdx_diag *diag;
    vhdx_io *dst;                 /* the caller's destination */
    vhdx_io nio;                  /* dst whose flush does nothing (no SYNC) */
    vhdx_image *dimg;             /* VHDX destination */
    uint64_t ssize;               /* source bytes */
    uint64_t vsize;               /* destination virtual size */
    uint64_t spos;                /* sequential destination: bytes written */
    int modified;                 /* the VHDX destination's session header update done */
    cpy_lane lane;                /* this thread's copy state (buffer, copier, figures) */
    uint8_t *buf;                 /* lane.buf: CV_CHUNK bytes */
    cpy_pool *pool;               /* the workers, or NULL */
    uint64_t handled;             /* source bytes this thread is done with (progress) */
} cv_job;

/* A source run: zeros, or data; io/hoff: the file backend holding the run (offload). */
typedef struct cv_run {
    uint64_t len;
    int zero;
    vhdx_io *io;
    uint64_t hoff;
} cv_run;

static int cv_all_zero(const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t k = n < CV_PAGE ? n : CV_PAGE;
        if (!vhdx_all_zero(p, k)) return 0;
        p += k;
        n -= k;
    }
    return 1;
}

/* done: bytes this thread handled, plus what the workers completed */
static void cv_progress(cv_job *j)
{
    if (!j->o->progress) return;
    uint64_t done = j->handled + (j->pool ? cpy_pool_done(j->pool) : 0);
    j->o->progress(j->o->progress_ctx, done, j->ssize);
}

/* ---- the destination without flushes ---- */
static int n_read(void *c, uint64_t o, void *b, size_t n) { vhdx_io *i = c; return i->read_at(i->ctx, o, b, n); }
static int n_write(void *c, uint64_t o, const void *b, size_t n) { vhdx_io *i = c; return i->write_at(i->ctx, o, b, n); }
static int n_size(void *c, uint64_t *s) { vhdx_io *i = c; return i->get_size(i->ctx, s); }
static int n_set(void *c, uint64_t s) { vhdx_io *i = c; return i->set_size ? i->set_size(i->ctx, s) : VHDX_E_UNSUPPORTED; }
static int n_flush(void *c) { (void)c; return VHDX_OK; }

static void nosync_io(vhdx_io *n, vhdx_io *inner)
{
    memset(n, 0, sizeof *n);
    n->ctx = inner;
    n->read_at = n_read;
    n->write_at = n_write;
    n->get_size = n_size;
    n->set_size = inner->set_size ? n_set : NULL;
    n->flush = n_flush;
}

/* ---- failures ---- */

static int dst_fail(cv_job *j, int rc, uint64_t off, int e)
{
    return cpy_dst_fail(&j->lane, rc, off, e);
}

/* a failure the VHDX destination recorded in diag */
static int dimg_fail(cv_job *j, int rc)
{
    j->lane.dst_failed = 1;
    return rc;
}

/* ---- the source ---- */

static int src_run(cv_job *j, uint64_t off, uint64_t len, cv_run *r)
{
    const vhdx_convert_src *s = j->src;
    memset(r, 0, sizeof *r);
    if (s->img) {
        vhdx_extent x;
        int rc = vhdx_extent_at(s->img, off, len, &x, j->diag);
        if (rc != VHDX_OK) return rc;
        r->len = x.length;
        r->zero = x.zero;
        if (x.data && !x.zero) {
            vhdx_image *f = s->img;
            for (uint32_t d = x.depth; d > 0 && f; d--) f = f->parent;
            /* replayed sectors of a read-only open are not in the host file */
            if (f && !f->ov) {
                r->io = f->io;
                r->hoff = x.offset;
            }
        }
        return VHDX_OK;
    }
    int is_data = 1;
    r->len = len;
    if (VHDX_HAS_MEMBER(s->raw, vhdx_io, data_status) && s->raw->data_status) {
        int rc = s->raw->data_status(s->raw->ctx, off, len, &r->len, &is_data);
        if (rc != VHDX_OK) return img_io_fail(j->diag, rc, off, "source data status", errno);
        if (r->len == 0 || r->len > len)
            return VHDX_FAIL(j->diag, VHDX_E_INTERNAL, off, "source data status");
    }
    r->zero = !is_data;
    r->io = s->raw;
    r->hoff = off;
    return VHDX_OK;
}

static int src_read(cv_job *j, uint64_t off, uint8_t *buf, size_t n)
{
    int rc;
    if (j->src->img) {
        rc = vhdx_read(j->src->img, off, buf, n, j->diag);
    } else {
        rc = j->src->raw->read_at(j->src->raw->ctx, off, buf, n);
        if (rc != VHDX_OK) rc = img_io_fail(j->diag, rc, off, "source", errno);
    }
    if (rc == VHDX_OK) j->lane.bytes_read += n;
    return rc;
}

/* ---- raw destination ---- */

/* sequential destination: zeros up to off (what the walk skipped), then p */
static int seq_put(cv_job *j, const uint8_t *p, size_t n, uint64_t off)
{
    while (j->spos < off) {
        uint64_t gap = off - j->spos;
        size_t k = gap < CV_PAGE ? (size_t)gap : CV_PAGE;
        int rc = j->dst->write_at(j->dst->ctx, j->spos, img_zeros, k); /* k <= CV_PAGE < IMG_ZEROS */
        if (rc != VHDX_OK) return dst_fail(j, rc, j->spos, errno);
        j->spos += k;
    }
    if (n) {
        int rc = cpy_write(&j->lane, off, p, n);
        if (rc != VHDX_OK) return rc;
    }
    j->spos = off + n;
    return VHDX_OK;
}

/* the non-zero pages of p, coalesced; zero pages stay holes */
static int raw_put(cv_job *j, const uint8_t *p, size_t n, uint64_t off)
{
    if (j->o->flags & VHDX_CONVERT_SEQUENTIAL) return seq_put(j, p, n, off);
    return cpy_put_raw(&j->lane, p, n, off);
}

/* ---- VHDX destination ---- */

static int vhdx_put(cv_job *j, const uint8_t *p, size_t n, uint64_t off)
{
    if (cv_all_zero(p, n)) return VHDX_OK;
    int rc = vhdx_write(j->dimg, off, p, n, j->diag);
    if (rc != VHDX_OK) return dimg_fail(j, rc);
    j->lane.bytes_written += n;
    return VHDX_OK;
}

static int put(cv_job *j, const uint8_t *p, size_t n, uint64_t off)
{
    return j->dimg ? vhdx_put(j, p, n, off) : raw_put(j, p, n, off);
}

/* File offset in the VHDX destination of virtual [off, off+n) (one block): in its payload
 * block, allocated first (by writing head, its first hn bytes, which are not all zero)
 * when it is not yet. *written: head is already written. */
static int dst_place(cv_job *j, uint64_t off, const uint8_t *head, size_t hn, uint64_t *doff,
                     int *written)
{
    *written = 0;
    vhdx_image *d = j->dimg;
    const uint64_t bs = d->geo.block_size;
    uint64_t e;
    int rc = img_block_entry(d, off / bs, &e, j->diag);
    if (rc != VHDX_OK) return dimg_fail(j, rc);
    if (fmt_bat_state(e) != VHDX_PB_FULLY_PRESENT) {
        rc = vhdx_write(d, off, head, hn, j->diag);
        if (rc != VHDX_OK) return dimg_fail(j, rc);
        j->lane.bytes_written += hn;
        *written = 1;
        rc = img_block_entry(d, off / bs, &e, j->diag);
        if (rc != VHDX_OK) return dimg_fail(j, rc);
        if (fmt_bat_state(e) != VHDX_PB_FULLY_PRESENT)
            return VHDX_FAIL(j->diag, VHDX_E_INTERNAL, VHDX_NO_OFFSET, "convert allocation");
    } else if (!j->modified) {
        /* bytes go past vhdx_write: the session's header update (R13) first */
        rc = img_begin_modify(d, 1, j->diag);
        if (rc != VHDX_OK) return dimg_fail(j, rc);
    }
    j->modified = 1;
    *doff = fmt_bat_offset(e) + off % bs;
    return VHDX_OK;
}

/* VHDX destination: kernel copy of a chunk at off (n bytes, the source's at r->hoff +
 * (off - start)) when its first page is not zero; *done 1 when the chunk was handled. */
static int try_offload(cv_job *j, const cv_run *r, uint64_t start, uint64_t off, size_t n,
                       int *done)
{
    *done = 0;
    size_t hn = n < CV_PAGE ? n : CV_PAGE;
    int rc = src_read(j, off, j->buf, hn);
    if (rc != VHDX_OK || vhdx_all_zero(j->buf, hn)) return rc;
    uint64_t doff = 0, copied = 0, soff = r->hoff + (off - start);
    int head_written;
    rc = dst_place(j, off, j->buf, hn, &doff, &head_written);
    if (rc != VHDX_OK) return rc;
    uint64_t skip = head_written ? hn : 0;
    rc = vhdx_copier_copy(&j->lane.cp, j->dst, doff + skip, r->io, soff + skip, n - skip, &copied);
    j->lane.bytes_copied += copied;
    j->lane.bytes_written += copied;
    if (rc == VHDX_OK) {
        *done = 1;
        return VHDX_OK;
    }
    if (rc != VHDX_E_UNSUPPORTED) {
        /* which side failed: the source ended, or the destination refused the bytes */
        if (rc == VHDX_E_IO_EOF) return img_io_fail(j->diag, rc, soff + skip + copied, "source", 0);
        return dst_fail(j, rc, doff + skip + copied, errno);
    }
    j->lane.offload = 0;
    if (copied == 0 && !head_written) return VHDX_OK; /* read and written below */
    /* the rest by read and write */
    uint64_t at = off + skip + copied;
    size_t left = (size_t)(n - skip - copied);
    rc = src_read(j, at, j->buf, left);
    if (rc == VHDX_OK) rc = put(j, j->buf, left, at);
    *done = rc == VHDX_OK;
    return rc;
}

/* One chunk of the data run r at start: [off, off + n). A raw destination takes the bytes
 * of the host file holding them (a worker copies them when both sides are concurrent:
 * *queued 1); a VHDX destination, a kernel copy into its payload block when it can. */
static int copy_chunk(cv_job *j, const cv_run *r, uint64_t start, uint64_t off, size_t n,
                      int can, int *queued)
{
    *queued = 0;
    if (!j->dimg && r->io && !(j->o->flags & VHDX_CONVERT_SEQUENTIAL)) {
        uint64_t soff = r->hoff + (off - start);
        if (j->pool && vhdx_io_concurrent(r->io)) {
            *queued = 1;
            return cpy_pool_submit(j->pool, r->io, soff, off, n);
        }
        return cpy_chunk_raw(&j->lane, r->io, soff, off, n);
    }
    int done = 0, rc = VHDX_OK;
    if (can && j->lane.offload) rc = try_offload(j, r, start, off, n, &done);
    if (rc == VHDX_OK && !done) {
        rc = src_read(j, off, j->buf, n);
        if (rc == VHDX_OK) rc = put(j, j->buf, n, off);
    }
    return rc;
}

/* Copies the data run r at start: [off, off + len) of it, chunk by chunk. */
static int copy_data(cv_job *j, const cv_run *r, uint64_t start)
{
    uint64_t off = start, end = start + r->len;
    uint64_t none;
    /* a zero-length copy answers whether the two backends are files that could */
    const int can = j->dimg && r->io &&
                    vhdx_copier_copy(&j->lane.cp, j->dst, 0, r->io, 0, 0, &none) == VHDX_OK;
    while (off < end) {
        uint64_t room = CV_CHUNK - off % CV_CHUNK;
        size_t n = (size_t)(end - off < room ? end - off : room);
        int queued;
        int rc = copy_chunk(j, r, start, off, n, can, &queued);
        if (rc != VHDX_OK) return rc;
        if (!queued) j->handled += n;
        off += n;
        cv_progress(j);
    }
    return VHDX_OK;
}

static int copy_disk(cv_job *j)
{
    uint64_t off = 0;
    while (off < j->ssize) {
        cv_run r;
        int rc = src_run(j, off, j->ssize - off, &r);
        if (rc != VHDX_OK) return rc;
        if (r.zero) {
            j->handled += r.len;
            cv_progress(j);
        } else {
            rc = copy_data(j, &r, off);
            if (rc != VHDX_OK) return rc;
        }
        off += r.len;
    }
    return VHDX_OK;
}

/* a stream source: chunk by chunk in order */
static int copy_stream(cv_job *j)
{
    const vhdx_convert_src *s = j->src;
    uint64_t off = 0;
    for (;;) {
        size_t have = 0, got = 1;
        while (have < CV_CHUNK && got > 0) {
            int rc = s->stream_read(s->stream_ctx, j->buf + have, CV_CHUNK - have, &got);
            if (rc != VHDX_OK) return VHDX_FAIL(j->diag, rc, off + have, "source stream");
            if (got > CV_CHUNK - have)
                return VHDX_FAIL(j->diag, VHDX_E_MISUSE, off + have, "source stream length");
            have += got;
        }
        if (have == 0) return VHDX_OK;
        if (have > j->ssize - off)
            return VHDX_FAIL(j->diag, VHDX_E_RANGE, j->ssize, "source stream longer than its size");
        j->lane.bytes_read += have;
        int rc = put(j, j->buf, have, off);
        if (rc != VHDX_OK) return rc;
        off += have;
        j->handled = off;
        cv_progress(j);
        if (have < CV_CHUNK) return VHDX_OK;
    }
}

/* ---- setup and finish ---- */

static int source_size(cv_job *j)
{
    const vhdx_convert_src *s = j->src;
    int kinds = (s->img != NULL) + (s->raw != NULL) + (s->stream_read != NULL);
    if (kinds != 1) return VHDX_FAIL(j->diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "convert source");
    if (s->img) {
        j->ssize = s->img->geo.virtual_size;
        return VHDX_OK;
    }
    if (s->stream_read) {
        j->ssize = s->size;
        return VHDX_OK;
    }
    uint64_t fs;
    int rc = s->raw->get_size(s->raw->ctx, &fs);
    if (rc != VHDX_OK) return img_io_fail(j->diag, rc, VHDX_NO_OFFSET, "source size", errno);
    if (s->size > fs) return VHDX_FAIL(j->diag, VHDX_E_MISUSE, fs, "source size");
    j->ssize = s->size ? s->size : fs;
    return VHDX_OK;
}

static int open_vhdx_dst(cv_job *j)
{
    vhdx_create_params cp = j->o->create;
    if (cp.type == VHDX_TYPE_DIFFERENCING)
        return VHDX_FAIL(j->diag, VHDX_E_CREATE_PARAM, VHDX_NO_OFFSET, "convert into a differencing image");
    uint64_t lss = cp.logical_sector_size ? cp.logical_sector_size : 512;
    if (cp.virtual_size == 0) {
        cp.virtual_size = vhdx_div_round_up(j->ssize, lss) * lss;
        if (cp.virtual_size == 0) cp.virtual_size = lss;
    } else if (cp.virtual_size < j->ssize) {
        return VHDX_FAIL(j->diag, VHDX_E_CREATE_PARAM, VHDX_NO_OFFSET, "virtual size below the source's");
    }
    j->vsize = cp.virtual_size;
    nosync_io(&j->nio, j->dst);
    vhdx_io *io = (j->o->flags & VHDX_CONVERT_SYNC) ? j->dst : &j->nio;
    int rc = vhdx_create_io(io, &cp, j->diag);
    if (rc != VHDX_OK) return vhdx_status_class(rc) == VHDX_CLASS_IO ? dimg_fail(j, rc) : rc;
    vhdx_open_opts oo;
    vhdx_open_opts_default(&oo);
    oo.flags = VHDX_OPEN_RDWR;
    oo.guid_gen = cp.guid_gen;
    rc = vhdx_open(&j->dimg, io, 0, &oo, j->diag);
    if (rc != VHDX_OK) {
        j->dimg = NULL;
        return dimg_fail(j, rc);
    }
    return VHDX_OK;
}

static int finish_raw(cv_job *j)
{
    if (j->o->flags & VHDX_CONVERT_SEQUENTIAL) return seq_put(j, NULL, 0, j->vsize);
    if (!j->dst->set_size)
        return VHDX_FAIL(j->diag, VHDX_E_UNSUPPORTED, j->vsize, "destination size");
    int rc = j->dst->set_size(j->dst->ctx, j->vsize);
    return rc == VHDX_OK ? VHDX_OK : dst_fail(j, rc, j->vsize, errno);
}

/* Workers of the copy: threads (0: the online CPUs, at most CV_AUTO_THREADS) when the
 * destination is raw, taking writes anywhere, and both it and the source's backend are
 * concurrent; else 0 (this thread copies alone). */
static unsigned cv_threads(const cv_job *j)
{
    const vhdx_convert_src *s = j->src;
    if (j->dimg || (j->o->flags & VHDX_CONVERT_SEQUENTIAL) || s->stream_read ||
        !vhdx_io_concurrent(j->dst) || !vhdx_io_concurrent(s->img ? s->img->io : s->raw))
        return 0;
    unsigned t = j->o->threads;
    if (t == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        t = n < 1 ? 1u : n > (long)CV_AUTO_THREADS ? CV_AUTO_THREADS : (unsigned)n;
    }
    return t;
}

/* The copy itself; with workers, the first failure of theirs and this thread's wins
 * (this thread records its own in a diag of its own meanwhile). */
static int copy_all(cv_job *j)
{
    int rc = cpy_pool_start(&j->pool, j->dst, cv_threads(j), j->diag);
    if (rc != VHDX_OK) return rc;
    vhdx_diag *caller = j->diag, mine;
    if (j->pool) {
        vhdx_diag_clear(&mine);
        j->diag = j->lane.diag = &mine;
    }
    cv_progress(j);
    rc = j->src->stream_read ? copy_stream(j) : copy_disk(j);
    if (!j->pool) return rc;
    cpy_pool *p = j->pool;
    j->pool = NULL;
    j->diag = j->lane.diag = caller;
    uint64_t done = 0;
    rc = cpy_pool_finish(p, rc, &mine, j->lane.dst_failed, j->st, caller, &done);
    j->lane.dst_failed = j->st->dst_failed;
    j->handled += done;
    if (rc == VHDX_OK) cv_progress(j);
    return rc;
}

static int run(cv_job *j)
{
    int rc = source_size(j);
    if (rc != VHDX_OK) return rc;
    j->vsize = j->ssize;
    if (j->o->flags & VHDX_CONVERT_VHDX) {
        if (j->o->flags & VHDX_CONVERT_SEQUENTIAL)
            return VHDX_FAIL(j->diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "sequential VHDX destination");
        rc = open_vhdx_dst(j);
        if (rc != VHDX_OK) return rc;
    }
    j->st->virtual_size = j->vsize;
    if (j->o->flags & VHDX_CONVERT_SYNC) vhdx_io_file_write_behind(j->dst);
    rc = copy_all(j);
    if (rc != VHDX_OK) return rc;
    if (j->dimg) {
        vhdx_image *d = j->dimg;
        j->dimg = NULL;
        rc = vhdx_close(d);
        if (rc != VHDX_OK) return dst_fail(j, rc, VHDX_NO_OFFSET, 0);
    } else {
        rc = finish_raw(j);
        if (rc != VHDX_OK) return rc;
    }
    if (j->o->flags & VHDX_CONVERT_SYNC) {
        rc = j->dst->flush(j->dst->ctx);
        if (rc != VHDX_OK) return dst_fail(j, rc, VHDX_NO_OFFSET, errno);
    }
    return VHDX_OK;
}

void(vhdx_convert_opts_default)(vhdx_convert_opts *o)
{
    if (!o) return;
    vhdx_convert_opts full;
    memset(&full, 0, sizeof full);
    full.struct_size = (uint32_t)sizeof full;
    vhdx_create_params_default(&full.create);
    full.threads = 1;
    ABI_OUT(o, &full);
}

int vhdx_convert(const vhdx_convert_src *src, vhdx_io *dst, const vhdx_convert_opts *opts,
                 vhdx_convert_stats *stats, vhdx_diag *diag)
{
    vhdx_convert_stats local;
    if (!stats) stats = &local;
    memset(stats, 0, sizeof *stats);
    if (!src || !dst || !opts || !dst->write_at || !dst->flush)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_convert_opts full; /* the caller's options over the defaults (ABI: struct_size) */
    vhdx_convert_opts_default(&full);
    ABI_IN(&full, opts);
    cv_job j;
    memset(&j, 0, sizeof j);
    j.src = src;
    j.o = &full;
    j.st = stats;
    j.diag = diag;
    j.dst = dst;
    int rc = cpy_lane_init(&j.lane, dst, diag);
    j.buf = j.lane.buf;
    if (rc == VHDX_OK) rc = run(&j);
    if (j.dimg) img_free(j.dimg); /* a failed conversion: nothing more is written */
    /* this thread's figures (the workers' were added when they stopped) */
    stats->bytes_read += j.lane.bytes_read;
    stats->bytes_written += j.lane.bytes_written;
    stats->bytes_copied += j.lane.bytes_copied;
    stats->dst_failed = rc != VHDX_OK && j.lane.dst_failed;
    cpy_lane_free(&j.lane);
    return rc;
}
