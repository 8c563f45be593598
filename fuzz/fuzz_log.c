/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_log - log region bytes plus a LogGuid, inside a real image: sequence search and
 * replay (MS-VHDX 2.3). The image is created by the library (fz_template) into memory;
 * the input replaces its log region and sets LogGuid in both headers.
 *
 * Input: byte 0 flags (bit 0: leave checksums unfixed; bit 1: stamp the header's LogGuid
 * into every entry; bit 2: small limits; bit 3: use the fixed-disk template; bits 4-6
 * not all zero: skip the replay comparison when nothing was replayed; all zero: do it,
 * for 1 input in 4: fz_sampled), 16 bytes LogGuid (all zero: a clean log), then the log
 * region (zero padded to LogLength).
 * Oracles: those of fz_exercise_image (read-only open replays in memory and never
 * writes); the read-only (overlay) replay and the in-place replay of a read-write open
 * give the same virtual disk; after an in-place replay the log is clean; with
 * VHDX_OPEN_NO_REPLAY a dirty log is VHDX_E_LOG_REPLAY_REQUIRED.
 *
 * Sampling (issue 14: throughput; fz_sampled in fuzz_common.h): the vhdx_check session of
 * fz_exercise_image (a second open and log scan of the same image) runs for 1 input in
 * FZ_SAMPLE_ONE_IN (4) among those whose read-only open succeeded, decided by a hash of
 * the whole input (reproducible); of those whose open failed, 1 in FZ_SAMPLE_FAILED_ONE_IN
 * (2) is checked. The in-place replay comparison (below) of an image whose read-only open
 * failed runs for 1 such input in FZ_SAMPLE_ONE_IN (4); where the read-only open succeeded
 * it runs after every replay, and for 1 in 4 of the inputs with flag bits 4-6 zero where
 * nothing was replayed. The replay driver and FZ_ALL_PASSES=1 run these passes for every
 * input.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "fz_mutate.h"

/* structure-aware mutation and crossover (fz_mutate.h) */
FZ_CUSTOM_MUTATOR(FZ_MUT_LOG)

FZ_NO_COVERAGE_BEGIN

/* The image an input is written into, one per template: a copy of the template with a
 * zeroed log region, made once per process and kept between inputs, the harness restoring
 * what an input changed (the two headers and the log region: log_restore), instead of a
 * fresh copy of the template's written pages and their clean-up for every input.
 * Read-only opens never write to it. */
static fz_file *log_image(unsigned kind, const fz_file *t, uint64_t log_off, uint32_t log_len)
{
    static fz_file img[2];
    static int ready[2];
    if (!ready[kind]) {
        fz_file_init(&img[kind], FZ_IMAGE_MAX);
        if (fz_file_copy(&img[kind], t) != 0 || fz_file_zero(&img[kind], log_off, log_len) != 0) {
            fz_file_free(&img[kind]);
            return NULL;
        }
        ready[kind] = 1;
    }
    return &img[kind];
}

/* f as log_image made it again: the template's headers, a zeroed log region (zeroing its
 * pages marks them clean: the next input reads them without a copy) */
static void log_restore(fz_file *f, const fz_file *t, uint64_t log_off, uint32_t log_len)
{
    if (fz_file_copy_range(f, VHDX_HEADER1_OFFSET, t, VHDX_HEADER1_OFFSET, VHDX_HEADER_SIZE) != 0 ||
        fz_file_copy_range(f, VHDX_HEADER2_OFFSET, t, VHDX_HEADER2_OFFSET, VHDX_HEADER_SIZE) != 0 ||
        fz_file_zero(f, log_off, log_len) != 0)
        FZ_FAIL("restoring the template image failed");
}

FZ_NO_COVERAGE_END

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    const fz_file *t = fz_template((flags & 0x08) ? 1 : 0);
    if (!t) return 0;
    vhdx_guid lg;
    size_t got;
    const uint8_t *gp = fz_take(&in, 16, &got);
    memset(lg.b, 0, 16);
    memcpy(lg.b, gp, got);

    const uint8_t *t1 = t->data + VHDX_HEADER1_OFFSET, *t2 = t->data + VHDX_HEADER2_OFFSET;
    const uint8_t *cur = vhdx_le64(t2 + HDR_OFF_SEQUENCE) > vhdx_le64(t1 + HDR_OFF_SEQUENCE) ? t2 : t1;
    uint64_t log_off = vhdx_le64(cur + HDR_OFF_LOG_OFFSET);
    uint32_t log_len = vhdx_le32(cur + HDR_OFF_LOG_LENGTH);
    if (log_len == 0 || !vhdx_range_ok(log_off, log_len, t->size)) return 0;
    fz_file *f = log_image((flags & 0x08) ? 1 : 0, t, log_off, log_len);
    if (!f) return 0;
    uint8_t *h1 = f->data + VHDX_HEADER1_OFFSET, *h2 = f->data + VHDX_HEADER2_OFFSET;
    vhdx_put_guid(h1 + HDR_OFF_LOG_GUID, &lg);
    vhdx_put_guid(h2 + HDR_OFF_LOG_GUID, &lg);
    const uint8_t *lp = fz_take(&in, log_len, &got);
    /* the log region is zero (log_restore): only the input's bytes are written */
    if (fz_file_put(f, log_off, lp, got) != 0) goto out;
    if (!(flags & FZ_FLAG_NO_FIXUP)) {
        fz_fix_header(f->data + VHDX_HEADER1_OFFSET);
        fz_fix_header(f->data + VHDX_HEADER2_OFFSET);
        fz_fix_log(f->data + log_off, log_len, (flags & 0x02) ? &lg : NULL);
    }

    fz_ex_result r;
    unsigned ex = (flags & 0x04) ? FZ_EX_SMALL_LIMITS : 0;
    uint64_t h = fz_hash(data, size);
    ex |= fz_ex_check_sampling(h);
    fz_exercise_image(f, ex, got, &r);

    if (r.open_rc == VHDX_OK && !vhdx_guid_is_zero(&lg)) {
        vhdx_io io;
        vhdx_open_opts o;
        fz_guid_state gs;
        vhdx_image *img = NULL;
        fz_file ro = *f;
        ro.readonly = 1;
        fz_file_io(&io, &ro);
        vhdx_open_opts_default(&o);
        o.guid_gen = fz_guid_gen(&gs, 3);
        o.flags |= VHDX_OPEN_NO_REPLAY;
        int rc = fz_rc(vhdx_open(&img, &io, 0, &o, NULL), "vhdx_open(no replay)");
        if (rc == VHDX_OK) {
            (void)vhdx_close(img);
            FZ_FAIL("dirty log opened with VHDX_OPEN_NO_REPLAY");
        }
        if (rc != VHDX_E_LOG_REPLAY_REQUIRED)
            FZ_FAIL("dirty log with NO_REPLAY gave %s", vhdx_status_name(rc));
    }

    /* in-memory replay vs in-place replay: two whole-disk comparisons (fz_compare_disks:
     * the runs where either has data), so only where the read-only open replayed
     * something, and for 1 in FZ_SAMPLE_ONE_IN of the inputs whose flag bits 4-6 are all
     * zero (samples decided by the input, so runs stay reproducible) */
    if (r.open_rc == VHDX_OK && r.log_replayed == 0 &&
        ((flags & 0x70) != 0 || !fz_sampled(h, FZ_SALT_LOG_NOT_REPLAYED, FZ_SAMPLE_ONE_IN)))
        goto out;
    /* an image whose read-only open failed: 1 input in FZ_SAMPLE_ONE_IN (fz_sampled) */
    if (r.open_rc != VHDX_OK && !fz_sampled(h, FZ_SALT_LOG_OPEN_FAILED, FZ_SAMPLE_ONE_IN)) goto out;
    fz_file w;
    fz_file_init(&w, FZ_IMAGE_MAX + 16 * MiB);
    if (fz_file_copy(&w, f) == 0) {
        vhdx_io io;
        vhdx_open_opts o;
        fz_guid_state gs;
        vhdx_image *img = NULL;
        fz_file_io(&io, &w);
        vhdx_open_opts_default(&o);
        o.guid_gen = fz_guid_gen(&gs, 4);
        o.flags |= VHDX_OPEN_RDWR;
        int rc_rw = fz_rc(vhdx_open(&img, &io, 0, &o, NULL), "vhdx_open(rw replay)");
        if (rc_rw == VHDX_OK) {
            vhdx_info info;
            if (fz_rc(vhdx_get_info(img, &info), "get_info") == VHDX_OK && !vhdx_guid_is_zero(&lg) &&
                info.log_replayed != 2)
                FZ_FAIL("read-write open of a dirty log: log_replayed = %d", info.log_replayed);
            (void)fz_rc(vhdx_close(img), "vhdx_close(rw replay)");
            int rc_ro, ok_ro, ok_rw;
            int differ = fz_compare_disks(f, 0, &w, VHDX_OPEN_NO_REPLAY, &rc_ro, &rc_rw, &ok_ro, &ok_rw);
            if (rc_rw == VHDX_E_LOG_REPLAY_REQUIRED) FZ_FAIL("log still dirty after an in-place replay");
            if (differ) FZ_FAIL("in-memory replay and in-place replay give different disks");
            if (ok_ro && !ok_rw)
                FZ_FAIL("replayed image reads fine in memory but badly in place (%s)", vhdx_status_name(rc_rw));
        }
    }
    fz_file_free(&w);
out:
    log_restore(f, t, log_off, log_len);
    return 0;
}
