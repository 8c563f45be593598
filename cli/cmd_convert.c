/* cmd_convert.c - `vhdx convert`: image to a sparse raw file, atomically. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx convert [--parent PATH] [--parent-ignore-linkage] IMAGE OUT.raw\n";

static const char help[] =
    "\n"
    "Writes the virtual disk of IMAGE to OUT.raw as a sparse raw file: unallocated blocks\n"
    "and all-zero ranges become holes (nothing is written for them). The output is written\n"
    "to a temporary file next to OUT.raw and renamed when complete; on failure no output\n"
    "file is left behind. The image is opened read-only (a dirty log replays in memory).\n"
    "\n"
    "options:\n"
    "  --parent PATH              parent image of a differencing disk (overrides the locator)\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image.\n";

#define CONV_CHUNK (1024u * 1024u)
#define CONV_PAGE 4096u /* hole granularity (file system block) */

/* Temporary output removed by the signal handler if the process is interrupted. */
static char conv_tmp_path[4096];
static volatile sig_atomic_t conv_tmp_active;

static void conv_on_signal(int sig)
{
    if (conv_tmp_active) unlink(conv_tmp_path);
    signal(sig, SIG_DFL);
    raise(sig);
}

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

int cli_convert_to_raw(vhdx_image *img, const char *image_name, const char *out_path,
                       uint64_t *bytes_read)
{
    static vhdx_info info;
    int rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK) return cli_fail(image_name, rc, NULL);
    const uint64_t vsize = info.virtual_size;
    if (bytes_read) *bytes_read = 0;

    int n = snprintf(conv_tmp_path, sizeof conv_tmp_path, "%s.tmp-XXXXXX", out_path);
    if (n < 0 || (size_t)n >= sizeof conv_tmp_path) {
        cli_err("%s: output path too long", out_path);
        return CLI_EXIT_USAGE;
    }
    struct sigaction sa, old_int, old_term, old_hup;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = conv_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGHUP, &sa, &old_hup);

    int ex = CLI_EXIT_OK;
    uint8_t *buf = NULL;
    int fd = mkstemp(conv_tmp_path);
    if (fd < 0) {
        cli_err("%s: cannot create temporary file: %s", conv_tmp_path, strerror(errno));
        ex = CLI_EXIT_USAGE;
        goto restore;
    }
    conv_tmp_active = 1;
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, (mode_t)(0666 & ~um)) != 0 || ftruncate(fd, (off_t)vsize) != 0) {
        cli_err("%s: %s", conv_tmp_path, strerror(errno));
        ex = CLI_EXIT_USAGE;
        goto fail;
    }
    buf = malloc(CONV_CHUNK);
    if (!buf) {
        cli_err("%s: out of memory", image_name);
        ex = CLI_EXIT_USAGE;
        goto fail;
    }
    uint64_t off = 0, total_read = 0;
    while (off < vsize) {
        uint64_t run = 0;
        int st = VHDX_BLOCK_ZERO;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        rc = vhdx_block_status(img, off, vsize - off, &run, &st, &d);
        if (rc != VHDX_OK) {
            ex = cli_fail(image_name, rc, &d);
            goto fail;
        }
        if (run == 0 || run > vsize - off) {
            cli_err("%s: block status returned an invalid run length %" PRIu64
                    " at virtual offset %" PRIu64, image_name, run, off);
            ex = CLI_EXIT_FAIL;
            goto fail;
        }
        if (st == VHDX_BLOCK_ZERO) { /* hole: leave unwritten */
            off += run;
            continue;
        }
        uint64_t end = off + run;
        while (off < end) {
            size_t len = end - off < CONV_CHUNK ? (size_t)(end - off) : CONV_CHUNK;
            vhdx_diag_clear(&d);
            rc = vhdx_read(img, off, buf, len, &d);
            if (rc != VHDX_OK) {
                ex = cli_fail(image_name, rc, &d);
                goto fail;
            }
            total_read += len;
            /* write only the non-zero 4 KiB pages (coalesced): zero pages stay holes */
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
                if (pwrite_all(fd, buf + i, j - i, off + i) != 0) {
                    cli_err("%s: write at offset %" PRIu64 ": %s", conv_tmp_path, off + i,
                            strerror(errno));
                    ex = CLI_EXIT_USAGE;
                    goto fail;
                }
                i = j;
            }
            off += len;
        }
    }
    if (fsync(fd) != 0) {
        cli_err("%s: %s", conv_tmp_path, strerror(errno));
        ex = CLI_EXIT_USAGE;
        goto fail;
    }
    if (close(fd) != 0) {
        fd = -1;
        cli_err("%s: %s", conv_tmp_path, strerror(errno));
        ex = CLI_EXIT_USAGE;
        goto fail;
    }
    fd = -1;
    if (rename(conv_tmp_path, out_path) != 0) {
        cli_err("%s: cannot rename %s: %s", out_path, conv_tmp_path, strerror(errno));
        ex = CLI_EXIT_USAGE;
        goto fail;
    }
    conv_tmp_active = 0;
    if (bytes_read) *bytes_read = total_read;
    goto done;
fail:
    if (fd >= 0) close(fd);
    unlink(conv_tmp_path);
    conv_tmp_active = 0;
done:
    free(buf);
restore:
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGHUP, &old_hup, NULL);
    return ex;
}

int cmd_convert(int argc, char **argv)
{
    const char *image = NULL, *out = NULL, *parent = NULL;
    int ignore_linkage = 0, dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && a[0] == '-' && a[1] != '\0') {
            int m;
            if (strcmp(a, "--") == 0) { dashdash = 1; continue; }
            if (cli_is_help(a)) {
                printf("%s%s", usage, help);
                return CLI_EXIT_OK;
            }
            if ((m = cli_parent_option(argc, argv, &i, "convert", usage, &parent, &ignore_linkage)) != 0) {
                if (m < 0) return CLI_EXIT_USAGE;
                continue;
            }
            return cli_usage_error("convert", usage, "unknown option '%s'", a);
        }
        if (!image) image = a;
        else if (!out) out = a;
        else return cli_usage_error("convert", usage, "unexpected argument '%s'", a);
    }
    if (!image) return cli_usage_error("convert", usage, "missing IMAGE");
    if (!out) return cli_usage_error("convert", usage, "missing OUT.raw");
    if (!out[0] || strcmp(out, "-") == 0)
        return cli_usage_error("convert", usage,
                               "OUT.raw must be a file path (use 'vhdx cat' for stdout)");
    struct stat si, so;
    if (stat(image, &si) == 0 && stat(out, &so) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        return cli_usage_error("convert", usage, "OUT.raw is the image itself");
    if (parent && stat(parent, &so) == 0 && stat(out, &si) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino)
        return cli_usage_error("convert", usage, "OUT.raw is the parent image");

    vhdx_image *img;
    int ex = cli_open_image(image, parent, ignore_linkage, 0, &img);
    if (ex != CLI_EXIT_OK) return ex;
    ex = cli_convert_to_raw(img, image, out, NULL);
    (void)vhdx_close(img);
    return ex;
}
