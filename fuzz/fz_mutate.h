/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fz_mutate.h - structure-aware mutation of the whole-image harnesses' inputs.
 *
 * The input is decoded into what the library will see (the image of fuzz_open's segments,
 * the log region of fuzz_log), mutated at the level of its structures (headers, region
 * tables, metadata table and items, BAT entries, log entries and descriptors), re-encoded
 * with the library's codecs (fmt_*_encode) and its checksums fixed (fz_fix_*), then encoded
 * back into the harness's input format. A share of the calls (1 in 4) is plain byte
 * mutation instead (libFuzzer's LLVMFuzzerMutate when linked, else a small byte mutator),
 * so the raw-byte paths stay reachable.
 *
 * The same functions serve libFuzzer (LLVMFuzzerCustomMutator/CustomCrossOver in the
 * harness, FZ_CUSTOM_MUTATOR), the AFL++ custom mutator library (afl_mutator.c) and the
 * replay build, whose driver runs mutants of each corpus input (FZ_REPLAY_MUTANTS=N).
 * All are deterministic functions of (input, seed).
 */
#ifndef VHDX_FUZZ_MUTATE_H
#define VHDX_FUZZ_MUTATE_H

#include <stddef.h>
#include <stdint.h>

typedef enum fz_mut_kind { FZ_MUT_OPEN = 1, FZ_MUT_LOG = 2 } fz_mut_kind;

/* Mutates data[0..size) in place (capacity max_size); returns the new size (<= max_size). */
size_t fz_mutate(fz_mut_kind kind, uint8_t *data, size_t size, size_t max_size, unsigned seed);
/* Combines structures of two inputs into out (capacity max_out); returns its size. */
size_t fz_crossover(fz_mut_kind kind, const uint8_t *d1, size_t s1, const uint8_t *d2, size_t s2,
                    uint8_t *out, size_t max_out, unsigned seed);
/* Byte-level fallback: LLVMFuzzerMutate when the engine provides it, else flips/inserts. */
size_t fz_mutate_bytes(uint8_t *data, size_t size, size_t max_size, uint64_t *rng);

/* The harness side (libFuzzer entry points over the functions above). Defines
 * LLVMFuzzerCustomMutator and LLVMFuzzerCustomCrossOver for `kind`. FZ_NO_CUSTOM_MUTATOR=1
 * in the environment makes both plain byte mutation (for with/without comparisons). */
#define FZ_CUSTOM_MUTATOR(kind)                                                                 \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed); \
    size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed)  \
    {                                                                                           \
        return fz_mutate_entry(kind, data, size, max_size, seed);                               \
    }                                                                                           \
    size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2,           \
                                     size_t s2, uint8_t *out, size_t max_out, unsigned seed);   \
    size_t LLVMFuzzerCustomCrossOver(const uint8_t *d1, size_t s1, const uint8_t *d2,           \
                                     size_t s2, uint8_t *out, size_t max_out, unsigned seed)    \
    {                                                                                           \
        return fz_crossover_entry(kind, d1, s1, d2, s2, out, max_out, seed);                    \
    }
size_t fz_mutate_entry(fz_mut_kind kind, uint8_t *data, size_t size, size_t max_size, unsigned seed);
size_t fz_crossover_entry(fz_mut_kind kind, const uint8_t *d1, size_t s1, const uint8_t *d2,
                          size_t s2, uint8_t *out, size_t max_out, unsigned seed);
#endif
