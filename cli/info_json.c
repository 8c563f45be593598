/* SPDX-License-Identifier: Apache-2.0 */
/* info_json.c - the one encoder of the `info` object (see info_json.h). */
#include "info_json.h"

#include "report.h"

/* [MS-VHDX 2.5.1.2] sector bitmap block states (1..5 and 7 reserved) */
static const char *const sb_state_names[8] = {
    "NOT_PRESENT", "RESERVED_1", "RESERVED_2", "RESERVED_3", "RESERVED_4", "RESERVED_5",
    "PRESENT", "RESERVED_7"
};

const char *info_region_name(const vhdx_guid *g)
{
    if (vhdx_guid_equal(g, &VHDX_GUID_BAT_REGION)) return "bat";
    if (vhdx_guid_equal(g, &VHDX_GUID_METADATA_REGION)) return "metadata";
    return NULL;
}

const char *info_item_name(const vhdx_metadata_info *m)
{
    const vhdx_guid *g = &m->item_id;
    if (m->is_user) return NULL;
    if (vhdx_guid_equal(g, &VHDX_GUID_FILE_PARAMETERS)) return "file_parameters";
    if (vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_SIZE)) return "virtual_disk_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_ID)) return "virtual_disk_id";
    if (vhdx_guid_equal(g, &VHDX_GUID_LOGICAL_SECTOR_SIZE)) return "logical_sector_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_PHYSICAL_SECTOR_SIZE)) return "physical_sector_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_PARENT_LOCATOR)) return "parent_locator";
    return NULL;
}

const char *info_log_replayed_name(int r)
{
    switch (r) {
    case 1: return "in-memory";
    case 2: return "in-place";
    default: return "no";
    }
}

static void header_json(json_w *w, int i, const vhdx_info *in)
{
    const vhdx_header_info *h = &in->headers[i];
    json_obj(w, NULL);
    json_ki64(w, "index", i);
    json_kbool(w, "valid", h->valid);
    json_kbool(w, "current", h->valid && i == in->current_header);
    json_ku64(w, "sequence_number", h->sequence_number);
    json_header_ids(w, h);
    json_ku64(w, "log_offset", h->log_offset);
    json_ku64(w, "log_length", h->log_length);
    json_ku64(w, "checksum", h->checksum);
    json_end(w);
}

static void tables_json(json_w *w, const vhdx_info *in, const json_style *list)
{
    json_key(w, "headers");
    json_arr(w, list);
    for (int i = 0; i < 2; i++) header_json(w, i, in);
    json_end(w);
    json_key(w, "regions");
    json_arr(w, list);
    for (unsigned i = 0; i < in->region_count && i < VHDX_MAX_INFO_REGIONS; i++)
        json_region(w, &in->regions[i], info_region_name(&in->regions[i].guid));
    json_end(w);
    json_key(w, "metadata");
    json_arr(w, list);
    for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++)
        json_metadata_item(w, &in->metadata[i], info_item_name(&in->metadata[i]));
    json_end(w);
}

static void bat_json(json_w *w, const vhdx_info *in)
{
    json_key(w, "bat");
    json_obj(w, NULL);
    json_key(w, "payload");
    json_obj(w, NULL);
    for (unsigned s = 0; s < 8; s++) json_ku64(w, report_pb_state_name(s), in->bat.payload[s]);
    json_end(w);
    json_key(w, "sector_bitmap");
    json_obj(w, NULL);
    for (unsigned s = 0; s < 8; s++) json_ku64(w, sb_state_names[s], in->bat.sector_bitmap[s]);
    json_end(w);
    json_end(w);
}

static void log_json(json_w *w, const vhdx_info *in, const info_extra *x)
{
    json_key(w, "log");
    json_obj(w, NULL);
    json_kbool(w, "dirty", in->log_dirty);
    json_kstr(w, "replayed", info_log_replayed_name(in->log_replayed));
    json_ku64(w, "entries_replayed", in->log_entries_replayed);
    json_key(w, "replay_range_count");
    if (x->ranges_known) json_u64(w, x->ranges_total);
    else json_null(w);
    json_key(w, "replay_ranges");
    if (x->ranges_known) {
        json_arr(w, NULL);
        for (size_t i = 0; i < x->ranges_stored; i++) {
            json_obj(w, NULL);
            json_ku64(w, "offset", x->range_off[i]);
            json_ku64(w, "length", x->range_len[i]);
            json_end(w);
        }
        json_end(w);
    } else {
        json_null(w);
    }
    json_end(w);
}

static void parent_json(json_w *w, const vhdx_info *in, const info_extra *x)
{
    json_key(w, "parent");
    json_obj(w, NULL);
    json_kbool(w, "has_parent", in->has_parent);
    json_key(w, "parent_linkage");
    if (in->has_parent) json_guid(w, &in->parent_linkage);
    else json_null(w);
    json_key(w, "found");
    if (in->has_parent && x->parent_found >= 0) json_bool(w, x->parent_found);
    else json_null(w);
    json_ki64(w, "chain_depth", in->chain_depth);
    json_end(w);
}

void json_info_members(json_w *w, const vhdx_info *in, const info_extra *x,
                       const json_style *list)
{
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
    json_kbool(w, "opened", x->opened);
    json_ki64(w, "current_header", in->current_header);
    tables_json(w, in, list);
    bat_json(w, in);
    log_json(w, in, x);
    parent_json(w, in, x);
}
