/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_crc32c - differential CRC-32C: the portable path, the hardware path (when the CPU
 * has it) and the dispatching entry point must agree on the same bytes, also when the
 * computation is chained at split points taken from the input, and all must agree with a
 * bitwise reference on a prefix. vhdx_crc32c_with_zero_field must equal the CRC of a copy
 * whose field was zeroed.
 *
 * Input: byte 0 = number of split points (mod 5), then 2 bytes per split point, then the
 * data.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

/* bitwise reference: reflected 0x82F63B78, init/xorout 0xFFFFFFFF, zlib-style chaining */
static uint32_t ref_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
    }
    return ~crc;
}

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static uint32_t chained(crc_fn fn, const uint8_t *p, size_t n, const size_t *cuts, size_t ncuts)
{
    uint32_t crc = 0;
    size_t at = 0;
    for (size_t i = 0; i < ncuts; i++) {
        crc = fn(crc, p + at, cuts[i] - at);
        at = cuts[i];
    }
    return fn(crc, p + at, n - at);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    size_t ncuts = fz_u8(&in) % 5u;
    uint16_t raw[4];
    for (size_t i = 0; i < ncuts; i++) raw[i] = fz_u16(&in);
    const uint8_t *p = in.p;
    size_t n = in.n;
    size_t cuts[4];
    for (size_t i = 0; i < ncuts; i++) cuts[i] = n ? raw[i] % (n + 1) : 0;
    qsort(cuts, ncuts, sizeof cuts[0], cmp_size);

    uint32_t whole = vhdx_crc32c(0, p, n);
    uint32_t sw = vhdx_crc32c_sw(0, p, n);
    if (sw != whole) FZ_FAIL("sw %08x != dispatch %08x (len %zu)", sw, whole, n);
    if (vhdx_crc32c_hw_available()) {
        uint32_t hw = vhdx_crc32c_hw(0, p, n);
        if (hw != whole) FZ_FAIL("hw %08x != dispatch %08x (len %zu)", hw, whole, n);
        if (chained(vhdx_crc32c_hw, p, n, cuts, ncuts) != whole) FZ_FAIL("hw chained differs");
    }
    if (chained(vhdx_crc32c, p, n, cuts, ncuts) != whole) FZ_FAIL("dispatch chained differs");
    if (chained(vhdx_crc32c_sw, p, n, cuts, ncuts) != whole) FZ_FAIL("sw chained differs");

    /* independent reference over a bounded prefix (keeps 1 MiB inputs fast) */
    size_t m = n < 65536 ? n : 65536;
    uint32_t r = ref_crc32c(0, p, m);
    if (vhdx_crc32c(0, p, m) != r) FZ_FAIL("dispatch differs from the bitwise reference");
    if (ncuts && cuts[0] <= m &&
        ref_crc32c(ref_crc32c(0, p, cuts[0]), p + cuts[0], m - cuts[0]) != r)
        FZ_FAIL("reference chaining broken (harness bug)");

    if (n >= 4) {
        size_t field = ncuts ? (cuts[0] < n - 3 ? cuts[0] : n - 4) : 0;
        size_t cm = n < 65536 ? n : 65536;
        if (field + 4 <= cm) {
            uint8_t *copy = malloc(cm);
            if (!copy) return 0;
            memcpy(copy, p, cm);
            memset(copy + field, 0, 4);
            uint32_t z = vhdx_crc32c_with_zero_field(p, cm, field);
            if (z != vhdx_crc32c(0, copy, cm)) FZ_FAIL("with_zero_field at %zu differs", field);
            free(copy);
        }
    }
    return 0;
}
