/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit.c - image builder of the conformance kit (see kit.h). Layout (Windows-like):
 * header section, log at 1 MiB (1 MiB; absent in compact images), metadata region (1 MiB),
 * BAT region, then payload blocks, the differencing sector bitmap block and the block a log
 * entry refers to, in that order. Every structure is encoded here with explicit
 * little-endian stores at the offsets of kit_layout.h; only CRC-32C and GUID generation come
 * from libvhdx.
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K_MiB ((uint64_t)1 << 20)

uint16_t kit_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
void kit_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
void kit_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
void kit_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
uint32_t kit_get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
uint64_t kit_get64(const uint8_t *p) { return (uint64_t)kit_get32(p) | ((uint64_t)kit_get32(p + 4) << 32); }

static uint64_t round_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

/* ---- data pattern: every 8-byte word names its virtual offset and the image ---- */
static uint64_t pattern_word(uint32_t tag, uint64_t v)
{
    return v ^ ((uint64_t)tag << 48) ^ 0x0000564B00000000ULL; /* "KV" marker in bits 32-47 */
}

static void pattern(uint32_t tag, uint64_t voff, uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint64_t v = voff + i;
        uint64_t w = pattern_word(tag, v & ~(uint64_t)7);
        unsigned k = (unsigned)(v & 7);
        for (; k < 8 && i < len; k++, i++) buf[i] = (uint8_t)(w >> (8 * k));
    }
}

/* sector s of a PARTIALLY_PRESENT block is in this file: runs of 8 sectors on, 8 off */
static int partial_present(uint64_t s) { return ((s >> 3) & 1) == 0; }

/* ---- BAT ---- */
uint64_t kit_bat_index(const kit_image *ki, uint64_t block) { return block + block / ki->cr; }

void kit_bat_set(kit_image *ki, uint64_t index, uint64_t entry)
{
    uint64_t at = index * KIT_BAT_ENTRY_SIZE;
    if (at + KIT_BAT_ENTRY_SIZE <= ki->bat_len) kit_put64(ki->bat + at, entry);
}

uint64_t kit_bat_get(const kit_image *ki, uint64_t index)
{
    uint64_t at = index * KIT_BAT_ENTRY_SIZE;
    return at + KIT_BAT_ENTRY_SIZE <= ki->bat_len ? kit_get64(ki->bat + at) : 0;
}

/* ---- metadata ---- */
uint32_t kit_md_entry(const kit_image *ki, const vhdx_guid *id)
{
    unsigned n = kit_get16(ki->md + KIT_MDT_ENTRY_COUNT);
    for (unsigned i = 0; i < n && i < KIT_MDT_MAX_ENTRIES; i++) {
        uint32_t e = KIT_MDT_ENTRIES + KIT_MDE_SIZE * i;
        if (memcmp(ki->md + e + KIT_MDE_ITEM_ID, id->b, 16) == 0 &&
            !(kit_get32(ki->md + e + KIT_MDE_FLAGS) & KIT_MDF_IS_USER))
            return e;
    }
    return 0;
}

uint32_t kit_md_item(const kit_image *ki, const vhdx_guid *id)
{
    uint32_t e = kit_md_entry(ki, id);
    return e ? kit_get32(ki->md + e + KIT_MDE_OFFSET) : 0;
}

static void md_add(kit_image *ki, const vhdx_guid *id, uint32_t off, uint32_t len, uint32_t flags)
{
    unsigned n = kit_get16(ki->md + KIT_MDT_ENTRY_COUNT);
    uint8_t *e = ki->md + KIT_MDT_ENTRIES + KIT_MDE_SIZE * n;
    memcpy(e + KIT_MDE_ITEM_ID, id->b, 16);
    kit_put32(e + KIT_MDE_OFFSET, off);
    kit_put32(e + KIT_MDE_LENGTH, len);
    kit_put32(e + KIT_MDE_FLAGS, flags);
    kit_put32(e + KIT_MDE_RESERVED2, 0);
    kit_put16(ki->md + KIT_MDT_ENTRY_COUNT, (uint16_t)(n + 1));
}

static size_t utf16(uint8_t *out, const char *s)
{
    size_t n = 0;
    for (; *s; s++, n += 2) { out[n] = (uint8_t)*s; out[n + 1] = 0; }
    return n;
}

int kit_set_locator(kit_image *ki, const char *const *keys, const char *const *values, size_t n)
{
    uint8_t *pl = ki->md + KIT_MD_LOCATOR;
    size_t cap = ki->md_len - KIT_MD_LOCATOR;
    size_t pos = KIT_PL_ENTRIES + KIT_PLE_SIZE * n;
    if (pos > cap) return -1;
    memset(pl, 0, pos);
    memcpy(pl + KIT_PL_TYPE, VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX.b, 16);
    kit_put16(pl + KIT_PL_COUNT, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(keys[i]) * 2, vl = strlen(values[i]) * 2;
        if (pos + kl + vl > cap) return -1;
        uint8_t *e = pl + KIT_PL_ENTRIES + KIT_PLE_SIZE * i;
        kit_put32(e + KIT_PLE_KEY_OFFSET, (uint32_t)pos);
        utf16(pl + pos, keys[i]);
        pos += kl;
        kit_put32(e + KIT_PLE_VALUE_OFFSET, (uint32_t)pos);
        utf16(pl + pos, values[i]);
        pos += vl;
        kit_put16(e + KIT_PLE_KEY_LENGTH, (uint16_t)kl);
        kit_put16(e + KIT_PLE_VALUE_LENGTH, (uint16_t)vl);
    }
    uint32_t ent = kit_md_entry(ki, &VHDX_GUID_PARENT_LOCATOR);
    if (ent) kit_put32(ki->md + ent + KIT_MDE_LENGTH, (uint32_t)pos);
    return 0;
}

/* ---- log ---- */
typedef struct kdesc {
    int zero;            /* 1: zero descriptor */
    uint64_t file_offset;
    uint64_t zero_length;
    const uint8_t *update; /* KIT_LOG_SECTOR bytes (data descriptor) */
} kdesc;

/* Writes one entry at log position pos; returns its length. The CRC is set in finalize. */
static uint32_t log_entry(kit_image *ki, uint32_t pos, uint64_t seq, uint32_t tail,
                          const vhdx_guid *guid, const kdesc *d, unsigned nd)
{
    unsigned ndata = 0;
    for (unsigned i = 0; i < nd; i++) ndata += !d[i].zero;
    /* the header fills the first two descriptor slots of the first sector */
    uint32_t dsec = (uint32_t)((nd + 2 + KIT_DESC_PER_SECTOR - 1) / KIT_DESC_PER_SECTOR);
    uint32_t elen = KIT_LOG_SECTOR * (dsec + ndata);
    uint8_t *e = ki->log + pos;
    memset(e, 0, elen);
    memcpy(e + KIT_LE_SIGNATURE, "loge", 4);
    kit_put32(e + KIT_LE_ENTRY_LENGTH, elen);
    kit_put32(e + KIT_LE_TAIL, tail);
    kit_put64(e + KIT_LE_SEQUENCE, seq);
    kit_put32(e + KIT_LE_DESC_COUNT, nd);
    memcpy(e + KIT_LE_LOG_GUID, guid->b, 16);
    kit_put64(e + KIT_LE_FLUSHED_OFFSET, ki->file_size);
    kit_put64(e + KIT_LE_LAST_OFFSET, ki->file_size);
    uint32_t dpos = KIT_LOG_SECTOR * dsec;
    for (unsigned i = 0; i < nd; i++) {
        uint8_t *x = e + KIT_LE_DESCRIPTORS + KIT_DESC_SIZE * i;
        if (d[i].zero) {
            memcpy(x + KIT_DESC_SIGNATURE, "zero", 4);
            kit_put64(x + KIT_ZD_ZERO_LENGTH, d[i].zero_length);
        } else {
            memcpy(x + KIT_DESC_SIGNATURE, "desc", 4);
            memcpy(x + KIT_DD_TRAILING, d[i].update + KIT_DS_SEQ_LOW, 4);
            memcpy(x + KIT_DD_LEADING, d[i].update, 8);
            uint8_t *s = e + dpos;
            memcpy(s + KIT_DS_SIGNATURE, "data", 4);
            kit_put32(s + KIT_DS_SEQ_HIGH, (uint32_t)(seq >> 32));
            memcpy(s + KIT_DS_DATA, d[i].update + KIT_DS_DATA, KIT_DS_DATA_SIZE);
            kit_put32(s + KIT_DS_SEQ_LOW, (uint32_t)seq);
            dpos += KIT_LOG_SECTOR;
        }
        kit_put64(x + KIT_DESC_FILE_OFFSET, d[i].file_offset);
        kit_put64(x + KIT_DESC_SEQUENCE, seq);
    }
    if (ki->nlog < KIT_MAX_LOG_ENTRIES) {
        ki->log_pos[ki->nlog] = pos;
        ki->log_elen[ki->nlog] = elen;
        ki->nlog++;
    }
    return elen;
}

/* the BAT sector holding `index` with the entry replaced */
static void bat_sector_update(const kit_image *ki, uint64_t index, uint64_t entry,
                              uint8_t out[KIT_LOG_SECTOR], uint64_t *file_off)
{
    uint64_t at = index * KIT_BAT_ENTRY_SIZE;
    uint64_t sec = at / KIT_LOG_SECTOR * KIT_LOG_SECTOR;
    memcpy(out, ki->bat + sec, KIT_LOG_SECTOR);
    kit_put64(out + (at - sec), entry);
    *file_off = ki->bat_off + sec;
}

static int gen(kit_image *ki, vhdx_guid *g)
{
    return vhdx_guid_generate(&ki->gen, g) == VHDX_OK ? 0 : -1;
}

static const kit_block *listed(const kit_image *ki, uint64_t b, size_t *pos)
{
    for (size_t i = 0; i < ki->spec.nblocks; i++)
        if (ki->spec.blocks[i].index == b) { if (pos) *pos = i; return &ki->spec.blocks[i]; }
    return NULL;
}

/* region offsets and lengths, the BAT geometry and the file size */
static void plan(kit_image *ki)
{
    const kit_spec *spec = &ki->spec;
    uint64_t bs = spec->block_size;
    /* [MS-VHDX 2.5] chunk ratio: 2^23 sectors per sector bitmap block */
    ki->cr = ((uint64_t)1 << 23) * spec->lss / bs;
    ki->nblocks = (spec->virtual_size + bs - 1) / bs;
    if (spec->type == VHDX_TYPE_DIFFERENCING)
        ki->bat_entries = (ki->nblocks + ki->cr - 1) / ki->cr * (ki->cr + 1);
    else
        ki->bat_entries = ki->nblocks + (ki->nblocks - 1) / ki->cr;

    uint64_t next = K_MiB;
    ki->log_off = K_MiB; /* with LogLength 0 the offset is recorded but nothing is there */
    if (spec->log_mode != KIT_LOG_NONE) {
        ki->log_len = (uint32_t)K_MiB;
        next += K_MiB;
    }
    ki->md_off = next;
    ki->md_len = (uint32_t)K_MiB;
    next += K_MiB;
    ki->bat_off = next;
    ki->bat_len = (uint32_t)round_up(ki->bat_entries * KIT_BAT_ENTRY_SIZE, K_MiB);
    ki->data_off = next + ki->bat_len;
}

/* file offsets of the payload blocks, the sector bitmap and the log's block; the file size */
static int place_blocks(kit_image *ki)
{
    const kit_spec *spec = &ki->spec;
    uint64_t bs = spec->block_size, next = ki->data_off;
    int has_partial = 0;
    if (spec->type == VHDX_TYPE_FIXED) {
        for (size_t i = 0; i < spec->nblocks; i++)
            ki->boff[i] = ki->data_off + spec->blocks[i].index * bs;
        next = ki->data_off + ki->nblocks * bs;
    } else {
        for (size_t i = 0; i < spec->nblocks; i++) {
            unsigned st = spec->blocks[i].state;
            if (st == KIT_BAT_FULLY_PRESENT || st == KIT_BAT_PARTIALLY_PRESENT) { ki->boff[i] = next; next += bs; }
            if (st == KIT_BAT_PARTIALLY_PRESENT) has_partial = 1;
        }
    }
    if (has_partial) {
        ki->sb = calloc(1, K_MiB);
        if (!ki->sb) return -1;
        ki->sb_off = next;
        next += K_MiB;
    }
    if ((spec->log_mode == KIT_LOG_PENDING && spec->log_state != KIT_BAT_ZERO) || spec->log_mode == KIT_LOG_STALE) {
        ki->log_data_off = next;
        next += bs;
    }
    ki->file_size = next;
    return 0;
}

/* the sector bitmap bits of a PARTIALLY_PRESENT block b */
static void mark_partial(kit_image *ki, uint64_t b)
{
    uint64_t spb = ki->spec.block_size / ki->spec.lss;
    uint64_t first = (b % ki->cr) * spb;
    for (uint64_t s = 0; s < spb; s++)
        if (partial_present(s)) ki->sb[(first + s) / 8] |= (uint8_t)(1u << ((first + s) % 8));
}

static void build_bat(kit_image *ki)
{
    const kit_spec *spec = &ki->spec;
    uint64_t bs = spec->block_size;
    for (uint64_t b = 0; b < ki->nblocks; b++) {
        size_t pos;
        const kit_block *kb = listed(ki, b, &pos);
        uint64_t e;
        if (spec->type == VHDX_TYPE_FIXED && !kb) e = (ki->data_off + b * bs) | KIT_BAT_FULLY_PRESENT;
        else if (!kb) e = KIT_BAT_NOT_PRESENT;
        else if (ki->boff[pos]) e = ki->boff[pos] | kb->state;
        else e = kb->state;
        kit_bat_set(ki, kit_bat_index(ki, b), e);
        if (kb && kb->state == KIT_BAT_PARTIALLY_PRESENT) mark_partial(ki, b);
    }
    if (ki->sb) kit_bat_set(ki, ki->cr, ki->sb_off | KIT_SB_PRESENT); /* SB entry of chunk 0 */
}

static int build_metadata(kit_image *ki, const kit_image *parent)
{
    const kit_spec *spec = &ki->spec;
    uint8_t *md = ki->md;
    const uint32_t req = KIT_MDF_IS_REQUIRED, vreq = KIT_MDF_IS_VIRTUAL_DISK | KIT_MDF_IS_REQUIRED;
    uint32_t fp_flags = spec->type == VHDX_TYPE_FIXED ? KIT_FPF_LEAVE_BLOCK_ALLOCATED
                      : spec->type == VHDX_TYPE_DIFFERENCING ? KIT_FPF_HAS_PARENT : 0u;
    memcpy(md + KIT_MDT_SIGNATURE, "metadata", 8);
    md_add(ki, &VHDX_GUID_FILE_PARAMETERS, KIT_MD_FILE_PARAMS, KIT_FP_SIZE, req);
    kit_put32(md + KIT_MD_FILE_PARAMS + KIT_FP_BLOCK_SIZE, spec->block_size);
    kit_put32(md + KIT_MD_FILE_PARAMS + KIT_FP_FLAGS, fp_flags);
    md_add(ki, &VHDX_GUID_VIRTUAL_DISK_SIZE, KIT_MD_DISK_SIZE, 8, vreq);
    kit_put64(md + KIT_MD_DISK_SIZE, spec->virtual_size);
    md_add(ki, &VHDX_GUID_LOGICAL_SECTOR_SIZE, KIT_MD_LSS, 4, vreq);
    kit_put32(md + KIT_MD_LSS, spec->lss);
    md_add(ki, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, KIT_MD_PSS, 4, vreq);
    kit_put32(md + KIT_MD_PSS, spec->pss);
    md_add(ki, &VHDX_GUID_VIRTUAL_DISK_ID, KIT_MD_DISK_ID, 16, vreq);
    memcpy(md + KIT_MD_DISK_ID, ki->disk_id.b, 16);
    if (spec->type != VHDX_TYPE_DIFFERENCING) return 0;
    char linkage[40], rel[300];
    md_add(ki, &VHDX_GUID_PARENT_LOCATOR, KIT_MD_LOCATOR, 0, req);
    linkage[0] = '{';
    vhdx_guid_format(parent ? &parent->data_write : &ki->data_write, linkage + 1, sizeof linkage - 2, 0);
    strcat(linkage, "}");
    snprintf(rel, sizeof rel, ".\\%s", spec->parent_file ? spec->parent_file : "parent.vhdx");
    const char *keys[] = { "parent_linkage", "relative_path" };
    const char *vals[] = { linkage, rel };
    return kit_set_locator(ki, keys, vals, 2);
}

/* region table copy 1 (copy 2 is made from it in kit_finalize) */
static void build_region_table(kit_image *ki)
{
    uint8_t *rt = ki->rt[0];
    uint8_t *bat = rt + KIT_RT_ENTRIES, *md = bat + KIT_RTE_SIZE;
    memcpy(rt + KIT_RT_SIGNATURE, "regi", 4);
    kit_put32(rt + KIT_RT_ENTRY_COUNT, 2);
    memcpy(bat + KIT_RTE_GUID, VHDX_GUID_BAT_REGION.b, 16);
    kit_put64(bat + KIT_RTE_FILE_OFFSET, ki->bat_off);
    kit_put32(bat + KIT_RTE_LENGTH, ki->bat_len);
    kit_put32(bat + KIT_RTE_REQUIRED, 1);
    memcpy(md + KIT_RTE_GUID, VHDX_GUID_METADATA_REGION.b, 16);
    kit_put64(md + KIT_RTE_FILE_OFFSET, ki->md_off);
    kit_put32(md + KIT_RTE_LENGTH, ki->md_len);
    kit_put32(md + KIT_RTE_REQUIRED, 1);
    memcpy(ki->rt[1], ki->rt[0], KIT_RT_SIZE);
}

/* headers: header 2 current (sequence 2), as Windows leaves them */
static void build_headers(kit_image *ki)
{
    for (int h = 0; h < 2; h++) {
        uint8_t *p = ki->hdr[h];
        memcpy(p + KIT_HDR_SIGNATURE, "head", 4);
        kit_put64(p + KIT_HDR_SEQUENCE, (uint64_t)h + 1);
        memcpy(p + KIT_HDR_FILE_WRITE_GUID, ki->file_write.b, 16);
        memcpy(p + KIT_HDR_DATA_WRITE_GUID, ki->data_write.b, 16);
        memcpy(p + KIT_HDR_LOG_GUID, ki->log_guid.b, 16);
        kit_put16(p + KIT_HDR_LOG_VERSION, 0);
        kit_put16(p + KIT_HDR_VERSION, 1);
        kit_put32(p + KIT_HDR_LOG_LENGTH, ki->log_len);
        kit_put64(p + KIT_HDR_LOG_OFFSET, ki->log_off);
    }
}

static int build_log(kit_image *ki)
{
    const kit_spec *spec = &ki->spec;
    uint8_t upd[KIT_LOG_SECTOR];
    uint64_t foff;
    kdesc d1 = { 0, 0, 0, upd };
    if (spec->log_mode == KIT_LOG_PENDING) {
        uint64_t ent = spec->log_state == KIT_BAT_ZERO ? KIT_BAT_ZERO : (ki->log_data_off | KIT_BAT_FULLY_PRESENT);
        bat_sector_update(ki, kit_bat_index(ki, spec->log_block), ent, upd, &foff);
        d1.file_offset = foff;
        kdesc d2 = { 1, ki->md_off + KIT_MD_SCRATCH, KIT_LOG_SECTOR, NULL };
        if (spec->log_single) {
            kdesc both[2] = { d1, d2 };
            (void)log_entry(ki, 0, 10, 0, &ki->log_guid, both, 2);
        } else {
            uint32_t l1 = log_entry(ki, 0, 10, 0, &ki->log_guid, &d1, 1);
            (void)log_entry(ki, l1, 11, 0, &ki->log_guid, &d2, 1);
        }
    } else if (spec->log_mode == KIT_LOG_STALE) {
        /* a valid entry of an earlier session (its LogGuid is not the header's, which is
         * zero): a reader that replays it shows block log_block with stale data */
        vhdx_guid old;
        if (gen(ki, &old)) return -1;
        bat_sector_update(ki, kit_bat_index(ki, spec->log_block), ki->log_data_off | KIT_BAT_FULLY_PRESENT,
                          upd, &foff);
        d1.file_offset = foff;
        (void)log_entry(ki, 0, 7, 0, &old, &d1, 1);
    }
    return 0;
}

int kit_build(kit_image *ki, const kit_spec *spec, uint64_t seed, const kit_image *parent)
{
    memset(ki, 0, sizeof *ki);
    ki->spec = *spec;
    ki->seed = seed;
    ki->parent = parent;
    ki->gen = vhdx_guid_gen_seeded(&ki->gstate, seed);
    if (gen(ki, &ki->file_write) || gen(ki, &ki->data_write) || gen(ki, &ki->disk_id)) return -1;
    if (spec->log_mode == KIT_LOG_PENDING && gen(ki, &ki->log_guid)) return -1;
    if (parent) ki->disk_id = parent->disk_id; /* a child keeps the parent's disk id */

    plan(ki);
    ki->md = calloc(1, ki->md_len);
    ki->bat = calloc(1, ki->bat_len);
    ki->boff = calloc(KIT_MAX_BLOCKS, sizeof *ki->boff);
    if (ki->log_len) ki->log = calloc(1, ki->log_len);
    if (!ki->md || !ki->bat || !ki->boff || (ki->log_len && !ki->log)) return -1;
    if (place_blocks(ki) != 0) return -1;
    build_bat(ki);

    memcpy(ki->fileid + KIT_FILEID_SIGNATURE, "vhdxfile", 8);
    utf16(ki->fileid + KIT_FILEID_CREATOR, "vhdx kit " VHDX_VERSION_STRING);
    if (build_metadata(ki, parent) != 0) return -1;
    build_region_table(ki);
    build_headers(ki);
    if (build_log(ki) != 0) return -1;
    ki->rt2_from_rt1 = 1;
    return 0;
}

void kit_finalize(kit_image *ki)
{
    if (ki->rt2_from_rt1) memcpy(ki->rt[1], ki->rt[0], KIT_RT_SIZE);
    for (int h = 0; h < 2; h++) {
        if (!ki->keep_hdr_crc[h]) {
            kit_put32(ki->hdr[h] + KIT_HDR_CHECKSUM, 0);
            kit_put32(ki->hdr[h] + KIT_HDR_CHECKSUM, vhdx_crc32c(0, ki->hdr[h], KIT_HDR_SIZE));
        }
        if (!ki->keep_rt_crc[h]) {
            kit_put32(ki->rt[h] + KIT_RT_CHECKSUM, 0);
            kit_put32(ki->rt[h] + KIT_RT_CHECKSUM, vhdx_crc32c(0, ki->rt[h], KIT_RT_SIZE));
        }
    }
    if (!ki->keep_log_crc) {
        for (size_t i = 0; i < ki->nlog; i++) {
            uint8_t *e = ki->log + ki->log_pos[i];
            uint32_t elen = ki->log_elen[i];
            if (ki->log_pos[i] + (uint64_t)elen > ki->log_len) continue;
            kit_put32(e + KIT_LE_CHECKSUM, 0);
            kit_put32(e + KIT_LE_CHECKSUM, vhdx_crc32c(0, e, elen));
        }
    }
}

/* bytes of the file holding data, counted in the 4 KiB pages pw() writes (every write starts
 * on a 4 KiB boundary and writes never overlap): what `du` shows on a 4 KiB-block file system
 * that keeps holes; a static set by kit_write() for one image at a time */
static uint64_t *pw_data;

static int pw(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    if (pw_data) *pw_data += ((uint64_t)len + 4095) & ~(uint64_t)4095;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0) { if (errno == EINTR) continue; return -1; }
        p += n; len -= (size_t)n; off += (uint64_t)n;
    }
    return 0;
}

/* writes only the 4 KiB pages of buf that are not all zero (the file starts empty, so the
 * skipped pages read as zeros and stay holes) */
static int pw_sparse(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
    for (size_t i = 0; i < len; i += 4096) {
        size_t n = len - i < 4096 ? len - i : 4096;
        size_t k = 0;
        while (k < n && buf[i + k] == 0) k++;
        if (k < n && pw(fd, buf + i, n, off + i) != 0) return -1;
    }
    return 0;
}

/* writes pattern(tag) for virtual [v, v+len) at file offset foff, skipping nothing */
static int write_pattern(int fd, uint32_t tag, uint64_t v, uint64_t len, uint64_t foff, uint8_t *buf)
{
    while (len) {
        size_t n = len > K_MiB ? (size_t)K_MiB : (size_t)len;
        pattern(tag, v, buf, n);
        if (pw(fd, buf, n, foff) != 0) return -1;
        v += n; foff += n; len -= n;
    }
    return 0;
}

/* header section, log, metadata, BAT and sector bitmap */
static int write_structures(int fd, const kit_image *ki)
{
    if (pw_sparse(fd, ki->fileid, sizeof ki->fileid, KIT_FILEID_OFF) != 0 ||
        pw(fd, ki->hdr[0], KIT_HDR_SIZE, KIT_HDR1_OFF) != 0 ||
        pw(fd, ki->hdr[1], KIT_HDR_SIZE, KIT_HDR2_OFF) != 0 ||
        pw_sparse(fd, ki->rt[0], KIT_RT_SIZE, KIT_RT1_OFF) != 0 ||
        pw_sparse(fd, ki->rt[1], KIT_RT_SIZE, KIT_RT2_OFF) != 0)
        return -1;
    if (ki->log_len && pw_sparse(fd, ki->log, ki->log_len, ki->log_off) != 0) return -1;
    if (pw_sparse(fd, ki->md, ki->md_len, ki->md_off) != 0 || pw_sparse(fd, ki->bat, ki->bat_len, ki->bat_off) != 0)
        return -1;
    return ki->sb ? pw_sparse(fd, ki->sb, K_MiB, ki->sb_off) : 0;
}

/* the data of the listed blocks, and of the block the log refers to */
static int write_payload(int fd, const kit_image *ki, uint8_t *buf)
{
    uint64_t bs = ki->spec.block_size, vs = ki->spec.virtual_size;
    for (size_t i = 0; i < ki->spec.nblocks; i++) {
        const kit_block *kb = &ki->spec.blocks[i];
        uint64_t v = kb->index * bs;
        if (!kb->data || !ki->boff[i] || v >= vs) continue;
        if (write_pattern(fd, ki->spec.tag, v, vs - v < bs ? vs - v : bs, ki->boff[i], buf) != 0) return -1;
    }
    if (!ki->log_data_off) return 0;
    uint64_t v = ki->spec.log_block * bs;
    uint32_t tag = ki->spec.log_mode == KIT_LOG_STALE ? ki->spec.tag ^ 0x5A5Au : ki->spec.tag;
    return write_pattern(fd, tag, v, vs - v < bs ? vs - v : bs, ki->log_data_off, buf);
}

int kit_write(const kit_image *ki, const char *path, uint64_t *data_bytes)
{
    *data_bytes = 0;
    pw_data = data_bytes;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) { pw_data = NULL; return -1; }
    uint8_t *buf = malloc(K_MiB);
    int rc = buf ? 0 : -1;
    if (!rc) rc = write_structures(fd, ki);
    if (!rc) rc = write_payload(fd, ki, buf);
    uint64_t size = ki->truncate_to ? ki->truncate_to : ki->file_size;
    if (!rc && ftruncate(fd, (off_t)size) != 0) rc = -1;
    free(buf);
    pw_data = NULL;
    int saved = errno;
    if (close(fd) != 0 && !rc) rc = -1;
    if (rc) { unlink(path); errno = saved; }
    return rc;
}

void kit_free(kit_image *ki)
{
    free(ki->md);
    free(ki->bat);
    free(ki->log);
    free(ki->boff);
    free(ki->sb);
    ki->md = ki->bat = ki->log = ki->sb = NULL;
    ki->boff = NULL;
}

/* state of block b after replay, and whether it carries this image's pattern */
static unsigned block_state(const kit_image *ki, uint64_t b, int *data)
{
    const kit_block *kb = listed(ki, b, NULL);
    *data = 0;
    if (ki->spec.log_mode == KIT_LOG_PENDING && b == ki->spec.log_block) {
        if (ki->spec.log_state == KIT_BAT_ZERO) return KIT_BAT_ZERO;
        *data = 1;
        return KIT_BAT_FULLY_PRESENT;
    }
    if (kb) { *data = kb->data; return kb->state; }
    return ki->spec.type == VHDX_TYPE_FIXED ? KIT_BAT_FULLY_PRESENT : KIT_BAT_NOT_PRESENT;
}

void kit_expected(const kit_image *ki, uint64_t off, uint8_t *buf, size_t len)
{
    uint64_t bs = ki->spec.block_size;
    uint32_t lss = ki->spec.lss;
    int diff = ki->spec.type == VHDX_TYPE_DIFFERENCING && ki->parent;
    while (len) {
        uint64_t b = off / bs, in = off % bs;
        size_t n = (size_t)((bs - in) < len ? (bs - in) : len);
        int data;
        unsigned st = block_state(ki, b, &data);
        if (st == KIT_BAT_FULLY_PRESENT) {
            if (data) pattern(ki->spec.tag, off, buf, n);
            else memset(buf, 0, n);
        } else if (st == KIT_BAT_PARTIALLY_PRESENT && diff) {
            size_t i = 0;
            while (i < n) {
                uint64_t s = (in + i) / lss;
                size_t m = (size_t)(lss - (in + i) % lss);
                if (m > n - i) m = n - i;
                if (partial_present(s)) pattern(ki->spec.tag, off + i, buf + i, m);
                else kit_expected(ki->parent, off + i, buf + i, m);
                i += m;
            }
        } else if (st == KIT_BAT_NOT_PRESENT && diff) {
            kit_expected(ki->parent, off, buf, n);
        } else {
            memset(buf, 0, n);
        }
        off += n; buf += n; len -= n;
    }
}
