/* SPDX-License-Identifier: Apache-2.0 */
/* image_info.c - vhdx_get_info: everything an opened image knows about itself. */
#include "image.h"

static void header_info(vhdx_header_info *o, const fmt_header *h, int valid)
{
    memset(o, 0, sizeof *o);
    o->valid = valid;
    if (!valid) return;
    o->sequence_number = h->sequence_number;
    o->file_write_guid = h->file_write_guid;
    o->data_write_guid = h->data_write_guid;
    o->log_guid = h->log_guid;
    o->log_version = h->log_version;
    o->version = h->version;
    o->log_length = h->log_length;
    o->log_offset = h->log_offset;
    o->checksum = h->checksum;
}

static void get_info(vhdx_image *img, vhdx_info *out)
{
    memset(out, 0, sizeof *out);
    out->struct_size = (uint32_t)sizeof *out;
    const fmt_geometry *g = &img->geo;
    out->type = g->has_parent ? VHDX_TYPE_DIFFERENCING
                              : g->leave_allocated ? VHDX_TYPE_FIXED : VHDX_TYPE_DYNAMIC;
    out->virtual_size = g->virtual_size;
    out->block_size = g->block_size;
    out->logical_sector_size = g->logical_sector_size;
    out->physical_sector_size = g->physical_sector_size;
    out->chunk_ratio = (uint32_t)g->chunk_ratio;
    out->payload_blocks = g->payload_blocks;
    out->bat_entries = g->bat_entries;
    out->file_size = img->file_size;
    out->virtual_disk_id = img->virtual_disk_id;
    out->current_header = img->cur;
    for (int i = 0; i < 2; i++) header_info(&out->headers[i], &img->hdr[i], img->hdr_valid[i]);
    fmt_fileid_creator_utf8(&img->fileid, out->creator, sizeof out->creator);
    if (img->rt) {
        unsigned n = img->rt->decoded;
        for (unsigned i = 0; i < n && out->region_count < VHDX_MAX_INFO_REGIONS; i++) {
            vhdx_region_info *r = &out->regions[out->region_count++];
            r->guid = img->rt->entries[i].guid;
            r->file_offset = img->rt->entries[i].file_offset;
            r->length = img->rt->entries[i].length;
            r->required = img->rt->entries[i].required;
        }
    }
    if (img->md) {
        unsigned n = img->md->decoded;
        for (unsigned i = 0; i < n && out->metadata_count < VHDX_MAX_INFO_METADATA; i++) {
            const fmt_metadata_entry *e = &img->md->entries[i];
            vhdx_metadata_info *m = &out->metadata[out->metadata_count++];
            m->item_id = e->item_id;
            m->offset = e->offset;
            m->length = e->length;
            m->is_user = (e->flags & VHDX_MD_FLAG_IS_USER) != 0;
            m->is_virtual_disk = (e->flags & VHDX_MD_FLAG_IS_VIRTUAL_DISK) != 0;
            m->is_required = (e->flags & VHDX_MD_FLAG_IS_REQUIRED) != 0;
        }
    }
    out->bat = img->counts;
    out->log_dirty = img->log_dirty_at_open;
    out->log_replayed = img->log_replayed;
    out->log_entries_replayed = img->log_entries_replayed;
    out->has_parent = g->has_parent;
    /* the locator as decoded at open; zero when it has no readable parent_linkage */
    if (g->has_parent && img->ploc.have_linkage) out->parent_linkage = img->ploc.linkage;
    out->chain_depth = img->chain_depth;
    out->file_parameter_flags = g->fp_flags;
}

int(vhdx_get_info)(vhdx_image *img, vhdx_info *out)
{
    if (!img || !out) return VHDX_E_MISUSE;
    if (abi_used(out->struct_size, sizeof *out) == sizeof *out) {
        uint32_t ss = out->struct_size;
        get_info(img, out); /* the caller has every member */
        out->struct_size = ss;
    } else {
        vhdx_info full; /* a caller built against an older, smaller layout */
        get_info(img, &full);
        ABI_OUT(out, &full);
    }
    return VHDX_OK;
}

const char *vhdx_chain_path(const vhdx_image *img, unsigned level)
{
    while (img && level > 0) {
        img = img->parent;
        level--;
    }
    return img ? img->path : NULL;
}
