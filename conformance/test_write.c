/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_write.c - vhdx_write against a flat reference model: partial blocks, unaligned
 * offsets and lengths, writes across block boundaries and across the 4 GiB chunk boundary
 * (the BAT's sector bitmap slot), writes past 4 GiB, into allocated blocks, into ZERO,
 * UNMAPPED and UNDEFINED blocks, 4096-byte sectors, fixed images, random writes; every
 * image is re-read after reopening and passes vhdx_check. A multi-block write is one log
 * entry (two flushes: entry, apply).
 * ctest-labels: libuuid
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "image.h"
#include "faultio.h"

#define NWIN 2

typedef struct model {
    vhdx_io mem;
    faultio fio;
    vhdx_image *img;
    uint64_t vsize;
    uint64_t woff[NWIN], wlen[NWIN];
    uint8_t *ref[NWIN];
    uint64_t rng;
} model;

static uint64_t rnd(model *m)
{
    m->rng ^= m->rng << 13;
    m->rng ^= m->rng >> 7;
    m->rng ^= m->rng << 17;
    return m->rng;
}

static void reopen(model *m, unsigned flags)
{
    vhdx_open_opts o;
    vhdx_diag d;
    if (m->img) assert_int_equal(vhdx_close(m->img), VHDX_OK);
    m->img = NULL;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    vhdx_diag_clear(&d);
    int rc = vhdx_open(&m->img, &m->fio.io, 0, &o, &d);
    if (rc != VHDX_OK) fail_msg("open: %s at %llu", vhdx_status_name(rc), (unsigned long long)d.offset);
}

static void model_init(model *m, vhdx_disk_type type, uint64_t vsize, uint32_t bs, uint32_t lss,
                       uint64_t w0, uint64_t l0, uint64_t w1, uint64_t l1)
{
    vhdx_create_params p;
    memset(m, 0, sizeof *m);
    vhdx_create_params_default(&p);
    p.type = type;
    p.virtual_size = vsize;
    p.block_size = bs;
    p.logical_sector_size = lss;
    assert_int_equal(vhdx_io_mem_open(&m->mem, NULL, 0, 8 * GiB), VHDX_OK);
    assert_int_equal(vhdx_create_io(&m->mem, &p, NULL), VHDX_OK);
    faultio_init(&m->fio, &m->mem);
    m->vsize = vsize;
    m->woff[0] = w0; m->wlen[0] = l0;
    m->woff[1] = w1; m->wlen[1] = l1;
    for (int i = 0; i < NWIN; i++) {
        m->ref[i] = calloc(1, m->wlen[i] ? m->wlen[i] : 1);
        assert_non_null(m->ref[i]);
    }
    m->rng = 0x9E3779B97F4A7C15ull;
    reopen(m, VHDX_OPEN_RDWR);
}

static void model_free(model *m)
{
    if (m->img) assert_int_equal(vhdx_close(m->img), VHDX_OK);
    for (int i = 0; i < NWIN; i++) free(m->ref[i]);
    faultio_free(&m->fio);
    vhdx_io_destroy(&m->mem);
}

static void mwrite(model *m, uint64_t off, size_t len)
{
    uint8_t *buf = malloc(len ? len : 1);
    assert_non_null(buf);
    for (size_t i = 0; i < len; i += 8) {
        uint64_t r = rnd(m) | 0x0101010101010101ull; /* no zero byte */
        memcpy(buf + i, &r, len - i < 8 ? len - i : 8);
    }
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_write(m->img, off, buf, len, &d);
    if (rc != VHDX_OK) fail_msg("write %llu+%zu: %s", (unsigned long long)off, len, vhdx_status_name(rc));
    int placed = 0;
    for (int i = 0; i < NWIN; i++)
        if (off >= m->woff[i] && off + len <= m->woff[i] + m->wlen[i]) {
            memcpy(m->ref[i] + (off - m->woff[i]), buf, len);
            placed = 1;
        }
    assert_true(placed || len == 0);
    free(buf);
}

static void mcheck(model *m)
{
    for (int i = 0; i < NWIN; i++) {
        if (!m->wlen[i]) continue;
        uint8_t *got = malloc(m->wlen[i]);
        assert_non_null(got);
        assert_int_equal(vhdx_read(m->img, m->woff[i], got, m->wlen[i], NULL), VHDX_OK);
        if (memcmp(got, m->ref[i], m->wlen[i]) != 0) {
            uint64_t k = 0;
            while (got[k] == m->ref[i][k]) k++;
            fail_msg("window %d differs at virtual %llu", i, (unsigned long long)(m->woff[i] + k));
        }
        free(got);
    }
}

static void mcheck_clean(model *m)
{
    vhdx_check_opts co;
    vhdx_report *r = NULL;
    vhdx_check_opts_default(&co);
    assert_int_equal(vhdx_check(&m->mem, NULL, &co, &r), VHDX_OK);
    for (size_t i = 0; i < r->count; i++)
        if (r->findings[i].severity == VHDX_SEV_ERROR)
            fprintf(stderr, "finding %s at %llu\n", vhdx_status_name(r->findings[i].code),
                    (unsigned long long)r->findings[i].offset);
    assert_int_equal(r->errors, 0);
    vhdx_report_free(r);
}

static uint64_t state_of(model *m, uint64_t block)
{
    uint64_t e;
    assert_int_equal(img_bat_get(m->img, fmt_bat_pb_index(block, m->img->geo.chunk_ratio), &e, NULL), VHDX_OK);
    return fmt_bat_state(e);
}

#define G4 (4 * GiB)

static void shapes_dynamic(void **state)
{
    (void)state;
    model m;
    model_init(&m, VHDX_TYPE_DYNAMIC, G4 + 8 * MiB, (uint32_t)MiB, 512, 0, 8 * MiB, G4 - 4 * MiB, 12 * MiB);
    mwrite(&m, 1000, 3000);                       /* partial, unaligned */
    mcheck(&m);
    assert_int_equal(state_of(&m, 0), VHDX_PB_FULLY_PRESENT);
    mwrite(&m, MiB - 100, 300);                   /* across a block boundary */
    mwrite(&m, 2 * MiB + 17, 3 * MiB + 5);        /* several blocks, one batch */
    mwrite(&m, 1500, 10);                         /* into an allocated block */
    mwrite(&m, 6 * MiB, MiB);                     /* exactly one block */
    mwrite(&m, 7 * MiB + 1, 0);                   /* nothing */
    mcheck(&m);
    mwrite(&m, G4 - 1000, 3 * MiB);               /* across the chunk boundary (SB slot) */
    mwrite(&m, G4 + 5 * MiB + 3, 10);             /* past 4 GiB */
    mwrite(&m, G4 + 7 * MiB + 4095, 2);           /* last block */
    mcheck(&m);
    assert_int_equal(state_of(&m, 4096), VHDX_PB_FULLY_PRESENT);
    assert_int_equal(state_of(&m, 4100), VHDX_PB_NOT_PRESENT);
    assert_int_equal(state_of(&m, 4101), VHDX_PB_FULLY_PRESENT);
    assert_int_equal(state_of(&m, 4103), VHDX_PB_FULLY_PRESENT);
    /* the SB slot between block 4095 and 4096 stays NOT_PRESENT */
    uint64_t e;
    assert_int_equal(img_bat_get(m.img, 4096, &e, NULL), VHDX_OK);
    assert_int_equal(e, 0);
    reopen(&m, 0);
    mcheck(&m);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(m.img, &info), VHDX_OK);
    assert_int_equal(info.log_dirty, 0);
    mcheck_clean(&m);
    /* errors */
    uint8_t b[16] = { 1 };
    assert_int_equal(vhdx_write(m.img, 0, b, sizeof b, NULL), VHDX_E_READONLY);
    reopen(&m, VHDX_OPEN_RDWR);
    assert_int_equal(vhdx_write(m.img, m.vsize - 8, b, sizeof b, NULL), VHDX_E_RANGE);
    mcheck(&m);
    model_free(&m);
}

static void multi_block_write_is_one_entry(void **state)
{
    (void)state;
    model m;
    model_init(&m, VHDX_TYPE_DYNAMIC, 64 * MiB, (uint32_t)MiB, 512, 0, 64 * MiB, 0, 0);
    mwrite(&m, 0, 100);                           /* session set up (headers, LogGuid) */
    uint64_t f0 = m.fio.flushes;
    mwrite(&m, 3 * MiB + 5, 5 * MiB);             /* 6 new blocks */
    assert_int_equal(m.fio.flushes - f0, 2);      /* one entry: flush after it, after apply */
    f0 = m.fio.flushes;
    mwrite(&m, 20 * MiB, 10);
    mwrite(&m, 22 * MiB, 10);
    mwrite(&m, 24 * MiB, 10);
    assert_int_equal(m.fio.flushes - f0, 6);
    f0 = m.fio.flushes;
    mwrite(&m, 3 * MiB + 100, 4 * MiB);           /* allocated blocks: no log, no flush */
    assert_int_equal(m.fio.flushes - f0, 0);
    mcheck(&m);
    reopen(&m, 0);
    mcheck(&m);
    mcheck_clean(&m);
    model_free(&m);
}

static void zero_unmapped_undefined_blocks(void **state)
{
    (void)state;
    model m;
    model_init(&m, VHDX_TYPE_DYNAMIC, 16 * MiB, (uint32_t)MiB, 512, 0, 16 * MiB, 0, 0);
    assert_int_equal(vhdx_close(m.img), VHDX_OK);
    m.img = NULL;
    /* blocks 5, 6, 7: ZERO, UNMAPPED, UNDEFINED (BAT at 3 MiB) */
    uint8_t e[8];
    vhdx_put64(e, VHDX_PB_ZERO);
    assert_int_equal(m.mem.write_at(m.mem.ctx, 3 * MiB + 5 * 8, e, 8), VHDX_OK);
    vhdx_put64(e, VHDX_PB_UNMAPPED);
    assert_int_equal(m.mem.write_at(m.mem.ctx, 3 * MiB + 6 * 8, e, 8), VHDX_OK);
    vhdx_put64(e, VHDX_PB_UNDEFINED);
    assert_int_equal(m.mem.write_at(m.mem.ctx, 3 * MiB + 7 * 8, e, 8), VHDX_OK);
    reopen(&m, VHDX_OPEN_RDWR);
    mcheck(&m);
    mwrite(&m, 5 * MiB + 777, 1000);
    mwrite(&m, 6 * MiB + MiB - 1, 1);
    mwrite(&m, 7 * MiB, 4096);
    for (uint64_t b = 5; b <= 7; b++) assert_int_equal(state_of(&m, b), VHDX_PB_FULLY_PRESENT);
    mcheck(&m);
    reopen(&m, 0);
    mcheck(&m);
    mcheck_clean(&m);
    model_free(&m);
}

static void random_writes(model *m, int n, uint64_t maxlen)
{
    for (int k = 0; k < n; k++) {
        int w = m->wlen[1] ? (int)(rnd(m) % 2) : 0;
        uint64_t len = rnd(m) % maxlen + 1;
        if (len > m->wlen[w]) len = m->wlen[w];
        uint64_t off = m->woff[w] + rnd(m) % (m->wlen[w] - len + 1);
        if (rnd(m) % 4 == 0) off = off / 512 * 512; /* some sector-aligned */
        if (off + len > m->woff[w] + m->wlen[w]) len = m->woff[w] + m->wlen[w] - off;
        mwrite(m, off, (size_t)len);
        if (k % 40 == 39) mcheck(m);
        if (k % 100 == 99) { reopen(m, VHDX_OPEN_RDWR); mcheck(m); }
    }
}

static void random_writes_dynamic(void **state)
{
    (void)state;
    model m;
    model_init(&m, VHDX_TYPE_DYNAMIC, G4 + 16 * MiB, (uint32_t)MiB, 512, 0, 10 * MiB, G4 - 6 * MiB, 14 * MiB);
    random_writes(&m, 300, 3 * MiB);
    reopen(&m, 0);
    mcheck(&m);
    mcheck_clean(&m);
    model_free(&m);
}

static void random_writes_4k_sectors_2m_blocks(void **state)
{
    (void)state;
    model m;
    model_init(&m, VHDX_TYPE_DYNAMIC, 48 * MiB, 2 * (uint32_t)MiB, 4096, 0, 48 * MiB, 0, 0);
    random_writes(&m, 200, 5 * MiB);
    reopen(&m, 0);
    mcheck(&m);
    mcheck_clean(&m);
    model_free(&m);
}

static void fixed_image_writes(void **state)
{
    (void)state;
    model m;
    model_init(&m, VHDX_TYPE_FIXED, 24 * MiB, (uint32_t)MiB, 512, 0, 24 * MiB, 0, 0);
    uint64_t f0 = m.fio.flushes;
    random_writes(&m, 100, 3 * MiB);
    (void)f0;
    vhdx_info info;
    assert_int_equal(vhdx_get_info(m.img, &info), VHDX_OK);
    assert_int_equal(info.bat.payload[VHDX_PB_FULLY_PRESENT], 24);
    assert_int_equal(info.file_size, 4 * MiB + 24 * MiB); /* no allocation */
    reopen(&m, 0);
    mcheck(&m);
    mcheck_clean(&m);
    model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shapes_dynamic),
        cmocka_unit_test(multi_block_write_is_one_entry),
        cmocka_unit_test(zero_unmapped_undefined_blocks),
        cmocka_unit_test(random_writes_dynamic),
        cmocka_unit_test(random_writes_4k_sectors_2m_blocks),
        cmocka_unit_test(fixed_image_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
