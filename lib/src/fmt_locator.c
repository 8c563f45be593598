/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_locator.c - parent locator metadata item (MS-VHDX 2.6.2.6).
 *
 * Header (20 bytes): 0 LocatorType GUID | 16 Reserved u16 | 18 KeyValueCount u16
 * Entries (12 bytes at 20 + 12*i): 0 KeyOffset u32 | 4 ValueOffset u32 |
 *   8 KeyLength u16 | 10 ValueLength u16; offsets relative to the item start.
 * Keys and values: UTF-16LE, no NUL, no terminator, keys unique and case-sensitive.
 */
#include "fmt.h"

int fmt_locator_decode(const uint8_t *buf, size_t len, fmt_locator *out)
{
    size_t fit;
    if (len < PL_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    vhdx_get_guid(&out->type, buf + PL_OFF_TYPE);
    out->reserved = vhdx_le16(buf + PL_OFF_RESERVED);
    out->count = vhdx_le16(buf + PL_OFF_COUNT);
    /* entries that exist in the buffer (the validator reports a count that does not fit) */
    fit = (len - PL_HEADER_SIZE) / PL_ENTRY_SIZE;
    out->decoded = out->count < VHDX_PL_MAX_ENTRIES ? out->count : VHDX_PL_MAX_ENTRIES;
    if (out->decoded > fit) out->decoded = (uint16_t)fit;
    for (uint16_t i = 0; i < out->decoded; i++) {
        const uint8_t *e = buf + PL_HEADER_SIZE + (size_t)i * PL_ENTRY_SIZE;
        out->entries[i].key_offset = vhdx_le32(e + PLE_OFF_KEY_OFFSET);
        out->entries[i].value_offset = vhdx_le32(e + PLE_OFF_VALUE_OFFSET);
        out->entries[i].key_length = vhdx_le16(e + PLE_OFF_KEY_LENGTH);
        out->entries[i].value_length = vhdx_le16(e + PLE_OFF_VALUE_LENGTH);
    }
    return VHDX_OK;
}

/* Per-entry string problems, in the order they are reported. */
enum { PLS_OK = 0, PLS_BOUNDS, PLS_ODD, PLS_NUL, PLS_SURROGATE };

static int pl_string_check(const uint8_t *buf, size_t len, uint32_t off, uint16_t n)
{
    if (off == 0 || n == 0 || !vhdx_range_ok(off, n, len)) return PLS_BOUNDS;
    if (n & 1u) return PLS_ODD;
    for (size_t i = 0; i < n; i += 2) {
        uint16_t u = vhdx_le16(buf + off + i);
        if (u == 0) return PLS_NUL;
        if (u >= 0xD800 && u <= 0xDBFF) {
            uint16_t lo = i + 2 < n ? vhdx_le16(buf + off + i + 2) : 0;
            if (lo < 0xDC00 || lo > 0xDFFF) return PLS_SURROGATE;
            i += 2;
        } else if (u >= 0xDC00 && u <= 0xDFFF) {
            return PLS_SURROGATE;
        }
    }
    return PLS_OK;
}

/* 1 when the UTF-16LE string at buf[off..off+n) equals the ASCII text s */
static int pl_str_eq(const uint8_t *buf, uint32_t off, uint16_t n, const char *s)
{
    size_t sl = strlen(s);
    if ((size_t)n != 2 * sl) return 0;
    for (size_t i = 0; i < sl; i++)
        if (vhdx_le16(buf + off + 2 * i) != (uint8_t)s[i]) return 0;
    return 1;
}

/* 1 when the value (UTF-16LE) starts with the ASCII prefix p */
static int pl_starts_with(const uint8_t *buf, uint32_t off, uint16_t n, const char *p)
{
    size_t pl = strlen(p);
    if ((size_t)n < 2 * pl) return 0;
    for (size_t i = 0; i < pl; i++)
        if (vhdx_le16(buf + off + 2 * i) != (uint8_t)p[i]) return 0;
    return 1;
}

/* value is "X:\\..." (a drive letter path without the "\\\\?\\" prefix) */
static int pl_plain_drive_path(const uint8_t *buf, uint32_t off, uint16_t n)
{
    if (n < 6) return 0;
    uint16_t c0 = vhdx_le16(buf + off), c1 = vhdx_le16(buf + off + 2), c2 = vhdx_le16(buf + off + 4);
    return ((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z')) && c1 == ':' && c2 == '\\';
}

/* value is "{GUID}" (braces optional) in UTF-16 */
static int pl_value_is_guid(const uint8_t *buf, uint32_t off, uint16_t n)
{
    char text[40];
    vhdx_guid g;
    size_t units = n / 2u;
    if (units != 36 && units != 38) return 0;
    for (size_t i = 0; i < units; i++) {
        uint16_t u = vhdx_le16(buf + off + 2 * i);
        if (u > 0x7F) return 0;
        text[i] = (char)u;
    }
    return vhdx_guid_parse(&g, text, units) == VHDX_OK;
}

/* volume_path: \\?\Volume{GUID}\... (R107) */
static int pl_volume_path_ok(const uint8_t *buf, uint32_t off, uint16_t n)
{
    static const char prefix[] = "\\\\?\\Volume";
    const size_t pl = sizeof prefix - 1;
    if (!pl_starts_with(buf, off, n, prefix)) return 0;
    if ((size_t)n < 2 * (pl + 38 + 1)) return 0;
    if (!pl_value_is_guid(buf, (uint32_t)(off + 2 * pl), 76)) return 0;
    if (vhdx_le16(buf + off + 2 * pl) != '{') return 0;
    return vhdx_le16(buf + off + 2 * (pl + 38)) == '\\';
}

/* flat validator: R99-R103, R106-R108 as a list of `if (rule) report`, per entry */
int fmt_locator_validate(const fmt_locator *pl, const uint8_t *buf, size_t len, vhdx_sink *sink,
                         uint64_t base)
{
    int vhdx_type = vhdx_guid_equal(&pl->type, &VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX);
    int have_linkage = 0, have_path = 0;

    /* [MS-VHDX 2.6.2.6.1] R99: a locator type this implementation understands */
    if (!vhdx_type)
        VHDX_CHECK_REPORT(sink, VHDX_E_PL_TYPE, base + PL_OFF_TYPE, "parent_locator.LocatorType");
    /* R100: Reserved zero */
    if (pl->reserved != 0)
        VHDX_CHECK_REPORT(sink, VHDX_W_PL_RESERVED, base + PL_OFF_RESERVED, "parent_locator.Reserved");
    /* [2.6.2.6.2] the entry table lies inside the item */
    if ((uint64_t)PL_HEADER_SIZE + (uint64_t)PL_ENTRY_SIZE * pl->count > len)
        VHDX_CHECK_REPORT(sink, VHDX_E_PL_ENTRY, base + PL_OFF_COUNT,
                          "parent_locator.KeyValueCount");
    else if (pl->count > VHDX_PL_MAX_ENTRIES)
        VHDX_CHECK_REPORT(sink, VHDX_E_LIMIT_METADATA, base + PL_OFF_COUNT,
                          "parent_locator.KeyValueCount");

    for (uint16_t i = 0; i < pl->decoded; i++) {
        const fmt_locator_entry *e = &pl->entries[i];
        uint64_t eoff = base + PL_HEADER_SIZE + (uint64_t)i * PL_ENTRY_SIZE;
        int ks = pl_string_check(buf, len, e->key_offset, e->key_length);
        int vs = pl_string_check(buf, len, e->value_offset, e->value_length);

        /* R101: offsets and lengths non-zero, strings inside the item */
        if (ks == PLS_BOUNDS)
            VHDX_CHECK_REPORT(sink, VHDX_E_PL_ENTRY,
                              eoff + (e->key_length == 0 ? PLE_OFF_KEY_LENGTH : PLE_OFF_KEY_OFFSET),
                              "parent_locator_entry.Key");
        else if (ks != PLS_OK) /* R102: UTF-16LE (even length), no NUL */
            VHDX_CHECK_REPORT(sink, VHDX_E_PL_STRING, eoff + PLE_OFF_KEY_OFFSET,
                              "parent_locator_entry.Key");
        if (vs == PLS_BOUNDS)
            VHDX_CHECK_REPORT(sink, VHDX_E_PL_ENTRY,
                              eoff + (e->value_length == 0 ? PLE_OFF_VALUE_LENGTH
                                                           : PLE_OFF_VALUE_OFFSET),
                              "parent_locator_entry.Value");
        else if (vs != PLS_OK)
            VHDX_CHECK_REPORT(sink, VHDX_E_PL_STRING, eoff + PLE_OFF_VALUE_OFFSET,
                              "parent_locator_entry.Value");
        if (ks != PLS_OK) continue;
        /* R102: keys unique (earlier well-formed entries) */
        for (uint16_t j = 0; j < i; j++) {
            const fmt_locator_entry *o = &pl->entries[j];
            if (pl_string_check(buf, len, o->key_offset, o->key_length) == PLS_OK &&
                o->key_length == e->key_length &&
                memcmp(buf + o->key_offset, buf + e->key_offset, e->key_length) == 0) {
                VHDX_CHECK_REPORT(sink, VHDX_E_PL_STRING, eoff + PLE_OFF_KEY_OFFSET,
                                  "parent_locator_entry.Key");
                break;
            }
        }
        if (!vhdx_type || vs != PLS_OK) continue;
        /* [2.6.2.6.3] well-known keys of the VHDX locator type */
        int is_linkage = pl_str_eq(buf, e->key_offset, e->key_length, "parent_linkage");
        if (is_linkage || pl_str_eq(buf, e->key_offset, e->key_length, "parent_linkage2")) {
            have_linkage |= is_linkage;
            /* R103: a GUID in text form */
            if (!pl_value_is_guid(buf, e->value_offset, e->value_length))
                VHDX_CHECK_REPORT(sink, VHDX_E_PL_LINKAGE_FORMAT, base + e->value_offset,
                                  "parent_locator.parent_linkage");
        } else if (pl_str_eq(buf, e->key_offset, e->key_length, "relative_path")) {
            have_path = 1;
        } else if (pl_str_eq(buf, e->key_offset, e->key_length, "volume_path")) {
            have_path = 1;
            /* R107 */
            if (!pl_volume_path_ok(buf, e->value_offset, e->value_length))
                VHDX_CHECK_REPORT(sink, VHDX_E_PL_VOLUME_PATH, base + e->value_offset,
                                  "parent_locator.volume_path");
        } else if (pl_str_eq(buf, e->key_offset, e->key_length, "absolute_win32_path")) {
            have_path = 1;
            /* R108; Hyper-V itself writes plain "C:\\..." drive paths (dissect-hypervisor
             * differencing.avhdx): that legacy form is a tolerated deviation */
            if (!pl_starts_with(buf, e->value_offset, e->value_length, "\\\\?\\"))
                VHDX_CHECK_REPORT(sink,
                                  pl_plain_drive_path(buf, e->value_offset, e->value_length)
                                      ? VHDX_W_PL_ABSOLUTE_PATH : VHDX_E_PL_ABSOLUTE_PATH,
                                  base + e->value_offset, "parent_locator.absolute_win32_path");
        }
    }
    if (vhdx_type) {
        /* R103: parent_linkage present */
        if (!have_linkage)
            VHDX_CHECK_REPORT(sink, VHDX_E_PL_NO_LINKAGE, base + PL_OFF_COUNT,
                              "parent_locator.KeyValueCount");
        /* R106: at least one path */
        if (!have_path)
            VHDX_CHECK_REPORT(sink, VHDX_E_PL_NO_PATH, base + PL_OFF_COUNT,
                              "parent_locator.KeyValueCount");
    }
    return VHDX_OK;
}

int fmt_locator_get(const fmt_locator *pl, const uint8_t *buf, size_t len, const char *key,
                    char *out, size_t outlen)
{
    for (uint16_t i = 0; i < pl->decoded; i++) {
        const fmt_locator_entry *e = &pl->entries[i];
        int vs, truncated = 0;
        if (pl_string_check(buf, len, e->key_offset, e->key_length) != PLS_OK) continue;
        if (!pl_str_eq(buf, e->key_offset, e->key_length, key)) continue;
        vs = pl_string_check(buf, len, e->value_offset, e->value_length);
        if (vs == PLS_BOUNDS) return VHDX_E_PL_ENTRY;
        if (vs != PLS_OK) return VHDX_E_PL_STRING;
        if (!out || outlen == 0) return VHDX_E_MISUSE;
        (void)fmt_utf16le_to_utf8(buf + e->value_offset, e->value_length / 2u, 0, out, outlen,
                                  &truncated);
        return truncated ? VHDX_E_LIMIT_METADATA : VHDX_OK;
    }
    return VHDX_E_NOT_FOUND;
}

int fmt_locator_build(const char *const *keys, const char *const *values, size_t n,
                      uint8_t *buf, size_t len, size_t *written)
{
    size_t pos;
    if (written) *written = 0;
    /* n == 0 builds a bare header (structurally valid; the validator reports R103/R106) */
    if ((n && (!keys || !values)) || !buf || n > VHDX_PL_MAX_ENTRIES) return VHDX_E_CREATE_PARAM;
    pos = PL_HEADER_SIZE + n * PL_ENTRY_SIZE;
    if (len < pos) return VHDX_E_TRUNCATED_INPUT;
    memset(buf, 0, pos);
    vhdx_put_guid(buf + PL_OFF_TYPE, &VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX);
    vhdx_put16(buf + PL_OFF_COUNT, (uint16_t)n);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = buf + PL_HEADER_SIZE + i * PL_ENTRY_SIZE;
        const char *s[2] = { keys[i], values[i] };
        for (int k = 0; k < 2; k++) {
            size_t units = 0, room = (len - pos) / 2;
            int rc;
            if (!s[k] || !*s[k]) return VHDX_E_CREATE_PARAM;       /* R101: length > 0 */
            if (room > 0x7FFF) room = 0x7FFF;                        /* u16 byte length */
            rc = fmt_utf8_to_utf16le(s[k], 1, buf + pos, room, &units);
            if (rc != VHDX_OK) return rc;
            vhdx_put32(e + (k ? PLE_OFF_VALUE_OFFSET : PLE_OFF_KEY_OFFSET), (uint32_t)pos);
            vhdx_put16(e + (k ? PLE_OFF_VALUE_LENGTH : PLE_OFF_KEY_LENGTH), (uint16_t)(2 * units));
            pos += 2 * units;
        }
        /* R102: keys unique */
        for (size_t j = 0; j < i; j++)
            if (strcmp(keys[j], keys[i]) == 0) return VHDX_E_CREATE_PARAM;
    }
    if (written) *written = pos;
    return VHDX_OK;
}
