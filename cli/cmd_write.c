/* cmd_write.c - `vhdx write`: bytes of a file (or stdin) into the virtual disk. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "util.h"

static const char usage[] = "usage: vhdx write IMAGE OFFSET FILE|-\n";

static const char help[] =
    "\n"
    "Writes the bytes of FILE (or standard input for '-') into the virtual disk of IMAGE at\n"
    "OFFSET (like 0, 4096, 0x1000, 1M). The image is opened read-write: a dirty log is\n"
    "replayed into the file first. Blocks are allocated as needed; metadata changes go\n"
    "through the log. Nothing is written when the data would extend past the end of the\n"
    "virtual disk.\n"
    "\n"
    "options:\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error (nothing written), 2 the write failed\n"
    "(invalid image or rule violation; the message names rule, section and offset).\n";

#define WRITE_CHUNK (4u * 1024u * 1024u)

static int read_full(int fd, uint8_t *buf, size_t want, size_t *got)
{
    size_t n = 0;
    while (n < want) {
        ssize_t r = read(fd, buf + n, want - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    *got = n;
    return 0;
}

/* Copies a non-seekable input into an anonymous temporary file so that its length is known
 * before the image is touched; fails (errno = EFBIG) beyond `limit` bytes. */
static int spool(int in, uint64_t limit, int *out_fd, uint64_t *out_len, uint8_t *buf)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !dir[0]) dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
    if (fd < 0) {
        char path[4096];
        int n = snprintf(path, sizeof path, "%s/vhdx-write-XXXXXX", dir);
        if (n < 0 || (size_t)n >= sizeof path) return -1;
        fd = mkstemp(path);
        if (fd < 0) return -1;
        unlink(path);
    }
    uint64_t total = 0;
    for (;;) {
        size_t got;
        if (read_full(in, buf, WRITE_CHUNK, &got) != 0) goto fail;
        if (got == 0) break;
        if (got > limit - total) {
            errno = EFBIG;
            goto fail;
        }
        size_t done = 0;
        while (done < got) {
            ssize_t w = write(fd, buf + done, got - done);
            if (w < 0) {
                if (errno == EINTR) continue;
                goto fail;
            }
            done += (size_t)w;
        }
        total += got;
    }
    if (lseek(fd, 0, SEEK_SET) != 0) goto fail;
    *out_fd = fd;
    *out_len = total;
    return 0;
fail: {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
}

int cmd_write(int argc, char **argv)
{
    static const struct option longopts[] = { CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 } };
    cli_opts op = { "write", usage, help, "h", longopts, 0 };
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
    }
    char **pos = argv + optind;
    int npos = argc - optind;
    if (npos > 3) return cli_usage_error("write", usage, "unexpected argument '%s'", pos[3]);
    if (npos < 1) return cli_usage_error("write", usage, "missing IMAGE");
    if (npos < 2) return cli_usage_error("write", usage, "missing OFFSET");
    if (npos < 3) return cli_usage_error("write", usage, "missing FILE (or - for stdin)");
    const char *image = pos[0], *src = pos[2];
    uint64_t off;
    if (cli_parse_size(pos[1], &off) != 0)
        return cli_usage_error("write", usage, "invalid OFFSET '%s'", pos[1]);

    int in = STDIN_FILENO;
    const char *src_name = "standard input";
    if (strcmp(src, "-") != 0) {
        in = open(src, O_RDONLY | O_CLOEXEC);
        if (in < 0) {
            cli_err("%s: %s", src, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        src_name = src;
    }
    uint8_t *buf = malloc(WRITE_CHUNK);
    if (!buf) {
        if (in != STDIN_FILENO) close(in);
        cli_err("out of memory");
        return CLI_EXIT_USAGE;
    }

    int ex = CLI_EXIT_OK;
    vhdx_image *img = NULL;
    int spool_fd = -1, rd = in;
    /* Learn the virtual size through a read-only open first, so that a usage error leaves
     * the file untouched (a read-write open already updates the headers). */
    ex = cli_open_image(image, NULL, 0, 0, &img);
    if (ex != CLI_EXIT_OK) goto out;
    static vhdx_info info;
    int rc = vhdx_get_info(img, &info);
    (void)vhdx_close(img);
    img = NULL;
    if (rc != VHDX_OK) {
        ex = cli_fail(image, rc, NULL);
        goto out;
    }
    const uint64_t vsize = info.virtual_size;
    if (off > vsize) {
        cli_err("%s: OFFSET %" PRIu64 " is past the end of the virtual disk (%" PRIu64 " bytes)",
                image, off, vsize);
        ex = CLI_EXIT_USAGE;
        goto out;
    }
    struct stat st;
    uint64_t len;
    if (fstat(in, &st) != 0) {
        cli_err("%s: %s", src_name, strerror(errno));
        ex = CLI_EXIT_USAGE;
        goto out;
    }
    if (S_ISREG(st.st_mode)) {
        off_t cur = lseek(in, 0, SEEK_CUR);
        if (cur < 0 || cur > st.st_size) cur = 0;
        len = (uint64_t)(st.st_size - cur);
    } else {
        if (spool(in, vsize - off, &spool_fd, &len, buf) != 0) {
            if (errno == EFBIG)
                cli_err("%s: %s extends past the end of the virtual disk (%" PRIu64
                        " bytes) when written at offset %" PRIu64, image, src_name, vsize, off);
            else
                cli_err("%s: %s", src_name, strerror(errno));
            ex = CLI_EXIT_USAGE;
            goto out;
        }
        rd = spool_fd;
    }
    if (len > vsize - off) {
        cli_err("%s: %s (%" PRIu64 " bytes) extends past the end of the virtual disk (%" PRIu64
                " bytes) when written at offset %" PRIu64, image, src_name, len, vsize, off);
        ex = CLI_EXIT_USAGE;
        goto out;
    }

    ex = cli_open_image(image, NULL, 0, 1, &img);
    if (ex != CLI_EXIT_OK) goto out;
    rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK || info.virtual_size != vsize) {
        ex = rc != VHDX_OK ? cli_fail(image, rc, NULL) : cli_fail(image, VHDX_E_INTERNAL, NULL);
        goto out;
    }
    uint64_t pos_v = off, left = len;
    while (left > 0) {
        size_t want = left < WRITE_CHUNK ? (size_t)left : WRITE_CHUNK, got;
        if (read_full(rd, buf, want, &got) != 0) {
            cli_err("%s: %s", src_name, strerror(errno));
            ex = CLI_EXIT_USAGE;
            goto out;
        }
        if (got != want) {
            cli_err("%s: input shrank while being written", src_name);
            ex = CLI_EXIT_USAGE;
            goto out;
        }
        vhdx_diag d;
        vhdx_diag_clear(&d);
        rc = vhdx_write(img, pos_v, buf, got, &d);
        if (rc != VHDX_OK) {
            cli_fail(image, rc, &d);
            ex = CLI_EXIT_FAIL;
            goto out;
        }
        pos_v += got;
        left -= got;
    }
    vhdx_diag d;
    vhdx_diag_clear(&d);
    rc = vhdx_flush(img, &d);
    if (rc != VHDX_OK) {
        cli_fail(image, rc, &d);
        ex = CLI_EXIT_FAIL;
        goto out;
    }
    rc = vhdx_close(img);
    img = NULL;
    if (rc != VHDX_OK) {
        cli_fail(image, rc, NULL);
        ex = CLI_EXIT_FAIL;
        goto out;
    }
    printf("wrote %" PRIu64 " bytes at offset %" PRIu64 "\n", len, off);
out:
    if (img) {
        rc = vhdx_close(img);
        if (rc != VHDX_OK && ex == CLI_EXIT_OK) ex = cli_fail(image, rc, NULL);
    }
    if (in != STDIN_FILENO) close(in);
    if (spool_fd >= 0) close(spool_fd);
    free(buf);
    return ex;
}
