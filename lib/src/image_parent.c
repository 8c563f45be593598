/*
 * image_parent.c - differencing chains (MS-VHDX 2.6.2.6): parent locator resolution,
 * linkage (R105), sector size (R96), depth limit and cycle detection, and reads of
 * PARTIALLY_PRESENT blocks through the sector bitmap (2.5.1.2).
 *
 * Resolution order: the caller's explicit parent path; else relative_path next to the
 * child; else absolute_win32_path; else volume_path. Windows paths map to Linux as far as
 * they can: "\\?\" is dropped, "X:\rest" becomes "/rest" (create writes "\\?\Z:\..." for
 * a Linux path: Z: is Wine's drive for the Unix root), "\\?\Volume{GUID}\rest" becomes
 * "/rest", UNC paths are not followed. Parents always open read-only.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"

#define PARENT_PATH_MAX 4096u

/* One frame per image whose parent is being opened on this thread (the chain so far). */
typedef struct chain_frame {
    const struct chain_frame *prev;
    int has_id;
    dev_t dev;
    ino_t ino;
} chain_frame;

static _Thread_local const chain_frame *chain_top;

static void to_slashes(char *s)
{
    for (; *s; s++)
        if (*s == '\\') *s = '/';
}

/* Windows absolute or volume path -> Linux path; 0 when it cannot be mapped. */
static int map_windows_path(const char *w, char *out, size_t outlen)
{
    const char *p = w;
    if (strncmp(p, "\\\\?\\", 4) == 0) p += 4;
    if (strncmp(p, "UNC\\", 4) == 0) return 0;
    if (strncmp(p, "Volume{", 7) == 0) {
        p = strchr(p, '\\');
        if (!p) return 0;
    } else if (((p[0] >= 'A' && p[0] <= 'Z') || (p[0] >= 'a' && p[0] <= 'z')) && p[1] == ':') {
        p += 2;
    }
    if (*p != '\\' && *p != '/') return 0;
    if (strlen(p) + 1 > outlen) return 0;
    strcpy(out, p);
    to_slashes(out);
    return 1;
}

static int relative_to_child(const vhdx_image *img, const char *rel, char *out, size_t outlen)
{
    char r[PARENT_PATH_MAX];
    size_t dl = 0;
    const char *slash = img->path ? strrchr(img->path, '/') : NULL;
    if (strlen(rel) + 1 > sizeof r) return 0;
    strcpy(r, rel);
    to_slashes(r);
    if (r[0] == '/') return 0; /* not relative */
    if (slash) dl = (size_t)(slash - img->path) + 1;
    if (dl + strlen(r) + 1 > outlen) return 0;
    if (dl) memcpy(out, img->path, dl);
    strcpy(out + dl, r);
    return 1;
}

static int path_exists(const char *p, struct stat *st)
{
    memset(st, 0, sizeof *st); /* clang-14 MSan does not intercept glibc >= 2.33 stat */
    return stat(p, st) == 0 && S_ISREG(st->st_mode);
}

static void set_detail(vhdx_diag *diag, const char *text)
{
    size_t n;
    if (!diag || !text || diag->detail[0] != '\0') return;
    n = strlen(text);
    if (n >= sizeof diag->detail) n = sizeof diag->detail - 1;
    memcpy(diag->detail, text, n);
    diag->detail[n] = '\0';
}

int img_parent_open(vhdx_image *img, vhdx_diag *diag)
{
    fmt_locator pl;
    char text[VHDX_PL_MAX_STRING];
    char path[PARENT_PATH_MAX], first_tried[PARENT_PATH_MAX];
    vhdx_guid link1, link2;
    int have_link2 = 0, found = 0, depth = 1, rc;
    struct stat st, self;
    memset(&self, 0, sizeof self); /* clang-14 MSan does not intercept glibc >= 2.33 stat */
    const chain_frame *f;
    chain_frame me;
    vhdx_open_opts o;
    vhdx_image *par = NULL;
    vhdx_diag pd;

    img->chain_depth = 1;
    if (!img->geo.has_parent) return VHDX_OK;
    if (!img->locator) /* R98 */
        return VHDX_FAIL(diag, VHDX_E_NO_PARENT_LOCATOR, img->md_offset, "parent locator");
    rc = fmt_locator_decode(img->locator, img->locator_len, &pl);
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, img->md_offset, "parent locator");
    rc = fmt_locator_validate(&pl, img->locator, img->locator_len, NULL, img->md_offset);
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, img->md_offset, "parent locator");
    if (img->flags & VHDX_OPEN_NO_PARENT) return VHDX_OK;

    /* R103: parent_linkage, a GUID in text form */
    rc = fmt_locator_get(&pl, img->locator, img->locator_len, "parent_linkage", text, sizeof text);
    if (rc == VHDX_E_NOT_FOUND) return VHDX_FAIL(diag, VHDX_E_PL_NO_LINKAGE, img->md_offset, "parent_linkage");
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, img->md_offset, "parent_linkage");
    if (vhdx_guid_parse(&link1, text, strlen(text)) != VHDX_OK)
        return VHDX_FAIL(diag, VHDX_E_PL_LINKAGE_FORMAT, img->md_offset, "parent_linkage");
    if (fmt_locator_get(&pl, img->locator, img->locator_len, "parent_linkage2", text, sizeof text) == VHDX_OK &&
        vhdx_guid_parse(&link2, text, strlen(text)) == VHDX_OK)
        have_link2 = 1;

    /* depth of this image in the chain being opened */
    for (f = chain_top; f; f = f->prev) depth++;
    if ((uint64_t)depth + 1 > img->limits.max_chain_depth)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_CHAIN, VHDX_NO_OFFSET, "parent chain");

    first_tried[0] = '\0';
    if (img->parent_path_opt) {
        if (strlen(img->parent_path_opt) + 1 > sizeof path)
            return VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent_path");
        strcpy(path, img->parent_path_opt);
        strcpy(first_tried, path);
        found = path_exists(path, &st);
    } else {
        static const char *const keys[3] = { "relative_path", "absolute_win32_path", "volume_path" };
        int k;
        for (k = 0; k < 3 && !found; k++) {
            int ok;
            if (fmt_locator_get(&pl, img->locator, img->locator_len, keys[k], text, sizeof text) != VHDX_OK)
                continue;
            ok = k == 0 ? relative_to_child(img, text, path, sizeof path)
                        : map_windows_path(text, path, sizeof path);
            if (!ok) continue;
            if (!first_tried[0]) strcpy(first_tried, path);
            found = path_exists(path, &st);
        }
    }
    if (!found) {
        rc = VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent locator");
        set_detail(diag, first_tried[0] ? first_tried : "no usable parent path");
        return rc;
    }

    /* cycle: the parent is this image or one of its descendants being opened */
    me.prev = chain_top;
    me.has_id = img->path && stat(img->path, &self) == 0;
    me.dev = me.has_id ? self.st_dev : 0;
    me.ino = me.has_id ? self.st_ino : 0;
    for (f = &me; f; f = f->prev)
        if (f->has_id && f->dev == st.st_dev && f->ino == st.st_ino) {
            rc = VHDX_FAIL(diag, VHDX_E_PARENT_CYCLE, VHDX_NO_OFFSET, "parent locator");
            set_detail(diag, path);
            return rc;
        }

    vhdx_open_opts_default(&o);
    o.flags = img->flags & VHDX_OPEN_IGNORE_LINKAGE; /* read-only, replay in memory */
    o.limits = img->limits;
    o.guid_gen = img->gen;
    vhdx_diag_clear(&pd);
    chain_top = &me;
    rc = vhdx_open_file(&par, path, &o, &pd);
    chain_top = me.prev;
    if (rc != VHDX_OK) {
        if (diag && diag->code == VHDX_OK) {
            *diag = pd;
            set_detail(diag, path);
        }
        return rc;
    }
    /* R105: the parent's DataWriteGuid is parent_linkage or parent_linkage2 */
    if (!(img->flags & VHDX_OPEN_IGNORE_LINKAGE)) {
        const vhdx_guid *dw = &par->hdr[par->cur].data_write_guid;
        if (!vhdx_guid_equal(dw, &link1) && !(have_link2 && vhdx_guid_equal(dw, &link2))) {
            (void)vhdx_close(par);
            rc = VHDX_FAIL(diag, VHDX_E_PL_LINKAGE_MISMATCH, VHDX_NO_OFFSET, "parent_linkage");
            set_detail(diag, path);
            return rc;
        }
    }
    /* R96: equal logical sector sizes along the chain */
    if (par->geo.logical_sector_size != img->geo.logical_sector_size) {
        (void)vhdx_close(par);
        rc = VHDX_FAIL(diag, VHDX_E_PARENT_SECTOR_SIZE, VHDX_NO_OFFSET, "LogicalSectorSize");
        set_detail(diag, path);
        return rc;
    }
    img->parent = par;
    img->chain_depth = 1 + par->chain_depth;
    return VHDX_OK;
}

int img_parent_read(vhdx_image *img, uint64_t off, uint8_t *buf, size_t len, vhdx_diag *diag)
{
    vhdx_image *par = img->parent;
    uint64_t psize;
    size_t n = len;
    int rc;
    if (len == 0) return VHDX_OK;
    if (!par) return VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent");
    psize = par->geo.virtual_size;
    if (off >= psize) {
        memset(buf, 0, len);
        return VHDX_OK;
    }
    if (off + len > psize) n = (size_t)(psize - off);
    rc = vhdx_read(par, off, buf, n, diag);
    if (rc != VHDX_OK) return rc;
    if (n < len) memset(buf + n, 0, len - n);
    return VHDX_OK;
}

int img_read_partial(vhdx_image *img, uint64_t block, uint64_t off_in_block, uint8_t *buf,
                     size_t len, vhdx_diag *diag)
{
    const uint64_t cr = img->geo.chunk_ratio, lss = img->geo.logical_sector_size;
    uint64_t e, sbe, pos, end, s0, s1, bm_first, bm_len, sb_off, blk_off;
    uint8_t *bm;
    int rc;

    if (len == 0) return VHDX_OK;
    rc = img_bat_get(img, fmt_bat_pb_index(block, cr), &e, diag);
    if (rc != VHDX_OK) return rc;
    rc = img_bat_get(img, fmt_bat_sb_index(block / cr, cr), &sbe, diag);
    if (rc != VHDX_OK) return rc;
    if (fmt_bat_state(sbe) != VHDX_SB_PRESENT) /* R76 */
        return VHDX_FAIL(diag, VHDX_E_BAT_PARTIAL_NO_SB, img->bat_offset + fmt_bat_sb_index(block / cr, cr) * 8,
                         "BAT sector bitmap entry");
    blk_off = fmt_bat_offset(e);
    /* [MS-VHDX 2.5.1.2] block b's bits start at byte (b % CR) * (1 MiB / CR) */
    sb_off = fmt_bat_offset(sbe) + (block % cr) * (VHDX_SB_BLOCK_SIZE / cr);
    end = off_in_block + len;
    s0 = off_in_block / lss;
    s1 = (end - 1) / lss;
    bm_first = s0 / 8;
    bm_len = s1 / 8 - bm_first + 1;
    bm = malloc((size_t)bm_len);
    if (!bm) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "sector bitmap");
    rc = img_pread(img, sb_off + bm_first, bm, (size_t)bm_len, diag);
    pos = off_in_block;
    while (rc == VHDX_OK && pos < end) {
        uint64_t s = pos / lss, run_end;
        int bit = (bm[s / 8 - bm_first] >> (s % 8)) & 1;
        uint64_t t = s + 1;
        while (t <= s1 && (((bm[t / 8 - bm_first] >> (t % 8)) & 1) == bit)) t++;
        run_end = t * lss;
        if (run_end > end) run_end = end;
        if (bit) /* sector present in this file */
            rc = img_pread(img, blk_off + pos, buf + (pos - off_in_block), (size_t)(run_end - pos), diag);
        else
            rc = img_parent_read(img, block * img->geo.block_size + pos, buf + (pos - off_in_block),
                                 (size_t)(run_end - pos), diag);
        pos = run_end;
    }
    free(bm);
    return rc;
}
