/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_status.c - the allocation map (vhdx_extent_at, vhdx_block_status): exact extents on
 * images with known allocation: every payload state, contiguous and scattered blocks,
 * sector bitmap runs of a differencing child and its parent's blocks with their depth,
 * a fixed image over a sparse host file (SEEK_DATA/SEEK_HOLE) against the same bytes in a
 * memory backend (no hole information), a 64 TiB dynamic image, argument errors; and what
 * writes of zeros leave behind (vhdx_write, vhdx_write_zeroes).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "builder.h"

static char tmpdir[256];

static const char *P(const char *name)
{
    static char buf[4][512];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static vhdx_image *open_vb(vb_image *im)
{
    vhdx_image *img = NULL;
    assert_int_equal(vb_open(im, 0, &img, NULL), VHDX_OK);
    return img;
}

/* the extent at off must be exactly this */
static void expect(vhdx_image *img, uint64_t off, uint64_t len, uint64_t want_len,
                   vhdx_extent_state st, uint32_t depth, int zero, int data, int present,
                   uint64_t offset)
{
    vhdx_extent x;
    memset(&x, 0xa5, sizeof x);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_extent_at(img, off, len, &x, &d), VHDX_OK);
    if (x.length != want_len || x.state != st || x.depth != depth)
        print_error("at %llu: len %llu state %d depth %u\n", (unsigned long long)off,
                    (unsigned long long)x.length, (int)x.state, x.depth);
    assert_int_equal(x.start, off);
    assert_int_equal(x.length, want_len);
    assert_int_equal(x.state, st);
    assert_int_equal(x.depth, depth);
    assert_int_equal(x.zero, zero);
    assert_int_equal(x.data, data);
    assert_int_equal(x.present, present);
    assert_int_equal(x.offset, offset);
}

/* dynamic 16 MiB, 1 MiB blocks: blocks 4 and 5 adjacent in the file, 12 before 11
 * (not contiguous), 8 ZERO, 9 UNMAPPED, 10 UNDEFINED, the rest
 * NOT_PRESENT */
static void test_every_state(void **s)
{
    (void)s;
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 16 * MiB, (uint32_t)MiB, 512), VHDX_OK);
    uint64_t o4 = vb_alloc_block(&im, 4, 1);
    uint64_t o5 = vb_alloc_block(&im, 5, 1);
    uint64_t o12 = vb_alloc_block(&im, 12, 1);
    uint64_t o11 = vb_alloc_block(&im, 11, 1);
    assert_int_equal(o5, o4 + MiB);
    assert_int_equal(o11, o12 + MiB);
    vb_bat_set(&im, vb_pb_index(&im, 8), fmt_bat_make(VHDX_PB_ZERO, 0));
    vb_bat_set(&im, vb_pb_index(&im, 9), fmt_bat_make(VHDX_PB_UNMAPPED, 0));
    vb_bat_set(&im, vb_pb_index(&im, 10), fmt_bat_make(VHDX_PB_UNDEFINED, 0));
    vhdx_image *img = open_vb(&im);
    const uint64_t V = 16 * MiB;
    expect(img, 0, V, 4 * MiB, VHDX_EXTENT_NOT_PRESENT, 0, 1, 0, 0, 0);
    expect(img, 4 * MiB, V - 4 * MiB, 2 * MiB, VHDX_EXTENT_DATA, 0, 0, 1, 1, o4);
    expect(img, 4 * MiB + 512, 100, 100, VHDX_EXTENT_DATA, 0, 0, 1, 1, o4 + 512);
    expect(img, 5 * MiB + 7, V - 5 * MiB - 7, MiB - 7, VHDX_EXTENT_DATA, 0, 0, 1, 1, o5 + 7);
    expect(img, 6 * MiB, V - 6 * MiB, 2 * MiB, VHDX_EXTENT_NOT_PRESENT, 0, 1, 0, 0, 0);
    expect(img, 8 * MiB, V - 8 * MiB, MiB, VHDX_EXTENT_ZERO, 0, 1, 0, 1, 0);
    expect(img, 9 * MiB, V - 9 * MiB, MiB, VHDX_EXTENT_UNMAPPED, 0, 1, 0, 1, 0);
    expect(img, 10 * MiB, V - 10 * MiB, MiB, VHDX_EXTENT_UNDEFINED, 0, 1, 0, 1, 0);
    expect(img, 11 * MiB, V - 11 * MiB, MiB, VHDX_EXTENT_DATA, 0, 0, 1, 1, o11);
    expect(img, 12 * MiB, V - 12 * MiB, MiB, VHDX_EXTENT_DATA, 0, 0, 1, 1, o12);
    expect(img, 13 * MiB, V - 13 * MiB, 3 * MiB, VHDX_EXTENT_NOT_PRESENT, 0, 1, 0, 0, 0);
    expect(img, V - 1, 1, 1, VHDX_EXTENT_NOT_PRESENT, 0, 1, 0, 0, 0);
    /* the two-state view merges by zero flag */
    uint64_t run = 0;
    int st = -1;
    assert_int_equal(vhdx_block_status(img, 6 * MiB, V - 6 * MiB, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_ZERO);
    assert_int_equal(run, 5 * MiB);
    assert_int_equal(vhdx_block_status(img, 11 * MiB, V - 11 * MiB, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_DATA);
    assert_int_equal(run, 2 * MiB);
    /* errors */
    vhdx_extent x;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_extent_at(img, V, 1, &x, &d), VHDX_E_RANGE);
    assert_int_equal(d.offset, V);
    assert_int_equal(vhdx_extent_at(img, V - 1, 2, &x, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_extent_at(img, UINT64_MAX, 2, &x, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_extent_at(img, 0, 0, &x, NULL), VHDX_E_MISUSE);
    assert_int_equal(vhdx_extent_at(img, 0, 1, NULL, NULL), VHDX_E_MISUSE);
    assert_int_equal(vhdx_extent_at(NULL, 0, 1, &x, NULL), VHDX_E_MISUSE);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

static void mk(const char *path, vhdx_disk_type t, uint64_t size, uint32_t bs, const char *parent)
{
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.type = t;
    p.virtual_size = size;
    p.block_size = bs;
    p.parent_path = parent;
    unlink(path);
    assert_int_equal(vhdx_create(path, &p, NULL), VHDX_OK);
}

static vhdx_image *op(const char *path, unsigned flags)
{
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    vhdx_image *img = NULL;
    assert_int_equal(vhdx_open_file(&img, path, &o, NULL), VHDX_OK);
    return img;
}

static void wr(const char *path, uint64_t off, size_t n, uint8_t v)
{
    vhdx_image *img = op(path, VHDX_OPEN_RDWR);
    uint8_t *b = malloc(n);
    assert_non_null(b);
    memset(b, v, n);
    assert_int_equal(vhdx_write(img, off, b, n, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    free(b);
}

/* the host bytes at an extent's offset are the ones written there */
static void host_has(const char *path, uint64_t foff, uint8_t v)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t b = 0;
    assert_int_equal(pread(fd, &b, 1, (off_t)foff), 1);
    close(fd);
    assert_int_equal(b, v);
}

/* parent dynamic 8 MiB (1 MiB blocks): block 0 written, 512 bytes in block 3 (the whole
 * block allocated). Child of the parent's size: 4 KiB at 1 MiB + 8 KiB (block 1
 * PARTIALLY_PRESENT). The child's map: parent data at depth 1, bitmap runs, parent holes
 * merged across child blocks, the child's own data at depth 0. */
static void test_differencing_depth(void **s)
{
    (void)s;
    mk(P("p.vhdx"), VHDX_TYPE_DYNAMIC, 8 * MiB, (uint32_t)MiB, NULL);
    wr(P("p.vhdx"), 0, (size_t)MiB, 0x11);
    wr(P("p.vhdx"), 3 * MiB + 512, 512, 0x33);
    mk(P("c.vhdx"), VHDX_TYPE_DIFFERENCING, 0, (uint32_t)MiB, P("p.vhdx"));
    wr(P("c.vhdx"), MiB + 8192, 4096, 0x22);
    vhdx_image *img = op(P("c.vhdx"), 0);
    const uint64_t V = 8 * MiB;
    vhdx_extent x;
    assert_int_equal(vhdx_extent_at(img, 0, V, &x, NULL), VHDX_OK);
    assert_int_equal(x.length, MiB);
    assert_int_equal(x.depth, 1);
    assert_int_equal(x.state, VHDX_EXTENT_DATA);
    host_has(P("p.vhdx"), x.offset, 0x11);
    host_has(P("p.vhdx"), x.offset + MiB - 1, 0x11);
    expect(img, MiB, V - MiB, 8192, VHDX_EXTENT_NOT_PRESENT, 1, 1, 0, 0, 0);
    assert_int_equal(vhdx_extent_at(img, MiB + 8192, V - MiB - 8192, &x, NULL), VHDX_OK);
    assert_int_equal(x.length, 4096);
    assert_int_equal(x.depth, 0);
    assert_int_equal(x.state, VHDX_EXTENT_DATA);
    assert_true(x.data && !x.zero && x.present);
    host_has(P("c.vhdx"), x.offset, 0x22);
    host_has(P("c.vhdx"), x.offset + 4095, 0x22);
    host_has(P("c.vhdx"), x.offset - 1, 0x00);
    /* rest of child block 1 and child block 2 are the parent's NOT_PRESENT blocks 1, 2 */
    expect(img, MiB + 12288, V - MiB - 12288, 2 * MiB - 12288, VHDX_EXTENT_NOT_PRESENT, 1, 1, 0, 0, 0);
    /* parent block 3: only its first host page was written (the rest of a new block is
     * a hole of the host file: zeros, not data) */
    assert_int_equal(vhdx_extent_at(img, 3 * MiB, V - 3 * MiB, &x, NULL), VHDX_OK);
    assert_int_equal(x.length, 4096);
    assert_int_equal(x.depth, 1);
    assert_int_equal(x.state, VHDX_EXTENT_DATA);
    assert_true(x.data && !x.zero);
    host_has(P("p.vhdx"), x.offset + 512, 0x33);
    host_has(P("p.vhdx"), x.offset + 511, 0x00);
    expect(img, 3 * MiB + 4096, V - 3 * MiB - 4096, MiB - 4096, VHDX_EXTENT_DATA, 1, 1, 0, 1,
           x.offset + 4096);
    expect(img, 4 * MiB, V - 4 * MiB, 4 * MiB, VHDX_EXTENT_NOT_PRESENT, 1, 1, 0, 0, 0);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* without the parent: the child's own state, bytes unknown (neither zero nor data) */
    img = op(P("c.vhdx"), VHDX_OPEN_NO_PARENT);
    expect(img, 0, V, MiB + 8192, VHDX_EXTENT_NOT_PRESENT, 0, 0, 0, 0, 0);
    uint64_t run = 0;
    int st = -1;
    assert_int_equal(vhdx_block_status(img, 0, V, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_DATA);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* a child with 2 MiB blocks over the parent's 1 MiB blocks: one parent block at a time */
    mk(P("c2.vhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, P("p.vhdx"));
    img = op(P("c2.vhdx"), 0);
    assert_int_equal(vhdx_extent_at(img, 0, V, &x, NULL), VHDX_OK);
    assert_int_equal(x.length, MiB);
    assert_int_equal(x.depth, 1);
    assert_int_equal(x.state, VHDX_EXTENT_DATA);
    expect(img, MiB, V - MiB, 2 * MiB, VHDX_EXTENT_NOT_PRESENT, 1, 1, 0, 0, 0);
    assert_int_equal(vhdx_extent_at(img, 3 * MiB, V - 3 * MiB, &x, NULL), VHDX_OK);
    assert_int_equal(x.length, 4096);
    assert_int_equal(x.depth, 1);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    unlink(P("p.vhdx"));
    unlink(P("c.vhdx"));
    unlink(P("c2.vhdx"));
}

/* A fixed 64 MiB image made by vhdx_create is a sparse file; 4 KiB written at 9 MiB + 4 KiB
 * is the only host data of the payload. Through the file backend the payload maps as holes
 * around that page; through a memory backend (no hole information) as one data extent. */
static void test_fixed_sparse_host(void **s)
{
    (void)s;
    mk(P("f.vhdx"), VHDX_TYPE_FIXED, 64 * MiB, 0, NULL);
    wr(P("f.vhdx"), 9 * MiB + 4096, 4096, 0x44);
    vhdx_image *img = op(P("f.vhdx"), 0);
    const uint64_t V = 64 * MiB;
    vhdx_extent x;
    assert_int_equal(vhdx_extent_at(img, 0, V, &x, NULL), VHDX_OK);
    uint64_t base = x.offset;
    assert_int_equal(base % MiB, 0);
    expect(img, 0, V, 9 * MiB + 4096, VHDX_EXTENT_DATA, 0, 1, 0, 1, base);
    expect(img, 9 * MiB + 4096, V - 9 * MiB - 4096, 4096, VHDX_EXTENT_DATA, 0, 0, 1, 1,
           base + 9 * MiB + 4096);
    host_has(P("f.vhdx"), base + 9 * MiB + 4096, 0x44);
    expect(img, 9 * MiB + 8192, V - 9 * MiB - 8192, V - 9 * MiB - 8192, VHDX_EXTENT_DATA, 0, 1,
           0, 1, base + 9 * MiB + 8192);
    uint64_t run = 0;
    int st = -1;
    assert_int_equal(vhdx_block_status(img, 0, V, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_ZERO);
    assert_int_equal(run, 9 * MiB + 4096);
    assert_int_equal(vhdx_close(img), VHDX_OK);

    /* the same bytes in memory */
    int fd = open(P("f.vhdx"), O_RDONLY);
    assert_true(fd >= 0);
    struct stat stt;
    assert_int_equal(fstat(fd, &stt), 0);
    uint8_t *all = malloc((size_t)stt.st_size);
    assert_non_null(all);
    assert_int_equal(pread(fd, all, (size_t)stt.st_size, 0), stt.st_size);
    close(fd);
    vhdx_io io;
    assert_int_equal(vhdx_io_mem_open(&io, all, (size_t)stt.st_size, 0), VHDX_OK);
    assert_null(io.data_status);
    free(all);
    assert_int_equal(vhdx_open(&img, &io, 1, NULL, NULL), VHDX_OK);
    expect(img, 0, V, V, VHDX_EXTENT_DATA, 0, 0, 1, 1, base);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    unlink(P("f.vhdx"));
}

/* the file backend's callback itself: data, hole, hole at the end, len bounds the run */
static void test_io_file_data_status(void **s)
{
    (void)s;
    int fd = open(P("h.bin"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    uint8_t b[4096];
    memset(b, 1, sizeof b);
    assert_int_equal(pwrite(fd, b, sizeof b, (off_t)MiB), 4096);
    assert_int_equal(ftruncate(fd, (off_t)(4 * MiB)), 0);
    close(fd);
    vhdx_io io;
    assert_int_equal(vhdx_io_file_open(&io, P("h.bin"), VHDX_IO_READ), VHDX_OK);
    assert_non_null(io.data_status);
    uint64_t run = 0;
    int d = -1;
    assert_int_equal(io.data_status(io.ctx, 0, 4 * MiB, &run, &d), VHDX_OK);
    assert_int_equal(d, 0);
    assert_int_equal(run, MiB);
    assert_int_equal(io.data_status(io.ctx, 4096, 100, &run, &d), VHDX_OK);
    assert_int_equal(d, 0);
    assert_int_equal(run, 100);
    assert_int_equal(io.data_status(io.ctx, MiB, 4 * MiB, &run, &d), VHDX_OK);
    assert_int_equal(d, 1);
    assert_int_equal(run, 4096);
    assert_int_equal(io.data_status(io.ctx, MiB + 4096, 3 * MiB - 4096, &run, &d), VHDX_OK);
    assert_int_equal(d, 0);
    assert_int_equal(run, 3 * MiB - 4096);
    assert_int_equal(io.data_status(io.ctx, 8 * MiB, 10, &run, &d), VHDX_OK);
    assert_int_equal(d, 0);
    assert_int_equal(run, 10);
    vhdx_io_destroy(&io);
    unlink(P("h.bin"));
}

/* 64 TiB dynamic (32 MiB blocks, 2 Mi BAT entries) with 4 KiB written into the last
 * block: three extents cover the disk (the block's unwritten rest is a host hole) */
static void test_64tib(void **s)
{
    (void)s;
    const uint64_t V = 64 * TiB;
    mk(P("big.vhdx"), VHDX_TYPE_DYNAMIC, V, 0, NULL);
    wr(P("big.vhdx"), V - 32 * MiB, 4096, 0x55);
    vhdx_image *img = op(P("big.vhdx"), 0);
    expect(img, 0, V, V - 32 * MiB, VHDX_EXTENT_NOT_PRESENT, 0, 1, 0, 0, 0);
    vhdx_extent x;
    assert_int_equal(vhdx_extent_at(img, V - 32 * MiB, 32 * MiB, &x, NULL), VHDX_OK);
    assert_int_equal(x.length, 4096);
    assert_int_equal(x.state, VHDX_EXTENT_DATA);
    host_has(P("big.vhdx"), x.offset, 0x55);
    expect(img, V - 32 * MiB + 4096, 32 * MiB - 4096, 32 * MiB - 4096, VHDX_EXTENT_DATA, 0, 1, 0,
           1, x.offset + 4096);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    unlink(P("big.vhdx"));
}

/* vhdx_write of a whole block of zeros leaves it unallocated (ZERO in a differencing
 * child, hiding the parent); vhdx_write_zeroes makes whole blocks ZERO without data, writes
 * zero bytes into partial ones, and keeps a fixed image's blocks allocated */
static void test_write_zeroes(void **s)
{
    (void)s;
    const uint64_t V = 8 * MiB;
    uint8_t *z = calloc(1, 2 * MiB), *b = malloc(MiB);
    assert_non_null(z);
    assert_non_null(b);
    memset(b, 0x66, MiB);
    mk(P("z.vhdx"), VHDX_TYPE_DYNAMIC, V, (uint32_t)MiB, NULL);
    vhdx_image *img = op(P("z.vhdx"), VHDX_OPEN_RDWR);
    assert_int_equal(vhdx_write(img, MiB, z, 2 * MiB, NULL), VHDX_OK);
    expect(img, 0, V, V, VHDX_EXTENT_NOT_PRESENT, 0, 1, 0, 0, 0);
    assert_int_equal(vhdx_write(img, 4 * MiB, b, MiB, NULL), VHDX_OK);
    assert_int_equal(vhdx_write(img, 5 * MiB, b, MiB, NULL), VHDX_OK);
    vhdx_extent x;
    assert_int_equal(vhdx_extent_at(img, 5 * MiB, MiB, &x, NULL), VHDX_OK);
    uint64_t o5 = x.offset;
    assert_int_equal(vhdx_write_zeroes(img, 4 * MiB, MiB + 4096, NULL), VHDX_OK);
    expect(img, 4 * MiB, V - 4 * MiB, MiB, VHDX_EXTENT_ZERO, 0, 1, 0, 1, 0);
    expect(img, 5 * MiB, V - 5 * MiB, MiB, VHDX_EXTENT_DATA, 0, 0, 1, 1, o5); /* bytes */
    uint8_t got[8192];
    assert_int_equal(vhdx_read(img, 5 * MiB, got, sizeof got, NULL), VHDX_OK);
    for (size_t i = 0; i < sizeof got; i++) assert_int_equal(got[i], i < 4096 ? 0 : 0x66);
    assert_int_equal(vhdx_write_zeroes(img, V, 1, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_write_zeroes(img, 0, 0, NULL), VHDX_OK);
    assert_int_equal(vhdx_write_zeroes(NULL, 0, 1, NULL), VHDX_E_MISUSE);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    img = op(P("z.vhdx"), 0);
    assert_int_equal(vhdx_write_zeroes(img, 0, 1, NULL), VHDX_E_READONLY);
    assert_int_equal(vhdx_close(img), VHDX_OK);

    /* differencing: zeros hide the parent's data */
    mk(P("zp.vhdx"), VHDX_TYPE_DYNAMIC, V, (uint32_t)MiB, NULL);
    wr(P("zp.vhdx"), 0, (size_t)V, 0x77);
    mk(P("zc.vhdx"), VHDX_TYPE_DIFFERENCING, 0, (uint32_t)MiB, P("zp.vhdx"));
    img = op(P("zc.vhdx"), VHDX_OPEN_RDWR);
    assert_int_equal(vhdx_write(img, MiB, z, MiB, NULL), VHDX_OK);
    assert_int_equal(vhdx_write_zeroes(img, 3 * MiB, MiB + 512, NULL), VHDX_OK);
    expect(img, MiB, MiB, MiB, VHDX_EXTENT_ZERO, 0, 1, 0, 1, 0);
    expect(img, 3 * MiB, MiB, MiB, VHDX_EXTENT_ZERO, 0, 1, 0, 1, 0);
    assert_int_equal(vhdx_read(img, 4 * MiB, got, 1024, NULL), VHDX_OK);
    for (size_t i = 0; i < 1024; i++) assert_int_equal(got[i], i < 512 ? 0 : 0x77);
    assert_int_equal(vhdx_read(img, MiB - 1, got, 2, NULL), VHDX_OK);
    assert_int_equal(got[0], 0x77);
    assert_int_equal(got[1], 0);
    assert_int_equal(vhdx_close(img), VHDX_OK);

    /* fixed: blocks stay allocated (LeaveBlockAllocated), the bytes become zeros */
    mk(P("zf.vhdx"), VHDX_TYPE_FIXED, V, (uint32_t)MiB, NULL);
    wr(P("zf.vhdx"), 2 * MiB, (size_t)MiB, 0x88);
    img = op(P("zf.vhdx"), VHDX_OPEN_RDWR);
    assert_int_equal(vhdx_extent_at(img, 2 * MiB, MiB, &x, NULL), VHDX_OK);
    assert_int_equal(x.state, VHDX_EXTENT_DATA);
    assert_int_equal(vhdx_write_zeroes(img, 2 * MiB, MiB, NULL), VHDX_OK);
    assert_int_equal(vhdx_read(img, 2 * MiB, got, sizeof got, NULL), VHDX_OK);
    for (size_t i = 0; i < sizeof got; i++) assert_int_equal(got[i], 0);
    vhdx_info in;
    assert_int_equal(vhdx_get_info(img, &in), VHDX_OK);
    assert_int_equal(in.bat.payload[VHDX_PB_FULLY_PRESENT], 8);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    free(z);
    free(b);
    unlink(P("z.vhdx"));
    unlink(P("zp.vhdx"));
    unlink(P("zc.vhdx"));
    unlink(P("zf.vhdx"));
}

int main(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/vhdx-status-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_state),
        cmocka_unit_test(test_differencing_depth),
        cmocka_unit_test(test_fixed_sparse_host),
        cmocka_unit_test(test_io_file_data_status),
        cmocka_unit_test(test_64tib),
        cmocka_unit_test(test_write_zeroes),
    };
    int rc = cmocka_run_group_tests_name("status", tests, NULL, NULL);
    rmdir(tmpdir);
    return rc;
}
