/* report_sarif.c - `vhdx check --format sarif`: SARIF 2.1.0, so code-scanning dashboards
 * show the findings. runs[0].tool.driver.rules is the whole catalogue (plus "GENERAL" for
 * findings without a rule); each result has ruleId, ruleIndex, level, message and a
 * physicalLocation whose region carries the byte offset of the finding in the image. */
#include "report.h"
#include "rules.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

static void uri(FILE *f, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/')
            fputc(ch, f);
        else
            fprintf(f, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
    }
    fputc('"', f);
}

static const char *sarif_level(vhdx_severity s)
{
    return s == VHDX_SEV_ERROR ? "error" : s == VHDX_SEV_WARNING ? "warning" : "note";
}

static long rule_index(const char *id)
{
    size_t n = rules_count();
    if (id && id[0])
        for (size_t i = 0; i < n; i++)
            if (strcasecmp(rules_at(i)->id, id) == 0) return (long)i;
    return (long)n; /* GENERAL */
}

int report_sarif(FILE *f, const check_image *im, size_t n)
{
    size_t nrules = rules_count();
    fputs("{\n\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n\"version\": \"2.1.0\",\n"
          "\"runs\": [{\n\"tool\": {\"driver\": {\"name\": \"vhdx check\", \"version\": \"" VHDX_VERSION_STRING "\", "
          "\"informationUri\": \"https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-vhdx/\", \"rules\": [", f);
    for (size_t i = 0; i < nrules; i++) {
        const rule_info *r = rules_at(i);
        const char *sev = rules_default_severity(r);
        fprintf(f, "%s\n  {\"id\": \"%s\", \"name\": \"%s\", \"shortDescription\": {\"text\": ", i ? "," : "", r->id, r->id);
        report_json_str(f, r->requirement);
        fputs("}, \"fullDescription\": {\"text\": ", f);
        char full[600];
        snprintf(full, sizeof full, "[MS-VHDX %s] %s (%s)", r->section, r->requirement, rules_judge_text(r->judge));
        report_json_str(f, full);
        fputs("}, \"help\": {\"text\": ", f);
        report_json_str(f, r->fix);
        fprintf(f, "}, \"defaultConfiguration\": {\"level\": \"%s\", \"enabled\": %s}, "
                   "\"properties\": {\"section\": \"%s\", \"level\": \"%s\", \"kind\": \"%s\", \"judged\": %s}}",
                strcmp(sev, "info") == 0 ? "note" : sev, rules_is_judged(r) ? "true" : "false",
                r->section, r->level, r->kind, rules_is_judged(r) ? "true" : "false");
    }
    fputs(",\n  {\"id\": \"GENERAL\", \"name\": \"GENERAL\", \"shortDescription\": {\"text\": \"The image can be read and checked (I/O, limits, parent chain).\"}, "
          "\"help\": {\"text\": \"See the finding's status code.\"}, \"defaultConfiguration\": {\"level\": \"error\"}}\n]}},\n", f);

    fputs("\"artifacts\": [", f);
    for (size_t k = 0; k < n; k++) {
        fputs(k ? ", {\"location\": {\"uri\": " : "{\"location\": {\"uri\": ", f);
        uri(f, im[k].path);
        fputs("}", f);
        if (im[k].rep && im[k].rep->info_valid)
            fprintf(f, ", \"length\": %" PRIu64, im[k].rep->info.file_size);
        fputs("}", f);
    }
    fputs("],\n\"invocations\": [{\"executionSuccessful\": true}],\n\"results\": [", f);
    int first = 1;
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        if (!c->rep) {
            fprintf(f, "%s\n  {\"ruleId\": \"GENERAL\", \"ruleIndex\": %zu, \"level\": \"error\", \"message\": {\"text\": ",
                    first ? "" : ",", nrules);
            report_json_str(f, c->error[0] ? c->error : vhdx_status_message(c->rc));
            fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", f);
            uri(f, c->path);
            fprintf(f, ", \"index\": %zu}}}], \"properties\": {\"code\": \"%s\", \"verdict\": \"unreadable\"}}",
                    k, vhdx_status_name(c->rc));
            first = 0;
            continue;
        }
        for (size_t i = 0; i < c->rep->count; i++) {
            const vhdx_finding *fi = &c->rep->findings[i];
            const char *rule = report_rule_of(fi->code);
            long idx = rule_index(rule);
            const char *id = (size_t)idx < nrules ? rules_at((size_t)idx)->id : "GENERAL";
            char msg[512], text[700];
            report_finding_message(fi, msg, sizeof msg);
            const char *sec = vhdx_status_section(fi->code);
            if (sec && sec[0]) snprintf(text, sizeof text, "%s [MS-VHDX %s]%s%s: %s", id, sec,
                                        fi->field ? " " : "", fi->field ? fi->field : "", msg);
            else snprintf(text, sizeof text, "%s%s%s: %s", id, fi->field ? " " : "",
                          fi->field ? fi->field : "", msg);
            fprintf(f, "%s\n  {\"ruleId\": \"%s\", \"ruleIndex\": %ld, \"level\": \"%s\", \"message\": {\"text\": ",
                    first ? "" : ",", id, idx, sarif_level(fi->severity));
            report_json_str(f, text);
            fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ", f);
            uri(f, c->path);
            fprintf(f, ", \"index\": %zu}", k);
            if (fi->offset != UINT64_MAX)
                fprintf(f, ", \"region\": {\"byteOffset\": %" PRIu64 "}", fi->offset);
            fputs("}", f);
            if (fi->field) {
                fputs(", \"logicalLocations\": [{\"name\": ", f);
                report_json_str(f, fi->field);
                fputs(", \"kind\": \"member\"}]", f);
            }
            fprintf(f, "}], \"properties\": {\"code\": \"%s\", \"severity\": \"%s\"}}",
                    vhdx_status_name(fi->code), vhdx_severity_name(fi->severity));
            first = 0;
        }
    }
    fputs("\n]\n}]\n}\n", f);
    return ferror(f) ? -1 : 0;
}
