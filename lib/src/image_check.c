/* SPDX-License-Identifier: Apache-2.0 */
/* image_check.c - vhdx_check: the validators of open run with a collecting sink, so every
 * finding is recorded (not only the first); never writes. */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

void(vhdx_check_opts_default)(vhdx_check_opts *o)
{
    if (!o) return;
    vhdx_check_opts full;
    memset(&full, 0, sizeof full);
    full.struct_size = (uint32_t)sizeof full;
    vhdx_limits_default(&full.limits);
    full.max_findings = 1000;
    ABI_OUT(o, &full);
}

typedef struct check_sink {
    vhdx_sink sink;
    vhdx_report *r;
    size_t cap, max;
    int nomem;
    int io_error;
} check_sink;

static int check_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                        const char *detail, const char *src_file, int src_line)
{
    check_sink *cs = s->ctx;
    vhdx_report *r = cs->r;
    (void)src_file;
    (void)src_line;
    if (code == VHDX_OK) return VHDX_OK;
    vhdx_severity sev = vhdx_status_severity(code);
    if (sev == VHDX_SEV_ERROR) r->errors++;
    else if (sev == VHDX_SEV_WARNING) r->warnings++;
    else r->infos++;
    if (code == VHDX_E_IO) cs->io_error = 1;
    if (code == VHDX_E_NOMEM) cs->nomem = 1;
    if (r->count >= cs->max) {
        r->dropped++;
        return VHDX_OK;
    }
    if (r->count == cs->cap) {
        size_t ncap = cs->cap ? cs->cap * 2 : 16;
        if (ncap > cs->max) ncap = cs->max;
        vhdx_finding *f = vhdx_realloc(r->findings, ncap * sizeof *f);
        if (!f) {
            cs->nomem = 1;
            r->dropped++;
            return VHDX_OK;
        }
        r->findings = f;
        cs->cap = ncap;
    }
    vhdx_finding *f = &r->findings[r->count++];
    memset(f, 0, sizeof *f);
    f->code = code;
    f->severity = sev;
    f->offset = offset;
    f->field = field;
    if (detail) snprintf(f->detail, sizeof f->detail, "%s", detail);
    return VHDX_OK;
}

void vhdx_report_free(vhdx_report *r)
{
    if (!r) return;
    vhdx_free(r->findings);
    vhdx_free(r);
}

/* What an image that opened adds to its report: the host limit a writer's replay would hit,
 * and the info block. Closes img. */
static void check_opened(vhdx_image *img, vhdx_report *r, vhdx_sink *sink)
{
    r->opened = 1;
    /* a writer replays this log: the host must let the file grow that far */
    if (img->log_replayed == 1 && img->file_size > IMG_MAX_FILE_SIZE) {
        char d[96];
        snprintf(d, sizeof d, "a replay must extend the file to %llu bytes",
                 (unsigned long long)img->file_size);
        (void)VHDX_REPORTF(sink, VHDX_E_LIMIT_FILE_SIZE, img->hdr[img->cur].log_offset,
                           "log entry LastFileOffset", d);
    }
    if (vhdx_get_info(img, r->info) == VHDX_OK) {
        r->info_valid = 1;
        r->info_parts = VHDX_INFO_ALL;
    }
    (void)vhdx_close(img);
}

int vhdx_check(vhdx_io *io, const char *path_for_parent, const vhdx_check_opts *opts,
               vhdx_report **out)
{
    if (out) *out = NULL;
    if (!io || !out || !io->read_at || !io->get_size) return VHDX_E_MISUSE;
    vhdx_check_opts full; /* the caller's options over the defaults (ABI: struct_size) */
    vhdx_check_opts_default(&full);
    if (opts) ABI_IN(&full, opts);
    opts = &full;
    /* the report and its info in one allocation (vhdx_report_free frees both) */
    struct report_block {
        vhdx_report r;
        vhdx_info info;
    } *blk = vhdx_calloc(1, sizeof *blk);
    if (!blk) return VHDX_E_NOMEM;
    vhdx_report *r = &blk->r;
    r->struct_size = (uint32_t)sizeof *r;
    r->info = &blk->info;
    r->info->struct_size = (uint32_t)sizeof *r->info;
    check_sink cs;
    memset(&cs, 0, sizeof cs);
    cs.sink.report = check_report;
    cs.sink.ctx = &cs;
    cs.r = r;
    cs.max = opts->max_findings ? opts->max_findings : 1000;

    /* Can the file be examined at all? (I/O, shorter than the file identifier, not
     * "vhdxfile": the verdict is "unreadable") */
    uint64_t size = 0;
    int rc = io->get_size(io->ctx, &size);
    if (rc != VHDX_OK) {
        (void)VHDX_REPORT(&cs.sink, rc, VHDX_NO_OFFSET, "file size");
        r->verdict = VHDX_VERDICT_UNREADABLE;
        goto done;
    }
    if (size < VHDX_FILEID_SIZE) {
        (void)VHDX_REPORT(&cs.sink, VHDX_E_TOO_SMALL, size, "file size");
        r->verdict = VHDX_VERDICT_UNREADABLE;
        goto done;
    }
    uint8_t sig[8];
    rc = io->read_at(io->ctx, 0, sig, sizeof sig);
    if (rc != VHDX_OK) {
        (void)VHDX_REPORT(&cs.sink, rc, 0, "FileTypeIdentifier");
        r->verdict = VHDX_VERDICT_UNREADABLE;
        goto done;
    }
    if (memcmp(sig, "vhdxfile", 8) != 0) {
        (void)VHDX_REPORT(&cs.sink, VHDX_E_FILEID_SIGNATURE, 0, "FileTypeIdentifier.Signature");
        r->verdict = VHDX_VERDICT_UNREADABLE;
        goto done;
    }

    vhdx_open_opts oo;
    vhdx_open_opts_default(&oo);
    oo.limits = opts->limits;
    oo.flags = opts->flags & (VHDX_OPEN_IGNORE_LINKAGE | VHDX_OPEN_NO_PARENT | VHDX_OPEN_NO_LOCK);
    oo.parent_path = opts->parent_path;
    img_open_hooks hooks = { .progress = opts->progress, .progress_ctx = opts->progress_ctx };
    vhdx_image *img = NULL;
    rc = img_open_ex(&img, io, 0, &oo, path_for_parent, &cs.sink, &hooks, NULL);
    if (rc == VHDX_OK && img) {
        check_opened(img, r, &cs.sink);
    } else {
        r->info_parts = img_probe(io, r->info); /* what can still be decoded, for triage */
    }
    if (cs.io_error) r->verdict = VHDX_VERDICT_UNREADABLE;
    else r->verdict = r->errors ? VHDX_VERDICT_NONCONFORMANT : VHDX_VERDICT_CONFORMANT;
done:
    /* a check that ran out of memory has no verdict (its findings may be incomplete) */
    if (cs.nomem || rc == VHDX_E_NOMEM) {
        vhdx_report_free(r);
        return VHDX_E_NOMEM;
    }
    *out = r;
    return VHDX_OK;
}
