/* SPDX-License-Identifier: Apache-2.0 */
/* bench_logscan.c - the hostile-log open of `vhdx bench` (issue 17): a log full of valid
 * entries with no valid head, which a plain walk of the active-sequence search scans in
 * O(n^2) (n = LogLength / 4 KiB). Written with the public API and explicit byte offsets
 * ([MS-VHDX 2.2.2] header, [MS-VHDX 2.3.1.1] entry header). */
#include "bench_logscan.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "util.h"

enum {
    HDR_CHECKSUM = 4, HDR_LOG_GUID = 48, HDR_SIZE = 4096,
    LOGE_CHECKSUM = 4, LOGE_LENGTH = 8, LOGE_TAIL = 12, LOGE_SEQ = 16, LOGE_GUID = 32,
    LOGE_FLUSHED = 48, LOGE_LAST = 56, SLOT = 4096
};

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int pwrite_all(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, buf, len, (off_t)off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        buf += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

/* LogGuid into both headers (checksums fixed). */
static int set_log_guid(int fd, const vhdx_guid *g)
{
    static const uint64_t offs[2] = { 64 * 1024, 128 * 1024 };
    uint8_t h[HDR_SIZE];
    for (int i = 0; i < 2; i++) {
        if (pread(fd, h, sizeof h, (off_t)offs[i]) != (ssize_t)sizeof h) return -1;
        memcpy(h + HDR_LOG_GUID, g->b, 16);
        put32(h + HDR_CHECKSUM, vhdx_crc32c_with_zero_field(h, sizeof h, HDR_CHECKSUM));
        if (pwrite_all(fd, h, sizeof h, offs[i]) != 0) return -1;
    }
    return 0;
}

/* Entries at slots 0 .. n-2 (sequence numbers 1 .. n-1), each Tail at the empty slot n-1. */
static int write_entries(int fd, uint64_t log_off, uint64_t log_len, const vhdx_guid *g,
                         uint64_t file_size)
{
    uint8_t e[SLOT];
    uint64_t n = log_len / SLOT;
    memset(e, 0, sizeof e);
    memcpy(e, "loge", 4);
    put32(e + LOGE_LENGTH, SLOT);
    put32(e + LOGE_TAIL, (uint32_t)((n - 1) * SLOT));
    memcpy(e + LOGE_GUID, g->b, 16);
    put64(e + LOGE_FLUSHED, file_size);
    put64(e + LOGE_LAST, file_size);
    for (uint64_t s = 0; s + 1 < n; s++) {
        put64(e + LOGE_SEQ, s + 1);
        put32(e + LOGE_CHECKSUM, 0);
        put32(e + LOGE_CHECKSUM, vhdx_crc32c_with_zero_field(e, sizeof e, LOGE_CHECKSUM));
        /* only the 64-byte header: the rest of the slot is zero in the new file */
        if (pwrite_all(fd, e, 64, log_off + s * SLOT) != 0) return -1;
    }
    return 0;
}

static int make_image(const char *path, uint64_t log_len)
{
    vhdx_create_params p;
    vhdx_diag d;
    vhdx_image *img = NULL;
    vhdx_info info;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DYNAMIC;
    p.virtual_size = 1ull << 30;
    p.log_size = (uint32_t)log_len;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(path, &p, &d);
    if (rc == VHDX_OK) rc = vhdx_open_file(&img, path, NULL, &d);
    if (rc == VHDX_OK) rc = vhdx_get_info(img, &info);
    vhdx_close(img);
    if (rc != VHDX_OK) return cli_fail(path, rc, &d);
    const vhdx_header_info *h = &info.headers[info.current_header];
    vhdx_guid g;
    memset(g.b, 0x5a, sizeof g.b);
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || write_entries(fd, h->log_offset, h->log_length, &g, info.file_size) != 0 ||
        set_log_guid(fd, &g) != 0 || fsync(fd) != 0) {
        cli_err("bench: %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
        return CLI_EXIT_USAGE;
    }
    close(fd);
    return CLI_EXIT_OK;
}

static double cpu_of(const struct rusage *r)
{
    return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) +
           (double)(r->ru_utime.tv_usec + r->ru_stime.tv_usec) * 1e-6;
}

int bench_logscan(const char *path, uint64_t log_len, logscan_result *out)
{
    memset(out, 0, sizeof *out);
    out->log_len = log_len;
    int ex = make_image(path, log_len);
    if (ex == CLI_EXIT_OK) {
        vhdx_image *img = NULL;
        struct rusage r0, r1;
        memset(&r0, 0, sizeof r0);
        memset(&r1, 0, sizeof r1);
        getrusage(RUSAGE_SELF, &r0);
        double t0 = cli_now();
        out->rc = vhdx_open_file(&img, path, NULL, NULL);
        out->seconds = cli_now() - t0;
        getrusage(RUSAGE_SELF, &r1);
        vhdx_close(img);
        out->cpu_seconds = cpu_of(&r1) - cpu_of(&r0);
        out->max_rss_kib = r1.ru_maxrss;
    }
    unlink(path);
    return ex;
}
