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
    fz_exercise_image(&f, ex, seed, &r);
    if (flags & 0x20) fz_exercise_file(&f, ex & (FZ_EX_RDWR | FZ_EX_SMALL_LIMITS), seed);
    fz_use_u64((uint64_t)r.open_rc + (uint64_t)r.verdict);
    fz_file_free(&f);
    return 0;
}
