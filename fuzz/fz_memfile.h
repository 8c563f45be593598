/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fz_memfile.h - the harnesses' memory-backed image file, its vhdx_io callbacks, the
 * compact segment encoding of whole images, the library-made template images, and the
 * pool of large buffers they all use.
 *
 * Crash injection is not here: a harness that simulates a crash wraps fz_file_io() in
 * faultio (conformance/support/faultio.h), the same wrapper the conformance crash tests use.
 */
#ifndef VHDX_FUZZ_MEMFILE_H
#define VHDX_FUZZ_MEMFILE_H

#include <stddef.h>
#include <stdint.h>

#include "vhdx.h"

/* Large scratch buffers, recycled across runs (fz_big_free, never free()). */
void *fz_big_alloc(size_t n);
void fz_big_free(void *p);

/* The library's allocator (fz_liballoc.c), for harnesses whose scripts make the library
 * allocate large per-call buffers: blocks of 96 KiB to 16 MiB are recycled (with ASan a
 * fresh mapping each otherwise), the sanitizers' view of them kept exact. install:
 * vhdx_set_allocator with these three functions, which also serve allocation-failure hooks
 * that wrap them (every block is freed by fz_liballoc_free, whoever allocated it). */
void fz_liballoc_install(void);
void *fz_liballoc_malloc(size_t n);
void *fz_liballoc_realloc(void *p, size_t n);
void fz_liballoc_free(void *p);

/* The file is `size` bytes; only [0, len) is materialised, the rest reads as zeros, so a
 * compact input can stand for a mostly empty multi-MiB image. Writes materialise up to
 * their end (bounded by max_size). */
typedef struct fz_file {
    uint8_t *data;            /* an anonymous mapping of max_size bytes, or NULL */
    uint8_t *dirty;           /* one mark per 64 KiB page written (see fz_memfile.c) */
    size_t len, cap;
    size_t zeroed;            /* bytes its mapping zeroed in place since it was last released */
    uint64_t size, max_size;
    int readonly;             /* writes and set_size fail and are counted in `writes` */
    unsigned long writes, flushes;
} fz_file;
void fz_file_init(fz_file *f, uint64_t max_size);
/* Copies bytes at `off` (grows len and size as needed). 0 on success, -1 over max_size. */
int fz_file_put(fz_file *f, uint64_t off, const void *buf, size_t n);
/* Zeroes [off, off+n) (grows len and size as needed); whole pages zeroed are clean again
 * (no longer marked as written). 0 on success, -1 over max_size. */
int fz_file_zero(fz_file *f, uint64_t off, size_t n);
/* dst (empty, initialised) becomes a copy of src's bytes and size; only pages src has
 * written are copied. 0 on success, -1 when src is larger than dst's max_size. */
int fz_file_copy(fz_file *dst, const fz_file *src);
/* Copies src[from, from+n) to dst at `to` (as fz_file_read + fz_file_put, without a
 * buffer: clean pages of src cost no copy). 0 on success, -1 over dst's max_size. */
int fz_file_copy_range(fz_file *dst, uint64_t to, const fz_file *src, uint64_t from, size_t n);
/* Writes f to a (sparse) file at path, size f->size. 0 on success, -1 on error. */
int fz_file_save(const char *path, const fz_file *f);
/* Changes the file size; bytes beyond a smaller size are dropped. Direct writes into
 * f->data are allowed only to pages already written (fz_file_put/copy mark them; non-zero
 * bytes are always on marked pages). */
void fz_file_set_size(fz_file *f, uint64_t size);
/* Materialises [0, end) (end <= size); 0 on success, -1 on allocation failure. */
int fz_file_ensure(fz_file *f, uint64_t end);
void fz_file_free(fz_file *f);
/* Fills io with callbacks over f (borrowed; io->destroy is NULL). */
void fz_file_io(vhdx_io *io, fz_file *f);
/* Initialises f (max_size) and creates an image in it through vhdx_create_io. Returns the
 * create status; f is freed when it is not VHDX_OK. */
int fz_file_create(fz_file *f, uint64_t max_size, const vhdx_create_params *p);
/* Byte at off as the library sees it (0 beyond len). */
uint8_t fz_file_byte(const fz_file *f, uint64_t off);
void fz_file_read(const fz_file *f, uint64_t off, uint8_t *buf, size_t n);

/* ---- compact image input (fuzz_open, seeds) ----
 * Segments { u32 LE file offset, u16 LE length, bytes } until the input ends; the file is
 * the segments over zeros, size rounded up to 1 MiB plus `extra_mib` MiB. Offsets are
 * clamped below FZ_IMAGE_MAX. */
#define FZ_IMAGE_MAX ((uint64_t)64 << 20)
void fz_image_from_segments(fz_file *f, const uint8_t *p, size_t n, unsigned extra_mib);
/* Encodes f[0..size) as segments (zero runs of >= 32 bytes dropped) into a malloc'ed
 * buffer after `prefix` (copied first); *out_len = bytes. NULL on allocation failure. */
uint8_t *fz_image_to_segments(const fz_file *f, const uint8_t *prefix, size_t prefix_len,
                              size_t *out_len);

/* Library-made template images (cached per process): a small image created through
 * vhdx_create_io with deterministic GUIDs. kind 0: dynamic 8 MiB, 1 MiB blocks, 512/4096;
 * kind 1: fixed 4 MiB, 1 MiB blocks, 4096/4096. Returns NULL if create fails (e.g. the
 * library is incomplete). */
const fz_file *fz_template(unsigned kind);

#endif
