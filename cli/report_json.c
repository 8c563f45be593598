/* SPDX-License-Identifier: Apache-2.0 */
/* report_json.c - `vhdx check --format json`. The document is always one object with an
 * "images" array (also for a single image); reports/schema/check.schema.json describes it. */
#include "report.h"
#include "json.h"

#include <inttypes.h>
#include <string.h>

static const char *item_name(const vhdx_guid *g)
{
    if (vhdx_guid_equal(g, &VHDX_GUID_FILE_PARAMETERS)) return "file_parameters";
    if (vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_SIZE)) return "virtual_disk_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_ID)) return "virtual_disk_id";
    if (vhdx_guid_equal(g, &VHDX_GUID_LOGICAL_SECTOR_SIZE)) return "logical_sector_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_PHYSICAL_SECTOR_SIZE)) return "physical_sector_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_PARENT_LOCATOR)) return "parent_locator";
    return NULL;
}

static const char *region_name(const vhdx_guid *g)
{
    if (vhdx_guid_equal(g, &VHDX_GUID_BAT_REGION)) return "bat";
    if (vhdx_guid_equal(g, &VHDX_GUID_METADATA_REGION)) return "metadata";
    return NULL;
}

static void info_headers(json_w *w, const vhdx_info *in)
{
    json_key(w, "headers");
    json_arr(w, NULL);
    for (int i = 0; i < 2; i++) {
        const vhdx_header_info *h = &in->headers[i];
        json_obj(w, NULL);
        json_kbool(w, "valid", h->valid);
        json_ku64(w, "sequence_number", h->sequence_number);
        json_header_ids(w, h);
        json_ku64(w, "log_length", h->log_length);
        json_ku64(w, "log_offset", h->log_offset);
        json_ku64(w, "checksum", h->checksum);
        json_end(w);
    }
    json_end(w);
}

static void info_tables(json_w *w, const vhdx_info *in)
{
    json_key(w, "regions");
    json_arr(w, NULL);
    for (unsigned i = 0; i < in->region_count && i < VHDX_MAX_INFO_REGIONS; i++)
        json_region(w, &in->regions[i], region_name(&in->regions[i].guid));
    json_end(w);
    json_key(w, "metadata");
    json_arr(w, NULL);
    for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++)
        json_metadata_item(w, &in->metadata[i], item_name(&in->metadata[i].item_id));
    json_end(w);
}

static void info_json(json_w *w, const vhdx_info *in, int opened)
{
    json_obj(w, NULL);
    json_kstr(w, "type", report_type_name(in->type));
    json_ku64(w, "virtual_size", in->virtual_size);
    json_ku64(w, "block_size", in->block_size);
    json_ku64(w, "logical_sector_size", in->logical_sector_size);
    json_ku64(w, "physical_sector_size", in->physical_sector_size);
    json_ku64(w, "chunk_ratio", in->chunk_ratio);
    json_ku64(w, "payload_blocks", in->payload_blocks);
    json_ku64(w, "bat_entries", in->bat_entries);
    json_ku64(w, "file_size", in->file_size);
    json_key(w, "virtual_disk_id");
    json_guid(w, &in->virtual_disk_id);
    json_kstr(w, "creator", in->creator);
    json_kbool(w, "opened", opened);
    json_ki64(w, "current_header", in->current_header);
    info_headers(w, in);
    info_tables(w, in);
    json_key(w, "bat");
    json_obj(w, NULL);
    json_key(w, "payload");
    json_obj(w, NULL);
    for (unsigned s = 0; s < 8; s++) {
        if ((s == 4 || s == 5) && !in->bat.payload[s]) continue; /* reserved: only when used */
        json_ku64(w, report_pb_state_name(s), in->bat.payload[s]);
    }
    json_end(w);
    json_key(w, "sector_bitmap");
    json_obj(w, NULL);
    json_ku64(w, "NOT_PRESENT", in->bat.sector_bitmap[0]);
    json_ku64(w, "PRESENT", in->bat.sector_bitmap[6]);
    json_end(w);
    json_end(w);
    json_kbool(w, "log_dirty", in->log_dirty);
    json_ki64(w, "log_replayed", in->log_replayed);
    json_ku64(w, "log_entries_replayed", in->log_entries_replayed);
    json_kbool(w, "has_parent", in->has_parent);
    json_key(w, "parent_linkage");
    if (in->has_parent) json_guid(w, &in->parent_linkage);
    else json_null(w);
    json_ki64(w, "chain_depth", in->chain_depth);
    json_end(w);
}

/* one member per line: findings and predictions */
static const json_style item_lines = { "\n    ", ",\n    ", "", NULL };

static void finding_json(json_w *w, const vhdx_finding *fi)
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
    for (size_t i = 0; c->rep && i < c->rep->count; i++) finding_json(w, &c->rep->findings[i]);
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
    if (c->rep && c->rep->info_valid) info_json(w, &c->rep->info, c->rep->opened);
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
