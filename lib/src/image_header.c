/* SPDX-License-Identifier: Apache-2.0 */
/* image_header.c - the header update of [MS-VHDX 2.2.2.1] and the session GUID rules
 * (R12, R13, R20-R22). Headers are never written through the log. */
#include "image.h"

static const uint64_t hdr_slot_offset[2] = { VHDX_HEADER1_OFFSET, VHDX_HEADER2_OFFSET };

int img_header_update(vhdx_image *img, unsigned what, const vhdx_guid *new_log_guid,
                      vhdx_diag *diag)
{
    if (!img) return VHDX_E_MISUSE;
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    int cur = img->cur;
    const fmt_header *c = &img->hdr[cur];
    /* Hardening (spec 2.3 note): both passes need seq+1 and seq+2; refuse before writing
     * anything rather than leave a single header that can never be updated again. */
    if (c->sequence_number >= UINT64_MAX - 1)
        return VHDX_FAIL(diag, VHDX_E_HEADER_SEQ_MAX, hdr_slot_offset[cur] + HDR_OFF_SEQUENCE,
                         "header.SequenceNumber");

    vhdx_guid file_guid = c->file_write_guid, data_guid = c->data_write_guid;
    vhdx_guid log_guid = c->log_guid;
    int rc;
    /* [MS-VHDX 2.2.2.1] R21: the first update of a session takes a fresh FileWriteGuid */
    if (!img->session_file_guid_done) {
        rc = vhdx_guid_generate(img->gen, &file_guid);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "FileWriteGuid");
    }
    /* R13/R22: DataWriteGuid changes only when asked (a user-visible change is coming) */
    if (what & IMG_HDR_NEW_DATA_GUID) {
        rc = vhdx_guid_generate(img->gen, &data_guid);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "DataWriteGuid");
    }
    if (what & IMG_HDR_SET_LOG_GUID) {
        if (new_log_guid) log_guid = *new_log_guid;
        else memset(&log_guid, 0, sizeof log_guid);
    }

    /* Twice (R22): after the second pass both slots hold current-session data, so one
     * later torn write still leaves a valid header. */
    for (int pass = 0; pass < 2; pass++) {
        int n = 1 - img->cur;
        fmt_header nh = img->hdr[img->cur]; /* reserved bytes preserved as read */
        nh.sequence_number = img->hdr[img->cur].sequence_number + 1;
        nh.file_write_guid = file_guid;
        nh.data_write_guid = data_guid;
        nh.log_guid = log_guid;
        uint8_t raw[VHDX_HEADER_SIZE];
        /* the checksum is computed over exactly the little-endian bytes written */
        rc = fmt_header_encode(&nh, raw, sizeof raw);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, hdr_slot_offset[n], "header");
        rc = img_pwrite(img, hdr_slot_offset[n], raw, sizeof raw, diag);
        if (rc != VHDX_OK) return rc;
        rc = img_fflush(img, diag);
        if (rc != VHDX_OK) return rc;
        rc = fmt_header_decode(raw, sizeof raw, &img->hdr[n]);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, VHDX_E_INTERNAL, hdr_slot_offset[n], "header");
        memcpy(img->hdr_raw[n], raw, sizeof raw);
        img->hdr_valid[n] = 1;
        img->cur = n;
        img->headers_identical = 0;
        img->session_file_guid_done = 1;
    }
    return VHDX_OK;
}

int img_begin_modify(vhdx_image *img, int user_visible, vhdx_diag *diag)
{
    if (!img) return VHDX_E_MISUSE;
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    int need_data = user_visible && !img->session_data_guid_done;
    if (img->session_file_guid_done && !need_data) return VHDX_OK;
    int rc = img_header_update(img, need_data ? IMG_HDR_NEW_DATA_GUID : 0, NULL, diag);
    if (rc != VHDX_OK) return rc;
    if (need_data) img->session_data_guid_done = 1;
    return VHDX_OK;
}

int img_header_set_log(vhdx_image *img, uint64_t log_offset, uint32_t log_length,
                       vhdx_diag *diag)
{
    if (!img) return VHDX_E_MISUSE;
    fmt_header saved = img->hdr[img->cur];
    /* the update copies the current header: give it the new log fields */
    img->hdr[img->cur].log_offset = log_offset;
    img->hdr[img->cur].log_length = log_length;
    int rc = img_header_update(img, 0, NULL, diag);
    if (rc != VHDX_OK && img->hdr[img->cur].sequence_number == saved.sequence_number)
        img->hdr[img->cur] = saved;
    return rc;
}
