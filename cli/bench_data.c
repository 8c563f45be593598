/* SPDX-License-Identifier: Apache-2.0 */
/* bench_data.c - data movement cases of `vhdx bench` (bench_data.h). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_data.h"
#include "util.h"

extern char **environ;

/* bench_spawn, with the child's CPU time (user + system) in *cpu when not NULL */
static int spawn_ru(char *const argv[], double *secs, double *cpu, long *rss)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    double t0 = cli_now();
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int st;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    while (wait4(pid, &st, 0, &ru) < 0) {
        if (errno != EINTR) return -1;
    }
    if (secs) *secs = cli_now() - t0;
    if (cpu)
        *cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    if (rss) *rss = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int bench_spawn(char *const argv[], double *secs, long *rss)
{
    return spawn_ru(argv, secs, NULL, rss);
}

/* 0 when argv ran and exited 0 */
static int spawn_timed(char *const argv[], double *secs, long *rss)
{
    return bench_spawn(argv, secs, rss) == 0 ? 0 : -1;
}

static uint64_t allocated(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512u : 0;
}

enum { F_RAND, F_DYN, F_OUT, F_FIXED, F_SPARSE, F_SPVHDX, F_SPVHDX2, F_QOUT, F_FLOOR, F_COUNT };

typedef struct bctx {
    const char *dir, *qemu_img;
    int quick;
    int keep_out;                  /* run_case leaves the last output in place */
    char self[4096];
    char p[F_COUNT][4200];         /* file paths by index (F_*) */
} bctx;

static const char *const fname[F_COUNT] = {
    "rand.raw", "dyn.vhdx", "out.raw", "fixed4g.vhdx", "sparse.raw", "sparse.vhdx",
    "sparse2.vhdx", "qout.img", "floor.raw"
};

/* runs of each tool: the 1 GiB cases take about a second a run, qemu-img a second on the
 * fixed 4 GiB image too, the sparse raw -> dynamic case milliseconds for both */
#define REPS_BIG 3
#define REPS_MID 5
#define REPS_SMALL 11
_Static_assert(REPS_BIG <= BENCH_DATA_REPS && REPS_MID <= BENCH_DATA_REPS &&
                   REPS_SMALL <= BENCH_DATA_REPS,
               "case_runs holds BENCH_DATA_REPS runs of a case");

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    if (n <= 0) return 0.0;
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

typedef struct case_runs {
    double ow[BENCH_DATA_REPS], oc[BENCH_DATA_REPS], tw[BENCH_DATA_REPS], tc[BENCH_DATA_REPS];
    double ratio[BENCH_DATA_REPS], fw[BENCH_DATA_REPS];
    int nf;                        /* runs of cp (floor) that succeeded */
} case_runs;

/* Removes the outputs a run may have left (ours: out; qemu-img's; cp's). */
static void drop_outputs(bctx *b, const char *out)
{
    if (out) unlink(out);
    unlink(b->p[F_QOUT]);
    unlink(b->p[F_FLOOR]);
}

/* One run of ours (mine) or of qemu-img. The previous run's output is removed right
 * before: its dirty pages are dropped, not written back during this run, and the memory
 * it frees is what this run gets at once. (On a virtual machine, memory left free for a
 * second or two goes back to the host, free page reporting, and costs a host fault per
 * page at its next use: several times the copy itself for 1 GiB, billed to whichever
 * tool ran after a pause.) */
static void run_one(bctx *b, bench_case *c, case_runs *cr, int r, int mine, char *const argv[],
                    const char *out)
{
    double s = 0, cpu = 0;
    long rss = 0;
    drop_outputs(b, out);
    int st = spawn_ru(argv, &s, &cpu, mine ? &rss : NULL);
    if (mine) {
        if (st != 0) c->ours_ok = 0;
        cr->ow[r] = s;
        cr->oc[r] = cpu;
        if (rss > c->ours_rss_kib) c->ours_rss_kib = rss;
        if (out) c->out_bytes = allocated(out);
    } else {
        if (st != 0) c->theirs_ok = 0;
        cr->tw[r] = s;
        cr->tc[r] = cpu;
    }
}

/* One case: a sync() (the sources on disk, nothing of the preparation left to write
 * back), one untimed run of each tool (loads both programs; the first takes the memory
 * that went back to the host), then c->reps runs of each, ours and qemu-img alternately
 * (the one that goes first changes every run), and `cp` of the same source when floor is
 * not NULL. Medians of the wall and CPU times; the ratio is the median of the per-run
 * ratios (the two runs of a pair are back to back, under about the same load from the
 * rest of the machine). Outputs removed, ours of the last run kept when b->keep_out. */
static void run_case(bctx *b, bench_case *c, char *const ours[], char *const theirs[],
                     const char *out, char *const floor[])
{
    static case_runs cr;
    memset(&cr, 0, sizeof cr);
    c->ours_ok = 1;
    c->theirs_ok = theirs && b->qemu_img;
    sync();
    if (c->reps > 1) {
        run_one(b, c, &cr, 0, 1, ours, out);
        if (c->theirs_ok) run_one(b, c, &cr, 0, 0, theirs, out);
    }
    for (int r = 0; r < c->reps; r++) {
        for (int k = 0; k < 2; k++) {
            int mine = (k == 0) == (r % 2 == 0);
            if (mine) run_one(b, c, &cr, r, 1, ours, out);
            else if (c->theirs_ok) run_one(b, c, &cr, r, 0, theirs, out);
        }
        cr.ratio[r] = cr.ow[r] > 0 ? cr.tw[r] / cr.ow[r] : 0.0;
        if (floor) {
            drop_outputs(b, out);
            if (spawn_timed(floor, &cr.fw[cr.nf], NULL) == 0) cr.nf++;
        }
    }
    /* the output kept: made again when a later run removed it */
    double t;
    if (b->keep_out && out && access(out, F_OK) != 0 && spawn_timed(ours, &t, NULL) != 0)
        c->ours_ok = 0;
    drop_outputs(b, b->keep_out ? NULL : out);
    c->ours_s = median(cr.ow, c->reps);
    c->ours_cpu = median(cr.oc, c->reps);
    if (c->theirs_ok) {
        c->theirs_s = median(cr.tw, c->reps);
        c->theirs_cpu = median(cr.tc, c->reps);
        c->ratio = median(cr.ratio, c->reps);
    }
    c->floor_s = median(cr.fw, cr.nf);
}

/* a file of n bytes: xorshift data (random) or a sparse file with 16 MiB of data at 40% */
static int make_raw(const char *path, uint64_t n, int sparse)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    uint8_t *buf = malloc(1u << 20);
    int rc = buf && ftruncate(fd, (off_t)n) == 0 ? 0 : -1;
    uint64_t s = 0x5eedULL, start = sparse ? n / 10 * 4 / (1u << 20) * (1u << 20) : 0;
    uint64_t len = sparse ? (16u << 20) : n;
    for (uint64_t off = 0; rc == 0 && off < len; off += 1u << 20) {
        for (size_t i = 0; i < (1u << 20); i += 8) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            memcpy(buf + i, &s, 8);
        }
        if (pwrite(fd, buf, 1u << 20, (off_t)(start + off)) != (ssize_t)(1u << 20)) rc = -1;
    }
    free(buf);
    if (close(fd) != 0) rc = -1;
    return rc;
}

/* This program's path, the file paths, and the random raw source (64 MiB quick, 1 GiB) */
static int prepare(bctx *b)
{
    ssize_t n = readlink("/proc/self/exe", b->self, sizeof b->self - 1);
    if (n <= 0) return -1;
    b->self[n] = '\0';
    for (int i = 0; i < F_COUNT; i++)
        snprintf(b->p[i], sizeof b->p[i], "%s/%s", b->dir, fname[i]);
    return make_raw(b->p[F_RAND], b->quick ? (64u << 20) : (1u << 30), 0);
}

static bench_case *new_case(bctx *b, bench_data *d, const char *name, const char *what,
                            double target, int reps)
{
    bench_case *c = &d->c[d->n++];
    c->name = name;
    c->what = what;
    c->target = target;
    c->reps = b->quick ? 1 : reps;
    return c;
}

/* the 1 GiB cases: a fully written dynamic image -> raw (defaults, --sync), raw -> dynamic */
static int cases_full(bctx *b, bench_data *d, char *const cp)
{
    char *S = b->self, *QI = (char *)b->qemu_img, (*p)[sizeof b->p[0]] = b->p;
    double t;
    /* a fully written dynamic image (our convert of the random raw file) */
    char *mk_dyn[] = { S, "convert", p[F_RAND], p[F_DYN], NULL };
    if (spawn_timed(mk_dyn, &t, NULL) != 0) return CLI_EXIT_FAIL;

    bench_case *c = new_case(b, d, "vhdx_to_raw",
                             "fully written dynamic image -> raw, both tools' defaults", 1.5, REPS_BIG);
    char *o1[] = { S, "convert", p[F_DYN], p[F_OUT], NULL };
    char *q1[] = { QI, "convert", "-f", "vhdx", "-O", "raw", p[F_DYN], p[F_QOUT], NULL };
    run_case(b, c, o1, q1, p[F_OUT], NULL);

    c = new_case(b, d, "vhdx_to_raw_sync", "the same with --sync vs qemu-img -t writeback", 1.0, REPS_BIG);
    char *o2[] = { S, "convert", "--sync", p[F_DYN], p[F_OUT], NULL };
    char *q2[] = { QI, "convert", "-t", "writeback", "-f", "vhdx", "-O", "raw", p[F_DYN], p[F_QOUT], NULL };
    run_case(b, c, o2, q2, p[F_OUT], NULL);
    unlink(p[F_DYN]);

    c = new_case(b, d, "raw_to_dynamic", "random raw file -> dynamic VHDX", 2.0, REPS_BIG);
    char *o3[] = { S, "convert", p[F_RAND], p[F_SPVHDX], NULL };
    char *q3[] = { QI, "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic", p[F_RAND], p[F_QOUT], NULL };
    char *f3[] = { cp, "--sparse=always", p[F_RAND], p[F_FLOOR], NULL };
    run_case(b, c, o3, q3, p[F_SPVHDX], cp ? f3 : NULL);
    unlink(p[F_RAND]);
    return CLI_EXIT_OK;
}

/* the cases whose data is a small part of the disk: fixed image in a sparse host file ->
 * raw, sparse raw -> dynamic, compare of two such dynamic images */
static int cases_sparse(bctx *b, bench_data *d, char *const cp)
{
    char *S = b->self, *QI = (char *)b->qemu_img, (*p)[sizeof b->p[0]] = b->p;
    double t;
    /* fixed image, 8 MiB of data in a sparse host file */
    char *mk_fixed[] = { S, "create", "--type", "fixed", p[F_FIXED], b->quick ? "256M" : "4G", NULL };
    if (spawn_timed(mk_fixed, &t, NULL) != 0 || make_raw(p[F_SPARSE], 8u << 20, 0) != 0)
        return CLI_EXIT_FAIL;
    char *fill[] = { S, "write", p[F_FIXED], b->quick ? "64M" : "1G", p[F_SPARSE], NULL };
    if (spawn_timed(fill, &t, NULL) != 0) return CLI_EXIT_FAIL;
    bench_case *c = new_case(b, d, "fixed_sparse_to_raw",
                             "fixed image, 8 MiB of data in a sparse host file -> raw", 10.0, REPS_MID);
    char *o4[] = { S, "convert", p[F_FIXED], p[F_OUT], NULL };
    char *q4[] = { QI, "convert", "-f", "vhdx", "-O", "raw", p[F_FIXED], p[F_QOUT], NULL };
    run_case(b, c, o4, q4, p[F_OUT], NULL);
    unlink(p[F_FIXED]);

    /* sparse raw holding 16 MiB -> dynamic; then compare two such images */
    if (make_raw(p[F_SPARSE], b->quick ? (1ull << 30) : (64ull << 30), 1) != 0) return CLI_EXIT_FAIL;
    c = new_case(b, d, "sparse_raw_to_dynamic",
                 "sparse raw holding 16 MiB -> dynamic VHDX (output must stay under 64 MiB)", 10.0,
                 REPS_SMALL);
    char *o5[] = { S, "convert", p[F_SPARSE], p[F_SPVHDX], NULL };
    char *q5[] = { QI, "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic", p[F_SPARSE], p[F_QOUT], NULL };
    char *f5[] = { cp, "--sparse=always", p[F_SPARSE], p[F_FLOOR], NULL };
    b->keep_out = 1;
    run_case(b, c, o5, q5, p[F_SPVHDX], cp ? f5 : NULL);
    b->keep_out = 0;
    char *mk2[] = { S, "convert", p[F_SPARSE], p[F_SPVHDX2], NULL };
    if (spawn_timed(mk2, &t, NULL) != 0) return CLI_EXIT_FAIL;
    unlink(p[F_SPARSE]);
    c = new_case(b, d, "compare_sparse",
                 "compare two dynamic images of sparse disks holding 16 MiB each", 10.0,
                 1); /* qemu-img reads every byte of the 64 GiB disks: seconds a run */
    char *o6[] = { S, "compare", p[F_SPVHDX], p[F_SPVHDX2], NULL };
    char *q6[] = { QI, "compare", "-f", "vhdx", "-F", "vhdx", p[F_SPVHDX], p[F_SPVHDX2], NULL };
    run_case(b, c, o6, q6, NULL, NULL);
    unlink(p[F_SPVHDX]);
    unlink(p[F_SPVHDX2]);
    return CLI_EXIT_OK;
}

static double load1(void)
{
    double l[1] = { 0.0 };
    return getloadavg(l, 1) == 1 ? l[0] : 0.0;
}

int bench_data_run(const char *dir, int quick, const char *qemu_img, bench_data *d)
{
    static bctx b;
    memset(&b, 0, sizeof b);
    memset(d, 0, sizeof *d);
    b.dir = dir;
    b.qemu_img = qemu_img;
    b.quick = quick;
    if (prepare(&b) != 0) {
        cli_err("bench: cannot prepare %s: %s", dir, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    /* the floor: coreutils cp of the same source (SEEK_DATA, copy_file_range) */
    char *cp = access("/bin/cp", X_OK) == 0 ? (char *)"/bin/cp" : NULL;
    d->load[0] = load1();
    int ex = cases_full(&b, d, cp);
    if (ex == CLI_EXIT_OK) ex = cases_sparse(&b, d, cp);
    d->load[1] = load1();
    return ex;
}

static double ratio(const bench_case *c)
{
    return c->ours_ok && c->theirs_ok ? c->ratio : 0.0;
}

static double cpu_ratio(const bench_case *c)
{
    return c->ours_ok && c->theirs_ok && c->ours_cpu > 0 ? c->theirs_cpu / c->ours_cpu : 0.0;
}

static void case_text(const bench_case *c)
{
    printf("  %-22s %s (%d run%s each)\n", c->name, c->what, c->reps, c->reps == 1 ? "" : "s");
    printf("  %-22s vhdx %8.3f s (CPU %.3f s, peak RSS %ld KiB%s)", "", c->ours_s, c->ours_cpu,
           c->ours_rss_kib, c->ours_rss_kib <= 64 * 1024 ? "" : ", over 64 MiB");
    if (c->out_bytes) printf(", output %" PRIu64 " KiB allocated", c->out_bytes >> 10);
    if (c->theirs_ok)
        printf("; qemu-img %8.3f s (CPU %.3f s); ratio %.2fx (target >= %.1fx: %s), CPU %.2fx\n",
               c->theirs_s, c->theirs_cpu, ratio(c), c->target,
               ratio(c) >= c->target ? "PASS" : "FAIL", cpu_ratio(c));
    else
        printf("; qemu-img did not run\n");
    if (c->floor_s > 0 && c->theirs_ok)
        printf("  %-22s floor: cp of the same source %.3f s (qemu-img / cp %.2fx: the most any "
               "copy through the page cache gets)\n", "", c->floor_s, c->theirs_s / c->floor_s);
    if (!c->ours_ok) printf("  %-22s vhdx FAILED\n", "");
}

void bench_data_text(const bench_data *d)
{
    printf("\ndata movement (child processes; ratio = qemu-img time / vhdx time)\n");
    for (int i = 0; i < d->n; i++) case_text(&d->c[i]);
    printf("  method: a sync() before each case, one untimed run of each tool, then the two\n"
           "  tools alternately (which goes first changes every run), the previous output removed\n"
           "  right before each run (its dirty pages dropped, its memory reused at once), the\n"
           "  same source files in the page cache for both; times are medians, the ratio is the\n"
           "  median of the ratios of back-to-back runs (both under about the same load); CPU =\n"
           "  user + system time of the child; peak RSS = the child's ru_maxrss (an upper bound:\n"
           "  it counts this process's memory at the spawn). Load average (1 min): %.2f before, %.2f after.\n",
           d->load[0], d->load[1]);
}

/* "key": v, or "key": null when the figure is missing (!have) */
static void kfixed_or_null(json_w *w, const char *key, int have, double v)
{
    json_key(w, key);
    if (have) json_fixed6(w, v);
    else json_null(w);
}

void bench_data_json(json_w *w, const bench_data *d)
{
    json_key(w, "data_movement");
    json_arr(w, NULL);
    for (int i = 0; i < d->n; i++) {
        const bench_case *c = &d->c[i];
        json_obj(w, NULL);
        json_kstr(w, "name", c->name);
        json_kbool(w, "ok", c->ours_ok);
        json_ku64(w, "runs", (uint64_t)c->reps);
        json_key(w, "vhdx_s");
        json_fixed6(w, c->ours_s);
        json_key(w, "vhdx_cpu_s");
        json_fixed6(w, c->ours_cpu);
        json_ku64(w, "peak_rss_kib", (uint64_t)c->ours_rss_kib);
        json_ku64(w, "output_allocated", c->out_bytes);
        kfixed_or_null(w, "qemu_img_s", c->theirs_ok, c->theirs_s);
        kfixed_or_null(w, "qemu_img_cpu_s", c->theirs_ok, c->theirs_cpu);
        kfixed_or_null(w, "ratio", c->theirs_ok, ratio(c));
        kfixed_or_null(w, "cpu_ratio", c->theirs_ok, cpu_ratio(c));
        kfixed_or_null(w, "cp_floor_s", c->floor_s > 0, c->floor_s);
        json_key(w, "target_ratio");
        json_fixed6(w, c->target);
        json_end(w);
    }
    json_end(w);
    json_key(w, "data_movement_load");
    json_arr(w, NULL);
    json_fixed6(w, d->load[0]);
    json_fixed6(w, d->load[1]);
    json_end(w);
}
