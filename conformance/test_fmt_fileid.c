/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_fileid.c - the file type identifier codec (fmt_fileid.c, MS-VHDX 2.2.1).
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fileid_signature),
    };
    return cmocka_run_group_tests_name("fmt_fileid", tests, NULL, NULL);
}
