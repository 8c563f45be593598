/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen-seeds.c - writes seed inputs for every harness from images the library creates
 * (fixed, dynamic, 4 KiB sectors, written blocks, logs left dirty by simulated crashes,
 * differencing) and from image files given on the command line (fuzz/gen-seeds.sh makes
 * qemu-img images at generation time when qemu-img is installed).
 *
 *   fuzz_gen_seeds OUTDIR [IMAGE...]
 *
 * Writes OUTDIR/<harness>/<name>; whole images become the compact segment format of
 * fuzz_open (zero runs dropped), so seeds stay small. Minimisation is gen-seeds.sh's job.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultio.h"
#include "fuzz_common.h"

static const char *outdir;
static unsigned n_written;

static void put_seed(const char *harness, const char *name, const uint8_t *p, size_t n, size_t keep)
{
    char path[4096];
    /* trailing zeros are implied by every harness (zero padding) */
    while (n > keep && p[n - 1] == 0) n--;
    snprintf(path, sizeof path, "%s/%s", outdir, harness);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/%s", outdir, harness, name);
    FILE *fp = fopen(path, "wb");
    if (!fp || fwrite(p, 1, n, fp) != n || fclose(fp) != 0) {
        fprintf(stderr, "gen-seeds: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    n_written++;
}

static void put_cat(const char *harness, const char *name, const uint8_t *pre, size_t npre,
                    const uint8_t *p, size_t n)
{
    uint8_t *b = malloc(npre + n + 1);
    if (!b) exit(1);
    memcpy(b, pre, npre);
    if (n) memcpy(b + npre, p, n);
    put_seed(harness, name, b, npre + n, npre);
    free(b);
}

static uint64_t region_of(const fz_file *f, const vhdx_guid *g, uint32_t *len)
{
    uint8_t rt[VHDX_RT_SIZE];
    fz_file_read(f, VHDX_RT1_OFFSET, rt, sizeof rt);
    uint32_t n = vhdx_le32(rt + RT_OFF_ENTRY_COUNT);
    for (uint32_t i = 0; i < n && i < VHDX_RT_MAX_ENTRIES; i++) {
        const uint8_t *e = rt + RT_HEADER_SIZE + (size_t)i * RT_ENTRY_SIZE;
        if (memcmp(e, g->b, 16) == 0) {
            *len = vhdx_le32(e + RTE_OFF_LENGTH);
            return vhdx_le64(e + RTE_OFF_FILE_OFFSET);
        }
    }
    *len = 0;
    return 0;
}

static const uint8_t *current_header(const fz_file *f)
{
    const uint8_t *h1 = f->data + VHDX_HEADER1_OFFSET, *h2 = f->data + VHDX_HEADER2_OFFSET;
    int v1 = fmt_header_is_valid(h1, VHDX_HEADER_SIZE), v2 = fmt_header_is_valid(h2, VHDX_HEADER_SIZE);
    if (v1 && v2) return vhdx_le64(h2 + HDR_OFF_SEQUENCE) > vhdx_le64(h1 + HDR_OFF_SEQUENCE) ? h2 : h1;
    return v2 ? h2 : h1;
}

/* All per-structure seeds of one image. */
static void seeds_from_image_ex(const char *name, fz_file *f, const uint8_t *open_flags, size_t nflags);
static void seeds_from_image(const char *name, fz_file *f)
{
    static const uint8_t open_flags[] = { 0x00, 0x02, 0x0a };
    seeds_from_image_ex(name, f, open_flags, sizeof open_flags);
}

static void seeds_from_image_ex(const char *name, fz_file *f, const uint8_t *open_flags, size_t nflags)
{
    char nm[256];
    if (fz_file_ensure(f, f->size < VHDX_HEADER_SECTION ? f->size : VHDX_HEADER_SECTION) != 0) return;
    if (f->len < VHDX_HEADER_SECTION) return;
    uint8_t zero = 0;

    /* whole image, compact: read-only and read-write variants */
    for (size_t i = 0; i < nflags; i++) {
        uint8_t pre[4] = { open_flags[i], 0, (uint8_t)(17 * i + 1), 0 };
        size_t n;
        uint8_t *seg = fz_image_to_segments(f, pre, sizeof pre, &n);
        if (!seg) exit(1);
        if (n > 4 * MiB) { free(seg); continue; } /* keep the corpus small */
        snprintf(nm, sizeof nm, "%s-%02x", name, open_flags[i]);
        put_seed("fuzz_open", nm, seg, n, sizeof pre);
        free(seg);
    }
    put_cat("fuzz_header", name, &zero, 1, f->data + VHDX_HEADER1_OFFSET, 2 * VHDX_HEADER_SIZE);
    put_cat("fuzz_region_table", name, &zero, 1, f->data + VHDX_RT1_OFFSET, VHDX_RT_SIZE);

    uint32_t md_len, bat_len;
    uint64_t md_off = region_of(f, &VHDX_GUID_METADATA_REGION, &md_len);
    uint64_t bat_off = region_of(f, &VHDX_GUID_BAT_REGION, &bat_len);
    if (md_off && md_len && fz_file_ensure(f, md_off + MiB) == 0) {
        put_cat("fuzz_metadata", name, &zero, 1, f->data + md_off, MiB);
    }
    if (bat_off && bat_len && fz_file_ensure(f, bat_off + bat_len) == 0) {
        /* geometry from the image through the library's own decoding */
        vhdx_io io;
        vhdx_image *img = NULL;
        vhdx_open_opts o;
        fz_guid_state gs;
        fz_file ro = *f;
        ro.readonly = 1;
        fz_file_io(&io, &ro);
        vhdx_open_opts_default(&o);
        o.guid_gen = fz_guid_gen(&gs, 9);
        o.flags |= VHDX_OPEN_NO_PARENT;
        if (vhdx_open(&img, &io, 0, &o, NULL) == VHDX_OK) {
            vhdx_info info;
            if (vhdx_get_info(img, &info) == VHDX_OK) {
                unsigned shift = 0;
                while ((MiB << shift) < info.block_size && shift < 8) shift++;
                uint8_t pre[10];
                pre[0] = (uint8_t)(0x02 | (info.logical_sector_size == 4096 ? 0x08 : 0) |
                                   (info.has_parent ? 0x04 : 0) | (shift << 4));
                uint64_t units = info.virtual_size / info.logical_sector_size - 1;
                vhdx_put64(pre + 1, units);
                pre[9] = 0;
                size_t nb = (size_t)(info.bat_entries * 8 < bat_len ? info.bat_entries * 8 : bat_len);
                put_cat("fuzz_bat", name, pre, sizeof pre, f->data + bat_off, nb);
            }
            (void)vhdx_close(img);
        }
    }
    const uint8_t *h = current_header(f);
    vhdx_guid lg;
    vhdx_get_guid(&lg, h + HDR_OFF_LOG_GUID);
    uint64_t lo = vhdx_le64(h + HDR_OFF_LOG_OFFSET);
    uint32_t ll = vhdx_le32(h + HDR_OFF_LOG_LENGTH);
    if (!vhdx_guid_is_zero(&lg) && ll && ll <= 8 * MiB && fz_file_ensure(f, lo + ll) == 0) {
        uint8_t pre[17];
        pre[0] = 0;
        memcpy(pre + 1, lg.b, 16);
        put_cat("fuzz_log", name, pre, sizeof pre, f->data + lo, ll);
    }
}

static int make_image(fz_file *f, vhdx_disk_type type, uint64_t vs, uint32_t bs, uint32_t lss, uint32_t pss,
                      uint64_t seed)
{
    vhdx_create_params p;
    fz_guid_state gs;
    vhdx_create_params_default(&p);
    p.type = type;
    p.virtual_size = vs;
    p.block_size = bs;
    p.logical_sector_size = lss;
    p.physical_sector_size = pss;
    p.log_size = (uint32_t)MiB;
    p.creator = "libvhdx gen-seeds";
    p.guid_gen = fz_guid_gen(&gs, seed);
    int rc = fz_file_create(f, 256 * MiB, &p);
    if (rc != VHDX_OK) fprintf(stderr, "gen-seeds: create failed: %s\n", vhdx_status_name(rc));
    return rc;
}

/* Open read-write, write a few patterns; with crash_after >= 0 the file's writes fail
 * after that many, leaving whatever a crash would leave (typically a dirty log). */
static void write_some(fz_file *f, long crash_after, uint64_t seed)
{
    vhdx_io io;
    faultio fio;
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    fz_guid_state gs;
    fz_file_io(&io, f);
    faultio_init(&fio, &io);
    faultio_numbering(&fio, FAULTIO_NUMBER_WRITES_RESIZES);
    vhdx_open_opts_default(&o);
    o.guid_gen = fz_guid_gen(&gs, seed);
    o.flags |= VHDX_OPEN_RDWR;
    if (vhdx_open(&img, &fio.io, 0, &o, NULL) != VHDX_OK) {
        faultio_free(&fio);
        return;
    }
    vhdx_info info;
    if (vhdx_get_info(img, &info) == VHDX_OK) {
        uint8_t buf[8192];
        uint64_t vs = info.virtual_size;
        if (crash_after >= 0) faultio_arm(&fio, fio.ops + (uint64_t)crash_after + 1, FAULTIO_STOP);
        for (unsigned i = 0; i < 4; i++) {
            memset(buf, 0x31 + (int)i, sizeof buf);
            uint64_t off = (vs / 4) * i / 4096 * 4096 + 4096 * i;
            if (off + sizeof buf > vs) off = vs - sizeof buf;
            int wrc = vhdx_write(img, off, buf, sizeof buf, NULL);
            fz_use_u64((uint64_t)wrc);
        }
    }
    (void)vhdx_close(img);
    faultio_settle(&fio, 0);
    faultio_free(&fio);
}

static int load_file(fz_file *f, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fz_file_init(f, FZ_IMAGE_MAX);
    uint8_t buf[65536];
    uint64_t off = 0;
    size_t r;
    while ((r = fread(buf, 1, sizeof buf, fp)) > 0) {
        if (off + r > FZ_IMAGE_MAX) break;
        (void)fz_file_put(f, off, buf, r);
        off += r;
    }
    fclose(fp);
    return 0;
}

static void small_seeds(void)
{
    static const char *const guids[] = {
        "2dc27766-f623-4200-9d64-115e9bfd4a08", "{8B7CA206-4790-4B9A-B8FE-575F050F886E}",
        "caa16737-fa36-4d43-b3b6-33f0aa44e76b", "00000000-0000-0000-0000-000000000000",
        "{b04aefb7-d19e-4a81-b789-25b8e9445913", "2FA54224-CD1B-4876-B211-5DBED83BF4BG",
    };
    char nm[32];
    for (size_t i = 0; i < sizeof guids / sizeof guids[0]; i++) {
        snprintf(nm, sizeof nm, "guid-%zu", i);
        put_seed("fuzz_guid", nm, (const uint8_t *)guids[i], strlen(guids[i]), strlen(guids[i]));
    }
    static const uint8_t crc1[] = { 2, 5, 0, 7, 0, '1', '2', '3', '4', '5', '6', '7', '8', '9' };
    put_seed("fuzz_crc32c", "check-123456789", crc1, sizeof crc1, sizeof crc1);
    uint8_t z[4096 + 9];
    memset(z, 0, sizeof z);
    z[0] = 4; z[1] = 1; z[3] = 0x10; z[5] = 0xff; z[7] = 0x0f; z[8] = 0;
    memset(z + 9, 0x5a, 4096);
    put_seed("fuzz_crc32c", "ramp-4096", z, sizeof z, sizeof z);

    /* round trip scripts */
    static const uint8_t rt0[] = { 0x01, 0x00, 0, 0x00, 0x10, 0, 0, 0xff, 0x0f, 0x11, 4, 5, 6, 0, 0, 0, 0, 0xff, 0xff };
    static const uint8_t rt1[] = { 0x0b, 0x03, 1, 0x00, 0x02, 0x01, 0, 0xff, 0xff, 0x00, 5,
                                   2, 0x33, 0x00, 0x40, 0, 0x00, 0x20, 0x7a, 7, 3, 0x00, 0x00, 0x08, 0, 0xff, 0x3f, 0x44,
                                   6, 0x00, 0x00, 0x08, 0, 0xff, 0x3f };
    static const uint8_t rt2[] = { 0x20, 0x00, 3, 0x00, 0x02, 0, 0, 0xff, 0x0f, 0x99, 7, 9, 0x00, 0x10, 0, 0, 0xff, 0x1f, 0x5c };
    static const uint8_t rt3[] = { 0x67, 0x10, 0, 0x00, 0x00, 0x50, 0, 0xff, 0xff, 0x01, 1, 0x00, 0x00, 0x10, 0, 0xff, 0xff, 0,
                                   7, 20, 0x00, 0x00, 0x30, 0, 0xff, 0x7f, 0x88, 5, 6, 0, 0, 0, 0, 0xff, 0xff };
    put_seed("fuzz_roundtrip", "dyn-write-flush-reopen", rt0, sizeof rt0, sizeof rt0);
    put_seed("fuzz_roundtrip", "dyn4k-crash", rt1, sizeof rt1, sizeof rt1);
    put_seed("fuzz_roundtrip", "fixed-crash", rt2, sizeof rt2, sizeof rt2);
    put_seed("fuzz_roundtrip", "dyn2m-zero-writes", rt3, sizeof rt3, sizeof rt3);
    /* convert (0xE0-0xE7): dynamic 3 MiB written at 4 KiB and 2 MiB, converted into a
     * dynamic 2 MiB-block image, raw, a fixed 4096-byte-sector image (sync), then after a
     * flush into a dynamic one; a fixed image written, converted to dynamic 4096 */
    static const uint8_t rt4[] = { 0x41, 0x03, 0, 0x00, 0x10, 0, 0, 0xff, 0x0f, 0x11, 1, 0x00, 0x00, 0x20, 0, 0xff, 0xff, 0x22,
                                   0xE0, 0x05, 0xE1, 0x12, 0xE2, 0x2a, 4, 0xE3, 0x01 };
    static const uint8_t rt5[] = { 0x20, 0x01, 2, 0x00, 0x00, 0x10, 0, 0xff, 0x7f, 0x33, 0xE7, 0x03, 6, 0x00, 0x00, 0x10, 0, 0xff, 0x0f };
    put_seed("fuzz_roundtrip", "convert-dyn", rt4, sizeof rt4, sizeof rt4);
    put_seed("fuzz_roundtrip", "convert-fixed", rt5, sizeof rt5, sizeof rt5);
    /* resize, discard, compact (opcode bytes 0xC0-0xD7) */
    static const uint8_t rt8[] = { 0x41, 0x01, 0, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0x11,
                                   1, 0x00, 0x00, 0x20, 0x00, 0xff, 0xff, 0x22,
                                   0xC0, 0x00, 0x00, 0x80, 0x00, 0x00,
                                   0xC1, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x18, 0x00,
                                   0xC2, 0x01, 0xC3, 0x00, 0x00, 0x10, 0x00, 0x01,
                                   0xC6, 0x00, 0x00, 0x10, 0x00, 0x03, 0xC5, 0x00,
                                   4, 5, 6, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff };
    static const uint8_t rt9[] = { 0x20, 0x00, 0, 0x00, 0x00, 0x08, 0x00, 0xff, 0xff, 0x33,
                                   0xC0, 0x00, 0x00, 0x40, 0x00, 0x00,
                                   0xC1, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
                                   0xC2, 0x01, 0xC2, 0x00,
                                   0xC0, 0x00, 0x00, 0x10, 0x00, 0x03, 5, 6, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff };
    put_seed("fuzz_roundtrip", "dyn-resize-discard-compact", rt8, sizeof rt8, sizeof rt8);
    put_seed("fuzz_roundtrip", "fixed-resize-discard-compact", rt9, sizeof rt9, sizeof rt9);
}

/* Library-made images of several kinds, written to, and crashed at several points. */
static void seeds_from_library_images(void)
{
    struct { const char *name; vhdx_disk_type t; uint64_t vs; uint32_t bs, lss, pss; } kinds[] = {
        { "lib-dyn-8m-1m-512", VHDX_TYPE_DYNAMIC, 8 * MiB, (uint32_t)MiB, 512, 4096 },
        { "lib-dyn-16m-2m-4k", VHDX_TYPE_DYNAMIC, 16 * MiB, (uint32_t)(2 * MiB), 4096, 4096 },
        { "lib-fixed-4m-1m-4k", VHDX_TYPE_FIXED, 4 * MiB, (uint32_t)MiB, 4096, 512 },
        { "lib-dyn-3g-32m-512", VHDX_TYPE_DYNAMIC, 3 * GiB + 512, (uint32_t)(32 * MiB), 512, 4096 },
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        fz_file f;
        char nm[128];
        if (make_image(&f, kinds[k].t, kinds[k].vs, kinds[k].bs, kinds[k].lss, kinds[k].pss, 1000 + k) != VHDX_OK)
            continue;
        seeds_from_image(kinds[k].name, &f);
        if (kinds[k].vs <= 16 * MiB) {
            fz_file w;
            fz_file_init(&w, 256 * MiB);
            (void)fz_file_copy(&w, &f);
            w.size = f.size;
            write_some(&w, -1, 77 + k);
            snprintf(nm, sizeof nm, "%s-written", kinds[k].name);
            seeds_from_image(nm, &w);
            fz_file_free(&w);
            /* crashes at several points: dirty logs, half-applied updates */
            static const long crash_points[] = { 3, 5, 6, 8, 11 };
            for (size_t c = 0; c < sizeof crash_points / sizeof crash_points[0]; c++) {
                fz_file_init(&w, 256 * MiB);
                (void)fz_file_copy(&w, &f);
                w.size = f.size;
                write_some(&w, crash_points[c], 90 + c);
                snprintf(nm, sizeof nm, "%s-crash%ld", kinds[k].name, crash_points[c]);
                seeds_from_image(nm, &w);
                fz_file_free(&w);
            }
        }
        fz_file_free(&f);
    }
}

/* A differencing child of the fuzz_open file-mode parent (fz_template(0)), with data. */
static void seed_differencing_child(void)
{
    const fz_file *parent = fz_template(0);
    const char *dir = fz_tmpdir();
    char pp[600], cp[600];
    if (parent && dir) {
        snprintf(pp, sizeof pp, "%s/parent.vhdx", dir);
        snprintf(cp, sizeof cp, "%s/child.vhdx", dir);
        if (fz_file_save(pp, parent) == 0) {
            vhdx_create_params p;
            fz_guid_state gs;
            vhdx_create_params_default(&p);
            p.type = VHDX_TYPE_DIFFERENCING;
            p.parent_path = pp;
            p.block_size = (uint32_t)MiB;
            p.guid_gen = fz_guid_gen(&gs, 4242);
            unlink(cp);
            int rc = vhdx_create(cp, &p, NULL);
            if (rc == VHDX_OK) {
                vhdx_image *img = NULL;
                vhdx_open_opts o;
                vhdx_open_opts_default(&o);
                o.flags |= VHDX_OPEN_RDWR;
                o.guid_gen = fz_guid_gen(&gs, 4343);
                if (vhdx_open_file(&img, cp, &o, NULL) == VHDX_OK) {
                    uint8_t b[1536];
                    memset(b, 0x6d, sizeof b);
                    fz_use_u64((uint64_t)vhdx_write(img, 512, b, sizeof b, NULL));
                    fz_use_u64((uint64_t)vhdx_write(img, 3 * MiB + 4096, b, 1024, NULL));
                    (void)vhdx_close(img);
                }
                fz_file c;
                if (load_file(&c, cp) == 0) {
                    static const uint8_t diff_flags[] = { 0x20, 0x22 };
                    seeds_from_image_ex("lib-diff-on-template", &c, diff_flags, sizeof diff_flags);
                    fz_file_free(&c);
                }
            } else {
                fprintf(stderr, "gen-seeds: differencing create failed: %s\n", vhdx_status_name(rc));
            }
            unlink(cp);
        }
        unlink(pp);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s OUTDIR [IMAGE...]\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    mkdir(outdir, 0777);
    small_seeds();
    seeds_from_library_images();
    seed_differencing_child();
    /* image files from the command line (qemu-img images) */
    for (int i = 2; i < argc; i++) {
        fz_file f;
        const char *base = strrchr(argv[i], '/');
        base = base ? base + 1 : argv[i];
        if (load_file(&f, argv[i]) != 0) {
            fprintf(stderr, "gen-seeds: cannot read %s\n", argv[i]);
            continue;
        }
        seeds_from_image(base, &f);
        fz_file_free(&f);
    }
    printf("gen-seeds: %u seeds written to %s\n", n_written, outdir);
    return 0;
}
