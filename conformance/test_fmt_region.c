/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_region.c - the region table codec (fmt_region.c, MS-VHDX 2.2.3).
 * Every codec-level rule at its boundary: the value just inside is accepted (no finding at
 * all), the value just outside is rejected with the exact code at the exact byte offset.
 * Structures are built with the encoders, one field mutated.
 */
#include "codec_test.h"

#define RB 0x30000u
#define RTE(i) (RB + 16u + 32u * (i))

static fmt_region_table *rt_new(void)
{
    fmt_region_table *t = calloc(1, sizeof *t);
    assert_non_null(t);
    t->signature = VHDX_SIG_REGI;
    t->entry_count = 2;
    t->entries[0].guid = VHDX_GUID_BAT_REGION;
    t->entries[0].file_offset = 2 * MiB;
    t->entries[0].length = (uint32_t)MiB;
    t->entries[0].required = 1;
    t->entries[1].guid = VHDX_GUID_METADATA_REGION;
    t->entries[1].file_offset = 3 * MiB;
    t->entries[1].length = (uint32_t)MiB;
    t->entries[1].required = 1;
    return t;
}

static void rt_check(const fmt_region_table *t, test_sink *ts)
{
    uint8_t *raw = malloc(VHDX_RT_SIZE);
    fmt_region_table *d = malloc(sizeof *d);
    assert_non_null(raw);
    assert_non_null(d);
    test_sink_init(ts);
    assert_int_equal(fmt_region_table_encode(t, raw, VHDX_RT_SIZE), VHDX_OK);
    assert_int_equal(fmt_region_table_decode(raw, VHDX_RT_SIZE, d), VHDX_OK);
    assert_int_equal(fmt_region_table_validate(d, raw, &ts->sink, RB), VHDX_OK);
    free(raw);
    free(d);
}

static void rt_valid_no_findings(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    rt_check(t, &ts);
    EXPECT_NONE(&ts);
    free(t);
}

static void rt_fill(fmt_region_table *t, uint32_t n)
{
    t->entry_count = n;
    for (uint32_t i = 2; i < n && i < VHDX_RT_MAX_ENTRIES; i++) {
        fmt_region_entry *e = &t->entries[i];
        memset(e, 0, sizeof *e);
        e->guid.b[0] = (uint8_t)i;
        e->guid.b[1] = (uint8_t)(i >> 8);
        e->guid.b[15] = 0x77;
        e->file_offset = (uint64_t)(4 + i) * MiB;
        e->length = (uint32_t)MiB;
        e->required = 0;
    }
}

static void rt_entry_count_2047_accepted(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    rt_fill(t, 2047);
    rt_check(t, &ts);
    EXPECT_NONE(&ts);
    free(t);
}

static void rt_entry_count_2048_rejected(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    rt_fill(t, 2048);
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_ENTRY_COUNT, RB + 8);
    t->entry_count = 0xFFFFFFFFu;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_ENTRY_COUNT, RB + 8);
    free(t);
}

static void rt_signature_checksum_reserved(void **state)
{
    fmt_region_table *t = rt_new(), *d = malloc(sizeof *d);
    uint8_t *raw = malloc(VHDX_RT_SIZE);
    test_sink ts;
    (void)state;
    assert_non_null(raw);
    assert_non_null(d);
    t->signature = 0x49474552u; /* "REGI" */
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_SIGNATURE, RB + 0);
    t->signature = VHDX_SIG_REGI;
    t->reserved = 1;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_RT_RESERVED, RB + 12);
    t->reserved = 0;
    /* CRC covers the reserved tail of the 64 KiB too */
    assert_int_equal(fmt_region_table_encode(t, raw, VHDX_RT_SIZE), VHDX_OK);
    assert_true(fmt_region_table_is_valid(raw, VHDX_RT_SIZE));
    raw[VHDX_RT_SIZE - 1] = 1;
    assert_false(fmt_region_table_is_valid(raw, VHDX_RT_SIZE));
    assert_int_equal(fmt_region_table_decode(raw, VHDX_RT_SIZE, d), VHDX_OK);
    test_sink_init(&ts);
    assert_int_equal(fmt_region_table_validate(d, raw, &ts.sink, RB), VHDX_OK);
    EXPECT_ONE(&ts, VHDX_E_RT_CHECKSUM, RB + 4);
    free(raw);
    free(d);
    free(t);
}

static void rt_offset_rules(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    t->entries[1].file_offset = MiB; /* boundary: right after the header section */
    rt_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[1].file_offset = MiB - MiB; /* 0: inside the header section */
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_OFFSET, RTE(1) + 16);
    t->entries[1].file_offset = 3 * MiB + 4096;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_OFFSET, RTE(1) + 16);
    t->entries[1].file_offset = 0xFFFFFFFFFFF00000ULL; /* offset + length wraps */
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_OFFSET, RTE(1) + 16);
    free(t);
}

static void rt_length_rules(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    t->entries[0].length = 0xFFF00000u;
    rt_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[0].length = (uint32_t)MiB + 1;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_LENGTH, RTE(0) + 24);
    t->entries[0].length = 0;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_LENGTH, RTE(0) + 24);
    free(t);
}

static void rt_duplicate_rejected(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    t->entry_count = 3;
    t->entries[2] = t->entries[0];
    t->entries[2].file_offset = 9 * MiB;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_DUPLICATE, RTE(2) + 0);
    free(t);
}

static void rt_required_rules(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    t->entry_count = 3;
    memset(t->entries[2].guid.b, 0x5A, 16);
    t->entries[2].file_offset = 8 * MiB;
    t->entries[2].length = (uint32_t)MiB;
    t->entries[2].required = 0; /* unknown, optional: ignored */
    rt_check(t, &ts);
    EXPECT_NONE(&ts);
    t->entries[2].required = 1;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_UNKNOWN_REQUIRED, RTE(2) + 28);
    t->entries[2].required = 2; /* bit 0 clear, another bit set */
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_RT_REQUIRED_BITS, RTE(2) + 28);
    t->entry_count = 2;
    t->entries[0].required = 0;
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_W_RT_NOT_REQUIRED, RTE(0) + 28);
    free(t);
}

static void rt_missing_regions_rejected(void **state)
{
    fmt_region_table *t = rt_new();
    test_sink ts;
    (void)state;
    t->entry_count = 1; /* BAT only */
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_MISSING_METADATA, RB + 8);
    t->entries[0] = t->entries[1]; /* metadata only */
    rt_check(t, &ts);
    EXPECT_ONE(&ts, VHDX_E_RT_MISSING_BAT, RB + 8);
    t->entry_count = 0;
    rt_check(t, &ts);
    assert_int_equal(ts.count, 2);
    assert_true(test_sink_has(&ts, VHDX_E_RT_MISSING_BAT, RB + 8));
    assert_true(test_sink_has(&ts, VHDX_E_RT_MISSING_METADATA, RB + 8));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rt_valid_no_findings),
        cmocka_unit_test(rt_entry_count_2047_accepted),
        cmocka_unit_test(rt_entry_count_2048_rejected),
        cmocka_unit_test(rt_signature_checksum_reserved),
        cmocka_unit_test(rt_offset_rules),
        cmocka_unit_test(rt_length_rules),
        cmocka_unit_test(rt_duplicate_rejected),
        cmocka_unit_test(rt_required_rules),
        cmocka_unit_test(rt_missing_regions_rejected),
    };
    return cmocka_run_group_tests_name("fmt_region", tests, NULL, NULL);
}
