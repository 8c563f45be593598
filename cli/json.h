/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - the one JSON writer of the vhdx tool. Every JSON document the CLI prints (info
 * --json, check --format json|sarif, check --rules --format json, bench --json) is written
 * through it, and every string through its one escaper, json_escape(). The writer places
 * the commas; each container's layout (what comes before its first item, between items and
 * before its closing bracket) is a json_style, so the documents keep their hand-made shape.
 */
#ifndef VHDX_CLI_JSON_H
#define VHDX_CLI_JSON_H

#include <stdint.h>
#include <stdio.h>

#include "vhdx.h"

/* Layout of one object or array. `first` precedes the first item, `sep` (the comma and
 * any white space) separates items, `close` precedes the closing bracket when there are items and `empty` when
 * there are none (NULL: ""). */
typedef struct json_style {
    const char *first, *sep, *close, *empty;
} json_style;

/* {"a": 1, "b": 2} and [1, 2] */
extern const json_style json_inline;

#define JSON_MAX_DEPTH 16

typedef struct json_w {
    FILE *f;
    int depth;        /* open containers */
    int after_key;    /* a key was written: the next value is its value, no separator */
    struct {
        const json_style *st;
        unsigned items;
        char close;
    } lv[JSON_MAX_DEPTH];
} json_w;

/* Writes the JSON string literal of UTF-8 text s (with quotes) to f: '"' and '\' are
 * escaped, every control character below 0x20 and DEL as \n \r \t \b \f or \u00xx, each
 * byte that does not start a valid UTF-8 sequence (overlong, surrogate, above U+10FFFF,
 * truncated) as \ufffd. s NULL writes null. The output is always valid JSON. */
void json_escape(FILE *f, const char *s);

void json_init(json_w *w, FILE *f);
/* Opens an object / array as the next value; st NULL is json_inline. More than
 * JSON_MAX_DEPTH levels is a programming error (assert). */
void json_obj(json_w *w, const json_style *st);
void json_arr(json_w *w, const json_style *st);
/* Closes the innermost container. */
void json_end(json_w *w);
/* Starts an object member: separator, then "key": (key escaped like any string). */
void json_key(json_w *w, const char *key);

/* Values (in an array they get their separator; after json_key they are the member's). */
void json_str(json_w *w, const char *s);          /* NULL -> null */
void json_u64(json_w *w, uint64_t v);
void json_i64(json_w *w, int64_t v);
void json_bool(json_w *w, int v);
void json_null(json_w *w);
void json_fixed6(json_w *w, double v);            /* "%.6f"; NaN or infinite -> null */
void json_guid(json_w *w, const vhdx_guid *g);    /* "xxxxxxxx-xxxx-..." lowercase */

/* Objects shared by info --json and check --format json: a region table entry
 * {"guid", "name", "file_offset", "length", "required"}, a metadata table entry
 * {"item_id", "name", "offset", "length", "is_user", "is_virtual_disk", "is_required"}
 * (name NULL -> null), and the identity members of a header ("file_write_guid",
 * "data_write_guid", "log_guid", "log_version", "version") inside an open object. */
void json_region(json_w *w, const vhdx_region_info *r, const char *name);
void json_metadata_item(json_w *w, const vhdx_metadata_info *m, const char *name);
void json_header_ids(json_w *w, const vhdx_header_info *h);

/* The "tool": {"name": "vhdx", "version": ...} member every JSON report starts with. */
void json_tool(json_w *w);

/* Shorthands for a member: json_key + value. */
void json_kstr(json_w *w, const char *key, const char *s);
void json_ku64(json_w *w, const char *key, uint64_t v);
void json_ki64(json_w *w, const char *key, int64_t v);
void json_kbool(json_w *w, const char *key, int v);

#endif
