/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt_metadata.c - metadata region (MS-VHDX 2.6): table, known items, geometry.
 *
 * Table header (32 bytes at region offset 0):
 *   0 Signature "metadata" u64 | 8 Reserved u16 | 10 EntryCount u16 | 12 Reserved2[20]
 * Entries at 32 + 32*i:
 *   0 ItemId | 16 Offset u32 | 20 Length u32 | 24 Flags u32 (IsUser, IsVirtualDisk,
 *   IsRequired) | 28 Reserved2 u32
 */
#include <stdlib.h>

#include "fmt.h"

_Static_assert(MD_HEADER_SIZE + VHDX_MD_MAX_ENTRIES * MD_ENTRY_SIZE == VHDX_MD_TABLE_SIZE,
               "metadata table layout");

int fmt_metadata_table_decode(const uint8_t *buf, size_t len, fmt_metadata_table *out)
{
    uint32_t n;
    if (len < MD_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    out->signature = vhdx_le64(buf + MD_OFF_SIGNATURE);
    out->reserved = vhdx_le16(buf + MD_OFF_RESERVED);
    out->entry_count = vhdx_le16(buf + MD_OFF_ENTRY_COUNT);
    memcpy(out->reserved2, buf + MD_OFF_RESERVED2, sizeof out->reserved2);
    n = out->entry_count < VHDX_MD_MAX_ENTRIES ? out->entry_count : VHDX_MD_MAX_ENTRIES;
    if ((uint64_t)n * MD_ENTRY_SIZE > len - MD_HEADER_SIZE) return VHDX_E_TRUNCATED_INPUT;
    out->decoded = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = buf + MD_HEADER_SIZE + (size_t)i * MD_ENTRY_SIZE;
        fmt_metadata_entry *m = &out->entries[i];
        vhdx_get_guid(&m->item_id, e + MDE_OFF_ITEM_ID);
        m->offset = vhdx_le32(e + MDE_OFF_OFFSET);
        m->length = vhdx_le32(e + MDE_OFF_LENGTH);
        m->flags = vhdx_le32(e + MDE_OFF_FLAGS);
        m->reserved2 = vhdx_le32(e + MDE_OFF_RESERVED2);
    }
    return VHDX_OK;
}

int fmt_metadata_table_encode(const fmt_metadata_table *in, uint8_t *buf, size_t len)
{
    uint32_t n = in->entry_count < VHDX_MD_MAX_ENTRIES ? in->entry_count : VHDX_MD_MAX_ENTRIES;
    if (len < VHDX_MD_TABLE_SIZE) return VHDX_E_TRUNCATED_INPUT;
    memset(buf, 0, VHDX_MD_TABLE_SIZE);
    vhdx_put64(buf + MD_OFF_SIGNATURE, in->signature);
    vhdx_put16(buf + MD_OFF_RESERVED, in->reserved);
    vhdx_put16(buf + MD_OFF_ENTRY_COUNT, in->entry_count);
    memcpy(buf + MD_OFF_RESERVED2, in->reserved2, sizeof in->reserved2);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t *e = buf + MD_HEADER_SIZE + (size_t)i * MD_ENTRY_SIZE;
        const fmt_metadata_entry *m = &in->entries[i];
        vhdx_put_guid(e + MDE_OFF_ITEM_ID, &m->item_id);
        vhdx_put32(e + MDE_OFF_OFFSET, m->offset);
        vhdx_put32(e + MDE_OFF_LENGTH, m->length);
        vhdx_put32(e + MDE_OFF_FLAGS, m->flags);
        vhdx_put32(e + MDE_OFF_RESERVED2, m->reserved2);
    }
    return VHDX_OK;
}

/* The known system items (2.6.2): id, value size, expected flags. */
typedef struct md_known {
    const vhdx_guid *id;
    uint32_t size;
    uint32_t flags;
    int always_required; /* D9: missing => error (parent locator only with HasParent) */
} md_known;

static const md_known md_known_items[] = {
    { &VHDX_GUID_FILE_PARAMETERS, 8, VHDX_MD_FLAG_IS_REQUIRED, 1 },
    { &VHDX_GUID_VIRTUAL_DISK_SIZE, 8, VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED, 1 },
    { &VHDX_GUID_VIRTUAL_DISK_ID, 16, VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED, 1 },
    { &VHDX_GUID_LOGICAL_SECTOR_SIZE, 4, VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED, 1 },
    { &VHDX_GUID_PHYSICAL_SECTOR_SIZE, 4, VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED, 1 },
    { &VHDX_GUID_PARENT_LOCATOR, PL_HEADER_SIZE, VHDX_MD_FLAG_IS_REQUIRED, 0 },
};
#define MD_KNOWN_COUNT (sizeof md_known_items / sizeof md_known_items[0])

static int md_known_index(const fmt_metadata_entry *m)
{
    if (m->flags & VHDX_MD_FLAG_IS_USER) return -1;
    for (size_t k = 0; k < MD_KNOWN_COUNT; k++)
        if (vhdx_guid_equal(&m->item_id, md_known_items[k].id)) return (int)k;
    return -1;
}

/* Sort keys: (ItemId, IsUser) for R83; Offset for R85 overlaps. */
static int cmp_id(const void *a, const void *b)
{
    const fmt_metadata_entry *x = *(const fmt_metadata_entry *const *)a;
    const fmt_metadata_entry *y = *(const fmt_metadata_entry *const *)b;
    int c = memcmp(x->item_id.b, y->item_id.b, 16);
    if (c) return c;
    if ((x->flags & 1u) != (y->flags & 1u)) return (x->flags & 1u) < (y->flags & 1u) ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int cmp_offset(const void *a, const void *b)
{
    const fmt_metadata_entry *x = *(const fmt_metadata_entry *const *)a;
    const fmt_metadata_entry *y = *(const fmt_metadata_entry *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    return x < y ? -1 : x > y;
}

static uint64_t md_entry_off(const fmt_metadata_table *t, const fmt_metadata_entry *m,
                             uint64_t base)
{
    return base + MD_HEADER_SIZE + (uint64_t)(m - t->entries) * MD_ENTRY_SIZE;
}

/* flat validator: R79-R91 as a list of `if (rule) report`, per entry */
int fmt_metadata_table_validate(const fmt_metadata_table *t, uint64_t region_length,
                                vhdx_sink *sink, uint64_t base)
{
    const fmt_metadata_entry *sorted[VHDX_MD_MAX_ENTRIES];
    unsigned found[MD_KNOWN_COUNT] = { 0 };
    uint32_t n = t->decoded, users = 0, m_items = 0;
    uint8_t acc = 0;

    /* [MS-VHDX 2.6.1.1] R79: signature "metadata" */
    if (t->signature != VHDX_SIG_METADATA)
        VHDX_CHECK_REPORT(sink, VHDX_E_MD_SIGNATURE, base + MD_OFF_SIGNATURE, "metadata.Signature");
    /* R80: Reserved zero */
    if (t->reserved != 0)
        VHDX_CHECK_REPORT(sink, VHDX_W_MD_RESERVED, base + MD_OFF_RESERVED, "metadata.Reserved");
    /* R81: EntryCount <= 2047 */
    if (t->entry_count > VHDX_MD_MAX_ENTRIES)
        VHDX_CHECK_REPORT(sink, VHDX_E_MD_ENTRY_COUNT, base + MD_OFF_ENTRY_COUNT,
                          "metadata.EntryCount");
    /* R82: Reserved2 zero */
    for (size_t i = 0; i < sizeof t->reserved2; i++) acc |= t->reserved2[i];
    if (acc)
        VHDX_CHECK_REPORT(sink, VHDX_W_MD_RESERVED2, base + MD_OFF_RESERVED2, "metadata.Reserved2");

    for (uint32_t i = 0; i < n; i++) {
        const fmt_metadata_entry *m = &t->entries[i];
        uint64_t eoff = md_entry_off(t, m, base);
        int k = md_known_index(m);

        if (m->flags & VHDX_MD_FLAG_IS_USER) users++;
        /* [MS-VHDX 2.6.1.2] R91: flag bits 3-31 and Reserved2 zero */
        if (m->flags & ~(uint32_t)7u)
            VHDX_CHECK_REPORT(sink, VHDX_W_MD_FLAGS_RESERVED, eoff + MDE_OFF_FLAGS,
                              "metadata_entry.Flags");
        if (m->reserved2 != 0)
            VHDX_CHECK_REPORT(sink, VHDX_W_MD_FLAGS_RESERVED, eoff + MDE_OFF_RESERVED2,
                              "metadata_entry.Reserved2");
        if (m->length == 0) {
            /* R87: Length 0 => Offset 0 */
            if (m->offset != 0)
                VHDX_CHECK_REPORT(sink, VHDX_E_MD_ZERO_LENGTH_OFFSET, eoff + MDE_OFF_OFFSET,
                                  "metadata_entry.Offset");
        } else {
            /* R84: Offset >= 64 KiB (the table itself) */
            if (m->offset < VHDX_MD_TABLE_SIZE)
                VHDX_CHECK_REPORT(sink, VHDX_E_MD_OFFSET, eoff + MDE_OFF_OFFSET,
                                  "metadata_entry.Offset");
            /* R85: inside the region (u64 sum cannot overflow) */
            else if ((uint64_t)m->offset + m->length > region_length)
                VHDX_CHECK_REPORT(sink, VHDX_E_MD_OUTSIDE_REGION, eoff + MDE_OFF_OFFSET,
                                  "metadata_entry.Offset");
            else
                sorted[m_items++] = m; /* candidates for the overlap check */
        }
        /* R86: Length <= 1 MiB */
        if (m->length > MiB)
            VHDX_CHECK_REPORT(sink, VHDX_E_MD_LENGTH, eoff + MDE_OFF_LENGTH, "metadata_entry.Length");
        if (k >= 0) {
            found[k]++;
            /* D10: a known item holds at least its value */
            if (m->length < md_known_items[k].size)
                VHDX_CHECK_REPORT(sink, VHDX_E_MD_ITEM_SIZE, eoff + MDE_OFF_LENGTH,
                                  "metadata_entry.Length");
            /* D11: flags as in the spec's table of known items */
            if ((m->flags & 7u) != md_known_items[k].flags)
                VHDX_CHECK_REPORT(sink, VHDX_W_MD_ITEM_FLAGS, eoff + MDE_OFF_FLAGS,
                                  "metadata_entry.Flags");
        } else if (m->flags & VHDX_MD_FLAG_IS_REQUIRED) {
            /* R90: unknown item marked required */
            VHDX_CHECK_REPORT(sink, VHDX_E_MD_UNKNOWN_REQUIRED, eoff + MDE_OFF_FLAGS,
                              "metadata_entry.Flags");
        }
    }
    /* R85: items do not overlap (sorted by offset; compare with the furthest end so far) */
    if (m_items > 1) {
        uint64_t max_end;
        qsort(sorted, m_items, sizeof sorted[0], cmp_offset);
        max_end = (uint64_t)sorted[0]->offset + sorted[0]->length;
        for (uint32_t i = 1; i < m_items; i++) {
            uint64_t end = (uint64_t)sorted[i]->offset + sorted[i]->length;
            if (sorted[i]->offset < max_end)
                VHDX_CHECK_REPORT(sink, VHDX_E_MD_OVERLAP,
                                  md_entry_off(t, sorted[i], base) + MDE_OFF_OFFSET,
                                  "metadata_entry.Offset");
            if (end > max_end) max_end = end;
        }
    }
    /* R83: (ItemId, IsUser) unique */
    if (n > 1) {
        for (uint32_t i = 0; i < n; i++) sorted[i] = &t->entries[i];
        qsort(sorted, n, sizeof sorted[0], cmp_id);
        for (uint32_t i = 1; i < n; i++) {
            if (memcmp(sorted[i - 1]->item_id.b, sorted[i]->item_id.b, 16) == 0 &&
                (sorted[i - 1]->flags & 1u) == (sorted[i]->flags & 1u))
                VHDX_CHECK_REPORT(sink, VHDX_E_MD_DUPLICATE,
                                  md_entry_off(t, sorted[i], base) + MDE_OFF_ITEM_ID,
                                  "metadata_entry.ItemId");
        }
    }
    /* R88: at most 1024 user items */
    if (users > VHDX_MD_MAX_USER)
        VHDX_CHECK_REPORT(sink, VHDX_E_MD_TOO_MANY_USER, base + MD_OFF_ENTRY_COUNT,
                          "metadata.EntryCount");
    /* D9: the five always-required system items are present */
    for (size_t k = 0; k < MD_KNOWN_COUNT; k++)
        if (md_known_items[k].always_required && found[k] == 0)
            VHDX_CHECK_REPORT(sink, VHDX_E_MD_MISSING_ITEM, base + MD_OFF_ENTRY_COUNT,
                              "metadata.EntryCount");
    return VHDX_OK;
}

int fmt_metadata_find(const fmt_metadata_table *t, const vhdx_guid *id)
{
    for (uint32_t i = 0; i < t->decoded; i++)
        if ((t->entries[i].flags & VHDX_MD_FLAG_IS_USER) == 0 &&
            vhdx_guid_equal(&t->entries[i].item_id, id))
            return (int)i;
    return -1;
}

/* ---- items (2.6.2) ---- */

int fmt_file_parameters_decode(const uint8_t *buf, size_t len, fmt_file_parameters *out)
{
    if (len < 8) return VHDX_E_TRUNCATED_INPUT;
    out->block_size = vhdx_le32(buf);
    out->flags = vhdx_le32(buf + 4);
    return VHDX_OK;
}

int fmt_file_parameters_encode(const fmt_file_parameters *in, uint8_t *buf, size_t len)
{
    if (len < 8) return VHDX_E_TRUNCATED_INPUT;
    vhdx_put32(buf, in->block_size);
    vhdx_put32(buf + 4, in->flags);
    return VHDX_OK;
}

int fmt_u64_item_decode(const uint8_t *buf, size_t len, uint64_t *out)
{
    if (len < 8) return VHDX_E_TRUNCATED_INPUT;
    *out = vhdx_le64(buf);
    return VHDX_OK;
}

int fmt_u64_item_encode(uint64_t v, uint8_t *buf, size_t len)
{
    if (len < 8) return VHDX_E_TRUNCATED_INPUT;
    vhdx_put64(buf, v);
    return VHDX_OK;
}

int fmt_u32_item_decode(const uint8_t *buf, size_t len, uint32_t *out)
{
    if (len < 4) return VHDX_E_TRUNCATED_INPUT;
    *out = vhdx_le32(buf);
    return VHDX_OK;
}

int fmt_u32_item_encode(uint32_t v, uint8_t *buf, size_t len)
{
    if (len < 4) return VHDX_E_TRUNCATED_INPUT;
    vhdx_put32(buf, v);
    return VHDX_OK;
}

int fmt_guid_item_decode(const uint8_t *buf, size_t len, vhdx_guid *out)
{
    if (len < 16) return VHDX_E_TRUNCATED_INPUT;
    vhdx_get_guid(out, buf);
    return VHDX_OK;
}

int fmt_guid_item_encode(const vhdx_guid *g, uint8_t *buf, size_t len)
{
    if (len < 16) return VHDX_E_TRUNCATED_INPUT;
    vhdx_put_guid(buf, g);
    return VHDX_OK;
}

/* ---- geometry (2.6.2, 2.5) ---- */

static int sector_size_ok(uint32_t s) { return s == 512 || s == 4096; }

static int block_size_ok(uint32_t bs)
{
    return vhdx_is_pow2(bs) && bs >= MiB && bs <= 256 * MiB;
}

int fmt_geometry_compute(fmt_geometry *g, uint64_t virtual_size, uint32_t block_size,
                         uint32_t lss, uint32_t pss, uint32_t fp_flags)
{
    uint64_t cr, n, s, entries;

    memset(g, 0, sizeof *g);
    if (!sector_size_ok(lss)) return VHDX_E_LOGICAL_SECTOR;   /* R96 */
    if (!sector_size_ok(pss)) return VHDX_E_PHYSICAL_SECTOR;  /* R97 */
    if (!block_size_ok(block_size)) return VHDX_E_BLOCK_SIZE; /* R92 */
    /* R95: multiple of the logical sector size, <= 64 TiB; zero would underflow N - 1 */
    if (virtual_size == 0 || virtual_size > VHDX_MAX_DISK_SIZE || virtual_size % lss != 0)
        return VHDX_E_DISK_SIZE;

    /* [MS-VHDX 2.5] chunk = 2^23 sectors; all values fit comfortably in u64 */
    cr = ((uint64_t)1 << 23) * lss / block_size;
    n = vhdx_div_round_up(virtual_size, block_size);
    s = vhdx_div_round_up(n, cr);
    if (fp_flags & VHDX_FP_HAS_PARENT)
        entries = s * (cr + 1);  /* R68 */
    else
        entries = n + (n - 1) / cr; /* R67 */

    g->virtual_size = virtual_size;
    g->block_size = block_size;
    g->logical_sector_size = lss;
    g->physical_sector_size = pss;
    g->has_parent = (fp_flags & VHDX_FP_HAS_PARENT) != 0;
    g->leave_allocated = (fp_flags & VHDX_FP_LEAVE_BLOCK_ALLOCATED) != 0;
    g->fp_flags = fp_flags;
    g->chunk_ratio = cr;
    g->payload_blocks = n;
    g->sb_blocks = s;
    g->bat_entries = entries;
    return VHDX_OK;
}

int fmt_geometry_validate(uint64_t virtual_size, uint32_t block_size, uint32_t lss,
                          uint32_t pss, uint32_t fp_flags, vhdx_sink *sink,
                          uint64_t off_fp, uint64_t off_size, uint64_t off_lss, uint64_t off_pss)
{
    /* [MS-VHDX 2.6.2.1] R92: BlockSize power of two in [1 MiB, 256 MiB] */
    if (!block_size_ok(block_size))
        VHDX_CHECK_REPORT(sink, VHDX_E_BLOCK_SIZE, off_fp, "file_parameters.BlockSize");
    /* R94: flag bits 2-31 zero */
    if (fp_flags & ~(uint32_t)(VHDX_FP_LEAVE_BLOCK_ALLOCATED | VHDX_FP_HAS_PARENT))
        VHDX_CHECK_REPORT(sink, VHDX_W_FILE_PARAMS_RESERVED, off_fp + 4, "file_parameters.Flags");
    /* [2.6.2.4] R96, [2.6.2.5] R97 */
    if (!sector_size_ok(lss))
        VHDX_CHECK_REPORT(sink, VHDX_E_LOGICAL_SECTOR, off_lss, "logical_sector_size");
    if (!sector_size_ok(pss))
        VHDX_CHECK_REPORT(sink, VHDX_E_PHYSICAL_SECTOR, off_pss, "physical_sector_size");
    /* [2.6.2.2] R95: non-zero, <= 64 TiB, multiple of a valid logical sector size */
    if (virtual_size == 0 || virtual_size > VHDX_MAX_DISK_SIZE ||
        (sector_size_ok(lss) && virtual_size % lss != 0))
        VHDX_CHECK_REPORT(sink, VHDX_E_DISK_SIZE, off_size, "virtual_disk_size");
    return VHDX_OK;
}
