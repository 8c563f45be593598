/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_crash.c - crash consistency under fault injection (faultio): a scenario that
 * replays a dirty log on open, allocates blocks (one batch over several blocks, single
 * blocks, a whole block), writes into allocated blocks, flushes, closes (header update
 * clearing LogGuid), reopens and writes again, is run once to count its writes and
 * flushes (N), then once per k = 1..N with the k-th operation failing as a crash: stopped
 * (nothing of it written), torn after half of its 512-byte or 4 KiB units, or stopped
 * with every write since the last flush lost. After each crash the image must pass
 * vhdx_check, open read-only (replay in memory) and read-write (replay in place) with
 * identical content, and every byte of the virtual disk must hold either its value as of
 * the last completed flush or a value written after it (acknowledged-and-flushed writes
 * survive, nothing else changes). Runs for a dynamic image and a differencing child
 * (sector bitmaps). Prints the number of crash points tried.
 * ctest-labels: libuuid slow
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <unistd.h>
#include <cmocka.h>

#include "image.h"
#include "faultio.h"
#include "memimg.h"

#define VS (12 * MiB)

typedef struct scen {
    int diff;
    char parent[256];
    uint8_t *base;          /* image bytes before the scenario (dirty log) */
    size_t base_len;
    uint8_t *base_ref;      /* its virtual content */
    uint8_t *durable, *latest;
    unsigned long tried;
} scen;


static void fill(uint8_t *b, size_t n, uint64_t seed)
{
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        b[i] = (uint8_t)(x | 1);
    }
}

static void opts_for(const scen *s, vhdx_open_opts *o, unsigned flags)
{
    vhdx_open_opts_default(o);
    o->flags = flags;
    o->parent_path = s->diff ? s->parent : NULL;
}

/* ---- the scenario, against an io that may crash ---- */

typedef struct run {
    scen *s;
    vhdx_io *io;
    vhdx_image *img;
    int failed;
} run;

static void r_open(run *r)
{
    vhdx_open_opts o;
    if (r->failed) return;
    opts_for(r->s, &o, VHDX_OPEN_RDWR);
    if (vhdx_open(&r->img, r->io, 0, &o, NULL) != VHDX_OK) { r->img = NULL; r->failed = 1; }
}

/* the bytes of fill(len, seed), computed once per seed (the scenario writes each seed with
 * one length) and kept for every crash point */
static uint8_t *fills[16];
static size_t fill_lens[16];

static const uint8_t *filled(size_t len, uint64_t seed)
{
    assert_true(seed < sizeof fills / sizeof fills[0]);
    if (!fills[seed] || fill_lens[seed] != len) {
        free(fills[seed]);
        fills[seed] = malloc(len);
        assert_non_null(fills[seed]);
        fill(fills[seed], len, seed);
        fill_lens[seed] = len;
    }
    return fills[seed];
}

static void r_write(run *r, uint64_t off, size_t len, uint64_t seed)
{
    if (r->failed) return;
    const uint8_t *b = filled(len, seed);
    memcpy(r->s->latest + off, b, len);     /* possibly written from now on */
    if (vhdx_write(r->img, off, b, len, NULL) != VHDX_OK) r->failed = 1;
}

/* zeros through vhdx_write_zeroes (zero_api) or as a buffer of zero bytes (vhdx_write) */
static void r_zero(run *r, uint64_t off, size_t len, int zero_api)
{
    if (r->failed) return;
    memset(r->s->latest + off, 0, len);
    if (zero_api) {
        if (vhdx_write_zeroes(r->img, off, len, NULL) != VHDX_OK) r->failed = 1;
        return;
    }
    uint8_t *b = calloc(1, len);
    assert_non_null(b);
    if (vhdx_write(r->img, off, b, len, NULL) != VHDX_OK) r->failed = 1;
    free(b);
}

static void r_flush(run *r)
{
    if (r->failed) return;
    if (vhdx_flush(r->img, NULL) != VHDX_OK) { r->failed = 1; return; }
    memcpy(r->s->durable, r->s->latest, VS);
}

static void r_close(run *r)
{
    if (!r->img) return;
    int rc = vhdx_close(r->img);
    r->img = NULL;
    if (r->failed) return;
    if (rc != VHDX_OK) { r->failed = 1; return; }
    memcpy(r->s->durable, r->s->latest, VS);
}

static void scenario(run *r)
{
    r_open(r);                                       /* replays the dirty base in place */
    r_write(r, 100, 5000, 1);                        /* allocated block */
    r_write(r, 2 * MiB - 1000, 2 * MiB + 2000, 2);   /* one batch: blocks 1..4 */
    r_flush(r);
    r_write(r, 7 * MiB + 7, 300, 3);                 /* single block, partial sectors */
    r_write(r, 5 * MiB, MiB, 4);                     /* whole block */
    r_flush(r);
    r_write(r, 6 * MiB + 512, 1024, 5);              /* unflushed allocation */
    r_close(r);                                      /* flush, LogGuid cleared */
    r_open(r);
    r_write(r, 8 * MiB + 3, 2 * MiB, 6);
    r_write(r, 7 * MiB + 4096, 512, 7);              /* into a block of this file */
    r_flush(r);
    r_write(r, 11 * MiB + 5, 10, 8);
    r_write(r, 200, 100, 9);
    r_close(r);
    r_open(r);
    r_zero(r, 2 * MiB, 2 * MiB + 100, 1);            /* blocks 2, 3 ZERO; bytes in 4 */
    r_flush(r);
    r_zero(r, 10 * MiB, MiB, 0);                     /* a whole block of zeros written */
    r_zero(r, 8 * MiB + 10, 20, 1);                  /* bytes only */
    r_close(r);
}

/* ---- base image: a session left open after a flushed allocation (dirty log) ---- */

static void make_base(scen *s)
{
    vhdx_io io;
    vhdx_create_params p;
    vhdx_open_opts o;
    vhdx_image *img;
    s->base_ref = calloc(1, VS);
    s->durable = malloc(VS);
    s->latest = malloc(VS);
    assert_non_null(s->base_ref);
    assert_non_null(s->durable);
    assert_non_null(s->latest);
    vhdx_create_params_default(&p);
    p.virtual_size = VS;
    p.block_size = (uint32_t)MiB;
    if (s->diff) {
        /* a parent file with data everywhere */
        snprintf(s->parent, sizeof s->parent, "%s/vhdx-crash-parent-%d.vhdx",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
        unlink(s->parent);
        assert_int_equal(vhdx_create(s->parent, &p, NULL), VHDX_OK);
        vhdx_open_opts_default(&o);
        o.flags = VHDX_OPEN_RDWR;
        assert_int_equal(vhdx_open_file(&img, s->parent, &o, NULL), VHDX_OK);
        fill(s->base_ref, VS, 77);
        assert_int_equal(vhdx_write(img, 0, s->base_ref, VS, NULL), VHDX_OK);
        assert_int_equal(vhdx_close(img), VHDX_OK);
        p.type = VHDX_TYPE_DIFFERENCING;
        p.virtual_size = 0;
        p.parent_path = s->parent;
    }
    memimg_create(&io, p.type, p.virtual_size, p.parent_path);
    opts_for(s, &o, VHDX_OPEN_RDWR);
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_OK);
    uint8_t b[3000];
    fill(b, sizeof b, 55);
    assert_int_equal(vhdx_write(img, 4096 + 7, b, sizeof b, NULL), VHDX_OK);
    memcpy(s->base_ref + 4096 + 7, b, sizeof b);
    assert_int_equal(vhdx_flush(img, NULL), VHDX_OK);
    s->base = memimg_copy(&io, &s->base_len);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_io_destroy(&io);
    /* the base really is dirty */
    assert_int_equal(vhdx_io_mem_open(&io, s->base, s->base_len, GiB), VHDX_OK);
    opts_for(s, &o, VHDX_OPEN_NO_REPLAY);
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_E_LOG_REPLAY_REQUIRED);
    vhdx_io_destroy(&io);
}

static void free_scen(scen *s)
{
    free(s->base);
    free(s->base_ref);
    free(s->durable);
    free(s->latest);
    if (s->diff) unlink(s->parent);
}

/* ---- verification after a crash ---- */

static void verify(scen *s, const uint8_t *img_bytes, size_t len, uint64_t k, int mode, int lose)
{
    vhdx_io io;
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    vhdx_diag d;
    static uint8_t ro[VS], rw[VS];
    assert_int_equal(vhdx_io_mem_open(&io, img_bytes, len, GiB), VHDX_OK);

    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    co.parent_path = s->diff ? s->parent : NULL;
    assert_int_equal(vhdx_check(&io, NULL, &co, &rep), VHDX_OK);
    if (rep->errors) {
        for (size_t i = 0; i < rep->count; i++)
            fprintf(stderr, "k=%llu mode=%d lose=%d: %s at %llu\n", (unsigned long long)k, mode, lose,
                    vhdx_status_name(rep->findings[i].code), (unsigned long long)rep->findings[i].offset);
        fail_msg("check found errors after crash k=%llu", (unsigned long long)k);
    }
    vhdx_report_free(rep);

    opts_for(s, &o, 0);
    vhdx_diag_clear(&d);
    if (vhdx_open(&img, &io, 0, &o, &d) != VHDX_OK)
        fail_msg("k=%llu mode=%d lose=%d: read-only open %s", (unsigned long long)k, mode, lose, vhdx_status_name(d.code));
    assert_int_equal(vhdx_read(img, 0, ro, VS, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    opts_for(s, &o, VHDX_OPEN_RDWR);
    vhdx_diag_clear(&d);
    if (vhdx_open(&img, &io, 0, &o, &d) != VHDX_OK)
        fail_msg("k=%llu: read-write open %s", (unsigned long long)k, vhdx_status_name(d.code));
    assert_int_equal(vhdx_read(img, 0, rw, VS, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    if (memcmp(ro, rw, VS) != 0) assert_memory_equal(ro, rw, VS);   /* cmocka's is bytewise */
    for (size_t c = 0; c < VS; c += 4096) {
        if (!memcmp(ro + c, s->durable + c, 4096) || !memcmp(ro + c, s->latest + c, 4096)) continue;
        for (size_t i = c; i < c + 4096; i++)
            if (ro[i] != s->durable[i] && ro[i] != s->latest[i])
            fail_msg("k=%llu mode=%d lose=%d: virtual byte %zu is %u, expected %u (flushed) or %u (written later)",
                     (unsigned long long)k, mode, lose, i, ro[i], s->durable[i], s->latest[i]);
    }
    /* after the in-place replay the file is still conformant (every 4th point: time) */
    if (k % 4 == 0) {
        rep = NULL;
        assert_int_equal(vhdx_check(&io, NULL, &co, &rep), VHDX_OK);
        assert_int_equal(rep->errors, 0);
        vhdx_report_free(rep);
    }
    vhdx_io_destroy(&io);
}

static uint64_t *op_lens;

static uint64_t run_once(scen *s, uint64_t k, int mode, int lose, int check)
{
    vhdx_io mem;
    faultio f;
    run r;
    memcpy(s->durable, s->base_ref, VS);
    memcpy(s->latest, s->base_ref, VS);
    assert_int_equal(vhdx_io_mem_open(&mem, s->base, s->base_len, GiB), VHDX_OK);
    faultio_init(&f, &mem);
    faultio_arm(&f, k, mode);
    memset(&r, 0, sizeof r);
    r.s = s;
    r.io = &f.io;
    scenario(&r);
    if (r.img) (void)vhdx_close(r.img);
    uint64_t ops = f.ops;
    if (k == 0) {
        op_lens = calloc(ops + 1, sizeof *op_lens);
        assert_non_null(op_lens);
        for (uint64_t i = 1; i <= ops; i++) op_lens[i] = faultio_op_len(&f, i);
        assert_int_equal(r.failed, 0);
        assert_int_equal(f.crashed, 0);
    } else {
        assert_int_equal(f.crashed, 1);
        assert_int_equal(r.failed, 1);
    }
    faultio_settle(&f, lose);
    if (check) {
        size_t n;
        const uint8_t *d = vhdx_io_mem_data(&mem, &n);
        verify(s, d, n, k, mode, lose);     /* vhdx_io_mem_open copies the bytes */
        s->tried++;
    }
    faultio_free(&f);
    vhdx_io_destroy(&mem);
    return ops;
}

static void crash_all_points(int diff)
{
    scen s;
    memset(&s, 0, sizeof s);
    s.diff = diff;
    make_base(&s);
    uint64_t n = run_once(&s, 0, FAULTIO_STOP, 0, 1);
    assert_true(n > 20);
    for (uint64_t k = 1; k <= n; k++) {
        run_once(&s, k, FAULTIO_STOP, 0, 1);
        /* a tear differs from a stop only when it keeps at least one unit */
        if (op_lens[k] >= 2 * 512) run_once(&s, k, FAULTIO_TEAR_512, 0, 1);
        if (op_lens[k] >= 2 * 4096) run_once(&s, k, FAULTIO_TEAR_4K, 0, 1);
        run_once(&s, k, FAULTIO_STOP, 1, 1);
    }
    free(op_lens);
    op_lens = NULL;
    for (size_t i = 0; i < sizeof fills / sizeof fills[0]; i++) {
        free(fills[i]);
        fills[i] = NULL;
    }
    printf("%s: %llu writes+flushes in the scenario, %lu crash points tried, all passed\n",
           diff ? "differencing" : "dynamic", (unsigned long long)n, s.tried);
    free_scen(&s);
}

static void crash_dynamic(void **state)
{
    (void)state;
    crash_all_points(0);
}

static void crash_differencing(void **state)
{
    (void)state;
    crash_all_points(1);
}

int main(void)
{
    /* the run reallocates ~12-40 MiB buffers thousands of times: keep them in the heap
     * instead of an mmap/munmap (and page faults on fresh zero pages) each time */
    mallopt(M_MMAP_THRESHOLD, 256 << 20);
    mallopt(M_TRIM_THRESHOLD, 512 << 20);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash_dynamic),
        cmocka_unit_test(crash_differencing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
