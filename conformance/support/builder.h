/* SPDX-License-Identifier: Apache-2.0 */
/*
 * builder.h - builds a valid VHDX image in a memory backend from a few parameters, with
 * "mutate one field" helpers, so conformance tests need no binary blobs.
 *
 * Layout of a built image (all 1 MiB aligned):
 *   0        header section (file identifier, headers seq1/seq2, both region tables)
 *   1 MiB    log (log_size bytes, all zero, LogGuid zero)
 *   +log     metadata region (1 MiB): table, then items at 64 KiB in the order
 *            File Parameters, Virtual Disk Size, Virtual Disk ID, Logical Sector Size,
 *            Physical Sector Size [, Parent Locator]
 *   next     BAT region (bat entries * 8 rounded up to 1 MiB)
 *   next     data_offset: payload blocks (fixed: every block FULLY_PRESENT, in order,
 *            filled with vb_pattern; dynamic/differencing: none until vb_alloc_block)
 * Region table: BAT first, then metadata, both Required = 1; both copies identical.
 * GUIDs come from vhdx_guid_gen_seeded(seed), so images are deterministic.
 *
 * Every mutation helper writes through the memory backend (im->io), and the header/region
 * table helpers re-fix the checksum unless their name says "raw".
 */
#ifndef VHDX_TEST_BUILDER_H
#define VHDX_TEST_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "fmt.h"

typedef struct vb_params {
    vhdx_disk_type type;          /* default VHDX_TYPE_DYNAMIC */
    uint64_t virtual_size;        /* default 64 MiB */
    uint32_t block_size;          /* default 1 MiB */
    uint32_t lss, pss;            /* default 512 / 4096 */
    uint32_t log_size;            /* default 1 MiB (0 allowed: no log) */
    uint64_t seed;                /* GUID seed, default 1 */
    uint64_t seq[2];              /* header sequence numbers, default 1 and 2 (header 2 current) */
    int fill;                     /* fixed images: 1 = vb_pattern data (default), 0 = zeros */
    const char *parent_linkage;   /* differencing: GUID text (default "{11111111-2222-3333-4444-555555555555}") */
    const char *parent_path;      /* differencing: relative_path value (default "parent.vhdx") */
    const char *creator;          /* default "vhdx conformance builder" */
    uint64_t max_size;            /* memory backend cap (default 8 GiB) */
} vb_params;

typedef struct vb_image {
    vhdx_io io;                   /* memory backend holding the image */
    vb_params p;
    fmt_geometry geo;
    uint64_t log_offset, md_offset, bat_offset, data_offset;
    uint32_t log_length, md_length, bat_length;
    uint32_t md_count;            /* metadata entries written */
    vhdx_guid_seeded gen_state;
    vhdx_guid_gen gen;            /* the seeded generator (continues after build) */
} vb_image;

void vb_params_default(vb_params *p);
/* Builds the image; VHDX_OK or an error (bad parameters: VHDX_E_CREATE_PARAM). */
int vb_build(vb_image *im, const vb_params *p);
/* Convenience: defaults with type/size/block/lss changed. */
int vb_build_simple(vb_image *im, vhdx_disk_type type, uint64_t virtual_size,
                    uint32_t block_size, uint32_t lss);
void vb_free(vb_image *im);

/* Deterministic payload data: byte at virtual offset v (distinct per sector and block). */
uint8_t vb_pattern_byte(uint64_t v);
void vb_pattern(uint64_t voff, void *buf, size_t len);

/* ---- raw access ---- */
uint64_t vb_size(const vb_image *im);
const uint8_t *vb_data(const vb_image *im);   /* valid until the next write */
void vb_read(vb_image *im, uint64_t off, void *buf, size_t len);
void vb_write(vb_image *im, uint64_t off, const void *buf, size_t len);
void vb_put8(vb_image *im, uint64_t off, uint8_t v);
void vb_put16(vb_image *im, uint64_t off, uint16_t v);
void vb_put32(vb_image *im, uint64_t off, uint32_t v);
void vb_put64(vb_image *im, uint64_t off, uint64_t v);
uint32_t vb_get32(vb_image *im, uint64_t off);
uint64_t vb_get64(vb_image *im, uint64_t off);
void vb_truncate(vb_image *im, uint64_t size);

/* ---- headers: slot 0 at 64 KiB, slot 1 at 128 KiB ---- */
uint64_t vb_header_offset(int slot);
void vb_header_fix_crc(vb_image *im, int slot);
/* set a field (HDR_OFF_*) and re-fix the CRC */
void vb_header_set16(vb_image *im, int slot, unsigned field, uint16_t v);
void vb_header_set32(vb_image *im, int slot, unsigned field, uint32_t v);
void vb_header_set64(vb_image *im, int slot, unsigned field, uint64_t v);
void vb_header_set_guid(vb_image *im, int slot, unsigned field, const vhdx_guid *g);
void vb_header_get(vb_image *im, int slot, fmt_header *out);

/* ---- region tables: copy 0 at 192 KiB, copy 1 at 256 KiB; copy -1 = both ---- */
uint64_t vb_rt_offset(int copy);
uint64_t vb_rt_entry_offset(int copy, unsigned idx);   /* file offset of entry idx */
void vb_rt_fix_crc(vb_image *im, int copy);
/* set a u32/u64 at byte `off` inside the 64 KiB table, re-fix CRC */
void vb_rt_set32(vb_image *im, int copy, unsigned off, uint32_t v);
void vb_rt_set64(vb_image *im, int copy, unsigned off, uint64_t v);
/* set a region entry's fields (RTE_OFF_*) */
void vb_rt_entry_set32(vb_image *im, int copy, unsigned idx, unsigned field, uint32_t v);
void vb_rt_entry_set64(vb_image *im, int copy, unsigned idx, unsigned field, uint64_t v);
/* append an entry (EntryCount + 1); returns its index */
unsigned vb_rt_add(vb_image *im, int copy, const vhdx_guid *g, uint64_t off, uint32_t len,
                   uint32_t required);
#define VB_RT_BAT 0u  /* entry index of the BAT region */
#define VB_RT_MD 1u   /* entry index of the metadata region */

/* ---- metadata ---- */
#define VB_MD_FP 0u
#define VB_MD_VDS 1u
#define VB_MD_VDID 2u
#define VB_MD_LSS 3u
#define VB_MD_PSS 4u
#define VB_MD_PL 5u   /* differencing only */
uint64_t vb_md_entry_offset(const vb_image *im, unsigned idx);     /* file offset of entry */
uint64_t vb_md_item_offset(vb_image *im, unsigned idx);            /* file offset of value */
void vb_md_entry_set32(vb_image *im, unsigned idx, unsigned field, uint32_t v);
/* append an entry (EntryCount + 1); returns its index */
unsigned vb_md_add(vb_image *im, const vhdx_guid *id, uint32_t offset, uint32_t length,
                   uint32_t flags);

/* ---- BAT ---- */
uint64_t vb_bat_entry_offset(const vb_image *im, uint64_t index);
uint64_t vb_pb_index(const vb_image *im, uint64_t block);
uint64_t vb_sb_index(const vb_image *im, uint64_t chunk);
void vb_bat_set(vb_image *im, uint64_t index, uint64_t entry);
uint64_t vb_bat_get(vb_image *im, uint64_t index);
/* Appends payload block `block` at the (1 MiB aligned) end of file, fills it with
 * vb_pattern of its virtual offsets (pattern=1) or zeros, marks it FULLY_PRESENT.
 * Returns the block's file offset. */
uint64_t vb_alloc_block(vb_image *im, uint64_t block, int pattern);
/* Appends a 1 MiB sector bitmap block for chunk c with every bit = `bits` (0 or 1) and
 * marks it SB_PRESENT; returns its file offset. */
uint64_t vb_alloc_sb(vb_image *im, uint64_t chunk, int bits);

/* ---- opening ---- */
/* vhdx_open over im->io (borrowed) with default limits, the given flags and the seeded
 * generator. */
int vb_open(vb_image *im, unsigned flags, vhdx_image **out, vhdx_diag *diag);
int vb_open_opts(vb_image *im, const vhdx_open_opts *o, vhdx_image **out, vhdx_diag *diag);
/* vhdx_check with default options (NO_PARENT for differencing images). */
int vb_check(vb_image *im, vhdx_report **out);
/* Writes the image to a new file (sparse beyond the data when extend_to > size). */
int vb_save(vb_image *im, const char *path, uint64_t extend_to);

#endif
