/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_fileid.c - the file type identifier codec (fmt_fileid.c, MS-VHDX 2.2.1) and the
 * UTF-16LE <-> UTF-8 conversions it shares with the parent locator.
 * Every codec-level rule at its boundary: the value just inside is accepted (no finding at
 * all), the value just outside is rejected with the exact code at the exact byte offset.
 * Structures are built with the encoders, one field mutated.
 */
#include "codec_test.h"

static void fileid_signature(void **state)
{
    fmt_fileid f;
    test_sink ts;
    char out[8];
    (void)state;
    memset(&f, 0, sizeof f);
    memcpy(f.signature, "vhdxfile", 8);
    test_sink_init(&ts);
    assert_int_equal(fmt_fileid_validate(&f, &ts.sink, 0), VHDX_OK);
    EXPECT_NONE(&ts);
    f.signature[7] = 'E';
    assert_int_equal(fmt_fileid_validate(&f, &ts.sink, 0), VHDX_OK);
    EXPECT_ONE(&ts, VHDX_E_FILEID_SIGNATURE, 0);
    /* creator: invalid UTF-16 becomes U+FFFD, output bounded */
    vhdx_put16(f.creator, 0xDC00);
    vhdx_put16(f.creator + 2, 'A');
    fmt_fileid_creator_utf8(&f, out, sizeof out);
    assert_string_equal(out, "\xEF\xBF\xBD" "A");
    fmt_fileid_creator_utf8(&f, out, 3);
    assert_string_equal(out, "");
}

/* decode needs the defined 520 bytes, encode the whole 64 KiB (reserved tail zero) */
static void fileid_length_boundaries(void **state)
{
    static uint8_t buf[VHDX_FILEID_SIZE];
    fmt_fileid f, d;
    (void)state;
    memset(&f, 0, sizeof f);
    memcpy(f.signature, "vhdxfile", 8);
    f.creator[0] = 'Q';
    f.creator[FILEID_CREATOR_LEN - 1] = 0x7E;
    memset(buf, 0xEE, sizeof buf);
    assert_int_equal(fmt_fileid_encode(&f, buf, VHDX_FILEID_SIZE - 1), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(buf[0], 0xEE); /* a refused encode writes nothing */
    assert_int_equal(fmt_fileid_encode(&f, buf, VHDX_FILEID_SIZE), VHDX_OK);
    assert_memory_equal(buf, "vhdxfile", 8);
    assert_int_equal(buf[FILEID_OFF_CREATOR], 'Q');
    assert_int_equal(buf[FILEID_DEFINED - 1], 0x7E);
    for (size_t i = FILEID_DEFINED; i < VHDX_FILEID_SIZE; i++)
        if (buf[i] != 0) fail_msg("reserved byte %zu is %u", i, buf[i]);
    assert_int_equal(fmt_fileid_decode(buf, FILEID_DEFINED - 1, &d), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_fileid_decode(buf, FILEID_DEFINED, &d), VHDX_OK);
    assert_memory_equal(&d, &f, sizeof f);
}

/* every signature byte counts; the finding is at the structure's offset */
static void fileid_signature_each_byte(void **state)
{
    fmt_fileid f;
    test_sink ts;
    (void)state;
    memset(&f, 0, sizeof f);
    for (int i = 0; i < 8; i++) {
        memcpy(f.signature, "vhdxfile", 8);
        f.signature[i] ^= 0x20; /* case flip: "Vhdxfile", ... */
        test_sink_init(&ts);
        assert_int_equal(fmt_fileid_validate(&f, &ts.sink, 0), VHDX_OK);
        EXPECT_ONE(&ts, VHDX_E_FILEID_SIGNATURE, 0);
    }
}

/* UTF-16LE -> UTF-8: surrogate pairs, lone surrogates, NUL, exact output bounds */
static void fileid_utf16_to_utf8(void **state)
{
    uint8_t u[8 * 2];
    char out[16];
    int trunc = -1;
    (void)state;
    /* U+1F600 as D83D DE00, then 'A' */
    vhdx_put16(u, 0xD83D);
    vhdx_put16(u + 2, 0xDE00);
    vhdx_put16(u + 4, 'A');
    assert_int_equal(fmt_utf16le_to_utf8(u, 3, 1, out, sizeof out, &trunc), 5);
    assert_string_equal(out, "\xF0\x9F\x98\x80" "A");
    assert_int_equal(trunc, 0);
    /* the output exactly fits (5 bytes + NUL), one byte less cuts before 'A' */
    assert_int_equal(fmt_utf16le_to_utf8(u, 3, 1, out, 6, &trunc), 5);
    assert_int_equal(trunc, 0);
    assert_int_equal(fmt_utf16le_to_utf8(u, 3, 1, out, 5, &trunc), 4);
    assert_string_equal(out, "\xF0\x9F\x98\x80");
    assert_int_equal(trunc, 1);
    /* never half a code point: 4 bytes of room hold no part of U+1F600 */
    assert_int_equal(fmt_utf16le_to_utf8(u, 3, 1, out, 4, &trunc), 0);
    assert_string_equal(out, "");
    assert_int_equal(trunc, 1);
    /* a high surrogate not followed by a low one, and one at the very end: U+FFFD each */
    vhdx_put16(u, 0xD800);
    vhdx_put16(u + 2, 'B');
    vhdx_put16(u + 4, 0xDBFF);
    assert_int_equal(fmt_utf16le_to_utf8(u, 3, 1, out, sizeof out, &trunc), 7);
    assert_string_equal(out, "\xEF\xBF\xBD" "B" "\xEF\xBF\xBD");
    /* NUL stops the creator string, or is kept when stop_at_nul is 0 */
    vhdx_put16(u, 'x');
    vhdx_put16(u + 2, 0);
    vhdx_put16(u + 4, 'y');
    assert_int_equal(fmt_utf16le_to_utf8(u, 3, 1, out, sizeof out, &trunc), 1);
    assert_string_equal(out, "x");
    assert_int_equal(fmt_utf16le_to_utf8(u, 3, 0, out, sizeof out, &trunc), 3);
    assert_memory_equal(out, "x\0y", 4);
}

/* UTF-8 -> UTF-16LE: strict refuses what non-strict replaces or truncates */
static void fileid_utf8_to_utf16(void **state)
{
    /* non-strict: the invalid lead byte is one U+FFFD, and each byte after it that does
     * not start a valid sequence is another */
    static const struct { const char *s; size_t units; } invalid[] = {
        { "\xC0\x80", 2 },         /* overlong NUL */
        { "\xED\xA0\x80", 3 },     /* a surrogate encoded in UTF-8 */
        { "\xF4\x90\x80\x80", 4 }, /* above U+10FFFF */
        { "\xE2\x82", 2 },         /* cut short */
        { "\x80", 1 },             /* lone continuation byte */
    };
    uint8_t u[8];
    size_t n = 99;
    (void)state;
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        assert_int_equal(fmt_utf8_to_utf16le(invalid[i].s, 1, u, 4, &n), VHDX_E_CREATE_PARAM);
        assert_int_equal(fmt_utf8_to_utf16le(invalid[i].s, 0, u, 4, &n), VHDX_OK);
        assert_int_equal(n, invalid[i].units);
        for (size_t k = 0; k < n; k++) assert_int_equal(vhdx_le16(u + 2 * k), 0xFFFD);
    }
    /* U+1F600 takes two units: fits in 2, not in 1 */
    assert_int_equal(fmt_utf8_to_utf16le("\xF0\x9F\x98\x80", 1, u, 2, &n), VHDX_OK);
    assert_int_equal(n, 2);
    assert_int_equal(vhdx_le16(u), 0xD83D);
    assert_int_equal(vhdx_le16(u + 2), 0xDE00);
    assert_int_equal(fmt_utf8_to_utf16le("\xF0\x9F\x98\x80", 1, u, 1, &n), VHDX_E_TRUNCATED_INPUT);
    /* non-strict stops before a pair that does not fit, never splitting it */
    assert_int_equal(fmt_utf8_to_utf16le("a\xF0\x9F\x98\x80", 0, u, 2, &n), VHDX_OK);
    assert_int_equal(n, 1);
    assert_int_equal(vhdx_le16(u), 'a');
    /* the creator field holds 256 units: 256 'A' fit, a 257th is dropped */
    {
        char text[258];
        fmt_fileid f;
        char back[300];
        memset(text, 'A', 257);
        text[257] = 0;
        fmt_fileid_set_creator(&f, text);
        fmt_fileid_creator_utf8(&f, back, sizeof back);
        assert_int_equal(strlen(back), 256);
        assert_int_equal(vhdx_le16(f.creator + 2 * 255), 'A');
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fileid_signature),
        cmocka_unit_test(fileid_length_boundaries),
        cmocka_unit_test(fileid_signature_each_byte),
        cmocka_unit_test(fileid_utf16_to_utf8),
        cmocka_unit_test(fileid_utf8_to_utf16),
    };
    return cmocka_run_group_tests_name("fmt_fileid", tests, NULL, NULL);
}
