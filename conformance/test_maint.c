/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_maint.c - vhdx_resize, vhdx_discard, vhdx_compact (issue 12): exact results of each
 * operation on dynamic, fixed and differencing images (content, BAT states, file size,
 * refusals with their codes), the BAT region growing in place and moving to the end of the
 * file, the first log of a LogLength 0 image, and a PARTIALLY_PRESENT block becoming
 * FULLY_PRESENT (its chunk's sector bitmap released). Every image passes vhdx_check after.
 * ctest-labels: libuuid
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
#include "memimg.h"

static void fill(uint8_t *b, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)((i * 131 + seed * 7) % 251 + 1);
}

static vhdx_image *mk(vhdx_io *io, vhdx_disk_type type, uint64_t vs, const char *parent)
{
    vhdx_open_opts o;
    vhdx_image *img;
    memimg_create(io, type, vs, parent);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    o.parent_path = parent;
    assert_int_equal(vhdx_open(&img, io, 0, &o, NULL), VHDX_OK);
    return img;
}

static void wr(vhdx_image *img, uint64_t off, size_t len, uint64_t seed)
{
    uint8_t *b = malloc(len);
    assert_non_null(b);
    fill(b, len, seed);
    assert_int_equal(vhdx_write(img, off, b, len, NULL), VHDX_OK);
    free(b);
}

/* bytes [off, off+len) equal the pattern of seed (seed 0: zeros) */
static void expect(vhdx_image *img, uint64_t off, size_t len, uint64_t seed)
{
    uint8_t *b = malloc(len), *w = calloc(1, len);
    assert_non_null(b);
    assert_non_null(w);
    if (seed) fill(w, len, seed);
    assert_int_equal(vhdx_read(img, off, b, len, NULL), VHDX_OK);
    assert_memory_equal(b, w, len);
    free(b);
    free(w);
}

static void info(vhdx_image *img, vhdx_info *in) { assert_int_equal(vhdx_get_info(img, in), VHDX_OK); }

static void close_check(vhdx_image *img, vhdx_io *io, const char *parent)
{
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_check_opts_default(&co);
    co.parent_path = parent;
    assert_int_equal(vhdx_check(io, NULL, &co, &rep), VHDX_OK);
    for (size_t i = 0; i < rep->count; i++)
        fprintf(stderr, "finding %s at %llu\n", vhdx_status_name(rep->findings[i].code),
                (unsigned long long)rep->findings[i].offset);
    assert_int_equal(rep->errors, 0);
    assert_int_equal(rep->warnings, 0);
    vhdx_report_free(rep);
    vhdx_io_destroy(io);
}

static void resize_dynamic(void **state)
{
    (void)state;
    vhdx_io io;
    static vhdx_info in;
    vhdx_image *img = mk(&io, VHDX_TYPE_DYNAMIC, 5 * MiB + 512, NULL);
    wr(img, 0, 5 * MiB + 512, 1);
    assert_int_equal(vhdx_resize(img, 5 * MiB + 1, 0, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_resize(img, 0, 0, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_resize(img, 64 * TiB + 512, 0, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_resize(img, 9 * MiB, 0, NULL), VHDX_OK);
    expect(img, 0, 5 * MiB + 512, 1);
    expect(img, 5 * MiB + 512, 4 * MiB - 512, 0);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_resize(img, 3 * MiB, 0, &d), VHDX_E_SHRINK_REFUSED);
    assert_int_equal(vhdx_resize(img, 3 * MiB, VHDX_RESIZE_SHRINK, NULL), VHDX_E_DATA_BEYOND_END);
    /* zeros beyond the new end are no data: 5 MiB + 1 KiB keeps the 512 bytes written */
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_resize(img, 5 * MiB, VHDX_RESIZE_SHRINK, &d), VHDX_E_DATA_BEYOND_END);
    assert_int_equal(d.offset, 5 * MiB);
    assert_int_equal(vhdx_resize(img, 5 * MiB + 1024, VHDX_RESIZE_SHRINK, NULL), VHDX_OK);
    assert_int_equal(vhdx_resize(img, 2 * MiB + 512, VHDX_RESIZE_SHRINK | VHDX_RESIZE_ALLOW_DATA_LOSS, NULL), VHDX_OK);
    info(img, &in);
    assert_int_equal(in.virtual_size, 2 * MiB + 512);
    assert_int_equal(in.payload_blocks, 3);
    /* grown again: nothing of the old bytes comes back */
    assert_int_equal(vhdx_resize(img, 6 * MiB, 0, NULL), VHDX_OK);
    expect(img, 0, 2 * MiB + 512, 1);
    expect(img, 2 * MiB + 512, 4 * MiB - 512, 0);
    assert_int_equal(vhdx_resize(img, 6 * MiB, 0, NULL), VHDX_OK); /* same size: nothing */
    close_check(img, &io, NULL);
}

static void resize_bat_region(void **state)
{
    (void)state;
    vhdx_io io;
    static vhdx_info in;
    /* empty image: nothing behind the BAT, the region grows in place */
    vhdx_image *img = mk(&io, VHDX_TYPE_DYNAMIC, 8 * MiB, NULL);
    info(img, &in);
    uint64_t bat_off = in.regions[0].file_offset;
    assert_int_equal(in.regions[0].length, MiB);
    assert_int_equal(vhdx_resize(img, 130 * GiB, 0, NULL), VHDX_OK);
    info(img, &in);
    assert_int_equal(in.regions[0].file_offset, bat_off);
    assert_int_equal(in.regions[0].length, 2 * MiB);
    wr(img, 130 * GiB - 4096, 4096, 2);
    expect(img, 130 * GiB - 4096, 4096, 2);
    close_check(img, &io, NULL);
    /* a block behind the BAT: the region moves to the end of the file */
    img = mk(&io, VHDX_TYPE_DYNAMIC, 8 * MiB, NULL);
    wr(img, MiB, 4096, 3);
    info(img, &in);
    uint64_t fsz = in.file_size;
    assert_int_equal(vhdx_resize(img, 130 * GiB, 0, NULL), VHDX_OK);
    info(img, &in);
    assert_int_equal(in.regions[0].file_offset, fsz);
    assert_int_equal(in.regions[0].length, 2 * MiB);
    expect(img, MiB, 4096, 3);
    /* compact moves the block into the old BAT region's space */
    vhdx_compact_stats st;
    assert_int_equal(vhdx_compact(img, 0, &st, NULL), VHDX_OK);
    assert_int_equal(st.blocks_moved, 1);
    assert_int_equal(st.bytes_moved, MiB);
    expect(img, MiB, 4096, 3);
    close_check(img, &io, NULL);
}

static void resize_fixed(void **state)
{
    (void)state;
    vhdx_io io;
    static vhdx_info in;
    vhdx_image *img = mk(&io, VHDX_TYPE_FIXED, 3 * MiB + 512, NULL);
    wr(img, 0, 3 * MiB + 512, 4);
    assert_int_equal(vhdx_resize(img, 6 * MiB, 0, NULL), VHDX_OK);
    info(img, &in);
    assert_int_equal(in.bat.payload[VHDX_PB_FULLY_PRESENT], 6);
    expect(img, 0, 3 * MiB + 512, 4);
    expect(img, 3 * MiB + 512, 3 * MiB - 512, 0);
    /* discard keeps a fixed image's blocks allocated: zero bytes */
    assert_int_equal(vhdx_discard(img, MiB, 2 * MiB, NULL), VHDX_OK);
    info(img, &in);
    assert_int_equal(in.bat.payload[VHDX_PB_FULLY_PRESENT], 6);
    expect(img, MiB, 2 * MiB, 0);
    assert_int_equal(vhdx_compact(img, VHDX_COMPACT_ZEROES, NULL, NULL), VHDX_E_UNSUPPORTED);
    uint64_t before = in.file_size;
    assert_int_equal(vhdx_resize(img, MiB, VHDX_RESIZE_SHRINK | VHDX_RESIZE_ALLOW_DATA_LOSS, NULL), VHDX_OK);
    vhdx_compact_stats st;
    assert_int_equal(vhdx_compact(img, 0, &st, NULL), VHDX_OK);
    assert_int_equal(st.file_size_before, before);
    assert_int_equal(st.file_size_after, before - 5 * MiB);
    expect(img, 0, MiB, 4);
    close_check(img, &io, NULL);
}

static char parent_path[256];

static void make_parent(uint64_t vs)
{
    snprintf(parent_path, sizeof parent_path, "%s/vhdx-maint-fp-%d.vhdx",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    unlink(parent_path);
    vhdx_create_params p;
    vhdx_open_opts o;
    vhdx_image *img;
    vhdx_create_params_default(&p);
    p.virtual_size = vs;
    p.block_size = (uint32_t)MiB;
    assert_int_equal(vhdx_create(parent_path, &p, NULL), VHDX_OK);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open_file(&img, parent_path, &o, NULL), VHDX_OK);
    wr(img, 0, (size_t)vs, 9);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

static void differencing(void **state)
{
    (void)state;
    vhdx_io io;
    static vhdx_info in;
    make_parent(4 * MiB);
    vhdx_image *img = mk(&io, VHDX_TYPE_DIFFERENCING, 0, parent_path);
    /* the parent's bytes lie beyond 2 MiB: data */
    assert_int_equal(vhdx_resize(img, 2 * MiB, VHDX_RESIZE_SHRINK, NULL), VHDX_E_DATA_BEYOND_END);
    assert_int_equal(vhdx_resize(img, 6 * MiB, 0, NULL), VHDX_OK);
    expect(img, 0, 4 * MiB, 9);
    expect(img, 4 * MiB, 2 * MiB, 0);
    /* discard: whole block ZERO (never the parent), partial bytes zeroed */
    assert_int_equal(vhdx_discard(img, MiB, MiB + 4096, NULL), VHDX_OK);
    expect(img, MiB, MiB + 4096, 0);
    uint8_t *w = malloc(4 * MiB);
    assert_non_null(w);
    fill(w, 4 * MiB, 9);
    uint8_t b[4096];
    assert_int_equal(vhdx_read(img, 2 * MiB + 4096, b, sizeof b, NULL), VHDX_OK);
    assert_memory_equal(b, w + 2 * MiB + 4096, sizeof b);
    vhdx_extent ext;
    assert_int_equal(vhdx_extent_at(img, MiB, MiB, &ext, NULL), VHDX_OK);
    assert_int_equal(ext.state, VHDX_EXTENT_ZERO);
    /* a partial block made whole by writes becomes FULLY_PRESENT; the bitmap is released */
    wr(img, 0, MiB / 2, 5);
    info(img, &in);
    assert_int_equal(in.bat.payload[VHDX_PB_PARTIALLY_PRESENT], 2);
    assert_int_equal(in.bat.sector_bitmap[VHDX_SB_PRESENT], 1);
    wr(img, MiB / 2, MiB / 2, 6);
    info(img, &in);
    assert_int_equal(in.bat.payload[VHDX_PB_PARTIALLY_PRESENT], 1);
    assert_int_equal(in.bat.payload[VHDX_PB_FULLY_PRESENT], 1);
    wr(img, 2 * MiB + 4096, MiB - 4096, 7);      /* the other partial one, completed */
    info(img, &in);
    assert_int_equal(in.bat.payload[VHDX_PB_PARTIALLY_PRESENT], 0);
    assert_int_equal(in.bat.sector_bitmap[VHDX_SB_PRESENT], 0);
    free(w);
    close_check(img, &io, parent_path);
    unlink(parent_path);
}

static void discard_compact_dynamic(void **state)
{
    (void)state;
    vhdx_io io;
    static vhdx_info in;
    vhdx_image *img = mk(&io, VHDX_TYPE_DYNAMIC, 8 * MiB, NULL);
    wr(img, 0, 8 * MiB, 1);
    info(img, &in);
    uint64_t full = in.file_size;
    assert_int_equal(vhdx_discard(img, 8 * MiB, 1, NULL), VHDX_E_RANGE);
    assert_int_equal(vhdx_discard(img, MiB / 2, 3 * MiB, NULL), VHDX_OK);
    info(img, &in);
    assert_int_equal(in.bat.payload[VHDX_PB_UNMAPPED], 2);
    expect(img, MiB / 2, 3 * MiB, 0);
    uint8_t z[4096] = { 0 };
    assert_int_equal(vhdx_write(img, 6 * MiB, z, sizeof z, NULL), VHDX_OK);
    /* block 7 all zeros */
    uint8_t *zb = calloc(1, MiB);
    assert_non_null(zb);
    assert_int_equal(vhdx_write(img, 7 * MiB + 1, zb, MiB - 1, NULL), VHDX_OK);
    uint8_t one = 0;
    assert_int_equal(vhdx_write(img, 7 * MiB, &one, 1, NULL), VHDX_OK);
    vhdx_compact_stats st;
    assert_int_equal(vhdx_compact(img, VHDX_COMPACT_ZEROES, &st, NULL), VHDX_OK);
    assert_int_equal(st.zero_blocks, 1);
    assert_int_equal(st.blocks_moved, 2);
    assert_int_equal(st.file_size_after, full - 3 * MiB);
    info(img, &in);
    assert_int_equal(in.bat.payload[VHDX_PB_FULLY_PRESENT], 5);
    expect(img, 7 * MiB, MiB, 0);
    expect(img, 0, MiB / 2, 1);
    free(zb);
    /* discard of the whole disk, compact: only the fixed structures stay */
    assert_int_equal(vhdx_discard(img, 0, 8 * MiB, NULL), VHDX_OK);
    assert_int_equal(vhdx_compact(img, 0, &st, NULL), VHDX_OK);
    assert_int_equal(st.blocks_moved, 0);
    assert_int_equal(st.file_size_after, full - 8 * MiB);
    expect(img, 0, 8 * MiB, 0);
    close_check(img, &io, NULL);
}

static void log_length_zero(void **state)
{
    (void)state;
    vb_image im;
    vb_params p;
    vb_params_default(&p);
    p.log_size = 0;
    p.virtual_size = 4 * MiB;
    assert_int_equal(vb_build(&im, &p), VHDX_OK);
    uint64_t end = vb_size(&im);
    vhdx_open_opts o;
    vhdx_image *img;
    static vhdx_info in;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open(&img, &im.io, 0, &o, NULL), VHDX_OK);
    info(img, &in);
    assert_int_equal(in.headers[in.current_header].log_length, 0);
    wr(img, 4096, 8192, 3);
    info(img, &in);
    /* the first allocation got a 1 MiB log at the old end of the file */
    assert_int_equal(in.headers[in.current_header].log_length, MiB);
    assert_int_equal(in.headers[in.current_header].log_offset, vhdx_div_round_up(end, MiB) * MiB);
    expect(img, 4096, 8192, 3);
    close_check(img, &im.io, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(resize_dynamic),
        cmocka_unit_test(resize_bat_region),
        cmocka_unit_test(resize_fixed),
        cmocka_unit_test(differencing),
        cmocka_unit_test(discard_compact_dynamic),
        cmocka_unit_test(log_length_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
