/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_header_alternation.c - [MS-VHDX 2.2.2] current-header selection (R10, R11) and the
 * header update of 2.2.2.1 (R12, R13, R20-R22): every combination of valid, invalid and
 * torn headers and sequence numbers (0, equal, 2^64-1), the exact write sequence of a
 * read-write open and of the first write, the GUID rules, and a power cut at every write
 * and flush of the update (the image must reopen with a consistent current header).
 *
 * ctest-labels: libuuid
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "builder.h"
#include "image.h"

/* ---- an I/O wrapper that records writes/flushes and can cut the power ---- */

#define MAX_OPS 64
typedef struct op { int is_flush; uint64_t off; size_t len; } op;
typedef struct rec_io {
    vhdx_io io;                /* the wrapper handed to vhdx_open */
    vhdx_io *inner;
    op ops[MAX_OPS];
    size_t nops;
    long cut_at;               /* 1-based op index that fails (and every later one); 0 = never */
    int torn;                  /* the failing write lands half of its bytes first */
    int dead;
} rec_io;

static int r_read(void *c, uint64_t off, void *buf, size_t len)
{
    rec_io *r = c;
    return r->inner->read_at(r->inner->ctx, off, buf, len);
}
static int r_size(void *c, uint64_t *s) { rec_io *r = c; return r->inner->get_size(r->inner->ctx, s); }
static int r_set_size(void *c, uint64_t s)
{
    rec_io *r = c;
    if (r->dead) return VHDX_E_IO;
    return r->inner->set_size(r->inner->ctx, s);
}
static int r_note(rec_io *r, int is_flush, uint64_t off, size_t len)
{
    if (r->dead) return 1;
    if (r->nops < MAX_OPS) r->ops[r->nops] = (op){ is_flush, off, len };
    r->nops++;
    if (r->cut_at > 0 && (long)r->nops == r->cut_at) { r->dead = 1; return 2; }
    return 0;
}
static int r_write(void *c, uint64_t off, const void *buf, size_t len)
{
    rec_io *r = c;
    int n = r_note(r, 0, off, len);
    if (n == 1) return VHDX_E_IO;
    if (n == 2) {
        if (r->torn) (void)r->inner->write_at(r->inner->ctx, off, buf, len / 2);
        return VHDX_E_IO;
    }
    return r->inner->write_at(r->inner->ctx, off, buf, len);
}
static int r_flush(void *c)
{
    rec_io *r = c;
    return r_note(r, 1, 0, 0) ? VHDX_E_IO : r->inner->flush(r->inner->ctx);
}

static void rec_init(rec_io *r, vhdx_io *inner)
{
    memset(r, 0, sizeof *r);
    r->inner = inner;
    r->io.ctx = r;
    r->io.read_at = r_read;
    r->io.write_at = r_write;
    r->io.get_size = r_size;
    r->io.set_size = r_set_size;
    r->io.flush = r_flush;
    r->io.data_status = NULL;
}

static int open_rec(vb_image *im, rec_io *r, unsigned flags, vhdx_image **img, vhdx_diag *d)
{
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    o.guid_gen = vhdx_guid_gen_default(); /* real v4 GUIDs from libuuid */
    vhdx_diag_clear(d);
    (void)im;
    return vhdx_open(img, &r->io, 0, &o, d);
}

static int guid_is_v4(const vhdx_guid *g)
{
    /* MS layout: Data3 (LE u16 at 6) >> 12 == 4; variant bits 10 in Data4[0] */
    return (vhdx_le16(g->b + 6) >> 12) == 4 && (g->b[8] & 0xC0) == 0x80;
}

static void build(vb_image *im, uint64_t s0, uint64_t s1)
{
    vb_params p;
    vb_params_default(&p);
    p.type = VHDX_TYPE_FIXED;
    p.virtual_size = 2 * MiB;
    p.seq[0] = s0;
    p.seq[1] = s1;
    assert_int_equal(vb_build(im, &p), VHDX_OK);
}

/* ---- selection ---- */

/* opens read-only: expects success with `cur` current, or failure with code at offset */
static void expect_select(vb_image *im, int cur, int code, uint64_t off)
{
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vb_open(im, 0, &img, &d);
    assert_int_equal(rc, code);
    if (code != VHDX_OK) {
        assert_int_equal(d.code, code);
        assert_int_equal(d.offset, off);
        return;
    }
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.current_header, cur);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

static void corrupt_crc(vb_image *im, int slot) { vb_put32(im, vb_header_offset(slot) + HDR_OFF_CHECKSUM, vb_get32(im, vb_header_offset(slot) + HDR_OFF_CHECKSUM) ^ 1u); }
static void corrupt_sig(vb_image *im, int slot) { vb_put8(im, vb_header_offset(slot), 'H'); vb_header_fix_crc(im, slot); }

static void test_select_by_sequence(void **s)
{
    (void)s;
    static const struct { uint64_t a, b; int cur; } cases[] = {
        { 1, 2, 1 }, { 2, 1, 0 }, { 0, 1, 1 }, { 1, 0, 0 },
        { UINT64_MAX, 0, 0 }, { 0, UINT64_MAX, 1 }, { UINT64_MAX - 1, UINT64_MAX, 1 },
        { UINT64_MAX, UINT64_MAX - 1, 0 }, { (uint64_t)1 << 63, ((uint64_t)1 << 63) - 1, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vb_image im;
        build(&im, cases[i].a, cases[i].b);
        expect_select(&im, cases[i].cur, VHDX_OK, 0);
        vb_free(&im);
    }
}

static void test_select_one_valid(void **s)
{
    (void)s;
    /* the invalid header loses whatever its sequence number: CRC, signature, torn */
    for (int bad = 0; bad < 2; bad++) {
        for (int how = 0; how < 3; how++) {
            vb_image im;
            build(&im, bad == 0 ? 9 : 1, bad == 1 ? 9 : 1);
            uint64_t h = vb_header_offset(bad);
            if (how == 0) corrupt_crc(&im, bad);
            if (how == 1) corrupt_sig(&im, bad);
            if (how == 2) {
                /* torn: first 2 KiB of a newer header (seq 10) over the old one */
                fmt_header nh;
                vb_header_get(&im, bad, &nh);
                nh.sequence_number = 10;
                nh.log_length = 2 * (uint32_t)MiB; /* a field in the lost second half changes the CRC */
                uint8_t raw[VHDX_HEADER_SIZE];
                assert_int_equal(fmt_header_encode(&nh, raw, sizeof raw), VHDX_OK);
                vb_put32(&im, h + 4000, 0xDEADBEEF);
                vb_write(&im, h, raw, 2048);
            }
            expect_select(&im, 1 - bad, VHDX_OK, 0);
            /* check: a warning for the invalid copy, no error */
            vhdx_report *r = NULL;
            assert_int_equal(vb_check(&im, &r), VHDX_OK);
            assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
            assert_int_equal(r->count, 1);
            assert_int_equal(r->findings[0].code, VHDX_W_HEADER_INVALID_COPY);
            assert_int_equal(r->findings[0].offset, h);
            vhdx_report_free(r);
            vb_free(&im);
        }
    }
}

static void test_select_none_valid(void **s)
{
    (void)s;
    vb_image im;
    build(&im, 1, 2);
    corrupt_crc(&im, 0);
    corrupt_sig(&im, 1);
    expect_select(&im, 0, VHDX_E_NO_VALID_HEADER, VHDX_HEADER1_OFFSET);
    vb_free(&im);
}

static void test_select_equal_sequence(void **s)
{
    (void)s;
    /* equal and different: no current header (R11) */
    vb_image im;
    static const vhdx_guid other = { { 9, 8, 7, 6, 5, 4, 0x33, 0x42, 0x81, 1, 2, 3, 4, 5, 6, 7 } };
    build(&im, 7, 7);
    vb_header_set_guid(&im, 1, HDR_OFF_FILE_WRITE_GUID, &other);
    expect_select(&im, 0, VHDX_E_HEADER_SEQ_EQUAL, VHDX_HEADER2_OFFSET + HDR_OFF_SEQUENCE);
    vb_free(&im);
    /* equal at 2^64-1 too */
    build(&im, UINT64_MAX, UINT64_MAX);
    vb_header_set_guid(&im, 0, HDR_OFF_DATA_WRITE_GUID, &other);
    expect_select(&im, 0, VHDX_E_HEADER_SEQ_EQUAL, VHDX_HEADER2_OFFSET + HDR_OFF_SEQUENCE);
    vb_free(&im);
    /* byte-identical (Disk2vhd): accepted, header 1 used, reported as a warning */
    build(&im, 1, 1);
    uint8_t raw[VHDX_HEADER_SIZE], raw2[VHDX_HEADER_SIZE];
    vb_read(&im, VHDX_HEADER1_OFFSET, raw, sizeof raw);
    vb_read(&im, VHDX_HEADER2_OFFSET, raw2, sizeof raw2);
    assert_memory_equal(raw, raw2, sizeof raw);
    expect_select(&im, 0, VHDX_OK, 0);
    vhdx_report *r = NULL;
    assert_int_equal(vb_check(&im, &r), VHDX_OK);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    assert_int_equal(r->count, 1);
    assert_int_equal(r->findings[0].code, VHDX_W_HEADERS_IDENTICAL);
    assert_int_equal(r->findings[0].severity, VHDX_SEV_WARNING);
    vhdx_report_free(r);
    vb_free(&im);
}

/* ---- the update sequence ---- */

static void test_update_sequence(void **s)
{
    (void)s;
    vb_image im;
    build(&im, 1, 2);
    /* reserved bytes (R19 deviation, tolerated) must be preserved by the update */
    vb_put8(&im, VHDX_HEADER2_OFFSET + HDR_OFF_RESERVED + 100, 0xA5);
    vb_header_fix_crc(&im, 1);
    fmt_header before;
    vb_header_get(&im, 1, &before);

    rec_io r;
    rec_init(&r, &im.io);
    vhdx_image *img = NULL;
    vhdx_diag d;
    assert_int_equal(open_rec(&im, &r, VHDX_OPEN_RDWR, &img, &d), VHDX_OK);
    /* R20/R22: write non-current slot, flush, write the other, flush; nothing else */
    assert_int_equal(r.nops, 4);
    assert_int_equal(r.ops[0].is_flush, 0);
    assert_int_equal(r.ops[0].off, VHDX_HEADER1_OFFSET);
    assert_int_equal(r.ops[0].len, VHDX_HEADER_SIZE);
    assert_int_equal(r.ops[1].is_flush, 1);
    assert_int_equal(r.ops[2].off, VHDX_HEADER2_OFFSET);
    assert_int_equal(r.ops[2].len, VHDX_HEADER_SIZE);
    assert_int_equal(r.ops[3].is_flush, 1);

    fmt_header h0, h1;
    uint8_t raw[VHDX_HEADER_SIZE];
    vb_read(&im, VHDX_HEADER1_OFFSET, raw, sizeof raw);
    assert_true(fmt_header_is_valid(raw, sizeof raw));
    vb_read(&im, VHDX_HEADER2_OFFSET, raw, sizeof raw);
    assert_true(fmt_header_is_valid(raw, sizeof raw));
    vb_header_get(&im, 0, &h0);
    vb_header_get(&im, 1, &h1);
    assert_int_equal(h0.sequence_number, 3);
    assert_int_equal(h1.sequence_number, 4);
    /* R21: a fresh v4 FileWriteGuid, the same in both passes */
    assert_false(vhdx_guid_equal(&h1.file_write_guid, &before.file_write_guid));
    assert_true(vhdx_guid_equal(&h0.file_write_guid, &h1.file_write_guid));
    assert_true(guid_is_v4(&h1.file_write_guid));
    /* R22: DataWriteGuid untouched by the open; LogGuid and the rest preserved */
    assert_true(vhdx_guid_equal(&h0.data_write_guid, &before.data_write_guid));
    assert_true(vhdx_guid_equal(&h1.data_write_guid, &before.data_write_guid));
    assert_true(vhdx_guid_equal(&h1.log_guid, &before.log_guid));
    assert_int_equal(h1.log_offset, before.log_offset);
    assert_int_equal(h1.log_length, before.log_length);
    assert_int_equal(h1.version, 1);
    assert_memory_equal(h0.reserved, before.reserved, HDR_RESERVED_LEN);
    assert_memory_equal(h1.reserved, before.reserved, HDR_RESERVED_LEN);

    /* R13: the first write changes DataWriteGuid (new v4), before the payload */
    r.nops = 0;
    uint8_t data[512];
    memset(data, 0x3C, sizeof data);
    assert_int_equal(vhdx_write(img, 4096, data, sizeof data, &d), VHDX_OK);
    assert_true(r.nops >= 5);
    assert_int_equal(r.ops[0].off, VHDX_HEADER1_OFFSET);
    assert_int_equal(r.ops[1].is_flush, 1);
    assert_int_equal(r.ops[2].off, VHDX_HEADER2_OFFSET);
    assert_int_equal(r.ops[3].is_flush, 1);
    assert_true(r.ops[4].off >= im.data_offset); /* the payload, not the log */
    fmt_header w0, w1;
    vb_header_get(&im, 0, &w0);
    vb_header_get(&im, 1, &w1);
    assert_int_equal(w0.sequence_number, 5);
    assert_int_equal(w1.sequence_number, 6);
    assert_false(vhdx_guid_equal(&w1.data_write_guid, &before.data_write_guid));
    assert_true(vhdx_guid_equal(&w0.data_write_guid, &w1.data_write_guid));
    assert_true(guid_is_v4(&w1.data_write_guid));
    assert_true(vhdx_guid_equal(&w1.file_write_guid, &h1.file_write_guid));

    /* later writes of the session do not touch the headers */
    r.nops = 0;
    assert_int_equal(vhdx_write(img, 8192, data, sizeof data, &d), VHDX_OK);
    for (size_t i = 0; i < r.nops; i++)
        assert_true(r.ops[i].is_flush || r.ops[i].off >= VHDX_HEADER_SECTION);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

/* the Disk2vhd case: header 1 is current, so slot 2 is written first */
static void test_update_identical_headers(void **s)
{
    (void)s;
    vb_image im;
    build(&im, 1, 1);
    uint8_t raw[VHDX_HEADER_SIZE];
    vb_read(&im, VHDX_HEADER1_OFFSET, raw, sizeof raw);
    vb_write(&im, VHDX_HEADER2_OFFSET, raw, sizeof raw);
    rec_io r;
    rec_init(&r, &im.io);
    vhdx_image *img = NULL;
    vhdx_diag d;
    assert_int_equal(open_rec(&im, &r, VHDX_OPEN_RDWR, &img, &d), VHDX_OK);
    assert_int_equal(r.nops, 4);
    assert_int_equal(r.ops[0].off, VHDX_HEADER2_OFFSET);
    assert_int_equal(r.ops[2].off, VHDX_HEADER1_OFFSET);
    fmt_header h0, h1;
    vb_header_get(&im, 0, &h0);
    vb_header_get(&im, 1, &h1);
    assert_int_equal(h1.sequence_number, 2);
    assert_int_equal(h0.sequence_number, 3);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

/* no wrap: an update needs seq+1 and seq+2 */
static void test_update_sequence_limit(void **s)
{
    (void)s;
    vb_image im;
    build(&im, 0, UINT64_MAX - 1);
    rec_io r;
    rec_init(&r, &im.io);
    vhdx_image *img = NULL;
    vhdx_diag d;
    assert_int_equal(open_rec(&im, &r, VHDX_OPEN_RDWR, &img, &d), VHDX_E_HEADER_SEQ_MAX);
    assert_int_equal(d.code, VHDX_E_HEADER_SEQ_MAX);
    assert_int_equal(d.offset, VHDX_HEADER2_OFFSET + HDR_OFF_SEQUENCE);
    assert_int_equal(r.nops, 0); /* nothing written */
    /* read-only still works */
    assert_int_equal(open_rec(&im, &r, 0, &img, &d), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);

    build(&im, 0, UINT64_MAX);
    rec_init(&r, &im.io);
    assert_int_equal(open_rec(&im, &r, VHDX_OPEN_RDWR, &img, &d), VHDX_E_HEADER_SEQ_MAX);
    assert_int_equal(r.nops, 0);
    vb_free(&im);

    build(&im, UINT64_MAX - 2, 0);
    rec_init(&r, &im.io);
    assert_int_equal(open_rec(&im, &r, VHDX_OPEN_RDWR, &img, &d), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    fmt_header h0, h1;
    vb_header_get(&im, 0, &h0);
    vb_header_get(&im, 1, &h1);
    assert_int_equal(h1.sequence_number, UINT64_MAX - 1);
    assert_int_equal(h0.sequence_number, UINT64_MAX);
    expect_select(&im, 0, VHDX_OK, 0);
    vb_free(&im);
}

/* img_header_update keeps LogGuid unless asked (IMG_HDR_SET_LOG_GUID); FileWriteGuid is
 * refreshed only by the first update of a session */
static void test_update_log_guid_rules(void **s)
{
    (void)s;
    vb_image im;
    build(&im, 1, 2);
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vb_open(&im, VHDX_OPEN_RDWR, &img, &d), VHDX_OK);
    fmt_header h;
    vb_header_get(&im, img->cur, &h);
    vhdx_guid session = h.file_write_guid;
    static const vhdx_guid lg = { { 0xAA, 1, 2, 3, 4, 5, 0x06, 0x47, 0x88, 9, 10, 11, 12, 13, 14, 15 } };
    assert_int_equal(img_header_update(img, IMG_HDR_SET_LOG_GUID, &lg, &d), VHDX_OK);
    for (int slot = 0; slot < 2; slot++) {
        vb_header_get(&im, slot, &h);
        assert_true(vhdx_guid_equal(&h.log_guid, &lg));
        assert_true(vhdx_guid_equal(&h.file_write_guid, &session));
    }
    assert_int_equal(img_header_update(img, 0, NULL, &d), VHDX_OK);
    vb_header_get(&im, img->cur, &h);
    assert_true(vhdx_guid_equal(&h.log_guid, &lg)); /* preserved */
    assert_int_equal(h.sequence_number, 8);
    assert_int_equal(img_header_update(img, IMG_HDR_SET_LOG_GUID, NULL, &d), VHDX_OK);
    vb_header_get(&im, img->cur, &h);
    assert_true(vhdx_guid_is_zero(&h.log_guid));
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* read-only images never update */
    assert_int_equal(vb_open(&im, 0, &img, &d), VHDX_OK);
    vhdx_diag_clear(&d);
    assert_int_equal(img_header_update(img, 0, NULL, &d), VHDX_E_READONLY);
    assert_int_equal(img_begin_modify(img, 1, &d), VHDX_E_READONLY);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vb_free(&im);
}

/* ---- power cut at every write and flush ---- */

/* After a cut, the image opens read-only and its current header is one of the states the
 * sequence passes through (old, or a complete new one). */
static void expect_consistent(vb_image *im, const fmt_header *old, uint64_t max_seq)
{
    vhdx_image *img = NULL;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    assert_int_equal(vb_open(im, 0, &img, &d), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    const vhdx_header_info *c = &info.headers[info.current_header];
    assert_true(c->valid);
    assert_true(c->sequence_number >= old->sequence_number && c->sequence_number <= max_seq);
    if (c->sequence_number == old->sequence_number)
        assert_true(vhdx_guid_equal(&c->file_write_guid, &old->file_write_guid));
    else
        assert_false(vhdx_guid_equal(&c->file_write_guid, &old->file_write_guid));
    assert_true(vhdx_guid_is_zero(&c->log_guid));
    assert_int_equal(c->version, 1);
    /* and a new read-write session works */
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_int_equal(vb_open(im, VHDX_OPEN_RDWR, &img, &d), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

static void test_power_cut_open(void **s)
{
    (void)s;
    for (int torn = 0; torn < 2; torn++) {
        for (long k = 1; k <= 4; k++) {
            vb_image im;
            build(&im, 1, 2);
            fmt_header old;
            vb_header_get(&im, 1, &old);
            rec_io r;
            rec_init(&r, &im.io);
            r.cut_at = k;
            r.torn = torn;
            vhdx_image *img = NULL;
            vhdx_diag d;
            assert_int_equal(open_rec(&im, &r, VHDX_OPEN_RDWR, &img, &d), VHDX_E_IO);
            assert_null(img);
            expect_consistent(&im, &old, 4);
            vb_free(&im);
        }
    }
}

static void test_power_cut_first_write(void **s)
{
    (void)s;
    for (int torn = 0; torn < 2; torn++) {
        for (long k = 1; k <= 5; k++) {
            vb_image im;
            build(&im, 1, 2);
            fmt_header old;
            vb_header_get(&im, 1, &old);
            rec_io r;
            rec_init(&r, &im.io);
            vhdx_image *img = NULL;
            vhdx_diag d;
            assert_int_equal(open_rec(&im, &r, VHDX_OPEN_RDWR, &img, &d), VHDX_OK);
            r.nops = 0;
            r.cut_at = k;
            r.torn = torn;
            uint8_t data[4096];
            memset(data, 0x77, sizeof data);
            assert_int_equal(vhdx_write(img, 0, data, sizeof data, &d), VHDX_E_IO);
            (void)vhdx_close(img);
            expect_consistent(&im, &old, 6);
            vb_free(&im);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_select_by_sequence),
        cmocka_unit_test(test_select_one_valid),
        cmocka_unit_test(test_select_none_valid),
        cmocka_unit_test(test_select_equal_sequence),
        cmocka_unit_test(test_update_sequence),
        cmocka_unit_test(test_update_identical_headers),
        cmocka_unit_test(test_update_sequence_limit),
        cmocka_unit_test(test_update_log_guid_rules),
        cmocka_unit_test(test_power_cut_open),
        cmocka_unit_test(test_power_cut_first_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
