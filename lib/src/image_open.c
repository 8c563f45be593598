/* SPDX-License-Identifier: Apache-2.0 */
/* image_open.c - open and close: every statically checkable rule that affects reading is
 * validated by the steps of image_open_*.c, in file order, through a findings sink
 * (image_open_state.c). vhdx_open stops at the first fatal finding; vhdx_check
 * (image_check.c) runs the same code with a collecting sink and continues wherever the
 * structure allows it. A parent open (image_parent.c) comes back here through
 * img_open_path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <sys/stat.h>

#include "image.h"

void vhdx_limits_default(vhdx_limits *l)
{
    if (!l) return;
    memset(l, 0, sizeof *l); /* a fixed record: reserved members zero */
    l->max_bat_memory = 64 * MiB;
    l->max_metadata_item = MiB;
    l->max_log_length = GiB;
    l->max_overlay_memory = 256 * MiB;
    l->max_chain_depth = 16;
}

void(vhdx_open_opts_default)(vhdx_open_opts *o)
{
    if (!o) return;
    vhdx_open_opts full;
    memset(&full, 0, sizeof full);
    full.struct_size = (uint32_t)sizeof full;
    vhdx_limits_default(&full.limits);
    ABI_OUT(o, &full);
}

/* ---- open / close ---- */

void img_free(vhdx_image *img)
{
    if (!img) return;
    (void)img_log_finish(img, NULL);
    img_write_batch_free(img);
    img_overlay_free(img);
    img_log_replay_free(img);
    img_free(img->parent);
    img_bat_cache_free(img);
    vhdx_free(img->rt);
    vhdx_free(img->md);
    vhdx_free(img->locator);
    vhdx_free(img->path);
    if (img->own_io) {
        vhdx_io_destroy(img->io);
        if (img->own_io == 2) vhdx_free(img->io);
    }
    vhdx_free(img);
}

static void io_release(vhdx_io *io, int own_io)
{
    if (!own_io || !io) return;
    vhdx_io_destroy(io);
    if (own_io == 2) vhdx_free(io);
}

/* A new image with the caller's options; takes the io (own_io) also on failure. */
static int img_alloc(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                     const char *path, vhdx_diag *diag)
{
    vhdx_image *img = vhdx_calloc(1, sizeof *img);
    if (!img) {
        io_release(io, own_io);
        return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    }
    img->io = io;
    img->own_io = own_io;
    img->flags = opts->flags;
    img->limits = opts->limits;
    img->gen = opts->guid_gen ? opts->guid_gen : vhdx_guid_gen_default();
    img->parent_path_opt = opts->parent_path;
    img->chain_depth = 1;
    img->writable = (opts->flags & VHDX_OPEN_RDWR) ? 1 : 0;
    if (img->writable && (!io->write_at || !io->flush)) {
        img_free(img);
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "io");
    }
    if (path) {
        size_t n = strlen(path);
        img->path = vhdx_malloc(n + 1);
        if (!img->path) {
            img_free(img);
            return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
        }
        memcpy(img->path, path, n + 1);
    }
    *out = img;
    return VHDX_OK;
}

/* What follows validation: BAT cache, parent chain, and (R20) the writable open's header
 * update before anything else is modified (FileWriteGuid only; DataWriteGuid waits for the
 * first write). Failures become findings. */
static int open_finish(img_open_state *os)
{
    vhdx_image *img = os->img;
    vhdx_diag d;
    int rc = img_bat_cache_init(img);
    if (rc != VHDX_OK) return OS_STOP(os, rc, VHDX_NO_OFFSET, "BAT cache", NULL);
    vhdx_diag_clear(&d);
    if (img->geo.has_parent) {
        rc = img_parent_open(img, &d);
        if (rc != VHDX_OK) return img_os_stop_diag(os, rc, &d, __FILE__, __LINE__);
        /* D15: an ancestor with a pending log; replayed here in memory, but readers that
         * do not replay a parent's log (libvhdi, 7-Zip) read stale data through the chain */
        for (const vhdx_image *p = img->parent; p; p = p->parent) {
            if (!p->log_dirty_at_open) continue;
            rc = OS_NOTE(os, VHDX_W_PARENT_LOG_PENDING, VHDX_NO_OFFSET, "parent LogGuid",
                         p->path ? p->path : "");
            if (rc != VHDX_OK) return rc;
            break;
        }
    }
    if (img->writable) {
        vhdx_diag_clear(&d);
        rc = img_begin_modify(img, 0, &d);
        if (rc != VHDX_OK) return img_os_stop_diag(os, rc, &d, __FILE__, __LINE__);
    }
    return VHDX_OK;
}

int img_open_ex(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                const char *path, vhdx_sink *sink, const img_open_hooks *hooks, vhdx_diag *diag)
{
    if (out) *out = NULL;
    if (!out || !io || !io->read_at || !io->get_size) {
        io_release(io, own_io);
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    }
    vhdx_open_opts full; /* the caller's options over the defaults (ABI: struct_size) */
    vhdx_open_opts_default(&full);
    if (opts) ABI_IN(&full, opts);
    opts = &full;
    vhdx_image *img = NULL;
    int rc = img_alloc(&img, io, own_io, opts, path, diag);
    if (rc != VHDX_OK) return rc;

    img_open_state os;
    img_os_init(&os, img, sink, diag, hooks);
    rc = img_step_fileid(&os);
    if (rc == VHDX_OK) rc = img_step_headers(&os);
    if (rc == VHDX_OK) rc = img_step_log(&os);
    if (rc == VHDX_OK) rc = img_step_regions(&os);
    if (rc == VHDX_OK) rc = img_step_metadata(&os);
    if (rc == VHDX_OK) rc = img_step_bat(&os);
    if (rc == VHDX_OK && os.first_fatal != VHDX_OK) rc = os.first_fatal;
    if (rc == VHDX_OK) rc = open_finish(&os);
    if (rc != VHDX_OK) {
        if (diag && diag->code == VHDX_OK) vhdx_diag_set(diag, rc, VHDX_NO_OFFSET, NULL, __FILE__, __LINE__);
        img_free(img);
        return rc;
    }
    *out = img;
    return VHDX_OK;
}

int img_open_path(vhdx_image **out, const char *path, const vhdx_open_opts *opts,
                  vhdx_sink *sink, const img_open_hooks *hooks, vhdx_diag *diag)
{
    if (out) *out = NULL;
    if (!out || !path) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_io *io = vhdx_malloc(sizeof *io);
    if (!io) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    unsigned fl = opts ? opts->flags : 0;
    if ((fl & VHDX_OPEN_RDWR) && (fl & VHDX_OPEN_NO_LOCK)) {
        vhdx_free(io);
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "VHDX_OPEN_NO_LOCK");
    }
    int mode = (fl & VHDX_OPEN_RDWR) ? VHDX_IO_RDWR : VHDX_IO_READ;
    if (fl & VHDX_OPEN_NO_LOCK) mode |= VHDX_IO_NO_LOCK;
    errno = 0;
    int rc = vhdx_io_file_open(io, path, mode);
    if (rc != VHDX_OK) {
        int e = errno;
        vhdx_free(io);
        vhdx_diag_set(diag, rc, VHDX_NO_OFFSET, NULL, __FILE__, __LINE__);
        if (diag && diag->code == rc) {
            struct stat st;
            memset(&st, 0, sizeof st); /* clang-14 MSan does not intercept glibc >= 2.33 stat */
            if (rc == VHDX_E_FILE_TYPE && stat(path, &st) == 0)
                snprintf(diag->detail, sizeof diag->detail, "%s %s", path,
                         vhdx_file_type_name(st.st_mode));
            else
                snprintf(diag->detail, sizeof diag->detail, "%s", path);
            if (rc == VHDX_E_IO) vhdx_diag_set_errno(diag, rc, e);
        }
        return rc;
    }
    return img_open_ex(out, io, 2, opts, path, sink, hooks, diag);
}

int vhdx_open(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
              vhdx_diag *diag)
{
    return img_open_ex(out, io, own_io ? 1 : 0, opts, NULL, NULL, NULL, diag);
}

int vhdx_open_file(vhdx_image **out, const char *path, const vhdx_open_opts *opts,
                   vhdx_diag *diag)
{
    return img_open_path(out, path, opts, NULL, NULL, diag);
}

int vhdx_close(vhdx_image *img)
{
    if (!img) return VHDX_OK;
    int rc = VHDX_OK;
    if (img->writable) {
        rc = img_log_finish(img, NULL);
        int r2 = img_fflush(img, NULL);
        if (rc == VHDX_OK) rc = r2;
    }
    img_free(img);
    return rc;
}
