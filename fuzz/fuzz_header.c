/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_header - the 4 KiB header codec and current-header selection (MS-VHDX 2.2.2).
 *
 * Input: byte 0 flags (bit 0: leave checksums unfixed; bit 1: header 2 starts as a copy
 * of header 1; bit 2: header 2 gets header 1's sequence number), then up to 8 KiB: the
 * two header slots (zero padded).
 * Oracles: decode(encode(decode(x))) == decode(x), and encode reproduces x byte for byte
 * when x's checksum is right; fmt_header_is_valid agrees with signature + CRC computed
 * here; fmt_header_select follows the table of MS-VHDX 2.2.2 (R11); a short buffer is
 * VHDX_E_TRUNCATED_INPUT; validators report only table codes of sane classes.
 * The same bytes also feed the file type identifier codec (2.2.1): encode(decode(x))
 * keeps the defined 520 bytes, and the creator text survives UTF-16 -> UTF-8 -> UTF-16
 * -> UTF-8 unchanged.
 */
#include <string.h>

#include "fuzz_common.h"

static int my_valid(const uint8_t *h)
{
    return vhdx_le32(h) == VHDX_SIG_HEAD &&
           vhdx_le32(h + HDR_OFF_CHECKSUM) == vhdx_crc32c_with_zero_field(h, VHDX_HEADER_SIZE, HDR_OFF_CHECKSUM);
}

static void same_header(const fmt_header *a, const fmt_header *b)
{
    FZ_ASSERT(a->signature == b->signature);
    FZ_ASSERT(a->sequence_number == b->sequence_number);
    FZ_ASSERT(vhdx_guid_equal(&a->file_write_guid, &b->file_write_guid));
    FZ_ASSERT(vhdx_guid_equal(&a->data_write_guid, &b->data_write_guid));
    FZ_ASSERT(vhdx_guid_equal(&a->log_guid, &b->log_guid));
    FZ_ASSERT(a->log_version == b->log_version && a->version == b->version);
    FZ_ASSERT(a->log_length == b->log_length && a->log_offset == b->log_offset);
    FZ_ASSERT(memcmp(a->reserved, b->reserved, sizeof a->reserved) == 0);
}

static void one_header(const uint8_t *raw, uint64_t base, int fixed)
{
    static fmt_header h, h2;
    static uint8_t out[VHDX_HEADER_SIZE];
    fz_sink s;

    if (fz_rc(fmt_header_decode(raw, VHDX_HEADER_SIZE, &h), "header_decode") != VHDX_OK)
        FZ_FAIL("header_decode failed on a full 4 KiB buffer");
    FZ_ASSERT(h.signature == vhdx_le32(raw) && h.checksum == vhdx_le32(raw + 4));
    FZ_ASSERT(h.sequence_number == vhdx_le64(raw + HDR_OFF_SEQUENCE));
    FZ_ASSERT(h.log_offset == vhdx_le64(raw + HDR_OFF_LOG_OFFSET));
    if (fz_rc(fmt_header_encode(&h, out, sizeof out), "header_encode") != VHDX_OK)
        FZ_FAIL("header_encode failed");
    if (memcmp(out, raw, 4) != 0 || memcmp(out + 8, raw + 8, VHDX_HEADER_SIZE - 8) != 0)
        FZ_FAIL("encode(decode(x)) differs from x outside the checksum");
    if (!my_valid(out) && h.signature == VHDX_SIG_HEAD) FZ_FAIL("encode wrote a wrong checksum");
    if (fixed && h.signature == VHDX_SIG_HEAD && memcmp(out, raw, VHDX_HEADER_SIZE) != 0)
        FZ_FAIL("encode(decode(x)) != x for a header with a correct checksum");
    if (fz_rc(fmt_header_decode(out, sizeof out, &h2), "header_decode(encoded)") != VHDX_OK)
        FZ_FAIL("decode of encoded header failed");
    same_header(&h, &h2);
    if (fmt_header_is_valid(raw, VHDX_HEADER_SIZE) != my_valid(raw))
        FZ_FAIL("fmt_header_is_valid disagrees with signature + CRC");
    if (fmt_header_decode(raw, VHDX_HEADER_SIZE - 1, &h2) != VHDX_E_TRUNCATED_INPUT)
        FZ_FAIL("short header buffer not reported as VHDX_E_TRUNCATED_INPUT");
    fz_sink_init(&s);
    int rc = fz_rc(fmt_header_validate(&h, raw, &s.sink, base), "header_validate");
    fz_use_u64((uint64_t)rc + s.count);
}

static void fileid(const uint8_t *p, size_t n)
{
    static uint8_t raw[VHDX_FILEID_SIZE], out[VHDX_FILEID_SIZE];
    static fmt_fileid f, f2;
    static char u1[256 * 4 + 1], u2[256 * 4 + 1];
    fz_sink s;
    if (n > sizeof raw) n = sizeof raw;
    memset(raw, 0, FILEID_DEFINED);
    memcpy(raw, p, n < FILEID_DEFINED ? n : FILEID_DEFINED);
    if (fz_rc(fmt_fileid_decode(raw, sizeof raw, &f), "fileid_decode") != VHDX_OK) FZ_FAIL("fileid_decode failed");
    if (fz_rc(fmt_fileid_encode(&f, out, sizeof out), "fileid_encode") != VHDX_OK) FZ_FAIL("fileid_encode failed");
    if (memcmp(out, raw, FILEID_DEFINED) != 0) FZ_FAIL("fileid encode(decode(x)) differs in the defined bytes");
    for (size_t i = FILEID_DEFINED; i < sizeof out; i++)
        if (out[i]) FZ_FAIL("fileid encode left a non-zero reserved byte at %zu", i);
    fz_sink_init(&s);
    int rc = fz_rc(fmt_fileid_validate(&f, &s.sink, 0), "fileid_validate");
    int sig_ok = memcmp(raw, "vhdxfile", 8) == 0;
    if (!sig_ok && s.fatal == 0) FZ_FAIL("bad file identifier signature not reported");
    fmt_fileid_creator_utf8(&f, u1, sizeof u1);
    if (strnlen(u1, sizeof u1) == sizeof u1) FZ_FAIL("creator_utf8 not terminated");
    f2 = f;
    fmt_fileid_set_creator(&f2, u1);
    fmt_fileid_creator_utf8(&f2, u2, sizeof u2);
    if (strcmp(u1, u2) != 0) FZ_FAIL("creator text changed over a UTF-16 round trip: \"%s\" -> \"%s\"", u1, u2);
    fz_use_u64((uint64_t)rc + s.count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t hs[2 * VHDX_HEADER_SIZE];
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    size_t got;
    const uint8_t *p = fz_take(&in, sizeof hs, &got);
    memset(hs, 0, sizeof hs);
    memcpy(hs, p, got);
    uint8_t *h1 = hs, *h2 = hs + VHDX_HEADER_SIZE;
    if (flags & 2) memcpy(h2, h1, VHDX_HEADER_SIZE);
    if (flags & 4) memcpy(h2 + HDR_OFF_SEQUENCE, h1 + HDR_OFF_SEQUENCE, 8);
    int fixed = !(flags & FZ_FLAG_NO_FIXUP);
    if (fixed) {
        fz_fix_header(h1);
        fz_fix_header(h2);
    }
    fileid(got ? p : hs, got);
    one_header(h1, VHDX_HEADER1_OFFSET, fixed);
    one_header(h2, VHDX_HEADER2_OFFSET, fixed);

    int cur = -1, valid[2] = { -1, -1 }, ident = -1;
    int rc = fz_rc(fmt_header_select(h1, h2, &cur, valid, &ident), "header_select");
    int v1 = my_valid(h1), v2 = my_valid(h2);
    if (valid[0] != v1 || valid[1] != v2)
        FZ_FAIL("select validity %d/%d, expected %d/%d", valid[0], valid[1], v1, v2);
    uint64_t s1 = vhdx_le64(h1 + HDR_OFF_SEQUENCE), s2 = vhdx_le64(h2 + HDR_OFF_SEQUENCE);
    if (!v1 && !v2) {
        if (rc != VHDX_E_NO_VALID_HEADER) FZ_FAIL("no valid header but select returned %s", vhdx_status_name(rc));
    } else if (v1 != v2 || s1 != s2) {
        int want = (v1 && v2) ? (s2 > s1) : (v2 ? 1 : 0);
        if (rc != VHDX_OK || cur != want)
            FZ_FAIL("select: rc %s current %d, expected header %d", vhdx_status_name(rc), cur, want);
    } else if (memcmp(h1, h2, VHDX_HEADER_SIZE) == 0) {
        if (rc != VHDX_OK || ident != 1 || cur != 0)
            FZ_FAIL("identical headers: rc %s identical %d current %d", vhdx_status_name(rc), ident, cur);
    } else if (memcmp(h1, h2, HDR_OFF_RESERVED) != 0) {
        if (rc != VHDX_E_HEADER_SEQ_EQUAL)
            FZ_FAIL("equal sequence numbers, different headers: select returned %s", vhdx_status_name(rc));
    }
    return 0;
}
