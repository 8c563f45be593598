/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_bench.c - `vhdx bench`: CRC-32C, convert and write throughput, next to a byte-at-a-time
 * CRC table and (when installed) qemu-io/qemu-img doing the same work in the same run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_commit.h"
#include "bench_logscan.h"
#include "bench_maint.h"
#include "bench_data.h"
#include "cli.h"
#include "json.h"
#include "util.h"

extern char **environ;

static const char usage[] =
    "usage: vhdx bench [--quick] [--log-scan-only] [--compact-only] [--data-only] [--json]\n";

static const char help[] =
    "\n"
    "Measures, in one run:\n"
    "  - CRC-32C throughput of vhdx_crc32c at 4 KiB, 64 KiB and 1 MiB next to a byte-at-a-time\n"
    "    table implementation (GB/s and ratio; target: ratio >= 30x at 1 MiB, PASS/FAIL);\n"
    "  - convert of a fixed 1 GiB image whose host file is sparse (virtual bytes per second);\n"
    "  - sequential write of 1 GiB into a new dynamic image;\n"
    "  - 2000 random aligned 4 KiB writes into a new dynamic 1 GiB image (fixed seed);\n"
    "  - data movement, each case as a child process next to qemu-img (ratio of times, peak\n"
    "    RSS): 1 GiB dynamic -> raw (defaults, and --sync vs -t writeback), a fixed 4 GiB\n"
    "    image holding 8 MiB in a sparse host file -> raw, 1 GiB random raw -> dynamic, a\n"
    "    64 GiB sparse raw holding 16 MiB -> dynamic, and compare of two such images; each\n"
    "    case after a sync() and one untimed run of each tool, the two tools alternately,\n"
    "    medians of 3 to 11 runs of each (1 for compare and with --quick), with the CPU\n"
    "    times, the load average and, for raw sources, the time of cp copying the same file\n"
    "    (the floor);\n"
    "  - commit of a differencing child holding 1 GiB into a 4 GiB dynamic parent, and of\n"
    "    one holding a quarter of that (time proportional to the data moved);\n"
    "  - compact of a 1 GiB dynamic image (32 MiB blocks) with half its blocks discarded\n"
    "    (every other one) and with every 8th discarded: seconds next to the bytes moved\n"
    "    (the time follows the data moved);\n"
    "  - the read-only open of images whose 256 MiB and 1 GiB logs are full of valid entries\n"
    "    with no valid head (hostile: target <= 2 s for 1 GiB, PASS/FAIL) and peak memory;\n"
    "each I/O test next to qemu-img/qemu-io doing the same work when they are installed.\n"
    "Temporary files live in a private folder under $TMPDIR (default /tmp) and are removed.\n"
    "\n"
    "options:\n"
    "  --quick    small sizes (64 MiB, 200 random writes, short CRC runs, 64 MiB log)\n"
    "  --log-scan-only  only the hostile-log open\n"
    "  --compact-only   only the compact case\n"
    "  --data-only      only the data movement cases\n"
    "  --json     machine-readable output\n"
    "  -h, --help show this help\n"
    "\n"
    "Exit codes: 0 success (whatever PASS/FAIL says), 1 usage or I/O error, 2 a library\n"
    "operation failed.\n";

/* ---- byte-at-a-time baseline: reflected Castagnoli polynomial 0x82F63B78 ---- */

static uint32_t crc_table[256];

static void crc_table_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1u) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc_bytewise(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--) crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

static volatile uint32_t crc_sink;

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);

static uint32_t crc_bytewise_adapter(uint32_t crc, const void *p, size_t n)
{
    return crc_bytewise(crc, (const uint8_t *)p, n);
}

/* Bytes per second of fn over `size`-byte calls, repeated for at least `min_time` s. */
static double crc_measure_once(crc_fn fn, const uint8_t *buf, size_t size, double min_time)
{
    uint64_t iters = 0, batch = 1;
    double t0 = cli_now(), el;
    uint32_t acc = 0;
    for (;;) {
        for (uint64_t k = 0; k < batch; k++) acc ^= fn(acc, buf, size);
        iters += batch;
        el = cli_now() - t0;
        if (el >= min_time) break;
        if (batch < (1u << 20)) batch *= 2;
    }
    crc_sink = acc;
    return (double)iters * (double)size / el;
}

/* Best of `trials` runs: the machine may be shared, and the fastest run is the one least
 * disturbed by other processes. */
static double crc_measure(crc_fn fn, const uint8_t *buf, size_t size, double min_time,
                          int trials)
{
    double best = 0.0;
    for (int t = 0; t < trials; t++) {
        double v = crc_measure_once(fn, buf, size, min_time / trials);
        if (v > best) best = v;
    }
    return best;
}

/* ---- helpers ---- */

typedef struct io_result {
    int ok;           /* measured */
    double seconds;
    double bytes_per_s;
    char note[96];    /* why not measured */
} io_result;

static char bench_dir[4096];

/* Files the benchmark may leave in bench_dir; removed by the signal handler on interrupt. */
static char bench_files[5][4200];
static volatile sig_atomic_t bench_dir_active;

static void bench_on_signal(int sig)
{
    if (bench_dir_active) {
        for (int i = 0; i < 5; i++)
            if (bench_files[i][0]) unlink(bench_files[i]);
        rmdir(bench_dir);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static int bench_path(char *buf, size_t n, const char *name)
{
    int r = snprintf(buf, n, "%s/%s", bench_dir, name);
    return r < 0 || (size_t)r >= n ? -1 : 0;
}

static int have_program(const char *name, char *full, size_t n)
{
    const char *path = getenv("PATH");
    if (!path) path = "/usr/bin:/bin";
    while (*path) {
        const char *e = strchr(path, ':');
        size_t len = e ? (size_t)(e - path) : strlen(path);
        int r = snprintf(full, n, "%.*s/%s", (int)len, len ? path : ".", name);
        if (r > 0 && (size_t)r < n && access(full, X_OK) == 0) return 1;
        path += len + (e ? 1 : 0);
    }
    return 0;
}

/* Runs argv with stdout/stderr to /dev/null; returns its exit status or -1. */
static int run_quiet(char *const argv[])
{
    return bench_spawn(argv, NULL, NULL);
}

static int create_image(const char *path, vhdx_disk_type type, uint64_t size)
{
    vhdx_create_params p;
    vhdx_diag d;
    vhdx_create_params_default(&p);
    vhdx_diag_clear(&d);
    p.type = type;
    p.virtual_size = size;
    p.block_size = 32u * 1024u * 1024u;
    p.logical_sector_size = 512;
    p.physical_sector_size = 512;
    int rc = vhdx_create(path, &p, &d);
    if (rc != VHDX_OK) return cli_fail(path, rc, &d);
    return CLI_EXIT_OK;
}

static uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

#define RAND_SEED 0x5eedULL

/* ---- the I/O benchmarks ---- */

static int bench_convert(uint64_t size, io_result *ours, io_result *qemu, const char *qemu_img)
{
    char img[4200], out[4200];
    if (bench_path(img, sizeof img, "fixed.vhdx") || bench_path(out, sizeof out, "out.raw"))
        return CLI_EXIT_USAGE;
    int ex = create_image(img, VHDX_TYPE_FIXED, size);
    if (ex != CLI_EXIT_OK) return ex;
    vhdx_image *im;
    ex = cli_open_image(img, NULL, 0, 0, &im);
    if (ex != CLI_EXIT_OK) goto done;
    uint64_t nread = 0;
    double t0 = cli_now();
    ex = cli_convert_to_raw(im, img, out, 0, &nread);
    double el = cli_now() - t0;
    (void)vhdx_close(im);
    if (ex != CLI_EXIT_OK) goto done;
    ours->ok = 1;
    ours->seconds = el;
    /* virtual bytes per second, as for qemu-img: host holes are skipped, not read */
    (void)nread;
    ours->bytes_per_s = (double)size / el;
    unlink(out);
    if (qemu_img) {
        char *argv[] = { (char *)qemu_img, (char *)"convert", (char *)"-f", (char *)"vhdx",
                         (char *)"-O", (char *)"raw", img, out, NULL };
        t0 = cli_now();
        int st = run_quiet(argv);
        el = cli_now() - t0;
        if (st == 0) {
            qemu->ok = 1;
            qemu->seconds = el;
            qemu->bytes_per_s = (double)size / el;
        } else {
            snprintf(qemu->note, sizeof qemu->note, "qemu-img convert failed (status %d)", st);
        }
        unlink(out);
    } else {
        snprintf(qemu->note, sizeof qemu->note, "qemu-img not installed");
    }
done:
    unlink(img);
    return ex;
}

/* Writes `count` chunks of `chunk` bytes at offsets[i] (or sequentially when offsets is
 * NULL) into a new dynamic image of `size`, then flushes and closes; all timed. */
static int run_ours(const char *img, uint64_t size, const uint64_t *offsets, size_t count,
                    size_t chunk, uint8_t pattern, io_result *r)
{
    int ex = create_image(img, VHDX_TYPE_DYNAMIC, size);
    if (ex != CLI_EXIT_OK) return ex;
    uint8_t *buf = malloc(chunk);
    if (!buf) {
        cli_err("out of memory");
        return CLI_EXIT_USAGE;
    }
    memset(buf, pattern, chunk);
    double t0 = cli_now();
    vhdx_image *im;
    ex = cli_open_image(img, NULL, 0, 1, &im);
    if (ex != CLI_EXIT_OK) {
        free(buf);
        return ex;
    }
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = VHDX_OK;
    for (size_t i = 0; i < count && rc == VHDX_OK; i++) {
        uint64_t off = offsets ? offsets[i] : (uint64_t)i * chunk;
        rc = vhdx_write(im, off, buf, chunk, &d);
    }
    if (rc == VHDX_OK) rc = vhdx_flush(im, &d);
    if (rc != VHDX_OK) {
        ex = cli_fail(img, rc, &d);
        (void)vhdx_close(im);
        free(buf);
        return ex;
    }
    rc = vhdx_close(im);
    double el = cli_now() - t0;
    free(buf);
    if (rc != VHDX_OK) return cli_fail(img, rc, NULL);
    r->ok = 1;
    r->seconds = el;
    r->bytes_per_s = (double)count * (double)chunk / el;
    return CLI_EXIT_OK;
}

static void run_qemu(const char *qemu_img, const char *qemu_io, const char *img, uint64_t size,
                     const uint64_t *offsets, size_t count, size_t chunk, unsigned pattern,
                     io_result *r)
{
    if (!qemu_img || !qemu_io) {
        snprintf(r->note, sizeof r->note, "qemu-img/qemu-io not installed");
        return;
    }
    char sz[32];
    snprintf(sz, sizeof sz, "%" PRIu64, size);
    char *cargv[] = { (char *)qemu_img, (char *)"create", (char *)"-f", (char *)"vhdx",
                      (char *)"-o", (char *)"subformat=dynamic,block_size=32M", (char *)img, sz,
                      NULL };
    int st = run_quiet(cargv);
    if (st != 0) {
        snprintf(r->note, sizeof r->note, "qemu-img create failed (status %d)", st);
        unlink(img);
        return;
    }
    /* qemu-io -f vhdx -t writeback -c CMD ... IMG: one command per write, like ours.
     * qemu-io defaults to writethrough (a flush after every write); writeback flushes on
     * close, as our run does (vhdx_flush + vhdx_close). */
    size_t argc = 5 + 2 * count + 2;
    char **argv = calloc(argc, sizeof *argv);
    char *cmds = calloc(count, 64);
    if (!argv || !cmds) {
        snprintf(r->note, sizeof r->note, "out of memory");
        free(argv);
        free(cmds);
        unlink(img);
        return;
    }
    size_t k = 0;
    argv[k++] = (char *)qemu_io;
    argv[k++] = (char *)"-f";
    argv[k++] = (char *)"vhdx";
    argv[k++] = (char *)"-t";
    argv[k++] = (char *)"writeback";
    for (size_t i = 0; i < count; i++) {
        uint64_t off = offsets ? offsets[i] : (uint64_t)i * chunk;
        char *c = cmds + i * 64;
        snprintf(c, 64, "write -P 0x%02x %" PRIu64 " %zu", pattern & 0xffu, off, chunk);
        argv[k++] = (char *)"-c";
        argv[k++] = c;
    }
    argv[k++] = (char *)img;
    argv[k] = NULL;
    double t0 = cli_now();
    st = run_quiet(argv);
    double el = cli_now() - t0;
    if (st == 0) {
        r->ok = 1;
        r->seconds = el;
        r->bytes_per_s = (double)count * (double)chunk / el;
    } else {
        snprintf(r->note, sizeof r->note, "qemu-io failed (status %d)", st);
    }
    free(argv);
    free(cmds);
    unlink(img);
}

/* ---- output ---- */

static void print_io_text(const char *title, const io_result *o, const io_result *q,
                          const char *qname, size_t ops)
{
    printf("%s\n", title);
    if (o->ok) {
        printf("  vhdx:     %8.3f GB/s (%.3f s", o->bytes_per_s / 1e9, o->seconds);
        if (ops) printf(", %.0f writes/s", (double)ops / o->seconds);
        printf(")\n");
    } else {
        printf("  vhdx:     failed\n");
    }
    if (q->ok) {
        printf("  %-9s %8.3f GB/s (%.3f s", qname, q->bytes_per_s / 1e9, q->seconds);
        if (ops) printf(", %.0f writes/s", (double)ops / q->seconds);
        printf(")\n");
        if (o->ok) printf("  ratio vhdx/%s: %.2fx\n", qname, o->bytes_per_s / q->bytes_per_s);
    } else {
        printf("  %-9s n/a (%s)\n", qname, q->note);
    }
}

static void print_io_json(json_w *w, const char *key, const io_result *o, const io_result *q,
                          const char *qname, uint64_t bytes, size_t ops)
{
    json_key(w, key);
    json_obj(w, NULL);
    json_ku64(w, "bytes", bytes);
    if (ops) json_ku64(w, "writes", ops);
    json_key(w, "vhdx_seconds");
    json_fixed6(w, o->ok ? o->seconds : NAN);
    json_key(w, "vhdx_gbps");
    json_fixed6(w, o->ok ? o->bytes_per_s / 1e9 : NAN);
    json_kstr(w, "reference", qname);
    json_key(w, "reference_seconds");
    json_fixed6(w, q->ok ? q->seconds : NAN);
    json_key(w, "reference_gbps");
    json_fixed6(w, q->ok ? q->bytes_per_s / 1e9 : NAN);
    json_key(w, "ratio");
    json_fixed6(w, !q->ok ? NAN : o->ok ? o->bytes_per_s / q->bytes_per_s : 0.0);
    json_kstr(w, "reference_note", q->ok ? NULL : q->note);
    json_end(w);
}

static int rm_tree_dir(void)
{
    /* every file is unlinked as soon as its test ends; only the folder is left */
    return rmdir(bench_dir);
}

static const size_t crc_sizes[3] = { 4096, 65536, 1048576 };

typedef struct bench_results {
    int quick;
    double lib_bps[3], tab_bps[3], ratio_1m;   /* CRC-32C, by crc_sizes */
    int crc_pass;
    const char *crc_path;
    uint64_t io_size;
    size_t nrand;
    io_result conv, conv_q, seq, seq_q, rnd, rnd_q;
    int log_only;
    size_t nlog;
    logscan_result logscan[2];
    compact_result compact[2];
    bench_data data;
    bench_commit commit;
} bench_results;

/* The hostile-log opens: 64 MiB (--quick) or 256 MiB and 1 GiB. */
static int bench_logs(bench_results *b)
{
    static const uint64_t full[2] = { 256ull << 20, 1ull << 30 }, quick[1] = { 64ull << 20 };
    char img[4200];
    b->nlog = b->quick ? 1 : 2;
    for (size_t i = 0; i < b->nlog; i++) {
        if (bench_path(img, sizeof img, "hostile-log.vhdx") != 0) return CLI_EXIT_USAGE;
        int ex = bench_logscan(img, b->quick ? quick[i] : full[i], &b->logscan[i]);
        if (ex != CLI_EXIT_OK) return ex;
    }
    return CLI_EXIT_OK;
}

static int bench_crc(bench_results *b)
{
    const double min_time = b->quick ? 0.05 : 1.0;
    uint8_t *cbuf = malloc(crc_sizes[2]);
    if (!cbuf) {
        cli_err("out of memory");
        return CLI_EXIT_USAGE;
    }
    uint64_t seed = RAND_SEED;
    for (size_t i = 0; i < crc_sizes[2]; i++) cbuf[i] = (uint8_t)xorshift64(&seed);
    crc_table_init();
    if (crc_bytewise(0, (const uint8_t *)"123456789", 9) != 0xE3069283u ||
        vhdx_crc32c(0, cbuf, crc_sizes[2]) != crc_bytewise(0, cbuf, crc_sizes[2])) {
        free(cbuf);
        cli_err("bench: vhdx_crc32c disagrees with the byte-at-a-time table");
        return CLI_EXIT_FAIL;
    }
    for (int s = 0; s < 3; s++) {
        b->lib_bps[s] = crc_measure(vhdx_crc32c, cbuf, crc_sizes[s], min_time, 5);
        b->tab_bps[s] = crc_measure(crc_bytewise_adapter, cbuf, crc_sizes[s], min_time, 5);
    }
    free(cbuf);
    b->ratio_1m = b->lib_bps[2] / b->tab_bps[2];
    b->crc_pass = b->ratio_1m >= 30.0;
    b->crc_path = vhdx_crc32c_hw_available() ? "hardware" : "software";
    return CLI_EXIT_OK;
}

/* The private folder under $TMPDIR, with room for the I/O tests, and the signal handler
 * that removes it on interrupt. */
static int bench_dir_setup(uint64_t io_size)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0]) tmp = "/tmp";
    int n = snprintf(bench_dir, sizeof bench_dir, "%s/vhdx-bench-XXXXXX", tmp);
    if (n < 0 || (size_t)n >= sizeof bench_dir || !mkdtemp(bench_dir)) {
        cli_err("bench: cannot create a temporary folder in %s: %s", tmp, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    struct statvfs vfs;
    if (statvfs(bench_dir, &vfs) == 0 &&
        (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize < 3 * io_size) {
        cli_err("bench: %s needs %" PRIu64 " MiB of free space", bench_dir, (3 * io_size) >> 20);
        rm_tree_dir();
        return CLI_EXIT_USAGE;
    }
    static const char *const names[5] = { "fixed.vhdx", "out.raw", "seq.vhdx", "rand.vhdx", "" };
    for (int i = 0; i < 4; i++)
        if (bench_path(bench_files[i], sizeof bench_files[i], names[i]) != 0)
            bench_files[i][0] = '\0';
    bench_files[4][0] = '\0';
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bench_on_signal;
    sigemptyset(&sa.sa_mask);
    bench_dir_active = 1;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    return CLI_EXIT_OK;
}

/* Removes the folder of bench_dir_setup (from now on the signal handler leaves it alone). */
static void bench_dir_teardown(void)
{
    bench_dir_active = 0;
    rm_tree_dir();
}

/* convert, sequential and random writes, each next to qemu when installed */
static int bench_io(bench_results *b)
{
    char qemu_img[4096], qemu_io[4096], img[4200];
    const char *qi = have_program("qemu-img", qemu_img, sizeof qemu_img) ? qemu_img : NULL;
    const char *qo = have_program("qemu-io", qemu_io, sizeof qemu_io) ? qemu_io : NULL;
    const size_t seq_chunk = 1024u * 1024u, nseq = (size_t)(b->io_size / seq_chunk);
    int ex = bench_convert(b->io_size, &b->conv, &b->conv_q, qi);
    if (ex == CLI_EXIT_OK && bench_path(img, sizeof img, "seq.vhdx") == 0) {
        ex = run_ours(img, b->io_size, NULL, nseq, seq_chunk, 0xab, &b->seq);
        unlink(img);
        if (ex == CLI_EXIT_OK)
            run_qemu(qi, qo, img, b->io_size, NULL, nseq, seq_chunk, 0xab, &b->seq_q);
    }
    if (ex != CLI_EXIT_OK || bench_path(img, sizeof img, "rand.vhdx") != 0) return ex;
    uint64_t *offs = malloc(b->nrand * sizeof *offs), seed = RAND_SEED;
    if (!offs) {
        cli_err("out of memory");
        return CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < b->nrand; i++)
        offs[i] = (xorshift64(&seed) % (b->io_size / 4096)) * 4096;
    ex = run_ours(img, b->io_size, offs, b->nrand, 4096, 0xcd, &b->rnd);
    unlink(img);
    if (ex == CLI_EXIT_OK) run_qemu(qi, qo, img, b->io_size, offs, b->nrand, 4096, 0xcd, &b->rnd_q);
    free(offs);
    return ex;
}

/* the top-level object of --json: one member a line */
static const json_style json_top = { "\n  ", ",\n  ", "\n", NULL };

static void print_json(const bench_results *b)
{
    static const json_style crc = { "\n    ", ",\n    ", "\n  ", NULL };
    static const json_style rows = { "\n      ", ",\n      ", "\n    ", NULL };
    json_w w;
    json_init(&w, stdout);
    json_obj(&w, &json_top);
    json_kbool(&w, "quick", b->quick);
    json_key(&w, "crc32c");
    json_obj(&w, &crc);
    json_kstr(&w, "path", b->crc_path);
    json_key(&w, "sizes");
    json_arr(&w, &rows);
    for (int s = 0; s < 3; s++) {
        json_obj(&w, NULL);
        json_ku64(&w, "bytes", crc_sizes[s]);
        json_key(&w, "vhdx_gbps");
        json_fixed6(&w, b->lib_bps[s] / 1e9);
        json_key(&w, "table_gbps");
        json_fixed6(&w, b->tab_bps[s] / 1e9);
        json_key(&w, "ratio");
        json_fixed6(&w, b->lib_bps[s] / b->tab_bps[s]);
        json_end(&w);
    }
    json_end(&w);
    json_ku64(&w, "target_ratio_1m", 30);
    json_key(&w, "ratio_1m");
    json_fixed6(&w, b->ratio_1m);
    json_kbool(&w, "pass", b->crc_pass);
    json_end(&w);
    print_io_json(&w, "convert_read", &b->conv, &b->conv_q, "qemu-img convert", b->io_size, 0);
    print_io_json(&w, "sequential_write", &b->seq, &b->seq_q, "qemu-io", b->io_size, 0);
    print_io_json(&w, "random_write_4k", &b->rnd, &b->rnd_q, "qemu-io",
                  (uint64_t)b->nrand * 4096, b->nrand);
    json_key(&w, "hostile_log_open");
    json_arr(&w, &crc);
    for (size_t i = 0; i < b->nlog; i++) {
        const logscan_result *l = &b->logscan[i];
        json_obj(&w, NULL);
        json_ku64(&w, "log_bytes", l->log_len);
        json_key(&w, "seconds");
        json_fixed6(&w, l->seconds);
        json_key(&w, "cpu_seconds");
        json_fixed6(&w, l->cpu_seconds);
        json_ku64(&w, "max_rss_kib", (uint64_t)l->max_rss_kib);
        json_kstr(&w, "status", vhdx_status_name(l->rc));
        json_end(&w);
    }
    json_end(&w);
    if (!b->log_only) {
        json_key(&w, "compact");
        json_arr(&w, &crc);
        for (int i = 0; i < 2; i++) {
            const compact_result *r = &b->compact[i];
            json_obj(&w, NULL);
            json_ku64(&w, "virtual_size", r->virtual_size);
            json_ku64(&w, "free_every", r->free_every);
            json_key(&w, "seconds");
            json_fixed6(&w, r->seconds);
            json_ku64(&w, "blocks_moved", r->blocks_moved);
            json_ku64(&w, "bytes_moved", r->bytes_moved);
            json_ku64(&w, "file_before", r->file_before);
            json_ku64(&w, "file_after", r->file_after);
            json_end(&w);
        }
        json_end(&w);
    }
    bench_data_json(&w, &b->data);
    bench_commit_json(&w, &b->commit);
    json_end(&w);
    fputc('\n', stdout);
}

static void print_text(const bench_results *b)
{
    char hs[32], title[160];
    printf("vhdx bench%s\n\n", b->quick ? " (--quick: reduced sizes)" : "");
    printf("CRC-32C (vhdx_crc32c %s path vs byte-at-a-time table)\n", b->crc_path);
    printf("  %-8s %14s %14s %9s\n", "size", "vhdx_crc32c", "byte table", "ratio");
    for (int s = 0; s < 3; s++)
        printf("  %-8s %9.3f GB/s %9.3f GB/s %8.1fx\n",
               cli_human_size(crc_sizes[s], hs, sizeof hs), b->lib_bps[s] / 1e9,
               b->tab_bps[s] / 1e9, b->lib_bps[s] / b->tab_bps[s]);
    printf("  target: 1 MiB ratio >= 30x: %s (%.1fx)\n\n", b->crc_pass ? "PASS" : "FAIL",
           b->ratio_1m);
    cli_human_size(b->io_size, hs, sizeof hs);
    snprintf(title, sizeof title,
             "convert: fixed %s image in a sparse host file (holes skipped; GB/s of virtual "
             "disk)", hs);
    print_io_text(title, &b->conv, &b->conv_q, "qemu-img", 0);
    snprintf(title, sizeof title,
             "\nsequential write: %s in 1 MiB writes into a new dynamic image", hs);
    print_io_text(title, &b->seq, &b->seq_q, "qemu-io", 0);
    snprintf(title, sizeof title,
             "\nrandom writes: %zu x 4 KiB at aligned offsets (seed 0x%llx) into a new dynamic "
             "%s image",
             b->nrand, (unsigned long long)RAND_SEED, hs);
    print_io_text(title, &b->rnd, &b->rnd_q, "qemu-io", b->nrand);
    bench_data_text(&b->data);
    bench_commit_text(&b->commit);
}

static int bench_compacts(bench_results *b)
{
    static const unsigned every[2] = { 2, 8 };
    char path[4200];
    for (int i = 0; i < 2; i++) {
        compact_result *r = &b->compact[i];
        /* 1 GiB: the fill, the compact and the check of a 4 GiB image took most of a
         * minute, as long as everything else together */
        r->virtual_size = b->quick ? (64ull << 20) : (1ull << 30);
        r->free_every = every[i];
        if (bench_path(path, sizeof path, "compact.vhdx") != 0) return CLI_EXIT_USAGE;
        int ex = bench_compact(path, r);
        if (ex != CLI_EXIT_OK) return ex;
    }
    return CLI_EXIT_OK;
}

static void print_compact_text(const bench_results *b)
{
    char hs[32];
    printf("\ncompact: dynamic %s image, 32 MiB blocks (time follows the bytes moved)\n",
           cli_human_size(b->compact[0].virtual_size, hs, sizeof hs));
    for (int i = 0; i < 2; i++) {
        const compact_result *r = &b->compact[i];
        printf("  1 block in %u discarded: %8.3f s   %4" PRIu64 " blocks, %6.0f MiB moved (%.0f MiB/s)"
               "   file %" PRIu64 " -> %" PRIu64 " MiB\n", r->free_every, r->seconds, r->blocks_moved,
               (double)r->bytes_moved / 1048576.0,
               r->seconds > 0 ? (double)r->bytes_moved / 1048576.0 / r->seconds : 0.0,
               r->file_before >> 20, r->file_after >> 20);
    }
}

static void print_logs_text(const bench_results *b)
{
    char hs[32];
    printf("\nhostile log open: valid entries, no valid head (target: 1 GiB <= 2 s)\n");
    for (size_t i = 0; i < b->nlog; i++) {
        const logscan_result *l = &b->logscan[i];
        printf("  %-8s %8.3f s (CPU %.3f s)   peak RSS %ld MiB   %s%s\n",
               cli_human_size(l->log_len, hs, sizeof hs), l->seconds, l->cpu_seconds,
               l->max_rss_kib / 1024,
               vhdx_status_name(l->rc),
               l->log_len == (1ull << 30) ? (l->seconds <= 2.0 ? "   PASS" : "   FAIL") : "");
    }
}

/* --data-only: the data movement cases alone */
static int bench_data_only(bench_results *b, int json)
{
    char qemu_img[4096];
    const char *qi = have_program("qemu-img", qemu_img, sizeof qemu_img) ? qemu_img : NULL;
    int ex = bench_dir_setup(b->io_size);
    if (ex == CLI_EXIT_OK) ex = bench_data_run(bench_dir, b->quick, qi, &b->data);
    bench_dir_teardown();
    if (ex != CLI_EXIT_OK) return ex;
    if (!json) {
        bench_data_text(&b->data);
        return CLI_EXIT_OK;
    }
    json_w w;
    json_init(&w, stdout);
    json_obj(&w, &json_top);
    json_kbool(&w, "quick", b->quick);
    bench_data_json(&w, &b->data);
    json_end(&w);
    fputc('\n', stdout);
    return CLI_EXIT_OK;
}

int cmd_bench(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "quick", no_argument, NULL, 'q' }, { "json", no_argument, NULL, 'j' },
        { "log-scan-only", no_argument, NULL, 'L' }, { "compact-only", no_argument, NULL, 'C' },
        { "data-only", no_argument, NULL, 'D' },
        CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "bench", usage, help, "h", longopts, NULL, NULL, 0 };
    static bench_results b;
    int json = 0, compact_only = 0, data_only = 0, c;
    memset(&b, 0, sizeof b);
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == 'q') b.quick = 1;
        if (c == 'L') b.log_only = 1;
        if (c == 'C') compact_only = 1;
        if (c == 'D') data_only = 1;
        if (c == 'j') json = 1;
    }
    if (optind < argc)
        return cli_usage_error("bench", usage, "unexpected argument '%s'", argv[optind]);
    b.io_size = b.quick ? (64ull << 20) : (1ull << 30);
    b.nrand = b.quick ? 200 : 2000;
    if (data_only) return bench_data_only(&b, json);
    if (compact_only) {
        int cx = bench_dir_setup(0);
        if (cx == CLI_EXIT_OK) cx = bench_compacts(&b);
        bench_dir_teardown();
        if (cx == CLI_EXIT_OK) print_compact_text(&b);
        return cx;
    }
    int ex = b.log_only ? CLI_EXIT_OK : bench_crc(&b);
    if (ex == CLI_EXIT_OK) ex = bench_dir_setup(b.log_only ? 0 : b.io_size);
    if (ex != CLI_EXIT_OK) return ex;
    if (!b.log_only) ex = bench_io(&b);
    if (ex == CLI_EXIT_OK && !b.log_only) {
        char qemu_img[4096];
        const char *qi = have_program("qemu-img", qemu_img, sizeof qemu_img) ? qemu_img : NULL;
        ex = bench_data_run(bench_dir, b.quick, qi, &b.data);
        if (ex == CLI_EXIT_OK) ex = bench_commit_run(bench_dir, b.quick, &b.commit);
    }
    if (ex == CLI_EXIT_OK && !b.log_only) ex = bench_compacts(&b);
    if (ex == CLI_EXIT_OK) ex = bench_logs(&b);
    bench_dir_teardown();
    if (ex != CLI_EXIT_OK) return ex;
    if (json) print_json(&b);
    else if (!b.log_only) print_text(&b);
    if (!json && !b.log_only) print_compact_text(&b);
    if (!json) print_logs_text(&b);
    return CLI_EXIT_OK;
}
