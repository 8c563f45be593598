/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sha256.h - SHA-256 (FIPS 180-4) for the CLI, so that `vhdx` needs no libcrypto.
 *
 * Used for the hashes of the conformance kit's manifest. Not constant-time and not meant for
 * secrets: it hashes public disk contents. A context is caller-owned; init, any number of
 * updates (of any lengths, including 0), then final, which leaves the context unusable until
 * the next init. On x86 CPUs with the SHA extensions the blocks go through them (the kit
 * hashes over 40 GiB of virtual disk with --big); elsewhere through the portable code.
 */
#ifndef VHDX_CLI_SHA256_H
#define VHDX_CLI_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CLI_SHA256_DIGEST 32

typedef struct cli_sha256 {
    void (*blocks)(uint32_t h[8], const uint8_t *p, size_t n);  /* n 64-byte blocks */
    uint32_t h[8];
    uint64_t total;      /* bytes hashed so far */
    uint8_t buf[64];     /* pending partial block */
    size_t nbuf;
} cli_sha256;

void cli_sha256_init(cli_sha256 *s);
/* The same with the portable block function whatever the CPU (tests compare the two).
 * Returns 1 when cli_sha256_init would have chosen another (hardware) one, else 0. */
int cli_sha256_init_portable(cli_sha256 *s);
/* Hashes len bytes of p (p may be NULL when len is 0). */
void cli_sha256_update(cli_sha256 *s, const void *p, size_t len);
void cli_sha256_final(cli_sha256 *s, uint8_t digest[CLI_SHA256_DIGEST]);
/* final, written as 64 lowercase hex digits and a NUL */
void cli_sha256_final_hex(cli_sha256 *s, char hex[2 * CLI_SHA256_DIGEST + 1]);

#endif
