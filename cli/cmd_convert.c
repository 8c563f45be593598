/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_convert.c - `vhdx convert`: image to a sparse raw file, atomically (atomic_out.c). */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_out.h"
#include "cli.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx convert [-U] [--parent PATH] [--parent-ignore-linkage] IMAGE OUT.raw\n";

static const char help[] =
    "\n"
    "Writes the virtual disk of IMAGE to OUT.raw as a sparse raw file: unallocated blocks\n"
    "and all-zero ranges become holes (nothing is written for them). The output is written\n"
    "to a temporary file next to OUT.raw and renamed when complete; on failure no output\n"
    "file is left behind. A symbolic link OUT.raw is followed (its target is replaced); a\n"
    "device, a FIFO or '-' (standard output) is written directly, every byte in order. An\n"
    "OUT.raw that is the image or any image of its parent chain is refused. The image is opened read-only (a dirty log replays in memory).\n"
    "\n"
    "options:\n"
    "  --parent PATH              parent image of a differencing disk (overrides the locator)\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    CLI_HELP_FORCE_SHARE
    "  -h, --help                 show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image.\n";

#define CONV_CHUNK (1024u * 1024u)
#define CONV_PAGE 4096u /* hole granularity (file system block) */

static const uint8_t zero_page[CONV_PAGE];

/* n <= CONV_PAGE; memcmp against a zero page uses the C library's vectorised compare */
static int all_zero(const uint8_t *p, size_t n)
{
    return memcmp(p, zero_page, n) == 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (w == 0) {
            errno = EIO;
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

/* Writes the non-zero 4 KiB pages of buf (len bytes of virtual offset off) to fd,
 * coalesced; zero pages stay holes. Returns 0 or -1 with errno. */
static int write_nonzero(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    size_t i = 0;
    while (i < len) {
        size_t pg = len - i < CONV_PAGE ? len - i : CONV_PAGE;
        if (all_zero(buf + i, pg)) {
            i += pg;
            continue;
        }
        size_t j = i + pg;
        while (j < len) {
            size_t q = len - j < CONV_PAGE ? len - j : CONV_PAGE;
            if (all_zero(buf + j, q)) break;
            j += q;
        }
        if (pwrite_all(fd, buf + i, j - i, off + i) != 0) return -1;
        i = j;
    }
    return 0;
}

typedef struct conv_job {
    vhdx_image *img;
    const char *image_name, *out_path;
    int fd;
    int stream;         /* direct output (device, FIFO, stdout): every byte, in order */
    uint8_t *buf;       /* CONV_CHUNK bytes */
    uint64_t total_read;
} conv_job;

/* Copies the allocated run [off, off + run) of the virtual disk. Returns an exit code. */
static int copy_run(conv_job *j, uint64_t off, uint64_t run)
{
    uint64_t end = off + run;
    while (off < end) {
        size_t len = end - off < CONV_CHUNK ? (size_t)(end - off) : CONV_CHUNK;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        int rc = vhdx_read(j->img, off, j->buf, len, &d);
        if (rc != VHDX_OK) return cli_fail(j->image_name, rc, &d);
        j->total_read += len;
        if ((j->stream ? write_all(j->fd, j->buf, len) : write_nonzero(j->fd, j->buf, len, off)) != 0) {
            cli_err("%s: write at offset %" PRIu64 ": %s", j->out_path, off, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        off += len;
    }
    return CLI_EXIT_OK;
}

/* Walks the block status of the whole disk: holes for zero runs, data for the rest. */
static int copy_disk(conv_job *j, uint64_t vsize)
{
    uint64_t off = 0;
    while (off < vsize) {
        uint64_t run = 0;
        int st = VHDX_BLOCK_ZERO;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        int rc = vhdx_block_status(j->img, off, vsize - off, &run, &st, &d);
        if (rc != VHDX_OK) return cli_fail(j->image_name, rc, &d);
        if (run == 0 || run > vsize - off) {
            cli_err("%s: block status returned an invalid run length %" PRIu64
                    " at virtual offset %" PRIu64, j->image_name, run, off);
            return CLI_EXIT_FAIL;
        }
        if (st != VHDX_BLOCK_ZERO || j->stream) {
            int ex = copy_run(j, off, run);
            if (ex != CLI_EXIT_OK) return ex;
        }
        off += run;
    }
    return CLI_EXIT_OK;
}

int cli_convert_to_raw(vhdx_image *img, const char *image_name, const char *out_path,
                       uint64_t *bytes_read)
{
    static vhdx_info info;
    int rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK) return cli_fail(image_name, rc, NULL);
    if (bytes_read) *bytes_read = 0;

    conv_job j = { img, image_name, out_path, -1, 0, NULL, 0 };
    atomic_out out;
    int ex = cli_refuse_chain_output(img, image_name, out_path);
    if (ex != CLI_EXIT_OK) return ex;
    if (atomic_out_open(&out, out_path, ATOMIC_OUT_FSYNC) != 0) {
        cli_err("%s: cannot create: %s", out_path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    j.fd = out.fd;
    j.stream = atomic_out_direct(&out);
    if (!j.stream && ftruncate(j.fd, (off_t)info.virtual_size) != 0) {
        cli_err("%s: %s", out_path, strerror(errno));
        atomic_out_abort(&out);
        return CLI_EXIT_USAGE;
    }
    j.buf = malloc(CONV_CHUNK);
    if (!j.buf) {
        cli_err("%s: out of memory", image_name);
        atomic_out_abort(&out);
        return CLI_EXIT_USAGE;
    }
    ex = copy_disk(&j, info.virtual_size);
    free(j.buf);
    if (ex != CLI_EXIT_OK) {
        atomic_out_abort(&out);
        return ex;
    }
    if (atomic_out_commit(&out) != 0) {
        cli_err("%s: %s", out_path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (bytes_read) *bytes_read = j.total_read;
    return CLI_EXIT_OK;
}

int cmd_convert(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    const char *image, *out, *parent = NULL;
    int ignore_linkage = 0;
    cli_opts op = { "convert", usage, help, "hU", longopts, &parent, &ignore_linkage, 0 };
    int ex = cli_getopt_all(&op, argc, argv);
    if (ex >= 0) return ex;
    if (optind >= argc) return cli_usage_error("convert", usage, "missing IMAGE");
    if (argc - optind < 2) return cli_usage_error("convert", usage, "missing OUT.raw");
    if (argc - optind > 2)
        return cli_usage_error("convert", usage, "unexpected argument '%s'", argv[optind + 2]);
    image = argv[optind];
    out = argv[optind + 1];
    if (!out[0]) return cli_usage_error("convert", usage, "OUT.raw must not be empty");
    struct stat si, so;
    if (stat(image, &si) == 0 && stat(out, &so) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        return cli_usage_error("convert", usage, "OUT.raw is the image itself");

    vhdx_image *img;
    ex = cli_open_image(image, parent, ignore_linkage, 0, &img);
    if (ex != CLI_EXIT_OK) return ex;
    ex = cli_convert_to_raw(img, image, out, NULL);
    (void)vhdx_close(img);
    return ex;
}
