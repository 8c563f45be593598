/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log_images.c - the real images of ../shared/images that need the log or a parent
 * (CATALOGUE.md sections 2.3, 2.6, 2.8):
 * - both dirty images read with the catalogue's post-replay SHA-256 read-only (replay in
 *   memory, file bytes unchanged) and after vhdx_replay_file (qemu-img check then clean,
 *   when qemu-img is installed);
 * - the Hyper-V differencing image over an all-zero parent of the right size, given as an
 *   explicit parent path with VHDX_OPEN_IGNORE_LINKAGE (the parent's DataWriteGuid cannot
 *   match), reads with the catalogue's reference hash fc5c91bf...; without the flag the
 *   open fails with R105, without the parent with VHDX_E_PARENT_NOT_FOUND.
 * Exits 77 when ../shared/images or OpenSSL is absent.
 * ctest-labels: images openssl slow libuuid
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vhdx.h"

#ifdef VHDX_HAVE_OPENSSL
#include <openssl/evp.h>

static char workdir[256];

static const char *images_dir(void)
{
    static char dir[1024];
    const char *env = getenv("VHDX_SHARED_DIR");
    snprintf(dir, sizeof dir, "%s/images", env && env[0] ? env : VHDX_SHARED_DIR);
    return dir;
}

/* decompress images/<name> (gz or bz2) into workdir/<out> */
static void unpack(const char *name, const char *out, char *path, size_t pathlen)
{
    char cmd[4096];
    const char *tool = strstr(name, ".bz2") ? "bzip2 -dc" : "gzip -dc";
    snprintf(path, pathlen, "%s/%s", workdir, out);
    snprintf(cmd, sizeof cmd, "%s '%s/%s' > '%s'", tool, images_dir(), name, path);
    assert_int_equal(system(cmd), 0);
}

static void file_sha256(const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
    static uint8_t buf[1 << 20];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(c, buf, n);
    fclose(f);
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", md[i]);
}

/* SHA-256 of the whole virtual disk; zero runs (vhdx_block_status) are not read */
static void virtual_sha256(vhdx_image *img, char hex[65])
{
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    assert_non_null(c);
    assert_int_equal(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
    static uint8_t buf[4 << 20];
    static const uint8_t zeros[4 << 20];
    uint64_t off = 0;
    while (off < info.virtual_size) {
        uint64_t want = info.virtual_size - off < sizeof buf ? info.virtual_size - off : sizeof buf;
        uint64_t run = 0;
        int st = 0;
        assert_int_equal(vhdx_block_status(img, off, want, &run, &st, NULL), VHDX_OK);
        assert_true(run > 0 && run <= want);
        if (st == VHDX_BLOCK_ZERO) {
            EVP_DigestUpdate(c, zeros, (size_t)run);
        } else {
            assert_int_equal(vhdx_read(img, off, buf, (size_t)run, NULL), VHDX_OK);
            EVP_DigestUpdate(c, buf, (size_t)run);
        }
        off += run;
    }
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_DigestFinal_ex(c, md, &mdlen);
    EVP_MD_CTX_free(c);
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", md[i]);
}

static void dirty_image(const char *name, const char *file_sha, const char *want,
                        uint64_t entries)
{
    char path[512], before[65], after[65], vh[65];
    unpack(name, "dirty.vhdx", path, sizeof path);
    file_sha256(path, before);
    assert_string_equal(before, file_sha);

    /* read-only: replayed in memory, refused with NO_REPLAY */
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_info info;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_NO_REPLAY;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_open_file(&img, path, &o, &d), VHDX_E_LOG_REPLAY_REQUIRED);
    o.flags = 0;
    assert_int_equal(vhdx_open_file(&img, path, &o, &d), VHDX_OK);
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.log_dirty, 1);
    assert_int_equal(info.log_replayed, 1);
    assert_int_equal(info.log_entries_replayed, entries);
    virtual_sha256(img, vh);
    assert_string_equal(vh, want);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    file_sha256(path, after);
    assert_string_equal(after, before);

    /* in place */
    uint64_t replayed = 99;
    assert_int_equal(vhdx_replay_file(path, &replayed, &d), VHDX_OK);
    assert_int_equal(replayed, entries);
    o.flags = VHDX_OPEN_NO_REPLAY;
    assert_int_equal(vhdx_open_file(&img, path, &o, &d), VHDX_OK);
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.log_dirty, 0);
    virtual_sha256(img, vh);
    assert_string_equal(vh, want);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* a clean image is left untouched by another replay */
    file_sha256(path, before);
    assert_int_equal(vhdx_replay_file(path, &replayed, &d), VHDX_OK);
    assert_int_equal(replayed, 0);
    file_sha256(path, after);
    assert_string_equal(after, before);
    if (system("command -v qemu-img >/dev/null 2>&1") == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "qemu-img check -f vhdx '%s' >/dev/null 2>&1", path);
        assert_int_equal(system(cmd), 0);
    }
    unlink(path);
}

static void qemu_dirtylog(void **state)
{
    (void)state;
    dirty_image("qemu-iotests_iotest-dirtylog-10G-4M.vhdx.bz2",
                "511daba998dba208ffc57a7814194d5dd3afb7c314731b904ff1682e3fb4951a",
                "179cefe8b0587f123393eedf2aa7aa8d25798591178e6bc3950a09762f38f96f", 1);
}

static void windows_log_replay(void **state)
{
    (void)state;
    /* active sequence: the entries at 20480 and 28672 (tail 20480) */
    dirty_image("discutils-ltrdata_vhdx-log-replay.vhdx.gz",
                "d0805b6f7cdd3908239442900d73053a013079f839656d69bae00a44948983d6",
                "3ba3b309425b7ff5e8e0199edceed95226250f880c53b24e8eae93865f3fad5e", 2);
}

static void differencing_over_zero_parent(void **state)
{
    (void)state;
    char child[512], parent[512], vh[65];
    unpack("dissect-hypervisor_differencing.avhdx.gz", "child.avhdx", child, sizeof child);
    snprintf(parent, sizeof parent, "%s/zero-parent.vhdx", workdir);
    unlink(parent);
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DYNAMIC;
    p.virtual_size = 8 * (uint64_t)1024 * 1024 * 1024;
    p.block_size = 2 * 1024 * 1024;
    assert_int_equal(vhdx_create(parent, &p, NULL), VHDX_OK);

    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    vhdx_diag_clear(&d);
    /* the locator's paths are Windows paths that do not exist here */
    assert_int_equal(vhdx_open_file(&img, child, &o, &d), VHDX_E_PARENT_NOT_FOUND);
    o.parent_path = parent;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_open_file(&img, child, &o, &d), VHDX_E_PL_LINKAGE_MISMATCH); /* R105 */
    o.flags = VHDX_OPEN_IGNORE_LINKAGE;
    assert_int_equal(vhdx_open_file(&img, child, &o, &d), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.chain_depth, 2);
    assert_int_equal(info.bat.payload[7] /* PARTIALLY_PRESENT */, 32);
    virtual_sha256(img, vh);
    assert_string_equal(vh, "fc5c91bfd8f7ee388cf482dc7eb6cef64b39a7e1bd043516ee95887b839f2b78");
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* without a parent: opens, but parent data cannot be read */
    o.flags = VHDX_OPEN_NO_PARENT;
    o.parent_path = NULL;
    assert_int_equal(vhdx_open_file(&img, child, &o, &d), VHDX_OK);
    uint8_t buf[4096];
    assert_int_equal(vhdx_read(img, 0, buf, sizeof buf, NULL), VHDX_E_PARENT_NOT_FOUND);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    unlink(child);
    unlink(parent);
}

int main(void)
{
    struct stat st;
    if (stat(images_dir(), &st) != 0) {
        fprintf(stderr, "skipped: %s not found\n", images_dir());
        return 77;
    }
    snprintf(workdir, sizeof workdir, "%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm/vhdx-limg-XXXXXX" : "/tmp/vhdx-limg-XXXXXX");
    if (!mkdtemp(workdir)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qemu_dirtylog),
        cmocka_unit_test(windows_log_replay),
        cmocka_unit_test(differencing_over_zero_parent),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rmdir(workdir);
    return rc;
}
#else
int main(void)
{
    fprintf(stderr, "skipped: built without OpenSSL\n");
    return 77;
}
#endif
