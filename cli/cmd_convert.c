/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_convert.c - `vhdx convert`: a VHDX image or raw file (or a raw stream on stdin) into a
 * raw file or a new fixed/dynamic VHDX image, atomically (atomic_out.c). The copy is the
 * library's vhdx_convert; this file parses options, opens SRC and DST and names the file at
 * fault when it fails. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_out.h"
#include "cli.h"
#include "progress.h"
#include "util.h"
#include "vdisk.h"

static const char usage[] =
    "usage: vhdx convert [-U] [-f raw|vhdx] [-O raw|vhdx] [-p] [--sync] [-m N]\n"
    "                    [--type fixed|dynamic]\n"
    "                    [--block-size N] [--logical-sector S] [--physical-sector S]\n"
    "                    [--log-size N] [--size N] [--parent PATH] [--parent-ignore-linkage]\n"
    "                    SRC DST\n";

static const char help[] =
    "\n"
    "Converts the virtual disk of SRC (a VHDX image, a raw file, or '-' for a raw stream on\n"
    "standard input) into DST, a raw file or a new VHDX image. SRC's format is detected from\n"
    "the VHDX file identifier (-f forces it); DST's is -O, else vhdx when DST ends in .vhdx,\n"
    "else raw. A differencing SRC is flattened into one standalone image. Ranges that read as\n"
    "zeros are never written: a raw DST gets holes, a dynamic DST leaves their blocks\n"
    "unallocated. DST is written to a temporary file next to it and renamed when complete;\n"
    "on failure no output is left behind. SRC is opened read-only and never modified.\n"
    "A symbolic link DST is followed (its target is replaced); a raw DST that is a device, a\n"
    "FIFO or '-' (standard output) is written directly, every byte in order. A DST that is\n"
    "SRC or any image of SRC's parent chain is refused.\n"
    "\n"
    "options:\n"
    "  -f FMT                     format of SRC: raw or vhdx (default: detected)\n"
    "  -O FMT                     format of DST: raw or vhdx\n"
    "  -p                         progress bar (only when stderr is a terminal)\n"
    "  --sync                     make DST durable (fsync) before it is renamed into place\n"
    "                             (default: like qemu-img, no fsync)\n"
    "  -m, --parallel N           threads copying into a raw DST file, 1..8 (default: the\n"
    "                             online CPUs, at most 4; 1: no worker threads); each\n"
    "                             copies 1 MiB chunks at their own offsets with a 1 MiB\n"
    "                             buffer, the output is the same whatever N\n"
    "  --type T                   VHDX DST: fixed or dynamic (default dynamic)\n"
    "  --block-size N             VHDX DST: block size, power of two 1M..256M (default 32M)\n"
    "  --logical-sector S         VHDX DST: 512 or 4096 (default 512); the virtual size is\n"
    "                             SRC's rounded up to a whole sector\n"
    "  --physical-sector S        VHDX DST: 512 or 4096 (default 4096)\n"
    "  --log-size N               VHDX DST: log size, multiple of 1M (default 1M)\n"
    "  --size N                   virtual size of DST when SRC is '-' (required then; the\n"
    "                             stream may be shorter, the rest reads as zeros)\n"
    "  --parent PATH              parent image of a differencing SRC (overrides the locator)\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    CLI_HELP_FORCE_SHARE
    "  -h, --help                 show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image.\n";

/* ---- the job: SRC open (or stdin), DST through atomic_out, the copy in vhdx_convert ---- */

typedef struct conv_job {
    vdisk src;
    int from_stdin;
    uint64_t size;                /* --size of a stream SRC */
    const char *dst;
    int out_vhdx, sync;
    unsigned threads;             /* vhdx_convert_opts.threads */
    atomic_out out;
    vhdx_io dio;                  /* DST: the temporary file, or the direct stream */
    uint64_t spos;                /* direct stream: bytes written */
    cli_progress pg;
} conv_job;

/* a direct DST (device, FIFO, stdout): vhdx_convert writes it in order */
static int seq_write(void *ctx, uint64_t off, const void *buf, size_t n)
{
    conv_job *j = ctx;
    const uint8_t *p = buf;
    if (off != j->spos) {
        errno = ESPIPE;
        return VHDX_E_IO;
    }
    while (n > 0) {
        ssize_t w = write(j->out.fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return VHDX_E_IO;
        }
        p += (size_t)w;
        n -= (size_t)w;
        j->spos += (uint64_t)w;
    }
    return VHDX_OK;
}

static int seq_flush(void *ctx)
{
    (void)ctx;
    return VHDX_OK; /* atomic_out_commit syncs with --sync */
}

static int stdin_read(void *ctx, void *buf, size_t len, size_t *got)
{
    (void)ctx;
    for (;;) {
        ssize_t r = read(STDIN_FILENO, buf, len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return VHDX_E_IO;
        *got = (size_t)r;
        return VHDX_OK;
    }
}

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    (void)total;
    cli_progress_update(ctx, done);
}

/* The message of a failed vhdx_convert, naming the file at fault. */
static int conv_fail(conv_job *j, int rc, const vhdx_convert_stats *st, const vhdx_diag *d)
{
    if (j->from_stdin && rc == VHDX_E_RANGE) {
        cli_err("standard input: longer than --size (%" PRIu64 " bytes)", j->size);
        return CLI_EXIT_USAGE;
    }
    if (j->from_stdin && !st->dst_failed && vhdx_status_class(rc) == VHDX_CLASS_IO) {
        cli_err("standard input: %s", strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (!st->dst_failed) return cli_fail(j->src.name, rc, d);
    if (!j->out_vhdx && d->sys_errno && d->offset != UINT64_MAX) {
        cli_err("%s: write at offset %" PRIu64 ": %s", j->dst, d->offset, strerror(d->sys_errno));
        return CLI_EXIT_USAGE;
    }
    return cli_fail(j->dst, rc, d);
}

static int open_dst_io(conv_job *j)
{
    if (atomic_out_direct(&j->out)) {
        if (j->out_vhdx) {
            cli_err("%s: a VHDX DST must be a regular file", j->dst);
            return CLI_EXIT_USAGE;
        }
        memset(&j->dio, 0, sizeof j->dio);
        j->dio.ctx = j;
        j->dio.write_at = seq_write;
        j->dio.flush = seq_flush;
        return CLI_EXIT_OK;
    }
    int rc = vhdx_io_file_open(&j->dio, j->out.tmp, VHDX_IO_RDWR);
    if (rc != VHDX_OK) {
        cli_err("%s: %s", j->dst, vhdx_status_message(rc));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Runs a job whose SRC is open (or stdin): DST created, copied, committed or removed. */
static int run_job(conv_job *j, const vhdx_create_params *cp, int progress,
                   uint64_t *bytes_read)
{
    if (atomic_out_open(&j->out, j->dst, j->sync ? ATOMIC_OUT_FSYNC : 0) != 0) {
        cli_err("%s: cannot create: %s", j->dst, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    int ex = open_dst_io(j);
    vhdx_convert_stats st;
    memset(&st, 0, sizeof st);
    if (ex == CLI_EXIT_OK) {
        vhdx_convert_src src;
        memset(&src, 0, sizeof src);
        if (j->from_stdin) {
            src.stream_read = stdin_read;
            src.size = j->size;
        } else if (j->src.img) {
            src.img = j->src.img;
        } else {
            src.raw = &j->src.io;
        }
        vhdx_convert_opts o;
        vhdx_convert_opts_default(&o);
        if (cp) o.create = *cp;
        o.flags = (j->out_vhdx ? VHDX_CONVERT_VHDX : 0) | (j->sync ? VHDX_CONVERT_SYNC : 0) |
                  (atomic_out_direct(&j->out) ? VHDX_CONVERT_SEQUENTIAL : 0);
        o.progress = on_progress;
        o.progress_ctx = &j->pg;
        o.threads = j->threads;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        cli_progress_start(&j->pg, progress, j->from_stdin ? j->size : j->src.size);
        int rc = vhdx_convert(&src, &j->dio, &o, &st, &d);
        cli_progress_end(&j->pg);
        if (rc != VHDX_OK) ex = conv_fail(j, rc, &st, &d);
    }
    if (bytes_read) *bytes_read = st.bytes_read;
    if (j->dio.destroy) vhdx_io_destroy(&j->dio);
    if (ex != CLI_EXIT_OK) {
        atomic_out_abort(&j->out);
        return ex;
    }
    if (atomic_out_commit(&j->out) != 0) {
        cli_err("%s: %s", j->dst, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cli_convert_to_raw(vhdx_image *img, const char *image_name, const char *out_path,
                       int sync, uint64_t *bytes_read)
{
    conv_job j;
    memset(&j, 0, sizeof j);
    j.src.name = image_name;
    j.src.img = img;
    static vhdx_info info;
    int rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK) return cli_fail(image_name, rc, NULL);
    j.src.size = info.virtual_size;
    j.dst = out_path;
    j.sync = sync;
    j.threads = 1;
    return run_job(&j, NULL, 0, bytes_read);
}

/* ---- options ---- */

enum {
    OPT_SYNC = CLI_OPT_FIRST_FREE, OPT_TYPE, OPT_BS, OPT_LSS, OPT_PSS, OPT_LOG, OPT_SIZE
};

#define CONV_MAX_THREADS 8u /* the library uses at most 8 */

typedef struct conv_opts {
    int src_fmt, dst_fmt, progress, sync, ignore_linkage, have_size;
    unsigned threads;             /* -m; 0: automatic */
    const char *parent;
    uint64_t size;
    vhdx_create_params cp;
} conv_opts;

static int opt_u32(const char *name, uint32_t *out)
{
    if (cli_parse_size32(optarg, out) != 0)
        return cli_usage_error("convert", usage, "invalid %s '%s'", name, optarg);
    return -1;
}

/* One option into o; -1 to go on, else the exit code. */
static int take_opt(conv_opts *o, int c)
{
    switch (c) {
    case 'f':
    case 'O': {
        int f = vdisk_parse_fmt(optarg);
        if (f < 0) return cli_usage_error("convert", usage, "unknown format '%s' (raw or vhdx)", optarg);
        if (c == 'f') o->src_fmt = f;
        else o->dst_fmt = f;
        return -1;
    }
    case 'p': o->progress = 1; return -1;
    case 'm': {
        uint32_t t;
        if (cli_parse_size32(optarg, &t) != 0 || t < 1 || t > CONV_MAX_THREADS)
            return cli_usage_error("convert", usage, "-m must be 1..%u, not '%s'", CONV_MAX_THREADS, optarg);
        o->threads = t;
        return -1;
    }
    case 'U': return -1; /* cli_getopt set cli_force_share */
    case OPT_SYNC: o->sync = 1; return -1;
    case OPT_TYPE:
        if (strcmp(optarg, "fixed") == 0) o->cp.type = VHDX_TYPE_FIXED;
        else if (strcmp(optarg, "dynamic") == 0) o->cp.type = VHDX_TYPE_DYNAMIC;
        else return cli_usage_error("convert", usage, "--type must be fixed or dynamic");
        return -1;
    case OPT_BS: return opt_u32("--block-size", &o->cp.block_size);
    case OPT_LSS: return opt_u32("--logical-sector", &o->cp.logical_sector_size);
    case OPT_PSS: return opt_u32("--physical-sector", &o->cp.physical_sector_size);
    case OPT_LOG: return opt_u32("--log-size", &o->cp.log_size);
    case OPT_SIZE:
        if (cli_parse_size(optarg, &o->size) != 0)
            return cli_usage_error("convert", usage, "invalid --size '%s'", optarg);
        o->have_size = 1;
        return -1;
    default: return CLI_EXIT_USAGE;
    }
}

static int parse(conv_opts *o, int argc, char **argv)
{
    static const struct option longopts[] = {
        { "sync", no_argument, NULL, OPT_SYNC },
        { "type", required_argument, NULL, OPT_TYPE },
        { "block-size", required_argument, NULL, OPT_BS },
        { "logical-sector", required_argument, NULL, OPT_LSS },
        { "physical-sector", required_argument, NULL, OPT_PSS },
        { "log-size", required_argument, NULL, OPT_LOG },
        { "size", required_argument, NULL, OPT_SIZE },
        { "parallel", required_argument, NULL, 'm' },
        CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "convert", usage, help, "f:O:pm:hU", longopts, &o->parent, &o->ignore_linkage, 0 };
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        int ex = take_opt(o, c);
        if (ex >= 0) return ex;
    }
    if (optind >= argc) return cli_usage_error("convert", usage, "missing SRC");
    if (argc - optind < 2) return cli_usage_error("convert", usage, "missing DST");
    if (argc - optind > 2)
        return cli_usage_error("convert", usage, "unexpected argument '%s'", argv[optind + 2]);
    return -1;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return a && b && stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int check_paths(const conv_opts *o, const char *src, const char *dst, int from_stdin)
{
    if (!dst[0]) return cli_usage_error("convert", usage, "DST must not be empty");
    if (!from_stdin && same_file(src, dst))
        return cli_usage_error("convert", usage, "DST is SRC itself");
    if (same_file(o->parent, dst)) return cli_usage_error("convert", usage, "DST is the parent image");
    if (from_stdin && !o->have_size)
        return cli_usage_error("convert", usage, "SRC '-' needs --size");
    if (from_stdin && o->dst_fmt == VDISK_RAW)
        return cli_usage_error("convert", usage, "SRC '-' converts into a VHDX image only");
    return -1;
}

int cmd_convert(int argc, char **argv)
{
    conv_opts o;
    memset(&o, 0, sizeof o);
    vhdx_create_params_default(&o.cp);
    o.cp.type = VHDX_TYPE_DYNAMIC;
    int ex = parse(&o, argc, argv);
    if (ex >= 0) return ex;
    const char *src = argv[optind], *dst = argv[optind + 1];
    conv_job j;
    memset(&j, 0, sizeof j);
    j.from_stdin = strcmp(src, "-") == 0;
    ex = check_paths(&o, src, dst, j.from_stdin);
    if (ex >= 0) return ex;
    if (o.dst_fmt == VDISK_AUTO)
        o.dst_fmt = j.from_stdin || ends_with(dst, ".vhdx") ? VDISK_VHDX : VDISK_RAW;
    j.dst = dst;
    j.out_vhdx = o.dst_fmt == VDISK_VHDX;
    j.sync = o.sync;
    j.threads = o.threads;
    if (j.from_stdin) {
        j.src.name = "standard input";
        j.size = o.size;
    } else {
        ex = vdisk_open(&j.src, src, (vdisk_fmt)o.src_fmt, o.parent, o.ignore_linkage);
        if (ex != CLI_EXIT_OK) return ex;
        if (j.src.img) ex = cli_refuse_chain_output(j.src.img, src, dst);
        if (ex != CLI_EXIT_OK) {
            vdisk_close(&j.src);
            return ex;
        }
    }
    ex = run_job(&j, &o.cp, o.progress, NULL);
    if (!j.from_stdin) vdisk_close(&j.src);
    return ex;
}
