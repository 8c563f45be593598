/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_write.c - `vhdx write`: bytes of a file (or stdin) into the virtual disk. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "progress.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx write [-p] IMAGE OFFSET FILE|-\n"
    "       vhdx write --zero LENGTH IMAGE OFFSET\n";

static const char help[] =
    "\n"
    "Writes the bytes of FILE (or standard input for '-') into the virtual disk of IMAGE at\n"
    "OFFSET (like 0, 4096, 0x1000, 1M). The image is opened read-write: a dirty log is\n"
    "replayed into the file first. Blocks are allocated as needed; metadata changes go\n"
    "through the log. Nothing is written when the data would extend past the end of the\n"
    "virtual disk. A whole block of zeros leaves an unallocated block unallocated.\n"
    "With --zero, LENGTH bytes at OFFSET are made to read as zeros without writing data\n"
    "where whole blocks allow it (they become PAYLOAD_BLOCK_ZERO; fixed images get zero\n"
    "bytes; a differencing image never shows its parent's bytes there).\n"
    "\n"
    "options:\n"
    "  --zero LENGTH  zero LENGTH bytes at OFFSET (no FILE)\n"
    "  -p            progress bar (only when stderr is a terminal)\n"
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

typedef struct write_job {
    const char *image, *src_name;
    uint64_t off, vsize, len;
    int in;          /* the source (stdin or FILE) */
    int rd;          /* what the data is read from: in, or the spool of a pipe */
    int spool_fd;
    uint8_t *buf;    /* WRITE_CHUNK bytes */
    int progress;    /* -p */
} write_job;

/* The virtual size through a read-only open, so that a usage error leaves the file
 * untouched (a read-write open already updates the headers). */
static int probe_size(write_job *j)
{
    vhdx_image *img;
    int ex = cli_open_image(j->image, NULL, 0, 0, &img);
    if (ex != CLI_EXIT_OK) return ex;
    static vhdx_info info;
    int rc = vhdx_get_info(img, &info);
    (void)vhdx_close(img);
    if (rc != VHDX_OK) return cli_fail(j->image, rc, NULL);
    j->vsize = info.virtual_size;
    if (j->off > j->vsize) {
        cli_err("%s: OFFSET %" PRIu64 " is past the end of the virtual disk (%" PRIu64 " bytes)",
                j->image, j->off, j->vsize);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* The length of the input (a regular file from its position, anything else spooled) and
 * whether it fits. */
static int input_length(write_job *j)
{
    struct stat st;
    if (fstat(j->in, &st) != 0) {
        cli_err("%s: %s", j->src_name, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    if (S_ISREG(st.st_mode)) {
        off_t cur = lseek(j->in, 0, SEEK_CUR);
        if (cur < 0 || cur > st.st_size) cur = 0;
        j->len = (uint64_t)(st.st_size - cur);
    } else {
        if (spool(j->in, j->vsize - j->off, &j->spool_fd, &j->len, j->buf) != 0) {
            if (errno == EFBIG)
                cli_err("%s: %s extends past the end of the virtual disk (%" PRIu64
                        " bytes) when written at offset %" PRIu64, j->image, j->src_name,
                        j->vsize, j->off);
            else
                cli_err("%s: %s", j->src_name, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        j->rd = j->spool_fd;
    }
    if (j->len > j->vsize - j->off) {
        cli_err("%s: %s (%" PRIu64 " bytes) extends past the end of the virtual disk (%" PRIu64
                " bytes) when written at offset %" PRIu64, j->image, j->src_name, j->len,
                j->vsize, j->off);
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* Copies the input into the open image, then flushes. */
static int copy_in(write_job *j, vhdx_image *img)
{
    uint64_t pos = j->off, left = j->len;
    vhdx_diag d;
    cli_progress pg;
    cli_progress_start(&pg, j->progress, j->len);
    while (left > 0) {
        size_t want = left < WRITE_CHUNK ? (size_t)left : WRITE_CHUNK, got;
        if (read_full(j->rd, j->buf, want, &got) != 0) {
            cli_err("%s: %s", j->src_name, strerror(errno));
            return CLI_EXIT_USAGE;
        }
        if (got != want) {
            cli_err("%s: input shrank while being written", j->src_name);
            return CLI_EXIT_USAGE;
        }
        vhdx_diag_clear(&d);
        int rc = vhdx_write(img, pos, j->buf, got, &d);
        /* exit code by class: an I/O failure (ENOSPC, EFBIG) is 1, not a rule violation */
        if (rc != VHDX_OK) return cli_fail(j->image, rc, &d);
        pos += got;
        left -= got;
        cli_progress_update(&pg, j->len - left);
    }
    cli_progress_end(&pg);
    vhdx_diag_clear(&d);
    int rc = vhdx_flush(img, &d);
    if (rc != VHDX_OK) return cli_fail(j->image, rc, &d);
    return CLI_EXIT_OK;
}

static int write_image(write_job *j)
{
    vhdx_image *img;
    static vhdx_info info;
    int ex = cli_open_image(j->image, NULL, 0, 1, &img);
    if (ex != CLI_EXIT_OK) return ex;
    int rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK || info.virtual_size != j->vsize)
        ex = cli_fail(j->image, rc != VHDX_OK ? rc : VHDX_E_INTERNAL, NULL);
    else
        ex = copy_in(j, img);
    errno = 0;
    rc = vhdx_close(img);
    if (rc != VHDX_OK && ex == CLI_EXIT_OK) {
        /* the final flush's errno is still set (close has no diagnostics) */
        vhdx_diag cd;
        vhdx_diag_clear(&cd);
        cd.code = rc;
        cd.sys_errno = rc == VHDX_E_IO ? errno : 0;
        ex = cli_fail(j->image, rc, &cd);
    }
    return ex;
}

/* --zero: vhdx_write_zeroes, flush, close */
static int zero_image(const char *image, uint64_t off, uint64_t len)
{
    vhdx_image *img;
    int ex = cli_open_image(image, NULL, 0, 1, &img);
    if (ex != CLI_EXIT_OK) return ex;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_write_zeroes(img, off, len, &d);
    if (rc == VHDX_OK) rc = vhdx_flush(img, &d);
    if (rc != VHDX_OK) ex = cli_fail(image, rc, &d);
    rc = vhdx_close(img);
    if (rc != VHDX_OK && ex == CLI_EXIT_OK) ex = cli_fail(image, rc, NULL);
    if (ex == CLI_EXIT_OK) printf("zeroed %" PRIu64 " bytes at offset %" PRIu64 "\n", len, off);
    return ex;
}

static int zero_cmd(char **pos, int npos, const char *zero_s)
{
    uint64_t len, off;
    if (npos > 2) return cli_usage_error("write", usage, "unexpected argument '%s' (--zero takes no FILE)", pos[2]);
    if (npos < 1) return cli_usage_error("write", usage, "missing IMAGE");
    if (npos < 2) return cli_usage_error("write", usage, "missing OFFSET");
    if (cli_parse_size(zero_s, &len) != 0)
        return cli_usage_error("write", usage, "invalid --zero LENGTH '%s'", zero_s);
    if (cli_parse_size(pos[1], &off) != 0)
        return cli_usage_error("write", usage, "invalid OFFSET '%s'", pos[1]);
    return zero_image(pos[0], off, len);
}

int cmd_write(int argc, char **argv)
{
    enum { OPT_ZERO = CLI_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        { "zero", required_argument, NULL, OPT_ZERO }, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "write", usage, help, "ph", longopts, NULL, NULL, 0 };
    const char *zero_s = NULL;
    int progress = 0, c, ex;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == 'p') progress = 1;
        if (c == OPT_ZERO) zero_s = optarg;
    }
    char **pos = argv + optind;
    int npos = argc - optind;
    if (zero_s) return zero_cmd(pos, npos, zero_s);
    if (npos > 3) return cli_usage_error("write", usage, "unexpected argument '%s'", pos[3]);
    if (npos < 1) return cli_usage_error("write", usage, "missing IMAGE");
    if (npos < 2) return cli_usage_error("write", usage, "missing OFFSET");
    if (npos < 3) return cli_usage_error("write", usage, "missing FILE (or - for stdin)");
    write_job j = { pos[0], "standard input", 0, 0, 0, STDIN_FILENO, STDIN_FILENO, -1, NULL, progress };
    if (cli_parse_size(pos[1], &j.off) != 0)
        return cli_usage_error("write", usage, "invalid OFFSET '%s'", pos[1]);
    if (strcmp(pos[2], "-") != 0) {
        j.in = j.rd = open(pos[2], O_RDONLY | O_CLOEXEC);
        if (j.in < 0) {
            cli_err("%s: %s", pos[2], strerror(errno));
            return CLI_EXIT_USAGE;
        }
        j.src_name = pos[2];
    }
    j.buf = malloc(WRITE_CHUNK);
    ex = CLI_EXIT_USAGE;
    if (!j.buf) cli_err("out of memory");
    else if ((ex = probe_size(&j)) == CLI_EXIT_OK && (ex = input_length(&j)) == CLI_EXIT_OK &&
             (ex = write_image(&j)) == CLI_EXIT_OK)
        printf("wrote %" PRIu64 " bytes at offset %" PRIu64 "\n", j.len, j.off);
    if (j.in != STDIN_FILENO) close(j.in);
    if (j.spool_fd >= 0) close(j.spool_fd);
    free(j.buf);
    return ex;
}
