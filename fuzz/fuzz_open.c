/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_open - a whole image through the memory I/O backend: open, info, check, and a
 * bounded number of reads across the virtual disk (fz_exercise_image has the oracles:
 * check and open agree, reads match an independent BAT reader, read-only never writes,
 * the range/read-only contracts hold); optionally a read-write open of a copy (log replay
 * in place, header update, a write, reopen), also with a simulated crash.
 *
 * Input (compact, so a mostly empty multi-MiB image is a few KiB):
 *   byte 0  flags: bit 0 leave checksums unfixed, bit 1 also read-write, bit 2 open with
 *           VHDX_OPEN_NO_REPLAY, bit 3 small limits (BAT paging, overlay, log), bit 4
 *           crash the read-write session after a few writes, bit 5 also by path (a
 *           file beside a parent image: io_file.c, parent chains; fz_exercise_file)
 *   byte 1  extra zero MiBs appended to the file
 *   2..3    seed of the read offsets
 *   then    segments { u32 LE file offset, u16 LE length, bytes } over a zero file
 *           (fz_image_from_segments); the file size is rounded up to 1 MiB.
 *
 * Sampling (issue 14: throughput; fz_sampled in fuzz_common.h). Two passes cost more
 * than they find per input and run for 1 input in FZ_SAMPLE_ONE_IN (4), decided by a
 * hash of the whole input (reproducible; each mutant is sampled afresh), independently
 * of each other:
 *   - the vhdx_check session (a second open of the same image) when the read-only open
 *     succeeded; when it failed, 1 input in FZ_SAMPLE_FAILED_ONE_IN (2) is checked
 *     (fz_exercise_image: FZ_EX_SKIP_CHECK, FZ_EX_SKIP_CHECK_FAILED);
 *   - the file mode of bit 5 (real files under TMPDIR: io_file.c, parent chains).
 * The replay driver (ordinary builds' replay tests, the coverage replay) and
 * FZ_ALL_PASSES=1 take both for every input, so every corpus input still reaches what it
 * reached. Every read of the read-only session is still compared with the reference
 * model, for every input.
 */
#include "fuzz_common.h"
#include "fz_mutate.h"

/* structure-aware mutation and crossover (fz_mutate.h) */
FZ_CUSTOM_MUTATOR(FZ_MUT_OPEN)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    unsigned extra = fz_u8(&in);
    uint64_t seed = fz_u16(&in);
    fz_file f;
    fz_ex_result r;
    fz_file_init(&f, FZ_IMAGE_MAX);
    fz_image_from_segments(&f, in.p, in.n, extra);
    if (!(flags & FZ_FLAG_NO_FIXUP)) fz_fix_image(&f);
    unsigned ex = 0;
    if (flags & 0x02) ex |= FZ_EX_RDWR;
    if (flags & 0x04) ex |= FZ_EX_NO_REPLAY;
    if (flags & 0x08) ex |= FZ_EX_SMALL_LIMITS;
    if (flags & 0x10) ex |= FZ_EX_CRASH;
    uint64_t h = fz_hash(data, size);
    ex |= fz_ex_check_sampling(h);
    fz_exercise_image(&f, ex, seed, &r);
    if ((flags & 0x20) && fz_sampled(h, FZ_SALT_OPEN_FILE_MODE, FZ_SAMPLE_ONE_IN))
        fz_exercise_file(&f, ex & (FZ_EX_RDWR | FZ_EX_SMALL_LIMITS), seed);
    fz_use_u64((uint64_t)r.open_rc + (uint64_t)r.verdict);
    fz_file_free(&f);
    return 0;
}
