/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_read.c - virtual disk reads and in-place writes ([MS-VHDX 2.5], R73): fixed and
 * dynamic images with 512 and 4096-byte logical sectors, reads across blocks and across
 * the sector-bitmap slot of the BAT, every non-present state reading as zeros (never from
 * FileOffsetMB), range errors, block status, writes into FULLY_PRESENT blocks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "builder.h"

static vhdx_image *open_ok(vb_image *im, unsigned flags)
{
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vb_open(im, flags, &img, &d);
    if (rc != VHDX_OK) {
        char msg[300];
        vhdx_diag_format(&d, "builder", msg, sizeof msg);
        print_error("%s\n", msg);
    }
    assert_int_equal(rc, VHDX_OK);
    return img;
}

/* reads [off, off+len) and compares with the pattern (or zeros) */
static void expect_read(vhdx_image *img, uint64_t off, size_t len, int pattern)
{
    uint8_t *got = malloc(len), *want = malloc(len);
    assert_non_null(got);
    assert_non_null(want);
    memset(got, 0xEE, len);
    if (pattern) vb_pattern(off, want, len);
    else memset(want, 0, len);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_read(img, off, got, len, &d), VHDX_OK);
    assert_memory_equal(got, want, len);
    free(got);
    free(want);
}

static void fixed_full(uint32_t lss, uint32_t bs, uint64_t vsize)
{
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_FIXED, vsize, bs, lss), VHDX_OK);
    vhdx_image *img = open_ok(&im, 0);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.type, VHDX_TYPE_FIXED);
    assert_int_equal(info.logical_sector_size, lss);
    assert_int_equal(info.virtual_size, vsize);
    assert_int_equal(info.bat.payload[VHDX_PB_FULLY_PRESENT], info.payload_blocks);
    /* whole disk in one call, then pieces straddling every block boundary */
    expect_read(img, 0, (size_t)vsize, 1);
    for (uint64_t b = 1; b * bs < vsize; b++) expect_read(img, b * bs - 3 * lss, 7 * lss, 1);
    /* odd offsets and lengths are bytes, not sectors */
    expect_read(img, bs - 1, 2, 1);
    expect_read(img, vsize - 1, 1, 1);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

static void test_fixed_512(void **s) { (void)s; fixed_full(512, (uint32_t)MiB, 5 * MiB); }
static void test_fixed_4096(void **s) { (void)s; fixed_full(4096, 2 * (uint32_t)MiB, 7 * MiB); }
/* the last block lies partly beyond the virtual disk */
static void test_fixed_partial_last_block(void **s) { (void)s; fixed_full(512, 2 * (uint32_t)MiB, 5 * MiB + 512); }

static void dynamic_states(uint32_t lss)
{
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 16 * MiB, (uint32_t)MiB, lss), VHDX_OK);
    uint64_t off2 = vb_alloc_block(&im, 2, 1);
    vb_alloc_block(&im, 3, 1);
    uint64_t off9 = vb_alloc_block(&im, 9, 1);
    /* UNDEFINED / UNMAPPED blocks pointing at real data must still read as zeros:
     * stale host data never leaks (footnote <11>, libvhdi #17) */
    uint64_t spare = vb_alloc_block(&im, 10, 1);
    vb_bat_set(&im, vb_pb_index(&im, 10), fmt_bat_make(VHDX_PB_UNMAPPED, spare));
    vb_bat_set(&im, vb_pb_index(&im, 4), fmt_bat_make(VHDX_PB_ZERO, 0));
    vb_bat_set(&im, vb_pb_index(&im, 5), fmt_bat_make(VHDX_PB_UNDEFINED, 0));
    vb_bat_set(&im, vb_pb_index(&im, 6), fmt_bat_make(VHDX_PB_UNMAPPED, 0));
    (void)off2;
    (void)off9;
    vhdx_image *img = open_ok(&im, 0);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.type, VHDX_TYPE_DYNAMIC);
    assert_int_equal(info.bat.payload[VHDX_PB_FULLY_PRESENT], 3);
    assert_int_equal(info.bat.payload[VHDX_PB_NOT_PRESENT], 9);
    assert_int_equal(info.bat.payload[VHDX_PB_ZERO], 1);
    assert_int_equal(info.bat.payload[VHDX_PB_UNDEFINED], 1);
    assert_int_equal(info.bat.payload[VHDX_PB_UNMAPPED], 2);
    for (uint64_t b = 0; b < 16; b++)
        expect_read(img, b * MiB, (size_t)MiB, b == 2 || b == 3 || b == 9);
    /* across NOT_PRESENT -> FULLY_PRESENT -> FULLY_PRESENT -> ZERO */
    uint8_t *buf = malloc(3 * MiB), *want = malloc(3 * MiB);
    assert_non_null(buf);
    assert_non_null(want);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_read(img, 2 * MiB - lss, buf, 2 * MiB + 2 * lss, &d), VHDX_OK);
    memset(want, 0, lss);
    vb_pattern(2 * MiB, want + lss, 2 * MiB);
    memset(want + lss + 2 * MiB, 0, lss);
    assert_memory_equal(buf, want, 2 * MiB + 2 * lss);
    free(buf);
    free(want);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

static void test_dynamic_states_512(void **s) { (void)s; dynamic_states(512); }
static void test_dynamic_states_4096(void **s) { (void)s; dynamic_states(4096); }

/* NOT_PRESENT/ZERO with a FileOffsetMB (D13, tolerated) still read as zeros */
static void test_not_present_with_offset_reads_zeros(void **s)
{
    (void)s;
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 8 * MiB, (uint32_t)MiB, 512), VHDX_OK);
    uint64_t o1 = vb_alloc_block(&im, 1, 1);
    uint64_t o2 = vb_alloc_block(&im, 2, 1);
    vb_bat_set(&im, vb_pb_index(&im, 1), fmt_bat_make(VHDX_PB_NOT_PRESENT, o1));
    vb_bat_set(&im, vb_pb_index(&im, 2), fmt_bat_make(VHDX_PB_ZERO, o2));
    vhdx_image *img = open_ok(&im, 0);
    expect_read(img, MiB, (size_t)(2 * MiB), 0);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

/* 4 GiB + 2 MiB, 1 MiB blocks, LSS 512: CR 4096; block 4096 is BAT index 4097 (index
 * 4096 is the SB slot of chunk 0) */
static void test_read_across_sb_slot(void **s)
{
    (void)s;
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 4 * GiB + 2 * MiB, (uint32_t)MiB, 512), VHDX_OK);
    assert_int_equal(im.geo.chunk_ratio, 4096);
    assert_int_equal(im.geo.bat_entries, 4099);
    assert_int_equal(vb_pb_index(&im, 4096), 4097);
    vb_alloc_block(&im, 4095, 1);
    vb_alloc_block(&im, 4096, 1);
    vb_alloc_block(&im, 4097, 1);
    vhdx_image *img = open_ok(&im, 0);
    expect_read(img, 4095 * MiB + 4096, (size_t)(3 * MiB - 8192), 1);
    expect_read(img, 4094 * MiB, (size_t)MiB, 0);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.bat.sector_bitmap[VHDX_SB_NOT_PRESENT], 1);
    assert_int_equal(info.bat.payload[VHDX_PB_FULLY_PRESENT], 3);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

static void test_range_errors(void **s)
{
    (void)s;
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 8 * MiB, (uint32_t)MiB, 512), VHDX_OK);
    vhdx_image *img = open_ok(&im, 0);
    uint8_t buf[1024];
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_read(img, 8 * MiB - 512, buf, 512, &d), VHDX_OK);
    assert_int_equal(vhdx_read(img, 8 * MiB, buf, 0, &d), VHDX_OK);
    assert_int_equal(vhdx_read(img, 8 * MiB - 512, buf, 513, &d), VHDX_E_RANGE);
    assert_int_equal(d.code, VHDX_E_RANGE);
    assert_int_equal(d.offset, 8 * MiB - 512);
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_read(img, 8 * MiB, buf, 1, &d), VHDX_E_RANGE);
    assert_int_equal(vhdx_read(img, UINT64_MAX, buf, 2, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_read(img, UINT64_MAX - 1, buf, 1024, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_read(img, 0, NULL, 1, NULL), VHDX_E_MISUSE);
    uint64_t run;
    int st;
    assert_int_equal(vhdx_block_status(img, 8 * MiB, 1, &run, &st, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_block_status(img, 0, 0, &run, &st, NULL), VHDX_E_MISUSE);
    /* read-only image */
    assert_int_equal(vhdx_write(img, 0, buf, 512, &d), VHDX_E_READONLY);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

static void test_block_status_runs(void **s)
{
    (void)s;
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 16 * MiB, (uint32_t)MiB, 512), VHDX_OK);
    vb_alloc_block(&im, 4, 1);
    vb_alloc_block(&im, 5, 1);
    vb_bat_set(&im, vb_pb_index(&im, 8), fmt_bat_make(VHDX_PB_ZERO, 0));
    vhdx_image *img = open_ok(&im, 0);
    uint64_t run = 0;
    int st = -1;
    assert_int_equal(vhdx_block_status(img, 0, 16 * MiB, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_ZERO);
    assert_int_equal(run, 4 * MiB);
    assert_int_equal(vhdx_block_status(img, 4 * MiB + 512, 12 * MiB - 512, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_DATA);
    assert_int_equal(run, 2 * MiB - 512);
    assert_int_equal(vhdx_block_status(img, 6 * MiB, 10 * MiB, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_ZERO);
    assert_int_equal(run, 10 * MiB);
    /* len bounds the run */
    assert_int_equal(vhdx_block_status(img, 4 * MiB, 1000, &run, &st, NULL), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_DATA);
    assert_int_equal(run, 1000);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

/* writes into FULLY_PRESENT blocks go straight to the payload (R34), after a header
 * update that changes DataWriteGuid (R13) */
static void test_write_fully_present(void **s)
{
    (void)s;
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_FIXED, 4 * MiB, (uint32_t)MiB, 512), VHDX_OK);
    fmt_header before;
    vb_header_get(&im, 1, &before);
    uint64_t blk1 = fmt_bat_offset(vb_bat_get(&im, vb_pb_index(&im, 1)));
    vhdx_image *img = open_ok(&im, VHDX_OPEN_RDWR);
    size_t n = 4096 + 17;
    uint8_t *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++) data[i] = (uint8_t)(i * 7 + 3);
    uint64_t voff = 2 * MiB - 4096; /* straddles blocks 1 and 2 */
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_write(img, voff, data, n, &d), VHDX_OK);
    uint8_t *back = malloc(n);
    assert_non_null(back);
    assert_int_equal(vhdx_read(img, voff, back, n, &d), VHDX_OK);
    assert_memory_equal(back, data, n);
    expect_read(img, 0, (size_t)(MiB - 1), 1);
    assert_int_equal(vhdx_flush(img, &d), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* payload bytes are in block 1 at the in-block offset */
    vb_read(&im, blk1 + MiB - 4096, back, 4096);
    assert_memory_equal(back, data, 4096);
    /* the current header changed DataWriteGuid; the log stayed clean */
    fmt_header a0, a1;
    vb_header_get(&im, 0, &a0);
    vb_header_get(&im, 1, &a1);
    const fmt_header *cur = a0.sequence_number > a1.sequence_number ? &a0 : &a1;
    assert_false(vhdx_guid_equal(&cur->data_write_guid, &before.data_write_guid));
    assert_true(vhdx_guid_is_zero(&cur->log_guid));
    /* reopen: the data persisted */
    img = open_ok(&im, 0);
    assert_int_equal(vhdx_read(img, voff, back, n, &d), VHDX_OK);
    assert_memory_equal(back, data, n);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    free(data);
    free(back);
    vb_free(&im);
}

/* writes into a NOT_PRESENT block allocate it (image_write.c) and survive a reopen */
static void test_write_allocates(void **s)
{
    (void)s;
    vb_image im;
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 8 * MiB, (uint32_t)MiB, 4096), VHDX_OK);
    vhdx_image *img = open_ok(&im, VHDX_OPEN_RDWR);
    uint8_t data[8192];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i ^ 0x5A);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_write(img, 3 * MiB + 4096, data, sizeof data, &d), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    img = open_ok(&im, 0);
    uint8_t back[8192];
    assert_int_equal(vhdx_read(img, 3 * MiB + 4096, back, sizeof back, &d), VHDX_OK);
    assert_memory_equal(back, data, sizeof data);
    expect_read(img, 3 * MiB, 4096, 0);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.bat.payload[VHDX_PB_FULLY_PRESENT], 1);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

/* differencing: each state routed to this file, the parent or zeros; sector bitmap runs
 * in block status (convert leaves holes where neither file holds data) */
static void test_differencing_routing(void **s)
{
    (void)s;
    char dir[] = "/tmp/vhdx-diff-XXXXXX", ppath[64], cpath[64];
    assert_non_null(mkdtemp(dir));
    snprintf(ppath, sizeof ppath, "%s/parent.vhdx", dir);
    snprintf(cpath, sizeof cpath, "%s/child.vhdx", dir);
    vb_image par, ch;
    assert_int_equal(vb_build_simple(&par, VHDX_TYPE_DYNAMIC, 8 * MiB, (uint32_t)MiB, 512), VHDX_OK);
    vb_alloc_block(&par, 0, 1);
    vb_alloc_block(&par, 2, 1);
    assert_int_equal(vb_save(&par, ppath, 0), VHDX_OK);
    vb_params p;
    vb_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.virtual_size = 8 * MiB;
    assert_int_equal(vb_build(&ch, &p), VHDX_OK);
    uint64_t b0 = vb_alloc_block(&ch, 0, 0);
    uint8_t mine[4096];
    memset(mine, 0xC1, sizeof mine);
    vb_write(&ch, b0, mine, sizeof mine);
    vb_bat_set(&ch, vb_pb_index(&ch, 0), fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, b0));
    uint64_t sb = vb_alloc_sb(&ch, 0, 0);
    vb_put8(&ch, sb, 0xFF);                 /* sectors 0-7 of block 0 are in the child */
    vb_bat_set(&ch, vb_pb_index(&ch, 2), fmt_bat_make(VHDX_PB_ZERO, 0));
    vb_bat_set(&ch, vb_pb_index(&ch, 3), fmt_bat_make(VHDX_PB_UNMAPPED, 0));
    assert_int_equal(vb_save(&ch, cpath, 0), VHDX_OK);

    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.parent_path = ppath;
    o.flags = VHDX_OPEN_IGNORE_LINKAGE;
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_open_file(&img, cpath, &o, &d), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.type, VHDX_TYPE_DIFFERENCING);
    assert_int_equal(info.chain_depth, 2);
    uint8_t buf[8192];
    assert_int_equal(vhdx_read(img, 0, buf, 4096, &d), VHDX_OK);
    assert_memory_equal(buf, mine, 4096);
    expect_read(img, 4096, (size_t)MiB - 4096, 1);    /* parent's block 0 */
    expect_read(img, MiB, (size_t)(7 * MiB), 0);       /* ZERO hides the parent's block 2 */
    uint64_t run;
    int st;
    assert_int_equal(vhdx_block_status(img, 0, 8 * MiB, &run, &st, &d), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_DATA);
    assert_int_equal(run, MiB); /* child sectors, then the parent's data */
    assert_int_equal(vhdx_block_status(img, MiB, 7 * MiB, &run, &st, &d), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_ZERO);
    assert_int_equal(run, 7 * MiB);
    assert_int_equal(vhdx_close(img), VHDX_OK);

    /* without the parent: the child's own sectors read, the parent's fail */
    o.parent_path = NULL;
    o.flags = VHDX_OPEN_NO_PARENT;
    assert_int_equal(vhdx_open_file(&img, cpath, &o, &d), VHDX_OK);
    assert_int_equal(vhdx_read(img, 0, buf, 4096, &d), VHDX_OK);
    assert_memory_equal(buf, mine, 4096);
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_read(img, 4096, buf, 512, &d), VHDX_E_PARENT_NOT_FOUND);
    assert_int_equal(vhdx_read(img, 2 * MiB, buf, 512, &d), VHDX_OK); /* ZERO */
    assert_int_equal(vhdx_block_status(img, 4096, MiB, &run, &st, &d), VHDX_OK);
    assert_int_equal(st, VHDX_BLOCK_DATA); /* unknown: never a silent hole */
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&par);
    vb_free(&ch);
    unlink(ppath);
    unlink(cpath);
    rmdir(dir);
}

/* the memory and file backends: EOF, growth cap */
static void test_io_backends(void **s)
{
    (void)s;
    vhdx_io io;
    uint8_t b[16] = { 1, 2, 3 };
    assert_int_equal(vhdx_io_mem_open(&io, b, 3, 10), VHDX_OK);
    uint8_t r[16];
    assert_int_equal(io.read_at(io.ctx, 0, r, 3), VHDX_OK);
    assert_int_equal(io.read_at(io.ctx, 1, r, 3), VHDX_E_IO_EOF);
    assert_int_equal(io.write_at(io.ctx, 8, b, 2), VHDX_OK);
    size_t n;
    const uint8_t *p = vhdx_io_mem_data(&io, &n);
    assert_int_equal(n, 10);
    assert_int_equal(p[5], 0);
    assert_int_equal(p[8], 1);
    assert_int_equal(io.write_at(io.ctx, 9, b, 2), VHDX_E_IO);
    assert_int_equal(io.set_size(io.ctx, 4), VHDX_OK);
    uint64_t sz;
    assert_int_equal(io.get_size(io.ctx, &sz), VHDX_OK);
    assert_int_equal(sz, 4);
    vhdx_io_destroy(&io);
    assert_null(vhdx_io_mem_data(&io, &n));

    char path[] = "/tmp/vhdx-io-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(vhdx_io_file_open(&io, path, VHDX_IO_RDWR | VHDX_IO_CREATE), VHDX_E_EXISTS);
    assert_int_equal(vhdx_io_file_open(&io, path, VHDX_IO_RDWR), VHDX_OK);
    assert_int_equal(io.write_at(io.ctx, 4096, b, 3), VHDX_OK);
    assert_int_equal(io.flush(io.ctx), VHDX_OK);
    assert_int_equal(io.get_size(io.ctx, &sz), VHDX_OK);
    assert_int_equal(sz, 4099);
    assert_int_equal(io.read_at(io.ctx, 4096, r, 3), VHDX_OK);
    assert_memory_equal(r, b, 3);
    assert_int_equal(io.read_at(io.ctx, 4097, r, 3), VHDX_E_IO_EOF);
    assert_int_equal(io.read_at(io.ctx, UINT64_MAX - 1, r, 3), VHDX_E_IO_EOF);
    vhdx_io_destroy(&io);
    unlink(path);
    assert_int_equal(vhdx_io_file_open(&io, path, VHDX_IO_READ), VHDX_E_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_512),
        cmocka_unit_test(test_fixed_4096),
        cmocka_unit_test(test_fixed_partial_last_block),
        cmocka_unit_test(test_dynamic_states_512),
        cmocka_unit_test(test_dynamic_states_4096),
        cmocka_unit_test(test_not_present_with_offset_reads_zeros),
        cmocka_unit_test(test_read_across_sb_slot),
        cmocka_unit_test(test_range_errors),
        cmocka_unit_test(test_block_status_runs),
        cmocka_unit_test(test_write_fully_present),
        cmocka_unit_test(test_write_allocates),
        cmocka_unit_test(test_differencing_routing),
        cmocka_unit_test(test_io_backends),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
