/* SPDX-License-Identifier: Apache-2.0 */
/*
 * faultio.h - a fault-injecting vhdx_io wrapper for crash-consistency tests.
 *
 * Wraps another backend (borrowed). Every write_at and flush is one numbered operation
 * (1, 2, ...). When armed with k, operation k fails with VHDX_E_IO and the "machine
 * crashes": in FAULTIO_TEAR_* modes a write first stores only a prefix of its 512-byte or
 * 4 KiB units (half of them, rounded down). After the crash every write, flush and
 * set_size fails; reads still work.
 *
 * faultio_numbering(f, FAULTIO_NUMBER_WRITES_RESIZES) numbers write_at and set_size
 * instead (the fuzz harnesses' crash model, which their corpus was made with): operation k
 * fails, and so does a flush issued while operation k is the next one (the crash comes
 * before k, and a flush cannot complete across it). Flushes are then not numbered.
 *
 * Durability model: writes reach the inner backend at once; the wrapper also keeps an
 * undo journal of everything since the last successful flush, so after a crash the test
 * can choose the image as written (faultio_durable(f, 0)) or with every unflushed write
 * and size change rolled back (faultio_durable(f, 1): a cache that lost everything not
 * flushed). set_size counts as a write for the journal but not as a numbered operation.
 *
 * FAULTIO_FAIL_ONE: operation k fails (VHDX_E_IO, errno ENOSPC) and the wrapper goes on
 * working, no crash: the failure a caller must report (fail_off: the offset of the write
 * that failed). faultio_concurrent(f) serialises every call with a mutex and declares the
 * wrapper VHDX_IO_CAP_CONCURRENT, for callers that use several threads (vhdx_convert's
 * workers); the numbering is then the order in which the calls took the mutex.
 */
#ifndef VHDX_TEST_FAULTIO_H
#define VHDX_TEST_FAULTIO_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "vhdx.h"

enum { FAULTIO_STOP = 0, FAULTIO_TEAR_512 = 1, FAULTIO_TEAR_4K = 2, FAULTIO_FAIL_ONE = 3 };
enum { FAULTIO_NUMBER_WRITES_FLUSHES = 0, FAULTIO_NUMBER_WRITES_RESIZES = 1 };

typedef struct faultio_undo {
    uint64_t off;
    size_t len;        /* bytes of old data below the size at write time */
    uint8_t *old;
} faultio_undo;

typedef struct faultio {
    vhdx_io io;                /* pass this to the library */
    vhdx_io *inner;
    uint64_t ops;              /* numbered operations seen (writes + flushes by default) */
    uint64_t writes, flushes;
    uint64_t crash_at;         /* 0: never */
    int mode;
    int numbering;             /* FAULTIO_NUMBER_* (default WRITES_FLUSHES) */
    int crashed;
    uint64_t size_at_flush;
    faultio_undo *undo;
    size_t nundo, capundo;
    uint64_t *oplen;           /* per numbered operation: write length, 0 for a flush/resize */
    size_t noplen, capoplen;
    uint64_t fail_off;         /* FAULTIO_FAIL_ONE: offset of the write that failed */
    int failed_one;            /* FAULTIO_FAIL_ONE: operation k came and failed */
    int concurrent;            /* faultio_concurrent: mu serialises every call */
    pthread_mutex_t mu;
} faultio;

/* Wraps inner (which must outlive f). */
void faultio_init(faultio *f, vhdx_io *inner);
void faultio_arm(faultio *f, uint64_t k, int mode);
/* Which calls are numbered operations (FAULTIO_NUMBER_*); set it before the first one. */
void faultio_numbering(faultio *f, int numbering);
/* Every call under a mutex; the io declares VHDX_IO_CAP_CONCURRENT. */
void faultio_concurrent(faultio *f);
/* Rolls unflushed writes back in the inner backend when lose_unflushed. Call once, after
 * the image using f is closed. */
void faultio_settle(faultio *f, int lose_unflushed);
void faultio_free(faultio *f);
/* Length of operation k (1-based) as recorded: bytes of a write, 0 for a flush or a size
 * change, or UINT64_MAX when k was never reached. */
uint64_t faultio_op_len(const faultio *f, uint64_t k);

#endif
