/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log.c - the log (MS-VHDX 2.3, VHDX-FORMAT.md section 8): finding the active
 * sequence (stale LogGuids, gaps, torn entries, Tail, newest sequence, entries wrapping
 * the ring), replay in memory (file bytes untouched) and in place, the failure codes of
 * R59/R61/R62/D14, and the journaled writer (entries wrap the ring; a copy of the file
 * taken while a session is open replays to the same content).
 * ctest-labels: libuuid
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <cmocka.h>

#include "image.h"

#define LOG_OFF   MiB
#define LOG_LEN   MiB
#define BAT_OFF   (3 * MiB)
#define T1        (4 * MiB)            /* targets past the end of the 4 MiB file (R64) */
#define T2        (4 * MiB + 4096)
#define T3        (4 * MiB + 8192)

static vhdx_guid guid_of(uint8_t v)
{
    vhdx_guid g;
    memset(g.b, v, sizeof g.b);
    return g;
}

/* dynamic 16 MiB, 1 MiB blocks: log 1-2 MiB, metadata 2-3 MiB, BAT 3-4 MiB, size 4 MiB */
static void mk_base(vhdx_io *io)
{
    vhdx_create_params p;
    vhdx_guid_seeded st;
    vhdx_guid_gen gen = vhdx_guid_gen_seeded(&st, 42);
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DYNAMIC;
    p.virtual_size = 16 * MiB;
    p.block_size = (uint32_t)MiB;
    p.guid_gen = &gen;
    assert_int_equal(vhdx_io_mem_open(io, NULL, 0, 64 * MiB), VHDX_OK);
    assert_int_equal(vhdx_create_io(io, &p, NULL), VHDX_OK);
}

static void set_log_guid(vhdx_io *io, const vhdx_guid *g)
{
    for (int slot = 0; slot < 2; slot++) {
        uint8_t raw[4096];
        fmt_header h;
        uint64_t off = slot ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET;
        assert_int_equal(io->read_at(io->ctx, off, raw, sizeof raw), VHDX_OK);
        assert_int_equal(fmt_header_decode(raw, sizeof raw, &h), VHDX_OK);
        h.log_guid = *g;
        assert_int_equal(fmt_header_encode(&h, raw, sizeof raw), VHDX_OK);
        assert_int_equal(io->write_at(io->ctx, off, raw, sizeof raw), VHDX_OK);
    }
}

typedef struct tdesc {
    int zero;
    uint64_t off;
    uint64_t zlen;
    const uint8_t *data;   /* 4096 bytes */
} tdesc;

/* Writes an entry into the ring at pos (wrapping); returns its length. corrupt: flip a
 * byte of the last sector after the checksum is computed (a torn entry). */
static uint32_t put_entry(vhdx_io *io, uint32_t pos, uint64_t seq, const vhdx_guid *g,
                          uint32_t tail, const tdesc *d, size_t nd, uint64_t flushed,
                          uint64_t last, int corrupt)
{
    size_t ndata = 0, i, k = 0;
    for (i = 0; i < nd; i++) ndata += !d[i].zero;
    uint64_t dsec = fmt_log_descriptor_sectors(nd);
    uint32_t len = (uint32_t)(4096 * (dsec + ndata));
    uint8_t *e = calloc(1, len);
    assert_non_null(e);
    for (i = 0; i < nd; i++) {
        fmt_log_descriptor ds;
        memset(&ds, 0, sizeof ds);
        ds.file_offset = d[i].off;
        ds.sequence_number = seq;
        if (d[i].zero) {
            ds.signature = VHDX_SIG_ZERO;
            ds.zero_length = d[i].zlen;
        } else {
            ds.signature = VHDX_SIG_DESC;
            fmt_log_data_sector_encode(d[i].data, seq, &ds, e + (dsec + k) * 4096);
            k++;
        }
        assert_int_equal(fmt_log_descriptor_encode(&ds, e + fmt_log_descriptor_pos(i), 32), VHDX_OK);
    }
    fmt_log_entry_header h;
    memset(&h, 0, sizeof h);
    h.signature = VHDX_SIG_LOGE;
    h.entry_length = len;
    h.tail = tail;
    h.sequence_number = seq;
    h.descriptor_count = (uint32_t)nd;
    h.log_guid = *g;
    h.flushed_file_offset = flushed;
    h.last_file_offset = last;
    assert_int_equal(fmt_log_entry_header_encode(&h, e, 64), VHDX_OK);
    vhdx_put32(e + LOGE_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(e, len, LOGE_OFF_CHECKSUM));
    if (corrupt) e[len - 100] ^= 0x5A;
    for (uint32_t done = 0; done < len;) {
        uint32_t p = (pos + done) % LOG_LEN;
        uint32_t n = len - done;
        if (p + n > LOG_LEN) n = LOG_LEN - p;
        assert_int_equal(io->write_at(io->ctx, LOG_OFF + p, e + done, n), VHDX_OK);
        done += n;
    }
    free(e);
    return len;
}

static void fill_sector(uint8_t *s, uint8_t v)
{
    for (size_t i = 0; i < 4096; i++) s[i] = (uint8_t)(v + i * 7);
}

static uint8_t *snapshot(vhdx_io *io, size_t *len)
{
    const uint8_t *d = vhdx_io_mem_data(io, len);
    uint8_t *c = malloc(*len);
    assert_non_null(c);
    memcpy(c, d, *len);
    return c;
}

static void expect_file(vhdx_image *img, uint64_t off, const uint8_t *want)
{
    uint8_t got[4096];
    assert_int_equal(img_pread(img, off, got, sizeof got, NULL), VHDX_OK);
    assert_memory_equal(got, want, sizeof got);
}

static void expect_zero(vhdx_image *img, uint64_t off)
{
    uint8_t z[4096];
    memset(z, 0, sizeof z);
    expect_file(img, off, z);
}

static int open_io(vhdx_image **img, vhdx_io *io, unsigned flags, vhdx_diag *d)
{
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    vhdx_diag_clear(d);
    return vhdx_open(img, io, 0, &o, d);
}

/* ---- single entry: read-only overlay leaves the file alone, read-write replays ---- */

static void replay_ro_overlay_file_untouched(void **state)
{
    (void)state;
    vhdx_io io;
    vhdx_guid g = guid_of(0x11);
    uint8_t a[4096], bat[4096];
    mk_base(&io);
    fill_sector(a, 1);
    memset(bat, 0, sizeof bat);
    vhdx_put64(bat, fmt_bat_make(VHDX_PB_FULLY_PRESENT, T1)); /* block 0 -> 4 MiB */
    tdesc d[2] = { { 0, BAT_OFF, 0, bat }, { 0, T1, 0, a } };
    put_entry(&io, 0, 7, &g, 0, d, 2, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&io, &g);
    size_t n0;
    uint8_t *before = snapshot(&io, &n0);

    vhdx_image *img;
    vhdx_diag dg;
    assert_int_equal(open_io(&img, &io, 0, &dg), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.log_dirty, 1);
    assert_int_equal(info.log_replayed, 1);
    assert_int_equal(info.log_entries_replayed, 1);
    /* the logical file reaches LastFileOffset; the backend does not */
    assert_int_equal(img->file_size, 5 * MiB);
    assert_int_equal(img_log_backend_size(img), 4 * MiB);
    expect_file(img, T1, a);
    expect_file(img, BAT_OFF, bat);
    uint8_t v[4096];
    assert_int_equal(vhdx_read(img, 0, v, sizeof v, NULL), VHDX_OK);
    assert_memory_equal(v, a, sizeof v);
    assert_int_equal(vhdx_read(img, MiB, v, sizeof v, NULL), VHDX_OK);
    for (size_t i = 0; i < sizeof v; i++) assert_int_equal(v[i], 0);
    uint64_t ro[4], rl[4];
    assert_int_equal(img_log_replay_ranges(img, ro, rl, 4), 2);
    assert_int_equal(ro[0], BAT_OFF);
    assert_int_equal(rl[0], 4096);
    assert_int_equal(ro[1], T1);
    assert_int_equal(vhdx_close(img), VHDX_OK);

    size_t n1;
    const uint8_t *after = vhdx_io_mem_data(&io, &n1);
    assert_int_equal(n1, n0);
    assert_memory_equal(after, before, n0);
    free(before);
    vhdx_io_destroy(&io);
}

static void replay_rw_in_place(void **state)
{
    (void)state;
    vhdx_io io;
    vhdx_guid g = guid_of(0x12);
    uint8_t a[4096], bat[4096];
    mk_base(&io);
    fill_sector(a, 9);
    memset(bat, 0, sizeof bat);
    vhdx_put64(bat, fmt_bat_make(VHDX_PB_FULLY_PRESENT, T1));
    tdesc d[2] = { { 0, BAT_OFF, 0, bat }, { 0, T1, 0, a } };
    put_entry(&io, 0, 7, &g, 0, d, 2, 4 * MiB, 6 * MiB, 0);
    set_log_guid(&io, &g);

    vhdx_image *img;
    vhdx_diag dg;
    assert_int_equal(open_io(&img, &io, VHDX_OPEN_RDWR, &dg), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.log_replayed, 2);
    assert_int_equal(info.log_entries_replayed, 1);
    /* R14: LogGuid cleared through the header update; FileWriteGuid refreshed (R12) */
    assert_true(vhdx_guid_is_zero(&img->hdr[img->cur].log_guid));
    assert_int_equal(vhdx_close(img), VHDX_OK);

    size_t n;
    const uint8_t *f = vhdx_io_mem_data(&io, &n);
    assert_true(n >= 6 * MiB); /* R65 */
    assert_memory_equal(f + T1, a, 4096);
    assert_memory_equal(f + BAT_OFF, bat, 4096);
    /* clean now: a read-only open replays nothing */
    assert_int_equal(open_io(&img, &io, VHDX_OPEN_NO_REPLAY, &dg), VHDX_OK);
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.log_dirty, 0);
    uint8_t v[4096];
    assert_int_equal(vhdx_read(img, 0, v, sizeof v, NULL), VHDX_OK);
    assert_memory_equal(v, a, sizeof v);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_io_destroy(&io);
}

/* ---- sequence search ---- */

typedef struct scen {
    vhdx_io io;
    vhdx_guid g;
    uint8_t s[6][4096];
} scen;

static void scen_init(scen *sc, uint8_t guid_byte)
{
    mk_base(&sc->io);
    sc->g = guid_of(guid_byte);
    for (int i = 0; i < 6; i++) fill_sector(sc->s[i], (uint8_t)(0x20 * (i + 1)));
}

/* opens read-only and read-write (on a copy): both must give the same file bytes */
static void scen_check(scen *sc, const uint8_t *want1, const uint8_t *want2, const uint8_t *want3,
                       uint64_t entries)
{
    size_t n;
    uint8_t *copy = snapshot(&sc->io, &n);
    vhdx_io io2;
    assert_int_equal(vhdx_io_mem_open(&io2, copy, n, 64 * MiB), VHDX_OK);
    free(copy);
    for (int pass = 0; pass < 2; pass++) {
        vhdx_image *img;
        vhdx_diag dg;
        vhdx_info info;
        assert_int_equal(open_io(&img, pass ? &io2 : &sc->io, pass ? VHDX_OPEN_RDWR : 0, &dg), VHDX_OK);
        assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
        assert_int_equal(info.log_entries_replayed, entries);
        if (want1) expect_file(img, T1, want1); else expect_zero(img, T1);
        if (want2) expect_file(img, T2, want2); else expect_zero(img, T2);
        if (want3) expect_file(img, T3, want3); else expect_zero(img, T3);
        assert_int_equal(vhdx_close(img), VHDX_OK);
    }
    vhdx_io_destroy(&io2);
    vhdx_io_destroy(&sc->io);
}

static void stale_guid_entries_never_replayed(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x31);
    vhdx_guid other = guid_of(0x77);
    tdesc a = { 0, T1, 0, sc.s[0] }, b = { 0, T2, 0, sc.s[1] }, c = { 0, T1, 0, sc.s[2] };
    /* a newer entry with another GUID right after ours, and one before it */
    uint32_t l = put_entry(&sc.io, 0, 50, &other, 0, &c, 1, 4 * MiB, 5 * MiB, 0);
    l += put_entry(&sc.io, l, 3, &sc.g, l, &a, 1, 4 * MiB, 5 * MiB, 0);
    put_entry(&sc.io, l, 4, &other, l, &b, 1, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&sc.io, &sc.g);
    scen_check(&sc, sc.s[0], NULL, NULL, 1);
}

static void newest_sequence_chosen(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x32);
    tdesc a = { 0, T1, 0, sc.s[0] }, b = { 0, T1, 0, sc.s[1] }, c = { 0, T2, 0, sc.s[2] };
    /* sequence 20 at 64 KiB, sequence 10 at 0 (written "later" in ring order) */
    put_entry(&sc.io, 65536, 20, &sc.g, 65536, &b, 1, 4 * MiB, 5 * MiB, 0);
    put_entry(&sc.io, 0, 10, &sc.g, 0, &a, 1, 4 * MiB, 5 * MiB, 0);
    put_entry(&sc.io, 8192, 11, &sc.g, 0, &c, 1, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&sc.io, &sc.g);
    scen_check(&sc, sc.s[1], NULL, NULL, 1);
}

static void gap_ends_a_run(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x33);
    tdesc e5[2] = { { 0, T1, 0, sc.s[0] }, { 0, T2, 0, sc.s[0] } };
    tdesc e6 = { 0, T1, 0, sc.s[1] }, e8 = { 0, T3, 0, sc.s[2] };
    uint32_t l = put_entry(&sc.io, 0, 5, &sc.g, 0, e5, 2, 4 * MiB, 5 * MiB, 0);
    l += put_entry(&sc.io, l, 6, &sc.g, 0, &e6, 1, 4 * MiB, 5 * MiB, 0);
    /* seq 8 after a gap; its Tail points at 0, outside its own run: incomplete */
    put_entry(&sc.io, l, 8, &sc.g, 0, &e8, 1, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&sc.io, &sc.g);
    /* [5, 6] replayed in order: T1 from 6, T2 from 5; nothing of 8 */
    scen_check(&sc, sc.s[1], sc.s[0], NULL, 2);
}

static void torn_entry_ignored(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x34);
    tdesc a = { 0, T1, 0, sc.s[0] }, b = { 0, T1, 0, sc.s[1] };
    uint32_t l = put_entry(&sc.io, 0, 5, &sc.g, 0, &a, 1, 4 * MiB, 5 * MiB, 0);
    put_entry(&sc.io, l, 6, &sc.g, 0, &b, 1, 4 * MiB, 5 * MiB, 1);
    set_log_guid(&sc.io, &sc.g);
    scen_check(&sc, sc.s[0], NULL, NULL, 1);
}

static void entries_before_tail_ignored(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x35);
    tdesc a = { 0, T1, 0, sc.s[0] }, b = { 0, T2, 0, sc.s[1] };
    uint32_t l = put_entry(&sc.io, 0, 5, &sc.g, 0, &a, 1, 4 * MiB, 5 * MiB, 0);
    put_entry(&sc.io, l, 6, &sc.g, l, &b, 1, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&sc.io, &sc.g);
    scen_check(&sc, NULL, sc.s[1], NULL, 1);
}

static void sequence_wraps_the_ring(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x36);
    /* entry 1 (3 sectors) starts 8 KiB before the end and wraps; entry 2 follows at 4 KiB;
     * an old entry of the same GUID with a lower sequence sits at 64 KiB */
    tdesc e1[2] = { { 0, T1, 0, sc.s[0] }, { 0, T2, 0, sc.s[1] } };
    tdesc e2 = { 0, T3, 0, sc.s[2] }, old = { 0, T3, 0, sc.s[3] };
    uint32_t p1 = LOG_LEN - 8192;
    uint32_t l = put_entry(&sc.io, p1, 100, &sc.g, p1, e1, 2, 4 * MiB, 5 * MiB, 0);
    assert_int_equal(l, 12288);
    put_entry(&sc.io, 4096, 101, &sc.g, p1, &e2, 1, 4 * MiB, 5 * MiB, 0);
    put_entry(&sc.io, 65536, 40, &sc.g, 65536, &old, 1, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&sc.io, &sc.g);
    scen_check(&sc, sc.s[0], sc.s[1], sc.s[2], 2);
}

static void zero_descriptors_in_order(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x37);
    /* entry 5: data T1, T2, T3; entry 6: zero T1..T2, then data T2 again */
    tdesc e5[3] = { { 0, T1, 0, sc.s[0] }, { 0, T2, 0, sc.s[1] }, { 0, T3, 0, sc.s[2] } };
    tdesc e6[2] = { { 1, T1, 8192, NULL }, { 0, T2, 0, sc.s[4] } };
    uint32_t l = put_entry(&sc.io, 0, 5, &sc.g, 0, e5, 3, 4 * MiB, 5 * MiB, 0);
    put_entry(&sc.io, l, 6, &sc.g, 0, e6, 2, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&sc.io, &sc.g);
    scen_check(&sc, NULL, sc.s[4], sc.s[2], 2);
}

/* ---- failures ---- */

static void expect_open_fail(vhdx_io *io, unsigned flags, int code)
{
    vhdx_image *img = NULL;
    vhdx_diag dg;
    assert_int_equal(open_io(&img, io, flags, &dg), code);
    assert_int_equal(dg.code, code);
    assert_null(img);
}

static void no_sequence_is_corrupt(void **state)
{
    (void)state;
    vhdx_io io;
    mk_base(&io);
    vhdx_guid g = guid_of(0x41), other = guid_of(0x42);
    uint8_t a[4096];
    fill_sector(a, 3);
    tdesc d = { 0, T1, 0, a };
    put_entry(&io, 0, 1, &other, 0, &d, 1, 4 * MiB, 5 * MiB, 0); /* only a stale entry */
    set_log_guid(&io, &g);
    expect_open_fail(&io, 0, VHDX_E_LOG_NO_SEQUENCE);          /* R61 */
    expect_open_fail(&io, VHDX_OPEN_RDWR, VHDX_E_LOG_NO_SEQUENCE);
    expect_open_fail(&io, VHDX_OPEN_NO_REPLAY, VHDX_E_LOG_REPLAY_REQUIRED); /* R59 */
    vhdx_io_destroy(&io);
}

static void flushed_offset_past_eof_is_truncation(void **state)
{
    (void)state;
    vhdx_io io;
    mk_base(&io);
    vhdx_guid g = guid_of(0x43);
    uint8_t a[4096];
    fill_sector(a, 3);
    tdesc d = { 0, T1, 0, a };
    put_entry(&io, 0, 1, &g, 0, &d, 1, 5 * MiB, 5 * MiB, 0); /* file is 4 MiB */
    set_log_guid(&io, &g);
    expect_open_fail(&io, 0, VHDX_E_LOG_TRUNCATED);             /* R62 */
    vhdx_io_destroy(&io);
}

static void descriptor_targets_refused(void **state)
{
    (void)state;
    static const uint64_t bad[] = { 0, 0x10000, 0x2F000, LOG_OFF, LOG_OFF + LOG_LEN - 4096 };
    uint8_t a[4096];
    fill_sector(a, 3);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vhdx_io io;
        mk_base(&io);
        vhdx_guid g = guid_of(0x44);
        tdesc d = { 0, bad[i], 0, a };
        put_entry(&io, 0, 1, &g, 0, &d, 1, 4 * MiB, 5 * MiB, 0);
        set_log_guid(&io, &g);
        expect_open_fail(&io, 0, VHDX_E_LOG_DESC_TARGET);       /* D14 */
        expect_open_fail(&io, VHDX_OPEN_RDWR, VHDX_E_LOG_DESC_TARGET);
        vhdx_io_destroy(&io);
    }
    /* a zero descriptor reaching into the log from below */
    vhdx_io io;
    mk_base(&io);
    vhdx_guid g = guid_of(0x45);
    tdesc z = { 1, 0x30000, LOG_OFF - 0x30000 + 4096, NULL };
    put_entry(&io, 0, 1, &g, 0, &z, 1, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&io, &g);
    expect_open_fail(&io, 0, VHDX_E_LOG_DESC_TARGET);
    vhdx_io_destroy(&io);
}

static void hostile_scan_work_bounded(void **state)
{
    (void)state;
    vhdx_io io;
    mk_base(&io);
    vhdx_guid g = guid_of(0x47);
    /* an entry header claiming the whole ring (bad checksum) at every 4 KiB slot */
    for (uint32_t p = 0; p < LOG_LEN; p += 4096) {
        uint8_t h[64];
        fmt_log_entry_header eh;
        memset(&eh, 0, sizeof eh);
        eh.signature = VHDX_SIG_LOGE;
        eh.checksum = 1;
        eh.entry_length = LOG_LEN;
        eh.sequence_number = 1 + p;
        eh.log_guid = g;
        assert_int_equal(fmt_log_entry_header_encode(&eh, h, sizeof h), VHDX_OK);
        assert_int_equal(io.write_at(io.ctx, LOG_OFF + p, h, sizeof h), VHDX_OK);
    }
    set_log_guid(&io, &g);
    expect_open_fail(&io, 0, VHDX_E_LIMIT_LOG);
    vhdx_io_destroy(&io);
}

static void overlay_memory_limit(void **state)
{
    (void)state;
    vhdx_io io;
    mk_base(&io);
    vhdx_guid g = guid_of(0x46);
    uint8_t a[4096];
    fill_sector(a, 3);
    tdesc d[3] = { { 0, T1, 0, a }, { 0, T2, 0, a }, { 0, T3, 0, a } };
    put_entry(&io, 0, 1, &g, 0, d, 3, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&io, &g);
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.limits.max_overlay_memory = 2 * 4096;
    vhdx_image *img = NULL;
    vhdx_diag dg;
    vhdx_diag_clear(&dg);
    assert_int_equal(vhdx_open(&img, &io, 0, &o, &dg), VHDX_E_LIMIT_MEMORY);
    o.limits.max_overlay_memory = 64 * 1024;
    assert_int_equal(vhdx_open(&img, &io, 0, &o, &dg), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* log longer than the configured limit */
    o.limits.max_log_length = LOG_LEN / 2;
    assert_int_equal(vhdx_open(&img, &io, 0, &o, &dg), VHDX_E_LIMIT_LOG);
    vhdx_io_destroy(&io);
}

/* ---- writer ---- */

static void writer_wraps_ring_and_mid_session_copy_replays(void **state)
{
    (void)state;
    char path[] = "/dev/shm/vhdx-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    vhdx_create_params p;
    vhdx_guid_seeded st;
    vhdx_guid_gen gen = vhdx_guid_gen_seeded(&st, 7);
    vhdx_create_params_default(&p);
    p.virtual_size = 256 * MiB;
    p.block_size = (uint32_t)MiB;
    p.guid_gen = &gen;
    assert_int_equal(vhdx_create(path, &p, NULL), VHDX_OK);

    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    o.guid_gen = &gen;
    vhdx_image *img;
    assert_int_equal(vhdx_open_file(&img, path, &o, NULL), VHDX_OK);
    /* 200 separate allocations: 200 entries of 8 KiB wrap the 1 MiB ring once */
    for (uint32_t b = 0; b < 200; b++) {
        uint8_t v[8];
        memcpy(v, &b, 4);
        memcpy(v + 4, "blk!", 4);
        assert_int_equal(vhdx_write(img, (uint64_t)b * MiB + 512 * (b % 7), v, sizeof v, NULL), VHDX_OK);
        if (b == 150) {
            /* copy of the file while the session's LogGuid is set: replays */
            vhdx_io fio, mio;
            uint64_t sz;
            /* the writer holds the exclusive lock: read around it */
            assert_int_equal(vhdx_io_file_open(&fio, path, VHDX_IO_READ | VHDX_IO_NO_LOCK), VHDX_OK);
            assert_int_equal(fio.get_size(fio.ctx, &sz), VHDX_OK);
            uint8_t *buf = malloc((size_t)sz);
            assert_non_null(buf);
            assert_int_equal(fio.read_at(fio.ctx, 0, buf, (size_t)sz), VHDX_OK);
            vhdx_io_destroy(&fio);
            assert_int_equal(vhdx_io_mem_open(&mio, buf, (size_t)sz, 512 * MiB), VHDX_OK);
            free(buf);
            vhdx_image *c;
            vhdx_info info;
            assert_int_equal(vhdx_open(&c, &mio, 0, NULL, NULL), VHDX_OK);
            assert_int_equal(vhdx_get_info(c, &info), VHDX_OK);
            assert_int_equal(info.log_dirty, 1);
            assert_int_equal(info.log_entries_replayed, 1);
            for (uint32_t k = 0; k <= b; k++) {
                uint8_t r[8];
                assert_int_equal(vhdx_read(c, (uint64_t)k * MiB + 512 * (k % 7), r, sizeof r, NULL), VHDX_OK);
                assert_memory_equal(r, &k, 4);
            }
            assert_int_equal(vhdx_close(c), VHDX_OK);
            vhdx_io_destroy(&mio);
        }
    }
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* closed cleanly: LogGuid zero, every block present */
    o.flags = VHDX_OPEN_NO_REPLAY;
    assert_int_equal(vhdx_open_file(&img, path, &o, NULL), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.log_dirty, 0);
    assert_int_equal(info.bat.payload[VHDX_PB_FULLY_PRESENT], 200);
    for (uint32_t k = 0; k < 200; k++) {
        uint8_t r[8];
        assert_int_equal(vhdx_read(img, (uint64_t)k * MiB + 512 * (k % 7), r, sizeof r, NULL), VHDX_OK);
        assert_memory_equal(r, &k, 4);
        assert_memory_equal(r + 4, "blk!", 4);
    }
    assert_int_equal(vhdx_close(img), VHDX_OK);
    unlink(path);
}


/* ---- robustness: mutated logs never reach an internal error or misuse ---- */

static void mutated_logs(void **state)
{
    (void)state;
    scen sc;
    scen_init(&sc, 0x51);
    uint8_t bat[4096];
    memset(bat, 0, sizeof bat);
    vhdx_put64(bat, fmt_bat_make(VHDX_PB_FULLY_PRESENT, T1));
    tdesc e5[3] = { { 0, BAT_OFF, 0, bat }, { 0, T1, 0, sc.s[0] }, { 1, T2, 8192, NULL } };
    tdesc e6 = { 0, T2, 0, sc.s[1] };
    uint32_t l = put_entry(&sc.io, 0, 5, &sc.g, 0, e5, 3, 4 * MiB, 5 * MiB, 0);
    uint32_t l2 = put_entry(&sc.io, l, 6, &sc.g, 0, &e6, 1, 4 * MiB, 5 * MiB, 0);
    set_log_guid(&sc.io, &sc.g);
    size_t n;
    uint8_t *base = snapshot(&sc.io, &n);
    uint64_t x = 12345;
    int opened = 0;
    for (int it = 0; it < 1500; it++) {
        uint8_t *img_bytes = malloc(n);
        assert_non_null(img_bytes);
        memcpy(img_bytes, base, n);
        int nm = 1 + it % 4;
        for (int k = 0; k < nm; k++) {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            uint64_t pos = LOG_OFF + x % (l + l2);
            if (it % 3 == 0) pos = LOG_OFF + (x % 64);        /* the first entry header */
            if (it % 5 == 0) pos = LOG_OFF + 64 + (x % 96);   /* its descriptors */
            img_bytes[pos] ^= (uint8_t)(1u << ((x >> 20) % 8));
            if (it % 2 == 0) { /* keep the first entry's checksum valid: reach deeper checks */
                uint32_t el = vhdx_le32(img_bytes + LOG_OFF + 8);
                if (el == l) vhdx_put32(img_bytes + LOG_OFF + 4, vhdx_crc32c_with_zero_field(img_bytes + LOG_OFF, el, 4));
            }
        }
        for (int rw = 0; rw < 2; rw++) {
            vhdx_io io;
            vhdx_image *img = NULL;
            vhdx_diag dg;
            assert_int_equal(vhdx_io_mem_open(&io, img_bytes, n, 64 * MiB), VHDX_OK);
            int rc = open_io(&img, &io, rw ? VHDX_OPEN_RDWR : 0, &dg);
            assert_true(vhdx_status_class(rc) != VHDX_CLASS_INTERNAL && vhdx_status_class(rc) != VHDX_CLASS_MISUSE);
            if (rc == VHDX_OK) {
                uint8_t v[4096];
                opened++;
                rc = vhdx_read(img, 0, v, sizeof v, NULL);
                assert_true(vhdx_status_class(rc) != VHDX_CLASS_INTERNAL && vhdx_status_class(rc) != VHDX_CLASS_MISUSE);
                assert_int_equal(vhdx_close(img), VHDX_OK);
            }
            vhdx_io_destroy(&io);
        }
        free(img_bytes);
    }
    assert_true(opened > 100);
    free(base);
    vhdx_io_destroy(&sc.io);
}

/* ---- the active-sequence search on hostile rings: the chain-based scan (O(n log n))
 * finds what the plain walk of VHDX-FORMAT.md 8.7 finds (a model of it here) ---- */

#define RING_SLOTS (LOG_LEN / 4096)

typedef struct ring_model {
    int valid[RING_SLOTS];
    uint32_t len[RING_SLOTS], tail[RING_SLOTS];
    uint64_t seq[RING_SLOTS];
    int owner[RING_SLOTS];      /* entry that last wrote the slot */
    int owner_start[RING_SLOTS];/* start slot of that entry */
} ring_model;

static uint64_t xs_next(uint64_t *x)
{
    *x ^= *x << 13; *x ^= *x >> 7; *x ^= *x << 17;
    return *x;
}

/* Entry `id` at slot p: one zero descriptor at T1 + seq * 4096 (4 KiB entry), plus one
 * data descriptor when two slots long. */
static void ring_put(vhdx_io *io, ring_model *m, int id, uint32_t p, uint64_t seq, uint32_t nslots,
                     uint32_t tail, const vhdx_guid *g)
{
    static uint8_t data[4096];
    tdesc d[2] = { { 1, T1 + seq * 4096, 4096, NULL }, { 0, T1 + (seq + 4096) * 4096, 0, data } };
    put_entry(io, p * 4096, seq, g, tail, d, nslots, 4 * MiB, 4 * MiB, 0);
    for (uint32_t k = 0; k < nslots; k++) {
        m->owner[(p + k) % RING_SLOTS] = id;
        m->owner_start[(p + k) % RING_SLOTS] = (int)p;
    }
    m->len[p] = nslots * 4096;
    m->seq[p] = seq;
    m->tail[p] = tail;
}

static void ring_finish(ring_model *m)
{
    for (uint32_t p = 0; p < RING_SLOTS; p++) {
        uint32_t n = m->len[p] / 4096, k;
        m->valid[p] = m->owner[p] >= 0 && m->owner_start[p] == (int)p;
        for (k = 0; k < n && m->valid[p]; k++)
            m->valid[p] = m->owner[(p + k) % RING_SLOTS] == m->owner[p] &&
                          m->owner_start[(p + k) % RING_SLOTS] == (int)p;
    }
}

/* The plain walk: every run from each starting point, quadratic on hostile rings. Returns
 * the number of entries of the active sequence and its entries' sequence numbers. */
static size_t ring_model_active(const ring_model *m, uint64_t *seqs)
{
    uint32_t cur = 0, old = 0, run[RING_SLOTS];
    uint64_t best_head = 0;
    size_t best_n = 0;
    for (;;) {
        size_t n = 0, tail_idx = SIZE_MAX;
        uint64_t total = 0;
        uint32_t p = cur;
        while (total < LOG_LEN) {
            uint32_t s = p / 4096;
            if (!m->valid[s]) break;
            if (n > 0 && m->seq[s] != m->seq[run[n - 1]] + 1) break;
            if (total + m->len[s] > LOG_LEN) break;
            run[n++] = s;
            total += m->len[s];
            p = (uint32_t)((p + m->len[s]) % LOG_LEN);
        }
        for (size_t k = 0; n > 0 && k < n; k++)
            if (run[k] * 4096 == m->tail[run[n - 1]]) { tail_idx = k; break; }
        if (tail_idx != SIZE_MAX) {
            if (m->seq[run[n - 1]] > best_head) {
                best_head = m->seq[run[n - 1]];
                best_n = n - tail_idx;
                for (size_t k = 0; k < best_n; k++) seqs[k] = m->seq[run[tail_idx + k]];
            }
            cur = p;
        } else {
            cur = (cur + 4096) % LOG_LEN;
        }
        if (cur <= old) break;
        old = cur;
    }
    return best_n;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void hostile_rings_match_the_plain_walk(void **state)
{
    (void)state;
    uint64_t x = 0x1234567;
    int with_sequence = 0;
    for (int it = 0; it < 300; it++) {
        vhdx_io io;
        ring_model *m = calloc(1, sizeof *m);
        assert_non_null(m);
        for (uint32_t p = 0; p < RING_SLOTS; p++) m->owner[p] = -1;
        mk_base(&io);
        vhdx_guid g = guid_of(0x61);
        int id = 0, chains = 1 + (int)(xs_next(&x) % 6);
        for (int ch = 0; ch < chains; ch++) {
            /* a chain of consecutive entries; its tails point at its first entry, at
             * some entry of it, or nowhere valid (the hostile shape: no valid head) */
            uint32_t p = (uint32_t)(xs_next(&x) % RING_SLOTS), first = p;
            uint32_t n = it % 10 == 0 ? RING_SLOTS : 1 + (uint32_t)(xs_next(&x) % 80);
            uint64_t seq = 1 + xs_next(&x) % 200;
            int tail_kind = (int)(xs_next(&x) % 3);
            uint32_t used = 0;
            for (uint32_t k = 0; k < n && used < RING_SLOTS; k++) {
                uint32_t ns = it % 10 == 0 ? 1 : 1 + (uint32_t)(xs_next(&x) % 2);
                uint32_t tail = tail_kind == 0 ? first * 4096
                              : tail_kind == 1 ? (uint32_t)(xs_next(&x) % RING_SLOTS) * 4096
                                               : ((p + RING_SLOTS - 1) % RING_SLOTS) * 4096;
                if (used + ns > RING_SLOTS) break;
                ring_put(&io, m, id++, p, seq + k, ns, tail, &g);
                p = (p + ns) % RING_SLOTS;
                used += ns;
            }
        }
        ring_finish(m);
        set_log_guid(&io, &g);
        uint64_t want[RING_SLOTS], got[2 * RING_SLOTS];
        size_t nwant = ring_model_active(m, want);
        vhdx_image *img = NULL;
        vhdx_diag d;
        int rc = open_io(&img, &io, 0, &d);
        if (nwant == 0) {
            assert_int_equal(rc, VHDX_E_LOG_NO_SEQUENCE);
        } else {
            vhdx_info info;
            uint64_t offs[2 * RING_SLOTS];
            size_t ng = 0;
            assert_int_equal(rc, VHDX_OK);
            assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
            assert_int_equal(info.log_entries_replayed, nwant);
            size_t nr = vhdx_log_replay_ranges(img, offs, NULL, 2 * RING_SLOTS);
            for (size_t k = 0; k < nr; k++)
                if (offs[k] < T1 + 4096 * 4096) got[ng++] = (offs[k] - T1) / 4096;
            qsort(got, ng, sizeof got[0], cmp_u64);
            qsort(want, nwant, sizeof want[0], cmp_u64);
            assert_int_equal(ng, nwant);
            assert_memory_equal(got, want, nwant * sizeof want[0]);
            assert_int_equal(vhdx_close(img), VHDX_OK);
            with_sequence++;
        }
        vhdx_io_destroy(&io);
        free(m);
    }
    assert_true(with_sequence > 50);
}

/* ---- LastFileOffset the host refuses (2^50 under RLIMIT_FSIZE): the writable open fails
 * with EFBIG named and nothing on disk changed; reads work; check reports a limit ---- */

static void last_file_offset_refused_by_host(void **state)
{
    (void)state;
    vhdx_io io;
    mk_base(&io);
    vhdx_guid g = guid_of(0x71);
    tdesc z = { 1, T1, 4096, NULL };
    put_entry(&io, 0, 1, &g, 0, &z, 1, 4 * MiB, (uint64_t)1 << 50, 0);
    set_log_guid(&io, &g);
    size_t n;
    uint8_t *before = snapshot(&io, &n);
    vhdx_io_destroy(&io);
    char path[] = "/tmp/vhdx-test-lfo-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, before, n), (ssize_t)n);
    close(fd);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 64 * MiB;
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    for (int attempt = 0; attempt < 2; attempt++) {
        vhdx_open_opts o;
        vhdx_image *img = NULL;
        vhdx_diag d;
        vhdx_open_opts_default(&o);
        o.flags = VHDX_OPEN_RDWR;
        vhdx_diag_clear(&d);
        assert_int_equal(vhdx_open_file(&img, path, &o, &d), VHDX_E_LIMIT_FILE_SIZE);
        assert_int_equal(d.sys_errno, EFBIG);
        assert_string_equal(d.field, "log entry LastFileOffset");
        assert_int_equal(d.offset, LOG_OFF);
        char msg[512];
        vhdx_diag_format(&d, "x", msg, sizeof msg);
        assert_non_null(strstr(msg, "(log entry LastFileOffset): the replay needs a file of 1125899906842624 bytes: File too large (VHDX_E_LIMIT_FILE_SIZE)"));
    }
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_sig);
    /* nothing changed: no header sequence bump, no byte written */
    fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    uint8_t *after = malloc(n + 1);
    assert_non_null(after);
    assert_int_equal(read(fd, after, n + 1), (ssize_t)n);
    close(fd);
    assert_memory_equal(after, before, n);
    free(after);

    /* reads replay in memory */
    vhdx_image *img = NULL;
    assert_int_equal(vhdx_open_file(&img, path, NULL, NULL), VHDX_OK);
    uint8_t buf[4096];
    assert_int_equal(vhdx_read(img, 0, buf, sizeof buf, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* check: a limit finding, not a rule violation */
    vhdx_io fio;
    vhdx_report *r = NULL;
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    assert_int_equal(vhdx_io_file_open(&fio, path, VHDX_IO_READ), VHDX_OK);
    assert_int_equal(vhdx_check(&fio, path, &co, &r), VHDX_OK);
    vhdx_io_destroy(&fio);
    int found = 0;
    for (size_t i = 0; i < r->count; i++)
        if (r->findings[i].code == VHDX_E_LIMIT_FILE_SIZE) {
            found++;
            assert_int_equal(r->findings[i].offset, LOG_OFF);
            assert_string_equal(r->findings[i].detail, "a replay must extend the file to 1125899906842624 bytes");
        }
    assert_int_equal(found, 1);
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    vhdx_report_free(r);
    unlink(path);
    free(before);
}

/* ---- a replay that extends the file to libvhdx's allocation limit (2^52): the file
 * opens read-write, writes into allocated blocks work, a write that needs a new block past
 * the limit is VHDX_E_LIMIT_FILE_SIZE (a limit, not the caller's VHDX_E_RANGE) ---- */

#define HUGE_LIMIT ((uint64_t)1 << 52)
#define HUGE_INNER (8 * MiB)

/* A host that lets the file grow that far: the first HUGE_INNER bytes in a memory
 * backend, one 1 MiB window at hi_off in a buffer, zeros elsewhere (writes there fail). */
typedef struct huge_io {
    vhdx_io *mem;
    uint64_t size, hi_off;
    uint8_t *hi;
} huge_io;

static int huge_rw(huge_io *h, uint64_t off, uint8_t *rd, const uint8_t *wr, size_t len)
{
    uint64_t inner = 0;
    assert_int_equal(h->mem->get_size(h->mem->ctx, &inner), VHDX_OK);
    if (off > h->size || len > h->size - off) return VHDX_E_IO_EOF;
    while (len > 0) {
        size_t n = len;
        int rc = VHDX_OK;
        if (off < inner) {
            if (n > inner - off) n = (size_t)(inner - off);
            rc = rd ? h->mem->read_at(h->mem->ctx, off, rd, n) : h->mem->write_at(h->mem->ctx, off, wr, n);
        } else if (off >= h->hi_off && off - h->hi_off < MiB) {
            if (n > MiB - (off - h->hi_off)) n = (size_t)(MiB - (off - h->hi_off));
            if (rd) memcpy(rd, h->hi + (off - h->hi_off), n);
            else memcpy(h->hi + (off - h->hi_off), wr, n);
        } else {
            uint64_t stop = off < h->hi_off ? h->hi_off : UINT64_MAX;
            if (n > stop - off) n = (size_t)(stop - off);
            if (!rd) return VHDX_E_IO;
            memset(rd, 0, n);
        }
        if (rc != VHDX_OK) return rc;
        off += n;
        len -= n;
        if (rd) rd += n;
        else wr += n;
    }
    return VHDX_OK;
}

static int huge_read(void *ctx, uint64_t off, void *buf, size_t len) { return huge_rw(ctx, off, buf, NULL, len); }
static int huge_write(void *ctx, uint64_t off, const void *buf, size_t len) { return huge_rw(ctx, off, NULL, buf, len); }

static int huge_get_size(void *ctx, uint64_t *size)
{
    *size = ((huge_io *)ctx)->size;
    return VHDX_OK;
}

static int huge_set_size(void *ctx, uint64_t size)
{
    huge_io *h = ctx;
    int rc = h->mem->set_size(h->mem->ctx, size < HUGE_INNER ? size : HUGE_INNER);
    if (rc == VHDX_OK) h->size = size;
    return rc;
}

static int huge_flush(void *ctx)
{
    huge_io *h = ctx;
    return h->mem->flush ? h->mem->flush(h->mem->ctx) : VHDX_OK;
}

static void alloc_past_file_size_limit(void **state)
{
    (void)state;
    vhdx_io mem, io;
    vhdx_guid g = guid_of(0x72);
    tdesc z = { 1, T1, 4096, NULL };
    mk_base(&mem);
    /* the replay makes the file 2^52 - 1 MiB long (R65): room for exactly one block */
    put_entry(&mem, 0, 1, &g, 0, &z, 1, 4 * MiB, HUGE_LIMIT - MiB, 0);
    set_log_guid(&mem, &g);
    huge_io h = { &mem, 0, HUGE_LIMIT - MiB, calloc(1, MiB) };
    assert_non_null(h.hi);
    assert_int_equal(mem.get_size(mem.ctx, &h.size), VHDX_OK);
    memset(&io, 0, sizeof io);
    io.ctx = &h;
    io.read_at = huge_read;
    io.write_at = huge_write;
    io.get_size = huge_get_size;
    io.set_size = huge_set_size;
    io.flush = huge_flush;

    vhdx_image *img;
    vhdx_diag d;
    uint8_t a[4096], b[4096], v[4096];
    fill_sector(a, 0x31);
    fill_sector(b, 0x47);
    assert_int_equal(open_io(&img, &io, VHDX_OPEN_RDWR, &d), VHDX_OK);
    assert_int_equal(h.size, HUGE_LIMIT - MiB);
    /* block 0: the last 1 MiB below the limit */
    assert_int_equal(vhdx_write(img, 4096, a, sizeof a, NULL), VHDX_OK);
    assert_int_equal(h.size, HUGE_LIMIT);
    assert_memory_equal(h.hi + 4096, a, sizeof a);
    /* block 1 would end past the limit */
    vhdx_diag_clear(&d);
    int rc = vhdx_write(img, MiB, b, sizeof b, &d);
    assert_int_equal(rc, VHDX_E_LIMIT_FILE_SIZE);
    assert_int_equal(vhdx_status_class(rc), VHDX_CLASS_LIMIT);
    assert_int_equal(d.code, VHDX_E_LIMIT_FILE_SIZE);
    assert_int_equal(d.offset, HUGE_LIMIT);
    assert_string_equal(d.field, "allocation");
    assert_string_equal(d.detail, "libvhdx grows no file past 4503599627370496 bytes");
    assert_int_equal(h.size, HUGE_LIMIT);
    /* nothing allocated; block 0 still takes writes in place */
    assert_int_equal(vhdx_read(img, MiB, v, sizeof v, NULL), VHDX_OK);
    memset(b, 0, sizeof b);
    assert_memory_equal(v, b, sizeof v);
    fill_sector(a, 0x55);
    assert_int_equal(vhdx_write(img, 8192, a, sizeof a, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_memory_equal(h.hi + 8192, a, sizeof a);

    assert_int_equal(open_io(&img, &io, 0, &d), VHDX_OK);
    assert_int_equal(vhdx_read(img, 8192, v, sizeof v, NULL), VHDX_OK);
    assert_memory_equal(v, a, sizeof v);
    assert_int_equal(vhdx_read(img, MiB, v, sizeof v, NULL), VHDX_OK);
    assert_memory_equal(v, b, sizeof v);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    free(h.hi);
    vhdx_io_destroy(&mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_ro_overlay_file_untouched),
        cmocka_unit_test(replay_rw_in_place),
        cmocka_unit_test(stale_guid_entries_never_replayed),
        cmocka_unit_test(newest_sequence_chosen),
        cmocka_unit_test(gap_ends_a_run),
        cmocka_unit_test(torn_entry_ignored),
        cmocka_unit_test(entries_before_tail_ignored),
        cmocka_unit_test(sequence_wraps_the_ring),
        cmocka_unit_test(zero_descriptors_in_order),
        cmocka_unit_test(no_sequence_is_corrupt),
        cmocka_unit_test(flushed_offset_past_eof_is_truncation),
        cmocka_unit_test(descriptor_targets_refused),
        cmocka_unit_test(overlay_memory_limit),
        cmocka_unit_test(hostile_scan_work_bounded),
        cmocka_unit_test(writer_wraps_ring_and_mid_session_copy_replays),
        cmocka_unit_test(mutated_logs),
        cmocka_unit_test(hostile_rings_match_the_plain_walk),
        cmocka_unit_test(last_file_offset_refused_by_host),
        cmocka_unit_test(alloc_past_file_size_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
