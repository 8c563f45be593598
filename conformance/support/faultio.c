/* SPDX-License-Identifier: Apache-2.0 */
/* faultio.c - fault-injecting vhdx_io wrapper (see faultio.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "faultio.h"

static void journal_clear(faultio *f)
{
    size_t i;
    for (i = 0; i < f->nundo; i++) free(f->undo[i].old);
    f->nundo = 0;
}

static int journal_add(faultio *f, uint64_t off, size_t len)
{
    uint64_t size = 0;
    faultio_undo *u;
    if (f->inner->get_size(f->inner->ctx, &size) != VHDX_OK) return VHDX_E_IO;
    if (f->nundo == f->capundo) {
        size_t nc = f->capundo ? f->capundo * 2 : 64;
        faultio_undo *p = realloc(f->undo, nc * sizeof *p);
        if (!p) return VHDX_E_NOMEM;
        f->undo = p;
        f->capundo = nc;
    }
    u = &f->undo[f->nundo];
    u->off = off;
    u->len = 0;
    u->old = NULL;
    if (off < size) {
        u->len = (size_t)(size - off < len ? size - off : len);
        u->old = malloc(u->len ? u->len : 1);
        if (!u->old) return VHDX_E_NOMEM;
        if (f->inner->read_at(f->inner->ctx, off, u->old, u->len) != VHDX_OK) {
            free(u->old);
            return VHDX_E_IO;
        }
    }
    f->nundo++;
    return VHDX_OK;
}

static void record_op(faultio *f, uint64_t len)
{
    if (f->noplen == f->capoplen) {
        size_t nc = f->capoplen ? f->capoplen * 2 : 64;
        uint64_t *p = realloc(f->oplen, nc * sizeof *p);
        if (!p) return;
        f->oplen = p;
        f->capoplen = nc;
    }
    f->oplen[f->noplen++] = len;
}

uint64_t faultio_op_len(const faultio *f, uint64_t k)
{
    if (k == 0 || k > f->noplen) return UINT64_MAX;
    return f->oplen[k - 1];
}

static void number_op(faultio *f, uint64_t len)
{
    f->ops++;
    record_op(f, len);
}

/* The crash happens when operation k is the armed one. */
static int crash_now(faultio *f, uint64_t k)
{
    if (!f->crash_at || k != f->crash_at || f->mode == FAULTIO_FAIL_ONE) return 0;
    f->crashed = 1;
    return 1;
}

static int fi_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    faultio *f = ctx;
    return f->inner->read_at(f->inner->ctx, off, buf, len);
}

static int fi_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    faultio *f = ctx;
    int rc;
    if (f->crashed) return VHDX_E_IO;
    f->writes++;
    number_op(f, len);
    if (f->mode == FAULTIO_FAIL_ONE && f->crash_at == f->ops) {
        f->failed_one = 1;
        f->fail_off = off;
        errno = ENOSPC;
        return VHDX_E_IO;
    }
    rc = journal_add(f, off, len);
    if (rc != VHDX_OK) return rc;
    if (crash_now(f, f->ops)) {
        size_t unit = f->mode == FAULTIO_TEAR_512 ? 512 : f->mode == FAULTIO_TEAR_4K ? 4096 : 0;
        if (unit) {
            size_t keep = (len / unit) / 2 * unit;
            if (keep) (void)f->inner->write_at(f->inner->ctx, off, buf, keep);
        }
        return VHDX_E_IO;
    }
    return f->inner->write_at(f->inner->ctx, off, buf, len);
}

static int fi_get_size(void *ctx, uint64_t *size)
{
    faultio *f = ctx;
    return f->inner->get_size(f->inner->ctx, size);
}

static int fi_set_size(void *ctx, uint64_t size)
{
    faultio *f = ctx;
    uint64_t cur = 0;
    if (f->crashed) return VHDX_E_IO;
    if (f->numbering == FAULTIO_NUMBER_WRITES_RESIZES) {
        number_op(f, 0);
        if (crash_now(f, f->ops)) return VHDX_E_IO;
    }
    if (!f->inner->set_size) return VHDX_E_IO;
    if (f->inner->get_size(f->inner->ctx, &cur) != VHDX_OK) return VHDX_E_IO;
    if (size < cur) {
        /* shrinking: keep the cut bytes in the journal */
        int rc = journal_add(f, size, (size_t)(cur - size));
        if (rc != VHDX_OK) return rc;
    }
    return f->inner->set_size(f->inner->ctx, size);
}

static int fi_flush(void *ctx)
{
    faultio *f = ctx;
    int rc;
    if (f->crashed) return VHDX_E_IO;
    f->flushes++;
    if (f->numbering == FAULTIO_NUMBER_WRITES_RESIZES) {
        /* not numbered, but it cannot complete when the crash comes before the next op */
        if (crash_now(f, f->ops + 1)) return VHDX_E_IO;
    } else {
        number_op(f, 0);
        if (crash_now(f, f->ops)) return VHDX_E_IO;
    }
    rc = f->inner->flush ? f->inner->flush(f->inner->ctx) : VHDX_OK;
    if (rc == VHDX_OK) {
        journal_clear(f);
        (void)f->inner->get_size(f->inner->ctx, &f->size_at_flush);
    }
    return rc;
}

/* ---- faultio_concurrent: the same calls under f->mu (errno kept for the caller) ---- */
#define LOCKED(ctx, call)                                                                 \
    do {                                                                                  \
        faultio *f_ = (ctx);                                                              \
        pthread_mutex_lock(&f_->mu);                                                      \
        int rc_ = (call), e_ = errno;                                                     \
        pthread_mutex_unlock(&f_->mu);                                                    \
        errno = e_;                                                                       \
        return rc_;                                                                       \
    } while (0)

static int lk_read(void *ctx, uint64_t off, void *buf, size_t len) { LOCKED(ctx, fi_read(ctx, off, buf, len)); }
static int lk_write(void *ctx, uint64_t off, const void *buf, size_t len) { LOCKED(ctx, fi_write(ctx, off, buf, len)); }
static int lk_get_size(void *ctx, uint64_t *size) { LOCKED(ctx, fi_get_size(ctx, size)); }
static int lk_set_size(void *ctx, uint64_t size) { LOCKED(ctx, fi_set_size(ctx, size)); }
static int lk_flush(void *ctx) { LOCKED(ctx, fi_flush(ctx)); }

/* the callbacks: f's plain ones, or the same under f->mu */
static void callbacks(faultio *f, int locked)
{
    f->io.read_at = locked ? lk_read : fi_read;
    f->io.write_at = locked ? lk_write : fi_write;
    f->io.get_size = locked ? lk_get_size : fi_get_size;
    f->io.set_size = locked ? lk_set_size : fi_set_size;
    f->io.flush = locked ? lk_flush : fi_flush;
    f->io.caps = locked ? VHDX_IO_CAP_CONCURRENT : 0;
}

void faultio_concurrent(faultio *f)
{
    if (f->concurrent || pthread_mutex_init(&f->mu, NULL) != 0) return;
    f->concurrent = 1;
    callbacks(f, 1);
}

void faultio_init(faultio *f, vhdx_io *inner)
{
    memset(f, 0, sizeof *f);
    f->inner = inner;
    (void)inner->get_size(inner->ctx, &f->size_at_flush);
    f->io.ctx = f;
    callbacks(f, 0);
    f->io.destroy = NULL;
    f->io.data_status = NULL; /* crash images: no hole information */
}

void faultio_arm(faultio *f, uint64_t k, int mode)
{
    f->crash_at = k;
    f->mode = mode;
}

void faultio_numbering(faultio *f, int numbering)
{
    f->numbering = numbering;
}

void faultio_settle(faultio *f, int lose_unflushed)
{
    size_t i;
    if (lose_unflushed) {
        i = f->nundo;
        while (i-- > 0)
            if (f->undo[i].len) (void)f->inner->write_at(f->inner->ctx, f->undo[i].off, f->undo[i].old, f->undo[i].len);
        if (f->inner->set_size) (void)f->inner->set_size(f->inner->ctx, f->size_at_flush);
    }
    journal_clear(f);
}

void faultio_free(faultio *f)
{
    if (f->concurrent) pthread_mutex_destroy(&f->mu);
    f->concurrent = 0;
    journal_clear(f);
    free(f->undo);
    f->undo = NULL;
    f->capundo = 0;
    free(f->oplen);
    f->oplen = NULL;
    f->noplen = f->capoplen = 0;
}
