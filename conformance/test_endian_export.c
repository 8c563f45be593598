/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_endian_export.c - every encoder against a golden byte image written out byte by
 * byte here (so the test is independent of the host's byte order), and
 * decode(encode(x)) == x for every structure.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return 0;
    return 1;
}

/* A GUID whose 16 on-disk bytes are 0x10 + i: any swap shows. */
static vhdx_guid seq_guid(uint8_t start)
{
    vhdx_guid g;
    for (int i = 0; i < 16; i++) g.b[i] = (uint8_t)(start + i);
    return g;
}

static void export_fileid(void **state)
{
    static const uint8_t golden[20] = { 'v', 'h', 'd', 'x', 'f', 'i', 'l', 'e',
                                        'Q', 0, 'E', 0, 'M', 0, 'U', 0, 0xAC, 0x20, 0, 0 };
    uint8_t *buf = malloc(VHDX_FILEID_SIZE);
    fmt_fileid f, d;
    char utf8[64];
    (void)state;
    assert_non_null(buf);
    memset(&f, 0, sizeof f);
    memcpy(f.signature, "vhdxfile", 8);
    fmt_fileid_set_creator(&f, "QEMU\xE2\x82\xAC"); /* "QEMU" + U+20AC */
    assert_int_equal(fmt_fileid_encode(&f, buf, VHDX_FILEID_SIZE), VHDX_OK);
    assert_memory_equal(buf, golden, sizeof golden);
    assert_true(all_zero(buf + sizeof golden, VHDX_FILEID_SIZE - sizeof golden));
    assert_int_equal(fmt_fileid_decode(buf, VHDX_FILEID_SIZE, &d), VHDX_OK);
    assert_memory_equal(&d, &f, sizeof f);
    fmt_fileid_creator_utf8(&d, utf8, sizeof utf8);
    assert_string_equal(utf8, "QEMU\xE2\x82\xAC");
    /* the creator is cut at 256 code units, never mid surrogate pair */
    {
        char longtext[600];
        memset(longtext, 'a', 255);
        memcpy(longtext + 255, "\xF0\x9F\x98\x80", 5); /* U+1F600 would need units 255 and 256 */
        fmt_fileid_set_creator(&f, longtext);
        assert_int_equal(vhdx_le16(f.creator + 2 * 254), 'a');
        assert_int_equal(vhdx_le16(f.creator + 2 * 255), 0);
        fmt_fileid_creator_utf8(&f, utf8, sizeof utf8);
        assert_int_equal(strlen(utf8), sizeof utf8 - 1);
        fmt_fileid_set_creator(&f, "\xFF\xC3(x"); /* invalid UTF-8 -> U+FFFD */
        assert_int_equal(vhdx_le16(f.creator), 0xFFFD);
        assert_int_equal(vhdx_le16(f.creator + 2), 0xFFFD);
        assert_int_equal(vhdx_le16(f.creator + 4), '(');
    }
    assert_int_equal(fmt_fileid_encode(&f, buf, VHDX_FILEID_SIZE - 1), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_fileid_decode(buf, FILEID_DEFINED - 1, &d), VHDX_E_TRUNCATED_INPUT);
    free(buf);
}

/* spec section 11 example header */
static void export_header_spec_example(void **state)
{
    static const uint8_t golden[80] = {
        0x68, 0x65, 0x61, 0x64, 0xD7, 0xF6, 0x1C, 0xA0, /* "head", checksum */
        0x01, 0, 0, 0, 0, 0, 0, 0,                      /* SequenceNumber 1 */
        0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33, 0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55,
        0x66, 0x66, 0x66, 0x66, 0x77, 0x77, 0x88, 0x88, 0x99, 0x99, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, /* LogGuid */
        0x00, 0x00, 0x01, 0x00,                         /* LogVersion 0, Version 1 */
        0x00, 0x00, 0x10, 0x00,                         /* LogLength 1 MiB */
        0x00, 0x00, 0x10, 0x00, 0, 0, 0, 0,             /* LogOffset 1 MiB */
    };
    uint8_t buf[4096];
    fmt_header h, d;
    (void)state;
    memset(&h, 0, sizeof h);
    h.signature = VHDX_SIG_HEAD;
    h.checksum = 0x55555555u; /* ignored by the encoder */
    h.sequence_number = 1;
    assert_int_equal(vhdx_guid_parse(&h.file_write_guid, "11111111-2222-3333-4444-555555555555", 36), VHDX_OK);
    assert_int_equal(vhdx_guid_parse(&h.data_write_guid, "66666666-7777-8888-9999-AAAAAAAAAAAA", 36), VHDX_OK);
    h.version = 1;
    h.log_length = 0x100000;
    h.log_offset = 0x100000;
    memset(buf, 0xEE, sizeof buf);
    assert_int_equal(fmt_header_encode(&h, buf, sizeof buf), VHDX_OK);
    assert_memory_equal(buf, golden, sizeof golden);
    assert_true(all_zero(buf + 80, 4096 - 80));
    assert_true(fmt_header_is_valid(buf, sizeof buf));
    memset(&d, 0, sizeof d);
    assert_int_equal(fmt_header_decode(buf, sizeof buf, &d), VHDX_OK);
    assert_int_equal(d.checksum, 0xA01CF6D7u);
    h.checksum = 0xA01CF6D7u;
    assert_memory_equal(&d, &h, sizeof h);
    assert_int_equal(fmt_header_encode(&h, buf, 4095), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_header_decode(buf, 4095, &d), VHDX_E_TRUNCATED_INPUT);
}

/* every field with distinct bytes, reserved bytes kept */
static void export_header_fields(void **state)
{
    static const uint8_t golden[80] = {
        0x68, 0x65, 0x61, 0x64, 0, 0, 0, 0,
        0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
        0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F,
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
        0x42, 0x41, 0x44, 0x43,
        0x48, 0x47, 0x46, 0x45,
        0x00, 0x00, 0x50, 0x4F, 0x4E, 0x4D, 0x4C, 0x4B,
    };
    uint8_t buf[4096];
    fmt_header h, d;
    (void)state;
    memset(&h, 0, sizeof h);
    h.signature = VHDX_SIG_HEAD;
    h.sequence_number = 0x0102030405060708ULL;
    h.file_write_guid = seq_guid(0x10);
    h.data_write_guid = seq_guid(0x20);
    h.log_guid = seq_guid(0x30);
    h.log_version = 0x4142;
    h.version = 0x4344;
    h.log_length = 0x45464748u;
    h.log_offset = 0x4B4C4D4E4F500000ULL;
    h.reserved[0] = 0xA5;
    h.reserved[4015] = 0x5A;
    assert_int_equal(fmt_header_encode(&h, buf, sizeof buf), VHDX_OK);
    assert_memory_equal(buf + 8, golden + 8, sizeof golden - 8);
    assert_memory_equal(buf, golden, 4);
    assert_int_equal(buf[80], 0xA5);
    assert_int_equal(buf[4095], 0x5A);
    assert_true(all_zero(buf + 81, 4095 - 81));
    /* the stored checksum is the LE CRC-32C of the bytes with the field zeroed */
    {
        uint32_t c = vhdx_crc32c_with_zero_field(buf, 4096, 4);
        assert_int_equal(buf[4], c & 0xff);
        assert_int_equal(buf[5], (c >> 8) & 0xff);
        assert_int_equal(buf[6], (c >> 16) & 0xff);
        assert_int_equal(buf[7], c >> 24);
        h.checksum = c;
    }
    memset(&d, 0, sizeof d);
    assert_int_equal(fmt_header_decode(buf, sizeof buf, &d), VHDX_OK);
    assert_memory_equal(&d, &h, sizeof h);
}

static void export_region_table(void **state)
{
    static const uint8_t golden[16 + 64] = {
        0x72, 0x65, 0x67, 0x69, 0, 0, 0, 0, /* "regi", checksum checked separately */
        0x02, 0x00, 0x00, 0x00,             /* EntryCount 2 */
        0x04, 0x03, 0x02, 0x01,             /* Reserved kept */
        0x66, 0x77, 0xC2, 0x2D, 0x23, 0xF6, 0x00, 0x42, 0x9D, 0x64, 0x11, 0x5E, 0x9B, 0xFD, 0x4A, 0x08,
        0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, /* FileOffset 3 MiB */
        0x00, 0x00, 0x10, 0x00,                         /* Length 1 MiB */
        0x01, 0x00, 0x00, 0x00,                         /* Required */
        0x06, 0xA2, 0x7C, 0x8B, 0x90, 0x47, 0x9A, 0x4B, 0xB8, 0xFE, 0x57, 0x5F, 0x05, 0x0F, 0x88, 0x6E,
        0x00, 0x00, 0x20, 0x00, 0x08, 0x07, 0x06, 0x05, /* FileOffset 0x0506070800200000 */
        0x00, 0x00, 0xF0, 0xFF,                         /* Length 0xFFF00000 */
        0x03, 0x02, 0x01, 0x80,                         /* Required 0x80010203 */
    };
    uint8_t *buf = malloc(VHDX_RT_SIZE);
    fmt_region_table *t = calloc(1, sizeof *t), *d = calloc(1, sizeof *d);
    uint32_t c;
    (void)state;
    assert_non_null(buf);
    assert_non_null(t);
    assert_non_null(d);
    t->signature = VHDX_SIG_REGI;
    t->entry_count = 2;
    t->decoded = 2;
    t->reserved = 0x01020304u;
    t->entries[0].guid = VHDX_GUID_BAT_REGION;
    t->entries[0].file_offset = 3 * MiB;
    t->entries[0].length = (uint32_t)MiB;
    t->entries[0].required = 1;
    t->entries[1].guid = VHDX_GUID_METADATA_REGION;
    t->entries[1].file_offset = 0x0506070800200000ULL;
    t->entries[1].length = 0xFFF00000u;
    t->entries[1].required = 0x80010203u;
    memset(buf, 0xEE, VHDX_RT_SIZE);
    assert_int_equal(fmt_region_table_encode(t, buf, VHDX_RT_SIZE), VHDX_OK);
    assert_memory_equal(buf + 8, golden + 8, sizeof golden - 8);
    assert_memory_equal(buf, golden, 4);
    assert_true(all_zero(buf + sizeof golden, VHDX_RT_SIZE - sizeof golden));
    c = vhdx_crc32c_with_zero_field(buf, VHDX_RT_SIZE, 4);
    assert_int_equal(vhdx_le32(buf + 4), c);
    assert_true(fmt_region_table_is_valid(buf, VHDX_RT_SIZE));
    t->checksum = c;
    assert_int_equal(fmt_region_table_decode(buf, VHDX_RT_SIZE, d), VHDX_OK);
    assert_memory_equal(d, t, sizeof *t);
    /* the decoder needs only the entries the count names */
    assert_int_equal(fmt_region_table_decode(buf, 16 + 64, d), VHDX_OK);
    assert_int_equal(fmt_region_table_decode(buf, 16 + 63, d), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_region_table_encode(t, buf, VHDX_RT_SIZE - 1), VHDX_E_TRUNCATED_INPUT);
    free(buf);
    free(t);
    free(d);
}

static void export_metadata_table(void **state)
{
    static const uint8_t golden[32 + 64] = {
        0x6D, 0x65, 0x74, 0x61, 0x64, 0x61, 0x74, 0x61, /* "metadata" */
        0x12, 0x11,                                     /* Reserved 0x1112 */
        0x02, 0x00,                                     /* EntryCount 2 */
        0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9,
        0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF, 0xB0, 0xB1, 0xB2, 0xB3, /* Reserved2 */
        0x37, 0x67, 0xA1, 0xCA, 0x36, 0xFA, 0x43, 0x4D, 0xB3, 0xB6, 0x33, 0xF0, 0xAA, 0x44, 0xE7, 0x6B,
        0x00, 0x00, 0x01, 0x00, /* Offset 64 KiB */
        0x08, 0x00, 0x00, 0x00, /* Length 8 */
        0x04, 0x00, 0x00, 0x00, /* IsRequired */
        0x00, 0x00, 0x00, 0x00,
        0x24, 0x42, 0xA5, 0x2F, 0x1B, 0xCD, 0x76, 0x48, 0xB2, 0x11, 0x5D, 0xBE, 0xD8, 0x3B, 0xF4, 0xB8,
        0x04, 0x03, 0x02, 0x01, 0x08, 0x07, 0x06, 0x05, 0x0C, 0x0B, 0x0A, 0x09, 0x10, 0x0F, 0x0E, 0x0D,
    };
    uint8_t *buf = malloc(VHDX_MD_TABLE_SIZE);
    fmt_metadata_table *t = calloc(1, sizeof *t), *d = calloc(1, sizeof *d);
    (void)state;
    assert_non_null(buf);
    assert_non_null(t);
    assert_non_null(d);
    t->signature = VHDX_SIG_METADATA;
    t->reserved = 0x1112;
    t->entry_count = 2;
    t->decoded = 2;
    for (int i = 0; i < 20; i++) t->reserved2[i] = (uint8_t)(0xA0 + i);
    t->entries[0].item_id = VHDX_GUID_FILE_PARAMETERS;
    t->entries[0].offset = 65536;
    t->entries[0].length = 8;
    t->entries[0].flags = VHDX_MD_FLAG_IS_REQUIRED;
    t->entries[1].item_id = VHDX_GUID_VIRTUAL_DISK_SIZE;
    t->entries[1].offset = 0x01020304u;
    t->entries[1].length = 0x05060708u;
    t->entries[1].flags = 0x090A0B0Cu;
    t->entries[1].reserved2 = 0x0D0E0F10u;
    memset(buf, 0xEE, VHDX_MD_TABLE_SIZE);
    assert_int_equal(fmt_metadata_table_encode(t, buf, VHDX_MD_TABLE_SIZE), VHDX_OK);
    assert_memory_equal(buf, golden, sizeof golden);
    assert_true(all_zero(buf + sizeof golden, VHDX_MD_TABLE_SIZE - sizeof golden));
    assert_int_equal(fmt_metadata_table_decode(buf, VHDX_MD_TABLE_SIZE, d), VHDX_OK);
    assert_memory_equal(d, t, sizeof *t);
    assert_int_equal(fmt_metadata_find(d, &VHDX_GUID_VIRTUAL_DISK_SIZE), 1);
    assert_int_equal(fmt_metadata_find(d, &VHDX_GUID_PARENT_LOCATOR), -1);
    assert_int_equal(fmt_metadata_table_decode(buf, 32 + 63, d), VHDX_E_TRUNCATED_INPUT);
    free(buf);
    free(t);
    free(d);
}

static void export_metadata_items(void **state)
{
    static const uint8_t fp_golden[8] = { 0x00, 0x00, 0x00, 0x02, 0x03, 0x00, 0x00, 0x00 };
    static const uint8_t size_golden[8] = { 0x00, 0x00, 0x00, 0x80, 0x02, 0x00, 0x00, 0x00 };
    static const uint8_t lss_golden[4] = { 0x00, 0x02, 0x00, 0x00 };
    static const uint8_t pss_golden[4] = { 0x00, 0x10, 0x00, 0x00 };
    static const uint8_t id_golden[16] = { 0xAB, 0x12, 0xCA, 0xBE, 0xE6, 0xB2, 0x23, 0x45,
                                           0x93, 0xEF, 0xC3, 0x09, 0xE0, 0x00, 0xC7, 0x46 };
    uint8_t buf[16];
    fmt_file_parameters fp = { 32u << 20, 3 }, fpd;
    uint64_t v64;
    uint32_t v32;
    vhdx_guid g;
    (void)state;
    assert_int_equal(fmt_file_parameters_encode(&fp, buf, 8), VHDX_OK);
    assert_memory_equal(buf, fp_golden, 8);
    assert_int_equal(fmt_file_parameters_decode(buf, 8, &fpd), VHDX_OK);
    assert_int_equal(fpd.block_size, fp.block_size);
    assert_int_equal(fpd.flags, fp.flags);
    assert_int_equal(fmt_u64_item_encode(10 * GiB, buf, 8), VHDX_OK);
    assert_memory_equal(buf, size_golden, 8);
    assert_int_equal(fmt_u64_item_decode(buf, 8, &v64), VHDX_OK);
    assert_true(v64 == 10 * GiB);
    assert_int_equal(fmt_u32_item_encode(512, buf, 4), VHDX_OK);
    assert_memory_equal(buf, lss_golden, 4);
    assert_int_equal(fmt_u32_item_decode(buf, 4, &v32), VHDX_OK);
    assert_int_equal(v32, 512);
    assert_int_equal(fmt_u32_item_encode(4096, buf, 4), VHDX_OK);
    assert_memory_equal(buf, pss_golden, 4);
    assert_int_equal(fmt_guid_item_encode(&VHDX_GUID_VIRTUAL_DISK_ID, buf, 16), VHDX_OK);
    assert_memory_equal(buf, id_golden, 16);
    assert_int_equal(fmt_guid_item_decode(buf, 16, &g), VHDX_OK);
    assert_true(vhdx_guid_equal(&g, &VHDX_GUID_VIRTUAL_DISK_ID));
    /* short buffers */
    assert_int_equal(fmt_file_parameters_decode(buf, 7, &fpd), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_file_parameters_encode(&fp, buf, 7), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_u64_item_decode(buf, 7, &v64), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_u64_item_encode(1, buf, 7), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_u32_item_decode(buf, 3, &v32), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_u32_item_encode(1, buf, 3), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_guid_item_decode(buf, 15, &g), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_guid_item_encode(&g, buf, 15), VHDX_E_TRUNCATED_INPUT);
}

static void export_locator(void **state)
{
    static const uint8_t golden[38] = {
        0xB7, 0xEF, 0x4A, 0xB0, 0x9E, 0xD1, 0x81, 0x4A, 0xB7, 0x89, 0x25, 0xB8, 0xE9, 0x44, 0x59, 0x13,
        0x00, 0x00,             /* Reserved */
        0x01, 0x00,             /* KeyValueCount 1 */
        0x20, 0x00, 0x00, 0x00, /* KeyOffset 32 */
        0x24, 0x00, 0x00, 0x00, /* ValueOffset 36 */
        0x04, 0x00,             /* KeyLength 4 */
        0x02, 0x00,             /* ValueLength 2 */
        0x61, 0x00, 0x62, 0x00, /* "ab" */
        0xE9, 0x00,             /* U+00E9 */
    };
    const char *keys[1] = { "ab" }, *values[1] = { "\xC3\xA9" };
    uint8_t buf[64];
    size_t written = 0;
    fmt_locator pl, back;
    char out[16];
    (void)state;
    memset(buf, 0xEE, sizeof buf);
    assert_int_equal(fmt_locator_build(keys, values, 1, buf, sizeof buf, &written), VHDX_OK);
    assert_int_equal(written, sizeof golden);
    assert_memory_equal(buf, golden, sizeof golden);
    assert_int_equal(fmt_locator_decode(buf, written, &pl), VHDX_OK);
    assert_true(vhdx_guid_equal(&pl.type, &VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX));
    assert_int_equal(pl.reserved, 0);
    assert_int_equal(pl.count, 1);
    assert_int_equal(pl.decoded, 1);
    assert_int_equal(pl.entries[0].key_offset, 32);
    assert_int_equal(pl.entries[0].value_offset, 36);
    assert_int_equal(pl.entries[0].key_length, 4);
    assert_int_equal(pl.entries[0].value_length, 2);
    assert_int_equal(fmt_locator_get(&pl, buf, written, "ab", out, sizeof out), VHDX_OK);
    assert_string_equal(out, "\xC3\xA9");
    assert_int_equal(fmt_locator_get(&pl, buf, written, "a", out, sizeof out), VHDX_E_NOT_FOUND);
    assert_int_equal(fmt_locator_get(&pl, buf, written, "ab", out, 2), VHDX_E_LIMIT_METADATA);
    /* a real locator: build, decode, get every value back */
    {
        const char *k[3] = { "parent_linkage", "relative_path", "absolute_win32_path" };
        const char *v[3] = { "{83ed0ec3-24c8-49a6-a959-5e4bf1288bfb}", "..\\parent.vhdx",
                             "\\\\?\\C:\\x\\parent.vhdx" };
        uint8_t item[512];
        char val[VHDX_PL_MAX_STRING];
        assert_int_equal(fmt_locator_build(k, v, 3, item, sizeof item, &written), VHDX_OK);
        assert_int_equal(written, 20 + 3 * 12 + 2 * (14 + 38 + 13 + 14 + 19 + 20));
        assert_int_equal(fmt_locator_decode(item, written, &back), VHDX_OK);
        for (int i = 0; i < 3; i++) {
            assert_int_equal(fmt_locator_get(&back, item, written, k[i], val, sizeof val), VHDX_OK);
            assert_string_equal(val, v[i]);
        }
    }
    assert_int_equal(fmt_locator_decode(buf, 19, &pl), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_locator_build(keys, values, 1, buf, 37, &written), VHDX_E_TRUNCATED_INPUT);
}

static void export_bat_entries(void **state)
{
    static const uint8_t fully5[8] = { 0x06, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00, 0x00 };
    static const uint8_t partial300[8] = { 0x07, 0x00, 0xC0, 0x12, 0x00, 0x00, 0x00, 0x00 };
    static const uint8_t high[8] = { 0x02, 0x00, 0xF0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF };
    uint8_t buf[8];
    uint64_t e;
    (void)state;
    e = fmt_bat_make(VHDX_PB_FULLY_PRESENT, 5 * MiB);
    assert_true(e == 0x0000000000500006ULL);
    vhdx_put64(buf, e);
    assert_memory_equal(buf, fully5, 8);
    assert_true(vhdx_le64(buf) == e);
    assert_int_equal(fmt_bat_state(vhdx_le64(buf)), VHDX_PB_FULLY_PRESENT);
    assert_true(fmt_bat_offset(vhdx_le64(buf)) == 5 * MiB);
    e = fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, 300 * MiB);
    assert_true(e == 0x0000000012C00007ULL);
    vhdx_put64(buf, e);
    assert_memory_equal(buf, partial300, 8);
    assert_int_equal(fmt_bat_state(vhdx_le64(buf)), VHDX_PB_PARTIALLY_PRESENT);
    assert_true(fmt_bat_offset(vhdx_le64(buf)) == 300 * MiB);
    /* the largest FileOffsetMB (44 bits) */
    e = fmt_bat_make(VHDX_PB_ZERO, 0xFFFFFFFFFFF00000ULL);
    vhdx_put64(buf, e);
    assert_memory_equal(buf, high, 8);
    assert_true(fmt_bat_offset(vhdx_le64(buf)) == 0xFFFFFFFFFFF00000ULL);
    assert_true(fmt_bat_reserved(vhdx_le64(buf)) == 0);
    /* reserved bits are neither state nor offset */
    assert_true(fmt_bat_reserved(0x00000000000FFFF8ULL) == 0xFFFF8u);
    assert_int_equal(fmt_bat_state(0x00000000000FFFF8ULL), 0);
    assert_true(fmt_bat_offset(0x00000000000FFFF8ULL) == 0);
}

static void export_log_entry_header(void **state)
{
    static const uint8_t golden[64] = {
        0x6C, 0x6F, 0x67, 0x65,                         /* "loge" */
        0x04, 0x03, 0x02, 0x01,                         /* Checksum as given */
        0x00, 0x20, 0x00, 0x00,                         /* EntryLength 8 KiB */
        0x00, 0x10, 0x00, 0x00,                         /* Tail 4 KiB */
        0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* SequenceNumber */
        0x01, 0x00, 0x00, 0x00,                         /* DescriptorCount 1 */
        0x24, 0x23, 0x22, 0x21,                         /* Reserved kept */
        0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0x3E, 0x3F,
        0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, /* FlushedFileOffset 4 MiB */
        0x00, 0x00, 0x50, 0x46, 0x45, 0x44, 0x43, 0x42, /* LastFileOffset */
    };
    uint8_t buf[64];
    fmt_log_entry_header h, d;
    (void)state;
    memset(&h, 0, sizeof h);
    h.signature = VHDX_SIG_LOGE;
    h.checksum = 0x01020304u;
    h.entry_length = 8192;
    h.tail = 4096;
    h.sequence_number = 0x1112131415161718ULL;
    h.descriptor_count = 1;
    h.reserved = 0x21222324u;
    h.log_guid = seq_guid(0x30);
    h.flushed_file_offset = 4 * MiB;
    h.last_file_offset = 0x4243444546500000ULL;
    assert_int_equal(fmt_log_entry_header_encode(&h, buf, sizeof buf), VHDX_OK);
    assert_memory_equal(buf, golden, sizeof golden);
    memset(&d, 0, sizeof d);
    assert_int_equal(fmt_log_entry_header_decode(buf, sizeof buf, &d), VHDX_OK);
    assert_memory_equal(&d, &h, sizeof h);
    assert_int_equal(fmt_log_entry_header_decode(buf, 63, &d), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_log_entry_header_encode(&h, buf, 63), VHDX_E_TRUNCATED_INPUT);
}

static void export_log_descriptors(void **state)
{
    static const uint8_t zero_golden[32] = {
        0x7A, 0x65, 0x72, 0x6F,                         /* "zero" */
        0x04, 0x03, 0x02, 0x01,                         /* Reserved kept */
        0x00, 0x30, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* ZeroLength 12 KiB */
        0x00, 0x00, 0x50, 0x00, 0x01, 0x00, 0x00, 0x00, /* FileOffset 0x100500000 */
        0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11, /* SequenceNumber */
    };
    static const uint8_t desc_golden[32] = {
        0x64, 0x65, 0x73, 0x63,                         /* "desc" */
        0xF0, 0xF1, 0xF2, 0xF3,                         /* TrailingBytes as bytes */
        0xE0, 0xE1, 0xE2, 0xE3, 0xE4, 0xE5, 0xE6, 0xE7, /* LeadingBytes as bytes */
        0x00, 0x10, 0x20, 0x00, 0x00, 0x00, 0x00, 0x00, /* FileOffset 0x201000 */
        0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, /* SequenceNumber */
    };
    uint8_t buf[32];
    fmt_log_descriptor z, d, back;
    (void)state;
    memset(&z, 0, sizeof z);
    z.signature = VHDX_SIG_ZERO;
    z.zero_reserved = 0x01020304u;
    z.zero_length = 12288;
    z.file_offset = 0x100500000ULL;
    z.sequence_number = 0x1112131415161718ULL;
    assert_int_equal(fmt_log_descriptor_encode(&z, buf, sizeof buf), VHDX_OK);
    assert_memory_equal(buf, zero_golden, 32);
    assert_int_equal(fmt_log_descriptor_decode(buf, sizeof buf, &back), VHDX_OK);
    assert_memory_equal(&back, &z, sizeof z);

    memset(&d, 0, sizeof d);
    d.signature = VHDX_SIG_DESC;
    for (int i = 0; i < 4; i++) d.trailing[i] = (uint8_t)(0xF0 + i);
    for (int i = 0; i < 8; i++) d.leading[i] = (uint8_t)(0xE0 + i);
    d.file_offset = 0x201000;
    d.sequence_number = 0x8000000000000001ULL;
    assert_int_equal(fmt_log_descriptor_encode(&d, buf, sizeof buf), VHDX_OK);
    assert_memory_equal(buf, desc_golden, 32);
    assert_int_equal(fmt_log_descriptor_decode(buf, sizeof buf, &back), VHDX_OK);
    assert_memory_equal(&back, &d, sizeof d);
    assert_int_equal(fmt_log_descriptor_decode(buf, 31, &back), VHDX_E_TRUNCATED_INPUT);
    assert_int_equal(fmt_log_descriptor_encode(&d, buf, 31), VHDX_E_TRUNCATED_INPUT);
}

static void export_log_data_sector(void **state)
{
    static const uint8_t head_golden[8] = { 0x64, 0x61, 0x74, 0x61, 0x44, 0x33, 0x22, 0x11 };
    static const uint8_t tail_golden[4] = { 0x88, 0x77, 0x66, 0x55 };
    uint8_t update[4096], sector[4096], back[4096];
    fmt_log_descriptor d;
    const uint64_t seq = 0x1122334455667788ULL;
    (void)state;
    for (int i = 0; i < 4096; i++) update[i] = (uint8_t)(i * 7 + 3);
    memset(&d, 0, sizeof d);
    fmt_log_data_sector_encode(update, seq, &d, sector);
    assert_memory_equal(sector, head_golden, 8);
    assert_memory_equal(sector + 4092, tail_golden, 4);
    assert_memory_equal(sector + 8, update + 8, 4084);
    assert_memory_equal(d.leading, update, 8);
    assert_memory_equal(d.trailing, update + 4092, 4);
    assert_int_equal(d.signature, VHDX_SIG_DESC);
    assert_true(d.sequence_number == seq);
    fmt_log_data_sector_decode(sector, &d, back);
    assert_memory_equal(back, update, 4096);
    /* the descriptor survives its own round trip and still restores the update */
    {
        uint8_t raw[32];
        fmt_log_descriptor d2;
        assert_int_equal(fmt_log_descriptor_encode(&d, raw, 32), VHDX_OK);
        assert_int_equal(fmt_log_descriptor_decode(raw, 32, &d2), VHDX_OK);
        memset(back, 0, sizeof back);
        fmt_log_data_sector_decode(sector, &d2, back);
        assert_memory_equal(back, update, 4096);
    }
    assert_int_equal(fmt_log_data_sector_validate(sector, seq, NULL, 0), VHDX_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(export_fileid),
        cmocka_unit_test(export_header_spec_example),
        cmocka_unit_test(export_header_fields),
        cmocka_unit_test(export_region_table),
        cmocka_unit_test(export_metadata_table),
        cmocka_unit_test(export_metadata_items),
        cmocka_unit_test(export_locator),
        cmocka_unit_test(export_bat_entries),
        cmocka_unit_test(export_log_entry_header),
        cmocka_unit_test(export_log_descriptors),
        cmocka_unit_test(export_log_data_sector),
    };
    return cmocka_run_group_tests_name("endian_export", tests, NULL, NULL);
}
