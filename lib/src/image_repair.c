/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_repair.c - vhdx_repair_plan: what `vhdx repair` would do. The image is opened with
 * a findings hook (img_open_hooks.tolerate) that turns every finding into an action when
 * the repair is unambiguous, and lets the open go on past exactly those findings; every
 * other error finding is damage left, which refuses the repair. Never writes.
 * image_repair_apply.c runs the same open read-write and performs the actions.
 */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

void(vhdx_repair_opts_default)(vhdx_repair_opts *o)
{
    if (!o) return;
    vhdx_repair_opts full;
    memset(&full, 0, sizeof full);
    full.struct_size = (uint32_t)sizeof full;
    vhdx_limits_default(&full.limits);
    ABI_OUT(o, &full);
}

const char *vhdx_repair_kind_name(int kind)
{
    static const char *const names[] = { "header", "region_table", "log_replay", "metadata_entry",
                                         "bat_entry", "file_extend", "region_required", "bat_offset",
                                         "parent_path" };
    if (kind < 0 || (size_t)kind >= sizeof names / sizeof names[0]) return "unknown";
    return names[kind];
}

void vhdx_repair_plan_free(vhdx_repair_plan *p)
{
    if (!p) return;
    free(p->actions);
    free(p->left);
    free(p);
}

/* ---- building the plan ---- */

static int rp_find(const vhdx_repair_plan *p, vhdx_repair_kind kind, uint64_t index)
{
    for (size_t i = 0; i < p->count; i++)
        if (p->actions[i].kind == kind && p->actions[i].index == index) return 1;
    return 0;
}

/* A new action (NULL when it is planned already or memory ran out). */
static vhdx_repair_action *rp_add(img_repair_ctx *rc, vhdx_repair_kind kind, int code,
                                  uint64_t foff, uint64_t index)
{
    vhdx_repair_plan *p = rc->plan;
    if (rp_find(p, kind, index)) return NULL;
    if (p->count == rc->cap) {
        size_t ncap = rc->cap ? rc->cap * 2 : 16;
        vhdx_repair_action *a = realloc(p->actions, ncap * sizeof *a);
        if (!a) { rc->nomem = 1; return NULL; }
        p->actions = a;
        rc->cap = ncap;
    }
    vhdx_repair_action *a = &p->actions[p->count++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->code = code;
    a->finding_offset = foff;
    a->index = index;
    return a;
}

static void rp_left(img_repair_ctx *rc, int code, uint64_t off, const char *detail)
{
    vhdx_repair_plan *p = rc->plan;
    for (size_t i = 0; i < p->left_count; i++)
        if (p->left[i].code == code && p->left[i].offset == off) return;
    if (p->left_count == rc->leftcap) {
        size_t ncap = rc->leftcap ? rc->leftcap * 2 : 8;
        if (ncap > IMG_REPAIR_MAX_LEFT) { rc->left_dropped++; return; }
        vhdx_finding *f = realloc(p->left, ncap * sizeof *f);
        if (!f) { rc->nomem = 1; return; }
        p->left = f;
        rc->leftcap = ncap;
    }
    vhdx_finding *f = &p->left[p->left_count++];
    memset(f, 0, sizeof *f);
    f->code = code;
    f->severity = vhdx_status_severity(code);
    f->offset = off;
    if (detail) snprintf(f->detail, sizeof f->detail, "%s", detail);
}

/* R9/R10, R11: one header invalid, the two disagreeing (an interrupted header update
 * leaves that), or both identical (Disk2vhd): the header update rewrites the slot from
 * the current header. */
static int rp_header(img_repair_ctx *rc, int code, uint64_t off)
{
    uint64_t slot = off < VHDX_HEADER2_OFFSET ? 0 : 1;
    if (code == VHDX_W_HEADERS_IDENTICAL) slot = 1; /* header 1 is current: slot 2 rewritten first */
    vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_HEADER, code, off, slot);
    if (!a) return 1;
    a->deviation = code == VHDX_W_HEADERS_IDENTICAL;
    a->write_offset = slot ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET;
    a->write_length = VHDX_HEADER_SIZE;
    snprintf(a->detail, sizeof a->detail, "header %u rewritten from the current header (sequence + 1, new FileWriteGuid)",
             (unsigned)slot + 1);
    return 1;
}

/* R23: the copy not in use rewritten from the one in use; R24/R25 on both copies: both
 * rewritten when the open could still trust one (image_open_region.c rt_salvage);
 * R3/D7: Required set on the BAT or metadata region entry (both copies). */
static int rp_region(img_repair_ctx *rc, const vhdx_image *img, int code, uint64_t off)
{
    if (code == VHDX_W_RT_NOT_REQUIRED) {
        uint64_t base = img->rt_copy ? VHDX_RT2_OFFSET : VHDX_RT1_OFFSET;
        if (off < base + RT_HEADER_SIZE) return 0;
        uint64_t idx = (off - base - RT_HEADER_SIZE) / RT_ENTRY_SIZE;
        vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_REGION_REQUIRED, code, off, idx);
        if (!a) return 1;
        a->deviation = 1;
        a->write_offset = VHDX_RT1_OFFSET;
        a->write_length = 2u * VHDX_RT_SIZE;
        snprintf(a->detail, sizeof a->detail, "region table entry %u: Required = 1 in both copies",
                 (unsigned)idx);
        return 1;
    }
    uint64_t copy = off < VHDX_RT2_OFFSET ? 0 : 1;
    vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_REGION_TABLE, code, off, copy);
    if (!a) return 1;
    a->deviation = code == VHDX_W_RT_COPIES_DIFFER;
    a->write_offset = copy ? VHDX_RT2_OFFSET : VHDX_RT1_OFFSET;
    a->write_length = VHDX_RT_SIZE;
    if (code == VHDX_E_RT_CHECKSUM || code == VHDX_E_RT_SIGNATURE)
        snprintf(a->detail, sizeof a->detail,
                 "region table copy %u rewritten from the entries the copies agree on (both invalid)",
                 (unsigned)copy + 1);
    else
        snprintf(a->detail, sizeof a->detail, "region table copy %u rewritten from copy %u",
                 (unsigned)copy + 1, (unsigned)(2 - copy));
    return 1;
}

/* R83 on an item the open needs: the later of two entries with the same id, length and
 * flags is dropped, provided rp_dups_verify finds the two values equal. */
static int rp_metadata_dup(img_repair_ctx *rc, const vhdx_image *img, uint64_t off, uint32_t idx)
{
    const fmt_metadata_entry *e = &img->md->entries[idx];
    for (uint32_t j = 0; j < img->md->decoded; j++) {
        const fmt_metadata_entry *o = &img->md->entries[j];
        if (j == idx || !vhdx_guid_equal(&o->item_id, &e->item_id) ||
            ((o->flags ^ e->flags) & VHDX_MD_FLAG_IS_USER))
            continue;
        if (o->length != e->length || o->flags != e->flags || rc->ndup == IMG_REPAIR_MAX_DUPS) return 0;
        uint32_t keep = j < idx ? j : idx, drop = j < idx ? idx : j;
        vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_METADATA_ENTRY, VHDX_E_MD_DUPLICATE, off, drop);
        if (!a) return 1;
        rc->dup_keep[rc->ndup] = keep;
        rc->dup_drop[rc->ndup++] = drop;
        a->write_offset = img->md_offset;
        a->write_length = VHDX_MD_TABLE_SIZE;
        snprintf(a->detail, sizeof a->detail, "metadata entry %u dropped: a duplicate of entry %u with the same value",
                 (unsigned)drop, (unsigned)keep);
        return 1;
    }
    return 0;
}

/* R83-R87: an entry the open does not need is dropped; the items it reads stay (a damaged
 * one refuses the repair: which value is right is unknown). */
static int rp_metadata(img_repair_ctx *rc, const vhdx_image *img, int code, uint64_t off)
{
    static const vhdx_guid *const used[] = {
        &VHDX_GUID_FILE_PARAMETERS, &VHDX_GUID_VIRTUAL_DISK_SIZE, &VHDX_GUID_VIRTUAL_DISK_ID,
        &VHDX_GUID_LOGICAL_SECTOR_SIZE, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, &VHDX_GUID_PARENT_LOCATOR };
    if (!img->md || off < img->md_offset + MD_HEADER_SIZE) return 0;
    uint64_t rel = off - img->md_offset - MD_HEADER_SIZE;
    uint64_t idx = rel / MD_ENTRY_SIZE;
    if (idx >= img->md->decoded) return 0;
    const fmt_metadata_entry *e = &img->md->entries[idx];
    int needed = (e->flags & VHDX_MD_FLAG_IS_REQUIRED) != 0;
    if (!(e->flags & VHDX_MD_FLAG_IS_USER))
        for (size_t k = 0; k < sizeof used / sizeof used[0]; k++)
            needed |= vhdx_guid_equal(&e->item_id, used[k]);
    if (needed) return code == VHDX_E_MD_DUPLICATE && rp_metadata_dup(rc, img, off, (uint32_t)idx);
    vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_METADATA_ENTRY, code, off, idx);
    if (!a) return 1;
    a->write_offset = img->md_offset;
    a->write_length = VHDX_MD_TABLE_SIZE;
    char g[40];
    vhdx_guid_format(&e->item_id, g, sizeof g, 0);
    snprintf(a->detail, sizeof a->detail, "metadata entry %u (item %s, not required) dropped",
             (unsigned)idx, g);
    return 1;
}

/* One BAT entry to NOT_PRESENT (or its offset cleared, a deviation). */
static int rp_bat_entry(img_repair_ctx *rc, const vhdx_image *img, int code, uint64_t off,
                        uint64_t idx)
{
    const fmt_geometry *g = &img->geo;
    if (idx >= g->bat_entries || g->chunk_ratio == 0) return 0;
    int sb = fmt_bat_is_sb_slot(idx, g->chunk_ratio);
    /* a sector bitmap of a differencing image holds which sectors are the child's: losing
     * it changes every partially present block of its chunk; not repaired */
    if (sb && g->has_parent && code != VHDX_W_BAT_OFFSET_NOT_ZERO) return 0;
    int dev = code == VHDX_W_BAT_OFFSET_NOT_ZERO;
    vhdx_repair_action *a = rp_add(rc, dev ? VHDX_REPAIR_BAT_OFFSET : VHDX_REPAIR_BAT_ENTRY, code, off, idx);
    if (!a) return 1;
    a->deviation = dev;
    a->write_offset = img->bat_offset + idx * 8u / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
    a->write_length = VHDX_LOG_SECTOR;
    if (dev) {
        snprintf(a->detail, sizeof a->detail, "BAT entry %llu: FileOffsetMB cleared (block without data)",
                 (unsigned long long)idx);
        return 1;
    }
    if (!sb) {
        uint64_t b = idx - idx / (g->chunk_ratio + 1);
        a->lost_offset = b * g->block_size;
        a->lost_length = g->virtual_size - a->lost_offset < g->block_size
                             ? g->virtual_size - a->lost_offset : g->block_size;
        rc->plan->data_loss = 1;
        snprintf(a->detail, sizeof a->detail, "BAT entry %llu (payload block %llu) set to NOT_PRESENT",
                 (unsigned long long)idx, (unsigned long long)b);
    } else {
        snprintf(a->detail, sizeof a->detail,
                 "BAT entry %llu (sector bitmap, unused without a parent) set to NOT_PRESENT",
                 (unsigned long long)idx);
    }
    return 1;
}

static int rp_bat(img_repair_ctx *rc, const vhdx_image *img, int code, uint64_t off,
                  const char *detail)
{
    if (!img->bat_offset || off < img->bat_offset || (off - img->bat_offset) % 8u != 0) return 0;
    uint64_t idx = (off - img->bat_offset) / 8u;
    unsigned x, y;
    /* R70/R71 between two blocks: which one owns the bytes is unknown, so both are lost */
    if ((code == VHDX_E_BAT_DUPLICATE || code == VHDX_E_BAT_OVERLAP) && detail &&
        sscanf(detail, IMG_BAT_CONFLICT_FMT, &x, &y) == 2) {
        if (x != idx || !rp_bat_entry(rc, img, code, off, x)) return 0;
        return rp_bat_entry(rc, img, code, img->bat_offset + (uint64_t)y * 8u, y);
    }
    return rp_bat_entry(rc, img, code, off, idx);
}

/* R108 (Hyper-V's plain "C:\..." path, a deviation): the prefix makes the value 8 bytes
 * longer; done only when the item can grow in place (inside the region, before any
 * other item). */
static int rp_parent_path(img_repair_ctx *rc, const vhdx_image *img, int code, uint64_t off)
{
    int idx = img->md ? fmt_metadata_find(img->md, &VHDX_GUID_PARENT_LOCATOR) : -1;
    if (idx < 0) return 0;
    const fmt_metadata_entry *e = &img->md->entries[idx];
    uint64_t start = e->offset, end = (uint64_t)e->offset + e->length + 8u;
    if (end > img->md_length || end - start > MiB) return 1;
    for (uint32_t j = 0; j < img->md->decoded; j++) {
        const fmt_metadata_entry *o = &img->md->entries[j];
        if ((int)j != idx && o->length && vhdx_ranges_overlap(start, end - start, o->offset, o->length))
            return 1;
    }
    vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_PARENT_PATH, code, off, (uint64_t)idx);
    if (!a) return 1;
    a->deviation = 1;
    a->write_offset = img->md_offset + start;
    a->write_length = end - start;
    snprintf(a->detail, sizeof a->detail, "parent locator: absolute_win32_path gets the \\\\?\\ prefix");
    return 1;
}

/* The BAT findings an entry set to NOT_PRESENT (or its offset cleared) repairs. */
static int is_bat_code(int code)
{
    static const int codes[] = { VHDX_E_BAT_RESERVED, VHDX_E_BAT_OVERLAP, VHDX_E_BAT_OUTSIDE_FILE,
                                 VHDX_E_BAT_DUPLICATE, VHDX_E_BAT_STATE, VHDX_E_BAT_PARTIAL_NO_PARENT,
                                 VHDX_E_BAT_PARTIAL_NO_SB, VHDX_E_BAT_SB_PRESENT, VHDX_E_BAT_SB_STATE,
                                 VHDX_E_BAT_PRESENT_ZERO_OFFSET, VHDX_W_BAT_OFFSET_NOT_ZERO };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (codes[i] == code) return 1;
    return 0;
}

/* Turns one finding into an action (1: the open may go past it) or damage left (0). */
static int rp_classify(img_repair_ctx *rc, const vhdx_image *img, int code, uint64_t off,
                       const char *detail)
{
    if (is_bat_code(code)) return rp_bat(rc, img, code, off, detail);
    switch (code) {
    case VHDX_W_HEADER_INVALID_COPY:
    case VHDX_W_HEADERS_IDENTICAL:
    case VHDX_W_HEADER_FIELDS_DIFFER:
        return rp_header(rc, code, off);
    case VHDX_W_RT_INVALID_COPY:
    case VHDX_W_RT_COPIES_DIFFER:
    case VHDX_E_RT_CHECKSUM:
    case VHDX_E_RT_SIGNATURE:
    case VHDX_W_RT_NOT_REQUIRED:
        return rp_region(rc, img, code, off);
    case VHDX_I_LOG_DIRTY:
        rc->log_dirty = 1;
        return 1;
    case VHDX_E_MD_DUPLICATE:
    case VHDX_E_MD_OFFSET:
    case VHDX_E_MD_OUTSIDE_REGION:
    case VHDX_E_MD_OVERLAP:
    case VHDX_E_MD_LENGTH:
    case VHDX_E_MD_ZERO_LENGTH_OFFSET:
        return rp_metadata(rc, img, code, off);
    case VHDX_W_PL_ABSOLUTE_PATH:
        return rp_parent_path(rc, img, code, off);
    default:
        return 0;
    }
}

static int rp_tolerate(void *ctx, const vhdx_image *img, int code, uint64_t off, const char *detail)
{
    img_repair_ctx *rc = ctx;
    if (code == VHDX_OK) return 1;
    if (rp_classify(rc, img, code, off, detail)) return 1;
    /* damage no action repairs: errors (also error-severity deviations) refuse the repair */
    if (vhdx_status_severity(code) == VHDX_SEV_ERROR) rp_left(rc, code, off, detail);
    return 0;
}

/* The open's own sink: findings go to the hook; validation always goes on. */
static int rp_continue(vhdx_sink *s, int code, uint64_t offset, const char *field,
                       const char *detail, const char *src_file, int src_line)
{
    (void)s; (void)code; (void)offset; (void)field; (void)detail; (void)src_file; (void)src_line;
    return VHDX_OK;
}

int img_repair_open(vhdx_io *io, const vhdx_repair_opts *o, int writable, img_repair_ctx *rc,
                    vhdx_image **out)
{
    vhdx_open_opts oo;
    vhdx_open_opts_default(&oo);
    oo.limits = o->limits;
    oo.guid_gen = o->guid_gen;
    oo.flags = VHDX_OPEN_NO_PARENT | VHDX_OPEN_IGNORE_LINKAGE | (writable ? VHDX_OPEN_RDWR : 0u);
    vhdx_sink sink = { rp_continue, NULL };
    img_open_hooks hooks = { .tolerate = rp_tolerate, .tolerate_ctx = rc };
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc_open = img_open_ex(out, io, 0, &oo, NULL, &sink, &hooks, &d);
    /* the open stopped at a finding an action was to repair (both region tables with
     * nothing to trust): that finding is the damage left */
    vhdx_repair_plan *p = rc->plan;
    for (size_t i = 0; rc_open != VHDX_OK && p->left_count == 0 && i < p->count; i++)
        if (p->actions[i].code == rc_open)
            rp_left(rc, rc_open, p->actions[i].finding_offset, "the open cannot go on past it");
    if (rc_open != VHDX_OK && p->left_count == 0)
        rp_left(rc, rc_open, d.offset, d.detail[0] ? d.detail : NULL);
    return rc_open;
}

/* ---- after the open: replay ranges, file size, order ---- */

static int kind_order(vhdx_repair_kind k)
{
    /* the order apply performs them in: header and replay come with the read-write open;
     * blocks are released before the file grows, so no lost block becomes readable */
    static const int order[] = { 0, 2, 1, 4, 6, 8, 3, 7, 5 };
    return order[k];
}

static int action_cmp(const void *a, const void *b)
{
    const vhdx_repair_action *x = a, *y = b;
    int kx = kind_order(x->kind), ky = kind_order(y->kind);
    if (kx != ky) return kx < ky ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static void rp_replay_actions(img_repair_ctx *rc, vhdx_image *img)
{
    if (!rc->log_dirty) return;
    size_t n = img ? img_log_replay_ranges(img, NULL, NULL, 0) : 0;
    uint64_t *offs = n ? calloc(n, sizeof *offs) : NULL, *lens = n ? calloc(n, sizeof *lens) : NULL;
    if (n && (!offs || !lens)) { rc->nomem = 1; n = 0; }
    if (n) n = img_log_replay_ranges(img, offs, lens, n);
    for (size_t i = 0; i < (n ? n : 1); i++) {
        vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_LOG_REPLAY, VHDX_I_LOG_DIRTY,
                                       VHDX_HEADER1_OFFSET + HDR_OFF_LOG_GUID, i);
        if (!a) break;
        if (n) {
            a->write_offset = offs[i];
            a->write_length = lens[i];
        }
        snprintf(a->detail, sizeof a->detail, "log replay%s", n ? "" : " (ranges unknown: the open failed)");
    }
    free(offs);
    free(lens);
}

/* Drops the planned duplicate removal whose values differ (or could not be read). */
static void rp_dups_verify(img_repair_ctx *rc, vhdx_image *img)
{
    vhdx_repair_plan *p = rc->plan;
    for (size_t k = 0; k < rc->ndup; k++) {
        int same = 0;
        if (img) {
            const fmt_metadata_entry *a = &img->md->entries[rc->dup_keep[k]], *b = &img->md->entries[rc->dup_drop[k]];
            uint8_t *x = a->length <= MiB ? malloc(2u * a->length + 2u) : NULL;
            same = x && img_pread(img, img->md_offset + a->offset, x, a->length, NULL) == VHDX_OK &&
                   img_pread(img, img->md_offset + b->offset, x + a->length + 1, a->length, NULL) == VHDX_OK &&
                   memcmp(x, x + a->length + 1, a->length) == 0;
            free(x);
        }
        if (same) continue;
        for (size_t i = 0; i < p->count; i++) {
            vhdx_repair_action *a = &p->actions[i];
            if (a->kind != VHDX_REPAIR_METADATA_ENTRY || a->index != rc->dup_drop[k]) continue;
            rp_left(rc, VHDX_E_MD_DUPLICATE, a->finding_offset, "the duplicate holds a different value");
            p->actions[i] = p->actions[--p->count];
            break;
        }
    }
}

static void rp_finish(img_repair_ctx *rc, vhdx_image *img, unsigned flags)
{
    vhdx_repair_plan *p = rc->plan;
    rp_dups_verify(rc, img);
    rp_replay_actions(rc, img);
    /* D12: a file cut inside its last block: the block is lost (above) and the file grows
     * back to the 1 MiB unit every structure is placed in. Without a block past the end
     * (a clean image of odd size, or a repair interrupted after the BAT) it is a deviation. */
    if (p->file_size % MiB != 0) {
        int cut = 0;
        for (size_t i = 0; i < p->count; i++) cut |= p->actions[i].code == VHDX_E_BAT_OUTSIDE_FILE;
        vhdx_repair_action *a = rp_add(rc, VHDX_REPAIR_FILE_EXTEND, VHDX_OK, VHDX_NO_OFFSET, 0);
        if (a) {
            a->deviation = !cut;
            a->write_offset = p->file_size;
            a->write_length = vhdx_div_round_up(p->file_size, MiB) * MiB - p->file_size;
            snprintf(a->detail, sizeof a->detail, "file extended with zeros to a multiple of 1 MiB");
        }
    }
    if (img) {
        p->log_offset = img->hdr[img->cur].log_offset;
        p->log_length = img->hdr[img->cur].log_length;
    }
    if (p->count) qsort(p->actions, p->count, sizeof *p->actions, action_cmp);
    p->deviations_skipped = 0;
    for (size_t i = 0; i < p->count; i++)
        if (p->actions[i].deviation && !(flags & VHDX_REPAIR_FIX_DEVIATIONS)) p->deviations_skipped++;
    p->refused = p->left_count > 0 || (p->data_loss && !(flags & VHDX_REPAIR_ALLOW_DATA_LOSS));
}

int img_repair_make_plan(vhdx_io *io, const vhdx_repair_opts *o, vhdx_repair_plan **out,
                         vhdx_diag *diag)
{
    *out = NULL;
    vhdx_repair_plan *p = calloc(1, sizeof *p);
    if (!p) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "repair plan");
    p->struct_size = (uint32_t)sizeof *p;
    int rc = io->get_size(io->ctx, &p->file_size);
    if (rc != VHDX_OK) {
        vhdx_repair_plan_free(p);
        return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "file size");
    }
    img_repair_ctx ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.plan = p;
    vhdx_image *img = NULL;
    rc = img_repair_open(io, o, 0, &ctx, &img);
    rp_finish(&ctx, rc == VHDX_OK ? img : NULL, o->flags);
    img_free(img);
    if (ctx.nomem) {
        vhdx_repair_plan_free(p);
        return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "repair plan");
    }
    *out = p;
    return VHDX_OK;
}

int vhdx_repair_plan_create(vhdx_io *io, const vhdx_repair_opts *opts, vhdx_repair_plan **out,
                     vhdx_diag *diag)
{
    if (out) *out = NULL;
    if (!io || !out || !io->read_at || !io->get_size)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_repair_opts full; /* the caller's options over the defaults (ABI: struct_size) */
    vhdx_repair_opts_default(&full);
    if (opts) ABI_IN(&full, opts);
    return img_repair_make_plan(io, &full, out, diag);
}
