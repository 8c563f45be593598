/*
 * test_codec_rules.c - every codec-level rule at its boundary: the value just inside is
 * accepted (no finding at all), the value just outside is rejected with the exact code at
 * the exact byte offset. Structures are built with the encoders, one field mutated.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"
#include "test_sink.h"

/* exactly one finding: (code, offset) */
#define EXPECT_ONE(ts, c, off) do { \
        if ((ts)->count != 1 || (ts)->f[0].code != (c) || (ts)->f[0].offset != (uint64_t)(off)) \
            test_sink_dump(ts); \
        assert_int_equal((ts)->count, 1); \
        assert_string_equal(vhdx_status_name((ts)->f[0].code), vhdx_status_name(c)); \
        assert_true((ts)->f[0].offset == (uint64_t)(off)); \
    } while (0)
#define EXPECT_NONE(ts) do { \
        if ((ts)->count != 0) test_sink_dump(ts); \
        assert_int_equal((ts)->count, 0); \
    } while (0)

/* ======================================================================== header */

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

/* ======================================================================== region table */

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

/* ======================================================================== metadata */

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

/* ======================================================================== geometry */

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

/* ======================================================================== BAT */

#define BB 0x200000u

static void bat_check(uint64_t entry, uint64_t index, int has_parent, int code)
{
    fmt_geometry g;
    test_sink ts;
    assert_int_equal(fmt_geometry_compute(&g, 10 * GiB, 32u << 20, 512, 4096,
                                          has_parent ? VHDX_FP_HAS_PARENT : 0), VHDX_OK);
    test_sink_init(&ts);
    assert_int_equal(fmt_bat_entry_validate(entry, index, &g, &ts.sink, BB + 8 * index), VHDX_OK);
    if (code == VHDX_OK) EXPECT_NONE(&ts);
    else EXPECT_ONE(&ts, code, BB + 8 * index);
}

static void bat_reserved_bits(void **state)
{
    (void)state;
    bat_check(fmt_bat_make(VHDX_PB_FULLY_PRESENT, 5 * MiB), 3, 0, VHDX_OK);
    for (int bit = 3; bit <= 19; bit++)
        bat_check(fmt_bat_make(VHDX_PB_FULLY_PRESENT, 5 * MiB) | ((uint64_t)1 << bit), 3, 0,
                  VHDX_E_BAT_RESERVED);
    bat_check(fmt_bat_make(VHDX_PB_FULLY_PRESENT, (uint64_t)1 << 20), 3, 0, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_PB_FULLY_PRESENT, 0xFFFFFFFFFFF00000ULL), 3, 0, VHDX_OK);
    bat_check((uint64_t)1 << 3, 128, 1, VHDX_E_BAT_RESERVED); /* SB slot too */
}

static void bat_payload_states(void **state)
{
    (void)state;
    bat_check(fmt_bat_make(VHDX_PB_NOT_PRESENT, 0), 0, 0, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_PB_UNDEFINED, 0), 0, 0, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_PB_UNDEFINED, 7 * MiB), 0, 0, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_PB_ZERO, 0), 0, 0, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_PB_UNMAPPED, 9 * MiB), 0, 0, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_PB_FULLY_PRESENT, MiB), 0, 0, VHDX_OK);
    bat_check(fmt_bat_make(4, 0), 0, 0, VHDX_E_BAT_STATE);
    bat_check(fmt_bat_make(5, 0), 1, 1, VHDX_E_BAT_STATE);
    bat_check(fmt_bat_make(4, 2 * MiB), 129, 0, VHDX_E_BAT_STATE);
    bat_check(fmt_bat_make(VHDX_PB_FULLY_PRESENT, 0), 0, 0, VHDX_E_BAT_PRESENT_ZERO_OFFSET);
    bat_check(fmt_bat_make(VHDX_PB_ZERO, 3 * MiB), 0, 0, VHDX_W_BAT_OFFSET_NOT_ZERO);
    bat_check(fmt_bat_make(VHDX_PB_NOT_PRESENT, 3 * MiB), 0, 0, VHDX_W_BAT_OFFSET_NOT_ZERO);
}

static void bat_partially_present_needs_parent(void **state)
{
    (void)state;
    bat_check(fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, 300 * MiB), 5, 1, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, 300 * MiB), 5, 0, VHDX_E_BAT_PARTIAL_NO_PARENT);
    bat_check(fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, 0), 5, 1, VHDX_E_BAT_PRESENT_ZERO_OFFSET);
}

static void bat_sector_bitmap_entries(void **state)
{
    (void)state;
    /* CR = 128: index 128 and 257 are SB slots */
    bat_check(fmt_bat_make(VHDX_SB_NOT_PRESENT, 0), 128, 0, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_SB_PRESENT, 4 * MiB), 128, 1, VHDX_OK);
    bat_check(fmt_bat_make(VHDX_SB_PRESENT, 4 * MiB), 128, 0, VHDX_E_BAT_SB_PRESENT);
    bat_check(fmt_bat_make(VHDX_SB_PRESENT, 4 * MiB), 257, 0, VHDX_E_BAT_SB_PRESENT);
    bat_check(fmt_bat_make(VHDX_SB_PRESENT, 0), 257, 1, VHDX_E_BAT_PRESENT_ZERO_OFFSET);
    for (unsigned s = 1; s <= 7; s++)
        if (s != VHDX_SB_PRESENT) bat_check(fmt_bat_make(s, 0), 128, 1, VHDX_E_BAT_SB_STATE);
    bat_check(fmt_bat_make(VHDX_SB_NOT_PRESENT, 4 * MiB), 128, 1, VHDX_W_BAT_OFFSET_NOT_ZERO);
    /* the same value in a payload slot is a payload state */
    bat_check(fmt_bat_make(7, 4 * MiB), 127, 1, VHDX_OK);
}

/* ======================================================================== parent locator */

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

/* ======================================================================== log entries */

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

/* ======================================================================== file id */

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
        cmocka_unit_test(rt_valid_no_findings),
        cmocka_unit_test(rt_entry_count_2047_accepted),
        cmocka_unit_test(rt_entry_count_2048_rejected),
        cmocka_unit_test(rt_signature_checksum_reserved),
        cmocka_unit_test(rt_offset_rules),
        cmocka_unit_test(rt_length_rules),
        cmocka_unit_test(rt_duplicate_rejected),
        cmocka_unit_test(rt_required_rules),
        cmocka_unit_test(rt_missing_regions_rejected),
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
        cmocka_unit_test(bat_reserved_bits),
        cmocka_unit_test(bat_payload_states),
        cmocka_unit_test(bat_partially_present_needs_parent),
        cmocka_unit_test(bat_sector_bitmap_entries),
        cmocka_unit_test(pl_valid_no_findings),
        cmocka_unit_test(pl_header_rules),
        cmocka_unit_test(pl_entry_table_bounds),
        cmocka_unit_test(pl_string_bounds),
        cmocka_unit_test(pl_string_rules),
        cmocka_unit_test(pl_vhdx_key_rules),
        cmocka_unit_test(pl_get_unicode),
        cmocka_unit_test(pl_build_rejects),
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
        cmocka_unit_test(fileid_signature),
    };
    return cmocka_run_group_tests_name("codec_rules", tests, NULL, NULL);
}
