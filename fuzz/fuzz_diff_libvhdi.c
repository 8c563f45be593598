/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_diff_libvhdi - differential harness: each input image (fuzz_open's format, so it
 * shares fuzz_open's corpus and structure-aware mutator) is opened by libvhdx (memory
 * backend, read-only) and by libvhdi (Debian libvhdi-dev, through a sparse temporary file).
 * Where both accept a clean image (no log to replay, no parent), the media sizes must be
 * equal and every allocated block (BAT state FULLY_PRESENT) must read the same bytes in
 * both, up to FZ_DIFF_MAX_BYTES per input.
 *
 * Known libvhdi (20210425) deviations are filtered by predicates named after the rule
 * libvhdi does not follow; any other disagreement aborts (a finding, to be checked against
 * the specification: our bug is fixed, theirs documented here as a new predicate):
 *   libvhdi_ignores_r10   no header checksum check: it may pick a header whose CRC-32C is
 *                         wrong (we do not), so images with such a header are skipped
 *   libvhdi_ignores_r58   no log replay: on a dirty log it returns stale data
 *   libvhdi_breaks_r67    fixed disks with more than 4 GiB of BAT coverage: its BAT
 *                         arithmetic for fixed images over 4 GiB is wrong
 * Built only where libvhdi-dev is present (CMake: VHDX_HAVE_LIBVHDI; make fuzz: when
 * /usr/include/libvhdi.h exists); never in the OSS-Fuzz build.
 *
 * Input: fuzz_open's (byte 0 flags: bit 0 leave checksums unfixed; byte 1 extra MiB; 2..3
 * unused here; then segments).
 */
#include <libvhdi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "fz_mutate.h"

FZ_CUSTOM_MUTATOR(FZ_MUT_OPEN)

#define FZ_DIFF_MAX_BYTES ((uint64_t)8 << 20)

static int header_slot_bad_crc(const fz_file *f, uint64_t at)
{
    uint8_t h[VHDX_HEADER_SIZE];
    fz_file_read(f, at, h, sizeof h);
    return vhdx_le32(h) == VHDX_SIG_HEAD && !fmt_header_is_valid(h, sizeof h);
}

/* [MS-VHDX 2.2.2] R10: libvhdi takes a "head" header without checking its CRC-32C. */
static int libvhdi_ignores_r10(const fz_file *f)
{
    return header_slot_bad_crc(f, VHDX_HEADER1_OFFSET) || header_slot_bad_crc(f, VHDX_HEADER2_OFFSET);
}

/* [MS-VHDX 2.3.3] R58: libvhdi never replays the log (stale data on a dirty log). */
static int libvhdi_ignores_r58(const vhdx_info *info)
{
    return info->log_dirty || info->log_replayed;
}

/* [MS-VHDX 2.5] R67: libvhdi's BAT arithmetic for fixed disks over 4 GiB. */
static int libvhdi_breaks_r67(const vhdx_info *info)
{
    return info->type == VHDX_TYPE_FIXED && info->virtual_size > ((uint64_t)4 << 30);
}

static libvhdi_file_t *vhdi_open(const char *path)
{
    libvhdi_file_t *vf = NULL;
    libvhdi_error_t *err = NULL;
    if (libvhdi_file_initialize(&vf, &err) != 1) {
        libvhdi_error_free(&err);
        return NULL;
    }
    if (libvhdi_file_open(vf, path, LIBVHDI_OPEN_READ, &err) != 1) {
        libvhdi_error_free(&err);
        libvhdi_file_free(&vf, NULL);
        return NULL;
    }
    return vf;
}

static void vhdi_close(libvhdi_file_t *vf)
{
    (void)libvhdi_file_close(vf, NULL);
    libvhdi_file_free(&vf, NULL);
}

/* Compares [off, off+len) as read by both; aborts on a difference. */
static void compare_range(vhdx_image *img, libvhdi_file_t *vf, uint64_t off, size_t len, uint8_t *a, uint8_t *b)
{
    int rc = fz_rc(vhdx_read(img, off, a, len, NULL), "vhdx_read");
    if (rc != VHDX_OK) return; /* e.g. a block beyond the end of the file: no reference */
    libvhdi_error_t *err = NULL;
    ssize_t got = libvhdi_file_read_buffer_at_offset(vf, b, len, (off64_t)off, &err);
    libvhdi_error_free(&err);
    if (got != (ssize_t)len) return; /* libvhdi refuses what we read: not a content difference */
    if (memcmp(a, b, len) != 0) {
        size_t at = 0;
        while (a[at] == b[at]) at++;
        FZ_FAIL("libvhdx and libvhdi read different bytes at virtual offset %llu (%02x != %02x)",
                (unsigned long long)(off + at), a[at], b[at]);
    }
}

static void differential(const fz_file *f, vhdx_image *img, const vhdx_info *info, const char *path)
{
    libvhdi_file_t *vf = vhdi_open(path);
    if (!vf) return;
    size64_t media = 0;
    if (libvhdi_file_get_media_size(vf, &media, NULL) == 1 && media != info->virtual_size)
        FZ_FAIL("media size: libvhdx %llu, libvhdi %llu", (unsigned long long)info->virtual_size,
                (unsigned long long)media);
    uint8_t *a = malloc(MiB), *b = malloc(MiB);
    uint64_t budget = FZ_DIFF_MAX_BYTES, vs = info->virtual_size, bat_off = 0;
    /* every allocated block: BAT state FULLY_PRESENT (or PARTIALLY_PRESENT, which a disk
     * without a parent does not have; compared all the same) */
    if (fz_reference_applies(info, &bat_off))
        for (uint64_t blk = 0; a && b && blk < info->payload_blocks && budget; blk++) {
            uint8_t e[8];
            fz_file_read(f, bat_off + fmt_bat_pb_index(blk, info->chunk_ratio) * 8, e, 8);
            unsigned st = fmt_bat_state(vhdx_le64(e));
            if (st != VHDX_PB_FULLY_PRESENT && st != VHDX_PB_PARTIALLY_PRESENT) continue;
            uint64_t start = blk * info->block_size, end = start + info->block_size;
            if (end > vs) end = vs;
            for (uint64_t p = start; p < end && budget; p += MiB) {
                size_t n = (size_t)(end - p < MiB ? end - p : MiB);
                if (n > budget) n = (size_t)budget;
                compare_range(img, vf, p, n, a, b);
                budget -= n;
            }
        }
    free(a);
    free(b);
    vhdi_close(vf);
    static int verbose = -1;
    if (verbose < 0) verbose = getenv("FZ_DIFF_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "fuzz_diff_libvhdi: media %llu, %llu bytes of allocated blocks compared\n",
                (unsigned long long)media, (unsigned long long)(FZ_DIFF_MAX_BYTES - budget));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    unsigned extra = fz_u8(&in);
    (void)fz_u16(&in);
    const char *dir = fz_tmpdir();
    if (!dir) return 0;
    fz_file f;
    fz_file_init(&f, FZ_IMAGE_MAX);
    fz_image_from_segments(&f, in.p, in.n, extra);
    if (!(flags & FZ_FLAG_NO_FIXUP)) fz_fix_image(&f);

    vhdx_io io;
    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_image *img = NULL;
    fz_file view = f;
    view.readonly = 1;
    fz_file_io(&io, &view);
    vhdx_open_opts_default(&o);
    o.guid_gen = fz_guid_gen(&gs, 7);
    o.flags |= VHDX_OPEN_NO_PARENT;
    if (fz_rc(vhdx_open(&img, &io, 0, &o, NULL), "vhdx_open") == VHDX_OK) {
        vhdx_info info;
        if (fz_rc(vhdx_get_info(img, &info), "get_info") != VHDX_OK) FZ_FAIL("get_info failed on an open image");
        if (!info.has_parent && !libvhdi_ignores_r58(&info) && !libvhdi_ignores_r10(&f) && !libvhdi_breaks_r67(&info)) {
            char path[600];
            snprintf(path, sizeof path, "%s/diff.vhdx", dir);
            if (fz_file_save(path, &f) == 0) differential(&f, img, &info, path);
            unlink(path);
        }
        (void)fz_rc(vhdx_close(img), "vhdx_close");
    }
    fz_file_free(&f);
    return 0;
}
