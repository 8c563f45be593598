/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_faultio.c - the fault-injecting I/O wrapper itself (conformance/support/faultio.c),
 * which test_crash, test_write and the fuzz harnesses trust to crash where they ask:
 * which calls are numbered in each numbering, that the armed one fails and everything
 * after it, what reaches the file, and what settle() rolls back.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "faultio.h"

typedef struct fx {
    vhdx_io mem;
    faultio f;
} fx;

static void fx_open(fx *x, uint64_t k, int mode, int numbering)
{
    assert_int_equal(vhdx_io_mem_open(&x->mem, NULL, 0, 1u << 20), VHDX_OK);
    faultio_init(&x->f, &x->mem);
    faultio_numbering(&x->f, numbering);
    faultio_arm(&x->f, k, mode);
}

static void fx_close(fx *x)
{
    faultio_free(&x->f);
    vhdx_io_destroy(&x->mem);
}

static int fx_write(fx *x, uint64_t off, uint8_t v, size_t n)
{
    uint8_t b[8192];
    memset(b, v, n);
    return x->f.io.write_at(x->f.io.ctx, off, b, n);
}

static int fx_flush(fx *x) { return x->f.io.flush(x->f.io.ctx); }
static int fx_resize(fx *x, uint64_t size) { return x->f.io.set_size(x->f.io.ctx, size); }

/* byte at off of the inner file, or -1 beyond its end */
static int fx_byte(const fx *x, uint64_t off)
{
    size_t n;
    const uint8_t *d = vhdx_io_mem_data(&x->mem, &n);
    return off < n ? d[off] : -1;
}

static void after_crash_everything_fails(fx *x)
{
    uint64_t ops = x->f.ops;
    assert_int_equal(x->f.crashed, 1);
    assert_int_equal(fx_write(x, 0, 0x77, 16), VHDX_E_IO);
    assert_int_equal(fx_flush(x), VHDX_E_IO);
    assert_int_equal(fx_resize(x, 4096), VHDX_E_IO);
    assert_true(x->f.ops == ops); /* nothing after the crash is numbered */
}

/* default: writes and flushes numbered, set_size not */
static void faultio_writes_flushes_numbered(void **state)
{
    fx x;
    (void)state;
    fx_open(&x, 4, FAULTIO_STOP, FAULTIO_NUMBER_WRITES_FLUSHES);
    assert_int_equal(fx_write(&x, 0, 0x11, 512), VHDX_OK);    /* 1 */
    assert_int_equal(fx_flush(&x), VHDX_OK);                  /* 2 */
    assert_int_equal(fx_resize(&x, 8192), VHDX_OK);           /* not numbered */
    assert_int_equal(fx_write(&x, 512, 0x22, 512), VHDX_OK);  /* 3 */
    assert_int_equal(fx_write(&x, 1024, 0x33, 512), VHDX_E_IO); /* 4: the crash */
    assert_true(x.f.ops == 4 && x.f.writes == 3 && x.f.flushes == 1);
    assert_true(faultio_op_len(&x.f, 1) == 512);
    assert_true(faultio_op_len(&x.f, 2) == 0);
    assert_true(faultio_op_len(&x.f, 3) == 512);
    assert_true(faultio_op_len(&x.f, 4) == 512);
    assert_true(faultio_op_len(&x.f, 5) == UINT64_MAX);
    assert_true(faultio_op_len(&x.f, 0) == UINT64_MAX);
    after_crash_everything_fails(&x);
    assert_int_equal(fx_byte(&x, 0), 0x11);
    assert_int_equal(fx_byte(&x, 512), 0x22);
    assert_int_equal(fx_byte(&x, 1024), 0); /* the crashing write stored nothing */
    fx_close(&x);

    /* a flush can be the crash */
    fx_open(&x, 2, FAULTIO_STOP, FAULTIO_NUMBER_WRITES_FLUSHES);
    assert_int_equal(fx_write(&x, 0, 0x11, 512), VHDX_OK);
    assert_int_equal(fx_flush(&x), VHDX_E_IO);
    after_crash_everything_fails(&x);
    fx_close(&x);
}

/* the fuzz harnesses' numbering: writes and size changes numbered; a flush is not, but
 * fails once the crash is the next operation */
static void faultio_writes_resizes_numbered(void **state)
{
    fx x;
    (void)state;
    fx_open(&x, 3, FAULTIO_STOP, FAULTIO_NUMBER_WRITES_RESIZES);
    assert_int_equal(fx_write(&x, 0, 0x11, 512), VHDX_OK);    /* 1 */
    assert_int_equal(fx_flush(&x), VHDX_OK);                  /* not numbered; 2 is next */
    assert_int_equal(fx_resize(&x, 8192), VHDX_OK);           /* 2 */
    assert_true(x.f.ops == 2 && x.f.crashed == 0);
    assert_int_equal(fx_flush(&x), VHDX_E_IO);                /* 3 is next: the crash */
    assert_true(x.f.ops == 2 && x.f.flushes == 2);
    assert_true(faultio_op_len(&x.f, 2) == 0);
    after_crash_everything_fails(&x);
    assert_int_equal(fx_byte(&x, 0), 0x11);
    assert_int_equal(fx_byte(&x, 8191), 0);
    assert_int_equal(fx_byte(&x, 8192), -1);
    fx_close(&x);

    /* the armed size change fails and changes nothing */
    fx_open(&x, 2, FAULTIO_STOP, FAULTIO_NUMBER_WRITES_RESIZES);
    assert_int_equal(fx_write(&x, 0, 0x11, 512), VHDX_OK);
    assert_int_equal(fx_resize(&x, 8192), VHDX_E_IO);
    after_crash_everything_fails(&x);
    assert_int_equal(fx_byte(&x, 511), 0x11);
    assert_int_equal(fx_byte(&x, 512), -1);
    fx_close(&x);

    /* armed at 1: even the first flush fails (nothing may complete) */
    fx_open(&x, 1, FAULTIO_STOP, FAULTIO_NUMBER_WRITES_RESIZES);
    assert_int_equal(fx_flush(&x), VHDX_E_IO);
    after_crash_everything_fails(&x);
    fx_close(&x);
}

/* a torn write keeps half of its units; settle(1) rolls back everything unflushed */
static void faultio_tear_and_settle(void **state)
{
    fx x;
    (void)state;
    fx_open(&x, 3, FAULTIO_TEAR_512, FAULTIO_NUMBER_WRITES_FLUSHES);
    assert_int_equal(fx_write(&x, 0, 0x11, 4096), VHDX_OK);    /* 1 */
    assert_int_equal(fx_flush(&x), VHDX_OK);                   /* 2 */
    assert_int_equal(fx_write(&x, 0, 0x22, 3 * 512), VHDX_E_IO); /* 3: 1 of 3 units kept */
    assert_int_equal(fx_byte(&x, 511), 0x22);
    assert_int_equal(fx_byte(&x, 512), 0x11);
    faultio_settle(&x.f, 1);
    assert_int_equal(fx_byte(&x, 0), 0x11);
    assert_int_equal(fx_byte(&x, 4095), 0x11);
    assert_int_equal(fx_byte(&x, 4096), -1);
    fx_close(&x);

    /* unflushed growth is undone too, unflushed data kept with settle(0) */
    fx_open(&x, 0, FAULTIO_STOP, FAULTIO_NUMBER_WRITES_RESIZES);
    assert_int_equal(fx_write(&x, 0, 0x11, 512), VHDX_OK);
    assert_int_equal(fx_flush(&x), VHDX_OK);
    assert_int_equal(fx_write(&x, 512, 0x22, 512), VHDX_OK);
    faultio_settle(&x.f, 0);
    assert_int_equal(fx_byte(&x, 512), 0x22);
    assert_int_equal(x.f.crashed, 0);
    fx_close(&x);
    fx_open(&x, 0, FAULTIO_STOP, FAULTIO_NUMBER_WRITES_RESIZES);
    assert_int_equal(fx_write(&x, 0, 0x11, 512), VHDX_OK);
    assert_int_equal(fx_flush(&x), VHDX_OK);
    assert_int_equal(fx_write(&x, 512, 0x22, 512), VHDX_OK);
    faultio_settle(&x.f, 1);
    assert_int_equal(fx_byte(&x, 511), 0x11);
    assert_int_equal(fx_byte(&x, 512), -1);
    fx_close(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(faultio_writes_flushes_numbered),
        cmocka_unit_test(faultio_writes_resizes_numbered),
        cmocka_unit_test(faultio_tear_and_settle),
    };
    return cmocka_run_group_tests_name("faultio", tests, NULL, NULL);
}
