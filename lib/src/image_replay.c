/* SPDX-License-Identifier: Apache-2.0 */
/* image_replay.c - vhdx_replay_file: replays a dirty log in place, leaves a clean image
 * untouched. */
#include "image.h"

int vhdx_replay_file(const char *path, uint64_t *replayed, vhdx_diag *diag)
{
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    int rc, dirty;

    if (replayed) *replayed = 0;
    if (!path) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_NO_PARENT | VHDX_OPEN_IGNORE_LINKAGE;
    /* a clean image is left untouched (a writable open would refresh FileWriteGuid) */
    rc = vhdx_open_file(&img, path, &o, diag);
    if (rc != VHDX_OK) return rc;
    dirty = img->log_dirty_at_open;
    (void)vhdx_close(img);
    img = NULL;
    if (!dirty) return VHDX_OK;
    o.flags |= VHDX_OPEN_RDWR;
    rc = vhdx_open_file(&img, path, &o, diag);
    if (rc != VHDX_OK) return rc;
    if (replayed) *replayed = img->log_entries_replayed;
    return vhdx_close(img);
}
