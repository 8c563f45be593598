/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_compare.c - `vhdx compare`: are two virtual disks (VHDX or raw) equal? Runs that read
 * as zeros on both sides (block status, host holes) are compared without reading. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "vdisk.h"

static const char usage[] =
    "usage: vhdx compare [-f FMT] [-F FMT] [--strict] [--parent PATH]\n"
    "                    [--parent-ignore-linkage] A B\n";

static const char help[] =
    "\n"
    "Compares the virtual disks of A and B, each a VHDX image or a raw file (detected by the\n"
    "VHDX file identifier; -f / -F force the format of A / B). Ranges that read as zeros on\n"
    "both sides (unallocated or zero blocks, holes of a raw file) are compared without\n"
    "reading them. When the sizes differ, the longer disk's tail must read as zeros, unless\n"
    "--strict, which makes a size difference a difference. Both files are opened read-only.\n"
    "\n"
    "options:\n"
    "  -f FMT, -F FMT             format of A, of B: raw or vhdx (default: detected)\n"
    "  --strict                   disks of different sizes differ\n"
    "  --parent PATH              parent image of A when A is a differencing disk\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Prints \"Images are identical.\" or the first differing offset.\n"
    "Exit codes (those of qemu-img compare): 0 equal, 1 different, 2 error.\n";

#define CMP_EXIT_DIFFER 1
#define CMP_EXIT_ERROR 2
#define CMP_CHUNK (1024u * 1024u)

typedef struct cmp_job {
    vdisk a, b;
    uint8_t *ba, *bb;
    uint64_t bytes_read;
} cmp_job;

/* status of one side; beyond its size the disk reads as zeros */
static int side_status(vdisk *d, uint64_t off, uint64_t len, uint64_t *run, int *zero)
{
    if (off >= d->size) {
        *run = len;
        *zero = 1;
        return CLI_EXIT_OK;
    }
    if (len > d->size - off) len = d->size - off;
    return vdisk_status(d, off, len, run, zero);
}

static int side_read(cmp_job *j, vdisk *d, uint64_t off, uint8_t *buf, size_t n, int zero)
{
    if (zero || off >= d->size) {
        memset(buf, 0, n);
        return CLI_EXIT_OK;
    }
    size_t have = d->size - off < n ? (size_t)(d->size - off) : n;
    int ex = vdisk_read(d, off, buf, have);
    if (have < n) memset(buf + have, 0, n - have);
    j->bytes_read += have;
    return ex;
}

/* Compares [off, off+run) where each side's status is constant. 0 equal, 1 differ (the
 * offset printed), else an error exit code. */
static int cmp_run(cmp_job *j, uint64_t off, uint64_t run, int za, int zb)
{
    while (run > 0) {
        size_t n = run < CMP_CHUNK ? (size_t)run : CMP_CHUNK;
        if (side_read(j, &j->a, off, j->ba, n, za) != CLI_EXIT_OK) return CMP_EXIT_ERROR;
        if (side_read(j, &j->b, off, j->bb, n, zb) != CLI_EXIT_OK) return CMP_EXIT_ERROR;
        if (memcmp(j->ba, j->bb, n) != 0) {
            size_t i = 0;
            while (j->ba[i] == j->bb[i]) i++;
            printf("Content mismatch at offset %" PRIu64 "!\n", off + i);
            return CMP_EXIT_DIFFER;
        }
        off += n;
        run -= n;
    }
    return 0;
}

static int compare(cmp_job *j, int strict)
{
    if (strict && j->a.size != j->b.size) {
        printf("Image size mismatch: %" PRIu64 " != %" PRIu64 "\n", j->a.size, j->b.size);
        return CMP_EXIT_DIFFER;
    }
    uint64_t end = j->a.size > j->b.size ? j->a.size : j->b.size, off = 0;
    while (off < end) {
        uint64_t ra, rb;
        int za, zb;
        if (side_status(&j->a, off, end - off, &ra, &za) != CLI_EXIT_OK) return CMP_EXIT_ERROR;
        if (side_status(&j->b, off, end - off, &rb, &zb) != CLI_EXIT_OK) return CMP_EXIT_ERROR;
        uint64_t run = ra < rb ? ra : rb;
        if (!(za && zb)) {
            int r = cmp_run(j, off, run, za, zb);
            if (r != 0) return r;
        }
        off += run;
    }
    printf("Images are identical.\n");
    return 0;
}

typedef struct cmp_opts {
    int fa, fb, strict, ignore_linkage;
    const char *parent;
} cmp_opts;

static int parse(cmp_opts *o, int argc, char **argv)
{
    enum { OPT_STRICT = CLI_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        { "strict", no_argument, NULL, OPT_STRICT }, CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP,
        { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "compare", usage, help, "f:F:h", longopts, &o->parent, &o->ignore_linkage, 0 };
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CMP_EXIT_ERROR;
        if (c == OPT_STRICT) o->strict = 1;
        if (c == 'f' || c == 'F') {
            int f = vdisk_parse_fmt(optarg);
            if (f < 0) {
                (void)cli_usage_error("compare", usage, "unknown format '%s' (raw or vhdx)", optarg);
                return CMP_EXIT_ERROR;
            }
            if (c == 'f') o->fa = f;
            else o->fb = f;
        }
    }
    if (argc - optind != 2) {
        (void)cli_usage_error("compare", usage, argc - optind < 2 ? "missing A or B"
                                                                  : "unexpected argument");
        return CMP_EXIT_ERROR;
    }
    return -1;
}

int cmd_compare(int argc, char **argv)
{
    cmp_opts o = { VDISK_AUTO, VDISK_AUTO, 0, 0, NULL };
    int ex = parse(&o, argc, argv);
    if (ex >= 0) return ex;
    cmp_job j;
    memset(&j, 0, sizeof j);
    if (vdisk_open(&j.a, argv[optind], (vdisk_fmt)o.fa, o.parent, o.ignore_linkage) != CLI_EXIT_OK)
        return CMP_EXIT_ERROR;
    if (vdisk_open(&j.b, argv[optind + 1], (vdisk_fmt)o.fb, NULL, o.ignore_linkage) != CLI_EXIT_OK) {
        vdisk_close(&j.a);
        return CMP_EXIT_ERROR;
    }
    j.ba = malloc(CMP_CHUNK);
    j.bb = malloc(CMP_CHUNK);
    if (!j.ba || !j.bb) {
        cli_err("out of memory");
        ex = CMP_EXIT_ERROR;
    } else {
        ex = compare(&j, o.strict);
    }
    free(j.ba);
    free(j.bb);
    vdisk_close(&j.a);
    vdisk_close(&j.b);
    if (fflush(stdout) != 0 && ex != CMP_EXIT_ERROR) {
        cli_err("standard output: write error");
        ex = CMP_EXIT_ERROR;
    }
    return ex;
}
