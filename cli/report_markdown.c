/* SPDX-License-Identifier: Apache-2.0 */
/* report_markdown.c - `vhdx check --format markdown`: a vendor-readable report. */
#include "report.h"
#include "rules.h"

#include <inttypes.h>
#include <string.h>

static void info_table(FILE *f, const vhdx_info *in)
{
    char g[40];
    fputs("| property | value |\n|---|---|\n", f);
    fprintf(f, "| type | %s |\n", report_type_name(in->type));
    fprintf(f, "| virtual size | %" PRIu64 " bytes |\n", in->virtual_size);
    fprintf(f, "| block size | %" PRIu32 " bytes |\n", in->block_size);
    fprintf(f, "| logical / physical sector size | %" PRIu32 " / %" PRIu32 " |\n",
            in->logical_sector_size, in->physical_sector_size);
    fprintf(f, "| payload blocks / BAT entries | %" PRIu64 " / %" PRIu64 " |\n", in->payload_blocks,
            in->bat_entries);
    fprintf(f, "| file size | %" PRIu64 " bytes |\n", in->file_size);
    vhdx_guid_format(&in->virtual_disk_id, g, sizeof g, 0);
    fprintf(f, "| virtual disk id | %s |\n", g);
    fputs("| creator | ", f);
    report_md_str(f, in->creator);
    fputs(" |\n", f);
    fprintf(f, "| current header | %d (sequence numbers %" PRIu64 " / %" PRIu64 ") |\n",
            in->current_header + 1, in->headers[0].sequence_number, in->headers[1].sequence_number);
    fprintf(f, "| log | %s |\n", in->log_dirty ? "dirty (replay pending)" : "clean");
    fputs("| BAT states |", f);
    for (unsigned s = 0; s < 8; s++)
        if (in->bat.payload[s]) fprintf(f, " %s %" PRIu64, report_pb_state_name(s), in->bat.payload[s]);
    if (in->bat.sector_bitmap[6]) fprintf(f, " SB_PRESENT %" PRIu64, in->bat.sector_bitmap[6]);
    fputs(" |\n", f);
    if (in->has_parent) {
        vhdx_guid_format(&in->parent_linkage, g, sizeof g, 1);
        fprintf(f, "| parent linkage | %s (chain depth %d) |\n", g, in->chain_depth);
    }
}

int report_markdown(FILE *f, const check_image *im, size_t n)
{
    fputs("# VHDX conformance report\n\n", f);
    fputs("| image | verdict | errors | warnings | consumers predicted to fail |\n|---|---|---|---|---|\n", f);
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        fputs("| ", f);
        report_md_str(f, c->path);
        fprintf(f, " | **%s** | %zu | %zu | ", report_verdict_name(c->verdict), c->errors, c->warnings);
        int any = 0;
        for (size_t i = 0; i < c->n_interop; i++) {
            const interop_prediction *p = &c->interop[i];
            if (p->effect == INTEROP_NOTE || p->effect == INTEROP_WARNS) continue;
            fprintf(f, "%s%s (%s)", any ? ", " : "", p->consumer, interop_effect_name(p->effect));
            any = 1;
        }
        fputs(any ? " |\n" : "none |\n", f);
    }
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        fputs("\n## ", f);
        report_md_str(f, c->path);
        fprintf(f, "\n\nVerdict: **%s** (%zu errors, %zu warnings, %zu infos)\n\n",
                report_verdict_name(c->verdict), c->errors, c->warnings, c->infos);
        if (!c->rep) {
            fputs("The image could not be checked: ", f);
            report_md_str(f, c->error[0] ? c->error : vhdx_status_message(c->rc));
            fputs("\n", f);
            continue;
        }
        if (c->note[0]) {
            fputs("Note: ", f);
            report_md_str(f, c->note);
            fputs("\n\n", f);
        }
        if (c->rep->info_valid) {
            info_table(f, c->rep->info);
            fputs("\n", f);
        }
        if (c->rep->count) {
            fputs("### Findings\n\n| severity | rule | section | offset | field | message | how to fix |\n|---|---|---|---|---|---|---|\n", f);
            for (size_t i = 0; i < c->rep->count; i++) {
                const vhdx_finding *fi = &c->rep->findings[i];
                const char *rule = report_rule_of(fi->code);
                const rule_info *ri = rules_find(rule);
                char msg[512];
                report_finding_message(fi, msg, sizeof msg);
                fprintf(f, "| %s | %s | %s | ", vhdx_severity_name(fi->severity), rule[0] ? rule : "-",
                        vhdx_status_section(fi->code)[0] ? vhdx_status_section(fi->code) : "-");
                if (fi->offset != UINT64_MAX) fprintf(f, "0x%" PRIx64, fi->offset);
                else fputs("-", f);
                fputs(" | ", f);
                report_md_str(f, fi->field ? fi->field : "-");
                fputs(" | ", f);
                report_md_str(f, msg);
                fputs(" | ", f);
                report_md_str(f, ri ? ri->fix : "-");
                fputs(" |\n", f);
            }
            if (c->rep->dropped) fprintf(f, "\n%zu further findings were not stored.\n", c->rep->dropped);
            fputs("\n", f);
        } else {
            fputs("No findings.\n\n", f);
        }
        if (c->n_interop) {
            fputs("### Interoperability\n\n| consumer | effect | why | source |\n|---|---|---|---|\n", f);
            for (size_t i = 0; i < c->n_interop; i++) {
                const interop_prediction *p = &c->interop[i];
                fprintf(f, "| %s | %s | ", p->consumer, interop_effect_name(p->effect));
                report_md_str(f, p->reason);
                fputs(" | ", f);
                report_md_str(f, p->basis);
                fputs(" |\n", f);
            }
        }
    }
    return ferror(f) ? -1 : 0;
}
