/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_bat_placement.c - the BAT placement sweep (image_batplace.c) on synthetic entries:
 * no file, only a geometry, a region layout and an array of BAT entries. Every case
 * asserts the exact findings (code and byte offset of the BAT entry) and the entry counts;
 * accept cases sit at the boundaries.
 *
 * Layout used below (like the builder's): log [1,2) MiB, metadata [2,3) MiB, BAT region
 * [3,4) MiB with its entries reported at BAT_OFF + 8 * index, data from 4 MiB; the file is
 * FILE_MB MiB unless a case says otherwise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "image.h"

#define BAT_OFF (3 * MiB)
#define FILE_MB 16u
#define MAX_FINDINGS 16
#define MAX_ENTRIES 8192

typedef struct finding {
    int code;
    uint64_t offset;
} finding;

typedef struct rec_sink {
    vhdx_sink sink;
    finding f[MAX_FINDINGS];
    size_t n;
    int stop;                 /* 1: stop at the first fatal finding (like vhdx_open) */
} rec_sink;

static int rec_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                      const char *detail, const char *src_file, int src_line)
{
    rec_sink *r = s->ctx;
    (void)field; (void)detail; (void)src_file; (void)src_line;
    if (r->n < MAX_FINDINGS) {
        r->f[r->n].code = code;
        r->f[r->n].offset = offset;
    }
    r->n++;
    return r->stop && vhdx_status_is_fatal(code) ? code : VHDX_OK;
}

typedef struct synth {
    uint64_t e[MAX_ENTRIES];
    int fail;                 /* reader fails with VHDX_E_IO */
    uint64_t progress_done, progress_total;
    unsigned progress_calls;
} synth;

static int synth_read(void *ctx, uint64_t pos, uint8_t *buf, size_t len)
{
    const synth *s = ctx;
    if (s->fail) return VHDX_E_IO;
    for (size_t k = 0; k + 8 <= len; k += 8) vhdx_put64(buf + k, s->e[(pos + k) / 8]);
    return VHDX_OK;
}

static void synth_progress(void *ctx, uint64_t done, uint64_t total)
{
    synth *s = ctx;
    s->progress_done = done;
    s->progress_total = total;
    s->progress_calls++;
}

typedef struct tcase {
    fmt_geometry g;
    img_span fixed[3];
    img_bat_layout l;
    synth s;
    rec_sink sink;
    vhdx_bat_counts counts;
} tcase;

static tcase tc; /* large (the entry array): static, reset by setup() */

/* block_mb MiB blocks, 512-byte sectors; parent: differencing (sector bitmaps) */
static void setup(uint64_t vsize, uint32_t block_mb, int parent)
{
    memset(&tc, 0, sizeof tc);
    assert_int_equal(fmt_geometry_compute(&tc.g, vsize, block_mb * (uint32_t)MiB, 512, 4096,
                                          parent ? VHDX_FP_HAS_PARENT : 0),
                     VHDX_OK);
    assert_true(tc.g.bat_entries <= MAX_ENTRIES);
    tc.fixed[0] = (img_span){ 1 * MiB, 2 * MiB }; /* log */
    tc.fixed[1] = (img_span){ 3 * MiB, 4 * MiB }; /* BAT region (given out of order) */
    tc.fixed[2] = (img_span){ 2 * MiB, 3 * MiB }; /* metadata */
    tc.l.geo = &tc.g;
    tc.l.file_size = FILE_MB * MiB;
    tc.l.bat_offset = BAT_OFF;
    tc.l.fixed = tc.fixed;
    tc.l.nfixed = 3;
    tc.l.max_records = 1024;
    tc.sink.sink.report = rec_report;
    tc.sink.sink.ctx = &tc.sink;
}

static void set_block(uint64_t block, unsigned state, uint64_t mb)
{
    tc.s.e[fmt_bat_pb_index(block, tc.g.chunk_ratio)] = fmt_bat_make(state, mb * MiB);
}

static void set_sb(uint64_t chunk, unsigned state, uint64_t mb)
{
    tc.s.e[fmt_bat_sb_index(chunk, tc.g.chunk_ratio)] = fmt_bat_make(state, mb * MiB);
}

static uint64_t entry_off(uint64_t index) { return BAT_OFF + 8 * index; }
static uint64_t block_off(uint64_t block) { return entry_off(fmt_bat_pb_index(block, tc.g.chunk_ratio)); }

static int run(void)
{
    img_bat_reader rd = { synth_read, &tc.s, synth_progress, &tc.s };
    return img_bat_placement(&tc.l, &rd, &tc.sink.sink, &tc.counts);
}

static void expect_none(void)
{
    assert_int_equal(run(), VHDX_OK);
    for (size_t i = 0; i < tc.sink.n && i < MAX_FINDINGS; i++)
        print_message("unexpected finding %s at %llu\n", vhdx_status_name(tc.sink.f[i].code),
                      (unsigned long long)tc.sink.f[i].offset);
    assert_int_equal(tc.sink.n, 0);
}

/* exactly one finding */
static void expect_one(int code, uint64_t offset)
{
    assert_int_equal(run(), VHDX_OK);
    if (tc.sink.n != 1 || tc.sink.f[0].code != code || tc.sink.f[0].offset != offset)
        for (size_t i = 0; i < tc.sink.n && i < MAX_FINDINGS; i++)
            print_message("finding %s at %llu\n", vhdx_status_name(tc.sink.f[i].code),
                          (unsigned long long)tc.sink.f[i].offset);
    assert_int_equal(tc.sink.n, 1);
    assert_int_equal(tc.sink.f[0].code, code);
    assert_int_equal(tc.sink.f[0].offset, offset);
}

/* ---- accept cases at the boundaries ---- */

static void adjacent_blocks_accepted(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 0);
    set_block(0, VHDX_PB_FULLY_PRESENT, 4); /* right after the BAT region */
    set_block(1, VHDX_PB_FULLY_PRESENT, 5); /* right after block 0 */
    set_block(2, VHDX_PB_ZERO, 0);
    expect_none();
    assert_int_equal(tc.counts.payload[VHDX_PB_FULLY_PRESENT], 2);
    assert_int_equal(tc.counts.payload[VHDX_PB_ZERO], 1);
    assert_int_equal(tc.counts.payload[VHDX_PB_NOT_PRESENT], 61);
    assert_int_equal(tc.s.progress_calls, 1);
    assert_int_equal(tc.s.progress_done, 1);
    assert_int_equal(tc.s.progress_total, 1);
}

static void block_ending_at_eof_accepted(void **state)
{
    (void)state;
    setup(64 * MiB, 2, 0);
    set_block(3, VHDX_PB_FULLY_PRESENT, FILE_MB - 2); /* [14, 16) MiB: ends at the file end */
    expect_none();
}

static void last_block_partly_beyond_disk_accepted(void **state)
{
    (void)state;
    /* 5 MiB disk in 4 MiB blocks: only 1 MiB of the last block holds disk data */
    setup(5 * MiB, 4, 0);
    set_block(1, VHDX_PB_FULLY_PRESENT, FILE_MB - 1);
    expect_none();
}

static void blocks_in_windows_accepted(void **state)
{
    (void)state;
    /* more blocks than max_records: the windowed sweep sees no conflict */
    setup(64 * MiB, 1, 0);
    tc.l.max_records = 3;
    for (uint64_t b = 0; b < 12; b++) set_block(b, VHDX_PB_FULLY_PRESENT, 4 + b);
    expect_none();
    assert_int_equal(tc.counts.payload[VHDX_PB_FULLY_PRESENT], 12);
}

/* ---- rejects ---- */

static void block_beyond_eof_rejected(void **state)
{
    (void)state;
    setup(64 * MiB, 2, 0);
    set_block(3, VHDX_PB_FULLY_PRESENT, FILE_MB - 1); /* [15, 17) MiB: 1 MiB past the end */
    expect_one(VHDX_E_BAT_OUTSIDE_FILE, block_off(3));
}

static void block_at_eof_rejected(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 0);
    set_block(7, VHDX_PB_FULLY_PRESENT, FILE_MB);
    expect_one(VHDX_E_BAT_OUTSIDE_FILE, block_off(7));
}

static void block_over_header_section_rejected(void **state)
{
    (void)state;
    /* FileOffsetMB 0 would place the block over the header section (R70) */
    setup(64 * MiB, 1, 0);
    set_block(5, VHDX_PB_FULLY_PRESENT, 0);
    expect_one(VHDX_E_BAT_PRESENT_ZERO_OFFSET, block_off(5));
}

static void block_over_log_rejected(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 0);
    set_block(2, VHDX_PB_FULLY_PRESENT, 1);
    expect_one(VHDX_E_BAT_OVERLAP, block_off(2));
}

static void block_over_metadata_rejected(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 0);
    set_block(9, VHDX_PB_FULLY_PRESENT, 2);
    expect_one(VHDX_E_BAT_OVERLAP, block_off(9));
}

static void block_over_bat_region_rejected(void **state)
{
    (void)state;
    /* a 2 MiB block at 3 MiB covers the BAT region and the MiB after it: one finding */
    setup(64 * MiB, 2, 0);
    set_block(0, VHDX_PB_FULLY_PRESENT, 3);
    expect_one(VHDX_E_BAT_OVERLAP, block_off(0));
}

static void two_blocks_overlap_rejected(void **state)
{
    (void)state;
    /* 2 MiB blocks at 4 and 5 MiB: the later one (by offset) is reported */
    setup(64 * MiB, 2, 0);
    set_block(6, VHDX_PB_FULLY_PRESENT, 4);
    set_block(1, VHDX_PB_FULLY_PRESENT, 5);
    expect_one(VHDX_E_BAT_OVERLAP, block_off(1));
}

static void two_blocks_duplicate_rejected(void **state)
{
    (void)state;
    /* same offset: R71, reported at the higher BAT index */
    setup(64 * MiB, 1, 0);
    set_block(3, VHDX_PB_FULLY_PRESENT, 8);
    set_block(10, VHDX_PB_FULLY_PRESENT, 8);
    expect_one(VHDX_E_BAT_DUPLICATE, block_off(10));
}

static void duplicate_in_later_window_rejected(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 0);
    tc.l.max_records = 3;
    for (uint64_t b = 0; b < 10; b++) set_block(b, VHDX_PB_FULLY_PRESENT, 4 + b);
    set_block(20, VHDX_PB_FULLY_PRESENT, 12); /* same as block 8 */
    expect_one(VHDX_E_BAT_DUPLICATE, block_off(20));
}

static void window_overfull_rejected(void **state)
{
    (void)state;
    /* max_records 3: windows of 1 MiB; a fourth block in one window cannot fit */
    setup(64 * MiB, 1, 0);
    tc.l.max_records = 3;
    for (uint64_t b = 0; b < 4; b++) set_block(b, VHDX_PB_FULLY_PRESENT, 4);
    expect_one(VHDX_E_BAT_OVERLAP, block_off(3));
}

/* ---- sector bitmap blocks (differencing) ---- */

static void sb_block_accepted(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 1);
    set_sb(0, VHDX_SB_PRESENT, 4);
    set_block(0, VHDX_PB_PARTIALLY_PRESENT, 5);
    set_block(1, VHDX_PB_FULLY_PRESENT, 6);
    expect_none();
    assert_int_equal(tc.counts.sector_bitmap[VHDX_SB_PRESENT], 1);
    assert_int_equal(tc.counts.payload[VHDX_PB_PARTIALLY_PRESENT], 1);
}

static void sb_block_over_block_rejected(void **state)
{
    (void)state;
    /* the SB slot comes after the chunk's payload entries: it is the later index */
    setup(64 * MiB, 1, 1);
    set_block(0, VHDX_PB_FULLY_PRESENT, 4);
    set_sb(0, VHDX_SB_PRESENT, 4);
    expect_one(VHDX_E_BAT_DUPLICATE, entry_off(fmt_bat_sb_index(0, tc.g.chunk_ratio)));
}

static void sb_block_over_metadata_rejected(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 1);
    set_sb(0, VHDX_SB_PRESENT, 2);
    expect_one(VHDX_E_BAT_OVERLAP, entry_off(fmt_bat_sb_index(0, tc.g.chunk_ratio)));
}

static void sb_block_beyond_eof_rejected(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 1);
    set_sb(0, VHDX_SB_PRESENT, FILE_MB);
    expect_one(VHDX_E_BAT_OUTSIDE_FILE, entry_off(fmt_bat_sb_index(0, tc.g.chunk_ratio)));
}

static void partial_without_sb_rejected(void **state)
{
    (void)state;
    /* R76: reported at the chunk's first PARTIALLY_PRESENT block */
    setup(64 * MiB, 1, 1);
    set_block(3, VHDX_PB_PARTIALLY_PRESENT, 5);
    set_block(7, VHDX_PB_PARTIALLY_PRESENT, 6);
    expect_one(VHDX_E_BAT_PARTIAL_NO_SB, block_off(3));
}

static void sb_in_dynamic_not_placed(void **state)
{
    (void)state;
    /* without a parent an SB_PRESENT entry is R77; it occupies no file range, so the
     * metadata region under it is not reported again */
    setup(4097 * MiB, 1, 0); /* more blocks than one chunk: entry 4096 is an SB slot */
    set_sb(0, VHDX_SB_PRESENT, 2);
    expect_one(VHDX_E_BAT_SB_PRESENT, entry_off(fmt_bat_sb_index(0, tc.g.chunk_ratio)));
}

/* ---- sink verdict, reader failure ---- */

static void sink_stop_ends_sweep(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 0);
    tc.sink.stop = 1;
    set_block(1, VHDX_PB_FULLY_PRESENT, 1);
    set_block(2, VHDX_PB_FULLY_PRESENT, FILE_MB);
    assert_int_equal(run(), VHDX_E_BAT_OVERLAP);
    assert_int_equal(tc.sink.n, 1);
    assert_int_equal(tc.sink.f[0].offset, block_off(1));
}

static void reader_failure_returned(void **state)
{
    (void)state;
    setup(64 * MiB, 1, 0);
    tc.s.fail = 1;
    assert_int_equal(run(), VHDX_E_IO);
    assert_int_equal(tc.sink.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(adjacent_blocks_accepted),
        cmocka_unit_test(block_ending_at_eof_accepted),
        cmocka_unit_test(last_block_partly_beyond_disk_accepted),
        cmocka_unit_test(blocks_in_windows_accepted),
        cmocka_unit_test(block_beyond_eof_rejected),
        cmocka_unit_test(block_at_eof_rejected),
        cmocka_unit_test(block_over_header_section_rejected),
        cmocka_unit_test(block_over_log_rejected),
        cmocka_unit_test(block_over_metadata_rejected),
        cmocka_unit_test(block_over_bat_region_rejected),
        cmocka_unit_test(two_blocks_overlap_rejected),
        cmocka_unit_test(two_blocks_duplicate_rejected),
        cmocka_unit_test(duplicate_in_later_window_rejected),
        cmocka_unit_test(window_overfull_rejected),
        cmocka_unit_test(sb_block_accepted),
        cmocka_unit_test(sb_block_over_block_rejected),
        cmocka_unit_test(sb_block_over_metadata_rejected),
        cmocka_unit_test(sb_block_beyond_eof_rejected),
        cmocka_unit_test(partial_without_sb_rejected),
        cmocka_unit_test(sb_in_dynamic_not_placed),
        cmocka_unit_test(sink_stop_ends_sweep),
        cmocka_unit_test(reader_failure_returned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
