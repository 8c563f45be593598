/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_roundtrip - the input drives create parameters (small sizes) and a script of
 * writes, flushes, reopens, reads and simulated crashes against a flat reference model.
 *
 * Input: byte 0: bit 0 dynamic (else fixed), bit 1 4096-byte logical sectors, bit 2
 * 512-byte physical sectors, bits 3-4 block size 1 MiB << v, bits 5-7 size (v + 1) MiB;
 * byte 1: extra logical sectors of size; then ops (while their costs are under RT_BUDGET:
 * up to 64 writes, at most 4 heavy ops; rt_op_cost), each an opcode byte:
 *   0-3 write  u32 offset, u16 length-1, u8 fill (0x00 fill writes zeros, else a ramp)
 *   4   flush
 *   5   close and reopen read-write
 *   6   read a range (u32 offset, u16 length-1) and compare with the model
 *   7   crash: u8 n, a write whose file writes fail after n (faultio, writes and size
 *       changes numbered); close; reopen (must replay)
 *   8   create probe: u8 type/flags, u64 size, u32 block, u32 lss, u32 pss, u32 log size,
 *       u8 creator length + bytes: any parameters, created through the library's memory
 *       backend (or by path when flag bit 2; bit 3 differencing on the fz_template(0)
 *       parent); VHDX_E_CREATE_PARAM/VHDX_E_NOT_FOUND are the only refusals
 *       allowed, and a created image must open and check conformant
 *   9   zero: u32 offset, u32 length (mod 3 MiB, + 1): vhdx_write_zeroes
 * An opcode byte >= 0xF0 (before the modulo 10 above) is an allocation failure: u8 n, u32
 *       offset, u16 length-1, u8 fill: a write during which the library's allocation
 *       1 + n % 64 fails (vhdx_set_allocator): VHDX_E_NOMEM or success; after a failure
 *       close succeeds and frees every block allocated since the write began, the image
 *       reopens, every byte of the write is old or new, the rest of the disk is unchanged
 *   9   (opcode bytes 0xE8-0xEF) damage and repair: u8 flags, u32 file offset, u8 xor: the
 *       image is closed, one file byte is xored (flag bit 2: in a header or region table,
 *       the same byte of the other copy too; flag bit 0: every checksum fixed after),
 *       then repaired with --allow-data-loss --fix-deviations (bit 1: a first repair
 *       crashes at its (u8 n)-th write or size change and a second one finishes)
 *   (opcode bytes 0xE0-0xE7) convert: u8 flags: the image as it is (open, maybe not
 *       flushed) converted by vhdx_convert into a new memory backend: bit 4 raw, else
 *       VHDX: bit 0 dynamic (else fixed), bit 1 4096-byte logical sectors, bits 2-3 block
 *       size 1 MiB << v, bit 5 VHDX_CONVERT_SYNC; bits 6-7: 1 (0x40) the source is the
 *       model's bytes in a raw file and the destination a file (kernel copy; once per
 *       input, later ones convert the image into memory), 2 (0x80)
 *       VHDX_CONVERT_SEQUENTIAL (refused with VHDX_E_MISUSE unless raw), 3 (0xC0) the
 *       source is the model as a stream; the result reads exactly as the model
 *       (zeros up to a rounded-up size), a VHDX one checks without error; the progress
 *       callback never goes back, and ends at the source's size (rt_progress_fn)
 *   (opcode bytes 0xD8-0xDF) commit: u8 flags, u8 n, then n (<= 4) child writes (u32 offset,
 *       u16 length-1, u8 fill): the image is closed and written to a file, a differencing
 *       child is created over it in memory (bit 0: 1 MiB blocks, else 2 MiB), takes the
 *       writes (fill 0x00: vhdx_write_zeroes) and is committed into the reopened image
 *       (bit 1: the child read-write, so it is re-linked too); the model takes the child's
 *       writes and the whole disk is compared with it. Bit 2: by path instead: the child
 *       file is rebased (vhdx_rebase_file) onto a copy of the image that took a write of
 *       its own bytes (bit 3: of other bytes, VHDX_REBASE_CONTENT), must read as before,
 *       and is committed by vhdx_commit_file (bit 1: VHDX_COMMIT_REMOVE) into that copy,
 *       which becomes the image (once per input, for the inputs sampled (rt_sampled salt
 *       7): otherwise, and later, the op commits in memory)
 * Opcode bytes 0xC0-0xD7 (before the modulo 10 above) are maintenance ops, by (byte - 0xC0) % 3:
 *   0   resize: u32 size (mod 16 MiB, rounded up to a logical sector), u8 flags (bit 0
 *       shrink, bit 1 allow data loss): a smaller size without bit 0 must be refused
 *       (VHDX_E_SHRINK_REFUSED); with bit 0 alone it is refused (VHDX_E_DATA_BEYOND_END)
 *       when the model has a non-zero byte past the new end, else either outcome; the
 *       model is cut or grown with zeros
 *   1   discard: u32 offset, u32 length (mod 3 MiB, + 1): the model reads zeros there
 *   2   compact: u8 flags (bit 0 --zeroes; refused with VHDX_E_UNSUPPORTED on a fixed
 *       image), then the whole disk is compared with the model
 * Variants (once per input each; other values of the same bytes keep their meaning):
 *   resize flags byte 0xB4-0xB7: big growth of an image of its own (rt_big_resize: BAT
 *       region grown in place, or moved with bit 0), reads compared, check clean;
 *   opcode byte 0xF7 (every time): the image reopened while allocation n fails
 *       (VHDX_E_NOMEM or success, nothing leaked), then the op's write as ops 0-3;
 *   create probe byte with bits 2, 6 and 7: refused file opens with their exact statuses
 *       (rt_file_refusals), then the probe;
 *   repair flags byte 0xA8-0xAF: repair of a differencing child whose locator has a plain
 *       drive path (rt_repair_diff; the main image is left as it is);
 *   crash op byte with bits 5-7 = 101: the crashed file's replay ranges and its replay by
 *       path (rt_replay_by_path) before the recovery's reopen;
 *   create probe byte with bits 4-6 set and bits 2 and 7 clear (every time): the same create
 *       again through the library's memory backend, vhdx_io_mem (probe_mem_backend);
 *   repair flags byte 0x90-0x97 (every time): instead of the byte, the file's size changes by
 *       (xor byte) * 512 bytes, cut when bit 1 of the xor byte is set, else grown with
 *       zeros: the plan extends it to a multiple of 1 MiB (rt_damage, rt_damage_repair);
 *   repair flags byte 0x98-0x9F (every time): instead of the byte, a metadata entry duplicated
 *       into a new last entry of the table with a copy of its value, or of another item's
 *       value of the same length when bit 1 of the xor byte is set (rt_md_duplicate).
 * Oracles: every read equals the model (at the end: the 64 KiB units written, or the whole disk
 * when (byte 0 ^ byte 1) % 8 == 0, or for a sample of the inputs whose script crashed,
 * repaired or committed by path); after a crash every byte of the interrupted
 * write is its old or its new value and everything else is unchanged; at the end the
 * image reopens read-only with exactly the model's content and `check` finds no error.
 * Repair (op 9): planning never writes; a refused repair writes nothing (the damage is
 * then undone); an applied one leaves an image that checks without error, plans nothing
 * more, and reads as the damaged image read (or, when that did not open, as the model)
 * outside the ranges the plan lists as lost, which read as zeros.
 * Sampling (issue 14: throughput; rt_sampled, fz_sampled in fuzz_common.h): the whole-disk
 * passes after a commit, compact or resize (otherwise the 64 KiB units written, and around
 * the old end of a resize), the repair's read-backs, check and second plan (otherwise the
 * repaired image must open, and the script goes on with the image from before the
 * damage), the check of a converted image, the commit op's by-path variant (otherwise
 * the op commits in memory) and the final whole-disk comparison asked for by the script
 * run for 1 input in FZ_SAMPLE_ONE_IN (the repair's: 1 in RT_REPAIR_ONE_IN), drawn from a
 * hash of the whole input; the replay driver and FZ_ALL_PASSES=1 run them for every input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "faultio.h"
#include "fuzz_common.h"

/* The selectors of the variants (header comment, "Variants"). Fixed: the committed corpus
 * depends on which byte values select what. */
#define RT_OP_NOMEM_OPEN 0xF7u /* opcode byte */
static int rt_variant_big_resize(unsigned resize_flags) { return (resize_flags & 0xFCu) == 0xB4u; }
static int rt_variant_file_refusals(unsigned probe_byte) { return (probe_byte & 0xC4u) == 0xC4u; }
static int rt_variant_repair_diff(unsigned repair_flags) { return (repair_flags & 0xF8u) == 0xA8u; }
static int rt_variant_replay_by_path(unsigned crash_byte) { return (crash_byte & 0xE0u) == 0xA0u; }
static int rt_variant_mem_backend(unsigned probe_byte) { return (probe_byte & 0xF4u) == 0x70u; }
static int rt_variant_repair_size(unsigned repair_flags) { return (repair_flags & 0xF8u) == 0x90u; }
static int rt_variant_md_duplicate(unsigned repair_flags) { return (repair_flags & 0xF8u) == 0x98u; }

/* Room in the model: resize (op 0xC0-0xD7, 0) sets sizes up to 16 MiB in place. */
#define RT_MODEL_MAX (16 * MiB)
/* The touched maps' unit: the oracles after an op compare the units it wrote (a write is
 * at most 64 KiB; a 1 MiB unit made every small write cost a MiB read and compare). */
#define RT_UNIT (64 * KiB)
#define RT_UNITS (RT_MODEL_MAX / RT_UNIT)

/* 1 input in this many takes the repair's sampled passes (rt_sampled salt 3) */
#define RT_REPAIR_ONE_IN 8u

typedef struct rt_state {
    fz_file file;
    vhdx_io io;               /* the file itself: create and the final check */
    faultio fio;              /* over io: every open goes through it (crash op 7) */
    fz_guid_state gs;
    vhdx_image *img;
    uint8_t *model;
    uint64_t vs;
    unsigned opens;
    /* the final reopen compares the 64 KiB units the script wrote (touched) or the whole
     * disk: full_check 2 (an input-decided 1 in 8), or 1 (set by the script) for a sample */
    int full_check;
    uint8_t touched[RT_UNITS];
    /* the by-path commit and file convert (fsyncs: slow) run once per input */
    int commit_by_path_done, convert_files_done;
    /* once per input: rt_big_resize, rt_file_refusals, rt_repair_diff, rt_replay_by_path */
    int big_resize_done, files_done, repair_diff_done, replay_file_done;
    uint64_t hash; /* fz_hash of the whole input: the sampled passes (rt_sampled) */
    int model_all; /* the model was replaced whole (not only in touched units): rt_model_put */
    uint64_t vs_max; /* the largest disk size of the input (the model's bytes in use) */
} rt_state;

/* Sampled whole-image passes (issue 14: throughput; fz_sampled): 1 input in
 * FZ_SAMPLE_ONE_IN takes each (salt 3, the repair's two whole-disk read-backs, check and
 * second plan, the costliest: 1 in RT_REPAIR_ONE_IN), every input in the replay driver
 * and with FZ_ALL_PASSES=1.
 * Salts: 1 the comparison after a commit, 2 after a compact, 3 the damaged disk's
 * read-back and the checks after a repair (unsampled: the repaired image must open, then
 * the script goes on with the image as it was before the damage), 4 the check of a
 * converted image, 5 the comparison after a resize, 7 the commit op's by-path variant
 * (rebase and commit through real files, fsyncs: ~10 ms; otherwise the op commits in
 * memory). */
static int rt_sampled(const rt_state *s, uint64_t salt)
{
    return fz_sampled(s->hash, salt, salt == 3 ? RT_REPAIR_ONE_IN : FZ_SAMPLE_ONE_IN);
}

/* Index of the first non-zero byte of p[0, n), or n (memcmp: no instrumented byte loop). */
static size_t rt_nonzero_at(const uint8_t *p, size_t n)
{
    if (n == 0 || (p[0] == 0 && memcmp(p, p + 1, n - 1) == 0)) return n;
    size_t i = 0;
    while (!p[i]) i++;
    return i;
}

/* Largest size of the memory files: the image file (and its copies, the raw source and
 * the destination of a convert), and a differencing child (commit, rt_repair_diff). */
#define RT_FILE_MAX (96 * MiB)
#define RT_CHILD_MAX (64 * MiB)

/* The model's buffer, one per process and all zero between inputs: an input starts from
 * zeros without a memset of the whole disk, and gives back the buffer with the units it
 * wrote (touched) zeroed, or all of it when the model was replaced whole. */
static uint8_t *rt_model_buf;

static uint8_t *rt_model_get(void)
{
    if (!rt_model_buf) rt_model_buf = calloc(1, RT_MODEL_MAX);
    return rt_model_buf;
}

static void rt_model_put(const uint8_t *touched, int all, uint64_t vs_max)
{
    for (size_t m = 0; m < RT_UNITS; m++)
        if ((all && m * RT_UNIT < vs_max) || touched[m]) memset(rt_model_buf + m * RT_UNIT, 0, RT_UNIT);
}

/* Marks the units of [off, off+len) in map (the model changed there). */
static void rt_mark(uint8_t *map, uint64_t off, uint64_t len)
{
    for (uint64_t m = off / RT_UNIT; len && m <= (off + len - 1) / RT_UNIT && m < RT_UNITS; m++) map[m] = 1;
}

static void rt_touch(rt_state *s, uint64_t off, uint64_t len)
{
    rt_mark(s->touched, off, len);
}

static int rt_open(rt_state *s, unsigned flags)
{
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    o.guid_gen = fz_guid_gen(&s->gs, 100 + s->opens++);
    o.flags |= flags;
    vhdx_diag_clear(&d);
    int rc = fz_rc(vhdx_open(&s->img, &s->fio.io, 0, &o, &d), "vhdx_open");
    if (rc != VHDX_OK)
        FZ_FAIL("image made by libvhdx does not open (%s at offset %llu, %s:%d)", vhdx_status_name(rc),
                (unsigned long long)d.offset, d.src_file ? d.src_file : "?", d.src_line);
    return rc;
}

/* Reads [off, off+len) 1 MiB at a time into one pooled buffer (no per-call allocation of
 * the whole range: under ASan that was a fresh mapping and its page faults every time). */
static void rt_compare(rt_state *s, uint64_t off, size_t len, const char *when)
{
    uint8_t *buf = fz_big_alloc(MiB);
    if (!buf) return;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < MiB ? len - done : MiB;
        uint64_t at0 = off + done;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        int rc = fz_rc(vhdx_read(s->img, at0, buf, n, &d), "vhdx_read");
        if (rc != VHDX_OK)
            FZ_FAIL("%s: read(%llu, %zu) failed: %s", when, (unsigned long long)at0, n, vhdx_status_name(rc));
        if (memcmp(buf, s->model + at0, n) != 0) {
            size_t at = 0;
            while (buf[at] == s->model[at0 + at]) at++;
            FZ_FAIL("%s: byte %llu reads %02x, model has %02x", when, (unsigned long long)(at0 + at), buf[at],
                    s->model[at0 + at]);
        }
        done += n;
    }
    fz_big_free(buf);
}

/* Compares with the model the runs of units of [0, vs) marked in map (every unit when
 * whole) and of [a, b), each run in one rt_compare. */
static void rt_compare_marked(rt_state *s, const uint8_t *map, int whole, uint64_t a, uint64_t b, const char *when)
{
    for (uint64_t off = 0; off < s->vs;) {
        uint64_t end = off;
        while (end < s->vs && (whole || end / RT_UNIT >= RT_UNITS || map[end / RT_UNIT] || (end + RT_UNIT > a && end < b)))
            end += RT_UNIT;
        if (end == off) {
            off += RT_UNIT;
            continue;
        }
        if (end > s->vs) end = s->vs;
        rt_compare(s, off, (size_t)(end - off), when);
        off = end;
    }
}

/* Create probe by path (flag bit 2): any parameters through vhdx_create, a differencing
 * child of the fz_template(0) parent with bit 3; a created file must open. */
static void probe_by_path(vhdx_create_params *p, unsigned t, fz_guid_state *gs, vhdx_diag *d)
{
    const char *dir = fz_tmpdir();
    char path[600];
    if (!dir) return;
    snprintf(path, sizeof path, "%s/created.vhdx", dir);
    unlink(path);
    char ppath[600];
    if (t & 8) {
        /* differencing child of the library-made template, written beside it */
        const fz_file *par = fz_template(0);
        snprintf(ppath, sizeof ppath, "%s/parent.vhdx", dir);
        if (!par || fz_file_save(ppath, par) != 0) return;
        p->type = VHDX_TYPE_DIFFERENCING;
        p->parent_path = (t & 16) ? "parent.vhdx" : ppath; /* relative: resolved from cwd */
        if (t & 32) p->virtual_size = 0;
    }
    int rc = fz_rc_allow(vhdx_create(path, p, d), VHDX_E_CREATE_PARAM, "vhdx_create(path)");
    if (rc != VHDX_OK && rc != VHDX_E_CREATE_PARAM && vhdx_status_class(rc) != VHDX_CLASS_IO && vhdx_status_class(rc) != VHDX_CLASS_LIMIT)
        FZ_FAIL("vhdx_create refused with %s", vhdx_status_name(rc));
    if (rc == VHDX_OK) {
        vhdx_image *img = NULL;
        vhdx_open_opts o;
        vhdx_open_opts_default(&o);
        o.guid_gen = fz_guid_gen(gs, 5);
        rc = fz_rc(vhdx_open_file(&img, path, &o, NULL), "vhdx_open_file(created)");
        if (rc != VHDX_OK) FZ_FAIL("created file does not open: %s", vhdx_status_name(rc));
        (void)fz_rc(vhdx_close(img), "vhdx_close");
    } else if (access(path, F_OK) == 0) {
        FZ_FAIL("refused create left a file behind");
    }
    unlink(path);
}

/* An image created in memory from probe parameters opens read-write, takes a write and
 * checks without error findings. */
static void probe_created_image(vhdx_io *io, const fz_file *f, fz_guid_state *gs)
{
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.guid_gen = fz_guid_gen(gs, 6);
    o.flags |= VHDX_OPEN_RDWR;
    int rc = fz_rc(vhdx_open(&img, io, 0, &o, NULL), "vhdx_open(created)");
    if (rc != VHDX_OK) FZ_FAIL("image created from probe parameters does not open: %s", vhdx_status_name(rc));
    vhdx_info info;
    if (fz_rc(vhdx_get_info(img, &info), "get_info") != VHDX_OK) FZ_FAIL("get_info failed");
    uint8_t sec[4096];
    memset(sec, 0xe7, sizeof sec);
    uint64_t off = info.virtual_size > sizeof sec ? (info.virtual_size / 2) / 4096 * 4096 : 0;
    size_t len = (size_t)(info.virtual_size - off < sizeof sec ? info.virtual_size - off : sizeof sec);
    rc = fz_rc(vhdx_write(img, off, sec, len, NULL), "vhdx_write(created)");
    if (rc != VHDX_OK && vhdx_status_class(rc) != VHDX_CLASS_LIMIT)
        FZ_FAIL("write to a created image failed: %s", vhdx_status_name(rc));
    (void)fz_rc(vhdx_close(img), "vhdx_close(created)");
    fz_use_u64(f->size + fz_file_byte(f, 0));
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    rc = fz_rc(vhdx_check(io, NULL, &co, &rep), "vhdx_check(created)");
    if (rc == VHDX_OK) {
        if (rep->errors) FZ_FAIL("check finds %zu errors in a created image (first %s)", rep->errors,
                                 vhdx_status_name(rep->findings[0].code));
        vhdx_report_free(rep);
    }
}

/* vhdx_open_file of path with flags fails with want, and with detail as its message
 * (NULL: any), and leaves no image. */
static void rt_refused_open(const char *path, unsigned flags, int want, const char *detail)
{
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    vhdx_diag_clear(&d);
    int rc = vhdx_open_file(&img, path, &o, &d);
    if (rc != want || img || (detail && strcmp(d.detail, detail) != 0))
        FZ_FAIL("open of %s: %s (%s), expected %s (%s)", path, vhdx_status_name(rc), d.detail,
                vhdx_status_name(want), detail ? detail : "-");
}

/* A second file backend on path (mode second) beside a first one (mode first) is
 * VHDX_E_LOCKED; beside a reader, so is a read-write vhdx_open_file. */
static void rt_locked(const char *path, int first, int second)
{
    vhdx_io a, b;
    if (vhdx_io_file_open(&a, path, first) != VHDX_OK) FZ_FAIL("open of %s failed", path);
    int rc = vhdx_io_file_open(&b, path, second);
    if (rc == VHDX_OK) vhdx_io_destroy(&b);
    if (rc != VHDX_E_LOCKED) FZ_FAIL("conflicting open of %s: %s, not VHDX_E_LOCKED", path, vhdx_status_name(rc));
    if (first == VHDX_IO_READ) rt_refused_open(path, VHDX_OPEN_RDWR, VHDX_E_LOCKED, NULL);
    vhdx_io_destroy(&a);
}

/* vhdx_create of path (dynamic, 8 MiB; differencing over parent when not NULL) fails with
 * want, and with detail as its message (NULL: any), and leaves no file at path. */
static void rt_refused_create(const char *path, const char *parent, int want, const char *detail)
{
    vhdx_create_params p;
    fz_guid_state gs;
    vhdx_diag d;
    struct stat before, after;
    vhdx_create_params_default(&p);
    p.virtual_size = 8 * MiB;
    p.guid_gen = fz_guid_gen(&gs, 7);
    if (parent) {
        p.type = VHDX_TYPE_DIFFERENCING;
        p.virtual_size = 0;
        p.parent_path = parent;
    }
    /* zeroed first: clang-14 MSan has no interceptor for glibc >= 2.33 lstat (as io_file.c) */
    memset(&before, 0, sizeof before);
    memset(&after, 0, sizeof after);
    const int existed = lstat(path, &before) == 0;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(path, &p, &d);
    if (rc != want || (detail && strcmp(d.detail, detail) != 0))
        FZ_FAIL("create of %s: %s (%s), expected %s (%s)", path, vhdx_status_name(rc), d.detail,
                vhdx_status_name(want), detail ? detail : "-");
    if (existed ? lstat(path, &after) != 0 || after.st_ino != before.st_ino || after.st_size != before.st_size
                : access(path, F_OK) == 0)
        FZ_FAIL("refused create of %s changed what is there", path);
}

/* Create probe byte with bits 2, 6 and 7 (once per input): file opens that are refused,
 * each with its documented status: a missing file VHDX_E_NOT_FOUND, a directory and a
 * FIFO VHDX_E_FILE_TYPE (the message names the path and its type), read-write without
 * lock VHDX_E_MISUSE, a writer beside a reader and a reader beside a writer
 * VHDX_E_LOCKED; the version and file type names are the documented texts. Creates that
 * are refused: over an existing file VHDX_E_EXISTS (file backend: VHDX_IO_CREATE without
 * VHDX_IO_RDWR is VHDX_E_MISUSE), in a missing folder VHDX_E_NOT_FOUND, a differencing
 * child of a directory VHDX_E_FILE_TYPE ("parent <path> is a directory"). */
static void rt_file_refusals(void)
{
    static const struct { unsigned mode; const char *name; } types[] = {
        { S_IFDIR, "is a directory" }, { S_IFIFO, "is a FIFO" }, { S_IFCHR, "is a character device" },
        { S_IFSOCK, "is a socket" }, { S_IFLNK, "is a symbolic link" }, { S_IFREG, "is a regular file" },
        { S_IFBLK, "is a block device" }, { 0, "is not a regular file" },
    };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(vhdx_file_type_name(types[i].mode), types[i].name) != 0) FZ_FAIL("file type name %zu", i);
    if (strcmp(vhdx_version(), VHDX_VERSION_STRING) != 0 || vhdx_version_number() != VHDX_VERSION_NUMBER)
        FZ_FAIL("library version %s, header %s", vhdx_version(), VHDX_VERSION_STRING);
    const char *dir = fz_tmpdir();
    char path[600], want[700];
    if (!dir) return;
    snprintf(want, sizeof want, "%s is a directory", dir);
    rt_refused_open(dir, 0, VHDX_E_FILE_TYPE, want);
    snprintf(path, sizeof path, "%s/missing.vhdx", dir);
    rt_refused_open(path, 0, VHDX_E_NOT_FOUND, path);
    rt_refused_open(path, VHDX_OPEN_RDWR | VHDX_OPEN_NO_LOCK, VHDX_E_MISUSE, NULL);
    snprintf(path, sizeof path, "%s/fifo", dir);
    unlink(path);
    if (mkfifo(path, 0600) == 0) {
        snprintf(want, sizeof want, "%s is a FIFO", path);
        rt_refused_open(path, 0, VHDX_E_FILE_TYPE, want);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/locked.bin", dir);
    FILE *fp = fopen(path, "wb");
    if (!fp) return;
    int ok = fputc(0, fp) == 0;
    if (fclose(fp) == 0 && ok) {
        rt_locked(path, VHDX_IO_READ, VHDX_IO_RDWR);
        rt_locked(path, VHDX_IO_RDWR, VHDX_IO_READ);
        vhdx_io io;
        int rc = vhdx_io_file_open(&io, path, VHDX_IO_RDWR | VHDX_IO_CREATE);
        if (rc == VHDX_OK) vhdx_io_destroy(&io);
        if (rc != VHDX_E_EXISTS) FZ_FAIL("exclusive create of %s: %s", path, vhdx_status_name(rc));
        rc = vhdx_io_file_open(&io, path, VHDX_IO_CREATE);
        if (rc == VHDX_OK) vhdx_io_destroy(&io);
        if (rc != VHDX_E_MISUSE) FZ_FAIL("read-only create of %s: %s", path, vhdx_status_name(rc));
        rt_refused_create(path, NULL, VHDX_E_EXISTS, path);
    }
    unlink(path);
    snprintf(path, sizeof path, "%s/missing/child.vhdx", dir);
    rt_refused_create(path, NULL, VHDX_E_NOT_FOUND, NULL);
    char *real = realpath(dir, NULL);
    if (real) {
        snprintf(path, sizeof path, "%s/child.vhdx", dir);
        unlink(path);
        snprintf(want, sizeof want, "parent %s is a directory", real);
        rt_refused_create(path, dir, VHDX_E_FILE_TYPE, want);
        free(real);
    }
}

/* The library's memory backend (vhdx_io_mem) of probe_mem_backend: at most this many bytes. */
#define RT_MEM_MAX (6 * MiB)

/* The memory backend's callbacks over a few bytes: a buffer is copied (its size the bound
 * when the bound given is smaller), writes past the bound fail with VHDX_E_IO, set_size
 * cuts; a NULL buffer with a length is VHDX_E_MISUSE, vhdx_io_mem_data of another backend
 * is NULL. */
static void rt_mem_contracts(vhdx_io *other)
{
    static const char text[] = "vhdx_io_mem_open";
    const uint8_t *bytes = (const uint8_t *)text;
    const size_t nb = sizeof text - 1;
    uint8_t b[16];
    vhdx_io m;
    size_t len = 1;
    uint64_t size = 0;
    if (vhdx_io_mem_open(&m, NULL, 1, 0) != VHDX_E_MISUSE) FZ_FAIL("vhdx_io_mem_open(NULL, 1) not refused");
    if (vhdx_io_mem_data(other, &len) != NULL || len != 0) FZ_FAIL("vhdx_io_mem_data of another backend");
    if (fz_rc(vhdx_io_mem_open(&m, bytes, nb, 0), "vhdx_io_mem_open(bytes)") != VHDX_OK) return;
    const uint8_t *d = vhdx_io_mem_data(&m, &len);
    if (!d || len != nb || memcmp(d, bytes, len) != 0) FZ_FAIL("memory backend: not a copy of its bytes");
    if (m.write_at(m.ctx, nb, bytes, 1) != VHDX_E_IO) FZ_FAIL("memory backend grew past its bound");
    if (m.set_size(m.ctx, 8) != VHDX_OK || m.get_size(m.ctx, &size) != VHDX_OK || size != 8 ||
        m.read_at(m.ctx, 0, b, 8) != VHDX_OK || memcmp(b, bytes, 8) != 0 || m.read_at(m.ctx, 4, b, 8) != VHDX_E_IO_EOF)
        FZ_FAIL("memory backend cut to 8 bytes");
    vhdx_io_destroy(&m);
}

/* The memory backend mio holds the same bytes as the sparse memory file pf. */
static void rt_mem_same(const vhdx_io *mio, const fz_file *pf, const char *what)
{
    size_t len = 0;
    const uint8_t *data = vhdx_io_mem_data(mio, &len);
    if (len != pf->size || !data)
        FZ_FAIL("%s holds %zu bytes, the memory file %llu", what, len, (unsigned long long)pf->size);
    uint8_t *b = fz_big_alloc(MiB);
    for (size_t at = 0; b && at < len; at += MiB) {
        size_t n = len - at < MiB ? len - at : MiB;
        fz_file_read(pf, at, b, n);
        if (memcmp(b, data + at, n) != 0) FZ_FAIL("%s: created images differ in [%zu, +%zu)", what, at, n);
    }
    fz_big_free(b);
}

/* Create probe byte with bits 4-6 set and bits 2 and 7 clear (in memory): the same
 * parameters and GUIDs created again through the library's memory backend bounded at
 * RT_MEM_MAX (vhdx_io_mem), without its set_size (the create then extends the file by
 * writing zeros): the same status as into the sparse memory file pf (rc) and the same
 * bytes when that image fits, else VHDX_E_IO (the backend does not grow past its bound);
 * the image opens read-only from it with pf's geometry and checks without error findings.
 * rt_mem_contracts beside. */
static void probe_mem_backend(const vhdx_create_params *p, unsigned t, vhdx_io *pio, const fz_file *pf, int rc)
{
    vhdx_create_params q = *p;
    fz_guid_state gs;
    vhdx_io mio, nio;
    rt_mem_contracts(pio);
    if (fz_rc(vhdx_io_mem_open(&mio, NULL, 0, RT_MEM_MAX), "vhdx_io_mem_open") != VHDX_OK) return;
    nio = mio;
    nio.set_size = NULL;
    q.guid_gen = fz_guid_gen(&gs, t);
    int mrc = fz_rc_allow(vhdx_create_io(&nio, &q, NULL), VHDX_E_CREATE_PARAM, "vhdx_create_io(mem)");
    const int fits = rc != VHDX_OK || pf->size <= RT_MEM_MAX;
    if (mrc != (fits ? rc : VHDX_E_IO))
        FZ_FAIL("create into the memory backend: %s, into the memory file: %s (%llu bytes)", vhdx_status_name(mrc),
                vhdx_status_name(rc), (unsigned long long)pf->size);
    if (mrc == VHDX_OK) {
        rt_mem_same(&nio, pf, "memory backend");
        vhdx_image *img = NULL;
        vhdx_open_opts o;
        vhdx_info a, c;
        vhdx_open_opts_default(&o);
        if (fz_rc(vhdx_open(&img, &nio, 0, &o, NULL), "vhdx_open(mem)") != VHDX_OK ||
            fz_rc(vhdx_get_info(img, &c), "get_info(mem)") != VHDX_OK)
            FZ_FAIL("created image does not open from the memory backend");
        (void)fz_rc(vhdx_close(img), "vhdx_close(mem)");
        img = NULL;
        if (fz_rc(vhdx_open(&img, pio, 0, &o, NULL), "vhdx_open(probe)") != VHDX_OK ||
            fz_rc(vhdx_get_info(img, &a), "get_info(probe)") != VHDX_OK)
            FZ_FAIL("created image does not open");
        (void)fz_rc(vhdx_close(img), "vhdx_close(probe)");
        if (a.virtual_size != c.virtual_size || a.block_size != c.block_size ||
            a.logical_sector_size != c.logical_sector_size || a.physical_sector_size != c.physical_sector_size)
            FZ_FAIL("the memory backend's image reads another geometry");
        vhdx_check_opts co;
        vhdx_report *rep = NULL;
        vhdx_check_opts_default(&co);
        if (fz_rc(vhdx_check(&nio, NULL, &co, &rep), "vhdx_check(mem)") == VHDX_OK) {
            if (rep->errors) FZ_FAIL("check finds %zu errors in the memory backend's image", rep->errors);
            vhdx_report_free(rep);
        }
    }
    vhdx_io_destroy(&mio);
}

static void create_probe(fz_in *in)
{
    char creator[64];
    vhdx_create_params p;
    fz_guid_state gs;
    vhdx_io io;
    vhdx_diag d;
    unsigned t = fz_u8(in);
    vhdx_create_params_default(&p);
    p.type = (vhdx_disk_type)(t & 1);
    p.virtual_size = fz_u64(in);
    p.block_size = fz_u32(in);
    p.logical_sector_size = fz_u32(in);
    p.physical_sector_size = fz_u32(in);
    p.log_size = fz_u32(in);
    size_t cl = fz_u8(in) % sizeof creator, got;
    const uint8_t *cp = fz_take(in, cl, &got);
    memcpy(creator, cp, got);
    creator[got] = 0;
    p.creator = (t & 2) ? creator : NULL;
    p.guid_gen = fz_guid_gen(&gs, t);
    /* keep the work bounded: fixed images are fully written */
    if (p.virtual_size > 64 * MiB && p.type == VHDX_TYPE_FIXED) p.virtual_size %= 64 * MiB;
    vhdx_diag_clear(&d);
    if (t & 4) {
        probe_by_path(&p, t, &gs, &d);
        return;
    }
    /* a sparse memory file (fz_memfile.h): a fixed image's payload of zeros costs nothing */
    fz_file pf;
    fz_file_init(&pf, 160 * MiB);
    fz_file_io(&io, &pf);
    int rc = fz_rc_allow(vhdx_create_io(&io, &p, &d), VHDX_E_CREATE_PARAM, "vhdx_create_io(probe)");
    if (rt_variant_mem_backend(t)) probe_mem_backend(&p, t, &io, &pf, rc);
    if (rc == VHDX_OK) {
        probe_created_image(&io, &pf, &gs);
    } else {
        char msg[512];
        vhdx_diag_format(&d, "probe", msg, sizeof msg);
        fz_use(msg, strnlen(msg, sizeof msg));
    }
    fz_file_free(&pf);
}

static void fill(uint8_t *p, size_t n, uint8_t f, uint64_t off)
{
    if (f == 0) { memset(p, 0, n); return; }
    /* the ramp repeats every 256 bytes: one period, then copies of what is filled */
    size_t k = n < 256 ? n : 256;
    for (size_t i = 0; i < k; i++) p[i] = (uint8_t)(f + (off + i) * 7u);
    for (; k < n; k *= 2) memcpy(p + k, p, n - k < k ? n - k : k);
}

/* op 0-3: a write that must succeed; the model follows it. */
static void rt_write(rt_state *s, uint64_t off, const uint8_t *wbuf, size_t len)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = fz_rc(vhdx_write(s->img, off, wbuf, len, &d), "vhdx_write");
    if (rc != VHDX_OK)
        FZ_FAIL("write(%llu, %zu) failed: %s (%s:%d)", (unsigned long long)off, len,
                vhdx_status_name(rc), d.src_file ? d.src_file : "?", d.src_line);
    memcpy(s->model + off, wbuf, len);
    rt_touch(s, off, len);
}

/* op 9: vhdx_write_zeroes (whole blocks become ZERO, up to 3 MiB); the model follows it. */
static void rt_zero(rt_state *s, uint64_t off, uint64_t len)
{
    if (len > s->vs - off) len = s->vs - off;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = fz_rc(vhdx_write_zeroes(s->img, off, len, &d), "vhdx_write_zeroes");
    if (rc != VHDX_OK)
        FZ_FAIL("write_zeroes(%llu, %llu) failed: %s (%s:%d)", (unsigned long long)off,
                (unsigned long long)len, vhdx_status_name(rc), d.src_file ? d.src_file : "?",
                d.src_line);
    memset(s->model + off, 0, (size_t)len);
    rt_touch(s, off, len);
}

/* The machine restarts after a crash: the file keeps what reached it, a fresh faultio. */
static void rt_restart(rt_state *s)
{
    faultio_settle(&s->fio, 0);
    faultio_free(&s->fio);
    faultio_init(&s->fio, &s->io);
    faultio_numbering(&s->fio, FAULTIO_NUMBER_WRITES_RESIZES);
}

/* vhdx_replay_file(path) as the harness may call it: the replay driver's builds link the real
 * libuuid and call the library's function itself; engine builds (libFuzzer, AFL++, OSS-Fuzz)
 * link uuid_stub.c, which aborts when a GUID is generated without the harness's
 * deterministic generator, and vhdx_replay_file takes none: there the same two opens
 * (read-only to see whether the log is dirty, then read-write to replay it) run with it. */
static int rt_replay_path(rt_state *s, const char *path, uint64_t *replayed)
{
    if (fz_all_passes) return vhdx_replay_file(path, replayed, NULL);
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    vhdx_info info;
    *replayed = 0;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_NO_PARENT | VHDX_OPEN_IGNORE_LINKAGE;
    int rc = vhdx_open_file(&img, path, &o, NULL);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_get_info(img, &info);
    (void)vhdx_close(img);
    img = NULL;
    if (rc != VHDX_OK || !info.log_dirty) return rc;
    o.flags |= VHDX_OPEN_RDWR;
    o.guid_gen = fz_guid_gen(&s->gs, 960 + s->opens++);
    rc = vhdx_open_file(&img, path, &o, NULL);
    if (rc != VHDX_OK) return rc;
    rc = vhdx_get_info(img, &info);
    if (rc == VHDX_OK) *replayed = info.log_entries_replayed;
    int cr = vhdx_close(img);
    return rc != VHDX_OK ? rc : cr;
}

static void rt_replay_by_path(rt_state *s);

/* op 7: the write during which the file's write or size change number `crash` + 1 from
 * now fails (and all I/O after it), then close, restart, reopen (replaying the log). Every byte
 * of the interrupted write is its old or its new value, everything else is unchanged.
 * 0 when out of memory (the script stops). */
static int rt_crash_write(rt_state *s, unsigned crash, int by_path, uint64_t off, const uint8_t *wbuf,
                          size_t len)
{
    uint8_t *old = malloc(len);
    if (!old) return 0;
    memcpy(old, s->model + off, len);
    faultio_arm(&s->fio, s->fio.ops + crash + 1, FAULTIO_STOP);
    if (!s->full_check) s->full_check = 1; /* a crash may reach beyond the write: compare everything at the end */
    (void)fz_rc(vhdx_write(s->img, off, wbuf, len, NULL), "vhdx_write(crashing)");
    (void)fz_rc(vhdx_close(s->img), "vhdx_close(crashing)");
    s->img = NULL;
    rt_restart(s);
    if (by_path && !s->replay_file_done) rt_replay_by_path(s);
    rt_open(s, VHDX_OPEN_RDWR);
    uint8_t *now = malloc(len);
    if (now) {
        int rc = fz_rc(vhdx_read(s->img, off, now, len, NULL), "vhdx_read(after crash)");
        if (rc != VHDX_OK) FZ_FAIL("read after crash recovery failed: %s", vhdx_status_name(rc));
        /* byte by byte only where the write neither happened nor did not (memcmp first) */
        int whole = memcmp(now, wbuf, len) == 0 || memcmp(now, old, len) == 0;
        for (size_t i = 0; !whole && i < len; i++)
            if (now[i] != old[i] && now[i] != wbuf[i])
                FZ_FAIL("after a crash, byte %llu is %02x: neither old %02x nor new %02x",
                        (unsigned long long)(off + i), now[i], old[i], wbuf[i]);
        memcpy(s->model + off, now, len);
        rt_touch(s, off, len);
        free(now);
    }
    free(old);
    if (off) rt_compare(s, 0, (size_t)(off < 65536 ? off : 65536), "after crash (before)");
    if (off + len < s->vs) {
        uint64_t rest = s->vs - (off + len);
        rt_compare(s, off + len, (size_t)(rest < 65536 ? rest : 65536), "after crash (after)");
    }
    return 1;
}

/* Allocation failure (op byte >= 0xF0): the Nth allocation of the library fails. The hook
 * also records every block allocated through it and not yet freed (live), so blocks
 * allocated during a failed write that survive the image's close are found: a leak on an
 * error path, reported by the harness itself and not only by LSan at exit. */
typedef struct rt_alloc {
    unsigned long calls, fail_at;
    int failed;
    void **live;
    size_t nlive, cap;
} rt_alloc;

static void rt_live_add(rt_alloc *a, void *p)
{
    if (!p) return;
    if (a->nlive == a->cap) {
        size_t cap = a->cap ? a->cap * 2 : 64;
        void **l = realloc(a->live, cap * sizeof *l);
        if (!l) FZ_FAIL("out of memory in the harness");
        a->live = l;
        a->cap = cap;
    }
    a->live[a->nlive++] = p;
}

static void rt_live_del(rt_alloc *a, void *p)
{
    for (size_t i = a->nlive; p && i-- > 0;)
        if (a->live[i] == p) {
            a->live[i] = a->live[--a->nlive];
            return;
        }
}

static void *rt_malloc(void *ctx, size_t n)
{
    rt_alloc *a = ctx;
    if (++a->calls == a->fail_at) {
        a->failed = 1;
        return NULL;
    }
    void *p = fz_liballoc_malloc(n);
    rt_live_add(a, p);
    return p;
}

static void *rt_realloc(void *ctx, void *p, size_t n)
{
    rt_alloc *a = ctx;
    if (++a->calls == a->fail_at) {
        a->failed = 1;
        return NULL;
    }
    void *q = fz_liballoc_realloc(p, n);
    if (q || n == 0) rt_live_del(a, p);
    rt_live_add(a, q);
    return q;
}

static void rt_free_fn(void *ctx, void *p)
{
    rt_live_del(ctx, p);
    fz_liballoc_free(p);
}

/* A write during which allocation n fails: it returns VHDX_E_NOMEM (or succeeds when it
 * needed fewer allocations). After a failure: the image closes (still through the hook,
 * which no longer fails) leaving no block allocated since the write began, reopens, every
 * byte of the write is its old or its new value, and the final reopen compares the whole
 * disk with the model (nothing else changed) and checks it without error. */
static int rt_nomem_write(rt_state *s, unsigned n, uint64_t off, const uint8_t *wbuf, size_t len)
{
    rt_alloc a = { 0, n, 0, NULL, 0, 0 };
    vhdx_allocator al = { rt_malloc, rt_realloc, rt_free_fn, &a };
    vhdx_set_allocator(&al);
    int rc = fz_rc(vhdx_write(s->img, off, wbuf, len, NULL), "vhdx_write(nomem)");
    if (!a.failed) {
        fz_liballoc_install();
        free(a.live);
        if (rc != VHDX_OK) FZ_FAIL("write failed without an allocation failure: %s", vhdx_status_name(rc));
        memcpy(s->model + off, wbuf, len);
        rt_touch(s, off, len);
        return 1;
    }
    if (rc != VHDX_E_NOMEM && rc != VHDX_OK)
        FZ_FAIL("allocation %u failed, write returned %s, not VHDX_E_NOMEM", n, vhdx_status_name(rc));
    int crc = fz_rc(vhdx_close(s->img), "vhdx_close(after nomem)");
    s->img = NULL;
    fz_liballoc_install();
    size_t leaked = a.nlive;
    free(a.live);
    if (crc != VHDX_OK) FZ_FAIL("close after a failed allocation returned %s", vhdx_status_name(crc));
    if (leaked) FZ_FAIL("%zu blocks allocated during the failed write survive vhdx_close", leaked);
    if (!s->full_check) s->full_check = 1;
    rt_touch(s, off, len);
    rt_open(s, VHDX_OPEN_RDWR);
    uint8_t *now = malloc(len);
    if (!now) return 0;
    rc = fz_rc(vhdx_read(s->img, off, now, len, NULL), "vhdx_read(after nomem)");
    if (rc != VHDX_OK) FZ_FAIL("read after a failed allocation failed: %s", vhdx_status_name(rc));
    int whole = memcmp(now, wbuf, len) == 0 || memcmp(now, s->model + off, len) == 0;
    for (size_t i = 0; !whole && i < len; i++)
        if (now[i] != s->model[off + i] && now[i] != wbuf[i])
            FZ_FAIL("after a failed allocation, byte %llu is %02x: neither old %02x nor new %02x",
                    (unsigned long long)(off + i), now[i], s->model[off + i], wbuf[i]);
    memcpy(s->model + off, now, len);
    free(now);
    return 1;
}

/* Allocation failure during open (opcode byte 0xF7): the image is closed and reopened
 * read-write while allocation n fails: VHDX_E_NOMEM (no block left allocated) or success;
 * then it reopens normally and the script's write (the op's bytes) follows. The final
 * reopen compares the whole disk (nothing changed). */
static void rt_nomem_open(rt_state *s, unsigned n)
{
    int rc = fz_rc(vhdx_close(s->img), "vhdx_close");
    s->img = NULL;
    if (rc != VHDX_OK) FZ_FAIL("close failed: %s", vhdx_status_name(rc));
    rt_alloc a = { 0, n, 0, NULL, 0, 0 };
    vhdx_allocator al = { rt_malloc, rt_realloc, rt_free_fn, &a };
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.guid_gen = fz_guid_gen(&s->gs, 100 + s->opens++);
    o.flags |= VHDX_OPEN_RDWR;
    vhdx_set_allocator(&al);
    rc = fz_rc(vhdx_open(&s->img, &s->fio.io, 0, &o, NULL), "vhdx_open(nomem)");
    a.fail_at = 0; /* the close does not fail */
    if (rc == VHDX_OK) {
        (void)fz_rc(vhdx_close(s->img), "vhdx_close(nomem)");
        s->img = NULL;
    }
    fz_liballoc_install();
    size_t leaked = a.nlive;
    free(a.live);
    if (rc != (a.failed ? VHDX_E_NOMEM : VHDX_OK))
        FZ_FAIL("open with allocation %u failing (%s): %s", n, a.failed ? "failed" : "not reached", vhdx_status_name(rc));
    if (s->img || leaked) FZ_FAIL("%zu blocks allocated during open survive", leaked);
    if (!s->full_check) s->full_check = 1;
    rt_open(s, VHDX_OPEN_RDWR);
}

/* op 9 helpers: the disk as the (damaged) file reads, or 0 when it does not open. */
static int rt_read_disk(rt_state *s, uint8_t *out)
{
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    if (fz_rc(vhdx_open(&img, &s->io, 0, &o, NULL), "vhdx_open(damaged)") != VHDX_OK) return 0;
    int rc = fz_rc(vhdx_read(img, 0, out, (size_t)s->vs, NULL), "vhdx_read(damaged)");
    (void)fz_rc(vhdx_close(img), "vhdx_close(damaged)");
    return rc == VHDX_OK;
}

static vhdx_repair_plan *rt_plan(rt_state *s, const vhdx_repair_opts *o, const char *when)
{
    vhdx_repair_plan *p = NULL;
    unsigned long w0 = s->file.writes;
    s->file.readonly = 1;
    int rc = fz_rc(vhdx_repair_plan_create(&s->io, o, &p, NULL), "vhdx_repair_plan_create");
    s->file.readonly = 0;
    if (s->file.writes != w0) FZ_FAIL("%s: planning a repair wrote", when);
    if (rc != VHDX_OK && vhdx_status_class(rc) != VHDX_CLASS_LIMIT && vhdx_status_class(rc) != VHDX_CLASS_NOMEM)
        FZ_FAIL("%s: repair plan failed: %s", when, vhdx_status_name(rc));
    /* every action's kind has its documented name (vhdx.h, vhdx_repair_kind) */
    static const char *const kinds[] = { "header", "region_table", "log_replay", "metadata_entry", "bat_entry",
                                         "file_extend", "region_required", "bat_offset", "parent_path" };
    for (size_t i = 0; p && i < p->count; i++) {
        int k = (int)p->actions[i].kind;
        if (k < 0 || (size_t)k >= sizeof kinds / sizeof kinds[0] || strcmp(vhdx_repair_kind_name(k), kinds[k]) != 0)
            FZ_FAIL("%s: action %zu of kind %d named %s", when, i, k, vhdx_repair_kind_name(k));
    }
    return p;
}

/* After an applied repair: no error, nothing more to plan, the reference content outside
 * the lost ranges (which read as zeros); the model becomes the repaired disk. */
static void rt_zero_lost(rt_state *s, const vhdx_repair_plan *p, uint8_t *ref)
{
    for (size_t i = 0; p && i < p->count; i++) {
        const vhdx_repair_action *a = &p->actions[i];
        if (!a->lost_length) continue;
        if (a->lost_offset > s->vs || a->lost_length > s->vs - a->lost_offset)
            FZ_FAIL("lost range outside the disk");
        if (ref) memset(ref + a->lost_offset, 0, (size_t)a->lost_length);
    }
}

/* dry: the plan before an interrupted repair (its lost ranges count too), or NULL. ref:
 * the damaged disk as it read, or NULL where that sampled pass (rt_sampled salt 3) does
 * not run: then neither do the check, the second plan and the read-back; the repaired
 * image must still open (the caller then puts back the image from before the damage). */
static void rt_repaired(rt_state *s, const vhdx_repair_opts *o, const vhdx_repair_plan *p,
                        const vhdx_repair_plan *dry, uint8_t *ref)
{
    vhdx_report *rep = NULL;
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    if (!ref) {
        vhdx_image *img = NULL;
        vhdx_open_opts oo;
        rt_zero_lost(s, p, NULL);
        rt_zero_lost(s, dry, NULL);
        vhdx_open_opts_default(&oo);
        if (fz_rc(vhdx_open(&img, &s->io, 0, &oo, NULL), "vhdx_open(repaired)") != VHDX_OK)
            FZ_FAIL("repaired image does not open");
        (void)fz_rc(vhdx_close(img), "vhdx_close(repaired)");
        return;
    }
    if (fz_rc(vhdx_check(&s->io, NULL, &co, &rep), "vhdx_check(repaired)") == VHDX_OK) {
        if (rep->errors) FZ_FAIL("check finds %zu errors after repair (first %s)", rep->errors,
                                 vhdx_status_name(rep->findings[0].code));
        vhdx_report_free(rep);
    }
    vhdx_repair_plan *again = rt_plan(s, o, "after repair");
    if (again && (again->count || again->refused))
        FZ_FAIL("repair is not idempotent: %zu more actions (first %s)", again->count,
                again->count ? vhdx_repair_kind_name((int)again->actions[0].kind) : "-");
    vhdx_repair_plan_free(again);
    rt_zero_lost(s, p, ref);
    rt_zero_lost(s, dry, ref);
    s->model_all = 1;
    if (!rt_read_disk(s, s->model)) FZ_FAIL("repaired image does not open");
    if (!s->full_check) s->full_check = 1; /* the repaired disk is the model now */
    if (memcmp(s->model, ref, (size_t)s->vs) != 0) {
        size_t at = 0;
        while (s->model[at] == ref[at]) at++;
        FZ_FAIL("after repair, byte %zu reads %02x, expected %02x", at, s->model[at], ref[at]);
    }
}

/* The same byte of the other copy of a duplicated structure, or 0 outside them, each copy
 * in a 64 KiB slot: [MS-VHDX 2.2] the headers at 64 and 128 KiB, [MS-VHDX 2.2.3] R23 the
 * region tables at 192 and 256 KiB. */
static uint64_t rt_twin(uint64_t off)
{
    static const uint64_t copies[2][2] = { { VHDX_HEADER1_OFFSET, VHDX_HEADER2_OFFSET },
                                           { VHDX_RT1_OFFSET, VHDX_RT2_OFFSET } };
    const uint64_t slot = 64 * KiB;
    for (int i = 0; i < 2; i++) {
        if (off - copies[i][0] < slot) return off - copies[i][0] + copies[i][1];
        if (off - copies[i][1] < slot) return off - copies[i][1] + copies[i][0];
    }
    return 0;
}

/* The first place in p[0, n) where ascii stands as UTF-16LE, or NULL. */
static const uint8_t *rt_find16(const uint8_t *p, size_t n, const char *ascii)
{
    uint8_t pat[64];
    size_t k = strlen(ascii);
    if (!p || 2 * k > sizeof pat) return NULL;
    for (size_t j = 0; j < k; j++) {
        pat[2 * j] = (uint8_t)ascii[j];
        pat[2 * j + 1] = 0;
    }
    return memmem(p, n, pat, 2 * k);
}

/* rt_repair_diff's checks of the child cf (on cio) whose locator was made plain: plan,
 * apply, plan again, the prefix, and its virtual disk against ref (vs bytes). */
static void rt_repair_child(rt_state *s, fz_file *cf, vhdx_io *cio, const char *ppath, const uint8_t *ref,
                            uint64_t vs)
{
    vhdx_repair_opts o;
    vhdx_repair_opts_default(&o);
    o.flags = VHDX_REPAIR_ALLOW_DATA_LOSS | VHDX_REPAIR_FIX_DEVIATIONS;
    o.parent_path = ppath;
    o.guid_gen = fz_guid_gen(&s->gs, 990 + s->opens++);
    vhdx_repair_plan *p = NULL;
    int rc = fz_rc(vhdx_repair_plan_create(cio, &o, &p, NULL), "vhdx_repair_plan_create(child)");
    if (rc != VHDX_OK || p->refused || p->count != 1 || p->actions[0].kind != VHDX_REPAIR_PARENT_PATH)
        FZ_FAIL("plan for a plain drive path: %s, %zu actions", vhdx_status_name(rc), rc == VHDX_OK ? p->count : 0);
    vhdx_repair_plan_free(p);
    p = NULL;
    rc = fz_rc(vhdx_repair_apply(cio, &o, &p, NULL), "vhdx_repair_apply(child)");
    if (rc != VHDX_OK || p->refused) FZ_FAIL("repair of a plain drive path: %s", vhdx_status_name(rc));
    vhdx_repair_plan_free(p);
    p = NULL;
    rc = fz_rc(vhdx_repair_plan_create(cio, &o, &p, NULL), "vhdx_repair_plan_create(repaired child)");
    if (rc != VHDX_OK || p->count || p->refused) FZ_FAIL("repaired child plans more: %s", vhdx_status_name(rc));
    vhdx_repair_plan_free(p);
    if (!rt_find16(cf->data, cf->len, "\\\\?\\Z:\\x\\x\\")) FZ_FAIL("the repaired locator lacks the prefix");
    vhdx_image *img = NULL;
    vhdx_open_opts oo;
    vhdx_open_opts_default(&oo);
    oo.parent_path = ppath;
    rc = fz_rc(vhdx_open(&img, cio, 0, &oo, NULL), "vhdx_open(repaired child)");
    if (rc != VHDX_OK) FZ_FAIL("repaired child does not open: %s", vhdx_status_name(rc));
    uint8_t *got = fz_big_alloc((size_t)vs);
    if (got && (fz_rc(vhdx_read(img, 0, got, (size_t)vs, NULL), "vhdx_read(repaired child)") != VHDX_OK ||
                memcmp(got, ref, (size_t)vs) != 0))
        FZ_FAIL("repaired child reads otherwise");
    fz_big_free(got);
    (void)fz_rc(vhdx_close(img), "vhdx_close(repaired child)");
}

/* Repair of a differencing image (repair flags byte 0xA8-0xAF, once per input): a child
 * of the fz_template(0) parent (a file) made in a sparse memory file, its locator's
 * absolute_win32_path "\\?\Z:\..." rewritten in place as Hyper-V's plain "Z:\x\x\..."
 * (R108, a deviation), is repaired with its parent given: the plan is the one PARENT_PATH
 * deviation; once it is applied the locator holds the prefixed path, nothing more is
 * planned, and the child (with flag bit 0 a sector written first) reads as its parent plus
 * that sector after its reopen with the parent. */
static void rt_repair_diff(rt_state *s, unsigned fl)
{
    const char *dir = fz_tmpdir();
    const fz_file *par = fz_template(0);
    char ppath[600];
    s->repair_diff_done = 1;
    if (!dir || !par) return;
    snprintf(ppath, sizeof ppath, "%s/repair-parent.vhdx", dir);
    if (fz_file_save(ppath, par) != 0) return;
    vhdx_open_opts oo;
    vhdx_image *img = NULL, *c = NULL;
    vhdx_info info;
    vhdx_open_opts_default(&oo);
    int rc = fz_rc(vhdx_open_file(&img, ppath, &oo, NULL), "vhdx_open_file(template)");
    if (rc != VHDX_OK || fz_rc(vhdx_get_info(img, &info), "get_info") != VHDX_OK) FZ_FAIL("template: %s", vhdx_status_name(rc));
    uint8_t *ref = fz_big_alloc((size_t)info.virtual_size);
    if (ref && fz_rc(vhdx_read(img, 0, ref, (size_t)info.virtual_size, NULL), "vhdx_read(template)") != VHDX_OK)
        FZ_FAIL("template does not read");
    (void)fz_rc(vhdx_close(img), "vhdx_close(template)");
    fz_file cf;
    vhdx_io cio;
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.parent_path = ppath;
    p.guid_gen = fz_guid_gen(&s->gs, 980 + s->opens);
    if (ref && fz_rc(fz_file_create(&cf, RT_CHILD_MAX, &p), "create(child)") == VHDX_OK) {
        fz_file_io(&cio, &cf);
        if (fl & 1) {
            /* a sector of the child's own, written through its parent */
            uint8_t sec[512];
            fill(sec, sizeof sec, 0x6b, 0);
            oo.flags = VHDX_OPEN_RDWR;
            oo.parent_path = ppath;
            oo.guid_gen = fz_guid_gen(&s->gs, 981 + s->opens++); /* never libuuid in a fuzz target */
            rc = fz_rc(vhdx_open(&c, &cio, 0, &oo, NULL), "vhdx_open(child)");
            if (rc == VHDX_OK) rc = fz_rc(vhdx_write(c, 0, sec, sizeof sec, NULL), "vhdx_write(child)");
            if (c) (void)fz_rc(vhdx_close(c), "vhdx_close(child)");
            if (rc != VHDX_OK) FZ_FAIL("child write: %s", vhdx_status_name(rc));
            memcpy(ref, sec, sizeof sec);
        }
        const uint8_t *at = rt_find16(cf.data, cf.len, "\\\\?\\Z:");
        if (!at) FZ_FAIL("the child's locator has no absolute_win32_path");
        static const char plain[] = "Z:\\x\\x";
        uint8_t v[12];
        for (size_t i = 0; i < 6; i++) {
            v[2 * i] = (uint8_t)plain[i];
            v[2 * i + 1] = 0;
        }
        (void)fz_file_put(&cf, (uint64_t)(at - cf.data), v, sizeof v);
        rt_repair_child(s, &cf, &cio, ppath, ref, info.virtual_size);
        fz_file_free(&cf);
    }
    fz_big_free(ref);
    unlink(ppath);
}

/* Repair flags 0x98-0x9F: metadata table entry x % n (of n) copied into entry n, the entry
 * count n + 1, and the copy's value placed after every item's: a duplicate item (R83)
 * whose value is the entry's own (repair drops it), or with bit 1 of x the value of the
 * first other entry of the same length (another value: the repair is refused). */
static void rt_md_duplicate(fz_file *f, uint8_t x)
{
    uint8_t t[MD_HEADER_SIZE + 8 * MD_ENTRY_SIZE], v[64];
    for (uint64_t at = MiB; at + sizeof t <= f->size; at += MiB) {
        fz_file_read(f, at, t, sizeof t);
        if (vhdx_le64(t + MD_OFF_SIGNATURE) != VHDX_SIG_METADATA) continue;
        unsigned n = vhdx_le16(t + MD_OFF_ENTRY_COUNT), k = n ? x % n : 0;
        if (n == 0 || n >= 8) return;
        const uint8_t *src = t + MD_HEADER_SIZE + k * MD_ENTRY_SIZE, *val = src;
        uint32_t len = vhdx_le32(src + MDE_OFF_LENGTH), end = 0;
        for (unsigned i = 0; i < n; i++) {
            const uint8_t *e = t + MD_HEADER_SIZE + i * MD_ENTRY_SIZE;
            uint32_t o = vhdx_le32(e + MDE_OFF_OFFSET) + vhdx_le32(e + MDE_OFF_LENGTH);
            if (o > end) end = o;
            if ((x & 2) && val == src && i != k && vhdx_le32(e + MDE_OFF_LENGTH) == len) val = e;
        }
        end = (end + 7u) & ~7u;
        if (len > sizeof v || end + len > MiB) return;
        uint8_t *dst = t + MD_HEADER_SIZE + n * MD_ENTRY_SIZE;
        memcpy(dst, src, MD_ENTRY_SIZE);
        vhdx_put32(dst + MDE_OFF_OFFSET, end);
        vhdx_put16(t + MD_OFF_ENTRY_COUNT, (uint16_t)(n + 1));
        fz_file_read(f, at + vhdx_le32(val + MDE_OFF_OFFSET), v, len);
        (void)fz_file_put(f, at + end, v, len);
        (void)fz_file_put(f, at, t, sizeof t);
        return;
    }
}

/* op 9's damage: the file byte at off xored with x (flag bit 2: the same byte of the other
 * copy of a header or region table too; flag bit 0: every checksum fixed after). Flags
 * 0x90-0x9F damage by a variant instead of the byte: rt_md_duplicate, or the size change
 * of rt_variant_repair_size. */
static void rt_damage(rt_state *s, unsigned fl, uint64_t off, uint8_t x)
{
    /* the variants damage instead of the byte: a byte xored in a data block as well would
     * change what the disk reads, and when the variant's damage stops the open, the
     * repaired image is compared with the model (a fuzz finding of this session) */
    if (!rt_variant_md_duplicate(fl) && !rt_variant_repair_size(fl)) {
        uint8_t b = (uint8_t)(fz_file_byte(&s->file, off) ^ x);
        (void)fz_file_put(&s->file, off, &b, 1);
        uint64_t twin = rt_twin(off);
        if ((fl & 4) && twin) {
            b = (uint8_t)(fz_file_byte(&s->file, twin) ^ x);
            (void)fz_file_put(&s->file, twin, &b, 1);
        }
    }
    if (fl & 1) fz_fix_image(&s->file);
    if (rt_variant_md_duplicate(fl)) rt_md_duplicate(&s->file, x);
    if (rt_variant_repair_size(fl)) {
        /* a file cut inside its last MiB, or grown by a few sectors (D12) */
        uint64_t d = (uint64_t)x * 512u;
        fz_file_set_size(&s->file, (x & 2) && s->file.size > d ? s->file.size - d : s->file.size + d);
    }
}

/* Repair flags 0x90-0x97: a plan of a file whose size is not a multiple of 1 MiB extends
 * it with zeros to the next one (one FILE_EXTEND action; a deviation unless a block
 * past the end was lost); an applied repair leaves such a size. */
static void rt_size_repair(const rt_state *s, const vhdx_repair_plan *dry, const vhdx_repair_plan *p,
                           uint64_t damaged)
{
    size_t n = 0;
    int lost = 0;
    for (size_t i = 0; dry && i < dry->count; i++) lost |= dry->actions[i].code == VHDX_E_BAT_OUTSIDE_FILE;
    for (size_t i = 0; dry && i < dry->count; i++) {
        const vhdx_repair_action *a = &dry->actions[i];
        if (a->kind != VHDX_REPAIR_FILE_EXTEND) continue;
        n++;
        if (a->write_offset != damaged || a->write_length != (damaged + MiB - 1) / MiB * MiB - damaged ||
            a->deviation != !lost)
            FZ_FAIL("file extension of a %llu-byte file: [%llu, +%llu), deviation %d", (unsigned long long)damaged,
                    (unsigned long long)a->write_offset, (unsigned long long)a->write_length, a->deviation);
    }
    if (dry && n != (damaged % MiB != 0))
        FZ_FAIL("%zu file extensions planned for a %llu-byte file", n, (unsigned long long)damaged);
    if (p && !p->refused && s->file.size % MiB != 0)
        FZ_FAIL("repaired file of %llu bytes", (unsigned long long)s->file.size);
}

/* op 9's repair of the damaged file (flag bit 1: a first repair crashes at its write or
 * size change number crash + 1, a second one finishes): the plan it applied or refused,
 * or NULL when it stopped at a limit or out of memory. A refused repair writes nothing,
 * and after a crash is refused only when the dry run was. */
static vhdx_repair_plan *rt_repair_run(rt_state *s, const vhdx_repair_opts *o, unsigned fl, unsigned crash,
                                       int dry_refused)
{
    vhdx_repair_plan *p = NULL;
    if (fl & 2) {
        faultio_arm(&s->fio, s->fio.ops + crash + 1u, FAULTIO_STOP);
        (void)fz_rc(vhdx_repair_apply(&s->fio.io, o, &p, NULL), "vhdx_repair_apply(crashing)");
        vhdx_repair_plan_free(p);
        p = NULL;
        rt_restart(s);
    }
    uint64_t damaged_size = s->file.size;
    unsigned long w0 = s->file.writes;
    int rc = fz_rc(vhdx_repair_apply(&s->fio.io, o, &p, NULL), "vhdx_repair_apply");
    if (rc != VHDX_OK && vhdx_status_class(rc) != VHDX_CLASS_LIMIT && vhdx_status_class(rc) != VHDX_CLASS_NOMEM)
        FZ_FAIL("repair failed: %s", vhdx_status_name(rc));
    if (rc != VHDX_OK || !p) {
        vhdx_repair_plan_free(p);
        return NULL;
    }
    if (p->refused && (s->file.writes != w0 || s->file.size != damaged_size)) FZ_FAIL("a refused repair wrote");
    /* a crash leaves an image that a second repair finishes */
    if (p->refused && !dry_refused)
        FZ_FAIL("repair refused after an interrupted repair (first left: %s)",
                p->left_count ? vhdx_status_name(p->left[0].code) : "data loss");
    return p;
}

/* op 9: damage one byte (flag bit 2: and its twin), repair. */
static void rt_damage_repair(rt_state *s, fz_in *in)
{
    unsigned fl = fz_u8(in);
    uint64_t off = fz_u32(in) % s->file.size;
    uint8_t x = (uint8_t)(fz_u8(in) | 1u), crash = fz_u8(in);
    if (rt_variant_repair_diff(fl) && !s->repair_diff_done) {
        rt_repair_diff(s, fl);
        return;
    }
    int rc = fz_rc(vhdx_close(s->img), "vhdx_close");
    s->img = NULL;
    if (rc != VHDX_OK) FZ_FAIL("close failed: %s", vhdx_status_name(rc));
    uint64_t size = s->file.size;
    fz_file before; /* a copy of the written pages only (fz_file_copy), not of the whole file */
    fz_file_init(&before, s->file.max_size);
    const int sampled = rt_sampled(s, 3);
    uint8_t *ref = sampled ? fz_big_alloc((size_t)s->vs) : NULL;
    if ((sampled && !ref) || fz_file_copy(&before, &s->file) != 0) goto out;
    rt_damage(s, fl, off, x);
    if (ref && !rt_read_disk(s, ref)) memcpy(ref, s->model, (size_t)s->vs);

    vhdx_repair_opts o;
    vhdx_repair_opts_default(&o);
    o.flags = VHDX_REPAIR_ALLOW_DATA_LOSS | VHDX_REPAIR_FIX_DEVIATIONS;
    o.guid_gen = fz_guid_gen(&s->gs, 300 + s->opens++);
    const uint64_t damaged = s->file.size;
    vhdx_repair_plan *dry = rt_plan(s, &o, "damaged");
    vhdx_repair_plan *p = rt_repair_run(s, &o, fl, crash, !dry || dry->refused);
    if (rt_variant_repair_size(fl)) rt_size_repair(s, dry, p, damaged);
    const int applied = p && !p->refused;
    if (applied) rt_repaired(s, &o, p, dry, ref);
    if (!applied || !ref) {
        /* undo the damage: the script goes on with the image it had */
        fz_file_set_size(&s->file, size);
        (void)fz_file_zero(&s->file, 0, s->file.len);
        (void)fz_file_copy(&s->file, &before);
    }
    vhdx_repair_plan_free(p);
    vhdx_repair_plan_free(dry);
out:
    fz_file_free(&before);
    fz_big_free(ref);
    rt_open(s, VHDX_OPEN_RDWR);
}

/* op 0xE0-0xE7: vhdx_convert of the open image into a memory file, read back. */
static void rt_convert_check(rt_state *s, const fz_file *df, vhdx_io *dst, int raw, uint64_t vs)
{
    if (raw) {
        /* bytes past df->len are zeros (fz_file) */
        size_t n = df->len < s->vs ? df->len : (size_t)s->vs;
        if (df->size != vs || (n && memcmp(df->data, s->model, n) != 0))
            FZ_FAIL("converted raw differs from the model");
        size_t i = n + rt_nonzero_at(s->model + n, (size_t)s->vs - n);
        if (i < s->vs) FZ_FAIL("converted raw: byte %zu reads 0, the model has %02x", i, s->model[i]);
        return;
    }
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    if (fz_rc(vhdx_open(&img, dst, 0, &o, NULL), "vhdx_open(converted)") != VHDX_OK)
        FZ_FAIL("converted image does not open");
    uint8_t *got = fz_big_alloc((size_t)vs);
    if (got) {
        if (fz_rc(vhdx_read(img, 0, got, (size_t)vs, NULL), "vhdx_read(converted)") != VHDX_OK)
            FZ_FAIL("converted image does not read");
        if (memcmp(got, s->model, (size_t)s->vs) != 0) FZ_FAIL("converted image differs from the model");
        size_t i = (size_t)s->vs + rt_nonzero_at(got + s->vs, (size_t)(vs - s->vs));
        if (i < vs) FZ_FAIL("converted image: byte %zu past the source is not zero", i);
        fz_big_free(got);
    }
    (void)fz_rc(vhdx_close(img), "vhdx_close(converted)");
    if (!rt_sampled(s, 4)) return;
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    if (fz_rc(vhdx_check(dst, NULL, &co, &rep), "vhdx_check(converted)") == VHDX_OK) {
        if (rep->errors) FZ_FAIL("check finds %zu errors in a converted image (first %s)", rep->errors,
                                 vhdx_status_name(rep->findings[0].code));
        vhdx_report_free(rep);
    }
}

/* Convert op source of flag bit 6 + 7: the model as a stream, in uneven pieces. */
typedef struct rt_stream {
    const uint8_t *p;
    uint64_t n, at;
} rt_stream;

static int rt_stream_read(void *ctx, void *buf, size_t len, size_t *got)
{
    rt_stream *st = ctx;
    size_t k = 12345 + (size_t)(st->at % 3) * 40000;
    if (k > len) k = len;
    if (k > st->n - st->at) k = (size_t)(st->n - st->at);
    memcpy(buf, st->p + st->at, k);
    st->at += k;
    *got = k;
    return VHDX_OK;
}

/* A file's bytes into the empty memory file f (and the file removed); 0 on failure. */
static int rt_file_to_mem(const char *path, fz_file *f)
{
    vhdx_io fio;
    uint64_t n = 0;
    int ok = 0;
    if (vhdx_io_file_open(&fio, path, VHDX_IO_READ) != VHDX_OK) return 0;
    uint8_t *b = fio.get_size(fio.ctx, &n) == VHDX_OK && n <= f->max_size ? fz_big_alloc(MiB) : NULL;
    ok = b != NULL;
    for (uint64_t at = 0; ok && at < n; at += MiB) {
        size_t k = n - at < MiB ? (size_t)(n - at) : MiB;
        ok = fio.read_at(fio.ctx, at, b, k) == VHDX_OK && fz_file_put(f, at, b, k) == 0;
    }
    if (ok) fz_file_set_size(f, n);
    fz_big_free(b);
    vhdx_io_destroy(&fio);
    unlink(path);
    return ok;
}

/* Convert op files (bits 6-7 = 1, once per input): the model saved as a raw file at spath
 * (the source, opened into rawsrc) and a new file at dpath (the destination, opened into
 * dst); 0 when they could not be made (nothing is left open). */
static int rt_convert_files_open(const rt_state *s, const char *spath, const char *dpath, vhdx_io *rawsrc,
                                 vhdx_io *dst)
{
    fz_file mf;
    fz_file_init(&mf, RT_FILE_MAX);
    int ok = fz_file_put(&mf, 0, s->model, (size_t)s->vs) == 0 && fz_file_save(spath, &mf) == 0;
    fz_file_free(&mf);
    unlink(dpath);
    if (!ok || fz_rc(vhdx_io_file_open(rawsrc, spath, VHDX_IO_READ), "io_file_open(src)") != VHDX_OK) {
        unlink(spath);
        return 0;
    }
    if (fz_rc(vhdx_io_file_open(dst, dpath, VHDX_IO_RDWR | VHDX_IO_CREATE), "io_file_open(dst)") != VHDX_OK) {
        vhdx_io_destroy(rawsrc);
        unlink(spath);
        return 0;
    }
    return 1;
}

/* Every convert's progress (vhdx_convert_opts.progress): done never goes back nor past
 * total, total is the source's size, and a convert that succeeds ends at done == total. */
typedef struct rt_progress {
    uint64_t total, done;
    unsigned long calls;
} rt_progress;

static void rt_progress_fn(void *ctx, uint64_t done, uint64_t total)
{
    rt_progress *p = ctx;
    if (total != p->total || done > total || done < p->done)
        FZ_FAIL("convert progress %llu/%llu after %llu (source size %llu)", (unsigned long long)done,
                (unsigned long long)total, (unsigned long long)p->done, (unsigned long long)p->total);
    p->done = done;
    p->calls++;
}

/* The convert op's options from its flags byte (see the header). */
static void rt_convert_opts(rt_state *s, unsigned fl, vhdx_convert_opts *o)
{
    const int raw = (fl & 16) != 0, seq = (fl & 0xC0) == 0x80;
    vhdx_convert_opts_default(o);
    o->flags = (raw ? 0 : VHDX_CONVERT_VHDX) | ((fl & 32) ? VHDX_CONVERT_SYNC : 0) |
               (seq ? VHDX_CONVERT_SEQUENTIAL : 0);
    o->create.type = (fl & 1) ? VHDX_TYPE_DYNAMIC : VHDX_TYPE_FIXED;
    o->create.logical_sector_size = (fl & 2) ? 4096 : 512;
    o->create.block_size = (uint32_t)(MiB << ((fl >> 2) & 3u));
    o->create.guid_gen = fz_guid_gen(&s->gs, 400 + s->opens++);
}

static void rt_convert(rt_state *s, fz_in *in)
{
    unsigned fl = fz_u8(in);
    vhdx_convert_opts o;
    vhdx_convert_stats st;
    vhdx_io dst, rawsrc;
    fz_file df; /* the destination: a sparse memory file (vhdx_io_mem grows by realloc) */
    vhdx_diag d;
    const int raw = (fl & 16) != 0, seq = (fl & 0xC0) == 0x80;
    const char *dir = fz_tmpdir();
    const int files = (fl & 0xC0) == 0x40 && !s->convert_files_done;
    rt_convert_opts(s, fl, &o);
    rt_progress prog = { s->vs, 0, 0 };
    o.progress = rt_progress_fn;
    o.progress_ctx = &prog;
    vhdx_convert_src src = { s->img, NULL, NULL, NULL, 0 };
    rt_stream stream = { s->model, s->vs, 0 };
    char spath[600], dpath[600];
    snprintf(spath, sizeof spath, "%s/cv-src.raw", dir ? dir : ".");
    snprintf(dpath, sizeof dpath, "%s/cv-dst", dir ? dir : ".");
    if ((fl & 0xC0) == 0xC0) {
        src.img = NULL;
        src.stream_read = rt_stream_read;
        src.stream_ctx = &stream;
        src.size = s->vs;
    }
    if (files) {
        /* file to file: the kernel copy (vhdx_copier_copy) where it can; into raw, by
         * worker threads (bit 3 of the flags: 2, else 3) */
        s->convert_files_done = 1;
        o.threads = (fl & 8) ? 2 : 3;
        if (!dir || !rt_convert_files_open(s, spath, dpath, &rawsrc, &dst)) return;
        src.img = NULL;
        src.raw = &rawsrc;
    }
    fz_file_init(&df, RT_FILE_MAX);
    if (!files) fz_file_io(&dst, &df);
    vhdx_diag_clear(&d);
    int rc = vhdx_convert(&src, &dst, &o, &st, &d);
    if (!(seq && !raw && rc == VHDX_E_MISUSE)) rc = fz_rc(rc, "vhdx_convert");
    if (rc == VHDX_OK && (!prog.calls || prog.done != prog.total))
        FZ_FAIL("convert succeeded at progress %llu/%llu (%lu calls)", (unsigned long long)prog.done,
                (unsigned long long)prog.total, prog.calls);
    if (files) {
        vhdx_io_destroy(&rawsrc);
        vhdx_io_destroy(&dst);
        unlink(spath);
        if (!rt_file_to_mem(dpath, &df)) {
            fz_file_free(&df);
            return;
        }
        fz_file_io(&dst, &df);
    }
    if (seq && !raw) {
        /* [vhdx.h] a sequential destination is raw only */
        if (rc != VHDX_E_MISUSE) FZ_FAIL("sequential VHDX convert not refused: %s", vhdx_status_name(rc));
    } else if (rc == VHDX_OK) {
        rt_convert_check(s, &df, &dst, raw, st.virtual_size);
    } else if (vhdx_status_class(rc) != VHDX_CLASS_NOMEM) {
        FZ_FAIL("convert failed: %s (%s:%d)", vhdx_status_name(rc), d.src_file ? d.src_file : "?", d.src_line);
    }
    fz_file_free(&df);
}

/* Child writes of the commit op into child and the child's model cm; ct marks the units
 * they wrote (as rt_touch). */
static void rt_child_writes(rt_state *s, fz_in *in, vhdx_image *c, uint8_t *cm, uint8_t *wbuf, uint8_t *ct)
{
    unsigned n = fz_u8(in) % 5u;
    for (unsigned i = 0; i < n; i++) {
        uint64_t off = fz_u32(in) % s->vs;
        size_t len = (size_t)fz_u16(in) + 1;
        uint8_t f = fz_u8(in);
        if (len > s->vs - off) len = (size_t)(s->vs - off);
        fill(wbuf, len, f, off);
        int rc = f ? vhdx_write(c, off, wbuf, len, NULL) : vhdx_write_zeroes(c, off, len, NULL);
        if (fz_rc(rc, "child write") != VHDX_OK) FZ_FAIL("child write failed: %s", vhdx_status_name(rc));
        memcpy(cm + off, wbuf, len);
        rt_mark(ct, off, len);
    }
}

/* The file at path becomes the image file (the script goes on with it); 0 on failure. */
static int rt_load(rt_state *s, const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t buf[65536];
    uint64_t off = 0;
    size_t r;
    int ok = fp != NULL;
    while (ok && (r = fread(buf, 1, sizeof buf, fp)) > 0) {
        ok = fz_file_put(&s->file, off, buf, r) == 0;
        off += r;
    }
    if (fp && fclose(fp) != 0) ok = 0;
    if (ok) fz_file_set_size(&s->file, off);
    return ok;
}

/* Crash op byte with bits 5-7 = 101 (once per input): before the recovery's reopen, the
 * log replay ranges of a read-only open (sorted, inside the file), then the crashed file
 * replayed by path (vhdx_replay_file: entries applied when there were ranges, none the
 * second time); the replayed file is the image from then on (the crash oracle reads it). */
static void rt_replay_by_path(rt_state *s)
{
    uint64_t offs[64], lens[64], replayed = 0;
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    const char *dir = fz_tmpdir();
    char path[600];
    s->replay_file_done = 1;
    vhdx_open_opts_default(&o);
    int rc = fz_rc(vhdx_open(&img, &s->io, 0, &o, NULL), "vhdx_open(crashed, ro)");
    if (rc != VHDX_OK) FZ_FAIL("crashed image does not open read-only: %s", vhdx_status_name(rc));
    size_t n = vhdx_log_replay_ranges(img, offs, lens, 64);
    for (size_t i = 0; i < n && i < 64; i++)
        if (lens[i] == 0 || offs[i] > s->file.size || lens[i] > s->file.size - offs[i] ||
            (i && offs[i] < offs[i - 1] + lens[i - 1]))
            FZ_FAIL("replay range %zu [%llu, +%llu) unsorted or outside the file", i,
                    (unsigned long long)offs[i], (unsigned long long)lens[i]);
    (void)fz_rc(vhdx_close(img), "vhdx_close(crashed, ro)");
    if (!dir) return;
    snprintf(path, sizeof path, "%s/replay.vhdx", dir);
    if (fz_file_save(path, &s->file) == 0) {
        rc = fz_rc(rt_replay_path(s, path, &replayed), "vhdx_replay_file(crashed)");
        if (rc != VHDX_OK || (n && !replayed))
            FZ_FAIL("replay of a crashed image: %s, %llu entries for %zu ranges", vhdx_status_name(rc),
                    (unsigned long long)replayed, n);
        rc = fz_rc(rt_replay_path(s, path, &replayed), "vhdx_replay_file(replayed)");
        if (rc != VHDX_OK || replayed) FZ_FAIL("second replay: %s, %llu entries", vhdx_status_name(rc),
                                               (unsigned long long)replayed);
        if (!rt_load(s, path)) FZ_FAIL("replayed image cannot be read back");
    }
    unlink(path);
}

/* rt_rebase_commit_files, first part: the child saved at cpath, the image file (the
 * parent, saved at ppath) loaded back and copied to npath, which takes a write of its
 * first sector (flag bit 3: other bytes, else its own); 0 when the files could not be
 * written (nothing changed). */
static int rt_new_parent(rt_state *s, unsigned flags, const fz_file *cf, const char *ppath, const char *cpath,
                         const char *npath, vhdx_open_opts *o)
{
    int ok = fz_file_save(cpath, cf) == 0;
    fz_file par;
    fz_file_init(&par, RT_FILE_MAX);
    if (ok) ok = rt_load(s, ppath) && fz_file_copy(&par, &s->file) == 0 && fz_file_save(npath, &par) == 0;
    fz_file_free(&par);
    if (!ok) return 0;
    /* the new parent: another DataWriteGuid, the same bytes (or one other sector) */
    vhdx_image *np = NULL;
    uint8_t sec[512];
    vhdx_open_opts_default(o);
    o->flags = VHDX_OPEN_RDWR;
    o->guid_gen = fz_guid_gen(&s->gs, 950 + s->opens++);
    int rc = fz_rc(vhdx_open_file(&np, npath, o, NULL), "vhdx_open_file(new parent)");
    if (rc != VHDX_OK) FZ_FAIL("copy of the parent does not open: %s", vhdx_status_name(rc));
    memcpy(sec, s->model, sizeof sec);
    if (flags & 8) memset(sec, 0x5a, sizeof sec);
    rc = fz_rc(vhdx_write(np, 0, sec, sizeof sec, NULL), "vhdx_write(new parent)");
    (void)fz_rc(vhdx_close(np), "vhdx_close(new parent)");
    if (rc != VHDX_OK) FZ_FAIL("write to the new parent: %s", vhdx_status_name(rc));
    return 1;
}

/* rt_rebase_commit_files, second part: the child at cpath rebased onto npath (flag bit 3:
 * a parent with other bytes: refused without VHDX_REBASE_CONTENT, nothing copied, unless
 * the child has that sector of its own, then rebased with it) and read through its new
 * parent as cm (s->vs bytes). */
static void rt_rebase_checked(rt_state *s, unsigned flags, const uint8_t *cm, const char *cpath,
                              const char *npath, vhdx_open_opts *o)
{
    vhdx_rebase_opts ro;
    vhdx_rebase_opts_default(&ro);
    ro.guid_gen = o->guid_gen;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    uint64_t copied = 0;
    int rc = VHDX_E_REBASE_CONTENT;
    if (flags & 8) {
        /* where the parents differ in a sector the child leaves to them, refused without
         * CONTENT (nothing written); else (the child has its own) re-linked: the read-back
         * below tells */
        ro.flags = 0;
        rc = vhdx_rebase_file(cpath, npath, &ro, &copied, &d);
        if (rc != VHDX_OK && (rc != VHDX_E_REBASE_CONTENT || copied))
            FZ_FAIL("rebase onto a parent with other bytes: %s, %llu copied", vhdx_status_name(rc),
                    (unsigned long long)copied);
        ro.flags = VHDX_REBASE_CONTENT;
    }
    if (rc != VHDX_OK) rc = fz_rc(vhdx_rebase_file(cpath, npath, &ro, &copied, &d), "vhdx_rebase_file");
    if (rc != VHDX_OK)
        FZ_FAIL("rebase failed: %s (%s:%d)", vhdx_status_name(rc), d.src_file ? d.src_file : "?", d.src_line);
    /* the child reads as before through its new parent */
    vhdx_image *c = NULL;
    o->flags = 0;
    rc = fz_rc(vhdx_open_file(&c, cpath, o, NULL), "vhdx_open_file(rebased)");
    if (rc != VHDX_OK) FZ_FAIL("rebased child does not open: %s", vhdx_status_name(rc));
    uint8_t *got = fz_big_alloc((size_t)s->vs);
    if (got && fz_rc(vhdx_read(c, 0, got, (size_t)s->vs, NULL), "vhdx_read(rebased)") == VHDX_OK &&
        memcmp(got, cm, (size_t)s->vs) != 0)
        FZ_FAIL("rebased child reads differently");
    fz_big_free(got);
    (void)fz_rc(vhdx_close(c), "vhdx_close(rebased)");
}

/* Commit op flag bit 2: the child (cio, a file at cpath) rebased by path onto a byte copy
 * of its parent (npath) that takes one write (flag bit 3: a sector of other bytes, refused
 * without VHDX_REBASE_CONTENT unless the child has that sector, then rebased with it; else
 * its own bytes, compared), read through its new parent as its model cm, then committed
 * by path (vhdx_commit_file, into npath; flag bit 1: with VHDX_COMMIT_REMOVE), and npath is
 * the image from then on; 0 when the files could not be written (nothing changed). */
static int rt_rebase_commit_files(rt_state *s, unsigned flags, const fz_file *cf, const uint8_t *cm,
                                   const char *ppath, const char *cpath, const char *npath)
{
    vhdx_open_opts o;
    if (!rt_new_parent(s, flags, cf, ppath, cpath, npath, &o)) return 0;
    rt_rebase_checked(s, flags, cm, cpath, npath, &o);
    vhdx_commit_opts co;
    vhdx_commit_opts_default(&co);
    co.flags = (flags & 2) ? VHDX_COMMIT_REMOVE : 0;
    co.guid_gen = o.guid_gen;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = fz_rc(vhdx_commit_file(cpath, &co, NULL, &d), "vhdx_commit_file");
    if (rc != VHDX_OK)
        FZ_FAIL("commit by path failed: %s (%s:%d)", vhdx_status_name(rc), d.src_file ? d.src_file : "?", d.src_line);
    if ((flags & 2) && access(cpath, F_OK) == 0) FZ_FAIL("VHDX_COMMIT_REMOVE left the child");
    uint64_t replayed = 1;
    rc = fz_rc(vhdx_replay_file(npath, &replayed, NULL), "vhdx_replay_file");
    if (rc != VHDX_OK || replayed) FZ_FAIL("replay of a clean image: %s, %llu entries", vhdx_status_name(rc),
                                           (unsigned long long)replayed);
    if (!rt_load(s, npath)) FZ_FAIL("committed parent cannot be read back");
    return 1;
}

/* The commit op in memory: the child (cio, its writes already in the model; ct marks
 * their units) reopened without its parent (flag bit 1: read-write, so it is re-linked too)
 * and committed into the reopened image; the units the child wrote are compared always, the
 * whole disk for a sample of the inputs (salt 1). */
static void rt_commit_in_memory(rt_state *s, unsigned flags, vhdx_io *cio, vhdx_open_opts *o, const uint8_t *ct)
{
    vhdx_image *c = NULL;
    o->flags = VHDX_OPEN_NO_PARENT | ((flags & 2) ? VHDX_OPEN_RDWR : 0u);
    int rc = fz_rc(vhdx_open(&c, cio, 0, o, NULL), "vhdx_open(child)");
    if (rc != VHDX_OK) FZ_FAIL("child reopen: %s", vhdx_status_name(rc));
    rt_open(s, VHDX_OPEN_RDWR);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    rc = fz_rc(vhdx_commit(c, s->img, NULL, NULL, &d), "vhdx_commit");
    if (rc != VHDX_OK)
        FZ_FAIL("commit failed: %s (%s:%d)", vhdx_status_name(rc), d.src_file ? d.src_file : "?", d.src_line);
    (void)fz_rc(vhdx_close(c), "vhdx_close(child)");
    const int whole = s->full_check || rt_sampled(s, 1);
    for (size_t m = 0; m < RT_UNITS; m++) s->touched[m] |= ct[m];
    rt_compare_marked(s, ct, whole, 0, 0, "after commit");
}

/* op 0xD8-0xDF: a differencing child over the image, written, committed into it. The
 * child's writes go straight into the model (the commit makes them the image's), except
 * for the by-path commit, whose child model is a copy (the new parent takes the old
 * model's first sector, and the model stays as it was when the files cannot be written). */
static void rt_commit(rt_state *s, fz_in *in, uint8_t *wbuf)
{
    unsigned flags = fz_u8(in);
    const char *dir = fz_tmpdir();
    char path[600];
    const int by_path = (flags & 4) && !s->commit_by_path_done && dir && rt_sampled(s, 7);
    uint8_t *cm = by_path ? fz_big_alloc((size_t)s->vs) : s->model, ct[sizeof s->touched];
    int rc = fz_rc(vhdx_close(s->img), "vhdx_close");
    s->img = NULL;
    if (rc != VHDX_OK) FZ_FAIL("close failed: %s", vhdx_status_name(rc));
    snprintf(path, sizeof path, "%s/commit-parent.vhdx", dir ? dir : ".");
    /* the file's written pages only (a sparse file of its size), not every byte up to len */
    int ok = dir && cm && fz_file_save(path, &s->file) == 0;
    memset(ct, 0, sizeof ct);
    /* the child in a sparse memory file (not vhdx_io_mem, which grows by realloc) */
    fz_file cf;
    fz_file_init(&cf, RT_CHILD_MAX);
    vhdx_io cio;
    vhdx_image *c = NULL;
    vhdx_create_params p;
    vhdx_open_opts o;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.block_size = (flags & 1) ? (uint32_t)MiB : 0;
    p.parent_path = path;
    p.guid_gen = fz_guid_gen(&s->gs, 900 + s->opens);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    o.parent_path = path;
    o.guid_gen = p.guid_gen;
    if (ok) {
        fz_file_io(&cio, &cf);
        rc = fz_rc(vhdx_create_io(&cio, &p, NULL), "vhdx_create_io(child)");
        if (rc == VHDX_OK) rc = fz_rc(vhdx_open(&c, &cio, 0, &o, NULL), "vhdx_open(child)");
        if (rc != VHDX_OK) FZ_FAIL("child of the image: %s", vhdx_status_name(rc));
        if (by_path) memcpy(cm, s->model, (size_t)s->vs);
        rt_child_writes(s, in, c, cm, wbuf, ct);
        (void)fz_rc(vhdx_close(c), "vhdx_close(child)");
    }
    if (ok && by_path) {
        char cpath[600], npath[600];
        s->commit_by_path_done = 1;
        snprintf(cpath, sizeof cpath, "%s/commit-child.vhdx", dir);
        snprintf(npath, sizeof npath, "%s/commit-new-parent.vhdx", dir);
        if (rt_rebase_commit_files(s, flags, &cf, cm, path, cpath, npath)) {
            memcpy(s->model, cm, (size_t)s->vs);
            s->model_all = 1;
            if (!s->full_check) s->full_check = 1;
        }
        unlink(cpath);
        unlink(npath);
        rt_open(s, VHDX_OPEN_RDWR);
    } else if (ok) {
        rt_commit_in_memory(s, flags, &cio, &o, ct);
    } else {
        rt_open(s, VHDX_OPEN_RDWR);
    }
    fz_file_free(&cf);
    if (dir) unlink(path);
    if (by_path) fz_big_free(cm);
}

/* A 4 KiB write of fill f at off (rt_big_resize). */
static void rt_big_write(vhdx_image *img, uint64_t off, uint8_t *buf, uint8_t f)
{
    fill(buf, 4096, f, off);
    int rc = fz_rc(vhdx_write(img, off, buf, 4096, NULL), "vhdx_write(big)");
    if (rc != VHDX_OK) FZ_FAIL("write(%llu) to the big image: %s", (unsigned long long)off, vhdx_status_name(rc));
}

/* The 4 KiB at off read as rt_big_write(off, f) wrote them. */
static void rt_big_read(vhdx_image *img, uint64_t off, uint8_t *buf, uint8_t f, const char *when)
{
    uint8_t want[4096];
    fill(want, sizeof want, f, off);
    int rc = fz_rc(vhdx_read(img, off, buf, 4096, NULL), "vhdx_read(big)");
    if (rc != VHDX_OK || memcmp(buf, want, sizeof want) != 0)
        FZ_FAIL("%s: the big image reads otherwise at %llu (%s)", when, (unsigned long long)off, vhdx_status_name(rc));
}

/* Big growth (resize flags byte 0xB4-0xB7, once per input), in an image of its own: a
 * dynamic 8 MiB one (1 MiB blocks, 4096-byte sectors: its 1 MiB BAT region covers 128 GiB)
 * in a sparse memory file is grown to 128-256 GiB, so its BAT region grows: in place, or
 * (flag bit 0: a 4 KiB write at `a` first allocates a block behind the region) moved. A
 * write past the old end follows; both writes read back, the old end reads zeros, and the
 * image reopens and checks without error. */
static void rt_big_resize(rt_state *s, uint32_t v, unsigned fl)
{
    fz_file f;
    vhdx_io io;
    vhdx_image *img = NULL;
    vhdx_create_params p;
    vhdx_open_opts o;
    uint8_t buf[4096];
    const uint64_t old = 8 * MiB, ns = 128ull * 1024 * MiB + ((uint64_t)v * 32 + 4095) / 4096 * 4096;
    const uint64_t a = (v % (old / 4096)) * 4096, b = old + 65536 + (v % ((ns - old - 65536) / 4096)) * 4096;
    s->big_resize_done = 1;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DYNAMIC;
    p.virtual_size = old;
    p.block_size = (uint32_t)MiB;
    p.logical_sector_size = 4096;
    p.guid_gen = fz_guid_gen(&s->gs, 970 + s->opens);
    if (fz_rc(fz_file_create(&f, 256 * MiB, &p), "create(big)") != VHDX_OK) return;
    fz_file_io(&io, &f);
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    o.guid_gen = p.guid_gen;
    int rc = fz_rc(vhdx_open(&img, &io, 0, &o, NULL), "vhdx_open(big)");
    if (rc != VHDX_OK) FZ_FAIL("the big image does not open: %s", vhdx_status_name(rc));
    if (fl & 1) rt_big_write(img, a, buf, 0x31);
    rc = fz_rc(vhdx_resize(img, ns, 0, NULL), "vhdx_resize(big)");
    if (rc != VHDX_OK) FZ_FAIL("resize 8 MiB -> %llu: %s", (unsigned long long)ns, vhdx_status_name(rc));
    rt_big_write(img, b, buf, 0x47);
    for (int pass = 0; pass < 2; pass++) {
        if (fl & 1) rt_big_read(img, a, buf, 0x31, "after growth");
        rt_big_read(img, b, buf, 0x47, "after growth");
        rt_big_read(img, old, buf, 0, "after growth (old end)");
        (void)fz_rc(vhdx_close(img), "vhdx_close(big)");
        img = NULL;
        o.flags = 0;
        rc = fz_rc(vhdx_open(&img, &io, 0, &o, NULL), "vhdx_open(big, grown)");
        if (rc != VHDX_OK) FZ_FAIL("the grown image does not open: %s", vhdx_status_name(rc));
        vhdx_info info;
        if (fz_rc(vhdx_get_info(img, &info), "get_info(big)") != VHDX_OK || info.virtual_size != ns)
            FZ_FAIL("the grown image has another size");
    }
    (void)fz_rc(vhdx_close(img), "vhdx_close(big)");
    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    rc = fz_rc(vhdx_check(&io, NULL, &co, &rep), "vhdx_check(big)");
    if (rc != VHDX_OK || rep->errors) FZ_FAIL("check of the grown image: %s, %zu errors", vhdx_status_name(rc), rc == VHDX_OK ? rep->errors : 0);
    vhdx_report_free(rep);
    fz_file_free(&f);
}

/* 0xC0-0xD7, (byte - 0xC0) % 3 == 0: vhdx_resize against the model. 0: out of memory. */
static int rt_resize(rt_state *s, fz_in *in)
{
    vhdx_info *info = malloc(sizeof *info);
    if (!info) return 0;
    int rc = fz_rc(vhdx_get_info(s->img, info), "vhdx_get_info");
    uint32_t lss = info->logical_sector_size;
    int fixed = info->type == VHDX_TYPE_FIXED;
    free(info);
    if (rc != VHDX_OK) FZ_FAIL("get_info failed: %s", vhdx_status_name(rc));
    uint32_t v = fz_u32(in);
    uint64_t ns = ((uint64_t)v % (16 * MiB) / lss + 1) * lss;
    unsigned fb = fz_u8(in), fl = fb & 3u;
    if (rt_variant_big_resize(fb) && !s->big_resize_done) {
        rt_big_resize(s, v, fl);
        return 1;
    }
    int tail = ns < s->vs && !vhdx_all_zero(s->model + ns, (size_t)(s->vs - ns));
    vhdx_diag d;
    vhdx_diag_clear(&d);
    /* the two refusals are of class misuse (the caller's request), which fz_rc rejects */
    rc = vhdx_resize(s->img, ns, fl, &d);
    if (rc != VHDX_E_SHRINK_REFUSED && rc != VHDX_E_DATA_BEYOND_END) rc = fz_rc(rc, "vhdx_resize");
    if (ns < s->vs && !(fl & VHDX_RESIZE_SHRINK)) {
        if (rc != VHDX_E_SHRINK_REFUSED) FZ_FAIL("shrink without the flag: %s", vhdx_status_name(rc));
        return 1;
    }
    if (ns < s->vs && fl == VHDX_RESIZE_SHRINK && rc == VHDX_E_DATA_BEYOND_END) return 1;
    if (ns < s->vs && fl == VHDX_RESIZE_SHRINK && tail)
        FZ_FAIL("shrink over data to %llu: %s", (unsigned long long)ns, vhdx_status_name(rc));
    if (rc != VHDX_OK)
        FZ_FAIL("resize %llu -> %llu (flags %u, %s) failed: %s (%s:%d)", (unsigned long long)s->vs,
                (unsigned long long)ns, fl, fixed ? "fixed" : "dynamic", vhdx_status_name(rc),
                d.src_file ? d.src_file : "?", d.src_line);
    /* the model has room for RT_MODEL_MAX bytes: resized in place */
    const uint64_t keep = ns < s->vs ? ns : s->vs;
    memset(s->model + keep, 0, (size_t)(ns - keep));
    s->vs = ns;
    if (ns > s->vs_max) s->vs_max = ns;
    /* the units the script wrote and the MiB on each side of the old end always (the tail
     * zeroed, the new blocks); the whole disk for a sample of the inputs (salt 5) */
    const int whole = s->full_check || rt_sampled(s, 5);
    rt_compare_marked(s, s->touched, whole, keep > MiB ? keep - MiB : 0, keep + MiB, "after resize");
    return 1;
}

/* 0xC0-0xD7: resize, discard, compact (see the header). */
static int rt_maint(rt_state *s, fz_in *in, unsigned which)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    if (which == 0) return rt_resize(s, in);
    if (which == 1) {
        uint64_t off = fz_u32(in) % s->vs, len = (uint64_t)fz_u32(in) % (3 * MiB) + 1;
        if (len > s->vs - off) len = s->vs - off;
        int rc = fz_rc(vhdx_discard(s->img, off, len, &d), "vhdx_discard");
        if (rc != VHDX_OK) FZ_FAIL("discard(%llu, %llu) failed: %s", (unsigned long long)off,
                                   (unsigned long long)len, vhdx_status_name(rc));
        memset(s->model + off, 0, (size_t)len);
        rt_touch(s, off, len);
        return 1;
    }
    unsigned fl = fz_u8(in) & VHDX_COMPACT_ZEROES;
    vhdx_info *info = malloc(sizeof *info);
    if (!info) return 0;
    int rc = fz_rc(vhdx_get_info(s->img, info), "vhdx_get_info");
    int fixed = rc == VHDX_OK && info->type == VHDX_TYPE_FIXED;
    free(info);
    rc = fz_rc(vhdx_compact(s->img, fl, NULL, &d), "vhdx_compact");
    if (rc != (fixed && fl ? VHDX_E_UNSUPPORTED : VHDX_OK))
        FZ_FAIL("compact (flags %u) failed: %s (%s:%d)", fl, vhdx_status_name(rc),
                d.src_file ? d.src_file : "?", d.src_line);
    /* the units the script wrote always; the whole disk for a sample of the inputs */
    const int whole = s->full_check || rt_sampled(s, 2);
    rt_compare_marked(s, s->touched, whole, 0, 0, "after compact");
    return 1;
}

/* The work one input may ask for (issue 14: throughput): a script runs while the costs of
 * its ops so far are under RT_BUDGET. Writes, reads, flushes and zeroes cost 1 (so 64 of
 * them, the old cap on ops); a reopen, a crash, a create probe or an allocation failure
 * RT_COST_MID; a convert, commit, maintenance op or damage-and-repair RT_COST_HEAVY: after
 * three of them one more op runs (each takes 1-4 ms under ASan; scripts of many of them
 * were most of a run's time: 60 s of libFuzzer from the seed corpus, 156 exec/s with the
 * old cap of 64 ops, 313 with this budget). Variety comes from many
 * inputs, not from long scripts; the state an op works on still comes from the writes,
 * crashes and reopens before it. */
#define RT_BUDGET 64u
#define RT_COST_MID 4u
#define RT_COST_HEAVY 21u
static unsigned rt_op_cost(unsigned ob)
{
    if (ob >= 0xC0 && ob < 0xF0) return RT_COST_HEAVY; /* maint, commit, convert, repair */
    if (ob >= 0xF0) return RT_COST_MID;                /* allocation failure */
    unsigned op = ob % 10u;
    return op == 5 || op == 7 || op == 8 ? RT_COST_MID : 1u;
}

/* One script op from the input; 0 to stop the script. */
static int rt_step(rt_state *s, fz_in *in)
{
    static uint8_t wbuf[65536];
    unsigned ob = fz_u8(in), op = ob % 10u;
    int rc;
    if (ob >= 0xE0 && ob < 0xE8) {
        /* 0xE0-0xE7 (before convert existed: ops 4-9, 0, 1) */
        rt_convert(s, in);
    } else if (ob >= 0xD8 && ob < 0xE0) {
        /* 0xD8-0xDF (before commit existed: ops 6-9, 0-3) */
        rt_commit(s, in, wbuf);
    } else if (ob >= 0xC0 && ob < 0xD8) {
        /* 0xC0-0xD7 (before the maintenance ops existed: ops 2-9, 0-9, 0-5) */
        return rt_maint(s, in, (ob - 0xC0) % 3u);
    } else if (ob >= 0xE8 && ob < 0xF0) {
        /* 0xE8-0xEF (before repair existed: ops 7, 8, 0-5) */
        rt_damage_repair(s, in);
    } else if (ob >= 0xF0) {
        unsigned n = 1 + fz_u8(in) % 64u;
        uint64_t off = fz_u32(in) % s->vs;
        size_t len = (size_t)fz_u16(in) + 1;
        if (len > s->vs - off) len = (size_t)(s->vs - off);
        fill(wbuf, len, fz_u8(in), off);
        if (ob == RT_OP_NOMEM_OPEN) {
            rt_nomem_open(s, n);
            rt_write(s, off, wbuf, len);
            return 1;
        }
        return rt_nomem_write(s, n, off, wbuf, len);
    } else if (op == 9) {
        rt_zero(s, fz_u32(in) % s->vs, (uint64_t)fz_u32(in) % (3 * MiB) + 1);
    } else if (op == 8) {
        if (in->n && rt_variant_file_refusals(in->p[0]) && !s->files_done) {
            s->files_done = 1;
            rt_file_refusals();
        }
        create_probe(in);
    } else if (op <= 3 || op == 7) {
        unsigned cb = op == 7 ? fz_u8(in) : 0, crash = cb % 32u;
        uint64_t off = fz_u32(in) % s->vs;
        size_t len = (size_t)fz_u16(in) + 1;
        uint8_t f = fz_u8(in);
        if (len > s->vs - off) len = (size_t)(s->vs - off);
        fill(wbuf, len, f, off);
        if (op == 7) return rt_crash_write(s, crash, rt_variant_replay_by_path(cb), off, wbuf, len);
        rt_write(s, off, wbuf, len);
    } else if (op == 4) {
        rc = fz_rc(vhdx_flush(s->img, NULL), "vhdx_flush");
        if (rc != VHDX_OK) FZ_FAIL("flush failed: %s", vhdx_status_name(rc));
    } else if (op == 5) {
        rc = fz_rc(vhdx_close(s->img), "vhdx_close");
        s->img = NULL;
        if (rc != VHDX_OK) FZ_FAIL("close failed: %s", vhdx_status_name(rc));
        rt_open(s, VHDX_OPEN_RDWR);
    } else {
        uint64_t off = fz_u32(in) % s->vs;
        size_t len = (size_t)fz_u16(in) + 1;
        if (len > s->vs - off) len = (size_t)(s->vs - off);
        rt_compare(s, off, len, "read during script");
    }
    return 1;
}

/* After the script: close, reopen read-only with exactly the model's content, and check
 * finds no error. */
static void rt_finish(rt_state *s)
{
    int rc = fz_rc(vhdx_close(s->img), "vhdx_close");
    s->img = NULL;
    if (rc != VHDX_OK) FZ_FAIL("final close failed: %s", vhdx_status_name(rc));
    rt_open(s, 0);
    /* the whole disk: inputs drawn at creation ((byte 0 ^ byte 1) % 8 == 0, disks over
     * 16 MiB), and a sample (salt 6) of those whose script asked for it (crash, repair,
     * allocation failure at open, commit by path); the units the script wrote otherwise */
    const int whole = s->full_check == 2 || (s->full_check && rt_sampled(s, 6));
    rt_compare_marked(s, s->touched, whole, 0, 0, "after reopen");
    (void)fz_rc(vhdx_close(s->img), "vhdx_close(ro)");
    s->img = NULL;

    vhdx_check_opts co;
    vhdx_report *rep = NULL;
    vhdx_check_opts_default(&co);
    rc = fz_rc(vhdx_check(&s->io, NULL, &co, &rep), "vhdx_check");
    if (rc != VHDX_OK) FZ_FAIL("check could not run on an image made by libvhdx: %s", vhdx_status_name(rc));
    if (rep->verdict != VHDX_VERDICT_CONFORMANT || rep->errors) {
        for (size_t i = 0; i < rep->count; i++)
            fprintf(stderr, "finding: %s at %llu (%s) %s\n", vhdx_status_name(rep->findings[i].code),
                    (unsigned long long)rep->findings[i].offset,
                    rep->findings[i].field ? rep->findings[i].field : "", rep->findings[i].detail);
        FZ_FAIL("check reports %zu errors on an image written by libvhdx", rep->errors);
    }
    vhdx_report_free(rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = { data, size };
    unsigned b0 = fz_u8(&in), b1 = fz_u8(&in);
    rt_state s;
    vhdx_create_params p;
    memset(&s, 0, sizeof s);
    fz_liballoc_install(); /* the library's large per-call buffers recycled (fz_memfile.h) */
    s.hash = fz_hash(data, size);
    fz_file_init(&s.file, RT_FILE_MAX);
    fz_file_io(&s.io, &s.file);
    faultio_init(&s.fio, &s.io);
    faultio_numbering(&s.fio, FAULTIO_NUMBER_WRITES_RESIZES);
    vhdx_create_params_default(&p);
    p.type = (b0 & 1) ? VHDX_TYPE_DYNAMIC : VHDX_TYPE_FIXED;
    p.logical_sector_size = (b0 & 2) ? 4096 : 512;
    p.physical_sector_size = (b0 & 4) ? 512 : 4096;
    p.block_size = (uint32_t)(MiB << ((b0 >> 3) & 3u));
    p.virtual_size = (uint64_t)((b0 >> 5) + 1) * MiB + (uint64_t)b1 * p.logical_sector_size;
    p.log_size = (uint32_t)MiB;
    p.guid_gen = fz_guid_gen(&s.gs, b0 * 256u + b1);
    int rc = fz_rc(vhdx_create_io(&s.io, &p, NULL), "vhdx_create_io");
    if (rc == VHDX_E_UNSUPPORTED) goto out; /* library without create yet */
    if (rc != VHDX_OK) FZ_FAIL("create of valid parameters failed: %s", vhdx_status_name(rc));
    s.vs = s.vs_max = p.virtual_size;
    s.full_check = ((b0 ^ b1) & 7) == 0 || s.vs > 16 * MiB ? 2 : 0; /* 2: drawn here, not sampled */
    s.model = s.vs <= RT_MODEL_MAX ? rt_model_get() : NULL;
    if (!s.model) goto out;
    rt_open(&s, VHDX_OPEN_RDWR);
    for (unsigned spent = 0; in.n && spent < RT_BUDGET;) {
        spent += rt_op_cost(in.p[0]);
        if (!rt_step(&s, &in)) break;
    }
    rt_finish(&s);
out:
    if (s.img) (void)vhdx_close(s.img);
    faultio_free(&s.fio);
    if (s.model) rt_model_put(s.touched, s.model_all, s.vs_max);
    fz_file_free(&s.file);
    return 0;
}
