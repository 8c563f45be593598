/* SPDX-License-Identifier: Apache-2.0 */
/* report_text.c - `vhdx check` text output: one verdict line per image first, then its
 * findings and interoperability predictions, readable in a terminal. */
#include "report.h"
#include "util.h"

#include <inttypes.h>
#include <string.h>

static void human_size(uint64_t v, char *buf, size_t len)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    unsigned u = 0;
    uint64_t x = v;
    while (u < 4 && x >= 1024 && x % 1024 == 0) { x /= 1024; u++; }
    if (u == 0 && v >= 1024) snprintf(buf, len, "%" PRIu64 " B", v);
    else snprintf(buf, len, "%" PRIu64 " %s", x, units[u]);
}

static void plural(FILE *f, size_t n, const char *word)
{
    fprintf(f, "%zu %s%s", n, word, n == 1 ? "" : "s");
}

int report_text(FILE *f, const check_image *im, size_t n)
{
    size_t nconf = 0, nnon = 0, nunr = 0;
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        cli_fputs_safe(f, c->path);
        fprintf(f, ": %s", report_verdict_name(c->verdict));
        switch (c->verdict) {
        case VHDX_VERDICT_CONFORMANT: nconf++; break;
        case VHDX_VERDICT_NONCONFORMANT: nnon++; break;
        default: nunr++; break;
        }
        fputs(" (", f);
        plural(f, c->errors, "error");
        fputs(", ", f);
        plural(f, c->warnings, "warning");
        fputs(")", f);
        if (c->rep && c->rep->info_valid) {
            const vhdx_info *in = c->rep->info;
            char vs[32], bs[32];
            human_size(in->virtual_size, vs, sizeof vs);
            human_size(in->block_size, bs, sizeof bs);
            fprintf(f, ": %s, %s, %s blocks, sectors %" PRIu32 "/%" PRIu32,
                    report_type_name(in->type), vs, bs, in->logical_sector_size,
                    in->physical_sector_size);
            if (in->log_dirty) fputs(", dirty log", f);
        }
        fputc('\n', f);
        if (!c->rep) {
            fputs("  cannot check: ", f);
            cli_fputs_safe(f, c->error[0] ? c->error : vhdx_status_message(c->rc));
            fputc('\n', f);
            continue;
        }
        if (c->note[0]) {
            fputs("  note: ", f);
            cli_fputs_safe(f, c->note);
            fputc('\n', f);
        }
        for (size_t i = 0; i < c->rep->count; i++) {
            const vhdx_finding *fi = &c->rep->findings[i];
            const char *rule = report_rule_of(fi->code);
            const char *sec = vhdx_status_section(fi->code);
            char msg[512];
            report_finding_message(fi, msg, sizeof msg);
            fprintf(f, "  %-7s %-5s", vhdx_severity_name(fi->severity), rule[0] ? rule : "-");
            if (sec && sec[0]) fprintf(f, " [MS-VHDX %s]", sec);
            if (fi->offset != UINT64_MAX) fprintf(f, " at 0x%" PRIx64, fi->offset);
            if (fi->field) fprintf(f, " (%s)", fi->field);
            fputs(": ", f);
            cli_fputs_safe(f, msg);
            fputc('\n', f);
        }
        if (c->rep->dropped)
            fprintf(f, "  ... %zu more finding(s) not stored\n", c->rep->dropped);
        for (size_t i = 0; i < c->n_interop; i++) {
            const interop_prediction *p = &c->interop[i];
            fprintf(f, "  interop %s %s: %s [%s]\n", p->consumer, interop_effect_name(p->effect),
                    p->reason, p->basis);
        }
    }
    if (n > 1) {
        fprintf(f, "%zu images: %zu conformant, %zu nonconformant, %zu unreadable\n", n, nconf,
                nnon, nunr);
    }
    return ferror(f) ? -1 : 0;
}
