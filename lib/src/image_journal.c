/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_journal.c - journaled metadata updates for the write path (MS-VHDX 2.3).
 *
 * Writer design (why it looks the way it does):
 * - Every img_log_write is ONE entry whose Tail points at itself: the entry is written,
 *   flushed, applied in place and flushed again before the call returns, so no earlier
 *   entry is ever needed for replay. A torn entry therefore leaves the previous entry as
 *   the active sequence, and replaying that again is idempotent.
 * - A new entry is never placed over the most recent entry of the session; when it would
 *   be, the session is closed first (LogGuid cleared) and a new one started at ring
 *   offset 0 with a fresh LogGuid.
 * - At the start of a session the entry is written and flushed BEFORE the header carrying
 *   the new LogGuid: a header with a non-zero LogGuid and no valid entry is unopenable
 *   (R61), so the reverse order would turn a crash between the two steps into a corrupt
 *   file. The current LogGuid is zero at that time (clean image or replay just cleared
 *   it), so no valid entry is overwritten, which is what R14 protects.
 */
#include <stdlib.h>
#include <string.h>

#include "image.h"

int img_log_finish(vhdx_image *img, vhdx_diag *diag)
{
    img_journal *jr = &img->jr;
    int rc;
    if (!jr->session || !img->writable) return VHDX_OK;
    jr->session = 0;
    if (jr->failed) return VHDX_OK; /* leave LogGuid set: the next open replays */
    rc = img_fflush(img, diag);
    if (rc == VHDX_OK) rc = img_header_update(img, IMG_HDR_SET_LOG_GUID, NULL, diag);
    return rc;
}

static int guid_nonzero(vhdx_image *img, vhdx_guid *g, vhdx_diag *diag)
{
    const vhdx_guid_gen *gen = img->gen ? img->gen : vhdx_guid_gen_default();
    int i, rc;
    for (i = 0; i < 8; i++) {
        rc = vhdx_guid_generate(gen, g);
        if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "LogGuid");
        if (!vhdx_guid_is_zero(g)) return VHDX_OK;
    }
    return VHDX_FAIL(diag, VHDX_E_INTERNAL, VHDX_NO_OFFSET, "LogGuid");
}

static int ring_write(vhdx_image *img, uint64_t log_off, uint32_t log_len, uint32_t pos,
                      const uint8_t *buf, size_t len, vhdx_diag *diag)
{
    while (len > 0) {
        size_t n = len;
        int rc;
        if ((uint64_t)pos + n > log_len) n = (size_t)(log_len - pos);
        rc = img_pwrite(img, log_off + pos, buf, n, diag);
        if (rc != VHDX_OK) return rc;
        buf += n;
        len -= n;
        pos = (uint32_t)(((uint64_t)pos + n) % log_len);
    }
    return VHDX_OK;
}

/* The entry's bytes (elen, a complete sequence by itself: Tail = its own position). */
static uint8_t *build_entry(const vhdx_image *img, const img_meta_sector *sectors, size_t n,
                            uint64_t seq, uint32_t pos, uint32_t elen)
{
    uint8_t *ent = vhdx_calloc(1, elen);
    fmt_log_entry_header eh;
    uint64_t dsec = fmt_log_descriptor_sectors(n);
    if (!ent) return NULL;
    for (size_t i = 0; i < n; i++) {
        fmt_log_descriptor d;
        memset(&d, 0, sizeof d);
        d.signature = VHDX_SIG_DESC;
        d.file_offset = sectors[i].file_offset;
        d.sequence_number = seq;
        fmt_log_data_sector_encode(sectors[i].data, seq, &d, ent + (dsec + i) * VHDX_LOG_SECTOR);
        (void)fmt_log_descriptor_encode(&d, ent + fmt_log_descriptor_pos(i), LOGD_SIZE);
    }
    memset(&eh, 0, sizeof eh);
    eh.signature = VHDX_SIG_LOGE;
    eh.entry_length = elen;
    eh.tail = pos;
    eh.sequence_number = seq;
    eh.descriptor_count = (uint32_t)n;
    eh.log_guid = img->jr.guid;
    eh.flushed_file_offset = img->file_size / MiB * MiB;          /* R43 */
    eh.last_file_offset = vhdx_div_round_up(img->file_size, MiB) * MiB; /* R44 */
    (void)fmt_log_entry_header_encode(&eh, ent, LOGE_HEADER_SIZE);
    vhdx_put32(ent + LOGE_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(ent, elen, LOGE_OFF_CHECKSUM));
    return ent;
}

/* Where the next entry goes (ending the session first when it would overwrite the newest
 * entry) and its sequence number; a new session gets a fresh LogGuid. */
static int place_entry(vhdx_image *img, uint32_t elen, uint32_t log_len, uint32_t *pos,
                       uint64_t *seq, vhdx_diag *diag)
{
    img_journal *jr = &img->jr;
    if (jr->session && elen > log_len - jr->head_len) {
        /* everything is applied and flushed: close the session, start at offset 0 */
        int rc = img_log_finish(img, diag);
        if (rc != VHDX_OK) { jr->failed = 1; return rc; }
    }
    if (!jr->session) {
        *pos = 0;
        *seq = 1;
        return guid_nonzero(img, &jr->guid, diag);
    }
    *pos = (uint32_t)(((uint64_t)jr->head_pos + jr->head_len) % log_len);
    *seq = jr->next_seq;
    return VHDX_OK;
}

static int check_targets(const vhdx_image *img, const img_meta_sector *sectors, size_t n,
                         vhdx_diag *diag)
{
    const fmt_header *hd = &img->hdr[img->cur];
    for (size_t i = 0; i < n; i++) {
        uint64_t off = sectors[i].file_offset;
        if (off % VHDX_LOG_SECTOR != 0 || off < IMG_LOG_LOGGABLE_MIN ||
            vhdx_ranges_overlap(off, VHDX_LOG_SECTOR, hd->log_offset, hd->log_length))
            return VHDX_FAIL(diag, VHDX_E_MISUSE, off, "img_log_write target");
    }
    return VHDX_OK;
}

/* Decision (issue 12): a file without a log (LogLength 0, which MS-VHDX allows) is not
 * refused; it gets a 1 MiB log at the end of the file before its first journaled change,
 * like Hyper-V's files have one. The space is zeroed and flushed before the header
 * update names it, so a crash leaves either the old header (no log, unused space at the
 * end) or the new one (an empty log: LogGuid is zero). */
int img_log_ensure(vhdx_image *img, vhdx_diag *diag)
{
    uint64_t off;
    if (img->hdr[img->cur].log_length != 0) return VHDX_OK;
    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    int rc = img_begin_modify(img, 0, diag);
    if (rc == VHDX_OK) rc = img_alloc_space(img, IMG_NEW_LOG, &off, diag);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    if (rc == VHDX_OK) rc = img_header_set_log(img, off, (uint32_t)IMG_NEW_LOG, diag);
    return rc;
}

int img_log_write(vhdx_image *img, const img_meta_sector *sectors, size_t n, vhdx_diag *diag)
{
    img_journal *jr = &img->jr;
    uint32_t pos, log_len;
    uint64_t seq, log_off;

    if (!img->writable) return VHDX_FAIL(diag, VHDX_E_READONLY, VHDX_NO_OFFSET, NULL);
    if (n == 0) return VHDX_OK;
    int rc = img_log_ensure(img, diag);
    if (rc != VHDX_OK) return rc;
    log_off = img->hdr[img->cur].log_offset;
    log_len = img->hdr[img->cur].log_length;
    rc = check_targets(img, sectors, n, diag);
    if (rc != VHDX_OK) return rc;
    uint64_t elen64 = VHDX_LOG_SECTOR * (fmt_log_descriptor_sectors(n) + n);
    if (log_len == 0 || elen64 > log_len) return VHDX_FAIL(diag, VHDX_E_LOG_FULL, log_off, "log");
    uint32_t elen = (uint32_t)elen64;
    if (jr->failed) return VHDX_FAIL(diag, VHDX_E_IO, VHDX_NO_OFFSET, "log (earlier failure)");
    rc = img_begin_modify(img, 0, diag);
    if (rc == VHDX_OK) rc = place_entry(img, elen, log_len, &pos, &seq, diag);
    if (rc != VHDX_OK) return rc;
    int first = !jr->session;

    uint8_t *ent = build_entry(img, sectors, n, seq, pos, elen);
    if (!ent) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, "log entry");
    rc = ring_write(img, log_off, log_len, pos, ent, elen, diag);
    vhdx_free(ent);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    if (rc == VHDX_OK && first) {
        rc = img_header_update(img, IMG_HDR_SET_LOG_GUID, &jr->guid, diag);
        if (rc == VHDX_OK) jr->session = 1;
    }
    if (rc != VHDX_OK) { jr->failed = 1; return rc; }
    jr->head_pos = pos;
    jr->head_len = elen;
    jr->next_seq = seq + 1;
    for (size_t i = 0; i < n && rc == VHDX_OK; i++)
        rc = img_pwrite(img, sectors[i].file_offset, sectors[i].data, VHDX_LOG_SECTOR, diag);
    if (rc == VHDX_OK) rc = img_fflush(img, diag);
    if (rc != VHDX_OK) jr->failed = 1;
    return rc;
}
