/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_metadata - metadata table, known items, geometry and the parent locator
 * (MS-VHDX 2.6).
 *
 * Input: byte 0 flags (bits 1-3: claimed region length = (v + 1) MiB), then the metadata
 * region bytes (table at 0, items at their offsets), zero padded to 1 MiB.
 * Oracles: table decode/encode invert each other; every known item decoder is inverted by
 * its encoder; geometry counts match an independent computation; locator lookups return
 * each key's value, and a locator rebuilt from the decoded pairs decodes to the same
 * pairs; validators report only table codes of sane classes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define REGION_BUF (1024u * 1024u)

static void check_table_roundtrip(const fmt_metadata_table *t, const uint8_t *raw)
{
    static uint8_t out[VHDX_MD_TABLE_SIZE];
    static fmt_metadata_table t2;
    if (fz_rc(fmt_metadata_table_encode(t, out, sizeof out), "md_encode") != VHDX_OK)
        FZ_FAIL("md_encode failed");
    size_t used = MD_HEADER_SIZE + (size_t)t->decoded * MD_ENTRY_SIZE;
    if (memcmp(out, raw, used) != 0) FZ_FAIL("encode(decode(x)) differs in header or entries");
    if (fz_rc(fmt_metadata_table_decode(out, sizeof out, &t2), "md_decode(encoded)") != VHDX_OK)
        FZ_FAIL("decode of encoded metadata table failed");
    FZ_ASSERT(t2.decoded == t->decoded && t2.entry_count == t->entry_count);
    FZ_ASSERT(t2.signature == t->signature && t2.reserved == t->reserved);
    FZ_ASSERT(memcmp(t2.reserved2, t->reserved2, sizeof t->reserved2) == 0);
    FZ_ASSERT(memcmp(t2.entries, t->entries, t->decoded * sizeof t->entries[0]) == 0);
}

/* ASCII-only UTF-16LE string -> C string; 0 when not plain ASCII or too long */
static int ascii16(const uint8_t *p, size_t n, char *out, size_t outlen)
{
    if (n % 2 || n / 2 + 1 > outlen || n == 0) return 0;
    for (size_t i = 0; i < n / 2; i++) {
        uint16_t c = vhdx_le16(p + 2 * i);
        if (c == 0 || c >= 0x80) return 0;
        out[i] = (char)c;
    }
    out[n / 2] = 0;
    return 1;
}

static void check_locator(const uint8_t *item, size_t len, uint64_t base)
{
    static fmt_locator pl, pl2;
    static char keys[8][64], vals[8][VHDX_PL_MAX_STRING], got[VHDX_PL_MAX_STRING];
    static uint8_t built[65536];
    fz_sink s;

    int rc = fz_rc(fmt_locator_decode(item, len, &pl), "locator_decode");
    if (rc != VHDX_OK) return;
    /* decoded = min(Count, VHDX_PL_MAX_ENTRIES, entries that fit in the item) */
    size_t fit = (len - PL_HEADER_SIZE) / PL_ENTRY_SIZE, want = pl.count;
    if (want > VHDX_PL_MAX_ENTRIES) want = VHDX_PL_MAX_ENTRIES;
    if (want > fit) want = fit;
    FZ_ASSERT(pl.decoded == want);
    fz_sink_init(&s);
    rc = fz_rc(fmt_locator_validate(&pl, item, len, &s.sink, base), "locator_validate");
    fz_use_u64((uint64_t)rc + s.count);
    static const char *const known[] = { "parent_linkage", "parent_linkage2", "relative_path",
                                         "volume_path", "absolute_win32_path" };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        rc = fz_rc_allow(fmt_locator_get(&pl, item, len, known[i], got, sizeof got),
                         VHDX_E_NOT_FOUND, "locator_get");
        if (rc == VHDX_OK) {
            size_t l = strnlen(got, sizeof got);
            if (l == sizeof got) FZ_FAIL("locator_get returned an unterminated string");
            fz_use(got, l);
        }
    }
    /* plain-ASCII pairs with distinct keys: get must return them; rebuild and compare */
    const char *kp[8], *vp[8];
    size_t n = 0;
    for (uint16_t i = 0; i < pl.decoded && n < 8; i++) {
        const fmt_locator_entry *e = &pl.entries[i];
        if (!vhdx_range_ok(e->key_offset, e->key_length, len) ||
            !vhdx_range_ok(e->value_offset, e->value_length, len))
            continue;
        if (!ascii16(item + e->key_offset, e->key_length, keys[n], sizeof keys[n]) ||
            !ascii16(item + e->value_offset, e->value_length, vals[n], sizeof vals[n]))
            continue;
        int dup = 0;
        for (uint16_t j = 0; j < pl.decoded; j++) {
            const fmt_locator_entry *o = &pl.entries[j];
            if (j != i && o->key_length == e->key_length &&
                vhdx_range_ok(o->key_offset, o->key_length, len) &&
                memcmp(item + o->key_offset, item + e->key_offset, e->key_length) == 0)
                dup = 1;
        }
        if (dup) continue;
        kp[n] = keys[n];
        vp[n] = vals[n];
        n++;
    }
    for (size_t i = 0; i < n; i++) {
        rc = fz_rc(fmt_locator_get(&pl, item, len, kp[i], got, sizeof got), "locator_get(ascii)");
        if (rc != VHDX_OK || strcmp(got, vp[i]) != 0)
            FZ_FAIL("locator_get(%s) = %s, stored value %s", kp[i], vhdx_status_name(rc), vp[i]);
    }
    size_t written = 0;
    rc = fz_rc(fmt_locator_build(kp, vp, n, built, sizeof built, &written), "locator_build");
    if (rc != VHDX_OK) return;
    FZ_ASSERT(written <= sizeof built);
    if (fz_rc(fmt_locator_decode(built, written, &pl2), "locator_decode(built)") != VHDX_OK)
        FZ_FAIL("built locator does not decode");
    FZ_ASSERT(pl2.count == n && vhdx_guid_equal(&pl2.type, &VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX));
    for (size_t i = 0; i < n; i++) {
        rc = fz_rc(fmt_locator_get(&pl2, built, written, kp[i], got, sizeof got), "locator_get(built)");
        if (rc != VHDX_OK || strcmp(got, vp[i]) != 0)
            FZ_FAIL("rebuilt locator: %s -> %s", kp[i], vhdx_status_name(rc));
    }
}

static void check_geometry(uint64_t vs, uint32_t bs, uint32_t lss, uint32_t pss, uint32_t fpf)
{
    fmt_geometry g;
    fz_sink s;
    fz_sink_init(&s);
    int vrc = fz_rc(fmt_geometry_validate(vs, bs, lss, pss, fpf, &s.sink, 0, 8, 16, 24), "geometry_validate");
    int rc = fz_rc(fmt_geometry_compute(&g, vs, bs, lss, pss, fpf), "geometry_compute");
    fz_use_u64((uint64_t)vrc + s.count);
    if (rc != VHDX_OK) return;
    /* compute accepted: the values must be in the spec's ranges */
    FZ_ASSERT(vhdx_is_pow2(bs) && bs >= MiB && bs <= 256 * MiB);
    FZ_ASSERT(lss == 512 || lss == 4096);
    FZ_ASSERT(vs != 0 && vs % lss == 0 && vs <= VHDX_MAX_DISK_SIZE);
    uint64_t cr = ((uint64_t)1 << 23) * lss / bs;
    uint64_t n = vhdx_div_round_up(vs, bs);
    uint64_t sb = vhdx_div_round_up(n, cr);
    int parent = (fpf & VHDX_FP_HAS_PARENT) != 0;
    uint64_t entries = parent ? sb * (cr + 1) : n + (n - 1) / cr;
    if (g.chunk_ratio != cr || g.payload_blocks != n || g.sb_blocks != sb || g.bat_entries != entries)
        FZ_FAIL("geometry vs=%llu bs=%u lss=%u parent=%d: CR %llu/%llu N %llu/%llu S %llu/%llu entries %llu/%llu",
                (unsigned long long)vs, bs, lss, parent, (unsigned long long)g.chunk_ratio,
                (unsigned long long)cr, (unsigned long long)g.payload_blocks, (unsigned long long)n,
                (unsigned long long)g.sb_blocks, (unsigned long long)sb,
                (unsigned long long)g.bat_entries, (unsigned long long)entries);
    FZ_ASSERT(g.virtual_size == vs && g.block_size == bs && g.logical_sector_size == lss);
    FZ_ASSERT(g.has_parent == parent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static fmt_metadata_table t;
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    uint64_t region_len = (uint64_t)(((flags >> 1) & 7u) + 1) * MiB;
    static uint8_t region[REGION_BUF];
    size_t got;
    const uint8_t *p = fz_take(&in, REGION_BUF, &got);
    memcpy(region, p, got);
    memset(region + got, 0, REGION_BUF - got);
    const uint64_t base = 3 * MiB;

    if (fz_rc(fmt_metadata_table_decode(region, VHDX_MD_TABLE_SIZE, &t), "md_decode") != VHDX_OK)
        FZ_FAIL("md_decode failed on a full table");
    FZ_ASSERT(t.signature == vhdx_le64(region) && t.entry_count == vhdx_le16(region + MD_OFF_ENTRY_COUNT));
    FZ_ASSERT(t.decoded == (t.entry_count < VHDX_MD_MAX_ENTRIES ? t.entry_count : VHDX_MD_MAX_ENTRIES));
    size_t need = MD_HEADER_SIZE + (size_t)t.decoded * MD_ENTRY_SIZE;
    if (fmt_metadata_table_decode(region, need - 1, &t) != VHDX_E_TRUNCATED_INPUT)
        FZ_FAIL("short metadata table not reported as VHDX_E_TRUNCATED_INPUT");
    (void)fz_rc(fmt_metadata_table_decode(region, VHDX_MD_TABLE_SIZE, &t), "md_decode");
    check_table_roundtrip(&t, region);

    fz_sink s;
    fz_sink_init(&s);
    int rc = fz_rc(fmt_metadata_table_validate(&t, region_len, &s.sink, base), "md_validate");
    fz_use_u64((uint64_t)rc + s.count);

    int have = 0;
    uint64_t vs = 0;
    uint32_t lss = 0, pss = 0;
    fmt_file_parameters fp = { 0, 0 };
    for (uint32_t i = 0; i < t.decoded; i++) {
        const fmt_metadata_entry *e = &t.entries[i];
        if (e->length == 0 || !vhdx_range_ok(e->offset, e->length, REGION_BUF)) continue;
        const uint8_t *item = region + e->offset;
        size_t len = e->length;
        uint8_t out[16];
        int idx = fmt_metadata_find(&t, &e->item_id);
        if (idx >= 0) {
            FZ_ASSERT((uint32_t)idx < t.decoded);
            FZ_ASSERT(vhdx_guid_equal(&t.entries[idx].item_id, &e->item_id));
            FZ_ASSERT(!(t.entries[idx].flags & VHDX_MD_FLAG_IS_USER));
        }
        if (e->flags & VHDX_MD_FLAG_IS_USER) continue;
        if (vhdx_guid_equal(&e->item_id, &VHDX_GUID_FILE_PARAMETERS)) {
            fmt_file_parameters v;
            if (fz_rc(fmt_file_parameters_decode(item, len, &v), "fp_decode") != VHDX_OK) continue;
            FZ_ASSERT(fmt_file_parameters_encode(&v, out, 8) == VHDX_OK && memcmp(out, item, 8) == 0);
            fp = v;
            have |= 1;
        } else if (vhdx_guid_equal(&e->item_id, &VHDX_GUID_VIRTUAL_DISK_SIZE)) {
            if (fz_rc(fmt_u64_item_decode(item, len, &vs), "u64_decode") != VHDX_OK) continue;
            FZ_ASSERT(fmt_u64_item_encode(vs, out, 8) == VHDX_OK && memcmp(out, item, 8) == 0);
            have |= 2;
        } else if (vhdx_guid_equal(&e->item_id, &VHDX_GUID_LOGICAL_SECTOR_SIZE) ||
                   vhdx_guid_equal(&e->item_id, &VHDX_GUID_PHYSICAL_SECTOR_SIZE)) {
            uint32_t v;
            if (fz_rc(fmt_u32_item_decode(item, len, &v), "u32_decode") != VHDX_OK) continue;
            FZ_ASSERT(fmt_u32_item_encode(v, out, 4) == VHDX_OK && memcmp(out, item, 4) == 0);
            if (vhdx_guid_equal(&e->item_id, &VHDX_GUID_LOGICAL_SECTOR_SIZE)) { lss = v; have |= 4; }
            else { pss = v; have |= 8; }
        } else if (vhdx_guid_equal(&e->item_id, &VHDX_GUID_VIRTUAL_DISK_ID)) {
            vhdx_guid g;
            if (fz_rc(fmt_guid_item_decode(item, len, &g), "guid_decode") != VHDX_OK) continue;
            FZ_ASSERT(fmt_guid_item_encode(&g, out, 16) == VHDX_OK && memcmp(out, item, 16) == 0);
        } else if (vhdx_guid_equal(&e->item_id, &VHDX_GUID_PARENT_LOCATOR)) {
            check_locator(item, len, base + e->offset);
        }
    }
    if (have == 15) check_geometry(vs, fp.block_size, lss, pss, fp.flags);
    /* geometry also straight from input bytes, to reach its corner cases quickly */
    {
        fz_in g = { region + VHDX_MD_TABLE_SIZE - 24, 24 };
        uint64_t gvs = fz_u64(&g);
        uint32_t gbs = fz_u32(&g), glss = fz_u32(&g), gpss = fz_u32(&g), gf = fz_u32(&g);
        check_geometry(gvs, gbs, glss, gpss, gf);
    }
    return 0;
}
