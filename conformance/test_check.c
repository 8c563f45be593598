/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_check.c - vhdx_check: every finding collected (not only the first), severities from
 * the error table, verdicts (conformant / nonconformant / unreadable), exact findings lists
 * on valid and mutated builder images, max_findings, progress, and no writes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "builder.h"

typedef struct want { int code; uint64_t offset; } want;

static vhdx_report *run_check(vb_image *im, const vhdx_check_opts *o)
{
    vhdx_report *r = NULL;
    vhdx_check_opts dflt;
    if (!o) {
        vhdx_check_opts_default(&dflt);
        if (im->p.type == VHDX_TYPE_DIFFERENCING) dflt.flags |= VHDX_OPEN_NO_PARENT;
        o = &dflt;
    }
    assert_int_equal(vhdx_check(&im->io, NULL, o, &r), VHDX_OK);
    assert_non_null(r);
    return r;
}

static void expect_findings(const vhdx_report *r, const want *w, size_t n)
{
    int same = r->count == n;
    for (size_t i = 0; same && i < n; i++)
        same = r->findings[i].code == w[i].code && r->findings[i].offset == w[i].offset;
    if (!same) {
        for (size_t i = 0; i < r->count; i++)
            print_error("  got  %s at 0x%llx (%s)\n", vhdx_status_name(r->findings[i].code),
                        (unsigned long long)r->findings[i].offset,
                        r->findings[i].field ? r->findings[i].field : "");
        for (size_t i = 0; i < n; i++)
            print_error("  want %s at 0x%llx\n", vhdx_status_name(w[i].code), (unsigned long long)w[i].offset);
    }
    assert_true(same);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(r->findings[i].severity, vhdx_status_severity(w[i].code));
}

static void dyn(vb_image *im)
{
    assert_int_equal(vb_build_simple(im, VHDX_TYPE_DYNAMIC, 16 * MiB, (uint32_t)MiB, 512), VHDX_OK);
}

static void test_valid_images(void **s)
{
    (void)s;
    for (int t = 0; t < 3; t++) {
        vb_image im;
        vb_params p;
        vb_params_default(&p);
        p.type = (vhdx_disk_type)t;
        p.virtual_size = 6 * MiB;
        assert_int_equal(vb_build(&im, &p), VHDX_OK);
        vhdx_report *r = run_check(&im, NULL);
        expect_findings(r, NULL, 0);
        assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
        assert_int_equal(r->errors + r->warnings + r->infos, 0);
        assert_int_equal(r->opened, 1);
        assert_int_equal(r->info_valid, 1);
        assert_int_equal(r->info->type, (vhdx_disk_type)t);
        assert_int_equal(r->info->virtual_size, 6 * MiB);
        assert_int_equal(r->info->bat.payload[VHDX_PB_FULLY_PRESENT], t == VHDX_TYPE_FIXED ? 6 : 0);
        vhdx_report_free(r);
        vb_free(&im);
    }
}

/* independent defects in every area are all reported, in file order */
static void test_collects_everything(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im);
    vb_put8(&im, VHDX_HEADER2_OFFSET + HDR_OFF_RESERVED + 7, 1);          /* R19 */
    vb_header_fix_crc(&im, 1);
    vb_rt_entry_set32(&im, -1, VB_RT_MD, RTE_OFF_REQUIRED, 0);              /* D7 */
    vb_md_entry_set32(&im, VB_MD_PSS, MDE_OFF_RESERVED2, 9);                /* R91 */
    vb_bat_set(&im, 1, 5);                                                   /* R72 */
    vb_bat_set(&im, 3, fmt_bat_make(VHDX_PB_NOT_PRESENT, 0) | 0x100);        /* R69 */
    vb_bat_set(&im, 4, fmt_bat_make(VHDX_PB_ZERO, 7 * MiB));                 /* D13 */
    uint64_t off = vb_alloc_block(&im, 6, 1);
    vb_bat_set(&im, 7, fmt_bat_make(VHDX_PB_FULLY_PRESENT, off));            /* R71 */
    vb_bat_set(&im, 8, fmt_bat_make(VHDX_PB_FULLY_PRESENT, im.md_offset));   /* R70 */
    vhdx_report *r = run_check(&im, NULL);
    const want w[] = {
        { VHDX_W_HEADER_FIELDS_DIFFER, VHDX_HEADER1_OFFSET }, /* info: slot 1 kept its zeros */
        { VHDX_W_HEADER_RESERVED, VHDX_HEADER2_OFFSET + HDR_OFF_RESERVED },
        { VHDX_W_RT_NOT_REQUIRED, vb_rt_entry_offset(0, VB_RT_MD) + RTE_OFF_REQUIRED },
        { VHDX_W_MD_FLAGS_RESERVED, vb_md_entry_offset(&im, VB_MD_PSS) + MDE_OFF_RESERVED2 },
        { VHDX_E_BAT_STATE, vb_bat_entry_offset(&im, 1) },
        { VHDX_E_BAT_RESERVED, vb_bat_entry_offset(&im, 3) },
        { VHDX_W_BAT_OFFSET_NOT_ZERO, vb_bat_entry_offset(&im, 4) },
        { VHDX_E_BAT_OVERLAP, vb_bat_entry_offset(&im, 8) },
        { VHDX_E_BAT_DUPLICATE, vb_bat_entry_offset(&im, 7) },
    };
    expect_findings(r, w, sizeof w / sizeof w[0]);
    assert_int_equal(r->verdict, VHDX_VERDICT_NONCONFORMANT);
    assert_int_equal(r->errors, 6);
    assert_int_equal(r->warnings, 2);
    assert_int_equal(r->infos, 1);
    assert_int_equal(r->opened, 0);
    assert_int_equal(r->info_valid, 0);
    vhdx_report_free(r);
    vb_free(&im);
}

/* a tolerated deviation of error severity: nonconformant, yet it opens */
static void test_deviation_error_still_opens(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im);
    vb_put32(&im, vb_md_item_offset(&im, VB_MD_FP) + 4, 0x10);              /* R94 */
    vhdx_report *r = run_check(&im, NULL);
    const want w[] = { { VHDX_W_FILE_PARAMS_RESERVED, vb_md_item_offset(&im, VB_MD_FP) + 4 } };
    expect_findings(r, w, 1);
    assert_int_equal(r->verdict, VHDX_VERDICT_NONCONFORMANT);
    assert_int_equal(r->opened, 1);
    vhdx_report_free(r);
    vb_free(&im);
}

/* warnings only: conformant (qemu-img's Required = 0 regions) */
static void test_warnings_only(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im);
    vb_rt_entry_set32(&im, -1, VB_RT_BAT, RTE_OFF_REQUIRED, 0);
    vb_rt_entry_set32(&im, -1, VB_RT_MD, RTE_OFF_REQUIRED, 0);
    vb_put8(&im, VHDX_RT2_OFFSET + 1000, 1); /* copy 2 broken */
    vhdx_report *r = run_check(&im, NULL);
    const want w[] = {
        { VHDX_W_RT_INVALID_COPY, VHDX_RT2_OFFSET },
        { VHDX_W_RT_NOT_REQUIRED, vb_rt_entry_offset(0, VB_RT_BAT) + RTE_OFF_REQUIRED },
        { VHDX_W_RT_NOT_REQUIRED, vb_rt_entry_offset(0, VB_RT_MD) + RTE_OFF_REQUIRED },
    };
    expect_findings(r, w, 3);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    assert_int_equal(r->warnings, 3);
    assert_int_equal(r->opened, 1);
    vhdx_report_free(r);

    /* copies both valid but different */
    vb_rt_fix_crc(&im, 1);
    r = run_check(&im, NULL);
    const want w2[] = {
        { VHDX_W_RT_COPIES_DIFFER, VHDX_RT2_OFFSET },
        { VHDX_W_RT_NOT_REQUIRED, vb_rt_entry_offset(0, VB_RT_BAT) + RTE_OFF_REQUIRED },
        { VHDX_W_RT_NOT_REQUIRED, vb_rt_entry_offset(0, VB_RT_MD) + RTE_OFF_REQUIRED },
    };
    expect_findings(r, w2, 3);
    vhdx_report_free(r);
    vb_free(&im);
}

/* structural stops: what follows cannot be examined, the verdict is still a judgement */
static void test_structural_stops(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im);
    vb_header_set64(&im, 0, HDR_OFF_SEQUENCE, 2); /* equal sequence numbers, different GUID below */
    vhdx_guid g = { { 1 } };
    vb_header_set_guid(&im, 0, HDR_OFF_FILE_WRITE_GUID, &g);
    vb_bat_set(&im, 2, 4); /* never reached */
    vhdx_report *r = run_check(&im, NULL);
    const want w[] = { { VHDX_E_HEADER_SEQ_EQUAL, VHDX_HEADER2_OFFSET + HDR_OFF_SEQUENCE } };
    expect_findings(r, w, 1);
    assert_int_equal(r->verdict, VHDX_VERDICT_NONCONFORMANT);
    assert_int_equal(r->opened, 0);
    vhdx_report_free(r);
    vb_free(&im);

    /* both region tables broken: both copies are reported */
    dyn(&im);
    vb_put8(&im, VHDX_RT1_OFFSET + 100, 1);
    vb_put8(&im, VHDX_RT2_OFFSET, 'x');
    r = run_check(&im, NULL);
    const want w2[] = { { VHDX_E_RT_CHECKSUM, VHDX_RT1_OFFSET + RT_OFF_CHECKSUM },
                        { VHDX_E_RT_SIGNATURE, VHDX_RT2_OFFSET } };
    expect_findings(r, w2, 2);
    vhdx_report_free(r);
    vb_free(&im);
}

/* unreadable: not a VHDX file, shorter than the file identifier, I/O errors */
typedef struct failing_io { vhdx_io io; vhdx_io *inner; uint64_t fail_from; int writes; } failing_io;
static int f_read(void *c, uint64_t off, void *buf, size_t len)
{
    failing_io *f = c;
    if (off + len > f->fail_from) return VHDX_E_IO;
    return f->inner->read_at(f->inner->ctx, off, buf, len);
}
static int f_write(void *c, uint64_t off, const void *buf, size_t len)
{
    failing_io *f = c;
    (void)off; (void)buf; (void)len;
    f->writes++;
    return VHDX_E_IO;
}
static int f_size(void *c, uint64_t *sz) { failing_io *f = c; return f->inner->get_size(f->inner->ctx, sz); }
static int f_flush(void *c) { failing_io *f = c; f->writes++; return VHDX_OK; }

static void test_unreadable(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im);
    vb_put8(&im, 0, 'V');
    vhdx_report *r = run_check(&im, NULL);
    const want w[] = { { VHDX_E_FILEID_SIGNATURE, 0 } };
    expect_findings(r, w, 1);
    assert_int_equal(r->verdict, VHDX_VERDICT_UNREADABLE);
    vhdx_report_free(r);
    vb_put8(&im, 0, 'v');
    vb_truncate(&im, VHDX_FILEID_SIZE - 1);
    r = run_check(&im, NULL);
    const want w2[] = { { VHDX_E_TOO_SMALL, VHDX_FILEID_SIZE - 1 } };
    expect_findings(r, w2, 1);
    assert_int_equal(r->verdict, VHDX_VERDICT_UNREADABLE);
    vhdx_report_free(r);
    /* a VHDX file shorter than the header section is examined: nonconformant */
    vb_truncate(&im, VHDX_FILEID_SIZE);
    r = run_check(&im, NULL);
    const want w3[] = { { VHDX_E_TOO_SMALL, VHDX_FILEID_SIZE } };
    expect_findings(r, w3, 1);
    assert_int_equal(r->verdict, VHDX_VERDICT_NONCONFORMANT);
    vhdx_report_free(r);
    vb_free(&im);

    /* I/O error while reading the BAT */
    dyn(&im);
    failing_io f = { { 0 }, &im.io, im.bat_offset, 0 };
    f.io.ctx = &f;
    f.io.read_at = f_read;
    f.io.write_at = f_write;
    f.io.get_size = f_size;
    f.io.flush = f_flush;
    f.io.data_status = NULL;
    vhdx_check_opts o;
    vhdx_check_opts_default(&o);
    assert_int_equal(vhdx_check(&f.io, NULL, &o, &r), VHDX_OK);
    const want w4[] = { { VHDX_E_IO, im.bat_offset } };
    expect_findings(r, w4, 1);
    assert_int_equal(r->verdict, VHDX_VERDICT_UNREADABLE);
    assert_int_equal(f.writes, 0);
    vhdx_report_free(r);
    /* and check never writes on a healthy image either */
    f.fail_from = UINT64_MAX / 2;
    assert_int_equal(vhdx_check(&f.io, NULL, &o, &r), VHDX_OK);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    assert_int_equal(f.writes, 0);
    vhdx_report_free(r);
    vb_free(&im);
}

static void test_max_findings(void **s)
{
    (void)s;
    vb_image im;
    dyn(&im);
    for (uint64_t b = 0; b < 10; b++) vb_bat_set(&im, b, 4);
    vhdx_check_opts o;
    vhdx_check_opts_default(&o);
    o.max_findings = 3;
    vhdx_report *r = run_check(&im, &o);
    assert_int_equal(r->count, 3);
    assert_int_equal(r->dropped, 7);
    assert_int_equal(r->errors, 10);
    assert_int_equal(r->findings[2].code, VHDX_E_BAT_STATE);
    assert_int_equal(r->findings[2].offset, vb_bat_entry_offset(&im, 2));
    assert_int_equal(r->verdict, VHDX_VERDICT_NONCONFORMANT);
    vhdx_report_free(r);
    vb_free(&im);
}

typedef struct prog { uint64_t calls, last_done, total; int monotonic; } prog;
static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    prog *p = ctx;
    if (done < p->last_done || (p->total && total != p->total)) p->monotonic = 0;
    p->calls++;
    p->last_done = done;
    p->total = total;
}

static void test_progress(void **s)
{
    (void)s;
    vb_image im;
    /* 128 GiB, 1 MiB blocks: 131103 BAT entries = 17 pages of 64 KiB */
    assert_int_equal(vb_build_simple(&im, VHDX_TYPE_DYNAMIC, 128 * GiB, (uint32_t)MiB, 512), VHDX_OK);
    vhdx_check_opts o;
    vhdx_check_opts_default(&o);
    prog p = { 0, 0, 0, 1 };
    o.progress = on_progress;
    o.progress_ctx = &p;
    vhdx_report *r = run_check(&im, &o);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    assert_int_equal(p.total, 17);
    assert_int_equal(p.calls, 17);
    assert_int_equal(p.last_done, 17);
    assert_true(p.monotonic);
    assert_int_equal(r->info->bat.payload[VHDX_PB_NOT_PRESENT], 131072);
    assert_int_equal(r->info->bat.sector_bitmap[VHDX_SB_NOT_PRESENT], 31);
    vhdx_report_free(r);
    vb_free(&im);
}

/* 64 TiB with a 2 MiB BAT under a 64 KiB BAT memory limit: checked page by page */
static void test_64tib_bounded(void **s)
{
    (void)s;
    vb_image im;
    vb_params p;
    vb_params_default(&p);
    p.virtual_size = 64 * TiB;
    p.block_size = 256 * (uint32_t)MiB;
    p.lss = 4096;
    assert_int_equal(vb_build(&im, &p), VHDX_OK);
    vb_bat_set(&im, 5, 4); /* one defect deep inside */
    vb_bat_set(&im, 264190, fmt_bat_make(VHDX_PB_ZERO, 0) | 0x10);
    vhdx_check_opts o;
    vhdx_check_opts_default(&o);
    o.limits.max_bat_memory = 64 * 1024;
    prog pr = { 0, 0, 0, 1 };
    o.progress = on_progress;
    o.progress_ctx = &pr;
    vhdx_report *r = run_check(&im, &o);
    const want w[] = { { VHDX_E_BAT_STATE, vb_bat_entry_offset(&im, 5) },
                       { VHDX_E_BAT_RESERVED, vb_bat_entry_offset(&im, 264190) } };
    expect_findings(r, w, 2);
    assert_int_equal(pr.total, 33);
    assert_int_equal(pr.last_done, 33);
    vhdx_report_free(r);
    vb_free(&im);
}

/* differencing: parent locator findings and R76 are collected with the rest */
static void test_differencing_findings(void **s)
{
    (void)s;
    vb_image im;
    vb_params p;
    vb_params_default(&p);
    p.type = VHDX_TYPE_DIFFERENCING;
    p.virtual_size = 8 * MiB;
    assert_int_equal(vb_build(&im, &p), VHDX_OK);
    uint64_t off = vb_alloc_block(&im, 1, 1);
    vb_bat_set(&im, vb_pb_index(&im, 1), fmt_bat_make(VHDX_PB_PARTIALLY_PRESENT, off));
    uint64_t pl = vb_md_item_offset(&im, VB_MD_PL);
    vb_put16(&im, pl + PL_OFF_RESERVED, 1); /* R100 */
    vhdx_report *r = run_check(&im, NULL);
    const want w[] = {
        { VHDX_W_PL_RESERVED, pl + PL_OFF_RESERVED },
        { VHDX_E_BAT_PARTIAL_NO_SB, vb_bat_entry_offset(&im, vb_pb_index(&im, 1)) },
    };
    expect_findings(r, w, 2);
    assert_int_equal(r->verdict, VHDX_VERDICT_NONCONFORMANT);
    assert_int_equal(r->opened, 0);
    vhdx_report_free(r);
    vb_free(&im);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_images),
        cmocka_unit_test(test_collects_everything),
        cmocka_unit_test(test_deviation_error_still_opens),
        cmocka_unit_test(test_warnings_only),
        cmocka_unit_test(test_structural_stops),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_max_findings),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_64tib_bounded),
        cmocka_unit_test(test_differencing_findings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
