/*
 * cmd_kit.c - `vhdx kit [--seed N] [--big] OUTDIR`: a deterministic conformance kit.
 *
 * Valid images (a matrix of types, block sizes, sector sizes, virtual sizes, BAT states,
 * pending and stale logs, a differencing pair), tolerated deviations (conformant with
 * warnings) and invalid images (each breaks one error rule: a valid image's bytes mutated,
 * checksums fixed). Images are written by the kit's own encoder (kit.c), not by the
 * library. OUTDIR/manifest.json lists for each image its parameters, the verdict and rule ids
 * `vhdx check` must report, and for readable images the SHA-256 of the whole virtual disk
 * (as `vhdx cat` gives it) and of chosen ranges. OUTDIR/README.md tells a vendor how to use
 * it. Same version + seed => byte-identical files (GUIDs from the seed, no timestamps).
 * Without --big the kit stays under 200 MiB of apparent size; images that do not fit are
 * listed in the manifest's "omitted" array.
 */
#include "cli.h"
#include "kit.h"
#include "sha256.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MiB_ ((uint64_t)1 << 20)
#define GiB_ ((uint64_t)1 << 30)
#define KIT_BUDGET (200 * MiB_)

/* ---- hashing ---- */
static int hash_range(const kit_image *ki, uint64_t off, uint64_t len, char hex[65], uint8_t *buf)
{
    cli_sha256 s;
    cli_sha256_init(&s);
    while (len) {
        size_t n = len > MiB_ ? (size_t)MiB_ : (size_t)len;
        kit_expected(ki, off, buf, n);
        cli_sha256_update(&s, buf, n);
        off += n;
        len -= n;
    }
    cli_sha256_final_hex(&s, hex);
    return 0;
}

/* ---- the matrix ---- */
enum kind { K_VALID, K_DEVIATION, K_INVALID };
enum base {
    B_NONE,      /* spec given in the case */
    B_COMPACT,   /* dynamic 4 MiB, 1 MiB blocks, LSS 512, PSS 4096, no log, no data */
    B_BLOCK,     /* B_COMPACT with block 0 FULLY_PRESENT */
    B_LOG,       /* B_COMPACT with a pending log (2 entries) making block 1 present */
    B_CHILD,     /* differencing child of diff-parent.vhdx, no log */
    B_CHUNK      /* dynamic 4 GiB + 1 MiB (one SB slot), no log */
};

typedef struct kit_case {
    const char *file;
    enum kind kind;
    enum base base;
    const char *rules;      /* comma-separated rule ids (errors) */
    const char *warnings;   /* comma-separated rule ids (warnings) */
    void (*mutate)(kit_image *ki);
    const char *what;
    kit_spec spec;          /* B_NONE */
} kit_case;

/* ---- mutation helpers ---- */
static void both_hdr32(kit_image *ki, size_t off, uint32_t v) { kit_put32(ki->hdr[0] + off, v); kit_put32(ki->hdr[1] + off, v); }
static void both_hdr64(kit_image *ki, size_t off, uint64_t v) { kit_put64(ki->hdr[0] + off, v); kit_put64(ki->hdr[1] + off, v); }
static uint8_t *rte(kit_image *ki, unsigned i) { return ki->rt[0] + 16 + 32 * i; }
static uint8_t *md_entry(kit_image *ki, const vhdx_guid *g) { uint32_t e = kit_md_entry(ki, g); return e ? ki->md + e : NULL; }
static unsigned md_count(const kit_image *ki) { return (unsigned)ki->md[10] | ((unsigned)ki->md[11] << 8); }
static uint8_t *md_new_entry(kit_image *ki)
{
    unsigned n = md_count(ki);
    kit_put16(ki->md + 10, (uint16_t)(n + 1));
    return ki->md + 32 + 32 * n;
}
static void seeded_guid(kit_image *ki, vhdx_guid *g) { if (vhdx_guid_generate(&ki->gen, g) != VHDX_OK) memset(g->b, 0x11, 16); }
static uint8_t *log_entry0(kit_image *ki) { return ki->log + ki->log_pos[0]; }

/* deviations */
static void m_identical_headers(kit_image *ki) { kit_put64(ki->hdr[1] + 8, 1); }
static void m_torn_header(kit_image *ki) { ki->keep_hdr_crc[0] = 1; kit_put32(ki->hdr[0] + 4, 0xDEADBEEF); }
static void m_not_required(kit_image *ki) { kit_put32(rte(ki, 0) + 28, 0); kit_put32(rte(ki, 1) + 28, 0); }
static void m_zero_offset(kit_image *ki) { kit_bat_set(ki, 1, (ki->data_off + MiB_) | 2u); }
static void m_rt2_invalid(kit_image *ki) { ki->rt2_from_rt1 = 0; ki->keep_rt_crc[1] = 1; memcpy(ki->rt[1], ki->rt[0], 65536); kit_put32(ki->rt[1] + 4, 0x12345678); }
static void m_pss_not_required(kit_image *ki) { uint8_t *e = md_entry(ki, &VHDX_GUID_PHYSICAL_SECTOR_SIZE); kit_put32(e + 24, 2); }

static void m_fp_flags3(kit_image *ki) { kit_put32(ki->md + 0x10004, 3); }

/* header section */
static void m_short(kit_image *ki) { ki->truncate_to = 512 * 1024; }
static void m_fileid(kit_image *ki) { memcpy(ki->fileid, "vhdxfilf", 8); }
static void m_hdr_sig(kit_image *ki) { memcpy(ki->hdr[0], "heaD", 4); memcpy(ki->hdr[1], "heaD", 4); }
static void m_hdr_crc(kit_image *ki) { ki->keep_hdr_crc[0] = ki->keep_hdr_crc[1] = 1; kit_put32(ki->hdr[0] + 4, 1); kit_put32(ki->hdr[1] + 4, 2); }
static void m_hdr_seq_equal(kit_image *ki) { kit_put64(ki->hdr[1] + 8, 1); ki->hdr[1][32] ^= 0xFF; }
static void m_log_version(kit_image *ki) { kit_put16(ki->hdr[0] + 64, 1); kit_put16(ki->hdr[1] + 64, 1); }
static void m_version(kit_image *ki) { kit_put16(ki->hdr[0] + 66, 2); kit_put16(ki->hdr[1] + 66, 2); }
static void m_log_length(kit_image *ki) { both_hdr32(ki, 68, (uint32_t)MiB_ + 4096); }
static void m_log_offset(kit_image *ki) { both_hdr64(ki, 72, ki->log_off + 4096); }
static void m_log_overlap(kit_image *ki) { both_hdr64(ki, 72, ki->md_off); }
static void m_log_outside(kit_image *ki) { both_hdr64(ki, 72, ki->file_size); }
static void m_hdr_reserved(kit_image *ki) { ki->hdr[0][200] = 1; ki->hdr[1][200] = 1; }
static void m_log_guid_no_log(kit_image *ki) { vhdx_guid g; seeded_guid(ki, &g); memcpy(ki->hdr[0] + 48, g.b, 16); memcpy(ki->hdr[1] + 48, g.b, 16); }

/* region table */
static void m_rt_sig(kit_image *ki) { memcpy(ki->rt[0], "regI", 4); }
static void m_rt_crc(kit_image *ki) { ki->keep_rt_crc[0] = ki->keep_rt_crc[1] = 1; kit_put32(ki->rt[0] + 4, 1); kit_put32(ki->rt[1] + 4, 1); }
static void m_rt_count(kit_image *ki) { kit_put32(ki->rt[0] + 8, 2048); }
static void m_rt_reserved(kit_image *ki) { kit_put32(ki->rt[0] + 12, 1); }
static void m_rt_dup(kit_image *ki) { memcpy(rte(ki, 2), rte(ki, 0), 32); kit_put32(ki->rt[0] + 8, 3); }
static void m_rt_offset(kit_image *ki) { kit_put64(rte(ki, 1) + 16, 0x80000); } /* metadata region at 512 KiB */
static void m_rt_length(kit_image *ki) { kit_put32(rte(ki, 0) + 24, (uint32_t)MiB_ - 4096); }
static void m_rt_unknown_req(kit_image *ki)
{
    uint8_t *e = rte(ki, 2);
    vhdx_guid g;
    seeded_guid(ki, &g);
    memcpy(e, g.b, 16);
    kit_put64(e + 16, ki->file_size);
    kit_put32(e + 24, (uint32_t)MiB_);
    kit_put32(e + 28, 1);
    kit_put32(ki->rt[0] + 8, 3);
    ki->truncate_to = ki->file_size + MiB_;
}
static void m_rt_overlap(kit_image *ki) { kit_put32(rte(ki, 1) + 24, 2 * (uint32_t)MiB_); } /* metadata region covers the BAT */
static void m_rt_no_bat(kit_image *ki) { memmove(rte(ki, 0), rte(ki, 1), 32); memset(rte(ki, 1), 0, 32); kit_put32(ki->rt[0] + 8, 1); }
static void m_rt_no_md(kit_image *ki) { memset(rte(ki, 1), 0, 32); kit_put32(ki->rt[0] + 8, 1); }
static void m_rt_outside(kit_image *ki) { kit_put64(rte(ki, 0) + 16, ki->file_size); }

/* metadata */
static void m_md_sig(kit_image *ki) { memcpy(ki->md, "metadatA", 8); }
static void m_md_reserved(kit_image *ki) { kit_put16(ki->md + 8, 1); }
static void m_md_count(kit_image *ki) { kit_put16(ki->md + 10, 2048); }
static void m_md_reserved2(kit_image *ki) { ki->md[20] = 1; }
static void m_md_dup(kit_image *ki)
{
    uint8_t *e = md_new_entry(ki);
    memcpy(e, md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_SIZE), 32);
    kit_put32(e + 16, 0x20000);
    kit_put64(ki->md + 0x20000, kit_get64(ki->md + 0x10008));
}
static void m_md_offset(kit_image *ki)
{
    uint8_t *e = md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_ID);
    memcpy(ki->md + 0x8000, ki->md + 0x10018, 16);
    kit_put32(e + 16, 0x8000);
}
static void m_md_outside(kit_image *ki)
{
    uint8_t *e = md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_ID);
    kit_put32(e + 16, ki->md_len - 8);
}
static void m_md_length(kit_image *ki)
{
    /* a user item of 1 MiB + 1 bytes (it cannot fit the 1 MiB region either) */
    uint8_t *e = md_new_entry(ki);
    vhdx_guid g;
    seeded_guid(ki, &g);
    memcpy(e, g.b, 16);
    kit_put32(e + 16, 0x20000);
    kit_put32(e + 20, (uint32_t)MiB_ + 1);
    kit_put32(e + 24, 1);
}
static void m_md_zero_len(kit_image *ki)
{
    uint8_t *e = md_new_entry(ki);
    vhdx_guid g;
    seeded_guid(ki, &g);
    memcpy(e, g.b, 16);
    kit_put32(e + 16, 0x20000);
    kit_put32(e + 20, 0);
    kit_put32(e + 24, 1);
}
static void m_md_many_user(kit_image *ki)
{
    for (unsigned i = 0; i < 1025; i++) {
        uint8_t *e = md_new_entry(ki);
        vhdx_guid g;
        seeded_guid(ki, &g);
        memcpy(e, g.b, 16);
        kit_put32(e + 24, 1);
    }
}
static void m_md_unknown_req(kit_image *ki)
{
    uint8_t *e = md_new_entry(ki);
    vhdx_guid g;
    seeded_guid(ki, &g);
    memcpy(e, g.b, 16);
    kit_put32(e + 16, 0x20000);
    kit_put32(e + 20, 8);
    kit_put32(e + 24, 4);
}
static void m_md_flags(kit_image *ki) { uint8_t *e = md_entry(ki, &VHDX_GUID_FILE_PARAMETERS); kit_put32(e + 24, 4 | 8); }
static void m_md_missing(kit_image *ki)
{
    uint8_t *e = md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_ID);
    unsigned n = md_count(ki);
    uint8_t *last = ki->md + 32 + 32 * (n - 1);
    if (e != last) memcpy(e, last, 32);
    memset(last, 0, 32);
    kit_put16(ki->md + 10, (uint16_t)(n - 1));
}
static void m_md_short(kit_image *ki) { uint8_t *e = md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_SIZE); kit_put32(e + 20, 4); }
static void m_block_size(kit_image *ki) { kit_put32(ki->md + 0x10000, 3 * (uint32_t)MiB_); }
static void m_fp_reserved(kit_image *ki) { kit_put32(ki->md + 0x10004, 4); }
static void m_disk_size(kit_image *ki) { kit_put64(ki->md + 0x10008, 4 * MiB_ + 100); }
static void m_lss(kit_image *ki) { kit_put32(ki->md + 0x10010, 1024); }
static void m_pss(kit_image *ki) { kit_put32(ki->md + 0x10014, 1024); }

/* parent locator (children of diff-parent.vhdx) */
static void linkage_text(const kit_image *ki, char *out)
{
    out[0] = '{';
    vhdx_guid_format(&ki->parent->data_write, out + 1, 38, 0);
    strcat(out, "}");
}
static void m_no_locator(kit_image *ki)
{
    uint8_t *e = md_entry(ki, &VHDX_GUID_PARENT_LOCATOR);
    memset(e, 0, 32);
    kit_put16(ki->md + 10, (uint16_t)(md_count(ki) - 1));
}
static void m_pl_type(kit_image *ki) { ki->md[0x10100] ^= 0xFF; }
static void m_pl_reserved(kit_image *ki) { kit_put16(ki->md + 0x10100 + 16, 1); }
static void m_pl_entry(kit_image *ki) { kit_put16(ki->md + 0x10100 + 20 + 12 + 8, 0); } /* KeyLength of entry 1 = 0 */
static void m_pl_dup_key(kit_image *ki)
{
    char l[40];
    linkage_text(ki, l);
    const char *k[] = { "parent_linkage", "relative_path", "relative_path" };
    const char *v[] = { l, ".\\diff-parent.vhdx", ".\\other.vhdx" };
    (void)kit_set_locator(ki, k, v, 3);
}
static void m_pl_no_linkage(kit_image *ki)
{
    const char *k[] = { "relative_path" };
    const char *v[] = { ".\\diff-parent.vhdx" };
    (void)kit_set_locator(ki, k, v, 1);
}
static void m_pl_bad_linkage(kit_image *ki)
{
    const char *k[] = { "parent_linkage", "relative_path" };
    const char *v[] = { "{not-a-guid}", ".\\diff-parent.vhdx" };
    (void)kit_set_locator(ki, k, v, 2);
}
static void m_pl_mismatch(kit_image *ki)
{
    vhdx_guid g;
    char l[40] = "{";
    seeded_guid(ki, &g);
    vhdx_guid_format(&g, l + 1, 38, 0);
    strcat(l, "}");
    const char *k[] = { "parent_linkage", "relative_path" };
    const char *v[] = { l, ".\\diff-parent.vhdx" };
    (void)kit_set_locator(ki, k, v, 2);
}
static void m_pl_no_path(kit_image *ki)
{
    char l[40];
    linkage_text(ki, l);
    const char *k[] = { "parent_linkage" };
    const char *v[] = { l };
    (void)kit_set_locator(ki, k, v, 1);
}
static void m_pl_volume(kit_image *ki)
{
    char l[40];
    linkage_text(ki, l);
    const char *k[] = { "parent_linkage", "relative_path", "volume_path" };
    const char *v[] = { l, ".\\diff-parent.vhdx", "C:\\disks\\diff-parent.vhdx" };
    (void)kit_set_locator(ki, k, v, 3);
}
static void m_pl_absolute(kit_image *ki)
{
    char l[40];
    linkage_text(ki, l);
    const char *k[] = { "parent_linkage", "relative_path", "absolute_win32_path" };
    const char *v[] = { l, ".\\diff-parent.vhdx", "disks\\diff-parent.vhdx" };
    (void)kit_set_locator(ki, k, v, 3);
}
static void m_pl_plain_drive(kit_image *ki)
{
    char l[40];
    linkage_text(ki, l);
    const char *k[] = { "parent_linkage", "relative_path", "absolute_win32_path" };
    const char *v[] = { l, ".\\diff-parent.vhdx", "C:\\disks\\diff-parent.vhdx" };
    (void)kit_set_locator(ki, k, v, 3);
}

/* BAT */
static void m_bat_reserved(kit_image *ki) { kit_bat_set(ki, 0, kit_bat_get(ki, 0) | 0x8u); }
static void m_bat_overlap(kit_image *ki) { kit_bat_set(ki, 1, ki->md_off | 6u); }
static void m_bat_outside(kit_image *ki) { kit_bat_set(ki, 1, ki->file_size | 6u); }
static void m_bat_dup(kit_image *ki) { kit_bat_set(ki, 1, kit_bat_get(ki, 0)); }
static void m_bat_state(kit_image *ki) { kit_bat_set(ki, 1, 4u); }
static void m_bat_partial_no_sb(kit_image *ki) { kit_bat_set(ki, ki->cr, 0); }
static void m_bat_sb_present(kit_image *ki) { kit_bat_set(ki, ki->cr, ki->file_size | 6u); ki->truncate_to = ki->file_size + MiB_; }
static void m_bat_sb_state(kit_image *ki) { kit_bat_set(ki, ki->cr, 3u); }
static void m_bat_small(kit_image *ki) { kit_put32(rte(ki, 0) + 24, (uint32_t)MiB_); }

/* log (B_LOG: entry 0 = data descriptor for the BAT sector, entry 1 = zero descriptor) */
static void m_log_desc_count(kit_image *ki) { kit_put32(log_entry0(ki) + 24, 3); }
static void m_log_sig(kit_image *ki) { memcpy(log_entry0(ki), "logE", 4); }
static void m_log_crc(kit_image *ki) { ki->keep_log_crc = 1; kit_put32(log_entry0(ki) + 4, 0x12345678); }
static void m_log_elen(kit_image *ki) { kit_put32(log_entry0(ki) + 8, 8192 + 512); }
static void m_log_tail(kit_image *ki) { kit_put32(log_entry0(ki) + 12, 100); }
static void m_log_seq0(kit_image *ki)
{
    uint8_t *e = log_entry0(ki);
    kit_put64(e + 16, 0);
    kit_put64(e + 64 + 24, 0);
    kit_put64(e + 96 + 24, 0);
    uint8_t *s = e + 4096;
    kit_put32(s + 4, 0);
    kit_put32(s + 4092, 0);
}
static void m_log_reserved(kit_image *ki) { kit_put32(log_entry0(ki) + 28, 1); }
static void m_log_guid(kit_image *ki) { log_entry0(ki)[40] ^= 0xFF; }
static void m_log_flushed(kit_image *ki) { kit_put64(log_entry0(ki) + 48, ki->file_size - 4096); }
static void m_log_last(kit_image *ki) { kit_put64(log_entry0(ki) + 56, ki->file_size + 4096); }
static void m_log_zero_sig(kit_image *ki) { memcpy(log_entry0(ki) + 96, "zerO", 4); }
static void m_log_zero_reserved(kit_image *ki) { kit_put32(log_entry0(ki) + 96 + 4, 1); }
static void m_log_zero_length(kit_image *ki) { kit_put64(log_entry0(ki) + 96 + 8, 100); }
static void m_log_zero_offset(kit_image *ki) { kit_put64(log_entry0(ki) + 96 + 16, ki->md_off + 0x80000 + 512); }
static void m_log_zero_seq(kit_image *ki) { kit_put64(log_entry0(ki) + 96 + 24, 99); }
static void m_log_desc_offset(kit_image *ki) { kit_put64(log_entry0(ki) + 64 + 16, ki->bat_off + 512); }
static void m_log_desc_seq(kit_image *ki) { kit_put64(log_entry0(ki) + 64 + 24, 99); }
static void m_log_data_sig(kit_image *ki) { memcpy(log_entry0(ki) + 4096, "dat4", 4); }
static void m_log_data_high(kit_image *ki) { kit_put32(log_entry0(ki) + 4096 + 4, 7); }
static void m_log_data_low(kit_image *ki) { kit_put32(log_entry0(ki) + 4096 + 4092, 99); }
static void m_log_empty(kit_image *ki) { memset(ki->log, 0, ki->log_len); ki->nlog = 0; }
static void m_log_truncated(kit_image *ki) { kit_put64(log_entry0(ki) + 48, ki->file_size + MiB_); }
static void m_log_target(kit_image *ki) { kit_put64(log_entry0(ki) + 64 + 16, 0x10000); }

#define SPEC(...) { __VA_ARGS__ }
#define BLK(i, s, d) { (i), (s), (d) }

static const kit_case cases[] = {
    /* ---- valid images ---- */
    {"fixed-1M-l512-p512.vhdx", K_VALID, B_NONE, "", "", NULL,
     "fixed, 1 MiB blocks, 4.5 MiB (last block half inside the disk), data in blocks 0, 2, 4",
     SPEC("", VHDX_TYPE_FIXED, 4 * MiB_ + 512 * 1024, (uint32_t)MiB_, 512, 512, 3,
          {BLK(0, 6, 1), BLK(2, 6, 1), BLK(4, 6, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x101, NULL)},
    {"fixed-2M-l4096-p4096.vhdx", K_VALID, B_NONE, "", "", NULL,
     "fixed, 2 MiB blocks, 4096-byte logical sectors, 4 MiB, data in block 1",
     SPEC("", VHDX_TYPE_FIXED, 4 * MiB_, 2 * (uint32_t)MiB_, 4096, 4096, 1,
          {BLK(1, 6, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x102, NULL)},
    {"dynamic-1M-states.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 1 MiB blocks, blocks FULLY_PRESENT (0, 7), ZERO (1), UNMAPPED (2), UNDEFINED (3), NOT_PRESENT (others); 8 MiB - 512 B",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_ - 512, (uint32_t)MiB_, 512, 4096, 5,
          {BLK(0, 6, 1), BLK(1, 2, 0), BLK(2, 3, 0), BLK(3, 1, 0), BLK(7, 6, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x103, NULL)},
    {"dynamic-2M-l512-p512.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 2 MiB blocks, 10 MiB + 3 KiB (not a block multiple), data in the first and the last block",
     SPEC("", VHDX_TYPE_DYNAMIC, 10 * MiB_ + 3072, 2 * (uint32_t)MiB_, 512, 512, 2,
          {BLK(0, 6, 1), BLK(5, 6, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x104, NULL)},
    {"dynamic-32M-l512-p4096.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 32 MiB blocks (Windows default), 100 MiB (last block partly inside), data in the last block",
     SPEC("", VHDX_TYPE_DYNAMIC, 100 * MiB_, 32 * (uint32_t)MiB_, 512, 4096, 2,
          {BLK(1, 2, 0), BLK(3, 6, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x105, NULL)},
    {"dynamic-256M-l4096-p4096.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 256 MiB blocks, 4096-byte logical sectors, 1 GiB, ZERO/UNMAPPED/NOT_PRESENT blocks (no data: one block would be 256 MiB)",
     SPEC("", VHDX_TYPE_DYNAMIC, GiB_, 256 * (uint32_t)MiB_, 4096, 4096, 2,
          {BLK(0, 2, 0), BLK(2, 3, 0)}, KIT_LOG_NONE, 0, 0, 0, 0x106, NULL)},
    {"dynamic-1M-chunk-4G.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 1 MiB blocks, 4 GiB + 1 MiB: crosses the first sector-bitmap chunk (BAT index 4096 is the SB slot); data in blocks 0, 4095 and 4096",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * GiB_ + MiB_, (uint32_t)MiB_, 512, 4096, 3,
          {BLK(0, 6, 1), BLK(4095, 6, 1), BLK(4096, 6, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x107, NULL)},
    {"diff-parent.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic parent of diff-child.vhdx: 1 MiB blocks, 8 MiB, data in blocks 0-3",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 4,
          {BLK(0, 6, 1), BLK(1, 6, 1), BLK(2, 6, 1), BLK(3, 6, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x108, NULL)},
    {"diff-child.vhdx", K_VALID, B_NONE, "", "", NULL,
     "differencing child of diff-parent.vhdx: block 0 FULLY_PRESENT, 1 and 5 PARTIALLY_PRESENT (sector bitmap: 8 sectors here, 8 from the parent), 3 ZERO (hides the parent), others from the parent",
     SPEC("", VHDX_TYPE_DIFFERENCING, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 4,
          {BLK(0, 6, 1), BLK(1, 7, 1), BLK(3, 2, 0), BLK(5, 7, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x109, "diff-parent.vhdx")},
    {"dynamic-pending-log.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 8 MiB, a pending log (2 entries: a BAT sector that makes block 2 present, a zero descriptor); readers must replay it (block 2 holds data only after replay)",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_, (uint32_t)MiB_, 512, 512, 1,
          {BLK(0, 6, 1)}, KIT_LOG_PENDING, 2, 0, 0, 0x10A, NULL)},
    {"dynamic-stale-log.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 8 MiB, LogGuid zero but the log holds a valid entry of an earlier session that would make block 3 present with stale data; readers must not replay it",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 1,
          {BLK(0, 6, 1)}, KIT_LOG_STALE, 3, 0, 0, 0x10B, NULL)},
    {"diff-child-flags3.vhdx", K_VALID, B_CHILD, "", "", m_fp_flags3,
     "differencing child of diff-parent.vhdx with File Parameters flags 3 (LeaveBlockAllocated and HasParent: valid, LeaveBlockAllocated is ignored; libvhdi refuses it); all blocks from the parent", SPEC(0)},
    /* ---- tolerated deviations: conformant with warnings ---- */
    {"dev-identical-headers.vhdx", K_DEVIATION, B_COMPACT, "", "R11", m_identical_headers,
     "both headers identical with sequence number 1 (Disk2vhd); no current header per the spec, accepted with a warning", SPEC(0)},
    {"dev-torn-header.vhdx", K_DEVIATION, B_COMPACT, "", "R10", m_torn_header,
     "header 1 (the older one) has a bad checksum, as after a torn header write; header 2 is current", SPEC(0)},
    {"dev-region-not-required.vhdx", K_DEVIATION, B_COMPACT, "", "D7", m_not_required,
     "BAT and metadata region entries with Required = 0 (as old qemu-img wrote them)", SPEC(0)},
    {"dev-zero-block-offset.vhdx", K_DEVIATION, B_BLOCK, "", "D13", m_zero_offset,
     "a PAYLOAD_BLOCK_ZERO entry with a non-zero FileOffsetMB (as old qemu-img wrote them)", SPEC(0)},
    {"dev-region-copy2-invalid.vhdx", K_DEVIATION, B_COMPACT, "", "R23", m_rt2_invalid,
     "region table copy 2 has a bad checksum; copy 1 is valid", SPEC(0)},
    {"dev-absolute-path-drive.vhdx", K_DEVIATION, B_CHILD, "", "R108", m_pl_plain_drive,
     "differencing child whose absolute_win32_path is a plain drive path without \\\\?\\ (as Hyper-V writes it)", SPEC(0)},
    {"dev-pss-not-required.vhdx", K_DEVIATION, B_COMPACT, "", "D11", m_pss_not_required,
     "Physical Sector Size item without IsRequired (as early Windows images)", SPEC(0)},
    /* ---- invalid images, most useful first (the rest need --big) ---- */
    {"bad-R4-fileid-signature.vhdx", K_INVALID, B_COMPACT, "R4", "", m_fileid, "file type identifier signature \"vhdxfilf\"", SPEC(0)},
    {"bad-R9-header-signature.vhdx", K_INVALID, B_COMPACT, "R11", "", m_hdr_sig, "both header signatures \"heaD\" (CRC fixed)", SPEC(0)},
    {"bad-R10-header-checksum.vhdx", K_INVALID, B_COMPACT, "R11", "", m_hdr_crc, "both header checksums wrong", SPEC(0)},
    {"bad-R11-equal-sequence.vhdx", K_INVALID, B_COMPACT, "R11", "", m_hdr_seq_equal, "both headers valid with sequence number 1 but different DataWriteGuid", SPEC(0)},
    {"bad-R16-version.vhdx", K_INVALID, B_COMPACT, "R16", "", m_version, "header Version = 2", SPEC(0)},
    {"bad-R24-region-signature.vhdx", K_INVALID, B_COMPACT, "R24", "", m_rt_sig, "both region table signatures \"regI\" (CRC fixed)", SPEC(0)},
    {"bad-R25-region-checksum.vhdx", K_INVALID, B_COMPACT, "R25", "", m_rt_crc, "both region table checksums wrong", SPEC(0)},
    {"bad-R79-metadata-signature.vhdx", K_INVALID, B_COMPACT, "R79", "", m_md_sig, "metadata table signature \"metadatA\"", SPEC(0)},
    {"bad-R92-block-size.vhdx", K_INVALID, B_COMPACT, "R92", "", m_block_size, "BlockSize = 3 MiB (not a power of two)", SPEC(0)},
    {"bad-R95-disk-size.vhdx", K_INVALID, B_COMPACT, "R95", "", m_disk_size, "VirtualDiskSize = 4 MiB + 100 (not a sector multiple)", SPEC(0)},
    {"bad-R96-logical-sector.vhdx", K_INVALID, B_COMPACT, "R96", "", m_lss, "LogicalSectorSize = 1024", SPEC(0)},
    {"bad-R69-bat-reserved.vhdx", K_INVALID, B_COMPACT, "R69", "", m_bat_reserved, "BAT entry 0 with reserved bit 3 set", SPEC(0)},
    {"bad-R70-bat-overlap.vhdx", K_INVALID, B_COMPACT, "R70", "", m_bat_overlap, "block 1 FULLY_PRESENT at the metadata region", SPEC(0)},
    {"bad-R72-bat-state.vhdx", K_INVALID, B_COMPACT, "R72", "", m_bat_state, "block 1 in reserved state 4", SPEC(0)},
    {"bad-D12-block-outside.vhdx", K_INVALID, B_COMPACT, "D12", "", m_bat_outside, "block 1 FULLY_PRESENT at the end of the file", SPEC(0)},
    {"bad-R103-no-linkage.vhdx", K_INVALID, B_CHILD, "R103", "", m_pl_no_linkage, "parent locator without parent_linkage", SPEC(0)},
    {"bad-R105-linkage-mismatch.vhdx", K_INVALID, B_CHILD, "R105", "", m_pl_mismatch, "parent_linkage matches no DataWriteGuid of diff-parent.vhdx", SPEC(0)},
    {"bad-R61-no-log-sequence.vhdx", K_INVALID, B_LOG, "R61", "", m_log_empty, "LogGuid non-zero, the log holds no entry", SPEC(0)},
    {"bad-R37-log-checksum.vhdx", K_INVALID, B_LOG, "R61", "", m_log_crc, "both log entries with wrong checksums", SPEC(0)},
    {"bad-R62-log-truncated.vhdx", K_INVALID, B_LOG, "R62", "", m_log_truncated, "FlushedFileOffset of the head entry beyond the end of the file", SPEC(0)},
    {"bad-R18-log-overlap.vhdx", K_INVALID, B_NONE, "R18", "", m_log_overlap, "the log lies on the metadata region",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, 0, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x203, NULL)},
    {"bad-R28-region-duplicate.vhdx", K_INVALID, B_COMPACT, "R28,R32", "", m_rt_dup, "the BAT region listed twice", SPEC(0)},
    {"bad-R32-region-overlap.vhdx", K_INVALID, B_COMPACT, "R32", "", m_rt_overlap, "the metadata region (2 MiB) covers the BAT region", SPEC(0)},
    {"bad-R83-metadata-duplicate.vhdx", K_INVALID, B_COMPACT, "R83", "", m_md_dup, "Virtual Disk Size listed twice", SPEC(0)},
    {"bad-R85-metadata-outside.vhdx", K_INVALID, B_COMPACT, "R85", "", m_md_outside, "Virtual Disk ID item crosses the end of the metadata region", SPEC(0)},
    {"bad-R90-unknown-required-item.vhdx", K_INVALID, B_COMPACT, "R90", "", m_md_unknown_req, "an unknown system item with IsRequired", SPEC(0)},
    {"bad-R31-unknown-required-region.vhdx", K_INVALID, B_COMPACT, "R31", "", m_rt_unknown_req, "an unknown region with Required = 1", SPEC(0)},
    {"bad-R71-bat-duplicate.vhdx", K_INVALID, B_BLOCK, "R71", "", m_bat_dup, "blocks 0 and 1 at the same file offset", SPEC(0)},
    {"bad-R77-sb-in-dynamic.vhdx", K_INVALID, B_CHUNK, "R77", "", m_bat_sb_present, "SB_COMPACT_PRESENT in a dynamic disk", SPEC(0)},
    {"bad-R76-partial-no-bitmap.vhdx", K_INVALID, B_NONE, "R76", "", m_bat_partial_no_sb, "PARTIALLY_PRESENT block whose chunk has no sector bitmap",
     SPEC("", VHDX_TYPE_DIFFERENCING, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 1, {BLK(1, 7, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x205, "diff-parent.vhdx")},
    {"bad-R66-bat-too-small.vhdx", K_INVALID, B_NONE, "R66", "", m_bat_small, "a 200 GiB disk with a 1 MiB BAT region",
     SPEC("", VHDX_TYPE_DYNAMIC, 200 * GiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, 0, 0)}, KIT_LOG_NONE, 0, 0, 0, 0x206, NULL)},
    {"bad-D14-log-target.vhdx", K_INVALID, B_LOG, "D14", "", m_log_target, "a data descriptor targets header 1", SPEC(0)},
    /* ---- large valid images, only with --big ---- */
    {"big-dynamic-256M-data.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 256 MiB blocks, 1 GiB + 512 B, data in block 1 and in the last (mostly outside) block",
     SPEC("", VHDX_TYPE_DYNAMIC, GiB_ + 512, 256 * (uint32_t)MiB_, 512, 4096, 2,
          {BLK(1, 6, 1), BLK(4, 6, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x401, NULL)},
    {"big-fixed-1M-chunk-4G.vhdx", K_VALID, B_NONE, "", "", NULL,
     "fixed, 1 MiB blocks, 4 GiB + 1 MiB (the BAT has a sector-bitmap slot; libvhdi reads fixed BATs without it): data in blocks 0, 4095, 4096",
     SPEC("", VHDX_TYPE_FIXED, 4 * GiB_ + MiB_, (uint32_t)MiB_, 512, 512, 3,
          {BLK(0, 6, 1), BLK(4095, 6, 1), BLK(4096, 6, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x402, NULL)},
    {"big-dynamic-1M-l4096-chunk-32G.vhdx", K_VALID, B_NONE, "", "", NULL,
     "dynamic, 1 MiB blocks, 4096-byte logical sectors, 32 GiB + 1 MiB: crosses the 32 GiB chunk of 4 KiB-sector disks; data in blocks 0, 32767, 32768",
     SPEC("", VHDX_TYPE_DYNAMIC, 32 * GiB_ + MiB_, (uint32_t)MiB_, 4096, 4096, 3,
          {BLK(0, 6, 1), BLK(32767, 6, 1), BLK(32768, 6, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x403, NULL)},
    {"bad-R42-log-guid.vhdx", K_INVALID, B_LOG, "R61", "", m_log_guid, "entries carry another LogGuid", SPEC(0)},
    {"bad-R36-log-signature.vhdx", K_INVALID, B_LOG, "R61", "", m_log_sig, "entry 1 signature \"logE\"", SPEC(0)},
    {"bad-D9-missing-item.vhdx", K_INVALID, B_COMPACT, "D9", "", m_md_missing, "no Virtual Disk ID item", SPEC(0)},
    {"bad-R98-no-locator.vhdx", K_INVALID, B_CHILD, "R98", "", m_no_locator, "HasParent without a parent locator item", SPEC(0)},
    {"bad-R106-no-path.vhdx", K_INVALID, B_CHILD, "R106", "", m_pl_no_path, "parent locator without any path key", SPEC(0)},
    {"bad-D2-too-small.vhdx", K_INVALID, B_COMPACT, "D2", "", m_short, "file cut at 512 KiB", SPEC(0)},
    {"bad-R15-log-version.vhdx", K_INVALID, B_COMPACT, "R15", "", m_log_version, "LogVersion = 1", SPEC(0)},
    {"bad-R17-log-length.vhdx", K_INVALID, B_NONE, "R17", "", m_log_length, "LogLength = 1 MiB + 4 KiB",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, 0, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x201, NULL)},
    {"bad-R18-log-offset.vhdx", K_INVALID, B_NONE, "R18", "", m_log_offset, "LogOffset = 1 MiB + 4 KiB",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, 0, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x202, NULL)},
    {"bad-D3-log-outside.vhdx", K_INVALID, B_NONE, "D3", "", m_log_outside, "the log lies past the end of the file",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, 0, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x204, NULL)},
    {"bad-R19-header-reserved.vhdx", K_INVALID, B_COMPACT, "R19", "", m_hdr_reserved, "header reserved byte 200 = 1", SPEC(0)},
    {"bad-R14-log-guid-no-log.vhdx", K_INVALID, B_COMPACT, "R14", "", m_log_guid_no_log, "LogGuid non-zero with LogLength 0", SPEC(0)},
    {"bad-R26-region-count.vhdx", K_INVALID, B_COMPACT, "R26,R29,R30", "", m_rt_count, "region table EntryCount = 2048", SPEC(0)},
    {"bad-R27-region-reserved.vhdx", K_INVALID, B_COMPACT, "R27", "", m_rt_reserved, "region table Reserved = 1", SPEC(0)},
    {"bad-R29-region-offset.vhdx", K_INVALID, B_COMPACT, "R29", "", m_rt_offset, "metadata region FileOffset = 512 KiB", SPEC(0)},
    {"bad-R30-region-length.vhdx", K_INVALID, B_COMPACT, "R30", "", m_rt_length, "BAT region Length = 1 MiB - 4 KiB", SPEC(0)},
    {"bad-D4-no-bat-region.vhdx", K_INVALID, B_COMPACT, "D4", "", m_rt_no_bat, "region table without a BAT region", SPEC(0)},
    {"bad-D5-no-metadata-region.vhdx", K_INVALID, B_COMPACT, "D5", "", m_rt_no_md, "region table without a metadata region", SPEC(0)},
    {"bad-D6-region-outside.vhdx", K_INVALID, B_COMPACT, "D6", "", m_rt_outside, "BAT region past the end of the file", SPEC(0)},
    {"bad-R80-metadata-reserved.vhdx", K_INVALID, B_COMPACT, "R80", "", m_md_reserved, "metadata table Reserved = 1", SPEC(0)},
    {"bad-R81-metadata-count.vhdx", K_INVALID, B_COMPACT, "R81,R83", "", m_md_count, "metadata EntryCount = 2048", SPEC(0)},
    {"bad-R82-metadata-reserved2.vhdx", K_INVALID, B_COMPACT, "R82", "", m_md_reserved2, "metadata table Reserved2 byte 8 = 1", SPEC(0)},
    {"bad-R84-metadata-offset.vhdx", K_INVALID, B_COMPACT, "R84", "", m_md_offset, "Virtual Disk ID item at offset 32 KiB (inside the table)", SPEC(0)},
    {"bad-R86-metadata-length.vhdx", K_INVALID, B_COMPACT, "R85,R86", "", m_md_length, "a user item of 1 MiB + 1 bytes", SPEC(0)},
    {"bad-R87-metadata-zero-length.vhdx", K_INVALID, B_COMPACT, "R87", "", m_md_zero_len, "a user item with Length 0 and Offset 128 KiB", SPEC(0)},
    {"bad-R88-metadata-user-items.vhdx", K_INVALID, B_COMPACT, "R88", "", m_md_many_user, "1025 user metadata items", SPEC(0)},
    {"bad-R91-metadata-flags.vhdx", K_INVALID, B_COMPACT, "R91", "", m_md_flags, "File Parameters entry with reserved flag bit 3", SPEC(0)},
    {"bad-D10-item-too-short.vhdx", K_INVALID, B_COMPACT, "D10", "", m_md_short, "Virtual Disk Size item of 4 bytes", SPEC(0)},
    {"bad-R94-file-parameters-reserved.vhdx", K_INVALID, B_COMPACT, "R94", "", m_fp_reserved, "File Parameters flag bit 2", SPEC(0)},
    {"bad-R97-physical-sector.vhdx", K_INVALID, B_COMPACT, "R97", "", m_pss, "PhysicalSectorSize = 1024", SPEC(0)},
    {"bad-R99-locator-type.vhdx", K_INVALID, B_CHILD, "R99", "", m_pl_type, "unknown parent locator type", SPEC(0)},
    {"bad-R100-locator-reserved.vhdx", K_INVALID, B_CHILD, "R100", "", m_pl_reserved, "parent locator Reserved = 1", SPEC(0)},
    {"bad-R101-locator-entry.vhdx", K_INVALID, B_CHILD, "R101,R106", "", m_pl_entry, "a locator entry with KeyLength 0", SPEC(0)},
    {"bad-R102-locator-duplicate-key.vhdx", K_INVALID, B_CHILD, "R102", "", m_pl_dup_key, "relative_path key twice", SPEC(0)},
    {"bad-R103-linkage-format.vhdx", K_INVALID, B_CHILD, "R103", "", m_pl_bad_linkage, "parent_linkage \"{not-a-guid}\"", SPEC(0)},
    {"bad-R107-volume-path.vhdx", K_INVALID, B_CHILD, "R107", "", m_pl_volume, "volume_path C:\\disks\\diff-parent.vhdx", SPEC(0)},
    {"bad-R108-absolute-path.vhdx", K_INVALID, B_CHILD, "R108", "", m_pl_absolute, "absolute_win32_path disks\\diff-parent.vhdx (neither \\\\?\\ nor a drive path)", SPEC(0)},
    {"bad-R78-sb-state.vhdx", K_INVALID, B_CHILD, "R78", "", m_bat_sb_state, "sector bitmap entry in state 3", SPEC(0)},
    {"bad-R35-log-descriptor-count.vhdx", K_INVALID, B_LOG, "R61", "", m_log_desc_count, "DescriptorCount 3 with one data sector", SPEC(0)},
    {"bad-R38-log-entry-length.vhdx", K_INVALID, B_LOG, "R61", "", m_log_elen, "entry 2 EntryLength 4608", SPEC(0)},
    {"bad-R39-log-tail.vhdx", K_INVALID, B_LOG, "R61", "", m_log_tail, "entry 2 Tail = 100", SPEC(0)},
    {"bad-R40-log-sequence-zero.vhdx", K_INVALID, B_LOG, "R61", "", m_log_seq0, "entry 1 SequenceNumber 0", SPEC(0)},
    {"bad-R41-log-reserved.vhdx", K_INVALID, B_LOG, "R61", "", m_log_reserved, "entry 2 Reserved = 1", SPEC(0)},
    {"bad-R43-log-flushed-offset.vhdx", K_INVALID, B_LOG, "R61", "", m_log_flushed, "entry 2 FlushedFileOffset not a 1 MiB multiple", SPEC(0)},
    {"bad-R44-log-last-offset.vhdx", K_INVALID, B_LOG, "R61", "", m_log_last, "entry 2 LastFileOffset not a 1 MiB multiple", SPEC(0)},
    {"bad-R45-log-descriptor-signature.vhdx", K_INVALID, B_LOG, "R61", "", m_log_zero_sig, "entry 2 descriptor signature \"zerO\"", SPEC(0)},
    {"bad-R46-log-zero-reserved.vhdx", K_INVALID, B_LOG, "R61", "", m_log_zero_reserved, "zero descriptor Reserved = 1", SPEC(0)},
    {"bad-R47-log-zero-length.vhdx", K_INVALID, B_LOG, "R61", "", m_log_zero_length, "ZeroLength = 100", SPEC(0)},
    {"bad-R48-log-zero-offset.vhdx", K_INVALID, B_LOG, "R61", "", m_log_zero_offset, "zero descriptor FileOffset not 4 KiB aligned", SPEC(0)},
    {"bad-R49-log-zero-sequence.vhdx", K_INVALID, B_LOG, "R61", "", m_log_zero_seq, "zero descriptor SequenceNumber 99", SPEC(0)},
    {"bad-R52-log-descriptor-offset.vhdx", K_INVALID, B_LOG, "R61", "", m_log_desc_offset, "data descriptor FileOffset not 4 KiB aligned", SPEC(0)},
    {"bad-R53-log-descriptor-sequence.vhdx", K_INVALID, B_LOG, "R61", "", m_log_desc_seq, "data descriptor SequenceNumber 99", SPEC(0)},
    {"bad-R54-log-data-signature.vhdx", K_INVALID, B_LOG, "R61", "", m_log_data_sig, "data sector signature \"dat4\"", SPEC(0)},
    {"bad-R55-log-sequence-high.vhdx", K_INVALID, B_LOG, "R61", "", m_log_data_high, "data sector SequenceHigh 7", SPEC(0)},
    {"bad-R56-log-sequence-low.vhdx", K_INVALID, B_LOG, "R61", "", m_log_data_low, "data sector SequenceLow 99", SPEC(0)},
};

static void base_spec(enum base b, kit_spec *s, uint32_t tag)
{
    memset(s, 0, sizeof *s);
    s->type = VHDX_TYPE_DYNAMIC;
    s->virtual_size = 4 * MiB_;
    s->block_size = (uint32_t)MiB_;
    s->lss = 512;
    s->pss = 4096;
    s->log_mode = KIT_LOG_NONE;
    s->tag = tag;
    switch (b) {
    case B_BLOCK:
        s->nblocks = 1;
        s->blocks[0] = (kit_block){ 0, 6, 1 };
        break;
    case B_LOG:
        s->log_mode = KIT_LOG_PENDING;
        s->log_block = 1;
        s->log_state = 2;
        s->log_single = 1;
        break;
    case B_CHILD:
        s->type = VHDX_TYPE_DIFFERENCING;
        s->virtual_size = 8 * MiB_;
        s->parent_file = "diff-parent.vhdx";
        break;
    case B_CHUNK:
        s->virtual_size = 4 * GiB_ + MiB_;
        break;
    default:
        break;
    }
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) { h ^= (unsigned char)*s; h *= 1099511628211ULL; }
    return h;
}

static void json_list(FILE *f, const char *csv)
{
    fputc('[', f);
    int first = 1;
    const char *p = csv;
    while (p && *p) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        fprintf(f, "%s\"%.*s\"", first ? "" : ", ", (int)n, p);
        first = 0;
        p = e ? e + 1 : NULL;
    }
    fputc(']', f);
}

static const char *type_name(vhdx_disk_type t)
{
    return t == VHDX_TYPE_FIXED ? "fixed" : t == VHDX_TYPE_DYNAMIC ? "dynamic" : "differencing";
}

static const char *state_name(unsigned s)
{
    static const char *const n[8] = { "NOT_PRESENT", "UNDEFINED", "ZERO", "UNMAPPED", "4", "5",
                                      "FULLY_PRESENT", "PARTIALLY_PRESENT" };
    return n[s & 7];
}

static int write_readme(const char *dir, uint64_t seed, int big)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/README.md", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f,
"# VHDX conformance kit\n\n"
"Generated by `vhdx kit --seed %" PRIu64 "%s` (libvhdx " VHDX_VERSION_STRING "). The same version and seed\n"
"always produce byte-identical files. The images are sparse: copy them with `cp --sparse=always`\n"
"or `tar -S`.\n\n"
"`manifest.json` lists every image:\n\n"
"* `file`: the image, relative to this folder;\n"
"* `kind`: `valid`, `deviation` (conformant, but carries a tolerated deviation that `vhdx check`\n"
"  reports as a warning: `warnings` names its rules) or `invalid` (breaks the rules in `rules`);\n"
"* `parameters`: type, virtual size, block size, logical/physical sector size, log state, parent,\n"
"  and the payload-block states used;\n"
"* `verdict`: what `vhdx check` reports (`conformant`, `nonconformant`, or `unreadable` for a\n"
"  file that is not VHDX at all), and `rules`: the rule ids of its error findings; for invalid\n"
"  images `cause` names the rule the image was built to break (a log entry that breaks R36 makes\n"
"  the log hold no valid sequence, which `vhdx check` reports as R61);\n"
"* `sha256` (valid and deviation images): SHA-256 of the whole virtual disk, exactly the bytes a\n"
"  correct reader returns (after replaying a pending log, with differencing disks read through\n"
"  their parent, zeros for unallocated blocks); `ranges`: SHA-256 of chosen virtual ranges\n"
"  (`offset`, `length`), useful for partial reads and for disks too large to read whole.\n\n"
"Images that did not fit the default 200 MiB budget are listed under `omitted`; run\n"
"`vhdx kit --big OUTDIR` to get them.\n\n"
"## Testing a reader\n\n"
"1. Every `valid` and `deviation` image must open, and reading the whole virtual disk must give\n"
"   `sha256`. Traps worth knowing: `dynamic-pending-log.vhdx` must be replayed (a reader that\n"
"   ignores the log returns zeros for block 2); `dynamic-stale-log.vhdx` must NOT be replayed (its\n"
"   log entry belongs to an older LogGuid); `diff-child.vhdx` has PARTIALLY_PRESENT blocks whose\n"
"   payload also holds data in the sectors the bitmap assigns to the parent;\n"
"   `dynamic-1M-chunk-4G.vhdx` has data right before and after the sector-bitmap slot of the BAT;\n"
"   fixed images over one chunk need the same interleave.\n"
"2. Every `invalid` image must be refused, or at least reported, by a reader that validates\n"
"   the rule named in `rules` (rule ids: `vhdx check --rules`; `vhdx check --explain R70`).\n"
"3. A writer vendor can run `vhdx check --format junit --output results.xml IMAGE` over images\n"
"   its product wrote, and `vhdx check IMAGE` to see which consumers are predicted to fail.\n\n"
"Example with qemu-img (512-byte logical sectors, non-differencing images only):\n\n"
"```sh\n"
"qemu-img convert -f vhdx -O raw dynamic-1M-states.vhdx out.raw && sha256sum out.raw\n"
"python3 -c 'import json; [print(i[\"file\"], i.get(\"sha256\")) for i in json.load(open(\"manifest.json\"))[\"images\"]]'\n"
"```\n\n"
"With libvhdi (`pyvhdi`): note that libvhdi ignores the log and reads fixed BATs without the\n"
"sector-bitmap interleave, so pending-log images and fixed images over 4 GiB read differently.\n",
            seed, big ? " --big" : "");
    return fclose(f);
}

typedef struct ranges_t { uint64_t off[6], len[6]; size_t n; } ranges_t;

static void pick_ranges(const kit_image *ki, ranges_t *r)
{
    uint64_t vs = ki->spec.virtual_size, bs = ki->spec.block_size;
    r->n = 0;
    r->off[r->n] = 0; r->len[r->n] = vs < MiB_ ? vs : MiB_; r->n++;
    for (size_t i = 0; i < ki->spec.nblocks && r->n < 5; i++) {
        const kit_block *kb = &ki->spec.blocks[i];
        uint64_t v = kb->index * bs;
        if (v >= vs || v == 0) continue;
        uint64_t len = vs - v < MiB_ ? vs - v : MiB_;
        r->off[r->n] = v; r->len[r->n] = len; r->n++;
    }
    uint64_t tail = vs < 65536 ? vs : 65536;
    r->off[r->n] = vs - tail; r->len[r->n] = tail; r->n++;
}

static void usage(FILE *f)
{
    fputs("usage: vhdx kit [--seed N] [--big] OUTDIR\n"
          "Writes a deterministic conformance kit (valid, deviating and invalid images,\n"
          "manifest.json, README.md) into OUTDIR.\n", f);
}

int cmd_kit(int argc, char **argv)
{
    uint64_t seed = 1;
    int big = 0;
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) { usage(stdout); return 0; }
        if (strcmp(a, "--big") == 0) { big = 1; continue; }
        if (strcmp(a, "--seed") == 0 || strncmp(a, "--seed=", 7) == 0) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : NULL);
            char *end;
            if (!v || !*v) { fputs("vhdx kit: --seed needs a value\n", stderr); usage(stderr); return 1; }
            errno = 0;
            seed = strtoull(v, &end, 0);
            if (errno || *end || *v == '-') { fprintf(stderr, "vhdx kit: bad seed '%s'\n", v); return 1; }
            continue;
        }
        if (a[0] == '-' && a[1]) { fprintf(stderr, "vhdx kit: unknown option '%s'\n", a); usage(stderr); return 1; }
        if (dir) { fputs("vhdx kit: only one OUTDIR\n", stderr); usage(stderr); return 1; }
        dir = a;
    }
    if (!dir) { fputs("vhdx kit: no OUTDIR given\n", stderr); usage(stderr); return 1; }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "vhdx kit: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }

    char path[4096];
    snprintf(path, sizeof path, "%s/manifest.json.tmp", dir);
    FILE *mf = fopen(path, "w");
    uint8_t *buf = malloc(MiB_);
    kit_image *parent = calloc(1, sizeof *parent), *ki = calloc(1, sizeof *ki);
    if (!mf || !buf || !parent || !ki) {
        fprintf(stderr, "vhdx kit: %s\n", mf ? "out of memory" : strerror(errno));
        if (mf) fclose(mf);
        free(buf); free(parent); free(ki);
        return 1;
    }
    fprintf(mf, "{\"generator\": \"vhdx kit (libvhdx " VHDX_VERSION_STRING ")\", \"seed\": %" PRIu64
                ", \"big\": %s, \"images\": [", seed, big ? "true" : "false");
    int rc = 0, first = 1, have_parent = 0;
    uint64_t total = 0;
    const char *omitted[sizeof cases / sizeof cases[0]];
    size_t nomitted = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0] && rc == 0; c++) {
        const kit_case *kc = &cases[c];
        kit_spec spec;
        if (kc->base == B_NONE) spec = kc->spec;
        else base_spec(kc->base, &spec, (uint32_t)(0x300 + c));
        spec.file = kc->file;
        int is_child = spec.type == VHDX_TYPE_DIFFERENCING;
        if (is_child && !have_parent) { rc = -1; fprintf(stderr, "vhdx kit: internal: parent missing\n"); break; }
        if (kit_build(ki, &spec, seed ^ fnv1a(kc->file), is_child ? parent : NULL) != 0) {
            fprintf(stderr, "vhdx kit: cannot build %s\n", kc->file);
            rc = -1;
            break;
        }
        if (kc->mutate) kc->mutate(ki);
        kit_finalize(ki);
        uint64_t size = ki->truncate_to ? ki->truncate_to : ki->file_size;
        if (!big && (strncmp(kc->file, "big-", 4) == 0 || total + size >= KIT_BUDGET)) {
            omitted[nomitted++] = kc->file;
            kit_free(ki);
            /* an earlier --big kit in the same folder must not leave images the manifest
             * does not list */
            snprintf(path, sizeof path, "%s/%s", dir, kc->file);
            (void)unlink(path);
            continue;
        }
        total += size;
        snprintf(path, sizeof path, "%s/%s", dir, kc->file);
        if (kit_write(ki, path) != 0) {
            fprintf(stderr, "vhdx kit: cannot write %s: %s\n", path, strerror(errno));
            rc = -1;
            kit_free(ki);
            break;
        }
        /* manifest entry */
        fprintf(mf, "%s\n  {\"file\": \"%s\", \"kind\": \"%s\", \"description\": ", first ? "" : ",", kc->file,
                kc->kind == K_VALID ? "valid" : kc->kind == K_DEVIATION ? "deviation" : "invalid");
        first = 0;
        fputc('"', mf);
        for (const char *p = kc->what; *p; p++) {
            if (*p == '"' || *p == '\\') fputc('\\', mf);
            fputc(*p, mf);
        }
        fputc('"', mf);
        fprintf(mf, ", \"parameters\": {\"type\": \"%s\", \"virtual_size\": %" PRIu64 ", \"block_size\": %" PRIu32
                    ", \"logical_sector_size\": %" PRIu32 ", \"physical_sector_size\": %" PRIu32 ", \"log\": \"%s\"",
                type_name(spec.type), spec.virtual_size, spec.block_size, spec.lss, spec.pss,
                spec.log_mode == KIT_LOG_PENDING ? "pending" : spec.log_mode == KIT_LOG_STALE ? "stale"
                : spec.log_mode == KIT_LOG_CLEAN ? "clean" : "none");
        if (spec.parent_file) fprintf(mf, ", \"parent\": \"%s\"", spec.parent_file);
        fputs(", \"blocks\": {", mf);
        for (size_t i = 0; i < spec.nblocks; i++)
            fprintf(mf, "%s\"%" PRIu64 "\": \"%s\"", i ? ", " : "", spec.blocks[i].index, state_name(spec.blocks[i].state));
        fprintf(mf, "}, \"default_block_state\": \"%s\"}", spec.type == VHDX_TYPE_FIXED ? "FULLY_PRESENT" : "NOT_PRESENT");
        /* a file without the "vhdxfile" signature is not a VHDX file: check calls it unreadable */
        const char *verdict = kc->kind != K_INVALID ? "conformant"
                            : kc->mutate == m_fileid ? "unreadable" : "nonconformant";
        fprintf(mf, ", \"verdict\": \"%s\"", verdict);
        if (kc->kind == K_INVALID) {
            /* the rule the mutation breaks (named in the file name); `rules` lists what
             * `vhdx check` reports for it (e.g. R11 when both headers break R9) */
            const char *c0 = kc->file + 4, *c1 = strchr(c0, '-');
            fprintf(mf, ", \"cause\": \"%.*s\"", (int)(c1 ? c1 - c0 : 0), c0);
        }
        fputs(", \"rules\": ", mf);
        json_list(mf, kc->rules);
        fputs(", \"warnings\": ", mf);
        json_list(mf, kc->warnings);
        fprintf(mf, ", \"file_size\": %" PRIu64, size);
        if (kc->kind != K_INVALID) {
            char hex[65];
            ranges_t r;
            if (hash_range(ki, 0, spec.virtual_size, hex, buf) != 0) { rc = -1; kit_free(ki); break; }
            fprintf(mf, ", \"sha256\": \"%s\", \"ranges\": [", hex);
            pick_ranges(ki, &r);
            for (size_t i = 0; i < r.n; i++) {
                if (hash_range(ki, r.off[i], r.len[i], hex, buf) != 0) { rc = -1; break; }
                fprintf(mf, "%s{\"offset\": %" PRIu64 ", \"length\": %" PRIu64 ", \"sha256\": \"%s\"}",
                        i ? ", " : "", r.off[i], r.len[i], hex);
            }
            fputc(']', mf);
        }
        fputc('}', mf);
        if (strcmp(kc->file, "diff-parent.vhdx") == 0) {
            kit_free(parent);
            *parent = *ki;          /* keeps the buffers: the children read through it */
            memset(ki, 0, sizeof *ki);
            have_parent = 1;
        } else {
            kit_free(ki);
        }
    }
    fputs("\n], \"omitted\": [", mf);
    for (size_t i = 0; i < nomitted; i++) fprintf(mf, "%s\"%s\"", i ? ", " : "", omitted[i]);
    fprintf(mf, "], \"apparent_size\": %" PRIu64 "}\n", total);
    int cerr = fclose(mf);
    kit_free(parent);
    free(parent);
    free(ki);
    free(buf);
    char final[4096];
    snprintf(path, sizeof path, "%s/manifest.json.tmp", dir);
    snprintf(final, sizeof final, "%s/manifest.json", dir);
    if (rc != 0 || cerr != 0 || rename(path, final) != 0) {
        unlink(path);
        fprintf(stderr, "vhdx kit: failed to write the kit into %s\n", dir);
        return 1;
    }
    if (write_readme(dir, seed, big) != 0) {
        fprintf(stderr, "vhdx kit: cannot write %s/README.md\n", dir);
        return 1;
    }
    printf("vhdx kit: %s: %zu images (%" PRIu64 " MiB apparent)%s\n", dir,
           sizeof cases / sizeof cases[0] - nomitted, total >> 20,
           nomitted ? "; some invalid images need --big (see manifest \"omitted\")" : "");
    return 0;
}
