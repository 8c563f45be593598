/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_metadata.c - the metadata table and item codecs and the BAT geometry they
 * imply (fmt_metadata.c, MS-VHDX 2.6).
 * Every codec-level rule at its boundary: the value just inside is accepted (no finding at
 * all), the value just outside is rejected with the exact code at the exact byte offset.
 * Structures are built with the encoders, one field mutated.
 */
#include "codec_test.h"

#define MB_ 0x300000u /* metadata region file offset */
#define MDE(i) (MB_ + 32u + 32u * (i))
#define MD_REGION (2 * MiB)

static fmt_metadata_table *md_new(void)
{
    fmt_metadata_table *t = calloc(1, sizeof *t);
    const uint32_t req = VHDX_MD_FLAG_IS_REQUIRED, vd = VHDX_MD_FLAG_IS_VIRTUAL_DISK;
    assert_non_null(t);
    t->signature = VHDX_SIG_METADATA;
    t->entry_count = 5;
    t->entries[0] = (fmt_metadata_entry){ VHDX_GUID_FILE_PARAMETERS, 0x10000, 8, req, 0 };
    t->entries[1] = (fmt_metadata_entry){ VHDX_GUID_VIRTUAL_DISK_SIZE, 0x10008, 8, req | vd, 0 };
    t->entries[2] = (fmt_metadata_entry){ VHDX_GUID_VIRTUAL_DISK_ID, 0x10010, 16, req | vd, 0 };
    t->entries[3] = (fmt_metadata_entry){ VHDX_GUID_LOGICAL_SECTOR_SIZE, 0x10020, 4, req | vd, 0 };
    t->entries[4] = (fmt_metadata_entry){ VHDX_GUID_PHYSICAL_SECTOR_SIZE, 0x10024, 4, req | vd, 0 };
    return t;
}

static void md_check_len(const fmt_metadata_table *t, uint64_t region_length, test_sink *ts)
{
    uint8_t *raw = malloc(VHDX_MD_TABLE_SIZE);
    fmt_metadata_table *d = malloc(sizeof *d);
    assert_non_null(raw);
    assert_non_null(d);
    test_sink_init(ts);
    assert_int_equal(fmt_metadata_table_encode(t, raw, VHDX_MD_TABLE_SIZE), VHDX_OK);
    assert_int_equal(fmt_metadata_table_decode(raw, VHDX_MD_TABLE_SIZE, d), VHDX_OK);
    assert_int_equal(fmt_metadata_table_validate(d, region_length, &ts->sink, MB_), VHDX_OK);
    free(raw);
    free(d);
}

static void md_check(const fmt_metadata_table *t, test_sink *ts) { md_check_len(t, MD_REGION, ts); }

static void md_add(fmt_metadata_table *t, uint8_t tag, uint32_t off, uint32_t len, uint32_t flags)
{
    fmt_metadata_entry *e = &t->entries[t->entry_count++];
    memset(e, 0, sizeof *e);
    memset(e->item_id.b, tag, 16);
    e->offset = off;
    e->length = len;
    e->flags = flags;
}

static void md_valid_no_findings(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    assert_int_equal(fmt_metadata_find(t, &VHDX_GUID_LOGICAL_SECTOR_SIZE), -1); /* not decoded */
    free(t);
}

/* n entries: the 5 known ones, then `users` user items and other unknown system items,
 * all empty (Length 0, Offset 0) with distinct ids */
static void md_fill(fmt_metadata_table *t, uint32_t n, uint32_t users)
{
    for (uint32_t i = 5; i < n && i < VHDX_MD_MAX_ENTRIES; i++) {
        fmt_metadata_entry *e = &t->entries[i];
        memset(e, 0, sizeof *e);
        e->item_id.b[0] = (uint8_t)i;
        e->item_id.b[1] = (uint8_t)(i >> 8);
        e->item_id.b[15] = 0x99;
        e->flags = (i - 5 < users) ? VHDX_MD_FLAG_IS_USER : 0;
    }
    t->entry_count = (uint16_t)n;
}

static void md_entry_count_2047_accepted(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_fill(t, 2047, 1024);
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    free(t);
}

static void md_entry_count_2048_rejected(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_fill(t, 2048, 0);
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_ENTRY_COUNT, MB_ + 10);
    free(t);
}

static void md_user_items_1024_accepted_1025_rejected(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_fill(t, 5 + 1024, 1024);
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    md_fill(t, 5 + 1025, 1025);
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_TOO_MANY_USER, MB_ + 10);
    free(t);
}

static void md_header_fields(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    t->signature ^= 0x20; /* "Metadata" */
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_SIGNATURE, MB_ + 0);
    t->signature = VHDX_SIG_METADATA;
    t->reserved = 1;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_MD_RESERVED, MB_ + 8);
    t->reserved = 0;
    t->reserved2[19] = 1;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_MD_RESERVED2, MB_ + 12);
    free(t);
}

static void md_item_offset_65535_rejected_65536_accepted(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    t->entries[0].offset = 65535;
    t->entries[0].length = 1; /* stays clear of the other items */
    t->entries[0].item_id.b[0] ^= 1; /* an unknown optional item now */
    t->entries[0].flags = 0;
    md_add(t, 0x11, 0x10030, 8, VHDX_MD_FLAG_IS_REQUIRED);
    t->entries[5].item_id = VHDX_GUID_FILE_PARAMETERS;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_OFFSET, MDE(0) + 16);
    t->entries[0].offset = 65536 - 1 + 1;
    t->entries[0].length = 0;
    t->entries[0].offset = 0; /* Length 0 and Offset 0: present but empty */
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[0].offset = 65536; /* boundary with a length: first byte after the table */
    t->entries[0].length = 0;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_ZERO_LENGTH_OFFSET, MDE(0) + 16);
    free(t);
}

static void md_item_length_1mib_accepted_plus1_rejected(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_add(t, 0x22, (uint32_t)MiB, (uint32_t)MiB, VHDX_MD_FLAG_IS_USER);
    md_check_len(t, 4 * MiB, &ts);
    EXPECT_NONE(&ts);
    t->entries[5].length = (uint32_t)MiB + 1;
    md_check_len(t, 4 * MiB, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_LENGTH, MDE(5) + 20);
    free(t);
}

static void md_item_inside_region(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_add(t, 0x33, (uint32_t)(MD_REGION - 100), 100, VHDX_MD_FLAG_IS_USER); /* ends at the end */
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[5].length = 101;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_OUTSIDE_REGION, MDE(5) + 16);
    t->entries[5].offset = 0xFFFFFFFFu; /* u32 + u32 does not wrap */
    t->entries[5].length = 0xFFFFFFFFu;
    md_check(t, &ts);
    assert_int_equal(ts.count, 2);
    assert_true(test_sink_has(&ts, VHDX_E_MD_OUTSIDE_REGION, MDE(5) + 16));
    assert_true(test_sink_has(&ts, VHDX_E_MD_LENGTH, MDE(5) + 20));
    free(t);
}

static void md_items_overlap(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_add(t, 0x44, 0x10028, 8, VHDX_MD_FLAG_IS_USER); /* adjacent to the PSS item */
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[5].offset = 0x10027; /* one byte into the PSS item */
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_OVERLAP, MDE(5) + 16);
    /* an item inside a large earlier one */
    t->entries[5].offset = 0x20000;
    t->entries[5].length = 0x1000;
    md_add(t, 0x45, 0x20800, 16, VHDX_MD_FLAG_IS_USER);
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_OVERLAP, MDE(6) + 16);
    free(t);
}

static void md_duplicate_rejected(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    /* same id as a system item but IsUser = 1: a different key */
    md_add(t, 0, 0x10100, 8, VHDX_MD_FLAG_IS_USER);
    t->entries[5].item_id = VHDX_GUID_FILE_PARAMETERS;
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[5].flags = VHDX_MD_FLAG_IS_REQUIRED;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_DUPLICATE, MDE(5) + 0);
    free(t);
}

static void md_unknown_required_rejected(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    md_add(t, 0x55, 0x10100, 8, VHDX_MD_FLAG_IS_VIRTUAL_DISK);
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[5].flags |= VHDX_MD_FLAG_IS_REQUIRED;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_UNKNOWN_REQUIRED, MDE(5) + 24);
    t->entries[5].flags |= VHDX_MD_FLAG_IS_USER;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_UNKNOWN_REQUIRED, MDE(5) + 24);
    free(t);
}

static void md_entry_reserved_bits(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    t->entries[2].flags |= 8;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_MD_FLAGS_RESERVED, MDE(2) + 24);
    t->entries[2].flags &= ~8u;
    t->entries[2].reserved2 = 0x80000000u;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_MD_FLAGS_RESERVED, MDE(2) + 28);
    free(t);
}

static void md_known_items_presence_size_flags(void **state)
{
    fmt_metadata_table *t = md_new();
    test_sink ts;
    (void)state;
    t->entries[3].length = 3; /* logical sector size needs 4 bytes */
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_ITEM_SIZE, MDE(3) + 20);
    t->entries[3].length = 4;
    t->entries[4].flags = VHDX_MD_FLAG_IS_VIRTUAL_DISK; /* early Windows: PSS not required */
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_MD_ITEM_FLAGS, MDE(4) + 24);
    t->entries[4].flags |= VHDX_MD_FLAG_IS_REQUIRED;
    t->entry_count = 4; /* physical sector size missing */
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_MISSING_ITEM, MB_ + 10);
    /* a parent locator is optional here (R98 needs the file parameters) but sized */
    t->entry_count = 5;
    md_add(t, 0, 0x10100, 19, VHDX_MD_FLAG_IS_REQUIRED);
    t->entries[5].item_id = VHDX_GUID_PARENT_LOCATOR;
    md_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_MD_ITEM_SIZE, MDE(5) + 20);
    t->entries[5].length = 20;
    md_check(t, &ts);
    EXPECT_NONE(&ts);
    free(t);
}

/* ---- BAT geometry (fmt_geometry_*, computed from the metadata items) ---- */

typedef struct geo_vec {
    uint64_t size;
    uint32_t bs, lss;
    uint64_t cr, n, s, fixed_entries, diff_entries;
} geo_vec;

static void geo_spec_vectors(void **state)
{
    /* spec section 11, "BAT geometry" */
    static const geo_vec v[] = {
        { 1 * GiB, 32u << 20, 512, 128, 32, 1, 32, 129 },
        { 4 * GiB, 1u << 20, 512, 4096, 4096, 1, 4096, 4097 },
        { 4 * GiB + MiB, 1u << 20, 512, 4096, 4097, 2, 4098, 8194 },
        { 10 * GiB, 32u << 20, 512, 128, 320, 3, 322, 387 },
        { 10 * GiB, 1u << 20, 4096, 32768, 10240, 1, 10240, 32769 },
        { 127 * GiB, 32u << 20, 512, 128, 4064, 32, 4095, 4128 },
        { 128 * GiB, 32u << 20, 512, 128, 4096, 32, 4127, 4128 },
        { 2 * TiB, 1u << 20, 512, 4096, 2097152, 512, 2097663, 2097664 },
        { 64 * TiB, 256u << 20, 4096, 128, 262144, 2048, 264191, 264192 },
    };
    (void)state;
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        fmt_geometry g;
        assert_int_equal(fmt_geometry_compute(&g, v[i].size, v[i].bs, v[i].lss, 4096, 0), VHDX_OK);
        assert_true(g.chunk_ratio == v[i].cr);
        assert_true(g.payload_blocks == v[i].n);
        assert_true(g.sb_blocks == v[i].s);
        assert_true(g.bat_entries == v[i].fixed_entries);
        assert_false(g.has_parent);
        assert_int_equal(fmt_geometry_compute(&g, v[i].size, v[i].bs, v[i].lss, 512,
                                              VHDX_FP_LEAVE_BLOCK_ALLOCATED), VHDX_OK);
        assert_true(g.bat_entries == v[i].fixed_entries);
        assert_true(g.leave_allocated);
        assert_int_equal(fmt_geometry_compute(&g, v[i].size, v[i].bs, v[i].lss, 4096,
                                              VHDX_FP_HAS_PARENT), VHDX_OK);
        assert_true(g.bat_entries == v[i].diff_entries);
        assert_true(g.has_parent);
    }
    /* worked example of section 7.7: BAT index of block 224 and its SB entry */
    assert_true(fmt_bat_pb_index(224, 128) == 225);
    assert_true(fmt_bat_sb_index(1, 128) == 257);
    assert_true(fmt_bat_is_sb_slot(128, 128));
    assert_false(fmt_bat_is_sb_slot(127, 128));
    assert_false(fmt_bat_is_sb_slot(129, 128));
}

#define OFF_FP 0x310000u
#define OFF_SZ 0x310008u
#define OFF_LSS 0x310020u
#define OFF_PSS 0x310024u

static void geo_check(uint64_t size, uint32_t bs, uint32_t lss, uint32_t pss, uint32_t flags,
                      int code, uint64_t off)
{
    test_sink ts;
    fmt_geometry g;
    int rc = fmt_geometry_compute(&g, size, bs, lss, pss, flags);
    test_sink_init(&ts);
    assert_int_equal(fmt_geometry_validate(size, bs, lss, pss, flags, &ts.sink, OFF_FP, OFF_SZ,
                                           OFF_LSS, OFF_PSS), VHDX_OK);
    if (code == VHDX_OK) {
        assert_int_equal(rc, VHDX_OK);
        EXPECT_NONE(&ts);
    } else {
        if (vhdx_status_is_fatal(code)) assert_int_equal(rc, code);
        EXPECT_ONE(&ts, code, off);
    }
}

static void geo_block_size_rules(void **state)
{
    (void)state;
    geo_check(GiB, 1u << 20, 512, 4096, 0, VHDX_OK, 0);
    geo_check(GiB, 256u << 20, 512, 4096, 0, VHDX_OK, 0);
    geo_check(GiB, 512u << 10, 512, 4096, 0, VHDX_E_BLOCK_SIZE, OFF_FP);
    geo_check(GiB, 512u << 20, 512, 4096, 0, VHDX_E_BLOCK_SIZE, OFF_FP);
    geo_check(GiB, 3u << 20, 512, 4096, 0, VHDX_E_BLOCK_SIZE, OFF_FP);
    geo_check(GiB, 0, 512, 4096, 0, VHDX_E_BLOCK_SIZE, OFF_FP);
    geo_check(GiB, 0x80000000u, 512, 4096, 0, VHDX_E_BLOCK_SIZE, OFF_FP);
}

static void geo_disk_size_rules(void **state)
{
    (void)state;
    geo_check(VHDX_MAX_DISK_SIZE, 32u << 20, 512, 4096, 0, VHDX_OK, 0);
    geo_check(VHDX_MAX_DISK_SIZE + 512, 32u << 20, 512, 4096, 0, VHDX_E_DISK_SIZE, OFF_SZ);
    geo_check(UINT64_MAX - 511, 32u << 20, 512, 4096, 0, VHDX_E_DISK_SIZE, OFF_SZ);
    geo_check(0, 32u << 20, 512, 4096, 0, VHDX_E_DISK_SIZE, OFF_SZ);
    geo_check(512, 32u << 20, 512, 4096, 0, VHDX_OK, 0);
    geo_check(4096, 32u << 20, 4096, 4096, 0, VHDX_OK, 0);
    geo_check(GiB + 512, 32u << 20, 4096, 4096, 0, VHDX_E_DISK_SIZE, OFF_SZ);
    geo_check(GiB + 511, 32u << 20, 512, 4096, 0, VHDX_E_DISK_SIZE, OFF_SZ);
    {
        fmt_geometry g;
        assert_int_equal(fmt_geometry_compute(&g, 512, 32u << 20, 512, 512, 0), VHDX_OK);
        assert_true(g.payload_blocks == 1 && g.bat_entries == 1);
    }
}

static void geo_sector_size_rules(void **state)
{
    static const uint32_t bad[] = { 0, 256, 1024, 2048, 8192, 4097, 0xFFFFFFFFu };
    (void)state;
    geo_check(GiB, 1u << 20, 512, 512, 0, VHDX_OK, 0);
    geo_check(GiB, 1u << 20, 4096, 4096, 0, VHDX_OK, 0);
    geo_check(GiB, 1u << 20, 4096, 512, 0, VHDX_OK, 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        geo_check(GiB, 1u << 20, bad[i], 4096, 0, VHDX_E_LOGICAL_SECTOR, OFF_LSS);
        geo_check(GiB, 1u << 20, 512, bad[i], 0, VHDX_E_PHYSICAL_SECTOR, OFF_PSS);
    }
}

static void geo_file_parameter_flags(void **state)
{
    (void)state;
    geo_check(GiB, 1u << 20, 512, 4096, 3, VHDX_OK, 0);
    geo_check(GiB, 1u << 20, 512, 4096, 4, VHDX_W_FILE_PARAMS_RESERVED, OFF_FP + 4);
    geo_check(GiB, 1u << 20, 512, 4096, 0x80000000u, VHDX_W_FILE_PARAMS_RESERVED, OFF_FP + 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(md_valid_no_findings),
        cmocka_unit_test(md_entry_count_2047_accepted),
        cmocka_unit_test(md_entry_count_2048_rejected),
        cmocka_unit_test(md_user_items_1024_accepted_1025_rejected),
        cmocka_unit_test(md_header_fields),
        cmocka_unit_test(md_item_offset_65535_rejected_65536_accepted),
        cmocka_unit_test(md_item_length_1mib_accepted_plus1_rejected),
        cmocka_unit_test(md_item_inside_region),
        cmocka_unit_test(md_items_overlap),
        cmocka_unit_test(md_duplicate_rejected),
        cmocka_unit_test(md_unknown_required_rejected),
        cmocka_unit_test(md_entry_reserved_bits),
        cmocka_unit_test(md_known_items_presence_size_flags),
        cmocka_unit_test(geo_spec_vectors),
        cmocka_unit_test(geo_block_size_rules),
        cmocka_unit_test(geo_disk_size_rules),
        cmocka_unit_test(geo_sector_size_rules),
        cmocka_unit_test(geo_file_parameter_flags),
    };
    return cmocka_run_group_tests_name("fmt_metadata", tests, NULL, NULL);
}
