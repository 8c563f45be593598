/* SPDX-License-Identifier: Apache-2.0 */
/*
 * internal.h - shared helpers of libvhdx: explicit little-endian access, checked
 * arithmetic, the findings sink used by both open (stop at first fatal) and check
 * (collect everything).
 */
#ifndef VHDX_INTERNAL_H
#define VHDX_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "vhdx.h"
#include "api_abi.h"

#define KiB ((uint64_t)1024)
#define MiB ((uint64_t)1024 * 1024)
#define GiB ((uint64_t)1024 * 1024 * 1024)
#define TiB ((uint64_t)1024 * 1024 * 1024 * 1024)

#define VHDX_NO_OFFSET UINT64_MAX

/* ---- little-endian access: never cast a struct over input ---- */
static inline uint16_t vhdx_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t vhdx_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t vhdx_le64(const uint8_t *p)
{
    return (uint64_t)vhdx_le32(p) | ((uint64_t)vhdx_le32(p + 4) << 32);
}
static inline void vhdx_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void vhdx_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void vhdx_put64(uint8_t *p, uint64_t v)
{
    vhdx_put32(p, (uint32_t)v);
    vhdx_put32(p + 4, (uint32_t)(v >> 32));
}
static inline void vhdx_get_guid(vhdx_guid *g, const uint8_t *p) { memcpy(g->b, p, 16); }
static inline void vhdx_put_guid(uint8_t *p, const vhdx_guid *g) { memcpy(p, g->b, 16); }

/* 1 when buf[0..len) is all zero bytes */
static inline int vhdx_all_zero(const void *buf, size_t len)
{
    const uint8_t *p = buf;
    if (len == 0) return 1;
    return p[0] == 0 && memcmp(p, p + 1, len - 1) == 0;
}

/* ---- checked arithmetic ---- */
/* 1 when [off, off+len) lies within [0, limit), computed without overflow */
static inline int vhdx_range_ok(uint64_t off, uint64_t len, uint64_t limit)
{
    return off <= limit && len <= limit - off;
}
/* 1 when the two ranges overlap (len 0 never overlaps) */
static inline int vhdx_ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    if (alen == 0 || blen == 0) return 0;
    return a < b + blen && b < a + alen; /* callers pass ranges already bounded by 2^63 */
}
static inline int vhdx_mul_ok(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}
static inline int vhdx_add_ok(uint64_t a, uint64_t b, uint64_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
static inline int vhdx_is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
static inline uint64_t vhdx_div_round_up(uint64_t a, uint64_t b) { return a / b + (a % b != 0); }

/* ---- findings sink ----
 * Validators report every violation they find through a sink. The sink returns VHDX_OK to
 * continue validation or a status to stop (open's sink stops at the first finding whose
 * class is CORRUPT or worse and returns that code; check's sink records and continues). */
typedef struct vhdx_sink vhdx_sink;
struct vhdx_sink {
    int (*report)(vhdx_sink *s, int code, uint64_t offset, const char *field,
                  const char *detail, const char *src_file, int src_line);
    void *ctx;
};

/* Report a finding; evaluates to the sink's verdict (VHDX_OK = go on). A NULL sink stops
 * at every finding of class CORRUPT or worse and ignores deviations. */
int vhdx_sink_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                     const char *detail, const char *src_file, int src_line);
#define VHDX_REPORT(sink, code, off, field) \
    vhdx_sink_report((sink), (code), (off), (field), NULL, __FILE__, __LINE__)
#define VHDX_REPORTF(sink, code, off, field, detail) \
    vhdx_sink_report((sink), (code), (off), (field), (detail), __FILE__, __LINE__)
/* In a validator returning int: report and return if the sink says stop. */
#define VHDX_CHECK_REPORT(sink, code, off, field) do { \
        int vhdx_rc_ = VHDX_REPORT((sink), (code), (off), (field)); \
        if (vhdx_rc_ != VHDX_OK) return vhdx_rc_; \
    } while (0)

/* Record a failure in a diag (only the first one is kept). Returns code. */
int vhdx_diag_set(vhdx_diag *d, int code, uint64_t offset, const char *field,
                  const char *src_file, int src_line);
/* Stores errno e (when non-zero) with the failure `code` just recorded in d; returns code. */
int vhdx_diag_set_errno(vhdx_diag *d, int code, int e);
/* The allocator of alloc.c (vhdx_set_allocator); the library calls nothing else. */
/* io_file.c: kernel copies between file backends over regular files by one thread (a
 * parallel copy gives each thread its own): copy_file_range, or splice through the
 * copier's own pipe on ext2/3/4. Init before the first copy, close after the last. */
typedef struct vhdx_copier {
    int method;        /* how copies go, decided at the first one */
    int pipe[2];       /* splice: the pipe the bytes go through (-1 until needed) */
} vhdx_copier;
void vhdx_copier_init(vhdx_copier *c);
void vhdx_copier_close(vhdx_copier *c);
/* Copies len bytes of src at soff to dst at doff inside the kernel. VHDX_E_UNSUPPORTED
 * when src and dst are not both file backends over regular files, or when the kernel
 * refuses the pair (the caller then reads and writes the bytes from *done on); else
 * VHDX_OK, or VHDX_E_IO / VHDX_E_IO_EOF with errno set. *done: bytes copied before the
 * return. len 0 answers whether the pair could be copied. */
int vhdx_copier_copy(vhdx_copier *c, vhdx_io *dst, uint64_t doff, vhdx_io *src, uint64_t soff,
                     uint64_t len, uint64_t *done);
/* io_file.c: 1 when io's read_at and write_at may run in several threads at once (the
 * file backend; a caller's backend with VHDX_IO_CAP_CONCURRENT). */
int vhdx_io_concurrent(const vhdx_io *io);
/* io_file.c: a file backend (else nothing) starts the writeback of its dirty pages every
 * few MiB written from now on, for a caller that flushes at the end (vhdx_convert with
 * VHDX_CONVERT_SYNC): the disk writes while the copy goes on. */
void vhdx_io_file_write_behind(vhdx_io *io);

void *vhdx_malloc(size_t n);
void *vhdx_calloc(size_t n, size_t size);
void *vhdx_realloc(void *p, size_t n);
void vhdx_free(void *p);
#define VHDX_FAIL(diag, code, off, field) \
    vhdx_diag_set((diag), (code), (off), (field), __FILE__, __LINE__)

/* A sink that forwards the first fatal finding (class >= CORRUPT) into a diag and stops;
 * deviations are counted in `deviations` and otherwise ignored. */
typedef struct vhdx_diag_sink {
    vhdx_sink sink;
    vhdx_diag *diag;
    unsigned deviations;
} vhdx_diag_sink;
void vhdx_diag_sink_init(vhdx_diag_sink *ds, vhdx_diag *diag);

/* Fatal for open: class CORRUPT or worse. */
static inline int vhdx_status_is_fatal(int code)
{
    return code != VHDX_OK && vhdx_status_class(code) >= VHDX_CLASS_CORRUPT;
}

#endif
