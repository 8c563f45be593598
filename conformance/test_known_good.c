/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_known_good.c - every image of ../shared/images (manifest conformance/known-good.tsv):
 * decompressed to a sparse temp file, vhdx_check reports exactly the manifest's findings and
 * verdict, the image opens read-only (dirty logs replayed in memory), and the SHA-256 of the
 * whole virtual disk equals the catalogue's, and vhdx_extent_at's map is the file's BAT
 * exactly. Skips (77) without ../shared/images.
 *
 * ctest-labels: images openssl slow
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "builder.h"

#ifdef VHDX_HAVE_OPENSSL
#include <openssl/evp.h>
#endif

#define MAX_ROWS 64

typedef struct kg_row {
    char file[256], comp[16], sha[80], verdict[32], findings[512], parent[32], note[256];
} kg_row;

static kg_row rows[MAX_ROWS];
static size_t nrows;
static char tmpdir[256];

static char *field(char **p)
{
    char *s = *p, *t = strchr(s, '\t');
    if (t) { *t = '\0'; *p = t + 1; }
    else { char *nl = strchr(s, '\n'); if (nl) *nl = '\0'; *p = s + strlen(s); }
    return s;
}

static int load_manifest(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    char line[2048];
    while (fgets(line, sizeof line, f) && nrows < MAX_ROWS) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *p = line;
        kg_row *r = &rows[nrows++];
        snprintf(r->file, sizeof r->file, "%s", field(&p));
        snprintf(r->comp, sizeof r->comp, "%s", field(&p));
        snprintf(r->sha, sizeof r->sha, "%s", field(&p));
        snprintf(r->verdict, sizeof r->verdict, "%s", field(&p));
        snprintf(r->findings, sizeof r->findings, "%s", field(&p));
        snprintf(r->parent, sizeof r->parent, "%s", field(&p));
        snprintf(r->note, sizeof r->note, "%s", field(&p));
    }
    fclose(f);
    return 0;
}

/* decompress into a sparse file (all-zero MiB chunks become holes) */
static void decompress(const kg_row *r, const char *src, const char *dst)
{
    char cmd[2200];
    const char *tool = strcmp(r->comp, "gzip") == 0 ? "gzip -dc" : strcmp(r->comp, "bzip2") == 0 ? "bzip2 -dc" : "unzip -p";
    snprintf(cmd, sizeof cmd, "%s '%s'", tool, src);
    FILE *in = popen(cmd, "r");
    assert_non_null(in);
    int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    uint8_t *buf = malloc(MiB), *zero = calloc(1, MiB);
    assert_non_null(buf);
    assert_non_null(zero);
    uint64_t total = 0;
    for (;;) {
        size_t n = fread(buf, 1, MiB, in);
        if (n == 0) break;
        if (n == MiB && memcmp(buf, zero, n) == 0) {
            assert_true(lseek(fd, (off_t)n, SEEK_CUR) >= 0);
        } else {
            size_t done = 0;
            while (done < n) {
                ssize_t w = write(fd, buf + done, n - done);
                assert_true(w > 0);
                done += (size_t)w;
            }
        }
        total += n;
    }
    assert_int_equal(pclose(in), 0);
    assert_int_equal(ftruncate(fd, (off_t)total), 0);
    close(fd);
    free(buf);
    free(zero);
}

#ifdef VHDX_HAVE_OPENSSL
static void disk_sha256(vhdx_image *img, uint64_t size, char hex[65])
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
    uint8_t *buf = malloc(MiB), *zero = calloc(1, MiB);
    assert_non_null(buf);
    assert_non_null(zero);
    uint64_t off = 0;
    while (off < size) {
        uint64_t want = size - off < MiB ? size - off : MiB, run = 0;
        int st = -1;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        assert_int_equal(vhdx_block_status(img, off, size - off, &run, &st, &d), VHDX_OK);
        assert_true(run > 0);
        if (st == VHDX_BLOCK_ZERO) {
            /* a zero run: feed zeros without reading */
            for (uint64_t z = 0; z < run; z += MiB) {
                size_t n = (size_t)(run - z < MiB ? run - z : MiB);
                assert_int_equal(EVP_DigestUpdate(ctx, zero, n), 1);
            }
            off += run;
            continue;
        }
        if (run < want) want = run;
        assert_int_equal(vhdx_read(img, off, buf, (size_t)want, &d), VHDX_OK);
        assert_int_equal(EVP_DigestUpdate(ctx, buf, (size_t)want), 1);
        off += want;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    assert_int_equal(EVP_DigestFinal_ex(ctx, md, &mdlen), 1);
    assert_int_equal(mdlen, 32);
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    EVP_MD_CTX_free(ctx);
    free(buf);
    free(zero);
}
#endif

/* The BAT entry of payload block b and the sector bitmap bit of sector s, straight from
 * the file (the image's own BAT, not the library's) */
static uint64_t raw_entry(int fd, uint64_t bat_off, uint64_t index)
{
    uint8_t b[8];
    assert_int_equal(pread(fd, b, 8, (off_t)(bat_off + 8 * index)), 8);
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}

static int raw_bit(int fd, uint64_t bat_off, const vhdx_info *in, uint64_t b, uint64_t sector)
{
    uint64_t cr = in->chunk_ratio;
    uint64_t sbe = raw_entry(fd, bat_off, fmt_bat_sb_index(b / cr, cr));
    assert_int_equal(fmt_bat_state(sbe), VHDX_SB_PRESENT);
    uint64_t bits = fmt_bat_offset(sbe) + (b % cr) * (MiB / cr);
    uint8_t byte;
    assert_int_equal(pread(fd, &byte, 1, (off_t)(bits + sector / 8)), 1);
    return (byte >> (sector % 8)) & 1;
}

/* Every extent of vhdx_extent_at over the whole disk against the BAT read from the file:
 * extents tile the disk; each block's state, depth and host offset are the BAT's (a missing
 * or blank parent: depth 1, NOT_PRESENT); in PARTIALLY_PRESENT blocks, every sector of a
 * depth-0 extent has its bitmap bit set and every other sector has it clear. Images with a
 * dirty log are skipped (the file's BAT is not the replayed one). */
static void map_matches_bat(vhdx_image *img, const char *path)
{
    vhdx_info in;
    assert_int_equal(vhdx_get_info(img, &in), VHDX_OK);
    if (in.log_dirty) return;
    uint64_t bat_off = 0;
    for (unsigned i = 0; i < in.region_count; i++)
        if (memcmp(&in.regions[i].guid, &VHDX_GUID_BAT_REGION, sizeof(vhdx_guid)) == 0)
            bat_off = in.regions[i].file_offset;
    assert_true(bat_off != 0);
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    const uint64_t bs = in.block_size, lss = in.logical_sector_size;
    static const vhdx_extent_state of_state[8] = {
        VHDX_EXTENT_NOT_PRESENT, VHDX_EXTENT_UNDEFINED, VHDX_EXTENT_ZERO, VHDX_EXTENT_UNMAPPED,
        VHDX_EXTENT_NOT_PRESENT, VHDX_EXTENT_NOT_PRESENT, VHDX_EXTENT_DATA, VHDX_EXTENT_DATA
    };
    uint64_t off = 0;
    while (off < in.virtual_size) {
        vhdx_extent x;
        assert_int_equal(vhdx_extent_at(img, off, in.virtual_size - off, &x, NULL), VHDX_OK);
        assert_true(x.start == off && x.length > 0 && x.length <= in.virtual_size - off);
        for (uint64_t p = off; p < off + x.length; p = (p / bs + 1) * bs) {
            uint64_t b = p / bs, e = raw_entry(fd, bat_off, fmt_bat_pb_index(b, in.chunk_ratio));
            unsigned st = fmt_bat_state(e);
            uint64_t stop = (b + 1) * bs < off + x.length ? (b + 1) * bs : off + x.length;
            int own = st == VHDX_PB_FULLY_PRESENT || st == VHDX_PB_ZERO ||
                      (!in.has_parent && st != VHDX_PB_PARTIALLY_PRESENT);
            if (st == VHDX_PB_PARTIALLY_PRESENT) {
                for (uint64_t q = p; q < stop; q += lss)
                    assert_int_equal(raw_bit(fd, bat_off, &in, b, (q % bs) / lss), x.depth == 0);
                own = x.depth == 0;
            }
            if (own) {
                assert_int_equal(x.depth, 0);
                assert_int_equal(x.state, of_state[st]);
                if (x.state == VHDX_EXTENT_DATA)
                    assert_int_equal(x.offset + (p - off), fmt_bat_offset(e) + p % bs);
                else
                    assert_int_equal(x.zero, 1);
            } else {
                assert_int_equal(x.depth, 1);
                assert_int_equal(x.state, VHDX_EXTENT_NOT_PRESENT);
                assert_int_equal(x.zero, 1);
            }
        }
        off += x.length;
    }
    close(fd);
}

/* A blank dynamic parent of the child's geometry (CATALOGUE.md 2.3: "child over an
 * all-zero parent"); linkage is not enforced for it. */
static void make_zero_parent(const char *path, uint64_t vsize, uint32_t block_mb, uint32_t lss)
{
    vb_image im;
    vb_params p;
    vb_params_default(&p);
    p.type = VHDX_TYPE_DYNAMIC;
    p.virtual_size = vsize;
    p.block_size = block_mb * (uint32_t)MiB;
    p.lss = lss;
    assert_int_equal(vb_build(&im, &p), VHDX_OK);
    assert_int_equal(vb_save(&im, path, 0), VHDX_OK);
    vb_free(&im);
}

static void test_image(void **state)
{
    const kg_row *r = *state;
    char src[1024], dst[1024], par[1024];
    snprintf(src, sizeof src, "%s/images/%s", VHDX_SHARED_DIR, r->file);
    snprintf(dst, sizeof dst, "%s/image.vhdx", tmpdir);
    snprintf(par, sizeof par, "%s/parent.vhdx", tmpdir);
    decompress(r, src, dst);

    /* vhdx_check: exact findings and verdict */
    vhdx_io io;
    assert_int_equal(vhdx_io_file_open(&io, dst, VHDX_IO_READ), VHDX_OK);
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    if (strcmp(r->parent, "-") != 0) co.flags |= VHDX_OPEN_NO_PARENT;
    vhdx_report *rep = NULL;
    assert_int_equal(vhdx_check(&io, dst, &co, &rep), VHDX_OK);
    char got[512] = "";
    for (size_t i = 0; i < rep->count; i++) {
        if (got[0]) strncat(got, ",", sizeof got - strlen(got) - 1);
        strncat(got, vhdx_status_name(rep->findings[i].code), sizeof got - strlen(got) - 1);
    }
    if (!got[0]) snprintf(got, sizeof got, "-");
    if (strcmp(got, r->findings) != 0) print_error("%s: findings %s, expected %s\n", r->file, got, r->findings);
    assert_string_equal(got, r->findings);
    assert_int_equal(rep->errors, 0);
    assert_int_equal(rep->dropped, 0);
    assert_int_equal(rep->verdict, VHDX_VERDICT_CONFORMANT);
    assert_string_equal(r->verdict, "conformant");
    assert_int_equal(rep->opened, 1);
    assert_int_equal(rep->info_valid, 1);
    uint64_t vsize = rep->info->virtual_size;
    uint32_t lss = rep->info->logical_sector_size;
    vhdx_report_free(rep);
    vhdx_io_destroy(&io);

    /* open read-only and hash the whole virtual disk */
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    if (strncmp(r->parent, "zero:", 5) == 0) {
        make_zero_parent(par, vsize, (uint32_t)strtoul(r->parent + 5, NULL, 10), lss);
        o.parent_path = par;
        o.flags |= VHDX_OPEN_IGNORE_LINKAGE;
    }
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_open_file(&img, dst, &o, &d);
    if (rc != VHDX_OK) {
        char msg[512];
        vhdx_diag_format(&d, r->file, msg, sizeof msg);
        print_error("%s\n", msg);
    }
    assert_int_equal(rc, VHDX_OK);
#ifdef VHDX_HAVE_OPENSSL
    char hex[65];
    disk_sha256(img, vsize, hex);
    if (strcmp(hex, r->sha) != 0) print_error("%s: sha256 %s, expected %s\n", r->file, hex, r->sha);
    assert_string_equal(hex, r->sha);
#endif
    map_matches_bat(img, dst);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    unlink(dst);
    unlink(par);
}

int main(void)
{
    char images[1024], manifest[1024];
    snprintf(images, sizeof images, "%s/images", VHDX_SHARED_DIR);
    struct stat st;
    if (stat(images, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("SKIP: %s is absent (known-good images)\n", images);
        return 77;
    }
#ifndef VHDX_HAVE_OPENSSL
    printf("SKIP: built without OpenSSL libcrypto (SHA-256)\n");
    return 77;
#endif
    snprintf(manifest, sizeof manifest, "%s/conformance/known-good.tsv", VHDX_SOURCE_DIR);
    if (load_manifest(manifest) != 0 || nrows == 0) {
        printf("cannot read %s\n", manifest);
        return 1;
    }
    const char *t = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/vhdx-known-good-XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    struct CMUnitTest tests[MAX_ROWS];
    for (size_t i = 0; i < nrows; i++) {
        memset(&tests[i], 0, sizeof tests[i]);
        tests[i].name = rows[i].file;
        tests[i].test_func = test_image;
        tests[i].initial_state = &rows[i];
    }
    int rc = _cmocka_run_group_tests("known_good", tests, nrows, NULL, NULL);
    rmdir(tmpdir);
    return rc;
}
