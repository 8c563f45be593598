/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit_cases.c - the images of the conformance kit (see kit_cases.h): one mutation per invalid
 * image, each writing named fields of kit_layout.h into a base image built by kit.c, and the
 * case table. Checksums are fixed afterwards by kit_finalize unless a mutation keeps them.
 */
#include "kit_cases.h"

#include <stdlib.h>
#include <string.h>

#define MiB_ ((uint64_t)1 << 20)
#define GiB_ ((uint64_t)1 << 30)

/* ---- mutation helpers ---- */
static void both_hdr16(kit_image *ki, size_t off, uint16_t v) { kit_put16(ki->hdr[0] + off, v); kit_put16(ki->hdr[1] + off, v); }
static void both_hdr32(kit_image *ki, size_t off, uint32_t v) { kit_put32(ki->hdr[0] + off, v); kit_put32(ki->hdr[1] + off, v); }
static void both_hdr64(kit_image *ki, size_t off, uint64_t v) { kit_put64(ki->hdr[0] + off, v); kit_put64(ki->hdr[1] + off, v); }
static uint8_t *rte(kit_image *ki, unsigned i) { return ki->rt[0] + KIT_RT_ENTRIES + KIT_RTE_SIZE * i; }
static uint8_t *md_entry(kit_image *ki, const vhdx_guid *g) { uint32_t e = kit_md_entry(ki, g); return e ? ki->md + e : NULL; }
static unsigned md_count(const kit_image *ki) { return kit_get16(ki->md + KIT_MDT_ENTRY_COUNT); }
static uint8_t *md_new_entry(kit_image *ki)
{
    unsigned n = md_count(ki);
    kit_put16(ki->md + KIT_MDT_ENTRY_COUNT, (uint16_t)(n + 1));
    return ki->md + KIT_MDT_ENTRIES + KIT_MDE_SIZE * n;
}
static void seeded_guid(kit_image *ki, vhdx_guid *g) { if (vhdx_guid_generate(&ki->gen, g) != VHDX_OK) memset(g->b, 0x11, 16); }
/* a new metadata entry with a fresh seeded ItemId */
static uint8_t *md_new_item(kit_image *ki, uint32_t off, uint32_t len, uint32_t flags)
{
    uint8_t *e = md_new_entry(ki);
    vhdx_guid g;
    seeded_guid(ki, &g);
    memcpy(e + KIT_MDE_ITEM_ID, g.b, 16);
    kit_put32(e + KIT_MDE_OFFSET, off);
    kit_put32(e + KIT_MDE_LENGTH, len);
    kit_put32(e + KIT_MDE_FLAGS, flags);
    return e;
}
static uint8_t *log_entry0(kit_image *ki) { return ki->log + ki->log_pos[0]; }
/* B_LOG's entry: descriptor 0 is the data descriptor, 1 the zero descriptor, and its one data
 * sector follows the descriptor sector */
static uint8_t *log_desc(kit_image *ki, unsigned i) { return log_entry0(ki) + KIT_LE_DESCRIPTORS + KIT_DESC_SIZE * i; }
static uint8_t *log_data0(kit_image *ki) { return log_entry0(ki) + KIT_LOG_SECTOR; }
static uint8_t *fp_item(kit_image *ki) { return ki->md + KIT_MD_FILE_PARAMS; }
static uint8_t *locator(kit_image *ki) { return ki->md + KIT_MD_LOCATOR; }

/* deviations */
static void m_identical_headers(kit_image *ki) { kit_put64(ki->hdr[1] + KIT_HDR_SEQUENCE, 1); }
static void m_torn_header(kit_image *ki) { ki->keep_hdr_crc[0] = 1; kit_put32(ki->hdr[0] + KIT_HDR_CHECKSUM, 0xDEADBEEF); }
static void m_not_required(kit_image *ki) { kit_put32(rte(ki, 0) + KIT_RTE_REQUIRED, 0); kit_put32(rte(ki, 1) + KIT_RTE_REQUIRED, 0); }
static void m_zero_offset(kit_image *ki) { kit_bat_set(ki, 1, (ki->data_off + MiB_) | KIT_BAT_ZERO); }
static void m_rt2_invalid(kit_image *ki)
{
    ki->rt2_from_rt1 = 0;
    ki->keep_rt_crc[1] = 1;
    memcpy(ki->rt[1], ki->rt[0], KIT_RT_SIZE);
    kit_put32(ki->rt[1] + KIT_RT_CHECKSUM, 0x12345678);
}
static void m_pss_not_required(kit_image *ki)
{
    kit_put32(md_entry(ki, &VHDX_GUID_PHYSICAL_SECTOR_SIZE) + KIT_MDE_FLAGS, KIT_MDF_IS_VIRTUAL_DISK);
}

static void m_fp_flags3(kit_image *ki) { kit_put32(fp_item(ki) + KIT_FP_FLAGS, KIT_FPF_LEAVE_BLOCK_ALLOCATED | KIT_FPF_HAS_PARENT); }

/* header section */
static void m_short(kit_image *ki) { ki->truncate_to = 512 * 1024; }
static void m_fileid(kit_image *ki) { memcpy(ki->fileid + KIT_FILEID_SIGNATURE, "vhdxfilf", 8); }
static void m_hdr_sig(kit_image *ki) { memcpy(ki->hdr[0] + KIT_HDR_SIGNATURE, "heaD", 4); memcpy(ki->hdr[1] + KIT_HDR_SIGNATURE, "heaD", 4); }
static void m_hdr_crc(kit_image *ki)
{
    ki->keep_hdr_crc[0] = ki->keep_hdr_crc[1] = 1;
    kit_put32(ki->hdr[0] + KIT_HDR_CHECKSUM, 1);
    kit_put32(ki->hdr[1] + KIT_HDR_CHECKSUM, 2);
}
static void m_hdr_seq_equal(kit_image *ki) { kit_put64(ki->hdr[1] + KIT_HDR_SEQUENCE, 1); ki->hdr[1][KIT_HDR_DATA_WRITE_GUID] ^= 0xFF; }
static void m_log_version(kit_image *ki) { both_hdr16(ki, KIT_HDR_LOG_VERSION, 1); }
static void m_version(kit_image *ki) { both_hdr16(ki, KIT_HDR_VERSION, 2); }
static void m_log_length(kit_image *ki) { both_hdr32(ki, KIT_HDR_LOG_LENGTH, (uint32_t)MiB_ + 4096); }
static void m_log_offset(kit_image *ki) { both_hdr64(ki, KIT_HDR_LOG_OFFSET, ki->log_off + 4096); }
static void m_log_overlap(kit_image *ki) { both_hdr64(ki, KIT_HDR_LOG_OFFSET, ki->md_off); }
static void m_log_outside(kit_image *ki) { both_hdr64(ki, KIT_HDR_LOG_OFFSET, ki->file_size); }
/* byte 200 of the header: inside Reserved */
static void m_hdr_reserved(kit_image *ki) { ki->hdr[0][KIT_HDR_RESERVED + 120] = 1; ki->hdr[1][KIT_HDR_RESERVED + 120] = 1; }
static void m_log_guid_no_log(kit_image *ki)
{
    vhdx_guid g;
    seeded_guid(ki, &g);
    memcpy(ki->hdr[0] + KIT_HDR_LOG_GUID, g.b, 16);
    memcpy(ki->hdr[1] + KIT_HDR_LOG_GUID, g.b, 16);
}

/* region table */
static void m_rt_sig(kit_image *ki) { memcpy(ki->rt[0] + KIT_RT_SIGNATURE, "regI", 4); }
static void m_rt_crc(kit_image *ki)
{
    ki->keep_rt_crc[0] = ki->keep_rt_crc[1] = 1;
    kit_put32(ki->rt[0] + KIT_RT_CHECKSUM, 1);
    kit_put32(ki->rt[1] + KIT_RT_CHECKSUM, 1);
}
static void m_rt_count(kit_image *ki) { kit_put32(ki->rt[0] + KIT_RT_ENTRY_COUNT, 2048); }
static void m_rt_reserved(kit_image *ki) { kit_put32(ki->rt[0] + KIT_RT_RESERVED, 1); }
static void m_rt_dup(kit_image *ki) { memcpy(rte(ki, 2), rte(ki, 0), KIT_RTE_SIZE); kit_put32(ki->rt[0] + KIT_RT_ENTRY_COUNT, 3); }
static void m_rt_offset(kit_image *ki) { kit_put64(rte(ki, 1) + KIT_RTE_FILE_OFFSET, 0x80000); } /* metadata region at 512 KiB */
static void m_rt_length(kit_image *ki) { kit_put32(rte(ki, 0) + KIT_RTE_LENGTH, (uint32_t)MiB_ - 4096); }
static void m_rt_unknown_req(kit_image *ki)
{
    uint8_t *e = rte(ki, 2);
    vhdx_guid g;
    seeded_guid(ki, &g);
    memcpy(e + KIT_RTE_GUID, g.b, 16);
    kit_put64(e + KIT_RTE_FILE_OFFSET, ki->file_size);
    kit_put32(e + KIT_RTE_LENGTH, (uint32_t)MiB_);
    kit_put32(e + KIT_RTE_REQUIRED, 1);
    kit_put32(ki->rt[0] + KIT_RT_ENTRY_COUNT, 3);
    ki->truncate_to = ki->file_size + MiB_;
}
/* the metadata region covers the BAT */
static void m_rt_overlap(kit_image *ki) { kit_put32(rte(ki, 1) + KIT_RTE_LENGTH, 2 * (uint32_t)MiB_); }
static void m_rt_no_bat(kit_image *ki)
{
    memmove(rte(ki, 0), rte(ki, 1), KIT_RTE_SIZE);
    memset(rte(ki, 1), 0, KIT_RTE_SIZE);
    kit_put32(ki->rt[0] + KIT_RT_ENTRY_COUNT, 1);
}
static void m_rt_no_md(kit_image *ki) { memset(rte(ki, 1), 0, KIT_RTE_SIZE); kit_put32(ki->rt[0] + KIT_RT_ENTRY_COUNT, 1); }
static void m_rt_outside(kit_image *ki) { kit_put64(rte(ki, 0) + KIT_RTE_FILE_OFFSET, ki->file_size); }

/* metadata */
static void m_md_sig(kit_image *ki) { memcpy(ki->md + KIT_MDT_SIGNATURE, "metadatA", 8); }
static void m_md_reserved(kit_image *ki) { kit_put16(ki->md + KIT_MDT_RESERVED, 1); }
static void m_md_count(kit_image *ki) { kit_put16(ki->md + KIT_MDT_ENTRY_COUNT, 2048); }
static void m_md_reserved2(kit_image *ki) { ki->md[KIT_MDT_RESERVED2 + 8] = 1; }
static void m_md_dup(kit_image *ki)
{
    uint8_t *e = md_new_entry(ki);
    memcpy(e, md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_SIZE), KIT_MDE_SIZE);
    kit_put32(e + KIT_MDE_OFFSET, KIT_MD_EXTRA);
    kit_put64(ki->md + KIT_MD_EXTRA, kit_get64(ki->md + KIT_MD_DISK_SIZE));
}
static void m_md_offset(kit_image *ki)
{
    uint8_t *e = md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_ID);
    memcpy(ki->md + KIT_MD_LOW, ki->md + KIT_MD_DISK_ID, 16);
    kit_put32(e + KIT_MDE_OFFSET, KIT_MD_LOW);
}
static void m_md_outside(kit_image *ki)
{
    kit_put32(md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_ID) + KIT_MDE_OFFSET, ki->md_len - 8);
}
/* a user item of 1 MiB + 1 bytes (it cannot fit the 1 MiB region either) */
static void m_md_length(kit_image *ki) { (void)md_new_item(ki, KIT_MD_EXTRA, (uint32_t)MiB_ + 1, KIT_MDF_IS_USER); }
static void m_md_zero_len(kit_image *ki) { (void)md_new_item(ki, KIT_MD_EXTRA, 0, KIT_MDF_IS_USER); }
static void m_md_many_user(kit_image *ki)
{
    for (unsigned i = 0; i < 1025; i++) (void)md_new_item(ki, 0, 0, KIT_MDF_IS_USER);
}
static void m_md_unknown_req(kit_image *ki) { (void)md_new_item(ki, KIT_MD_EXTRA, 8, KIT_MDF_IS_REQUIRED); }
static void m_md_flags(kit_image *ki)
{
    kit_put32(md_entry(ki, &VHDX_GUID_FILE_PARAMETERS) + KIT_MDE_FLAGS, KIT_MDF_IS_REQUIRED | KIT_MDF_RESERVED);
}
static void m_md_missing(kit_image *ki)
{
    uint8_t *e = md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_ID);
    unsigned n = md_count(ki);
    uint8_t *last = ki->md + KIT_MDT_ENTRIES + KIT_MDE_SIZE * (n - 1);
    if (e != last) memcpy(e, last, KIT_MDE_SIZE);
    memset(last, 0, KIT_MDE_SIZE);
    kit_put16(ki->md + KIT_MDT_ENTRY_COUNT, (uint16_t)(n - 1));
}
static void m_md_short(kit_image *ki) { kit_put32(md_entry(ki, &VHDX_GUID_VIRTUAL_DISK_SIZE) + KIT_MDE_LENGTH, 4); }
static void m_block_size(kit_image *ki) { kit_put32(fp_item(ki) + KIT_FP_BLOCK_SIZE, 3 * (uint32_t)MiB_); }
static void m_fp_reserved(kit_image *ki) { kit_put32(fp_item(ki) + KIT_FP_FLAGS, KIT_FPF_RESERVED); }
static void m_disk_size(kit_image *ki) { kit_put64(ki->md + KIT_MD_DISK_SIZE, 4 * MiB_ + 100); }
static void m_lss(kit_image *ki) { kit_put32(ki->md + KIT_MD_LSS, 1024); }
static void m_pss(kit_image *ki) { kit_put32(ki->md + KIT_MD_PSS, 1024); }

/* parent locator (children of diff-parent.vhdx) */
static void linkage_text(const kit_image *ki, char *out)
{
    out[0] = '{';
    vhdx_guid_format(&ki->parent->data_write, out + 1, 38, 0);
    strcat(out, "}");
}
static void m_no_locator(kit_image *ki)
{
    memset(md_entry(ki, &VHDX_GUID_PARENT_LOCATOR), 0, KIT_MDE_SIZE);
    kit_put16(ki->md + KIT_MDT_ENTRY_COUNT, (uint16_t)(md_count(ki) - 1));
}
static void m_pl_type(kit_image *ki) { locator(ki)[KIT_PL_TYPE] ^= 0xFF; }
static void m_pl_reserved(kit_image *ki) { kit_put16(locator(ki) + KIT_PL_RESERVED, 1); }
/* KeyLength of entry 1 = 0 */
static void m_pl_entry(kit_image *ki) { kit_put16(locator(ki) + KIT_PL_ENTRIES + KIT_PLE_SIZE + KIT_PLE_KEY_LENGTH, 0); }
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
/* the parent_linkage of diff-parent.vhdx, its relative path, and a third key/value */
static void locator_with(kit_image *ki, const char *key, const char *value)
{
    char l[40];
    linkage_text(ki, l);
    const char *k[] = { "parent_linkage", "relative_path", key };
    const char *v[] = { l, ".\\diff-parent.vhdx", value };
    (void)kit_set_locator(ki, k, v, 3);
}
static void m_pl_volume(kit_image *ki) { locator_with(ki, "volume_path", "C:\\disks\\diff-parent.vhdx"); }
static void m_pl_absolute(kit_image *ki) { locator_with(ki, "absolute_win32_path", "disks\\diff-parent.vhdx"); }
static void m_pl_plain_drive(kit_image *ki) { locator_with(ki, "absolute_win32_path", "C:\\disks\\diff-parent.vhdx"); }

/* BAT */
static void m_bat_reserved(kit_image *ki) { kit_bat_set(ki, 0, kit_bat_get(ki, 0) | KIT_BAT_RESERVED_BIT); }
static void m_bat_overlap(kit_image *ki) { kit_bat_set(ki, 1, ki->md_off | KIT_BAT_FULLY_PRESENT); }
static void m_bat_outside(kit_image *ki) { kit_bat_set(ki, 1, ki->file_size | KIT_BAT_FULLY_PRESENT); }
static void m_bat_dup(kit_image *ki) { kit_bat_set(ki, 1, kit_bat_get(ki, 0)); }
static void m_bat_state(kit_image *ki) { kit_bat_set(ki, 1, 4u); } /* reserved state */
static void m_bat_partial_no_sb(kit_image *ki) { kit_bat_set(ki, ki->cr, KIT_SB_NOT_PRESENT); }
static void m_bat_sb_present(kit_image *ki)
{
    kit_bat_set(ki, ki->cr, ki->file_size | KIT_SB_PRESENT);
    ki->truncate_to = ki->file_size + MiB_;
}
static void m_bat_sb_state(kit_image *ki) { kit_bat_set(ki, ki->cr, 3u); } /* neither 0 nor 6 */
static void m_bat_small(kit_image *ki) { kit_put32(rte(ki, 0) + KIT_RTE_LENGTH, (uint32_t)MiB_); }

/* log (B_LOG: one entry, descriptor 0 = data descriptor for the BAT sector, 1 = zero descriptor) */
static void m_log_desc_count(kit_image *ki) { kit_put32(log_entry0(ki) + KIT_LE_DESC_COUNT, 3); }
static void m_log_sig(kit_image *ki) { memcpy(log_entry0(ki) + KIT_LE_SIGNATURE, "logE", 4); }
static void m_log_crc(kit_image *ki) { ki->keep_log_crc = 1; kit_put32(log_entry0(ki) + KIT_LE_CHECKSUM, 0x12345678); }
static void m_log_elen(kit_image *ki) { kit_put32(log_entry0(ki) + KIT_LE_ENTRY_LENGTH, 8192 + 512); }
static void m_log_tail(kit_image *ki) { kit_put32(log_entry0(ki) + KIT_LE_TAIL, 100); }
static void m_log_seq0(kit_image *ki)
{
    kit_put64(log_entry0(ki) + KIT_LE_SEQUENCE, 0);
    kit_put64(log_desc(ki, 0) + KIT_DESC_SEQUENCE, 0);
    kit_put64(log_desc(ki, 1) + KIT_DESC_SEQUENCE, 0);
    kit_put32(log_data0(ki) + KIT_DS_SEQ_HIGH, 0);
    kit_put32(log_data0(ki) + KIT_DS_SEQ_LOW, 0);
}
static void m_log_reserved(kit_image *ki) { kit_put32(log_entry0(ki) + KIT_LE_RESERVED, 1); }
static void m_log_guid(kit_image *ki) { log_entry0(ki)[KIT_LE_LOG_GUID + 8] ^= 0xFF; }
static void m_log_flushed(kit_image *ki) { kit_put64(log_entry0(ki) + KIT_LE_FLUSHED_OFFSET, ki->file_size - 4096); }
static void m_log_last(kit_image *ki) { kit_put64(log_entry0(ki) + KIT_LE_LAST_OFFSET, ki->file_size + 4096); }
static void m_log_zero_sig(kit_image *ki) { memcpy(log_desc(ki, 1) + KIT_DESC_SIGNATURE, "zerO", 4); }
static void m_log_zero_reserved(kit_image *ki) { kit_put32(log_desc(ki, 1) + KIT_ZD_RESERVED, 1); }
static void m_log_zero_length(kit_image *ki) { kit_put64(log_desc(ki, 1) + KIT_ZD_ZERO_LENGTH, 100); }
static void m_log_zero_offset(kit_image *ki) { kit_put64(log_desc(ki, 1) + KIT_DESC_FILE_OFFSET, ki->md_off + KIT_MD_SCRATCH + 512); }
static void m_log_zero_seq(kit_image *ki) { kit_put64(log_desc(ki, 1) + KIT_DESC_SEQUENCE, 99); }
static void m_log_desc_offset(kit_image *ki) { kit_put64(log_desc(ki, 0) + KIT_DESC_FILE_OFFSET, ki->bat_off + 512); }
static void m_log_desc_seq(kit_image *ki) { kit_put64(log_desc(ki, 0) + KIT_DESC_SEQUENCE, 99); }
static void m_log_data_sig(kit_image *ki) { memcpy(log_data0(ki) + KIT_DS_SIGNATURE, "dat4", 4); }
static void m_log_data_high(kit_image *ki) { kit_put32(log_data0(ki) + KIT_DS_SEQ_HIGH, 7); }
static void m_log_data_low(kit_image *ki) { kit_put32(log_data0(ki) + KIT_DS_SEQ_LOW, 99); }
static void m_log_empty(kit_image *ki) { memset(ki->log, 0, ki->log_len); ki->nlog = 0; }
static void m_log_truncated(kit_image *ki) { kit_put64(log_entry0(ki) + KIT_LE_FLUSHED_OFFSET, ki->file_size + MiB_); }
/* the data descriptor targets header 1 */
static void m_log_target(kit_image *ki) { kit_put64(log_desc(ki, 0) + KIT_DESC_FILE_OFFSET, KIT_HDR1_OFF); }

/* payload block states in the table */
#define NOTP KIT_BAT_NOT_PRESENT
#define UNDEF KIT_BAT_UNDEFINED
#define ZERO KIT_BAT_ZERO
#define UNMAP KIT_BAT_UNMAPPED
#define FULL KIT_BAT_FULLY_PRESENT
#define PART KIT_BAT_PARTIALLY_PRESENT
#define SPEC(...) { __VA_ARGS__ }
#define BLK(i, s, d) { (i), (s), (d) }

const kit_case kit_cases[] = {
    /* ---- valid images ---- */
    {"fixed-1M-l512-p512.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "fixed, 1 MiB blocks, 4.5 MiB (last block half inside the disk), data in blocks 0, 2, 4",
     SPEC("", VHDX_TYPE_FIXED, 4 * MiB_ + 512 * 1024, (uint32_t)MiB_, 512, 512, 3,
          {BLK(0, FULL, 1), BLK(2, FULL, 1), BLK(4, FULL, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x101, NULL)},
    {"fixed-2M-l4096-p4096.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "fixed, 2 MiB blocks, 4096-byte logical sectors, 4 MiB, data in block 1",
     SPEC("", VHDX_TYPE_FIXED, 4 * MiB_, 2 * (uint32_t)MiB_, 4096, 4096, 1,
          {BLK(1, FULL, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x102, NULL)},
    {"dynamic-1M-states.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 1 MiB blocks, blocks FULLY_PRESENT (0, 7), ZERO (1), UNMAPPED (2), UNDEFINED (3), NOT_PRESENT (others); 8 MiB - 512 B",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_ - 512, (uint32_t)MiB_, 512, 4096, 5,
          {BLK(0, FULL, 1), BLK(1, ZERO, 0), BLK(2, UNMAP, 0), BLK(3, UNDEF, 0), BLK(7, FULL, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x103, NULL)},
    {"dynamic-2M-l512-p512.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 2 MiB blocks, 10 MiB + 3 KiB (not a block multiple), data in the first and the last block",
     SPEC("", VHDX_TYPE_DYNAMIC, 10 * MiB_ + 3072, 2 * (uint32_t)MiB_, 512, 512, 2,
          {BLK(0, FULL, 1), BLK(5, FULL, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x104, NULL)},
    {"dynamic-32M-l512-p4096.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 32 MiB blocks (Windows default), 100 MiB (last block partly inside), data in the last block",
     SPEC("", VHDX_TYPE_DYNAMIC, 100 * MiB_, 32 * (uint32_t)MiB_, 512, 4096, 2,
          {BLK(1, ZERO, 0), BLK(3, FULL, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x105, NULL)},
    {"dynamic-256M-l4096-p4096.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 256 MiB blocks, 4096-byte logical sectors, 1 GiB, ZERO/UNMAPPED/NOT_PRESENT blocks (no data: one block would be 256 MiB)",
     SPEC("", VHDX_TYPE_DYNAMIC, GiB_, 256 * (uint32_t)MiB_, 4096, 4096, 2,
          {BLK(0, ZERO, 0), BLK(2, UNMAP, 0)}, KIT_LOG_NONE, 0, 0, 0, 0x106, NULL)},
    {"dynamic-1M-chunk-4G.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 1 MiB blocks, 4 GiB + 1 MiB: crosses the first sector-bitmap chunk (BAT index 4096 is the SB slot); data in blocks 0, 4095 and 4096",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * GiB_ + MiB_, (uint32_t)MiB_, 512, 4096, 3,
          {BLK(0, FULL, 1), BLK(4095, FULL, 1), BLK(4096, FULL, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x107, NULL)},
    {"diff-parent.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic parent of diff-child.vhdx: 1 MiB blocks, 8 MiB, data in blocks 0-3",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 4,
          {BLK(0, FULL, 1), BLK(1, FULL, 1), BLK(2, FULL, 1), BLK(3, FULL, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x108, NULL)},
    {"diff-child.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "differencing child of diff-parent.vhdx: block 0 FULLY_PRESENT, 1 and 5 PARTIALLY_PRESENT (sector bitmap: 8 sectors here, 8 from the parent), 3 ZERO (hides the parent), others from the parent",
     SPEC("", VHDX_TYPE_DIFFERENCING, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 4,
          {BLK(0, FULL, 1), BLK(1, PART, 1), BLK(3, ZERO, 0), BLK(5, PART, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x109, "diff-parent.vhdx")},
    {"dynamic-pending-log.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 8 MiB, a pending log (2 entries: a BAT sector that makes block 2 present, a zero descriptor); readers must replay it (block 2 holds data only after replay)",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_, (uint32_t)MiB_, 512, 512, 1,
          {BLK(0, FULL, 1)}, KIT_LOG_PENDING, 2, 0, 0, 0x10A, NULL)},
    {"dynamic-stale-log.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 8 MiB, LogGuid zero but the log holds a valid entry of an earlier session that would make block 3 present with stale data; readers must not replay it",
     SPEC("", VHDX_TYPE_DYNAMIC, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 1,
          {BLK(0, FULL, 1)}, KIT_LOG_STALE, 3, 0, 0, 0x10B, NULL)},
    {"diff-child-flags3.vhdx", KIT_VALID, KIT_B_CHILD, "", "", m_fp_flags3,
     "differencing child of diff-parent.vhdx with File Parameters flags 3 (LeaveBlockAllocated and HasParent: valid, LeaveBlockAllocated is ignored; libvhdi refuses it); all blocks from the parent", SPEC(0)},
    /* ---- tolerated deviations: conformant with warnings ---- */
    {"dev-identical-headers.vhdx", KIT_DEVIATION, KIT_B_COMPACT, "", "R11", m_identical_headers,
     "both headers identical with sequence number 1 (Disk2vhd); no current header per the spec, accepted with a warning", SPEC(0)},
    {"dev-torn-header.vhdx", KIT_DEVIATION, KIT_B_COMPACT, "", "R10", m_torn_header,
     "header 1 (the older one) has a bad checksum, as after a torn header write; header 2 is current", SPEC(0)},
    {"dev-region-not-required.vhdx", KIT_DEVIATION, KIT_B_COMPACT, "", "D7", m_not_required,
     "BAT and metadata region entries with Required = 0 (as old qemu-img wrote them)", SPEC(0)},
    {"dev-zero-block-offset.vhdx", KIT_DEVIATION, KIT_B_BLOCK, "", "D13", m_zero_offset,
     "a PAYLOAD_BLOCK_ZERO entry with a non-zero FileOffsetMB (as old qemu-img wrote them)", SPEC(0)},
    {"dev-region-copy2-invalid.vhdx", KIT_DEVIATION, KIT_B_COMPACT, "", "R23", m_rt2_invalid,
     "region table copy 2 has a bad checksum; copy 1 is valid", SPEC(0)},
    {"dev-absolute-path-drive.vhdx", KIT_DEVIATION, KIT_B_CHILD, "", "R108", m_pl_plain_drive,
     "differencing child whose absolute_win32_path is a plain drive path without \\\\?\\ (as Hyper-V writes it)", SPEC(0)},
    {"dev-pss-not-required.vhdx", KIT_DEVIATION, KIT_B_COMPACT, "", "D11", m_pss_not_required,
     "Physical Sector Size item without IsRequired (as early Windows images)", SPEC(0)},
    /* ---- invalid images, most useful first (all in the default kit) ---- */
    {"bad-R4-fileid-signature.vhdx", KIT_INVALID, KIT_B_COMPACT, "R4", "", m_fileid, "file type identifier signature \"vhdxfilf\"", SPEC(0)},
    {"bad-R9-header-signature.vhdx", KIT_INVALID, KIT_B_COMPACT, "R11", "", m_hdr_sig, "both header signatures \"heaD\" (CRC fixed)", SPEC(0)},
    {"bad-R10-header-checksum.vhdx", KIT_INVALID, KIT_B_COMPACT, "R11", "", m_hdr_crc, "both header checksums wrong", SPEC(0)},
    {"bad-R11-equal-sequence.vhdx", KIT_INVALID, KIT_B_COMPACT, "R11", "", m_hdr_seq_equal, "both headers valid with sequence number 1 but different DataWriteGuid", SPEC(0)},
    {"bad-R16-version.vhdx", KIT_INVALID, KIT_B_COMPACT, "R16", "", m_version, "header Version = 2", SPEC(0)},
    {"bad-R24-region-signature.vhdx", KIT_INVALID, KIT_B_COMPACT, "R24", "", m_rt_sig, "both region table signatures \"regI\" (CRC fixed)", SPEC(0)},
    {"bad-R25-region-checksum.vhdx", KIT_INVALID, KIT_B_COMPACT, "R25", "", m_rt_crc, "both region table checksums wrong", SPEC(0)},
    {"bad-R79-metadata-signature.vhdx", KIT_INVALID, KIT_B_COMPACT, "R79", "", m_md_sig, "metadata table signature \"metadatA\"", SPEC(0)},
    {"bad-R92-block-size.vhdx", KIT_INVALID, KIT_B_COMPACT, "R92", "", m_block_size, "BlockSize = 3 MiB (not a power of two)", SPEC(0)},
    {"bad-R95-disk-size.vhdx", KIT_INVALID, KIT_B_COMPACT, "R95", "", m_disk_size, "VirtualDiskSize = 4 MiB + 100 (not a sector multiple)", SPEC(0)},
    {"bad-R96-logical-sector.vhdx", KIT_INVALID, KIT_B_COMPACT, "R96", "", m_lss, "LogicalSectorSize = 1024", SPEC(0)},
    {"bad-R69-bat-reserved.vhdx", KIT_INVALID, KIT_B_COMPACT, "R69", "", m_bat_reserved, "BAT entry 0 with reserved bit 3 set", SPEC(0)},
    {"bad-R70-bat-overlap.vhdx", KIT_INVALID, KIT_B_COMPACT, "R70", "", m_bat_overlap, "block 1 FULLY_PRESENT at the metadata region", SPEC(0)},
    {"bad-R72-bat-state.vhdx", KIT_INVALID, KIT_B_COMPACT, "R72", "", m_bat_state, "block 1 in reserved state 4", SPEC(0)},
    {"bad-D12-block-outside.vhdx", KIT_INVALID, KIT_B_COMPACT, "D12", "", m_bat_outside, "block 1 FULLY_PRESENT at the end of the file", SPEC(0)},
    {"bad-R103-no-linkage.vhdx", KIT_INVALID, KIT_B_CHILD, "R103", "", m_pl_no_linkage, "parent locator without parent_linkage", SPEC(0)},
    {"bad-R105-linkage-mismatch.vhdx", KIT_INVALID, KIT_B_CHILD, "R105", "", m_pl_mismatch, "parent_linkage matches no DataWriteGuid of diff-parent.vhdx", SPEC(0)},
    {"bad-R61-no-log-sequence.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_empty, "LogGuid non-zero, the log holds no entry", SPEC(0)},
    {"bad-R37-log-checksum.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_crc, "both log entries with wrong checksums", SPEC(0)},
    {"bad-R62-log-truncated.vhdx", KIT_INVALID, KIT_B_LOG, "R62", "", m_log_truncated, "FlushedFileOffset of the head entry beyond the end of the file", SPEC(0)},
    {"bad-R18-log-overlap.vhdx", KIT_INVALID, KIT_B_NONE, "R18", "", m_log_overlap, "the log lies on the metadata region",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, NOTP, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x203, NULL)},
    {"bad-R28-region-duplicate.vhdx", KIT_INVALID, KIT_B_COMPACT, "R28,R32", "", m_rt_dup, "the BAT region listed twice", SPEC(0)},
    {"bad-R32-region-overlap.vhdx", KIT_INVALID, KIT_B_COMPACT, "R32", "", m_rt_overlap, "the metadata region (2 MiB) covers the BAT region", SPEC(0)},
    {"bad-R83-metadata-duplicate.vhdx", KIT_INVALID, KIT_B_COMPACT, "R83", "", m_md_dup, "Virtual Disk Size listed twice", SPEC(0)},
    {"bad-R85-metadata-outside.vhdx", KIT_INVALID, KIT_B_COMPACT, "R85", "", m_md_outside, "Virtual Disk ID item crosses the end of the metadata region", SPEC(0)},
    {"bad-R90-unknown-required-item.vhdx", KIT_INVALID, KIT_B_COMPACT, "R90", "", m_md_unknown_req, "an unknown system item with IsRequired", SPEC(0)},
    {"bad-R31-unknown-required-region.vhdx", KIT_INVALID, KIT_B_COMPACT, "R31", "", m_rt_unknown_req, "an unknown region with Required = 1", SPEC(0)},
    {"bad-R71-bat-duplicate.vhdx", KIT_INVALID, KIT_B_BLOCK, "R71", "", m_bat_dup, "blocks 0 and 1 at the same file offset", SPEC(0)},
    {"bad-R77-sb-in-dynamic.vhdx", KIT_INVALID, KIT_B_CHUNK, "R77", "", m_bat_sb_present, "SB_COMPACT_PRESENT in a dynamic disk", SPEC(0)},
    {"bad-R76-partial-no-bitmap.vhdx", KIT_INVALID, KIT_B_NONE, "R76", "", m_bat_partial_no_sb, "PARTIALLY_PRESENT block whose chunk has no sector bitmap",
     SPEC("", VHDX_TYPE_DIFFERENCING, 8 * MiB_, (uint32_t)MiB_, 512, 4096, 1, {BLK(1, PART, 1)}, KIT_LOG_NONE, 0, 0, 0, 0x205, "diff-parent.vhdx")},
    {"bad-R66-bat-too-small.vhdx", KIT_INVALID, KIT_B_NONE, "R66", "", m_bat_small, "a 200 GiB disk with a 1 MiB BAT region",
     SPEC("", VHDX_TYPE_DYNAMIC, 200 * GiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, NOTP, 0)}, KIT_LOG_NONE, 0, 0, 0, 0x206, NULL)},
    {"bad-D14-log-target.vhdx", KIT_INVALID, KIT_B_LOG, "D14", "", m_log_target, "a data descriptor targets header 1", SPEC(0)},
    /* ---- large valid images, only with --big (their whole-disk hashes take minutes) ---- */
    {"big-dynamic-256M-data.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 256 MiB blocks, 1 GiB + 512 B, data in block 1 and in the last (mostly outside) block",
     SPEC("", VHDX_TYPE_DYNAMIC, GiB_ + 512, 256 * (uint32_t)MiB_, 512, 4096, 2,
          {BLK(1, FULL, 1), BLK(4, FULL, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x401, NULL)},
    {"big-fixed-1M-chunk-4G.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "fixed, 1 MiB blocks, 4 GiB + 1 MiB (the BAT has a sector-bitmap slot; libvhdi reads fixed BATs without it): data in blocks 0, 4095, 4096",
     SPEC("", VHDX_TYPE_FIXED, 4 * GiB_ + MiB_, (uint32_t)MiB_, 512, 512, 3,
          {BLK(0, FULL, 1), BLK(4095, FULL, 1), BLK(4096, FULL, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x402, NULL)},
    {"big-dynamic-1M-l4096-chunk-32G.vhdx", KIT_VALID, KIT_B_NONE, "", "", NULL,
     "dynamic, 1 MiB blocks, 4096-byte logical sectors, 32 GiB + 1 MiB: crosses the 32 GiB chunk of 4 KiB-sector disks; data in blocks 0, 32767, 32768",
     SPEC("", VHDX_TYPE_DYNAMIC, 32 * GiB_ + MiB_, (uint32_t)MiB_, 4096, 4096, 3,
          {BLK(0, FULL, 1), BLK(32767, FULL, 1), BLK(32768, FULL, 1)}, KIT_LOG_CLEAN, 0, 0, 0, 0x403, NULL)},
    {"bad-R42-log-guid.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_guid, "entries carry another LogGuid", SPEC(0)},
    {"bad-R36-log-signature.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_sig, "entry 1 signature \"logE\"", SPEC(0)},
    {"bad-D9-missing-item.vhdx", KIT_INVALID, KIT_B_COMPACT, "D9", "", m_md_missing, "no Virtual Disk ID item", SPEC(0)},
    {"bad-R98-no-locator.vhdx", KIT_INVALID, KIT_B_CHILD, "R98", "", m_no_locator, "HasParent without a parent locator item", SPEC(0)},
    {"bad-R106-no-path.vhdx", KIT_INVALID, KIT_B_CHILD, "R106", "", m_pl_no_path, "parent locator without any path key", SPEC(0)},
    {"bad-D2-too-small.vhdx", KIT_INVALID, KIT_B_COMPACT, "D2", "", m_short, "file cut at 512 KiB", SPEC(0)},
    {"bad-R15-log-version.vhdx", KIT_INVALID, KIT_B_COMPACT, "R15", "", m_log_version, "LogVersion = 1", SPEC(0)},
    {"bad-R17-log-length.vhdx", KIT_INVALID, KIT_B_NONE, "R17", "", m_log_length, "LogLength = 1 MiB + 4 KiB",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, NOTP, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x201, NULL)},
    {"bad-R18-log-offset.vhdx", KIT_INVALID, KIT_B_NONE, "R18", "", m_log_offset, "LogOffset = 1 MiB + 4 KiB",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, NOTP, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x202, NULL)},
    {"bad-D3-log-outside.vhdx", KIT_INVALID, KIT_B_NONE, "D3", "", m_log_outside, "the log lies past the end of the file",
     SPEC("", VHDX_TYPE_DYNAMIC, 4 * MiB_, (uint32_t)MiB_, 512, 4096, 0, {BLK(0, NOTP, 0)}, KIT_LOG_CLEAN, 0, 0, 0, 0x204, NULL)},
    {"bad-R19-header-reserved.vhdx", KIT_INVALID, KIT_B_COMPACT, "R19", "", m_hdr_reserved, "header reserved byte 200 = 1", SPEC(0)},
    {"bad-R14-log-guid-no-log.vhdx", KIT_INVALID, KIT_B_COMPACT, "R14", "", m_log_guid_no_log, "LogGuid non-zero with LogLength 0", SPEC(0)},
    {"bad-R26-region-count.vhdx", KIT_INVALID, KIT_B_COMPACT, "R26,R29,R30", "", m_rt_count, "region table EntryCount = 2048", SPEC(0)},
    {"bad-R27-region-reserved.vhdx", KIT_INVALID, KIT_B_COMPACT, "R27", "", m_rt_reserved, "region table Reserved = 1", SPEC(0)},
    {"bad-R29-region-offset.vhdx", KIT_INVALID, KIT_B_COMPACT, "R29", "", m_rt_offset, "metadata region FileOffset = 512 KiB", SPEC(0)},
    {"bad-R30-region-length.vhdx", KIT_INVALID, KIT_B_COMPACT, "R30", "", m_rt_length, "BAT region Length = 1 MiB - 4 KiB", SPEC(0)},
    {"bad-D4-no-bat-region.vhdx", KIT_INVALID, KIT_B_COMPACT, "D4", "", m_rt_no_bat, "region table without a BAT region", SPEC(0)},
    {"bad-D5-no-metadata-region.vhdx", KIT_INVALID, KIT_B_COMPACT, "D5", "", m_rt_no_md, "region table without a metadata region", SPEC(0)},
    {"bad-D6-region-outside.vhdx", KIT_INVALID, KIT_B_COMPACT, "D6", "", m_rt_outside, "BAT region past the end of the file", SPEC(0)},
    {"bad-R80-metadata-reserved.vhdx", KIT_INVALID, KIT_B_COMPACT, "R80", "", m_md_reserved, "metadata table Reserved = 1", SPEC(0)},
    {"bad-R81-metadata-count.vhdx", KIT_INVALID, KIT_B_COMPACT, "R81,R83", "", m_md_count, "metadata EntryCount = 2048", SPEC(0)},
    {"bad-R82-metadata-reserved2.vhdx", KIT_INVALID, KIT_B_COMPACT, "R82", "", m_md_reserved2, "metadata table Reserved2 byte 8 = 1", SPEC(0)},
    {"bad-R84-metadata-offset.vhdx", KIT_INVALID, KIT_B_COMPACT, "R84", "", m_md_offset, "Virtual Disk ID item at offset 32 KiB (inside the table)", SPEC(0)},
    {"bad-R86-metadata-length.vhdx", KIT_INVALID, KIT_B_COMPACT, "R85,R86", "", m_md_length, "a user item of 1 MiB + 1 bytes", SPEC(0)},
    {"bad-R87-metadata-zero-length.vhdx", KIT_INVALID, KIT_B_COMPACT, "R87", "", m_md_zero_len, "a user item with Length 0 and Offset 128 KiB", SPEC(0)},
    {"bad-R88-metadata-user-items.vhdx", KIT_INVALID, KIT_B_COMPACT, "R88", "", m_md_many_user, "1025 user metadata items", SPEC(0)},
    {"bad-R91-metadata-flags.vhdx", KIT_INVALID, KIT_B_COMPACT, "R91", "", m_md_flags, "File Parameters entry with reserved flag bit 3", SPEC(0)},
    {"bad-D10-item-too-short.vhdx", KIT_INVALID, KIT_B_COMPACT, "D10", "", m_md_short, "Virtual Disk Size item of 4 bytes", SPEC(0)},
    {"bad-R94-file-parameters-reserved.vhdx", KIT_INVALID, KIT_B_COMPACT, "R94", "", m_fp_reserved, "File Parameters flag bit 2", SPEC(0)},
    {"bad-R97-physical-sector.vhdx", KIT_INVALID, KIT_B_COMPACT, "R97", "", m_pss, "PhysicalSectorSize = 1024", SPEC(0)},
    {"bad-R99-locator-type.vhdx", KIT_INVALID, KIT_B_CHILD, "R99", "", m_pl_type, "unknown parent locator type", SPEC(0)},
    {"bad-R100-locator-reserved.vhdx", KIT_INVALID, KIT_B_CHILD, "R100", "", m_pl_reserved, "parent locator Reserved = 1", SPEC(0)},
    {"bad-R101-locator-entry.vhdx", KIT_INVALID, KIT_B_CHILD, "R101,R106", "", m_pl_entry, "a locator entry with KeyLength 0", SPEC(0)},
    {"bad-R102-locator-duplicate-key.vhdx", KIT_INVALID, KIT_B_CHILD, "R102", "", m_pl_dup_key, "relative_path key twice", SPEC(0)},
    {"bad-R103-linkage-format.vhdx", KIT_INVALID, KIT_B_CHILD, "R103", "", m_pl_bad_linkage, "parent_linkage \"{not-a-guid}\"", SPEC(0)},
    {"bad-R107-volume-path.vhdx", KIT_INVALID, KIT_B_CHILD, "R107", "", m_pl_volume, "volume_path C:\\disks\\diff-parent.vhdx", SPEC(0)},
    {"bad-R108-absolute-path.vhdx", KIT_INVALID, KIT_B_CHILD, "R108", "", m_pl_absolute, "absolute_win32_path disks\\diff-parent.vhdx (neither \\\\?\\ nor a drive path)", SPEC(0)},
    {"bad-R78-sb-state.vhdx", KIT_INVALID, KIT_B_CHILD, "R78", "", m_bat_sb_state, "sector bitmap entry in state 3", SPEC(0)},
    {"bad-R35-log-descriptor-count.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_desc_count, "DescriptorCount 3 with one data sector", SPEC(0)},
    {"bad-R38-log-entry-length.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_elen, "entry 2 EntryLength 4608", SPEC(0)},
    {"bad-R39-log-tail.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_tail, "entry 2 Tail = 100", SPEC(0)},
    {"bad-R40-log-sequence-zero.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_seq0, "entry 1 SequenceNumber 0", SPEC(0)},
    {"bad-R41-log-reserved.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_reserved, "entry 2 Reserved = 1", SPEC(0)},
    {"bad-R43-log-flushed-offset.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_flushed, "entry 2 FlushedFileOffset not a 1 MiB multiple", SPEC(0)},
    {"bad-R44-log-last-offset.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_last, "entry 2 LastFileOffset not a 1 MiB multiple", SPEC(0)},
    {"bad-R45-log-descriptor-signature.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_zero_sig, "entry 2 descriptor signature \"zerO\"", SPEC(0)},
    {"bad-R46-log-zero-reserved.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_zero_reserved, "zero descriptor Reserved = 1", SPEC(0)},
    {"bad-R47-log-zero-length.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_zero_length, "ZeroLength = 100", SPEC(0)},
    {"bad-R48-log-zero-offset.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_zero_offset, "zero descriptor FileOffset not 4 KiB aligned", SPEC(0)},
    {"bad-R49-log-zero-sequence.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_zero_seq, "zero descriptor SequenceNumber 99", SPEC(0)},
    {"bad-R52-log-descriptor-offset.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_desc_offset, "data descriptor FileOffset not 4 KiB aligned", SPEC(0)},
    {"bad-R53-log-descriptor-sequence.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_desc_seq, "data descriptor SequenceNumber 99", SPEC(0)},
    {"bad-R54-log-data-signature.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_data_sig, "data sector signature \"dat4\"", SPEC(0)},
    {"bad-R55-log-sequence-high.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_data_high, "data sector SequenceHigh 7", SPEC(0)},
    {"bad-R56-log-sequence-low.vhdx", KIT_INVALID, KIT_B_LOG, "R61", "", m_log_data_low, "data sector SequenceLow 99", SPEC(0)},
    /* appended last so that every earlier image keeps its bytes (see kit_changes) */
    {"bad-R96-parent-sector-size.vhdx", KIT_INVALID, KIT_B_NONE, "R96", "", NULL,
     "differencing child of diff-parent.vhdx (512-byte logical sectors) with 4096-byte logical sectors",
     SPEC("", VHDX_TYPE_DIFFERENCING, 8 * MiB_, (uint32_t)MiB_, 4096, 4096, 0, {BLK(0, NOTP, 0)}, KIT_LOG_NONE, 0, 0, 0, 0x207, "diff-parent.vhdx")},
};

const size_t kit_ncases = sizeof kit_cases / sizeof kit_cases[0];

static void base_spec(enum kit_base b, kit_spec *s, uint32_t tag)
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
    case KIT_B_BLOCK:
        s->nblocks = 1;
        s->blocks[0] = (kit_block){ 0, KIT_BAT_FULLY_PRESENT, 1 };
        break;
    case KIT_B_LOG:
        s->log_mode = KIT_LOG_PENDING;
        s->log_block = 1;
        s->log_state = KIT_BAT_ZERO;
        s->log_single = 1;
        break;
    case KIT_B_CHILD:
        s->type = VHDX_TYPE_DIFFERENCING;
        s->virtual_size = 8 * MiB_;
        s->parent_file = "diff-parent.vhdx";
        break;
    case KIT_B_CHUNK:
        s->virtual_size = 4 * GiB_ + MiB_;
        break;
    default:
        break;
    }
}


void kit_case_spec(size_t index, kit_spec *spec)
{
    const kit_case *kc = &kit_cases[index];
    if (kc->base == KIT_B_NONE) *spec = kc->spec;
    else base_spec(kc->base, spec, (uint32_t)(0x300 + index));
    spec->file = kc->file;
}

const char *kit_case_verdict(const kit_case *kc)
{
    /* a file without the "vhdxfile" signature is not a VHDX file: check calls it unreadable */
    if (kc->kind != KIT_INVALID) return "conformant";
    return kc->mutate == m_fileid ? "unreadable" : "nonconformant";
}
