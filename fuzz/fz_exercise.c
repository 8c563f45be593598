/* SPDX-License-Identifier: Apache-2.0 */
/* fz_exercise.c - the whole-image oracle and its file mode (see fz_exercise.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faultio.h"
#include "fuzz_common.h"

FZ_NO_COVERAGE_BEGIN

#define FZ_READ_MAX (64u * 1024u)
#define FZ_COMPARE_MAX (64 * MiB) /* fz_compare_disks: larger disks are not compared */

static void fz_opts(vhdx_open_opts *o, fz_guid_state *gs, unsigned exflags, uint64_t seed)
{
    vhdx_open_opts_default(o);
    o->guid_gen = fz_guid_gen(gs, seed ^ 0xA5A5u);
    if (exflags & FZ_EX_NO_REPLAY) o->flags |= VHDX_OPEN_NO_REPLAY;
    o->flags |= VHDX_OPEN_NO_PARENT;
    if (exflags & FZ_EX_SMALL_LIMITS) {
        o->limits.max_bat_memory = 64 * KiB; /* one BAT page: forces paging */
        o->limits.max_overlay_memory = MiB;
        o->limits.max_log_length = MiB;
        o->limits.max_metadata_item = 64 * KiB;
    }
}

/* A read-only view of f whose writes fail (and are counted as an oracle failure), and
 * the I/O callbacks over it (an image opened on io borrows it). */
typedef struct fz_ro {
    fz_file view;
    vhdx_io io;
} fz_ro;
static void fz_ro_init(fz_ro *r, const fz_file *f)
{
    r->view = *f;
    r->view.readonly = 1;
    r->view.max_size = f->len; /* never grows */
    r->view.writes = 0;
    fz_file_io(&r->io, &r->view);
}

static void fz_check_report(const vhdx_report *r)
{
    FZ_ASSERT(r->verdict == VHDX_VERDICT_CONFORMANT || r->verdict == VHDX_VERDICT_NONCONFORMANT ||
              r->verdict == VHDX_VERDICT_UNREADABLE);
    size_t e = 0, w = 0, in = 0;
    for (size_t i = 0; i < r->count; i++) {
        const vhdx_finding *fd = &r->findings[i];
        if (fd->code <= VHDX_OK || fd->code >= (int)VHDX_STATUS_COUNT)
            FZ_FAIL("check finding %zu has invalid code %d", i, fd->code);
        vhdx_class c = vhdx_status_class(fd->code);
        if (c == VHDX_CLASS_INTERNAL || c == VHDX_CLASS_MISUSE)
            FZ_FAIL("check finding %s of class %s", vhdx_status_name(fd->code), vhdx_class_name(c));
        if (strnlen(fd->detail, sizeof fd->detail) == sizeof fd->detail)
            FZ_FAIL("finding detail not NUL-terminated");
        if (fd->severity == VHDX_SEV_ERROR) e++;
        else if (fd->severity == VHDX_SEV_WARNING) w++;
        else in++;
    }
    if (r->dropped == 0 && (e != r->errors || w != r->warnings || in != r->infos))
        FZ_FAIL("report counts %zu/%zu/%zu, findings say %zu/%zu/%zu", r->errors, r->warnings,
                r->infos, e, w, in);
    if (r->verdict == VHDX_VERDICT_CONFORMANT && r->errors)
        FZ_FAIL("verdict conformant with %zu error findings", r->errors);
    if (r->verdict == VHDX_VERDICT_NONCONFORMANT && r->errors == 0)
        FZ_FAIL("verdict nonconformant without error findings");
}

/* ---- read-only session ---- */

/* What the read-only session reads with: the image, the bytes behind it, and the
 * reference reader's view when it applies. */
typedef struct fz_ro_reader {
    vhdx_image *img;
    const fz_file *f;
    const vhdx_info *info;
    int reference;
    uint64_t bat_off;
    uint8_t *buf, *ref;
} fz_ro_reader;

/* Opens ro's view read-only into *img; on failure checks the diagnostics. 1 when open. */
static int ro_open(fz_ro *ro, unsigned flags, uint64_t seed, vhdx_image **img, fz_ex_result *res)
{
    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_diag d;
    fz_opts(&o, &gs, flags, seed);
    vhdx_diag_clear(&d);
    res->open_rc = fz_rc(vhdx_open(img, &ro->io, 0, &o, &d), "vhdx_open(ro)");
    if (ro->view.writes) FZ_FAIL("read-only open wrote to the file");
    if (res->open_rc == VHDX_OK) {
        FZ_ASSERT(*img != NULL);
        return 1;
    }
    char msg[512];
    vhdx_diag_format(&d, "fuzz.vhdx", msg, sizeof msg);
    if (strnlen(msg, sizeof msg) == sizeof msg) FZ_FAIL("diag_format output not terminated");
    if (d.code != res->open_rc)
        FZ_FAIL("open failed with %s but diag says %s", vhdx_status_name(res->open_rc),
                vhdx_status_name(d.code));
    if (*img) FZ_FAIL("failed open left *out non-NULL");
    return 0;
}

static void ro_check_info(const vhdx_info *info)
{
    uint64_t vs = info->virtual_size;
    FZ_ASSERT(vs > 0 && vs <= VHDX_MAX_DISK_SIZE);
    FZ_ASSERT(info->logical_sector_size == 512 || info->logical_sector_size == 4096);
    FZ_ASSERT(vhdx_is_pow2(info->block_size) && info->block_size >= MiB && info->block_size <= 256 * MiB);
    FZ_ASSERT(vs % info->logical_sector_size == 0);
    FZ_ASSERT(strnlen(info->creator, sizeof info->creator) < sizeof info->creator);
}

/* contracts: out-of-range and read-only */
static void ro_contracts(vhdx_image *img, uint64_t vs, const fz_ro *ro)
{
    uint8_t one[4096];
    if (vhdx_read(img, vs, one, 1, NULL) != VHDX_E_RANGE) FZ_FAIL("read at the virtual size not VHDX_E_RANGE");
    if (vhdx_read(img, vs - 1, one, 2, NULL) != VHDX_E_RANGE) FZ_FAIL("read across the end not VHDX_E_RANGE");
    if (vhdx_read(img, UINT64_MAX - 1, one, 4, NULL) != VHDX_E_RANGE) FZ_FAIL("wrapping read not VHDX_E_RANGE");
    memset(one, 0, sizeof one);
    if (vhdx_write(img, 0, one, 512, NULL) != VHDX_E_READONLY) FZ_FAIL("write to a read-only image not VHDX_E_READONLY");
    if (ro->view.writes) FZ_FAIL("read-only image wrote to the file");
}

/* After a successful read of [off, off+len) into r->buf: the block status of the range
 * agrees with the bytes read. */
static void ro_check_block_status(const fz_ro_reader *r, uint64_t off, uint64_t len)
{
    uint64_t run = 0;
    int status = -1;
    int rc = fz_rc(vhdx_block_status(r->img, off, len, &run, &status, NULL), "vhdx_block_status");
    if (rc != VHDX_OK) return;
    if (run == 0 || run > len) FZ_FAIL("block_status run %llu for len %llu", (unsigned long long)run, (unsigned long long)len);
    if (status != VHDX_BLOCK_ZERO && status != VHDX_BLOCK_DATA) FZ_FAIL("block_status %d", status);
    /* vhdx_all_zero (libc memcmp), not a byte loop: a run is up to FZ_READ_MAX bytes */
    if (status == VHDX_BLOCK_ZERO && !vhdx_all_zero(r->buf, (size_t)run))
        for (uint64_t k = 0; k < run; k++)
            if (r->buf[k]) FZ_FAIL("block_status says zero at %llu but read returned data", (unsigned long long)(off + k));
}

static void ro_read_one(const fz_ro_reader *r, uint64_t off, uint64_t len)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = fz_rc(vhdx_read(r->img, off, r->buf, (size_t)len, &d), "vhdx_read");
    if (rc != VHDX_OK) {
        if (d.code != rc) FZ_FAIL("read failed with %s, diag %s", vhdx_status_name(rc), vhdx_status_name(d.code));
        return;
    }
    if (r->reference && fz_reference_read(r->f, r->info, r->bat_off, off, r->ref, (size_t)len) == 0 &&
        memcmp(r->buf, r->ref, (size_t)len) != 0) {
        size_t at = 0;
        while (r->buf[at] == r->ref[at]) at++;
        FZ_FAIL("vhdx_read(%llu, %llu) differs from the reference BAT reader at +%zu (%02x != %02x)",
                (unsigned long long)off, (unsigned long long)len, at, r->buf[at], r->ref[at]);
    }
    ro_check_block_status(r, off, len);
    fz_use(r->buf, (size_t)len);
}

/* The first and last 4 KiB, then seeded random ranges of up to FZ_READ_MAX bytes. */
static void ro_reads(const fz_ro_reader *r, uint64_t seed)
{
    uint64_t vs = r->info->virtual_size, rs = seed;
    unsigned nreads = 4 + (unsigned)(seed % 12);
    for (unsigned i = 0; i < nreads; i++) {
        uint64_t x = fz_rand(&rs);
        uint64_t off, len;
        switch (i) {
        case 0: off = 0; len = vs < 4096 ? vs : 4096; break;
        case 1: len = vs < 4096 ? vs : 4096; off = vs - len; break;
        default:
            off = x % vs;
            len = 1 + (fz_rand(&rs) % FZ_READ_MAX);
            if (len > vs - off) len = vs - off;
        }
        ro_read_one(r, off, len);
    }
}

static void fz_ro_session(const fz_file *f, unsigned flags, uint64_t seed, fz_ex_result *res)
{
    fz_ro ro;
    vhdx_image *img = NULL;
    vhdx_info *info = calloc(1, sizeof *info);
    uint8_t *buf = malloc(FZ_READ_MAX), *ref = malloc(FZ_READ_MAX);
    if (!info || !buf || !ref) goto out;

    fz_ro_init(&ro, f);
    if (!ro_open(&ro, flags, seed, &img, res)) goto out;
    if (fz_rc(vhdx_get_info(img, info), "vhdx_get_info") != VHDX_OK) FZ_FAIL("get_info failed on an open image");
    res->log_replayed = info->log_replayed;
    res->virtual_size = info->virtual_size;
    ro_check_info(info);
    fz_ro_reader r = { img, f, info, 0, 0, buf, ref };
    r.reference = fz_reference_applies(info, &r.bat_off);
    ro_contracts(img, info->virtual_size, &ro);
    ro_reads(&r, seed);
    if (ro.view.writes) FZ_FAIL("read-only image wrote to the file");
    int crc = fz_rc(vhdx_close(img), "vhdx_close(ro)");
    if (crc != VHDX_OK) FZ_FAIL("closing a read-only image failed: %s", vhdx_status_name(crc));
out:
    free(info);
    free(buf);
    free(ref);
}

/* ---- check session ---- */

static void fz_check_session(const fz_file *f, unsigned flags, fz_ex_result *res)
{
    fz_ro ro;
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    fz_ro_init(&ro, f);
    vhdx_check_opts_default(&co);
    co.flags |= VHDX_OPEN_NO_PARENT;
    if (flags & FZ_EX_SMALL_LIMITS) {
        vhdx_open_opts o;
        fz_guid_state gs;
        fz_opts(&o, &gs, flags, 0);
        co.limits = o.limits;
    }
    co.max_findings = 64;
    res->check_rc = fz_rc(vhdx_check(&ro.io, NULL, &co, &rep), "vhdx_check");
    res->verdict = -1;
    if (ro.view.writes) FZ_FAIL("vhdx_check wrote to the file");
    if (res->check_rc != VHDX_OK) {
        if (rep) FZ_FAIL("vhdx_check failed but returned a report");
        return;
    }
    FZ_ASSERT(rep != NULL);
    fz_check_report(rep);
    res->verdict = (int)rep->verdict;
    int open_ok = res->open_rc == VHDX_OK;
    if (!(flags & FZ_EX_NO_REPLAY)) {
        if (open_ok && rep->verdict == VHDX_VERDICT_UNREADABLE)
            FZ_FAIL("image opens, but check says unreadable");
        if (!open_ok && vhdx_status_class(res->open_rc) == VHDX_CLASS_CORRUPT &&
            rep->verdict == VHDX_VERDICT_CONFORMANT)
            FZ_FAIL("open fails with %s, but check says conformant", vhdx_status_name(res->open_rc));
        if (rep->opened != open_ok)
            FZ_FAIL("check opened=%d, but vhdx_open returned %s", rep->opened, vhdx_status_name(res->open_rc));
    }
    vhdx_report_free(rep);
}

/* ---- read-write session ---- */

/* Writes a pattern at a seeded offset of img (open read-write through fio), reads it back,
 * flushes and closes; without a crash planned, reopens through `plain` (the same file,
 * no fault injection) and reads the pattern again. */
static void rw_write_reopen(vhdx_image *img, const faultio *fio, vhdx_io *plain, unsigned flags,
                            uint64_t seed)
{
    vhdx_info info;
    vhdx_open_opts o;
    fz_guid_state gs;
    uint8_t pat[8192], back[8192];
    uint64_t rs = seed ^ 0x77u;
    if (fz_rc(vhdx_get_info(img, &info), "get_info(rw)") != VHDX_OK) FZ_FAIL("get_info failed");
    uint64_t vs = info.virtual_size, lss = info.logical_sector_size;
    uint64_t off = (fz_rand(&rs) % vs) / lss * lss;
    size_t len = (size_t)(vs - off < sizeof pat ? vs - off : sizeof pat);
    memset(pat, (int)(0x40 + seed % 64), sizeof pat);
    int wrc = fz_rc(vhdx_write(img, off, pat, len, NULL), "vhdx_write");
    if (wrc == VHDX_OK) {
        int rrc = fz_rc(vhdx_read(img, off, back, len, NULL), "vhdx_read(after write)");
        /* before a crash every I/O succeeded: the cache and the file agree */
        if (rrc == VHDX_OK && memcmp(back, pat, len) != 0 && !fio->crashed)
            FZ_FAIL("read after write returned other data at %llu", (unsigned long long)off);
    }
    (void)fz_rc(vhdx_flush(img, NULL), "vhdx_flush");
    (void)fz_rc(vhdx_close(img), "vhdx_close(rw)");
    if ((flags & FZ_EX_CRASH) || wrc != VHDX_OK) return;
    /* what we opened and wrote must open again and hold the data */
    vhdx_image *again = NULL;
    fz_opts(&o, &gs, 0, seed + 1);
    int rc = fz_rc(vhdx_open(&again, plain, 0, &o, NULL), "vhdx_open(reopen)");
    if (rc != VHDX_OK) FZ_FAIL("image written by libvhdx does not reopen: %s", vhdx_status_name(rc));
    rc = fz_rc(vhdx_read(again, off, back, len, NULL), "vhdx_read(reopen)");
    if (rc == VHDX_OK && memcmp(back, pat, len) != 0)
        FZ_FAIL("data written at %llu not read back after reopen", (unsigned long long)off);
    (void)fz_rc(vhdx_close(again), "vhdx_close(reopen)");
}

static void fz_rw_session(const fz_file *f, unsigned flags, uint64_t seed)
{
    fz_file w;
    vhdx_io io;
    faultio fio;
    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_image *img = NULL;
    fz_file_init(&w, FZ_IMAGE_MAX + 16 * MiB);
    if (fz_file_copy(&w, f) != 0) { fz_file_free(&w); return; }
    fz_file_io(&io, &w);
    faultio_init(&fio, &io);
    /* the crash: writes and size changes numbered from 1, one of the first 16 fails, and
     * every write, flush and size change from then on */
    faultio_numbering(&fio, FAULTIO_NUMBER_WRITES_RESIZES);
    if (flags & FZ_EX_CRASH) faultio_arm(&fio, seed % 16 + 1, FAULTIO_STOP);
    fz_opts(&o, &gs, flags & ~FZ_EX_NO_REPLAY, seed);
    o.flags |= VHDX_OPEN_RDWR;
    int rc = fz_rc(vhdx_open(&img, &fio.io, 0, &o, NULL), "vhdx_open(rw)");
    if (rc == VHDX_OK) rw_write_reopen(img, &fio, &io, flags, seed);
    faultio_settle(&fio, 0); /* the file keeps what reached it before the crash */
    faultio_free(&fio);
    if (flags & FZ_EX_CRASH) {
        /* after a crash at any point, the file must still open (replaying its log) or fail
         * cleanly; never an internal error */
        vhdx_image *again = NULL;
        fz_opts(&o, &gs, 0, seed + 2);
        rc = fz_rc(vhdx_open(&again, &io, 0, &o, NULL), "vhdx_open(after crash)");
        if (rc == VHDX_OK) (void)fz_rc(vhdx_close(again), "vhdx_close(after crash)");
    }
    fz_file_free(&w);
}

void fz_exercise_image(const fz_file *f, unsigned flags, uint64_t seed, fz_ex_result *res)
{
    memset(res, 0, sizeof *res);
    res->verdict = -1;
    fz_ro_session(f, flags, seed, res);
    if (!(flags & (res->open_rc == VHDX_OK ? FZ_EX_SKIP_CHECK : FZ_EX_SKIP_CHECK_FAILED)))
        fz_check_session(f, flags, res);
    if (flags & FZ_EX_RDWR) fz_rw_session(f, flags, seed);
}

unsigned fz_ex_check_sampling(uint64_t h)
{
    unsigned ex = 0;
    if (!fz_sampled(h, FZ_SALT_CHECK, FZ_SAMPLE_ONE_IN)) ex |= FZ_EX_SKIP_CHECK;
    if (!fz_sampled(h, FZ_SALT_CHECK_FAILED, FZ_SAMPLE_FAILED_ONE_IN)) ex |= FZ_EX_SKIP_CHECK_FAILED;
    return ex;
}

/* One side of fz_compare_disks: an image opened read-only from a copy of f's view. */
typedef struct fz_cmp_side {
    fz_ro ro;
    vhdx_image *img;
    uint64_t vs;
    int ok;                   /* opened, and every read so far succeeded */
} fz_cmp_side;

static int cmp_open(fz_cmp_side *c, const fz_file *f, unsigned open_flags)
{
    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_info info;
    fz_ro_init(&c->ro, f);
    fz_opts(&o, &gs, 0, 1);
    o.flags |= open_flags;
    c->img = NULL;
    c->vs = 0;
    int rc = fz_rc(vhdx_open(&c->img, &c->ro.io, 0, &o, NULL), "vhdx_open(compare)");
    if (rc == VHDX_OK) {
        rc = fz_rc(vhdx_get_info(c->img, &info), "get_info(compare)");
        if (rc == VHDX_OK) c->vs = info.virtual_size;
    }
    c->ok = rc == VHDX_OK;
    return rc;
}

/* The status run at off (n bytes at most): ZERO only when block status says so. */
static uint64_t cmp_run(fz_cmp_side *c, uint64_t off, uint64_t n, int *zero)
{
    uint64_t run = 0;
    int st = VHDX_BLOCK_DATA;
    *zero = 0;
    if (!c->ok) return n;
    if (fz_rc(vhdx_block_status(c->img, off, n, &run, &st, NULL), "block_status(compare)") != VHDX_OK ||
        run == 0 || run > n)
        return n;
    *zero = st == VHDX_BLOCK_ZERO;
    return run;
}

static void cmp_read(fz_cmp_side *c, uint64_t off, uint8_t *buf, size_t n)
{
    if (c->ok && fz_rc(vhdx_read(c->img, off, buf, n, NULL), "vhdx_read(compare)") != VHDX_OK) c->ok = 0;
}

int fz_compare_disks(const fz_file *a, unsigned flags_a, const fz_file *b, unsigned flags_b, int *rc_a,
                     int *rc_b, int *ok_a, int *ok_b)
{
    fz_cmp_side x, y;
    int differ = 0;
    *rc_a = cmp_open(&x, a, flags_a);
    *rc_b = cmp_open(&y, b, flags_b);
    if (x.ok && y.ok && x.vs != y.vs) differ = 1;
    uint64_t vs = x.vs > y.vs ? x.vs : y.vs;
    uint8_t *ba = NULL, *bb = NULL;
    if (vs > FZ_COMPARE_MAX || !(x.ok || y.ok)) goto out; /* too large to compare: neither side counts */
    ba = fz_big_alloc(MiB);
    bb = fz_big_alloc(MiB);
    if (!ba || !bb) goto out;
    for (uint64_t off = 0; off < vs && (x.ok || y.ok);) {
        uint64_t n = vs - off < MiB ? vs - off : MiB;
        int za, zb;
        if (x.ok && off >= x.vs) x.ok = 0; /* sizes differ: only the shorter side's end */
        if (y.ok && off >= y.vs) y.ok = 0;
        n = cmp_run(&x, off, n, &za);
        n = cmp_run(&y, off, n, &zb);
        /* both zero by block status (checked against reads by fz_exercise_image): no read */
        if (!((za || !x.ok) && (zb || !y.ok))) {
            cmp_read(&x, off, ba, (size_t)n);
            cmp_read(&y, off, bb, (size_t)n);
            if (x.ok && y.ok && memcmp(ba, bb, (size_t)n) != 0) differ = 1;
        }
        off += n;
    }
out:
    *ok_a = x.ok && vs <= FZ_COMPARE_MAX;
    *ok_b = y.ok && vs <= FZ_COMPARE_MAX;
    fz_big_free(ba);
    fz_big_free(bb);
    if (x.img) (void)fz_rc(vhdx_close(x.img), "vhdx_close(compare)");
    if (y.img) (void)fz_rc(vhdx_close(y.img), "vhdx_close(compare)");
    return differ;
}

/* ---- file mode ---- */

static char fz_dir[512];

/* Removes dir and the files in it (the harnesses make no subdirectories). */
static void fz_rmdir_files(const char *dir)
{
    DIR *d = opendir(dir);
    char p[1024];
    if (!d) return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (e->d_name[0] == '.') continue;
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p) continue;
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static void fz_tmpdir_cleanup(void) { fz_rmdir_files(fz_dir); }

/* libFuzzer ends a -max_total_time run with _Exit (no atexit): directories of processes
 * that are gone are removed by the next one (under /dev/shm they would hold memory). */
static void fz_tmpdir_sweep(const char *base)
{
    DIR *d = opendir(base);
    char p[1024];
    if (!d) return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        long pid;
        char tail;
        if (sscanf(e->d_name, "vhdx-fuzz-%ld%c", &pid, &tail) != 1 || pid <= 0) continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
        /* a truncated path could name another directory */
        if ((size_t)snprintf(p, sizeof p, "%s/%s", base, e->d_name) >= sizeof p) continue;
        fz_rmdir_files(p);
    }
    closedir(d);
}

const char *fz_tmpdir(void)
{
    static int state;
    char *dir = fz_dir;
    if (state == 0) {
        /* TMPDIR, else /dev/shm where there is one (the file mode's writes, flushes and
         * unlinks then cost no disk I/O), else /tmp */
        const char *t = getenv("TMPDIR");
        if (!t || !*t) t = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        fz_tmpdir_sweep(t);
        int len = snprintf(dir, sizeof fz_dir, "%s/vhdx-fuzz-%ld", t, (long)getpid());
        state = (size_t)len < sizeof fz_dir && (mkdir(dir, 0700) == 0 || access(dir, W_OK) == 0) ? 1 : -1;
        if (state == 1) atexit(fz_tmpdir_cleanup);
    }
    return state == 1 ? dir : NULL;
}

/* Reads and block-status probes over an image opened by path (parent chain included). */
static void file_reads(vhdx_image *img, uint64_t seed)
{
    vhdx_info info;
    uint8_t *buf = fz_big_alloc(FZ_READ_MAX);
    if (fz_rc(vhdx_get_info(img, &info), "get_info(file)") != VHDX_OK) FZ_FAIL("get_info failed");
    uint64_t rs = seed, vs = info.virtual_size;
    for (unsigned i = 0; buf && i < 6; i++) {
        uint64_t off = i == 0 ? 0 : fz_rand(&rs) % vs;
        uint64_t len = 1 + fz_rand(&rs) % FZ_READ_MAX;
        if (len > vs - off) len = vs - off;
        int rc = fz_rc(vhdx_read(img, off, buf, (size_t)len, NULL), "vhdx_read(file)");
        if (rc == VHDX_OK) fz_use(buf, (size_t)len);
        uint64_t run;
        int st;
        rc = fz_rc(vhdx_block_status(img, off, len, &run, &st, NULL), "block_status(file)");
        fz_use_u64(run + (uint64_t)st + (uint64_t)rc);
    }
    fz_big_free(buf);
}

/* vhdx_check through the file backend, with parent resolution; agrees with open_rc. */
static void file_check(const char *child, const vhdx_open_opts *o, int open_rc)
{
    vhdx_io io;
    if (fz_rc(vhdx_io_file_open(&io, child, VHDX_IO_READ), "io_file_open") != VHDX_OK) return;
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    co.flags = o->flags & (VHDX_OPEN_IGNORE_LINKAGE | VHDX_OPEN_NO_PARENT);
    co.limits = o->limits;
    co.max_findings = 64;
    int rc = fz_rc(vhdx_check(&io, child, &co, &rep), "vhdx_check(file)");
    if (rc == VHDX_OK) {
        fz_check_report(rep);
        if (open_rc == VHDX_OK && rep->verdict == VHDX_VERDICT_UNREADABLE)
            FZ_FAIL("image opens by path, but check says unreadable");
        if (rep->opened != (open_rc == VHDX_OK))
            FZ_FAIL("check opened=%d, but vhdx_open_file returned %s", rep->opened, vhdx_status_name(open_rc));
        vhdx_report_free(rep);
    }
    vhdx_io_destroy(&io);
}

/* Opens child read-write by path, writes a sector pattern, reopens read-only, reads it. */
static void file_rw(const char *child, vhdx_open_opts *o, uint64_t seed)
{
    vhdx_image *img = NULL;
    o->flags |= VHDX_OPEN_RDWR;
    if (fz_rc(vhdx_open_file(&img, child, o, NULL), "vhdx_open_file(rw)") != VHDX_OK) return;
    vhdx_info info;
    uint8_t pat[4096], back[4096];
    memset(pat, 0x5c, sizeof pat);
    if (fz_rc(vhdx_get_info(img, &info), "get_info") != VHDX_OK) FZ_FAIL("get_info failed");
    uint64_t lss = info.logical_sector_size;
    uint64_t off = (seed * 7919u % info.virtual_size) / lss * lss;
    size_t len = (size_t)(info.virtual_size - off < sizeof pat ? info.virtual_size - off : sizeof pat);
    int wrc = fz_rc(vhdx_write(img, off, pat, len, NULL), "vhdx_write(file)");
    (void)fz_rc(vhdx_close(img), "vhdx_close(file rw)");
    img = NULL;
    o->flags &= ~VHDX_OPEN_RDWR;
    if (wrc != VHDX_OK) return;
    int rc = fz_rc(vhdx_open_file(&img, child, o, NULL), "vhdx_open_file(reopen)");
    if (rc != VHDX_OK) FZ_FAIL("file written by libvhdx does not reopen: %s", vhdx_status_name(rc));
    rc = fz_rc(vhdx_read(img, off, back, len, NULL), "vhdx_read(reopen)");
    if (rc == VHDX_OK && memcmp(back, pat, len) != 0)
        FZ_FAIL("data written at %llu (by path) not read back", (unsigned long long)off);
    (void)fz_rc(vhdx_close(img), "vhdx_close(reopen)");
}

void fz_exercise_file(const fz_file *f, unsigned flags, uint64_t seed)
{
    const char *dir = fz_tmpdir();
    const fz_file *parent = fz_template(0);
    char child[600], ppath[600];
    if (!dir || !parent) return;
    snprintf(child, sizeof child, "%s/child.vhdx", dir);
    snprintf(ppath, sizeof ppath, "%s/parent.vhdx", dir);
    /* the parent is the same every time (and only read): written once per process */
    static int parent_saved;
    if (!parent_saved) parent_saved = fz_file_save(ppath, parent) == 0;
    if (!parent_saved || fz_file_save(child, f) != 0) return;

    vhdx_open_opts o;
    fz_guid_state gs;
    vhdx_diag d;
    vhdx_image *img = NULL;
    fz_opts(&o, &gs, flags & FZ_EX_SMALL_LIMITS, seed);
    o.flags &= ~VHDX_OPEN_NO_PARENT;
    if (seed & 1) o.flags |= VHDX_OPEN_IGNORE_LINKAGE;
    vhdx_diag_clear(&d);
    int open_rc = fz_rc(vhdx_open_file(&img, child, &o, &d), "vhdx_open_file");
    if (open_rc == VHDX_OK) {
        file_reads(img, seed);
        (void)fz_rc(vhdx_close(img), "vhdx_close(file)");
    }
    file_check(child, &o, open_rc);
    if ((flags & FZ_EX_RDWR) && open_rc == VHDX_OK) file_rw(child, &o, seed);
    unlink(child);
}

FZ_NO_COVERAGE_END
