/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_log.c - log entry validation (fmt_log.c, MS-VHDX 2.3.1).
 * Every codec-level rule at its boundary: the value just inside is accepted (no finding at
 * all), the value just outside is rejected with the exact code at the exact byte offset.
 * Structures are built with the encoders, one field mutated.
 */
#include "codec_test.h"

#define LB 0x100000u /* entry position in the file */
#define LOG_LEN ((uint32_t)MiB)

typedef struct log_fix {
    uint8_t e[3 * 4096];
    size_t len;
    vhdx_guid guid;
    uint64_t seq;
} log_fix;

/* entry: header + zero descriptor + data descriptor, then one data sector (8 KiB) */
static void log_build(log_fix *f)
{
    fmt_log_entry_header h;
    fmt_log_descriptor z, d;
    uint8_t update[4096];
    memset(f, 0, sizeof *f);
    memset(f->guid.b, 0xAB, 16);
    f->seq = 0x0000000500000009ULL;
    f->len = 8192;
    memset(&h, 0, sizeof h);
    h.signature = VHDX_SIG_LOGE;
    h.entry_length = 8192;
    h.tail = 0;
    h.sequence_number = f->seq;
    h.descriptor_count = 2;
    h.log_guid = f->guid;
    h.flushed_file_offset = 8 * MiB;
    h.last_file_offset = 8 * MiB;
    assert_int_equal(fmt_log_entry_header_encode(&h, f->e, 64), VHDX_OK);
    memset(&z, 0, sizeof z);
    z.signature = VHDX_SIG_ZERO;
    z.zero_length = 8192;
    z.file_offset = 4 * MiB;
    z.sequence_number = f->seq;
    assert_int_equal(fmt_log_descriptor_encode(&z, f->e + 64, 32), VHDX_OK);
    for (int i = 0; i < 4096; i++) update[i] = (uint8_t)(i ^ 0x5A);
    memset(&d, 0, sizeof d);
    fmt_log_data_sector_encode(update, f->seq, &d, f->e + 4096);
    d.file_offset = 2 * MiB;
    assert_int_equal(fmt_log_descriptor_encode(&d, f->e + 96, 32), VHDX_OK);
}

static void log_fix_crc(log_fix *f)
{
    uint32_t len = vhdx_le32(f->e + 8);
    if (len > sizeof f->e) len = (uint32_t)f->len;
    vhdx_put32(f->e + 4, vhdx_crc32c_with_zero_field(f->e, len, 4));
}

static void log_check_len(log_fix *f, uint32_t log_length, test_sink *ts)
{
    test_sink_init(ts);
    assert_int_equal(fmt_log_entry_validate(f->e, f->len, &f->guid, log_length, &ts->sink, LB),
                     VHDX_OK);
}

static void log_check(log_fix *f, test_sink *ts)
{
    log_fix_crc(f);
    log_check_len(f, LOG_LEN, ts);
}

static void log_valid_no_findings(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    log_check(&f, &ts);
    EXPECT_NONE(&ts);
    /* no GUID to compare against: same result */
    test_sink_init(&ts);
    assert_int_equal(fmt_log_entry_validate(f.e, f.len, NULL, LOG_LEN, &ts.sink, LB), VHDX_OK);
    EXPECT_NONE(&ts);
}

static void log_descriptor_sector_counts(void **state)
{
    (void)state;
    assert_true(fmt_log_descriptor_sectors(0) == 1);
    assert_true(fmt_log_descriptor_sectors(1) == 1);
    assert_true(fmt_log_descriptor_sectors(126) == 1);
    assert_true(fmt_log_descriptor_sectors(127) == 2);
    assert_true(fmt_log_descriptor_sectors(254) == 2);
    assert_true(fmt_log_descriptor_sectors(255) == 3);
    assert_true(fmt_log_descriptor_pos(126) == 4096);
}

static void log_r36_signature(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    f.e[0] = 'L';
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_SIGNATURE, LB + 0);
}

static void log_r37_checksum(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    log_fix_crc(&f);
    f.e[8191] ^= 1; /* last byte of the data sector (SequenceLow) */
    log_check_len(&f, LOG_LEN, &ts);
    assert_int_equal(ts.count, 2);
    assert_true(test_sink_has(&ts, VHDX_E_LOG_ENTRY_CHECKSUM, LB + 4));
    assert_true(test_sink_has(&ts, VHDX_E_LOG_DATA_SEQ_LOW, LB + 4096 + 4092));
    log_build(&f);
    log_fix_crc(&f);
    f.e[4096 + 100] ^= 1; /* payload byte: only the CRC sees it */
    log_check_len(&f, LOG_LEN, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_CHECKSUM, LB + 4);
}

static void log_r38_entry_length(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    log_fix_crc(&f);
    log_check_len(&f, 8192, &ts); /* EntryLength == LogLength */
    EXPECT_NONE(&ts);
    log_check_len(&f, 4096, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_LENGTH, LB + 8);
    vhdx_put32(f.e + 8, 0);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_LENGTH, LB + 8);
    vhdx_put32(f.e + 8, 8192 - 512);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_LENGTH, LB + 8);
    vhdx_put32(f.e + 8, 3 * 4096); /* longer than the bytes given */
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_LENGTH, LB + 8);
}

static void log_r39_tail(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    vhdx_put32(f.e + 12, LOG_LEN - 4096);
    log_check(&f, &ts);
    EXPECT_NONE(&ts);
    vhdx_put32(f.e + 12, LOG_LEN);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_TAIL, LB + 12);
    vhdx_put32(f.e + 12, 4096 + 2048);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_TAIL, LB + 12);
}

static void log_r40_r41_r42(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    vhdx_put32(f.e + 28, 1);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_RESERVED, LB + 28);
    log_build(&f);
    f.guid.b[3] ^= 1;
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_GUID, LB + 32);
    /* sequence number 0 everywhere (descriptors and data sector agree) */
    log_build(&f);
    vhdx_put64(f.e + 16, 0);
    vhdx_put64(f.e + 64 + 24, 0);
    vhdx_put64(f.e + 96 + 24, 0);
    vhdx_put32(f.e + 4096 + 4, 0);
    vhdx_put32(f.e + 4096 + 4092, 0);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ENTRY_SEQ_ZERO, LB + 16);
}

static void log_r43_r44_offsets(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    vhdx_put64(f.e + 48, 8 * MiB + 4096);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_FLUSHED_OFFSET, LB + 48);
    log_build(&f);
    vhdx_put64(f.e + 56, 8 * MiB - 1);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_LAST_OFFSET, LB + 56);
    log_build(&f);
    vhdx_put64(f.e + 48, 0);
    vhdx_put64(f.e + 56, 0xFFFFFFFFFFF00000ULL);
    log_check(&f, &ts);
    EXPECT_NONE(&ts);
}

static void log_r35_descriptor_count(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    vhdx_put32(f.e + 24, 1); /* the data descriptor is no longer counted: a stray sector */
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DESC_COUNT, LB + 24);
    log_build(&f);
    vhdx_put32(f.e + 24, 3); /* a third descriptor (zeros: bad signature, not a data one) */
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ZERO_SIGNATURE, LB + 64 + 64 + 0);
    log_build(&f);
    vhdx_put32(f.e + 24, 0xFFFFFFFFu); /* descriptor sectors cannot fit */
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DESC_COUNT, LB + 24);
    log_build(&f);
    vhdx_put32(f.e + 24, 255); /* 3 descriptor sectors in a 2-sector entry */
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DESC_COUNT, LB + 24);
}

static void log_r45_r49_zero_descriptor(void **state)
{
    log_fix f;
    test_sink ts;
    const uint32_t z = 64;
    (void)state;
    log_build(&f);
    memcpy(f.e + z, "ZERO", 4);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ZERO_SIGNATURE, LB + z + 0);
    log_build(&f);
    vhdx_put32(f.e + z + 4, 1);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ZERO_RESERVED, LB + z + 4);
    log_build(&f);
    vhdx_put64(f.e + z + 8, 4095);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ZERO_LENGTH, LB + z + 8);
    log_build(&f);
    vhdx_put64(f.e + z + 8, 0); /* zero bytes to zero: a multiple of 4 KiB */
    log_check(&f, &ts);
    EXPECT_NONE(&ts);
    log_build(&f);
    vhdx_put64(f.e + z + 16, 4 * MiB + 512);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ZERO_OFFSET, LB + z + 16);
    log_build(&f);
    vhdx_put64(f.e + z + 24, f.seq + 1);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_ZERO_SEQ, LB + z + 24);
}

static void log_r52_r53_data_descriptor(void **state)
{
    log_fix f;
    test_sink ts;
    const uint32_t d = 96;
    (void)state;
    log_build(&f);
    vhdx_put64(f.e + d + 16, 2 * MiB + 4096);
    log_check(&f, &ts);
    EXPECT_NONE(&ts);
    vhdx_put64(f.e + d + 16, 2 * MiB + 4095);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DESC_OFFSET, LB + d + 16);
    log_build(&f);
    vhdx_put64(f.e + d + 24, f.seq - 1);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DESC_SEQ, LB + d + 24);
    log_build(&f);
    memcpy(f.e + d, "DESC", 4);
    log_check(&f, &ts);
    /* not a data descriptor any more: bad signature, and the data sector is unaccounted */
    assert_int_equal(ts.count, 2);
    assert_true(test_sink_has(&ts, VHDX_E_LOG_ZERO_SIGNATURE, LB + d));
    assert_true(test_sink_has(&ts, VHDX_E_LOG_DESC_COUNT, LB + 24));
}

static void log_r54_r56_data_sector(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    memcpy(f.e + 4096, "DATA", 4);
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DATA_SIGNATURE, LB + 4096);
    log_build(&f);
    vhdx_put32(f.e + 4096 + 4, 6); /* SequenceHigh is 5 */
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DATA_SEQ_HIGH, LB + 4096 + 4);
    log_build(&f);
    vhdx_put32(f.e + 4096 + 4092, 8); /* SequenceLow is 9 */
    log_check(&f, &ts);
    EXPECT_ONE(&ts, VHDX_E_LOG_DATA_SEQ_LOW, LB + 4096 + 4092);
    /* the standalone validator agrees */
    log_build(&f);
    test_sink_init(&ts);
    assert_int_equal(fmt_log_data_sector_validate(f.e + 4096, f.seq, &ts.sink, 77), VHDX_OK);
    EXPECT_NONE(&ts);
    assert_int_equal(fmt_log_data_sector_validate(f.e + 4096, f.seq + ((uint64_t)1 << 32),
                                                  &ts.sink, 77), VHDX_OK);
    EXPECT_ONE(&ts, VHDX_E_LOG_DATA_SEQ_HIGH, 77 + 4);
}

static void log_entry_without_descriptors(void **state)
{
    log_fix f;
    test_sink ts;
    (void)state;
    log_build(&f);
    vhdx_put32(f.e + 8, 4096);
    vhdx_put32(f.e + 24, 0);
    f.len = 4096;
    log_check(&f, &ts);
    EXPECT_NONE(&ts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_valid_no_findings),
        cmocka_unit_test(log_descriptor_sector_counts),
        cmocka_unit_test(log_r36_signature),
        cmocka_unit_test(log_r37_checksum),
        cmocka_unit_test(log_r38_entry_length),
        cmocka_unit_test(log_r39_tail),
        cmocka_unit_test(log_r40_r41_r42),
        cmocka_unit_test(log_r43_r44_offsets),
        cmocka_unit_test(log_r35_descriptor_count),
        cmocka_unit_test(log_r45_r49_zero_descriptor),
        cmocka_unit_test(log_r52_r53_data_descriptor),
        cmocka_unit_test(log_r54_r56_data_sector),
        cmocka_unit_test(log_entry_without_descriptors),
    };
    return cmocka_run_group_tests_name("fmt_log", tests, NULL, NULL);
}
