/* SPDX-License-Identifier: Apache-2.0 */
/* json.c - the CLI's JSON writer and its one string escaper (see json.h). */
#include "json.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "util.h"

const json_style json_inline = { "", ", ", "", NULL };

void json_escape(FILE *f, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = *p;
        if (c >= 0x80) {
            uint32_t cp;
            size_t n = cli_utf8_seq(p, &cp);
            if (n == 0) {
                fputs("\\ufffd", f);
                p++;
            } else {
                fwrite(p, 1, n, f);
                p += n;
            }
            continue;
        }
        p++;
        switch (c) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        case '\b': fputs("\\b", f); break;
        case '\f': fputs("\\f", f); break;
        default:
            if (c < 0x20 || c == 0x7f) {
                fputs("\\u00", f);
                fputc(hex[c >> 4], f);
                fputc(hex[c & 15], f);
            } else {
                fputc((int)c, f);
            }
        }
    }
    fputc('"', f);
}

void json_init(json_w *w, FILE *f)
{
    w->f = f;
    w->depth = 0;
    w->after_key = 0;
}

/* The separator owed before the next item of the innermost container. */
static void item(json_w *w)
{
    if (w->after_key) {
        w->after_key = 0;
        return;
    }
    if (w->depth == 0) return;
    int d = w->depth - 1;
    fputs(w->lv[d].items ? w->lv[d].st->sep : w->lv[d].st->first, w->f);
    w->lv[d].items++;
}

static void open_container(json_w *w, const json_style *st, char open, char close)
{
    item(w);
    assert(w->depth < JSON_MAX_DEPTH);
    if (w->depth >= JSON_MAX_DEPTH) return;
    fputc(open, w->f);
    w->lv[w->depth].st = st ? st : &json_inline;
    w->lv[w->depth].items = 0;
    w->lv[w->depth].close = close;
    w->depth++;
}

void json_obj(json_w *w, const json_style *st) { open_container(w, st, '{', '}'); }
void json_arr(json_w *w, const json_style *st) { open_container(w, st, '[', ']'); }

void json_end(json_w *w)
{
    assert(w->depth > 0);
    if (w->depth == 0) return;
    w->depth--;
    const json_style *st = w->lv[w->depth].st;
    const char *pre = w->lv[w->depth].items ? st->close : st->empty;
    if (pre) fputs(pre, w->f);
    fputc(w->lv[w->depth].close, w->f);
}

void json_key(json_w *w, const char *key)
{
    item(w);
    json_escape(w->f, key);
    fputs(": ", w->f);
    w->after_key = 1;
}

void json_str(json_w *w, const char *s)
{
    item(w);
    json_escape(w->f, s);
}

void json_u64(json_w *w, uint64_t v)
{
    item(w);
    fprintf(w->f, "%" PRIu64, v);
}

void json_i64(json_w *w, int64_t v)
{
    item(w);
    fprintf(w->f, "%" PRId64, v);
}

void json_bool(json_w *w, int v)
{
    item(w);
    fputs(v ? "true" : "false", w->f);
}

void json_null(json_w *w)
{
    item(w);
    fputs("null", w->f);
}

void json_fixed6(json_w *w, double v)
{
    item(w);
    if (isfinite(v)) fprintf(w->f, "%.6f", v);
    else fputs("null", w->f);
}

void json_guid(json_w *w, const vhdx_guid *g)
{
    char buf[40];
    json_str(w, cli_guid_str(g, buf, sizeof buf));
}

void json_kstr(json_w *w, const char *key, const char *s)
{
    json_key(w, key);
    json_str(w, s);
}

void json_ku64(json_w *w, const char *key, uint64_t v)
{
    json_key(w, key);
    json_u64(w, v);
}

void json_ki64(json_w *w, const char *key, int64_t v)
{
    json_key(w, key);
    json_i64(w, v);
}

void json_kbool(json_w *w, const char *key, int v)
{
    json_key(w, key);
    json_bool(w, v);
}

void json_region(json_w *w, const vhdx_region_info *r, const char *name)
{
    json_obj(w, NULL);
    json_key(w, "guid");
    json_guid(w, &r->guid);
    json_kstr(w, "name", name);
    json_ku64(w, "file_offset", r->file_offset);
    json_ku64(w, "length", r->length);
    json_ku64(w, "required", r->required);
    json_end(w);
}

void json_metadata_item(json_w *w, const vhdx_metadata_info *m, const char *name)
{
    json_obj(w, NULL);
    json_key(w, "item_id");
    json_guid(w, &m->item_id);
    json_kstr(w, "name", name);
    json_ku64(w, "offset", m->offset);
    json_ku64(w, "length", m->length);
    json_kbool(w, "is_user", m->is_user);
    json_kbool(w, "is_virtual_disk", m->is_virtual_disk);
    json_kbool(w, "is_required", m->is_required);
    json_end(w);
}

void json_header_ids(json_w *w, const vhdx_header_info *h)
{
    json_key(w, "file_write_guid");
    json_guid(w, &h->file_write_guid);
    json_key(w, "data_write_guid");
    json_guid(w, &h->data_write_guid);
    json_key(w, "log_guid");
    json_guid(w, &h->log_guid);
    json_ku64(w, "log_version", h->log_version);
    json_ku64(w, "version", h->version);
}

void json_tool(json_w *w)
{
    json_key(w, "tool");
    json_obj(w, NULL);
    json_kstr(w, "name", "vhdx");
    json_kstr(w, "version", VHDX_VERSION_STRING);
    json_end(w);
}
