/* SPDX-License-Identifier: Apache-2.0 */
/* image_open_state.c - the findings sink of an open: every validation step of image_open_*.c
 * reports through it; it remembers the first fatal finding (for the caller's diag) and which
 * codes were reported (so a structural stop is not reported twice), then forwards to the
 * caller's sink (NULL: stop at the first fatal finding). */
#include <stdio.h>

#include "image.h"

static int os_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                     const char *detail, const char *src_file, int src_line)
{
    img_open_state *os = s->ctx;
    if (code > 0 && code < (int)VHDX_STATUS_COUNT)
        os->seen[code / 8] = (uint8_t)(os->seen[code / 8] | (1u << (code % 8)));
    if (vhdx_status_is_fatal(code)) {
        os->nfatal++;
        if (os->first_fatal == VHDX_OK) os->first_fatal = code;
        if (os->diag && os->diag->code == VHDX_OK) {
            vhdx_diag_set(os->diag, code, offset, field, src_file, src_line);
            if (detail) snprintf(os->diag->detail, sizeof os->diag->detail, "%s", detail);
        }
    }
    return vhdx_sink_report(os->inner, code, offset, field, detail, src_file, src_line);
}

void img_os_init(img_open_state *os, vhdx_image *img, vhdx_sink *inner, vhdx_diag *diag,
                 const img_open_hooks *hooks)
{
    memset(os, 0, sizeof *os);
    os->sink.report = os_report;
    os->sink.ctx = os;
    os->inner = inner;
    os->diag = diag;
    os->hooks = hooks;
    os->img = img;
    os->bat_idx = os->md_idx = -1;
}

static int os_seen(const img_open_state *os, int code)
{
    return code > 0 && code < (int)VHDX_STATUS_COUNT && (os->seen[code / 8] >> (code % 8)) & 1u;
}

int img_os_stop(img_open_state *os, int code, uint64_t off, const char *field,
                const char *detail, const char *file, int line)
{
    if (!os_seen(os, code))
        (void)vhdx_sink_report(&os->sink, code, off, field, detail, file, line);
    return code;
}

int img_os_stop_diag(img_open_state *os, int rc, const vhdx_diag *d, const char *file, int line)
{
    int code = d->code != VHDX_OK ? d->code : rc;
    (void)vhdx_sink_report(&os->sink, code, d->offset, d->field, d->detail[0] ? d->detail : NULL,
                           d->src_file ? d->src_file : file, d->src_file ? d->src_line : line);
    if (d->sys_errno) (void)vhdx_diag_set_errno(os->diag, code, d->sys_errno);
    return code;
}

int img_os_read(img_open_state *os, uint64_t off, void *buf, size_t len, const char *field)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = img_pread(os->img, off, buf, len, &d);
    if (rc != VHDX_OK) {
        rc = OS_STOP(os, rc, off, field, NULL);
        if (d.sys_errno) (void)vhdx_diag_set_errno(os->diag, rc, d.sys_errno);
    }
    return rc;
}
