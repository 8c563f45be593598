/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_bat - BAT entries against a geometry taken from the input (MS-VHDX 2.5), and the
 * same entries placed into a real (library-created) dynamic image that is then opened,
 * read and checked.
 *
 * Input: byte 0 flags (bit 1: also run the image part; bit 2: HasParent; bit 3: 4096-byte
 * logical sectors; bits 4-7: block size 1 MiB << (v % 9)); u64 virtual size (reduced to
 * a valid size unless bit 0 of byte 9 is set); byte 9 mode; then BAT entries (u64 LE).
 * Oracles: geometry counts as in fuzz_metadata; entry encoding helpers invert each other;
 * the payload/sector-bitmap slot mapping is a bijection; the validator reports reserved
 * states, reserved bits, sector bitmaps in files without a parent and partially present
 * blocks without a parent; image oracles as in fuzz_open.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static uint64_t template_region(const fz_file *t, const vhdx_guid *g, uint32_t *len)
{
    uint8_t rt[VHDX_RT_SIZE];
    fz_file_read(t, VHDX_RT1_OFFSET, rt, sizeof rt);
    uint32_t n = vhdx_le32(rt + RT_OFF_ENTRY_COUNT);
    for (uint32_t i = 0; i < n && i < VHDX_RT_MAX_ENTRIES; i++) {
        const uint8_t *e = rt + RT_HEADER_SIZE + (size_t)i * RT_ENTRY_SIZE;
        if (memcmp(e, g->b, 16) == 0) {
            *len = vhdx_le32(e + RTE_OFF_LENGTH);
            return vhdx_le64(e + RTE_OFF_FILE_OFFSET);
        }
    }
    return 0;
}

static void image_part(const uint8_t *bat, size_t nbat, unsigned flags, uint64_t seed)
{
    const fz_file *t = fz_template(0);
    if (!t) return;
    uint32_t bat_len = 0;
    uint64_t bat_off = template_region(t, &VHDX_GUID_BAT_REGION, &bat_len);
    if (bat_off == 0 || bat_len == 0) return;
    fz_file f;
    fz_file_init(&f, FZ_IMAGE_MAX);
    if (fz_file_copy(&f, t) != 0) { fz_file_free(&f); return; }
    uint64_t base_mib = (t->size + MiB - 1) / MiB;
    uint64_t file_mib = base_mib + 8;
    f.size = file_mib * MiB;
    /* recognisable payload at each MiB after the template so present blocks read data */
    for (uint64_t m = base_mib; m < file_mib; m++) {
        uint8_t tag[16];
        memset(tag, (int)(0xB0 + m), sizeof tag);
        (void)fz_file_put(&f, m * MiB, tag, sizeof tag);
        (void)fz_file_put(&f, m * MiB + MiB - sizeof tag, tag, sizeof tag);
    }
    size_t n = nbat < bat_len / 8 ? nbat : bat_len / 8;
    if (n > 64) n = 64;
    for (size_t i = 0; i < n; i++) {
        uint64_t e = vhdx_le64(bat + 8 * i);
        /* keep state and reserved bits; aim FileOffsetMB into (or just past) the file */
        uint64_t mb = (e >> 20) % (file_mib + 2);
        uint64_t ne = (e & 0xFFFFFu) | (mb << 20);
        uint8_t eb[8];
        vhdx_put64(eb, ne);
        (void)fz_file_put(&f, bat_off + 8 * i, eb, 8);
    }
    fz_ex_result r;
    fz_exercise_image(&f, (flags & 0x04) ? FZ_EX_RDWR : 0, seed, &r);
    fz_use_u64((uint64_t)r.open_rc);
    fz_file_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned flags = fz_u8(&in);
    uint64_t raw_vs = fz_u64(&in);
    unsigned mode = fz_u8(&in);
    uint32_t lss = (flags & 0x08) ? 4096u : 512u;
    uint32_t bs = (uint32_t)(MiB << ((flags >> 4) % 9u));
    uint32_t fpf = (flags & 0x04) ? VHDX_FP_HAS_PARENT : 0;
    uint64_t vs = (mode & 1) ? raw_vs : (raw_vs % (VHDX_MAX_DISK_SIZE / lss) + 1) * lss;
    const uint8_t *bat = in.p;
    size_t nbat = in.n / 8;

    fmt_geometry g;
    int rc = fz_rc(fmt_geometry_compute(&g, vs, bs, lss, 4096, fpf), "geometry_compute");
    if (!(mode & 1) && rc != VHDX_OK) FZ_FAIL("valid geometry rejected: %s", vhdx_status_name(rc));
    if (rc == VHDX_OK) {
        uint64_t cr = g.chunk_ratio;
        FZ_ASSERT(cr == ((uint64_t)1 << 23) * lss / bs);
        FZ_ASSERT(g.payload_blocks == vhdx_div_round_up(vs, bs));
        uint64_t n = nbat < g.bat_entries ? nbat : g.bat_entries;
        for (uint64_t i = 0; i < n; i++) {
            uint64_t e = vhdx_le64(bat + 8 * i);
            unsigned st = fmt_bat_state(e);
            FZ_ASSERT((fmt_bat_make(st, fmt_bat_offset(e)) | fmt_bat_reserved(e)) == e);
            int sb = fmt_bat_is_sb_slot(i, cr);
            if (sb) {
                FZ_ASSERT(fmt_bat_sb_index(i / (cr + 1), cr) == i);
            } else {
                uint64_t b = i - i / (cr + 1);
                FZ_ASSERT(fmt_bat_pb_index(b, cr) == i);
            }
            fz_sink s;
            fz_sink_init(&s);
            rc = fz_rc(fmt_bat_entry_validate(e, i, &g, &s.sink, 2 * MiB + 8 * i), "bat_entry_validate");
            int must = fmt_bat_reserved(e) != 0;
            if (!sb && (st == 4 || st == 5)) must = 1;
            if (!sb && st == VHDX_PB_PARTIALLY_PRESENT && !g.has_parent) must = 1;
            if (sb && st != VHDX_SB_NOT_PRESENT && (!g.has_parent || st != VHDX_SB_PRESENT)) must = 1;
            if (must && s.fatal == 0)
                FZ_FAIL("BAT entry %llu = %016llx (%s slot, parent %d) not reported", (unsigned long long)i,
                        (unsigned long long)e, sb ? "SB" : "payload", g.has_parent);
        }
    }
    if (flags & 0x02) image_part(bat, nbat, mode, raw_vs);
    return 0;
}
