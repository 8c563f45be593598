/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_commit.c - vhdx_commit: merging a differencing image into its parent.
 *
 * The child's allocation map (vhdx_extent_at: BAT states and sector bitmap runs, no payload
 * reads) says which virtual bytes the child defines itself (depth 0, state DATA or ZERO);
 * exactly those are written into the parent through the ordinary write path (vhdx_write,
 * vhdx_write_zeroes), so every parent change is as crash safe as any write: payload first,
 * BAT and sector bitmap changes through the log. The child is only read, then re-linked to
 * the parent's new DataWriteGuid when it is writable. A crash leaves the parent with each
 * byte old or new and the child unchanged (or re-linked): running the commit again
 * finishes it, as the child still holds everything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api_abi.h"
#include "image.h"

#define COMMIT_CHUNK (4u * 1024u * 1024u)
#define COMMIT_PATH_MAX 4096u
#define COMMIT_PRECHECK 0x80000000u /* commit_check on a read-only parent (before writing) */

void(vhdx_commit_opts_default)(vhdx_commit_opts *o)
{
    if (!o) return;
    vhdx_commit_opts full;
    memset(&full, 0, sizeof full);
    full.struct_size = (uint32_t)sizeof full;
    vhdx_limits_default(&full.limits);
    ABI_OUT(o, &full);
}

static int commit_check(vhdx_image *child, vhdx_image *parent, unsigned flags, vhdx_diag *diag)
{
    if (!child->geo.has_parent)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "child (not a differencing image)");
    if (!parent->writable && !(flags & COMMIT_PRECHECK)) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, "parent");
    if (child == parent || child->parent == parent)
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "parent");
    /* [MS-VHDX 2.6.2.6.3] R105: the parent the child was made over */
    if (!(flags & VHDX_COMMIT_IGNORE_LINKAGE) && 
        !img_parent_linked(child, &parent->hdr[parent->cur].data_write_guid))
        return VHDX_FAIL(diag, VHDX_E_PL_LINKAGE_MISMATCH, VHDX_NO_OFFSET, "parent_linkage");
    /* [MS-VHDX 2.6.2.4] R96 */
    if (child->geo.logical_sector_size != parent->geo.logical_sector_size)
        return VHDX_FAIL(diag, VHDX_E_PARENT_SECTOR_SIZE, VHDX_NO_OFFSET, "LogicalSectorSize");
    if (child->geo.virtual_size != parent->geo.virtual_size) {
        int rc = VHDX_FAIL(diag, VHDX_E_UNSUPPORTED, VHDX_NO_OFFSET, "VirtualDiskSize");
        if (diag && diag->code == rc)
            strcpy(diag->detail, "the parent's virtual size differs from the child's");
        return rc;
    }
    return VHDX_OK;
}

/* The copy buffer: grown to what the largest extent so far needs (at most COMMIT_CHUNK),
 * so a child with a few small extents takes a small block from the allocator's pools. */
typedef struct commit_buf {
    uint8_t *p;
    size_t cap;
} commit_buf;

static int commit_buf_need(commit_buf *b, size_t n, vhdx_diag *diag)
{
    if (n <= b->cap) return VHDX_OK;
    vhdx_free(b->p);
    b->p = vhdx_malloc(n);
    b->cap = b->p ? n : 0;
    return b->p ? VHDX_OK : VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "commit");
}

/* Child bytes [off, off+n) into the parent, in chunks. */
static int copy_data(vhdx_image *child, vhdx_image *parent, commit_buf *buf, uint64_t off,
                     uint64_t n, vhdx_diag *diag)
{
    int rc = commit_buf_need(buf, n < COMMIT_CHUNK ? (size_t)n : COMMIT_CHUNK, diag);
    while (n > 0 && rc == VHDX_OK) {
        size_t c = n < COMMIT_CHUNK ? (size_t)n : COMMIT_CHUNK;
        rc = vhdx_read(child, off, buf->p, c, diag);
        if (rc == VHDX_OK) rc = vhdx_write(parent, off, buf->p, c, diag);
        off += c;
        n -= c;
    }
    return rc;
}

int vhdx_commit(vhdx_image *child, vhdx_image *parent, const vhdx_commit_opts *opts,
                uint64_t *moved, vhdx_diag *diag)
{
    vhdx_commit_opts def;
    if (moved) *moved = 0;
    if (!child || !parent) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_commit_opts_default(&def); /* the caller's options over the defaults (ABI) */
    if (opts) ABI_IN(&def, opts);
    opts = &def;
    int rc = commit_check(child, parent, opts->flags, diag);
    if (rc != VHDX_OK) return rc;
    commit_buf buf = { NULL, 0 };
    const uint64_t vs = child->geo.virtual_size;
    uint64_t off = 0, done = 0;
    while (off < vs && rc == VHDX_OK) {
        vhdx_extent x;
        rc = vhdx_extent_at(child, off, vs - off, &x, diag);
        if (rc != VHDX_OK) break;
        int mine = x.depth == 0 && (x.state == VHDX_EXTENT_DATA || x.state == VHDX_EXTENT_ZERO);
        if (mine && x.zero) rc = vhdx_write_zeroes(parent, off, x.length, diag);
        else if (mine) rc = copy_data(child, parent, &buf, off, x.length, diag);
        if (mine) done += x.length;
        off += x.length;
        if (opts->progress) opts->progress(opts->progress_ctx, off, vs);
    }
    vhdx_free(buf.p);
    if (rc == VHDX_OK) rc = vhdx_flush(parent, diag);
    /* the child still reads as before over the changed parent: link it to the new data */
    const vhdx_guid *dw = &parent->hdr[parent->cur].data_write_guid;
    if (rc == VHDX_OK && child->writable && !(child->ploc.have_linkage && !child->ploc.have_linkage2 &&
                                              vhdx_guid_equal(dw, &child->ploc.linkage)))
        rc = img_locator_rewrite(child, dw, NULL, diag);
    if (rc == VHDX_OK && child->writable) rc = vhdx_flush(child, diag);
    if (moved) *moved = done;
    return rc;
}

/* fsync of the directory holding path, after the child was unlinked. */
static void sync_dir(const char *path)
{
    char dir[COMMIT_PATH_MAX];
    if (img_abs_dir_of(path, dir, sizeof dir) != VHDX_OK) return;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
}

int vhdx_commit_file(const char *child_path, const vhdx_commit_opts *opts, uint64_t *moved,
                     vhdx_diag *diag)
{
    vhdx_commit_opts def;
    vhdx_open_opts o;
    vhdx_image *child = NULL, *parent = NULL;
    char ppath[COMMIT_PATH_MAX];
    if (moved) *moved = 0;
    if (!child_path) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_commit_opts_default(&def); /* the caller's options over the defaults (ABI) */
    if (opts) ABI_IN(&def, opts);
    opts = &def;
    const int remove = (opts->flags & VHDX_COMMIT_REMOVE) != 0;
    vhdx_open_opts_default(&o);
    o.limits = opts->limits;
    o.guid_gen = opts->guid_gen;
    o.flags = VHDX_OPEN_NO_PARENT | (remove ? 0 : VHDX_OPEN_RDWR);
    int rc = vhdx_open_file(&child, child_path, &o, diag);
    if (rc != VHDX_OK) return rc;
    /* the walk needs no host holes (they read as zeros and are copied as such): without
     * this query a tmpfs child costs no scan to its next hole per extent */
    child->io->data_status = NULL;
    if (!child->geo.has_parent)
        rc = VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "child (not a differencing image)");
    else if (opts->parent_path && strlen(opts->parent_path) < sizeof ppath)
        strcpy(ppath, opts->parent_path);
    else if (opts->parent_path)
        rc = VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent_path");
    else
        rc = img_parent_path(child, ppath, sizeof ppath, diag);
    /* a refusal leaves the parent untouched: checked over a read-only open first (a
     * read-write open already updates the headers) */
    if (rc == VHDX_OK) {
        o.flags = VHDX_OPEN_NO_PARENT;
        rc = vhdx_open_file(&parent, ppath, &o, diag);
        if (rc == VHDX_OK) rc = commit_check(child, parent, opts->flags | COMMIT_PRECHECK, diag);
        if (parent) (void)vhdx_close(parent);
        parent = NULL;
    }
    if (rc == VHDX_OK) {
        o.flags = VHDX_OPEN_RDWR;
        rc = vhdx_open_file(&parent, ppath, &o, diag);
    }
    if (rc == VHDX_OK) rc = vhdx_commit(child, parent, opts, moved, diag);
    if (parent) {
        int rc2 = vhdx_close(parent);
        if (rc == VHDX_OK && rc2 != VHDX_OK) rc = VHDX_FAIL(diag, rc2, VHDX_NO_OFFSET, "parent close");
    }
    int rc3 = vhdx_close(child);
    if (rc == VHDX_OK && rc3 != VHDX_OK) rc = VHDX_FAIL(diag, rc3, VHDX_NO_OFFSET, "child close");
    if (rc == VHDX_OK && remove) {
        if (unlink(child_path) != 0)
            return img_io_fail(diag, VHDX_E_IO, VHDX_NO_OFFSET, "child (remove)", errno);
        sync_dir(child_path);
    }
    return rc;
}
