/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_parent.c - opening the parent of a differencing image (MS-VHDX 2.6.2.6): path
 * resolution from the locator decoded at open (img->ploc), linkage (R105), sector size
 * (R96), depth limit and cycle detection. The parent is opened through the internal open
 * (img_open_path) with this image's limits: the one edge of the image layer that goes
 * back up, since a parent open is an open.
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

/* A candidate from the locator: a regular file or block device. An explicit parent path
 * only has to exist: the open says what is wrong with it (a FIFO, a directory). */
static int path_exists(const char *p, struct stat *st, int explicit_path)
{
    memset(st, 0, sizeof *st); /* clang-14 MSan does not intercept glibc >= 2.33 stat */
    if (stat(p, st) != 0) return 0;
    return explicit_path || S_ISREG(st->st_mode) || S_ISBLK(st->st_mode);
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

/* Resolves the parent's path: the caller's explicit path, else the locator's paths in
 * order; *st is the parent's stat when found (1). first_tried names the first candidate. */
static int find_parent(const vhdx_image *img, char *path, size_t pathlen, char *first_tried,
                       struct stat *st)
{
    first_tried[0] = '\0';
    if (img->parent_path_opt) {
        if (strlen(img->parent_path_opt) + 1 > pathlen) return -1;
        strcpy(path, img->parent_path_opt);
        strcpy(first_tried, path);
        return path_exists(path, st, 1);
    }
    for (int k = 0; k < IMG_PL_NPATHS; k++) {
        const char *text = img->ploc.path[k];
        if (!text[0]) continue;
        int ok = k == 0 ? relative_to_child(img, text, path, pathlen)
                        : map_windows_path(text, path, pathlen);
        if (!ok) continue;
        if (!first_tried[0]) strcpy(first_tried, path);
        if (path_exists(path, st, 0)) return 1;
    }
    return 0;
}

static int fail_path(vhdx_diag *diag, int code, const char *field, const char *path)
{
    int rc = VHDX_FAIL(diag, code, VHDX_NO_OFFSET, field);
    set_detail(diag, path);
    return rc;
}

int img_parent_linked(const vhdx_image *img, const vhdx_guid *dw)
{
    const img_parent_loc *pl = &img->ploc;
    return (pl->have_linkage && vhdx_guid_equal(dw, &pl->linkage)) ||
           (pl->have_linkage2 && vhdx_guid_equal(dw, &pl->linkage2));
}

/* R105 and R96 between this image and its opened parent. */
static int check_parent(const vhdx_image *img, const vhdx_image *par, const char *path,
                        vhdx_diag *diag)
{
    /* R105: the parent's DataWriteGuid is parent_linkage or parent_linkage2 */
    if (!(img->flags & VHDX_OPEN_IGNORE_LINKAGE) &&
        !img_parent_linked(img, &par->hdr[par->cur].data_write_guid))
        return fail_path(diag, VHDX_E_PL_LINKAGE_MISMATCH, "parent_linkage", path);
    /* R96: equal logical sector sizes along the chain */
    if (par->geo.logical_sector_size != img->geo.logical_sector_size)
        return fail_path(diag, VHDX_E_PARENT_SECTOR_SIZE, "LogicalSectorSize", path);
    return VHDX_OK;
}

static int resolve(const vhdx_image *img, char *path, size_t pathlen, struct stat *st,
                   vhdx_diag *diag)
{
    char first_tried[PARENT_PATH_MAX];
    int found = find_parent(img, path, pathlen, first_tried, st);
    if (found < 0) return VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent_path");
    if (!found)
        return fail_path(diag, VHDX_E_PARENT_NOT_FOUND, "parent locator",
                         first_tried[0] ? first_tried : "no usable parent path");
    return VHDX_OK;
}

int img_parent_path(const vhdx_image *img, char *path, size_t pathlen, vhdx_diag *diag)
{
    struct stat st;
    if (!img->geo.has_parent) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "parent");
    return resolve(img, path, pathlen, &st, diag);
}

int img_parent_open(vhdx_image *img, vhdx_diag *diag)
{
    char path[PARENT_PATH_MAX];
    int depth = 1, rc;
    struct stat st, self;
    memset(&self, 0, sizeof self); /* clang-14 MSan does not intercept glibc >= 2.33 stat */
    const chain_frame *f;
    chain_frame me;

    img->chain_depth = 1;
    if (!img->geo.has_parent || (img->flags & VHDX_OPEN_NO_PARENT)) return VHDX_OK;
    /* depth of this image in the chain being opened */
    for (f = chain_top; f; f = f->prev) depth++;
    if ((uint64_t)depth + 1 > img->limits.max_chain_depth)
        return VHDX_FAIL(diag, VHDX_E_LIMIT_CHAIN, VHDX_NO_OFFSET, "parent chain");
    rc = resolve(img, path, sizeof path, &st, diag);
    if (rc != VHDX_OK) return rc;

    /* cycle: the parent is this image or one of its descendants being opened */
    me.prev = chain_top;
    me.has_id = img->path && stat(img->path, &self) == 0;
    me.dev = me.has_id ? self.st_dev : 0;
    me.ino = me.has_id ? self.st_ino : 0;
    for (f = &me; f; f = f->prev)
        if (f->has_id && f->dev == st.st_dev && f->ino == st.st_ino)
            return fail_path(diag, VHDX_E_PARENT_CYCLE, "parent locator", path);

    /* read-only, replay in memory, this image's limits, findings stop at the first fatal */
    vhdx_open_opts o;
    memset(&o, 0, sizeof o);
    o.flags = img->flags & (VHDX_OPEN_IGNORE_LINKAGE | VHDX_OPEN_NO_LOCK);
    o.limits = img->limits;
    o.guid_gen = img->gen;
    vhdx_image *par = NULL;
    vhdx_diag pd;
    vhdx_diag_clear(&pd);
    chain_top = &me;
    rc = img_open_path(&par, path, &o, NULL, NULL, &pd);
    chain_top = me.prev;
    if (rc != VHDX_OK) {
        if (diag && diag->code == VHDX_OK) {
            *diag = pd;
            set_detail(diag, path);
        }
        return rc;
    }
    rc = check_parent(img, par, path, diag);
    if (rc != VHDX_OK) {
        img_free(par);
        return rc;
    }
    img->parent = par;
    img->chain_depth = 1 + par->chain_depth;
    return VHDX_OK;
}
