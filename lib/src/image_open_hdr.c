/* SPDX-License-Identifier: Apache-2.0 */
/* image_open_hdr.c - open steps for the file identifier (2.2.1), the headers (2.2.2) and the
 * log (2.3): header selection, the header's log fields checked once with their offsets, and
 * the replay (image_logscan.c) before anything else is read (R58). */
#include <stdio.h>

#include "image.h"

/* ---- file identifier (2.2.1) ---- */

int img_step_fileid(img_open_state *os)
{
    vhdx_image *img = os->img;
    int rc = img->io->get_size(img->io->ctx, &img->file_size);
    if (rc != VHDX_OK) return OS_STOP(os, rc, VHDX_NO_OFFSET, "file size", NULL);
    /* D2: the header section alone is 1 MiB */
    if (img->file_size < VHDX_HEADER_SECTION)
        return OS_STOP(os, VHDX_E_TOO_SMALL, img->file_size, "file size", NULL);
    uint8_t buf[FILEID_DEFINED];
    rc = img_os_read(os, VHDX_FILEID_OFFSET, buf, sizeof buf, "FileTypeIdentifier");
    if (rc != VHDX_OK) return rc;
    rc = fmt_fileid_decode(buf, sizeof buf, &img->fileid);
    if (rc != VHDX_OK) return OS_STOP(os, rc, 0, "FileTypeIdentifier", NULL);
    rc = fmt_fileid_validate(&img->fileid, &os->sink, VHDX_FILEID_OFFSET);
    if (rc != VHDX_OK) return rc;
    /* [MS-VHDX 2.2.1] R4/R7: not a VHDX file: nothing else can be interpreted */
    if (memcmp(img->fileid.signature, "vhdxfile", 8) != 0)
        return OS_STOP(os, VHDX_E_FILEID_SIGNATURE, 0, "file_identifier.Signature", NULL);
    return VHDX_OK;
}

/* ---- headers (2.2.2) ---- */

static const char *header_defect(const uint8_t *raw)
{
    return vhdx_le32(raw) != VHDX_SIG_HEAD ? "signature is not \"head\"" : "CRC-32C mismatch";
}

static const uint64_t hdr_base[2] = { VHDX_HEADER1_OFFSET, VHDX_HEADER2_OFFSET };
static const char *const hdr_names[2] = { "header[0]", "header[1]" };

/* Reads both headers and selects the current one (2.2.2.1). */
static int hdr_select(img_open_state *os, int valid[2], int *identical)
{
    vhdx_image *img = os->img;
    int rc, cur = 0;
    for (int i = 0; i < 2; i++) {
        rc = img_os_read(os, hdr_base[i], img->hdr_raw[i], VHDX_HEADER_SIZE, hdr_names[i]);
        if (rc != VHDX_OK) return rc;
    }
    rc = fmt_header_select(img->hdr_raw[0], img->hdr_raw[1], &cur, valid, identical);
    img->hdr_valid[0] = valid[0];
    img->hdr_valid[1] = valid[1];
    if (rc == VHDX_E_NO_VALID_HEADER) {
        char d[160];
        snprintf(d, sizeof d, "header 1: %s; header 2: %s", header_defect(img->hdr_raw[0]),
                 header_defect(img->hdr_raw[1]));
        /* [MS-VHDX 2.2.2] R11: no current header: the file is corrupt */
        return OS_STOP(os, rc, VHDX_HEADER1_OFFSET, "header", d);
    }
    if (rc == VHDX_E_HEADER_SEQ_EQUAL)
        return OS_STOP(os, rc, VHDX_HEADER2_OFFSET + HDR_OFF_SEQUENCE, "header[1].SequenceNumber",
                       NULL);
    if (rc != VHDX_OK) return OS_STOP(os, rc, VHDX_HEADER1_OFFSET, "header", NULL);
    for (int i = 0; i < 2; i++) {
        if (!valid[i]) continue;
        rc = fmt_header_decode(img->hdr_raw[i], VHDX_HEADER_SIZE, &img->hdr[i]);
        if (rc != VHDX_OK) return OS_STOP(os, rc, hdr_base[i], hdr_names[i], NULL);
    }
    img->cur = cur;
    img->headers_identical = *identical;
    return VHDX_OK;
}

/* Tolerated deviations between the two copies. */
static int hdr_copies(img_open_state *os, const int valid[2], int identical)
{
    vhdx_image *img = os->img;
    int rc, cur = img->cur;
    if (identical) {
        rc = OS_NOTE(os, VHDX_W_HEADERS_IDENTICAL, VHDX_HEADER1_OFFSET + HDR_OFF_SEQUENCE,
                     "header.SequenceNumber", NULL);
        if (rc != VHDX_OK) return rc;
    }
    for (int i = 0; i < 2; i++) {
        if (valid[i]) continue;
        /* a torn header write must not make the image unreadable: tolerated */
        rc = OS_NOTE(os, VHDX_W_HEADER_INVALID_COPY, hdr_base[i], hdr_names[i],
                     header_defect(img->hdr_raw[i]));
        if (rc != VHDX_OK) return rc;
    }
    if (valid[0] && valid[1] && !identical &&
        (memcmp(img->hdr_raw[0] + HDR_OFF_FILE_WRITE_GUID, img->hdr_raw[1] + HDR_OFF_FILE_WRITE_GUID,
                VHDX_HEADER_SIZE - HDR_OFF_FILE_WRITE_GUID) != 0))
        return OS_NOTE(os, VHDX_W_HEADER_FIELDS_DIFFER, hdr_base[1 - cur], hdr_names[1 - cur], NULL);
    return VHDX_OK;
}

/* The log location: R17/R18 are reported by the header validator; an unusable location is
 * fatal only when the log must be read (LogGuid set), otherwise it is left out of the
 * overlap checks (os->log_len 0). */
static int hdr_log_location(img_open_state *os, const fmt_header *h, uint64_t hb, int log_guid_set)
{
    uint64_t lo = h->log_offset, ll = h->log_length;
    os->log_off = 0;
    os->log_len = 0;
    if (ll == 0) return VHDX_OK;
    if (ll % MiB != 0)
        return log_guid_set ? OS_STOP(os, VHDX_E_HEADER_LOG_LENGTH, hb + HDR_OFF_LOG_LENGTH,
                                      "header.LogLength", NULL)
                            : VHDX_OK;
    if (lo % MiB != 0 || lo < VHDX_HEADER_SECTION)
        return log_guid_set ? OS_STOP(os, VHDX_E_HEADER_LOG_OFFSET, hb + HDR_OFF_LOG_OFFSET,
                                      "header.LogOffset", NULL)
                            : VHDX_OK;
    if (!vhdx_range_ok(lo, ll, os->img->file_size)) {
        /* D3: the log lies (partly) beyond the end of the file */
        if (log_guid_set)
            return OS_STOP(os, VHDX_E_LOG_OUTSIDE_FILE, hb + HDR_OFF_LOG_OFFSET, "header.LogOffset",
                           NULL);
        int rc = OS_NOTE(os, VHDX_E_LOG_OUTSIDE_FILE, hb + HDR_OFF_LOG_OFFSET, "header.LogOffset",
                         NULL);
        if (rc != VHDX_OK) return rc;
        if (lo >= ((uint64_t)1 << 62)) return VHDX_OK;
    }
    os->log_off = lo;
    os->log_len = ll;
    return VHDX_OK;
}

int img_step_headers(img_open_state *os)
{
    vhdx_image *img = os->img;
    int valid[2] = { 0, 0 }, identical = 0;
    int rc = hdr_select(os, valid, &identical);
    if (rc == VHDX_OK) rc = hdr_copies(os, valid, identical);
    if (rc != VHDX_OK) return rc;

    const fmt_header *h = &img->hdr[img->cur];
    uint64_t hb = hdr_base[img->cur];
    os->hdr_base = hb;
    rc = fmt_header_validate(h, img->hdr_raw[img->cur], &os->sink, hb);
    if (rc != VHDX_OK) return rc;
    int log_guid_set = !vhdx_guid_is_zero(&h->log_guid);
    /* [MS-VHDX 2.2.2] R16: another version must not be processed with these rules */
    if (h->version != 1)
        return OS_STOP(os, VHDX_E_HEADER_VERSION, hb + HDR_OFF_VERSION, "header.Version", NULL);
    /* R15: LogVersion != 0 stops us only when there is a log to interpret */
    if (h->log_version != 0 && log_guid_set)
        return OS_STOP(os, VHDX_E_HEADER_LOG_VERSION, hb + HDR_OFF_LOG_VERSION, "header.LogVersion",
                       NULL);
    /* R14: a log GUID without a log */
    if (log_guid_set && h->log_length == 0)
        return OS_STOP(os, VHDX_E_LOG_GUID_NO_LOG, hb + HDR_OFF_LOG_GUID, "header.LogGuid", NULL);
    return hdr_log_location(os, h, hb, log_guid_set);
}

/* ---- log (2.3): replay before anything else is read (R58) ---- */

int img_step_log(img_open_state *os)
{
    vhdx_image *img = os->img;
    const fmt_header *h = &img->hdr[img->cur];
    /* A writer may leave its log dirty (a crash mid-write), and a dirty log longer than
     * limits.max_log_length is refused by every open: so a writer refuses such a log up
     * front, clean or not, rather than strand the image (reads of a clean log still work). */
    if (img->writable && h->log_length > img->limits.max_log_length)
        return OS_STOP(os, VHDX_E_LIMIT_LOG, os->hdr_base + HDR_OFF_LOG_LENGTH, "header.LogLength",
                       "a writer could leave this log dirty, and no open could replay it");
    if (vhdx_guid_is_zero(&h->log_guid)) return VHDX_OK;
    img->log_dirty_at_open = 1;
    int rc = OS_NOTE(os, VHDX_I_LOG_DIRTY, os->hdr_base + HDR_OFF_LOG_GUID, "header.LogGuid", NULL);
    if (rc != VHDX_OK) return rc;
    /* R59: a caller that does not want replay gets a refusal, never stale data */
    if (img->flags & VHDX_OPEN_NO_REPLAY)
        return OS_STOP(os, VHDX_E_LOG_REPLAY_REQUIRED, os->hdr_base + HDR_OFF_LOG_GUID,
                       "header.LogGuid", NULL);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    rc = img_log_replay(img, &d);
    if (rc != VHDX_OK) return img_os_stop_diag(os, rc, &d, __FILE__, __LINE__);
    /* the replay may have rewritten the headers (read-write) */
    os->hdr_base = img->cur ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET;
    return VHDX_OK;
}

