/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_header.c - VHDX header (MS-VHDX 2.2.2): codec, validation, current-header choice.
 *
 * Layout (4096 bytes, CRC-32C over all of them with Checksum taken as zero):
 *   0 Signature "head" | 4 Checksum | 8 SequenceNumber u64 | 16 FileWriteGuid |
 *   32 DataWriteGuid | 48 LogGuid | 64 LogVersion u16 | 66 Version u16 |
 *   68 LogLength u32 | 72 LogOffset u64 | 80 Reserved[4016]
 */
#include "fmt.h"

_Static_assert(HDR_OFF_RESERVED + HDR_RESERVED_LEN == VHDX_HEADER_SIZE, "header layout");
_Static_assert(sizeof(((fmt_header *)0)->reserved) == HDR_RESERVED_LEN, "header reserved");

int fmt_header_decode(const uint8_t *buf, size_t len, fmt_header *out)
{
    if (len < VHDX_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    out->signature = vhdx_le32(buf + HDR_OFF_SIGNATURE);
    out->checksum = vhdx_le32(buf + HDR_OFF_CHECKSUM);
    out->sequence_number = vhdx_le64(buf + HDR_OFF_SEQUENCE);
    vhdx_get_guid(&out->file_write_guid, buf + HDR_OFF_FILE_WRITE_GUID);
    vhdx_get_guid(&out->data_write_guid, buf + HDR_OFF_DATA_WRITE_GUID);
    vhdx_get_guid(&out->log_guid, buf + HDR_OFF_LOG_GUID);
    out->log_version = vhdx_le16(buf + HDR_OFF_LOG_VERSION);
    out->version = vhdx_le16(buf + HDR_OFF_VERSION);
    out->log_length = vhdx_le32(buf + HDR_OFF_LOG_LENGTH);
    out->log_offset = vhdx_le64(buf + HDR_OFF_LOG_OFFSET);
    memcpy(out->reserved, buf + HDR_OFF_RESERVED, HDR_RESERVED_LEN);
    return VHDX_OK;
}

int fmt_header_encode(const fmt_header *in, uint8_t *buf, size_t len)
{
    if (len < VHDX_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    vhdx_put32(buf + HDR_OFF_SIGNATURE, in->signature);
    vhdx_put32(buf + HDR_OFF_CHECKSUM, 0);
    vhdx_put64(buf + HDR_OFF_SEQUENCE, in->sequence_number);
    vhdx_put_guid(buf + HDR_OFF_FILE_WRITE_GUID, &in->file_write_guid);
    vhdx_put_guid(buf + HDR_OFF_DATA_WRITE_GUID, &in->data_write_guid);
    vhdx_put_guid(buf + HDR_OFF_LOG_GUID, &in->log_guid);
    vhdx_put16(buf + HDR_OFF_LOG_VERSION, in->log_version);
    vhdx_put16(buf + HDR_OFF_VERSION, in->version);
    vhdx_put32(buf + HDR_OFF_LOG_LENGTH, in->log_length);
    vhdx_put64(buf + HDR_OFF_LOG_OFFSET, in->log_offset);
    memcpy(buf + HDR_OFF_RESERVED, in->reserved, HDR_RESERVED_LEN);
    /* [MS-VHDX 2.2.2] the checksum covers the exact little-endian bytes written */
    vhdx_put32(buf + HDR_OFF_CHECKSUM, vhdx_crc32c(0, buf, VHDX_HEADER_SIZE));
    return VHDX_OK;
}

static int header_crc_ok(const uint8_t *buf)
{
    return vhdx_le32(buf + HDR_OFF_CHECKSUM) ==
           vhdx_crc32c_with_zero_field(buf, VHDX_HEADER_SIZE, HDR_OFF_CHECKSUM);
}

int fmt_header_is_valid(const uint8_t *buf, size_t len)
{
    /* [MS-VHDX 2.2.2] R10: valid <=> signature "head" and CRC-32C over 4 KiB matches */
    if (!buf || len < VHDX_HEADER_SIZE) return 0;
    return vhdx_le32(buf + HDR_OFF_SIGNATURE) == VHDX_SIG_HEAD && header_crc_ok(buf);
}

int fmt_header_validate(const fmt_header *h, const uint8_t *raw, vhdx_sink *sink, uint64_t base)
{
    uint64_t end;
    /* [MS-VHDX 2.2.2] R9: signature "head" */
    if (h->signature != VHDX_SIG_HEAD)
        VHDX_CHECK_REPORT(sink, VHDX_E_HEADER_SIGNATURE, base + HDR_OFF_SIGNATURE,
                          "header.Signature");
    /* R10: CRC-32C over the 4 KiB with the field zeroed */
    if (raw && !header_crc_ok(raw))
        VHDX_CHECK_REPORT(sink, VHDX_E_HEADER_CHECKSUM, base + HDR_OFF_CHECKSUM,
                          "header.Checksum");
    /* R15: LogVersion 0; tolerated when LogGuid is zero (nothing to replay) */
    if (h->log_version != 0)
        VHDX_CHECK_REPORT(sink,
                          vhdx_guid_is_zero(&h->log_guid) ? VHDX_W_HEADER_LOG_VERSION
                                                          : VHDX_E_HEADER_LOG_VERSION,
                          base + HDR_OFF_LOG_VERSION, "header.LogVersion");
    /* R16: Version 1 */
    if (h->version != 1)
        VHDX_CHECK_REPORT(sink, VHDX_E_HEADER_VERSION, base + HDR_OFF_VERSION, "header.Version");
    /* R17: LogLength multiple of 1 MiB */
    if (h->log_length % MiB != 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_HEADER_LOG_LENGTH, base + HDR_OFF_LOG_LENGTH,
                          "header.LogLength");
    /* R18: LogOffset multiple of 1 MiB; a non-empty log lies after the header section */
    if (h->log_offset % MiB != 0 || (h->log_length != 0 && h->log_offset < VHDX_HEADER_SECTION) ||
        !vhdx_add_ok(h->log_offset, h->log_length, &end))
        VHDX_CHECK_REPORT(sink, VHDX_E_HEADER_LOG_OFFSET, base + HDR_OFF_LOG_OFFSET,
                          "header.LogOffset");
    /* R14: a non-zero LogGuid names entries in a log that must exist */
    if (!vhdx_guid_is_zero(&h->log_guid) && h->log_length == 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_LOG_GUID_NO_LOG, base + HDR_OFF_LOG_GUID, "header.LogGuid");
    /* R19: Reserved zero */
    if (!vhdx_all_zero(h->reserved, HDR_RESERVED_LEN))
        VHDX_CHECK_REPORT(sink, VHDX_W_HEADER_RESERVED, base + HDR_OFF_RESERVED,
                          "header.Reserved");
    return VHDX_OK;
}

int fmt_header_select(const uint8_t *h1, const uint8_t *h2, int *current, int valid[2],
                      int *identical)
{
    int v[2];
    uint64_t s1, s2;

    v[0] = fmt_header_is_valid(h1, h1 ? VHDX_HEADER_SIZE : 0);
    v[1] = fmt_header_is_valid(h2, h2 ? VHDX_HEADER_SIZE : 0);
    if (valid) { valid[0] = v[0]; valid[1] = v[1]; }
    if (identical) *identical = 0;
    if (current) *current = 0;
    /* [MS-VHDX 2.2.2] R11: current = valid and (other invalid or strictly greater seq) */
    if (!v[0] && !v[1]) return VHDX_E_NO_VALID_HEADER;
    if (v[0] != v[1]) {
        if (current) *current = v[0] ? 0 : 1;
        return VHDX_OK;
    }
    s1 = vhdx_le64(h1 + HDR_OFF_SEQUENCE);
    s2 = vhdx_le64(h2 + HDR_OFF_SEQUENCE);
    if (s1 != s2) {
        if (current) *current = s1 > s2 ? 0 : 1;
        return VHDX_OK;
    }
    /* equal sequence numbers: no current header, except the Disk2vhd case of two
     * byte-identical headers (accepted by QEMU and 7-Zip; header 1 is used) */
    if (memcmp(h1, h2, VHDX_HEADER_SIZE) == 0) {
        if (identical) *identical = 1;
        return VHDX_OK;
    }
    return VHDX_E_HEADER_SEQ_EQUAL;
}
