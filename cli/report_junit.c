/* SPDX-License-Identifier: Apache-2.0 */
/* report_junit.c - `vhdx check --format junit`: one <testsuite> per image and one
 * <testcase> per catalogue rule, so a CI system shows each rule. Rules with an error
 * finding fail (<failure>); warnings and infos pass and are listed in <system-out>;
 * behaviour rules are <skipped> ("not judged from an image"). Findings without a catalogue
 * rule (I/O, limits, a missing parent) form the testcase "general". */
#include "report.h"
#include "rules.h"
#include "xml.h"

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
    char msg[512], at[32] = "";
    report_finding_message(fi, msg, sizeof msg);
    if (fi->offset != UINT64_MAX) snprintf(at, sizeof at, " at 0x%" PRIx64, fi->offset);
    xml_escapef(f, "%s %s%s%s%s%s: %s", vhdx_severity_name(fi->severity),
                vhdx_status_name(fi->code), at, fi->field ? " (" : "",
                fi->field ? fi->field : "", fi->field ? ")" : "", msg);
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

/* <testcase classname="vhdx.check.<image basename, '.' and ' ' as '_'>" name="..."> */
static void testcase_open(FILE *f, const char *path, const char *name)
{
    char buf[512];
    size_t n = 0;
    for (const char *p = report_basename(path); *p && n + 1 < sizeof buf; p++)
        buf[n++] = (*p == '.' || *p == ' ') ? '_' : *p;
    buf[n] = 0;
    fputs("    ", f);
    xml_open(f, "testcase");
    xml_attrf(f, "classname", "vhdx.check.%s", buf);
    xml_attr(f, "name", name);
    xml_start_end(f);
}

/* <failure message="..." type="error">findings</failure> and <system-out>others</system-out> */
static void failure_and_out(FILE *f, const check_image *c, const char *rule_id, tc_state s,
                            const rule_info *r)
{
    if (s.errors) {
        xml_open(f, "failure");
        if (r) xml_attrf(f, "message", "%s violated (%zu finding(s))", r->id, s.errors);
        else xml_attrf(f, "message", "%zu error finding(s)", s.errors);
        xml_attr(f, "type", "error");
        xml_start_end(f);
        findings_of(f, c, rule_id, 1);
        if (r) {
            xml_escape(f, "How to fix: ");
            xml_escape(f, r->fix);
        }
        xml_close(f, "failure");
    }
    if (s.others) {
        xml_open(f, "system-out");
        xml_start_end(f);
        findings_of(f, c, rule_id, 0);
        xml_close(f, "system-out");
    }
}

static void general_case(FILE *f, const check_image *c)
{
    testcase_open(f, c->path, "general: image can be checked");
    if (!c->rep) {
        xml_open(f, "error");
        xml_attr(f, "message", c->error[0] ? c->error : vhdx_status_message(c->rc));
        xml_attr(f, "type", vhdx_status_name(c->rc));
        xml_empty_end(f);
    } else {
        if (c->verdict == VHDX_VERDICT_UNREADABLE) {
            xml_open(f, "error");
            xml_attr(f, "message", "the image could not be checked (see the failing rules)");
            xml_attr(f, "type", "unreadable");
            xml_empty_end(f);
        }
        failure_and_out(f, c, NULL, count_for(c, NULL), NULL);
    }
    xml_close(f, "testcase");
    fputc('\n', f);
}

static void rule_case(FILE *f, const check_image *c, const rule_info *r)
{
    char name[1024];
    snprintf(name, sizeof name, "%s [MS-VHDX %s] %s", r->id, r->section, r->requirement);
    testcase_open(f, c->path, name);
    const char *skip = !rules_is_judged(r) ? "not judged from an image (behaviour rule)"
                     : !c->rep ? "image could not be checked" : NULL;
    if (skip) {
        xml_open(f, "skipped");
        xml_attr(f, "message", skip);
        xml_empty_end(f);
    } else {
        failure_and_out(f, c, r->id, count_for(c, r->id), r);
    }
    xml_close(f, "testcase");
    fputc('\n', f);
}

static void suite_properties(FILE *f, const check_image *c)
{
    fputs("    ", f);
    xml_open(f, "properties");
    xml_start_end(f);
    xml_open(f, "property");
    xml_attr(f, "name", "verdict");
    xml_attr(f, "value", report_verdict_name(c->verdict));
    xml_empty_end(f);
    if (c->rep && c->rep->info_valid) {
        xml_open(f, "property");
        xml_attr(f, "name", "type");
        xml_attr(f, "value", report_type_name(c->rep->info.type));
        xml_empty_end(f);
        xml_open(f, "property");
        xml_attr(f, "name", "virtual_size");
        xml_attrf(f, "value", "%" PRIu64, c->rep->info.virtual_size);
        xml_empty_end(f);
    }
    for (size_t i = 0; i < c->n_interop; i++) {
        xml_open(f, "property");
        xml_attrf(f, "name", "interop.%s", c->interop[i].consumer);
        xml_attrf(f, "value", "%s: %s", interop_effect_name(c->interop[i].effect),
                  c->interop[i].reason);
        xml_empty_end(f);
    }
    xml_close(f, "properties");
    fputc('\n', f);
}

static void suite(FILE *f, const check_image *c)
{
    size_t nrules = rules_count(), fail = 0, skip = 0;
    for (size_t i = 0; i < nrules; i++) {
        const rule_info *r = rules_at(i);
        if (!c->rep || !rules_is_judged(r)) skip++;
        else if (count_for(c, r->id).errors) fail++;
    }
    if (c->rep && count_for(c, NULL).errors) fail++;
    fputs("  ", f);
    xml_open(f, "testsuite");
    xml_attr(f, "name", c->path);
    xml_attrf(f, "tests", "%zu", nrules + 1);
    xml_attrf(f, "failures", "%zu", fail);
    xml_attrf(f, "errors", "%d", c->verdict == VHDX_VERDICT_UNREADABLE);
    xml_attrf(f, "skipped", "%zu", skip);
    xml_start_end(f);
    fputc('\n', f);
    suite_properties(f, c);
    general_case(f, c);
    for (size_t i = 0; i < nrules; i++) rule_case(f, c, rules_at(i));
    fputs("  ", f);
    xml_close(f, "testsuite");
    fputc('\n', f);
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
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    xml_open(f, "testsuites");
    xml_attr(f, "name", "vhdx check");
    xml_attrf(f, "tests", "%zu", all_tests);
    xml_attrf(f, "failures", "%zu", all_fail);
    xml_attrf(f, "errors", "%zu", all_err);
    xml_attrf(f, "skipped", "%zu", all_skip);
    xml_start_end(f);
    fputc('\n', f);
    for (size_t k = 0; k < n; k++) suite(f, &im[k]);
    xml_close(f, "testsuites");
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
