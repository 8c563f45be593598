/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_create.c - vhdx_create / vhdx_create_io: every invalid parameter is refused with
 * VHDX_E_CREATE_PARAM before a file appears (no temporary file left either); an existing
 * file is refused (VHDX_E_EXISTS) and left alone; defaults and layout match Hyper-V
 * (32 MiB blocks, LSS 512, PSS 4096, log 1 MiB at 1 MiB, metadata at 2 MiB, BAT at 3 MiB,
 * Required = 1, headers seq 0/1); generated GUIDs are version 4 in Microsoft layout;
 * fixed images are fully allocated (every payload entry FULLY_PRESENT, SB slots
 * NOT_PRESENT, sparse); 4096-byte logical sectors; created images pass vhdx_check.
 * ctest-labels: libuuid
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "image.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s", access("/dev/shm", W_OK) == 0 ? "/dev/shm/vhdx-create-XXXXXX" : "/tmp/vhdx-create-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
    return 0;
}

static size_t dir_entries(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    return n;
}

static void path_in(char *out, size_t len, const char *name)
{
    snprintf(out, len, "%s/%s", dir, name);
}

static void bad_params_leave_no_file(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "bad.vhdx");
    struct { const char *what; vhdx_disk_type type; uint64_t size; uint32_t bs, lss, pss, log; const char *parent; int code; } cases[] = {
        { "block 3 MiB", VHDX_TYPE_DYNAMIC, 64 * MiB, 3 * (uint32_t)MiB, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "block 512 KiB", VHDX_TYPE_DYNAMIC, 64 * MiB, 512 * 1024, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "block 512 MiB", VHDX_TYPE_DYNAMIC, 64 * MiB, 512 * (uint32_t)MiB, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "lss 1024", VHDX_TYPE_DYNAMIC, 64 * MiB, 0, 1024, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "pss 2048", VHDX_TYPE_DYNAMIC, 64 * MiB, 0, 0, 2048, 0, NULL, VHDX_E_CREATE_PARAM },
        { "size 0", VHDX_TYPE_DYNAMIC, 0, 0, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "size not a sector multiple", VHDX_TYPE_DYNAMIC, 64 * MiB + 100, 0, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "size not a 4K multiple", VHDX_TYPE_DYNAMIC, 64 * MiB + 512, 0, 4096, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "size 64 TiB + 512", VHDX_TYPE_DYNAMIC, 64 * TiB + 512, 0, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "log 1.5 MiB", VHDX_TYPE_DYNAMIC, 64 * MiB, 0, 0, 0, 3 * (uint32_t)MiB / 2, NULL, VHDX_E_CREATE_PARAM },
        { "type 7", (vhdx_disk_type)7, 64 * MiB, 0, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "differencing without parent", VHDX_TYPE_DIFFERENCING, 0, 0, 0, 0, 0, NULL, VHDX_E_CREATE_PARAM },
        { "dynamic with parent", VHDX_TYPE_DYNAMIC, 64 * MiB, 0, 0, 0, 0, "/nonexistent", VHDX_E_CREATE_PARAM },
        { "missing parent", VHDX_TYPE_DIFFERENCING, 0, 0, 0, 0, 0, "/nonexistent/p.vhdx", VHDX_E_PARENT_NOT_FOUND },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vhdx_create_params p;
        vhdx_diag d;
        vhdx_create_params_default(&p);
        p.type = cases[i].type;
        p.virtual_size = cases[i].size;
        p.block_size = cases[i].bs;
        p.logical_sector_size = cases[i].lss;
        p.physical_sector_size = cases[i].pss;
        p.log_size = cases[i].log;
        p.parent_path = cases[i].parent;
        vhdx_diag_clear(&d);
        int rc = vhdx_create(path, &p, &d);
        if (rc != cases[i].code) fail_msg("%s: got %s", cases[i].what, vhdx_status_name(rc));
        assert_int_equal(d.code, cases[i].code);
        assert_int_equal(dir_entries(), 0);
        /* the memory variant refuses the same and writes nothing */
        vhdx_io io;
        assert_int_equal(vhdx_io_mem_open(&io, NULL, 0, GiB), VHDX_OK);
        assert_int_equal(vhdx_create_io(&io, &p, NULL), cases[i].code);
        size_t n;
        (void)vhdx_io_mem_data(&io, &n);
        assert_int_equal(n, 0);
        vhdx_io_destroy(&io);
    }
    /* boundaries that are accepted: 64 TiB, 256 MiB and 1 MiB blocks, 4 GiB - 1 MiB log */
    vhdx_create_params p;
    vhdx_io io;
    vhdx_create_params_default(&p);
    p.virtual_size = 64 * TiB;
    p.block_size = 256 * (uint32_t)MiB;
    assert_int_equal(vhdx_io_mem_open(&io, NULL, 0, GiB), VHDX_OK);
    assert_int_equal(vhdx_create_io(&io, &p, NULL), VHDX_OK);
    vhdx_io_destroy(&io);
    p.virtual_size = 64 * MiB;
    p.block_size = (uint32_t)MiB;
    p.log_size = 8 * (uint32_t)MiB;
    assert_int_equal(vhdx_io_mem_open(&io, NULL, 0, GiB), VHDX_OK);
    assert_int_equal(vhdx_create_io(&io, &p, NULL), VHDX_OK);
    vhdx_image *img;
    assert_int_equal(vhdx_open(&img, &io, 0, NULL, NULL), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.headers[info.current_header].log_length, 8 * MiB);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    /* non-empty backend */
    assert_int_equal(vhdx_create_io(&io, &p, NULL), VHDX_E_EXISTS);
    vhdx_io_destroy(&io);
}

static void existing_file_refused(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "exists.vhdx");
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("keep me", f);
    fclose(f);
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.virtual_size = 64 * MiB;
    assert_int_equal(vhdx_create(path, &p, NULL), VHDX_E_EXISTS);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 7);
    assert_int_equal(dir_entries(), 1);
    unlink(path);
}

static int is_v4_ms(const vhdx_guid *g)
{
    /* Data3 (bytes 6-7, LE) >> 12 == 4; variant 10 in Data4[0] */
    return (g->b[7] >> 4) == 4 && (g->b[8] & 0xC0) == 0x80;
}

static void assert_check_clean(vhdx_io *io)
{
    vhdx_check_opts co;
    vhdx_report *r = NULL;
    vhdx_check_opts_default(&co);
    assert_int_equal(vhdx_check(io, NULL, &co, &r), VHDX_OK);
    if (r->errors) {
        for (size_t i = 0; i < r->count; i++)
            fprintf(stderr, "finding %s at %llu\n", vhdx_status_name(r->findings[i].code),
                    (unsigned long long)r->findings[i].offset);
    }
    assert_int_equal(r->errors, 0);
    assert_int_equal(r->verdict, VHDX_VERDICT_CONFORMANT);
    vhdx_report_free(r);
}

static void defaults_like_hyperv(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "dyn.vhdx");
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.virtual_size = 64 * MiB;
    assert_int_equal(vhdx_create(path, &p, NULL), VHDX_OK);
    assert_int_equal(dir_entries(), 1);
    vhdx_image *img;
    assert_int_equal(vhdx_open_file(&img, path, NULL, NULL), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.type, VHDX_TYPE_DYNAMIC);
    assert_int_equal(info.virtual_size, 64 * MiB);
    assert_int_equal(info.block_size, 32 * MiB);
    assert_int_equal(info.logical_sector_size, 512);
    assert_int_equal(info.physical_sector_size, 4096);
    assert_int_equal(info.file_size, 4 * MiB);
    assert_string_equal(info.creator, "libvhdx " VHDX_VERSION_STRING);
    assert_int_equal(info.current_header, 1);
    assert_int_equal(info.headers[0].sequence_number, 0);
    assert_int_equal(info.headers[1].sequence_number, 1);
    for (int h = 0; h < 2; h++) {
        assert_int_equal(info.headers[h].log_offset, MiB);
        assert_int_equal(info.headers[h].log_length, MiB);
        assert_int_equal(info.headers[h].version, 1);
        assert_int_equal(info.headers[h].log_version, 0);
        assert_true(vhdx_guid_is_zero(&info.headers[h].log_guid));
        assert_true(is_v4_ms(&info.headers[h].file_write_guid));
        assert_true(is_v4_ms(&info.headers[h].data_write_guid));
    }
    assert_true(is_v4_ms(&info.virtual_disk_id));
    assert_int_equal(info.region_count, 2);
    for (unsigned i = 0; i < 2; i++) {
        assert_int_equal(info.regions[i].required, 1);
        if (vhdx_guid_equal(&info.regions[i].guid, &VHDX_GUID_BAT_REGION)) {
            assert_int_equal(info.regions[i].file_offset, 3 * MiB);
            assert_int_equal(info.regions[i].length, MiB);
        } else {
            assert_true(vhdx_guid_equal(&info.regions[i].guid, &VHDX_GUID_METADATA_REGION));
            assert_int_equal(info.regions[i].file_offset, 2 * MiB);
            assert_int_equal(info.regions[i].length, MiB);
        }
    }
    assert_int_equal(info.bat.payload[VHDX_PB_NOT_PRESENT], 2);
    assert_int_equal(info.has_parent, 0);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_io io;
    assert_int_equal(vhdx_io_file_open(&io, path, VHDX_IO_READ), VHDX_OK);
    assert_check_clean(&io);
    vhdx_io_destroy(&io);
    /* qemu-img agrees, when installed */
    if (system("command -v qemu-img >/dev/null 2>&1") == 0) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "qemu-img check -f vhdx '%s' >/dev/null 2>&1", path);
        assert_int_equal(system(cmd), 0);
    }
    unlink(path);
}

static void fixed_fully_allocated(void **state)
{
    (void)state;
    char path[512];
    path_in(path, sizeof path, "fixed.vhdx");
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_FIXED;
    p.virtual_size = 4 * GiB + 3 * MiB;    /* crosses the first chunk: an SB slot in the BAT */
    p.block_size = (uint32_t)MiB;
    assert_int_equal(vhdx_create(path, &p, NULL), VHDX_OK);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal((uint64_t)st.st_size, 4 * MiB + 4099 * MiB);
    assert_true((uint64_t)st.st_blocks * 512 < 64 * MiB); /* sparse: no zero writes */
    vhdx_image *img;
    assert_int_equal(vhdx_open_file(&img, path, NULL, NULL), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.type, VHDX_TYPE_FIXED);
    assert_int_equal(info.payload_blocks, 4099);
    assert_int_equal(info.bat_entries, 4100);
    assert_int_equal(info.bat.payload[VHDX_PB_FULLY_PRESENT], 4099);
    assert_int_equal(info.bat.sector_bitmap[VHDX_SB_NOT_PRESENT], 1);
    /* block b at 4 MiB + b MiB; the SB slot (index 4096) does not shift block 4096 */
    uint64_t e;
    assert_int_equal(img_bat_get(img, 4095, &e, NULL), VHDX_OK);
    assert_int_equal(e, fmt_bat_make(VHDX_PB_FULLY_PRESENT, 4 * MiB + 4095 * MiB));
    assert_int_equal(img_bat_get(img, 4096, &e, NULL), VHDX_OK);
    assert_int_equal(e, 0);
    assert_int_equal(img_bat_get(img, 4097, &e, NULL), VHDX_OK);
    assert_int_equal(e, fmt_bat_make(VHDX_PB_FULLY_PRESENT, 4 * MiB + 4096 * MiB));
    uint8_t buf[4096];
    assert_int_equal(vhdx_read(img, 4 * GiB + 2 * MiB, buf, sizeof buf, NULL), VHDX_OK);
    for (size_t i = 0; i < sizeof buf; i++) assert_int_equal(buf[i], 0);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    vhdx_io io;
    assert_int_equal(vhdx_io_file_open(&io, path, VHDX_IO_READ), VHDX_OK);
    assert_check_clean(&io);
    vhdx_io_destroy(&io);
    unlink(path);
}

static void logical_sector_4096(void **state)
{
    (void)state;
    vhdx_create_params p;
    vhdx_io io;
    vhdx_create_params_default(&p);
    p.virtual_size = 64 * MiB;
    p.logical_sector_size = 4096;
    p.physical_sector_size = 512;
    p.block_size = 2 * (uint32_t)MiB;
    p.creator = "test \xc3\xa9";
    assert_int_equal(vhdx_io_mem_open(&io, NULL, 0, GiB), VHDX_OK);
    assert_int_equal(vhdx_create_io(&io, &p, NULL), VHDX_OK);
    assert_check_clean(&io);
    vhdx_image *img;
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_RDWR;
    assert_int_equal(vhdx_open(&img, &io, 0, &o, NULL), VHDX_OK);
    vhdx_info info;
    assert_int_equal(vhdx_get_info(img, &info), VHDX_OK);
    assert_int_equal(info.logical_sector_size, 4096);
    assert_int_equal(info.physical_sector_size, 512);
    assert_int_equal(info.chunk_ratio, ((uint64_t)1 << 23) * 4096 / (2 * MiB));
    assert_string_equal(info.creator, "test \xc3\xa9");
    uint8_t w[8192], r[8192];
    for (size_t i = 0; i < sizeof w; i++) w[i] = (uint8_t)(i * 13 + 1);
    assert_int_equal(vhdx_write(img, 2 * MiB - 4096, w, sizeof w, NULL), VHDX_OK);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_int_equal(vhdx_open(&img, &io, 0, NULL, NULL), VHDX_OK);
    assert_int_equal(vhdx_read(img, 2 * MiB - 4096, r, sizeof r, NULL), VHDX_OK);
    assert_memory_equal(r, w, sizeof r);
    assert_int_equal(vhdx_close(img), VHDX_OK);
    assert_check_clean(&io);
    vhdx_io_destroy(&io);
}

static void seeded_generator_is_deterministic(void **state)
{
    (void)state;
    uint8_t *img[2];
    size_t len[2];
    for (int k = 0; k < 2; k++) {
        vhdx_create_params p;
        vhdx_guid_seeded st;
        vhdx_guid_gen gen = vhdx_guid_gen_seeded(&st, 99);
        vhdx_io io;
        vhdx_create_params_default(&p);
        p.virtual_size = 10 * MiB;
        p.guid_gen = &gen;
        assert_int_equal(vhdx_io_mem_open(&io, NULL, 0, GiB), VHDX_OK);
        assert_int_equal(vhdx_create_io(&io, &p, NULL), VHDX_OK);
        const uint8_t *d = vhdx_io_mem_data(&io, &len[k]);
        img[k] = malloc(len[k]);
        assert_non_null(img[k]);
        memcpy(img[k], d, len[k]);
        vhdx_io_destroy(&io);
    }
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(img[0], img[1], len[0]);
    /* headers at 64 KiB and 128 KiB: sequence 0 and 1, otherwise identical */
    assert_int_equal(vhdx_le64(img[0] + 0x10000 + 8), 0);
    assert_int_equal(vhdx_le64(img[0] + 0x20000 + 8), 1);
    assert_memory_equal(img[0] + 0x10000 + 16, img[0] + 0x20000 + 16, 64);
    /* region tables identical */
    assert_memory_equal(img[0] + 0x30000, img[0] + 0x40000, 65536);
    free(img[0]);
    free(img[1]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(bad_params_leave_no_file, setup, teardown),
        cmocka_unit_test_setup_teardown(existing_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(defaults_like_hyperv, setup, teardown),
        cmocka_unit_test_setup_teardown(fixed_fully_allocated, setup, teardown),
        cmocka_unit_test(logical_sector_4096),
        cmocka_unit_test(seeded_generator_is_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
