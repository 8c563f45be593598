/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhdx.h - libvhdx public API: a hardened implementation of the Microsoft VHDX
 * virtual disk format ([MS-VHDX] v20240423).
 *
 * Conventions
 * - Every function that can fail returns an int status: VHDX_OK (0) or a code from
 *   vhdx_errors.h. Status codes are stable (append-only).
 * - Functions taking a `vhdx_diag *` record the first failure there (code, byte offset in
 *   the image, rule, source location). Passing NULL is allowed.
 * - All offsets and sizes are uint64_t byte counts.
 * - Nothing here is thread-safe for one image; distinct images may be used from distinct
 *   threads.
 * - ABI (see README, "ABI and SOVERSION policy"): a structure that may gain members starts
 *   with `uint32_t struct_size`, the size of the structure as the caller was compiled. The
 *   macros below set it for the caller (in every `*_default()` and in the functions that
 *   fill a caller's structure), so a program built against an older header keeps working
 *   with a newer library: the library reads and writes only the members inside struct_size
 *   (0 means the layout of SOVERSION 1's first release, i.e. this header) and gives later
 *   members their defaults. Structures the library allocates (vhdx_report,
 *   vhdx_repair_plan) carry the library's struct_size, so a caller can test for a member
 *   with VHDX_HAS_MEMBER. Every other structure here is a fixed record: its size and
 *   layout never change within a SOVERSION.
 */
#ifndef VHDX_H
#define VHDX_H

#include <stddef.h>
#include <stdint.h>

#include "vhdx_errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VHDX_BUILDING_LIBRARY) && (defined(__GNUC__) || defined(__clang__))
#define VHDX_API __attribute__((visibility("default")))
#else
#define VHDX_API
#endif
#if defined(__GNUC__) || defined(__clang__)
#define VHDX_NODISCARD __attribute__((warn_unused_result))
#else
#define VHDX_NODISCARD
#endif

/* The version of this header; vhdx_version() is the library's at run time. They agree with
 * CMake's project(VERSION) (checked at configure time and by ctest examples.version). */
#define VHDX_VERSION_MAJOR 0
#define VHDX_VERSION_MINOR 1
#define VHDX_VERSION_PATCH 0
#define VHDX_VERSION_STRING "0.1.0"
#define VHDX_VERSION_NUMBER (VHDX_VERSION_MAJOR * 10000 + VHDX_VERSION_MINOR * 100 + VHDX_VERSION_PATCH)

/* 1 when the structure *p (of type `type`, whose first member is struct_size) holds
 * `member`: struct_size 0 (the first layout) or large enough to include it. */
#define VHDX_HAS_MEMBER(p, type, member)                                                  \
    ((p)->struct_size == 0 ||                                                             \
     (size_t)(p)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))
/* Sets p->struct_size to the caller's sizeof (used by the macros that wrap the functions
 * below; NULL passes through, so the library reports VHDX_E_MISUSE as before). */
#define VHDX_SIZED_(type)                                                                 \
    static inline type *vhdx_sized_##type##_(type *p)                                     \
    {                                                                                     \
        if (p) p->struct_size = (uint32_t)sizeof *p;                                      \
        return p;                                                                         \
    }

/* ---- version ------------------------------------------------------------------------ */

/* The linked library's version: "MAJOR.MINOR.PATCH" (static string), and as
 * MAJOR * 10000 + MINOR * 100 + PATCH, to compare with VHDX_VERSION_NUMBER. */
VHDX_API const char *vhdx_version(void);
VHDX_API int vhdx_version_number(void);

/* ---- status codes ------------------------------------------------------------------ */

#define VHDX_X_ENUM(name, cls, sev, rule, section, msg) name,
typedef enum vhdx_status { VHDX_ERROR_TABLE(VHDX_X_ENUM) VHDX_STATUS_COUNT } vhdx_status;
#undef VHDX_X_ENUM

typedef enum vhdx_class {
    VHDX_CLASS_NONE = 0,
    VHDX_CLASS_DEVIATION,   /* a spec deviation that does not prevent use of the image */
    VHDX_CLASS_CORRUPT,
    VHDX_CLASS_UNSUPPORTED,
    VHDX_CLASS_LIMIT,
    VHDX_CLASS_IO,
    VHDX_CLASS_NOMEM,
    VHDX_CLASS_MISUSE,
    VHDX_CLASS_INTERNAL
} vhdx_class;

typedef enum vhdx_severity {
    VHDX_SEV_ERROR = 0,
    VHDX_SEV_WARNING = 1,
    VHDX_SEV_INFO = 2
} vhdx_severity;

/* Lookups over the error table; unknown codes give "VHDX_E_UNKNOWN"/""/CLASS_INTERNAL. */
VHDX_API const char *vhdx_status_name(int code);      /* "VHDX_E_HEADER_CHECKSUM" */
VHDX_API const char *vhdx_status_message(int code);
VHDX_API const char *vhdx_status_rule(int code);      /* "R10", "D4" or "" */
VHDX_API const char *vhdx_status_section(int code);   /* "2.2.2" or "" */
VHDX_API vhdx_class vhdx_status_class(int code);
VHDX_API vhdx_severity vhdx_status_severity(int code);
VHDX_API const char *vhdx_class_name(vhdx_class cls);  /* "corrupt", "limit", ... */
VHDX_API const char *vhdx_severity_name(vhdx_severity sev); /* "error", "warning", "info" */

/* First failure of an operation. */
typedef struct vhdx_diag {
    int code;              /* VHDX_OK when nothing failed */
    uint64_t offset;       /* byte offset in the image file (UINT64_MAX when not applicable) */
    const char *field;     /* structure field, e.g. "header[1].Checksum" (static string) */
    const char *src_file;  /* libvhdx source location that raised it */
    int src_line;
    char detail[160];      /* free text, NUL-terminated (e.g. the path of a missing parent) */
    int sys_errno;         /* errno of the failing system call of an I/O failure, or 0;
                              vhdx_diag_format appends its text */
} vhdx_diag;

VHDX_API void vhdx_diag_clear(vhdx_diag *d);
/* "FILE: RULE [MS-VHDX SECTION] at offset 0x..: message (field)" into buf. */
VHDX_API void vhdx_diag_format(const vhdx_diag *d, const char *image_name, char *buf,
                               size_t buflen);

/* ---- allocation -------------------------------------------------------------------- */

/* Every allocation of libvhdx goes through these (memory accounting, failure injection in
 * tests and fuzzing). malloc_fn and realloc_fn return NULL on failure (the library then
 * fails with VHDX_E_NOMEM, frees what it holds and leaves the image file unchanged or
 * consistent); free_fn takes NULL never. Sizes passed are >= 1. */
typedef struct vhdx_allocator {
    void *(*malloc_fn)(void *ctx, size_t size);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t size);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
} vhdx_allocator;
/* Process-wide: set it before any image is open and while none is (memory allocated by
 * one allocator is freed by it). NULL, or a struct with a NULL function, restores the C
 * library's malloc/realloc/free. Not thread-safe. */
VHDX_API void vhdx_set_allocator(const vhdx_allocator *a);

/* ---- CRC-32C ----------------------------------------------------------------------- */

/* zlib-style chaining: crc = vhdx_crc32c(0, a, n); crc = vhdx_crc32c(crc, b, m); gives
 * the CRC-32C (Castagnoli, reflected 0x82F63B78, init/xorout 0xFFFFFFFF) of a||b.
 * vhdx_crc32c(0, "123456789", 9) == 0xE3069283. Uses SSE4.2 when the CPU has it. */
VHDX_API uint32_t vhdx_crc32c(uint32_t crc, const void *buf, size_t len);
/* The portable table-driven path (slicing-by-8) and the SSE4.2 path (3-way interleaved
 * crc32q). Same contract as vhdx_crc32c. Where the CPU lacks SSE4.2 (or on non-x86 hosts)
 * _hw returns the software result and vhdx_crc32c_hw_available() returns 0. */
VHDX_API uint32_t vhdx_crc32c_sw(uint32_t crc, const void *buf, size_t len);
VHDX_API uint32_t vhdx_crc32c_hw(uint32_t crc, const void *buf, size_t len);
VHDX_API int vhdx_crc32c_hw_available(void);
/* CRC-32C of buf[0..len) with the 4 bytes at field_off taken as zero; buf is not written. */
VHDX_API uint32_t vhdx_crc32c_with_zero_field(const void *buf, size_t len, size_t field_off);

/* ---- GUIDs ------------------------------------------------------------------------- */

/* 16 bytes in Microsoft on-disk order: Data1 u32 LE, Data2 u16 LE, Data3 u16 LE, Data4[8]. */
typedef struct vhdx_guid { uint8_t b[16]; } vhdx_guid;

VHDX_API int vhdx_guid_is_zero(const vhdx_guid *g);
VHDX_API int vhdx_guid_equal(const vhdx_guid *a, const vhdx_guid *b);
/* libuuid uuid_t (RFC 4122 big-endian fields) <-> MS layout; swaps Data1..3 explicitly. */
VHDX_API void vhdx_guid_from_uuid(vhdx_guid *out, const unsigned char uu[16]);
VHDX_API void vhdx_guid_to_uuid(const vhdx_guid *g, unsigned char uu[16]);
/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" lowercase, 36 chars + NUL (buf >= 37);
 * with braces when `braces` (buf >= 39). */
VHDX_API void vhdx_guid_format(const vhdx_guid *g, char *buf, size_t buflen, int braces);
/* Parses with or without braces, case-insensitive; VHDX_E_GUID_TEXT when malformed. */
VHDX_API VHDX_NODISCARD int vhdx_guid_parse(vhdx_guid *out, const char *text, size_t len);

/* GUID generator interface: fills *out with a new GUID; returns VHDX_OK or an error. */
typedef struct vhdx_guid_gen {
    int (*generate)(void *ctx, vhdx_guid *out);
    void *ctx;
} vhdx_guid_gen;
/* Default generator: libuuid uuid_generate_random, converted so that the GUID in MS
 * layout is version 4 (Data3 >> 12 == 4) with variant bits 10 in Data4[0]. */
VHDX_API const vhdx_guid_gen *vhdx_guid_gen_default(void);
/* Deterministic generator (for the conformance kit and fuzzing): v4-shaped GUIDs from a
 * 64-bit seed. `state` must outlive the generator. */
typedef struct vhdx_guid_seeded { uint64_t state; } vhdx_guid_seeded;
VHDX_API vhdx_guid_gen vhdx_guid_gen_seeded(vhdx_guid_seeded *state, uint64_t seed);
VHDX_API VHDX_NODISCARD int vhdx_guid_generate(const vhdx_guid_gen *gen, vhdx_guid *out);

/* Well-known GUIDs (MS on-disk bytes). */
VHDX_API extern const vhdx_guid VHDX_GUID_BAT_REGION;
VHDX_API extern const vhdx_guid VHDX_GUID_METADATA_REGION;
VHDX_API extern const vhdx_guid VHDX_GUID_FILE_PARAMETERS;
VHDX_API extern const vhdx_guid VHDX_GUID_VIRTUAL_DISK_SIZE;
VHDX_API extern const vhdx_guid VHDX_GUID_VIRTUAL_DISK_ID;
VHDX_API extern const vhdx_guid VHDX_GUID_LOGICAL_SECTOR_SIZE;
VHDX_API extern const vhdx_guid VHDX_GUID_PHYSICAL_SECTOR_SIZE;
VHDX_API extern const vhdx_guid VHDX_GUID_PARENT_LOCATOR;
VHDX_API extern const vhdx_guid VHDX_GUID_PARENT_LOCATOR_TYPE_VHDX;

/* ---- I/O interface ----------------------------------------------------------------- */

/* An image is read and written only through these callbacks. Each returns VHDX_OK or a
 * status (VHDX_E_IO, VHDX_E_IO_EOF when a read reaches past the end of the file).
 * read_at/write_at transfer exactly len bytes. write_at may extend the file.
 * truncate may be NULL (then the file cannot shrink). flush makes prior writes stable. */
typedef struct vhdx_io {
    uint32_t struct_size;  /* see the ABI note at the top; 0 = this layout */
    void *ctx;
    int (*read_at)(void *ctx, uint64_t off, void *buf, size_t len);
    int (*write_at)(void *ctx, uint64_t off, const void *buf, size_t len);
    int (*get_size)(void *ctx, uint64_t *size);
    int (*set_size)(void *ctx, uint64_t size);
    int (*flush)(void *ctx);
    void (*destroy)(void *ctx); /* called by vhdx_io_destroy; may be NULL */
    /* Optional host-file allocation (NULL: no hole information, every byte is data).
     * Sets *run (1..len) to the length of the run at off that is all data (*is_data 1) or
     * all hole (*is_data 0; reads as zeros). */
    int (*data_status)(void *ctx, uint64_t off, uint64_t len, uint64_t *run, int *is_data);
    /* Capabilities, VHDX_IO_CAP_* (0: none). */
    unsigned caps;
} vhdx_io;

/* read_at and write_at may be called from several threads at once, on distinct byte ranges
 * (the file backend: pread/pwrite); vhdx_convert then copies with worker threads
 * (vhdx_convert_opts.threads). Every other callback is called from one thread at a time. */
#define VHDX_IO_CAP_CONCURRENT 0x1u

#define VHDX_IO_READ 0
#define VHDX_IO_RDWR 1
#define VHDX_IO_CREATE 2    /* with RDWR: create, fail with VHDX_E_EXISTS if present */
#define VHDX_IO_NO_LOCK 4   /* read-only: take no shared lock (see vhdx_io_file_open) */

/* File backend (pread/pwrite/fstat/ftruncate/fdatasync). Takes a regular file or a block
 * device only (VHDX_E_FILE_TYPE otherwise; a FIFO is opened without blocking to find out).
 * Takes advisory open-file-description locks (fcntl F_OFD_SETLK) in QEMU's image locking
 * protocol (bytes 100-103 and 200-203), so vhdx and QEMU see each other's opens: readers
 * share, a writer (VHDX_IO_RDWR) excludes writers and readers (none with VHDX_IO_NO_LOCK,
 * like qemu-img -U); a conflicting open, in this process or another, vhdx's or QEMU's,
 * fails with VHDX_E_LOCKED.
 * The lock lasts until vhdx_io_destroy. A failing callback of this backend leaves errno
 * set (the image layer stores it in vhdx_diag.sys_errno). */
VHDX_API VHDX_NODISCARD int vhdx_io_file_open(vhdx_io *io, const char *path, int mode);
VHDX_SIZED_(vhdx_io)
#define vhdx_io_file_open(io, path, mode) vhdx_io_file_open(vhdx_sized_vhdx_io_(io), path, mode)
/* Memory backend over a copy of data[0..len); grows on write up to max_size bytes. */
VHDX_API VHDX_NODISCARD int vhdx_io_mem_open(vhdx_io *io, const void *data, size_t len,
                                             uint64_t max_size);
#define vhdx_io_mem_open(io, data, len, max_size)                                         \
    vhdx_io_mem_open(vhdx_sized_vhdx_io_(io), data, len, max_size)
/* Borrow the memory backend's current contents (valid until the next write/destroy). */
VHDX_API const uint8_t *vhdx_io_mem_data(const vhdx_io *io, size_t *len);
VHDX_API void vhdx_io_destroy(vhdx_io *io);
/* What a file of stat mode `st_mode` is, for a VHDX_E_FILE_TYPE message: "is a FIFO",
 * "is a directory", "is a character device", "is a socket", ... (static text). */
VHDX_API const char *vhdx_file_type_name(unsigned st_mode);

/* ---- limits and open options ------------------------------------------------------- */

typedef struct vhdx_limits {
    uint64_t max_bat_memory;       /* bytes of BAT held in memory (paged beyond); default 64 MiB */
    uint64_t max_metadata_item;    /* bytes of one metadata item read; default 1 MiB (R86) */
    uint64_t max_log_length;       /* bytes of log region processed; default 1 GiB */
    uint64_t max_overlay_memory;   /* bytes of replayed sectors kept for read-only replay; default 256 MiB */
    uint32_t max_chain_depth;      /* differencing chain depth; default 16 */
    uint32_t reserved0;            /* zero */
    uint64_t reserved[4];          /* zero: room for later limits (0 will mean the default), so
                                      that this fixed record can stay embedded in the option
                                      structures below */
} vhdx_limits;

VHDX_API void vhdx_limits_default(vhdx_limits *l);

#define VHDX_OPEN_RDWR              0x1u  /* open for writing: header update, replay in place */
#define VHDX_OPEN_NO_REPLAY         0x2u  /* refuse (VHDX_E_LOG_REPLAY_REQUIRED) instead of replaying */
#define VHDX_OPEN_IGNORE_LINKAGE    0x4u  /* do not enforce parent DataWriteGuid == parent_linkage (R105) */
#define VHDX_OPEN_NO_PARENT         0x8u  /* open a differencing image without its parent (reads of parent data fail) */
#define VHDX_OPEN_NO_LOCK           0x10u /* read-only file opens (image and parents): take no shared lock, so a
                                             writer may change the file underneath (like qemu-img -U);
                                             VHDX_E_MISUSE with VHDX_OPEN_RDWR */

typedef struct vhdx_open_opts {
    uint32_t struct_size;           /* set by vhdx_open_opts_default (see the ABI note) */
    unsigned flags;
    vhdx_limits limits;
    const char *parent_path;        /* explicit parent path (overrides the locator) or NULL */
    const vhdx_guid_gen *guid_gen;  /* NULL: vhdx_guid_gen_default() */
} vhdx_open_opts;

VHDX_API void vhdx_open_opts_default(vhdx_open_opts *o);
VHDX_SIZED_(vhdx_open_opts)
#define vhdx_open_opts_default(o) vhdx_open_opts_default(vhdx_sized_vhdx_open_opts_(o))

typedef struct vhdx_image vhdx_image;

/* Opens an image over `io` (borrowed; must outlive the image unless `own_io`, in which
 * case the image destroys it on close, also on failure). Validates every statically
 * checkable rule that affects reading; the first violation of class CORRUPT or worse
 * fails the open with its code and offset in *diag. Read-write opens perform the header
 * update of MS-VHDX 2.2.2.1 (twice) and replay a dirty log into the file; read-only opens
 * replay the log in memory and never write. */
VHDX_API VHDX_NODISCARD int vhdx_open(vhdx_image **out, vhdx_io *io, int own_io,
                                      const vhdx_open_opts *opts, vhdx_diag *diag);
/* Convenience: file backend; parent chains of differencing images resolve relative to
 * `path`. opts may be NULL (defaults, read-only). */
VHDX_API VHDX_NODISCARD int vhdx_open_file(vhdx_image **out, const char *path,
                                           const vhdx_open_opts *opts, vhdx_diag *diag);
/* Flushes (read-write), releases everything. Returns the first error of the final flush. */
VHDX_API int vhdx_close(vhdx_image *img);

/* ---- information ------------------------------------------------------------------- */

typedef enum vhdx_disk_type {
    VHDX_TYPE_FIXED = 0,
    VHDX_TYPE_DYNAMIC = 1,
    VHDX_TYPE_DIFFERENCING = 2
} vhdx_disk_type;

typedef struct vhdx_header_info {
    int valid;
    uint64_t sequence_number;
    vhdx_guid file_write_guid, data_write_guid, log_guid;
    uint16_t log_version, version;
    uint32_t log_length;
    uint64_t log_offset;
    uint32_t checksum;
} vhdx_header_info;

typedef struct vhdx_region_info {
    vhdx_guid guid;
    uint64_t file_offset;
    uint32_t length;
    uint32_t required;
} vhdx_region_info;

typedef struct vhdx_metadata_info {
    vhdx_guid item_id;
    uint32_t offset, length;
    int is_user, is_virtual_disk, is_required;
} vhdx_metadata_info;

/* Payload block state counts (index = state value 0..7) and SB state counts. */
typedef struct vhdx_bat_counts {
    uint64_t payload[8];
    uint64_t sector_bitmap[8];
} vhdx_bat_counts;

#define VHDX_MAX_INFO_REGIONS 16
#define VHDX_MAX_INFO_METADATA 32

typedef struct vhdx_info {
    uint32_t struct_size;            /* set by the vhdx_get_info macro (see the ABI note) */
    vhdx_disk_type type;
    uint64_t virtual_size;
    uint32_t block_size;
    uint32_t logical_sector_size, physical_sector_size;
    uint32_t chunk_ratio;
    uint64_t payload_blocks;         /* N */
    uint64_t bat_entries;            /* required BAT entries */
    uint64_t file_size;
    vhdx_guid virtual_disk_id;
    int current_header;              /* 0 or 1 */
    vhdx_header_info headers[2];
    char creator[256 * 4 + 1];       /* creator string as UTF-8 (invalid UTF-16 replaced by U+FFFD) */
    unsigned region_count;           /* entries in regions[] (capped) */
    vhdx_region_info regions[VHDX_MAX_INFO_REGIONS];
    unsigned metadata_count;         /* entries in metadata[] (capped) */
    vhdx_metadata_info metadata[VHDX_MAX_INFO_METADATA];
    vhdx_bat_counts bat;
    int log_dirty;                   /* LogGuid non-zero at open */
    int log_replayed;                /* 1: replayed in memory (RO), 2: replayed in place (RW) */
    uint64_t log_entries_replayed;
    int has_parent;
    vhdx_guid parent_linkage;        /* when has_parent */
    int chain_depth;                 /* 1 = no parent */
    uint32_t file_parameter_flags;   /* [MS-VHDX 2.6.2.1] Flags as stored: bit 0 LeaveBlockAllocated,
                                        bit 1 HasParent, other bits reserved */
} vhdx_info;

VHDX_API VHDX_NODISCARD int vhdx_get_info(vhdx_image *img, vhdx_info *out);
VHDX_SIZED_(vhdx_info)
#define vhdx_get_info(img, out) vhdx_get_info(img, vhdx_sized_vhdx_info_(out))

/* The file path of image `level` of img's chain (0 = img itself, 1 = its parent, ...) as
 * it was opened (a parent's as resolved from the locator or the explicit parent path);
 * NULL past the end of the chain or for an image opened over a caller's vhdx_io. Borrowed
 * until vhdx_close. A caller that writes files compares them against these (st_dev,
 * st_ino) so as never to overwrite an image of the chain. */
VHDX_API const char *vhdx_chain_path(const vhdx_image *img, unsigned level);

/* File byte ranges that the log replay of this open changes: for a read-only open the
 * in-memory overlay, for a read-write open the sequence replayed in place at open (data
 * sectors and zero ranges, sorted). Stores up to max (offset, length) pairs into offs/lens
 * (either may be NULL) and returns the total number of ranges; 0 when the log was clean.
 * Borrows img only for the call. */
VHDX_API size_t vhdx_log_replay_ranges(vhdx_image *img, uint64_t *offs, uint64_t *lens,
                                       size_t max);

/* ---- virtual disk I/O -------------------------------------------------------------- */

/* Reads len bytes of the virtual disk at off. VHDX_E_RANGE if [off, off+len) is not
 * inside the virtual disk. Unallocated blocks read as zeros (or from the parent). */
VHDX_API VHDX_NODISCARD int vhdx_read(vhdx_image *img, uint64_t off, void *buf, size_t len,
                                      vhdx_diag *diag);
/* Writes len bytes; allocates blocks as needed (metadata changes go through the log).
 * VHDX_E_RANGE outside the disk, VHDX_E_READONLY, VHDX_E_LIMIT_FILE_SIZE when a new
 * block would take the file past 4 PiB (libvhdx's limit); I/O and log errors. */
VHDX_API VHDX_NODISCARD int vhdx_write(vhdx_image *img, uint64_t off, const void *buf,
                                       size_t len, vhdx_diag *diag);
VHDX_API VHDX_NODISCARD int vhdx_flush(vhdx_image *img, vhdx_diag *diag);
/* Makes [off, off+len) read as zeros. Whole payload blocks become PAYLOAD_BLOCK_ZERO
 * without writing data (the BAT change goes through the log, like an allocation; the
 * blocks' old space stays unused in the file); partial blocks get zero bytes, except where
 * they already read as zeros; images with LeaveBlockAllocated (fixed) get zero bytes
 * everywhere. A differencing image never shows its parent's bytes in the range.
 * VHDX_E_RANGE outside the disk, VHDX_E_READONLY; I/O errors. (vhdx_write of a whole
 * block of zeros also leaves an unallocated block unallocated: ZERO in a differencing
 * image.) */
VHDX_API VHDX_NODISCARD int vhdx_write_zeroes(vhdx_image *img, uint64_t off, uint64_t len,
                                              vhdx_diag *diag);

/* Allocation status of the run starting at off: *len_out bytes (<= len, >= 1 sector) all
 * have the same status. VHDX_BLOCK_DATA: backed by this file or a parent; VHDX_BLOCK_ZERO:
 * reads as zeros and is not backed (convert leaves a hole; also a hole of the host file
 * under a fixed block). vhdx_extent_at merged by its zero flag. */
#define VHDX_BLOCK_ZERO 0
#define VHDX_BLOCK_DATA 1
VHDX_API VHDX_NODISCARD int vhdx_block_status(vhdx_image *img, uint64_t off, uint64_t len,
                                              uint64_t *len_out, int *status, vhdx_diag *diag);

/* ---- allocation map (image_status.c) ------------------------------------------------ */

/* BAT state of the file that decides an extent's bytes (payload states of 2.5.1.1; DATA
 * covers FULLY_PRESENT blocks and the present sectors of a PARTIALLY_PRESENT block). */
typedef enum vhdx_extent_state {
    VHDX_EXTENT_DATA = 0,
    VHDX_EXTENT_ZERO = 1,          /* PAYLOAD_BLOCK_ZERO */
    VHDX_EXTENT_UNMAPPED = 2,      /* PAYLOAD_BLOCK_UNMAPPED */
    VHDX_EXTENT_UNDEFINED = 3,     /* PAYLOAD_BLOCK_UNDEFINED */
    VHDX_EXTENT_NOT_PRESENT = 4    /* PAYLOAD_BLOCK_NOT_PRESENT, or beyond a parent's size */
} vhdx_extent_state;

typedef struct vhdx_extent {
    uint32_t struct_size;          /* set by the vhdx_extent_at macro (see the ABI note) */
    uint64_t start, length;        /* virtual bytes [start, start + length) */
    vhdx_extent_state state;
    uint32_t depth;                /* file that decides: 0 this image, 1 its parent, ... */
    int zero;                      /* 1: reads as zeros (no need to read it) */
    int data;                      /* 1: bytes stored in the file at depth, at offset */
    int present;                   /* 1: defined by a file of the chain (state DATA, ZERO,
                                      UNMAPPED or UNDEFINED), 0: undefined in every file */
    uint64_t offset;               /* host file offset of start in the file at depth when
                                      state is DATA (also over a host hole), else 0 */
} vhdx_extent;

/* The extent at off: the longest run of [off, off+len) whose bytes have the same state,
 * depth, zero/data flags and contiguous host offsets. A FULLY_PRESENT range over a hole of
 * the host file (vhdx_io data_status) is state DATA with zero 1 and data 0. A differencing
 * image opened without its parent reports the child's state with zero 0 and data 0 (the
 * bytes are unknown: a copy must read them, and the read fails). Work is proportional to
 * the BAT entries the extent covers. VHDX_E_RANGE outside the disk, VHDX_E_MISUSE for len
 * 0; I/O errors of BAT or sector bitmap reads. Borrows img for the call. */
VHDX_API VHDX_NODISCARD int vhdx_extent_at(vhdx_image *img, uint64_t off, uint64_t len,
                                           vhdx_extent *ext, vhdx_diag *diag);
VHDX_SIZED_(vhdx_extent)
#define vhdx_extent_at(img, off, len, ext, diag)                                          \
    vhdx_extent_at(img, off, len, vhdx_sized_vhdx_extent_(ext), diag)

/* ---- create ------------------------------------------------------------------------ */

typedef struct vhdx_create_params {
    uint32_t struct_size;          /* set by vhdx_create_params_default (see the ABI note) */
    vhdx_disk_type type;
    uint64_t virtual_size;         /* differencing: 0 = parent's size */
    uint32_t block_size;           /* 0 = default 32 MiB (differencing: 2 MiB) */
    uint32_t logical_sector_size;  /* 0 = 512 (differencing: parent's) */
    uint32_t physical_sector_size; /* 0 = 4096 */
    uint32_t log_size;             /* 0 = 1 MiB */
    const char *parent_path;       /* differencing: path of the parent image */
    const char *creator;           /* UTF-8 creator string; NULL = "libvhdx <version>" */
    const vhdx_guid_gen *guid_gen; /* NULL = default (libuuid) */
} vhdx_create_params;

VHDX_API void vhdx_create_params_default(vhdx_create_params *p);
VHDX_SIZED_(vhdx_create_params)
#define vhdx_create_params_default(p) vhdx_create_params_default(vhdx_sized_vhdx_create_params_(p))
/* Validates every parameter before writing anything; on failure no file is left behind. */
VHDX_API VHDX_NODISCARD int vhdx_create(const char *path, const vhdx_create_params *p,
                                        vhdx_diag *diag);
/* Creates into an empty backend (memory images for tests and fuzzing). Differencing
 * needs parent_path (a file) or is refused with VHDX_E_CREATE_PARAM. */
VHDX_API VHDX_NODISCARD int vhdx_create_io(vhdx_io *io, const vhdx_create_params *p,
                                           vhdx_diag *diag);

/* ---- log replay -------------------------------------------------------------------- */

/* Replays a dirty log in place (like `qemu-img check -r all`); *replayed = entries applied
 * (0 when the log was clean). */
VHDX_API VHDX_NODISCARD int vhdx_replay_file(const char *path, uint64_t *replayed,
                                             vhdx_diag *diag);

/* ---- check ------------------------------------------------------------------------- */

typedef struct vhdx_finding {
    int code;                 /* status code: rule, section, message via the lookups */
    vhdx_severity severity;
    uint64_t offset;          /* byte offset in the file, UINT64_MAX when none */
    const char *field;        /* static string or NULL */
    char detail[160];
} vhdx_finding;

typedef struct vhdx_check_opts {
    uint32_t struct_size;     /* set by vhdx_check_opts_default (see the ABI note) */
    vhdx_limits limits;
    unsigned flags;           /* VHDX_OPEN_IGNORE_LINKAGE, VHDX_OPEN_NO_PARENT, VHDX_OPEN_NO_LOCK (parents) honoured */
    const char *parent_path;
    size_t max_findings;      /* 0 = default 1000; further findings are counted only */
    /* progress: called with done/total units of work; may be NULL */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} vhdx_check_opts;

typedef enum vhdx_verdict {
    VHDX_VERDICT_CONFORMANT = 0,     /* no error findings */
    VHDX_VERDICT_NONCONFORMANT = 1,  /* at least one error finding */
    VHDX_VERDICT_UNREADABLE = 2      /* could not be checked (I/O, not a VHDX file) */
} vhdx_verdict;

typedef struct vhdx_report {
    uint32_t struct_size;     /* the library's sizeof (test members with VHDX_HAS_MEMBER) */
    vhdx_verdict verdict;
    size_t count;             /* findings stored */
    size_t dropped;           /* findings beyond max_findings */
    size_t errors, warnings, infos;
    vhdx_finding *findings;
    int opened;               /* 1 when the image also opened for reading */
    vhdx_info *info;          /* never NULL; valid when info_valid (allocated with the
                                 report: a pointer, so that vhdx_info and vhdx_report
                                 can each grow at their end) */
    int info_valid;
    /* Which parts of info hold decoded values: VHDX_INFO_ALL when info_valid; when the
     * image did not open, the structures that could still be decoded one by one (for
     * triage; findings say what is wrong). */
    unsigned info_parts;
} vhdx_report;

#define VHDX_INFO_FILEID   0x01u  /* creator (the signature is "vhdxfile"), file_size */
#define VHDX_INFO_HEADERS  0x02u  /* headers[], current_header, log_dirty */
#define VHDX_INFO_REGIONS  0x04u  /* regions[] */
#define VHDX_INFO_METADATA 0x08u  /* metadata[] */
#define VHDX_INFO_GEOMETRY 0x10u  /* type, sizes, chunk_ratio, payload_blocks, bat_entries, virtual_disk_id */
#define VHDX_INFO_ALL      0xffu  /* the image opened: every member (BAT counts, log, parent too) */

VHDX_API void vhdx_check_opts_default(vhdx_check_opts *o);
VHDX_SIZED_(vhdx_check_opts)
#define vhdx_check_opts_default(o) vhdx_check_opts_default(vhdx_sized_vhdx_check_opts_(o))
/* Checks every statically checkable rule, collecting all findings (not only the first).
 * Never writes. *out is allocated; free with vhdx_report_free. Returns VHDX_OK when a
 * report was produced (whatever its verdict), or an error when none could be. */
VHDX_API VHDX_NODISCARD int vhdx_check(vhdx_io *io, const char *path_for_parent,
                                       const vhdx_check_opts *opts, vhdx_report **out);
VHDX_API void vhdx_report_free(vhdx_report *r);

/* ---- repair ------------------------------------------------------------------------ */

/* What one repair action does. Every action names the finding it fixes (code: rule and
 * section through the lookups) and the file bytes it rewrites in place; metadata, BAT and
 * region table sectors pass through the log first, headers through the header update of
 * MS-VHDX 2.2.2.1 (both slots, sequence + 1 each, fresh FileWriteGuid). */
typedef enum vhdx_repair_kind {
    VHDX_REPAIR_HEADER = 0,          /* header slot `index` (0/1) rewritten from the current one */
    VHDX_REPAIR_REGION_TABLE = 1,    /* region table copy `index` rewritten from the valid copy */
    VHDX_REPAIR_LOG_REPLAY = 2,      /* the dirty log replayed; one action per range it writes */
    VHDX_REPAIR_METADATA_ENTRY = 3,  /* metadata table entry `index` (not required) dropped */
    VHDX_REPAIR_BAT_ENTRY = 4,       /* BAT entry `index` set to NOT_PRESENT, offset 0 */
    VHDX_REPAIR_FILE_EXTEND = 5,     /* file extended with zeros to a multiple of 1 MiB */
    VHDX_REPAIR_REGION_REQUIRED = 6, /* deviation: Required set on region entry `index` */
    VHDX_REPAIR_BAT_OFFSET = 7,      /* deviation: FileOffsetMB cleared on BAT entry `index`
                                        of a block without data */
    VHDX_REPAIR_PARENT_PATH = 8      /* deviation: "\\?\" put before a plain drive path in
                                        absolute_win32_path (metadata entry `index`) */
} vhdx_repair_kind;

typedef struct vhdx_repair_action {
    vhdx_repair_kind kind;
    int code;                 /* the finding repaired (VHDX_OK for FILE_EXTEND) */
    uint64_t finding_offset;  /* where check reports it (UINT64_MAX when none) */
    uint64_t index;           /* header slot, table copy, metadata/BAT entry, replay range */
    uint64_t write_offset;    /* file bytes rewritten in place */
    uint64_t write_length;
    uint64_t lost_offset;     /* virtual bytes whose data is lost (they read as zeros, or */
    uint64_t lost_length;     /* from the parent); length 0: no guest data changes */
    int deviation;            /* a tolerated deviation: done only with FIX_DEVIATIONS */
    int applied;              /* 1 once vhdx_repair_apply wrote it */
    char detail[160];
} vhdx_repair_action;

typedef struct vhdx_repair_plan {
    uint32_t struct_size;         /* the library's sizeof (test members with VHDX_HAS_MEMBER) */
    size_t count;                 /* actions, in the order they are applied */
    vhdx_repair_action *actions;
    size_t left_count;            /* damage no action repairs: the reasons of a refusal */
    vhdx_finding *left;
    size_t deviations_skipped;    /* deviation actions planned but not allowed */
    int data_loss;                /* some allowed-or-not action loses guest data */
    int refused;                  /* 1: nothing is written (damage left, or data loss
                                     without VHDX_REPAIR_ALLOW_DATA_LOSS) */
    int applied;                  /* 1: vhdx_repair_apply wrote the actions */
    uint64_t file_size;           /* before the repair */
    uint64_t log_offset, log_length; /* the log the journaled writes pass through (0: none) */
    int differencing;             /* the image has a parent (known when it opened) */
    int parent_checked;           /* 1: a differencing image opened with its parent
                                     (opts->parent_path): parent_linkage (R105), equal
                                     logical sector sizes (R96) and the parent chain were
                                     checked; 0 with differencing: none of them was */
} vhdx_repair_plan;

#define VHDX_REPAIR_ALLOW_DATA_LOSS 0x1u  /* allow actions that lose guest data */
#define VHDX_REPAIR_FIX_DEVIATIONS  0x2u  /* also fix tolerated deviations */

typedef struct vhdx_repair_opts {
    uint32_t struct_size;         /* set by vhdx_repair_opts_default (see the ABI note) */
    unsigned flags;               /* VHDX_REPAIR_* */
    vhdx_limits limits;
    const vhdx_guid_gen *guid_gen; /* NULL: vhdx_guid_gen_default() */
    const char *parent_path;      /* parent of a differencing image, opened read-only with
                                     the linkage checked; NULL: repaired without its parent */
} vhdx_repair_opts;

VHDX_API void vhdx_repair_opts_default(vhdx_repair_opts *o);
VHDX_SIZED_(vhdx_repair_opts)
#define vhdx_repair_opts_default(o) vhdx_repair_opts_default(vhdx_sized_vhdx_repair_opts_(o))
/* Plans the repair of the image behind io (borrowed for the call): opens it read-only in a
 * mode that tolerates exactly the damage an action repairs and lists the actions and the
 * damage left. Never writes. A differencing image is repaired with the parent at
 * opts->parent_path (a parent that does not open or match is damage left), else without
 * its parent (plan->parent_checked 0). Non-v4 GUIDs are no finding: the spec asks for
 * unique (FileWriteGuid: random) values, not a GUID version, and DataWriteGuid and the
 * Virtual Disk ID are never changed by a repair (children and identity depend on them).
 * *out is
 * allocated (free with vhdx_repair_plan_free). Returns VHDX_OK when a plan was produced,
 * whatever it says; VHDX_E_MISUSE, VHDX_E_NOMEM, or the I/O error that stopped it. */
VHDX_API VHDX_NODISCARD int vhdx_repair_plan_create(vhdx_io *io,
                                                    const vhdx_repair_opts *opts,
                                                    vhdx_repair_plan **out, vhdx_diag *diag);
/* Plans, then applies the plan unless it is refused; io needs write_at and flush. A crash
 * at any write leaves an image that a second vhdx_repair_apply finishes. *out (may be
 * NULL) receives the plan with `applied` marks. Returns VHDX_OK when the plan was applied
 * or refused (see plan->refused), else the error that stopped the writes. */
VHDX_API VHDX_NODISCARD int vhdx_repair_apply(vhdx_io *io, const vhdx_repair_opts *opts,
                                              vhdx_repair_plan **out, vhdx_diag *diag);
VHDX_API void vhdx_repair_plan_free(vhdx_repair_plan *p);
/* "header", "region_table", "log_replay", "metadata_entry", "bat_entry", "file_extend",
 * "region_required", "bat_offset", "parent_path"; "unknown" otherwise. */
VHDX_API const char *vhdx_repair_kind_name(int kind);

/* ---- convert (image_convert.c) ------------------------------------------------------ */

/* Where a conversion reads. Exactly one of: img (a VHDX image: its virtual disk, through
 * the parent chain, so a differencing image is flattened); raw (the bytes of a vhdx_io;
 * its data_status lets holes go unread); stream_read (raw bytes in order, e.g. a pipe:
 * fills buf with up to len bytes and sets *got, 0 at the end; VHDX_OK or an error).
 * Everything is borrowed for the call. A fixed record (see the ABI note). */
typedef struct vhdx_convert_src {
    vhdx_image *img;
    vhdx_io *raw;
    int (*stream_read)(void *ctx, void *buf, size_t len, size_t *got);
    void *stream_ctx;
    uint64_t size;        /* virtual size: raw 0 = the io's size; stream: required (a
                             shorter stream reads as zeros after its end, a longer one
                             fails with VHDX_E_RANGE) */
} vhdx_convert_src;

#define VHDX_CONVERT_VHDX       0x1u  /* the destination is a new VHDX image (else raw) */
#define VHDX_CONVERT_SYNC       0x2u  /* flush the destination once complete; without it
                                         the destination is never flushed (like qemu-img) */
#define VHDX_CONVERT_SEQUENTIAL 0x4u  /* raw destination that takes writes only in order
                                         (a pipe, a device): every byte written, zeros too,
                                         never resized */

typedef struct vhdx_convert_opts {
    uint32_t struct_size;          /* set by vhdx_convert_opts_default (see the ABI note) */
    unsigned flags;                /* VHDX_CONVERT_* */
    vhdx_create_params create;     /* VHDX destination: fixed or dynamic; virtual_size 0 =
                                      the source's rounded up to a logical sector */
    /* called with done/total virtual bytes as the copy advances; may be NULL */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* Threads copying a raw destination (default 1: the calling thread alone; 0: the
     * online CPUs, at most 4; at most 8 are used). With 2 or more, when the destination
     * and the source's backend are VHDX_IO_CAP_CONCURRENT (file backends) and the
     * destination is not SEQUENTIAL, data chunks (1 MiB) are copied by worker threads at
     * explicit offsets, each with a 1 MiB buffer of its own; the calling thread walks the
     * source and calls progress. The output is the same as with 1. */
    unsigned threads;
} vhdx_convert_opts;

typedef struct vhdx_convert_stats {
    uint64_t virtual_size;         /* of the destination */
    uint64_t bytes_read;           /* source bytes read into memory */
    uint64_t bytes_written;        /* data bytes written to the destination (with copied) */
    uint64_t bytes_copied;         /* of those, copied by the kernel (copy_file_range) */
    int dst_failed;                /* on failure: 1 when the destination's I/O failed,
                                      0 the source's (or the parameters) */
    uint32_t reserved0;            /* zero */
    uint64_t reserved[4];          /* zero: room for later figures (a fixed record) */
} vhdx_convert_stats;

/* Defaults: raw destination, no sync, vhdx_create_params_default, no progress. */
VHDX_API void vhdx_convert_opts_default(vhdx_convert_opts *o);
VHDX_SIZED_(vhdx_convert_opts)
#define vhdx_convert_opts_default(o) vhdx_convert_opts_default(vhdx_sized_vhdx_convert_opts_(o))
/* Copies the virtual disk of src into dst, an empty backend (size 0), borrowed for the
 * call. Ranges that read as zeros are never written: a raw destination keeps holes there
 * (it is finally sized to the virtual size), a dynamic VHDX leaves their blocks unallocated.
 * Ranges that are data in a file backend source (a raw file, or a fully present block of a
 * fixed or dynamic image) are copied by the kernel (copy_file_range) into a file backend
 * destination when it offers it, else read and written. dst's content is complete only
 * when VHDX_OK is returned; on failure the caller discards it (the CLI writes a temporary
 * file and renames it into place on success). Errors: VHDX_E_MISUSE (no or two sources,
 * a differencing destination), VHDX_E_CREATE_PARAM, VHDX_E_RANGE (stream longer than its
 * size), the source's read errors, the destination's I/O errors (stats->dst_failed 1,
 * diag offset the destination byte). stats may be NULL. */
VHDX_API VHDX_NODISCARD int vhdx_convert(const vhdx_convert_src *src, vhdx_io *dst,
                                         const vhdx_convert_opts *opts,
                                         vhdx_convert_stats *stats, vhdx_diag *diag);

/* ---- commit and rebase of differencing images (image_commit.c, image_rebase.c) ------ */

#define VHDX_COMMIT_IGNORE_LINKAGE 0x1u  /* commit although the parent's DataWriteGuid is not the
                                            child's parent_linkage (R105) */
#define VHDX_COMMIT_REMOVE         0x2u  /* vhdx_commit_file: delete the child afterwards */

typedef struct vhdx_commit_opts {
    uint32_t struct_size;         /* set by vhdx_commit_opts_default (see the ABI note) */
    unsigned flags;               /* VHDX_COMMIT_* */
    vhdx_limits limits;           /* for the opens of vhdx_commit_file */
    const char *parent_path;      /* vhdx_commit_file: the parent (NULL: from the locator) */
    const vhdx_guid_gen *guid_gen; /* NULL: vhdx_guid_gen_default() */
    /* progress over the child's virtual bytes walked; may be NULL */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} vhdx_commit_opts;

VHDX_API void vhdx_commit_opts_default(vhdx_commit_opts *o);
VHDX_SIZED_(vhdx_commit_opts)
#define vhdx_commit_opts_default(o) vhdx_commit_opts_default(vhdx_sized_vhdx_commit_opts_(o))
/* Merges the differencing image `child` into `parent` (both borrowed for the call): every
 * virtual byte the child itself defines (FULLY_PRESENT blocks, the present sectors of
 * PARTIALLY_PRESENT blocks through the sector bitmap, ZERO blocks) is written into parent
 * with vhdx_write / vhdx_write_zeroes, so the parent then reads as the child did; bytes
 * the child leaves to its parent are not touched, and the work is proportional to the
 * child's data. child may be open read-only and without its parent (VHDX_OPEN_NO_PARENT);
 * parent must be open read-write. When child is writable, its parent_linkage is then set to
 * the parent's new DataWriteGuid (one journaled locator rewrite), so the child still opens
 * over the parent and reads as before. Other children of the parent keep their old
 * parent_linkage: they no longer open (R105), as their content would have changed; that is
 * the caller's responsibility. Refuses VHDX_E_PL_LINKAGE_MISMATCH when the parent's
 * DataWriteGuid is neither parent_linkage nor parent_linkage2 (unless
 * VHDX_COMMIT_IGNORE_LINKAGE), VHDX_E_PARENT_SECTOR_SIZE (R96), VHDX_E_UNSUPPORTED for a
 * parent of another virtual size, VHDX_E_MISUSE when child has no parent; I/O errors. A
 * crash leaves the parent with every byte old or new (each write is crash safe) and the
 * child unchanged or re-linked; committing again finishes. *moved (may be NULL) = virtual
 * bytes written into the parent. */
VHDX_API VHDX_NODISCARD int vhdx_commit(vhdx_image *child, vhdx_image *parent,
                                        const vhdx_commit_opts *opts, uint64_t *moved,
                                        vhdx_diag *diag);
/* vhdx_commit on files: the child opened without its parent (read-write, or read-only with
 * VHDX_COMMIT_REMOVE), its parent resolved like an open does (or opts->parent_path) and
 * opened read-write; with VHDX_COMMIT_REMOVE the child file is deleted after a successful
 * commit. */
VHDX_API VHDX_NODISCARD int vhdx_commit_file(const char *child_path, const vhdx_commit_opts *opts,
                                             uint64_t *moved, vhdx_diag *diag);

#define VHDX_REBASE_UNSAFE  0x1u  /* re-link without comparing the parents' content */
#define VHDX_REBASE_CONTENT 0x2u  /* copy the differences into the child (like qemu-img rebase) */

typedef struct vhdx_rebase_opts {
    uint32_t struct_size;         /* set by vhdx_rebase_opts_default (see the ABI note) */
    unsigned flags;               /* VHDX_REBASE_* (UNSAFE and CONTENT exclude each other) */
    vhdx_limits limits;           /* for the opens of vhdx_rebase_file */
    const char *old_parent_path;  /* vhdx_rebase_file: the old parent (NULL: from the locator) */
    const vhdx_guid_gen *guid_gen; /* NULL: vhdx_guid_gen_default() */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} vhdx_rebase_opts;

VHDX_API void vhdx_rebase_opts_default(vhdx_rebase_opts *o);
VHDX_SIZED_(vhdx_rebase_opts)
#define vhdx_rebase_opts_default(o) vhdx_rebase_opts_default(vhdx_sized_vhdx_rebase_opts_(o))
/* Re-links the differencing image `child` (open read-write) to `new_parent` (open, any
 * mode), the image at new_parent_path: the parent locator is rewritten through the log
 * (parent_linkage = new_parent's DataWriteGuid, parent_linkage2 and volume_path dropped,
 * relative_path from the child's path when it was opened by path, absolute_win32_path
 * "\\?\Z:" + the parent's real path; other keys kept). When new_parent's DataWriteGuid is
 * the child's linkage it is the same parent (moved or copied): nothing else is checked.
 * Otherwise, unless VHDX_REBASE_UNSAFE, the bytes the child leaves to its parent are
 * compared between the old parent chain (the one child was opened with; needed,
 * VHDX_E_PARENT_NOT_FOUND without) and new_parent: where they differ the rebase is refused
 * (VHDX_E_REBASE_CONTENT, nothing written) or, with VHDX_REBASE_CONTENT, the old bytes are
 * written into the child first, so that it reads the same over new_parent. The child keeps
 * reading through the chain it was opened with until it is closed. Also
 * VHDX_E_PARENT_SECTOR_SIZE (R96), VHDX_E_UNSUPPORTED (other virtual size), VHDX_E_PARENT_CYCLE
 * (new_parent_path is the child), VHDX_E_LIMIT_METADATA (locator does not fit). *copied (may
 * be NULL) = bytes written into the child. */
VHDX_API VHDX_NODISCARD int vhdx_rebase(vhdx_image *child, vhdx_image *new_parent,
                                        const char *new_parent_path, const vhdx_rebase_opts *opts,
                                        uint64_t *copied, vhdx_diag *diag);
/* vhdx_rebase on files: new_parent_path opened read-only (with its chain), the child opened
 * read-write (with its old parent only when the comparison needs it). */
VHDX_API VHDX_NODISCARD int vhdx_rebase_file(const char *child_path, const char *new_parent_path,
                                             const vhdx_rebase_opts *opts, uint64_t *copied,
                                             vhdx_diag *diag);
/* ---- resize, discard, compact (image_resize.c, image_discard.c, image_compact.c) ----
 * Maintenance of an image opened read-write. Every metadata change goes through the log;
 * data that moves is written and flushed at its new place before the BAT entry is switched
 * (journaled), and the old space is reused only after that. A crash at any point leaves an
 * image that opens and reads, per block, either its old or its new content. */

#define VHDX_RESIZE_SHRINK          0x1u  /* allow a smaller virtual size */
#define VHDX_RESIZE_ALLOW_DATA_LOSS 0x2u  /* shrink even when data lies beyond the new end */
/* Sets the virtual size to new_size (a multiple of the logical sector size, 1 sector to
 * 64 TiB). Growing: new blocks read as zeros (fixed: allocated and zeroed at the end of
 * the file; differencing: PAYLOAD_BLOCK_ZERO where the parent has bytes, so the grown range
 * never shows the parent's data, like qemu-img resize over a longer backing file); the
 * BAT region grows in place when the space after it is free, else it moves to the end of
 * the file (its old space is left for compact). Shrinking needs VHDX_RESIZE_SHRINK
 * (VHDX_E_SHRINK_REFUSED) and is refused with VHDX_E_DATA_BEYOND_END when an allocated
 * block (or, differencing, the parent's bytes) lies beyond the new end, or bytes past it
 * in the last block are not zero, unless VHDX_RESIZE_ALLOW_DATA_LOSS; the blocks' space is
 * reclaimed by vhdx_compact. A differencing image may take any size: bytes beyond its
 * parent's size read as zeros. VHDX_E_RANGE for an invalid size; VHDX_E_READONLY;
 * I/O and log errors. new_size equal to the current size changes nothing. */
VHDX_API VHDX_NODISCARD int vhdx_resize(vhdx_image *img, uint64_t new_size, unsigned flags,
                                        vhdx_diag *diag);

/* Discards [off, off+len) of the virtual disk: afterwards it reads as zeros. Whole payload
 * blocks of a dynamic image become PAYLOAD_BLOCK_UNMAPPED, of a differencing image
 * PAYLOAD_BLOCK_ZERO (UNMAPPED and NOT_PRESENT would show the parent's bytes), with
 * FileOffsetMB 0: their space is free for vhdx_compact. Partial blocks, and every block of
 * a fixed image (a writer must not move a fixed file's blocks out of FULLY_PRESENT,
 * MS-VHDX footnote <6>), get zero bytes in place (vhdx_write_zeroes). VHDX_E_RANGE
 * outside the disk, VHDX_E_READONLY; I/O and log errors. */
VHDX_API VHDX_NODISCARD int vhdx_discard(vhdx_image *img, uint64_t off, uint64_t len,
                                         vhdx_diag *diag);

#define VHDX_COMPACT_ZEROES 0x1u  /* first turn all-zero blocks into ZERO/NOT_PRESENT */
typedef struct vhdx_compact_stats {
    uint32_t struct_size;         /* set by the vhdx_compact macro (see the ABI note) */
    uint64_t zero_blocks;         /* blocks released because they read as zeros */
    uint64_t blocks_moved;        /* payload and sector bitmap blocks moved down */
    uint64_t bytes_moved;
    uint64_t file_size_before, file_size_after;
} vhdx_compact_stats;
/* Moves the highest payload and sector bitmap blocks into the lowest free space of the
 * file (each move: copy written and flushed, BAT entries switched through the log in
 * batches), then truncates the file after the last used byte (the log session is closed
 * first, so no log entry names the old size). Work is proportional to the data moved plus
 * one pass over the BAT. With VHDX_COMPACT_ZEROES, allocated blocks that read as zeros are
 * released first: NOT_PRESENT in a dynamic image, ZERO in a differencing one; fixed images
 * keep their blocks (VHDX_E_UNSUPPORTED with the flag, footnote <6>). stats may be NULL.
 * VHDX_E_READONLY; VHDX_E_LIMIT_MEMORY when the map of used space outgrows
 * limits.max_bat_memory; I/O and log errors. */
VHDX_API VHDX_NODISCARD int vhdx_compact(vhdx_image *img, unsigned flags,
                                         vhdx_compact_stats *stats, vhdx_diag *diag);
VHDX_SIZED_(vhdx_compact_stats)
#define vhdx_compact(img, flags, stats, diag)                                             \
    vhdx_compact(img, flags, vhdx_sized_vhdx_compact_stats_(stats), diag)

#ifdef __cplusplus
}
#endif
#endif /* VHDX_H */
