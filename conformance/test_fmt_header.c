/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_header.c - the header codec and current-header selection (fmt_header.c, MS-VHDX 2.2.2).
 * Every codec-level rule at its boundary: the value just inside is accepted (no finding at
 * all), the value just outside is rejected with the exact code at the exact byte offset.
 * Structures are built with the encoders, one field mutated.
 */
#include "codec_test.h"

#define HB 0x10000u /* header 1 file offset */

static void hdr_default(fmt_header *h)
{
    memset(h, 0, sizeof *h);
    h->signature = VHDX_SIG_HEAD;
    h->sequence_number = 10;
    h->file_write_guid.b[0] = 1;
    h->data_write_guid.b[0] = 2;
    h->version = 1;
    h->log_length = (uint32_t)MiB;
    h->log_offset = MiB;
}

/* encode, decode, validate; returns the sink */
static void hdr_check(const fmt_header *h, test_sink *ts)
{
    uint8_t raw[4096];
    fmt_header d;
    test_sink_init(ts);
    assert_int_equal(fmt_header_encode(h, raw, sizeof raw), VHDX_OK);
    assert_int_equal(fmt_header_decode(raw, sizeof raw, &d), VHDX_OK);
    assert_int_equal(fmt_header_validate(&d, raw, &ts->sink, HB), VHDX_OK);
}

static void hdr_valid_no_findings(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    hdr_check(&h, &ts);
    EXPECT_NONE(&ts);
    /* no log at all: LogOffset 0 and LogLength 0 are fine */
    h.log_length = 0;
    h.log_offset = 0;
    hdr_check(&h, &ts);
    EXPECT_NONE(&ts);
}

static void hdr_signature_rejected(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.signature = 0x44414548u; /* "HEAD" */
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_SIGNATURE, HB + 0);
}

static void hdr_checksum_rejected(void **state)
{
    fmt_header h, d;
    test_sink ts;
    uint8_t raw[4096];
    (void)state;
    hdr_default(&h);
    assert_int_equal(fmt_header_encode(&h, raw, sizeof raw), VHDX_OK);
    assert_true(fmt_header_is_valid(raw, sizeof raw));
    raw[4095] ^= 1; /* a reserved byte inside the CRC */
    assert_false(fmt_header_is_valid(raw, sizeof raw));
    assert_int_equal(fmt_header_decode(raw, sizeof raw, &d), VHDX_OK);
    test_sink_init(&ts);
    assert_int_equal(fmt_header_validate(&d, raw, &ts.sink, HB), VHDX_OK);
    assert_int_equal(ts.count, 2);
    assert_true(test_sink_has(&ts, VHDX_E_HEADER_CHECKSUM, HB + 4));
    assert_true(test_sink_has(&ts, VHDX_W_HEADER_RESERVED, HB + 80));
}

static void hdr_version_1_accepted_2_rejected(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.version = 2;
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_VERSION, HB + 66);
    h.version = 0;
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_VERSION, HB + 66);
}

static void hdr_log_version_rejected(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.log_version = 1; /* LogGuid zero: tolerated deviation */
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_W_HEADER_LOG_VERSION, HB + 64);
    h.log_guid.b[15] = 1; /* a log to replay: unsupported */
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_LOG_VERSION, HB + 64);
    h.log_version = 0;
    hdr_check(&h, &ts);
    EXPECT_NONE(&ts);
}

static void hdr_log_length_rules(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.log_length = (uint32_t)(MiB + 4096);
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_LOG_LENGTH, HB + 68);
    h.log_length = (uint32_t)(MiB - 1);
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_LOG_LENGTH, HB + 68);
    h.log_length = 0xFFF00000u; /* 4095 MiB */
    hdr_check(&h, &ts);
    EXPECT_NONE(&ts);
}

static void hdr_log_offset_rules(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.log_offset = MiB + 512;
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_LOG_OFFSET, HB + 72);
    h.log_offset = 0; /* non-empty log inside the header section */
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_LOG_OFFSET, HB + 72);
    h.log_offset = 0xFFFFFFFFFFF00000ULL; /* offset + length wraps */
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_HEADER_LOG_OFFSET, HB + 72);
    h.log_offset = 0xFFFFFFFFFFF00000ULL - MiB; /* ends exactly at 2^64 - 1 MiB... fits */
    hdr_check(&h, &ts);
    EXPECT_NONE(&ts);
    h.log_offset = MiB;
    hdr_check(&h, &ts);
    EXPECT_NONE(&ts);
}

static void hdr_log_guid_without_log_rejected(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.log_guid.b[0] = 0x42;
    hdr_check(&h, &ts);
    EXPECT_NONE(&ts);
    h.log_length = 0;
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_GUID_NO_LOG, HB + 48);
}

static void hdr_reserved_reported(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.reserved[4015] = 1;
    hdr_check(&h, &ts);
    EXPECT_ONE(&ts, VHDX_W_HEADER_RESERVED, HB + 80);
}

static void hdr_all_findings_collected(void **state)
{
    fmt_header h;
    test_sink ts;
    (void)state;
    hdr_default(&h);
    h.version = 3;
    h.log_length = 4096;
    h.log_offset = 4096;
    h.reserved[0] = 1;
    hdr_check(&h, &ts);
    assert_int_equal(ts.count, 4);
    assert_true(test_sink_has(&ts, VHDX_E_HEADER_VERSION, HB + 66));
    assert_true(test_sink_has(&ts, VHDX_E_HEADER_LOG_LENGTH, HB + 68));
    assert_true(test_sink_has(&ts, VHDX_E_HEADER_LOG_OFFSET, HB + 72));
    assert_true(test_sink_has(&ts, VHDX_W_HEADER_RESERVED, HB + 80));
    /* an open-style sink stops at the first fatal finding and returns its code */
    {
        uint8_t raw[4096];
        fmt_header d;
        assert_int_equal(fmt_header_encode(&h, raw, sizeof raw), VHDX_OK);
        assert_int_equal(fmt_header_decode(raw, sizeof raw, &d), VHDX_OK);
        test_sink_init(&ts);
        ts.stop_on_fatal = 1;
        assert_int_equal(fmt_header_validate(&d, raw, &ts.sink, HB), VHDX_E_HEADER_VERSION);
        assert_int_equal(ts.count, 1);
    }
}

/* ---- current-header selection (2.2.2) ---- */

static void make_hdr(uint8_t raw[4096], uint64_t seq, uint8_t tag)
{
    fmt_header h;
    hdr_default(&h);
    h.sequence_number = seq;
    h.file_write_guid.b[1] = tag;
    assert_int_equal(fmt_header_encode(&h, raw, 4096), VHDX_OK);
}

static void select_expect(const uint8_t *h1, const uint8_t *h2, int rc, int cur, int v0, int v1,
                          int ident)
{
    int current = -7, valid[2] = { -7, -7 }, identical = -7;
    assert_int_equal(fmt_header_select(h1, h2, &current, valid, &identical), rc);
    assert_int_equal(valid[0], v0);
    assert_int_equal(valid[1], v1);
    assert_int_equal(identical, ident);
    if (rc == VHDX_OK) assert_int_equal(current, cur);
}

static void hdr_select_all_combinations(void **state)
{
    uint8_t a[4096], b[4096], bad_sig[4096], bad_crc[4096], torn[4096], zero[4096];
    (void)state;
    make_hdr(bad_sig, 50, 1);
    memcpy(bad_sig, "HEAD", 4);
    make_hdr(bad_crc, 50, 1);
    bad_crc[100] ^= 0x80;
    make_hdr(torn, 50, 1);
    memset(torn + 2048, 0, 2048);
    torn[4095] = 0xCC; /* the tail of a torn write */
    memset(zero, 0, sizeof zero);

    /* neither valid */
    select_expect(bad_sig, bad_crc, VHDX_E_NO_VALID_HEADER, 0, 0, 0, 0);
    select_expect(zero, torn, VHDX_E_NO_VALID_HEADER, 0, 0, 0, 0);
    select_expect(NULL, NULL, VHDX_E_NO_VALID_HEADER, 0, 0, 0, 0);
    /* one valid: it is current whatever the other's sequence number */
    make_hdr(a, 1, 1);
    select_expect(a, bad_sig, VHDX_OK, 0, 1, 0, 0);
    select_expect(a, bad_crc, VHDX_OK, 0, 1, 0, 0);
    select_expect(torn, a, VHDX_OK, 1, 0, 1, 0);
    select_expect(zero, a, VHDX_OK, 1, 0, 1, 0);
    select_expect(NULL, a, VHDX_OK, 1, 0, 1, 0);
    select_expect(a, NULL, VHDX_OK, 0, 1, 0, 0);
    /* both valid: strictly greater sequence number wins */
    make_hdr(a, 5, 1);
    make_hdr(b, 4, 2);
    select_expect(a, b, VHDX_OK, 0, 1, 1, 0);
    select_expect(b, a, VHDX_OK, 1, 1, 1, 0);
    make_hdr(a, UINT64_MAX, 1);
    make_hdr(b, UINT64_MAX - 1, 2);
    select_expect(a, b, VHDX_OK, 0, 1, 1, 0);
    select_expect(b, a, VHDX_OK, 1, 1, 1, 0);
    make_hdr(b, 0, 2);
    select_expect(b, a, VHDX_OK, 1, 1, 1, 0);
    select_expect(a, b, VHDX_OK, 0, 1, 1, 0);
    /* equal sequence numbers, different contents: no current header */
    make_hdr(a, 7, 1);
    make_hdr(b, 7, 2);
    select_expect(a, b, VHDX_E_HEADER_SEQ_EQUAL, 0, 1, 1, 0);
    make_hdr(a, UINT64_MAX, 1);
    make_hdr(b, UINT64_MAX, 2);
    select_expect(a, b, VHDX_E_HEADER_SEQ_EQUAL, 0, 1, 1, 0);
    /* equal and byte-identical (Disk2vhd): header 1, flagged */
    make_hdr(a, 7, 1);
    make_hdr(b, 7, 1);
    select_expect(a, b, VHDX_OK, 0, 1, 1, 1);
    make_hdr(a, UINT64_MAX, 3);
    make_hdr(b, UINT64_MAX, 3);
    select_expect(a, b, VHDX_OK, 0, 1, 1, 1);
    /* identical apart from a reserved byte (inside the CRC): not identical */
    {
        fmt_header h;
        hdr_default(&h);
        h.sequence_number = 7;
        assert_int_equal(fmt_header_encode(&h, a, 4096), VHDX_OK);
        h.reserved[2000] = 1;
        assert_int_equal(fmt_header_encode(&h, b, 4096), VHDX_OK);
        select_expect(a, b, VHDX_E_HEADER_SEQ_EQUAL, 0, 1, 1, 0);
    }
    /* an invalid header with the higher sequence number never wins */
    make_hdr(a, 100, 1);
    a[50] ^= 1;
    make_hdr(b, 3, 2);
    select_expect(a, b, VHDX_OK, 1, 0, 1, 0);
    /* NULL out-parameters are allowed */
    assert_int_equal(fmt_header_select(b, b, NULL, NULL, NULL), VHDX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hdr_valid_no_findings),
        cmocka_unit_test(hdr_signature_rejected),
        cmocka_unit_test(hdr_checksum_rejected),
        cmocka_unit_test(hdr_version_1_accepted_2_rejected),
        cmocka_unit_test(hdr_log_version_rejected),
        cmocka_unit_test(hdr_log_length_rules),
        cmocka_unit_test(hdr_log_offset_rules),
        cmocka_unit_test(hdr_log_guid_without_log_rejected),
        cmocka_unit_test(hdr_reserved_reported),
        cmocka_unit_test(hdr_all_findings_collected),
        cmocka_unit_test(hdr_select_all_combinations),
    };
    return cmocka_run_group_tests_name("fmt_header", tests, NULL, NULL);
}
