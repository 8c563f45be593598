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

int bench_spawn(char *const argv[], double *secs, long *rss)
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
    if (rss) *rss = ru.ru_maxrss;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
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

typedef struct bctx {
    const char *dir, *qemu_img;
    int reps;                      /* runs of each case (best time kept) */
    int keep_out;                  /* run_case leaves the last output in place */
    char self[4096];
    char p[8][4200];               /* file paths by index */
} bctx;

enum { F_RAND, F_DYN, F_OUT, F_FIXED, F_SPARSE, F_SPVHDX, F_SPVHDX2, F_QOUT };
static const char *const fname[8] = {
    "rand.raw", "dyn.vhdx", "out.raw", "fixed4g.vhdx", "sparse.raw", "sparse.vhdx",
    "sparse2.vhdx", "qout.img"
};

/* One case, reps times, ours and qemu-img alternately, each after a sync(): dirty pages
 * left by the previous run (or by the preparation) would otherwise be written back during
 * the next one and bill it for the other's writes. The best time of each is kept (the
 * machine's other load only ever adds time) and our highest peak RSS. Outputs removed. */
static void run_case(bctx *b, bench_case *c, char *const ours[], char *const theirs[],
                     const char *out)
{
    c->ours_ok = 1;
    c->theirs_ok = theirs && b->qemu_img;
    for (int r = 0; r < b->reps; r++) {
        double s = 0;
        long rss = 0;
        sync();
        if (spawn_timed(ours, &s, &rss) != 0) c->ours_ok = 0;
        if (r == 0 || s < c->ours_s) c->ours_s = s;
        if (rss > c->ours_rss_kib) c->ours_rss_kib = rss;
        if (out) {
            c->out_bytes = allocated(out);
            if (r + 1 < b->reps || !b->keep_out) unlink(out);
        }
        if (c->theirs_ok) {
            sync();
            if (spawn_timed(theirs, &s, NULL) != 0) c->theirs_ok = 0;
            if (r == 0 || s < c->theirs_s) c->theirs_s = s;
        }
        unlink(b->p[F_QOUT]);
    }
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

static int prepare(bctx *b, int quick, uint64_t *gib)
{
    ssize_t n = readlink("/proc/self/exe", b->self, sizeof b->self - 1);
    if (n <= 0) return -1;
    b->self[n] = '\0';
    for (int i = 0; i < 8; i++)
        snprintf(b->p[i], sizeof b->p[i], "%s/%s", b->dir, fname[i]);
    *gib = quick ? (64u << 20) : (1u << 30);
    return make_raw(b->p[F_RAND], *gib, 0);
}

int bench_data_run(const char *dir, int quick, const char *qemu_img, bench_data *d)
{
    static bctx b;
    memset(&b, 0, sizeof b);
    memset(d, 0, sizeof *d);
    b.dir = dir;
    b.qemu_img = qemu_img;
    b.reps = quick ? 1 : 3;
    uint64_t io;
    char sz_fixed[32];
    if (prepare(&b, quick, &io) != 0) {
        cli_err("bench: cannot prepare %s: %s", dir, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    snprintf(sz_fixed, sizeof sz_fixed, "%s", quick ? "256M" : "4G");
    char *S = b.self, *QI = (char *)qemu_img;
    char *p[8];
    for (int i = 0; i < 8; i++) p[i] = b.p[i];
    double t;

    /* a fully written dynamic image (our convert of the random raw file) */
    char *mk_dyn[] = { S, "convert", p[F_RAND], p[F_DYN], NULL };
    if (spawn_timed(mk_dyn, &t, NULL) != 0) return CLI_EXIT_FAIL;

    bench_case *c = &d->c[d->n++];
    c->name = "vhdx_to_raw";
    c->what = "fully written dynamic image -> raw, both tools' defaults";
    c->target = 1.5;
    char *o1[] = { S, "convert", p[F_DYN], p[F_OUT], NULL };
    char *q1[] = { QI, "convert", "-f", "vhdx", "-O", "raw", p[F_DYN], p[F_QOUT], NULL };
    run_case(&b, c, o1, q1, p[F_OUT]);

    c = &d->c[d->n++];
    c->name = "vhdx_to_raw_sync";
    c->what = "the same with --sync vs qemu-img -t writeback";
    c->target = 1.0;
    char *o2[] = { S, "convert", "--sync", p[F_DYN], p[F_OUT], NULL };
    char *q2[] = { QI, "convert", "-t", "writeback", "-f", "vhdx", "-O", "raw", p[F_DYN], p[F_QOUT], NULL };
    run_case(&b, c, o2, q2, p[F_OUT]);
    unlink(p[F_DYN]);

    c = &d->c[d->n++];
    c->name = "raw_to_dynamic";
    c->what = "random raw file -> dynamic VHDX";
    c->target = 2.0;
    char *o3[] = { S, "convert", p[F_RAND], p[F_SPVHDX], NULL };
    char *q3[] = { QI, "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic", p[F_RAND], p[F_QOUT], NULL };
    run_case(&b, c, o3, q3, p[F_SPVHDX]);
    unlink(p[F_RAND]);

    /* fixed image, 8 MiB of data in a sparse host file */
    char *mk_fixed[] = { S, "create", "--type", "fixed", p[F_FIXED], sz_fixed, NULL };
    if (spawn_timed(mk_fixed, &t, NULL) != 0 || make_raw(p[F_SPARSE], 8u << 20, 0) != 0)
        return CLI_EXIT_FAIL;
    char *fill[] = { S, "write", p[F_FIXED], "1G", p[F_SPARSE], NULL };
    if (quick) fill[3] = "64M";
    if (spawn_timed(fill, &t, NULL) != 0) return CLI_EXIT_FAIL;
    c = &d->c[d->n++];
    c->name = "fixed_sparse_to_raw";
    c->what = "fixed image, 8 MiB of data in a sparse host file -> raw";
    c->target = 10.0;
    char *o4[] = { S, "convert", p[F_FIXED], p[F_OUT], NULL };
    char *q4[] = { QI, "convert", "-f", "vhdx", "-O", "raw", p[F_FIXED], p[F_QOUT], NULL };
    run_case(&b, c, o4, q4, p[F_OUT]);
    unlink(p[F_FIXED]);

    /* sparse raw holding 16 MiB -> dynamic; then compare two such images */
    uint64_t big = quick ? (1ull << 30) : (64ull << 30);
    if (make_raw(p[F_SPARSE], big, 1) != 0) return CLI_EXIT_FAIL;
    c = &d->c[d->n++];
    c->name = "sparse_raw_to_dynamic";
    c->what = "sparse raw holding 16 MiB -> dynamic VHDX (output must stay under 64 MiB)";
    c->target = 10.0;
    char *o5[] = { S, "convert", p[F_SPARSE], p[F_SPVHDX], NULL };
    char *q5[] = { QI, "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic", p[F_SPARSE], p[F_QOUT], NULL };
    b.keep_out = 1;
    run_case(&b, c, o5, q5, p[F_SPVHDX]);
    b.keep_out = 0;
    char *mk2[] = { S, "convert", p[F_SPARSE], p[F_SPVHDX2], NULL };
    if (spawn_timed(mk2, &t, NULL) != 0) return CLI_EXIT_FAIL;
    unlink(p[F_SPARSE]);
    c = &d->c[d->n++];
    c->name = "compare_sparse";
    c->what = "compare two dynamic images of sparse disks holding 16 MiB each";
    c->target = 10.0;
    char *o6[] = { S, "compare", p[F_SPVHDX], p[F_SPVHDX2], NULL };
    char *q6[] = { QI, "compare", "-f", "vhdx", "-F", "vhdx", p[F_SPVHDX], p[F_SPVHDX2], NULL };
    run_case(&b, c, o6, q6, NULL);
    unlink(p[F_SPVHDX]);
    unlink(p[F_SPVHDX2]);
    return CLI_EXIT_OK;
}

static double ratio(const bench_case *c)
{
    return c->ours_ok && c->theirs_ok && c->ours_s > 0 ? c->theirs_s / c->ours_s : 0.0;
}

void bench_data_text(const bench_data *d)
{
    printf("\ndata movement (child processes; ratio = qemu-img time / vhdx time)\n");
    for (int i = 0; i < d->n; i++) {
        const bench_case *c = &d->c[i];
        printf("  %-22s %s\n", c->name, c->what);
        printf("  %-22s vhdx %8.3f s (peak RSS %ld KiB%s)", "", c->ours_s, c->ours_rss_kib,
               c->ours_rss_kib <= 64 * 1024 ? "" : ", over 64 MiB");
        if (c->out_bytes) printf(", output %" PRIu64 " KiB allocated", c->out_bytes >> 10);
        if (c->theirs_ok)
            printf("; qemu-img %8.3f s; ratio %.2fx (target >= %.1fx: %s)\n", c->theirs_s,
                   ratio(c), c->target, ratio(c) >= c->target ? "PASS" : "FAIL");
        else
            printf("; qemu-img did not run\n");
        if (!c->ours_ok) printf("  %-22s vhdx FAILED\n", "");
    }
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
        json_key(w, "vhdx_s");
        json_fixed6(w, c->ours_s);
        json_ku64(w, "peak_rss_kib", (uint64_t)c->ours_rss_kib);
        json_ku64(w, "output_allocated", c->out_bytes);
        json_key(w, "qemu_img_s");
        if (c->theirs_ok) json_fixed6(w, c->theirs_s);
        else json_null(w);
        json_key(w, "ratio");
        if (c->theirs_ok) json_fixed6(w, ratio(c));
        else json_null(w);
        json_key(w, "target_ratio");
        json_fixed6(w, c->target);
        json_end(w);
    }
    json_end(w);
}
