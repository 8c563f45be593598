/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fz_exercise.h - the whole-image oracle (fuzz_open, fuzz_bat, fuzz_log, fuzz_roundtrip).
 *
 * fz_exercise_image opens f read-only through the memory backend (any write attempt is an
 * oracle failure), gets info, reads a bounded set of ranges (checked against the reference
 * BAT reader of fz_reference.h where it applies), probes the range/read-only contracts,
 * runs vhdx_check and compares its verdict with the open result. With FZ_EX_RDWR it also
 * opens a copy read-write (log replay in place, header update), writes, and reopens; with
 * FZ_EX_CRASH as well, that copy sits behind faultio and crashes at an input-chosen
 * operation, after which it must still open (replaying its log) or fail cleanly.
 */
#ifndef VHDX_FUZZ_EXERCISE_H
#define VHDX_FUZZ_EXERCISE_H

#include <stdint.h>

#include "fz_memfile.h"

#define FZ_EX_RDWR         0x1u
#define FZ_EX_NO_REPLAY    0x2u
#define FZ_EX_SMALL_LIMITS 0x4u
#define FZ_EX_CRASH        0x8u  /* with RDWR: write/size change seed % 16 + 1 fails */
/* no vhdx_check session when the read-only open succeeded / failed (the harness sampled
 * the input out: fz_sampled; it samples failing opens at a higher rate, as the
 * open/check agreement oracle matters most there) */
#define FZ_EX_SKIP_CHECK        0x10u
#define FZ_EX_SKIP_CHECK_FAILED 0x20u
/* FZ_EX_SKIP_CHECK and FZ_EX_SKIP_CHECK_FAILED for the input whose fz_hash is h, as
 * sampled (1 in FZ_SAMPLE_ONE_IN, 1 in FZ_SAMPLE_FAILED_ONE_IN); 0 when every pass runs */
unsigned fz_ex_check_sampling(uint64_t h);
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

/* Opens a (with open_flags_a) and b read-only and compares their virtual disks: sizes, then
 * the bytes of every run where either reports data (vhdx_block_status; runs both report
 * as zero are not read), 1 MiB at a time. *rc_x: the open status; *ok_x: opened and every
 * read succeeded (both 0 over FZ_COMPARE_MAX: not compared). Returns 1 when the disks differ
 * (sizes, or bytes both sides read). */
int fz_compare_disks(const fz_file *a, unsigned open_flags_a, const fz_file *b, unsigned open_flags_b,
                     int *rc_a, int *rc_b, int *ok_a, int *ok_b);

#endif
