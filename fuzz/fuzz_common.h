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
 */
#ifndef VHDX_FUZZ_COMMON_H
#define VHDX_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

#define FZ_FLAG_NO_FIXUP 0x01u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- input cursor: reads past the end yield zeros ---- */
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
struct fz_file;
/* Whole image: headers, region tables, and the log located by the header that is current
 * after the header fix-up. */
void fz_fix_image(struct fz_file *f);

/* ---- deterministic GUID generator (no libuuid) ---- */
typedef struct fz_guid_state {
    uint64_t s;
    vhdx_guid_gen gen;
} fz_guid_state;
const vhdx_guid_gen *fz_guid_gen(fz_guid_state *st, uint64_t seed);
uint64_t fz_rand(uint64_t *state); /* splitmix64 */

/* ---- memory I/O backend for the harnesses ----
 * The file is `size` bytes; only [0, len) is materialised, the rest reads as zeros, so a
 * compact input can stand for a mostly empty multi-MiB image. Writes materialise up to
 * their end (bounded by max_size). After `fail_after` further writes (when >= 0) every
 * write/flush/set_size fails with VHDX_E_IO: a simulated crash. */
typedef struct fz_file {
    uint8_t *data;
    size_t len, cap;
    uint64_t size, max_size;
    long fail_after;
    int readonly;             /* writes and set_size fail and are counted in `writes` */
    unsigned long writes, flushes;
} fz_file;
void fz_file_init(fz_file *f, uint64_t max_size);
/* Copies bytes at `off` (grows len and size as needed). 0 on success, -1 over max_size. */
int fz_file_put(fz_file *f, uint64_t off, const void *buf, size_t n);
void fz_file_set_size(fz_file *f, uint64_t size);
/* Materialises [0, end) (end <= size); 0 on success, -1 on allocation failure. */
int fz_file_ensure(fz_file *f, uint64_t end);
void fz_file_free(fz_file *f);
/* Fills io with callbacks over f (borrowed; io->destroy is NULL). */
void fz_file_io(vhdx_io *io, fz_file *f);
/* Byte at off as the library sees it (0 beyond len). */
uint8_t fz_file_byte(const fz_file *f, uint64_t off);
void fz_file_read(const fz_file *f, uint64_t off, uint8_t *buf, size_t n);

/* ---- compact image input (fuzz_open, seeds) ----
 * Segments { u32 LE file offset, u16 LE length, bytes } until the input ends; the file is
 * the segments over zeros, size rounded up to 1 MiB plus `extra_mib` MiB. Offsets are
 * clamped below FZ_IMAGE_MAX. */
#define FZ_IMAGE_MAX ((uint64_t)64 << 20)
void fz_image_from_segments(fz_file *f, const uint8_t *p, size_t n, unsigned extra_mib);
/* Encodes f[0..size) as segments (zero runs of >= 32 bytes dropped) into a malloc'ed
 * buffer after `prefix` (copied first); *out_len = bytes. NULL on allocation failure. */
uint8_t *fz_image_to_segments(const fz_file *f, const uint8_t *prefix, size_t prefix_len,
                              size_t *out_len);

/* Library-made template images (cached per process): a small image created through
 * vhdx_create_io with deterministic GUIDs. kind 0: dynamic 8 MiB, 1 MiB blocks, 512/4096;
 * kind 1: fixed 4 MiB, 1 MiB blocks, 4096/4096. Returns NULL if create fails (e.g. the
 * library is incomplete). */
const fz_file *fz_template(unsigned kind);

/* ---- whole-image oracle (fuzz_open, fuzz_bat, fuzz_log, fuzz_roundtrip) ----
 * Opens f read-only through the memory backend (any write attempt is an oracle failure),
 * gets info, reads a bounded set of ranges (checked against a reference BAT reader when
 * the log is clean and the disk has no parent: payload bytes come only from FULLY_PRESENT
 * blocks, everything else reads as zeros), probes the range/read-only contracts, runs
 * vhdx_check and compares its verdict with the open result. With FZ_EX_RDWR it also opens
 * a copy read-write (log replay in place, header update), writes, and reopens. */
#define FZ_EX_RDWR         0x1u
#define FZ_EX_NO_REPLAY    0x2u
#define FZ_EX_SMALL_LIMITS 0x4u
#define FZ_EX_CRASH        0x8u  /* with RDWR: the copy's writes fail after `seed % 16` */
typedef struct fz_ex_result {
    int open_rc;          /* read-only open */
    int check_rc;         /* vhdx_check status */
    int verdict;          /* report verdict or -1 */
    int log_replayed;     /* info.log_replayed of the read-only open */
    uint64_t virtual_size;
} fz_ex_result;
void fz_exercise_image(const fz_file *f, unsigned flags, uint64_t seed, fz_ex_result *res);
/* File mode: writes f to <tmp>/vhdx-fuzz-<pid>/child.vhdx beside parent.vhdx (the
 * fz_template(0) image, so a differencing child made against it resolves its parent by
 * relative_path and its linkage matches), then runs open-by-path, reads (parent chain,
 * sector bitmaps), vhdx_check through the file backend with parent resolution, and with
 * FZ_EX_RDWR a write + reopen. Covers io_file.c and image_parent.c. */
void fz_exercise_file(const fz_file *f, unsigned flags, uint64_t seed);
/* The directory used by fz_exercise_file (created on first use), or NULL. */
const char *fz_tmpdir(void);

/* Large scratch buffers, recycled across runs (fz_big_free, never free()). */
void *fz_big_alloc(size_t n);
void fz_big_free(void *p);
/* Reads the whole virtual disk of an image opened read-only from f into an fz_big_alloc
 * buffer (*len = virtual size, capped at 64 MiB); NULL when it does not open. */
uint8_t *fz_read_all(const fz_file *f, unsigned open_flags, uint64_t *len, int *rc_out);

#endif
