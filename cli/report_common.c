/* SPDX-License-Identifier: Apache-2.0 */
/* report_common.c - helpers shared by the `vhdx check` output formats. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *report_verdict_name(vhdx_verdict v)
{
    switch (v) {
    case VHDX_VERDICT_CONFORMANT: return "conformant";
    case VHDX_VERDICT_NONCONFORMANT: return "nonconformant";
    case VHDX_VERDICT_UNREADABLE: return "unreadable";
    }
    return "unreadable";
}

const char *report_rule_of(int code)
{
    const char *r = vhdx_status_rule(code);
    return r ? r : "";
}

void report_md_str(FILE *f, const char *s)
{
    if (!s) return;
    /* control characters and invalid UTF-8 as for the terminal (cli_text_escape), then
     * the Markdown specials */
    size_t cap = strlen(s) * 6 + 1;
    char *e = malloc(cap);
    if (!e) return;
    cli_text_escape(s, e, cap);
    for (const char *p = e; *p; p++) {
        if (*p == '|') fputs("\\|", f);
        else if (*p == '\\') fputs("\\\\", f);
        else if (*p == '<') fputs("&lt;", f);
        else fputc(*p, f);
    }
    free(e);
}

const char *report_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *report_type_name(vhdx_disk_type t)
{
    switch (t) {
    case VHDX_TYPE_FIXED: return "fixed";
    case VHDX_TYPE_DYNAMIC: return "dynamic";
    case VHDX_TYPE_DIFFERENCING: return "differencing";
    }
    return "unknown";
}

const char *report_pb_state_name(unsigned s)
{
    static const char *const names[8] = {
        "NOT_PRESENT", "UNDEFINED", "ZERO", "UNMAPPED", "RESERVED_4", "RESERVED_5",
        "FULLY_PRESENT", "PARTIALLY_PRESENT"
    };
    return s < 8 ? names[s] : "";
}

void report_finding_message(const vhdx_finding *fi, char *buf, size_t len)
{
    const char *msg = vhdx_status_message(fi->code);
    if (fi->detail[0]) snprintf(buf, len, "%s (%s)", msg ? msg : "", fi->detail);
    else snprintf(buf, len, "%s", msg ? msg : "");
}
