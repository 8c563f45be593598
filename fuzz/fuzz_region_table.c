/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_region_table - the 64 KiB region table codec and its validator (MS-VHDX 2.2.3).
 *
 * Input: byte 0 flags (bit 0: leave the checksum unfixed), then up to 64 KiB of table
 * (zero padded).
 * Oracles: decoded fields equal the raw little-endian values; decoded = min(EntryCount,
 * 2047); encode writes the same header and entries, a zero tail and a valid checksum, so
 * decode(encode(t)) == t and, when the input's tail is zero and its CRC right, encode
 * reproduces the input exactly; fmt_region_table_is_valid agrees with signature + CRC.
 */
#include <string.h>

#include "fuzz_common.h"

static int my_valid(const uint8_t *t)
{
    return vhdx_le32(t) == VHDX_SIG_REGI &&
           vhdx_le32(t + RT_OFF_CHECKSUM) == vhdx_crc32c_with_zero_field(t, VHDX_RT_SIZE, RT_OFF_CHECKSUM);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t raw[VHDX_RT_SIZE], out[VHDX_RT_SIZE];
    static fmt_region_table t, t2;
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    size_t got;
    const uint8_t *p = fz_take(&in, sizeof raw, &got);
    memset(raw, 0, sizeof raw);
    memcpy(raw, p, got);
    int fixed = !(flags & FZ_FLAG_NO_FIXUP);
    if (fixed) fz_fix_region_table(raw);

    if (fz_rc(fmt_region_table_decode(raw, sizeof raw, &t), "rt_decode") != VHDX_OK)
        FZ_FAIL("rt_decode failed on a full table");
    uint32_t count = vhdx_le32(raw + RT_OFF_ENTRY_COUNT);
    FZ_ASSERT(t.signature == vhdx_le32(raw) && t.checksum == vhdx_le32(raw + RT_OFF_CHECKSUM));
    FZ_ASSERT(t.entry_count == count && t.reserved == vhdx_le32(raw + RT_OFF_RESERVED));
    FZ_ASSERT(t.decoded == (count < VHDX_RT_MAX_ENTRIES ? count : VHDX_RT_MAX_ENTRIES));
    for (uint32_t i = 0; i < t.decoded; i++) {
        const uint8_t *e = raw + RT_HEADER_SIZE + (size_t)i * RT_ENTRY_SIZE;
        FZ_ASSERT(memcmp(t.entries[i].guid.b, e, 16) == 0);
        FZ_ASSERT(t.entries[i].file_offset == vhdx_le64(e + RTE_OFF_FILE_OFFSET));
        FZ_ASSERT(t.entries[i].length == vhdx_le32(e + RTE_OFF_LENGTH));
        FZ_ASSERT(t.entries[i].required == vhdx_le32(e + RTE_OFF_REQUIRED));
    }
    if (fmt_region_table_is_valid(raw, sizeof raw) != my_valid(raw))
        FZ_FAIL("fmt_region_table_is_valid disagrees with signature + CRC");
    /* decode needs exactly the header and the entries it decodes */
    size_t need = RT_HEADER_SIZE + (size_t)t.decoded * RT_ENTRY_SIZE;
    if (fmt_region_table_decode(raw, need - 1, &t2) != VHDX_E_TRUNCATED_INPUT)
        FZ_FAIL("short region table not reported as VHDX_E_TRUNCATED_INPUT");
    if (fz_rc(fmt_region_table_decode(raw, need, &t2), "rt_decode(exact)") != VHDX_OK)
        FZ_FAIL("region table of exactly header + entries rejected");

    memset(out, 0xA5, sizeof out);
    if (fz_rc(fmt_region_table_encode(&t, out, sizeof out), "rt_encode") != VHDX_OK)
        FZ_FAIL("rt_encode failed");
    size_t used = RT_HEADER_SIZE + (size_t)t.decoded * RT_ENTRY_SIZE;
    if (memcmp(out, raw, 4) != 0 || memcmp(out + 8, raw + 8, used - 8) != 0)
        FZ_FAIL("encode(decode(x)) differs from x in the header or entries");
    for (size_t i = used; i < sizeof out; i++)
        if (out[i] != 0) FZ_FAIL("encode left a non-zero byte at %zu in the tail", i);
    if (t.signature == VHDX_SIG_REGI && !my_valid(out)) FZ_FAIL("encode wrote a wrong checksum");
    if (fz_rc(fmt_region_table_decode(out, sizeof out, &t2), "rt_decode(encoded)") != VHDX_OK)
        FZ_FAIL("decode of encoded table failed");
    FZ_ASSERT(t2.decoded == t.decoded && t2.entry_count == t.entry_count);
    FZ_ASSERT(memcmp(t2.entries, t.entries, t.decoded * sizeof t.entries[0]) == 0);
    if (fixed && t.signature == VHDX_SIG_REGI && memcmp(out, raw, sizeof raw) != 0) {
        int tail_zero = 1;
        for (size_t i = used; i < sizeof raw && tail_zero; i++) tail_zero = raw[i] == 0;
        if (tail_zero) FZ_FAIL("encode(decode(x)) != x for a valid table with a zero tail");
    }

    fz_sink s;
    fz_sink_init(&s);
    int rc = fz_rc(fmt_region_table_validate(&t, raw, &s.sink, VHDX_RT1_OFFSET), "rt_validate");
    fz_use_u64((uint64_t)rc + s.count);
    return 0;
}
