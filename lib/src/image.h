/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image.h - image layer internals shared by image_*.c.
 *
 * The image layer is a one-way stack: each file calls only files of the groups above it
 * in this header (bottom of the stack first). The one edge back up is a parent open
 * (image_parent.c -> image_open.c): a parent open is an open. scripts/callgraph.sh checks
 * this. All allocation of the library happens in this layer, bounded by spec maxima and
 * by img->limits.
 *
 *   1 overlay, file I/O     image_overlay.c, image_io.c          (io_file.c, io_mem.c below),
 *                           image_probe.c (decodes structures over a vhdx_io, no image)
 *   2 BAT cache, headers    image_bat.c, image_header.c
 *   3 log, virtual reads    image_logscan.c, image_journal.c, image_vread.c
 *   4 block writes          image_write.c, image_locator.c (locator paths and rewrite),
 *                           image_space.c
 *   5 open                  image_open_state.c, image_batplace.c, image_open_hdr.c,
 *                           image_open_rtfind.c, image_open_region.c, image_open_meta.c, image_open_bat.c,
 *                           image_parent.c, image_open.c
 *   6 public operations     image_read.c, image_zero.c, image_status.c, image_info.c,
 *                           image_check.c, image_create.c, image_replay.c, api_log_ranges.c,
 *                           image_repair.c, image_repair_apply.c, image_convert.c,
 *                           image_commit.c, image_rebase.c, image_resize.c,
 *                           image_discard.c, image_compact.c
 */
#ifndef VHDX_IMAGE_H
#define VHDX_IMAGE_H

#include "fmt.h"

/* ==== the image ==== */

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

/* Journal writer session (image_journal.c). */
typedef struct img_journal {
    int session;                  /* LogGuid set by this open */
    int failed;                   /* a journal write failed: LogGuid stays set */
    vhdx_guid guid;
    uint64_t next_seq;
    uint32_t head_pos, head_len;  /* newest entry of the session */
} img_journal;

/* The parent locator as decoded once at open (image_open_meta.c); a value that could not
 * be read is absent (have_* 0, path ""). */
#define IMG_PL_NPATHS 3           /* relative_path, absolute_win32_path, volume_path */
typedef struct img_parent_loc {
    int have_linkage, have_linkage2;
    vhdx_guid linkage, linkage2;  /* parent_linkage, parent_linkage2 (R103) */
    char path[IMG_PL_NPATHS][VHDX_PL_MAX_STRING]; /* UTF-8, in resolution order */
} img_parent_loc;

struct img_overlay;  /* image_overlay.c */
struct img_wbatch;   /* image_write.c */

struct vhdx_image {
    vhdx_io *io;
    int own_io;                   /* 1: destroy io on close; 2: also free it */
    unsigned flags;               /* VHDX_OPEN_* */
    int writable;
    vhdx_limits limits;
    const vhdx_guid_gen *gen;
    char *path;                   /* file path when opened by path (parent resolution), or NULL */
    const char *parent_path_opt;  /* explicit parent (borrowed from opts during open) */

    uint64_t file_size;           /* logical size under a read-only replay overlay */
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
    img_parent_loc ploc;          /* its decoded form */

    /* BAT */
    img_bat_cache bat;
    vhdx_bat_counts counts;

    /* log */
    struct img_overlay *ov;       /* read-only replay (image_overlay.c), or NULL */
    uint64_t *replay_off, *replay_len; /* ranges the replay changed (image_logscan.c) */
    size_t replay_n;
    img_journal jr;               /* image_journal.c */
    int log_dirty_at_open;
    int log_replayed;             /* 1 in memory, 2 in place */
    uint64_t log_entries_replayed;

    /* writes */
    struct img_wbatch *wb;        /* pending metadata of a vhdx_write (image_write.c), or NULL */

    /* differencing */
    vhdx_image *parent;
    int chain_depth;              /* 1 = this image only */
};

/* ==== 1a. read-only replay overlay (image_overlay.c) ====
 * Owns img->ov: the file as a replay would leave it, in memory (sectors and zero ranges in
 * replay order). Pure memory, no I/O; bounded by limits.max_overlay_memory. */
int img_overlay_start(vhdx_image *img, vhdx_diag *diag); /* backend size = img->file_size */
int img_overlay_add_sector(vhdx_image *img, uint64_t off, const uint8_t *data, vhdx_diag *diag);
int img_overlay_add_zero(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag);
/* Sorts the sectors, keeps the newest per offset, drops those a later zero range covers. */
void img_overlay_finalize(vhdx_image *img);
/* Patch replayed sectors over a file read of [off, off+len). No-op without overlay. */
void img_overlay_apply(const vhdx_image *img, uint64_t off, uint8_t *buf, size_t len);
/* While an overlay is active, img->file_size is the LOGICAL file size (max(backend size,
 * head LastFileOffset, end of every replayed descriptor)); bytes at or beyond this size do
 * not exist in the backend and read as zeros before the overlay patches the buffer.
 * Without an overlay it returns img->file_size. */
uint64_t img_log_backend_size(const vhdx_image *img);
void img_overlay_free(vhdx_image *img);

/* ==== 1b. file I/O (image_io.c) ==== */

/* Reads file bytes; the read-only replay overlay is patched over the result.
 * VHDX_E_IO_EOF past end of file. */
int img_pread(vhdx_image *img, uint64_t off, void *buf, size_t len, vhdx_diag *diag);
/* Writes file bytes (writable images only); updates img->file_size when extending. */
int img_pwrite(vhdx_image *img, uint64_t off, const void *buf, size_t len, vhdx_diag *diag);
/* IMG_ZEROS zero bytes, a source for writes of zeros (no allocation per call) */
#define IMG_ZEROS (64u * 1024u)
extern const uint8_t img_zeros[IMG_ZEROS];
int img_fflush(vhdx_image *img, vhdx_diag *diag);
/* Sets the backend's file size (grows with zeros or shrinks); img->file_size follows.
 * VHDX_E_UNSUPPORTED when the backend cannot. */
int img_set_size(vhdx_image *img, uint64_t size, const char *field, vhdx_diag *diag);
/* New zeroed space of `size` bytes at the end of the file, 1 MiB aligned (not flushed). */
int img_alloc_space(vhdx_image *img, uint64_t size, uint64_t *off, vhdx_diag *diag);
/* Records a failed backend call: rc at off (field) with errno e (0: unknown). */
int img_io_fail_at(vhdx_diag *diag, int rc, uint64_t off, const char *field, int e,
                   const char *src_file, int src_line);
#define img_io_fail(diag, rc, off, field, e) \
    img_io_fail_at((diag), (rc), (off), (field), (e), __FILE__, __LINE__)

/* ==== 1c. data copy: lanes and worker pool (image_copy.c) ====
 * What vhdx_convert's copy of a raw destination needs below the image layer: a lane is
 * one thread's copy state (buffer, kernel copier, figures, diagnostics); the pool is a
 * fixed set of worker threads, each with its own lane, copying chunks of host files that
 * the caller (one thread, the only one using the image layer) hands it in order. */
#define CPY_CHUNK (1024u * 1024u) /* a chunk never crosses a multiple of it */
#define CPY_PAGE 4096u
#define CPY_MAX_THREADS 8u        /* workers of a pool at most */
typedef struct cpy_lane {
    vhdx_io *dst;                 /* raw destination */
    uint8_t *buf;                 /* CPY_CHUNK bytes */
    vhdx_copier cp;
    int offload;                  /* kernel copies still worth trying */
    int dst_failed;               /* the last failure was the destination's */
    uint64_t bytes_read, bytes_written, bytes_copied;
    vhdx_diag *diag;
} cpy_lane;
/* A lane writing into dst, its buffer allocated (VHDX_E_NOMEM). */
int cpy_lane_init(cpy_lane *l, vhdx_io *dst, vhdx_diag *diag);
void cpy_lane_free(cpy_lane *l);
/* A failure of dst's backend at off with errno e, recorded (l->dst_failed set). */
int cpy_dst_fail(cpy_lane *l, int rc, uint64_t off, int e);
/* p[0..n) written at off (every byte). */
int cpy_write(cpy_lane *l, uint64_t off, const uint8_t *p, size_t n);
/* The non-zero pages of p[0..n) written at off, coalesced; zero pages stay holes. */
int cpy_put_raw(cpy_lane *l, const uint8_t *p, size_t n, uint64_t off);
/* One chunk (n <= CPY_CHUNK bytes) of src at soff into the destination at doff: by the
 * kernel when both are files and its first page is not zero, else read and written
 * (cpy_put_raw). Uses src's read_at and the destination's write_at only. */
int cpy_chunk_raw(cpy_lane *l, vhdx_io *src, uint64_t soff, uint64_t doff, size_t n);

typedef struct cpy_pool cpy_pool;
/* Starts min(threads, CPY_MAX_THREADS) workers copying into dst (which must be
 * vhdx_io_concurrent); *out NULL when threads < 2 or no thread could be started (the
 * caller copies alone). VHDX_E_NOMEM. */
int cpy_pool_start(cpy_pool **out, vhdx_io *dst, unsigned threads, vhdx_diag *diag);
/* Queues a cpy_chunk_raw (src vhdx_io_concurrent); waits while the queue is full.
 * VHDX_OK, or the code of a failure of the pool (the caller stops). */
int cpy_pool_submit(cpy_pool *p, vhdx_io *src, uint64_t soff, uint64_t doff, size_t n);
/* Bytes of the chunks the workers completed so far. */
uint64_t cpy_pool_done(cpy_pool *p);
/* Waits for the queued chunks (rc VHDX_OK) or drops them (rc, the caller's own failure,
 * recorded in *cdiag), stops the workers, adds their figures to st, *done the bytes they
 * completed, and frees p. Returns the failure that comes first in source order (the
 * earliest failing chunk; the caller's after all it queued), its diagnostics in *diag
 * and st->dst_failed, or VHDX_OK: the error one thread copying alone would meet. */
int cpy_pool_finish(cpy_pool *p, int rc, const vhdx_diag *cdiag, int cdst_failed,
                    vhdx_convert_stats *st, vhdx_diag *diag, uint64_t *done);

/* ==== 2a. BAT cache (image_bat.c) ====
 * Owns img->bat: slots bounded by limits.max_bat_memory. */
int img_bat_cache_init(vhdx_image *img);
void img_bat_cache_free(vhdx_image *img);
/* BAT entry by index (bounded by geo.bat_entries; VHDX_E_RANGE otherwise). */
int img_bat_get(vhdx_image *img, uint64_t index, uint64_t *entry, vhdx_diag *diag);
/* Update the cached copy of an entry after it was written in place (no I/O). */
void img_bat_cache_set(vhdx_image *img, uint64_t index, uint64_t entry);

/* ==== 2b. header update (image_header.c) ====
 * Owns the header slots after open and the session GUID flags.
 * Header update (MS-VHDX 2.2.2.1): writes the non-current header with sequence + 1,
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
/* Header update that records a new log region (LogGuid stays as it is). */
int img_header_set_log(vhdx_image *img, uint64_t log_offset, uint32_t log_length,
                       vhdx_diag *diag);

/* No VHDX file needs to extend this far (64 TiB of payload plus its BAT, sector bitmaps,
 * metadata and a 4 GiB log stay far below): log descriptors must stay below it (D14) and
 * `check` reports a replay that would extend a file past it (VHDX_E_LIMIT_FILE_SIZE). */
#define IMG_MAX_FILE_SIZE ((uint64_t)1 << 47)

/* Lowest file byte a log entry may update: the first region table (header section before
 * it is never logged, D14). */
#define IMG_LOG_LOGGABLE_MIN (192u * 1024u)

/* ==== 3a. log scan and replay (image_logscan.c) ====
 * Owns img->replay_*. Called by open right after header selection, with LogGuid set and
 * the header's log fields already checked: finds the active sequence (2.3.2-2.3.3) and
 * replays it, in place for writable images (then clears LogGuid), else into the overlay. */
int img_log_replay(vhdx_image *img, vhdx_diag *diag);
/* File ranges the replay changed: up to max ranges into offs/lens (data sectors and zero
 * ranges, in replay order); returns the total number of ranges. */
size_t img_log_replay_ranges(const vhdx_image *img, uint64_t *offs, uint64_t *lens, size_t max);
void img_log_replay_free(vhdx_image *img);

/* ==== 3b. journal writer (image_journal.c) ==== Owns img->jr. */

/* Journaled metadata update: each element is one 4 KiB-aligned sector of the file (BAT,
 * metadata region, region table, sector bitmap). Writes one log entry, flushes, applies in
 * place, flushes. */
typedef struct img_meta_sector {
    uint64_t file_offset;         /* multiple of 4096 */
    const uint8_t *data;          /* 4096 bytes */
} img_meta_sector;
int img_log_write(vhdx_image *img, const img_meta_sector *sectors, size_t n, vhdx_diag *diag);
/* Clears LogGuid (header update) when this open's journal set one; vhdx_close calls it
 * to see the error, img_free again (then a no-op). */
int img_log_finish(vhdx_image *img, vhdx_diag *diag);
/* An image with LogLength 0 gets a log before its first journaled change: IMG_NEW_LOG
 * bytes of zeros at the end of the file (1 MiB aligned), flushed, then a header update
 * that records LogOffset/LogLength (headers are never logged; either header of the
 * update describes a valid file). No-op when the image has a log. */
#define IMG_NEW_LOG MiB
int img_log_ensure(vhdx_image *img, vhdx_diag *diag);

/* ==== 3c. virtual reads (image_vread.c) ==== */

/* VHDX_E_RANGE unless [off, off+len) lies within the virtual disk. */
int img_check_range(vhdx_image *img, uint64_t off, uint64_t len, vhdx_diag *diag);
/* BAT entry of payload block b. */
int img_block_entry(vhdx_image *img, uint64_t b, uint64_t *e, vhdx_diag *diag);
/* Virtual bytes [off, off+len) of this image (range-checked), through the parent chain. */
int img_vread(vhdx_image *img, uint64_t off, void *buf, size_t len, vhdx_diag *diag);
/* Read of a PARTIALLY_PRESENT block range through the sector bitmap. */
int img_read_partial(vhdx_image *img, uint64_t block, uint64_t off_in_block, uint8_t *buf,
                     size_t len, vhdx_diag *diag);
/* Virtual bytes [off, off+len) of the parent chain: bytes beyond the parent's virtual size
 * read as zeros; without a parent (VHDX_OPEN_NO_PARENT) VHDX_E_PARENT_NOT_FOUND. */
int img_parent_read(vhdx_image *img, uint64_t off, uint8_t *buf, size_t len, vhdx_diag *diag);

/* ==== 4. block writes (image_write.c) ==== Owns img->wb. */

/* Block allocation for a payload block that is not FULLY_PRESENT; called by vhdx_write.
 * Allocates at end of file (1 MiB aligned), writes data, journals the BAT. */
int img_write_unallocated(vhdx_image *img, uint64_t block, uint64_t off_in_block,
                          const uint8_t *buf, size_t len, vhdx_diag *diag);
/* Write batching: vhdx_write calls img_write_batch_begin before its block loop and
 * img_write_batch_end(status) after it (also on failure, passing the loop's status); every
 * img_write_unallocated in between is journaled in as few log entries as possible
 * (normally one) at batch end. Without begin, each call commits on its own.
 * img_write_batch_end returns status when it is an error, else the commit's status. */
int img_write_batch_begin(vhdx_image *img, vhdx_diag *diag); /* VHDX_E_NOMEM */
/* Marks payload block `block` PAYLOAD_BLOCK_ZERO (journaled like an allocation, batched
 * the same way); no-op when it already is. Never called for fixed images (footnote <6>). */
int img_zero_block(vhdx_image *img, uint64_t block, vhdx_diag *diag);
int img_write_batch_end(vhdx_image *img, int status, vhdx_diag *diag);
void img_write_batch_free(vhdx_image *img);
/* Batch access for the maintenance operations (an active batch is required, else
 * VHDX_E_INTERNAL). img_batch_sector: the pending image of the 4 KiB file sector at off,
 * read on first use, for the caller to change in place; img_batch_set_entry: BAT entry
 * index (< geo.bat_entries) with cache and counts; img_batch_room: sectors that may still
 * join the pending log entry (half the log); img_batch_commit: journal the pending sectors
 * now as one entry (the batch stays active). Everything pending between two commits is
 * one atomic change. */
int img_batch_sector(vhdx_image *img, uint64_t off, uint8_t **sec, vhdx_diag *diag);
int img_batch_set_entry(vhdx_image *img, uint64_t index, uint64_t entry, vhdx_diag *diag);
size_t img_batch_room(vhdx_image *img);
int img_batch_commit(vhdx_image *img, vhdx_diag *diag);

/* ==== 4b. file space map (image_space.c) ==== */
enum { IMG_EXT_FIXED = 0, IMG_EXT_PAYLOAD = 1, IMG_EXT_SB = 2 };
typedef struct img_extent {
    uint64_t start, end;          /* file bytes [start, end) */
    uint64_t index;               /* BAT index (payload or SB), 0 for fixed structures */
    int kind;                     /* IMG_EXT_* */
} img_extent;
typedef struct img_space { img_extent *v; size_t n, cap; } img_space;
/* Every used range of the file, sorted by start: header section, log, each usable region,
 * each block a BAT entry of the disk holds. *sp zeroed by the caller; freed on failure. */
int img_space_scan(vhdx_image *img, img_space *sp, vhdx_diag *diag);
void img_space_free(img_space *sp);
/* 1 when [start, end) overlaps a used range. */
int img_space_overlaps(const img_space *sp, uint64_t start, uint64_t end);
/* End of the highest used range. */
uint64_t img_space_end(const img_space *sp);

/* ==== 4b. parent locator (image_locator.c) ==== */

/* Absolute, normalised directory of path (the file itself need not exist); VHDX_E_NOT_FOUND
 * when it does not resolve, VHDX_E_CREATE_PARAM when too long. */
int img_abs_dir_of(const char *path, char *out, size_t outlen);
/* Locator values for a parent at parent_real (absolute, resolved): rel = relative_path from
 * child_path's directory ("" when child_path is NULL or it cannot be made), absw =
 * absolute_win32_path ("\\?\Z:" + the path with '\' separators). VHDX_E_CREATE_PARAM when
 * absw_len is too small. */
int img_locator_paths(const char *child_path, const char *parent_real, char *rel, size_t rel_len,
                      char *absw, size_t absw_len);
/* Rewrites the parent locator item of a writable differencing image through the log (one
 * entry: item and table sector): parent_linkage = *linkage, parent_linkage2 dropped; when
 * paths is non-NULL the three path keys become paths[k] (img_parent_loc order, NULL or ""
 * = absent); other keys are kept. img->locator, img->ploc and the table entry follow.
 * VHDX_E_LIMIT_METADATA when the item does not fit in the metadata region. */
int img_locator_rewrite(vhdx_image *img, const vhdx_guid *linkage, const char *const *paths,
                        vhdx_diag *diag);
/* The journaled write itself: item (len bytes, an encoded locator) replaces the parent
 * locator item (in place when it fits before the next item, else after the last one) in
 * one log entry with its table entry; img->locator and the table entry follow (not
 * img->ploc). VHDX_E_LIMIT_METADATA when it does not fit in the region. */
int img_locator_put(vhdx_image *img, const uint8_t *item, size_t len, vhdx_diag *diag);

/* ==== 5a. open state (image_open_state.c) ====
 * The findings sink every open step reports through; it forwards to the caller's sink. */

/* Optional hooks of an open (vhdx_check): progress over the BAT pages validated. */
typedef struct img_open_hooks {
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* Repair (image_repair.c): sees every finding with the image as far as it is read;
     * returning 1 marks the finding as one the caller will repair, so it does not fail
     * the open (the open is tolerant of it). NULL: every fatal finding fails the open. */
    int (*tolerate)(void *ctx, const vhdx_image *img, int code, uint64_t offset,
                    const char *detail);
    void *tolerate_ctx;
} img_open_hooks;

typedef struct img_open_state {
    vhdx_sink sink;               /* handed to every validator */
    vhdx_sink *inner;             /* caller's sink (NULL: stop at first fatal) */
    vhdx_diag *diag;
    int first_fatal;
    unsigned long nfatal;
    uint8_t seen[(VHDX_STATUS_COUNT + 7) / 8];
    const img_open_hooks *hooks;
    vhdx_image *img;
    uint64_t hdr_base;            /* file offset of the current header */
    uint64_t log_off, log_len;    /* usable log range (len 0: none) */
    uint64_t rt_base;             /* file offset of the region table copy in use */
    int bat_idx, md_idx;
} img_open_state;

void img_os_init(img_open_state *os, vhdx_image *img, vhdx_sink *inner, vhdx_diag *diag,
                 const img_open_hooks *hooks);
/* A structural stop: report (unless a validator already reported this code) and return
 * the code whatever the sink says. */
int img_os_stop(img_open_state *os, int code, uint64_t off, const char *field,
                const char *detail, const char *file, int line);
/* Forward a failure recorded in a local diag (log/parent helpers) as a finding. */
int img_os_stop_diag(img_open_state *os, int rc, const vhdx_diag *d, const char *file, int line);
/* img_pread; a failure is a structural stop. */
int img_os_read(img_open_state *os, uint64_t off, void *buf, size_t len, const char *field);
/* A finding: evaluates to the sink's verdict (VHDX_OK = go on). */
#define OS_NOTE(os, code, off, field, detail) \
    vhdx_sink_report(&(os)->sink, (code), (off), (field), (detail), __FILE__, __LINE__)
#define OS_STOP(os, code, off, field, detail) \
    img_os_stop((os), (code), (off), (field), (detail), __FILE__, __LINE__)

/* ==== 1b. probe (image_probe.c) ====
 * Best-effort decoding of the file type identifier, headers, region table, metadata table
 * and system items of an image that does not open, each on its own and unvalidated (for
 * vhdx_check's report). Fills *out (zeroed first); returns the VHDX_INFO_* parts decoded. */
unsigned img_probe(vhdx_io *io, vhdx_info *out);
/* Appends the entries of t to out->metadata (up to VHDX_MAX_INFO_METADATA); also used by
 * vhdx_get_info (image_info.c). */
void img_info_metadata(vhdx_info *out, const fmt_metadata_table *t);

/* ==== 5b. BAT placement (image_batplace.c) ====
 * Entry rules and block placement over any source of BAT bytes; no I/O of its own. */
typedef struct img_span { uint64_t start, end; } img_span;
typedef struct img_bat_layout {
    const fmt_geometry *geo;      /* bat_entries entries are checked */
    uint64_t file_size;           /* D12 */
    uint64_t bat_offset;          /* findings are reported at bat_offset + 8 * index */
    const img_span *fixed;        /* regions and log, [start, end), any order (R70/R32) */
    size_t nfixed;
    size_t max_records;           /* blocks held at once for the sweep (at least 3) */
} img_bat_layout;
#define IMG_BAT_RECORD_SIZE 16u   /* bytes per block held by the sweep */
/* Detail of an R70/R71 conflict between two blocks (later index first); repair reads both
 * indices back from it. */
#define IMG_BAT_CONFLICT_FMT "BAT entry %u conflicts with BAT entry %u"
typedef struct img_bat_reader {
    /* BAT bytes [pos, pos+len) relative to the BAT; a failure is returned as it is (the
     * reader reports it) */
    int (*read)(void *ctx, uint64_t pos, uint8_t *buf, size_t len);
    void *ctx;
    void (*progress)(void *ctx, uint64_t done, uint64_t total); /* first pass, or NULL */
    void *progress_ctx;
} img_bat_reader;
/* Reports every finding to sink (fmt_bat_entry_validate's R69/R72/R77/R78, R76, D12,
 * R70 against fixed structures and between blocks, R71); fills counts. Returns VHDX_OK,
 * the sink's stop verdict, the reader's failure, or VHDX_E_NOMEM (reported). */
int img_bat_placement(const img_bat_layout *l, const img_bat_reader *rd, vhdx_sink *sink,
                      vhdx_bat_counts *counts);

/* ==== 5c. open steps (image_open_hdr.c, image_open_region.c, image_open_meta.c,
 * image_open_bat.c), in file order ==== */
int img_step_fileid(img_open_state *os);
int img_step_headers(img_open_state *os);
int img_step_log(img_open_state *os);
int img_step_regions(img_open_state *os);
int img_step_metadata(img_open_state *os);
int img_step_bat(img_open_state *os);
/* A region entry whose placement can be checked (R29/R30 hold, below 2^62). */
static inline int img_region_usable(const fmt_region_entry *e)
{
    return e->file_offset % MiB == 0 && e->file_offset >= MiB && e->length % MiB == 0 &&
           e->length != 0 && e->file_offset < ((uint64_t)1 << 62);
}

/* Region table rebuild (image_open_rtfind.c), tried by a repair's open when neither copy
 * can be trusted: a table of the BAT and metadata regions found unambiguously in the file
 * (log and header section known), encoded into raw (VHDX_RT_SIZE bytes). VHDX_OK with
 * what was found in why; VHDX_E_RT_SIGNATURE with the reason (no candidate, or which
 * candidates) in why; VHDX_E_NOMEM. The detail of the region table findings then carries
 * IMG_RT_REBUILT or IMG_RT_NOT_REBUILT followed by why. */
#define IMG_RT_REBUILT "rebuilt: "
#define IMG_RT_NOT_REBUILT "not rebuilt: "
int img_rt_rebuild(img_open_state *os, uint8_t *raw, char *why, size_t cap);

/* ==== 5d. parent open (image_parent.c) ==== */

/* After BAT validation: resolves and opens the parent chain (img->parent); no-op without a
 * parent or with VHDX_OPEN_NO_PARENT. */
int img_parent_open(vhdx_image *img, vhdx_diag *diag);
/* The path the parent of a differencing image resolves to (explicit parent path, else the
 * locator's paths in order; no open): VHDX_E_PARENT_NOT_FOUND with the first path tried in
 * diag->detail. */
int img_parent_path(const vhdx_image *img, char *path, size_t pathlen, vhdx_diag *diag);
/* 1 when dw (a parent's DataWriteGuid) is img's parent_linkage or parent_linkage2 (R105). */
int img_parent_linked(const vhdx_image *img, const vhdx_guid *dw);

/* ==== 5e. open and close (image_open.c) ==== */

/* Every failure, also I/O and limits, is reported to `sink` as a finding; validation
 * continues after a finding when the sink says so and the structure allows it; the open
 * still fails when any fatal finding was reported. hooks may be NULL. own_io: 1 destroy
 * io on close, 2 also free it (taken also on failure). */
int img_open_ex(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                const char *path, vhdx_sink *sink, const img_open_hooks *hooks,
                vhdx_diag *diag);
/* img_open_ex on the file at path (read-write when opts say VHDX_OPEN_RDWR). */
int img_open_path(vhdx_image **out, const char *path, const vhdx_open_opts *opts,
                  vhdx_sink *sink, const img_open_hooks *hooks, vhdx_diag *diag);
/* Frees an image and its parent chain without flushing (vhdx_close flushes first). */
void img_free(vhdx_image *img);

/* ==== 6. repair (image_repair.c; vhdx_repair_apply in image_repair_apply.c) ==== */
#define IMG_REPAIR_MAX_LEFT 1024  /* damage findings kept in a plan */
#define IMG_REPAIR_MAX_DUPS 16    /* duplicated needed metadata items resolved */
typedef struct img_repair_ctx {
    vhdx_repair_plan *plan;
    size_t cap, leftcap;
    size_t left_dropped;
    int log_dirty;                /* I_LOG_DIRTY seen: the open replays */
    int nomem;
    /* R83 duplicates of a needed item: the later entry is dropped once both values are
     * found equal after the open */
    uint32_t dup_keep[IMG_REPAIR_MAX_DUPS], dup_drop[IMG_REPAIR_MAX_DUPS];
    size_t ndup;
    char rt_why[128];             /* why no region table could be rebuilt, or "" */
} img_repair_ctx;
/* The open of a repair (read-only for the plan, read-write to apply): findings an action
 * repairs become actions of rc->plan and do not fail the open; other error findings are
 * recorded as damage left. The image is opened without its parent. */
int img_repair_open(vhdx_io *io, const vhdx_repair_opts *o, int writable, img_repair_ctx *rc,
                    vhdx_image **out);
/* The whole plan (open, replay ranges, file extension, order, refusal); never writes. */
int img_repair_make_plan(vhdx_io *io, const vhdx_repair_opts *o, vhdx_repair_plan **out,
                         vhdx_diag *diag);

#endif
