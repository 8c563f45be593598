/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_locator.c - the parent locator as written: the Linux paths of a parent turned into
 * locator values (create, rebase) and the journaled rewrite of a differencing image's
 * locator item (rebase, and commit re-linking its child).
 *
 * Paths: relative_path is the parent's path relative to the child's directory with '\'
 * separators (".\name" in the same directory, as Hyper-V writes it); absolute_win32_path
 * is "\\?\Z:" followed by the parent's absolute path with '\' separators (Z: is the drive
 * Wine maps to the Unix root; image_parent.c maps any "X:\rest" back to "/rest").
 *
 * Rewrite: the new item goes where the old one was when it fits before the next item (or
 * the end of the region), else after the last item of the region; the item sectors and
 * the table sector with the item's entry go through the log in ONE entry, so a crash
 * leaves either the old locator or the new one (a torn update could leave an entry
 * pointing past its item).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

#define LOC_PATH_MAX 4096u
#define LOC_ITEM_MAX (64u * 1024u)

/* Absolute, normalised directory of path (the file itself need not exist). */
int img_abs_dir_of(const char *path, char *out, size_t outlen)
{
    char tmp[LOC_PATH_MAX];
    char *slash;
    char *r;
    if (strlen(path) >= sizeof tmp) return VHDX_E_CREATE_PARAM;
    strcpy(tmp, path);
    slash = strrchr(tmp, '/');
    if (!slash) strcpy(tmp, ".");
    else if (slash == tmp) tmp[1] = '\0';
    else *slash = '\0';
    r = realpath(tmp, NULL);
    if (!r) return VHDX_E_NOT_FOUND;
    if (strlen(r) >= outlen) { free(r); return VHDX_E_CREATE_PARAM; }
    strcpy(out, r);
    free(r); /* realpath allocates with the C library */
    return VHDX_OK;
}

/* Relative path from directory `from` (absolute) to file `to` (absolute), '\' separated:
 * ".\name" in the same directory, "..\x\name" above it. */
static int relative_path(const char *from, const char *to, char *out, size_t outlen)
{
    size_t i = 0, common = 0, n = 0, ups = 0;
    const char *p;
    /* longest common directory prefix: components of from that match to */
    for (;;) {
        size_t a = i, b;
        while (from[a] == '/') a++;
        if (from[a] == '\0') { common = a; break; }
        b = a;
        while (from[b] && from[b] != '/') b++;
        if (strncmp(from + a, to + a, b - a) != 0 || to[b] != '/') { common = a; break; }
        i = b;
    }
    for (p = from + common; *p;) {
        while (*p == '/') p++;
        if (!*p) break;
        ups++;
        while (*p && *p != '/') p++;
    }
    if (ups == 0) {
        if (outlen < 3) return VHDX_E_CREATE_PARAM;
        memcpy(out, ".\\", 2);
        n = 2;
    }
    for (i = 0; i < ups; i++) {
        if (n + 3 >= outlen) return VHDX_E_CREATE_PARAM;
        memcpy(out + n, "..\\", 3);
        n += 3;
    }
    p = to + common;
    while (*p == '/') p++;
    if (n + strlen(p) + 1 > outlen) return VHDX_E_CREATE_PARAM;
    for (i = 0; p[i]; i++) out[n + i] = p[i] == '/' ? '\\' : p[i];
    out[n + i] = '\0';
    return VHDX_OK;
}

int img_locator_paths(const char *child_path, const char *parent_real, char *rel, size_t rel_len,
                      char *absw, size_t absw_len)
{
    char dir[LOC_PATH_MAX];
    size_t i;
    rel[0] = '\0';
    if (child_path && img_abs_dir_of(child_path, dir, sizeof dir) == VHDX_OK &&
        relative_path(dir, parent_real, rel, rel_len) != VHDX_OK)
        rel[0] = '\0';
    if (strlen(parent_real) + 7 > absw_len) return VHDX_E_CREATE_PARAM;
    strcpy(absw, "\\\\?\\Z:");
    for (i = 0; parent_real[i]; i++) absw[6 + i] = parent_real[i] == '/' ? '\\' : parent_real[i];
    absw[6 + i] = '\0';
    return VHDX_OK;
}

/* ---- rewrite ---------------------------------------------------------------------- */

static const char *const path_keys[IMG_PL_NPATHS] = { "relative_path", "absolute_win32_path",
                                                      "volume_path" };

typedef struct loc_pairs {
    const char *keys[VHDX_PL_MAX_ENTRIES], *vals[VHDX_PL_MAX_ENTRIES];
    size_t n;
    char *text;                   /* 2 * VHDX_PL_MAX_ENTRIES strings of VHDX_PL_MAX_STRING */
    char link[40];
} loc_pairs;

static int is_path_key(const char *k)
{
    for (int i = 0; i < IMG_PL_NPATHS; i++)
        if (strcmp(k, path_keys[i]) == 0) return 1;
    return 0;
}

/* The new key/value list: parent_linkage first, the old pairs other than the linkage keys
 * (and the path keys when paths are given), then the new paths. */
static int new_pairs(const vhdx_image *img, const vhdx_guid *linkage, const char *const *paths,
                     loc_pairs *lp, vhdx_diag *diag)
{
    fmt_locator *pl = vhdx_malloc(sizeof *pl);
    lp->text = vhdx_malloc(2u * VHDX_PL_MAX_ENTRIES * VHDX_PL_MAX_STRING);
    int rc = pl && lp->text ? fmt_locator_decode(img->locator, img->locator_len, pl) : VHDX_E_NOMEM;
    vhdx_guid_format(linkage, lp->link, sizeof lp->link, 1);
    lp->keys[0] = "parent_linkage";
    lp->vals[0] = lp->link;
    lp->n = 1;
    for (uint16_t i = 0; rc == VHDX_OK && i < pl->decoded; i++) {
        const fmt_locator_entry *e = &pl->entries[i];
        char *k = lp->text + 2u * i * VHDX_PL_MAX_STRING, *v = k + VHDX_PL_MAX_STRING;
        int tk = 0, tv = 0;
        /* the open validated every entry (R101, R102) */
        (void)fmt_utf16le_to_utf8(img->locator + e->key_offset, e->key_length / 2u, 0, k,
                                  VHDX_PL_MAX_STRING, &tk);
        (void)fmt_utf16le_to_utf8(img->locator + e->value_offset, e->value_length / 2u, 0, v,
                                  VHDX_PL_MAX_STRING, &tv);
        if (tk || tv) rc = VHDX_E_LIMIT_METADATA;
        if (strcmp(k, "parent_linkage") == 0 || strcmp(k, "parent_linkage2") == 0) continue;
        if (paths && is_path_key(k)) continue;
        if (lp->n == VHDX_PL_MAX_ENTRIES) rc = VHDX_E_LIMIT_METADATA;
        else {
            lp->keys[lp->n] = k;
            lp->vals[lp->n++] = v;
        }
    }
    for (int k = 0; rc == VHDX_OK && paths && k < IMG_PL_NPATHS; k++) {
        if (!paths[k] || !paths[k][0]) continue;
        if (lp->n == VHDX_PL_MAX_ENTRIES) rc = VHDX_E_LIMIT_METADATA;
        else {
            lp->keys[lp->n] = path_keys[k];
            lp->vals[lp->n++] = paths[k];
        }
    }
    vhdx_free(pl);
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, img->md_offset, "parent locator");
    return VHDX_OK;
}

/* Offset (relative to the region) for an item of len bytes replacing entry idx. */
static int place_item(const vhdx_image *img, int idx, size_t len, uint32_t *off, vhdx_diag *diag)
{
    const fmt_metadata_table *t = img->md;
    const fmt_metadata_entry *e = &t->entries[idx];
    uint64_t next = img->md_length, end = (uint64_t)64 * 1024;
    for (uint32_t j = 0; j < t->decoded; j++) {
        const fmt_metadata_entry *o = &t->entries[j];
        if ((int)j == idx || o->length == 0) continue;
        if (o->offset > e->offset && o->offset < next) next = o->offset;
        if ((uint64_t)o->offset + o->length > end) end = (uint64_t)o->offset + o->length;
    }
    /* [MS-VHDX 2.6.1.2] R84/R85: at or past 64 KiB, inside the region, no overlap */
    if (e->offset >= 64u * 1024u && (uint64_t)e->offset + len <= next) {
        *off = e->offset;
        return VHDX_OK;
    }
    if ((uint64_t)e->offset + e->length > end) end = (uint64_t)e->offset + e->length;
    end = vhdx_div_round_up(end, 8) * 8;
    if (end + len > img->md_length)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_METADATA, img->md_offset, "parent locator");
    *off = (uint32_t)end;
    return VHDX_OK;
}

/* The item bytes [off, off+len) (old tail zeroed when in place) and the entry's table
 * sector, in one log entry. */
static int journal_item(vhdx_image *img, int idx, uint32_t off, const uint8_t *item, size_t len,
                        vhdx_diag *diag)
{
    const fmt_metadata_entry *e = &img->md->entries[idx];
    uint64_t span = len;
    if (off == e->offset && e->length > span) span = e->length;
    uint64_t a = img->md_offset + off, first = a / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
    uint64_t last = vhdx_div_round_up(a + span, VHDX_LOG_SECTOR) * VHDX_LOG_SECTOR;
    uint64_t eoff = img->md_offset + MD_HEADER_SIZE + (uint64_t)idx * MD_ENTRY_SIZE;
    uint64_t tfirst = eoff / VHDX_LOG_SECTOR * VHDX_LOG_SECTOR;
    size_t nsec = (size_t)((last - first) / VHDX_LOG_SECTOR);
    uint8_t *buf = vhdx_malloc((nsec + 1) * VHDX_LOG_SECTOR);
    img_meta_sector *sec = vhdx_malloc((nsec + 1) * sizeof *sec);
    int rc = buf && sec ? VHDX_OK : VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "parent locator");
    uint8_t *tsec = buf + nsec * VHDX_LOG_SECTOR;
    if (rc == VHDX_OK) rc = img_pread(img, first, buf, (size_t)(last - first), diag);
    if (rc == VHDX_OK) rc = img_pread(img, tfirst, tsec, VHDX_LOG_SECTOR, diag);
    if (rc == VHDX_OK) {
        memset(buf + (a - first), 0, (size_t)span);
        memcpy(buf + (a - first), item, len);
        vhdx_put32(tsec + (eoff - tfirst) + MDE_OFF_OFFSET, off);
        vhdx_put32(tsec + (eoff - tfirst) + MDE_OFF_LENGTH, (uint32_t)len);
        size_t n = 0;
        /* the table sector lies below the first item (R84), so it is never in both */
        sec[n].file_offset = tfirst;
        sec[n++].data = tsec;
        for (uint64_t o = first; o < last; o += VHDX_LOG_SECTOR) {
            sec[n].file_offset = o;
            sec[n++].data = buf + (o - first);
        }
        rc = img_log_write(img, sec, n, diag);
    }
    vhdx_free(buf);
    vhdx_free(sec);
    return rc;
}

/* The decoded locator after a rewrite, from the pairs written. */
static void set_ploc(vhdx_image *img, const loc_pairs *lp, const vhdx_guid *linkage)
{
    img_parent_loc *pl = &img->ploc;
    memset(pl, 0, sizeof *pl);
    pl->have_linkage = 1;
    pl->linkage = *linkage;
    for (size_t i = 0; i < lp->n; i++)
        for (int k = 0; k < IMG_PL_NPATHS; k++)
            if (strcmp(lp->keys[i], path_keys[k]) == 0 && strlen(lp->vals[i]) < VHDX_PL_MAX_STRING)
                strcpy(pl->path[k], lp->vals[i]);
}

int img_locator_put(vhdx_image *img, const uint8_t *item, size_t len, vhdx_diag *diag)
{
    int idx = img->md ? fmt_metadata_find(img->md, &VHDX_GUID_PARENT_LOCATOR) : -1;
    uint32_t off = 0;
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    if (!img->geo.has_parent || idx < 0 || !img->locator || len == 0)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "parent locator");
    int rc = place_item(img, idx, len, &off, diag);
    if (rc == VHDX_OK) rc = journal_item(img, idx, off, item, len, diag);
    if (rc != VHDX_OK) return rc;
    img->md->entries[idx].offset = off;
    img->md->entries[idx].length = (uint32_t)len;
    uint8_t *copy = vhdx_realloc(img->locator, len);
    if (!copy) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "parent locator");
    memcpy(copy, item, len);
    img->locator = copy;
    img->locator_len = len;
    return VHDX_OK;
}

int img_locator_rewrite(vhdx_image *img, const vhdx_guid *linkage, const char *const *paths,
                        vhdx_diag *diag)
{
    if (!img->geo.has_parent || !img->locator)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "parent locator");
    loc_pairs lp;
    memset(&lp, 0, sizeof lp);
    uint8_t *item = vhdx_malloc(LOC_ITEM_MAX);
    size_t len = 0;
    int rc = item ? new_pairs(img, linkage, paths, &lp, diag)
                  : VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "parent locator");
    if (rc == VHDX_OK && fmt_locator_build(lp.keys, lp.vals, lp.n, item, LOC_ITEM_MAX, &len) != VHDX_OK)
        rc = VHDX_FAIL(diag, VHDX_E_LIMIT_METADATA, img->md_offset, "parent locator");
    if (rc == VHDX_OK) rc = img_locator_put(img, item, len, diag);
    if (rc == VHDX_OK) set_ploc(img, &lp, linkage);
    vhdx_free(item);
    vhdx_free(lp.text);
    return rc;
}
