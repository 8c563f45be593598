/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_repair.c - vhdx_repair_plan_create / vhdx_repair_apply on images damaged one way
 * each (built in memory: dynamic, 8 MiB, 1 MiB blocks, blocks 0, 3 and 5 present):
 *   - the exact plan: kind, index, finding, file bytes written, virtual bytes lost;
 *   - planning never writes (every write or flush of the backend fails the test, and the
 *     bytes are compared);
 *   - after the repair the image checks with no finding at all, the plan is empty
 *     (idempotent) and every byte not listed as lost reads as before the damage;
 *   - crash consistency: the repair is run once to count its writes and flushes (N), then
 *     once per k = 1..N with the k-th failing (stopped, torn after half its 512-byte or
 *     4 KiB units, or with every write since the last flush lost). After each crash the
 *     image still plans (it opens for repair), an image that opened before still opens,
 *     and a second repair finishes: check clean, empty plan, same content.
 * Prints the number of crash points tried per action.
 * ctest-labels: slow
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "builder.h"
#include "faultio.h"
#include "image.h"

#define VS (8 * MiB)

typedef struct want_action {
    vhdx_repair_kind kind;
    uint64_t index;
    int code;
    uint64_t write_offset, write_length;
    uint64_t lost_offset, lost_length;
    int deviation;
} want_action;

typedef struct scenario {
    const char *name;
    void (*damage)(vb_image *im);
    unsigned flags;               /* repair flags */
    int opens;                    /* the damaged image opens (vhdx_open) */
    const want_action *want;
    size_t nwant;
} scenario;

/* ---- the images ---- */

static void build_base(vb_image *im)
{
    vb_params p;
    vb_params_default(&p);
    p.virtual_size = VS;
    p.block_size = (uint32_t)MiB;
    assert_int_equal(vb_build(im, &p), VHDX_OK);
    (void)vb_alloc_block(im, 0, 1);
    (void)vb_alloc_block(im, 3, 1);
    (void)vb_alloc_block(im, 5, 1);
}

/* A read-only view of caller bytes, borrowed (no copy: the crash loops open thousands of
 * images); a write, flush or size change through it fails the test. */
typedef struct view { const uint8_t *bytes; size_t len; } view;
static int view_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const view *v = ctx;
    if (off > v->len || len > v->len - off) return VHDX_E_IO_EOF;
    memcpy(buf, v->bytes + off, len);
    return VHDX_OK;
}
static int view_size(void *ctx, uint64_t *size) { *size = ((const view *)ctx)->len; return VHDX_OK; }
static int ro_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    (void)ctx; (void)off; (void)buf; (void)len;
    fail_msg("a read-only use wrote");
    return VHDX_E_IO;
}
static int ro_flush(void *ctx) { (void)ctx; fail_msg("a read-only use flushed"); return VHDX_E_IO; }
static int ro_set_size(void *ctx, uint64_t s) { (void)ctx; (void)s; fail_msg("a read-only use resized"); return VHDX_E_IO; }
static vhdx_io view_io(view *v, const uint8_t *bytes, size_t len)
{
    vhdx_io io;
    memset(&io, 0, sizeof io);
    v->bytes = bytes;
    v->len = len;
    io.ctx = v;
    io.read_at = view_read;
    io.get_size = view_size;
    io.write_at = ro_write;
    io.flush = ro_flush;
    io.set_size = ro_set_size;
    return io;
}

/* assert_memory_equal compares byte by byte through cmocka (most of this test's time on
 * megabyte buffers): memcmp, then the first differing offset. */
static void assert_same(const uint8_t *a, const uint8_t *b, size_t n, const char *what)
{
    if (memcmp(a, b, n) == 0) return;
    size_t i = 0;
    while (a[i] == b[i]) i++;
    fail_msg("%s: first difference at byte 0x%zx", what, i);
}

/* The parent file of the scenario being run (with_parent), else NULL: every open,
 * check and repair of the scenario then goes through it. */
static const char *cur_parent;

/* Virtual content of the image bytes (read-only open, log replayed in memory). */
static void read_disk(const uint8_t *bytes, size_t len, uint8_t *out)
{
    view v;
    vhdx_io io = view_io(&v, bytes, len);
    vhdx_image *img = NULL;
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    /* without a parent file, the differencing child holds every block itself */
    o.flags = cur_parent ? 0u : VHDX_OPEN_NO_PARENT;
    o.parent_path = cur_parent;
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_OK);
    assert_int_equal(vhdx_read(img, 0, out, VS, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

static void d_header(vb_image *im)
{
    /* the newest header torn: sequence 3 with a wrong CRC in slot 1 (header 1) */
    vb_header_set64(im, 0, HDR_OFF_SEQUENCE, 3);
    vb_put32(im, vb_header_offset(0) + HDR_OFF_CHECKSUM, vb_get32(im, vb_header_offset(0) + HDR_OFF_CHECKSUM) ^ 1u);
}
static void d_rt(vb_image *im)
{
    vb_put32(im, vb_rt_offset(1) + RT_OFF_CHECKSUM, vb_get32(im, vb_rt_offset(1) + RT_OFF_CHECKSUM) ^ 1u);
}
/* R87: an optional item with Length 0 and Offset 68 KiB */
static const vhdx_guid opt_item = { { 0x9a, 0xb7, 0xd4, 0xf1, 0x0e, 0x2b, 0x48, 0x45,
                                      0x82, 0x9f, 0xbc, 0xd9, 0xf6, 0x13, 0x30, 0x4d } };
static void d_md(vb_image *im) { (void)vb_md_add(im, &opt_item, (uint32_t)(68 * KiB), 0, 0); }
/* D12: block 5 moved past the end of the file; R71: block 6 on block 0's bytes */
static void d_bat(vb_image *im)
{
    uint64_t b0 = fmt_bat_offset(vb_bat_get(im, vb_pb_index(im, 0)));
    vb_bat_set(im, vb_pb_index(im, 5), fmt_bat_make(VHDX_PB_FULLY_PRESENT, 64 * MiB));
    vb_bat_set(im, vb_pb_index(im, 6), fmt_bat_make(VHDX_PB_FULLY_PRESENT, b0));
}
/* the file cut 512 KiB into its last block (block 5) */
static void d_truncate(vb_image *im) { vb_truncate(im, vb_size(im) - 512 * KiB); }
/* R72 and R69 on block 3 (state 4, then a reserved bit) */
static void d_state(vb_image *im)
{
    uint64_t e = vb_bat_get(im, vb_pb_index(im, 3));
    vb_bat_set(im, vb_pb_index(im, 3), (e & ~(uint64_t)7) | 4u | 8u);
}
/* D7 on both copies' BAT entry, D13 on block 1 (NOT_PRESENT with an offset) */
static void d_deviations(vb_image *im)
{
    vb_rt_entry_set32(im, -1, VB_RT_BAT, RTE_OFF_REQUIRED, 0);
    vb_bat_set(im, vb_pb_index(im, 1), fmt_bat_make(VHDX_PB_NOT_PRESENT, 7 * MiB));
}
/* R108 deviation: a differencing child (every block its own) whose locator has Hyper-V's
 * plain "C:\..." absolute_win32_path */
static want_action w_parent_path[1];
static void d_parent_path(vb_image *im)
{
    vb_params p;
    vb_free(im);
    vb_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.virtual_size = VS;
    p.block_size = (uint32_t)MiB;
    assert_int_equal(vb_build(im, &p), VHDX_OK);
    for (uint64_t b = 0; b < VS / MiB; b++) (void)vb_alloc_block(im, b, 1);
    const char *keys[3] = { "parent_linkage", "relative_path", "absolute_win32_path" };
    const char *vals[3] = { p.parent_linkage, p.parent_path, "C:\\VMs\\parent.vhdx" };
    uint8_t buf[4096];
    size_t n = 0;
    assert_int_equal(fmt_locator_build(keys, vals, 3, buf, sizeof buf, &n), VHDX_OK);
    vb_write(im, vb_md_item_offset(im, VB_MD_PL), buf, n);
    vb_md_entry_set32(im, VB_MD_PL, MDE_OFF_LENGTH, (uint32_t)n);
    want_action w = { VHDX_REPAIR_PARENT_PATH, VB_MD_PL, VHDX_W_PL_ABSOLUTE_PATH,
                      vb_md_item_offset(im, VB_MD_PL), n + 8, 0, 0, 1 };
    w_parent_path[0] = w;
}

/* A differencing child (blocks 1 and 2 its own) of a parent file (every block present,
 * its own pattern), torn like d_header; repaired with the parent open (opts.parent_path),
 * so its linkage is checked by every open of the repair. */
static char parent_file[64];
static void d_with_parent(vb_image *im)
{
    vb_params p;
    vb_image par;
    vb_params_default(&p);
    p.virtual_size = VS;
    p.block_size = (uint32_t)MiB;
    p.seed = 0x7a11;
    assert_int_equal(vb_build(&par, &p), VHDX_OK);
    for (uint64_t b = 0; b < VS / MiB; b++) (void)vb_alloc_block(&par, b, 1);
    fmt_header h;
    vb_header_get(&par, 1, &h);
    char linkage[40];
    vhdx_guid_format(&h.data_write_guid, linkage, sizeof linkage, 1);
    snprintf(parent_file, sizeof parent_file, "test_repair_parent.XXXXXX");
    int fd = mkstemp(parent_file);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(vb_data(&par), 1, (size_t)vb_size(&par), f), (size_t)vb_size(&par));
    assert_int_equal(fclose(f), 0);
    vb_free(&par);
    vb_free(im);
    vb_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.virtual_size = VS;
    p.block_size = (uint32_t)MiB;
    p.parent_linkage = linkage;
    p.parent_path = parent_file;
    assert_int_equal(vb_build(im, &p), VHDX_OK);
    (void)vb_alloc_block(im, 1, 1);
    (void)vb_alloc_block(im, 2, 1);
    d_header(im);
    cur_parent = parent_file;
}

/* R25 on both region table copies (signatures intact, same entries) */
static void d_rt_both_crc(vb_image *im)
{
    d_rt(im);
    vb_put32(im, vb_rt_offset(0) + RT_OFF_CHECKSUM, vb_get32(im, vb_rt_offset(0) + RT_OFF_CHECKSUM) ^ 1u);
}
/* R24/R25 on both region table copies, wiped entirely: the table is rebuilt from the
 * metadata region (its signature at 2 MiB) and the one plausible BAT (3 MiB) */
static void d_rt_lost(vb_image *im)
{
    uint8_t *z = calloc(1, VHDX_RT_SIZE);
    assert_non_null(z);
    vb_write(im, vb_rt_offset(0), z, VHDX_RT_SIZE);
    vb_write(im, vb_rt_offset(1), z, VHDX_RT_SIZE);
    free(z);
}

/* R83: File Parameters listed twice with the same value */
static void d_md_dup(vb_image *im)
{
    uint8_t v[8];
    vb_read(im, vb_md_item_offset(im, VB_MD_FP), v, sizeof v);
    vb_write(im, im->md_offset + 68 * KiB, v, sizeof v);
    (void)vb_md_add(im, &VHDX_GUID_FILE_PARAMETERS, (uint32_t)(68 * KiB), 8, VHDX_MD_FLAG_IS_REQUIRED);
}

/* a lost block and a deviation in the same BAT sector */
static void d_bat_mixed(vb_image *im)
{
    d_state(im);
    vb_bat_set(im, vb_pb_index(im, 1), fmt_bat_make(VHDX_PB_NOT_PRESENT, 7 * MiB));
}

static void d_all(vb_image *im)
{
    d_header(im);
    d_rt(im);
    d_md(im);
    d_bat(im);
}

/* A dirty log: block 1 written by the library, the crash right after its log entry is
 * durable (the first k whose image has a dirty log that replays to the data). */
static uint8_t block1[MiB];
static void d_log(vb_image *im)
{
    size_t n;
    const uint8_t *d = vb_data(im);
    n = (size_t)vb_size(im);
    uint8_t *clean = malloc(n);
    assert_non_null(clean);
    memcpy(clean, d, n);
    vb_pattern(0x4000000, block1, sizeof block1);
    for (uint64_t k = 1; k < 64; k++) {
        vhdx_io mem;
        faultio f;
        vhdx_image *img = NULL;
        vhdx_open_opts o;
        assert_int_equal(vhdx_io_mem_open(&mem, clean, n, GiB), VHDX_OK);
        faultio_init(&f, &mem);
        faultio_arm(&f, k, FAULTIO_STOP);
        vhdx_open_opts_default(&o);
        o.flags = VHDX_OPEN_RDWR;
        o.guid_gen = &im->gen;
        if (vhdx_open(&img, &f.io, 0, &o, NULL) == VHDX_OK) {
            int wrc = vhdx_write(img, MiB, block1, sizeof block1, NULL);
            (void)wrc; /* fails at the crash point: what matters is what reached the file */
            (void)vhdx_close(img);
        }
        faultio_settle(&f, 0);
        faultio_free(&f);
        size_t m;
        const uint8_t *r = vhdx_io_mem_data(&mem, &m);
        fmt_header h[2];
        int dirty = 0;
        if (m > 0x30000 && fmt_header_decode(r + VHDX_HEADER1_OFFSET, VHDX_HEADER_SIZE, &h[0]) == VHDX_OK &&
            fmt_header_decode(r + VHDX_HEADER2_OFFSET, VHDX_HEADER_SIZE, &h[1]) == VHDX_OK) {
            int cur = h[1].sequence_number > h[0].sequence_number;
            dirty = !vhdx_guid_is_zero(&h[cur].log_guid);
        }
        if (dirty) {
            uint8_t *disk = malloc(VS);
            assert_non_null(disk);
            read_disk(r, m, disk);
            int ok = memcmp(disk + MiB, block1, MiB) == 0;
            free(disk);
            if (ok) {
                vb_truncate(im, 0);
                vb_write(im, 0, r, m);
                vhdx_io_destroy(&mem);
                free(clean);
                return;
            }
        }
        vhdx_io_destroy(&mem);
    }
    free(clean);
    fail_msg("no crash point left a dirty log");
}

/* ---- expectations ---- */

#define HDR1 VHDX_HEADER1_OFFSET

static const want_action w_header[] = {
    { VHDX_REPAIR_HEADER, 0, VHDX_W_HEADER_INVALID_COPY, HDR1, 4096, 0, 0, 0 },
};
static const want_action w_rt[] = {
    { VHDX_REPAIR_REGION_TABLE, 1, VHDX_W_RT_INVALID_COPY, VHDX_RT2_OFFSET, VHDX_RT_SIZE, 0, 0, 0 },
};
static const want_action w_md[] = {
    { VHDX_REPAIR_METADATA_ENTRY, 5, VHDX_E_MD_ZERO_LENGTH_OFFSET, 2 * MiB, VHDX_MD_TABLE_SIZE, 0, 0, 0 },
};
static const want_action w_bat[] = {
    { VHDX_REPAIR_BAT_ENTRY, 0, VHDX_E_BAT_DUPLICATE, 3 * MiB, 4096, 0, MiB, 0 },
    { VHDX_REPAIR_BAT_ENTRY, 5, VHDX_E_BAT_OUTSIDE_FILE, 3 * MiB, 4096, 5 * MiB, MiB, 0 },
    { VHDX_REPAIR_BAT_ENTRY, 6, VHDX_E_BAT_DUPLICATE, 3 * MiB, 4096, 6 * MiB, MiB, 0 },
};
static const want_action w_truncate[] = {
    { VHDX_REPAIR_BAT_ENTRY, 5, VHDX_E_BAT_OUTSIDE_FILE, 3 * MiB, 4096, 5 * MiB, MiB, 0 },
    { VHDX_REPAIR_FILE_EXTEND, 0, VHDX_OK, 6 * MiB + 512 * KiB, 512 * KiB, 0, 0, 0 },
};
static const want_action w_state[] = {
    { VHDX_REPAIR_BAT_ENTRY, 3, VHDX_E_BAT_RESERVED, 3 * MiB, 4096, 3 * MiB, MiB, 0 },
};
static const want_action w_deviations[] = {
    { VHDX_REPAIR_REGION_REQUIRED, 0, VHDX_W_RT_NOT_REQUIRED, VHDX_RT1_OFFSET, 2 * VHDX_RT_SIZE, 0, 0, 1 },
    { VHDX_REPAIR_BAT_OFFSET, 1, VHDX_W_BAT_OFFSET_NOT_ZERO, 3 * MiB, 4096, 0, 0, 1 },
};
/* the crash came between the two passes of the header update that set LogGuid: the
 * headers disagree (W_HEADER_FIELDS_DIFFER on header 2) */
static const want_action w_log[] = {
    { VHDX_REPAIR_HEADER, 1, VHDX_W_HEADER_FIELDS_DIFFER, VHDX_HEADER2_OFFSET, 4096, 0, 0, 0 },
    { VHDX_REPAIR_LOG_REPLAY, 0, VHDX_I_LOG_DIRTY, 3 * MiB, 4096, 0, 0, 0 },
};
static const want_action w_rt_both[] = {
    { VHDX_REPAIR_REGION_TABLE, 0, VHDX_E_RT_CHECKSUM, VHDX_RT1_OFFSET, VHDX_RT_SIZE, 0, 0, 0 },
    { VHDX_REPAIR_REGION_TABLE, 1, VHDX_E_RT_CHECKSUM, VHDX_RT2_OFFSET, VHDX_RT_SIZE, 0, 0, 0 },
};
static const want_action w_rt_lost[] = {
    { VHDX_REPAIR_REGION_TABLE, 0, VHDX_E_RT_SIGNATURE, VHDX_RT1_OFFSET, VHDX_RT_SIZE, 0, 0, 0 },
    { VHDX_REPAIR_REGION_TABLE, 1, VHDX_E_RT_SIGNATURE, VHDX_RT2_OFFSET, VHDX_RT_SIZE, 0, 0, 0 },
};
static const want_action w_md_dup[] = {
    { VHDX_REPAIR_METADATA_ENTRY, 5, VHDX_E_MD_DUPLICATE, 2 * MiB, VHDX_MD_TABLE_SIZE, 0, 0, 0 },
};
static const want_action w_bat_mixed[] = {
    { VHDX_REPAIR_BAT_ENTRY, 3, VHDX_E_BAT_RESERVED, 3 * MiB, 4096, 3 * MiB, MiB, 0 },
    { VHDX_REPAIR_BAT_OFFSET, 1, VHDX_W_BAT_OFFSET_NOT_ZERO, 3 * MiB, 4096, 0, 0, 1 },
};
static const want_action w_all[] = {
    { VHDX_REPAIR_HEADER, 0, VHDX_W_HEADER_INVALID_COPY, HDR1, 4096, 0, 0, 0 },
    { VHDX_REPAIR_REGION_TABLE, 1, VHDX_W_RT_INVALID_COPY, VHDX_RT2_OFFSET, VHDX_RT_SIZE, 0, 0, 0 },
    { VHDX_REPAIR_METADATA_ENTRY, 5, VHDX_E_MD_ZERO_LENGTH_OFFSET, 2 * MiB, VHDX_MD_TABLE_SIZE, 0, 0, 0 },
    { VHDX_REPAIR_BAT_ENTRY, 0, VHDX_E_BAT_DUPLICATE, 3 * MiB, 4096, 0, MiB, 0 },
    { VHDX_REPAIR_BAT_ENTRY, 5, VHDX_E_BAT_OUTSIDE_FILE, 3 * MiB, 4096, 5 * MiB, MiB, 0 },
    { VHDX_REPAIR_BAT_ENTRY, 6, VHDX_E_BAT_DUPLICATE, 3 * MiB, 4096, 6 * MiB, MiB, 0 },
};

#define SCEN(n, fn, fl, op, w) { n, fn, fl, op, w, sizeof w / sizeof w[0] }
static const scenario scenarios[] = {
    SCEN("header", d_header, 0, 1, w_header),
    SCEN("region_table", d_rt, 0, 1, w_rt),
    SCEN("metadata_entry", d_md, 0, 0, w_md),
    SCEN("bat_entry", d_bat, VHDX_REPAIR_ALLOW_DATA_LOSS, 0, w_bat),
    SCEN("truncated", d_truncate, VHDX_REPAIR_ALLOW_DATA_LOSS | VHDX_REPAIR_FIX_DEVIATIONS, 0, w_truncate),
    SCEN("bat_state", d_state, VHDX_REPAIR_ALLOW_DATA_LOSS, 0, w_state),
    SCEN("deviations", d_deviations, VHDX_REPAIR_FIX_DEVIATIONS, 1, w_deviations),
    SCEN("log_replay", d_log, 0, 1, w_log),
    SCEN("all", d_all, VHDX_REPAIR_ALLOW_DATA_LOSS, 0, w_all),
    SCEN("parent_path", d_parent_path, VHDX_REPAIR_FIX_DEVIATIONS, 1, w_parent_path),
    SCEN("region_tables_both", d_rt_both_crc, 0, 0, w_rt_both),
    SCEN("metadata_duplicate", d_md_dup, 0, 0, w_md_dup),
    SCEN("bat_mixed", d_bat_mixed, VHDX_REPAIR_ALLOW_DATA_LOSS | VHDX_REPAIR_FIX_DEVIATIONS, 0, w_bat_mixed),
    SCEN("region_tables_lost", d_rt_lost, 0, 0, w_rt_lost),
    SCEN("with_parent", d_with_parent, 0, 1, w_header),
};
#define NSCEN (sizeof scenarios / sizeof scenarios[0])

/* ---- a damaged image and what it must read as after repair ---- */

typedef struct fixture {
    const scenario *sc;
    uint8_t *bytes;               /* damaged image */
    size_t len;
    uint8_t *expect;              /* virtual disk after repair */
    vhdx_guid_seeded gs;
    vhdx_guid_gen gen;
} fixture;

static void fixture_make(fixture *fx, const scenario *sc)
{
    vb_image im;
    memset(fx, 0, sizeof *fx);
    fx->sc = sc;
    build_base(&im);
    fx->expect = malloc(VS);
    assert_non_null(fx->expect);
    read_disk(vb_data(&im), (size_t)vb_size(&im), fx->expect);
    sc->damage(&im);
    if (sc->damage == d_log) memcpy(fx->expect + MiB, block1, MiB);
    if (sc->damage == d_parent_path || sc->damage == d_with_parent)
        read_disk(vb_data(&im), (size_t)vb_size(&im), fx->expect);
    fx->len = (size_t)vb_size(&im);
    fx->bytes = malloc(fx->len);
    assert_non_null(fx->bytes);
    memcpy(fx->bytes, vb_data(&im), fx->len);
    vb_free(&im);
    for (size_t i = 0; i < sc->nwant; i++)
        if (sc->want[i].lost_length)
            memset(fx->expect + sc->want[i].lost_offset, 0, sc->want[i].lost_length);
    fx->gen = vhdx_guid_gen_seeded(&fx->gs, 99);
}

static void fixture_free(fixture *fx)
{
    free(fx->bytes);
    free(fx->expect);
    if (cur_parent) assert_int_equal(remove(cur_parent), 0);
    cur_parent = NULL;
}

static void opts_of(fixture *fx, vhdx_repair_opts *o)
{
    vhdx_repair_opts_default(o);
    o->flags = fx->sc->flags;
    o->guid_gen = &fx->gen;
    o->parent_path = cur_parent;
}

static void assert_plan(const scenario *sc, const vhdx_repair_plan *p)
{
    if (p->count != sc->nwant) {
        for (size_t i = 0; i < p->count; i++)
            printf("  %s %llu %s\n", vhdx_repair_kind_name((int)p->actions[i].kind),
                   (unsigned long long)p->actions[i].index, p->actions[i].detail);
        fail_msg("%s: %zu actions, expected %zu", sc->name, p->count, sc->nwant);
    }
    assert_int_equal(p->left_count, 0);
    assert_int_equal(p->refused, 0);
    for (size_t i = 0; i < sc->nwant; i++) {
        const want_action *w = &sc->want[i];
        const vhdx_repair_action *a = &p->actions[i];
        assert_int_equal(a->kind, w->kind);
        assert_int_equal(a->index, w->index);
        assert_string_equal(vhdx_status_name(a->code), vhdx_status_name(w->code));
        assert_int_equal(a->write_offset, w->write_offset);
        assert_int_equal(a->write_length, w->write_length);
        assert_int_equal(a->lost_offset, w->lost_offset);
        assert_int_equal(a->lost_length, w->lost_length);
        assert_int_equal(a->deviation, w->deviation);
    }
}

/* The plan of the image bytes, over a view: planning never writes, flushes or resizes
 * (each fails the test) and the bytes are const. */
static vhdx_repair_plan *plan_of(fixture *fx, const uint8_t *bytes, size_t len)
{
    view v;
    vhdx_io ro = view_io(&v, bytes, len);
    vhdx_repair_opts o;
    vhdx_repair_plan *p = NULL;
    opts_of(fx, &o);
    assert_int_equal(vhdx_repair_plan_create(&ro, &o, &p, NULL), VHDX_OK);
    return p;
}

/* Repaired image bytes: no finding, empty plan, the expected content. */
static void assert_repaired(fixture *fx, const uint8_t *bytes, size_t len)
{
    view v;
    vhdx_io io = view_io(&v, bytes, len);
    vhdx_report *r = NULL;
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    co.flags = cur_parent ? 0u : VHDX_OPEN_NO_PARENT;
    co.parent_path = cur_parent;
    assert_int_equal(vhdx_check(&io, NULL, &co, &r), VHDX_OK);
    if (r->count) fail_msg("%s: check finds %s after repair", fx->sc->name, vhdx_status_name(r->findings[0].code));
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    vhdx_report_free(r);
    assert_int_equal(len % MiB, 0);
    vhdx_repair_plan *p = plan_of(fx, bytes, len);
    assert_int_equal(p->count, 0);
    assert_int_equal(p->left_count, 0);
    vhdx_repair_plan_free(p);
    uint8_t *disk = malloc(VS);
    assert_non_null(disk);
    read_disk(bytes, len, disk);
    assert_same(disk, fx->expect, VS, fx->sc->name);
    free(disk);
}

/* Repair with the k-th write or flush failing (k 0: none); returns the operations seen
 * and leaves the resulting image in the memory backend *mem (the caller destroys it). */
static uint64_t repair_once(fixture *fx, uint64_t k, int mode, int lose, vhdx_io *mem,
                            uint64_t **lens)
{
    faultio f;
    vhdx_repair_opts o;
    vhdx_repair_plan *p = NULL;
    opts_of(fx, &o);
    assert_int_equal(vhdx_io_mem_open(mem, fx->bytes, fx->len, GiB), VHDX_OK);
    faultio_init(&f, mem);
    faultio_arm(&f, k, mode);
    int rc = vhdx_repair_apply(&f.io, &o, &p, NULL);
    if (k == 0) {
        assert_int_equal(rc, VHDX_OK);
        assert_non_null(p);
        assert_int_equal(p->applied, 1);
        for (size_t i = 0; i < p->count; i++) assert_int_equal(p->actions[i].applied, 1);
        *lens = calloc(f.ops + 1, sizeof **lens);
        assert_non_null(*lens);
        for (uint64_t i = 1; i <= f.ops; i++) (*lens)[i] = faultio_op_len(&f, i);
    } else {
        assert_int_equal(f.crashed, 1);
        assert_int_not_equal(rc, VHDX_OK);
    }
    vhdx_repair_plan_free(p);
    uint64_t ops = f.ops;
    faultio_settle(&f, lose);
    faultio_free(&f);
    return ops;
}

/* After a crash (the image in *mem): the image plans, opens when the damaged one did, and
 * a second repair (in place, on *mem) finishes it. */
static void assert_recovers(fixture *fx, vhdx_io *mem)
{
    size_t len;
    const uint8_t *bytes = vhdx_io_mem_data(mem, &len);
    vhdx_repair_plan *p = plan_of(fx, bytes, len);
    assert_int_equal(p->left_count, 0);
    assert_int_equal(p->refused, 0);
    vhdx_repair_plan_free(p);
    if (fx->sc->opens) {
        view v;
        vhdx_io io = view_io(&v, bytes, len);
        vhdx_image *img = NULL;
        vhdx_open_opts oo;
        vhdx_open_opts_default(&oo);
        oo.flags = cur_parent ? 0u : VHDX_OPEN_NO_PARENT;
        oo.parent_path = cur_parent;
        assert_int_equal(vhdx_open(&img, &io, 0, &oo, NULL), VHDX_OK);
        assert_int_equal(vhdx_close(img), VHDX_OK);
    }
    vhdx_repair_opts o;
    opts_of(fx, &o);
    assert_int_equal(vhdx_repair_apply(mem, &o, &p, NULL), VHDX_OK);
    assert_int_equal(p->refused, 0);
    vhdx_repair_plan_free(p);
    bytes = vhdx_io_mem_data(mem, &len);
    assert_repaired(fx, bytes, len);
}

static void plan_and_repair(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSCEN; s++) {
        fixture fx;
        fixture_make(&fx, &scenarios[s]);
        vhdx_repair_plan *p = plan_of(&fx, fx.bytes, fx.len);
        assert_plan(fx.sc, p);
        assert_int_equal(p->data_loss, (fx.sc->flags & VHDX_REPAIR_ALLOW_DATA_LOSS) != 0);
        /* a differencing image that opens: checked against its parent only with one */
        int diff = fx.sc->damage == d_parent_path || fx.sc->damage == d_with_parent;
        assert_int_equal(p->differencing, diff && fx.sc->opens);
        assert_int_equal(p->parent_checked, cur_parent != NULL);
        vhdx_repair_plan_free(p);
        vhdx_io mem;
        size_t n;
        uint64_t *lens = NULL;
        (void)repair_once(&fx, 0, FAULTIO_STOP, 0, &mem, &lens);
        const uint8_t *out = vhdx_io_mem_data(&mem, &n);
        assert_repaired(&fx, out, n);
        vhdx_io_destroy(&mem);
        free(lens);
        fixture_free(&fx);
    }
}

/* Without the flag an action needs, nothing is written. */
static void refused_without_flags(void **state)
{
    (void)state;
    for (size_t s = 0; s < NSCEN; s++) {
        if (!scenarios[s].flags) continue;
        fixture fx;
        fixture_make(&fx, &scenarios[s]);
        scenario sc = scenarios[s];
        sc.flags = 0;
        fx.sc = &sc;
        vhdx_io mem;
        vhdx_repair_opts o;
        vhdx_repair_plan *p = NULL;
        opts_of(&fx, &o);
        assert_int_equal(vhdx_io_mem_open(&mem, fx.bytes, fx.len, GiB), VHDX_OK);
        assert_int_equal(vhdx_repair_apply(&mem, &o, &p, NULL), VHDX_OK);
        int loss = (scenarios[s].flags & VHDX_REPAIR_ALLOW_DATA_LOSS) != 0;
        assert_int_equal(p->refused, loss);
        assert_int_equal(p->applied, 0);
        size_t devs = 0;
        for (size_t i = 0; i < scenarios[s].nwant; i++) devs += (size_t)scenarios[s].want[i].deviation;
        assert_int_equal(p->deviations_skipped, devs);
        vhdx_repair_plan_free(p);
        size_t n;
        const uint8_t *d = vhdx_io_mem_data(&mem, &n);
        assert_int_equal(n, fx.len);
        assert_same(d, fx.bytes, n, "refused repair");
        vhdx_io_destroy(&mem);
        fixture_free(&fx);
    }
}

/* Damage no action repairs: listed, nothing written. */
static void refused_one(void (*damage)(vb_image *), const char *code, uint64_t off, const char *detail);
static void d_headers_both(vb_image *im)
{
    vb_put32(im, vb_header_offset(0) + HDR_OFF_CHECKSUM, 0);
    vb_put32(im, vb_header_offset(1) + HDR_OFF_CHECKSUM, 0);
}
/* R83: File Parameters listed twice with different block sizes: which is right is unknown */
static void d_md_dup_differs(vb_image *im)
{
    uint8_t v[8];
    vb_read(im, vb_md_item_offset(im, VB_MD_FP), v, sizeof v);
    v[2] ^= 0x10;
    vb_write(im, im->md_offset + 68 * KiB, v, sizeof v);
    (void)vb_md_add(im, &VHDX_GUID_FILE_PARAMETERS, (uint32_t)(68 * KiB), 8, VHDX_MD_FLAG_IS_REQUIRED);
}
/* Both region tables lost and the file holds what makes a rebuild ambiguous: the 1 MiB
 * at `from` copied to a new last MiB (7 MiB), or a BAT entry no BAT can hold. */
static void copy_mib_to_end(vb_image *im, uint64_t from)
{
    uint8_t *b = malloc(MiB);
    assert_non_null(b);
    assert_int_equal(vb_size(im), 7 * MiB);
    vb_read(im, from, b, MiB);
    vb_write(im, 7 * MiB, b, MiB);
    free(b);
}
static void d_rt_lost_md2(vb_image *im) { d_rt_lost(im); copy_mib_to_end(im, 2 * MiB); }
static void d_rt_lost_bat2(vb_image *im) { d_rt_lost(im); copy_mib_to_end(im, 3 * MiB); }
static void d_rt_lost_nobat(vb_image *im)
{
    d_rt_lost(im);
    vb_bat_set(im, vb_pb_index(im, 3), vb_bat_get(im, vb_pb_index(im, 3)) | 8u);
}
static void d_rt_lost_nomd(vb_image *im)
{
    d_rt_lost(im);
    vb_put32(im, 2 * MiB, 0);
}
static void refused_damage(void **state)
{
    (void)state;
    refused_one(d_headers_both, "VHDX_E_NO_VALID_HEADER", VHDX_HEADER1_OFFSET, NULL);
    refused_one(d_md_dup_differs, "VHDX_E_MD_DUPLICATE", 2 * MiB + MD_HEADER_SIZE + 5 * MD_ENTRY_SIZE,
                "the duplicate holds a different value");
    refused_one(d_rt_lost_md2, "VHDX_E_RT_SIGNATURE", VHDX_RT1_OFFSET,
                "not rebuilt: 2 metadata tables found at 0x200000, 0x700000");
    refused_one(d_rt_lost_bat2, "VHDX_E_RT_SIGNATURE", VHDX_RT1_OFFSET,
                "not rebuilt: 2 plausible BAT locations at 0x300000, 0x700000");
    refused_one(d_rt_lost_nobat, "VHDX_E_RT_SIGNATURE", VHDX_RT1_OFFSET,
                "not rebuilt: no plausible BAT of 8 entries outside the metadata region and the log");
    refused_one(d_rt_lost_nomd, "VHDX_E_RT_SIGNATURE", VHDX_RT1_OFFSET,
                "not rebuilt: no metadata table with a usable geometry at a 1 MiB boundary");
}

static void refused_one(void (*damage)(vb_image *), const char *code, uint64_t off, const char *detail)
{
    vb_image im;
    build_base(&im);
    damage(&im);
    vhdx_repair_plan *p = NULL;
    vhdx_repair_opts o;
    vhdx_repair_opts_default(&o);
    o.flags = VHDX_REPAIR_ALLOW_DATA_LOSS | VHDX_REPAIR_FIX_DEVIATIONS;
    size_t before = (size_t)vb_size(&im);
    uint8_t *copy = malloc(before);
    assert_non_null(copy);
    memcpy(copy, vb_data(&im), before);
    assert_int_equal(vhdx_repair_apply(&im.io, &o, &p, NULL), VHDX_OK);
    assert_int_equal(p->refused, 1);
    assert_int_equal(p->applied, 0);
    assert_int_equal(p->left_count, 1);
    assert_string_equal(vhdx_status_name(p->left[0].code), code);
    assert_int_equal(p->left[0].offset, off);
    if (detail) assert_string_equal(p->left[0].detail, detail);
    vhdx_repair_plan_free(p);
    assert_int_equal(vb_size(&im), before);
    assert_same(vb_data(&im), copy, before, "refused repair");
    free(copy);
    vb_free(&im);
}

/* The rebuilt region table: what the plan says it found, and after the repair both copies
 * hold exactly the table the image was built with (its BAT and metadata entries). */
static void region_table_rebuilt(void **state)
{
    (void)state;
    vb_image im;
    build_base(&im);
    uint8_t *before = malloc(2 * VHDX_RT_SIZE);
    assert_non_null(before);
    vb_read(&im, VHDX_RT1_OFFSET, before, 2 * VHDX_RT_SIZE);
    d_rt_lost(&im);
    vhdx_repair_plan *p = NULL;
    vhdx_repair_opts o;
    vhdx_repair_opts_default(&o);
    assert_int_equal(vhdx_repair_apply(&im.io, &o, &p, NULL), VHDX_OK);
    assert_int_equal(p->applied, 1);
    assert_int_equal(p->count, 2);
    for (int c = 0; c < 2; c++) {
        char want[160];
        snprintf(want, sizeof want, "region table copy %d rebuilt: BAT at 0x300000 (0x100000 bytes), "
                 "metadata at 0x200000 (0x100000 bytes)", c + 1);
        assert_string_equal(p->actions[c].detail, want);
    }
    vhdx_repair_plan_free(p);
    uint8_t *after = malloc(2 * VHDX_RT_SIZE);
    assert_non_null(after);
    vb_read(&im, VHDX_RT1_OFFSET, after, 2 * VHDX_RT_SIZE);
    assert_same(after, before, 2 * VHDX_RT_SIZE, "rebuilt region tables");
    free(before);
    free(after);
    vb_free(&im);
}

/* No rule asks for version-4 GUIDs ([MS-VHDX 2.2.2] R12/R13/R21: new unique values,
 * FileWriteGuid random; 4.1 of the format notes: QEMU stores RFC 4122 bytes whose MS
 * rendering shows version 0): an image whose FileWriteGuid, DataWriteGuid and Virtual
 * Disk ID read as version 0 checks clean and a repair, deviations included, plans nothing
 * and writes nothing (DataWriteGuid and the Virtual Disk ID are what children and the
 * disk's identity hang on). A writable open that modifies takes v4 GUIDs anyway (R12, R13). */
static void non_v4_guids_left_alone(void **state)
{
    (void)state;
    static const vhdx_guid q = { { 0x6b, 0x1c, 0x2f, 0x8e, 0x53, 0x91, 0x0a, 0x07,
                                   0x9d, 0x64, 0x11, 0x5e, 0x9b, 0xfd, 0x4a, 0x08 } };
    vb_image im;
    build_base(&im);
    for (int slot = 0; slot < 2; slot++) {
        vb_header_set_guid(&im, slot, HDR_OFF_FILE_WRITE_GUID, &q);
        vb_header_set_guid(&im, slot, HDR_OFF_DATA_WRITE_GUID, &q);
    }
    vb_write(&im, vb_md_item_offset(&im, VB_MD_VDID), q.b, sizeof q.b);
    assert_int_equal(q.b[7] >> 4, 0);
    size_t n = (size_t)vb_size(&im);
    uint8_t *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, vb_data(&im), n);
    view v;
    vhdx_io io = view_io(&v, copy, n);
    vhdx_report *r = NULL;
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    assert_int_equal(vhdx_check(&io, NULL, &co, &r), VHDX_OK);
    assert_int_equal(r->count, 0);
    vhdx_report_free(r);
    vhdx_repair_plan *p = NULL;
    vhdx_repair_opts o;
    vhdx_repair_opts_default(&o);
    o.flags = VHDX_REPAIR_FIX_DEVIATIONS | VHDX_REPAIR_ALLOW_DATA_LOSS;
    assert_int_equal(vhdx_repair_apply(&im.io, &o, &p, NULL), VHDX_OK);
    assert_int_equal(p->count, 0);
    assert_int_equal(p->left_count, 0);
    assert_int_equal(p->applied, 0);
    vhdx_repair_plan_free(p);
    assert_int_equal(vb_size(&im), n);
    assert_same(vb_data(&im), copy, n, "repair of non-v4 GUIDs");
    /* the next modification replaces FileWriteGuid and DataWriteGuid with v4 values */
    vhdx_image *img = NULL;
    vhdx_open_opts oo;
    vhdx_open_opts_default(&oo);
    oo.flags = VHDX_OPEN_RDWR;
    oo.guid_gen = &im.gen;
    assert_int_equal(vhdx_open(&img, &im.io, 0, &oo, NULL), VHDX_OK);
    uint8_t sector[512];
    memset(sector, 0x5a, sizeof sector);
    assert_int_equal(vhdx_write(img, 0, sector, sizeof sector, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    fmt_header h[2];
    vb_header_get(&im, 0, &h[0]);
    vb_header_get(&im, 1, &h[1]);
    const fmt_header *cur = h[1].sequence_number > h[0].sequence_number ? &h[1] : &h[0];
    assert_int_equal(cur->file_write_guid.b[7] >> 4, 4);
    assert_int_equal(cur->data_write_guid.b[7] >> 4, 4);
    uint8_t id[16];
    vb_read(&im, vb_md_item_offset(&im, VB_MD_VDID), id, sizeof id);
    assert_same(id, q.b, sizeof id, "Virtual Disk ID");
    free(copy);
    vb_free(&im);
}

static void crash_points(size_t s)
{
    fixture fx;
    fixture_make(&fx, &scenarios[s]);
    vhdx_io mem;
    uint64_t *lens = NULL;
    uint64_t ops = repair_once(&fx, 0, FAULTIO_STOP, 0, &mem, &lens);
    vhdx_io_destroy(&mem);
    assert_true(ops >= 2);
    unsigned long tried = 0;
    for (uint64_t k = 1; k <= ops; k++) {
        static const int modes[3] = { FAULTIO_STOP, FAULTIO_TEAR_512, FAULTIO_TEAR_4K };
        for (int m = 0; m < 3; m++) {
            if (m == 1 && lens[k] < 2 * 512) continue;  /* a tear keeps at least one unit */
            if (m == 2 && lens[k] < 2 * 4096) continue;
            for (int lose = 0; lose < 2; lose++) {
                if (m && lose) continue;
                (void)repair_once(&fx, k, modes[m], lose, &mem, &lens);
                assert_recovers(&fx, &mem);
                vhdx_io_destroy(&mem);
                tried++;
            }
        }
    }
    printf("repair crash points: %s: %llu operations, %lu crashes tried\n", fx.sc->name,
           (unsigned long long)ops, tried);
    free(lens);
    fixture_free(&fx);
}

static void crash_header(void **state) { (void)state; crash_points(0); }
static void crash_region_table(void **state) { (void)state; crash_points(1); }
static void crash_metadata_entry(void **state) { (void)state; crash_points(2); }
static void crash_bat_entry(void **state) { (void)state; crash_points(3); }
static void crash_truncated(void **state) { (void)state; crash_points(4); }
static void crash_bat_state(void **state) { (void)state; crash_points(5); }
static void crash_deviations(void **state) { (void)state; crash_points(6); }
static void crash_log_replay(void **state) { (void)state; crash_points(7); }
static void crash_all(void **state) { (void)state; crash_points(8); }
static void crash_parent_path(void **state) { (void)state; crash_points(9); }
static void crash_region_tables_both(void **state) { (void)state; crash_points(10); }
static void crash_metadata_duplicate(void **state) { (void)state; crash_points(11); }
static void crash_bat_mixed(void **state) { (void)state; crash_points(12); }
static void crash_region_tables_lost(void **state) { (void)state; crash_points(13); }
static void crash_with_parent(void **state) { (void)state; crash_points(14); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_and_repair),
        cmocka_unit_test(refused_without_flags),
        cmocka_unit_test(refused_damage),
        cmocka_unit_test(region_table_rebuilt),
        cmocka_unit_test(non_v4_guids_left_alone),
        cmocka_unit_test(crash_header),
        cmocka_unit_test(crash_region_table),
        cmocka_unit_test(crash_metadata_entry),
        cmocka_unit_test(crash_bat_entry),
        cmocka_unit_test(crash_truncated),
        cmocka_unit_test(crash_bat_state),
        cmocka_unit_test(crash_deviations),
        cmocka_unit_test(crash_log_replay),
        cmocka_unit_test(crash_all),
        cmocka_unit_test(crash_parent_path),
        cmocka_unit_test(crash_region_tables_both),
        cmocka_unit_test(crash_metadata_duplicate),
        cmocka_unit_test(crash_bat_mixed),
        cmocka_unit_test(crash_region_tables_lost),
        cmocka_unit_test(crash_with_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
