/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit.h - image builder of the conformance kit (`vhdx kit`).
 *
 * The kit writes VHDX files with its own encoder (explicit little-endian stores at the offsets
 * of kit_layout.h, the public vhdx_crc32c and seeded GUIDs), independent of the library's
 * codecs (lib/src/fmt*.h, which the CLI cannot include) and create/write path, so that
 * `vhdx check` and `vhdx cat` are tested against a second implementation. An image is
 * described by a kit_spec, built in memory (kit_build), optionally mutated (a test case
 * breaking one rule), checksummed (kit_finalize) and written sparse (kit_write). The
 * expected virtual-disk contents come from the same description (kit_expected).
 */
#ifndef VHDX_CLI_KIT_H
#define VHDX_CLI_KIT_H

#include <stddef.h>
#include <stdint.h>

#include "kit_layout.h"
#include "vhdx.h"

#define KIT_MAX_BLOCKS 16
#define KIT_MAX_LOG_ENTRIES 4

enum { KIT_LOG_CLEAN = 0, KIT_LOG_PENDING = 1, KIT_LOG_STALE = 2, KIT_LOG_NONE = 3 };

typedef struct kit_block {
    uint64_t index;      /* payload block number */
    unsigned state;      /* KIT_BAT_*: NOT_PRESENT, UNDEFINED, ZERO, UNMAPPED, FULLY/PARTIALLY_PRESENT */
    int data;            /* 1: the block holds this image's pattern in the file */
} kit_block;

typedef struct kit_spec {
    const char *file;            /* name inside OUTDIR */
    vhdx_disk_type type;
    uint64_t virtual_size;
    uint32_t block_size, lss, pss;
    size_t nblocks;              /* blocks with an explicit state; others: fixed FULLY_PRESENT
                                    (sparse zeros), dynamic/differencing NOT_PRESENT */
    kit_block blocks[KIT_MAX_BLOCKS];
    int log_mode;                /* KIT_LOG_*; NONE: LogLength 0 (compact images) */
    uint64_t log_block;          /* PENDING: block the log makes FULLY_PRESENT; STALE: block a
                                    stale entry would make present */
    unsigned log_state;          /* PENDING: state the log gives log_block: 0 or
                                    KIT_BAT_FULLY_PRESENT = FULLY_PRESENT with data after the BAT,
                                    KIT_BAT_ZERO = ZERO (no data block needed) */
    int log_single;              /* PENDING: one entry (data + zero descriptor) instead of two */
    uint32_t tag;                /* data pattern tag (distinct per image) */
    const char *parent_file;     /* differencing: parent file name in OUTDIR */
} kit_spec;

typedef struct kit_image {
    kit_spec spec;
    uint64_t seed;
    vhdx_guid_seeded gstate;
    vhdx_guid_gen gen;
    vhdx_guid file_write, data_write, log_guid, disk_id;
    uint64_t cr, nblocks, bat_entries;
    uint8_t fileid[KIT_FILEID_SIZE];
    uint8_t hdr[2][KIT_HDR_SIZE];
    uint8_t rt[2][KIT_RT_SIZE];
    uint64_t log_off, md_off, bat_off, data_off;
    uint32_t log_len, md_len, bat_len;
    uint8_t *log, *md, *bat;
    uint64_t *boff;              /* file offset per listed block (0: none), KIT_MAX_BLOCKS */
    uint64_t sb_off;             /* sector bitmap block of chunk 0 (differencing), 0: none */
    uint8_t *sb;                 /* 1 MiB */
    uint64_t log_data_off;       /* file offset of the data the log entry refers to */
    uint64_t file_size;
    size_t nlog;                 /* log entries (positions/lengths for the CRC fix) */
    uint32_t log_pos[KIT_MAX_LOG_ENTRIES], log_elen[KIT_MAX_LOG_ENTRIES];
    int keep_hdr_crc[2], keep_rt_crc[2], keep_log_crc;  /* mutations: leave CRC as is */
    int rt2_from_rt1;            /* copy RT1 to RT2 after mutation (default 1) */
    int hdr2_from_hdr1;          /* make both headers carry the mutated fields (default 1) */
    uint64_t truncate_to;        /* non-zero: final file size override */
    const struct kit_image *parent;
} kit_image;

/* Builds the structures of spec in memory. parent (differencing) must be built already.
 * Returns 0 or -1 (out of memory / bad spec). */
int kit_build(kit_image *ki, const kit_spec *spec, uint64_t seed, const kit_image *parent);
/* Computes header, region table and log entry checksums (except those a mutation keeps). */
void kit_finalize(kit_image *ki);
/* Writes the image to path sparse: only the 4 KiB pages holding non-zero bytes are written,
 * the rest stays holes (ftruncate sets the size). *data_bytes gets the bytes of those pages
 * (the file's disk usage on a 4 KiB-block file system with holes). Returns 0 or -1 with errno. */
int kit_write(const kit_image *ki, const char *path, uint64_t *data_bytes);
void kit_free(kit_image *ki);

/* Expected virtual-disk bytes [off, off+len) after any pending log replay. */
void kit_expected(const kit_image *ki, uint64_t off, uint8_t *buf, size_t len);

/* Helpers for mutations (offsets inside the buffers). */
uint64_t kit_bat_index(const kit_image *ki, uint64_t block);
void kit_bat_set(kit_image *ki, uint64_t index, uint64_t entry);
uint64_t kit_bat_get(const kit_image *ki, uint64_t index);
/* offset inside ki->md of the metadata table entry for item `id` (system), or 0 */
uint32_t kit_md_entry(const kit_image *ki, const vhdx_guid *id);
/* offset inside ki->md of the item value of `id`, or 0 */
uint32_t kit_md_item(const kit_image *ki, const vhdx_guid *id);
/* rewrite the parent locator of a differencing image from key/value pairs */
int kit_set_locator(kit_image *ki, const char *const *keys, const char *const *values, size_t n);

/* little-endian helpers */
uint16_t kit_get16(const uint8_t *p);
void kit_put16(uint8_t *p, uint16_t v);
void kit_put32(uint8_t *p, uint32_t v);
void kit_put64(uint8_t *p, uint64_t v);
uint32_t kit_get32(const uint8_t *p);
uint64_t kit_get64(const uint8_t *p);

#endif
