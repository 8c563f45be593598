/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_open_rtfind.c - a region table rebuilt from the structures it points at, for a
 * repair that found both copies without a table it can trust (R24/R25 on both, and no
 * copy that still decodes to entries whose metadata region holds its signature).
 *
 * Only the header section has a fixed place (2.1); every region is 1 MiB aligned (R29).
 * The metadata region is the one 1 MiB boundary outside the header section and the log
 * that starts with the "metadata" signature and whose table yields a geometry (R92-R97);
 * its length is the 1 MiB multiple that holds its items. The BAT is as long as that
 * geometry needs (R66-R68, rounded to 1 MiB: R30) and lies at the one 1 MiB boundary
 * where every entry is plausible (R69, R72, R77, R78; blocks inside the file, off the
 * header section, the log, the metadata region and the BAT itself: R70, D12) and that
 * no other plausible BAT uses as a block. Anything else - no candidate, or two - refuses,
 * with the candidates in the reason. Unknown regions of the lost table are not recovered
 * (their place is unknown); the rebuilt table lists the BAT and the metadata region.
 */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

#define RTF_MAX_CAND 8
#define RTF_CHUNK (64u * 1024u)

typedef struct rtf {
    img_open_state *os;
    uint64_t size;
    uint64_t md_off, md_len;
    fmt_geometry g;
    uint64_t bat_len;             /* region length (1 MiB multiple) */
    uint8_t *buf;                 /* RTF_CHUNK bytes */
} rtf;

/* Overlaps the header section, the log or the metadata region. */
static int rtf_fixed(const rtf *f, uint64_t off, uint64_t len)
{
    return off < MiB || vhdx_ranges_overlap(off, len, f->os->log_off, f->os->log_len) ||
           (f->md_len && vhdx_ranges_overlap(off, len, f->md_off, f->md_len));
}

static int rtf_read(rtf *f, uint64_t off, void *buf, size_t len)
{
    if (!vhdx_range_ok(off, len, f->size)) return VHDX_E_IO_EOF;
    return img_pread(f->os->img, off, buf, len, NULL);
}

/* One system item of at most 8 bytes, at least `len` long, into b. */
static int rtf_item(rtf *f, const fmt_metadata_table *t, uint64_t md_off, const vhdx_guid *id,
                    uint8_t *b, size_t len)
{
    int i = fmt_metadata_find(t, id);
    if (i < 0 || t->entries[i].length < len) return VHDX_E_MD_MISSING_ITEM;
    return rtf_read(f, md_off + t->entries[i].offset, b, len);
}

/* A metadata table at off whose system items give a geometry: *g and the region length. */
static int rtf_metadata_at(rtf *f, uint64_t off, fmt_metadata_table *t, fmt_geometry *g,
                           uint64_t *len)
{
    uint8_t b[8];
    fmt_file_parameters fp;
    uint64_t vs;
    uint32_t lss, pss;
    if (rtf_read(f, off, f->buf, VHDX_MD_TABLE_SIZE) != VHDX_OK ||
        fmt_metadata_table_decode(f->buf, VHDX_MD_TABLE_SIZE, t) != VHDX_OK ||
        t->signature != VHDX_SIG_METADATA)
        return 0;
    if (rtf_item(f, t, off, &VHDX_GUID_FILE_PARAMETERS, b, 8) != VHDX_OK ||
        fmt_file_parameters_decode(b, 8, &fp) != VHDX_OK ||
        rtf_item(f, t, off, &VHDX_GUID_VIRTUAL_DISK_SIZE, b, 8) != VHDX_OK ||
        fmt_u64_item_decode(b, 8, &vs) != VHDX_OK ||
        rtf_item(f, t, off, &VHDX_GUID_LOGICAL_SECTOR_SIZE, b, 4) != VHDX_OK ||
        fmt_u32_item_decode(b, 4, &lss) != VHDX_OK ||
        rtf_item(f, t, off, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, b, 4) != VHDX_OK ||
        fmt_u32_item_decode(b, 4, &pss) != VHDX_OK ||
        fmt_geometry_compute(g, vs, fp.block_size, lss, pss, fp.flags) != VHDX_OK)
        return 0;
    uint64_t end = MiB;
    for (uint32_t i = 0; i < t->decoded; i++) {
        uint64_t e = (uint64_t)t->entries[i].offset + t->entries[i].length;
        if (e > end) end = e;
    }
    *len = vhdx_div_round_up(end, MiB) * MiB;
    return *len <= UINT32_MAX && vhdx_range_ok(off, *len, f->size);
}

/* Appends "0x..., " for each candidate to why. */
static void rtf_list(char *why, size_t cap, const uint64_t *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t used = strlen(why);
        snprintf(why + used, cap - used, "%s0x%llx", i ? ", " : " at ", (unsigned long long)c[i]);
    }
}

static int rtf_find_metadata(rtf *f, char *why, size_t cap)
{
    fmt_metadata_table *t = vhdx_malloc(sizeof *t);
    uint64_t cand[RTF_MAX_CAND], len[RTF_MAX_CAND];
    fmt_geometry g[RTF_MAX_CAND];
    size_t n = 0, more = 0;
    if (!t) return VHDX_E_NOMEM;
    for (uint64_t off = MiB; off < f->size && f->size - off >= VHDX_MD_TABLE_SIZE; off += MiB) {
        uint8_t sig[8];
        if (rtf_fixed(f, off, VHDX_MD_TABLE_SIZE) || rtf_read(f, off, sig, sizeof sig) != VHDX_OK ||
            vhdx_le64(sig) != VHDX_SIG_METADATA)
            continue;
        if (n == RTF_MAX_CAND) { more++; continue; }
        if (rtf_metadata_at(f, off, t, &g[n], &len[n])) cand[n++] = off;
    }
    vhdx_free(t);
    if (n == 1) {
        f->md_off = cand[0];
        f->md_len = len[0];
        f->g = g[0];
        return VHDX_OK;
    }
    if (n == 0) snprintf(why, cap, "no metadata table with a usable geometry at a 1 MiB boundary");
    else {
        snprintf(why, cap, "%zu%s metadata tables found", n + more, more ? " or more" : "");
        rtf_list(why, cap, cand, n);
    }
    return VHDX_E_RT_SIGNATURE;
}

/* Entry i of a BAT candidate at x: plausible, and the block it places (len 0: none). */
static int rtf_entry(const rtf *f, uint64_t x, uint64_t i, uint64_t e, uint64_t *boff, uint64_t *blen)
{
    const fmt_geometry *g = &f->g;
    unsigned st = fmt_bat_state(e);
    int sb = fmt_bat_is_sb_slot(i, g->chunk_ratio);
    uint64_t off = fmt_bat_offset(e), len = sb ? MiB : g->block_size;
    *blen = 0;
    if (fmt_bat_reserved(e)) return 0;                                 /* R69 */
    if (sb ? (st != VHDX_SB_NOT_PRESENT && (st != VHDX_SB_PRESENT || !g->has_parent))
           : (st == 4 || st == 5 || (st == VHDX_PB_PARTIALLY_PRESENT && !g->has_parent)))
        return 0;                                                      /* R72, R77, R78 */
    int present = sb ? st == VHDX_SB_PRESENT
                     : st == VHDX_PB_FULLY_PRESENT || st == VHDX_PB_PARTIALLY_PRESENT;
    if (!off) return !present;
    if (!present && st != VHDX_PB_UNDEFINED && st != VHDX_PB_UNMAPPED) return 0; /* D13 */
    if (!vhdx_range_ok(off, len, f->size) || rtf_fixed(f, off, len) ||
        vhdx_ranges_overlap(off, len, x, f->bat_len))
        return 0;                                                      /* R70, D12 */
    *boff = off;
    *blen = len;
    return 1;
}

/* 1 when every entry of a BAT at x is plausible; hit[k] set for each of the n candidates
 * whose BAT range a block of this one covers. */
static int rtf_bat_at(rtf *f, uint64_t x, const uint64_t *cand, size_t n, int *hit)
{
    uint64_t total = f->g.bat_entries * 8u;
    for (uint64_t pos = 0; pos < total; pos += RTF_CHUNK) {
        size_t len = (size_t)(total - pos < RTF_CHUNK ? total - pos : RTF_CHUNK);
        if (rtf_read(f, x + pos, f->buf, len) != VHDX_OK) return 0;
        for (size_t k = 0; k < len; k += 8) {
            uint64_t boff, blen;
            if (!rtf_entry(f, x, (pos + k) / 8u, vhdx_le64(f->buf + k), &boff, &blen)) return 0;
            for (size_t c = 0; blen && c < n; c++)
                if (cand[c] != x && vhdx_ranges_overlap(boff, blen, cand[c], f->bat_len)) hit[c] = 1;
        }
    }
    return 1;
}

static int rtf_find_bat(rtf *f, uint64_t *bat, char *why, size_t cap)
{
    uint64_t cand[RTF_MAX_CAND];
    int hit[RTF_MAX_CAND] = { 0 };
    size_t n = 0, more = 0;
    for (uint64_t x = MiB; x < f->size && f->size - x >= f->bat_len; x += MiB) {
        if (rtf_fixed(f, x, f->bat_len) || !rtf_bat_at(f, x, NULL, 0, NULL)) continue;
        if (n == RTF_MAX_CAND) more++;
        else cand[n++] = x;
    }
    if (more) {
        snprintf(why, cap, "more than %d plausible BAT locations", RTF_MAX_CAND);
        return VHDX_E_RT_SIGNATURE;
    }
    /* a candidate another candidate uses as a block is that block, not a BAT */
    for (size_t c = 0; c < n; c++) (void)rtf_bat_at(f, cand[c], cand, n, hit);
    uint64_t left[RTF_MAX_CAND];
    size_t m = 0;
    for (size_t c = 0; c < n; c++)
        if (!hit[c]) left[m++] = cand[c];
    if (m == 1) {
        *bat = left[0];
        return VHDX_OK;
    }
    if (m == 0) snprintf(why, cap, "no plausible BAT of %llu entries outside the metadata region and the log",
                         (unsigned long long)f->g.bat_entries);
    else {
        snprintf(why, cap, "%zu plausible BAT locations", m);
        rtf_list(why, cap, left, m);
    }
    return VHDX_E_RT_SIGNATURE;
}

int img_rt_rebuild(img_open_state *os, uint8_t *raw, char *why, size_t cap)
{
    rtf f;
    memset(&f, 0, sizeof f);
    f.os = os;
    f.size = os->img->file_size;
    f.buf = vhdx_malloc(RTF_CHUNK);
    why[0] = '\0';
    if (!f.buf) return VHDX_E_NOMEM;
    uint64_t bat = 0;
    int rc = rtf_find_metadata(&f, why, cap);
    if (rc == VHDX_OK) {
        f.bat_len = vhdx_div_round_up(f.g.bat_entries * 8u, MiB) * MiB;
        rc = f.bat_len <= UINT32_MAX ? rtf_find_bat(&f, &bat, why, cap) : VHDX_E_RT_SIGNATURE;
    }
    vhdx_free(f.buf);
    if (rc != VHDX_OK) return rc;
    fmt_region_table *t = vhdx_calloc(1, sizeof *t);
    if (!t) return VHDX_E_NOMEM;
    t->signature = VHDX_SIG_REGI;
    t->entry_count = t->decoded = 2;
    t->entries[0] = (fmt_region_entry){ VHDX_GUID_BAT_REGION, bat, (uint32_t)f.bat_len, 1 };
    t->entries[1] = (fmt_region_entry){ VHDX_GUID_METADATA_REGION, f.md_off, (uint32_t)f.md_len, 1 };
    rc = fmt_region_table_encode(t, raw, VHDX_RT_SIZE);
    vhdx_free(t);
    snprintf(why, cap, "BAT at 0x%llx (0x%llx bytes), metadata at 0x%llx (0x%llx bytes)",
             (unsigned long long)bat, (unsigned long long)f.bat_len, (unsigned long long)f.md_off,
             (unsigned long long)f.md_len);
    return rc;
}
