/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_convert.c - vhdx_convert (image_convert.c).
 *
 * Crash consistency: a raw -> dynamic VHDX (and raw -> raw) conversion into a faultio
 * destination is run once to count its writes and flushes (N), then once per k = 1..N with
 * operation k failing as a crash (stopped, torn). The caller's commit point is the rename
 * of a complete temporary file, done only when vhdx_convert returns VHDX_OK; so the
 * destination is absent or complete exactly when: every crashed run fails (never VHDX_OK
 * after a lost write) and names the destination, and every run that returns VHDX_OK left
 * an image that checks conformant and reads exactly as the source, also (with
 * VHDX_CONVERT_SYNC) after every write not followed by a flush is lost.
 * Then: content and layout of conversions between memory backends (all-zero blocks stay
 * NOT_PRESENT, fixed, 4096-byte sectors, VHDX -> VHDX), streams and sequential
 * destinations, the kernel copy between file backends (byte-exact, holes where the source
 * has them), and the refusals.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "builder.h"
#include "faultio.h"
#include "image.h"

#define SRC_SIZE (6 * MiB + 1234)

/* builder.c's pattern, never a zero byte (so a chunk of it is never all zero) */
static void fill(uint8_t *b, size_t n, uint64_t seed)
{
    vb_pattern(seed << 32, b, n);
    for (size_t i = 0; i < n; i++) b[i] |= 1;
}

/* The source disk: data at 0 (64 KiB), across the 3 MiB boundary, all of [4 MiB, 5 MiB),
 * in the last partial sector; zeros elsewhere (blocks 1 and 5 of 1 MiB all zero). */
static uint8_t *make_src(void)
{
    uint8_t *s = calloc(1, SRC_SIZE);
    assert_non_null(s);
    fill(s, 65536, 1);
    fill(s + 3 * MiB - 100, 200, 2);
    fill(s + 4 * MiB, MiB, 3);
    fill(s + SRC_SIZE - 4, 4, 4);
    return s;
}

static void params(vhdx_convert_opts *o, unsigned flags, vhdx_disk_type type,
                   vhdx_guid_seeded *gs)
{
    static vhdx_guid_gen gen;
    vhdx_convert_opts_default(o);
    o->flags = flags;
    o->create.type = type;
    o->create.block_size = (uint32_t)MiB;
    gen = vhdx_guid_gen_seeded(gs, 7);
    o->create.guid_gen = &gen;
}

/* dst (a memory backend) holds a VHDX that checks conformant and reads as ref[0..n),
 * zeros up to its virtual size vs; *present receives its FULLY_PRESENT block count. */
static void expect_vhdx(vhdx_io *dst, const uint8_t *ref, size_t n, uint64_t vs,
                        uint64_t *present)
{
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    assert_int_equal(vhdx_check(dst, NULL, &co, &rep), VHDX_OK);
    if (rep->errors) fail_msg("check: %s", vhdx_status_name(rep->findings[0].code));
    vhdx_report_free(rep);
    vhdx_image *img;
    assert_int_equal(vhdx_open(&img, dst, 0, NULL, NULL), VHDX_OK);
    vhdx_info *info = calloc(1, sizeof *info);
    assert_non_null(info);
    assert_int_equal(vhdx_get_info(img, info), VHDX_OK);
    assert_int_equal(info->virtual_size, vs);
    if (present) *present = info->bat.payload[VHDX_PB_FULLY_PRESENT];
    free(info);
    uint8_t *got = malloc((size_t)vs);
    assert_non_null(got);
    assert_int_equal(vhdx_read(img, 0, got, (size_t)vs, NULL), VHDX_OK);
    assert_memory_equal(got, ref, n);
    for (uint64_t i = n; i < vs; i++) assert_int_equal(got[i], 0);
    free(got);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

/* ---- crash consistency ---- */

typedef struct crash_case {
    unsigned flags;
    const uint8_t *src;
    uint64_t *oplen;
    unsigned long tried;
} crash_case;

/* One conversion into faultio(mem) crashing at operation k (0: never); returns N. */
static uint64_t crash_once(crash_case *c, uint64_t k, int mode, int lose)
{
    vhdx_io sio, mem;
    faultio f;
    vhdx_guid_seeded gs;
    vhdx_convert_opts o;
    vhdx_convert_stats st;
    vhdx_diag d;
    assert_int_equal(vhdx_io_mem_open(&sio, c->src, SRC_SIZE, SRC_SIZE), VHDX_OK);
    assert_int_equal(vhdx_io_mem_open(&mem, NULL, 0, 64 * MiB), VHDX_OK);
    faultio_init(&f, &mem);
    faultio_arm(&f, k, mode);
    params(&o, c->flags, VHDX_TYPE_DYNAMIC, &gs);
    vhdx_convert_src src = { NULL, &sio, NULL, NULL, 0 };
    vhdx_diag_clear(&d);
    int rc = vhdx_convert(&src, &f.io, &o, &st, &d);
    uint64_t ops = f.ops;
    if (k == 0) {
        assert_int_equal(rc, VHDX_OK);
        c->oplen = calloc(ops + 1, sizeof *c->oplen);
        assert_non_null(c->oplen);
        for (uint64_t i = 1; i <= ops; i++) c->oplen[i] = faultio_op_len(&f, i);
    }
    if (f.crashed) {
        /* absent: the caller removes what was written and never renames it */
        if (rc == VHDX_OK) fail_msg("k=%llu mode=%d: conversion succeeded after a lost write",
                                    (unsigned long long)k, mode);
        assert_int_equal(vhdx_status_class(rc), VHDX_CLASS_IO);
        assert_int_equal(st.dst_failed, 1);
        assert_int_equal(d.code, rc);
    } else {
        assert_int_equal(rc, VHDX_OK);
        /* complete, also when the cache loses what was not flushed (with SYNC nothing is
         * left unflushed; without it, the test takes the file as written) */
        faultio_settle(&f, lose);
        size_t n;
        const uint8_t *bytes = vhdx_io_mem_data(&mem, &n);
        if (c->flags & VHDX_CONVERT_VHDX) {
            vhdx_io copy;
            assert_int_equal(vhdx_io_mem_open(&copy, bytes, n, 64 * MiB), VHDX_OK);
            uint64_t present;
            expect_vhdx(&copy, c->src, SRC_SIZE, 6 * MiB + 1536, &present);
            assert_int_equal(present, 5); /* blocks 0, 2, 3, 4, 6 */
            vhdx_io_destroy(&copy);
        } else {
            assert_int_equal(n, SRC_SIZE);
            assert_memory_equal(bytes, c->src, SRC_SIZE);
        }
    }
    c->tried++;
    faultio_free(&f);
    vhdx_io_destroy(&mem);
    vhdx_io_destroy(&sio);
    return ops;
}

static void crash_all(unsigned flags, uint64_t min_ops)
{
    crash_case c;
    memset(&c, 0, sizeof c);
    c.flags = flags;
    uint8_t *src = make_src();
    c.src = src;
    uint64_t n = crash_once(&c, 0, FAULTIO_STOP, 0);
    assert_true(n >= min_ops);
    for (uint64_t k = 1; k <= n + 1; k++) {
        crash_once(&c, k, FAULTIO_STOP, 0);
        if (c.oplen[k <= n ? k : 0] >= 2 * 512) crash_once(&c, k, FAULTIO_TEAR_512, 0);
        if (flags & VHDX_CONVERT_SYNC) crash_once(&c, k, FAULTIO_STOP, 1);
    }
    printf("convert flags 0x%x: %llu writes+flushes, %lu runs, all absent or complete\n", flags,
           (unsigned long long)n, c.tried);
    free(c.oplen);
    free(src);
}

static void crash_raw_to_dynamic_sync(void **state)
{
    (void)state;
    crash_all(VHDX_CONVERT_VHDX | VHDX_CONVERT_SYNC, 20);
}

static void crash_raw_to_dynamic_nosync(void **state)
{
    (void)state;
    crash_all(VHDX_CONVERT_VHDX, 10);
}

static void crash_raw_to_raw_sync(void **state)
{
    (void)state;
    crash_all(VHDX_CONVERT_SYNC, 4);
}

/* ---- content and layout (memory backends) ---- */

static void convert_mem(const vhdx_convert_src *src, const vhdx_convert_opts *o, vhdx_io *dst,
                        vhdx_convert_stats *st)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_io_mem_open(dst, NULL, 0, 64 * MiB), VHDX_OK);
    int rc = vhdx_convert(src, dst, o, st, &d);
    if (rc != VHDX_OK) fail_msg("convert: %s (%s:%d)", vhdx_status_name(rc), d.src_file, d.src_line);
}

typedef struct prog { uint64_t calls, last, total; int backwards; } prog;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    prog *p = ctx;
    if (done < p->last) p->backwards = 1;
    p->calls++;
    p->last = done;
    p->total = total;
}

static void layouts(void **state)
{
    (void)state;
    uint8_t *ref = make_src();
    vhdx_io sio, dyn, fix, k4, back, raw;
    vhdx_guid_seeded gs;
    vhdx_convert_opts o;
    vhdx_convert_stats st;
    uint64_t present;
    prog pg = { 0, 0, 0, 0 };
    assert_int_equal(vhdx_io_mem_open(&sio, ref, SRC_SIZE, SRC_SIZE), VHDX_OK);
    vhdx_convert_src src = { NULL, &sio, NULL, NULL, 0 };

    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_DYNAMIC, &gs);
    o.progress = on_progress;
    o.progress_ctx = &pg;
    convert_mem(&src, &o, &dyn, &st);
    assert_int_equal(st.virtual_size, 6 * MiB + 1536);
    assert_int_equal(st.bytes_read, SRC_SIZE);
    assert_int_equal(st.bytes_copied, 0);
    assert_int_equal(st.bytes_written, 4 * MiB + 1234); /* blocks 0, 2, 3, 4, 6 (1234 bytes) */
    expect_vhdx(&dyn, ref, SRC_SIZE, 6 * MiB + 1536, &present);
    assert_int_equal(present, 5);
    assert_int_equal(pg.backwards, 0);
    assert_int_equal(pg.last, SRC_SIZE);
    assert_int_equal(pg.total, SRC_SIZE);
    assert_true(pg.calls >= 7);

    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_FIXED, &gs);
    convert_mem(&src, &o, &fix, &st);
    expect_vhdx(&fix, ref, SRC_SIZE, 6 * MiB + 1536, &present);
    assert_int_equal(present, 7);

    /* VHDX -> VHDX: dynamic into 4096-byte sectors and 2 MiB blocks */
    vhdx_image *img;
    assert_int_equal(vhdx_open(&img, &dyn, 0, NULL, NULL), VHDX_OK);
    vhdx_convert_src isrc = { img, NULL, NULL, NULL, 0 };
    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_DYNAMIC, &gs);
    o.create.logical_sector_size = 4096;
    o.create.block_size = (uint32_t)(2 * MiB);
    convert_mem(&isrc, &o, &k4, &st);
    expect_vhdx(&k4, ref, SRC_SIZE, 6 * MiB + 4096, &present);
    assert_int_equal(present, 4); /* 2 MiB blocks 0, 1, 2, 3 */

    /* VHDX -> raw: exactly the source bytes, sized to the virtual size */
    params(&o, 0, VHDX_TYPE_DYNAMIC, &gs);
    convert_mem(&isrc, &o, &raw, &st);
    size_t n;
    const uint8_t *b = vhdx_io_mem_data(&raw, &n);
    assert_int_equal(n, 6 * MiB + 1536);
    assert_memory_equal(b, ref, SRC_SIZE);
    assert_true(vhdx_all_zero(b + SRC_SIZE, n - SRC_SIZE));
    assert_int_equal(vhdx_close(img), VHDX_OK);

    /* fixed -> dynamic: zero blocks unallocated again */
    assert_int_equal(vhdx_open(&img, &fix, 0, NULL, NULL), VHDX_OK);
    isrc.img = img;
    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_DYNAMIC, &gs);
    convert_mem(&isrc, &o, &back, &st);
    expect_vhdx(&back, ref, SRC_SIZE, 6 * MiB + 1536, &present);
    assert_int_equal(present, 5);
    assert_int_equal(vhdx_close(img), VHDX_OK);

    vhdx_io *all[] = { &sio, &dyn, &fix, &k4, &back, &raw };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) vhdx_io_destroy(all[i]);
    free(ref);
}

/* ---- streams, sequential destinations, refusals ---- */

typedef struct stream { const uint8_t *p; size_t n, pos, step; } stream;

static int stream_read(void *ctx, void *buf, size_t len, size_t *got)
{
    stream *s = ctx;
    size_t k = s->n - s->pos;
    if (k > len) k = len;
    if (k > s->step) k = s->step;
    memcpy(buf, s->p + s->pos, k);
    s->pos += k;
    *got = k;
    return VHDX_OK;
}

typedef struct seqdst { uint8_t *p; size_t n, cap; int out_of_order; } seqdst;

static int seq_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    seqdst *s = ctx;
    if (off != s->n || s->n + len > s->cap) {
        s->out_of_order = 1;
        return VHDX_E_IO;
    }
    memcpy(s->p + s->n, buf, len);
    s->n += len;
    return VHDX_OK;
}

static int seq_flush(void *ctx)
{
    (void)ctx;
    return VHDX_OK;
}

static void streams_and_refusals(void **state)
{
    (void)state;
    uint8_t *ref = make_src();
    vhdx_io dst, sio;
    vhdx_guid_seeded gs;
    vhdx_convert_opts o;
    vhdx_convert_stats st;
    uint64_t present;

    /* a stream shorter than its size, in odd pieces: the rest reads as zeros */
    stream s = { ref, SRC_SIZE - 4, 0, 300000 };
    vhdx_convert_src ssrc = { NULL, NULL, stream_read, &s, SRC_SIZE };
    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_DYNAMIC, &gs);
    convert_mem(&ssrc, &o, &dst, &st);
    uint8_t *want = calloc(1, SRC_SIZE);
    assert_non_null(want);
    memcpy(want, ref, SRC_SIZE - 4);
    expect_vhdx(&dst, want, SRC_SIZE, 6 * MiB + 1536, &present);
    assert_int_equal(present, 4);
    vhdx_io_destroy(&dst);
    free(want);

    /* a stream longer than its size */
    stream l = { ref, SRC_SIZE, 0, SRC_SIZE };
    vhdx_convert_src lsrc = { NULL, NULL, stream_read, &l, 2 * MiB };
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_io_mem_open(&dst, NULL, 0, 64 * MiB), VHDX_OK);
    assert_int_equal(vhdx_convert(&lsrc, &dst, &o, &st, &d), VHDX_E_RANGE);
    assert_int_equal(d.offset, 2 * MiB);
    vhdx_io_destroy(&dst);

    /* a sequential raw destination gets every byte in order, zeros too */
    assert_int_equal(vhdx_io_mem_open(&sio, ref, SRC_SIZE, SRC_SIZE), VHDX_OK);
    vhdx_convert_src rsrc = { NULL, &sio, NULL, NULL, 0 };
    seqdst q = { calloc(1, SRC_SIZE), 0, SRC_SIZE, 0 };
    assert_non_null(q.p);
    vhdx_io qio;
    memset(&qio, 0, sizeof qio);
    qio.ctx = &q;
    qio.write_at = seq_write;
    qio.flush = seq_flush;
    params(&o, VHDX_CONVERT_SEQUENTIAL | VHDX_CONVERT_SYNC, VHDX_TYPE_DYNAMIC, &gs);
    assert_int_equal(vhdx_convert(&rsrc, &qio, &o, &st, NULL), VHDX_OK);
    assert_int_equal(q.out_of_order, 0);
    assert_int_equal(q.n, SRC_SIZE);
    assert_memory_equal(q.p, ref, SRC_SIZE);
    free(q.p);

    /* refusals: no source, two sources, a differencing or a too small destination, a
     * sequential VHDX, a raw size beyond the file */
    vhdx_convert_src none = { NULL, NULL, NULL, NULL, 0 };
    vhdx_convert_src two = { NULL, &sio, stream_read, &s, 10 };
    vhdx_convert_src big = { NULL, &sio, NULL, NULL, SRC_SIZE + 1 };
    assert_int_equal(vhdx_io_mem_open(&dst, NULL, 0, 64 * MiB), VHDX_OK);
    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_DYNAMIC, &gs);
    assert_int_equal(vhdx_convert(&none, &dst, &o, &st, NULL), VHDX_E_MISUSE);
    assert_int_equal(vhdx_convert(&two, &dst, &o, &st, NULL), VHDX_E_MISUSE);
    assert_int_equal(vhdx_convert(&big, &dst, &o, &st, NULL), VHDX_E_MISUSE);
    assert_int_equal(vhdx_convert(&rsrc, NULL, &o, &st, NULL), VHDX_E_MISUSE);
    o.create.type = VHDX_TYPE_DIFFERENCING;
    assert_int_equal(vhdx_convert(&rsrc, &dst, &o, &st, NULL), VHDX_E_CREATE_PARAM);
    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_DYNAMIC, &gs);
    o.create.virtual_size = MiB;
    assert_int_equal(vhdx_convert(&rsrc, &dst, &o, &st, NULL), VHDX_E_CREATE_PARAM);
    params(&o, VHDX_CONVERT_VHDX | VHDX_CONVERT_SEQUENTIAL, VHDX_TYPE_DYNAMIC, &gs);
    assert_int_equal(vhdx_convert(&rsrc, &dst, &o, &st, NULL), VHDX_E_MISUSE);
    params(&o, VHDX_CONVERT_VHDX, VHDX_TYPE_DYNAMIC, &gs);
    o.create.block_size = 3 * (uint32_t)MiB;
    assert_int_equal(vhdx_convert(&rsrc, &dst, &o, &st, NULL), VHDX_E_CREATE_PARAM);
    assert_int_equal(st.dst_failed, 0);
    size_t n;
    (void)vhdx_io_mem_data(&dst, &n);
    assert_int_equal(n, 0); /* nothing written by a refusal */
    vhdx_io_destroy(&dst);
    vhdx_io_destroy(&sio);
    free(ref);
}

/* ---- the kernel copy between file backends ---- */

static char dir[256];

static void path(char *out, const char *name)
{
    snprintf(out, 300, "%s/%s", dir, name);
}

/* 1 when copy_file_range works between two files of dir (else the library falls back) */
static int kernel_copies(void)
{
    char a[300], b[300];
    path(a, "probe.a");
    path(b, "probe.b");
    int fa = open(a, O_RDWR | O_CREAT | O_TRUNC, 0600), fb = open(b, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fa >= 0 && fb >= 0);
    assert_int_equal(write(fa, "abcd", 4), 4);
    loff_t x = 0, y = 0;
    ssize_t r = copy_file_range(fa, &x, fb, &y, 4, 0);
    close(fa);
    close(fb);
    unlink(a);
    unlink(b);
    return r == 4;
}

/* every hole of file a (SEEK_HOLE/SEEK_DATA) is a hole of file b too */
static void holes_kept(const char *a, const char *b)
{
    int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
    assert_true(fa >= 0 && fb >= 0);
    off_t end = lseek(fa, 0, SEEK_END), pos = 0;
    unsigned holes = 0;
    while (pos < end) {
        off_t h = lseek(fa, pos, SEEK_HOLE);
        assert_true(h >= 0);
        if (h >= end) break;
        off_t d = lseek(fa, h, SEEK_DATA);
        off_t he = d < 0 ? end : d;
        off_t bd = lseek(fb, h, SEEK_DATA);
        if (!(bd < 0 || bd >= he))
            fail_msg("%s: data at %lld inside the source's hole [%lld, %lld)", b, (long long)bd,
                     (long long)h, (long long)he);
        holes++;
        pos = he;
    }
    assert_true(holes >= 3);
    close(fa);
    close(fb);
}

static uint64_t allocated(const char *p)
{
    struct stat s;
    assert_int_equal(stat(p, &s), 0);
    return (uint64_t)s.st_blocks * 512;
}

/* the source raw file: 6 MiB + 1234 sparse, with the data of make_src written (the zeros
 * at [5 MiB, 5 MiB + 64 KiB) written as data too) */
static void write_src_file(const char *p, const uint8_t *ref)
{
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, SRC_SIZE), 0);
    assert_int_equal(pwrite(fd, ref, 65536, 0), 65536);
    assert_int_equal(pwrite(fd, ref + 3 * MiB - 4096, 8192, 3 * MiB - 4096), 8192);
    assert_int_equal(pwrite(fd, ref + 4 * MiB, MiB + 65536, 4 * MiB), (ssize_t)(MiB + 65536));
    assert_int_equal(pwrite(fd, ref + SRC_SIZE - 4, 4, SRC_SIZE - 4), 4);
    assert_int_equal(close(fd), 0);
}

static void kernel_copy(void **state)
{
    (void)state;
    /* a disk file system (tmpfs copies too, but this is where outputs usually go) */
    /* mkdtemp, not a folder named by the pid (one left by a killed run refused a later run
     * that got the same pid) */
    snprintf(dir, sizeof dir, "/tmp/vhdx-convert-XXXXXX");
    assert_non_null(mkdtemp(dir));
    int kc = kernel_copies();
    uint8_t *ref = make_src();
    char sp[300], rp[300], vp[300], bp[300];
    path(sp, "src.raw");
    path(rp, "out.raw");
    path(vp, "out.vhdx");
    path(bp, "back.raw");
    write_src_file(sp, ref);
    vhdx_io sio, dio;
    vhdx_guid_seeded gs;
    vhdx_convert_opts o;
    vhdx_convert_stats st;

    /* raw -> raw: byte-exact, holes where the source has them */
    assert_int_equal(vhdx_io_file_open(&sio, sp, VHDX_IO_READ), VHDX_OK);
    assert_int_equal(vhdx_io_file_open(&dio, rp, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_OK);
    vhdx_convert_src src = { NULL, &sio, NULL, NULL, 0 };
    params(&o, 0, VHDX_TYPE_DYNAMIC, &gs);
    assert_int_equal(vhdx_convert(&src, &dio, &o, &st, NULL), VHDX_OK);
    vhdx_io_destroy(&dio);
    /* host data runs: [0, 64K), [3M-4K, 3M+4K), [4M, 5M+64K), [6M, 6M+1234); the kernel
     * copies the 1 MiB chunks of them whose first page is not zero: all but [5M, 5M+64K) */
    if (kc) assert_int_equal(st.bytes_copied, 65536 + 4096 + 4096 + MiB + 1234);
    else assert_int_equal(st.bytes_copied, 0);
    FILE *f = fopen(rp, "rb");
    assert_non_null(f);
    uint8_t *got = malloc(SRC_SIZE + 1);
    assert_non_null(got);
    assert_int_equal(fread(got, 1, SRC_SIZE + 1, f), SRC_SIZE);
    fclose(f);
    assert_memory_equal(got, ref, SRC_SIZE);
    assert_true(allocated(rp) <= allocated(sp));
    holes_kept(sp, rp);
    assert_true(allocated(rp) <= MiB + 65536 + 4096 + 4096 + 4096 + 65536);

    /* raw -> dynamic VHDX file, then back to raw */
    assert_int_equal(vhdx_io_file_open(&dio, vp, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_OK);
    params(&o, VHDX_CONVERT_VHDX | VHDX_CONVERT_SYNC, VHDX_TYPE_DYNAMIC, &gs);
    assert_int_equal(vhdx_convert(&src, &dio, &o, &st, NULL), VHDX_OK);
    if (kc) assert_true(st.bytes_copied >= MiB - 4096);
    vhdx_io_destroy(&dio);
    assert_int_equal(vhdx_io_file_open(&dio, vp, VHDX_IO_READ), VHDX_OK);
    uint64_t present;
    expect_vhdx(&dio, ref, SRC_SIZE, 6 * MiB + 1536, &present);
    assert_int_equal(present, 5);
    vhdx_io_destroy(&dio);
    vhdx_io_destroy(&sio);

    vhdx_image *img;
    assert_int_equal(vhdx_open_file(&img, vp, NULL, NULL), VHDX_OK);
    vhdx_convert_src isrc = { img, NULL, NULL, NULL, 0 };
    assert_int_equal(vhdx_io_file_open(&dio, bp, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_OK);
    params(&o, 0, VHDX_TYPE_DYNAMIC, &gs);
    assert_int_equal(vhdx_convert(&isrc, &dio, &o, &st, NULL), VHDX_OK);
    if (kc) assert_true(st.bytes_copied >= MiB);
    vhdx_io_destroy(&dio);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    f = fopen(bp, "rb");
    assert_non_null(f);
    assert_int_equal(fread(got, 1, SRC_SIZE + 1, f), SRC_SIZE + 1); /* sized 6 MiB + 1536 */
    fclose(f);
    assert_memory_equal(got, ref, SRC_SIZE);
    assert_true(allocated(bp) <= 4 * MiB + 2 * 65536);

    free(got);
    free(ref);
    unlink(sp);
    unlink(rp);
    unlink(vp);
    unlink(bp);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash_raw_to_dynamic_sync),
        cmocka_unit_test(crash_raw_to_dynamic_nosync),
        cmocka_unit_test(crash_raw_to_raw_sync),
        cmocka_unit_test(layouts),
        cmocka_unit_test(streams_and_refusals),
        cmocka_unit_test(kernel_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
