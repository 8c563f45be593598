/* SPDX-License-Identifier: Apache-2.0 */
/* report_sarif.c - `vhdx check --format sarif`: SARIF 2.1.0, so code-scanning dashboards
 * show the findings. runs[0].tool.driver.rules is the whole catalogue (plus "GENERAL" for
 * findings without a rule); each result has ruleId, ruleIndex, level, message and a
 * physicalLocation whose region carries the byte offset of the finding in the image. */
#include "report.h"
#include "json.h"
#include "rules.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The path as a URI reference: unreserved characters and '/' kept, every other byte
 * percent-encoded (so the JSON string needs no escaping, but goes through it anyway). */
static void json_uri(json_w *w, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t len = strlen(path);
    char *buf = len < SIZE_MAX / 3 ? malloc(3 * len + 1) : NULL;
    if (!buf) {
        json_str(w, "");
        return;
    }
    char *o = buf;
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned char ch = *p;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == '/') {
            *o++ = (char)ch;
        } else {
            *o++ = '%';
            *o++ = hex[ch >> 4];
            *o++ = hex[ch & 15];
        }
    }
    *o = 0;
    json_str(w, buf);
    free(buf);
}

static void json_text(json_w *w, const char *key, const char *text)
{
    json_key(w, key);
    json_obj(w, NULL);
    json_kstr(w, "text", text);
    json_end(w);
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

static void rule_json(json_w *w, const rule_info *r)
{
    const char *sev = rules_default_severity(r);
    char full[600];
    snprintf(full, sizeof full, "[MS-VHDX %s] %s (%s)", r->section, r->requirement,
             rules_judge_text(r->judge));
    json_obj(w, NULL);
    json_kstr(w, "id", r->id);
    json_kstr(w, "name", r->id);
    json_text(w, "shortDescription", r->requirement);
    json_text(w, "fullDescription", full);
    json_text(w, "help", r->fix);
    json_key(w, "defaultConfiguration");
    json_obj(w, NULL);
    json_kstr(w, "level", strcmp(sev, "info") == 0 ? "note" : sev);
    json_kbool(w, "enabled", rules_is_judged(r));
    json_end(w);
    json_key(w, "properties");
    json_obj(w, NULL);
    json_kstr(w, "section", r->section);
    json_kstr(w, "level", r->level);
    json_kstr(w, "kind", r->kind);
    json_kbool(w, "judged", rules_is_judged(r));
    json_end(w);
    json_end(w);
}

static void driver_json(json_w *w)
{
    static const json_style rule_lines = { "\n  ", ",\n  ", "\n", NULL };
    json_key(w, "tool");
    json_obj(w, NULL);
    json_key(w, "driver");
    json_obj(w, NULL);
    json_kstr(w, "name", "vhdx check");
    json_kstr(w, "version", VHDX_VERSION_STRING);
    json_kstr(w, "informationUri",
              "https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-vhdx/");
    json_key(w, "rules");
    json_arr(w, &rule_lines);
    for (size_t i = 0; i < rules_count(); i++) rule_json(w, rules_at(i));
    json_obj(w, NULL);
    json_kstr(w, "id", "GENERAL");
    json_kstr(w, "name", "GENERAL");
    json_text(w, "shortDescription",
              "The image can be read and checked (I/O, limits, parent chain).");
    json_text(w, "help", "See the finding's status code.");
    json_key(w, "defaultConfiguration");
    json_obj(w, NULL);
    json_kstr(w, "level", "error");
    json_end(w);
    json_end(w);
    json_end(w);
    json_end(w);
    json_end(w);
}

/* "locations": [{"physicalLocation": {"artifactLocation": {...}, "region": ...}, ...}] */
static void location_json(json_w *w, const check_image *c, size_t k, const vhdx_finding *fi)
{
    json_key(w, "locations");
    json_arr(w, NULL);
    json_obj(w, NULL);
    json_key(w, "physicalLocation");
    json_obj(w, NULL);
    json_key(w, "artifactLocation");
    json_obj(w, NULL);
    json_key(w, "uri");
    json_uri(w, c->path);
    json_ku64(w, "index", k);
    json_end(w);
    if (fi && fi->offset != UINT64_MAX) {
        json_key(w, "region");
        json_obj(w, NULL);
        json_ku64(w, "byteOffset", fi->offset);
        json_end(w);
    }
    json_end(w);
    if (fi && fi->field) {
        json_key(w, "logicalLocations");
        json_arr(w, NULL);
        json_obj(w, NULL);
        json_kstr(w, "name", fi->field);
        json_kstr(w, "kind", "member");
        json_end(w);
        json_end(w);
    }
    json_end(w);
    json_end(w);
}

static void result_json(json_w *w, const check_image *c, size_t k, const vhdx_finding *fi)
{
    size_t nrules = rules_count();
    const char *rule = report_rule_of(fi->code);
    long idx = rule_index(rule);
    const char *id = (size_t)idx < nrules ? rules_at((size_t)idx)->id : "GENERAL";
    char msg[512], text[700];
    report_finding_message(fi, msg, sizeof msg);
    const char *sec = vhdx_status_section(fi->code);
    if (sec && sec[0])
        snprintf(text, sizeof text, "%s [MS-VHDX %s]%s%s: %s", id, sec, fi->field ? " " : "",
                 fi->field ? fi->field : "", msg);
    else
        snprintf(text, sizeof text, "%s%s%s: %s", id, fi->field ? " " : "",
                 fi->field ? fi->field : "", msg);
    json_obj(w, NULL);
    json_kstr(w, "ruleId", id);
    json_ki64(w, "ruleIndex", idx);
    json_kstr(w, "level", sarif_level(fi->severity));
    json_text(w, "message", text);
    location_json(w, c, k, fi);
    json_key(w, "properties");
    json_obj(w, NULL);
    json_kstr(w, "code", vhdx_status_name(fi->code));
    json_kstr(w, "severity", vhdx_severity_name(fi->severity));
    json_end(w);
    json_end(w);
}

static void unreadable_json(json_w *w, const check_image *c, size_t k)
{
    json_obj(w, NULL);
    json_kstr(w, "ruleId", "GENERAL");
    json_ku64(w, "ruleIndex", rules_count());
    json_kstr(w, "level", "error");
    json_text(w, "message", c->error[0] ? c->error : vhdx_status_message(c->rc));
    location_json(w, c, k, NULL);
    json_key(w, "properties");
    json_obj(w, NULL);
    json_kstr(w, "code", vhdx_status_name(c->rc));
    json_kstr(w, "verdict", "unreadable");
    json_end(w);
    json_end(w);
}

int report_sarif(FILE *f, const check_image *im, size_t n)
{
    static const json_style lines = { "\n", ",\n", "\n", NULL };
    static const json_style result_lines = { "\n  ", ",\n  ", "\n", "\n" };
    json_w w;
    json_init(&w, f);
    json_obj(&w, &lines);
    json_kstr(&w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    json_kstr(&w, "version", "2.1.0");
    json_key(&w, "runs");
    json_arr(&w, NULL);
    json_obj(&w, &lines);
    driver_json(&w);
    json_key(&w, "artifacts");
    json_arr(&w, NULL);
    for (size_t k = 0; k < n; k++) {
        json_obj(&w, NULL);
        json_key(&w, "location");
        json_obj(&w, NULL);
        json_key(&w, "uri");
        json_uri(&w, im[k].path);
        json_end(&w);
        if (im[k].rep && im[k].rep->info_valid) json_ku64(&w, "length", im[k].rep->info.file_size);
        json_end(&w);
    }
    json_end(&w);
    json_key(&w, "invocations");
    json_arr(&w, NULL);
    json_obj(&w, NULL);
    json_kbool(&w, "executionSuccessful", 1);
    json_end(&w);
    json_end(&w);
    json_key(&w, "results");
    json_arr(&w, &result_lines);
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        if (!c->rep) unreadable_json(&w, c, k);
        for (size_t i = 0; c->rep && i < c->rep->count; i++)
            result_json(&w, c, k, &c->rep->findings[i]);
    }
    json_end(&w);
    json_end(&w);
    json_end(&w);
    json_end(&w);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
