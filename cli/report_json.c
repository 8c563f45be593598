/* SPDX-License-Identifier: Apache-2.0 */
/* report_json.c - `vhdx check --format json`. The document is always one object with an
 * "images" array (also for a single image); reports/schema/check.schema.json describes it. */
#include "report.h"
#include "info_json.h"
#include "json.h"

#include <inttypes.h>
#include <string.h>

static void info_json(json_w *w, const vhdx_report *rep)
{
    info_extra x = { rep->opened, -1, 0, 0, 0, NULL, NULL };
    json_obj(w, NULL);
    json_info_members(w, rep->info, &x, NULL);
    json_end(w);
}

/* one member per line: findings and predictions */
static const json_style item_lines = { "\n    ", ",\n    ", "", NULL };

void report_json_finding(json_w *w, const vhdx_finding *fi)
{
    const char *rule = report_rule_of(fi->code);
    const char *sec = vhdx_status_section(fi->code);
    json_obj(w, NULL);
    json_kstr(w, "rule", rule[0] ? rule : NULL);
    json_kstr(w, "section", sec && sec[0] ? sec : NULL);
    json_kstr(w, "severity", vhdx_severity_name(fi->severity));
    json_key(w, "offset");
    if (fi->offset != UINT64_MAX) json_u64(w, fi->offset);
    else json_null(w);
    json_kstr(w, "field", fi->field);
    json_kstr(w, "code", vhdx_status_name(fi->code));
    json_kstr(w, "class", vhdx_class_name(vhdx_status_class(fi->code)));
    json_kstr(w, "message", vhdx_status_message(fi->code));
    json_kstr(w, "detail", fi->detail[0] ? fi->detail : NULL);
    json_end(w);
}

static void image_json(json_w *w, const check_image *c)
{
    json_obj(w, NULL);
    json_kstr(w, "image", c->path);
    json_kstr(w, "verdict", report_verdict_name(c->verdict));
    json_kstr(w, "status", vhdx_status_name(c->rc));
    json_kstr(w, "error", c->rep ? NULL : (c->error[0] ? c->error : vhdx_status_message(c->rc)));
    json_kstr(w, "note", c->note[0] ? c->note : NULL);
    json_key(w, "counts");
    json_obj(w, NULL);
    json_ku64(w, "errors", c->errors);
    json_ku64(w, "warnings", c->warnings);
    json_ku64(w, "infos", c->infos);
    json_ku64(w, "dropped", c->rep ? c->rep->dropped : 0);
    json_end(w);
    json_key(w, "findings");
    json_arr(w, &item_lines);
    for (size_t i = 0; c->rep && i < c->rep->count; i++) report_json_finding(w, &c->rep->findings[i]);
    json_end(w);
    json_key(w, "interop");
    json_arr(w, &item_lines);
    for (size_t i = 0; i < c->n_interop; i++) {
        const interop_prediction *p = &c->interop[i];
        json_obj(w, NULL);
        json_kstr(w, "consumer", p->consumer);
        json_kstr(w, "effect", interop_effect_name(p->effect));
        json_kstr(w, "reason", p->reason);
        json_kstr(w, "basis", p->basis);
        json_end(w);
    }
    json_end(w);
    json_key(w, "info");
    if (c->rep && c->rep->info_valid) info_json(w, c->rep);
    else json_null(w);
    json_end(w);
}

int report_json(FILE *f, const check_image *im, size_t n)
{
    static const json_style image_lines = { "\n  ", ",\n  ", "\n", NULL };
    size_t counts[3] = { 0, 0, 0 };
    json_w w;
    json_init(&w, f);
    json_obj(&w, NULL);
    json_kstr(&w, "schema", REPORT_SCHEMA_ID);
    json_tool(&w);
    json_key(&w, "images");
    json_arr(&w, &image_lines);
    for (size_t k = 0; k < n; k++) {
        if (im[k].verdict <= VHDX_VERDICT_UNREADABLE) counts[im[k].verdict]++;
        image_json(&w, &im[k]);
    }
    json_end(&w);
    json_key(&w, "summary");
    json_obj(&w, NULL);
    json_ku64(&w, "images", n);
    json_ku64(&w, "conformant", counts[0]);
    json_ku64(&w, "nonconformant", counts[1]);
    json_ku64(&w, "unreadable", counts[2]);
    json_end(&w);
    json_end(&w);
    fputc('\n', f);
    return ferror(f) ? -1 : 0;
}
