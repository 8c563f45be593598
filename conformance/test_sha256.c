/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sha256.c - the CLI's SHA-256 (cli/sha256.c, the kit's manifest hashes) against the
 * FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf"), and the
 * multi-call chaining at every split point of a 1000-byte buffer and in updates of every size
 * from 1 to 130 bytes. Every case runs through the portable block function and through the
 * one cli_sha256_init picks (the SHA extensions on x86 CPUs that have them), which must agree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sha256.h"

typedef int (*init_fn)(cli_sha256 *s);

static int init_default(cli_sha256 *s) { cli_sha256_init(s); return 0; }

static const init_fn inits[] = { init_default, cli_sha256_init_portable };

static void hex_of(init_fn init, const void *p, size_t len, char hex[65])
{
    cli_sha256 s;
    (void)init(&s);
    cli_sha256_update(&s, p, len);
    cli_sha256_final_hex(&s, hex);
}

/* the digest of p hashed in updates of `step` bytes (the last one shorter) */
static void hex_in_steps(init_fn init, const uint8_t *p, size_t len, size_t step, char hex[65])
{
    cli_sha256 s;
    (void)init(&s);
    for (size_t k = 0; k < len; k += step) cli_sha256_update(&s, p + k, len - k < step ? len - k : step);
    cli_sha256_update(&s, NULL, 0);
    cli_sha256_final_hex(&s, hex);
}

/* p hashed in one update, and in updates of `step` bytes, through every block function */
static void expect_digest_steps(const void *p, size_t len, size_t step, const char *want)
{
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
        char hex[65];
        hex_of(inits[i], p, len, hex);
        assert_string_equal(hex, want);
        hex_in_steps(inits[i], p, len, step, hex);
        assert_string_equal(hex, want);
    }
}

static void expect_digest(const void *p, size_t len, const char *want)
{
    expect_digest_steps(p, len, 1, want);
}

static void fips_empty(void **st)
{
    (void)st;
    expect_digest(NULL, 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void fips_abc(void **st)
{
    (void)st;
    expect_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* 448 bits: the 0x80 byte fits the block but the length does not, so padding takes a block */
static void fips_448_bits(void **st)
{
    (void)st;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(m), 56);
    expect_digest(m, 56, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void fips_896_bits(void **st)
{
    (void)st;
    const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
                    "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_int_equal(strlen(m), 112);
    expect_digest(m, 112, "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

static void fips_million_a(void **st)
{
    (void)st;
    uint8_t *a = malloc(1000000);
    assert_non_null(a);
    memset(a, 'a', 1000000);
    /* in updates of 1000 bytes: the block buffer carries 40 bytes across */
    expect_digest_steps(a, 1000000, 1000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    free(a);
}

static void fill(uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) b[i] = (uint8_t)(i * 7 + 3);
}

/* digest (python3 hashlib) of bytes (i * 7 + 3) & 255, i < 1000 */
#define BUF1000_SHA "1e9bc38cbf860b9ec31918b065f9b52476c549a782e0e7990bed8ce3868d2371"

static void chaining_every_split(void **st)
{
    (void)st;
    uint8_t b[1000];
    fill(b, sizeof b);
    expect_digest(b, sizeof b, BUF1000_SHA);
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
        for (size_t k = 0; k <= sizeof b; k++) {
            cli_sha256 s;
            char hex[65];
            (void)inits[i](&s);
            cli_sha256_update(&s, b, k);
            cli_sha256_update(&s, b + k, sizeof b - k);
            cli_sha256_final_hex(&s, hex);
            assert_string_equal(hex, BUF1000_SHA);
        }
    }
}

static void chaining_every_step_size(void **st)
{
    (void)st;
    uint8_t b[1000];
    fill(b, sizeof b);
    for (size_t step = 1; step <= 130; step++) expect_digest_steps(b, sizeof b, step, BUF1000_SHA);
}

/* every length 0..199 (all padding cases: 55, 56, 63, 64, 65, 119, 120, ...): the digests
 * concatenated and hashed, checked against python3 hashlib */
static void every_short_length(void **st)
{
    (void)st;
    uint8_t b[200];
    fill(b, sizeof b);
    for (size_t i = 0; i < sizeof inits / sizeof inits[0]; i++) {
        cli_sha256 all;
        char hex[65];
        cli_sha256_init(&all);
        for (size_t n = 0; n < sizeof b; n++) {
            cli_sha256 s;
            uint8_t d[CLI_SHA256_DIGEST];
            (void)inits[i](&s);
            cli_sha256_update(&s, b, n);
            cli_sha256_final(&s, d);
            cli_sha256_update(&all, d, sizeof d);
        }
        cli_sha256_final_hex(&all, hex);
        assert_string_equal(hex, "615d67a99b8c846e1f0582dfe127019e93c33a66e89ced6a4f81f932c82ece87");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fips_empty),
        cmocka_unit_test(fips_abc),
        cmocka_unit_test(fips_448_bits),
        cmocka_unit_test(fips_896_bits),
        cmocka_unit_test(fips_million_a),
        cmocka_unit_test(chaining_every_split),
        cmocka_unit_test(chaining_every_step_size),
        cmocka_unit_test(every_short_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
