/* SPDX-License-Identifier: Apache-2.0 */
/* report_junit.c - `vhdx check --format junit`: one <testsuite> per image and one
 * <testcase> per catalogue rule, so a CI system shows each rule; valid against Jenkins'
 * JUnit schema (cli.test_junit_schema). Rules with an error finding fail (<failure
 * type="error">). A rule with only warnings is <skipped type="warning" message="R10: 1
 * warning(s): ..."> with the findings in the element and in <system-out> (Jenkins and GitLab
 * list skipped cases with their message in their summaries; they show neither the output
 * nor the properties of passing cases), or <failure type="warning"> under
 * --junit-warnings-fail. Infos pass, listed in <system-out>. Behaviour rules are <skipped
 * type="not-judged">; when the image could not be examined, every rule without an error
 * finding is <skipped type="unreadable"> (never passed). Findings without a catalogue rule
 * (I/O, limits, a missing parent) form the testcase "general". The classname is
 * "vhdx.check." plus the image path as given ('_' doubled, '.' as '_', '/' as '.'), so two
 * images with the same base name in different folders stay apart. See docs/reports.md. */
#include "report.h"
#include "rules.h"
#include "xml.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

typedef struct tc_state {
    size_t errors, warnings, infos;   /* findings of this testcase by severity */
} tc_state;

/* How a testcase ends (counted in the suite's attributes exactly as written). */
typedef enum tc_outcome { TC_PASS, TC_FAIL, TC_SKIP } tc_outcome;

static int finding_matches(const vhdx_finding *fi, const char *rule_id)
{
    const char *r = report_rule_of(fi->code);
    if (!rule_id) return r[0] == 0 || rules_find(r) == NULL;
    return strcasecmp(r, rule_id) == 0;
}

static tc_state count_for(const check_image *c, const char *rule_id)
{
    tc_state s = { 0, 0, 0 };
    for (size_t i = 0; c->rep && i < c->rep->count; i++) {
        const vhdx_finding *fi = &c->rep->findings[i];
        if (!finding_matches(fi, rule_id)) continue;
        if (fi->severity == VHDX_SEV_ERROR) s.errors++;
        else if (fi->severity == VHDX_SEV_WARNING) s.warnings++;
        else s.infos++;
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

/* the findings of one testcase with severity sev (one line each) */
static void findings_of(FILE *f, const check_image *c, const char *rule_id, vhdx_severity sev)
{
    for (size_t i = 0; c->rep && i < c->rep->count; i++) {
        const vhdx_finding *fi = &c->rep->findings[i];
        if (!finding_matches(fi, rule_id) || fi->severity != sev) continue;
        finding_line(f, fi);
    }
}

/* "vhdx.check." + the path: '_' -> "__", '.' -> '_', '/' -> '.', leading "./" and '/' dropped */
static void classname_attr(FILE *f, const char *path)
{
    char buf[1024];
    size_t n = 0;
    const char *p = path;
    for (;;) {
        if (p[0] == '/') p++;
        else if (p[0] == '.' && p[1] == '/') p += 2;
        else break;
    }
    for (; *p && n + 2 < sizeof buf; p++) {
        if (*p == '_') buf[n++] = '_';
        buf[n++] = *p == '.' ? '_' : *p == '/' ? '.' : *p;
    }
    buf[n] = 0;
    xml_attrf(f, "classname", "vhdx.check.%s", buf);
}

static void testcase_open(FILE *f, const char *path, const char *name)
{
    fputs("    ", f);
    xml_open(f, "testcase");
    classname_attr(f, path);
    xml_attr(f, "name", name);
    xml_start_end(f);
}

/* The first warning's message, for the message attribute. */
static void first_warning(const check_image *c, const char *rule_id, char *buf, size_t n)
{
    buf[0] = 0;
    for (size_t i = 0; c->rep && i < c->rep->count; i++) {
        const vhdx_finding *fi = &c->rep->findings[i];
        if (finding_matches(fi, rule_id) && fi->severity == VHDX_SEV_WARNING) {
            report_finding_message(fi, buf, n);
            return;
        }
    }
}

static tc_outcome outcome_of(tc_state s, int warnings_fail)
{
    if (s.errors || (s.warnings && warnings_fail)) return TC_FAIL;
    return s.warnings ? TC_SKIP : TC_PASS;
}

/* <failure type="error">, then the warnings as <failure type="warning"> (warnings_fail) or
 * <skipped type="warning"> (when no error), then <system-out> with warnings and infos */
static void failure_and_out(FILE *f, const check_image *c, const char *rule_id, tc_state s,
                            const rule_info *r, int warnings_fail)
{
    if (s.errors) {
        xml_open(f, "failure");
        if (r) xml_attrf(f, "message", "%s violated (%zu finding(s))", r->id, s.errors);
        else xml_attrf(f, "message", "%zu error finding(s)", s.errors);
        xml_attr(f, "type", "error");
        xml_start_end(f);
        findings_of(f, c, rule_id, VHDX_SEV_ERROR);
        if (r) {
            xml_escape(f, "How to fix: ");
            xml_escape(f, r->fix);
        }
        xml_close(f, "failure");
    }
    if (s.warnings && (warnings_fail || !s.errors)) {
        char msg[512];
        first_warning(c, rule_id, msg, sizeof msg);
        const char *el = warnings_fail ? "failure" : "skipped";
        xml_open(f, el);
        xml_attrf(f, "message", "%s: %zu warning(s): %s", r ? r->id : "general", s.warnings,
                  msg);
        xml_attr(f, "type", "warning");
        xml_start_end(f);
        findings_of(f, c, rule_id, VHDX_SEV_WARNING);
        xml_close(f, el);
    }
    if (s.warnings || s.infos) {
        xml_open(f, "system-out");
        xml_start_end(f);
        findings_of(f, c, rule_id, VHDX_SEV_WARNING);
        findings_of(f, c, rule_id, VHDX_SEV_INFO);
        xml_close(f, "system-out");
    }
}

static int unexamined(const check_image *c)
{
    return !c->rep || c->verdict == VHDX_VERDICT_UNREADABLE;
}

static void general_case(FILE *f, const check_image *c, int warnings_fail)
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
        failure_and_out(f, c, NULL, count_for(c, NULL), NULL, warnings_fail);
    }
    xml_close(f, "testcase");
    fputc('\n', f);
}

/* Why a rule's testcase is skipped whatever its warnings, or NULL (type: the skipped type) */
static const char *skip_reason(const check_image *c, const rule_info *r, tc_state s,
                               const char **type)
{
    if (!rules_is_judged(r)) {
        *type = "not-judged";
        return "not judged from an image (behaviour rule)";
    }
    if (unexamined(c) && !s.errors) {
        *type = "unreadable";
        return "the image could not be examined: this rule was not checked";
    }
    return NULL;
}

static void rule_case(FILE *f, const check_image *c, const rule_info *r, int warnings_fail)
{
    char name[1024];
    snprintf(name, sizeof name, "%s [MS-VHDX %s] %s", r->id, r->section, r->requirement);
    testcase_open(f, c->path, name);
    tc_state s = count_for(c, r->id);
    const char *type = NULL, *skip = skip_reason(c, r, s, &type);
    if (skip) {
        xml_open(f, "skipped");
        xml_attr(f, "message", skip);
        xml_attr(f, "type", type);
        xml_empty_end(f);
    } else {
        failure_and_out(f, c, r->id, s, r, warnings_fail);
    }
    xml_close(f, "testcase");
    fputc('\n', f);
}

typedef struct suite_counts {
    size_t tests, failures, errors, skipped;
} suite_counts;

/* The counts of one suite, exactly as rule_case and general_case write the testcases */
static suite_counts counts_of(const check_image *c, int warnings_fail)
{
    size_t nrules = rules_count();
    suite_counts k = { nrules + 1, 0, 0, 0 };
    for (size_t i = 0; i < nrules; i++) {
        const rule_info *r = rules_at(i);
        tc_state s = count_for(c, r->id);
        const char *type;
        tc_outcome o = skip_reason(c, r, s, &type) ? TC_SKIP : outcome_of(s, warnings_fail);
        if (o == TC_FAIL) k.failures++;
        else if (o == TC_SKIP) k.skipped++;
    }
    if (unexamined(c)) {
        k.errors++; /* the general case is an <error> */
    } else {
        tc_outcome o = outcome_of(count_for(c, NULL), warnings_fail);
        if (o == TC_FAIL) k.failures++;
        else if (o == TC_SKIP) k.skipped++;
    }
    return k;
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
        xml_attr(f, "value", report_type_name(c->rep->info->type));
        xml_empty_end(f);
        xml_open(f, "property");
        xml_attr(f, "name", "virtual_size");
        xml_attrf(f, "value", "%" PRIu64, c->rep->info->virtual_size);
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

static void suite(FILE *f, const check_image *c, int warnings_fail)
{
    size_t nrules = rules_count();
    suite_counts k = counts_of(c, warnings_fail);
    fputs("  ", f);
    xml_open(f, "testsuite");
    xml_attr(f, "name", c->path);
    xml_attrf(f, "tests", "%zu", k.tests);
    xml_attrf(f, "failures", "%zu", k.failures);
    xml_attrf(f, "errors", "%zu", k.errors);
    xml_attrf(f, "skipped", "%zu", k.skipped);
    xml_start_end(f);
    fputc('\n', f);
    suite_properties(f, c);
    general_case(f, c, warnings_fail);
    for (size_t i = 0; i < nrules; i++) rule_case(f, c, rules_at(i), warnings_fail);
    fputs("  ", f);
    xml_close(f, "testsuite");
    fputc('\n', f);
}

/* <testsuites> carries no skipped count: Jenkins' schema does not allow it there. */
int report_junit(FILE *f, const check_image *im, size_t n, int warnings_fail)
{
    suite_counts all = { 0, 0, 0, 0 };
    for (size_t k = 0; k < n; k++) {
        suite_counts s = counts_of(&im[k], warnings_fail);
        all.tests += s.tests;
        all.failures += s.failures;
        all.errors += s.errors;
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    xml_open(f, "testsuites");
    xml_attr(f, "name", "vhdx check");
    xml_attrf(f, "tests", "%zu", all.tests);
    xml_attrf(f, "failures", "%zu", all.failures);
    xml_attrf(f, "errors", "%zu", all.errors);
    xml_start_end(f);
    fputc('\n', f);
    for (size_t k = 0; k < n; k++) suite(f, &im[k], warnings_fail);
    xml_close(f, "testsuites");
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
