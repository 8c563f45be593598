/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit_matrix.c - `vhdx kit --run|--run-cat 'READER {}' --matrix-json FILE`: the vendor's
 * reader as one column of the interoperability matrix, in the schema scripts/interop-matrix.sh
 * writes (reports/schema/interop-matrix.schema.json), so that a vendor's row sits beside
 * qemu-img's, libvhdi's and 7-Zip's. The kit --run runner has no timeout: no cell "hangs".
 */
#include "kit_run.h"

#include "json.h"

#include <string.h>

static const json_style doc_style = { "\n ", ",\n ", "\n", NULL };
static const json_style list_style = { "\n  ", ",\n  ", "\n ", NULL };

static const kit_case *case_of(const char *file, size_t *index)
{
    for (size_t i = 0; i < kit_ncases; i++)
        if (strcmp(kit_cases[i].file, file) == 0) {
            *index = i;
            return &kit_cases[i];
        }
    return NULL;
}

/* a comma-separated list as a JSON array of strings */
static void csv_array(json_w *w, const char *csv)
{
    char item[16];
    json_arr(w, NULL);
    for (const char *p = csv; p && *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        snprintf(item, sizeof item, "%.*s", (int)(n < sizeof item ? n : sizeof item - 1), p);
        json_str(w, item);
        p = e ? e + 1 : NULL;
    }
    json_end(w);
}

static const char *const kind_names[3] = { "valid", "deviation", "invalid" };

static void image_row(json_w *w, const kit_reader *r, const kit_cell *c)
{
    size_t index = 0;
    const kit_case *kc = case_of(c->file, &index);
    kit_spec spec;
    json_obj(w, NULL);
    json_kstr(w, "image", c->file);
    json_kstr(w, "set", "kit");
    json_kstr(w, "kind", kind_names[c->kind]);
    json_key(w, "rules");
    csv_array(w, kc ? kc->rules : "");
    json_key(w, "warnings");
    csv_array(w, kc ? kc->warnings : "");
    json_key(w, "virtual_size");
    if (kc && c->kind != KIT_INVALID) {
        kit_case_spec(index, &spec);
        json_u64(w, spec.virtual_size);
    } else {
        json_null(w);
    }
    json_key(w, "sha256");
    if (c->sha256[0]) json_str(w, c->sha256); else json_null(w);
    json_key(w, "cells");
    json_obj(w, NULL);
    json_key(w, r->cmd);
    json_obj(w, NULL);
    json_kstr(w, "outcome", c->outcome);
    json_key(w, "exit");
    if (c->exit_code >= 0) json_i64(w, c->exit_code); else json_null(w);
    json_key(w, "signal");
    if (c->signal) json_i64(w, c->signal); else json_null(w);
    json_kstr(w, "scope", r->cat ? "disk" : "open");
    json_key(w, "seconds");
    json_fixed6(w, c->seconds);
    json_kstr(w, "message", c->message);
    json_end(w);
    json_end(w);
    json_end(w);
}

typedef struct matrix_counts {
    uint64_t valid, exact, accepted_valid, wrong, refused_valid, invalid, accepted_invalid, crashes;
} matrix_counts;

static matrix_counts count_cells(const kit_reader *r)
{
    matrix_counts m;
    memset(&m, 0, sizeof m);
    for (size_t i = 0; i < r->ncells; i++) {
        const kit_cell *c = &r->cells[i];
        int refused = strcmp(c->outcome, "refuses") == 0 || strcmp(c->outcome, "crashes") == 0;
        m.crashes += strcmp(c->outcome, "crashes") == 0 ? 1u : 0u;
        if (c->kind == KIT_INVALID) {
            m.invalid++;
            m.accepted_invalid += refused ? 0u : 1u;
            continue;
        }
        m.valid++;
        m.exact += strcmp(c->outcome, "exact") == 0 ? 1u : 0u;
        m.accepted_valid += strcmp(c->outcome, "exact") == 0 || strcmp(c->outcome, "accepts") == 0 ? 1u : 0u;
        m.wrong += strcmp(c->outcome, "wrong") == 0 ? 1u : 0u;
        m.refused_valid += refused ? 1u : 0u;
    }
    return m;
}

static void summary(json_w *w, const kit_reader *r)
{
    matrix_counts m = count_cells(r);
    json_obj(w, NULL);
    json_key(w, r->cmd);
    json_obj(w, NULL);
    json_ku64(w, "valid", m.valid);
    json_ku64(w, "exact", m.exact);
    json_ku64(w, "accepted_valid", m.accepted_valid);
    json_ku64(w, "wrong", m.wrong);
    json_ku64(w, "refused_valid", m.refused_valid);
    json_ku64(w, "invalid", m.invalid);
    json_ku64(w, "accepted_invalid", m.accepted_invalid);
    json_ku64(w, "unverifiable", 0);
    json_ku64(w, "crashes", m.crashes);
    json_ku64(w, "hangs", 0);
    json_ku64(w, "skipped", 0);
    json_end(w);
    json_end(w);
}

void kit_matrix_json(const kit_reader *r, FILE *f)
{
    json_w w;
    json_init(&w, f);
    json_obj(&w, &doc_style);
    json_kstr(&w, "schema", "vhdx-interop-matrix/1");
    json_kstr(&w, "generated_by", r->cat ? "vhdx kit --run-cat" : "vhdx kit --run");
    json_kstr(&w, "mode", "kit-run");
    json_kstr(&w, "tool", "vhdx " VHDX_VERSION_STRING);
    json_key(&w, "readers");
    json_arr(&w, NULL);
    json_obj(&w, NULL);
    json_kstr(&w, "id", r->cmd);
    json_kstr(&w, "reader", "vendor");
    json_kstr(&w, "consumer", "vendor");
    json_kstr(&w, "kind", r->cat ? "read" : "open");
    json_key(&w, "version");
    json_null(&w);
    json_end(&w);
    json_end(&w);
    json_key(&w, "missing_readers");
    json_arr(&w, NULL);
    json_end(&w);
    json_key(&w, "images");
    json_arr(&w, &list_style);
    for (size_t i = 0; i < r->ncells; i++) image_row(&w, r, &r->cells[i]);
    json_end(&w);
    json_key(&w, "summary");
    summary(&w, r);
    json_end(&w);
    fputc('\n', f);
}
