/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_copy.c - the data copy of vhdx_convert into a raw destination, below the image
 * layer: lanes and the worker pool (image.h, section 1c).
 *
 * A chunk (at most CPY_CHUNK bytes of one host file) whose first page is not zero is
 * copied by the kernel when both sides are files; otherwise it is read and only its
 * non-zero pages are written, so zero pages stay holes. The same function serves the
 * converter's own thread and every worker; the result does not depend on which thread
 * copies which chunk (disjoint destination ranges, the same decisions per chunk), so the
 * output bytes are those of a copy by one thread.
 *
 * The pool: a fixed number of workers (at most CPY_MAX_THREADS), each with a lane of its
 * own (1 MiB buffer, kernel copier with its own pipe, figures, diagnostics), all allocated
 * by the starting thread (the allocator hook is not thread-safe; workers allocate
 * nothing). Chunks go through a queue of CPY_QUEUE entries: the converter's thread, the
 * only one that walks the source through the image layer, waits when it is full. On a
 * failure the queue is dropped and each worker stops after the chunk it is copying; of
 * the failures, the one of the earliest chunk in the order the chunks were queued wins
 * (a failure of the converter's thread comes after every chunk it queued), with its
 * diagnostics. Every chunk queued before a failing one was taken already (the queue is
 * in order) and is completed, so the error reported is the one a copy by one thread
 * meets first: the same whatever the number of threads and their timing.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "image.h"

#define CPY_QUEUE 16u

/* ---- lanes ---- */

int cpy_lane_init(cpy_lane *l, vhdx_io *dst, vhdx_diag *diag)
{
    memset(l, 0, sizeof *l);
    l->dst = dst;
    l->diag = diag;
    l->offload = 1;
    vhdx_copier_init(&l->cp);
    l->buf = vhdx_malloc(CPY_CHUNK);
    if (!l->buf) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "convert buffer");
    return VHDX_OK;
}

void cpy_lane_free(cpy_lane *l)
{
    vhdx_copier_close(&l->cp);
    vhdx_free(l->buf);
    l->buf = NULL;
}

int cpy_dst_fail(cpy_lane *l, int rc, uint64_t off, int e)
{
    l->dst_failed = 1;
    return img_io_fail(l->diag, rc, off, "destination", e);
}

static int lane_read(cpy_lane *l, vhdx_io *src, uint64_t off, size_t n)
{
    int rc = src->read_at(src->ctx, off, l->buf, n);
    if (rc != VHDX_OK) return img_io_fail(l->diag, rc, off, "source", errno);
    l->bytes_read += n;
    return VHDX_OK;
}

int cpy_write(cpy_lane *l, uint64_t off, const uint8_t *p, size_t n)
{
    int rc = l->dst->write_at(l->dst->ctx, off, p, n);
    if (rc != VHDX_OK) return cpy_dst_fail(l, rc, off, errno);
    l->bytes_written += n;
    return VHDX_OK;
}

int cpy_put_raw(cpy_lane *l, const uint8_t *p, size_t n, uint64_t off)
{
    size_t i = 0;
    while (i < n) {
        size_t pg = n - i < CPY_PAGE ? n - i : CPY_PAGE;
        if (vhdx_all_zero(p + i, pg)) {
            i += pg;
            continue;
        }
        size_t k = i + pg;
        while (k < n) {
            size_t q = n - k < CPY_PAGE ? n - k : CPY_PAGE;
            if (vhdx_all_zero(p + k, q)) break;
            k += q;
        }
        int rc = cpy_write(l, off + i, p + i, k - i);
        if (rc != VHDX_OK) return rc;
        i = k;
    }
    return VHDX_OK;
}

int cpy_chunk_raw(cpy_lane *l, vhdx_io *src, uint64_t soff, uint64_t doff, size_t n)
{
    uint64_t copied = 0;
    int rc;
    /* a zero-length copy answers whether the two backends are files that could */
    if (l->offload && vhdx_copier_copy(&l->cp, l->dst, 0, src, 0, 0, &copied) == VHDX_OK) {
        size_t hn = n < CPY_PAGE ? n : CPY_PAGE;
        rc = lane_read(l, src, soff, hn);
        if (rc != VHDX_OK) return rc;
        if (!vhdx_all_zero(l->buf, hn)) {
            rc = vhdx_copier_copy(&l->cp, l->dst, doff, src, soff, n, &copied);
            l->bytes_copied += copied;
            l->bytes_written += copied;
            if (rc == VHDX_OK) return VHDX_OK;
            /* which side failed: the source ended, or the destination refused the bytes */
            if (rc == VHDX_E_IO_EOF) return img_io_fail(l->diag, rc, soff + copied, "source", 0);
            if (rc != VHDX_E_UNSUPPORTED) return cpy_dst_fail(l, rc, doff + copied, errno);
            l->offload = 0;
        }
    }
    /* read and written: the whole chunk, or what the kernel did not copy */
    size_t left = (size_t)(n - copied);
    rc = lane_read(l, src, soff + copied, left);
    return rc == VHDX_OK ? cpy_put_raw(l, l->buf, left, doff + copied) : rc;
}

/* ---- the pool ---- */

typedef struct cpy_task {
    vhdx_io *src;
    uint64_t soff, doff;
    size_t n;
    uint64_t seq;                 /* the order it was queued in */
} cpy_task;

typedef struct cpy_worker {
    cpy_pool *pool;
    cpy_lane lane;
    vhdx_diag diag;
    pthread_t tid;
} cpy_worker;

struct cpy_pool {
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_take;
    cpy_task q[CPY_QUEUE];
    unsigned head, count;
    int closing;                  /* no more chunks: workers leave once the queue is empty */
    uint64_t queued;              /* chunks queued so far (the next one's seq) */
    int failed, rc, dst_failed;   /* the failure of the earliest chunk */
    uint64_t fail_seq;            /* its seq */
    vhdx_diag diag;               /* its diagnostics */
    uint64_t done;                /* bytes of the chunks completed */
    unsigned n, lanes;            /* workers started, lanes allocated */
    cpy_worker w[CPY_MAX_THREADS];
};

/* Called with p->mu held: the failure of the earliest chunk (seq) is kept, the queue
 * dropped, everyone woken. */
static void fail_locked(cpy_pool *p, int rc, const vhdx_diag *d, int dst_failed, uint64_t seq)
{
    if (!p->failed || seq < p->fail_seq) {
        p->failed = 1;
        p->fail_seq = seq;
        p->rc = rc;
        p->dst_failed = dst_failed;
        if (d) p->diag = *d;
    }
    p->count = 0;
    pthread_cond_broadcast(&p->can_put);
    pthread_cond_broadcast(&p->can_take);
}

static void *worker(void *arg)
{
    cpy_worker *w = arg;
    cpy_pool *p = w->pool;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (p->count == 0 && !p->closing && !p->failed) pthread_cond_wait(&p->can_take, &p->mu);
        if (p->failed || p->count == 0) break;
        cpy_task t = p->q[p->head];
        p->head = (p->head + 1) % CPY_QUEUE;
        p->count--;
        pthread_cond_signal(&p->can_put);
        pthread_mutex_unlock(&p->mu);
        vhdx_diag_clear(&w->diag);
        w->lane.dst_failed = 0;
        int rc = cpy_chunk_raw(&w->lane, t.src, t.soff, t.doff, t.n);
        pthread_mutex_lock(&p->mu);
        if (rc != VHDX_OK) fail_locked(p, rc, &w->diag, w->lane.dst_failed, t.seq);
        else p->done += t.n;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void pool_free(cpy_pool *p)
{
    for (unsigned i = 0; i < p->lanes; i++) cpy_lane_free(&p->w[i].lane);
    pthread_cond_destroy(&p->can_take);
    pthread_cond_destroy(&p->can_put);
    pthread_mutex_destroy(&p->mu);
    vhdx_free(p);
}

/* Starts the workers with every signal blocked: signals go to the caller's threads (the
 * CLI's handler removes its temporary file). */
static void start_workers(cpy_pool *p)
{
    sigset_t all, old;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0) return;
    for (unsigned i = 0; i < p->lanes; i++) {
        if (pthread_create(&p->w[i].tid, NULL, worker, &p->w[i]) != 0) break;
        p->n++;
    }
    (void)pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int cpy_pool_start(cpy_pool **out, vhdx_io *dst, unsigned threads, vhdx_diag *diag)
{
    *out = NULL;
    if (threads < 2) return VHDX_OK;
    if (threads > CPY_MAX_THREADS) threads = CPY_MAX_THREADS;
    cpy_pool *p = vhdx_calloc(1, sizeof *p);
    if (!p) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "convert threads");
    if (pthread_mutex_init(&p->mu, NULL) != 0) {
        vhdx_free(p);
        return VHDX_OK; /* copied by the caller alone */
    }
    if (pthread_cond_init(&p->can_put, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        vhdx_free(p);
        return VHDX_OK;
    }
    if (pthread_cond_init(&p->can_take, NULL) != 0) {
        pthread_cond_destroy(&p->can_put);
        pthread_mutex_destroy(&p->mu);
        vhdx_free(p);
        return VHDX_OK;
    }
    for (unsigned i = 0; i < threads; i++) {
        cpy_worker *w = &p->w[i];
        w->pool = p;
        vhdx_diag_clear(&w->diag);
        int rc = cpy_lane_init(&w->lane, dst, &w->diag);
        if (rc != VHDX_OK) {
            pool_free(p);
            return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "convert buffer");
        }
        p->lanes++;
    }
    start_workers(p);
    if (p->n == 0) {
        pool_free(p);
        return VHDX_OK;
    }
    *out = p;
    return VHDX_OK;
}

int cpy_pool_submit(cpy_pool *p, vhdx_io *src, uint64_t soff, uint64_t doff, size_t n)
{
    pthread_mutex_lock(&p->mu);
    while (p->count == CPY_QUEUE && !p->failed) pthread_cond_wait(&p->can_put, &p->mu);
    int rc = p->failed ? p->rc : VHDX_OK;
    if (rc == VHDX_OK) {
        cpy_task *t = &p->q[(p->head + p->count) % CPY_QUEUE];
        t->src = src;
        t->soff = soff;
        t->doff = doff;
        t->n = n;
        t->seq = p->queued++;
        p->count++;
        pthread_cond_signal(&p->can_take);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

uint64_t cpy_pool_done(cpy_pool *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t d = p->done;
    pthread_mutex_unlock(&p->mu);
    return d;
}

int cpy_pool_finish(cpy_pool *p, int rc, const vhdx_diag *cdiag, int cdst_failed,
                    vhdx_convert_stats *st, vhdx_diag *diag, uint64_t *done)
{
    pthread_mutex_lock(&p->mu);
    if (rc != VHDX_OK) fail_locked(p, rc, cdiag, cdst_failed, p->queued);
    p->closing = 1;
    pthread_cond_broadcast(&p->can_take);
    pthread_mutex_unlock(&p->mu);
    for (unsigned i = 0; i < p->n; i++) (void)pthread_join(p->w[i].tid, NULL);
    for (unsigned i = 0; i < p->lanes; i++) {
        const cpy_lane *l = &p->w[i].lane;
        st->bytes_read += l->bytes_read;
        st->bytes_written += l->bytes_written;
        st->bytes_copied += l->bytes_copied;
    }
    *done = p->done;
    rc = p->failed ? p->rc : VHDX_OK;
    if (p->failed) {
        st->dst_failed = p->dst_failed;
        if (diag && diag->code == VHDX_OK) *diag = p->diag;
    }
    pool_free(p);
    return rc;
}
