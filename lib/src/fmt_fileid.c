/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_fileid.c - file type identifier (MS-VHDX 2.2.1) and the UTF-16LE <-> UTF-8
 * conversions shared by the creator string and the parent locator.
 *
 * Layout (64 KiB at file offset 0):
 *   0   8    Signature "vhdxfile"
 *   8   512  Creator (UTF-16LE, optional NUL terminator)
 *   520 ...  reserved
 */
#include "fmt.h"

_Static_assert(FILEID_OFF_CREATOR + FILEID_CREATOR_LEN == FILEID_DEFINED, "fileid layout");

static const uint8_t fileid_sig[8] = { 'v', 'h', 'd', 'x', 'f', 'i', 'l', 'e' };

int fmt_fileid_decode(const uint8_t *buf, size_t len, fmt_fileid *out)
{
    if (len < FILEID_DEFINED) return VHDX_E_TRUNCATED_INPUT;
    memcpy(out->signature, buf + FILEID_OFF_SIGNATURE, 8);
    memcpy(out->creator, buf + FILEID_OFF_CREATOR, FILEID_CREATOR_LEN);
    return VHDX_OK;
}

int fmt_fileid_encode(const fmt_fileid *in, uint8_t *buf, size_t len)
{
    if (len < VHDX_FILEID_SIZE) return VHDX_E_TRUNCATED_INPUT;
    memset(buf, 0, VHDX_FILEID_SIZE);
    memcpy(buf + FILEID_OFF_SIGNATURE, in->signature, 8);
    memcpy(buf + FILEID_OFF_CREATOR, in->creator, FILEID_CREATOR_LEN);
    return VHDX_OK;
}

int fmt_fileid_validate(const fmt_fileid *f, vhdx_sink *sink, uint64_t base)
{
    /* [MS-VHDX 2.2.1] R4/R7: signature "vhdxfile" */
    if (memcmp(f->signature, fileid_sig, 8) != 0)
        VHDX_CHECK_REPORT(sink, VHDX_E_FILEID_SIGNATURE, base + FILEID_OFF_SIGNATURE,
                          "fileid.Signature");
    return VHDX_OK;
}

static size_t utf8_encode(uint32_t cp, char tmp[4])
{
    if (cp < 0x80) { tmp[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        tmp[0] = (char)(0xC0 | (cp >> 6));
        tmp[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        tmp[0] = (char)(0xE0 | (cp >> 12));
        tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        tmp[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    tmp[0] = (char)(0xF0 | (cp >> 18));
    tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    tmp[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

size_t fmt_utf16le_to_utf8(const uint8_t *src, size_t units, int stop_at_nul, char *out,
                           size_t outlen, int *truncated)
{
    size_t n = 0, i = 0;
    if (truncated) *truncated = 0;
    if (outlen == 0) {
        if (truncated && units) *truncated = 1;
        return 0;
    }
    while (i < units) {
        uint32_t cp = vhdx_le16(src + 2 * i);
        char tmp[4];
        size_t k;
        if (cp == 0 && stop_at_nul) break;
        i++;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = i < units ? vhdx_le16(src + 2 * i) : 0;
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i++;
            } else {
                cp = 0xFFFD;
            }
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
        }
        k = utf8_encode(cp, tmp);
        if (k > outlen - 1 - n) {
            if (truncated) *truncated = 1;
            break;
        }
        memcpy(out + n, tmp, k);
        n += k;
    }
    out[n] = '\0';
    return n;
}

/* Decodes one UTF-8 sequence at s (NUL-terminated); returns its length, 0 at the end, or
 * sets *cp = UINT32_MAX for an invalid sequence (length 1 then). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    uint32_t c = s[0], min;
    size_t n;
    if (c == 0) return 0;
    if (c < 0x80) { *cp = c; return 1; }
    if ((c & 0xE0) == 0xC0) { n = 2; c &= 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { n = 3; c &= 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { n = 4; c &= 0x07; min = 0x10000; }
    else { *cp = UINT32_MAX; return 1; }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) { *cp = UINT32_MAX; return 1; }
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) { *cp = UINT32_MAX; return 1; }
    *cp = c;
    return n;
}

int fmt_utf8_to_utf16le(const char *utf8, int strict, uint8_t *out, size_t max_units,
                        size_t *units)
{
    const unsigned char *s = (const unsigned char *)utf8;
    size_t n = 0, k;
    uint32_t cp = 0;
    *units = 0;
    while ((k = utf8_decode(s, &cp)) != 0) {
        size_t need;
        if (cp == UINT32_MAX) {
            if (strict) return VHDX_E_CREATE_PARAM;
            cp = 0xFFFD;
        }
        need = cp >= 0x10000 ? 2 : 1;
        if (need > max_units - n) {
            if (strict) return VHDX_E_TRUNCATED_INPUT;
            break;
        }
        if (need == 2) {
            vhdx_put16(out + 2 * n, (uint16_t)(0xD800 + ((cp - 0x10000) >> 10)));
            vhdx_put16(out + 2 * n + 2, (uint16_t)(0xDC00 + ((cp - 0x10000) & 0x3FF)));
        } else {
            vhdx_put16(out + 2 * n, (uint16_t)cp);
        }
        n += need;
        s += k;
    }
    *units = n;
    return VHDX_OK;
}

void fmt_fileid_creator_utf8(const fmt_fileid *f, char *out, size_t outlen)
{
    (void)fmt_utf16le_to_utf8(f->creator, FILEID_CREATOR_LEN / 2, 1, out, outlen, NULL);
}

void fmt_fileid_set_creator(fmt_fileid *f, const char *utf8)
{
    size_t units = 0;
    memset(f->creator, 0, sizeof f->creator);
    if (utf8) (void)fmt_utf8_to_utf16le(utf8, 0, f->creator, FILEID_CREATOR_LEN / 2, &units);
}
