/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_convert_parallel.c - vhdx_convert into a raw destination with worker threads
 * (vhdx_convert_opts.threads, image_copy.c).
 *
 * Same output whatever the thread count: images in files (dynamic, fixed whose host file
 * has holes, a differencing child with partially present blocks flattened over its parent,
 * 4096-byte sectors, a raw file with holes) converted with 1, 2, 3 and 8 threads give the
 * exact bytes of the source's virtual disk, the same holes, the same figures, a monotonic
 * progress ending at the size. Failures: through memory backends made concurrent
 * (faultio_concurrent), a write that fails in one worker (every write in turn) fails the
 * conversion with exactly its error (VHDX_E_IO, its offset, its errno, "destination");
 * when every write from one offset on fails (a file size limit), the error is the one of
 * the lowest offset, as with one thread; a
 * crash at every write and flush (with VHDX_CONVERT_SYNC) fails it too, and a conversion
 * that returns VHDX_OK has written exactly the source.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "builder.h"
#include "faultio.h"
#include "image.h"
#include "internal.h"

#define VSIZE (12 * MiB + 1536)

static char dir[256];
static vhdx_guid_seeded gs;
static vhdx_guid_gen gen;

static void path(char *out, const char *name)
{
    snprintf(out, 300, "%s/%s", dir, name);
}

/* never a zero byte */
static void fill(uint8_t *b, size_t n, uint64_t seed)
{
    vb_pattern(seed << 32, b, n);
    for (size_t i = 0; i < n; i++) b[i] |= 1;
}

/* Writes into img (open read-write): data at 0 (64 KiB), [2M+4K, 3M) (its chunk's first
 * page zero), all of [3M, 7M), one page at 8M + 512 K, the last 1000 bytes; the rest zero. */
static void write_data(vhdx_image *img, uint64_t vsize)
{
    static uint8_t buf[4 * MiB];
    fill(buf, 65536, 1);
    assert_int_equal(vhdx_write(img, 0, buf, 65536, NULL), VHDX_OK);
    fill(buf, MiB - 4096, 2);
    assert_int_equal(vhdx_write(img, 2 * MiB + 4096, buf, MiB - 4096, NULL), VHDX_OK);
    fill(buf, 4 * MiB, 3);
    assert_int_equal(vhdx_write(img, 3 * MiB, buf, 4 * MiB, NULL), VHDX_OK);
    fill(buf, 4096, 4);
    assert_int_equal(vhdx_write(img, 8 * MiB + 512 * 1024, buf, 4096, NULL), VHDX_OK);
    fill(buf, 1000, 5);
    assert_int_equal(vhdx_write(img, vsize - 1000, buf, 1000, NULL), VHDX_OK);
}

static void open_rw(vhdx_image **img, const char *p)
{
    vhdx_open_opts oo;
    vhdx_open_opts_default(&oo);
    oo.flags = VHDX_OPEN_RDWR;
    oo.guid_gen = &gen;
    assert_int_equal(vhdx_open_file(img, p, &oo, NULL), VHDX_OK);
}

static void create(const char *p, vhdx_disk_type type, uint32_t bs, uint32_t lss,
                   const char *parent)
{
    vhdx_create_params cp;
    vhdx_create_params_default(&cp);
    cp.type = type;
    cp.virtual_size = parent ? 0 : (lss == 4096 ? 12 * MiB + 4096 : VSIZE);
    cp.block_size = bs;
    cp.logical_sector_size = parent ? 0 : lss;
    cp.parent_path = parent;
    cp.guid_gen = &gen;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(p, &cp, &d);
    if (rc != VHDX_OK) fail_msg("create %s: %s (%s:%d)", p, vhdx_status_name(rc), d.src_file, d.src_line);
}

/* the data/hole map of a file: offsets where data and holes start, in order */
static size_t holemap(const char *p, off_t *map, size_t max)
{
    int fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    off_t end = lseek(fd, 0, SEEK_END), pos = 0;
    size_t n = 0;
    while (pos < end && n + 2 <= max) {
        off_t d = lseek(fd, pos, SEEK_DATA);
        if (d < 0) break;
        off_t h = lseek(fd, d, SEEK_HOLE);
        map[n++] = d;
        map[n++] = h;
        pos = h;
    }
    close(fd);
    return n;
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

/* src converted to raw file out with `threads`; the output read back into *got */
static void convert_file(const vhdx_convert_src *src, const char *out, unsigned threads,
                         vhdx_convert_stats *st, uint8_t *got, uint64_t size)
{
    vhdx_io dio;
    vhdx_convert_opts o;
    vhdx_diag d;
    prog pg = { 0, 0, 0, 0 };
    unlink(out);
    assert_int_equal(vhdx_io_file_open(&dio, out, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_OK);
    vhdx_convert_opts_default(&o);
    assert_int_equal(o.threads, 1); /* the library's default: no worker threads */
    o.threads = threads;
    o.progress = on_progress;
    o.progress_ctx = &pg;
    vhdx_diag_clear(&d);
    int rc = vhdx_convert(src, &dio, &o, st, &d);
    if (rc != VHDX_OK) fail_msg("convert: %s (%s:%d)", vhdx_status_name(rc), d.src_file, d.src_line);
    vhdx_io_destroy(&dio);
    assert_int_equal(pg.backwards, 0);
    assert_int_equal(pg.last, size);
    assert_int_equal(pg.total, size);
    int fd = open(out, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, got, (size_t)size + 1, 0), (ssize_t)size);
    close(fd);
}

/* The source (an image at p, or the raw file p) converted with 1, 2, 3 and 8 threads:
 * the exact bytes of ref, the same holes and figures each time. */
static void same_outputs(const char *p, int raw, const uint8_t *ref, uint64_t size)
{
    static const unsigned counts[] = { 1, 2, 3, 8 };
    vhdx_image *img = NULL;
    vhdx_io rio;
    vhdx_convert_src src;
    memset(&src, 0, sizeof src);
    if (raw) {
        assert_int_equal(vhdx_io_file_open(&rio, p, VHDX_IO_READ), VHDX_OK);
        src.raw = &rio;
    } else {
        assert_int_equal(vhdx_open_file(&img, p, NULL, NULL), VHDX_OK);
        src.img = img;
    }
    uint8_t *got = malloc((size_t)size + 1);
    assert_non_null(got);
    char out[300];
    path(out, "out.raw");
    vhdx_convert_stats st0, st;
    off_t map0[64], map[64];
    size_t n0 = 0;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        convert_file(&src, out, counts[i], i ? &st : &st0, got, size);
        assert_memory_equal(got, ref, (size_t)size);
        if (i == 0) {
            n0 = holemap(out, map0, 64);
            assert_true(n0 >= 2);
            continue;
        }
        assert_int_equal(st.virtual_size, st0.virtual_size);
        assert_int_equal(st.bytes_read, st0.bytes_read);
        assert_int_equal(st.bytes_written, st0.bytes_written);
        assert_int_equal(st.bytes_copied, st0.bytes_copied);
        assert_int_equal(holemap(out, map, 64), n0);
        assert_memory_equal(map, map0, n0 * sizeof *map);
    }
    unlink(out);
    free(got);
    if (img) assert_int_equal(vhdx_close(img), VHDX_OK);
    else vhdx_io_destroy(&rio);
}

/* the virtual disk of the image at p */
static uint8_t *disk_of(const char *p, uint64_t *size)
{
    vhdx_image *img;
    vhdx_info info;
    assert_int_equal(vhdx_open_file(&img, p, NULL, NULL), VHDX_OK);
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    *size = info.virtual_size;
    uint8_t *b = malloc((size_t)*size);
    assert_non_null(b);
    assert_int_equal(vhdx_read(img, 0, b, (size_t)*size, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    return b;
}

static void image_case(const char *name, vhdx_disk_type type, uint32_t bs, uint32_t lss)
{
    char p[300];
    path(p, name);
    create(p, type, bs, lss, NULL);
    vhdx_image *img;
    open_rw(&img, p);
    uint64_t size = 0;
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    size = info.virtual_size;
    write_data(img, size);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    uint8_t *ref = disk_of(p, &size);
    same_outputs(p, 0, ref, size);
    free(ref);
    unlink(p);
}

static void setup_dir(void)
{
    /* mkdtemp, not a folder named by the pid (one left by a killed run refused a later run
     * that got the same pid) */
    snprintf(dir, sizeof dir, "/tmp/vhdx-cpar-XXXXXX");
    assert_non_null(mkdtemp(dir));
    gen = vhdx_guid_gen_seeded(&gs, 11);
}

static void same_whatever_threads(void **state)
{
    (void)state;
    setup_dir();
    image_case("dyn.vhdx", VHDX_TYPE_DYNAMIC, (uint32_t)MiB, 512);
    image_case("fixed.vhdx", VHDX_TYPE_FIXED, (uint32_t)MiB, 512);
    image_case("k4.vhdx", VHDX_TYPE_DYNAMIC, (uint32_t)(2 * MiB), 4096);

    /* a differencing child: sectors and pages over its parent (partially present blocks) */
    char par[300], child[300];
    path(par, "parent.vhdx");
    path(child, "child.vhdx");
    create(par, VHDX_TYPE_DYNAMIC, (uint32_t)MiB, 512, NULL);
    vhdx_image *img;
    open_rw(&img, par);
    write_data(img, VSIZE);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    create(child, VHDX_TYPE_DIFFERENCING, (uint32_t)MiB, 512, par);
    open_rw(&img, child);
    uint8_t b[8192];
    fill(b, sizeof b, 9);
    static const uint64_t at[] = { 512, 3 * MiB + 1024, 5 * MiB - 512, 10 * MiB + 4096 };
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++)
        assert_int_equal(vhdx_write(img, at[i], b, 512 * (i + 1), NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    uint64_t size;
    uint8_t *ref = disk_of(child, &size);
    assert_int_equal(size, VSIZE);
    same_outputs(child, 0, ref, size);
    free(ref);
    unlink(child);
    unlink(par);

    /* a raw file with holes */
    char rp[300];
    path(rp, "src.raw");
    ref = calloc(1, VSIZE);
    assert_non_null(ref);
    fill(ref, 65536, 1);
    fill(ref + 2 * MiB + 4096, MiB, 2);
    fill(ref + 5 * MiB, 3 * MiB, 3);
    fill(ref + VSIZE - 4, 4, 4);
    int fd = open(rp, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, VSIZE), 0);
    assert_int_equal(pwrite(fd, ref, 65536, 0), 65536);
    assert_int_equal(pwrite(fd, ref + 2 * MiB, 2 * MiB, 2 * MiB), (ssize_t)(2 * MiB));
    assert_int_equal(pwrite(fd, ref + 5 * MiB, 3 * MiB, 5 * MiB), (ssize_t)(3 * MiB));
    assert_int_equal(pwrite(fd, ref + VSIZE - 4, 4, VSIZE - 4), 4);
    assert_int_equal(close(fd), 0);
    same_outputs(rp, 1, ref, VSIZE);
    free(ref);
    unlink(rp);
    assert_int_equal(rmdir(dir), 0);
}

/* ---- failures, through concurrent memory backends ---- */

#define MSIZE (8 * MiB + 1234)

typedef struct run_result {
    int rc;
    vhdx_convert_stats st;
    vhdx_diag d;
    uint64_t ops, fail_off;
    int failed_one, crashed;
} run_result;

/* raw (a concurrent faultio over a memory copy of ref) -> raw (a concurrent faultio over
 * memory) with 3 threads; operation k of the destination fails in mode (k 0: none) */
static void run_mem(const uint8_t *ref, unsigned flags, uint64_t k, int mode, run_result *r)
{
    vhdx_io smem, dmem;
    faultio fs, fd;
    assert_int_equal(vhdx_io_mem_open(&smem, ref, MSIZE, MSIZE), VHDX_OK);
    assert_int_equal(vhdx_io_mem_open(&dmem, NULL, 0, 2 * MSIZE), VHDX_OK);
    faultio_init(&fs, &smem);
    faultio_concurrent(&fs);
    faultio_init(&fd, &dmem);
    faultio_concurrent(&fd);
    faultio_arm(&fd, k, mode);
    vhdx_convert_opts o;
    vhdx_convert_opts_default(&o);
    o.flags = flags;
    o.threads = 3;
    vhdx_convert_src src = { NULL, &fs.io, NULL, NULL, 0 };
    vhdx_diag_clear(&r->d);
    r->rc = vhdx_convert(&src, &fd.io, &o, &r->st, &r->d);
    r->ops = fd.ops;
    r->fail_off = fd.fail_off;
    r->failed_one = fd.failed_one;
    r->crashed = fd.crashed;
    if (r->rc == VHDX_OK) {
        size_t n;
        const uint8_t *bytes = vhdx_io_mem_data(&dmem, &n);
        assert_int_equal(n, MSIZE);
        assert_memory_equal(bytes, ref, MSIZE);
    }
    faultio_free(&fd);
    faultio_free(&fs);
    vhdx_io_destroy(&dmem);
    vhdx_io_destroy(&smem);
}

static uint8_t *mem_ref(void)
{
    uint8_t *ref = calloc(1, MSIZE);
    assert_non_null(ref);
    fill(ref, 3 * MiB + 100, 1);         /* chunks 0..2, the first page of 3 */
    fill(ref + 5 * MiB + 8192, MiB, 2);  /* chunks 5 and 6 (zero pages first) */
    fill(ref + MSIZE - 1234, 1234, 3);   /* the last partial chunk */
    return ref;
}

static void worker_write_error(void **state)
{
    (void)state;
    uint8_t *ref = mem_ref();
    run_result r;
    run_mem(ref, 0, 0, FAULTIO_STOP, &r);
    assert_int_equal(r.rc, VHDX_OK);
    /* the chunks with data, each one write of its non-zero pages: 0..3, 5, 6, 8 */
    assert_int_equal(r.ops, 7);
    assert_int_equal(r.st.bytes_written, 4 * MiB + 4096 + 1234);
    for (uint64_t k = 1; k <= r.ops; k++) {
        run_result f;
        run_mem(ref, 0, k, FAULTIO_FAIL_ONE, &f);
        assert_int_equal(f.failed_one, 1);
        assert_int_equal(f.rc, VHDX_E_IO);
        assert_int_equal(f.st.dst_failed, 1);
        assert_int_equal(f.d.code, VHDX_E_IO);
        assert_int_equal(f.d.offset, f.fail_off);
        assert_int_equal(f.d.sys_errno, ENOSPC);
        assert_string_equal(f.d.field, "destination");
    }
    free(ref);
}

static void crash_every_write(void **state)
{
    (void)state;
    uint8_t *ref = mem_ref();
    run_result r;
    run_mem(ref, VHDX_CONVERT_SYNC, 0, FAULTIO_STOP, &r);
    assert_int_equal(r.rc, VHDX_OK);
    assert_int_equal(r.ops, 8); /* 7 writes, the final flush */
    for (uint64_t k = 1; k <= r.ops; k++) {
        for (int mode = FAULTIO_STOP; mode <= FAULTIO_TEAR_4K; mode++) {
            run_result f;
            run_mem(ref, VHDX_CONVERT_SYNC, k, mode, &f);
            assert_int_equal(f.crashed, 1);
            assert_int_equal(vhdx_status_class(f.rc), VHDX_CLASS_IO);
            assert_int_equal(f.st.dst_failed, 1);
            assert_int_equal(f.d.code, f.rc);
        }
    }
    free(ref);
}

/* A concurrent memory backend whose writes fail (ENOSPC) when they reach past limit. */
typedef struct limit_io {
    vhdx_io io, *inner;
    uint64_t limit;
    pthread_mutex_t mu;
} limit_io;

static int li_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    limit_io *l = ctx;
    if (off + len > l->limit) {
        errno = ENOSPC;
        return VHDX_E_IO;
    }
    pthread_mutex_lock(&l->mu);
    int rc = l->inner->write_at(l->inner->ctx, off, buf, len);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int li_size(void *ctx, uint64_t *size)
{
    limit_io *l = ctx;
    pthread_mutex_lock(&l->mu);
    int rc = l->inner->get_size(l->inner->ctx, size);
    pthread_mutex_unlock(&l->mu);
    return rc;
}

static int li_set_size(void *ctx, uint64_t size)
{
    limit_io *l = ctx;
    return size > l->limit ? VHDX_E_IO : l->inner->set_size(l->inner->ctx, size);
}

static int li_flush(void *ctx)
{
    (void)ctx;
    return VHDX_OK;
}

static void lowest_offset_wins(void **state)
{
    (void)state;
    uint8_t *ref = mem_ref();
    for (int i = 0; i < 24; i++) {
        vhdx_io smem, dmem;
        faultio fs;
        limit_io l;
        assert_int_equal(vhdx_io_mem_open(&smem, ref, MSIZE, MSIZE), VHDX_OK);
        assert_int_equal(vhdx_io_mem_open(&dmem, NULL, 0, 2 * MSIZE), VHDX_OK);
        faultio_init(&fs, &smem);
        faultio_concurrent(&fs);
        memset(&l, 0, sizeof l);
        assert_int_equal(pthread_mutex_init(&l.mu, NULL), 0);
        l.inner = &dmem;
        l.limit = MiB + MiB / 2; /* the write of chunk 1 and every later one fail */
        l.io.ctx = &l;
        l.io.write_at = li_write;
        l.io.get_size = li_size;
        l.io.set_size = li_set_size;
        l.io.flush = li_flush;
        l.io.caps = VHDX_IO_CAP_CONCURRENT;
        vhdx_convert_opts o;
        vhdx_convert_opts_default(&o);
        o.threads = i % 2 ? 8 : 3;
        vhdx_convert_src src = { NULL, &fs.io, NULL, NULL, 0 };
        vhdx_convert_stats st;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        assert_int_equal(vhdx_convert(&src, &l.io, &o, &st, &d), VHDX_E_IO);
        assert_int_equal(st.dst_failed, 1);
        assert_int_equal(d.code, VHDX_E_IO);
        assert_int_equal(d.offset, MiB);
        assert_int_equal(d.sys_errno, ENOSPC);
        assert_string_equal(d.field, "destination");
        pthread_mutex_destroy(&l.mu);
        faultio_free(&fs);
        vhdx_io_destroy(&dmem);
        vhdx_io_destroy(&smem);
    }
    free(ref);
}

/* A copier whose write failed (io_file.c pipe_drain: EFBIG past RLIMIT_FSIZE, the splice
 * path on ext2/3/4) copies again into another file: it re-chooses its method instead of
 * splicing through the pipe it closed (that gave VHDX_E_IO with EBADF). */
static void copier_after_io_error(void **state)
{
    (void)state;
    char dirbuf[64], src[300], d1[300], d2[300];
    snprintf(dirbuf, sizeof dirbuf, "/tmp/vhdx-ccopy-XXXXXX");
    assert_non_null(mkdtemp(dirbuf));
    snprintf(src, sizeof src, "%s/src", dirbuf);
    snprintf(d1, sizeof d1, "%s/d1", dirbuf);
    snprintf(d2, sizeof d2, "%s/d2", dirbuf);
    uint8_t *buf = malloc(MiB), *back = malloc(MiB);
    assert_non_null(buf);
    assert_non_null(back);
    fill(buf, MiB, 7);
    vhdx_io sio, dio;
    assert_int_equal(vhdx_io_file_open(&sio, src, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_OK);
    assert_int_equal(sio.write_at(sio.ctx, 0, buf, MiB), VHDX_OK);
    vhdx_copier c;
    vhdx_copier_init(&c);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 256 * 1024;
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(vhdx_io_file_open(&dio, d1, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_OK);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    uint64_t done = 0;
    int rc = vhdx_copier_copy(&c, &dio, 0, &sio, 0, MiB, &done);
    int e = errno;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    assert_int_equal(rc, VHDX_E_IO);
    assert_int_equal(e, EFBIG);
    assert_int_equal(done, 256 * 1024);
    vhdx_io_destroy(&dio);
    assert_int_equal(vhdx_io_file_open(&dio, d2, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_OK);
    done = 0;
    assert_int_equal(vhdx_copier_copy(&c, &dio, 0, &sio, 0, MiB, &done), VHDX_OK);
    assert_int_equal(done, MiB);
    assert_int_equal(dio.read_at(dio.ctx, 0, back, MiB), VHDX_OK);
    assert_memory_equal(back, buf, MiB);
    vhdx_copier_close(&c);
    vhdx_io_destroy(&dio);
    vhdx_io_destroy(&sio);
    free(buf);
    free(back);
    unlink(src);
    unlink(d1);
    unlink(d2);
    rmdir(dirbuf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_whatever_threads),
        cmocka_unit_test(worker_write_error),
        cmocka_unit_test(lowest_offset_wins),
        cmocka_unit_test(crash_every_write),
        cmocka_unit_test(copier_after_io_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
