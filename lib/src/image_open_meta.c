/* SPDX-License-Identifier: Apache-2.0 */
/* image_open_meta.c - open step for the metadata region (2.6): the table, the known items,
 * the geometry, and the parent locator (decoded here once; image_parent.c and image_info.c
 * use img->ploc). */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

typedef struct md_item {
    int idx;              /* entry index or -1 */
    uint64_t file_off;    /* file offset of the item value */
    uint64_t entry_off;   /* file offset of the table entry */
} md_item;

static int find_item(img_open_state *os, const vhdx_guid *id, md_item *it)
{
    vhdx_image *img = os->img;
    it->idx = fmt_metadata_find(img->md, id);
    it->file_off = VHDX_NO_OFFSET;
    it->entry_off = VHDX_NO_OFFSET;
    if (it->idx < 0) return 0;
    const fmt_metadata_entry *e = &img->md->entries[it->idx];
    it->entry_off = img->md_offset + MD_HEADER_SIZE + (uint64_t)it->idx * MD_ENTRY_SIZE;
    it->file_off = img->md_offset + e->offset;
    return 1;
}

/* Reads min_len (or, when whole, the whole item up to the limit) of an item after checking
 * its placement; *out_len = bytes read. */
static int read_item(img_open_state *os, const md_item *it, const char *name, size_t min_len,
                     uint8_t *buf, size_t buflen, size_t *out_len)
{
    vhdx_image *img = os->img;
    const fmt_metadata_entry *e = &img->md->entries[it->idx];
    char d[160];
    snprintf(d, sizeof d, "%s item", name);
    /* [MS-VHDX 2.6.1.2] R86 and the caller's limit bound every item read */
    if (e->length > img->limits.max_metadata_item)
        return OS_STOP(os, VHDX_E_LIMIT_METADATA, it->entry_off + MDE_OFF_LENGTH, "metadata_entry.Length", d);
    if (e->length > MiB)
        return OS_STOP(os, VHDX_E_MD_LENGTH, it->entry_off + MDE_OFF_LENGTH, "metadata_entry.Length", d);
    /* D10: a known item holds at least its value */
    if (e->length < min_len)
        return OS_STOP(os, VHDX_E_MD_ITEM_SIZE, it->entry_off + MDE_OFF_LENGTH, "metadata_entry.Length", d);
    /* R84/R85: inside the region, after the table */
    if (e->offset < VHDX_MD_TABLE_SIZE)
        return OS_STOP(os, VHDX_E_MD_OFFSET, it->entry_off + MDE_OFF_OFFSET, "metadata_entry.Offset", d);
    if (!vhdx_range_ok(e->offset, e->length, img->md_length))
        return OS_STOP(os, VHDX_E_MD_OUTSIDE_REGION, it->entry_off + MDE_OFF_OFFSET, "metadata_entry.Offset", d);
    size_t n = buflen ? min_len : e->length;
    if (buflen && n > buflen) n = buflen;
    *out_len = n;
    return img_os_read(os, it->file_off, buf, n, name);
}

/* The metadata table: decoded, validated, signature (R79) and entry count. */
static int md_table(img_open_state *os)
{
    vhdx_image *img = os->img;
    uint8_t *tb = vhdx_malloc(VHDX_MD_TABLE_SIZE);
    if (!tb) return OS_STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "metadata table", NULL);
    int rc = img_os_read(os, img->md_offset, tb, VHDX_MD_TABLE_SIZE, "metadata table");
    if (rc != VHDX_OK) { vhdx_free(tb); return rc; }
    img->md = vhdx_malloc(sizeof *img->md);
    if (!img->md) { vhdx_free(tb); return OS_STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "metadata table", NULL); }
    rc = fmt_metadata_table_decode(tb, VHDX_MD_TABLE_SIZE, img->md);
    vhdx_free(tb);
    if (rc != VHDX_OK) return OS_STOP(os, rc, img->md_offset, "metadata table", NULL);
    rc = fmt_metadata_table_validate(img->md, img->md_length, &os->sink, img->md_offset);
    if (rc != VHDX_OK) return rc;
    /* R79: without the signature nothing in the table can be trusted */
    if (img->md->signature != VHDX_SIG_METADATA)
        return OS_STOP(os, VHDX_E_MD_SIGNATURE, img->md_offset, "metadata.Signature", NULL);
    if (img->md->entry_count > VHDX_MD_MAX_ENTRIES)
        return OS_STOP(os, VHDX_E_MD_ENTRY_COUNT, img->md_offset + MD_OFF_ENTRY_COUNT,
                       "metadata.EntryCount", NULL);
    return VHDX_OK;
}

/* The known items of the table (2.6.2). */
typedef struct md_items {
    md_item fp, vds, vdid, lss, pss, pl;
    int have_vdid, have_pss, have_pl;
} md_items;

static int md_geometry(img_open_state *os, md_items *it)
{
    vhdx_image *img = os->img;
    uint8_t v[16];
    size_t n;
    fmt_file_parameters fpv;
    uint64_t vsize;
    uint32_t lssv, pssv = 512;
    int rc = read_item(os, &it->fp, "File Parameters", 8, v, sizeof v, &n);
    if (rc == VHDX_OK) rc = fmt_file_parameters_decode(v, n, &fpv);
    if (rc != VHDX_OK) return OS_STOP(os, rc, it->fp.file_off, "FileParameters", NULL);
    rc = read_item(os, &it->vds, "Virtual Disk Size", 8, v, sizeof v, &n);
    if (rc == VHDX_OK) rc = fmt_u64_item_decode(v, n, &vsize);
    if (rc != VHDX_OK) return OS_STOP(os, rc, it->vds.file_off, "VirtualDiskSize", NULL);
    rc = read_item(os, &it->lss, "Logical Sector Size", 4, v, sizeof v, &n);
    if (rc == VHDX_OK) rc = fmt_u32_item_decode(v, n, &lssv);
    if (rc != VHDX_OK) return OS_STOP(os, rc, it->lss.file_off, "LogicalSectorSize", NULL);
    if (it->have_pss) {
        rc = read_item(os, &it->pss, "Physical Sector Size", 4, v, sizeof v, &n);
        if (rc == VHDX_OK) rc = fmt_u32_item_decode(v, n, &pssv);
        if (rc != VHDX_OK) return OS_STOP(os, rc, it->pss.file_off, "PhysicalSectorSize", NULL);
    }
    if (it->have_vdid) {
        rc = read_item(os, &it->vdid, "Virtual Disk ID", 16, v, sizeof v, &n);
        if (rc == VHDX_OK) rc = fmt_guid_item_decode(v, n, &img->virtual_disk_id);
        if (rc != VHDX_OK) return OS_STOP(os, rc, it->vdid.file_off, "VirtualDiskId", NULL);
    }
    rc = fmt_geometry_validate(vsize, fpv.block_size, lssv, pssv, fpv.flags, &os->sink,
                               it->fp.file_off, it->vds.file_off, it->lss.file_off,
                               it->have_pss ? it->pss.file_off : VHDX_NO_OFFSET);
    if (rc != VHDX_OK) return rc;
    rc = fmt_geometry_compute(&img->geo, vsize, fpv.block_size, lssv, pssv, fpv.flags);
    if (rc != VHDX_OK) return OS_STOP(os, rc, it->vds.file_off, "VirtualDiskSize", NULL);
    return VHDX_OK;
}

/* The decoded form parent resolution and vhdx_get_info use: linkage GUIDs and the paths
 * in resolution order. A value that cannot be read stays absent (the validator has
 * reported what is wrong with it). */
static void locator_extract(const fmt_locator *loc, const uint8_t *buf, size_t len,
                            img_parent_loc *out)
{
    static const char *const keys[IMG_PL_NPATHS] = { "relative_path", "absolute_win32_path",
                                                     "volume_path" };
    char text[VHDX_PL_MAX_STRING];
    memset(out, 0, sizeof *out);
    if (fmt_locator_get(loc, buf, len, "parent_linkage", text, sizeof text) == VHDX_OK &&
        vhdx_guid_parse(&out->linkage, text, strlen(text)) == VHDX_OK)
        out->have_linkage = 1;
    if (fmt_locator_get(loc, buf, len, "parent_linkage2", text, sizeof text) == VHDX_OK &&
        vhdx_guid_parse(&out->linkage2, text, strlen(text)) == VHDX_OK)
        out->have_linkage2 = 1;
    for (int k = 0; k < IMG_PL_NPATHS; k++)
        if (fmt_locator_get(loc, buf, len, keys[k], out->path[k], sizeof out->path[k]) != VHDX_OK)
            out->path[k][0] = '\0';
}

/* [MS-VHDX 2.6.2.6] the parent locator of a differencing image: read, validated and
 * decoded once. */
static int md_locator(img_open_state *os, const md_items *it)
{
    vhdx_image *img = os->img;
    size_t n;
    /* [MS-VHDX 2.6.2.6] R98 */
    if (!it->have_pl)
        return OS_STOP(os, VHDX_E_NO_PARENT_LOCATOR, it->fp.file_off + 4, "file_parameters.Flags", NULL);
    const fmt_metadata_entry *e = &img->md->entries[it->pl.idx];
    if (e->length > img->limits.max_metadata_item || e->length > MiB)
        return read_item(os, &it->pl, "Parent Locator", PL_HEADER_SIZE, NULL, 0, &n);
    img->locator = vhdx_malloc(e->length ? e->length : 1);
    if (!img->locator) return OS_STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "Parent Locator", NULL);
    int rc = read_item(os, &it->pl, "Parent Locator", PL_HEADER_SIZE, img->locator, 0, &n);
    if (rc != VHDX_OK) return rc;
    img->locator_len = n;
    fmt_locator *loc = vhdx_malloc(sizeof *loc);
    if (!loc) return OS_STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "Parent Locator", NULL);
    rc = fmt_locator_decode(img->locator, n, loc);
    if (rc != VHDX_OK) rc = OS_STOP(os, rc, it->pl.file_off, "ParentLocator", NULL);
    else rc = fmt_locator_validate(loc, img->locator, n, &os->sink, it->pl.file_off);
    if (rc == VHDX_OK) locator_extract(loc, img->locator, n, &img->ploc);
    vhdx_free(loc);
    return rc;
}

int img_step_metadata(img_open_state *os)
{
    vhdx_image *img = os->img;
    md_items it;
    int rc = md_table(os);
    if (rc != VHDX_OK) return rc;
    int have_fp = find_item(os, &VHDX_GUID_FILE_PARAMETERS, &it.fp);
    int have_vds = find_item(os, &VHDX_GUID_VIRTUAL_DISK_SIZE, &it.vds);
    it.have_vdid = find_item(os, &VHDX_GUID_VIRTUAL_DISK_ID, &it.vdid);
    int have_lss = find_item(os, &VHDX_GUID_LOGICAL_SECTOR_SIZE, &it.lss);
    it.have_pss = find_item(os, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, &it.pss);
    it.have_pl = find_item(os, &VHDX_GUID_PARENT_LOCATOR, &it.pl);
    /* D9: the disk cannot be interpreted without these */
    if (!have_fp) return OS_STOP(os, VHDX_E_MD_MISSING_ITEM, img->md_offset, "metadata table", "File Parameters");
    if (!have_vds) return OS_STOP(os, VHDX_E_MD_MISSING_ITEM, img->md_offset, "metadata table", "Virtual Disk Size");
    if (!have_lss) return OS_STOP(os, VHDX_E_MD_MISSING_ITEM, img->md_offset, "metadata table", "Logical Sector Size");
    rc = md_geometry(os, &it);
    if (rc == VHDX_OK && img->geo.has_parent) rc = md_locator(os, &it);
    return rc;
}
