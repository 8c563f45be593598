/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_region.c - region table (MS-VHDX 2.2.3): codec and validation.
 *
 * Layout (64 KiB block, CRC-32C over all of it with Checksum taken as zero):
 *   header: 0 Signature "regi" | 4 Checksum | 8 EntryCount u32 | 12 Reserved u32
 *   entries at 16 + 32*i: 0 Guid | 16 FileOffset u64 | 24 Length u32 | 28 Required u32
 */
#include <stdlib.h>

#include "fmt.h"

_Static_assert(RT_HEADER_SIZE + VHDX_RT_MAX_ENTRIES * RT_ENTRY_SIZE <= VHDX_RT_SIZE, "rt layout");

int fmt_region_table_decode(const uint8_t *buf, size_t len, fmt_region_table *out)
{
    uint32_t n;
    if (len < RT_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    out->signature = vhdx_le32(buf + RT_OFF_SIGNATURE);
    out->checksum = vhdx_le32(buf + RT_OFF_CHECKSUM);
    out->entry_count = vhdx_le32(buf + RT_OFF_ENTRY_COUNT);
    out->reserved = vhdx_le32(buf + RT_OFF_RESERVED);
    n = out->entry_count < VHDX_RT_MAX_ENTRIES ? out->entry_count : VHDX_RT_MAX_ENTRIES;
    if ((uint64_t)n * RT_ENTRY_SIZE > len - RT_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    out->decoded = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = buf + RT_HEADER_SIZE + (size_t)i * RT_ENTRY_SIZE;
        fmt_region_entry *r = &out->entries[i];
        vhdx_get_guid(&r->guid, e + RTE_OFF_GUID);
        r->file_offset = vhdx_le64(e + RTE_OFF_FILE_OFFSET);
        r->length = vhdx_le32(e + RTE_OFF_LENGTH);
        r->required = vhdx_le32(e + RTE_OFF_REQUIRED);
    }
    return VHDX_OK;
}

int fmt_region_table_encode(const fmt_region_table *in, uint8_t *buf, size_t len)
{
    uint32_t n = in->entry_count < VHDX_RT_MAX_ENTRIES ? in->entry_count : VHDX_RT_MAX_ENTRIES;
    if (len < VHDX_RT_SIZE) return VHDX_E_TRUNCATED_INPUT;
    memset(buf, 0, VHDX_RT_SIZE);
    vhdx_put32(buf + RT_OFF_SIGNATURE, in->signature);
    vhdx_put32(buf + RT_OFF_ENTRY_COUNT, in->entry_count);
    vhdx_put32(buf + RT_OFF_RESERVED, in->reserved);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = buf + RT_HEADER_SIZE + (size_t)i * RT_ENTRY_SIZE;
        const fmt_region_entry *r = &in->entries[i];
        vhdx_put_guid(e + RTE_OFF_GUID, &r->guid);
        vhdx_put64(e + RTE_OFF_FILE_OFFSET, r->file_offset);
        vhdx_put32(e + RTE_OFF_LENGTH, r->length);
        vhdx_put32(e + RTE_OFF_REQUIRED, r->required);
    }
    vhdx_put32(buf + RT_OFF_CHECKSUM, vhdx_crc32c(0, buf, VHDX_RT_SIZE));
    return VHDX_OK;
}

int fmt_region_table_is_valid(const uint8_t *buf, size_t len)
{
    /* [MS-VHDX 2.2.3.1] R24, R25 */
    if (!buf || len < VHDX_RT_SIZE) return 0;
    return vhdx_le32(buf + RT_OFF_SIGNATURE) == VHDX_SIG_REGI &&
           vhdx_le32(buf + RT_OFF_CHECKSUM) ==
               vhdx_crc32c_with_zero_field(buf, VHDX_RT_SIZE, RT_OFF_CHECKSUM);
}

static int cmp_guid_ptr(const void *a, const void *b)
{
    const vhdx_guid *ga = *(const vhdx_guid *const *)a, *gb = *(const vhdx_guid *const *)b;
    int c = memcmp(ga->b, gb->b, 16);
    if (c) return c;
    return ga < gb ? -1 : ga > gb; /* stable: table order */
}

int fmt_region_table_validate(const fmt_region_table *rt, const uint8_t *raw, vhdx_sink *sink,
                              uint64_t base)
{
    const vhdx_guid *sorted[VHDX_RT_MAX_ENTRIES];
    int have_bat = 0, have_md = 0;
    uint32_t n = rt->decoded;

    /* [MS-VHDX 2.2.3.1] R24: signature "regi" */
    if (rt->signature != VHDX_SIG_REGI)
        VHDX_CHECK_REPORT(sink, VHDX_E_RT_SIGNATURE, base + RT_OFF_SIGNATURE, "region_table.Signature");
    /* R25: CRC-32C over 64 KiB */
    if (raw && vhdx_le32(raw + RT_OFF_CHECKSUM) !=
                   vhdx_crc32c_with_zero_field(raw, VHDX_RT_SIZE, RT_OFF_CHECKSUM))
        VHDX_CHECK_REPORT(sink, VHDX_E_RT_CHECKSUM, base + RT_OFF_CHECKSUM, "region_table.Checksum");
    /* R26: EntryCount <= 2047 */
    if (rt->entry_count > VHDX_RT_MAX_ENTRIES)
        VHDX_CHECK_REPORT(sink, VHDX_E_RT_ENTRY_COUNT, base + RT_OFF_ENTRY_COUNT,
                          "region_table.EntryCount");
    /* R27: Reserved zero */
    if (rt->reserved != 0)
        VHDX_CHECK_REPORT(sink, VHDX_W_RT_RESERVED, base + RT_OFF_RESERVED, "region_table.Reserved");

    for (uint32_t i = 0; i < n; i++) {
        const fmt_region_entry *r = &rt->entries[i];
        uint64_t eoff = base + RT_HEADER_SIZE + (uint64_t)i * RT_ENTRY_SIZE, end;
        int is_bat = vhdx_guid_equal(&r->guid, &VHDX_GUID_BAT_REGION);
        int is_md = vhdx_guid_equal(&r->guid, &VHDX_GUID_METADATA_REGION);

        have_bat |= is_bat;
        have_md |= is_md;
        sorted[i] = &r->guid;
        /* [MS-VHDX 2.2.3.2] R29: FileOffset multiple of 1 MiB and >= 1 MiB */
        if (r->file_offset % MiB != 0 || r->file_offset < VHDX_HEADER_SECTION ||
            !vhdx_add_ok(r->file_offset, r->length, &end))
            VHDX_CHECK_REPORT(sink, VHDX_E_RT_OFFSET, eoff + RTE_OFF_FILE_OFFSET,
                              "region.FileOffset");
        /* R30: Length multiple of 1 MiB, non-zero */
        if (r->length == 0 || r->length % MiB != 0)
            VHDX_CHECK_REPORT(sink, VHDX_E_RT_LENGTH, eoff + RTE_OFF_LENGTH, "region.Length");
        if (is_bat || is_md) {
            /* D7: the spec's table marks both known regions required */
            if ((r->required & 1u) == 0)
                VHDX_CHECK_REPORT(sink, VHDX_W_RT_NOT_REQUIRED, eoff + RTE_OFF_REQUIRED,
                                  "region.Required");
        } else if (r->required & 1u) {
            /* R31/R3: an unknown required region cannot be processed */
            VHDX_CHECK_REPORT(sink, VHDX_E_RT_UNKNOWN_REQUIRED, eoff + RTE_OFF_REQUIRED,
                              "region.Required");
        }
        /* D8: only bit 0 of Required has a meaning */
        if (r->required & ~1u)
            VHDX_CHECK_REPORT(sink, VHDX_W_RT_REQUIRED_BITS, eoff + RTE_OFF_REQUIRED,
                              "region.Required");
    }
    /* R28: GUIDs unique; the later entry of each duplicate pair is reported */
    if (n > 1) {
        qsort(sorted, n, sizeof sorted[0], cmp_guid_ptr);
        for (uint32_t i = 1; i < n; i++) {
            if (memcmp(sorted[i - 1]->b, sorted[i]->b, 16) == 0) {
                const fmt_region_entry *e =
                    (const fmt_region_entry *)(const void *)((const uint8_t *)sorted[i] -
                                                             offsetof(fmt_region_entry, guid));
                uint64_t idx = (uint64_t)(e - rt->entries);
                VHDX_CHECK_REPORT(sink, VHDX_E_RT_DUPLICATE,
                                  base + RT_HEADER_SIZE + idx * RT_ENTRY_SIZE + RTE_OFF_GUID,
                                  "region.Guid");
            }
        }
    }
    /* D4, D5: nothing can be interpreted without the BAT and metadata regions */
    if (!have_bat)
        VHDX_CHECK_REPORT(sink, VHDX_E_RT_MISSING_BAT, base + RT_OFF_ENTRY_COUNT,
                          "region_table.EntryCount");
    if (!have_md)
        VHDX_CHECK_REPORT(sink, VHDX_E_RT_MISSING_METADATA, base + RT_OFF_ENTRY_COUNT,
                          "region_table.EntryCount");
    return VHDX_OK;
}
