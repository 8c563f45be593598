/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fz_input.h - the fuzz input cursor: the only way a harness consumes its input bytes.
 * Integers are little-endian; reads past the end yield zeros, so every input, however
 * short, means something and a corpus file keeps its meaning when helpers change.
 */
#ifndef VHDX_FUZZ_INPUT_H
#define VHDX_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

uint8_t fz_u8(fz_in *in);
uint16_t fz_u16(fz_in *in);
uint32_t fz_u32(fz_in *in);
uint64_t fz_u64(fz_in *in);
/* Up to `want` bytes (fewer at the end of input); *got = bytes returned. */
const uint8_t *fz_take(fz_in *in, size_t want, size_t *got);

#endif
