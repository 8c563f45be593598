/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_guid.c - GUID packing (spec section 4): well-known GUIDs vs their on-disk bytes,
 * libuuid round trips, generated GUIDs are v4 in Microsoft layout, text form.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <uuid/uuid.h>

#include "vhdx.h"

typedef struct known_guid {
    const char *text;
    const vhdx_guid *constant;
    uint8_t bytes[16];
} known_guid;

/* text and bytes copied from spec section 4.2 */
static const known_guid known[] = {
    { "2DC27766-F623-4200-9D64-115E9BFD4A08", &VHDX_GUID_BAT_REGION,
      { 0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42, 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08 } },
    { "8B7CA206-4790-4B9A-B8FE-575F050F886E", &VHDX_GUID_METADATA_REGION,
      { 0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E } },
    { "CAA16737-FA36-4D43-B3B6-33F0AA44E76B", &VHDX_GUID_FILE_PARAMETERS,
      { 0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D, 0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B } },
    { "2FA54224-CD1B-4876-B211-5DBED83BF4B8", &VHDX_GUID_VIRTUAL_DISK_SIZE,
      { 0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48, 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8 } },
    { "BECA12AB-B2E6-4523-93EF-C309E000C746", &VHDX_GUID_VIRTUAL_DISK_ID,
      { 0xAB, 0x12, 0xCA, 0xBE, 0xE6, 0xB2, 0x23, 0x45, 0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46 } },
    { "8141BF1D-A96F-4709-BA47-F233A8FAAB5F", &VHDX_GUID_LOGICAL_SECTOR_SIZE,
      { 0x1D, 0xBF, 0x41, 0x81, 0x6F, 0xA9, 0x09, 0x47, 0xBA, 0x47, 0xF2, 0x33, 0xA8, 0xFA, 0xAB, 0x5F } },
    { "CDA348C7-445D-4471-9CC9-E9885251C556", &VHDX_GUID_PHYSICAL_SECTOR_SIZE,
      { 0xC7, 0x48, 0xA3, 0xCD, 0x5D, 0x44, 0x71, 0x44, 0x9C, 0xC9, 0xE9, 0x88, 0x52, 0x51, 0xC5, 0x56 } },
    { "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C", &VHDX_GUID_PARENT_LOCATOR,
      { 0x2D, 0x5F, 0xD3, 0xA8, 0x0B, 0xB3, 0x4D, 0x45, 0xAB, 0xF7, 0xD3, 0xD8, 0x48, 0x34, 0xAB, 0x0C } },
    { "B04AEFB7-D19E-4A81-B789-25B8E9445913", &VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX,
      { 0xB7, 0xEF, 0x4A, 0xB0, 0x9E, 0xD1, 0x81, 0x4A, 0xB7, 0x89, 0x25, 0xB8, 0xE9, 0x44, 0x59, 0x13 } },
};
#define NKNOWN (sizeof known / sizeof known[0])

static void guid_well_known_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < NKNOWN; i++) {
        vhdx_guid g;
        assert_int_equal(vhdx_guid_parse(&g, known[i].text, strlen(known[i].text)), VHDX_OK);
        assert_memory_equal(g.b, known[i].bytes, 16);
        assert_memory_equal(known[i].constant->b, known[i].bytes, 16);
        assert_true(vhdx_guid_equal(&g, known[i].constant));
        assert_false(vhdx_guid_is_zero(&g));
    }
}

static void guid_bat_text_to_bytes(void **state)
{
    static const uint8_t expect[16] = { 0x66, 0x77, 0xc2, 0x2d, 0x23, 0xf6, 0x00, 0x42,
                                        0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 };
    vhdx_guid g;
    char text[39];
    (void)state;
    assert_int_equal(vhdx_guid_parse(&g, "{2dc27766-f623-4200-9d64-115e9bfd4a08}", 38), VHDX_OK);
    assert_memory_equal(g.b, expect, 16);
    vhdx_guid_format(&g, text, sizeof text, 0);
    assert_string_equal(text, "2dc27766-f623-4200-9d64-115e9bfd4a08");
    vhdx_guid_format(&g, text, sizeof text, 1);
    assert_string_equal(text, "{2dc27766-f623-4200-9d64-115e9bfd4a08}");
}

static void guid_uuid_round_trip(void **state)
{
    /* RFC 4122 order of the BAT GUID: 2D C2 77 66 F6 23 42 00 9D 64 ... */
    static const unsigned char rfc[16] = { 0x2D, 0xC2, 0x77, 0x66, 0xF6, 0x23, 0x42, 0x00,
                                           0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08 };
    unsigned char uu[16], back[16];
    char a[37], b[37];
    vhdx_guid g;
    (void)state;
    vhdx_guid_from_uuid(&g, rfc);
    assert_true(vhdx_guid_equal(&g, &VHDX_GUID_BAT_REGION));
    vhdx_guid_to_uuid(&VHDX_GUID_BAT_REGION, uu);
    assert_memory_equal(uu, rfc, 16);
    /* libuuid's own parser/formatter agrees with ours through the conversion */
    for (size_t i = 0; i < NKNOWN; i++) {
        uuid_t parsed;
        assert_int_equal(uuid_parse(known[i].text, parsed), 0);
        vhdx_guid_from_uuid(&g, parsed);
        assert_memory_equal(g.b, known[i].bytes, 16);
        vhdx_guid_to_uuid(&g, back);
        assert_memory_equal(back, parsed, 16);
        uuid_unparse_lower(parsed, a);
        vhdx_guid_format(&g, b, sizeof b, 0);
        assert_string_equal(a, b);
    }
    for (int i = 0; i < 100; i++) {
        uuid_t r;
        uuid_generate_random(r);
        vhdx_guid_from_uuid(&g, r);
        vhdx_guid_to_uuid(&g, back);
        assert_memory_equal(back, r, 16);
    }
}

static int cmp16(const void *a, const void *b) { return memcmp(a, b, 16); }

static void check_v4_distinct(vhdx_guid *gs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(gs[i].b[7] >> 4, 4);          /* Data3 >> 12 == 4 */
        assert_int_equal(gs[i].b[8] & 0xC0, 0x80);     /* variant 10 */
    }
    qsort(gs, n, sizeof gs[0], cmp16);
    for (size_t i = 1; i < n; i++) assert_memory_not_equal(gs[i - 1].b, gs[i].b, 16);
}

static void guid_generated_v4_default(void **state)
{
    const size_t n = 10000;
    vhdx_guid *gs = calloc(n, sizeof *gs);
    char text[37];
    (void)state;
    assert_non_null(gs);
    for (size_t i = 0; i < n; i++) assert_int_equal(vhdx_guid_generate(NULL, &gs[i]), VHDX_OK);
    /* text form shows the version digit: xxxxxxxx-xxxx-4xxx-[89ab]xxx-... */
    vhdx_guid_format(&gs[0], text, sizeof text, 0);
    assert_int_equal(text[14], '4');
    assert_non_null(strchr("89ab", text[19]));
    check_v4_distinct(gs, n);
    for (size_t i = 0; i < 100; i++)
        assert_int_equal(vhdx_guid_generate(vhdx_guid_gen_default(), &gs[i]), VHDX_OK);
    check_v4_distinct(gs, 100);
    free(gs);
}

static void guid_generated_v4_seeded(void **state)
{
    const size_t n = 10000;
    vhdx_guid *gs = calloc(n, sizeof *gs), a, b;
    vhdx_guid_seeded s1, s2, s3;
    vhdx_guid_gen g1 = vhdx_guid_gen_seeded(&s1, 42), g2 = vhdx_guid_gen_seeded(&s2, 42);
    vhdx_guid_gen g3 = vhdx_guid_gen_seeded(&s3, 43);
    (void)state;
    assert_non_null(gs);
    for (size_t i = 0; i < n; i++) assert_int_equal(vhdx_guid_generate(&g1, &gs[i]), VHDX_OK);
    check_v4_distinct(gs, n);
    /* same seed, same sequence; other seed, other sequence */
    g1 = vhdx_guid_gen_seeded(&s1, 42);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(vhdx_guid_generate(&g1, &a), VHDX_OK);
        assert_int_equal(vhdx_guid_generate(&g2, &b), VHDX_OK);
        assert_memory_equal(a.b, b.b, 16);
        assert_int_equal(vhdx_guid_generate(&g3, &b), VHDX_OK);
        assert_memory_not_equal(a.b, b.b, 16);
    }
    free(gs);
}

static void guid_text_round_trip(void **state)
{
    static const char *forms[] = {
        "0123abcd-4567-89ef-0123-456789abcdef",  "0123ABCD-4567-89EF-0123-456789ABCDEF",
        "{0123abcd-4567-89ef-0123-456789abcdef}", "{0123ABCD-4567-89eF-0123-456789AbCdEf}",
    };
    static const uint8_t expect[16] = { 0xcd, 0xab, 0x23, 0x01, 0x67, 0x45, 0xef, 0x89,
                                        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
    char text[39];
    vhdx_guid g, h;
    vhdx_guid_seeded s;
    vhdx_guid_gen gen = vhdx_guid_gen_seeded(&s, 7);
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(vhdx_guid_parse(&g, forms[i], strlen(forms[i])), VHDX_OK);
        assert_memory_equal(g.b, expect, 16);
    }
    vhdx_guid_format(&g, text, sizeof text, 0);
    assert_string_equal(text, forms[0]);
    for (int i = 0; i < 1000; i++) {
        assert_int_equal(vhdx_guid_generate(&gen, &g), VHDX_OK);
        vhdx_guid_format(&g, text, sizeof text, i & 1);
        assert_int_equal(strlen(text), (i & 1) ? 38u : 36u);
        assert_int_equal(vhdx_guid_parse(&h, text, strlen(text)), VHDX_OK);
        assert_memory_equal(g.b, h.b, 16);
    }
    /* zero GUID */
    assert_int_equal(vhdx_guid_parse(&g, "00000000-0000-0000-0000-000000000000", 36), VHDX_OK);
    assert_true(vhdx_guid_is_zero(&g));
    /* a short buffer is truncated, never overrun */
    memset(text, 'x', sizeof text);
    vhdx_guid_format(&h, text, 9, 0);
    assert_int_equal(strlen(text), 8u);
    assert_int_equal(text[9], 'x');
}

static void guid_text_rejected(void **state)
{
    static const char *bad[] = {
        "",
        "0123abcd-4567-89ef-0123-456789abcde",      /* 35 chars */
        "0123abcd-4567-89ef-0123-456789abcdef0",    /* 37 chars */
        "0123abcg-4567-89ef-0123-456789abcdef",     /* bad hex */
        "0123abcd-4567-89ef-0123-456789abcde ",     /* space */
        "0123abcd+4567-89ef-0123-456789abcdef",     /* wrong separator */
        "0123abcd4-567-89ef-0123-456789abcdef",     /* misplaced dash */
        "0123abcd-456789ef-0123-4567-89abcdef",     /* misplaced dashes */
        "0123abcd-4567-89ef-0123456789abcdef-",     /* dash at the end */
        "{0123abcd-4567-89ef-0123-456789abcdef",    /* unbalanced */
        "0123abcd-4567-89ef-0123-456789abcdef}",    /* unbalanced */
        "(0123abcd-4567-89ef-0123-456789abcdef)",   /* wrong brackets */
        "}0123abcd-4567-89ef-0123-456789abcdef{",   /* reversed */
        "{{0123abcd-4567-89ef-0123-456789abcde}",   /* double brace */
        "0x23abcd-4567-89ef-0123-456789abcdef",     /* 0x prefix */
    };
    vhdx_guid g;
    const vhdx_guid untouched = VHDX_GUID_BAT_REGION;
    char nul[37];
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        g = untouched;
        assert_int_equal(vhdx_guid_parse(&g, bad[i], strlen(bad[i])), VHDX_E_GUID_TEXT);
        assert_memory_equal(g.b, untouched.b, 16); /* output untouched on failure */
    }
    /* embedded NUL within the given length */
    memcpy(nul, "0123abcd-4567-89ef-0123-456789abcdef", 37);
    nul[20] = '\0';
    assert_int_equal(vhdx_guid_parse(&g, nul, 36), VHDX_E_GUID_TEXT);
    nul[20] = '1';
    nul[35] = '\0';
    assert_int_equal(vhdx_guid_parse(&g, nul, 36), VHDX_E_GUID_TEXT);
    /* the given length counts, not the NUL terminator */
    assert_int_equal(vhdx_guid_parse(&g, "0123abcd-4567-89ef-0123-456789abcdef", 35), VHDX_E_GUID_TEXT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(guid_well_known_bytes),
        cmocka_unit_test(guid_bat_text_to_bytes),
        cmocka_unit_test(guid_uuid_round_trip),
        cmocka_unit_test(guid_generated_v4_default),
        cmocka_unit_test(guid_generated_v4_seeded),
        cmocka_unit_test(guid_text_round_trip),
        cmocka_unit_test(guid_text_rejected),
    };
    return cmocka_run_group_tests_name("guid", tests, NULL, NULL);
}
