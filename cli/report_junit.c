/* report_junit.c - `vhdx check --format junit`: one <testsuite> per image and one
 * <testcase> per catalogue rule, so a CI system shows each rule. Rules with an error
 * finding fail (<failure>); warnings and infos pass and are listed in <system-out>;
 * behaviour rules are <skipped> ("not judged from an image"). Findings without a catalogue
 * rule (I/O, limits, a missing parent) form the testcase "general". */
#include "report.h"
#include "rules.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

typedef struct tc_state {
    size_t errors, others;   /* findings of this testcase by severity */
} tc_state;

static int finding_matches(const vhdx_finding *fi, const char *rule_id)
{
    const char *r = report_rule_of(fi->code);
    if (!rule_id) return r[0] == 0 || rules_find(r) == NULL;
    return strcasecmp(r, rule_id) == 0;
}

static tc_state count_for(const check_image *c, const char *rule_id)
{
    tc_state s = { 0, 0 };
    for (size_t i = 0; c->rep && i < c->rep->count; i++) {
        const vhdx_finding *fi = &c->rep->findings[i];
        if (!finding_matches(fi, rule_id)) continue;
        if (fi->severity == VHDX_SEV_ERROR) s.errors++;
        else s.others++;
    }
    return s;
}

static void finding_line(FILE *f, const vhdx_finding *fi)
{
    char msg[512];
    report_finding_message(fi, msg, sizeof msg);
    fprintf(f, "%s %s", vhdx_severity_name(fi->severity), vhdx_status_name(fi->code));
    if (fi->offset != UINT64_MAX) fprintf(f, " at 0x%" PRIx64, fi->offset);
    if (fi->field) { fputs(" (", f); report_xml_str(f, fi->field); fputs(")", f); }
    fputs(": ", f);
    report_xml_str(f, msg);
    fputc('\n', f);
}

static void findings_of(FILE *f, const check_image *c, const char *rule_id, int errors)
{
    for (size_t i = 0; c->rep && i < c->rep->count; i++) {
        const vhdx_finding *fi = &c->rep->findings[i];
        if (!finding_matches(fi, rule_id)) continue;
        if ((fi->severity == VHDX_SEV_ERROR) != (errors != 0)) continue;
        finding_line(f, fi);
    }
}

static void classname(FILE *f, const char *path)
{
    char buf[512];
    size_t n = 0;
    for (const char *p = report_basename(path); *p && n + 1 < sizeof buf; p++)
        buf[n++] = (*p == '.' || *p == ' ') ? '_' : *p;
    buf[n] = 0;
    fputs("vhdx.check.", f);
    report_xml_str(f, buf); /* escapes markup, replaces invalid UTF-8 */
}

int report_junit(FILE *f, const check_image *im, size_t n)
{
    size_t nrules = rules_count();
    size_t all_tests = 0, all_fail = 0, all_err = 0, all_skip = 0;
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        all_tests += nrules + 1;
        if (c->verdict == VHDX_VERDICT_UNREADABLE) all_err++;
        if (!c->rep) { all_skip += nrules; continue; }
        for (size_t i = 0; i < nrules; i++) {
            const rule_info *r = rules_at(i);
            if (!rules_is_judged(r)) { all_skip++; continue; }
            if (count_for(c, r->id).errors) all_fail++;
        }
        if (count_for(c, NULL).errors) all_fail++;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<testsuites name=\"vhdx check\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n",
            all_tests, all_fail, all_err, all_skip);
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        size_t fail = 0, skip = 0;
        for (size_t i = 0; i < nrules; i++) {
            const rule_info *r = rules_at(i);
            if (!c->rep || !rules_is_judged(r)) skip++;
            else if (count_for(c, r->id).errors) fail++;
        }
        if (c->rep && count_for(c, NULL).errors) fail++;
        fputs("  <testsuite name=\"", f);
        report_xml_str(f, c->path);
        fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\">\n",
                nrules + 1, fail, c->verdict == VHDX_VERDICT_UNREADABLE ? (size_t)1 : (size_t)0, skip);
        fputs("    <properties><property name=\"verdict\" value=\"", f);
        fputs(report_verdict_name(c->verdict), f);
        fputs("\"/>", f);
        if (c->rep && c->rep->info_valid) {
            fprintf(f, "<property name=\"type\" value=\"%s\"/><property name=\"virtual_size\" value=\"%" PRIu64 "\"/>",
                    report_type_name(c->rep->info.type), c->rep->info.virtual_size);
        }
        for (size_t i = 0; i < c->n_interop; i++) {
            fprintf(f, "<property name=\"interop.%s\" value=\"%s: ", c->interop[i].consumer,
                    interop_effect_name(c->interop[i].effect));
            report_xml_str(f, c->interop[i].reason);
            fputs("\"/>", f);
        }
        fputs("</properties>\n", f);

        /* the general testcase: the image could be checked, plus rule-less findings */
        fputs("    <testcase classname=\"", f);
        classname(f, c->path);
        fputs("\" name=\"general: image can be checked\">", f);
        if (!c->rep) {
            fputs("<error message=\"", f);
            report_xml_str(f, c->error[0] ? c->error : vhdx_status_message(c->rc));
            fprintf(f, "\" type=\"%s\"/>", vhdx_status_name(c->rc));
        } else {
            tc_state s = count_for(c, NULL);
            if (c->verdict == VHDX_VERDICT_UNREADABLE)
                fputs("<error message=\"the image could not be checked (see the failing rules)\" type=\"unreadable\"/>", f);
            if (s.errors) {
                fprintf(f, "<failure message=\"%zu error finding(s)\" type=\"error\">", s.errors);
                findings_of(f, c, NULL, 1);
                fputs("</failure>", f);
            }
            if (s.others) {
                fputs("<system-out>", f);
                findings_of(f, c, NULL, 0);
                fputs("</system-out>", f);
            }
        }
        fputs("</testcase>\n", f);

        for (size_t i = 0; i < nrules; i++) {
            const rule_info *r = rules_at(i);
            fputs("    <testcase classname=\"", f);
            classname(f, c->path);
            fprintf(f, "\" name=\"%s [MS-VHDX %s] ", r->id, r->section);
            report_xml_str(f, r->requirement);
            fputs("\">", f);
            if (!rules_is_judged(r)) {
                fputs("<skipped message=\"not judged from an image (behaviour rule)\"/>", f);
            } else if (!c->rep) {
                fputs("<skipped message=\"image could not be checked\"/>", f);
            } else {
                tc_state s = count_for(c, r->id);
                if (s.errors) {
                    fprintf(f, "<failure message=\"%s violated (%zu finding(s))\" type=\"error\">",
                            r->id, s.errors);
                    findings_of(f, c, r->id, 1);
                    fputs("How to fix: ", f);
                    report_xml_str(f, r->fix);
                    fputs("</failure>", f);
                }
                if (s.others) {
                    fputs("<system-out>", f);
                    findings_of(f, c, r->id, 0);
                    fputs("</system-out>", f);
                }
            }
            fputs("</testcase>\n", f);
        }
        fputs("  </testsuite>\n", f);
    }
    fputs("</testsuites>\n", f);
    return ferror(f) ? -1 : 0;
}
