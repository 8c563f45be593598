/* SPDX-License-Identifier: Apache-2.0 */
/*
 * afl_mutator.c - the AFL++ custom mutator interface over fz_mutate.c, built by
 * fuzz/build-afl.sh as build-afl/fz_mutator_<harness>.so (FZ_AFL_KIND selects the input
 * format) and loaded with AFL_CUSTOM_MUTATOR_LIBRARY (fuzz/afl-campaign.sh does). AFL++
 * keeps its own havoc stages as well, so byte mutation is not lost.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_mutate.h"

#ifndef FZ_AFL_KIND
#define FZ_AFL_KIND FZ_MUT_OPEN
#endif

typedef struct fz_afl {
    uint64_t rng;
    uint8_t *out;
    size_t cap;
} fz_afl;

void *afl_custom_init(void *afl, unsigned int seed);
size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size);
void afl_custom_deinit(void *data);

void *afl_custom_init(void *afl, unsigned int seed)
{
    (void)afl;
    fz_afl *s = calloc(1, sizeof *s);
    if (s) s->rng = seed ? seed : 1;
    return s;
}

size_t afl_custom_fuzz(void *data, uint8_t *buf, size_t buf_size, uint8_t **out_buf, uint8_t *add_buf,
                       size_t add_buf_size, size_t max_size)
{
    fz_afl *s = data;
    size_t need = max_size > buf_size ? max_size : buf_size;
    if (need > s->cap) {
        uint8_t *o = realloc(s->out, need);
        if (!o) { *out_buf = buf; return buf_size; }
        s->out = o;
        s->cap = need;
    }
    unsigned seed = (unsigned)fz_rand(&s->rng);
    size_t n;
    if (add_buf && add_buf_size && seed % 4 == 0) {
        n = fz_crossover(FZ_AFL_KIND, buf, buf_size, add_buf, add_buf_size, s->out, max_size, seed);
    } else {
        size_t len = buf_size < max_size ? buf_size : max_size;
        memcpy(s->out, buf, len);
        n = fz_mutate(FZ_AFL_KIND, s->out, len, max_size, seed);
    }
    *out_buf = s->out;
    return n;
}

void afl_custom_deinit(void *data)
{
    fz_afl *s = data;
    if (s) free(s->out);
    free(s);
}
