/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_probe.c - best-effort decoding of an image that does not open: the structures a
 * triage tool can still show (file type identifier, both headers, the region table, the
 * metadata table and the system items, the geometry they give), each decoded on its own
 * without the open's validation. vhdx_check fills its report's info with it when the open
 * stops (vhdx_report.info_parts says which parts were decoded); the findings say what is
 * wrong. Reads only; no allocation beyond the two tables.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"

enum { PROBE_FILEID = 0, PROBE_HDR1 = 64 * 1024, PROBE_HDR2 = 128 * 1024,
       PROBE_RT1 = 192 * 1024, PROBE_RT2 = 256 * 1024, PROBE_TABLE = 64 * 1024,
       PROBE_HDR = 4096 };

static int probe_read(vhdx_io *io, uint64_t size, uint64_t off, void *buf, size_t len)
{
    if (off > size || len > size - off) return -1;
    return io->read_at(io->ctx, off, buf, len) == VHDX_OK ? 0 : -1;
}

static void copy_header(vhdx_header_info *h, const uint8_t *raw)
{
    fmt_header d;
    memset(h, 0, sizeof *h);
    if (fmt_header_decode(raw, PROBE_HDR, &d) != VHDX_OK) return;
    h->valid = fmt_header_is_valid(raw, PROBE_HDR);
    h->sequence_number = d.sequence_number;
    h->file_write_guid = d.file_write_guid;
    h->data_write_guid = d.data_write_guid;
    h->log_guid = d.log_guid;
    h->log_version = d.log_version;
    h->version = d.version;
    h->log_length = d.log_length;
    h->log_offset = d.log_offset;
    h->checksum = d.checksum;
}

/* both headers; the current one by the spec's selection (or the higher valid sequence) */
static unsigned probe_headers(vhdx_io *io, uint64_t size, vhdx_info *out, uint8_t *buf)
{
    uint8_t *h2 = buf + PROBE_HDR;
    if (probe_read(io, size, PROBE_HDR1, buf, PROBE_HDR) != 0 ||
        probe_read(io, size, PROBE_HDR2, h2, PROBE_HDR) != 0)
        return 0;
    copy_header(&out->headers[0], buf);
    copy_header(&out->headers[1], h2);
    int cur = 0, valid[2] = { 0, 0 }, identical = 0;
    if (fmt_header_select(buf, h2, &cur, valid, &identical) != VHDX_OK)
        cur = out->headers[1].valid && !out->headers[0].valid ? 1 : 0;
    out->current_header = cur;
    const vhdx_header_info *h = &out->headers[cur];
    out->log_dirty = h->valid && !vhdx_guid_is_zero(&h->log_guid);
    return VHDX_INFO_HEADERS;
}

/* the first region table copy that is valid, else the first that decodes */
static unsigned probe_regions(vhdx_io *io, uint64_t size, vhdx_info *out, uint8_t *buf,
                              fmt_region_table *rt, uint64_t *md_off, uint32_t *md_len)
{
    const uint64_t at[2] = { PROBE_RT1, PROBE_RT2 };
    int got = 0;
    for (int pass = 0; pass < 2 && !got; pass++)
        for (int i = 0; i < 2 && !got; i++)
            got = probe_read(io, size, at[i], buf, PROBE_TABLE) == 0 &&
                  (pass || fmt_region_table_is_valid(buf, PROBE_TABLE)) &&
                  fmt_region_table_decode(buf, PROBE_TABLE, rt) == VHDX_OK;
    if (!got) return 0;
    for (uint32_t i = 0; i < rt->decoded; i++) {
        const fmt_region_entry *e = &rt->entries[i];
        if (out->region_count < VHDX_MAX_INFO_REGIONS) {
            vhdx_region_info *r = &out->regions[out->region_count++];
            r->guid = e->guid;
            r->file_offset = e->file_offset;
            r->length = e->length;
            r->required = e->required;
        }
        if (vhdx_guid_equal(&e->guid, &VHDX_GUID_METADATA_REGION)) {
            *md_off = e->file_offset;
            *md_len = e->length;
        }
    }
    return VHDX_INFO_REGIONS;
}

/* one system item's bytes (at most 16), or -1 */
static int probe_item(vhdx_io *io, uint64_t size, const fmt_metadata_table *t, uint64_t md_off,
                      const vhdx_guid *id, uint8_t *buf, size_t len)
{
    int i = fmt_metadata_find(t, id);
    if (i < 0 || t->entries[i].length < len) return -1;
    return probe_read(io, size, md_off + t->entries[i].offset, buf, len);
}

static unsigned probe_geometry(vhdx_io *io, uint64_t size, vhdx_info *out,
                               const fmt_metadata_table *t, uint64_t md_off)
{
    uint8_t b[16];
    fmt_file_parameters fp;
    uint64_t vs;
    uint32_t lss, pss;
    if (probe_item(io, size, t, md_off, &VHDX_GUID_VIRTUAL_DISK_ID, b, 16) == 0)
        (void)fmt_guid_item_decode(b, 16, &out->virtual_disk_id);
    if (probe_item(io, size, t, md_off, &VHDX_GUID_FILE_PARAMETERS, b, 8) != 0 ||
        fmt_file_parameters_decode(b, 8, &fp) != VHDX_OK ||
        probe_item(io, size, t, md_off, &VHDX_GUID_VIRTUAL_DISK_SIZE, b, 8) != 0 ||
        fmt_u64_item_decode(b, 8, &vs) != VHDX_OK ||
        probe_item(io, size, t, md_off, &VHDX_GUID_LOGICAL_SECTOR_SIZE, b, 4) != 0 ||
        fmt_u32_item_decode(b, 4, &lss) != VHDX_OK ||
        probe_item(io, size, t, md_off, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, b, 4) != 0 ||
        fmt_u32_item_decode(b, 4, &pss) != VHDX_OK)
        return 0;
    out->virtual_size = vs;
    out->block_size = fp.block_size;
    out->logical_sector_size = lss;
    out->physical_sector_size = pss;
    out->file_parameter_flags = fp.flags;
    out->has_parent = (fp.flags & VHDX_FP_HAS_PARENT) != 0;
    out->type = out->has_parent ? VHDX_TYPE_DIFFERENCING
              : (fp.flags & VHDX_FP_LEAVE_BLOCK_ALLOCATED) ? VHDX_TYPE_FIXED : VHDX_TYPE_DYNAMIC;
    fmt_geometry g;
    if (fmt_geometry_compute(&g, vs, fp.block_size, lss, pss, fp.flags) == VHDX_OK) {
        out->chunk_ratio = (uint32_t)g.chunk_ratio;
        out->payload_blocks = g.payload_blocks;
        out->bat_entries = g.bat_entries;
    }
    return VHDX_INFO_GEOMETRY;
}

void img_info_metadata(vhdx_info *out, const fmt_metadata_table *t)
{
    for (uint32_t i = 0; i < t->decoded && out->metadata_count < VHDX_MAX_INFO_METADATA; i++) {
        const fmt_metadata_entry *e = &t->entries[i];
        vhdx_metadata_info *m = &out->metadata[out->metadata_count++];
        m->item_id = e->item_id;
        m->offset = e->offset;
        m->length = e->length;
        m->is_user = (e->flags & VHDX_MD_FLAG_IS_USER) != 0;
        m->is_virtual_disk = (e->flags & VHDX_MD_FLAG_IS_VIRTUAL_DISK) != 0;
        m->is_required = (e->flags & VHDX_MD_FLAG_IS_REQUIRED) != 0;
    }
}

static unsigned probe_metadata(vhdx_io *io, uint64_t size, vhdx_info *out, uint8_t *buf,
                               uint64_t md_off)
{
    fmt_metadata_table *t = vhdx_malloc(sizeof *t);
    if (!t) return 0;
    unsigned parts = 0;
    if (probe_read(io, size, md_off, buf, PROBE_TABLE) == 0 &&
        fmt_metadata_table_decode(buf, PROBE_TABLE, t) == VHDX_OK) {
        parts = VHDX_INFO_METADATA;
        img_info_metadata(out, t);
        parts |= probe_geometry(io, size, out, t, md_off);
    }
    vhdx_free(t);
    return parts;
}

unsigned img_probe(vhdx_io *io, vhdx_info *out)
{
    uint64_t size = 0;
    unsigned parts = 0;
    memset(out, 0, sizeof *out);
    out->chain_depth = 1;
    if (!io->get_size || io->get_size(io->ctx, &size) != VHDX_OK) return 0;
    out->file_size = size;
    uint8_t *buf = vhdx_malloc(PROBE_TABLE);
    fmt_region_table *rt = vhdx_malloc(sizeof *rt);
    if (buf && rt) {
        fmt_fileid fid;
        if (probe_read(io, size, PROBE_FILEID, buf, FILEID_DEFINED) == 0 &&
            fmt_fileid_decode(buf, FILEID_DEFINED, &fid) == VHDX_OK &&
            memcmp(fid.signature, "vhdxfile", 8) == 0) {
            fmt_fileid_creator_utf8(&fid, out->creator, sizeof out->creator);
            parts |= VHDX_INFO_FILEID;
        }
        parts |= probe_headers(io, size, out, buf);
        uint64_t md_off = 0;
        uint32_t md_len = 0;
        parts |= probe_regions(io, size, out, buf, rt, &md_off, &md_len);
        if (md_len) parts |= probe_metadata(io, size, out, buf, md_off);
    }
    vhdx_free(rt);
    vhdx_free(buf);
    return parts;
}
