/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_open_rules.c - image-level MUST rules checked by vhdx_open: an accept test at each
 * boundary and a reject test just past it, asserting the exact status code and the byte
 * offset recorded in the diag. Images come from the builder (conformance/support).
 *
 * Builder layout used below (log 1 MiB): log [1,2) MiB, metadata [2,3) MiB, BAT from
 * 3 MiB, data from im.data_offset; region entry 0 = BAT, 1 = metadata.
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
#include "image.h"

static const vhdx_guid unknown_guid = { { 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0x4e,
                                          0x80, 1, 2, 3, 4, 5, 6, 7 } };

static void expect_open(vb_image *im, int code, uint64_t offset)
{
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vb_open(im, VHDX_OPEN_NO_PARENT, &img, &d);
    if (rc != code || (code != VHDX_OK && d.offset != offset)) {
        char msg[300];
        vhdx_diag_format(&d, "builder", msg, sizeof msg);
        print_error("got %s; expected %s at 0x%llx\n", msg, vhdx_status_name(code),
                    (unsigned long long)offset);
    }
    assert_int_equal(rc, code);
    if (code == VHDX_OK) {
        assert_non_null(img);
        assert_int_equal(vhdx_close(img), VHDX_OK);
        return;
    }
    assert_null(img);
    assert_int_equal(d.code, code);
    assert_int_equal(d.offset, offset);
}

static void dyn(vb_image *im, uint64_t vsize)
{
    assert_int_equal(vb_build_simple(im, VHDX_TYPE_DYNAMIC, vsize, (uint32_t)MiB, 512), VHDX_OK);
}

#define RT_E(idx, field) (vb_rt_entry_offset(0, (idx)) + (field))

/* ---- file, identifier ---- */

static void test_file_size(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    vb_truncate(&im, MiB - 1);
    expect_open(&im, VHDX_E_TOO_SMALL, MiB - 1);
    /* exactly 1 MiB passes the size rule; the log then lies outside the file (D3) */
    vb_truncate(&im, MiB);
    expect_open(&im, VHDX_E_LOG_OUTSIDE_FILE, VHDX_HEADER2_OFFSET + HDR_OFF_LOG_OFFSET);
    vb_free(&im);
}

static void test_fileid_signature(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    expect_open(&im, VHDX_OK, 0);
    vb_put8(&im, 7, 'E');
    expect_open(&im, VHDX_E_FILEID_SIGNATURE, 0);
    vb_free(&im);
}

/* ---- header fields of the current header (slot 1) ---- */

static void test_header_version(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    vb_header_set16(&im, 1, HDR_OFF_VERSION, 2);
    expect_open(&im, VHDX_E_HEADER_VERSION, VHDX_HEADER2_OFFSET + HDR_OFF_VERSION);
    vb_header_set16(&im, 1, HDR_OFF_VERSION, 0);
    expect_open(&im, VHDX_E_HEADER_VERSION, VHDX_HEADER2_OFFSET + HDR_OFF_VERSION);
    vb_free(&im);
}

static void test_header_log_fields(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    /* R15: LogVersion 1 with LogGuid zero is tolerated */
    vb_header_set16(&im, 1, HDR_OFF_LOG_VERSION, 1);
    expect_open(&im, VHDX_OK, 0);
    vb_header_set16(&im, 1, HDR_OFF_LOG_VERSION, 0);
    /* R17: LogLength multiple of 1 MiB */
    vb_header_set32(&im, 1, HDR_OFF_LOG_LENGTH, (uint32_t)MiB + 4096);
    expect_open(&im, VHDX_E_HEADER_LOG_LENGTH, VHDX_HEADER2_OFFSET + HDR_OFF_LOG_LENGTH);
    vb_header_set32(&im, 1, HDR_OFF_LOG_LENGTH, (uint32_t)MiB);
    /* R18: LogOffset multiple of 1 MiB, not in the header section */
    vb_header_set64(&im, 1, HDR_OFF_LOG_OFFSET, MiB + 4096);
    expect_open(&im, VHDX_E_HEADER_LOG_OFFSET, VHDX_HEADER2_OFFSET + HDR_OFF_LOG_OFFSET);
    vb_header_set64(&im, 1, HDR_OFF_LOG_OFFSET, 0);
    expect_open(&im, VHDX_E_HEADER_LOG_OFFSET, VHDX_HEADER2_OFFSET + HDR_OFF_LOG_OFFSET);
    /* an empty log may sit at offset 0 */
    vb_header_set32(&im, 1, HDR_OFF_LOG_LENGTH, 0);
    expect_open(&im, VHDX_OK, 0);
    /* R14: LogGuid without a log */
    vhdx_guid g = unknown_guid;
    vb_header_set_guid(&im, 1, HDR_OFF_LOG_GUID, &g);
    expect_open(&im, VHDX_E_LOG_GUID_NO_LOG, VHDX_HEADER2_OFFSET + HDR_OFF_LOG_GUID);
    vb_free(&im);
}

static void test_log_placement(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    uint64_t size = vb_size(&im);
    /* D3: log inside the file: ending exactly at EOF is fine, 1 MiB further is not */
    vb_header_set64(&im, 1, HDR_OFF_LOG_OFFSET, size);
    expect_open(&im, VHDX_E_LOG_OUTSIDE_FILE, VHDX_HEADER2_OFFSET + HDR_OFF_LOG_OFFSET);
    vb_truncate(&im, size + MiB);
    expect_open(&im, VHDX_OK, 0);
    /* R18: the log overlaps the metadata region (reported at the region entry) */
    vb_header_set64(&im, 1, HDR_OFF_LOG_OFFSET, im.md_offset);
    expect_open(&im, VHDX_E_LOG_OVERLAP, RT_E(VB_RT_MD, RTE_OFF_FILE_OFFSET));
    vb_header_set64(&im, 1, HDR_OFF_LOG_OFFSET, im.bat_offset);
    expect_open(&im, VHDX_E_LOG_OVERLAP, RT_E(VB_RT_BAT, RTE_OFF_FILE_OFFSET));
    vb_free(&im);
}

/* ---- region table ---- */

static void test_region_offset_rules(void **s)
{
    (void)s;
    vb_image im;
    /* no log: the metadata region starts at exactly 1 MiB (R29 boundary) */
    vb_params p;
    vb_params_default(&p);
    p.log_size = 0;
    assert_int_equal(vb_build(&im, &p), VHDX_OK);
    assert_int_equal(im.md_offset, MiB);
    expect_open(&im, VHDX_OK, 0);
    vb_rt_entry_set64(&im, -1, VB_RT_MD, RTE_OFF_FILE_OFFSET, MiB - 4096);
    expect_open(&im, VHDX_E_RT_OFFSET, RT_E(VB_RT_MD, RTE_OFF_FILE_OFFSET));
    vb_rt_entry_set64(&im, -1, VB_RT_MD, RTE_OFF_FILE_OFFSET, MiB + 4096);
    expect_open(&im, VHDX_E_RT_OFFSET, RT_E(VB_RT_MD, RTE_OFF_FILE_OFFSET));
    vb_rt_entry_set64(&im, -1, VB_RT_MD, RTE_OFF_FILE_OFFSET, 0);
    expect_open(&im, VHDX_E_RT_OFFSET, RT_E(VB_RT_MD, RTE_OFF_FILE_OFFSET));
    vb_free(&im);
}

static void test_region_length_rules(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    vb_rt_entry_set32(&im, -1, VB_RT_BAT, RTE_OFF_LENGTH, 0);
    expect_open(&im, VHDX_E_RT_LENGTH, RT_E(VB_RT_BAT, RTE_OFF_LENGTH));
    vb_rt_entry_set32(&im, -1, VB_RT_BAT, RTE_OFF_LENGTH, (uint32_t)MiB - 4096);
    expect_open(&im, VHDX_E_RT_LENGTH, RT_E(VB_RT_BAT, RTE_OFF_LENGTH));
    vb_rt_entry_set32(&im, -1, VB_RT_BAT, RTE_OFF_LENGTH, (uint32_t)MiB);
    expect_open(&im, VHDX_OK, 0);
    /* D6: ending at EOF is fine, one MiB more is outside */
    assert_int_equal(vb_size(&im), im.bat_offset + MiB);
    vb_rt_entry_set32(&im, -1, VB_RT_BAT, RTE_OFF_LENGTH, 2 * (uint32_t)MiB);
    expect_open(&im, VHDX_E_RT_OUTSIDE_FILE, RT_E(VB_RT_BAT, RTE_OFF_FILE_OFFSET));
    vb_truncate(&im, im.bat_offset + 2 * MiB);
    expect_open(&im, VHDX_OK, 0);
    vb_free(&im);
}

static void test_region_overlap(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    /* metadata [2,3) and BAT [3,4) are adjacent: fine. [2,4) overlaps the BAT (R32) */
    vb_rt_entry_set32(&im, -1, VB_RT_MD, RTE_OFF_LENGTH, 2 * (uint32_t)MiB);
    expect_open(&im, VHDX_E_RT_OVERLAP, RT_E(VB_RT_MD, RTE_OFF_FILE_OFFSET));
    vb_rt_entry_set32(&im, -1, VB_RT_MD, RTE_OFF_LENGTH, (uint32_t)MiB);
    /* an unknown (optional) region overlapping the BAT */
    vb_truncate(&im, vb_size(&im) + MiB);
    unsigned u = vb_rt_add(&im, -1, &unknown_guid, im.bat_offset, (uint32_t)MiB, 0);
    expect_open(&im, VHDX_E_RT_OVERLAP, RT_E(u, RTE_OFF_FILE_OFFSET));
    /* moved after the BAT, it is ignored (R2: preserved) */
    vb_rt_entry_set64(&im, -1, u, RTE_OFF_FILE_OFFSET, im.data_offset);
    expect_open(&im, VHDX_OK, 0);
    /* but not when required (R31) */
    vb_rt_entry_set32(&im, -1, u, RTE_OFF_REQUIRED, 1);
    expect_open(&im, VHDX_E_RT_UNKNOWN_REQUIRED, RT_E(u, RTE_OFF_REQUIRED));
    vb_free(&im);
}

static void test_region_presence_and_duplicates(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    /* D4: the BAT entry renamed to an unknown optional region */
    vb_rt_set64(&im, -1, RT_HEADER_SIZE + RTE_OFF_GUID, vhdx_le64(unknown_guid.b));
    vb_rt_set64(&im, -1, RT_HEADER_SIZE + RTE_OFF_GUID + 8, vhdx_le64(unknown_guid.b + 8));
    vb_rt_entry_set32(&im, -1, VB_RT_BAT, RTE_OFF_REQUIRED, 0);
    expect_open(&im, VHDX_E_RT_MISSING_BAT, VHDX_RT1_OFFSET + RT_OFF_ENTRY_COUNT);
    vb_free(&im);

    dyn(&im, 8 * MiB);
    vb_rt_set32(&im, -1, RT_OFF_ENTRY_COUNT, 1); /* only the BAT */
    expect_open(&im, VHDX_E_RT_MISSING_METADATA, VHDX_RT1_OFFSET + RT_OFF_ENTRY_COUNT);
    vb_free(&im);

    /* R28: a second BAT entry */
    dyn(&im, 8 * MiB);
    vb_truncate(&im, vb_size(&im) + MiB);
    unsigned d = vb_rt_add(&im, -1, &VHDX_GUID_BAT_REGION, im.data_offset, (uint32_t)MiB, 1);
    expect_open(&im, VHDX_E_RT_DUPLICATE, RT_E(d, RTE_OFF_GUID));
    vb_free(&im);
}

static void test_region_table_copies(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    /* both copies broken: the first copy's defect is the error */
    vb_put8(&im, VHDX_RT1_OFFSET + 100, 1);
    vb_put8(&im, VHDX_RT2_OFFSET, 'R');
    expect_open(&im, VHDX_E_RT_CHECKSUM, VHDX_RT1_OFFSET + RT_OFF_CHECKSUM);
    /* one valid copy is enough */
    vb_rt_fix_crc(&im, 0);
    expect_open(&im, VHDX_OK, 0);
    vb_put8(&im, VHDX_RT1_OFFSET, 'R');
    vb_rt_fix_crc(&im, 0);
    vb_put8(&im, VHDX_RT2_OFFSET, 'r');
    expect_open(&im, VHDX_OK, 0);
    vb_free(&im);
}

/* ---- metadata ---- */

static void test_metadata_table(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    vb_put8(&im, im.md_offset, 'M');
    expect_open(&im, VHDX_E_MD_SIGNATURE, im.md_offset);
    vb_free(&im);

    dyn(&im, 8 * MiB);
    /* R84: Offset 64 KiB is the boundary */
    vb_md_entry_set32(&im, VB_MD_FP, MDE_OFF_OFFSET, VHDX_MD_TABLE_SIZE - 1);
    expect_open(&im, VHDX_E_MD_OFFSET, vb_md_entry_offset(&im, VB_MD_FP) + MDE_OFF_OFFSET);
    vb_free(&im);

    /* R85: inside the region: the last 8 bytes are fine, 4 bytes further are not */
    dyn(&im, 8 * MiB);
    uint8_t fp[8];
    vb_read(&im, vb_md_item_offset(&im, VB_MD_FP), fp, 8);
    vb_write(&im, im.md_offset + MiB - 8, fp, 8);
    vb_md_entry_set32(&im, VB_MD_FP, MDE_OFF_OFFSET, (uint32_t)MiB - 8);
    expect_open(&im, VHDX_OK, 0);
    vb_md_entry_set32(&im, VB_MD_FP, MDE_OFF_OFFSET, (uint32_t)MiB - 4);
    expect_open(&im, VHDX_E_MD_OUTSIDE_REGION, vb_md_entry_offset(&im, VB_MD_FP) + MDE_OFF_OFFSET);
    vb_free(&im);

    /* R85: items do not overlap (adjacent items are the builder's layout) */
    dyn(&im, 8 * MiB);
    uint32_t fpo = vb_get32(&im, vb_md_entry_offset(&im, VB_MD_FP) + MDE_OFF_OFFSET);
    vb_md_entry_set32(&im, VB_MD_VDS, MDE_OFF_OFFSET, fpo + 4);
    expect_open(&im, VHDX_E_MD_OVERLAP, vb_md_entry_offset(&im, VB_MD_VDS) + MDE_OFF_OFFSET);
    vb_free(&im);

    /* D10: Logical Sector Size item of 3 bytes */
    dyn(&im, 8 * MiB);
    vb_md_entry_set32(&im, VB_MD_LSS, MDE_OFF_LENGTH, 3);
    expect_open(&im, VHDX_E_MD_ITEM_SIZE, vb_md_entry_offset(&im, VB_MD_LSS) + MDE_OFF_LENGTH);
    vb_free(&im);

    /* R87: Length 0 with an Offset */
    dyn(&im, 8 * MiB);
    vb_md_add(&im, &unknown_guid, 0, 0, 0);
    expect_open(&im, VHDX_OK, 0);
    vb_md_entry_set32(&im, 5, MDE_OFF_OFFSET, 0x20000);
    vb_md_entry_set32(&im, 5, MDE_OFF_LENGTH, 0);
    expect_open(&im, VHDX_E_MD_ZERO_LENGTH_OFFSET, vb_md_entry_offset(&im, 5) + MDE_OFF_OFFSET);
    vb_free(&im);
}

static void test_metadata_items_required(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    /* an unknown optional item is ignored; required is refused (R90) */
    unsigned u = vb_md_add(&im, &unknown_guid, 0x20000, 16, 0);
    expect_open(&im, VHDX_OK, 0);
    vb_md_entry_set32(&im, u, MDE_OFF_FLAGS, VHDX_MD_FLAG_IS_REQUIRED);
    expect_open(&im, VHDX_E_MD_UNKNOWN_REQUIRED, vb_md_entry_offset(&im, u) + MDE_OFF_FLAGS);
    /* R83: a second Virtual Disk Size */
    vb_md_entry_set32(&im, u, MDE_OFF_FLAGS, 0);
    unsigned d = vb_md_add(&im, &VHDX_GUID_VIRTUAL_DISK_SIZE, 0x20100, 8,
                           VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED);
    expect_open(&im, VHDX_E_MD_DUPLICATE, vb_md_entry_offset(&im, d) + MDE_OFF_ITEM_ID);
    vb_free(&im);

    /* D9: no File Parameters */
    dyn(&im, 8 * MiB);
    vb_write(&im, vb_md_entry_offset(&im, VB_MD_FP) + MDE_OFF_ITEM_ID, unknown_guid.b, 16);
    vb_md_entry_set32(&im, VB_MD_FP, MDE_OFF_FLAGS, 0);
    expect_open(&im, VHDX_E_MD_MISSING_ITEM, im.md_offset + MD_OFF_ENTRY_COUNT);
    vb_free(&im);

    /* R98: HasParent without a parent locator */
    dyn(&im, 8 * MiB);
    uint64_t fp = vb_md_item_offset(&im, VB_MD_FP);
    vb_put32(&im, fp + 4, VHDX_FP_HAS_PARENT);
    expect_open(&im, VHDX_E_NO_PARENT_LOCATOR, fp + 4);
    vb_free(&im);
}

static void test_geometry_rules(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    uint64_t fp = vb_md_item_offset(&im, VB_MD_FP), vds = vb_md_item_offset(&im, VB_MD_VDS);
    uint64_t lss = vb_md_item_offset(&im, VB_MD_LSS), pss = vb_md_item_offset(&im, VB_MD_PSS);
    /* R92 */
    vb_put32(&im, fp, 3 * (uint32_t)MiB);
    expect_open(&im, VHDX_E_BLOCK_SIZE, fp);
    vb_put32(&im, fp, (uint32_t)MiB / 2);
    expect_open(&im, VHDX_E_BLOCK_SIZE, fp);
    vb_put32(&im, fp, 512 * (uint32_t)MiB);
    expect_open(&im, VHDX_E_BLOCK_SIZE, fp);
    vb_put32(&im, fp, 256 * (uint32_t)MiB);
    expect_open(&im, VHDX_OK, 0);
    vb_put32(&im, fp, (uint32_t)MiB);
    /* R96/R97 */
    vb_put32(&im, lss, 1024);
    expect_open(&im, VHDX_E_LOGICAL_SECTOR, lss);
    vb_put32(&im, lss, 512);
    vb_put32(&im, pss, 2048);
    expect_open(&im, VHDX_E_PHYSICAL_SECTOR, pss);
    vb_put32(&im, pss, 512);
    expect_open(&im, VHDX_OK, 0);
    /* R95: multiple of the logical sector size, non-zero */
    vb_put64(&im, vds, 8 * MiB + 256);
    expect_open(&im, VHDX_E_DISK_SIZE, vds);
    vb_put64(&im, vds, 0);
    expect_open(&im, VHDX_E_DISK_SIZE, vds);
    vb_put64(&im, vds, 8 * MiB - 512);
    expect_open(&im, VHDX_OK, 0);
    vb_free(&im);
}

/* R95 at its maximum, with the BAT paged through one 64 KiB page */
static void test_64tib_bounded_memory(void **s)
{
    (void)s;
    vb_image im;
    vb_params p;
    vb_params_default(&p);
    p.virtual_size = 64 * TiB;
    p.block_size = 256 * (uint32_t)MiB;
    p.lss = 4096;
    assert_int_equal(vb_build(&im, &p), VHDX_OK);
    assert_int_equal(im.geo.bat_entries, 264191); /* spec section 11 */
    assert_int_equal(im.bat_length, 3 * MiB);
    /* the last payload entry is populated (UNMAPPED without offset: reads as zeros) */
    vb_bat_set(&im, im.geo.bat_entries - 1, fmt_bat_make(VHDX_PB_UNMAPPED, 0));
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.limits.max_bat_memory = IMG_BAT_PAGE;
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vb_open_opts(&im, &o, &img, &d), VHDX_OK);
    assert_int_equal(img->bat.npages, 1); /* one resident page, whatever the BAT size */
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.virtual_size, 64 * TiB);
    assert_int_equal(info.bat.payload[VHDX_PB_UNMAPPED], 1);
    assert_int_equal(info.bat.payload[VHDX_PB_NOT_PRESENT], 262143);
    assert_int_equal(info.bat.sector_bitmap[VHDX_SB_NOT_PRESENT], 2047);
    uint8_t buf[4096];
    memset(buf, 1, sizeof buf);
    assert_int_equal(vhdx_read(img, 64 * TiB - 4096, buf, 4096, &d), VHDX_OK);
    assert_int_equal(buf[0], 0);
    assert_int_equal(vhdx_read(img, 0, buf, 4096, &d), VHDX_OK);
    assert_int_equal(vhdx_read(img, 32 * TiB, buf, 4096, &d), VHDX_OK);
    assert_int_equal(img->bat.npages, 1);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* one sector more than 64 TiB */
    vb_put64(&im, vb_md_item_offset(&im, VB_MD_VDS), 64 * TiB + 4096);
    expect_open(&im, VHDX_E_DISK_SIZE, vb_md_item_offset(&im, VB_MD_VDS));
    vb_free(&im);
}

/* ---- BAT ---- */

static void test_bat_region_size(void **s)
{
    (void)s;
    vb_image im;
    /* 131041 blocks of 1 MiB: N + (N-1)/CR = 131072 entries = exactly 1 MiB (R66) */
    dyn(&im, 131041 * MiB);
    assert_int_equal(im.geo.bat_entries, 131072);
    assert_int_equal(im.bat_length, MiB);
    expect_open(&im, VHDX_OK, 0);
    vb_free(&im);
    /* one block more needs 131073 entries: a 1 MiB region is too small */
    dyn(&im, 131042 * MiB);
    assert_int_equal(im.bat_length, 2 * MiB);
    vb_rt_entry_set32(&im, -1, VB_RT_BAT, RTE_OFF_LENGTH, (uint32_t)MiB);
    expect_open(&im, VHDX_E_BAT_TOO_SMALL, RT_E(VB_RT_BAT, RTE_OFF_LENGTH));
    vb_free(&im);
}

static void test_bat_placement(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    uint64_t off = vb_alloc_block(&im, 0, 1);
    uint64_t e0 = vb_bat_entry_offset(&im, 0), e1 = vb_bat_entry_offset(&im, 1);
    assert_int_equal(off, im.data_offset);
    expect_open(&im, VHDX_OK, 0); /* block ends exactly at EOF */
    /* D12: one byte short */
    vb_truncate(&im, off + MiB - 1);
    expect_open(&im, VHDX_E_BAT_OUTSIDE_FILE, e0);
    vb_truncate(&im, off + MiB);
    /* R70: a present block at FileOffsetMB 0 (the header section) */
    vb_bat_set(&im, 0, fmt_bat_make(VHDX_PB_FULLY_PRESENT, 0));
    expect_open(&im, VHDX_E_BAT_PRESENT_ZERO_OFFSET, e0);
    /* R70: into the log, the metadata region, the BAT region */
    vb_bat_set(&im, 0, fmt_bat_make(VHDX_PB_FULLY_PRESENT, im.log_offset));
    expect_open(&im, VHDX_E_BAT_OVERLAP, e0);
    vb_bat_set(&im, 0, fmt_bat_make(VHDX_PB_FULLY_PRESENT, im.md_offset));
    expect_open(&im, VHDX_E_BAT_OVERLAP, e0);
    vb_bat_set(&im, 0, fmt_bat_make(VHDX_PB_FULLY_PRESENT, im.bat_offset));
    expect_open(&im, VHDX_E_BAT_OVERLAP, e0);
    /* R71: two entries with one FileOffsetMB (the later entry is reported) */
    vb_bat_set(&im, 0, fmt_bat_make(VHDX_PB_FULLY_PRESENT, off));
    vb_bat_set(&im, 1, fmt_bat_make(VHDX_PB_FULLY_PRESENT, off));
    expect_open(&im, VHDX_E_BAT_DUPLICATE, e1);
    /* R71 holds for UNDEFINED/UNMAPPED with a location too */
    vb_bat_set(&im, 1, fmt_bat_make(VHDX_PB_UNMAPPED, off));
    expect_open(&im, VHDX_E_BAT_DUPLICATE, e1);
    vb_bat_set(&im, 1, fmt_bat_make(VHDX_PB_NOT_PRESENT, 0));
    expect_open(&im, VHDX_OK, 0);
    vb_free(&im);

    /* blocks overlapping without sharing a start (2 MiB blocks 1 MiB apart) */
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 8 * MiB, 2 * (uint32_t)MiB, 512), VHDX_OK);
    uint64_t a = vb_alloc_block(&im, 0, 1);
    vb_alloc_block(&im, 1, 1);
    vb_bat_set(&im, 2, fmt_bat_make(VHDX_PB_FULLY_PRESENT, a + 2 * MiB));
    expect_open(&im, VHDX_E_BAT_DUPLICATE, vb_bat_entry_offset(&im, 2));
    vb_bat_set(&im, 2, fmt_bat_make(VHDX_PB_FULLY_PRESENT, a + MiB));
    expect_open(&im, VHDX_E_BAT_OVERLAP, vb_bat_entry_offset(&im, 2));
    vb_free(&im);
}

static void test_bat_states(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 8 * MiB);
    uint64_t e3 = vb_bat_entry_offset(&im, 3);
    vb_bat_set(&im, 3, 4);
    expect_open(&im, VHDX_E_BAT_STATE, e3);
    vb_bat_set(&im, 3, 5);
    expect_open(&im, VHDX_E_BAT_STATE, e3);
    /* R69: reserved bits 3-19 */
    vb_bat_set(&im, 3, fmt_bat_make(VHDX_PB_ZERO, 0) | 0x80000);
    expect_open(&im, VHDX_E_BAT_RESERVED, e3);
    vb_bat_set(&im, 3, fmt_bat_make(VHDX_PB_ZERO, 0) | 0x8);
    expect_open(&im, VHDX_E_BAT_RESERVED, e3);
    vb_bat_set(&im, 3, fmt_bat_make(VHDX_PB_ZERO, 0));
    expect_open(&im, VHDX_OK, 0);
    /* R72: PARTIALLY_PRESENT needs a parent */
    uint64_t off = vb_alloc_block(&im, 3, 1);
    vb_bat_set(&im, 3, fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, off));
    expect_open(&im, VHDX_E_BAT_PARTIAL_NO_PARENT, e3);
    vb_free(&im);

    /* R77: an SB block in a file without a parent (4 GiB + 1 MiB: SB slot at 4096) */
    dyn(&im, 4 * GiB + MiB);
    uint64_t sbe = vb_bat_entry_offset(&im, 4096);
    vb_truncate(&im, im.data_offset + MiB);
    vb_bat_set(&im, 4096, fmt_bat_make(VHDX_SB_PRESENT, im.data_offset));
    expect_open(&im, VHDX_E_BAT_SB_PRESENT, sbe);
    vb_bat_set(&im, 4096, fmt_bat_make(3, 0));
    expect_open(&im, VHDX_E_BAT_SB_STATE, sbe);
    vb_bat_set(&im, 4096, 0);
    expect_open(&im, VHDX_OK, 0);
    vb_free(&im);
}

/* differencing: R76 (a PARTIALLY_PRESENT block needs its chunk's bitmap) */
static void test_bat_partial_needs_sb(void **s)
{
    (void)s;
    vb_image im;
    vb_params p;
    vb_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.virtual_size = 8 * MiB;
    assert_int_equal(vb_build(&im, &p), VHDX_OK);
    uint64_t off = vb_alloc_block(&im, 2, 1);
    vb_bat_set(&im, vb_pb_index(&im, 2), fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, off));
    expect_open(&im, VHDX_E_BAT_PARTIAL_NO_SB, vb_bat_entry_offset(&im, vb_pb_index(&im, 2)));
    uint64_t sb = vb_alloc_sb(&im, 0, 1);
    expect_open(&im, VHDX_OK, 0);
    /* the SB block is placed like any block (R70) */
    vb_bat_set(&im, vb_sb_index(&im, 0), fmt_bat_make(VHDX_SB_PRESENT, off));
    expect_open(&im, VHDX_E_BAT_DUPLICATE, vb_bat_entry_offset(&im, vb_sb_index(&im, 0)));
    vb_bat_set(&im, vb_sb_index(&im, 0), fmt_bat_make(VHDX_SB_PRESENT, sb + MiB));
    expect_open(&im, VHDX_E_BAT_OUTSIDE_FILE, vb_bat_entry_offset(&im, vb_sb_index(&im, 0)));
    vb_free(&im);
}

/* More blocks with a location than the placement check may hold at once: the overlap
 * check runs in windows over the file, with the same results (sparse file). */
static void test_bat_overlap_windowed(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im, 2 * GiB);
    const uint64_t n = 1500;
    for (uint64_t b = 0; b < n; b++)
        vb_bat_set(&im, vb_pb_index(&im, b), fmt_bat_make(VHDX_PB_UNDEFINED, im.data_offset + b * MiB));
    char path[] = "/tmp/vhdx-window-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.limits.max_bat_memory = 16 * 1024; /* floor: 1024 placement records */
    for (int round = 0; round < 3; round++) {
        if (round == 1) /* the last block duplicates the first */
            vb_bat_set(&im, vb_pb_index(&im, n - 1), fmt_bat_make(VHDX_PB_UNDEFINED, im.data_offset));
        if (round == 2) /* a duplicate inside the second window */
            vb_bat_set(&im, vb_pb_index(&im, n - 1), fmt_bat_make(VHDX_PB_UNDEFINED, im.data_offset + 1200 * MiB));
        assert_int_equal(vb_save(&im, path, im.data_offset + n * MiB), VHDX_OK);
        vhdx_image *img = NULL;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        int rc = vhdx_open_file(&img, path, &o, &d);
        if (round == 0) {
            assert_int_equal(rc, VHDX_OK);
            assert_int_equal(vhdx_close(img), VHDX_OK);
        } else {
            assert_int_equal(rc, VHDX_E_BAT_DUPLICATE);
            assert_int_equal(d.offset, vb_bat_entry_offset(&im, vb_pb_index(&im, n - 1)));
        }
    }
    unlink(path);
    vb_free(&im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_size),
        cmocka_unit_test(test_fileid_signature),
        cmocka_unit_test(test_header_version),
        cmocka_unit_test(test_header_log_fields),
        cmocka_unit_test(test_log_placement),
        cmocka_unit_test(test_region_offset_rules),
        cmocka_unit_test(test_region_length_rules),
        cmocka_unit_test(test_region_overlap),
        cmocka_unit_test(test_region_presence_and_duplicates),
        cmocka_unit_test(test_region_table_copies),
        cmocka_unit_test(test_metadata_table),
        cmocka_unit_test(test_metadata_items_required),
        cmocka_unit_test(test_geometry_rules),
        cmocka_unit_test(test_64tib_bounded_memory),
        cmocka_unit_test(test_bat_region_size),
        cmocka_unit_test(test_bat_placement),
        cmocka_unit_test(test_bat_states),
        cmocka_unit_test(test_bat_partial_needs_sb),
        cmocka_unit_test(test_bat_overlap_windowed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
