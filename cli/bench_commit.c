/* SPDX-License-Identifier: Apache-2.0 */
/* bench_commit.c - `vhdx bench`: vhdx_commit time against the data moved. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_commit.h"
#include "util.h"

#define BC_BLOCK (2u * 1024u * 1024u)

static double cpu_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int bc_fail(const char *what, int rc, const vhdx_diag *d)
{
    cli_err("bench: %s", what);
    return cli_fail(what, rc, d);
}

/* Writes `bytes` of 2 MiB blocks (pattern fill) spread evenly over img. */
static int bc_fill(vhdx_image *img, uint64_t size, uint64_t bytes, uint8_t seed, uint8_t *buf)
{
    uint64_t n = bytes / BC_BLOCK, stride = size / n / BC_BLOCK * BC_BLOCK;
    vhdx_diag d;
    for (uint64_t i = 0; i < n; i++) {
        memset(buf, (int)(uint8_t)(seed + i), BC_BLOCK);
        vhdx_diag_clear(&d);
        int rc = vhdx_write(img, i * stride, buf, BC_BLOCK, &d);
        if (rc != VHDX_OK) return bc_fail("write", rc, &d);
    }
    return CLI_EXIT_OK;
}

/* Creates path from p and writes `data` bytes of blocks spread over its `size` bytes. */
static int bc_create(const char *path, const vhdx_create_params *p, uint64_t size, uint64_t data,
                     uint8_t seed, uint8_t *buf)
{
    vhdx_diag d;
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(path, p, &d);
    if (rc != VHDX_OK) return bc_fail("create", rc, &d);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    rc = vhdx_open_file(&img, path, &o, &d);
    if (rc != VHDX_OK) return bc_fail("open", rc, &d);
    int ex = bc_fill(img, size, data, seed, buf);
    rc = vhdx_close(img);
    if (ex == CLI_EXIT_OK && rc != VHDX_OK) ex = bc_fail("close", rc, NULL);
    return ex;
}

/* A parent of psize with psize/16 of its own data, a child with cdata, then the commit. */
static int bc_case(const char *dir, uint64_t psize, uint64_t cdata, uint8_t *buf, commit_case *c)
{
    char parent[4200], child[4200];
    vhdx_create_params p;
    snprintf(parent, sizeof parent, "%s/commit-parent.vhdx", dir);
    snprintf(child, sizeof child, "%s/commit-child.vhdx", dir);
    vhdx_create_params_default(&p);
    p.virtual_size = psize;
    int ex = bc_create(parent, &p, psize, psize / 16, 0x10, buf);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.parent_path = parent;
    p.virtual_size = 0;
    if (ex == CLI_EXIT_OK) ex = bc_create(child, &p, psize, cdata, 0x80, buf);
    if (ex == CLI_EXIT_OK) {
        vhdx_diag d;
        vhdx_diag_clear(&d);
        double t0 = cli_now(), c0 = cpu_now();
        int rc = vhdx_commit_file(child, NULL, &c->moved, &d);
        c->seconds = cli_now() - t0;
        c->cpu_seconds = cpu_now() - c0;
        if (rc != VHDX_OK) ex = bc_fail("commit", rc, &d);
    }
    c->parent_size = psize;
    c->child_data = cdata;
    unlink(child);
    unlink(parent);
    return ex;
}

int bench_commit_run(const char *dir, int quick, bench_commit *out)
{
    const uint64_t psize = quick ? (256ull << 20) : (4ull << 30);
    const uint64_t cdata = quick ? (64ull << 20) : (1ull << 30);
    uint8_t *buf = malloc(BC_BLOCK);
    memset(out, 0, sizeof *out);
    if (!buf) {
        cli_err("out of memory");
        return CLI_EXIT_USAGE;
    }
    int ex = bc_case(dir, psize, cdata, buf, &out->c[0]);
    if (ex == CLI_EXIT_OK) ex = bc_case(dir, psize, cdata / 4, buf, &out->c[1]);
    free(buf);
    out->ok = ex == CLI_EXIT_OK;
    return ex;
}

void bench_commit_text(const bench_commit *b)
{
    char hp[32], hc[32];
    printf("\ncommit: differencing child (2 MiB blocks spread over the disk) into a dynamic parent\n");
    for (int i = 0; i < 2; i++) {
        const commit_case *c = &b->c[i];
        printf("  %s child into %s parent: %8.3f s (CPU %.3f s), %" PRIu64 " bytes moved, %.1f MiB/s\n",
               cli_human_size(c->child_data, hc, sizeof hc), cli_human_size(c->parent_size, hp, sizeof hp),
               c->seconds, c->cpu_seconds, c->moved,
               c->seconds > 0 ? (double)c->moved / c->seconds / 1048576.0 : 0.0);
    }
    if (b->c[1].seconds > 0 && b->c[1].cpu_seconds > 0)
        printf("  time ratio %.2f (CPU %.2f) for a data ratio of %.2f (proportional to the data moved)\n",
               b->c[0].seconds / b->c[1].seconds, b->c[0].cpu_seconds / b->c[1].cpu_seconds,
               (double)b->c[0].moved / (double)(b->c[1].moved ? b->c[1].moved : 1));
}

void bench_commit_json(json_w *w, const bench_commit *b)
{
    json_key(w, "commit");
    json_arr(w, NULL);
    for (int i = 0; i < 2; i++) {
        const commit_case *c = &b->c[i];
        json_obj(w, NULL);
        json_ku64(w, "parent_bytes", c->parent_size);
        json_ku64(w, "child_bytes", c->child_data);
        json_ku64(w, "moved_bytes", c->moved);
        json_key(w, "seconds");
        json_fixed6(w, b->ok ? c->seconds : NAN);
        json_key(w, "cpu_seconds");
        json_fixed6(w, b->ok ? c->cpu_seconds : NAN);
        json_end(w);
    }
    json_end(w);
}
