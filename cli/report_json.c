/* report_json.c - `vhdx check --format json`. The document is always one object with an
 * "images" array (also for a single image); reports/schema/check.schema.json describes it. */
#include "report.h"

#include <inttypes.h>
#include <string.h>

static void guid(FILE *f, const vhdx_guid *g)
{
    char buf[40];
    vhdx_guid_format(g, buf, sizeof buf, 0);
    report_json_str(f, buf);
}

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

static void info_json(FILE *f, const vhdx_info *in, int opened)
{
    fprintf(f, "{\"type\": ");
    report_json_str(f, report_type_name(in->type));
    fprintf(f, ", \"virtual_size\": %" PRIu64 ", \"block_size\": %" PRIu32
               ", \"logical_sector_size\": %" PRIu32 ", \"physical_sector_size\": %" PRIu32
               ", \"chunk_ratio\": %" PRIu32 ", \"payload_blocks\": %" PRIu64
               ", \"bat_entries\": %" PRIu64 ", \"file_size\": %" PRIu64,
            in->virtual_size, in->block_size, in->logical_sector_size, in->physical_sector_size,
            in->chunk_ratio, in->payload_blocks, in->bat_entries, in->file_size);
    fputs(", \"virtual_disk_id\": ", f);
    guid(f, &in->virtual_disk_id);
    fputs(", \"creator\": ", f);
    report_json_str(f, in->creator);
    fprintf(f, ", \"opened\": %s, \"current_header\": %d, \"headers\": [", opened ? "true" : "false",
            in->current_header);
    for (int i = 0; i < 2; i++) {
        const vhdx_header_info *h = &in->headers[i];
        fprintf(f, "%s{\"valid\": %s, \"sequence_number\": %" PRIu64, i ? ", " : "",
                h->valid ? "true" : "false", h->sequence_number);
        fputs(", \"file_write_guid\": ", f);
        guid(f, &h->file_write_guid);
        fputs(", \"data_write_guid\": ", f);
        guid(f, &h->data_write_guid);
        fputs(", \"log_guid\": ", f);
        guid(f, &h->log_guid);
        fprintf(f, ", \"log_version\": %u, \"version\": %u, \"log_length\": %" PRIu32
                   ", \"log_offset\": %" PRIu64 ", \"checksum\": %" PRIu32 "}",
                (unsigned)h->log_version, (unsigned)h->version, h->log_length, h->log_offset,
                h->checksum);
    }
    fputs("], \"regions\": [", f);
    for (unsigned i = 0; i < in->region_count && i < VHDX_MAX_INFO_REGIONS; i++) {
        const vhdx_region_info *r = &in->regions[i];
        fputs(i ? ", {\"guid\": " : "{\"guid\": ", f);
        guid(f, &r->guid);
        fputs(", \"name\": ", f);
        report_json_str(f, region_name(&r->guid));
        fprintf(f, ", \"file_offset\": %" PRIu64 ", \"length\": %" PRIu32 ", \"required\": %" PRIu32 "}",
                r->file_offset, r->length, r->required);
    }
    fputs("], \"metadata\": [", f);
    for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++) {
        const vhdx_metadata_info *m = &in->metadata[i];
        fputs(i ? ", {\"item_id\": " : "{\"item_id\": ", f);
        guid(f, &m->item_id);
        fputs(", \"name\": ", f);
        report_json_str(f, item_name(&m->item_id));
        fprintf(f, ", \"offset\": %" PRIu32 ", \"length\": %" PRIu32
                   ", \"is_user\": %s, \"is_virtual_disk\": %s, \"is_required\": %s}",
                m->offset, m->length, m->is_user ? "true" : "false",
                m->is_virtual_disk ? "true" : "false", m->is_required ? "true" : "false");
    }
    fputs("], \"bat\": {\"payload\": {", f);
    int first = 1;
    for (unsigned s = 0; s < 8; s++) {
        if (s == 4 || s == 5) {
            if (!in->bat.payload[s]) continue;
        }
        fprintf(f, "%s\"%s\": %" PRIu64, first ? "" : ", ", report_pb_state_name(s), in->bat.payload[s]);
        first = 0;
    }
    fprintf(f, "}, \"sector_bitmap\": {\"NOT_PRESENT\": %" PRIu64 ", \"PRESENT\": %" PRIu64 "}}",
            in->bat.sector_bitmap[0], in->bat.sector_bitmap[6]);
    fprintf(f, ", \"log_dirty\": %s, \"log_replayed\": %d, \"log_entries_replayed\": %" PRIu64
               ", \"has_parent\": %s, \"parent_linkage\": ",
            in->log_dirty ? "true" : "false", in->log_replayed, in->log_entries_replayed,
            in->has_parent ? "true" : "false");
    if (in->has_parent) guid(f, &in->parent_linkage);
    else fputs("null", f);
    fprintf(f, ", \"chain_depth\": %d}", in->chain_depth);
}

int report_json(FILE *f, const check_image *im, size_t n)
{
    size_t counts[3] = { 0, 0, 0 };
    fputs("{\"schema\": \"" REPORT_SCHEMA_ID "\", \"tool\": {\"name\": \"vhdx\", \"version\": \""
          VHDX_VERSION_STRING "\"}, \"images\": [", f);
    for (size_t k = 0; k < n; k++) {
        const check_image *c = &im[k];
        if (c->verdict <= VHDX_VERDICT_UNREADABLE) counts[c->verdict]++;
        fputs(k ? ",\n  {\"image\": " : "\n  {\"image\": ", f);
        report_json_str(f, c->path);
        fputs(", \"verdict\": ", f);
        report_json_str(f, report_verdict_name(c->verdict));
        fputs(", \"status\": ", f);
        report_json_str(f, vhdx_status_name(c->rc));
        fputs(", \"error\": ", f);
        report_json_str(f, c->rep ? NULL : (c->error[0] ? c->error : vhdx_status_message(c->rc)));
        fputs(", \"note\": ", f);
        report_json_str(f, c->note[0] ? c->note : NULL);
        fprintf(f, ", \"counts\": {\"errors\": %zu, \"warnings\": %zu, \"infos\": %zu, \"dropped\": %zu}",
                c->errors, c->warnings, c->infos, c->rep ? c->rep->dropped : (size_t)0);
        fputs(", \"findings\": [", f);
        for (size_t i = 0; c->rep && i < c->rep->count; i++) {
            const vhdx_finding *fi = &c->rep->findings[i];
            const char *rule = report_rule_of(fi->code);
            const char *sec = vhdx_status_section(fi->code);
            fputs(i ? ",\n    {\"rule\": " : "\n    {\"rule\": ", f);
            report_json_str(f, rule[0] ? rule : NULL);
            fputs(", \"section\": ", f);
            report_json_str(f, sec && sec[0] ? sec : NULL);
            fputs(", \"severity\": ", f);
            report_json_str(f, vhdx_severity_name(fi->severity));
            if (fi->offset != UINT64_MAX) fprintf(f, ", \"offset\": %" PRIu64, fi->offset);
            else fputs(", \"offset\": null", f);
            fputs(", \"field\": ", f);
            report_json_str(f, fi->field);
            fputs(", \"code\": ", f);
            report_json_str(f, vhdx_status_name(fi->code));
            fputs(", \"class\": ", f);
            report_json_str(f, vhdx_class_name(vhdx_status_class(fi->code)));
            fputs(", \"message\": ", f);
            report_json_str(f, vhdx_status_message(fi->code));
            fputs(", \"detail\": ", f);
            report_json_str(f, fi->detail[0] ? fi->detail : NULL);
            fputs("}", f);
        }
        fputs("], \"interop\": [", f);
        for (size_t i = 0; i < c->n_interop; i++) {
            const interop_prediction *p = &c->interop[i];
            fputs(i ? ",\n    {\"consumer\": " : "\n    {\"consumer\": ", f);
            report_json_str(f, p->consumer);
            fputs(", \"effect\": ", f);
            report_json_str(f, interop_effect_name(p->effect));
            fputs(", \"reason\": ", f);
            report_json_str(f, p->reason);
            fputs(", \"basis\": ", f);
            report_json_str(f, p->basis);
            fputs("}", f);
        }
        fputs("], \"info\": ", f);
        if (c->rep && c->rep->info_valid) info_json(f, &c->rep->info, c->rep->opened);
        else fputs("null", f);
        fputs("}", f);
    }
    fprintf(f, "\n], \"summary\": {\"images\": %zu, \"conformant\": %zu, \"nonconformant\": %zu, \"unreadable\": %zu}}\n",
            n, counts[0], counts[1], counts[2]);
    return ferror(f) ? -1 : 0;
}
