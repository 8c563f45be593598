/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_differencing.c - differencing chains (MS-VHDX 2.6.2.6, 2.5.1.2): a child created
 * over a parent reads through it; partial-sector, partial-block, cross-block, whole-block
 * and cross-chunk writes set sector bitmap bits (PARTIALLY_PRESENT, SB block allocated)
 * or make a block FULLY_PRESENT; the parent file never changes; chains of depth 3 and
 * the depth limit; cycles; R105 linkage mismatch (and VHDX_OPEN_IGNORE_LINKAGE); R96
 * sector size mismatch; a missing parent (and VHDX_OPEN_NO_PARENT); resolution through
 * absolute_win32_path when relative_path fails; 4096-byte sectors.
 * ctest-labels: libuuid
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "image.h"

static char dir[256];
static uint64_t rng = 88172645463325252ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm/vhdx-diff-XXXXXX" : "/tmp/vhdx-diff-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static void rm_tree(const char *d)
{
    DIR *dd = opendir(d);
    struct dirent *e;
    char p[1024];
    while (dd && (e = readdir(dd)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", d, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) rm_tree(p);
        else unlink(p);
    }
    if (dd) closedir(dd);
    rmdir(d);
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(dir);
    return 0;
}

static const char *P(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void mk(const char *path, vhdx_disk_type type, uint64_t size, uint32_t bs, uint32_t lss,
               const char *parent)
{
    vhdx_create_params p;
    vhdx_diag d;
    vhdx_create_params_default(&p);
    p.type = type;
    p.virtual_size = size;
    p.block_size = bs;
    p.logical_sector_size = lss;
    p.parent_path = parent;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(path, &p, &d);
    if (rc != VHDX_OK) fail_msg("create %s: %s (%s)", path, vhdx_status_name(rc), d.detail);
}

static vhdx_image *op(const char *path, unsigned flags, const char *parent)
{
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_image *img = NULL;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    o.parent_path = parent;
    vhdx_diag_clear(&d);
    int rc = vhdx_open_file(&img, path, &o, &d);
    if (rc != VHDX_OK) fail_msg("open %s: %s (%s)", path, vhdx_status_name(rc), d.detail);
    return img;
}

static int op_rc(const char *path, unsigned flags, const char *parent, vhdx_diag *d)
{
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    o.parent_path = parent;
    vhdx_diag_clear(d);
    int rc = vhdx_open_file(&img, path, &o, d);
    if (rc == VHDX_OK) (void)vhdx_close(img);
    return rc;
}

/* writes random bytes at off into img and into ref (ref covers [base, base+len)) */
static void wr(vhdx_image *img, uint8_t *ref, uint64_t base, uint64_t off, size_t len)
{
    uint8_t *b = malloc(len);
    assert_non_null(b);
    for (size_t i = 0; i < len; i++) b[i] = (uint8_t)(rnd() | 1);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_write(img, off, b, len, &d);
    if (rc != VHDX_OK) fail_msg("write %llu+%zu: %s", (unsigned long long)off, len, vhdx_status_name(rc));
    memcpy(ref + (off - base), b, len);
    free(b);
}

static void cmp(vhdx_image *img, const uint8_t *ref, uint64_t off, size_t len)
{
    uint8_t *g = malloc(len);
    assert_non_null(g);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_read(img, off, g, len, &d);
    if (rc != VHDX_OK) fail_msg("read: %s", vhdx_status_name(rc));
    if (memcmp(g, ref, len) != 0) {
        size_t k = 0;
        while (g[k] == ref[k]) k++;
        fail_msg("differs at virtual %llu", (unsigned long long)(off + k));
    }
    free(g);
}

static void file_copy(const char *from, const char *to)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cp --sparse=always '%s' '%s'", from, to);
    assert_int_equal(system(cmd), 0);
}

static int files_equal(const char *a, const char *b)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static void check_clean(const char *path, const char *parent_hint)
{
    vhdx_io io;
    vhdx_check_opts co;
    vhdx_report *r = NULL;
    assert_int_equal(vhdx_io_file_open(&io, path, VHDX_IO_READ), VHDX_OK);
    vhdx_check_opts_default(&co);
    co.parent_path = parent_hint;
    assert_int_equal(vhdx_check(&io, path, &co, &r), VHDX_OK);
    for (size_t i = 0; i < r->count; i++)
        if (r->findings[i].severity == VHDX_SEV_ERROR)
            fprintf(stderr, "finding %s at %llu %s\n", vhdx_status_name(r->findings[i].code),
                    (unsigned long long)r->findings[i].offset, r->findings[i].detail);
    assert_int_equal(r->errors, 0);
    vhdx_report_free(r);
    vhdx_io_destroy(&io);
}

static uint64_t pb_state(vhdx_image *img, uint64_t b)
{
    uint64_t e;
    assert_int_equal(img_bat_get(img, fmt_bat_pb_index(b, img->geo.chunk_ratio), &e, NULL), VHDX_OK);
    return fmt_bat_state(e);
}

#define SZ (16 * MiB)

static void child_writes_read_through(void **state)
{
    (void)state;
    uint8_t *ref = calloc(1, SZ);
    assert_non_null(ref);
    mk(P("parent.vhdx"), VHDX_TYPE_DYNAMIC, SZ, (uint32_t)MiB, 512, NULL);
    vhdx_image *img = op(P("parent.vhdx"), VHDX_OPEN_RDWR, NULL);
    for (int i = 0; i < 12; i++) {
        uint64_t len = rnd() % (2 * MiB) + 1, off = rnd() % (SZ - len);
        wr(img, ref, 0, off, (size_t)len);
    }
    assert_int_equal(vhdx_close(img), VHDX_OK);
    file_copy(P("parent.vhdx"), P("parent.orig"));

    mk(P("child.avhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("parent.vhdx"));
    img = op(P("child.avhdx"), 0, NULL);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.type, VHDX_TYPE_DIFFERENCING);
    assert_int_equal(info.chain_depth, 2);
    assert_int_equal(info.block_size, 2 * MiB);   /* differencing default */
    assert_int_equal(info.virtual_size, SZ);
    cmp(img, ref, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);

    img = op(P("child.avhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, 0, 1000, 10);                    /* inside one sector */
    wr(img, ref, 0, 700, 100);                    /* same block again (PARTIALLY_PRESENT) */
    wr(img, ref, 0, 2 * MiB - 300, 700);          /* across blocks 0/1, partial sectors */
    wr(img, ref, 0, 4 * MiB, 2 * MiB);            /* whole block 2 */
    wr(img, ref, 0, 6 * MiB + 512, 4096);         /* sector aligned */
    cmp(img, ref, 0, SZ);
    assert_int_equal(pb_state(img, 0), VHDX_PB_PARTIALLY_PRESENT);
    assert_int_equal(pb_state(img, 1), VHDX_PB_PARTIALLY_PRESENT);
    assert_int_equal(pb_state(img, 2), VHDX_PB_FULLY_PRESENT);
    assert_int_equal(pb_state(img, 3), VHDX_PB_PARTIALLY_PRESENT);
    assert_int_equal(pb_state(img, 4), VHDX_PB_NOT_PRESENT);
    uint64_t sbe;
    assert_int_equal(img_bat_get(img, fmt_bat_sb_index(0, img->geo.chunk_ratio), &sbe, NULL), VHDX_OK);
    assert_int_equal(fmt_bat_state(sbe), VHDX_SB_PRESENT);
    for (int i = 0; i < 150; i++) {
        uint64_t len = rnd() % (3 * MiB) + 1, off = rnd() % (SZ - len);
        if (i % 3 == 0) len = rnd() % 2000 + 1;
        wr(img, ref, 0, off, (size_t)len);
        if (i % 50 == 49) cmp(img, ref, 0, SZ);
    }
    assert_int_equal(vhdx_close(img), VHDX_OK);
    img = op(P("child.avhdx"), 0, NULL);
    cmp(img, ref, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* the parent never changed */
    assert_true(files_equal(P("parent.vhdx"), P("parent.orig")));
    check_clean(P("child.avhdx"), NULL);
    free(ref);
}

static void cross_chunk_writes(void **state)
{
    (void)state;
    /* 2 MiB blocks, 512-byte sectors: CR 2048, chunk 4 GiB; window around 4 GiB */
    const uint64_t size = 4 * GiB + 8 * MiB, base = 4 * GiB - 4 * MiB, wl = 12 * MiB;
    uint8_t *ref = calloc(1, wl);
    assert_non_null(ref);
    mk(P("p.vhdx"), VHDX_TYPE_DYNAMIC, size, 2 * (uint32_t)MiB, 512, NULL);
    vhdx_image *img = op(P("p.vhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, base, base, (size_t)wl);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    mk(P("c.avhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("p.vhdx"));
    img = op(P("c.avhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, base, 4 * GiB - 700, 1400);       /* both sides of the chunk boundary */
    wr(img, ref, base, 4 * GiB + 3 * MiB + 1, 5);
    wr(img, ref, base, 4 * GiB - 2 * MiB - 512, 512);
    cmp(img, ref, base, (size_t)wl);
    const uint64_t cr = img->geo.chunk_ratio;
    assert_int_equal(cr, 2048);
    uint64_t e0, e1;
    assert_int_equal(img_bat_get(img, fmt_bat_sb_index(0, cr), &e0, NULL), VHDX_OK);
    assert_int_equal(img_bat_get(img, fmt_bat_sb_index(1, cr), &e1, NULL), VHDX_OK);
    assert_int_equal(fmt_bat_state(e0), VHDX_SB_PRESENT);
    assert_int_equal(fmt_bat_state(e1), VHDX_SB_PRESENT);
    assert_true(fmt_bat_offset(e0) != fmt_bat_offset(e1));
    assert_int_equal(pb_state(img, 2047), VHDX_PB_PARTIALLY_PRESENT);
    assert_int_equal(pb_state(img, 2048), VHDX_PB_PARTIALLY_PRESENT);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    img = op(P("c.avhdx"), 0, NULL);
    cmp(img, ref, base, (size_t)wl);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    check_clean(P("c.avhdx"), NULL);
    free(ref);
}

static void chain_of_three_and_depth_limit(void **state)
{
    (void)state;
    uint8_t *ref = calloc(1, SZ);
    assert_non_null(ref);
    mk(P("g.vhdx"), VHDX_TYPE_DYNAMIC, SZ, (uint32_t)MiB, 512, NULL);
    vhdx_image *img = op(P("g.vhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, 0, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    mk(P("p.avhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("g.vhdx"));
    img = op(P("p.avhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, 0, 3 * MiB + 3, 2 * MiB);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    mk(P("c.avhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("p.avhdx"));
    img = op(P("c.avhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, 0, 4 * MiB + 5, 1000);
    wr(img, ref, 0, 9 * MiB, 3 * MiB);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    img = op(P("c.avhdx"), 0, NULL);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.chain_depth, 3);
    cmp(img, ref, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    o.limits.max_chain_depth = 2;
    vhdx_diag_clear(&d);
    img = NULL;
    assert_int_equal(vhdx_open_file(&img, P("c.avhdx"), &o, &d), VHDX_E_LIMIT_CHAIN);
    assert_null(img);
    o.limits.max_chain_depth = 3;
    assert_int_equal(vhdx_open_file(&img, P("c.avhdx"), &o, &d), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    free(ref);
}

/* replace every UTF-16LE occurrence of from by to (same length) in the file */
static int patch_utf16(const char *path, const char *from, const char *to)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    static uint8_t buf[4 * 1024 * 1024];
    size_t n = fread(buf, 1, sizeof buf, f);
    size_t l = strlen(from), hits = 0;
    for (size_t i = 0; i + 2 * l <= n; i++) {
        size_t k = 0;
        while (k < l && buf[i + 2 * k] == (uint8_t)from[k] && buf[i + 2 * k + 1] == 0) k++;
        if (k == l) {
            for (k = 0; k < l; k++) buf[i + 2 * k] = (uint8_t)to[k];
            hits++;
        }
    }
    fseek(f, 0, SEEK_SET);
    fwrite(buf, 1, n, f);
    fclose(f);
    return (int)hits;
}

static void cycles_detected(void **state)
{
    (void)state;
    vhdx_diag d;
    mk(P("A.vhdx"), VHDX_TYPE_DYNAMIC, SZ, (uint32_t)MiB, 512, NULL);
    mk(P("B.vhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("A.vhdx"));
    mk(P("C.vhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("B.vhdx"));
    assert_int_equal(op_rc(P("C.vhdx"), 0, NULL, &d), VHDX_OK);
    /* explicit parent = the child itself */
    assert_int_equal(op_rc(P("B.vhdx"), VHDX_OPEN_IGNORE_LINKAGE, P("B.vhdx"), &d), VHDX_E_PARENT_CYCLE);
    /* B's locator now names C (no CRC covers the metadata region): C -> B -> C */
    assert_int_equal(patch_utf16(P("B.vhdx"), "A.vhdx", "C.vhdx"), 2);
    assert_int_equal(op_rc(P("C.vhdx"), 0, NULL, &d), VHDX_E_PARENT_CYCLE);
    assert_int_equal(op_rc(P("C.vhdx"), VHDX_OPEN_IGNORE_LINKAGE, NULL, &d), VHDX_E_PARENT_CYCLE);
    assert_int_equal(op_rc(P("B.vhdx"), 0, NULL, &d), VHDX_E_PARENT_CYCLE);
}

static void linkage_and_sector_size(void **state)
{
    (void)state;
    vhdx_diag d;
    mk(P("p.vhdx"), VHDX_TYPE_DYNAMIC, SZ, (uint32_t)MiB, 512, NULL);
    mk(P("c.avhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("p.vhdx"));
    assert_int_equal(op_rc(P("c.avhdx"), 0, NULL, &d), VHDX_OK);
    /* a write to the parent changes its DataWriteGuid (R13): the link breaks (R105) */
    vhdx_image *img = op(P("p.vhdx"), VHDX_OPEN_RDWR, NULL);
    uint8_t b[512] = { 7 };
    assert_int_equal(vhdx_write(img, 0, b, sizeof b, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_int_equal(op_rc(P("c.avhdx"), 0, NULL, &d), VHDX_E_PL_LINKAGE_MISMATCH);
    assert_int_equal(d.code, VHDX_E_PL_LINKAGE_MISMATCH);
    assert_int_equal(op_rc(P("c.avhdx"), VHDX_OPEN_IGNORE_LINKAGE, NULL, &d), VHDX_OK);
    /* a parent with 4096-byte sectors under the same name (R96) */
    unlink(P("p.vhdx"));
    mk(P("p.vhdx"), VHDX_TYPE_DYNAMIC, SZ, (uint32_t)MiB, 4096, NULL);
    assert_int_equal(op_rc(P("c.avhdx"), VHDX_OPEN_IGNORE_LINKAGE, NULL, &d), VHDX_E_PARENT_SECTOR_SIZE);
    /* no parent at all */
    unlink(P("p.vhdx"));
    assert_int_equal(op_rc(P("c.avhdx"), 0, NULL, &d), VHDX_E_PARENT_NOT_FOUND);
    assert_non_null(strstr(d.detail, "p.vhdx"));
    img = op(P("c.avhdx"), VHDX_OPEN_NO_PARENT, NULL);
    uint8_t r[512];
    assert_int_equal(vhdx_read(img, 0, r, sizeof r, NULL), VHDX_E_PARENT_NOT_FOUND);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* creating a child of a missing parent */
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.parent_path = P("p.vhdx");
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_create(P("c2.avhdx"), &p, &d), VHDX_E_PARENT_NOT_FOUND);
    assert_int_equal(access(P("c2.avhdx"), F_OK), -1);
}

static void locator_paths(void **state)
{
    (void)state;
    char sub[512], child[600], moved[600], text[1024];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0777), 0);
    snprintf(child, sizeof child, "%s/child.avhdx", sub);
    mk(P("base.vhdx"), VHDX_TYPE_DYNAMIC, SZ, (uint32_t)MiB, 4096, NULL);
    mk(child, VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("base.vhdx"));
    vhdx_image *img = op(child, 0, NULL);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.logical_sector_size, 4096);  /* inherited */
    fmt_locator pl;
    assert_int_equal(fmt_locator_decode(img->locator, img->locator_len, &pl), VHDX_OK);
    assert_int_equal(fmt_locator_get(&pl, img->locator, img->locator_len, "relative_path", text, sizeof text), VHDX_OK);
    assert_string_equal(text, "..\\base.vhdx");
    assert_int_equal(fmt_locator_get(&pl, img->locator, img->locator_len, "absolute_win32_path", text, sizeof text), VHDX_OK);
    assert_int_equal(strncmp(text, "\\\\?\\Z:\\", 7), 0);
    assert_non_null(strstr(text, "\\base.vhdx"));
    assert_int_equal(fmt_locator_get(&pl, img->locator, img->locator_len, "parent_linkage", text, sizeof text), VHDX_OK);
    assert_int_equal(strlen(text), 38);
    assert_int_equal(text[0], '{');
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* moved elsewhere: relative_path no longer resolves, absolute_win32_path does */
    snprintf(moved, sizeof moved, "%s/moved.avhdx", dir);
    file_copy(child, moved);
    img = op(moved, VHDX_OPEN_RDWR, NULL);
    uint8_t *ref = calloc(1, SZ);
    assert_non_null(ref);
    wr(img, ref, 0, 5000, 3);      /* partial 4096-byte sector */
    wr(img, ref, 0, MiB - 10, 8200);
    cmp(img, ref, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    img = op(moved, 0, NULL);
    cmp(img, ref, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    check_clean(moved, NULL);
    free(ref);
}

static void stale_bits_and_unmapped_blocks(void **state)
{
    (void)state;
    uint8_t *ref = calloc(1, SZ);
    assert_non_null(ref);
    mk(P("p.vhdx"), VHDX_TYPE_DYNAMIC, SZ, (uint32_t)MiB, 512, NULL);
    vhdx_image *img = op(P("p.vhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, 0, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    mk(P("c.avhdx"), VHDX_TYPE_DIFFERENCING, 0, 0, 0, P("p.vhdx"));
    img = op(P("c.avhdx"), VHDX_OPEN_RDWR, NULL);
    wr(img, ref, 0, 100, 10);                       /* allocates the SB block */
    uint64_t cr = img->geo.chunk_ratio, sbe;
    assert_int_equal(img_bat_get(img, fmt_bat_sb_index(0, cr), &sbe, NULL), VHDX_OK);
    uint64_t bat = img->bat_offset;
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* block 1 NOT_PRESENT with every bitmap bit set (left by a trim elsewhere);
     * block 2 UNMAPPED: both still read the parent */
    FILE *f = fopen(P("c.avhdx"), "r+b");
    assert_non_null(f);
    uint8_t ones[512], e[8];
    memset(ones, 0xFF, sizeof ones);
    assert_int_equal(fseek(f, (long)(fmt_bat_offset(sbe) + 1 * (MiB / cr)), SEEK_SET), 0);
    assert_int_equal(fwrite(ones, 1, sizeof ones, f), sizeof ones);
    vhdx_put64(e, VHDX_PB_UNMAPPED);
    assert_int_equal(fseek(f, (long)(bat + fmt_bat_pb_index(2, cr) * 8), SEEK_SET), 0);
    assert_int_equal(fwrite(e, 1, 8, f), 8);
    fclose(f);
    img = op(P("c.avhdx"), VHDX_OPEN_RDWR, NULL);
    cmp(img, ref, 0, SZ);
    wr(img, ref, 0, 2 * MiB + 1000, 700);
    wr(img, ref, 0, 4 * MiB + 4096, 4096);
    cmp(img, ref, 0, SZ);
    assert_int_equal(pb_state(img, 1), VHDX_PB_PARTIALLY_PRESENT);
    assert_int_equal(pb_state(img, 2), VHDX_PB_PARTIALLY_PRESENT);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    img = op(P("c.avhdx"), 0, NULL);
    cmp(img, ref, 0, SZ);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    check_clean(P("c.avhdx"), NULL);
    free(ref);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(child_writes_read_through, setup, teardown),
        cmocka_unit_test_setup_teardown(cross_chunk_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(chain_of_three_and_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(cycles_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(linkage_and_sector_size, setup, teardown),
        cmocka_unit_test_setup_teardown(locator_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(stale_bits_and_unmapped_blocks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
