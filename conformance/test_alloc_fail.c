/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_alloc_fail.c - allocation failure (issue 17 item 9): through vhdx_set_allocator the
 * Nth allocation fails, for N = 1, 2, ... until the operation succeeds, over open, read,
 * write, create, check and log replay. Every failure returns VHDX_E_NOMEM, leaves no
 * allocation behind (the allocator counts them; ASan/LSan builds check the rest) and
 * leaves the image unchanged or consistent (it opens and checks conformant afterwards).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vhdx.h"

typedef struct counting {
    long calls;      /* allocations so far (malloc, and realloc of NULL or to a new size) */
    long fail_at;    /* the call that fails (0: none) */
    long live;       /* blocks allocated and not freed */
    int failed;
} counting;

static void *c_malloc(void *ctx, size_t n)
{
    counting *c = ctx;
    if (++c->calls == c->fail_at) {
        c->failed = 1;
        return NULL;
    }
    void *p = malloc(n);
    if (p) c->live++;
    return p;
}

static void *c_realloc(void *ctx, void *ptr, size_t n)
{
    counting *c = ctx;
    if (++c->calls == c->fail_at) {
        c->failed = 1;
        return NULL;
    }
    void *p = realloc(ptr, n);
    if (p && !ptr) c->live++;
    return p;
}

static void c_free(void *ctx, void *ptr)
{
    counting *c = ctx;
    c->live--;
    free(ptr);
}

static counting cnt;

static void arm(long fail_at)
{
    vhdx_allocator a = { c_malloc, c_realloc, c_free, &cnt };
    memset(&cnt, 0, sizeof cnt);
    cnt.fail_at = fail_at;
    vhdx_set_allocator(&a);
}

static void disarm(void)
{
    vhdx_set_allocator(NULL);
}

#define MiB ((uint64_t)1 << 20)

/* Dynamic image parameters: size bytes, block_size (0: default), GUIDs from gen. */
static void dyn_params(vhdx_create_params *p, uint64_t size, uint32_t block_size,
                       const vhdx_guid_gen *gen)
{
    vhdx_create_params_default(p);
    p->type = VHDX_TYPE_DYNAMIC;
    p->virtual_size = size;
    p->block_size = block_size;
    p->guid_gen = gen;
}

/* A dynamic 16 MiB image with 1 MiB blocks, two blocks written; *dirty also gets a copy
 * taken while the writer's log is still dirty (LogGuid set). Both malloc'd. */
static uint8_t *make_image(size_t *len, uint8_t **dirty, size_t *dirty_len)
{
    vhdx_io io;
    vhdx_create_params p;
    vhdx_guid_seeded st;
    vhdx_guid_gen gen = vhdx_guid_gen_seeded(&st, 9);
    dyn_params(&p, 16 * MiB, (uint32_t)MiB, &gen);
    assert_int_equal(vhdx_io_mem_open(&io, NULL, 0, 64 * MiB), VHDX_OK);
    assert_int_equal(vhdx_create_io(&io, &p, NULL), VHDX_OK);
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    o.guid_gen = &gen;
    vhdx_image *img;
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_OK);
    uint8_t buf[8192];
    memset(buf, 0xa5, sizeof buf);
    assert_int_equal(vhdx_write(img, 3 * MiB + 512, buf, sizeof buf, NULL), VHDX_OK);
    const uint8_t *d = vhdx_io_mem_data(&io, dirty_len);
    *dirty = malloc(*dirty_len);
    assert_non_null(*dirty);
    memcpy(*dirty, d, *dirty_len);
    assert_int_equal(vhdx_write(img, 9 * MiB, buf, 4096, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    d = vhdx_io_mem_data(&io, len);
    uint8_t *out = malloc(*len);
    assert_non_null(out);
    memcpy(out, d, *len);
    vhdx_io_destroy(&io);
    return out;
}

/* The bytes open, read and check conformant (with the C library's allocator). */
static void expect_consistent(const uint8_t *data, size_t len)
{
    vhdx_io io;
    vhdx_report *r = NULL;
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    assert_int_equal(vhdx_io_mem_open(&io, data, len, 64 * MiB), VHDX_OK);
    assert_int_equal(vhdx_check(&io, NULL, &co, &r), VHDX_OK);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    vhdx_report_free(r);
    vhdx_io_destroy(&io);
}

typedef int (*op_fn)(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len);

/* Runs op with the Nth allocation failing for every N until it succeeds; returns the
 * number of allocations of the successful run. */
static long sweep(op_fn op, const uint8_t *img, size_t len, int consistent_after)
{
    for (long n = 1;; n++) {
        uint8_t *out = NULL;
        size_t out_len = 0;
        arm(n);
        int rc = op(img, len, &out, &out_len);
        counting got = cnt;
        disarm();
        if (got.live != 0) fail_msg("fail_at %ld: %ld allocation(s) leaked (rc %s)", n, got.live, vhdx_status_name(rc));
        if (!got.failed) {
            assert_int_equal(rc, VHDX_OK);
            free(out);
            return n - 1;
        }
        if (rc != VHDX_E_NOMEM) fail_msg("fail_at %ld: %s, want VHDX_E_NOMEM", n, vhdx_status_name(rc));
        if (consistent_after && out) expect_consistent(out, out_len);
        free(out);
    }
}

/* The backend's bytes after the operation (also after a failure) into *out. */
static void take(vhdx_io *io, uint8_t **out, size_t *out_len)
{
    const uint8_t *d = vhdx_io_mem_data(io, out_len);
    *out = malloc(*out_len);
    assert_non_null(*out);
    memcpy(*out, d, *out_len);
}

static int op_open_read(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len)
{
    (void)out; (void)out_len;
    vhdx_io io;
    vhdx_image *im = NULL;
    uint8_t buf[4096];
    int rc = vhdx_io_mem_open(&io, img, len, 64 * MiB);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_open(&im, &io, 1, NULL, NULL);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_read(im, 3 * MiB, buf, sizeof buf, NULL);
    int rc2 = vhdx_close(im);
    return rc != VHDX_OK ? rc : rc2;
}

static int op_write(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len)
{
    vhdx_io io;
    vhdx_image *im = NULL;
    uint8_t buf[4096];
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    memset(buf, 0x3c, sizeof buf);
    int rc = vhdx_io_mem_open(&io, img, len, 64 * MiB);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_open(&im, &io, 0, &o, NULL);
    if (rc == VHDX_OK) {
        /* a new block and an allocated one */
        rc = vhdx_write(im, 12 * MiB + 4096, buf, sizeof buf, NULL);
        if (rc == VHDX_OK) rc = vhdx_write(im, 3 * MiB, buf, sizeof buf, NULL);
        int rc2 = vhdx_close(im);
        if (rc == VHDX_OK) rc = rc2;
    }
    take(&io, out, out_len);
    vhdx_io_destroy(&io);
    return rc;
}

static int op_create(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len)
{
    (void)img; (void)len;
    vhdx_io io;
    vhdx_create_params p;
    vhdx_guid_seeded st;
    vhdx_guid_gen gen = vhdx_guid_gen_seeded(&st, 3);
    dyn_params(&p, 64 * MiB, 0, &gen);
    int rc = vhdx_io_mem_open(&io, NULL, 0, 64 * MiB);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_create_io(&io, &p, NULL);
    if (rc == VHDX_OK) take(&io, out, out_len);
    vhdx_io_destroy(&io);
    return rc;
}

static int op_check(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len)
{
    (void)out; (void)out_len;
    vhdx_io io;
    vhdx_report *r = NULL;
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    int rc = vhdx_io_mem_open(&io, img, len, 64 * MiB);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_check(&io, NULL, &co, &r);
    /* a report that could not hold its findings is no report */
    if (rc == VHDX_OK && r->verdict != VHDX_VERDICT_CONFORMANT) rc = VHDX_E_INTERNAL;
    vhdx_report_free(r);
    vhdx_io_destroy(&io);
    return rc;
}

static int op_replay(const uint8_t *img, size_t len, uint8_t **out, size_t *out_len)
{
    vhdx_io io;
    vhdx_image *im = NULL;
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    int rc = vhdx_io_mem_open(&io, img, len, 64 * MiB);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_open(&im, &io, 0, &o, NULL);
    if (rc == VHDX_OK) rc = vhdx_close(im);
    take(&io, out, out_len);
    vhdx_io_destroy(&io);
    return rc;
}

static uint8_t *clean_img, *dirty_img;
static size_t clean_len, dirty_len;

static int setup(void **state)
{
    (void)state;
    clean_img = make_image(&clean_len, &dirty_img, &dirty_len);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(clean_img);
    free(dirty_img);
    return 0;
}

static void nomem_open_read(void **state)
{
    (void)state;
    assert_true(sweep(op_open_read, clean_img, clean_len, 0) > 3);
    assert_true(sweep(op_open_read, dirty_img, dirty_len, 0) > 3); /* replay in memory */
}

static void nomem_write(void **state)
{
    (void)state;
    assert_true(sweep(op_write, clean_img, clean_len, 1) > 3);
}

static void nomem_create(void **state)
{
    (void)state;
    assert_true(sweep(op_create, NULL, 0, 0) > 1);
}

static void nomem_check(void **state)
{
    (void)state;
    assert_true(sweep(op_check, clean_img, clean_len, 0) > 3);
}

static void nomem_replay(void **state)
{
    (void)state;
    assert_true(sweep(op_replay, dirty_img, dirty_len, 1) > 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nomem_open_read),
        cmocka_unit_test(nomem_write),
        cmocka_unit_test(nomem_create),
        cmocka_unit_test(nomem_check),
        cmocka_unit_test(nomem_replay),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
