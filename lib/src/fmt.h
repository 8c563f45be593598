/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fmt.h - codec layer: bytes in, native structs out, and the exact inverse.
 * No I/O, no allocation, no globals. Decoders never write into their input; encoders
 * write exactly the structure's bytes (reserved bytes from the struct where kept, else 0).
 *
 * Decoders check only that the buffer is long enough (VHDX_E_TRUNCATED_INPUT); rule
 * validation is separate (fmt_*_validate) and reports every violation to a sink with the
 * byte offset `base` + field offset, so the same code serves open and check.
 */
#ifndef VHDX_FMT_H
#define VHDX_FMT_H

#include "internal.h"

/* ---- fixed layout constants ---- */
#define VHDX_FILEID_OFFSET     0u
#define VHDX_HEADER1_OFFSET    0x10000u
#define VHDX_HEADER2_OFFSET    0x20000u
#define VHDX_RT1_OFFSET        0x30000u
#define VHDX_RT2_OFFSET        0x40000u
#define VHDX_HEADER_SECTION    0x100000u
#define VHDX_HEADER_SIZE       4096u
#define VHDX_RT_SIZE           65536u
#define VHDX_FILEID_SIZE       65536u
#define VHDX_MD_TABLE_SIZE     65536u
#define VHDX_LOG_SECTOR        4096u
#define VHDX_MAX_DISK_SIZE     ((uint64_t)1 << 46) /* 64 TiB, R95 */
#define VHDX_SB_BLOCK_SIZE     MiB
#define VHDX_RT_MAX_ENTRIES    2047u
#define VHDX_MD_MAX_ENTRIES    2047u
#define VHDX_MD_MAX_USER       1024u

/* ---- file type identifier (2.2.1) ---- */
enum { FILEID_OFF_SIGNATURE = 0, FILEID_OFF_CREATOR = 8, FILEID_CREATOR_LEN = 512, FILEID_DEFINED = 520 };
typedef struct fmt_fileid {
    uint8_t signature[8];
    uint8_t creator[512];  /* raw UTF-16LE */
} fmt_fileid;
int fmt_fileid_decode(const uint8_t *buf, size_t len, fmt_fileid *out);
/* writes 65536 bytes (reserved tail zero) */
int fmt_fileid_encode(const fmt_fileid *in, uint8_t *buf, size_t len);
int fmt_fileid_validate(const fmt_fileid *f, vhdx_sink *sink, uint64_t base);
/* UTF-16LE creator -> NUL-terminated UTF-8 (invalid -> U+FFFD), stops at first NUL */
void fmt_fileid_creator_utf8(const fmt_fileid *f, char *out, size_t outlen);
/* UTF-8 -> creator field (truncated to 256 code units) */
void fmt_fileid_set_creator(fmt_fileid *f, const char *utf8);

/* UTF-16LE (units code units at src, unaligned) -> NUL-terminated UTF-8 in out[0..outlen).
 * Unpaired surrogates become U+FFFD; stops at a U+0000 unit when stop_at_nul. Returns the
 * number of bytes written (excluding the NUL); *truncated (may be NULL) is set when out
 * was too small (output is cut at a code point boundary). */
size_t fmt_utf16le_to_utf8(const uint8_t *src, size_t units, int stop_at_nul, char *out,
                           size_t outlen, int *truncated);
/* UTF-8 -> UTF-16LE into out (max_units code units). *units = units written.
 * strict: invalid UTF-8 -> VHDX_E_CREATE_PARAM; else replaced by U+FFFD. Returns
 * VHDX_E_TRUNCATED_INPUT when strict and the text does not fit; non-strict truncates at a
 * code point boundary. */
int fmt_utf8_to_utf16le(const char *utf8, int strict, uint8_t *out, size_t max_units,
                        size_t *units);

/* ---- header (2.2.2) ---- */
enum {
    HDR_OFF_SIGNATURE = 0, HDR_OFF_CHECKSUM = 4, HDR_OFF_SEQUENCE = 8,
    HDR_OFF_FILE_WRITE_GUID = 16, HDR_OFF_DATA_WRITE_GUID = 32, HDR_OFF_LOG_GUID = 48,
    HDR_OFF_LOG_VERSION = 64, HDR_OFF_VERSION = 66, HDR_OFF_LOG_LENGTH = 68,
    HDR_OFF_LOG_OFFSET = 72, HDR_OFF_RESERVED = 80, HDR_RESERVED_LEN = 4016
};
typedef struct fmt_header {
    uint32_t signature;           /* LE u32 of bytes 0..3 */
    uint32_t checksum;            /* as stored */
    uint64_t sequence_number;
    vhdx_guid file_write_guid, data_write_guid, log_guid;
    uint16_t log_version, version;
    uint32_t log_length;
    uint64_t log_offset;
    uint8_t reserved[4016];       /* kept so that encode(decode(x)) == x */
} fmt_header;
#define VHDX_SIG_HEAD 0x64616568u /* "head" */
int fmt_header_decode(const uint8_t *buf, size_t len, fmt_header *out);
/* writes 4096 bytes and computes the checksum over them (out->checksum ignored) */
int fmt_header_encode(const fmt_header *in, uint8_t *buf, size_t len);
/* 1 when signature is "head" and the CRC-32C over buf[0..4096) (field zeroed) matches */
int fmt_header_is_valid(const uint8_t *buf, size_t len);
/* R9/R10 (as reports), R15-R19 on a decoded header; base = file offset of the header */
int fmt_header_validate(const fmt_header *h, const uint8_t *raw, vhdx_sink *sink, uint64_t base);

/* Current-header selection (2.2.2, R11) over the raw 4 KiB of both slots.
 * *current = 0 or 1. Returns VHDX_OK, VHDX_E_NO_VALID_HEADER, VHDX_E_HEADER_SEQ_EQUAL; when
 * both are valid and identical with equal sequence numbers returns VHDX_OK with
 * *identical = 1 and *current = 0 (Disk2vhd). valid[i] tells validity of each. */
int fmt_header_select(const uint8_t *h1, const uint8_t *h2, int *current, int valid[2],
                      int *identical);

/* ---- region table (2.2.3) ---- */
enum { RT_OFF_SIGNATURE = 0, RT_OFF_CHECKSUM = 4, RT_OFF_ENTRY_COUNT = 8, RT_OFF_RESERVED = 12,
       RT_HEADER_SIZE = 16, RT_ENTRY_SIZE = 32,
       RTE_OFF_GUID = 0, RTE_OFF_FILE_OFFSET = 16, RTE_OFF_LENGTH = 24, RTE_OFF_REQUIRED = 28 };
#define VHDX_SIG_REGI 0x69676572u /* "regi" */
typedef struct fmt_region_entry {
    vhdx_guid guid;
    uint64_t file_offset;
    uint32_t length;
    uint32_t required;  /* whole field; bit 0 = required */
} fmt_region_entry;
typedef struct fmt_region_table {
    uint32_t signature, checksum, entry_count, reserved;
    uint32_t decoded;                      /* entries decoded = min(entry_count, 2047) */
    fmt_region_entry entries[VHDX_RT_MAX_ENTRIES];
} fmt_region_table;
int fmt_region_table_decode(const uint8_t *buf, size_t len, fmt_region_table *out);
/* writes 65536 bytes (entries, zero tail) and the checksum */
int fmt_region_table_encode(const fmt_region_table *in, uint8_t *buf, size_t len);
int fmt_region_table_is_valid(const uint8_t *buf, size_t len); /* signature + CRC */
/* R24-R31 (per entry; unknown required regions R31), duplicates R28, BAT/metadata present */
int fmt_region_table_validate(const fmt_region_table *rt, const uint8_t *raw, vhdx_sink *sink,
                              uint64_t base);

/* ---- metadata (2.6) ---- */
enum { MD_OFF_SIGNATURE = 0, MD_OFF_RESERVED = 8, MD_OFF_ENTRY_COUNT = 10, MD_OFF_RESERVED2 = 12,
       MD_HEADER_SIZE = 32, MD_ENTRY_SIZE = 32,
       MDE_OFF_ITEM_ID = 0, MDE_OFF_OFFSET = 16, MDE_OFF_LENGTH = 20, MDE_OFF_FLAGS = 24,
       MDE_OFF_RESERVED2 = 28 };
#define VHDX_MD_FLAG_IS_USER 0x1u
#define VHDX_MD_FLAG_IS_VIRTUAL_DISK 0x2u
#define VHDX_MD_FLAG_IS_REQUIRED 0x4u
typedef struct fmt_metadata_entry {
    vhdx_guid item_id;
    uint32_t offset, length, flags, reserved2;
} fmt_metadata_entry;
typedef struct fmt_metadata_table {
    uint64_t signature;
    uint16_t reserved, entry_count;
    uint8_t reserved2[20];
    uint32_t decoded;
    fmt_metadata_entry entries[VHDX_MD_MAX_ENTRIES];
} fmt_metadata_table;
#define VHDX_SIG_METADATA 0x617461646174656DULL
int fmt_metadata_table_decode(const uint8_t *buf, size_t len, fmt_metadata_table *out);
int fmt_metadata_table_encode(const fmt_metadata_table *in, uint8_t *buf, size_t len); /* 64 KiB */
/* R79-R88, R90, R91 and presence/size/flags of known items (D9-D11); region_length is the
 * metadata region's Length; base = file offset of the region */
int fmt_metadata_table_validate(const fmt_metadata_table *t, uint64_t region_length,
                                vhdx_sink *sink, uint64_t base);
/* index of the system (IsUser = 0) entry with this id, or -1 */
int fmt_metadata_find(const fmt_metadata_table *t, const vhdx_guid *id);

typedef struct fmt_file_parameters { uint32_t block_size, flags; } fmt_file_parameters;
#define VHDX_FP_LEAVE_BLOCK_ALLOCATED 0x1u
#define VHDX_FP_HAS_PARENT 0x2u
int fmt_file_parameters_decode(const uint8_t *buf, size_t len, fmt_file_parameters *out);
int fmt_file_parameters_encode(const fmt_file_parameters *in, uint8_t *buf, size_t len); /* 8 */
int fmt_u64_item_decode(const uint8_t *buf, size_t len, uint64_t *out);   /* virtual disk size */
int fmt_u64_item_encode(uint64_t v, uint8_t *buf, size_t len);
int fmt_u32_item_decode(const uint8_t *buf, size_t len, uint32_t *out);   /* sector sizes */
int fmt_u32_item_encode(uint32_t v, uint8_t *buf, size_t len);
int fmt_guid_item_decode(const uint8_t *buf, size_t len, vhdx_guid *out); /* virtual disk id */
int fmt_guid_item_encode(const vhdx_guid *g, uint8_t *buf, size_t len);

/* Geometry derived from the file parameters/size/sector size; validates R92, R94-R97 and
 * computes counts in u64 (no truncation). */
typedef struct fmt_geometry {
    uint64_t virtual_size;
    uint32_t block_size, logical_sector_size, physical_sector_size;
    int has_parent, leave_allocated;
    uint32_t fp_flags;          /* the file parameters' Flags word as stored (reserved bits too) */
    uint64_t chunk_ratio;       /* CR */
    uint64_t payload_blocks;    /* N */
    uint64_t sb_blocks;         /* S */
    uint64_t bat_entries;       /* N + (N-1)/CR, or S*(CR+1) with a parent */
} fmt_geometry;
int fmt_geometry_compute(fmt_geometry *g, uint64_t virtual_size, uint32_t block_size,
                         uint32_t lss, uint32_t pss, uint32_t fp_flags);
/* R92, R94-R97 on raw values; base_* are the file offsets of the items */
int fmt_geometry_validate(uint64_t virtual_size, uint32_t block_size, uint32_t lss,
                          uint32_t pss, uint32_t fp_flags, vhdx_sink *sink,
                          uint64_t off_fp, uint64_t off_size, uint64_t off_lss, uint64_t off_pss);

/* ---- parent locator (2.6.2.6) ---- */
enum { PL_OFF_TYPE = 0, PL_OFF_RESERVED = 16, PL_OFF_COUNT = 18, PL_HEADER_SIZE = 20,
       PL_ENTRY_SIZE = 12, PLE_OFF_KEY_OFFSET = 0, PLE_OFF_VALUE_OFFSET = 4,
       PLE_OFF_KEY_LENGTH = 8, PLE_OFF_VALUE_LENGTH = 10 };
#define VHDX_PL_MAX_ENTRIES 64
#define VHDX_PL_MAX_STRING 1024 /* UTF-8 bytes per decoded key/value, incl. NUL */
typedef struct fmt_locator_entry {
    uint32_t key_offset, value_offset;
    uint16_t key_length, value_length;
} fmt_locator_entry;
typedef struct fmt_locator {
    vhdx_guid type;
    uint16_t reserved, count;
    uint16_t decoded;                               /* min(count, VHDX_PL_MAX_ENTRIES) */
    fmt_locator_entry entries[VHDX_PL_MAX_ENTRIES];
} fmt_locator;
/* buf = the whole metadata item */
int fmt_locator_decode(const uint8_t *buf, size_t len, fmt_locator *out);
/* R99-R103, R106-R108 (key/value bounds, UTF-16, NUL, duplicates, required keys) */
int fmt_locator_validate(const fmt_locator *pl, const uint8_t *buf, size_t len, vhdx_sink *sink,
                         uint64_t base);
/* value of `key` (ASCII) as UTF-8 into out; VHDX_OK, VHDX_E_NOT_FOUND, or a corrupt code
 * (VHDX_E_PL_ENTRY / VHDX_E_PL_STRING for a malformed value); VHDX_E_LIMIT_METADATA when
 * the value does not fit in outlen (out then holds a truncated, terminated prefix) */
int fmt_locator_get(const fmt_locator *pl, const uint8_t *buf, size_t len, const char *key,
                    char *out, size_t outlen);
/* Builds a locator item (type VHDX, strings after the entry table) from key/value UTF-8
 * pairs; *written = bytes used. n == 0 builds the bare 20-byte header. VHDX_E_CREATE_PARAM
 * for empty/invalid UTF-8 strings, duplicate keys or n > VHDX_PL_MAX_ENTRIES;
 * VHDX_E_TRUNCATED_INPUT when buf is too small. */
int fmt_locator_build(const char *const *keys, const char *const *values, size_t n,
                      uint8_t *buf, size_t len, size_t *written);

/* ---- BAT (2.5) ---- */
enum {
    VHDX_PB_NOT_PRESENT = 0, VHDX_PB_UNDEFINED = 1, VHDX_PB_ZERO = 2, VHDX_PB_UNMAPPED = 3,
    VHDX_PB_FULLY_PRESENT = 6, VHDX_PB_PARTIALLY_PRESENT = 7,
    VHDX_SB_NOT_PRESENT = 0, VHDX_SB_PRESENT = 6
};
static inline unsigned fmt_bat_state(uint64_t e) { return (unsigned)(e & 7u); }
static inline uint64_t fmt_bat_offset(uint64_t e) { return e & ~(uint64_t)0xFFFFF; }
static inline uint64_t fmt_bat_reserved(uint64_t e) { return e & (uint64_t)0xFFFF8; }
static inline uint64_t fmt_bat_make(unsigned state, uint64_t offset)
{
    return (offset & ~(uint64_t)0xFFFFF) | (uint64_t)(state & 7u);
}
/* BAT index of payload block b / SB entry of chunk c; 1 when index i is an SB slot */
static inline uint64_t fmt_bat_pb_index(uint64_t b, uint64_t cr) { return b + b / cr; }
static inline uint64_t fmt_bat_sb_index(uint64_t c, uint64_t cr) { return c * (cr + 1) + cr; }
static inline int fmt_bat_is_sb_slot(uint64_t i, uint64_t cr) { return (i + 1) % (cr + 1) == 0; }
/* Per-entry static checks R69, R72, R77, R78 (state-level; placement is the image's job).
 * index = BAT index; base = file offset of the entry. */
int fmt_bat_entry_validate(uint64_t entry, uint64_t index, const fmt_geometry *g,
                           vhdx_sink *sink, uint64_t base);

/* ---- log (2.3) ---- */
#define VHDX_SIG_LOGE 0x65676F6Cu
#define VHDX_SIG_ZERO 0x6F72657Au
#define VHDX_SIG_DESC 0x63736564u
#define VHDX_SIG_DATA 0x61746164u
enum {
    LOGE_OFF_SIGNATURE = 0, LOGE_OFF_CHECKSUM = 4, LOGE_OFF_ENTRY_LENGTH = 8, LOGE_OFF_TAIL = 12,
    LOGE_OFF_SEQUENCE = 16, LOGE_OFF_DESC_COUNT = 24, LOGE_OFF_RESERVED = 28,
    LOGE_OFF_LOG_GUID = 32, LOGE_OFF_FLUSHED = 48, LOGE_OFF_LAST = 56, LOGE_HEADER_SIZE = 64,
    LOGD_SIZE = 32, LOGD_OFF_SIGNATURE = 0, LOGD_OFF_TRAILING = 4, LOGD_OFF_LEADING = 8,
    LOGD_OFF_ZERO_RESERVED = 4, LOGD_OFF_ZERO_LENGTH = 8, LOGD_OFF_FILE_OFFSET = 16,
    LOGD_OFF_SEQUENCE = 24,
    LOGS_OFF_SIGNATURE = 0, LOGS_OFF_SEQ_HIGH = 4, LOGS_OFF_DATA = 8, LOGS_DATA_LEN = 4084,
    LOGS_OFF_SEQ_LOW = 4092
};
typedef struct fmt_log_entry_header {
    uint32_t signature, checksum, entry_length, tail;
    uint64_t sequence_number;
    uint32_t descriptor_count, reserved;
    vhdx_guid log_guid;
    uint64_t flushed_file_offset, last_file_offset;
} fmt_log_entry_header;
typedef struct fmt_log_descriptor {
    uint32_t signature;          /* VHDX_SIG_ZERO or VHDX_SIG_DESC (or anything: invalid) */
    uint32_t zero_reserved;      /* zero descriptor: Reserved */
    uint8_t trailing[4];         /* data descriptor: raw bytes 4092..4095 */
    uint8_t leading[8];          /* data descriptor: raw bytes 0..7 */
    uint64_t zero_length;        /* zero descriptor */
    uint64_t file_offset;
    uint64_t sequence_number;
} fmt_log_descriptor;
int fmt_log_entry_header_decode(const uint8_t *buf, size_t len, fmt_log_entry_header *out);
int fmt_log_entry_header_encode(const fmt_log_entry_header *in, uint8_t *buf, size_t len); /* 64, checksum as given */
/* The decoder fills only the interpretation the signature selects: zero_reserved and
 * zero_length for "zero", trailing/leading for anything else (the other fields are 0). */
int fmt_log_descriptor_decode(const uint8_t *buf, size_t len, fmt_log_descriptor *out);
int fmt_log_descriptor_encode(const fmt_log_descriptor *in, uint8_t *buf, size_t len);  /* 32 */
/* descriptor sectors needed for n descriptors: ceil((n + 2) / 128) */
static inline uint64_t fmt_log_descriptor_sectors(uint64_t n) { return (n + 2 + 127) / 128; }
/* byte offset of descriptor i inside the entry */
static inline uint64_t fmt_log_descriptor_pos(uint64_t i) { return LOGE_HEADER_SIZE + i * LOGD_SIZE; }
/* data sector: reconstruct the 4 KiB update from descriptor + sector; sequence check is
 * the caller's (fmt_log_data_sector_validate) */
void fmt_log_data_sector_decode(const uint8_t *sector, const fmt_log_descriptor *d, uint8_t out[4096]);
/* build a data sector (and fill d->leading/trailing) from a 4 KiB update */
void fmt_log_data_sector_encode(const uint8_t update[4096], uint64_t seq, fmt_log_descriptor *d,
                                uint8_t sector[4096]);
int fmt_log_data_sector_validate(const uint8_t *sector, uint64_t seq, vhdx_sink *sink, uint64_t base);

/* Validates one whole entry given its contiguous bytes (the caller un-wraps ring entries):
 * R35-R57 except sequence continuity; checks the CRC over entry_length bytes.
 * log_length bounds EntryLength/Tail. */
int fmt_log_entry_validate(const uint8_t *entry, size_t len, const vhdx_guid *log_guid,
                           uint32_t log_length, vhdx_sink *sink, uint64_t base);

#endif
