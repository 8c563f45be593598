/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_maint_crash.c - crash consistency of resize, discard, compact and the first log of a
 * LogLength 0 image under fault injection (faultio). Each scenario starts from a base image
 * (memory backend), runs one operation and closes; it is run once to count its writes and
 * flushes (N), then once per k = 1..N with the k-th failing as a crash: stopped, torn after
 * half its 512-byte or 4 KiB units, or stopped with every unflushed write lost. After each
 * crash the image must pass vhdx_check, open read-only and read-write with the same content,
 * have the old or the new virtual size, and every 4 KiB of the virtual disk must read its old
 * or its new content. Prints the crash points tried per scenario.
 * ctest-labels: libuuid slow
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "internal.h"
#include "builder.h"
#include "faultio.h"
#include "memimg.h"

#define WIN (10 * MiB)     /* compared at the start of the disk (and 1 MiB at its end) */

typedef struct mscen {
    const char *name;
    char parent[256];
    uint8_t *base;
    size_t base_len;
    uint64_t old_size, new_size;
    uint8_t *old_ref, *new_ref;   /* WIN + 1 MiB: the start, then the last MiB */
    int (*op)(vhdx_image *img);
    unsigned long tried;
} mscen;

/* distinct data per seed: the builder's pattern at a far virtual offset */
static void fill(uint8_t *b, size_t n, uint64_t seed)
{
    vb_pattern(seed << 32, b, n);
}

static void opts_for(const mscen *s, vhdx_open_opts *o, unsigned flags)
{
    vhdx_open_opts_default(o);
    o->flags = flags;
    o->parent_path = s->parent[0] ? s->parent : NULL;
}

/* the start of the disk and its last MiB into ref (WIN + MiB bytes) */
static void snap(vhdx_image *img, uint8_t *ref, uint64_t *size)
{
    vhdx_info *in = malloc(sizeof *in);
    assert_non_null(in);
    assert_int_equal(vhdx_get_info(img, in), VHDX_OK);
    *size = in->virtual_size;
    free(in);
    memset(ref, 0, WIN + MiB);
    uint64_t n = *size < WIN ? *size : WIN;
    assert_int_equal(vhdx_read(img, 0, ref, (size_t)n, NULL), VHDX_OK);
    if (*size >= MiB) assert_int_equal(vhdx_read(img, *size - MiB, ref + WIN, MiB, NULL), VHDX_OK);
}

static void check_clean(const mscen *s, vhdx_io *io, uint64_t k, int mode, int lose)
{
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    co.parent_path = s->parent[0] ? s->parent : NULL;
    assert_int_equal(vhdx_check(io, NULL, &co, &rep), VHDX_OK);
    if (rep->errors) {
        for (size_t i = 0; i < rep->count; i++)
            fprintf(stderr, "%s k=%llu mode=%d lose=%d: %s at %llu\n", s->name, (unsigned long long)k,
                    mode, lose, vhdx_status_name(rep->findings[i].code),
                    (unsigned long long)rep->findings[i].offset);
        fail_msg("%s: check found errors after crash k=%llu", s->name, (unsigned long long)k);
    }
    vhdx_report_free(rep);
}

static void verify(mscen *s, const uint8_t *bytes, size_t len, uint64_t k, int mode, int lose)
{
    vhdx_io io;
    vhdx_open_opts o;
    vhdx_image *img;
    vhdx_diag d;
    uint64_t size, size2;
    static uint8_t ro[WIN + MiB], rw[WIN + MiB]; /* static: no page faults per run */
    assert_int_equal(vhdx_io_mem_open(&io, bytes, len, 8 * GiB), VHDX_OK);
    check_clean(s, &io, k, mode, lose);
    opts_for(s, &o, 0);
    vhdx_diag_clear(&d);
    if (vhdx_open(&img, &io, 0, &o, &d) != VHDX_OK)
        fail_msg("%s k=%llu: read-only open %s", s->name, (unsigned long long)k, vhdx_status_name(d.code));
    snap(img, ro, &size);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    opts_for(s, &o, VHDX_OPEN_RDWR);
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_OK);
    snap(img, rw, &size2);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_int_equal(size, size2);
    assert_memory_equal(ro, rw, WIN + MiB);
    if (size != s->old_size && size != s->new_size)
        fail_msg("%s k=%llu: virtual size %llu", s->name, (unsigned long long)k, (unsigned long long)size);
    /* the start: each logical sector as before or as after the operation (within that
     * size; a partial block is zeroed sector by sector, like a write) */
    for (uint64_t c = 0; c < WIN && c < size; c += 512) {
        size_t n = size - c < 512 ? (size_t)(size - c) : 512;
        int old_ok = c + n <= s->old_size && !memcmp(ro + c, s->old_ref + c, n);
        int new_ok = c + n <= s->new_size && !memcmp(ro + c, s->new_ref + c, n);
        if (!old_ok && !new_ok && getenv("MAINT_DEBUG"))
            fprintf(stderr, "got %02x%02x%02x%02x old %02x%02x%02x%02x new %02x%02x%02x%02x\n", ro[c], ro[c + 1],
                    ro[c + 2], ro[c + 3], s->old_ref[c], s->old_ref[c + 1], s->old_ref[c + 2], s->old_ref[c + 3],
                    s->new_ref[c], s->new_ref[c + 1], s->new_ref[c + 2], s->new_ref[c + 3]);
        if (!old_ok && !new_ok)
            fail_msg("%s k=%llu mode=%d lose=%d: virtual bytes at %llu are neither old nor new",
                     s->name, (unsigned long long)k, mode, lose, (unsigned long long)c);
    }
    /* the last MiB is the old or the new last MiB of the same size */
    if (size >= MiB && size > WIN) {
        const uint8_t *want = size == s->new_size ? s->new_ref + WIN : s->old_ref + WIN;
        if (memcmp(ro + WIN, want, MiB) != 0 &&
            !(s->old_size == s->new_size && !memcmp(ro + WIN, s->old_ref + WIN, MiB)))
            fail_msg("%s k=%llu: the last MiB is neither old nor new", s->name, (unsigned long long)k);
    }
    vhdx_io_destroy(&io);
}

static uint64_t *op_lens;

static uint64_t run_once(mscen *s, uint64_t k, int mode, int lose)
{
    vhdx_io mem;
    faultio f;
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    assert_int_equal(vhdx_io_mem_open(&mem, s->base, s->base_len, 8 * GiB), VHDX_OK);
    faultio_init(&f, &mem);
    faultio_arm(&f, k, mode);
    opts_for(s, &o, VHDX_OPEN_RDWR);
    int rc = vhdx_open(&img, &f.io, 0, &o, NULL);
    if (rc == VHDX_OK) rc = s->op(img);
    if (img) {
        int crc = vhdx_close(img);
        if (rc == VHDX_OK) rc = crc;
    }
    uint64_t ops = f.ops;
    if (k == 0) {
        assert_int_equal(rc, VHDX_OK);
        op_lens = calloc(ops + 1, sizeof *op_lens);
        assert_non_null(op_lens);
        for (uint64_t i = 1; i <= ops; i++) op_lens[i] = faultio_op_len(&f, i);
        size_t n;
        const uint8_t *d = vhdx_io_mem_data(&mem, &n);
        vhdx_io io2;
        assert_int_equal(vhdx_io_mem_open(&io2, d, n, 8 * GiB), VHDX_OK);
        opts_for(s, &o, 0);
        assert_int_equal(vhdx_open(&img, &io2, 0, &o, NULL), VHDX_OK);
        snap(img, s->new_ref, &s->new_size);
        assert_int_equal(vhdx_close(img), VHDX_OK);
        vhdx_io_destroy(&io2);
    } else {
        assert_int_equal(f.crashed, 1);
        assert_int_not_equal(rc, VHDX_OK);
    }
    faultio_settle(&f, lose);
    size_t n;
    const uint8_t *d = vhdx_io_mem_data(&mem, &n);
    verify(s, d, n, k, mode, lose);
    s->tried++;
    faultio_free(&f);
    vhdx_io_destroy(&mem);
    return ops;
}

static void crash_all(mscen *s)
{
    vhdx_io io;
    vhdx_open_opts o;
    vhdx_image *img;
    s->old_ref = malloc(WIN + MiB);
    s->new_ref = malloc(WIN + MiB);
    assert_non_null(s->old_ref);
    assert_non_null(s->new_ref);
    assert_int_equal(vhdx_io_mem_open(&io, s->base, s->base_len, 8 * GiB), VHDX_OK);
    opts_for(s, &o, 0);
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_OK);
    snap(img, s->old_ref, &s->old_size);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_io_destroy(&io);
    uint64_t n = run_once(s, 0, FAULTIO_STOP, 0);
    for (uint64_t k = 1; k <= n; k++) {
        run_once(s, k, FAULTIO_STOP, 0);
        if (op_lens[k] >= 2 * 512) run_once(s, k, FAULTIO_TEAR_512, 0);
        if (op_lens[k] >= 2 * 4096) run_once(s, k, FAULTIO_TEAR_4K, 0);
        run_once(s, k, FAULTIO_STOP, 1);
    }
    free(op_lens);
    op_lens = NULL;
    printf("%s: %llu writes+flushes, %lu crash points tried, all passed\n", s->name,
           (unsigned long long)n, s->tried);
    free(s->base);
    free(s->old_ref);
    free(s->new_ref);
    if (s->parent[0]) unlink(s->parent);
}

/* ---- base images ---- */

/* A new image in memory (differencing: over a parent file of psize bytes with data),
 * with `nw` writes of `wlen` bytes at offsets wo[i]; kept as s->base. */
static void make_base(mscen *s, vhdx_disk_type type, uint64_t vs, uint64_t psize, const uint64_t *wo,
                      size_t nw, size_t wlen)
{
    vhdx_io io;
    vhdx_open_opts o;
    vhdx_image *img;
    const char *parent = NULL;
    if (type == VHDX_TYPE_DIFFERENCING) {
        snprintf(s->parent, sizeof s->parent, "%s/vhdx-maint-parent-%d.vhdx",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
        unlink(s->parent);
        vhdx_create_params pp;
        vhdx_create_params_default(&pp);
        pp.virtual_size = psize;
        pp.block_size = (uint32_t)MiB;
        assert_int_equal(vhdx_create(s->parent, &pp, NULL), VHDX_OK);
        vhdx_open_opts_default(&o);
        o.flags = VHDX_OPEN_RDWR;
        assert_int_equal(vhdx_open_file(&img, s->parent, &o, NULL), VHDX_OK);
        uint8_t *b = malloc(psize);
        assert_non_null(b);
        fill(b, psize, 77);
        assert_int_equal(vhdx_write(img, 0, b, psize, NULL), VHDX_OK);
        free(b);
        assert_int_equal(vhdx_close(img), VHDX_OK);
        parent = s->parent;
    }
    memimg_create(&io, type, vs, parent);
    opts_for(s, &o, VHDX_OPEN_RDWR);
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_OK);
    uint8_t *b = malloc(wlen);
    assert_non_null(b);
    for (size_t i = 0; i < nw; i++) {
        fill(b, wlen, 100 + i);
        assert_int_equal(vhdx_write(img, wo[i], b, wlen, NULL), VHDX_OK);
    }
    free(b);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    s->base = memimg_copy(&io, &s->base_len);
    vhdx_io_destroy(&io);
}

/* ---- the operations ---- */

static int op_grow_relocate(vhdx_image *img) { return vhdx_resize(img, 130 * GiB + 512, 0, NULL); }
static int op_grow_small(vhdx_image *img) { return vhdx_resize(img, 9 * MiB + 4096, 0, NULL); }
static int op_shrink(vhdx_image *img)
{
    return vhdx_resize(img, 2 * MiB + 512, VHDX_RESIZE_SHRINK | VHDX_RESIZE_ALLOW_DATA_LOSS, NULL);
}
static int op_discard(vhdx_image *img) { return vhdx_discard(img, MiB / 2, 3 * MiB, NULL); }
static int op_compact(vhdx_image *img)
{
    int rc = vhdx_discard(img, MiB, 2 * MiB, NULL);
    return rc == VHDX_OK ? vhdx_compact(img, VHDX_COMPACT_ZEROES, NULL, NULL) : rc;
}

static const uint64_t w5[] = { 0, MiB + 100, 2 * MiB + 7, 3 * MiB, 4 * MiB + 4096 };

static void crash_grow_relocate(void **state)
{
    (void)state;
    mscen s = { .name = "resize grow, BAT moved (dynamic)", .op = op_grow_relocate };
    make_base(&s, VHDX_TYPE_DYNAMIC, 5 * MiB + 512, 0, w5, 5, 5000);
    crash_all(&s);
}

static void crash_grow_fixed(void **state)
{
    (void)state;
    mscen s = { .name = "resize grow (fixed)", .op = op_grow_small };
    make_base(&s, VHDX_TYPE_FIXED, 5 * MiB + 512, 0, w5, 5, 5000);
    crash_all(&s);
}

static void crash_grow_diff(void **state)
{
    (void)state;
    mscen s = { .name = "resize grow (differencing)", .op = op_grow_small };
    make_base(&s, VHDX_TYPE_DIFFERENCING, 0, 6 * MiB + 512, w5, 3, 3000);
    crash_all(&s);
}

static void crash_shrink(void **state)
{
    (void)state;
    mscen s = { .name = "resize shrink (dynamic)", .op = op_shrink };
    make_base(&s, VHDX_TYPE_DYNAMIC, 5 * MiB + 512, 0, w5, 5, 5000);
    crash_all(&s);
}

static void crash_discard(void **state)
{
    (void)state;
    mscen s = { .name = "discard (dynamic)", .op = op_discard };
    make_base(&s, VHDX_TYPE_DYNAMIC, 6 * MiB, 0, w5, 5, 300000);
    crash_all(&s);
}

static void crash_discard_diff(void **state)
{
    (void)state;
    mscen s = { .name = "discard (differencing)", .op = op_discard };
    make_base(&s, VHDX_TYPE_DIFFERENCING, 0, 6 * MiB, w5, 4, 300000);
    crash_all(&s);
}

static void crash_compact(void **state)
{
    (void)state;
    mscen s = { .name = "compact --zeroes (dynamic)", .op = op_compact };
    static const uint64_t w[] = { 0, MiB, 2 * MiB, 3 * MiB, 4 * MiB, 5 * MiB };
    make_base(&s, VHDX_TYPE_DYNAMIC, 6 * MiB, 0, w, 6, (size_t)MiB);
    /* block 4 holds zeros only (released by --zeroes) */
    crash_all(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash_grow_relocate),
        cmocka_unit_test(crash_grow_fixed),
        cmocka_unit_test(crash_grow_diff),
        cmocka_unit_test(crash_shrink),
        cmocka_unit_test(crash_discard),
        cmocka_unit_test(crash_discard_diff),
        cmocka_unit_test(crash_compact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
