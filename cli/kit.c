/*
 * kit.c - image builder of the conformance kit (see kit.h). Layout (Windows-like):
 * header section, log at 1 MiB (1 MiB; absent in compact images), metadata region (1 MiB),
 * BAT region, then payload blocks, the differencing sector bitmap block and the block a log
 * entry refers to, in that order. Every structure is encoded here with explicit
 * little-endian stores; only CRC-32C and GUID generation come from libvhdx.
 */
#include "kit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define K_MiB ((uint64_t)1 << 20)

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
    if (index * 8 + 8 <= ki->bat_len) kit_put64(ki->bat + index * 8, entry);
}

uint64_t kit_bat_get(const kit_image *ki, uint64_t index)
{
    return index * 8 + 8 <= ki->bat_len ? kit_get64(ki->bat + index * 8) : 0;
}

/* ---- metadata ---- */
uint32_t kit_md_entry(const kit_image *ki, const vhdx_guid *id)
{
    unsigned n = (unsigned)ki->md[10] | ((unsigned)ki->md[11] << 8);
    for (unsigned i = 0; i < n && i < 2047; i++) {
        uint32_t e = 32 + 32 * i;
        if (memcmp(ki->md + e, id->b, 16) == 0 && !(kit_get32(ki->md + e + 24) & 1u)) return e;
    }
    return 0;
}

uint32_t kit_md_item(const kit_image *ki, const vhdx_guid *id)
{
    uint32_t e = kit_md_entry(ki, id);
    return e ? kit_get32(ki->md + e + 16) : 0;
}

static void md_add(kit_image *ki, const vhdx_guid *id, uint32_t off, uint32_t len, uint32_t flags)
{
    unsigned n = (unsigned)ki->md[10] | ((unsigned)ki->md[11] << 8);
    uint8_t *e = ki->md + 32 + 32 * n;
    memcpy(e, id->b, 16);
    kit_put32(e + 16, off);
    kit_put32(e + 20, len);
    kit_put32(e + 24, flags);
    kit_put32(e + 28, 0);
    kit_put16(ki->md + 10, (uint16_t)(n + 1));
}

#define PL_ITEM_OFF 0x10100u  /* parent locator value inside the metadata region */

static size_t utf16(uint8_t *out, const char *s)
{
    size_t n = 0;
    for (; *s; s++, n += 2) { out[n] = (uint8_t)*s; out[n + 1] = 0; }
    return n;
}

int kit_set_locator(kit_image *ki, const char *const *keys, const char *const *values, size_t n)
{
    uint8_t *pl = ki->md + PL_ITEM_OFF;
    size_t cap = ki->md_len - PL_ITEM_OFF;
    size_t pos = 20 + 12 * n;
    if (pos > cap) return -1;
    memset(pl, 0, 20 + 12 * n);
    memcpy(pl, VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX.b, 16);
    kit_put16(pl + 18, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(keys[i]) * 2, vl = strlen(values[i]) * 2;
        if (pos + kl + vl > cap) return -1;
        uint8_t *e = pl + 20 + 12 * i;
        kit_put32(e, (uint32_t)pos);
        utf16(pl + pos, keys[i]);
        pos += kl;
        kit_put32(e + 4, (uint32_t)pos);
        utf16(pl + pos, values[i]);
        pos += vl;
        kit_put16(e + 8, (uint16_t)kl);
        kit_put16(e + 10, (uint16_t)vl);
    }
    uint32_t ent = kit_md_entry(ki, &VHDX_GUID_PARENT_LOCATOR);
    if (ent) kit_put32(ki->md + ent + 20, (uint32_t)pos);
    return 0;
}

/* ---- log ---- */
typedef struct kdesc {
    int zero;            /* 1: zero descriptor */
    uint64_t file_offset;
    uint64_t zero_length;
    const uint8_t *update; /* 4096 bytes (data descriptor) */
} kdesc;

/* Writes one entry at log position pos; returns its length. The CRC is set in finalize. */
static uint32_t log_entry(kit_image *ki, uint32_t pos, uint64_t seq, uint32_t tail,
                          const vhdx_guid *guid, const kdesc *d, unsigned nd)
{
    unsigned ndata = 0;
    for (unsigned i = 0; i < nd; i++) ndata += !d[i].zero;
    uint32_t dsec = (uint32_t)((nd + 2 + 127) / 128);
    uint32_t elen = 4096u * (dsec + ndata);
    uint8_t *e = ki->log + pos;
    memset(e, 0, elen);
    memcpy(e, "loge", 4);
    kit_put32(e + 8, elen);
    kit_put32(e + 12, tail);
    kit_put64(e + 16, seq);
    kit_put32(e + 24, nd);
    memcpy(e + 32, guid->b, 16);
    kit_put64(e + 48, ki->file_size);
    kit_put64(e + 56, ki->file_size);
    uint32_t dpos = 4096u * dsec;
    for (unsigned i = 0; i < nd; i++) {
        uint8_t *x = e + 64 + 32 * i;
        if (d[i].zero) {
            memcpy(x, "zero", 4);
            kit_put64(x + 8, d[i].zero_length);
        } else {
            memcpy(x, "desc", 4);
            memcpy(x + 4, d[i].update + 4092, 4);
            memcpy(x + 8, d[i].update, 8);
            uint8_t *s = e + dpos;
            memcpy(s, "data", 4);
            kit_put32(s + 4, (uint32_t)(seq >> 32));
            memcpy(s + 8, d[i].update + 8, 4084);
            kit_put32(s + 4092, (uint32_t)seq);
            dpos += 4096;
        }
        kit_put64(x + 16, d[i].file_offset);
        kit_put64(x + 24, seq);
    }
    if (ki->nlog < KIT_MAX_LOG_ENTRIES) {
        ki->log_pos[ki->nlog] = pos;
        ki->log_elen[ki->nlog] = elen;
        ki->nlog++;
    }
    return elen;
}

/* the BAT sector holding `index` with the entry replaced */
static void bat_sector_update(const kit_image *ki, uint64_t index, uint64_t entry, uint8_t out[4096],
                              uint64_t *file_off)
{
    uint64_t sec = (index * 8) / 4096 * 4096;
    memcpy(out, ki->bat + sec, 4096);
    kit_put64(out + (index * 8 - sec), entry);
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

    uint64_t bs = spec->block_size;
    ki->cr = ((uint64_t)1 << 23) * spec->lss / bs;
    ki->nblocks = (spec->virtual_size + bs - 1) / bs;
    if (spec->type == VHDX_TYPE_DIFFERENCING)
        ki->bat_entries = (ki->nblocks + ki->cr - 1) / ki->cr * (ki->cr + 1);
    else
        ki->bat_entries = ki->nblocks + (ki->nblocks - 1) / ki->cr;

    uint64_t next = K_MiB;
    if (spec->log_mode != KIT_LOG_NONE) {
        ki->log_off = next;
        ki->log_len = (uint32_t)K_MiB;
        next += K_MiB;
    } else {
        ki->log_off = K_MiB; /* LogLength 0: the offset is recorded but nothing is there */
    }
    ki->md_off = next;
    ki->md_len = (uint32_t)K_MiB;
    next += K_MiB;
    ki->bat_off = next;
    ki->bat_len = (uint32_t)round_up(ki->bat_entries * 8, K_MiB);
    next += ki->bat_len;
    ki->data_off = next;

    ki->md = calloc(1, ki->md_len);
    ki->bat = calloc(1, ki->bat_len);
    ki->boff = calloc(KIT_MAX_BLOCKS, sizeof *ki->boff);
    if (ki->log_len) ki->log = calloc(1, ki->log_len);
    if (!ki->md || !ki->bat || !ki->boff || (ki->log_len && !ki->log)) return -1;

    /* blocks */
    int has_partial = 0;
    if (spec->type == VHDX_TYPE_FIXED) {
        for (size_t i = 0; i < spec->nblocks; i++)
            ki->boff[i] = ki->data_off + spec->blocks[i].index * bs;
        next = ki->data_off + ki->nblocks * bs;
    } else {
        for (size_t i = 0; i < spec->nblocks; i++) {
            unsigned st = spec->blocks[i].state;
            if (st == 6 || st == 7) { ki->boff[i] = next; next += bs; }
            if (st == 7) has_partial = 1;
        }
    }
    if (has_partial) {
        ki->sb = calloc(1, K_MiB);
        if (!ki->sb) return -1;
        ki->sb_off = next;
        next += K_MiB;
    }
    if ((spec->log_mode == KIT_LOG_PENDING && spec->log_state != 2) || spec->log_mode == KIT_LOG_STALE) {
        ki->log_data_off = next;
        next += bs;
    }
    ki->file_size = next;

    /* BAT */
    for (uint64_t b = 0; b < ki->nblocks; b++) {
        size_t pos;
        const kit_block *kb = listed(ki, b, &pos);
        uint64_t e;
        if (spec->type == VHDX_TYPE_FIXED && !kb) e = (ki->data_off + b * bs) | 6u;
        else if (!kb) e = 0;
        else if (ki->boff[pos]) e = ki->boff[pos] | kb->state;
        else e = kb->state;
        kit_bat_set(ki, kit_bat_index(ki, b), e);
        if (kb && kb->state == 7) {
            uint64_t spb = bs / spec->lss;
            uint64_t first = (b % ki->cr) * spb;
            for (uint64_t s = 0; s < spb; s++)
                if (partial_present(s)) ki->sb[(first + s) / 8] |= (uint8_t)(1u << ((first + s) % 8));
        }
    }
    if (has_partial) kit_bat_set(ki, ki->cr, ki->sb_off | 6u); /* SB entry of chunk 0 */

    /* file type identifier */
    memcpy(ki->fileid, "vhdxfile", 8);
    utf16(ki->fileid + 8, "vhdx kit " VHDX_VERSION_STRING);

    /* metadata */
    memcpy(ki->md, "metadata", 8);
    uint8_t *it = ki->md;
    uint32_t fp_flags = spec->type == VHDX_TYPE_FIXED ? 1u : spec->type == VHDX_TYPE_DIFFERENCING ? 2u : 0u;
    md_add(ki, &VHDX_GUID_FILE_PARAMETERS, 0x10000, 8, 4);
    kit_put32(it + 0x10000, spec->block_size);
    kit_put32(it + 0x10004, fp_flags);
    md_add(ki, &VHDX_GUID_VIRTUAL_DISK_SIZE, 0x10008, 8, 6);
    kit_put64(it + 0x10008, spec->virtual_size);
    md_add(ki, &VHDX_GUID_LOGICAL_SECTOR_SIZE, 0x10010, 4, 6);
    kit_put32(it + 0x10010, spec->lss);
    md_add(ki, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, 0x10014, 4, 6);
    kit_put32(it + 0x10014, spec->pss);
    md_add(ki, &VHDX_GUID_VIRTUAL_DISK_ID, 0x10018, 16, 6);
    memcpy(it + 0x10018, ki->disk_id.b, 16);
    if (spec->type == VHDX_TYPE_DIFFERENCING) {
        char linkage[40], rel[300];
        md_add(ki, &VHDX_GUID_PARENT_LOCATOR, PL_ITEM_OFF, 0, 4);
        linkage[0] = '{';
        vhdx_guid_format(parent ? &parent->data_write : &ki->data_write, linkage + 1, sizeof linkage - 2, 0);
        strcat(linkage, "}");
        snprintf(rel, sizeof rel, ".\\%s", spec->parent_file ? spec->parent_file : "parent.vhdx");
        const char *keys[] = { "parent_linkage", "relative_path" };
        const char *vals[] = { linkage, rel };
        if (kit_set_locator(ki, keys, vals, 2) != 0) return -1;
    }

    /* region table (both copies built from the first in finalize) */
    uint8_t *rt = ki->rt[0];
    memcpy(rt, "regi", 4);
    kit_put32(rt + 8, 2);
    memcpy(rt + 16, VHDX_GUID_BAT_REGION.b, 16);
    kit_put64(rt + 32, ki->bat_off);
    kit_put32(rt + 40, ki->bat_len);
    kit_put32(rt + 44, 1);
    memcpy(rt + 48, VHDX_GUID_METADATA_REGION.b, 16);
    kit_put64(rt + 64, ki->md_off);
    kit_put32(rt + 72, ki->md_len);
    kit_put32(rt + 76, 1);
    memcpy(ki->rt[1], ki->rt[0], 65536);

    /* headers: header 2 current (sequence 2), as Windows leaves them */
    for (int h = 0; h < 2; h++) {
        uint8_t *p = ki->hdr[h];
        memcpy(p, "head", 4);
        kit_put64(p + 8, (uint64_t)h + 1);
        memcpy(p + 16, ki->file_write.b, 16);
        memcpy(p + 32, ki->data_write.b, 16);
        memcpy(p + 48, ki->log_guid.b, 16);
        kit_put16(p + 64, 0);
        kit_put16(p + 66, 1);
        kit_put32(p + 68, ki->log_len);
        kit_put64(p + 72, ki->log_off);
    }

    /* log */
    if (spec->log_mode == KIT_LOG_PENDING) {
        uint8_t upd[4096];
        uint64_t foff;
        kdesc d1 = { 0, 0, 0, upd };
        uint64_t ent = spec->log_state == 2 ? 2u : (ki->log_data_off | 6u);
        bat_sector_update(ki, kit_bat_index(ki, spec->log_block), ent, upd, &foff);
        d1.file_offset = foff;
        kdesc d2 = { 1, ki->md_off + 0x80000, 4096, NULL };
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
        uint8_t upd[4096];
        uint64_t foff;
        if (gen(ki, &old)) return -1;
        kdesc d1 = { 0, 0, 0, upd };
        bat_sector_update(ki, kit_bat_index(ki, spec->log_block), ki->log_data_off | 6u, upd, &foff);
        d1.file_offset = foff;
        (void)log_entry(ki, 0, 7, 0, &old, &d1, 1);
    }
    ki->rt2_from_rt1 = 1;
    return 0;
}

void kit_finalize(kit_image *ki)
{
    if (ki->rt2_from_rt1) memcpy(ki->rt[1], ki->rt[0], 65536);
    for (int h = 0; h < 2; h++) {
        if (!ki->keep_hdr_crc[h]) {
            kit_put32(ki->hdr[h] + 4, 0);
            kit_put32(ki->hdr[h] + 4, vhdx_crc32c(0, ki->hdr[h], 4096));
        }
        if (!ki->keep_rt_crc[h]) {
            kit_put32(ki->rt[h] + 4, 0);
            kit_put32(ki->rt[h] + 4, vhdx_crc32c(0, ki->rt[h], 65536));
        }
    }
    if (!ki->keep_log_crc) {
        for (size_t i = 0; i < ki->nlog; i++) {
            uint8_t *e = ki->log + ki->log_pos[i];
            uint32_t elen = ki->log_elen[i];
            if (ki->log_pos[i] + (uint64_t)elen > ki->log_len) continue;
            kit_put32(e + 4, 0);
            kit_put32(e + 4, vhdx_crc32c(0, e, elen));
        }
    }
}

static int pw(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
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

int kit_write(const kit_image *ki, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    uint8_t *buf = malloc(K_MiB);
    int rc = buf ? 0 : -1;
    uint64_t bs = ki->spec.block_size;
    if (!rc) rc = pw_sparse(fd, ki->fileid, sizeof ki->fileid, 0);
    if (!rc) rc = pw(fd, ki->hdr[0], 4096, 0x10000);
    if (!rc) rc = pw(fd, ki->hdr[1], 4096, 0x20000);
    if (!rc) rc = pw_sparse(fd, ki->rt[0], 65536, 0x30000);
    if (!rc) rc = pw_sparse(fd, ki->rt[1], 65536, 0x40000);
    if (!rc && ki->log_len) rc = pw_sparse(fd, ki->log, ki->log_len, ki->log_off);
    if (!rc) rc = pw_sparse(fd, ki->md, ki->md_len, ki->md_off);
    if (!rc) rc = pw_sparse(fd, ki->bat, ki->bat_len, ki->bat_off);
    for (size_t i = 0; !rc && i < ki->spec.nblocks; i++) {
        const kit_block *kb = &ki->spec.blocks[i];
        if (!kb->data || !ki->boff[i]) continue;
        uint64_t v = kb->index * bs;
        if (v >= ki->spec.virtual_size) continue;
        uint64_t len = ki->spec.virtual_size - v < bs ? ki->spec.virtual_size - v : bs;
        rc = write_pattern(fd, ki->spec.tag, v, len, ki->boff[i], buf);
    }
    if (!rc && ki->sb) rc = pw_sparse(fd, ki->sb, K_MiB, ki->sb_off);
    if (!rc && ki->log_data_off) {
        uint64_t v = ki->spec.log_block * bs;
        uint64_t len = ki->spec.virtual_size - v < bs ? ki->spec.virtual_size - v : bs;
        uint32_t tag = ki->spec.log_mode == KIT_LOG_STALE ? ki->spec.tag ^ 0x5A5Au : ki->spec.tag;
        rc = write_pattern(fd, tag, v, len, ki->log_data_off, buf);
    }
    uint64_t size = ki->truncate_to ? ki->truncate_to : ki->file_size;
    if (!rc && ftruncate(fd, (off_t)size) != 0) rc = -1;
    free(buf);
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
        if (ki->spec.log_state == 2) return 2;
        *data = 1;
        return 6;
    }
    if (kb) { *data = kb->data; return kb->state; }
    return ki->spec.type == VHDX_TYPE_FIXED ? 6u : 0u;
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
        if (st == 6) {
            if (data) pattern(ki->spec.tag, off, buf, n);
            else memset(buf, 0, n);
        } else if (st == 7 && diff) {
            size_t i = 0;
            while (i < n) {
                uint64_t s = (in + i) / lss;
                size_t m = (size_t)(lss - (in + i) % lss);
                if (m > n - i) m = n - i;
                if (partial_present(s)) pattern(ki->spec.tag, off + i, buf + i, m);
                else kit_expected(ki->parent, off + i, buf + i, m);
                i += m;
            }
        } else if (st == 0 && diff) {
            kit_expected(ki->parent, off, buf, n);
        } else {
            memset(buf, 0, n);
        }
        off += n; buf += n; len -= n;
    }
}
