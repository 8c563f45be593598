/* SPDX-License-Identifier: Apache-2.0 */
/* vdisk.c - a VHDX image or a raw file as one readable virtual disk (vdisk.h). */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "util.h"
#include "vdisk.h"

int vdisk_parse_fmt(const char *s)
{
    if (strcmp(s, "raw") == 0) return VDISK_RAW;
    if (strcmp(s, "vhdx") == 0) return VDISK_VHDX;
    return -1;
}

static int io_fail(const char *name, int rc)
{
    cli_err("%s: %s", name, vhdx_status_message(rc));
    return CLI_EXIT_USAGE;
}

int vdisk_open(vdisk *d, const char *path, vdisk_fmt fmt, const char *parent,
               int ignore_linkage)
{
    memset(d, 0, sizeof *d);
    d->name = path;
    int rc = vhdx_io_file_open(&d->io, path, VHDX_IO_READ | (cli_force_share ? VHDX_IO_NO_LOCK : 0));
    if (rc != VHDX_OK) return io_fail(path, rc);
    if (fmt == VDISK_AUTO) {
        /* [MS-VHDX 2.2.1] the file identifier signature "vhdxfile" at offset 0 */
        uint8_t sig[8] = { 0 };
        rc = d->io.read_at(d->io.ctx, 0, sig, sizeof sig);
        fmt = rc == VHDX_OK && memcmp(sig, "vhdxfile", 8) == 0 ? VDISK_VHDX : VDISK_RAW;
    }
    if (fmt == VDISK_RAW) {
        d->is_raw = 1;
        rc = d->io.get_size(d->io.ctx, &d->size);
        if (rc != VHDX_OK) {
            vhdx_io_destroy(&d->io);
            return io_fail(path, rc);
        }
        return CLI_EXIT_OK;
    }
    vhdx_io_destroy(&d->io);
    int ex = cli_open_image(path, parent, ignore_linkage, 0, &d->img);
    if (ex != CLI_EXIT_OK) return ex;
    static vhdx_info info;
    rc = vhdx_get_info(d->img, &info);
    if (rc != VHDX_OK) {
        (void)vhdx_close(d->img);
        d->img = NULL;
        return cli_fail(path, rc, NULL);
    }
    d->size = info.virtual_size;
    return CLI_EXIT_OK;
}

int vdisk_extent(vdisk *d, uint64_t off, uint64_t len, vhdx_extent *x)
{
    if (!d->is_raw) {
        vhdx_diag dg;
        vhdx_diag_clear(&dg);
        int rc = vhdx_extent_at(d->img, off, len, x, &dg);
        return rc == VHDX_OK ? CLI_EXIT_OK : cli_fail(d->name, rc, &dg);
    }
    int is_data = 1;
    uint64_t run = len;
    if (d->io.data_status) {
        int rc = d->io.data_status(d->io.ctx, off, len, &run, &is_data);
        if (rc != VHDX_OK) return io_fail(d->name, rc);
    }
    memset(x, 0, sizeof *x);
    x->start = off;
    x->length = run;
    x->state = VHDX_EXTENT_DATA;
    x->zero = !is_data;
    x->data = is_data;
    x->present = 1;
    x->offset = off;
    return CLI_EXIT_OK;
}

int vdisk_status(vdisk *d, uint64_t off, uint64_t len, uint64_t *run, int *zero)
{
    vhdx_extent x;
    int ex = vdisk_extent(d, off, len, &x);
    if (ex != CLI_EXIT_OK) return ex;
    *run = x.length;
    *zero = x.zero;
    return CLI_EXIT_OK;
}

int vdisk_read(vdisk *d, uint64_t off, void *buf, size_t n)
{
    if (!d->is_raw) {
        vhdx_diag dg;
        vhdx_diag_clear(&dg);
        int rc = vhdx_read(d->img, off, buf, n, &dg);
        return rc == VHDX_OK ? CLI_EXIT_OK : cli_fail(d->name, rc, &dg);
    }
    int rc = d->io.read_at(d->io.ctx, off, buf, n);
    if (rc != VHDX_OK) {
        cli_err("%s: read at offset %" PRIu64 ": %s", d->name, off, vhdx_status_message(rc));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

void vdisk_close(vdisk *d)
{
    if (d->img) (void)vhdx_close(d->img);
    else if (d->is_raw) vhdx_io_destroy(&d->io);
    memset(d, 0, sizeof *d);
}
