/* SPDX-License-Identifier: Apache-2.0 */
/* errors.c - lookups over the single error table (vhdx_errors.h), diagnostics, sinks. */
#include <stdio.h>

#include "internal.h"

typedef struct status_row {
    const char *name;
    vhdx_class cls;
    vhdx_severity sev;
    const char *rule;
    const char *section;
    const char *message;
} status_row;

#define VHDX_X_ROW(name, cls, sev, rule, section, msg) \
    { #name, VHDX_CLASS_##cls, VHDX_SEV_##sev, rule, section, msg },
static const status_row rows[] = { VHDX_ERROR_TABLE(VHDX_X_ROW) };
#undef VHDX_X_ROW

_Static_assert(sizeof rows / sizeof rows[0] == VHDX_STATUS_COUNT, "error table");

static const status_row *row(int code)
{
    if (code < 0 || code >= (int)VHDX_STATUS_COUNT) return NULL;
    return &rows[code];
}

const char *vhdx_status_name(int code) { const status_row *r = row(code); return r ? r->name : "VHDX_E_UNKNOWN"; }
const char *vhdx_status_message(int code) { const status_row *r = row(code); return r ? r->message : "unknown status code"; }
const char *vhdx_status_rule(int code) { const status_row *r = row(code); return r ? r->rule : ""; }
const char *vhdx_status_section(int code) { const status_row *r = row(code); return r ? r->section : ""; }
vhdx_class vhdx_status_class(int code) { const status_row *r = row(code); return r ? r->cls : VHDX_CLASS_INTERNAL; }
vhdx_severity vhdx_status_severity(int code) { const status_row *r = row(code); return r ? r->sev : VHDX_SEV_ERROR; }

const char *vhdx_class_name(vhdx_class cls)
{
    static const char *const names[] = { "none", "deviation", "corrupt", "unsupported", "limit",
                                         "io", "nomem", "misuse", "internal" };
    return (unsigned)cls < sizeof names / sizeof names[0] ? names[cls] : "internal";
}

const char *vhdx_severity_name(vhdx_severity sev)
{
    switch (sev) {
    case VHDX_SEV_ERROR: return "error";
    case VHDX_SEV_WARNING: return "warning";
    case VHDX_SEV_INFO: return "info";
    }
    return "error";
}

void vhdx_diag_clear(vhdx_diag *d)
{
    if (!d) return;
    memset(d, 0, sizeof *d);
    d->code = VHDX_OK;
    d->offset = VHDX_NO_OFFSET;
}

int vhdx_diag_set(vhdx_diag *d, int code, uint64_t offset, const char *field,
                  const char *src_file, int src_line)
{
    if (d && d->code == VHDX_OK && code != VHDX_OK) {
        d->code = code;
        d->offset = offset;
        d->field = field;
        d->src_file = src_file;
        d->src_line = src_line;
    }
    return code;
}

int vhdx_diag_set_errno(vhdx_diag *d, int code, int e)
{
    if (d && d->code == code && code != VHDX_OK && d->sys_errno == 0) d->sys_errno = e;
    return code;
}

/* "IMAGE: RULE [MS-VHDX s] at offset 0x..: message (field): detail (NAME)"; parts that do
 * not apply (no rule, no section, no offset, no field, no detail) are left out cleanly. */
void vhdx_diag_format(const vhdx_diag *d, const char *image_name, char *buf, size_t buflen)
{
    if (!buf || buflen == 0) return;
    const char *img = image_name ? image_name : "-";
    if (!d) { snprintf(buf, buflen, "%s: no diagnostics", img); return; }
    const char *rule = vhdx_status_rule(d->code), *sec = vhdx_status_section(d->code);
    char prefix[96] = "";
    size_t n = 0;
    if (rule[0]) n += (size_t)snprintf(prefix + n, sizeof prefix - n, "%s", rule);
    if (sec[0] && n < sizeof prefix)
        n += (size_t)snprintf(prefix + n, sizeof prefix - n, "%s[MS-VHDX %s]", n ? " " : "", sec);
    if (d->offset != VHDX_NO_OFFSET && n < sizeof prefix)
        snprintf(prefix + n, sizeof prefix - n, "%sat offset 0x%llx", n ? " " : "",
                 (unsigned long long)d->offset);
    char detail[sizeof d->detail];
    memcpy(detail, d->detail, sizeof detail);
    detail[sizeof detail - 1] = '\0';
    const char *sys = d->sys_errno ? strerror(d->sys_errno) : "";
    snprintf(buf, buflen, "%s: %s%s%s%s%s%s%s%s%s%s (%s)", img, prefix, prefix[0] ? ": " : "",
             vhdx_status_message(d->code), d->field ? " (" : "", d->field ? d->field : "",
             d->field ? ")" : "", detail[0] ? ": " : "", detail, sys[0] ? ": " : "", sys,
             vhdx_status_name(d->code));
}

int vhdx_sink_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                     const char *detail, const char *src_file, int src_line)
{
    if (s) return s->report(s, code, offset, field, detail, src_file, src_line);
    return vhdx_status_is_fatal(code) ? code : VHDX_OK;
}

static int diag_sink_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                            const char *detail, const char *src_file, int src_line)
{
    vhdx_diag_sink *ds = (vhdx_diag_sink *)s->ctx;
    if (!vhdx_status_is_fatal(code)) {
        ds->deviations++;
        return VHDX_OK;
    }
    if (ds->diag && ds->diag->code == VHDX_OK) {
        vhdx_diag_set(ds->diag, code, offset, field, src_file, src_line);
        if (detail) snprintf(ds->diag->detail, sizeof ds->diag->detail, "%s", detail);
    }
    return code;
}

void vhdx_diag_sink_init(vhdx_diag_sink *ds, vhdx_diag *diag)
{
    ds->sink.report = diag_sink_report;
    ds->sink.ctx = ds;
    ds->diag = diag;
    ds->deviations = 0;
}
