/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_convert.c - `vhdx convert`: a VHDX image or raw file (or a raw stream on stdin) into a
 * raw file or a new fixed/dynamic VHDX image, atomically (atomic_out.c). Only what reads as
 * non-zero is copied: holes and unallocated blocks are skipped by block status, all-zero
 * chunks are not written (raw: holes; dynamic: blocks stay NOT_PRESENT). */
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
    "usage: vhdx convert [-U] [-f raw|vhdx] [-O raw|vhdx] [-p] [--sync] [--type fixed|dynamic]\n"
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

#define CONV_CHUNK (1024u * 1024u)
#define CONV_PAGE 4096u /* hole granularity of a raw DST (file system block) */

static const uint8_t zero_page[CONV_PAGE];

static int all_zero(const uint8_t *p, size_t n)
{
    while (n > 0) {
        size_t k = n < CONV_PAGE ? n : CONV_PAGE;
        if (memcmp(p, zero_page, k) != 0) return 0;
        p += k;
        n -= k;
    }
    return 1;
}

typedef struct conv_job {
    vdisk src;
    int from_stdin;
    uint64_t vsize;               /* virtual size of DST */
    const char *dst;
    int out_vhdx, sync;
    int stream;                   /* direct raw DST (device, FIFO, stdout): every byte in order */
    uint64_t spos;                /* stream: bytes written so far */
    atomic_out out;
    vhdx_io fio, nio;             /* DST file; the same without flush unless --sync */
    vhdx_image *dimg;
    uint8_t *buf;                 /* CONV_CHUNK bytes */
    uint64_t bytes_read;
    cli_progress pg;
} conv_job;

static int out_err(conv_job *j, uint64_t off)
{
    cli_err("%s: write at offset %" PRIu64 ": %s", j->dst, off, strerror(errno));
    return CLI_EXIT_USAGE;
}

/* ---- the DST backend without flushes: durability only with --sync ---- */
static int n_read(void *c, uint64_t o, void *b, size_t n) { vhdx_io *i = c; return i->read_at(i->ctx, o, b, n); }
static int n_write(void *c, uint64_t o, const void *b, size_t n) { vhdx_io *i = c; return i->write_at(i->ctx, o, b, n); }
static int n_size(void *c, uint64_t *s) { vhdx_io *i = c; return i->get_size(i->ctx, s); }
static int n_set(void *c, uint64_t s) { vhdx_io *i = c; return i->set_size(i->ctx, s); }
static int n_flush(void *c) { (void)c; return VHDX_OK; }

static void nosync_io(vhdx_io *n, vhdx_io *inner)
{
    memset(n, 0, sizeof *n);
    n->ctx = inner;
    n->read_at = n_read;
    n->write_at = n_write;
    n->get_size = n_size;
    n->set_size = n_set;
    n->flush = n_flush;
    n->destroy = NULL;
    n->data_status = NULL;
}

/* ---- writing DST ---- */

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return -1;
        }
        p += (size_t)w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            return -1;
        }
        p += (size_t)w;
        n -= (size_t)w;
    }
    return 0;
}

/* stream DST: zeros up to off (what the extent walk skipped), then buf */
static int stream_put(conv_job *j, const uint8_t *buf, size_t len, uint64_t off)
{
    while (j->spos < off) {
        uint64_t gap = off - j->spos;
        size_t n = gap < CONV_PAGE ? (size_t)gap : CONV_PAGE;
        if (write_all(j->out.fd, zero_page, n) != 0) return out_err(j, j->spos);
        j->spos += n;
    }
    if (len && write_all(j->out.fd, buf, len) != 0) return out_err(j, off);
    j->spos = off + len;
    return CLI_EXIT_OK;
}

/* raw DST: the non-zero 4 KiB pages of buf, coalesced; zero pages stay holes */
static int raw_put(conv_job *j, const uint8_t *buf, size_t len, uint64_t off)
{
    if (j->stream) return stream_put(j, buf, len, off);
    size_t i = 0;
    while (i < len) {
        size_t pg = len - i < CONV_PAGE ? len - i : CONV_PAGE;
        if (all_zero(buf + i, pg)) {
            i += pg;
            continue;
        }
        size_t k = i + pg;
        while (k < len) {
            size_t q = len - k < CONV_PAGE ? len - k : CONV_PAGE;
            if (all_zero(buf + k, q)) break;
            k += q;
        }
        if (pwrite_all(j->out.fd, buf + i, k - i, off + i) != 0) return out_err(j, off + i);
        i = k;
    }
    return CLI_EXIT_OK;
}

/* VHDX DST: a chunk (within one block) that is not all zero */
static int vhdx_put(conv_job *j, const uint8_t *buf, size_t len, uint64_t off)
{
    if (all_zero(buf, len)) return CLI_EXIT_OK;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_write(j->dimg, off, buf, len, &d);
    return rc == VHDX_OK ? CLI_EXIT_OK : cli_fail(j->dst, rc, &d);
}

static int put(conv_job *j, const uint8_t *buf, size_t len, uint64_t off)
{
    return j->out_vhdx ? vhdx_put(j, buf, len, off) : raw_put(j, buf, len, off);
}

/* Copies [off, off+len) of SRC, which is not known to read as zeros, in chunks that never
 * cross a CONV_CHUNK boundary (so never a VHDX block boundary). */
static int copy_data(conv_job *j, uint64_t off, uint64_t len)
{
    while (len > 0) {
        uint64_t room = CONV_CHUNK - off % CONV_CHUNK;
        size_t n = (size_t)(len < room ? len : room);
        int ex = vdisk_read(&j->src, off, j->buf, n);
        if (ex != CLI_EXIT_OK) return ex;
        j->bytes_read += n;
        ex = put(j, j->buf, n, off);
        if (ex != CLI_EXIT_OK) return ex;
        off += n;
        len -= n;
        cli_progress_update(&j->pg, off);
    }
    return CLI_EXIT_OK;
}

/* Walks SRC's extents: zeros skipped, data copied. */
static int copy_disk(conv_job *j)
{
    uint64_t off = 0, end = j->src.size;
    while (off < end) {
        vhdx_extent x;
        int ex = vdisk_extent(&j->src, off, end - off, &x);
        if (ex != CLI_EXIT_OK) return ex;
        if (!x.zero) {
            ex = copy_data(j, off, x.length);
            if (ex != CLI_EXIT_OK) return ex;
        }
        off += x.length;
        cli_progress_update(&j->pg, off);
    }
    return CLI_EXIT_OK;
}

/* '-': a raw stream, chunk by chunk in order */
static int copy_stdin(conv_job *j)
{
    uint64_t off = 0;
    for (;;) {
        size_t have = 0;
        while (have < CONV_CHUNK) {
            ssize_t r = read(STDIN_FILENO, j->buf + have, CONV_CHUNK - have);
            if (r < 0 && errno == EINTR) continue;
            if (r < 0) {
                cli_err("standard input: %s", strerror(errno));
                return CLI_EXIT_USAGE;
            }
            if (r == 0) break;
            have += (size_t)r;
        }
        if (have == 0) return CLI_EXIT_OK;
        if (have > j->vsize - off) {
            cli_err("standard input: longer than --size (%" PRIu64 " bytes)", j->vsize);
            return CLI_EXIT_USAGE;
        }
        j->bytes_read += have;
        int ex = put(j, j->buf, have, off);
        if (ex != CLI_EXIT_OK) return ex;
        off += have;
        cli_progress_update(&j->pg, off);
        if (have < CONV_CHUNK) return CLI_EXIT_OK;
    }
}

/* ---- DST setup and commit ---- */

static int open_vhdx_dst(conv_job *j, vhdx_create_params *cp)
{
    int rc = vhdx_io_file_open(&j->fio, j->out.tmp, VHDX_IO_RDWR);
    if (rc != VHDX_OK) {
        cli_err("%s: %s", j->dst, vhdx_status_message(rc));
        return CLI_EXIT_USAGE;
    }
    nosync_io(&j->nio, &j->fio);
    vhdx_io *io = j->sync ? &j->fio : &j->nio;
    uint64_t lss = cp->logical_sector_size ? cp->logical_sector_size : 512;
    cp->virtual_size = (j->vsize + lss - 1) / lss * lss;
    if (cp->virtual_size == 0) cp->virtual_size = lss;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    rc = vhdx_create_io(io, cp, &d);
    if (rc != VHDX_OK) return cli_fail(j->dst, rc, &d);
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    o.guid_gen = cp->guid_gen;
    rc = vhdx_open(&j->dimg, io, 0, &o, &d);
    if (rc != VHDX_OK) {
        j->dimg = NULL;
        return cli_fail(j->dst, rc, &d);
    }
    return CLI_EXIT_OK;
}

static int finish_dst(conv_job *j, int ex)
{
    if (j->dimg) {
        int rc = vhdx_close(j->dimg);
        j->dimg = NULL;
        if (rc != VHDX_OK && ex == CLI_EXIT_OK) ex = cli_fail(j->dst, rc, NULL);
    }
    if (j->fio.ctx) vhdx_io_destroy(&j->fio);
    if (ex == CLI_EXIT_OK && j->stream) ex = stream_put(j, NULL, 0, j->vsize);
    else if (ex == CLI_EXIT_OK && !j->out_vhdx && ftruncate(j->out.fd, (off_t)j->vsize) != 0)
        ex = out_err(j, j->vsize);
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

/* Runs a job whose SRC is open (or stdin): DST created, copied, committed or removed. */
static int run_job(conv_job *j, vhdx_create_params *cp, int progress)
{
    if (atomic_out_open(&j->out, j->dst, j->sync ? ATOMIC_OUT_FSYNC : 0) != 0) {
        cli_err("%s: cannot create: %s", j->dst, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    int ex = CLI_EXIT_OK;
    j->stream = atomic_out_direct(&j->out);
    if (j->stream && j->out_vhdx) {
        cli_err("%s: a VHDX DST must be a regular file", j->dst);
        ex = CLI_EXIT_USAGE;
    }
    j->buf = ex == CLI_EXIT_OK ? malloc(CONV_CHUNK) : NULL;
    if (ex == CLI_EXIT_OK && !j->buf) {
        cli_err("%s: out of memory", j->dst);
        ex = CLI_EXIT_USAGE;
    }
    if (ex == CLI_EXIT_OK && j->out_vhdx) ex = open_vhdx_dst(j, cp);
    cli_progress_start(&j->pg, progress, j->vsize);
    if (ex == CLI_EXIT_OK) ex = j->from_stdin ? copy_stdin(j) : copy_disk(j);
    cli_progress_end(&j->pg);
    free(j->buf);
    j->buf = NULL;
    return finish_dst(j, ex);
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
    j.src.size = j.vsize = info.virtual_size;
    j.dst = out_path;
    j.sync = sync;
    int ex = run_job(&j, NULL, 0);
    if (bytes_read) *bytes_read = j.bytes_read;
    return ex;
}

/* ---- options ---- */

enum {
    OPT_SYNC = CLI_OPT_FIRST_FREE, OPT_TYPE, OPT_BS, OPT_LSS, OPT_PSS, OPT_LOG, OPT_SIZE
};

typedef struct conv_opts {
    int src_fmt, dst_fmt, progress, sync, ignore_linkage, have_size;
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
        CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "convert", usage, help, "f:O:phU", longopts, &o->parent, &o->ignore_linkage, 0 };
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
    if (j.from_stdin) {
        j.src.name = "standard input";
        j.vsize = o.size;
    } else {
        ex = vdisk_open(&j.src, src, (vdisk_fmt)o.src_fmt, o.parent, o.ignore_linkage);
        if (ex != CLI_EXIT_OK) return ex;
        if (j.src.img) ex = cli_refuse_chain_output(j.src.img, src, dst);
        if (ex != CLI_EXIT_OK) {
            vdisk_close(&j.src);
            return ex;
        }
        j.vsize = j.src.size;
    }
    ex = run_job(&j, &o.cp, o.progress);
    if (!j.from_stdin) vdisk_close(&j.src);
    return ex;
}
