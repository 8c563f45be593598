/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_cat.c - `vhdx cat`: virtual disk bytes to standard output. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx cat [-U] [--offset N] [--length N] [--parent PATH] [--parent-ignore-linkage] IMAGE\n";

static const char help[] =
    "\n"
    "Writes the bytes of the virtual disk (from --offset, --length bytes; default: all of it)\n"
    "to standard output. The image is opened read-only: a dirty log is replayed in memory and\n"
    "the file is never written. Unallocated blocks read as zeros (or from the parent).\n"
    "\n"
    "options:\n"
    "  --offset N                 first byte (default 0); N like 4096, 0x1000, 64K, 1M\n"
    "  --length N                 number of bytes (default: to the end of the disk)\n"
    "  --parent PATH              parent image of a differencing disk (overrides the locator)\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    CLI_HELP_FORCE_SHARE
    "  -h, --help                 show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image.\n";

#define CAT_CHUNK (1024u * 1024u)

static int write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += (size_t)w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies len bytes of the virtual disk from off to standard output. */
static int copy_out(vhdx_image *img, const char *image, uint64_t off, uint64_t len)
{
    uint8_t *buf = malloc(CAT_CHUNK);
    if (!buf) {
        cli_err("%s: out of memory", image);
        return CLI_EXIT_USAGE;
    }
    fflush(stdout);
    int ex = CLI_EXIT_OK;
    while (len > 0) {
        size_t n = len < CAT_CHUNK ? (size_t)len : CAT_CHUNK;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        int rc = vhdx_read(img, off, buf, n, &d);
        if (rc != VHDX_OK) {
            ex = cli_fail(image, rc, &d);
            break;
        }
        if (write_all(STDOUT_FILENO, buf, n) != 0) {
            cli_err("standard output: %s", strerror(errno));
            ex = CLI_EXIT_USAGE;
            break;
        }
        off += n;
        len -= n;
    }
    free(buf);
    return ex;
}

/* Checks --offset/--length against the virtual size (len_s NULL: to the end) and copies. */
static int cat_range(vhdx_image *img, const char *image, uint64_t off, uint64_t len,
                     const char *len_s)
{
    static vhdx_info info;
    int rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK) return cli_fail(image, rc, NULL);
    uint64_t vsize = info.virtual_size;
    if (off > vsize) {
        cli_err("%s: --offset %" PRIu64 " is past the end of the virtual disk (%" PRIu64
                " bytes)", image, off, vsize);
        return CLI_EXIT_USAGE;
    }
    if (!len_s) len = vsize - off;
    if (len > vsize - off) {
        cli_err("%s: --offset %" PRIu64 " --length %" PRIu64
                " extends past the end of the virtual disk (%" PRIu64 " bytes)",
                image, off, len, vsize);
        return CLI_EXIT_USAGE;
    }
    return copy_out(img, image, off, len);
}

int cmd_cat(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "offset", required_argument, NULL, 'O' }, { "length", required_argument, NULL, 'l' },
        CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    const char *image, *parent = NULL, *off_s = NULL, *len_s = NULL;
    int ignore_linkage = 0, c;
    cli_opts op = { "cat", usage, help, "hU", longopts, &parent, &ignore_linkage, 0 };
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == 'O') off_s = optarg;
        if (c == 'l') len_s = optarg;
    }
    if (optind >= argc) return cli_usage_error("cat", usage, "missing IMAGE");
    if (argc - optind > 1)
        return cli_usage_error("cat", usage, "unexpected argument '%s'", argv[optind + 1]);
    image = argv[optind];
    uint64_t off = 0, len = 0;
    if (off_s && cli_parse_size(off_s, &off) != 0)
        return cli_usage_error("cat", usage, "invalid --offset '%s'", off_s);
    if (len_s && cli_parse_size(len_s, &len) != 0)
        return cli_usage_error("cat", usage, "invalid --length '%s'", len_s);

    vhdx_image *img;
    int ex = cli_open_image(image, parent, ignore_linkage, 0, &img);
    if (ex != CLI_EXIT_OK) return ex;
    ex = cat_range(img, image, off, len, len_s);
    (void)vhdx_close(img);
    return ex;
}
