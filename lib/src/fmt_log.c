/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_log.c - log entries (MS-VHDX 2.3.1): entry header, zero/data descriptors, data
 * sectors, and whole-entry validation (spec section 8.6, items 1-8).
 *
 * Entry header (64 bytes): 0 "loge" | 4 Checksum | 8 EntryLength u32 | 12 Tail u32 |
 *   16 SequenceNumber u64 | 24 DescriptorCount u32 | 28 Reserved u32 | 32 LogGuid |
 *   48 FlushedFileOffset u64 | 56 LastFileOffset u64
 * Zero descriptor (32): 0 "zero" | 4 Reserved | 8 ZeroLength u64 | 16 FileOffset | 24 Seq
 * Data descriptor (32): 0 "desc" | 4 TrailingBytes[4] | 8 LeadingBytes[8] | 16 FileOffset | 24 Seq
 * Data sector (4096):  0 "data" | 4 SequenceHigh u32 | 8 Data[4084] | 4092 SequenceLow u32
 */
#include "fmt.h"

_Static_assert(LOGS_OFF_DATA + LOGS_DATA_LEN == LOGS_OFF_SEQ_LOW, "data sector layout");
_Static_assert(LOGE_HEADER_SIZE + 126 * LOGD_SIZE == VHDX_LOG_SECTOR, "descriptor layout");

int fmt_log_entry_header_decode(const uint8_t *buf, size_t len, fmt_log_entry_header *out)
{
    if (len < LOGE_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    out->signature = vhdx_le32(buf + LOGE_OFF_SIGNATURE);
    out->checksum = vhdx_le32(buf + LOGE_OFF_CHECKSUM);
    out->entry_length = vhdx_le32(buf + LOGE_OFF_ENTRY_LENGTH);
    out->tail = vhdx_le32(buf + LOGE_OFF_TAIL);
    out->sequence_number = vhdx_le64(buf + LOGE_OFF_SEQUENCE);
    out->descriptor_count = vhdx_le32(buf + LOGE_OFF_DESC_COUNT);
    out->reserved = vhdx_le32(buf + LOGE_OFF_RESERVED);
    vhdx_get_guid(&out->log_guid, buf + LOGE_OFF_LOG_GUID);
    out->flushed_file_offset = vhdx_le64(buf + LOGE_OFF_FLUSHED);
    out->last_file_offset = vhdx_le64(buf + LOGE_OFF_LAST);
    return VHDX_OK;
}

int fmt_log_entry_header_encode(const fmt_log_entry_header *in, uint8_t *buf, size_t len)
{
    if (len < LOGE_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    vhdx_put32(buf + LOGE_OFF_SIGNATURE, in->signature);
    vhdx_put32(buf + LOGE_OFF_CHECKSUM, in->checksum);
    vhdx_put32(buf + LOGE_OFF_ENTRY_LENGTH, in->entry_length);
    vhdx_put32(buf + LOGE_OFF_TAIL, in->tail);
    vhdx_put64(buf + LOGE_OFF_SEQUENCE, in->sequence_number);
    vhdx_put32(buf + LOGE_OFF_DESC_COUNT, in->descriptor_count);
    vhdx_put32(buf + LOGE_OFF_RESERVED, in->reserved);
    vhdx_put_guid(buf + LOGE_OFF_LOG_GUID, &in->log_guid);
    vhdx_put64(buf + LOGE_OFF_FLUSHED, in->flushed_file_offset);
    vhdx_put64(buf + LOGE_OFF_LAST, in->last_file_offset);
    return VHDX_OK;
}

/* The two descriptor kinds share offsets 0, 16 and 24; bytes 4..15 are Reserved +
 * ZeroLength for "zero" and TrailingBytes + LeadingBytes otherwise. The decoder fills
 * only the interpretation the signature selects (the other fields are zero). */
int fmt_log_descriptor_decode(const uint8_t *buf, size_t len, fmt_log_descriptor *out)
{
    if (len < LOGD_SIZE) return VHDX_E_TRUNCATED_INPUT;
    memset(out, 0, sizeof *out);
    out->signature = vhdx_le32(buf + LOGD_OFF_SIGNATURE);
    if (out->signature == VHDX_SIG_ZERO) {
        out->zero_reserved = vhdx_le32(buf + LOGD_OFF_ZERO_RESERVED);
        out->zero_length = vhdx_le64(buf + LOGD_OFF_ZERO_LENGTH);
    } else {
        memcpy(out->trailing, buf + LOGD_OFF_TRAILING, 4);
        memcpy(out->leading, buf + LOGD_OFF_LEADING, 8);
    }
    out->file_offset = vhdx_le64(buf + LOGD_OFF_FILE_OFFSET);
    out->sequence_number = vhdx_le64(buf + LOGD_OFF_SEQUENCE);
    return VHDX_OK;
}

int fmt_log_descriptor_encode(const fmt_log_descriptor *in, uint8_t *buf, size_t len)
{
    if (len < LOGD_SIZE) return VHDX_E_TRUNCATED_INPUT;
    vhdx_put32(buf + LOGD_OFF_SIGNATURE, in->signature);
    if (in->signature == VHDX_SIG_ZERO) {
        vhdx_put32(buf + LOGD_OFF_ZERO_RESERVED, in->zero_reserved);
        vhdx_put64(buf + LOGD_OFF_ZERO_LENGTH, in->zero_length);
    } else {
        memcpy(buf + LOGD_OFF_TRAILING, in->trailing, 4);
        memcpy(buf + LOGD_OFF_LEADING, in->leading, 8);
    }
    vhdx_put64(buf + LOGD_OFF_FILE_OFFSET, in->file_offset);
    vhdx_put64(buf + LOGD_OFF_SEQUENCE, in->sequence_number);
    return VHDX_OK;
}

void fmt_log_data_sector_decode(const uint8_t *sector, const fmt_log_descriptor *d,
                                uint8_t out[4096])
{
    /* [MS-VHDX 2.3.1.3] R51: LeadingBytes || Data || TrailingBytes, copied as bytes */
    memcpy(out, d->leading, 8);
    memcpy(out + LOGS_OFF_DATA, sector + LOGS_OFF_DATA, LOGS_DATA_LEN);
    memcpy(out + LOGS_OFF_SEQ_LOW, d->trailing, 4);
}

void fmt_log_data_sector_encode(const uint8_t update[4096], uint64_t seq, fmt_log_descriptor *d,
                                uint8_t sector[4096])
{
    d->signature = VHDX_SIG_DESC;
    d->zero_reserved = 0;
    d->zero_length = 0;
    d->sequence_number = seq;
    memcpy(d->leading, update, 8);
    memcpy(d->trailing, update + LOGS_OFF_SEQ_LOW, 4);
    vhdx_put32(sector + LOGS_OFF_SIGNATURE, VHDX_SIG_DATA);
    vhdx_put32(sector + LOGS_OFF_SEQ_HIGH, (uint32_t)(seq >> 32));
    memcpy(sector + LOGS_OFF_DATA, update + LOGS_OFF_DATA, LOGS_DATA_LEN);
    vhdx_put32(sector + LOGS_OFF_SEQ_LOW, (uint32_t)seq);
}

int fmt_log_data_sector_validate(const uint8_t *sector, uint64_t seq, vhdx_sink *sink,
                                 uint64_t base)
{
    /* [MS-VHDX 2.3.1.4] R54: "data" */
    if (vhdx_le32(sector + LOGS_OFF_SIGNATURE) != VHDX_SIG_DATA)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_DATA_SIGNATURE, base + LOGS_OFF_SIGNATURE,
                          "log_data.Signature");
    /* R55, R56: the two halves of the entry's sequence number */
    if (vhdx_le32(sector + LOGS_OFF_SEQ_HIGH) != (uint32_t)(seq >> 32))
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_DATA_SEQ_HIGH, base + LOGS_OFF_SEQ_HIGH,
                          "log_data.SequenceHigh");
    if (vhdx_le32(sector + LOGS_OFF_SEQ_LOW) != (uint32_t)seq)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_DATA_SEQ_LOW, base + LOGS_OFF_SEQ_LOW,
                          "log_data.SequenceLow");
    return VHDX_OK;
}

/* flat validator: R35-R57 as a list of `if (rule) report`, per descriptor */
int fmt_log_entry_validate(const uint8_t *entry, size_t len, const vhdx_guid *log_guid,
                           uint32_t log_length, vhdx_sink *sink, uint64_t base)
{
    fmt_log_entry_header h;
    uint64_t sectors, dsec, ndata = 0, k = 0;
    int rc = fmt_log_entry_header_decode(entry, len, &h);

    if (rc != VHDX_OK) return rc;
    /* [MS-VHDX 2.3.1.1] R36: "loge"; nothing else means anything without it */
    if (h.signature != VHDX_SIG_LOGE) {
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ENTRY_SIGNATURE, base + LOGE_OFF_SIGNATURE,
                          "log_entry.Signature");
        return VHDX_OK;
    }
    /* R38: EntryLength a non-zero multiple of 4 KiB, within the log and the given bytes */
    if (h.entry_length == 0 || h.entry_length % VHDX_LOG_SECTOR != 0 ||
        h.entry_length > log_length || h.entry_length > len) {
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ENTRY_LENGTH, base + LOGE_OFF_ENTRY_LENGTH,
                          "log_entry.EntryLength");
        return VHDX_OK;
    }
    /* R37: CRC-32C over EntryLength bytes with the field zeroed */
    if (h.checksum != vhdx_crc32c_with_zero_field(entry, h.entry_length, LOGE_OFF_CHECKSUM))
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ENTRY_CHECKSUM, base + LOGE_OFF_CHECKSUM,
                          "log_entry.Checksum");
    /* R39: Tail a multiple of 4 KiB inside the log */
    if (h.tail % VHDX_LOG_SECTOR != 0 || h.tail >= log_length)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ENTRY_TAIL, base + LOGE_OFF_TAIL, "log_entry.Tail");
    /* R40: SequenceNumber > 0 */
    if (h.sequence_number == 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ENTRY_SEQ_ZERO, base + LOGE_OFF_SEQUENCE,
                          "log_entry.SequenceNumber");
    /* R41: Reserved zero */
    if (h.reserved != 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ENTRY_RESERVED, base + LOGE_OFF_RESERVED,
                          "log_entry.Reserved");
    /* R42: the header's LogGuid */
    if (log_guid && !vhdx_guid_equal(&h.log_guid, log_guid))
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ENTRY_GUID, base + LOGE_OFF_LOG_GUID,
                          "log_entry.LogGuid");
    /* R43, R44: 1 MiB multiples */
    if (h.flushed_file_offset % MiB != 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_FLUSHED_OFFSET, base + LOGE_OFF_FLUSHED,
                          "log_entry.FlushedFileOffset");
    if (h.last_file_offset % MiB != 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_LAST_OFFSET, base + LOGE_OFF_LAST,
                          "log_entry.LastFileOffset");

    /* [2.3.1] R35: the descriptor sectors must fit before the descriptors are read */
    sectors = h.entry_length / VHDX_LOG_SECTOR;
    dsec = fmt_log_descriptor_sectors(h.descriptor_count);
    if (dsec > sectors) {
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_DESC_COUNT, base + LOGE_OFF_DESC_COUNT,
                          "log_entry.DescriptorCount");
        return VHDX_OK;
    }
    for (uint64_t i = 0; i < h.descriptor_count; i++) {
        uint64_t pos = fmt_log_descriptor_pos(i);
        fmt_log_descriptor d;
        (void)fmt_log_descriptor_decode(entry + pos, LOGD_SIZE, &d);
        if (d.signature == VHDX_SIG_ZERO) {
            /* [2.3.1.2] R46-R49 */
            if (d.zero_reserved != 0)
                VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ZERO_RESERVED, base + pos + LOGD_OFF_ZERO_RESERVED,
                                  "log_zero.Reserved");
            if (d.zero_length % VHDX_LOG_SECTOR != 0)
                VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ZERO_LENGTH, base + pos + LOGD_OFF_ZERO_LENGTH,
                                  "log_zero.ZeroLength");
            if (d.file_offset % VHDX_LOG_SECTOR != 0)
                VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ZERO_OFFSET, base + pos + LOGD_OFF_FILE_OFFSET,
                                  "log_zero.FileOffset");
            if (d.sequence_number != h.sequence_number)
                VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ZERO_SEQ, base + pos + LOGD_OFF_SEQUENCE,
                                  "log_zero.SequenceNumber");
        } else if (d.signature == VHDX_SIG_DESC) {
            ndata++;
            /* [2.3.1.3] R52, R53 */
            if (d.file_offset % VHDX_LOG_SECTOR != 0)
                VHDX_CHECK_REPORT(sink, VHDX_E_LOG_DESC_OFFSET, base + pos + LOGD_OFF_FILE_OFFSET,
                                  "log_desc.FileOffset");
            if (d.sequence_number != h.sequence_number)
                VHDX_CHECK_REPORT(sink, VHDX_E_LOG_DESC_SEQ, base + pos + LOGD_OFF_SEQUENCE,
                                  "log_desc.SequenceNumber");
        } else {
            /* R45/R50: neither "zero" nor "desc" */
            VHDX_CHECK_REPORT(sink, VHDX_E_LOG_ZERO_SIGNATURE, base + pos + LOGD_OFF_SIGNATURE,
                              "log_descriptor.Signature");
        }
    }
    /* R35: one data sector per data descriptor, nothing else */
    if (dsec + ndata != sectors)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_DESC_COUNT, base + LOGE_OFF_DESC_COUNT,
                          "log_entry.DescriptorCount");
    /* [2.3.1.4] R54-R56: data sectors in descriptor order, as far as the entry holds them */
    for (uint64_t s = dsec; s < sectors && k < ndata; s++, k++) {
        uint64_t pos = s * VHDX_LOG_SECTOR;
        rc = fmt_log_data_sector_validate(entry + pos, h.sequence_number, sink, base + pos);
        if (rc != VHDX_OK) return rc;
    }
    return VHDX_OK;
}
