/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_abi.c - the ABI rules of vhdx.h (issue 10): every structure that may grow starts
 * with struct_size, which the header's macros set to the caller's sizeof; the library
 * reads and writes only the members inside it (a caller built against an older, smaller
 * layout) and ignores what lies beyond its own layout (a newer caller). Structures the
 * library allocates carry its struct_size. Fixed records keep their exact layout.
 *
 * An "older caller" is simulated by calling the functions without the header's macros
 * ((name)(...) suppresses a function-like macro) on a struct_size that ends before the
 * last members, inside a buffer whose bytes beyond it are a canary.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vhdx.h"

#define MiB (1024u * 1024u)
#define CANARY 0xA5
#define SLACK 64

/* A buffer of the structure's size plus SLACK, every byte CANARY. */
static void *canary_buf(size_t size)
{
    unsigned char *b = malloc(size + SLACK);
    assert_non_null(b);
    memset(b, CANARY, size + SLACK);
    return b;
}

static void assert_canary(const void *buf, size_t from, size_t to)
{
    const unsigned char *b = buf;
    for (size_t i = from; i < to; i++) {
        if (b[i] != CANARY) fail_msg("byte %zu written (0x%02x): beyond struct_size", i, b[i]);
    }
}

/* A 8 MiB dynamic image with 1 MiB blocks in a memory backend, 1 MiB of 0x5A at 2 MiB. */
static void make_image(vhdx_io *io)
{
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.virtual_size = 8 * MiB;
    p.block_size = MiB;
    assert_int_equal(vhdx_io_mem_open(io, NULL, 0, 64 * MiB), VHDX_OK);
    assert_int_equal(vhdx_create_io(io, &p, NULL), VHDX_OK);
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    vhdx_image *img = NULL;
    assert_int_equal(vhdx_open(&img, io, 0, &o, NULL), VHDX_OK);
    unsigned char *data = malloc(MiB);
    assert_non_null(data);
    memset(data, 0x5A, MiB);
    assert_int_equal(vhdx_write(img, 2 * MiB, data, MiB, NULL), VHDX_OK);
    free(data);
    assert_int_equal(vhdx_close(img), VHDX_OK);
}

static void test_macros_set_struct_size(void **state)
{
    (void)state;
    vhdx_open_opts o;
    memset(&o, CANARY, sizeof o);
    vhdx_open_opts_default(&o);
    assert_int_equal(o.struct_size, sizeof o);
    assert_int_equal(o.flags, 0);
    assert_null(o.parent_path);
    assert_int_equal(o.limits.max_chain_depth, 16);
    assert_int_equal(o.limits.max_log_length, 1024u * MiB);
    for (size_t i = 0; i < 4; i++) assert_int_equal(o.limits.reserved[i], 0);
    assert_int_equal(o.limits.reserved0, 0);

    vhdx_create_params p;
    memset(&p, CANARY, sizeof p);
    vhdx_create_params_default(&p);
    assert_int_equal(p.struct_size, sizeof p);
    assert_int_equal(p.type, VHDX_TYPE_DYNAMIC);
    assert_null(p.guid_gen);

    vhdx_check_opts c;
    memset(&c, CANARY, sizeof c);
    vhdx_check_opts_default(&c);
    assert_int_equal(c.struct_size, sizeof c);
    assert_int_equal(c.max_findings, 1000);
    assert_null(c.progress);

    vhdx_repair_opts r;
    memset(&r, CANARY, sizeof r);
    vhdx_repair_opts_default(&r);
    assert_int_equal(r.struct_size, sizeof r);
    assert_int_equal(r.flags, 0);

    vhdx_io io;
    memset(&io, CANARY, sizeof io);
    assert_int_equal(vhdx_io_mem_open(&io, "x", 1, 16), VHDX_OK);
    assert_int_equal(io.struct_size, sizeof io);
    assert_null(io.data_status);
    vhdx_io_destroy(&io);
    assert_int_equal(io.struct_size, sizeof io);
    assert_null(io.read_at);

    /* NULL still passes through to the library's misuse check */
    vhdx_open_opts_default(NULL);
    assert_int_equal(vhdx_io_mem_open(NULL, NULL, 0, 0), VHDX_E_MISUSE);
}

/* An older caller's vhdx_info ends before file_parameter_flags: the library fills what
 * it has and never writes past it. */
static void test_info_older_caller(void **state)
{
    (void)state;
    vhdx_io io;
    make_image(&io);
    vhdx_image *img = NULL;
    assert_int_equal(vhdx_open(&img, &io, 0, NULL, NULL), VHDX_OK);

    const size_t old = offsetof(vhdx_info, file_parameter_flags);
    vhdx_info *in = canary_buf(sizeof *in);
    in->struct_size = (uint32_t)old;
    assert_int_equal((vhdx_get_info)(img, in), VHDX_OK);
    assert_int_equal(in->struct_size, old);
    assert_int_equal(in->virtual_size, 8 * MiB);
    assert_int_equal(in->block_size, MiB);
    assert_int_equal(in->type, VHDX_TYPE_DYNAMIC);
    assert_int_equal(in->chain_depth, 1);
    assert_canary(in, old, sizeof *in + SLACK);

    /* a newer caller (larger struct_size): every member of this layout, nothing beyond */
    memset(in, CANARY, sizeof *in + SLACK);
    in->struct_size = (uint32_t)(sizeof *in + SLACK);
    assert_int_equal((vhdx_get_info)(img, in), VHDX_OK);
    assert_int_equal(in->struct_size, sizeof *in + SLACK);
    assert_int_equal(in->file_parameter_flags, 0);
    assert_int_equal(in->virtual_size, 8 * MiB);
    assert_canary(in, sizeof *in, sizeof *in + SLACK);

    /* the macro: the caller's own sizeof */
    vhdx_info full;
    memset(&full, CANARY, sizeof full);
    assert_int_equal(vhdx_get_info(img, &full), VHDX_OK);
    assert_int_equal(full.struct_size, sizeof full);
    assert_int_equal(full.file_parameter_flags, 0);
    free(in);

    /* vhdx_extent: an older caller without `offset` */
    const size_t eold = offsetof(vhdx_extent, offset);
    vhdx_extent *e = canary_buf(sizeof *e);
    e->struct_size = (uint32_t)eold;
    assert_int_equal((vhdx_extent_at)(img, 2 * MiB, 6 * MiB, e, NULL), VHDX_OK);
    assert_int_equal(e->start, 2 * MiB);
    assert_int_equal(e->length, MiB);
    assert_int_equal(e->state, VHDX_EXTENT_DATA);
    assert_int_equal(e->data, 1);
    assert_canary(e, eold, sizeof *e + SLACK);
    vhdx_extent ef;
    assert_int_equal(vhdx_extent_at(img, 2 * MiB, 6 * MiB, &ef, NULL), VHDX_OK);
    assert_int_equal(ef.struct_size, sizeof ef);
    assert_int_not_equal(ef.offset, 0);
    free(e);

    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_io_destroy(&io);
}

/* An older caller's options end before a member: the library takes the default for it
 * and never reads the bytes beyond struct_size (here a garbage pointer). */
static void test_options_older_caller(void **state)
{
    (void)state;
    vhdx_create_params *p = canary_buf(sizeof *p);
    (vhdx_create_params_default)(p);  /* struct_size is canary garbage: >= sizeof */
    assert_int_equal(p->type, VHDX_TYPE_DYNAMIC);
    p->struct_size = (uint32_t)offsetof(vhdx_create_params, creator);
    p->virtual_size = 4 * MiB;
    p->block_size = MiB;
    /* creator and guid_gen hold 0xA5A5... : used, they would crash */
    vhdx_io io;
    assert_int_equal(vhdx_io_mem_open(&io, NULL, 0, 64 * MiB), VHDX_OK);
    assert_int_equal((vhdx_create_io)(&io, p, NULL), VHDX_OK);
    vhdx_image *img = NULL;
    assert_int_equal(vhdx_open(&img, &io, 0, NULL, NULL), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.virtual_size, 4 * MiB);
    assert_string_equal(info.creator, "libvhdx " VHDX_VERSION_STRING);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    free(p);

    /* _default of an older caller fills only its members */
    vhdx_check_opts *c = canary_buf(sizeof *c);
    c->struct_size = (uint32_t)offsetof(vhdx_check_opts, progress);
    (vhdx_check_opts_default)(c);
    assert_int_equal(c->struct_size, offsetof(vhdx_check_opts, progress));
    assert_int_equal(c->max_findings, 1000);
    assert_canary(c, offsetof(vhdx_check_opts, progress), sizeof *c + SLACK);
    /* and vhdx_check leaves progress (garbage beyond struct_size) uncalled */
    vhdx_report *r = NULL;
    assert_int_equal((vhdx_check)(&io, NULL, c, &r), VHDX_OK);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    vhdx_report_free(r);
    free(c);

    /* open options: an older caller without guid_gen (garbage beyond) */
    vhdx_open_opts *o = canary_buf(sizeof *o);
    o->struct_size = (uint32_t)offsetof(vhdx_open_opts, guid_gen);
    (vhdx_open_opts_default)(o);
    assert_canary(o, offsetof(vhdx_open_opts, guid_gen), sizeof *o + SLACK);
    o->flags = VHDX_OPEN_RDWR;  /* the header update generates GUIDs: default generator */
    assert_int_equal((vhdx_open)(&img, &io, 0, o, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    free(o);

    vhdx_repair_opts *ro = canary_buf(sizeof *ro);
    ro->struct_size = (uint32_t)offsetof(vhdx_repair_opts, guid_gen);
    (vhdx_repair_opts_default)(ro);
    assert_canary(ro, offsetof(vhdx_repair_opts, guid_gen), sizeof *ro + SLACK);
    vhdx_repair_plan *plan = NULL;
    assert_int_equal((vhdx_repair_apply)(&io, ro, &plan, NULL), VHDX_OK);
    assert_int_equal(plan->struct_size, sizeof *plan);
    assert_int_equal(plan->count, 0);
    assert_int_equal(plan->refused, 0);
    assert_true(VHDX_HAS_MEMBER(plan, vhdx_repair_plan, log_length));
    vhdx_repair_plan_free(plan);
    free(ro);
    vhdx_io_destroy(&io);
}

/* A custom backend of an older caller has no data_status member: the library never reads
 * it (here a garbage pointer beyond struct_size). */
static void test_io_older_caller(void **state)
{
    (void)state;
    vhdx_io mem;
    make_image(&mem);
    vhdx_io *io = canary_buf(sizeof *io);
    memcpy(io, &mem, offsetof(vhdx_io, data_status));
    io->struct_size = (uint32_t)offsetof(vhdx_io, data_status);
    vhdx_image *img = NULL;
    assert_int_equal(vhdx_open(&img, io, 0, NULL, NULL), VHDX_OK);
    vhdx_extent e;
    assert_int_equal(vhdx_extent_at(img, 0, 8 * MiB, &e, NULL), VHDX_OK);
    assert_int_equal(e.length, 2 * MiB);
    assert_int_equal(e.state, VHDX_EXTENT_NOT_PRESENT);
    assert_int_equal(e.zero, 1);
    assert_int_equal(vhdx_extent_at(img, 2 * MiB, 6 * MiB, &e, NULL), VHDX_OK);
    assert_int_equal(e.state, VHDX_EXTENT_DATA);
    assert_int_equal(e.data, 1);
    assert_int_equal(e.length, MiB);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* destroy clears only the caller's members */
    vhdx_io_destroy(io);
    assert_null(io->read_at);
    assert_int_equal(io->struct_size, offsetof(vhdx_io, data_status));
    assert_canary(io, offsetof(vhdx_io, data_status), sizeof *io + SLACK);
    free(io);
}

static void test_library_allocated(void **state)
{
    (void)state;
    vhdx_io io;
    make_image(&io);
    vhdx_report *r = NULL;
    assert_int_equal(vhdx_check(&io, NULL, NULL, &r), VHDX_OK);
    assert_int_equal(r->struct_size, sizeof *r);
    assert_non_null(r->info);
    assert_int_equal(r->info->struct_size, sizeof *r->info);
    assert_int_equal(r->info_valid, 1);
    assert_int_equal(r->info->virtual_size, 8 * MiB);
    assert_true(VHDX_HAS_MEMBER(r, vhdx_report, info_parts));
    assert_int_equal(r->info_parts, VHDX_INFO_ALL);
    vhdx_report_free(r);
    vhdx_io_destroy(&io);

    /* VHDX_HAS_MEMBER: 0 is the first layout (every member of this header) */
    vhdx_info z;
    z.struct_size = 0;
    assert_true(VHDX_HAS_MEMBER(&z, vhdx_info, file_parameter_flags));
    z.struct_size = (uint32_t)offsetof(vhdx_info, file_parameter_flags);
    assert_false(VHDX_HAS_MEMBER(&z, vhdx_info, file_parameter_flags));
    assert_true(VHDX_HAS_MEMBER(&z, vhdx_info, chain_depth));
}

/* Fixed records: their layout is part of the ABI of SOVERSION 0.1 and never changes. The
 * figures are those of LP64 (x86_64, aarch64, s390x, ppc64). */
static void test_fixed_records(void **state)
{
    (void)state;
    if (sizeof(void *) != 8 || sizeof(long) != 8) skip();
    assert_int_equal(sizeof(vhdx_guid), 16);
    assert_int_equal(sizeof(vhdx_diag), 200);
    assert_int_equal(offsetof(vhdx_diag, detail), 36);
    assert_int_equal(offsetof(vhdx_diag, sys_errno), 196);
    assert_int_equal(sizeof(vhdx_limits), 72);
    assert_int_equal(offsetof(vhdx_limits, reserved), 40);
    assert_int_equal(sizeof(vhdx_allocator), 32);
    assert_int_equal(sizeof(vhdx_guid_gen), 16);
    assert_int_equal(sizeof(vhdx_finding), 184);
    assert_int_equal(offsetof(vhdx_finding, detail), 24);
    assert_int_equal(sizeof(vhdx_repair_action), 224);
    assert_int_equal(offsetof(vhdx_repair_action, detail), 64);
    assert_int_equal(sizeof(vhdx_header_info), 88);
    assert_int_equal(sizeof(vhdx_region_info), 32);
    assert_int_equal(sizeof(vhdx_metadata_info), 36);
    assert_int_equal(sizeof(vhdx_bat_counts), 128);
    /* growable structures: struct_size first */
    assert_int_equal(offsetof(vhdx_io, struct_size), 0);
    assert_int_equal(offsetof(vhdx_open_opts, struct_size), 0);
    assert_int_equal(offsetof(vhdx_create_params, struct_size), 0);
    assert_int_equal(offsetof(vhdx_check_opts, struct_size), 0);
    assert_int_equal(offsetof(vhdx_repair_opts, struct_size), 0);
    assert_int_equal(offsetof(vhdx_info, struct_size), 0);
    assert_int_equal(offsetof(vhdx_extent, struct_size), 0);
    assert_int_equal(offsetof(vhdx_report, struct_size), 0);
    assert_int_equal(offsetof(vhdx_repair_plan, struct_size), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_macros_set_struct_size),
        cmocka_unit_test(test_info_older_caller),
        cmocka_unit_test(test_options_older_caller),
        cmocka_unit_test(test_io_older_caller),
        cmocka_unit_test(test_library_allocated),
        cmocka_unit_test(test_fixed_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
