/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_repair_apply.c - vhdx_repair_apply: performs a plan of image_repair.c.
 *
 * Crash safety, action by action: the read-write open itself replays a dirty log and
 * rewrites both headers through the header update (2.2.2.1), which repairs an invalid
 * header slot; region table copies, metadata table and BAT sectors are written through
 * the journal (image_journal.c: log entry, flush, in place, flush), so a crash leaves
 * either the old sectors or a log the next open replays; the file grows last, after the
 * blocks that lay past its end are released. A crash anywhere leaves an image whose
 * repair plan holds the actions not yet done.
 */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

#define REPAIR_BATCH 32u  /* sectors per log entry (a 1 MiB log holds about 250) */

typedef struct sector_batch {
    img_meta_sector s[REPAIR_BATCH];
    uint8_t *buf;             /* REPAIR_BATCH sectors */
    size_t n;
} sector_batch;

static int batch_flush(vhdx_image *img, sector_batch *b, vhdx_diag *diag)
{
    int rc = img_log_write(img, b->s, b->n, diag);
    b->n = 0;
    return rc;
}

/* Queues a copy of one 4 KiB sector for the log. */
static int batch_add(vhdx_image *img, sector_batch *b, uint64_t off, const uint8_t *data,
                     vhdx_diag *diag)
{
    if (b->n == REPAIR_BATCH) {
        int rc = batch_flush(img, b, diag);
        if (rc != VHDX_OK) return rc;
    }
    uint8_t *dst = b->buf + b->n * VHDX_LOG_SECTOR;
    memcpy(dst, data, VHDX_LOG_SECTOR);
    b->s[b->n].file_offset = off;
    b->s[b->n].data = dst;
    b->n++;
    return VHDX_OK;
}

static int batch_add_range(vhdx_image *img, sector_batch *b, uint64_t off, const uint8_t *data,
                           size_t len, vhdx_diag *diag)
{
    int rc = VHDX_OK;
    for (size_t k = 0; k < len && rc == VHDX_OK; k += VHDX_LOG_SECTOR)
        rc = batch_add(img, b, off + k, data + k, diag);
    return rc;
}

static int allowed(const vhdx_repair_action *a, unsigned flags)
{
    return !a->deviation || (flags & VHDX_REPAIR_FIX_DEVIATIONS);
}

/* R23 and D7: the copy in use, with Required set where planned, written to every copy
 * that differs from it. */
static int do_regions(vhdx_image *img, vhdx_repair_plan *p, unsigned flags, sector_batch *b,
                      vhdx_diag *diag)
{
    static const uint64_t base[2] = { VHDX_RT1_OFFSET, VHDX_RT2_OFFSET };
    int want = 0;
    for (size_t i = 0; i < p->count; i++) {
        vhdx_repair_action *a = &p->actions[i];
        if (!allowed(a, flags)) continue;
        if (a->kind == VHDX_REPAIR_REGION_REQUIRED && a->index < img->rt->decoded) {
            img->rt->entries[a->index].required |= 1u;
            want = 1;
        }
        if (a->kind == VHDX_REPAIR_REGION_TABLE) want = 1;
    }
    if (!want) return VHDX_OK;
    uint8_t *raw = malloc(2u * VHDX_RT_SIZE);
    if (!raw) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "region table");
    uint8_t *cur = raw + VHDX_RT_SIZE;
    int rc = fmt_region_table_encode(img->rt, raw, VHDX_RT_SIZE);
    if (rc != VHDX_OK) rc = VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_RT1_OFFSET, "region table");
    for (int c = 0; c < 2 && rc == VHDX_OK; c++) {
        rc = img_pread(img, base[c], cur, VHDX_RT_SIZE, diag);
        if (rc == VHDX_OK && memcmp(cur, raw, VHDX_RT_SIZE) != 0)
            rc = batch_add_range(img, b, base[c], raw, VHDX_RT_SIZE, diag);
    }
    if (rc == VHDX_OK) rc = batch_flush(img, b, diag);
    free(raw);
    return rc;
}

/* R83-R87: the planned entries removed from the metadata table, later entries moved up. */
static int do_metadata(vhdx_image *img, vhdx_repair_plan *p, sector_batch *b, vhdx_diag *diag)
{
    fmt_metadata_table *t = img->md;
    uint32_t kept = 0, dropped = 0;
    for (uint32_t j = 0; j < t->decoded; j++) {
        int drop = 0;
        for (size_t i = 0; i < p->count && !drop; i++)
            drop = p->actions[i].kind == VHDX_REPAIR_METADATA_ENTRY && p->actions[i].index == j;
        if (drop) { dropped++; continue; }
        t->entries[kept++] = t->entries[j];
    }
    if (!dropped) return VHDX_OK;
    t->decoded = kept;
    t->entry_count = (uint16_t)(t->entry_count - dropped);
    uint8_t *raw = malloc(VHDX_MD_TABLE_SIZE);
    if (!raw) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "metadata table");
    int rc = fmt_metadata_table_encode(t, raw, VHDX_MD_TABLE_SIZE);
    if (rc != VHDX_OK) rc = VHDX_FAIL(diag, VHDX_E_INTERNAL, img->md_offset, "metadata table");
    if (rc == VHDX_OK) rc = batch_add_range(img, b, img->md_offset, raw, VHDX_MD_TABLE_SIZE, diag);
    if (rc == VHDX_OK) rc = batch_flush(img, b, diag);
    free(raw);
    return rc;
}

/* The locator with "\\?\" before a plain absolute_win32_path, every other pair as it was,
 * into out (cap bytes); *n = its length. */
static int locator_prefixed(const uint8_t *loc, size_t len, uint8_t *out, size_t cap, size_t *n)
{
    fmt_locator *pl = malloc(sizeof *pl);
    char *text = malloc(2u * VHDX_PL_MAX_ENTRIES * VHDX_PL_MAX_STRING);
    const char *keys[VHDX_PL_MAX_ENTRIES], *vals[VHDX_PL_MAX_ENTRIES];
    int rc = pl && text ? fmt_locator_decode(loc, len, pl) : VHDX_E_NOMEM;
    for (uint16_t i = 0; rc == VHDX_OK && i < pl->decoded; i++) {
        const fmt_locator_entry *e = &pl->entries[i];
        char *k = text + 2u * i * VHDX_PL_MAX_STRING, *v = k + VHDX_PL_MAX_STRING;
        int tk = 0, tv = 0;
        (void)fmt_utf16le_to_utf8(loc + e->key_offset, e->key_length / 2u, 0, k, VHDX_PL_MAX_STRING, &tk);
        size_t pre = strcmp(k, "absolute_win32_path") == 0 ? 4 : 0;
        memcpy(v, "\\\\?\\", pre);
        (void)fmt_utf16le_to_utf8(loc + e->value_offset, e->value_length / 2u, 0, v + pre,
                                  VHDX_PL_MAX_STRING - pre, &tv);
        if (tk || tv) rc = VHDX_E_LIMIT_METADATA;
        keys[i] = k;
        vals[i] = v;
    }
    if (rc == VHDX_OK) rc = fmt_locator_build(keys, vals, pl->decoded, out, cap, n);
    free(pl);
    free(text);
    return rc;
}

/* R108 deviation: the locator item rewritten in place, 8 bytes longer, with its table
 * entry, in one log entry (a torn update would leave entries pointing past the item). */
static int do_parent_path(vhdx_image *img, vhdx_repair_plan *p, unsigned flags, vhdx_diag *diag)
{
    int want = 0;
    for (size_t i = 0; i < p->count; i++)
        want |= p->actions[i].kind == VHDX_REPAIR_PARENT_PATH && allowed(&p->actions[i], flags);
    int idx = img->md ? fmt_metadata_find(img->md, &VHDX_GUID_PARENT_LOCATOR) : -1;
    if (!want || idx < 0 || !img->locator) return VHDX_OK;
    fmt_metadata_entry *e = &img->md->entries[idx];
    uint64_t first = (img->md_offset + e->offset) / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
    uint64_t last = vhdx_div_round_up(img->md_offset + e->offset + e->length + 8u, VHDX_LOG_SECTOR) * VHDX_LOG_SECTOR;
    size_t nsec = (size_t)((last - first) / VHDX_LOG_SECTOR) + 1, n = 0;
    uint8_t *buf = calloc(nsec + 1, VHDX_LOG_SECTOR);
    img_meta_sector *sec = calloc(nsec, sizeof *sec);
    int rc = buf && sec ? VHDX_OK : VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "parent locator");
    uint8_t *item = buf, *tsec = buf + (nsec - 1) * VHDX_LOG_SECTOR;
    if (rc == VHDX_OK) rc = img_pread(img, first, item, (size_t)(last - first), diag);
    if (rc == VHDX_OK) {
        size_t cap = (size_t)(last - (img->md_offset + e->offset)), nl = 0;
        rc = locator_prefixed(img->locator, img->locator_len, item + (img->md_offset + e->offset - first), cap, &nl);
        if (rc != VHDX_OK) rc = VHDX_FAIL(diag, rc, img->md_offset + e->offset, "parent locator");
        e->length = (uint32_t)nl;
    }
    /* the table sector holding the entry, with the new Length */
    uint64_t eoff = img->md_offset + MD_HEADER_SIZE + (uint64_t)idx * MD_ENTRY_SIZE;
    uint64_t tfirst = eoff / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
    if (rc == VHDX_OK) rc = img_pread(img, tfirst, tsec, VHDX_LOG_SECTOR, diag);
    if (rc == VHDX_OK) {
        vhdx_put32(tsec + (eoff - tfirst) + MDE_OFF_LENGTH, e->length);
        sec[n].file_offset = tfirst;
        sec[n++].data = tsec;
        for (uint64_t o = first; o < last; o += VHDX_LOG_SECTOR) {
            sec[n].file_offset = o;
            sec[n++].data = item + (o - first);
        }
        rc = img_log_write(img, sec, n, diag);
    }
    free(buf);
    free(sec);
    return rc;
}

/* The new value of a BAT entry an action changes. */
static uint64_t bat_new_entry(const vhdx_repair_action *a, uint64_t old)
{
    if (a->kind == VHDX_REPAIR_BAT_OFFSET) return fmt_bat_make(fmt_bat_state(old), 0);
    return fmt_bat_make(VHDX_PB_NOT_PRESENT, 0);
}

/* The queued copy of the sector at off, read into the batch when it is not there yet (a
 * full batch is written first: the sectors it held are then in place). */
static uint8_t *batch_sector(vhdx_image *img, sector_batch *b, uint64_t off, vhdx_diag *diag, int *rc)
{
    for (size_t i = 0; i < b->n; i++)
        if (b->s[i].file_offset == off) return b->buf + i * VHDX_LOG_SECTOR;
    if (b->n == REPAIR_BATCH && (*rc = batch_flush(img, b, diag)) != VHDX_OK) return NULL;
    uint8_t *dst = b->buf + b->n * VHDX_LOG_SECTOR;
    if ((*rc = img_pread(img, off, dst, VHDX_LOG_SECTOR, diag)) != VHDX_OK) return NULL;
    b->s[b->n].file_offset = off;
    b->s[b->n].data = dst;
    b->n++;
    return dst;
}

/* R69-R72, R76-R78, D12, D13: every BAT sector an action changes, changed in the batch
 * (BAT_ENTRY and BAT_OFFSET actions may share a sector). */
static int do_bat(vhdx_image *img, vhdx_repair_plan *p, unsigned flags, sector_batch *b,
                  vhdx_diag *diag)
{
    int rc = VHDX_OK;
    for (size_t i = 0; i < p->count && rc == VHDX_OK; i++) {
        vhdx_repair_action *a = &p->actions[i];
        if ((a->kind != VHDX_REPAIR_BAT_ENTRY && a->kind != VHDX_REPAIR_BAT_OFFSET) || !allowed(a, flags))
            continue;
        uint64_t pos = a->index * 8u;
        uint8_t *sec = batch_sector(img, b, img->bat_offset + pos / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR, diag, &rc);
        if (!sec) break;
        uint8_t *e = sec + pos % VHDX_LOG_SECTOR;
        uint64_t ne = bat_new_entry(a, vhdx_le64(e));
        vhdx_put64(e, ne);
        img_bat_cache_set(img, a->index, ne);
    }
    if (rc == VHDX_OK && b->n) rc = batch_flush(img, b, diag);
    return rc;
}

/* D12: the file grows with zeros to the next 1 MiB (after the lost blocks are released). */
static int do_extend(vhdx_image *img, const vhdx_repair_plan *p, unsigned flags, vhdx_diag *diag)
{
    int want = 0;
    for (size_t i = 0; i < p->count; i++)
        want |= p->actions[i].kind == VHDX_REPAIR_FILE_EXTEND && allowed(&p->actions[i], flags);
    if (!want) return VHDX_OK;
    uint64_t end = vhdx_div_round_up(img->file_size, MiB) * MiB;
    if (end == img->file_size) return VHDX_OK;
    size_t n = (size_t)(end - img->file_size);
    uint8_t *z = calloc(1, n);
    if (!z) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "file extension");
    int rc = img_pwrite(img, img->file_size, z, n, diag);
    free(z);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    return rc;
}

static void mark(vhdx_repair_plan *p, unsigned flags, int (*pred)(vhdx_repair_kind))
{
    for (size_t i = 0; i < p->count; i++)
        if (pred(p->actions[i].kind) && allowed(&p->actions[i], flags)) p->actions[i].applied = 1;
}
static int k_open(vhdx_repair_kind k) { return k == VHDX_REPAIR_HEADER || k == VHDX_REPAIR_LOG_REPLAY; }
static int k_rt(vhdx_repair_kind k) { return k == VHDX_REPAIR_REGION_TABLE || k == VHDX_REPAIR_REGION_REQUIRED; }
static int k_md(vhdx_repair_kind k) { return k == VHDX_REPAIR_METADATA_ENTRY; }
static int k_pl(vhdx_repair_kind k) { return k == VHDX_REPAIR_PARENT_PATH; }
static int k_bat(vhdx_repair_kind k) { return k == VHDX_REPAIR_BAT_ENTRY || k == VHDX_REPAIR_BAT_OFFSET; }
static int k_ext(vhdx_repair_kind k) { return k == VHDX_REPAIR_FILE_EXTEND; }

static int apply_actions(vhdx_image *img, vhdx_repair_plan *p, unsigned flags, vhdx_diag *diag)
{
    sector_batch b;
    memset(&b, 0, sizeof b);
    b.buf = malloc((size_t)REPAIR_BATCH * VHDX_LOG_SECTOR);
    if (!b.buf) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "repair");
    mark(p, flags, k_open);
    int rc = do_regions(img, p, flags, &b, diag);
    if (rc == VHDX_OK) { mark(p, flags, k_rt); rc = do_metadata(img, p, &b, diag); }
    if (rc == VHDX_OK) { mark(p, flags, k_md); rc = do_parent_path(img, p, flags, diag); }
    if (rc == VHDX_OK) { mark(p, flags, k_pl); rc = do_bat(img, p, flags, &b, diag); }
    if (rc == VHDX_OK) { mark(p, flags, k_bat); rc = do_extend(img, p, flags, diag); }
    if (rc == VHDX_OK) mark(p, flags, k_ext);
    free(b.buf);
    return rc;
}

static size_t allowed_count(const vhdx_repair_plan *p, unsigned flags)
{
    size_t n = 0;
    for (size_t i = 0; i < p->count; i++) n += (size_t)allowed(&p->actions[i], flags);
    return n;
}

int vhdx_repair_apply(vhdx_io *io, const vhdx_repair_opts *opts, vhdx_repair_plan **out,
                      vhdx_diag *diag)
{
    if (out) *out = NULL;
    if (!io || !io->read_at || !io->get_size || !io->write_at || !io->flush)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_repair_opts full; /* the caller's options over the defaults (ABI: struct_size) */
    vhdx_repair_opts_default(&full);
    if (opts) ABI_IN(&full, opts);
    opts = &full;
    vhdx_repair_plan *p = NULL;
    int rc = img_repair_make_plan(io, opts, &p, diag);
    if (rc != VHDX_OK) return rc;
    if (!p->refused && allowed_count(p, opts->flags) > 0) {
        img_repair_ctx ctx;
        vhdx_repair_plan scratch;
        memset(&ctx, 0, sizeof ctx);
        memset(&scratch, 0, sizeof scratch);
        ctx.plan = &scratch;
        vhdx_image *img = NULL;
        rc = img_repair_open(io, opts, 1, &ctx, &img);
        free(scratch.actions);
        free(scratch.left);
        if (rc == VHDX_OK) rc = apply_actions(img, p, opts->flags, diag);
        else (void)VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "repair open");
        if (img) {
            int rc2 = vhdx_close(img);
            if (rc == VHDX_OK) rc = rc2;
        }
        if (rc == VHDX_OK) p->applied = 1;
    }
    if (out) *out = p;
    else vhdx_repair_plan_free(p);
    return rc;
}
