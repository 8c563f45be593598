/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_locator.c - the parent locator codec (fmt_locator.c, MS-VHDX 2.6.2.6).
 * Every codec-level rule at its boundary: the value just inside is accepted (no finding at
 * all), the value just outside is rejected with the exact code at the exact byte offset.
 * Structures are built with the encoders, one field mutated.
 */
#include "codec_test.h"

#define PB 0x320000u

static size_t pl_build_default(uint8_t *buf, size_t len)
{
    const char *k[3] = { "parent_linkage", "relative_path", "volume_path" };
    const char *v[3] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "..\\parent.vhdx",
                         "\\\\?\\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}\\p\\parent.vhdx" };
    size_t w = 0;
    assert_int_equal(fmt_locator_build(k, v, 3, buf, len, &w), VHDX_OK);
    return w;
}

static void pl_check(const uint8_t *buf, size_t len, test_sink *ts)
{
    fmt_locator pl;
    test_sink_init(ts);
    assert_int_equal(fmt_locator_decode(buf, len, &pl), VHDX_OK);
    assert_int_equal(fmt_locator_validate(&pl, buf, len, &ts->sink, PB), VHDX_OK);
}

#define PLE(i) (PB + 20u + 12u * (i))

static void pl_valid_no_findings(void **state)
{
    uint8_t buf[1024];
    size_t n = pl_build_default(buf, sizeof buf);
    test_sink ts;
    (void)state;
    pl_check(buf, n, &ts);
    EXPECT_NONE(&ts);
    /* the item may be longer than its strings */
    pl_check(buf, sizeof buf, &ts);
    EXPECT_NONE(&ts);
}

static void pl_header_rules(void **state)
{
    uint8_t buf[1024];
    size_t n = pl_build_default(buf, sizeof buf);
    test_sink ts;
    (void)state;
    buf[0] ^= 1;
    pl_check(buf, n, &ts);
    EXPECT_ONE(&ts, VHDX_E_PL_TYPE, PB + 0);
    buf[0] ^= 1;
    buf[17] = 1;
    pl_check(buf, n, &ts);
    EXPECT_ONE(&ts, VHDX_W_PL_RESERVED, PB + 16);
}

static void pl_entry_table_bounds(void **state)
{
    uint8_t buf[1024];
    size_t n = pl_build_default(buf, sizeof buf);
    test_sink ts;
    (void)state;
    /* 20 + 12 * count == length: the table fits exactly (no strings left: entries fail) */
    {
        const char *k[1] = { "a" }, *v[1] = { "b" };
        uint8_t small[64];
        size_t w = 0;
        assert_int_equal(fmt_locator_build(k, v, 1, small, sizeof small, &w), VHDX_OK);
        pl_check(small, 32, &ts); /* strings at 32..35 are outside a 32-byte item */
        assert_true(test_sink_has(&ts, VHDX_E_PL_ENTRY, PLE(0) + 0));
        assert_false(test_sink_has(&ts, VHDX_E_PL_ENTRY, PB + 18));
        pl_check(small, 31, &ts); /* the table itself no longer fits */
        assert_true(test_sink_has(&ts, VHDX_E_PL_ENTRY, PB + 18));
    }
    /* count claims more entries than the item holds */
    vhdx_put16(buf + 18, 0xFFFF);
    pl_check(buf, n, &ts);
    assert_true(test_sink_has(&ts, VHDX_E_PL_ENTRY, PB + 18));
}

static void pl_string_bounds(void **state)
{
    uint8_t buf[1024];
    size_t n = pl_build_default(buf, sizeof buf);
    fmt_locator pl;
    test_sink ts;
    uint32_t voff;
    uint16_t vlen;
    (void)state;
    assert_int_equal(fmt_locator_decode(buf, n, &pl), VHDX_OK);
    voff = pl.entries[2].value_offset;
    vlen = pl.entries[2].value_length;
    assert_true(voff + vlen == n); /* the last value ends at the end of the item */
    pl_check(buf, n, &ts);
    EXPECT_NONE(&ts);
    pl_check(buf, n - 1, &ts); /* one byte short */
    assert_true(test_sink_has(&ts, VHDX_E_PL_ENTRY, PLE(2) + 4));
    assert_int_equal(test_sink_count_code(&ts, VHDX_E_PL_ENTRY), 1);
    /* offsets and lengths must be non-zero (R101) */
    vhdx_put32(buf + 20 + 12 * 1 + 0, 0); /* KeyOffset of entry 1 */
    pl_check(buf, n, &ts);
    assert_true(test_sink_has(&ts, VHDX_E_PL_ENTRY, PLE(1) + 0));
    pl_build_default(buf, sizeof buf);
    vhdx_put16(buf + 20 + 12 * 1 + 10, 0); /* ValueLength of entry 1 */
    pl_check(buf, n, &ts);
    EXPECT_ONE(&ts, VHDX_E_PL_ENTRY, PLE(1) + 10);
    pl_build_default(buf, sizeof buf);
    vhdx_put32(buf + 20 + 12 * 1 + 4, 0xFFFFFFFFu); /* offset + length overflow u32 */
    pl_check(buf, n, &ts);
    EXPECT_ONE(&ts, VHDX_E_PL_ENTRY, PLE(1) + 4);
}

static void pl_string_rules(void **state)
{
    uint8_t buf[1024];
    size_t n = pl_build_default(buf, sizeof buf);
    fmt_locator pl;
    test_sink ts;
    (void)state;
    assert_int_equal(fmt_locator_decode(buf, n, &pl), VHDX_OK);
    /* odd length */
    vhdx_put16(buf + 20 + 12 * 1 + 10, (uint16_t)(pl.entries[1].value_length - 1));
    pl_check(buf, n, &ts);
    EXPECT_ONE(&ts, VHDX_E_PL_STRING, PLE(1) + 4);
    /* embedded NUL in a value */
    pl_build_default(buf, sizeof buf);
    vhdx_put16(buf + pl.entries[1].value_offset + 2, 0);
    pl_check(buf, n, &ts);
    EXPECT_ONE(&ts, VHDX_E_PL_STRING, PLE(1) + 4);
    /* unpaired surrogate in a key */
    pl_build_default(buf, sizeof buf);
    vhdx_put16(buf + pl.entries[1].key_offset, 0xD800);
    pl_check(buf, n, &ts);
    assert_true(test_sink_has(&ts, VHDX_E_PL_STRING, PLE(1) + 0));
    /* duplicate key: entry 2 points at entry 0's key */
    pl_build_default(buf, sizeof buf);
    vhdx_put32(buf + 20 + 12 * 2 + 0, pl.entries[0].key_offset);
    vhdx_put16(buf + 20 + 12 * 2 + 8, pl.entries[0].key_length);
    pl_check(buf, n, &ts);
    assert_true(test_sink_has(&ts, VHDX_E_PL_STRING, PLE(2) + 0));
    assert_true(test_sink_has(&ts, VHDX_E_PL_LINKAGE_FORMAT, PB + pl.entries[2].value_offset));
    assert_int_equal(ts.count, 2);
}

static void pl_vhdx_key_rules(void **state)
{
    uint8_t buf[1024];
    size_t n;
    test_sink ts;
    (void)state;
    {
        const char *k[1] = { "relative_path" }, *v[1] = { "p.vhdx" };
        assert_int_equal(fmt_locator_build(k, v, 1, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_E_PL_NO_LINKAGE, PB + 18);
    }
    {
        const char *k[2] = { "parent_linkage2", "relative_path" };
        const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "p.vhdx" };
        assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_E_PL_NO_LINKAGE, PB + 18);
    }
    {
        const char *k[1] = { "parent_linkage" }, *v[1] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}" };
        assert_int_equal(fmt_locator_build(k, v, 1, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_E_PL_NO_PATH, PB + 18);
    }
    {
        const char *k[2] = { "parent_linkage", "absolute_win32_path" };
        const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bf}", "\\\\?\\d:\\p.vhdx" };
        assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_E_PL_LINKAGE_FORMAT, PB + 20 + 24 + 2 * 14); /* after its key */
    }
    {
        const char *k[2] = { "parent_linkage", "absolute_win32_path" };
        const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "\\\\.\\d:\\p.vhdx" };
        assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_E_PL_ABSOLUTE_PATH, PB + 20 + 24 + 2 * (14 + 38 + 19));
    }
    {
        const char *k[2] = { "parent_linkage", "volume_path" };
        const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "\\\\?\\d:\\p.vhdx" };
        assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_E_PL_VOLUME_PATH, PB + 20 + 24 + 2 * (14 + 38 + 11));
    }
    {
        /* Hyper-V writes plain drive paths: a tolerated deviation, not an error */
        const char *k[2] = { "parent_linkage", "absolute_win32_path" };
        const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "d:\\p.vhdx" };
        assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_W_PL_ABSOLUTE_PATH, PB + 20 + 24 + 2 * (14 + 38 + 19));
    }
    {
        const char *k[2] = { "parent_linkage", "volume_path" };
        const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}",
                             "\\\\?\\Volume{26A21BDA-A627-11D7-9931-806E6F6E6963}" };
        assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts); /* no "\\" after the GUID */
        EXPECT_ONE(&ts, VHDX_E_PL_VOLUME_PATH, PB + 20 + 24 + 2 * (14 + 38 + 11));
    }
    /* keys are case-sensitive: "Parent_Linkage" is not parent_linkage */
    {
        const char *k[2] = { "Parent_Linkage", "relative_path" };
        const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "p.vhdx" };
        assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
        pl_check(buf, n, &ts);
        EXPECT_ONE(&ts, VHDX_E_PL_NO_LINKAGE, PB + 18);
    }
}

static void pl_get_unicode(void **state)
{
    /* U+1F600 (surrogate pair), U+00E9, ASCII: UTF-8 -> UTF-16LE -> UTF-8 */
    const char *k[2] = { "parent_linkage", "relative_path" };
    const char *v[2] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "\xF0\x9F\x98\x80\xC3\xA9x" };
    uint8_t buf[512];
    size_t n = 0;
    fmt_locator pl;
    test_sink ts;
    char out[16];
    vhdx_guid g, expect;
    (void)state;
    assert_int_equal(fmt_locator_build(k, v, 2, buf, sizeof buf, &n), VHDX_OK);
    pl_check(buf, n, &ts);
    EXPECT_NONE(&ts);
    assert_int_equal(fmt_locator_decode(buf, n, &pl), VHDX_OK);
    assert_int_equal(pl.entries[1].value_length, 2 * 4); /* 2 + 1 + 1 code units */
    assert_int_equal(vhdx_le16(buf + pl.entries[1].value_offset), 0xD83D);
    assert_int_equal(vhdx_le16(buf + pl.entries[1].value_offset + 2), 0xDE00);
    assert_int_equal(fmt_locator_get(&pl, buf, n, "relative_path", out, sizeof out), VHDX_OK);
    assert_string_equal(out, v[1]);
    assert_int_equal(fmt_locator_get(&pl, buf, n, "parent_linkage", out, sizeof out),
                     VHDX_E_LIMIT_METADATA); /* 38 bytes do not fit in 16 */
    {
        char text[64];
        assert_int_equal(fmt_locator_get(&pl, buf, n, "parent_linkage", text, sizeof text), VHDX_OK);
        assert_int_equal(vhdx_guid_parse(&g, text, strlen(text)), VHDX_OK);
        assert_int_equal(vhdx_guid_parse(&expect, "83ed0ec3-24c8-49a6-a959-5e4bf1288bfb", 36), VHDX_OK);
        assert_true(vhdx_guid_equal(&g, &expect));
    }
    /* a value with a NUL is refused by get too */
    vhdx_put16(buf + pl.entries[1].value_offset + 4, 0);
    assert_int_equal(fmt_locator_get(&pl, buf, n, "relative_path", out, sizeof out), VHDX_E_PL_STRING);
}

static void pl_build_rejects(void **state)
{
    uint8_t buf[256];
    size_t n;
    const char *k2[2] = { "a", "a" }, *v2[2] = { "x", "y" };
    const char *ke[1] = { "" }, *ve[1] = { "x" };
    const char *kb[1] = { "a" }, *vb[1] = { "\xC3" };
    (void)state;
    assert_int_equal(fmt_locator_build(k2, v2, 2, buf, sizeof buf, &n), VHDX_E_CREATE_PARAM);
    assert_int_equal(fmt_locator_build(ke, ve, 1, buf, sizeof buf, &n), VHDX_E_CREATE_PARAM);
    assert_int_equal(fmt_locator_build(kb, vb, 1, buf, sizeof buf, &n), VHDX_E_CREATE_PARAM);
    assert_int_equal(fmt_locator_build(k2, v2, VHDX_PL_MAX_ENTRIES + 1, buf, sizeof buf, &n),
                     VHDX_E_CREATE_PARAM);
    /* no pairs: a bare 20-byte header */
    assert_int_equal(fmt_locator_build(NULL, NULL, 0, buf, sizeof buf, &n), VHDX_OK);
    assert_int_equal(n, 20);
    assert_int_equal(vhdx_le16(buf + 18), 0);
    assert_memory_equal(buf, VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX.b, 16);
    {
        test_sink ts;
        pl_check(buf, n, &ts);
        assert_int_equal(ts.count, 2);
        assert_true(test_sink_has(&ts, VHDX_E_PL_NO_LINKAGE, PB + 18));
        assert_true(test_sink_has(&ts, VHDX_E_PL_NO_PATH, PB + 18));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pl_valid_no_findings),
        cmocka_unit_test(pl_header_rules),
        cmocka_unit_test(pl_entry_table_bounds),
        cmocka_unit_test(pl_string_bounds),
        cmocka_unit_test(pl_string_rules),
        cmocka_unit_test(pl_vhdx_key_rules),
        cmocka_unit_test(pl_get_unicode),
        cmocka_unit_test(pl_build_rejects),
    };
    return cmocka_run_group_tests_name("fmt_locator", tests, NULL, NULL);
}
