/* SPDX-License-Identifier: Apache-2.0 */
/* image_open.c - open and close: every statically checkable rule that affects reading is
 * validated by the steps of image_open_*.c, in file order, through a findings sink
 * (image_open_state.c). vhdx_open stops at the first fatal finding; vhdx_check
 * (image_check.c) runs the same code with a collecting sink and continues wherever the
 * structure allows it. A parent open (image_parent.c) comes back here through
 * img_open_path. */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

void vhdx_limits_default(vhdx_limits *l)
{
    if (!l) return;
    l->max_bat_memory = 64 * MiB;
    l->max_metadata_item = MiB;
    l->max_log_length = GiB;
    l->max_overlay_memory = 256 * MiB;
    l->max_chain_depth = 16;
}

void vhdx_open_opts_default(vhdx_open_opts *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    vhdx_limits_default(&o->limits);
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
    free(img->rt);
    free(img->md);
    free(img->locator);
    free(img->path);
    if (img->own_io) {
        vhdx_io_destroy(img->io);
        if (img->own_io == 2) free(img->io);
    }
    free(img);
}

static void io_release(vhdx_io *io, int own_io)
{
    if (!own_io || !io) return;
    vhdx_io_destroy(io);
    if (own_io == 2) free(io);
}

/* A new image with the caller's options; takes the io (own_io) also on failure. */
static int img_alloc(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                     const char *path, vhdx_diag *diag)
{
    vhdx_image *img = calloc(1, sizeof *img);
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
        img->path = malloc(n + 1);
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
    vhdx_open_opts dflt;
    if (!opts) {
        vhdx_open_opts_default(&dflt);
        opts = &dflt;
    }
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
    vhdx_io *io = malloc(sizeof *io);
    if (!io) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    int mode = (opts && (opts->flags & VHDX_OPEN_RDWR)) ? VHDX_IO_RDWR : VHDX_IO_READ;
    int rc = vhdx_io_file_open(io, path, mode);
    if (rc != VHDX_OK) {
        free(io);
        vhdx_diag_set(diag, rc, VHDX_NO_OFFSET, NULL, __FILE__, __LINE__);
        if (diag && diag->code == rc) snprintf(diag->detail, sizeof diag->detail, "%s", path);
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
