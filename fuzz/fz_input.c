/* SPDX-License-Identifier: Apache-2.0 */
/* fz_input.c - the fuzz input cursor (see fz_input.h). */
#include "fuzz_common.h"

FZ_NO_COVERAGE_BEGIN

uint8_t fz_u8(fz_in *in)
{
    if (in->n == 0) return 0;
    uint8_t v = in->p[0];
    in->p++;
    in->n--;
    return v;
}

uint16_t fz_u16(fz_in *in)
{
    uint16_t lo = fz_u8(in);
    return (uint16_t)(lo | (uint16_t)(fz_u8(in) << 8));
}

uint32_t fz_u32(fz_in *in)
{
    uint32_t lo = fz_u16(in);
    return lo | ((uint32_t)fz_u16(in) << 16);
}

uint64_t fz_u64(fz_in *in)
{
    uint64_t lo = fz_u32(in);
    return lo | ((uint64_t)fz_u32(in) << 32);
}

const uint8_t *fz_take(fz_in *in, size_t want, size_t *got)
{
    const uint8_t *p = in->p;
    size_t n = want < in->n ? want : in->n;
    in->p += n;
    in->n -= n;
    *got = n;
    return p;
}

FZ_NO_COVERAGE_END
