/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_checksum.c - CRC-32C (spec section 3, vectors of section 11): known vectors,
 * software vs hardware vs dispatch on every length 0..4100 at every alignment 0..7,
 * chaining at every split point, checksum-field-as-zero without writing the buffer.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vhdx.h"

/* reference: bit-at-a-time, straight from the definition */
static uint32_t crc_ref(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

static uint8_t *random_buf(size_t n, uint64_t seed)
{
    uint8_t *b = malloc(n);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        b[i] = (uint8_t)(seed >> 56);
    }
    return b;
}

static void crc_check_value(void **state)
{
    (void)state;
    assert_int_equal(vhdx_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(vhdx_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(vhdx_crc32c_hw(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(crc_ref(0, (const uint8_t *)"123456789", 9), 0xE3069283u);
    /* chained as "12345" then "6789" */
    assert_int_equal(vhdx_crc32c(vhdx_crc32c(0, "12345", 5), "6789", 4), 0xE3069283u);
    /* empty input leaves the running value alone */
    assert_int_equal(vhdx_crc32c(0, "", 0), 0u);
    assert_int_equal(vhdx_crc32c(0x12345678u, NULL, 0), 0x12345678u);
}

static void crc_zero_buffers(void **state)
{
    static const uint8_t zeros[65536];
    (void)state;
    assert_int_equal(vhdx_crc32c(0, zeros, 4096), 0x98F94189u);
    assert_int_equal(vhdx_crc32c_sw(0, zeros, 4096), 0x98F94189u);
    assert_int_equal(vhdx_crc32c_hw(0, zeros, 4096), 0x98F94189u);
    assert_int_equal(vhdx_crc32c(0, zeros, 65536), 0x72C0C4A4u);
    assert_int_equal(vhdx_crc32c_sw(0, zeros, 65536), 0x72C0C4A4u);
    assert_int_equal(vhdx_crc32c_hw(0, zeros, 65536), 0x72C0C4A4u);
}

/* Buffers whose tail is zero (region and metadata tables): vhdx_crc32c skips whole 8 KiB
 * zero pieces at the end by table lookup; every length and position of the last non-zero
 * byte around the piece boundaries gives the bytewise result. */
static void crc_zero_tails(void **state)
{
    static uint8_t b[65536 + 3];
    static const size_t lens[] = { 8191, 8192, 8193, 16384, 24576 + 5, 65536, 65536 + 3 };
    (void)state;
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        size_t n = lens[li];
        for (size_t last = 0; last < n; last = last < 64 ? last + 1 : last * 2 + 4093) {
            memset(b, 0, sizeof b);
            for (size_t i = 0; i <= last && i < 64; i++) b[i] = (uint8_t)(i * 37u + 1u);
            b[last] = 0xA5;
            assert_int_equal(vhdx_crc32c(0, b, n), vhdx_crc32c_sw(0, b, n));
            assert_int_equal(vhdx_crc32c(0x0BADF00Du, b, n), vhdx_crc32c_sw(0x0BADF00Du, b, n));
        }
    }
    /* the last byte of a piece, and of the buffer */
    memset(b, 0, sizeof b);
    b[8191] = 1;
    assert_int_equal(vhdx_crc32c(0, b, 65536), vhdx_crc32c_sw(0, b, 65536));
    b[65535] = 1;
    assert_int_equal(vhdx_crc32c(0, b, 65536), vhdx_crc32c_sw(0, b, 65536));
}

/* The example header of spec section 11, written byte by byte. */
static void build_example_header(uint8_t h[4096])
{
    static const uint8_t fwg[16] = { 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x33, 0x33,
                                     0x44, 0x44, 0x55, 0x55, 0x55, 0x55, 0x55, 0x55 };
    static const uint8_t dwg[16] = { 0x66, 0x66, 0x66, 0x66, 0x77, 0x77, 0x88, 0x88,
                                     0x99, 0x99, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA };
    memset(h, 0, 4096);
    memcpy(h, "head", 4);
    h[8] = 1;                /* SequenceNumber 1 */
    memcpy(h + 16, fwg, 16); /* FileWriteGuid 11111111-2222-3333-4444-555555555555 */
    memcpy(h + 32, dwg, 16); /* DataWriteGuid 66666666-7777-8888-9999-AAAAAAAAAAAA */
    h[66] = 1;               /* Version 1 */
    h[68 + 2] = 0x10;        /* LogLength 0x100000 */
    h[72 + 2] = 0x10;        /* LogOffset 0x100000 */
}

static void crc_example_header(void **state)
{
    uint8_t h[4096], copy[4096];
    (void)state;
    build_example_header(h);
    assert_int_equal(vhdx_crc32c(0, h, 4096), 0xA01CF6D7u);
    /* stored little-endian as D7 F6 1C A0; the zero-field CRC ignores what is stored */
    h[4] = 0xD7; h[5] = 0xF6; h[6] = 0x1C; h[7] = 0xA0;
    memcpy(copy, h, sizeof h);
    assert_int_equal(vhdx_crc32c_with_zero_field(h, 4096, 4), 0xA01CF6D7u);
    assert_memory_equal(h, copy, sizeof h);
    h[4] ^= 0xFF;
    assert_int_equal(vhdx_crc32c_with_zero_field(h, 4096, 4), 0xA01CF6D7u);
    /* any other byte matters */
    h[100] = 1;
    assert_int_not_equal(vhdx_crc32c_with_zero_field(h, 4096, 4), 0xA01CF6D7u);
}

static void crc_sw_hw_every_length_alignment(void **state)
{
    uint8_t *b = random_buf(4100 + 8, 1);
    (void)state;
    for (size_t align = 0; align < 8; align++) {
        for (size_t n = 0; n <= 4100; n++) {
            uint32_t sw = vhdx_crc32c_sw(0, b + align, n);
            if (n <= 300 || n % 97 == 0) assert_int_equal(sw, crc_ref(0, b + align, n));
            assert_int_equal(vhdx_crc32c_hw(0, b + align, n), sw);
            assert_int_equal(vhdx_crc32c(0, b + align, n), sw);
            /* a non-zero start value too */
            if (n % 7 == align)
                assert_int_equal(vhdx_crc32c_hw(0xDEADBEEFu, b + align, n),
                                 vhdx_crc32c_sw(0xDEADBEEFu, b + align, n));
        }
    }
    free(b);
}

/* Long buffers exercise the 3-way lanes (24 KiB blocks, 768-byte blocks) and tails. */
static void crc_sw_hw_long_buffers(void **state)
{
    static const size_t lens[] = { 24575, 24576, 24577, 24576 + 767, 24576 + 768,
                                   49152 + 13, 65536, 1048576, 1048576 + 4093 };
    uint8_t *b = random_buf(1048576 + 4093 + 8, 2);
    (void)state;
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        for (size_t align = 0; align < 8; align += 3) {
            /* the bit-at-a-time reference once per length; sw (checked against it on
             * every short length) for the other alignments */
            uint32_t ref = align == 0 ? crc_ref(0, b, lens[i]) : vhdx_crc32c_sw(0, b + align, lens[i]);
            assert_int_equal(vhdx_crc32c_sw(0, b + align, lens[i]), ref);
            assert_int_equal(vhdx_crc32c_hw(0, b + align, lens[i]), ref);
            assert_int_equal(vhdx_crc32c(0, b + align, lens[i]), ref);
        }
    }
    free(b);
}

static void crc_chaining_every_split(void **state)
{
    const size_t n = 3000;
    uint8_t *b = random_buf(n, 3);
    uint32_t whole = vhdx_crc32c(0, b, n);
    (void)state;
    assert_int_equal(whole, crc_ref(0, b, n));
    for (size_t k = 0; k <= n; k++) {
        assert_int_equal(vhdx_crc32c(vhdx_crc32c(0, b, k), b + k, n - k), whole);
        assert_int_equal(vhdx_crc32c_sw(vhdx_crc32c_sw(0, b, k), b + k, n - k), whole);
        assert_int_equal(vhdx_crc32c_hw(vhdx_crc32c_hw(0, b, k), b + k, n - k), whole);
        /* mixed paths chain too */
        assert_int_equal(vhdx_crc32c_hw(vhdx_crc32c_sw(0, b, k), b + k, n - k), whole);
    }
    free(b);
}

static void crc_with_zero_field_unchanged(void **state)
{
    const size_t n = 4096;
    uint8_t *b = random_buf(n, 4);
    uint8_t *copy = malloc(n), *zeroed = malloc(n);
    (void)state;
    assert_non_null(copy);
    assert_non_null(zeroed);
    memcpy(copy, b, n);
    for (size_t off = 0; off + 4 <= n; off += 509) {
        memcpy(zeroed, b, n);
        memset(zeroed + off, 0, 4);
        assert_int_equal(vhdx_crc32c_with_zero_field(b, n, off), crc_ref(0, zeroed, n));
        assert_memory_equal(b, copy, n);
    }
    /* field at the very end, partially past it, and fully past it */
    memcpy(zeroed, b, n);
    memset(zeroed + n - 4, 0, 4);
    assert_int_equal(vhdx_crc32c_with_zero_field(b, n, n - 4), crc_ref(0, zeroed, n));
    memcpy(zeroed, b, n);
    memset(zeroed + n - 2, 0, 2);
    assert_int_equal(vhdx_crc32c_with_zero_field(b, n, n - 2), crc_ref(0, zeroed, n));
    assert_int_equal(vhdx_crc32c_with_zero_field(b, n, n), crc_ref(0, b, n));
    assert_memory_equal(b, copy, n);
    free(b);
    free(copy);
    free(zeroed);
}

static void crc_hw_available_consistent(void **state)
{
    (void)state;
#if defined(__x86_64__)
    {
        __builtin_cpu_init();
        assert_int_equal(vhdx_crc32c_hw_available(), __builtin_cpu_supports("sse4.2") ? 1 : 0);
    }
#else
    assert_int_equal(vhdx_crc32c_hw_available(), 0);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc_check_value),
        cmocka_unit_test(crc_zero_buffers),
        cmocka_unit_test(crc_zero_tails),
        cmocka_unit_test(crc_example_header),
        cmocka_unit_test(crc_sw_hw_every_length_alignment),
        cmocka_unit_test(crc_sw_hw_long_buffers),
        cmocka_unit_test(crc_chaining_every_split),
        cmocka_unit_test(crc_with_zero_field_unchanged),
        cmocka_unit_test(crc_hw_available_consistent),
    };
    return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
