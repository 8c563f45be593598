/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen_hostile.c - hostile VHDX images, one per rule violation, built from a valid image
 * made in memory by the conformance builder (codec encoders, seeded GUIDs: deterministic).
 *
 *   gen_hostile --list                 names of the cases
 *   gen_hostile --write DIR            writes DIR/<case>.vhdx for every case
 *   gen_hostile --print                prints the observed result line of every case
 *   gen_hostile --verify EXPECTED.tsv  asserts every case against EXPECTED.tsv (exit 1 on
 *                                      any difference, missing or extra case)
 *
 * A result line is: file, verdict, rules, codes, open.
 *   verdict  conformant | warnings | nonconformant | unreadable (vhdx_check's verdict;
 *            "warnings" = conformant with warning findings) - `vhdx check` exits 0/3/2/1
 *   rules    sorted distinct rule ids (VHDX-FORMAT.md section 9) of the error and warning
 *            findings, "-" when none
 *   codes    sorted distinct status names (without "VHDX_") of all findings
 *   open     status name of a read-only vhdx_open, with "@0x<offset>" of its diag when the
 *            failure has a file offset; when it opens, the disk is read
 *            (first 16 MiB and last MiB) and a failing read is appended as "+read:<name>"
 * Each case runs in a child process with a 20 s alarm and an address-space limit of 1 GiB
 * (under ASan/MSan: no single allocation above 1 GiB): a crash, hang, sanitizer report,
 * leak or runaway allocation fails the case.
 *
 * Mutations fix every checksum they disturb, except where a bad checksum is the point.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "builder.h"

#if defined(__SANITIZE_ADDRESS__)
#define HOSTILE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define HOSTILE_ASAN 1
#endif
#endif
#ifndef HOSTILE_ASAN
#define HOSTILE_ASAN 0
#endif

#if HOSTILE_ASAN
/* Sanitizers reserve terabytes of address space, so RLIMIT_AS cannot bound them; instead
 * any single allocation above 1 GiB aborts the case (sanitizer_common flag). */
const char *__asan_default_options(void);
const char *__msan_default_options(void);
const char *__asan_default_options(void) { return "max_allocation_size_mb=1024"; }
const char *__msan_default_options(void) { return "max_allocation_size_mb=1024"; }
#endif

#define BASE_SIZE (8 * MiB)

/* ---- helpers over the builder ---- */

static vhdx_guid guid_from(uint8_t seed)
{
    vhdx_guid g;
    for (unsigned i = 0; i < 16; i++) g.b[i] = (uint8_t)(seed * 17u + i * 29u + 1u);
    g.b[7] = (uint8_t)((g.b[7] & 0x0Fu) | 0x40u); /* version 4 in the MS layout (Data3 >> 12) */
    g.b[8] = (uint8_t)((g.b[8] & 0x3Fu) | 0x80u);
    return g;
}

/* both headers (keeping their sequence numbers) */
static void hdr_both16(vb_image *im, unsigned field, uint16_t v)
{
    vb_header_set16(im, 0, field, v);
    vb_header_set16(im, 1, field, v);
}
static void hdr_both32(vb_image *im, unsigned field, uint32_t v)
{
    vb_header_set32(im, 0, field, v);
    vb_header_set32(im, 1, field, v);
}
static void hdr_both64(vb_image *im, unsigned field, uint64_t v)
{
    vb_header_set64(im, 0, field, v);
    vb_header_set64(im, 1, field, v);
}
static void hdr_both_guid(vb_image *im, unsigned field, const vhdx_guid *g)
{
    vb_header_set_guid(im, 0, field, g);
    vb_header_set_guid(im, 1, field, g);
}

static void md_set_u32_item(vb_image *im, unsigned idx, uint32_t v)
{
    vb_put32(im, vb_md_item_offset(im, idx), v);
}
static void md_set_u64_item(vb_image *im, unsigned idx, uint64_t v)
{
    vb_put64(im, vb_md_item_offset(im, idx), v);
}
static void set_block(vb_image *im, uint64_t block, unsigned state, uint64_t off)
{
    vb_bat_set(im, vb_pb_index(im, block), fmt_bat_make(state, off));
}
/* a 1 MiB-aligned spot past the current end of file (the file grows to cover it) */
static uint64_t append_mib(vb_image *im)
{
    uint64_t end = vhdx_div_round_up(vb_size(im), MiB) * MiB;
    vb_truncate(im, end + MiB);
    return end;
}

/* ---- the cases ---- */

typedef struct hcase {
    const char *name;
    const char *what;                /* the violation, with its rule */
    uint64_t virtual_size;           /* 0: BASE_SIZE */
    uint32_t block_size;             /* 0: 1 MiB */
    void (*mutate)(vb_image *im);
    int no_blocks;                   /* 1: allocate no payload block (huge blocks) */
} hcase;

static void m_none(vb_image *im) { (void)im; }

/* R10/R11: an update of header 1 (seq 1 -> 3) torn after 24 bytes: signature, checksum
 * and sequence number of the new header, the rest (FileWriteGuid onward) old. */
static void m_header_torn(vb_image *im)
{
    uint8_t oldh[VHDX_HEADER_SIZE], newh[VHDX_HEADER_SIZE];
    fmt_header h;
    vb_read(im, vb_header_offset(0), oldh, sizeof oldh);
    vb_header_get(im, 0, &h);
    h.sequence_number = 3;
    h.file_write_guid = guid_from(1);
    if (fmt_header_encode(&h, newh, sizeof newh) != VHDX_OK) abort();
    memcpy(newh + 24, oldh + 24, sizeof newh - 24);
    vb_write(im, vb_header_offset(0), newh, sizeof newh);
}

/* R10/R11: header 1 has a higher sequence number and a LogGuid (it would need a replay of
 * an empty log) but a bad checksum: it must not become current. */
static void m_header_higher_seq_bad_crc(vb_image *im)
{
    vhdx_guid g = guid_from(2);
    vb_header_set64(im, 0, HDR_OFF_SEQUENCE, 100);
    vb_header_set_guid(im, 0, HDR_OFF_LOG_GUID, &g);
    vb_put32(im, vb_header_offset(0) + HDR_OFF_CHECKSUM,
             vb_get32(im, vb_header_offset(0) + HDR_OFF_CHECKSUM) ^ 0x00010000u);
}

/* R11: both headers valid, equal sequence numbers, different FileWriteGuid. */
static void m_header_equal_seq(vb_image *im)
{
    vhdx_guid g = guid_from(3);
    vb_header_set_guid(im, 0, HDR_OFF_FILE_WRITE_GUID, &g);
    vb_header_set64(im, 0, HDR_OFF_SEQUENCE, 2);
}

/* R11 tolerated: equal sequence numbers, byte-identical headers (Disk2vhd). */
static void m_header_equal_seq_identical(vb_image *im)
{
    vb_header_set64(im, 0, HDR_OFF_SEQUENCE, 2);
}

/* R10/R11: no valid header at all. */
static void m_header_both_bad_crc(vb_image *im)
{
    for (int s = 0; s < 2; s++)
        vb_put32(im, vb_header_offset(s) + HDR_OFF_CHECKSUM,
                 vb_get32(im, vb_header_offset(s) + HDR_OFF_CHECKSUM) ^ 1u);
}

/* R25: both region table copies with a bad checksum. */
static void m_rt_bad_crc_both(vb_image *im)
{
    for (int c = 0; c < 2; c++)
        vb_put32(im, vb_rt_offset(c) + RT_OFF_CHECKSUM,
                 vb_get32(im, vb_rt_offset(c) + RT_OFF_CHECKSUM) ^ 0x80u);
}
/* R24/R25: both region table copies wiped (signatures lost): a repair rebuilds the table
 * from the metadata region and the one plausible BAT. */
static void m_rt_lost_both(vb_image *im)
{
    uint8_t *z = calloc(1, VHDX_RT_SIZE);
    if (!z) abort();
    for (int c = 0; c < 2; c++) vb_write(im, vb_rt_offset(c), z, VHDX_RT_SIZE);
    free(z);
}
/* The same, and a copy of the metadata region in a new last MiB: two metadata tables, so
 * a repair cannot tell which one the lost table named. */
static void m_rt_lost_ambiguous(vb_image *im)
{
    uint8_t *b = malloc(MiB);
    if (!b) abort();
    m_rt_lost_both(im);
    vb_read(im, im->md_offset, b, MiB);
    vb_write(im, vb_size(im), b, MiB);
    free(b);
}
/* R23/R25: copy 1 bad, copy 2 good. */
static void m_rt1_bad_crc(vb_image *im)
{
    vb_put32(im, vb_rt_offset(0) + RT_OFF_CHECKSUM, vb_get32(im, vb_rt_offset(0) + RT_OFF_CHECKSUM) ^ 0x80u);
}
/* R23/R25: copy 1 good, copy 2 bad. */
static void m_rt2_bad_crc(vb_image *im)
{
    vb_put32(im, vb_rt_offset(1) + RT_OFF_CHECKSUM, vb_get32(im, vb_rt_offset(1) + RT_OFF_CHECKSUM) ^ 0x80u);
}

/* R31: an unknown region with Required = 1 (in both copies, 1 MiB past the data). */
static void m_rt_unknown_required(vb_image *im)
{
    vhdx_guid g = guid_from(4);
    uint64_t off = append_mib(im);
    (void)vb_rt_add(im, -1, &g, off, (uint32_t)MiB, 1);
}
/* accepted: the same region with Required = 0 */
static void m_rt_unknown_optional(vb_image *im)
{
    vhdx_guid g = guid_from(4);
    uint64_t off = append_mib(im);
    (void)vb_rt_add(im, -1, &g, off, (uint32_t)MiB, 0);
}

/* R90: an unknown system metadata item with IsRequired (8 bytes at 64 KiB + 4 KiB). */
static void m_md_unknown_required(vb_image *im)
{
    vhdx_guid g = guid_from(5);
    vb_put64(im, im->md_offset + 64 * KiB + 4 * KiB, 0x0123456789abcdefULL);
    (void)vb_md_add(im, &g, (uint32_t)(64 * KiB + 4 * KiB), 8, VHDX_MD_FLAG_IS_REQUIRED);
}
/* accepted: the same item without IsRequired */
static void m_md_unknown_optional(vb_image *im)
{
    vhdx_guid g = guid_from(5);
    vb_put64(im, im->md_offset + 64 * KiB + 4 * KiB, 0x0123456789abcdefULL);
    (void)vb_md_add(im, &g, (uint32_t)(64 * KiB + 4 * KiB), 8, 0);
}
/* R85: the Virtual Disk ID item (16 bytes) starts 8 bytes before the region's end. */
static void m_md_item_outside_region(vb_image *im)
{
    vb_md_entry_set32(im, VB_MD_VDID, MDE_OFF_OFFSET, im->md_length - 8u);
}

/* D12: payload block 2 FULLY_PRESENT at 64 MiB, past the end of the 6 MiB file. */
static void m_bat_past_eof(vb_image *im) { set_block(im, 2, VHDX_PB_FULLY_PRESENT, 64 * MiB); }
/* R70: present block at FileOffsetMB 0 (the header section). */
static void m_bat_into_header(vb_image *im) { set_block(im, 2, VHDX_PB_FULLY_PRESENT, 0); }
/* R70: present block inside the log. */
static void m_bat_into_log(vb_image *im) { set_block(im, 2, VHDX_PB_FULLY_PRESENT, im->log_offset); }
/* R70: present block inside the metadata region. */
static void m_bat_into_metadata(vb_image *im) { set_block(im, 2, VHDX_PB_FULLY_PRESENT, im->md_offset); }
/* R70: present block inside the BAT region. */
static void m_bat_into_bat(vb_image *im) { set_block(im, 2, VHDX_PB_FULLY_PRESENT, im->bat_offset); }
/* R71: two BAT entries with the same FileOffsetMB. */
static void m_bat_duplicate(vb_image *im)
{
    set_block(im, 2, VHDX_PB_FULLY_PRESENT, fmt_bat_offset(vb_bat_get(im, vb_pb_index(im, 0))));
}
/* R72: reserved payload states 4 and 5. */
static void m_bat_state4(vb_image *im) { set_block(im, 2, 4, 0); }
static void m_bat_state5(vb_image *im) { set_block(im, 2, 5, 0); }
/* R72: PARTIALLY_PRESENT in a file without a parent. */
static void m_bat_partial_no_parent(vb_image *im)
{
    set_block(im, 0, VHDX_PB_PARTIALLY_PRESENT, fmt_bat_offset(vb_bat_get(im, vb_pb_index(im, 0))));
}
/* R69: reserved bits 3-19 of a BAT entry. */
static void m_bat_reserved_bits(vb_image *im)
{
    uint64_t i = vb_pb_index(im, 0);
    vb_bat_set(im, i, vb_bat_get(im, i) | 0x8u);
}

/* R96/R97/R95/R92 on the metadata items. */
static void m_lss_1024(vb_image *im) { md_set_u32_item(im, VB_MD_LSS, 1024); }
static void m_pss_1234(vb_image *im) { md_set_u32_item(im, VB_MD_PSS, 1234); }
static void m_size_not_sector_multiple(vb_image *im) { md_set_u64_item(im, VB_MD_VDS, BASE_SIZE + 100); }
static void m_size_above_64t(vb_image *im) { md_set_u64_item(im, VB_MD_VDS, VHDX_MAX_DISK_SIZE + MiB); }
/* The 2026 QEMU out-of-bounds class: (2^32 + 1) blocks of 1 MiB. A payload-block count kept
 * in 32 bits wraps to 1, which the 8-entry BAT of this file would satisfy; the 64 TiB cap
 * (R95) must reject it before any count is derived. */
static void m_size_u32_wrap(vb_image *im)
{
    md_set_u64_item(im, VB_MD_VDS, (((uint64_t)1 << 32) + 1) * MiB);
}
static void m_block_3m(vb_image *im)
{
    uint8_t v[8];
    fmt_file_parameters fp = { (uint32_t)(3 * MiB), 0 };
    if (fmt_file_parameters_encode(&fp, v, sizeof v) != VHDX_OK) abort();
    vb_write(im, vb_md_item_offset(im, VB_MD_FP), v, sizeof v);
}
/* R98: HasParent without a parent locator item. */
static void m_has_parent_no_locator(vb_image *im)
{
    uint8_t v[8];
    fmt_file_parameters fp = { im->p.block_size, VHDX_FP_HAS_PARENT };
    if (fmt_file_parameters_encode(&fp, v, sizeof v) != VHDX_OK) abort();
    vb_write(im, vb_md_item_offset(im, VB_MD_FP), v, sizeof v);
}

/* R14: LogGuid set with LogLength 0 (and LogOffset 0). */
static void m_logguid_no_log(vb_image *im)
{
    vhdx_guid g = guid_from(6);
    hdr_both32(im, HDR_OFF_LOG_LENGTH, 0);
    hdr_both64(im, HDR_OFF_LOG_OFFSET, 0);
    hdr_both_guid(im, HDR_OFF_LOG_GUID, &g);
}
/* R61: LogGuid set, the 1 MiB log is all zero: no valid sequence. */
static void m_logguid_empty_log(vb_image *im)
{
    vhdx_guid g = guid_from(6);
    hdr_both_guid(im, HDR_OFF_LOG_GUID, &g);
}
/* R15: LogVersion 1 with LogGuid zero (tolerated on open, still a violation). */
static void m_log_version_1(vb_image *im) { hdr_both16(im, HDR_OFF_LOG_VERSION, 1); }
/* R15: LogVersion 1 with a LogGuid: must not be processed. */
static void m_log_version_1_dirty(vb_image *im)
{
    vhdx_guid g = guid_from(6);
    hdr_both_guid(im, HDR_OFF_LOG_GUID, &g);
    hdr_both16(im, HDR_OFF_LOG_VERSION, 1);
}
/* R16: header Version 2. */
static void m_header_version_2(vb_image *im) { hdr_both16(im, HDR_OFF_VERSION, 2); }

/* D12: the file lost its last MiB (block 3 lived there). */
static void m_truncated_1m(vb_image *im) { vb_truncate(im, vb_size(im) - MiB); }

/* R4: file type identifier signature. */
static void m_fileid_signature(vb_image *im) { vb_put8(im, 0, 'V'); }

/* R26: region table EntryCount 2048. */
static void m_rt_entry_count_2048(vb_image *im) { vb_rt_set32(im, -1, RT_OFF_ENTRY_COUNT, 2048); }

/* R18: the log (1 MiB at 1 MiB) grown to 2 MiB runs into the metadata region at 2 MiB. */
static void m_log_overlaps_metadata(vb_image *im) { hdr_both32(im, HDR_OFF_LOG_LENGTH, (uint32_t)(2 * MiB)); }
/* D3: the log moved to 64 MiB, past the end of the file (LogGuid zero). */
static void m_log_past_eof(vb_image *im) { hdr_both64(im, HDR_OFF_LOG_OFFSET, 64 * MiB); }
/* R32: an optional unknown region on top of the metadata region. */
static void m_rt_overlap(vb_image *im)
{
    vhdx_guid g = guid_from(7);
    (void)vb_rt_add(im, -1, &g, im->md_offset, (uint32_t)MiB, 0);
}
/* D6: an optional unknown region at 1 GiB, past the end of the file. */
static void m_rt_outside_file(vb_image *im)
{
    vhdx_guid g = guid_from(8);
    (void)vb_rt_add(im, -1, &g, GiB, (uint32_t)MiB, 0);
}
/* D6 (and overlaps): the BAT region claims 4095 MiB; nothing may allocate that much. */
static void m_rt_huge_bat(vb_image *im)
{
    vb_rt_entry_set32(im, -1, VB_RT_BAT, RTE_OFF_LENGTH, (uint32_t)(4095 * MiB));
}
/* R86: the Virtual Disk ID item claims 2 MiB. */
static void m_md_item_length_2m(vb_image *im)
{
    vb_md_entry_set32(im, VB_MD_VDID, MDE_OFF_LENGTH, (uint32_t)(2 * MiB));
}
/* R87: an optional item with Length 0 and Offset 64 KiB + 4 KiB. */
static void m_md_zero_length_offset(vb_image *im)
{
    vhdx_guid g = guid_from(9);
    (void)vb_md_add(im, &g, (uint32_t)(64 * KiB + 4 * KiB), 0, 0);
}
/* R83: File Parameters listed twice (the second copy of the value at 64 KiB + 4 KiB). */
static void m_md_duplicate(vb_image *im)
{
    uint8_t v[8];
    vb_read(im, vb_md_item_offset(im, VB_MD_FP), v, sizeof v);
    vb_write(im, im->md_offset + 64 * KiB + 4 * KiB, v, sizeof v);
    (void)vb_md_add(im, &VHDX_GUID_FILE_PARAMETERS, (uint32_t)(64 * KiB + 4 * KiB), 8,
                    VHDX_MD_FLAG_IS_REQUIRED);
}
/* R23: both region table copies valid but different: copy 2 alone lists an optional unknown
 * region (1 MiB past the end of the payload). */
static void m_rt_copies_differ(vb_image *im)
{
    vhdx_guid g = guid_from(6);
    uint64_t off = append_mib(im);
    (void)vb_rt_add(im, 1, &g, off, (uint32_t)MiB, 0);
}
/* D8: the BAT region entry's Required field is 3 (only bit 0 has a meaning). */
static void m_rt_required_bits(vb_image *im) { vb_rt_entry_set32(im, -1, VB_RT_BAT, RTE_OFF_REQUIRED, 3); }
/* R85: an optional user item (8 bytes) starts 4 bytes into the Virtual Disk Size value. */
static void m_md_items_overlap(vb_image *im)
{
    vhdx_guid g = guid_from(7);
    uint32_t vds = (uint32_t)(vb_md_item_offset(im, VB_MD_VDS) - im->md_offset);
    (void)vb_md_add(im, &g, vds + 4, 8, VHDX_MD_FLAG_IS_USER);
}
/* R66: VirtualDiskSize 200 GiB needs 204800 + 49 entries; the BAT region holds 131072. */
static void m_bat_too_small(vb_image *im) { md_set_u64_item(im, VB_MD_VDS, 200 * GiB); }
/* R95: 4096-byte logical sectors with a size that is only a 512-byte multiple. */
static void m_lss4096_size_512(vb_image *im)
{
    md_set_u32_item(im, VB_MD_LSS, 4096);
    md_set_u64_item(im, VB_MD_VDS, BASE_SIZE + 512);
}
/* R77: a sector bitmap block present in a dynamic file (4 GiB + 1 MiB: SB slot 4096). */
static void m_sb_present_dynamic(vb_image *im)
{
    uint64_t off = append_mib(im);
    vb_bat_set(im, vb_sb_index(im, 0), fmt_bat_make(VHDX_SB_PRESENT, off));
}

/* A one-entry log (sequence 1, tail 0) at the start of the log region with one data
 * descriptor writing `sector` (4 KiB) to file offset `target`; sets both headers' LogGuid.
 * flushed_extra is added to FlushedFileOffset (= the file size) to claim a longer file. */
static void put_log_entry(vb_image *im, uint64_t target, const uint8_t sector[4096],
                          uint64_t flushed_extra)
{
    static uint8_t e[2 * 4096];
    memset(e, 0, sizeof e);
    vhdx_guid g = guid_from(10);
    fmt_log_descriptor d;
    memset(&d, 0, sizeof d);
    d.signature = VHDX_SIG_DESC;
    d.file_offset = target;
    d.sequence_number = 1;
    fmt_log_data_sector_encode(sector, 1, &d, e + 4096);
    if (fmt_log_descriptor_encode(&d, e + fmt_log_descriptor_pos(0), LOGD_SIZE) != VHDX_OK) abort();
    fmt_log_entry_header h;
    memset(&h, 0, sizeof h);
    h.signature = VHDX_SIG_LOGE;
    h.entry_length = sizeof e;
    h.tail = 0;
    h.sequence_number = 1;
    h.descriptor_count = 1;
    h.log_guid = g;
    h.flushed_file_offset = vb_size(im) + flushed_extra;
    h.last_file_offset = vb_size(im);
    if (fmt_log_entry_header_encode(&h, e, LOGE_HEADER_SIZE) != VHDX_OK) abort();
    vhdx_put32(e + LOGE_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(e, sizeof e, LOGE_OFF_CHECKSUM));
    vb_write(im, im->log_offset, e, sizeof e);
    hdr_both_guid(im, HDR_OFF_LOG_GUID, &g);
}

/* accepted: a dirty log whose single entry rewrites the first BAT sector so that block 1
 * becomes FULLY_PRESENT in a new (zero) block; read-only opens replay it in memory. */
static void m_log_replay_valid(vb_image *im)
{
    uint8_t sector[4096];
    uint64_t blk = append_mib(im);
    vb_read(im, im->bat_offset, sector, sizeof sector);
    vhdx_put64(sector + 8 * vb_pb_index(im, 1), fmt_bat_make(VHDX_PB_FULLY_PRESENT, blk));
    put_log_entry(im, im->bat_offset, sector, 0);
}
/* D14 (R8): a log entry that would overwrite the file type identifier. */
static void m_log_into_fileid(vb_image *im)
{
    uint8_t sector[4096];
    memset(sector, 0x5A, sizeof sector);
    put_log_entry(im, 0, sector, 0);
}
/* D14: a log entry that would overwrite header 1. */
static void m_log_into_header(vb_image *im)
{
    uint8_t sector[4096];
    memset(sector, 0x5A, sizeof sector);
    put_log_entry(im, VHDX_HEADER1_OFFSET, sector, 0);
}
/* R62: the active entry's FlushedFileOffset is 1 MiB past the end of the file. */
static void m_log_truncated(vb_image *im)
{
    uint8_t sector[4096];
    vb_read(im, im->bat_offset, sector, sizeof sector);
    put_log_entry(im, im->bat_offset, sector, MiB);
}

static const hcase cases[] = {
    { "base", "valid dynamic image (8 MiB, 1 MiB blocks, blocks 0 and 3 present)", 0, 0, m_none, 0 },
    { "size-64t-256m", "accepted boundary: VirtualDiskSize exactly 64 TiB, 256 MiB blocks (R95)", VHDX_MAX_DISK_SIZE, (uint32_t)(256 * MiB), m_none, 1 },
    { "header-torn-current", "R10: newest header torn mid-write; the older one is current", 0, 0, m_header_torn, 0 },
    { "header-higher-seq-bad-crc", "R10/R11: higher sequence number but bad checksum", 0, 0, m_header_higher_seq_bad_crc, 0 },
    { "header-equal-seq", "R11: both headers valid, equal sequence numbers, different contents", 0, 0, m_header_equal_seq, 0 },
    { "header-equal-seq-identical", "R11: identical headers with equal sequence numbers (tolerated)", 0, 0, m_header_equal_seq_identical, 0 },
    { "header-both-bad-crc", "R10/R11: no valid header", 0, 0, m_header_both_bad_crc, 0 },
    { "header-version-2", "R16: header Version 2", 0, 0, m_header_version_2, 0 },
    { "log-version-1", "R15: LogVersion 1, LogGuid zero", 0, 0, m_log_version_1, 0 },
    { "log-version-1-dirty", "R15: LogVersion 1 with a LogGuid", 0, 0, m_log_version_1_dirty, 0 },
    { "logguid-no-log", "R14: LogGuid set, LogLength 0", 0, 0, m_logguid_no_log, 0 },
    { "logguid-empty-log", "R61: LogGuid set, log all zero", 0, 0, m_logguid_empty_log, 0 },
    { "fileid-signature", "R4: file type identifier signature", 0, 0, m_fileid_signature, 0 },
    { "rt-bad-crc-both", "R25: both region tables bad", 0, 0, m_rt_bad_crc_both, 0 },
    { "rt-lost-both", "R24: both region tables wiped", 0, 0, m_rt_lost_both, 0 },
    { "rt-lost-ambiguous", "R24: both region tables wiped, a second metadata region", 0, 0, m_rt_lost_ambiguous, 0 },
    { "rt1-bad-crc", "R23/R25: region table copy 1 bad, copy 2 good", 0, 0, m_rt1_bad_crc, 0 },
    { "rt2-bad-crc", "R23/R25: region table copy 2 bad, copy 1 good", 0, 0, m_rt2_bad_crc, 0 },
    { "rt-entry-count-2048", "R26: EntryCount 2048", 0, 0, m_rt_entry_count_2048, 0 },
    { "rt-unknown-required", "R31: unknown region marked required", 0, 0, m_rt_unknown_required, 0 },
    { "rt-unknown-optional", "accepted: unknown region not required", 0, 0, m_rt_unknown_optional, 0 },
    { "md-unknown-required", "R90: unknown metadata item marked required", 0, 0, m_md_unknown_required, 0 },
    { "md-unknown-optional", "accepted: unknown metadata item not required", 0, 0, m_md_unknown_optional, 0 },
    { "md-item-outside-region", "R85: metadata item crosses the end of its region", 0, 0, m_md_item_outside_region, 0 },
    { "bat-past-eof", "D12: block past the end of the file", 0, 0, m_bat_past_eof, 0 },
    { "bat-into-header", "R70: block at FileOffsetMB 0", 0, 0, m_bat_into_header, 0 },
    { "bat-into-log", "R70: block inside the log", 0, 0, m_bat_into_log, 0 },
    { "bat-into-metadata", "R70: block inside the metadata region", 0, 0, m_bat_into_metadata, 0 },
    { "bat-into-bat", "R70: block inside the BAT region", 0, 0, m_bat_into_bat, 0 },
    { "bat-duplicate", "R71: two blocks at the same FileOffsetMB", 0, 0, m_bat_duplicate, 0 },
    { "bat-state-4", "R72: reserved payload state 4", 0, 0, m_bat_state4, 0 },
    { "bat-state-5", "R72: reserved payload state 5", 0, 0, m_bat_state5, 0 },
    { "bat-partial-no-parent", "R72: PARTIALLY_PRESENT without a parent", 0, 0, m_bat_partial_no_parent, 0 },
    { "bat-reserved-bits", "R69: BAT entry reserved bit 3", 0, 0, m_bat_reserved_bits, 0 },
    { "lss-1024", "R96: LogicalSectorSize 1024", 0, 0, m_lss_1024, 0 },
    { "pss-1234", "R97: PhysicalSectorSize 1234", 0, 0, m_pss_1234, 0 },
    { "size-not-sector-multiple", "R95: VirtualDiskSize 8 MiB + 100", 0, 0, m_size_not_sector_multiple, 0 },
    { "size-above-64t", "R95: VirtualDiskSize 64 TiB + 1 MiB", 0, 0, m_size_above_64t, 0 },
    { "size-u32-wrap", "R95: (2^32 + 1) x 1 MiB blocks: a 32-bit block count wraps to 1", 0, 0, m_size_u32_wrap, 0 },
    { "block-size-3m", "R92: BlockSize 3 MiB", 0, 0, m_block_3m, 0 },
    { "has-parent-no-locator", "R98: HasParent without a parent locator", 0, 0, m_has_parent_no_locator, 0 },
    { "truncated-1m", "D12: file truncated by 1 MiB", 0, 0, m_truncated_1m, 0 },
    { "log-overlaps-metadata", "R18: log grown into the metadata region", 0, 0, m_log_overlaps_metadata, 0 },
    { "log-past-eof", "D3: log past the end of the file", 0, 0, m_log_past_eof, 0 },
    { "rt-overlap", "R32: region on top of the metadata region", 0, 0, m_rt_overlap, 0 },
    { "rt-outside-file", "D6: region past the end of the file", 0, 0, m_rt_outside_file, 0 },
    { "rt-huge-bat", "D6: BAT region of 4095 MiB (allocation bound)", 0, 0, m_rt_huge_bat, 0 },
    { "md-item-length-2m", "R86: metadata item Length 2 MiB", 0, 0, m_md_item_length_2m, 0 },
    { "md-zero-length-offset", "R87: Length 0 with a non-zero Offset", 0, 0, m_md_zero_length_offset, 0 },
    { "md-duplicate", "R83: File Parameters listed twice", 0, 0, m_md_duplicate, 0 },
    { "bat-too-small", "R66: BAT region too small for 200 GiB of 1 MiB blocks", 0, 0, m_bat_too_small, 0 },
    { "lss4096-size-512", "R95: 4096-byte sectors, size a multiple of 512 only", 0, 0, m_lss4096_size_512, 0 },
    { "log-replay-valid", "accepted: dirty log with one valid entry (replayed in memory)", 0, 0, m_log_replay_valid, 0 },
    { "log-into-fileid", "D14/R8: log entry targets the file type identifier", 0, 0, m_log_into_fileid, 0 },
    { "log-into-header", "D14: log entry targets header 1", 0, 0, m_log_into_header, 0 },
    { "log-truncated", "R62: FlushedFileOffset past the end of the file", 0, 0, m_log_truncated, 0 },
    { "sb-present-dynamic", "R77: sector bitmap block present without a parent", 4 * GiB + MiB, 0, m_sb_present_dynamic, 0 },
    { "rt-copies-differ", "R23: both region table copies valid, with different contents", 0, 0, m_rt_copies_differ, 0 },
    { "rt-required-bits", "D8: region entry Required = 3", 0, 0, m_rt_required_bits, 0 },
    { "md-items-overlap", "R85: two metadata items overlap", 0, 0, m_md_items_overlap, 0 },
};
#define NCASES (sizeof cases / sizeof cases[0])

static int build_case(const hcase *c, vb_image *im)
{
    vb_params p;
    vb_params_default(&p);
    p.type = VHDX_TYPE_DYNAMIC;
    p.virtual_size = c->virtual_size ? c->virtual_size : BASE_SIZE;
    p.block_size = c->block_size ? c->block_size : (uint32_t)MiB;
    p.seed = 0x4057113;
    int rc = vb_build(im, &p);
    if (rc != VHDX_OK) return rc;
    if (!c->no_blocks) {
        (void)vb_alloc_block(im, 0, 1);
        (void)vb_alloc_block(im, 3, 1);
    }
    c->mutate(im);
    return VHDX_OK;
}

/* ---- results ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* sorted distinct strings joined with ',' ("-" when none) */
static void join_set(const char **v, size_t n, char *out, size_t outlen)
{
    qsort(v, n, sizeof *v, cmp_str);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0) continue;
        int w = snprintf(out + used, outlen - used, "%s%s", used ? "," : "", v[i]);
        if (w < 0 || (size_t)w >= outlen - used) break;
        used += (size_t)w;
    }
    if (!out[0]) snprintf(out, outlen, "-");
}

static const char *short_name(int code)
{
    const char *n = vhdx_status_name(code);
    return strncmp(n, "VHDX_", 5) == 0 ? n + 5 : n;
}

/* Runs check, open and reads; writes the result line (without the file name). */
static void observe(const hcase *c, char *line, size_t len)
{
    vb_image im;
    memset(&im, 0, sizeof im);
    int rc = build_case(c, &im);
    if (rc != VHDX_OK) {
        snprintf(line, len, "build-failed:%s", short_name(rc));
        return;
    }
    char verdict[32], rules[512], codes[1024], open[128];
    vhdx_report *r = NULL;
    rc = vb_check(&im, &r);
    if (rc != VHDX_OK || !r) {
        snprintf(verdict, sizeof verdict, "noreport:%s", short_name(rc));
        snprintf(rules, sizeof rules, "-");
        snprintf(codes, sizeof codes, "-");
    } else {
        const char *rv[256], *cv[256];
        size_t nr = 0, nc = 0;
        for (size_t i = 0; i < r->count && nc < 256; i++) {
            const vhdx_finding *f = &r->findings[i];
            cv[nc++] = short_name(f->code);
            const char *rule = vhdx_status_rule(f->code);
            if (f->severity != VHDX_SEV_INFO && rule[0]) rv[nr++] = rule;
        }
        join_set(rv, nr, rules, sizeof rules);
        join_set(cv, nc, codes, sizeof codes);
        switch (r->verdict) {
        case VHDX_VERDICT_CONFORMANT:
            snprintf(verdict, sizeof verdict, "%s", r->warnings ? "warnings" : "conformant");
            break;
        case VHDX_VERDICT_NONCONFORMANT: snprintf(verdict, sizeof verdict, "nonconformant"); break;
        default: snprintf(verdict, sizeof verdict, "unreadable"); break;
        }
        vhdx_report_free(r);
    }

    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    rc = vb_open(&im, 0, &img, &d);
    if (rc != VHDX_OK && d.offset != VHDX_NO_OFFSET)
        snprintf(open, sizeof open, "%s@0x%llx", short_name(rc), (unsigned long long)d.offset);
    else
        snprintf(open, sizeof open, "%s", short_name(rc));
    if (rc == VHDX_OK) {
        vhdx_info info;
        if (vhdx_get_info(img, &info) == VHDX_OK) {
            static uint8_t buf[MiB];
            uint64_t vs = info.virtual_size;
            uint64_t first = vs < 16 * MiB ? vs : 16 * MiB;
            int rrc = VHDX_OK;
            for (uint64_t off = 0; off < first && rrc == VHDX_OK; off += MiB) {
                size_t n = (size_t)(first - off < MiB ? first - off : MiB);
                rrc = vhdx_read(img, off, buf, n, NULL);
            }
            if (rrc == VHDX_OK && vs > first) {
                uint64_t off = vs - (vs - first < MiB ? vs - first : MiB);
                rrc = vhdx_read(img, off, buf, (size_t)(vs - off), NULL);
            }
            if (rrc != VHDX_OK) {
                size_t u = strlen(open);
                snprintf(open + u, sizeof open - u, "+read:%s", short_name(rrc));
            }
        }
        (void)vhdx_close(img);
    }
    vb_free(&im);
    snprintf(line, len, "%s\t%s\t%s\t%s", verdict, rules, codes, open);
}

/* Observes a case in a child process: crash, hang (20 s) or allocation past 1 GiB of
 * address space (not under sanitizers) is reported instead of taking us down. */
static void observe_isolated(const hcase *c, char *line, size_t len)
{
    int fds[2];
    if (pipe(fds) != 0) { snprintf(line, len, "harness-error:pipe"); return; }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) { snprintf(line, len, "harness-error:fork"); return; }
    if (pid == 0) {
        close(fds[0]);
        alarm(20);
        if (!HOSTILE_ASAN) {
            struct rlimit rl = { (rlim_t)GiB, (rlim_t)GiB };
            (void)setrlimit(RLIMIT_AS, &rl);
        }
        char out[2048];
        observe(c, out, sizeof out);
        size_t n = strlen(out);
        if (write(fds[1], out, n) != (ssize_t)n) _exit(3);
        close(fds[1]);
        exit(0); /* not _exit: LeakSanitizer runs at exit and fails the case on a leak */
    }
    close(fds[1]);
    size_t used = 0;
    for (;;) {
        ssize_t r = read(fds[0], line + used, len - 1 - used);
        if (r > 0) { used += (size_t)r; if (used >= len - 1) break; continue; }
        if (r < 0 && errno == EINTR) continue;
        break;
    }
    line[used] = '\0';
    close(fds[0]);
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(st))
        snprintf(line, len, "CRASH:signal %d%s", WTERMSIG(st), WTERMSIG(st) == SIGALRM ? " (hang)" : "");
    else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        snprintf(line, len, "CRASH:exit %d (sanitizer report or leak?)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static int write_all(const char *dir)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) { perror(dir); return 1; }
    for (size_t i = 0; i < NCASES; i++) {
        vb_image im;
        memset(&im, 0, sizeof im);
        if (build_case(&cases[i], &im) != VHDX_OK) {
            fprintf(stderr, "gen_hostile: cannot build %s\n", cases[i].name);
            return 1;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s/%s.vhdx", dir, cases[i].name);
        int rc = vb_save(&im, path, 0);
        vb_free(&im);
        if (rc != VHDX_OK) { fprintf(stderr, "gen_hostile: cannot write %s\n", path); return 1; }
    }
    return 0;
}

static int verify(const char *expected_path)
{
    /* Read the whole file first: children exit() through stdio, which must not find an
     * open input stream sharing our file offset. */
    FILE *f = fopen(expected_path, "r");
    if (!f) { perror(expected_path); return 1; }
    static char text[1 << 16];
    size_t tlen = fread(text, 1, sizeof text - 1, f);
    int toolong = !feof(f);
    fclose(f);
    if (toolong) { fprintf(stderr, "FAIL: %s larger than %zu bytes\n", expected_path, sizeof text - 1); return 1; }
    text[tlen] = '\0';

    int seen[NCASES];
    memset(seen, 0, sizeof seen);
    int fails = 0, rows = 0;
    char *save = NULL;
    for (char *buf = strtok_r(text, "\n", &save); buf; buf = strtok_r(NULL, "\n", &save)) {
        size_t n = strlen(buf);
        while (n && buf[n - 1] == '\r') buf[--n] = '\0';
        if (!n || buf[0] == '#') continue;
        char *tab = strchr(buf, '\t');
        if (!tab) { printf("FAIL: malformed line: %s\n", buf); fails++; continue; }
        *tab = '\0';
        const char *file = buf, *want = tab + 1;
        size_t k;
        for (k = 0; k < NCASES; k++) {
            char fname[256];
            snprintf(fname, sizeof fname, "%s.vhdx", cases[k].name);
            if (strcmp(fname, file) == 0) break;
        }
        if (k == NCASES) { printf("FAIL %s: no such case in gen_hostile\n", file); fails++; continue; }
        if (seen[k]) { printf("FAIL %s: listed twice\n", file); fails++; continue; }
        seen[k] = 1;
        rows++;
        char got[2048];
        observe_isolated(&cases[k], got, sizeof got);
        if (strcmp(got, want) != 0) {
            printf("FAIL %s (%s)\n  expected: %s\n  observed: %s\n", file, cases[k].what, want, got);
            fails++;
        } else {
            printf("ok   %s\t%s\n", file, got);
        }
    }
    for (size_t k = 0; k < NCASES; k++) {
        if (!seen[k]) { printf("FAIL %s.vhdx: case missing from %s\n", cases[k].name, expected_path); fails++; }
    }
    printf("%s: %d cases, %d failed\n", fails ? "FAIL" : "PASS", rows, fails);
    return fails ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < NCASES; i++) printf("%s.vhdx\t%s\n", cases[i].name, cases[i].what);
        return 0;
    }
    if (argc == 2 && strcmp(argv[1], "--print") == 0) {
        for (size_t i = 0; i < NCASES; i++) {
            char got[2048];
            observe_isolated(&cases[i], got, sizeof got);
            printf("%s.vhdx\t%s\n", cases[i].name, got);
        }
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--write") == 0) return write_all(argv[2]);
    if (argc == 3 && strcmp(argv[1], "--verify") == 0) return verify(argv[2]);
    fprintf(stderr, "usage: gen_hostile --list | --print | --write DIR | --verify EXPECTED.tsv\n");
    return 2;
}
