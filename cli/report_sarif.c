/* SPDX-License-Identifier: Apache-2.0 */
/* report_sarif.c - `vhdx check --format sarif`: SARIF 2.1.0, so code-scanning dashboards
 * show the findings. runs[0].tool.driver.rules is the whole catalogue (plus "GENERAL" for
 * findings without a rule), each with a PascalCase name, descriptions and a helpUri into
 * docs/rules.md; each result has ruleId, ruleIndex, level, message, a physicalLocation whose
 * region carries the byte offset of the finding in the image (relative URI with uriBaseId
 * SRCROOT when the image is under the working folder) and partialFingerprints that are the
 * same for the same finding on every run and machine. Checked with Microsoft's validator
 * and GitHub's ingestion rules by cli.test_sarif_validate. */
#include "report.h"
#include "json.h"
#include "rules.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "vhdx_project.h"

/* Percent-encodes a path for a URI: unreserved characters and '/' kept, every other byte
 * %XX. Returns a malloc'ed string, or NULL when out of memory. */
static char *uri_encode(const char *prefix, const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t plen = strlen(prefix), len = strlen(path);
    char *buf = len < (SIZE_MAX - plen - 1) / 3 ? malloc(plen + 3 * len + 1) : NULL;
    if (!buf) return NULL;
    memcpy(buf, prefix, plen);
    char *o = buf + plen;
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
    return buf;
}

/* The canonical absolute path of `path` (malloc'ed): realpath() of the file, or of its
 * folder plus the base name when the file itself does not exist; NULL when neither works. */
static char *absolute_path(const char *path)
{
    char *abs = realpath(path, NULL);
    if (abs) return abs;
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) : strdup(".");
    char *rdir = dir ? realpath(dir, NULL) : NULL;
    free(dir);
    if (!rdir) return NULL;
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(rdir) + strlen(base) + 2;
    abs = malloc(n);
    if (abs) snprintf(abs, n, "%s%s%s", rdir, strcmp(rdir, "/") ? "/" : "", base);
    free(rdir);
    return abs;
}

/* Where an image is, as SARIF wants it: relative to the working folder with uriBaseId
 * SRCROOT when the image lies under it (what GitHub code scanning matches against the
 * repository), otherwise an absolute file:// URI. */
typedef struct sarif_loc {
    char *uri;
    int relative;
} sarif_loc;

static sarif_loc sarif_locate(const char *path, const char *cwd)
{
    sarif_loc l = { NULL, 0 };
    char *abs = absolute_path(path);
    size_t n = cwd ? strlen(cwd) : 0;
    if (abs && cwd && n > 1 && strncmp(abs, cwd, n) == 0 && abs[n] == '/' && abs[n + 1]) {
        l.uri = uri_encode("", abs + n + 1);
        l.relative = 1;
    } else if (abs) {
        l.uri = uri_encode("file://", abs);
    } else {
        l.uri = uri_encode(path[0] == '/' ? "file://" : "", path);
        l.relative = path[0] != '/';
    }
    free(abs);
    return l;
}

static void artifact_location(json_w *w, const sarif_loc *l, int index)
{
    json_kstr(w, "uri", l->uri ? l->uri : "");
    if (l->relative) json_kstr(w, "uriBaseId", "SRCROOT");
    if (index >= 0) json_ku64(w, "index", (uint64_t)index);
}

/* partialFingerprints: FNV-1a 64 over rule id, byte offset in the image, field, status
 * name and the normalized message (lower case, runs of white space as one space, every
 * word holding a '/' (a path) dropped), plus the occurrence number among equal findings
 * of one image. Nothing machine- or run-specific: the same finding in the same image
 * gets the same fingerprint on every machine. */
static uint64_t fnv1a(uint64_t h, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
    return fnv1a(s ? fnv1a(h, s, strlen(s)) : h, "", 1);
}

static uint64_t fnv_message(uint64_t h, const char *msg)
{
    const char *p = msg;
    while (*p) {
        while (*p && isspace((unsigned char)*p)) p++;
        const char *w = p;
        while (*p && !isspace((unsigned char)*p)) p++;
        if (p == w || memchr(w, '/', (size_t)(p - w))) continue;
        for (const char *c = w; c < p; c++) {
            char lc = (char)tolower((unsigned char)*c);
            h = fnv1a(h, &lc, 1);
        }
        h = fnv1a(h, " ", 1);
    }
    return fnv1a(h, "", 1);
}

static uint64_t finding_hash(const char *rule, const vhdx_finding *fi)
{
    char msg[512], off[24] = "-";
    report_finding_message(fi, msg, sizeof msg);
    if (fi->offset != UINT64_MAX) snprintf(off, sizeof off, "%" PRIx64, fi->offset);
    uint64_t h = fnv_str(0xcbf29ce484222325ULL, "vhdx/v1");
    h = fnv_str(h, rule);
    h = fnv_str(h, off);
    h = fnv_str(h, fi->field);
    h = fnv_str(h, vhdx_status_name(fi->code));
    return fnv_message(h, msg);
}

static void fingerprint_json(json_w *w, const uint64_t *hashes, size_t i)
{
    unsigned occurrence = 1;
    for (size_t j = 0; j < i; j++)
        if (hashes[j] == hashes[i]) occurrence++;
    char fp[40];
    snprintf(fp, sizeof fp, "%016" PRIx64 ":%u", hashes[i], occurrence);
    json_key(w, "partialFingerprints");
    json_obj(w, NULL);
    json_kstr(w, "vhdxFinding/v1", fp);
    json_end(w);
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

#define RULES_URI VHDX_HOME_URL "/blob/main/" RULES_DOC_PATH

static void rule_json(json_w *w, const rule_info *r)
{
    const char *sev = rules_default_severity(r);
    char full[600], name[160], anchor[16], uri[sizeof RULES_URI + 24];
    snprintf(full, sizeof full, "[MS-VHDX %s] %s (%s)", r->section, r->requirement,
             rules_judge_text(r->judge));
    snprintf(uri, sizeof uri, "%s#%s", RULES_URI, rules_doc_anchor(r, anchor, sizeof anchor));
    json_obj(w, NULL);
    json_kstr(w, "id", r->id);
    json_kstr(w, "name", rules_name(r, name, sizeof name));
    json_text(w, "shortDescription", r->requirement);
    json_text(w, "fullDescription", full);
    json_text(w, "help", r->fix);
    json_kstr(w, "helpUri", uri);
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

static void general_rule_json(json_w *w)
{
    json_obj(w, NULL);
    json_kstr(w, "id", "GENERAL");
    json_kstr(w, "name", "ImageCanBeChecked");
    json_text(w, "shortDescription",
              "The image can be read and checked (I/O, limits, parent chain).");
    json_text(w, "fullDescription",
              "The file can be opened and read, its structures stay within the configured "
              "limits and the parent of a differencing image is found; findings that belong "
              "to no rule of [MS-VHDX] (an I/O error, a limit, a missing parent) are "
              "reported under this id.");
    json_text(w, "help", "See the finding's status code (vhdx check --explain STATUS).");
    json_kstr(w, "helpUri", RULES_URI);
    json_key(w, "defaultConfiguration");
    json_obj(w, NULL);
    json_kstr(w, "level", "error");
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
    json_kstr(w, "semanticVersion", VHDX_VERSION_STRING);
    json_kstr(w, "informationUri", VHDX_HOME_URL);
    json_key(w, "rules");
    json_arr(w, &rule_lines);
    for (size_t i = 0; i < rules_count(); i++) rule_json(w, rules_at(i));
    general_rule_json(w);
    json_end(w);
    json_end(w);
    json_end(w);
}

/* "locations": [{"physicalLocation": {"artifactLocation": {...}, "region": ...}, ...}] */
static void location_json(json_w *w, const sarif_loc *l, size_t k, const vhdx_finding *fi)
{
    json_key(w, "locations");
    json_arr(w, NULL);
    json_obj(w, NULL);
    json_key(w, "physicalLocation");
    json_obj(w, NULL);
    json_key(w, "artifactLocation");
    json_obj(w, NULL);
    artifact_location(w, l, (int)k);
    json_end(w);
    /* Every result has a region (GitHub and SARIF2017 want one): the finding's byte offset,
     * or the start of the file for a finding about the whole file. */
    json_key(w, "region");
    json_obj(w, NULL);
    json_ku64(w, "byteOffset", fi && fi->offset != UINT64_MAX ? fi->offset : 0);
    json_end(w);
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

static const char *finding_rule(const vhdx_finding *fi, long *idx)
{
    size_t nrules = rules_count();
    *idx = rule_index(report_rule_of(fi->code));
    return (size_t)*idx < nrules ? rules_at((size_t)*idx)->id : "GENERAL";
}

static void result_json(json_w *w, const check_image *c, const sarif_loc *l, size_t k,
                        size_t i, const uint64_t *hashes)
{
    const vhdx_finding *fi = &c->rep->findings[i];
    long idx;
    const char *id = finding_rule(fi, &idx);
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
    location_json(w, l, k, fi);
    if (hashes) fingerprint_json(w, hashes, i);
    json_key(w, "properties");
    json_obj(w, NULL);
    json_kstr(w, "code", vhdx_status_name(fi->code));
    json_kstr(w, "severity", vhdx_severity_name(fi->severity));
    json_end(w);
    json_end(w);
}

static const char *unreadable_text(const check_image *c)
{
    return c->error[0] ? c->error : vhdx_status_message(c->rc);
}

static void unreadable_json(json_w *w, const check_image *c, const sarif_loc *l, size_t k)
{
    char fp[40];
    uint64_t h = fnv_str(fnv_str(0xcbf29ce484222325ULL, "vhdx/v1/unreadable"),
                         vhdx_status_name(c->rc));
    snprintf(fp, sizeof fp, "%016" PRIx64 ":1", h);
    json_obj(w, NULL);
    json_kstr(w, "ruleId", "GENERAL");
    json_ku64(w, "ruleIndex", rules_count());
    json_kstr(w, "level", "error");
    json_text(w, "message", unreadable_text(c));
    location_json(w, l, k, NULL);
    json_key(w, "partialFingerprints");
    json_obj(w, NULL);
    json_kstr(w, "vhdxFinding/v1", fp);
    json_end(w);
    json_key(w, "properties");
    json_obj(w, NULL);
    json_kstr(w, "code", vhdx_status_name(c->rc));
    json_kstr(w, "verdict", "unreadable");
    json_end(w);
    json_end(w);
}

static int examined(const check_image *c)
{
    return c->rep && c->verdict != VHDX_VERDICT_UNREADABLE;
}

/* "invocations": executionSuccessful is false when an image could not be examined; each such
 * image is a toolExecutionNotification naming it. */
static void invocation_json(json_w *w, const check_image *im, const sarif_loc *locs, size_t n)
{
    int all = 1;
    for (size_t k = 0; k < n; k++) all &= examined(&im[k]);
    json_key(w, "invocations");
    json_arr(w, NULL);
    json_obj(w, NULL);
    json_kbool(w, "executionSuccessful", all);
    if (!all) {
        json_key(w, "toolExecutionNotifications");
        json_arr(w, NULL);
        for (size_t k = 0; k < n; k++) {
            if (examined(&im[k])) continue;
            json_obj(w, NULL);
            json_kstr(w, "level", "error");
            json_text(w, "message", im[k].rep ? "the image could not be examined (see its findings)"
                                              : unreadable_text(&im[k]));
            json_key(w, "locations");
            json_arr(w, NULL);
            json_obj(w, NULL);
            json_key(w, "physicalLocation");
            json_obj(w, NULL);
            json_key(w, "artifactLocation");
            json_obj(w, NULL);
            artifact_location(w, &locs[k], (int)k);
            json_end(w);
            json_end(w);
            json_end(w);
            json_end(w);
            json_end(w);
        }
        json_end(w);
    }
    json_end(w);
    json_end(w);
}

static void base_ids_json(json_w *w, const char *cwd, const sarif_loc *locs, size_t n)
{
    int any = 0;
    for (size_t k = 0; k < n; k++) any |= locs[k].relative;
    if (!any || !cwd) return;
    char *dir = malloc(strlen(cwd) + 2);
    if (!dir) return;
    snprintf(dir, strlen(cwd) + 2, "%s/", strcmp(cwd, "/") ? cwd : "");
    char *uri = uri_encode("file://", dir);
    free(dir);
    json_key(w, "originalUriBaseIds");
    json_obj(w, NULL);
    json_key(w, "SRCROOT");
    json_obj(w, NULL);
    json_kstr(w, "uri", uri ? uri : "file:///");
    json_end(w);
    json_end(w);
    free(uri);
}

static void artifacts_json(json_w *w, const check_image *im, const sarif_loc *locs, size_t n)
{
    json_key(w, "artifacts");
    json_arr(w, NULL);
    for (size_t k = 0; k < n; k++) {
        json_obj(w, NULL);
        json_key(w, "location");
        json_obj(w, NULL);
        artifact_location(w, &locs[k], -1);
        json_end(w);
        json_key(w, "roles");
        json_arr(w, NULL);
        json_str(w, "analysisTarget");
        json_end(w);
        if (im[k].rep && im[k].rep->info_valid) json_ku64(w, "length", im[k].rep->info->file_size);
        json_end(w);
    }
    json_end(w);
}

static void results_json(json_w *w, const check_image *im, const sarif_loc *locs, size_t n)
{
    static const json_style result_lines = { "\n  ", ",\n  ", "\n", "\n" };
    json_key(w, "results");
    json_arr(w, &result_lines);
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        if (!c->rep) {
            unreadable_json(w, c, &locs[k], k);
            continue;
        }
        uint64_t *hashes = c->rep->count ? calloc(c->rep->count, sizeof *hashes) : NULL;
        for (size_t i = 0; hashes && i < c->rep->count; i++) {
            long idx;
            hashes[i] = finding_hash(finding_rule(&c->rep->findings[i], &idx), &c->rep->findings[i]);
        }
        for (size_t i = 0; i < c->rep->count; i++) result_json(w, c, &locs[k], k, i, hashes);
        free(hashes);
    }
    json_end(w);
}

int report_sarif(FILE *f, const check_image *im, size_t n)
{
    static const json_style lines = { "\n", ",\n", "\n", NULL };
    sarif_loc *locs = calloc(n ? n : 1, sizeof *locs);
    if (!locs) return -1;
    char *cwd_raw = getcwd(NULL, 0);
    char *cwd = cwd_raw ? realpath(cwd_raw, NULL) : NULL;
    free(cwd_raw);
    for (size_t k = 0; k < n; k++) locs[k] = sarif_locate(im[k].path, cwd);
    json_w w;
    json_init(&w, f);
    json_obj(&w, &lines);
    json_kstr(&w, "$schema", "https://json.schemastore.org/sarif-2.1.0.json");
    json_kstr(&w, "version", "2.1.0");
    json_key(&w, "runs");
    json_arr(&w, NULL);
    json_obj(&w, &lines);
    driver_json(&w);
    base_ids_json(&w, cwd, locs, n);
    artifacts_json(&w, im, locs, n);
    invocation_json(&w, im, locs, n);
    results_json(&w, im, locs, n);
    json_end(&w);
    json_end(&w);
    json_end(&w);
    fputc('\n', f);
    for (size_t k = 0; k < n; k++) free(locs[k].uri);
    free(locs);
    free(cwd);
    return ferror(f) ? -1 : 0;
}
