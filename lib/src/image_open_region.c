/* SPDX-License-Identifier: Apache-2.0 */
/* image_open_region.c - open step for the region table (2.2.3): copy selection, placement of
 * every region (inside the file, off the log, no overlaps) and the BAT and metadata regions
 * the rest of the open needs. */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

static const uint64_t rt_base[2] = { VHDX_RT1_OFFSET, VHDX_RT2_OFFSET };

static const char *rt_defect(const uint8_t *raw, int *code)
{
    if (vhdx_le32(raw) != VHDX_SIG_REGI) { *code = VHDX_E_RT_SIGNATURE; return "signature is not \"regi\""; }
    *code = VHDX_E_RT_CHECKSUM;
    return "CRC-32C mismatch";
}

/* Both copies fail R24/R25 and a repair tolerates it: a copy whose signature holds, whose
 * entries pass the table rules, and whose metadata region starts with the "metadata"
 * signature is used; when both qualify they must list the same entries. 1: *use set. */
static int rt_salvage(img_open_state *os, uint8_t *const r[2], int *use)
{
    fmt_region_table *t = vhdx_malloc(sizeof *t);
    int ok[2] = { 0, 0 };
    for (int i = 0; i < 2 && t; i++) {
        vhdx_diag d;
        vhdx_diag_sink ds;
        uint8_t sig[8];
        vhdx_diag_clear(&d);
        vhdx_diag_sink_init(&ds, &d);
        if (vhdx_le32(r[i]) != VHDX_SIG_REGI || fmt_region_table_decode(r[i], VHDX_RT_SIZE, t) != VHDX_OK ||
            fmt_region_table_validate(t, NULL, &ds.sink, rt_base[i]) != VHDX_OK || d.code != VHDX_OK)
            continue;
        for (uint32_t j = 0; j < t->decoded; j++)
            if (vhdx_guid_equal(&t->entries[j].guid, &VHDX_GUID_METADATA_REGION) &&
                img_region_usable(&t->entries[j]) &&
                img_pread(os->img, t->entries[j].file_offset, sig, sizeof sig, NULL) == VHDX_OK &&
                vhdx_le64(sig) == VHDX_SIG_METADATA)
                ok[i] = 1;
    }
    vhdx_free(t);
    if (ok[0] && ok[1] &&
        memcmp(r[0] + RT_OFF_ENTRY_COUNT, r[1] + RT_OFF_ENTRY_COUNT, VHDX_RT_SIZE - RT_OFF_ENTRY_COUNT) != 0)
        return 0;
    *use = ok[0] ? 0 : 1;
    return ok[0] || ok[1];
}

/* Reads both copies and decodes the first valid one into img->rt (R23). */
static int rt_select(img_open_state *os, uint8_t *const r[2])
{
    vhdx_image *img = os->img;
    int rc = VHDX_OK, valid[2];
    char d[160];
    for (int i = 0; i < 2 && rc == VHDX_OK; i++)
        rc = img_os_read(os, rt_base[i], r[i], VHDX_RT_SIZE, "region table");
    if (rc != VHDX_OK) return rc;
    for (int i = 0; i < 2; i++) valid[i] = fmt_region_table_is_valid(r[i], VHDX_RT_SIZE);
    int use = valid[0] ? 0 : 1, c;
    if (!valid[0] && !valid[1]) {
        int cc[2], found = 0;
        const char *defect[2] = { rt_defect(r[0], &cc[0]), rt_defect(r[1], &cc[1]) };
        unsigned long nfatal = os->nfatal;
        char rb[128] = "";
        /* a repair (image_repair.c) rewrites both copies from a table it can trust, or
         * from one rebuilt from the structures it finds (image_open_rtfind.c, into r[0]);
         * the findings say which, or why neither */
        if (os->hooks && os->hooks->tolerate) {
            found = rt_salvage(os, r, &use);
            if (!found) {
                char why[112];
                int rrc = img_rt_rebuild(os, r[0], why, sizeof why);
                if (rrc == VHDX_E_NOMEM) return OS_STOP(os, rrc, VHDX_NO_OFFSET, "region table", NULL);
                found = rrc == VHDX_OK;
                use = 0;
                snprintf(rb, sizeof rb, "; %s%s", found ? IMG_RT_REBUILT : IMG_RT_NOT_REBUILT, why);
            }
        }
        for (int i = 0; i < 2; i++) {
            snprintf(d, sizeof d, "copy %d: %s%s", i + 1, defect[i], rb);
            (void)OS_NOTE(os, cc[i], rt_base[i] + (cc[i] == VHDX_E_RT_CHECKSUM ? RT_OFF_CHECKSUM : 0),
                          cc[i] == VHDX_E_RT_CHECKSUM ? "region_table.Checksum" : "region_table.Signature", d);
        }
        if (os->nfatal != nfatal || !found) return cc[0];
    } else if (!valid[1 - use]) {
        /* [MS-VHDX 2.2.3] R23: no precedence rule between the copies: use the first valid one */
        rc = OS_NOTE(os, VHDX_W_RT_INVALID_COPY, rt_base[1 - use], use ? "region_table[0]" : "region_table[1]",
                     rt_defect(r[1 - use], &c));
    } else if (memcmp(r[0], r[1], VHDX_RT_SIZE) != 0) {
        rc = OS_NOTE(os, VHDX_W_RT_COPIES_DIFFER, rt_base[1], "region_table[1]", NULL);
    }
    if (rc != VHDX_OK) return rc;
    img->rt = vhdx_malloc(sizeof *img->rt);
    if (!img->rt) return OS_STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "region table", NULL);
    img->rt_copy = use;
    os->rt_base = rt_base[use];
    rc = fmt_region_table_decode(r[use], VHDX_RT_SIZE, img->rt);
    if (rc != VHDX_OK) return OS_STOP(os, rc, rt_base[use], "region table", NULL);
    /* R25: a valid copy's checksum was verified above (fmt_region_table_is_valid); the
     * others were salvaged or rebuilt: no second CRC of 64 KiB either way */
    return fmt_region_table_validate(img->rt, NULL, &os->sink, rt_base[use]);
}

/* D6, R18/R32: a usable region lies inside the file, off the log and off earlier regions. */
static int rt_place_entry(img_open_state *os, uint32_t j)
{
    const fmt_region_table *rt = os->img->rt;
    const fmt_region_entry *e = &rt->entries[j];
    uint64_t eoff = os->rt_base + RT_HEADER_SIZE + (uint64_t)j * RT_ENTRY_SIZE;
    char d[160];
    int rc;
    snprintf(d, sizeof d, "region table entry %u", (unsigned)j);
    /* D6: inside the file */
    if (!vhdx_range_ok(e->file_offset, e->length, os->img->file_size)) {
        rc = OS_NOTE(os, VHDX_E_RT_OUTSIDE_FILE, eoff + RTE_OFF_FILE_OFFSET, "region.FileOffset", d);
        if (rc != VHDX_OK) return rc;
    }
    /* R18/R32: not overlapping the log */
    if (vhdx_ranges_overlap(e->file_offset, e->length, os->log_off, os->log_len)) {
        rc = OS_NOTE(os, VHDX_E_LOG_OVERLAP, eoff + RTE_OFF_FILE_OFFSET, "region.FileOffset", d);
        if (rc != VHDX_OK) return rc;
    }
    /* R32: regions do not overlap each other */
    for (uint32_t k = 0; k < j; k++) {
        const fmt_region_entry *o = &rt->entries[k];
        if (!img_region_usable(o)) continue;
        if (vhdx_ranges_overlap(e->file_offset, e->length, o->file_offset, o->length)) {
            snprintf(d, sizeof d, "region table entry %u overlaps entry %u", (unsigned)j, (unsigned)k);
            return OS_NOTE(os, VHDX_E_RT_OVERLAP, eoff + RTE_OFF_FILE_OFFSET, "region.FileOffset", d);
        }
    }
    return VHDX_OK;
}

/* Every entry: known regions found, unknown required ones remembered (R31), placement. */
static int rt_entries(img_open_state *os, int *unknown_required)
{
    const fmt_region_table *rt = os->img->rt;
    *unknown_required = -1;
    os->bat_idx = os->md_idx = -1;
    for (uint32_t j = 0; j < rt->decoded; j++) {
        const fmt_region_entry *e = &rt->entries[j];
        int is_bat = vhdx_guid_equal(&e->guid, &VHDX_GUID_BAT_REGION);
        int is_md = vhdx_guid_equal(&e->guid, &VHDX_GUID_METADATA_REGION);
        if (is_bat && os->bat_idx < 0) os->bat_idx = (int)j;
        if (is_md && os->md_idx < 0) os->md_idx = (int)j;
        /* [MS-VHDX 2.2.3.2] R31: an unknown required region must not be ignored */
        if (!is_bat && !is_md && (e->required & 1u) && *unknown_required < 0)
            *unknown_required = (int)j;
        if (!img_region_usable(e)) continue; /* R29/R30 reported by the validator */
        int rc = rt_place_entry(os, j);
        if (rc != VHDX_OK) return rc;
    }
    return VHDX_OK;
}

/* The BAT (k 0) or metadata (k 1) region: unusable placement stops the open. */
static int rt_known_region(img_open_state *os, int k)
{
    vhdx_image *img = os->img;
    int j = k == 0 ? os->bat_idx : os->md_idx;
    const fmt_region_entry *e = &img->rt->entries[j];
    uint64_t eoff = os->rt_base + RT_HEADER_SIZE + (uint64_t)j * RT_ENTRY_SIZE;
    if (e->file_offset % MiB != 0 || e->file_offset < MiB)
        return OS_STOP(os, VHDX_E_RT_OFFSET, eoff + RTE_OFF_FILE_OFFSET, "region.FileOffset", NULL);
    if (e->length % MiB != 0 || e->length == 0)
        return OS_STOP(os, VHDX_E_RT_LENGTH, eoff + RTE_OFF_LENGTH, "region.Length", NULL);
    if (!vhdx_range_ok(e->file_offset, e->length, img->file_size))
        return OS_STOP(os, VHDX_E_RT_OUTSIDE_FILE, eoff + RTE_OFF_FILE_OFFSET, "region.FileOffset", NULL);
    if (k == 0) { img->bat_offset = e->file_offset; img->bat_length = e->length; }
    else { img->md_offset = e->file_offset; img->md_length = e->length; }
    return VHDX_OK;
}

int img_step_regions(img_open_state *os)
{
    /* two buffers of 64 KiB, not one of 128: allocators serve these from their pools
     * (with ASan, 128 KiB and more is a fresh mapping per open) */
    uint8_t *const r[2] = { vhdx_malloc(VHDX_RT_SIZE), vhdx_malloc(VHDX_RT_SIZE) };
    int unknown_required = -1;
    int rc = r[0] && r[1] ? rt_select(os, r)
                          : OS_STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "region table", NULL);
    vhdx_free(r[0]);
    vhdx_free(r[1]);
    if (rc == VHDX_OK) rc = rt_entries(os, &unknown_required);
    if (rc != VHDX_OK) return rc;
    if (unknown_required >= 0) {
        char d[160];
        snprintf(d, sizeof d, "region table entry %d", unknown_required);
        return OS_STOP(os, VHDX_E_RT_UNKNOWN_REQUIRED,
                       os->rt_base + RT_HEADER_SIZE + (uint64_t)unknown_required * RT_ENTRY_SIZE + RTE_OFF_REQUIRED,
                       "region.Required", d);
    }
    if (os->bat_idx < 0) return OS_STOP(os, VHDX_E_RT_MISSING_BAT, os->rt_base, "region table", NULL);
    if (os->md_idx < 0) return OS_STOP(os, VHDX_E_RT_MISSING_METADATA, os->rt_base, "region table", NULL);
    rc = rt_known_region(os, 0);
    if (rc == VHDX_OK) rc = rt_known_region(os, 1);
    return rc;
}
