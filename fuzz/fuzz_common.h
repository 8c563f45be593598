/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_common.h - shared helpers of the libvhdx fuzz harnesses.
 *
 * The same harness sources build three ways (libFuzzer, AFL++ via libAFLDriver, and the
 * plain replay driver of ordinary builds), so nothing here depends on a fuzzing engine.
 *
 * Conventions shared by the harnesses:
 * - Byte 0 of most inputs carries flags; FZ_FLAG_NO_FIXUP leaves checksums as the input
 *   has them, so the mismatch paths of the library stay reachable. Otherwise the harness
 *   recomputes the CRC-32C of headers, region tables and log entries before the library
 *   sees the bytes (the library itself has no fuzzing-only code).
 * - Oracles abort(): a status of class INTERNAL or MISUSE from a call the harness made
 *   correctly is a library bug, as is any broken round trip.
 * - GUIDs come from a deterministic generator (fz_guid_gen), never from libuuid: MSan
 *   cannot see through the uninstrumented libuuid (TOOLCHAIN.md trap 3).
 *
 * One file per concern; harnesses include only this header:
 *   fz_input.h      the input cursor (how input bytes are consumed)
 *   fz_memfile.h    memory-backed image file, segment encoding, templates, buffer pool
 *   fz_reference.h  the independent reference BAT reader
 *   fz_exercise.h   the whole-image oracle (read-only, check, read-write, crash, file mode)
 *   fuzz_common.c   oracles, findings sink, checksum fix-ups, deterministic GUIDs (below)
 * Crash injection is conformance/support/faultio.h, shared with the conformance suite.
 */
#ifndef VHDX_FUZZ_COMMON_H
#define VHDX_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fmt.h"
#include "fz_input.h"
#include "fz_memfile.h"
#include "fz_reference.h"
#include "fz_exercise.h"

#define FZ_FLAG_NO_FIXUP 0x01u

/* Fuzz-side helpers (fuzz_common.c, fz_*.c) are not code under test: their functions sit
 * between FZ_NO_COVERAGE_BEGIN and FZ_NO_COVERAGE_END (after the file's includes), which
 * under clang turns off SanitizerCoverage (edge counters and comparison tracing of
 * -fsanitize=fuzzer); ASan, UBSan and MSan stay on. The mutator's and the memory file's
 * byte work then costs no trace calls, and libFuzzer keeps inputs for what they do in the
 * library, not in the harness. Accepted by clang 14 to 19; other compilers ignore it. */
#if defined(__clang__)
#define FZ_NO_COVERAGE_BEGIN \
    _Pragma("clang attribute push(__attribute__((no_sanitize(\"coverage\"))), apply_to = function)")
#define FZ_NO_COVERAGE_END _Pragma("clang attribute pop")
#else
#define FZ_NO_COVERAGE_BEGIN
#define FZ_NO_COVERAGE_END
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- oracles ---- */
#if defined(__GNUC__) || defined(__clang__)
#define FZ_NORETURN __attribute__((noreturn))
#define FZ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define FZ_NORETURN
#define FZ_PRINTF(a, b)
#endif

/* Prints "fuzz oracle: <message>" to stderr and aborts. */
FZ_NORETURN void fz_fail(const char *file, int line, const char *fmt, ...) FZ_PRINTF(3, 4);
#define FZ_FAIL(...) fz_fail(__FILE__, __LINE__, __VA_ARGS__)
#define FZ_ASSERT(cond) do { if (!(cond)) FZ_FAIL("assertion failed: %s", #cond); } while (0)

/* Aborts when rc is outside the status table or of class INTERNAL or MISUSE. Returns rc. */
int fz_rc(int rc, const char *what);
/* Same, but `allowed` (e.g. VHDX_E_CREATE_PARAM for fuzzed parameters) is accepted. */
int fz_rc_allow(int rc, int allowed, const char *what);

/* Keeps a value alive so the compiler cannot drop the computation (TOOLCHAIN.md trap 4). */
void fz_use(const void *p, size_t n);
void fz_use_u64(uint64_t v);

/* ---- findings sink: records, checks every code, never stops validation ---- */
typedef struct fz_sink {
    vhdx_sink sink;
    unsigned count, fatal;
    int first;                /* first code reported (VHDX_OK if none) */
    int first_fatal;          /* first code of class CORRUPT or worse */
} fz_sink;
void fz_sink_init(fz_sink *s);

/* ---- checksum fix-ups (no-ops on structures whose signature does not match) ---- */
void fz_fix_header(uint8_t *h);                  /* 4096 bytes */
void fz_fix_region_table(uint8_t *rt);           /* 65536 bytes */
/* Every 4 KiB-aligned "loge" entry in the ring log[0..len) whose EntryLength is a non-zero
 * multiple of 4 KiB within the ring gets its CRC recomputed (wrapping entries included).
 * With stamp_guid non-NULL, each entry's LogGuid is set to it first. */
void fz_fix_log(uint8_t *log, size_t len, const vhdx_guid *stamp_guid);
/* Whole image: headers, region tables, and the log located by the header that is current
 * after the header fix-up. */
void fz_fix_image(fz_file *f);

/* ---- deterministic GUID generator (no libuuid) ---- */
typedef struct fz_guid_state {
    uint64_t s;
    vhdx_guid_gen gen;
} fz_guid_state;
const vhdx_guid_gen *fz_guid_gen(fz_guid_state *st, uint64_t seed);
uint64_t fz_rand(uint64_t *state); /* splitmix64 */

/* ---- sampled passes (issue 14: throughput) ----
 * The expensive second passes of the whole-image harnesses (fuzz_open's file mode and
 * vhdx_check re-open, fuzz_log's vhdx_check re-open) run for 1 input in `one_in`,
 * decided by a hash of the input's bytes (fz_hash of the whole input: reproducible, and
 * every mutant is sampled afresh, so the corpus cannot drift toward inputs that always
 * take the expensive passes). fz_sampled returns 1 for the inputs that take the pass,
 * and always when every pass is requested: fz_all_passes non-zero (the replay driver
 * sets it, so the replay tests and the coverage replay run every pass of every corpus
 * input) or the environment variable FZ_ALL_PASSES set to anything but "0" (read once;
 * use it when minimizing a crash found in a sampled pass). `salt` decorrelates
 * independent samples of the same input. */
extern int fz_all_passes;
uint64_t fz_hash(const uint8_t *data, size_t size); /* FNV-1a 64 style, 8 bytes a step */
int fz_sampled(uint64_t key, uint64_t salt, unsigned one_in);
#define FZ_SAMPLE_ONE_IN 4u        /* passes over an image that opened */
#define FZ_SAMPLE_FAILED_ONE_IN 2u /* the check of an image that failed to open */
/* The salts of the sampled passes. Fixed values: they decide which corpus inputs take
 * which pass. */
enum {
    FZ_SALT_CHECK = 1,             /* vhdx_check of an image that opened (fz_exercise.h) */
    FZ_SALT_OPEN_FILE_MODE = 2,    /* fuzz_open: fz_exercise_file */
    FZ_SALT_CHECK_FAILED = 3,      /* vhdx_check of an image that failed to open */
    FZ_SALT_LOG_OPEN_FAILED = 4,   /* fuzz_log: in-place replay comparison, open failed */
    FZ_SALT_LOG_NOT_REPLAYED = 5,  /* fuzz_log: the same, nothing replayed */
};

#endif
