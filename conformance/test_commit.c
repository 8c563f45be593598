/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_commit.c - vhdx_commit and vhdx_rebase: results, refusals, and crash consistency.
 *
 * The scene: a dynamic parent P (8 MiB, 1 MiB blocks) with data in some blocks, a
 * differencing child C over it with a FULLY_PRESENT block, PARTIALLY_PRESENT blocks (odd
 * sector runs), a ZERO block and a partial zero range; V is what C reads. Commit must make
 * P read V (and re-link C so C still opens and reads V); rebase must refuse a new parent N
 * that differs where C shows its parent, copy the differences with VHDX_REBASE_CONTENT (C
 * reads V over N) and re-link freely with VHDX_REBASE_UNSAFE.
 *
 * Crash tests (faultio: stopped, torn after half its 512-byte or 4 KiB units, or stopped
 * with every unflushed write lost) at every write and flush of: the commit's parent writes,
 * the commit's child re-link, and a rebase with content copy. After each crash: check finds
 * no error, read-only and read-write opens read the same, the parent reads old-or-new per
 * byte (commit), the child reads V through whichever parent its locator links (rebase).
 * ctest-labels: libuuid
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

#include "image.h"
#include "builder.h"
#include "faultio.h"

#define VS (8 * MiB)

typedef struct scene {
    char dir[200], p[256], n[256], c[256];
    uint8_t *pbytes, *cbytes;     /* file bytes of P and C */
    size_t plen, clen;
    uint8_t *pold, *view;         /* what P and C read */
} scene;

static scene S;

static void wr(vhdx_image *img, uint64_t off, size_t len, uint64_t seed)
{
    uint8_t *b = malloc(len);
    assert_non_null(b);
    vb_pattern(seed << 40, b, len); /* distinct bytes per seed */
    assert_int_equal(vhdx_write(img, off, b, len, NULL), VHDX_OK);
    free(b);
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void spill(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, len, f), len);
    fclose(f);
}

/* Whole virtual content of the image file at path (its parent from the locator, or pp). */
static void read_file_image(const char *path, const char *pp, unsigned flags, uint8_t *out)
{
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    o.parent_path = pp;
    vhdx_diag_clear(&d);
    if (vhdx_open_file(&img, path, &o, &d) != VHDX_OK) fail_msg("open %s: %s", path, vhdx_status_name(d.code));
    assert_int_equal(vhdx_read(img, 0, out, VS, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

static void make_parent(const char *path, uint64_t seed)
{
    vhdx_create_params p;
    vhdx_open_opts o;
    vhdx_image *img;
    unlink(path);
    vhdx_create_params_default(&p);
    p.virtual_size = VS;
    p.block_size = (uint32_t)MiB;
    assert_int_equal(vhdx_create(path, &p, NULL), VHDX_OK);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open_file(&img, path, &o, NULL), VHDX_OK);
    wr(img, 0, 3 * MiB + 1000, seed);         /* blocks 0-3 */
    wr(img, 5 * MiB + 4096, 8192, seed + 1);  /* block 5 */
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

/* The child's own data: FULLY (block 1), PARTIAL (blocks 2, 4, 6), ZERO (block 3), a zero
 * range inside block 5 (over the parent's data), nothing in blocks 0 and 7. */
static void child_writes(vhdx_image *c)
{
    wr(c, 1 * MiB, MiB, 11);
    wr(c, 2 * MiB + 512 * 3, 512 * 5, 12);
    wr(c, 2 * MiB + 700 * 512, 100 * 512 + 17, 13);
    assert_int_equal(vhdx_write_zeroes(c, 3 * MiB, MiB, NULL), VHDX_OK);
    wr(c, 4 * MiB + 100, 50, 14);
    assert_int_equal(vhdx_write_zeroes(c, 5 * MiB + 4096, 2048, NULL), VHDX_OK);
    wr(c, 6 * MiB + MiB / 2, MiB / 2, 15);
}

static void make_child(const char *path, const char *parent)
{
    vhdx_create_params p;
    vhdx_open_opts o;
    vhdx_image *img;
    unlink(path);
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.block_size = (uint32_t)MiB;
    p.parent_path = parent;
    assert_int_equal(vhdx_create(path, &p, NULL), VHDX_OK);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open_file(&img, path, &o, NULL), VHDX_OK);
    child_writes(img);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

/* Fresh P and C files; their bytes and contents in S. */
static void reset_scene(void)
{
    make_parent(S.p, 1);
    make_child(S.c, S.p);
    free(S.pbytes);
    free(S.cbytes);
    S.pbytes = slurp(S.p, &S.plen);
    S.cbytes = slurp(S.c, &S.clen);
    read_file_image(S.p, NULL, 0, S.pold);
    read_file_image(S.c, NULL, 0, S.view);
}

static int setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof S);
    /* mkdtemp: a folder named by the pid alone was refused when a run killed before its
     * teardown had left one behind and a later run got the same pid */
    snprintf(S.dir, sizeof S.dir, "%s/vhdx-commit-XXXXXX", access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    assert_non_null(mkdtemp(S.dir));
    snprintf(S.p, sizeof S.p, "%s/p.vhdx", S.dir);
    snprintf(S.n, sizeof S.n, "%s/n.vhdx", S.dir);
    snprintf(S.c, sizeof S.c, "%s/c.vhdx", S.dir);
    S.pold = malloc(VS);
    S.view = malloc(VS);
    assert_non_null(S.pold);
    assert_non_null(S.view);
    reset_scene();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(S.p);
    unlink(S.n);
    unlink(S.c);
    rmdir(S.dir);
    free(S.pbytes);
    free(S.cbytes);
    free(S.pold);
    free(S.view);
    return 0;
}

static void check_clean(vhdx_io *io, const char *pp, unsigned flags, const char *what, uint64_t k)
{
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    co.parent_path = pp;
    co.flags = flags;
    assert_int_equal(vhdx_check(io, NULL, &co, &rep), VHDX_OK);
    if (rep->errors) {
        for (size_t i = 0; i < rep->count; i++)
            fprintf(stderr, "%s k=%llu: %s at %llu\n", what, (unsigned long long)k,
                    vhdx_status_name(rep->findings[i].code), (unsigned long long)rep->findings[i].offset);
        fail_msg("%s: check found errors after crash k=%llu", what, (unsigned long long)k);
    }
    vhdx_report_free(rep);
}

/* ---- results ------------------------------------------------------------------------ */

static void commit_file_merges_and_relinks(void **state)
{
    (void)state;
    uint8_t *buf = malloc(VS);
    assert_non_null(buf);
    reset_scene();
    assert_memory_not_equal(S.pold, S.view, VS);
    uint64_t moved = 0;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_commit_file(S.c, NULL, &moved, &d), VHDX_OK);
    /* blocks 1, 3 whole; 5 + 100 + 50 rounded to sectors; 2048; half a block; 101 sectors */
    assert_int_equal(moved, 2 * MiB + 5 * 512 + 101 * 512 + 512 + 2048 + MiB / 2);
    read_file_image(S.p, NULL, 0, buf);
    assert_memory_equal(buf, S.view, VS);
    /* the child still opens (re-linked) and reads the same */
    read_file_image(S.c, NULL, 0, buf);
    assert_memory_equal(buf, S.view, VS);
    /* a second commit moves the same bytes and changes nothing */
    assert_int_equal(vhdx_commit_file(S.c, NULL, &moved, NULL), VHDX_OK);
    read_file_image(S.p, NULL, 0, buf);
    assert_memory_equal(buf, S.view, VS);
    /* --remove */
    vhdx_commit_opts co;
    vhdx_commit_opts_default(&co);
    co.flags = VHDX_COMMIT_REMOVE;
    assert_int_equal(vhdx_commit_file(S.c, &co, &moved, NULL), VHDX_OK);
    assert_int_equal(access(S.c, F_OK), -1);
    read_file_image(S.p, NULL, 0, buf);
    assert_memory_equal(buf, S.view, VS);
    free(buf);
}

static void commit_refusals(void **state)
{
    (void)state;
    vhdx_diag d;
    reset_scene();
    /* the parent changed after the child was made: R105 */
    vhdx_open_opts o;
    vhdx_image *img;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open_file(&img, S.p, &o, NULL), VHDX_OK);
    wr(img, 7 * MiB, 512, 99);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    uint8_t *before = slurp(S.p, &S.plen);
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_commit_file(S.c, NULL, NULL, &d), VHDX_E_PL_LINKAGE_MISMATCH);
    size_t n;
    uint8_t *after = slurp(S.p, &n);
    assert_int_equal(n, S.plen);
    assert_memory_equal(before, after, n);
    free(after);
    free(before);
    vhdx_commit_opts co;
    vhdx_commit_opts_default(&co);
    co.flags = VHDX_COMMIT_IGNORE_LINKAGE;
    assert_int_equal(vhdx_commit_file(S.c, &co, NULL, NULL), VHDX_OK);
    /* not a differencing image */
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_commit_file(S.p, NULL, NULL, &d), VHDX_E_MISUSE);
    /* a parent of another size */
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.virtual_size = VS * 2;
    unlink(S.n);
    assert_int_equal(vhdx_create(S.n, &p, NULL), VHDX_OK);
    co.flags = VHDX_COMMIT_IGNORE_LINKAGE;
    co.parent_path = S.n;
    assert_int_equal(vhdx_commit_file(S.c, &co, NULL, NULL), VHDX_E_UNSUPPORTED);
    unlink(S.n);
}

static void rebase_moved_parent(void **state)
{
    (void)state;
    uint8_t *buf = malloc(VS);
    assert_non_null(buf);
    reset_scene();
    /* a byte copy of P keeps its DataWriteGuid: the same parent, nothing compared */
    spill(S.n, S.pbytes, S.plen);
    unlink(S.p);
    uint64_t copied = 1;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_rebase_file(S.c, S.n, NULL, &copied, &d), VHDX_OK);
    assert_int_equal(copied, 0);
    read_file_image(S.c, NULL, 0, buf);
    assert_memory_equal(buf, S.view, VS);
    /* the locator: relative path and absolute path of N, linkage unchanged */
    vhdx_open_opts o;
    vhdx_image *img;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_NO_PARENT;
    assert_int_equal(vhdx_open_file(&img, S.c, &o, NULL), VHDX_OK);
    assert_string_equal(img->ploc.path[0], ".\\n.vhdx");
    assert_non_null(strstr(img->ploc.path[1], "\\n.vhdx"));
    assert_memory_equal(img->ploc.path[1], "\\\\?\\Z:\\", 7);
    assert_false(img->ploc.have_linkage2);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    unlink(S.n);
    free(buf);
}

/* N: P's content with one change where C shows P (block 0) and one where C covers it. */
static void make_other_parent(int differ)
{
    vhdx_open_opts o;
    vhdx_image *img;
    make_parent(S.n, 1);
    if (!differ) return;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open_file(&img, S.n, &o, NULL), VHDX_OK);
    wr(img, 1000, 3000, 50);          /* C shows this: differs */
    wr(img, MiB + 10, 20, 51);        /* under C's full block: irrelevant */
    wr(img, 7 * MiB + 512, 512, 52);  /* NOT_PRESENT in P */
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

static void rebase_content(void **state)
{
    (void)state;
    uint8_t *buf = malloc(VS);
    assert_non_null(buf);
    vhdx_diag d;
    uint64_t copied = 0;
    reset_scene();

    /* same content, other DataWriteGuid: accepted without copying */
    make_other_parent(0);
    assert_int_equal(vhdx_rebase_file(S.c, S.n, NULL, &copied, NULL), VHDX_OK);
    assert_int_equal(copied, 0);
    read_file_image(S.c, NULL, 0, buf);
    assert_memory_equal(buf, S.view, VS);

    /* different content: refused, the child unchanged but for the header update of its
     * read-write open (headers at 64 KiB and 128 KiB) */
    reset_scene();
    make_other_parent(1);
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_rebase_file(S.c, S.n, NULL, &copied, &d), VHDX_E_REBASE_CONTENT);
    assert_string_equal(d.detail, "first difference at virtual offset 512");
    size_t n;
    uint8_t *now = slurp(S.c, &n);
    assert_int_equal(n, S.clen);
    assert_memory_equal(now, S.cbytes, 64 * 1024);
    assert_memory_equal(now + 192 * 1024, S.cbytes + 192 * 1024, n - 192 * 1024);
    free(now);

    /* --content: copied (sectors 1-7 of block 0, one of block 7), reads the same over N */
    vhdx_rebase_opts ro;
    vhdx_rebase_opts_default(&ro);
    ro.flags = VHDX_REBASE_CONTENT;
    assert_int_equal(vhdx_rebase_file(S.c, S.n, &ro, &copied, NULL), VHDX_OK);
    assert_int_equal(copied, 7 * 512 + 512);
    unlink(S.p);
    read_file_image(S.c, NULL, 0, buf);
    assert_memory_equal(buf, S.view, VS);

    /* --unsafe: re-linked, reads N's bytes where it shows its parent */
    reset_scene();
    make_other_parent(1);
    ro.flags = VHDX_REBASE_UNSAFE;
    assert_int_equal(vhdx_rebase_file(S.c, S.n, &ro, &copied, NULL), VHDX_OK);
    assert_int_equal(copied, 0);
    read_file_image(S.c, NULL, 0, buf);
    assert_memory_not_equal(buf, S.view, VS);
    assert_memory_equal(buf + MiB, S.view + MiB, VS - MiB - MiB);

    /* refusals */
    ro.flags = VHDX_REBASE_UNSAFE | VHDX_REBASE_CONTENT;
    assert_int_equal(vhdx_rebase_file(S.c, S.n, &ro, NULL, NULL), VHDX_E_MISUSE);
    ro.flags = VHDX_REBASE_UNSAFE;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_rebase_file(S.c, S.c, &ro, NULL, &d), VHDX_E_LOCKED);
    assert_int_equal(vhdx_rebase_file(S.c, S.dir, &ro, NULL, NULL), VHDX_E_FILE_TYPE);
    unlink(S.n);
    free(buf);
}

static void rebase_cycle_and_size(void **state)
{
    (void)state;
    reset_scene();
    vhdx_open_opts o;
    vhdx_image *c, *n;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR | VHDX_OPEN_NO_PARENT;
    assert_int_equal(vhdx_open_file(&c, S.c, &o, NULL), VHDX_OK);
    vhdx_rebase_opts ro;
    vhdx_rebase_opts_default(&ro);
    ro.flags = VHDX_REBASE_UNSAFE;
    vhdx_diag_clear(&d);
    assert_int_equal(vhdx_rebase(c, c, S.c, &ro, NULL, &d), VHDX_E_PARENT_CYCLE);
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.virtual_size = VS + MiB;
    unlink(S.n);
    assert_int_equal(vhdx_create(S.n, &p, NULL), VHDX_OK);
    vhdx_open_opts_default(&o);
    assert_int_equal(vhdx_open_file(&n, S.n, &o, NULL), VHDX_OK);
    assert_int_equal(vhdx_rebase(c, n, S.n, &ro, NULL, NULL), VHDX_E_UNSUPPORTED);
    /* the old parent is needed to compare */
    ro.flags = 0;
    assert_int_equal(vhdx_close(n), VHDX_OK);
    make_other_parent(1);
    assert_int_equal(vhdx_open_file(&n, S.n, &o, NULL), VHDX_OK);
    assert_int_equal(vhdx_rebase(c, n, S.n, &ro, NULL, NULL), VHDX_E_PARENT_NOT_FOUND);
    assert_int_equal(vhdx_close(n), VHDX_OK);
    assert_int_equal(vhdx_close(c), VHDX_OK);
    unlink(S.n);
}

/* ---- crashes ------------------------------------------------------------------------ */

static unsigned long tried;

/* The run without a crash records every operation's length (tears need two units). */
static void record_lens(const faultio *f, uint64_t k, uint64_t **lens)
{
    if (k != 0) return;
    *lens = calloc(f->ops + 1, sizeof **lens);
    assert_non_null(*lens);
    for (uint64_t i = 1; i <= f->ops; i++) (*lens)[i] = faultio_op_len(f, i);
}

/* The image on io read whole through a read-only open (replay in memory) and a read-write
 * one (replay in place): both the same, into out. */
static void read_ro_rw(vhdx_io *io, const char *pp, uint8_t *out)
{
    static uint8_t rw[VS];
    vhdx_open_opts o;
    vhdx_image *img;
    vhdx_open_opts_default(&o);
    o.parent_path = pp;
    assert_int_equal(vhdx_open(&img, io, 0, &o, NULL), VHDX_OK);
    assert_int_equal(vhdx_read(img, 0, out, VS, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open(&img, io, 0, &o, NULL), VHDX_OK);
    assert_int_equal(vhdx_read(img, 0, rw, VS, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_memory_equal(out, rw, VS);
}

/* One commit of C into P, both in memory (pm, cm), with faultio f over P (crash_child 0:
 * the child is opened read-only and not written) or over C (crash_child 1: the child is
 * read-write and re-linked); crash at k (0: none). *newdw = P's DataWriteGuid after it. */
static int commit_run(int crash_child, uint64_t k, int mode, faultio *f, vhdx_io *pm, vhdx_io *cm,
                      vhdx_guid *newdw)
{
    vhdx_open_opts o;
    vhdx_image *par = NULL, *ch = NULL;
    assert_int_equal(vhdx_io_mem_open(pm, S.pbytes, S.plen, GiB), VHDX_OK);
    assert_int_equal(vhdx_io_mem_open(cm, S.cbytes, S.clen, GiB), VHDX_OK);
    faultio_init(f, crash_child ? cm : pm);
    faultio_arm(f, k, mode);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_NO_PARENT | (crash_child ? VHDX_OPEN_RDWR : 0u);
    int rc = vhdx_open(&ch, crash_child ? &f->io : cm, 0, &o, NULL);
    o.flags = VHDX_OPEN_RDWR;
    int rp = vhdx_open(&par, crash_child ? pm : &f->io, 0, &o, NULL);
    if (rc == VHDX_OK) rc = rp;
    if (rc == VHDX_OK) rc = vhdx_commit(ch, par, NULL, NULL, NULL);
    if (par) {
        *newdw = par->hdr[par->cur].data_write_guid;
        int rc2 = vhdx_close(par);
        if (rc == VHDX_OK) rc = rc2;
    }
    if (ch) {
        int rc2 = vhdx_close(ch);
        if (rc == VHDX_OK) rc = rc2;
    }
    assert_int_equal(rc != VHDX_OK, k != 0);
    return rc;
}

/* Commit with crashes in the parent's writes: the parent reads old-or-new per byte. */
static uint64_t commit_parent_once(uint64_t k, int mode, int lose, uint64_t **lens)
{
    vhdx_io pm, cm;
    faultio f;
    vhdx_guid dw;
    (void)commit_run(0, k, mode, &f, &pm, &cm, &dw);
    uint64_t ops = f.ops;
    record_lens(&f, k, lens);
    faultio_settle(&f, lose);
    faultio_free(&f);
    static uint8_t ro[VS];
    check_clean(&pm, NULL, 0, "commit parent", k);
    read_ro_rw(&pm, NULL, ro);
    if (k == 0) assert_memory_equal(ro, S.view, VS);
    for (size_t i = 0; i < VS; i++)
        if (ro[i] != S.pold[i] && ro[i] != S.view[i])
            fail_msg("commit k=%llu mode=%d lose=%d: parent byte %zu is neither old nor new",
                     (unsigned long long)k, mode, lose, i);
    check_clean(&pm, NULL, 0, "commit parent after replay", k);
    vhdx_io_destroy(&pm);
    vhdx_io_destroy(&cm);
    tried++;
    return ops;
}

static void crash_points(uint64_t (*once)(uint64_t, int, int, uint64_t **), const char *what)
{
    uint64_t *lens = NULL;
    tried = 0;
    uint64_t n = once(0, FAULTIO_STOP, 0, &lens);
    assert_true(n > 4);
    for (uint64_t k = 1; k <= n; k++) {
        once(k, FAULTIO_STOP, 0, NULL);
        if (lens[k] >= 2 * 512) once(k, FAULTIO_TEAR_512, 0, NULL);
        if (lens[k] >= 2 * 4096) once(k, FAULTIO_TEAR_4K, 0, NULL);
        once(k, FAULTIO_STOP, 1, NULL);
    }
    free(lens);
    printf("%s: %llu writes+flushes, %lu crash points tried, all passed\n", what,
           (unsigned long long)n, tried);
}

static void crash_commit_parent(void **state)
{
    (void)state;
    reset_scene();
    crash_points(commit_parent_once, "commit (parent writes)");
}

/* Commit with crashes in the child's re-link: the child links P (old DataWriteGuid) or the
 * committed P' (new one); either way it is clean and reads V over P' (file S.n). */
static uint64_t commit_child_once(uint64_t k, int mode, int lose, uint64_t **lens)
{
    vhdx_io pm, cm;
    faultio f;
    vhdx_guid newdw;
    memset(&newdw, 0, sizeof newdw);
    (void)commit_run(1, k, mode, &f, &pm, &cm, &newdw);
    uint64_t ops = f.ops;
    record_lens(&f, k, lens);
    if (k == 0) {
        size_t n;
        const uint8_t *d = vhdx_io_mem_data(&pm, &n);
        spill(S.n, d, n);
    }
    faultio_settle(&f, lose);
    faultio_free(&f);
    static uint8_t buf[VS];
    vhdx_open_opts o;
    vhdx_image *img, *p0;
    vhdx_io pio;
    check_clean(&cm, S.n, VHDX_OPEN_IGNORE_LINKAGE, "commit child", k);
    vhdx_open_opts_default(&o);
    assert_int_equal(vhdx_io_mem_open(&pio, S.pbytes, S.plen, GiB), VHDX_OK);
    assert_int_equal(vhdx_open(&p0, &pio, 0, &o, NULL), VHDX_OK);
    o.flags = VHDX_OPEN_IGNORE_LINKAGE;
    o.parent_path = S.n;
    assert_int_equal(vhdx_open(&img, &cm, 0, &o, NULL), VHDX_OK);
    assert_true(img->ploc.have_linkage);
    assert_true(vhdx_guid_equal(&img->ploc.linkage, &newdw) ||
                vhdx_guid_equal(&img->ploc.linkage, &p0->hdr[p0->cur].data_write_guid));
    if (k == 0) assert_true(vhdx_guid_equal(&img->ploc.linkage, &newdw));
    assert_int_equal(vhdx_read(img, 0, buf, VS, NULL), VHDX_OK);
    assert_memory_equal(buf, S.view, VS);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_int_equal(vhdx_close(p0), VHDX_OK);
    vhdx_io_destroy(&pio);
    vhdx_io_destroy(&pm);
    vhdx_io_destroy(&cm);
    tried++;
    return ops;
}

static void crash_commit_child(void **state)
{
    (void)state;
    reset_scene();
    crash_points(commit_child_once, "commit (child re-link)");
    unlink(S.n);
}

/* Rebase with content copy of a child in memory (old parent P, new parent N, files). */
static uint64_t rebase_once(uint64_t k, int mode, int lose, uint64_t **lens)
{
    vhdx_io cm;
    faultio f;
    vhdx_open_opts o;
    vhdx_image *ch = NULL, *np = NULL;
    assert_int_equal(vhdx_io_mem_open(&cm, S.cbytes, S.clen, GiB), VHDX_OK);
    faultio_init(&f, &cm);
    faultio_arm(&f, k, mode);
    vhdx_open_opts_default(&o);
    assert_int_equal(vhdx_open_file(&np, S.n, &o, NULL), VHDX_OK);
    o.flags = VHDX_OPEN_RDWR;
    o.parent_path = S.p;
    vhdx_rebase_opts ro;
    vhdx_rebase_opts_default(&ro);
    ro.flags = VHDX_REBASE_CONTENT;
    int rc = vhdx_open(&ch, &f.io, 0, &o, NULL);
    if (rc == VHDX_OK) rc = vhdx_rebase(ch, np, S.n, &ro, NULL, NULL);
    assert_int_equal(vhdx_close(np), VHDX_OK);
    if (ch) {
        int rc2 = vhdx_close(ch);
        if (rc == VHDX_OK) rc = rc2;
    }
    uint64_t ops = f.ops;
    assert_int_equal(rc != VHDX_OK, k != 0);
    record_lens(&f, k, lens);
    faultio_settle(&f, lose);
    faultio_free(&f);
    /* whichever parent the locator names (and links), the child reads V over it */
    static uint8_t ro_buf[VS];
    vhdx_image *img;
    check_clean(&cm, NULL, 0, "rebase child", k);
    read_ro_rw(&cm, NULL, ro_buf);
    assert_memory_equal(ro_buf, S.view, VS);
    if (k == 0) {
        vhdx_open_opts_default(&o);
        assert_int_equal(vhdx_open(&img, &cm, 0, &o, NULL), VHDX_OK);
        assert_non_null(strstr(img->ploc.path[1], "\\n.vhdx"));
        assert_int_equal(vhdx_close(img), VHDX_OK);
    }
    check_clean(&cm, NULL, 0, "rebase child after replay", k);
    vhdx_io_destroy(&cm);
    tried++;
    return ops;
}

static void crash_rebase_content(void **state)
{
    (void)state;
    reset_scene();
    make_other_parent(1);
    crash_points(rebase_once, "rebase --content (child writes)");
    unlink(S.n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(commit_file_merges_and_relinks),
        cmocka_unit_test(commit_refusals),
        cmocka_unit_test(rebase_moved_parent),
        cmocka_unit_test(rebase_content),
        cmocka_unit_test(rebase_cycle_and_size),
        cmocka_unit_test(crash_commit_parent),
        cmocka_unit_test(crash_commit_child),
        cmocka_unit_test(crash_rebase_content),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
