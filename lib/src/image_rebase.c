/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_rebase.c - vhdx_rebase: re-linking a differencing image to another parent.
 *
 * Safe by default: a new parent whose DataWriteGuid is the child's linkage is the same
 * parent (moved, or copied byte for byte); any other parent must show the same bytes as the
 * old chain wherever the child shows its parent's (the child's allocation map says where),
 * else the rebase is refused before anything is written, or with VHDX_REBASE_CONTENT the
 * old bytes are first written into the child (logical sector runs, the ordinary write
 * path), as `qemu-img rebase` does. The locator switch is one journaled update at the end:
 * a crash before it leaves the child linked to the old parent, reading as before (the
 * copied bytes are the old parent's); after it, linked to the new one, reading the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api_abi.h"
#include "image.h"

#define REBASE_CHUNK (1024u * 1024u)
#define REBASE_PATH_MAX 4096u

void(vhdx_rebase_opts_default)(vhdx_rebase_opts *o)
{
    if (!o) return;
    vhdx_rebase_opts full;
    memset(&full, 0, sizeof full);
    full.struct_size = (uint32_t)sizeof full;
    vhdx_limits_default(&full.limits);
    ABI_OUT(o, &full);
}

typedef struct rebase_ctx {
    vhdx_image *child, *newp;
    unsigned flags;
    uint8_t *a, *b;               /* REBASE_CHUNK each: old chain, new parent */
    uint64_t copied;
    vhdx_diag *diag;
} rebase_ctx;

static int refuse_at(vhdx_diag *diag, uint64_t voff)
{
    int rc = VHDX_FAIL(diag, VHDX_E_REBASE_CONTENT, VHDX_NO_OFFSET, "parent");
    if (diag && diag->code == rc)
        snprintf(diag->detail, sizeof diag->detail, "first difference at virtual offset %llu",
                 (unsigned long long)voff);
    return rc;
}

/* Old chain vs new parent over [off, off+c) (c <= REBASE_CHUNK): differing logical sector
 * runs are refused or copied into the child. */
static int compare_chunk(rebase_ctx *r, uint64_t off, size_t c)
{
    const size_t lss = r->child->geo.logical_sector_size;
    int rc = img_parent_read(r->child, off, r->a, c, r->diag);
    if (rc == VHDX_OK) rc = vhdx_read(r->newp, off, r->b, c, r->diag);
    for (size_t s = 0; rc == VHDX_OK && s < c; s += lss) {
        if (memcmp(r->a + s, r->b + s, lss) == 0) continue;
        size_t e = s + lss;
        while (e < c && memcmp(r->a + e, r->b + e, lss) != 0) e += lss;
        if (!(r->flags & VHDX_REBASE_CONTENT)) return refuse_at(r->diag, off + s);
        rc = vhdx_write(r->child, off + s, r->a + s, e - s, r->diag);
        r->copied += e - s;
        s = e;
    }
    return rc;
}

/* Every range the child leaves to its parent, compared. */
static int compare_all(rebase_ctx *r, const vhdx_rebase_opts *o)
{
    const uint64_t vs = r->child->geo.virtual_size;
    uint64_t off = 0;
    int rc = VHDX_OK;
    if (!r->child->parent)
        return VHDX_FAIL(r->diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "old parent");
    while (off < vs && rc == VHDX_OK) {
        vhdx_extent x;
        uint64_t n = vs - off < REBASE_CHUNK ? vs - off : REBASE_CHUNK;
        rc = vhdx_extent_at(r->child, off, n, &x, r->diag);
        if (rc != VHDX_OK) break;
        int mine = x.depth == 0 && (x.state == VHDX_EXTENT_DATA || x.state == VHDX_EXTENT_ZERO);
        if (!mine) rc = compare_chunk(r, off, (size_t)x.length);
        off += x.length;
        if (o->progress) o->progress(o->progress_ctx, off, vs);
    }
    return rc;
}

static int rebase_check(vhdx_image *child, vhdx_image *newp, const char *real, unsigned flags,
                        vhdx_diag *diag)
{
    struct stat a, b;
    if (!child->geo.has_parent)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "child (not a differencing image)");
    if (!child->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, "child");
    if ((flags & VHDX_REBASE_UNSAFE) && (flags & VHDX_REBASE_CONTENT))
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "flags");
    memset(&a, 0, sizeof a); /* clang-14 MSan does not intercept glibc >= 2.33 stat */
    memset(&b, 0, sizeof b);
    if (newp == child || (child->path && stat(child->path, &a) == 0 && stat(real, &b) == 0 &&
                          a.st_dev == b.st_dev && a.st_ino == b.st_ino))
        return VHDX_FAIL(diag, VHDX_E_PARENT_CYCLE, VHDX_NO_OFFSET, "parent");
    /* [MS-VHDX 2.6.2.4] R96 */
    if (child->geo.logical_sector_size != newp->geo.logical_sector_size)
        return VHDX_FAIL(diag, VHDX_E_PARENT_SECTOR_SIZE, VHDX_NO_OFFSET, "LogicalSectorSize");
    if (child->geo.virtual_size != newp->geo.virtual_size) {
        int rc = VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, "VirtualDiskSize");
        if (diag && diag->code == rc)
            strcpy(diag->detail, "the new parent's virtual size differs from the child's");
        return rc;
    }
    return VHDX_OK;
}

int vhdx_rebase(vhdx_image *child, vhdx_image *new_parent, const char *new_parent_path,
                const vhdx_rebase_opts *opts, uint64_t *copied, vhdx_diag *diag)
{
    vhdx_rebase_opts def;
    char rel[REBASE_PATH_MAX], absw[REBASE_PATH_MAX + 8];
    if (copied) *copied = 0;
    if (!child || !new_parent || !new_parent_path)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_rebase_opts_default(&def); /* the caller's options over the defaults (ABI) */
    if (opts) ABI_IN(&def, opts);
    opts = &def;
    char *real = realpath(new_parent_path, NULL);
    if (!real) {
        int rc = VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent_path");
        if (diag && diag->code == rc) snprintf(diag->detail, sizeof diag->detail, "%s", new_parent_path);
        return rc;
    }
    int rc = rebase_check(child, new_parent, real, opts->flags, diag);
    if (rc == VHDX_OK && img_locator_paths(child->path, real, rel, sizeof rel, absw, sizeof absw) != VHDX_OK)
        rc = VHDX_FAIL(diag, VHDX_E_LIMIT_METADATA, VHDX_NO_OFFSET, "parent_path");
    free(real); /* realpath: the C library's */
    const vhdx_guid *dw = &new_parent->hdr[new_parent->cur].data_write_guid;
    int same = img_parent_linked(child, dw);
    rebase_ctx r = { child, new_parent, opts->flags, NULL, NULL, 0, diag };
    if (rc == VHDX_OK && !same && !(opts->flags & VHDX_REBASE_UNSAFE)) {
        /* each half as large as a compared piece can be (a small disk: a small block) */
        const size_t half = child->geo.virtual_size < REBASE_CHUNK ? (size_t)child->geo.virtual_size : REBASE_CHUNK;
        r.a = vhdx_malloc(2u * half);
        r.b = r.a ? r.a + half : NULL;
        rc = r.a ? compare_all(&r, opts) : VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "rebase");
        vhdx_free(r.a);
        if (rc == VHDX_OK) rc = vhdx_flush(child, diag);
    }
    /* [MS-VHDX 2.6.2.6.3] R104/R106: the new parent's DataWriteGuid and paths */
    const char *paths[IMG_PL_NPATHS] = { rel, absw, NULL };
    if (rc == VHDX_OK) rc = img_locator_rewrite(child, dw, paths, diag);
    if (rc == VHDX_OK) rc = vhdx_flush(child, diag);
    if (copied) *copied = r.copied;
    return rc;
}

int vhdx_rebase_file(const char *child_path, const char *new_parent_path,
                     const vhdx_rebase_opts *opts, uint64_t *copied, vhdx_diag *diag)
{
    vhdx_rebase_opts def;
    vhdx_open_opts o;
    vhdx_image *child = NULL, *newp = NULL;
    if (copied) *copied = 0;
    if (!child_path || !new_parent_path) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_rebase_opts_default(&def); /* the caller's options over the defaults (ABI) */
    if (opts) ABI_IN(&def, opts);
    opts = &def;
    vhdx_open_opts_default(&o);
    o.limits = opts->limits;
    o.guid_gen = opts->guid_gen;
    /* the new parent first: a chain through the child then fails on the child's lock */
    int rc = vhdx_open_file(&newp, new_parent_path, &o, diag);
    o.flags = VHDX_OPEN_RDWR | VHDX_OPEN_NO_PARENT;
    if (rc == VHDX_OK) rc = vhdx_open_file(&child, child_path, &o, diag);
    /* the old parent only when the parents are to be compared */
    if (rc == VHDX_OK && child->geo.has_parent && !(opts->flags & VHDX_REBASE_UNSAFE)) {
        if (!img_parent_linked(child, &newp->hdr[newp->cur].data_write_guid)) {
            (void)vhdx_close(child);
            child = NULL;
            o.flags = VHDX_OPEN_RDWR;
            o.parent_path = opts->old_parent_path;
            rc = vhdx_open_file(&child, child_path, &o, diag);
        }
    }
    /* no host hole queries in the walk (see vhdx_commit_file) */
    if (rc == VHDX_OK) child->io->data_status = NULL;
    if (rc == VHDX_OK) rc = vhdx_rebase(child, newp, new_parent_path, opts, copied, diag);
    if (child) {
        int rc2 = vhdx_close(child);
        if (rc == VHDX_OK && rc2 != VHDX_OK) rc = VHDX_FAIL(diag, rc2, VHDX_NO_OFFSET, "child close");
    }
    if (newp) (void)vhdx_close(newp);
    return rc;
}
