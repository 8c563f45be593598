/*
 * image.h - image layer internals shared by image_*.c.
 *
 * Ownership of the functions declared here (one file each, see the comments):
 *   image core  (image_open.c, image_read.c, image_header.c, image_bat.c, image_check.c, io_*.c)
 *   log/write   (image_log.c, image_write.c, image_create.c, image_parent.c)
 * All allocation of the library happens in this layer, bounded by spec maxima and by
 * img->limits.
 */
#ifndef VHDX_IMAGE_H
#define VHDX_IMAGE_H

#include "fmt.h"

/* Paged BAT cache: the BAT is read in pages of IMG_BAT_PAGE bytes; at most
 * limits.max_bat_memory bytes of pages are resident (direct-mapped: page p in slot p % npages). */
#define IMG_BAT_PAGE (64u * 1024u)

typedef struct img_bat_page {
    uint64_t page_index;      /* BAT byte offset / IMG_BAT_PAGE */
    uint64_t last_use;
    uint8_t *data;            /* IMG_BAT_PAGE bytes (little-endian entries as on disk) */
    int used;
} img_bat_page;

typedef struct img_bat_cache {
    img_bat_page *pages;
    size_t npages;            /* capacity (slots) */
    uint64_t clock;
} img_bat_cache;

struct img_log;      /* image_log.c: active sequence, read-only overlay */

struct vhdx_image {
    vhdx_io *io;
    int own_io;
    unsigned flags;               /* VHDX_OPEN_* */
    int writable;
    vhdx_limits limits;
    const vhdx_guid_gen *gen;
    char *path;                   /* file path when opened by path (parent resolution), or NULL */
    const char *parent_path_opt;  /* explicit parent (borrowed from opts during open) */

    uint64_t file_size;
    fmt_fileid fileid;

    /* headers */
    uint8_t hdr_raw[2][VHDX_HEADER_SIZE];
    fmt_header hdr[2];
    int hdr_valid[2];
    int cur;                      /* index of the current header */
    int headers_identical;        /* Disk2vhd quirk accepted */
    int session_file_guid_done;   /* FileWriteGuid refreshed in this open (R12/R21) */
    int session_data_guid_done;   /* DataWriteGuid refreshed in this open (R13) */

    /* regions */
    fmt_region_table *rt;         /* the copy in use */
    int rt_copy;                  /* 0 or 1 */
    uint64_t bat_offset, md_offset;
    uint32_t bat_length, md_length;

    /* metadata */
    fmt_metadata_table *md;
    fmt_geometry geo;
    vhdx_guid virtual_disk_id;
    uint8_t *locator;             /* raw parent locator item (differencing), or NULL */
    size_t locator_len;

    /* BAT */
    img_bat_cache bat;
    vhdx_bat_counts counts;

    /* log */
    struct img_log *log;
    int log_dirty_at_open;
    int log_replayed;             /* 1 in memory, 2 in place */
    uint64_t log_entries_replayed;

    /* differencing */
    vhdx_image *parent;
    int chain_depth;              /* 1 = this image only */
};

/* ---- image core ---- */

/* Reads file bytes; when a read-only replay overlay is active, replayed sectors are
 * patched over the result (img_log_overlay_apply). VHDX_E_IO_EOF past end of file. */
int img_pread(vhdx_image *img, uint64_t off, void *buf, size_t len, vhdx_diag *diag);
/* Writes file bytes (writable images only); updates img->file_size when extending. */
int img_pwrite(vhdx_image *img, uint64_t off, const void *buf, size_t len, vhdx_diag *diag);
int img_fflush(vhdx_image *img, vhdx_diag *diag);

/* BAT entry by index (bounded by geo.bat_entries; VHDX_E_RANGE otherwise). */
int img_bat_get(vhdx_image *img, uint64_t index, uint64_t *entry, vhdx_diag *diag);
/* Update the cached copy of an entry after it was written in place (no I/O). */
void img_bat_cache_set(vhdx_image *img, uint64_t index, uint64_t entry);

/* Header update (MS-VHDX 2.2.2.1): writes the non-current header with sequence + 1,
 * flushes, twice. IMG_HDR_* select what changes; the first update of an open always
 * takes a fresh FileWriteGuid (R21). new_log_guid is used with IMG_HDR_SET_LOG_GUID
 * (NULL = zero GUID). Refuses (VHDX_E_HEADER_SEQ_MAX) when the sequence would wrap. */
#define IMG_HDR_NEW_DATA_GUID 0x1u
#define IMG_HDR_SET_LOG_GUID  0x2u
int img_header_update(vhdx_image *img, unsigned what, const vhdx_guid *new_log_guid,
                      vhdx_diag *diag);
/* Call before any modification: performs the session header update once (FileWriteGuid,
 * R12/R20) and, when user_visible, the DataWriteGuid change once (R13). */
int img_begin_modify(vhdx_image *img, int user_visible, vhdx_diag *diag);

/* ---- log / write (image_log.c, image_write.c, image_create.c, image_parent.c) ---- */

/* Called by open right after header selection, before region tables are read. With
 * LogGuid zero: nothing. Otherwise finds the active sequence (2.3.2-2.3.3) and replays it:
 * in place for writable images (then clears LogGuid), else into an in-memory overlay. */
int img_log_open(vhdx_image *img, vhdx_diag *diag);
/* Patch replayed sectors over a file read of [off, off+len). No-op without overlay. */
void img_log_overlay_apply(const vhdx_image *img, uint64_t off, uint8_t *buf, size_t len);
void img_log_close(vhdx_image *img);

/* Journaled metadata update: each element is one 4 KiB-aligned sector of the file (BAT,
 * metadata region, region table, sector bitmap). Writes one log entry (batched), flushes,
 * applies in place, flushes. */
typedef struct img_meta_sector {
    uint64_t file_offset;         /* multiple of 4096 */
    const uint8_t *data;          /* 4096 bytes */
} img_meta_sector;
int img_log_write(vhdx_image *img, const img_meta_sector *sectors, size_t n, vhdx_diag *diag);

/* Block allocation for a payload block that is not FULLY_PRESENT (image_write.c); called
 * by vhdx_write. Allocates at end of file (1 MiB aligned), writes data, logs the BAT. */
int img_write_unallocated(vhdx_image *img, uint64_t block, uint64_t off_in_block,
                          const uint8_t *buf, size_t len, vhdx_diag *diag);

/* Differencing (image_parent.c): open the parent chain after BAT validation;
 * read of a PARTIALLY_PRESENT block range through the sector bitmap. */
int img_parent_open(vhdx_image *img, vhdx_diag *diag);
int img_read_partial(vhdx_image *img, uint64_t block, uint64_t off_in_block, uint8_t *buf,
                     size_t len, vhdx_diag *diag);

/* ---- image core additions (image_open.c, image_bat.c, image_check.c) ---- */

/* Optional hooks of an open (vhdx_check): progress over the BAT pages validated. */
typedef struct img_open_hooks {
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
} img_open_hooks;
/* img_open_sink with hooks (may be NULL). Every failure, also I/O and limits, is reported
 * to `sink` as a finding; validation continues after a finding when the sink says so and
 * the structure allows it; the open still fails when any fatal finding was reported. */
int img_open_ex(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                const char *path, vhdx_sink *sink, const img_open_hooks *hooks,
                vhdx_diag *diag);
/* BAT cache lifetime (image_bat.c): slots bounded by limits.max_bat_memory. */
int img_bat_cache_init(vhdx_image *img);
void img_bat_cache_free(vhdx_image *img);

/* ---- additions by the log/write helper ----
 * Read-only replay: while an overlay is active, img->file_size is the LOGICAL file size
 * (max(backend size, head LastFileOffset, end of every replayed descriptor)); bytes at or
 * beyond img_log_backend_size() do not exist in the backend and must read as zeros before
 * img_log_overlay_apply patches the buffer. Without an overlay it returns img->file_size. */
uint64_t img_log_backend_size(const vhdx_image *img);
/* File ranges a replay changes (overlay or last replayed sequence): up to max ranges into
 * offs/lens (sorted, data sectors and zero ranges); returns the total number of ranges. */
size_t img_log_replay_ranges(const vhdx_image *img, uint64_t *offs, uint64_t *lens, size_t max);
/* Clears LogGuid (header update) when this open set one; called by img_log_close too.
 * vhdx_close may call it first to see the error. */
int img_log_finish(vhdx_image *img, vhdx_diag *diag);

/* Write batching (image_write.c): vhdx_write calls img_write_batch_begin before its block
 * loop and img_write_batch_end(status) after it (also on failure, passing the loop's
 * status); every img_write_unallocated in between is journaled in as few log entries as
 * possible (normally one) at batch end. Without begin, each call commits on its own.
 * img_write_batch_end returns status when it is an error, else the commit's status. */
void img_write_batch_begin(vhdx_image *img);
int img_write_batch_end(vhdx_image *img, int status, vhdx_diag *diag);

/* image_write.c's batch state lives in image_log.c's per-image state (img->log, created on
 * demand); NULL only when out of memory. Freed through img_write_batch_free. */
struct img_wbatch;
struct img_wbatch **img_log_wbatch_slot(vhdx_image *img);
void img_write_batch_free(struct img_wbatch *wb);

/* Reads virtual bytes [off, off+len) of the parent chain (image_parent.c): bytes beyond
 * the parent's virtual size read as zeros; without a parent (VHDX_OPEN_NO_PARENT)
 * VHDX_E_PARENT_NOT_FOUND. */
int img_parent_read(vhdx_image *img, uint64_t off, uint8_t *buf, size_t len, vhdx_diag *diag);

/* Internal open with a findings sink (used by vhdx_open and vhdx_check). */
int img_open_sink(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                  const char *path, vhdx_sink *sink, vhdx_diag *diag);

#endif
