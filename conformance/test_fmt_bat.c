/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fmt_bat.c - BAT entry validation (fmt_bat.c, MS-VHDX 2.5).
 * Every codec-level rule at its boundary: the value just inside is accepted (no finding at
 * all), the value just outside is rejected with the exact code at the exact byte offset.
 * Structures are built with the encoders, one field mutated.
 */
#include "codec_test.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bat_reserved_bits),
        cmocka_unit_test(bat_payload_states),
        cmocka_unit_test(bat_partially_present_needs_parent),
        cmocka_unit_test(bat_sector_bitmap_entries),
    };
    return cmocka_run_group_tests_name("fmt_bat", tests, NULL, NULL);
}
