/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhdx_example.c - a small program using the public API of libvhdx: it creates a dynamic
 * image, writes a pattern at an offset, reads it back through a fresh open, and checks the
 * image against every static rule. Built by CMake (target vhdx_example) and run by ctest
 * (examples.*); build it against an installed library with
 *
 *     cc vhdx_example.c $(pkg-config --cflags --libs vhdx) -o vhdx_example
 *
 * usage: vhdx_example IMAGE     create IMAGE (must not exist), write, read, check
 *        vhdx_example --version the header's and the linked library's versions
 */
#include <stdio.h>
#include <string.h>

#include "vhdx.h"

#define EXAMPLE_SIZE (64u << 20)   /* 64 MiB virtual disk */
#define EXAMPLE_OFFSET (5u << 20)  /* where the pattern goes */

/* Prints the failed step with the library's diagnosis; returns 1. */
static int failed(const char *step, const char *path, int rc, const vhdx_diag *d)
{
    char msg[512];
    if (d && d->code != VHDX_OK) {
        vhdx_diag_format(d, path, msg, sizeof msg);
        fprintf(stderr, "vhdx_example: %s: %s\n", step, msg);
    } else {
        fprintf(stderr, "vhdx_example: %s: %s: %s\n", step, path, vhdx_status_message(rc));
    }
    return 1;
}

static int create_and_write(const char *path, const unsigned char *data, size_t len)
{
    vhdx_diag d;
    vhdx_create_params p;
    vhdx_create_params_default(&p);
    p.type = VHDX_TYPE_DYNAMIC;
    p.virtual_size = EXAMPLE_SIZE;
    p.block_size = 1u << 20;
    vhdx_diag_clear(&d);
    int rc = vhdx_create(path, &p, &d);
    if (rc != VHDX_OK) return failed("create", path, rc, &d);

    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags |= VHDX_OPEN_RDWR;
    vhdx_image *img = NULL;
    rc = vhdx_open_file(&img, path, &o, &d);
    if (rc != VHDX_OK) return failed("open for writing", path, rc, &d);
    rc = vhdx_write(img, EXAMPLE_OFFSET, data, len, &d);
    if (rc == VHDX_OK) rc = vhdx_flush(img, &d);
    int crc = vhdx_close(img);
    if (rc != VHDX_OK) return failed("write", path, rc, &d);
    if (crc != VHDX_OK) return failed("close", path, crc, NULL);
    return 0;
}

static int read_back(const char *path, const unsigned char *data, size_t len)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    vhdx_image *img = NULL;
    int rc = vhdx_open_file(&img, path, NULL, &d); /* read-only */
    if (rc != VHDX_OK) return failed("open", path, rc, &d);
    unsigned char got[4096], zero[4096], none[4096];
    memset(none, 0, sizeof none);
    rc = vhdx_read(img, EXAMPLE_OFFSET, got, len, &d);
    if (rc == VHDX_OK) rc = vhdx_read(img, 0, zero, sizeof zero, &d);
    (void)vhdx_close(img);
    if (rc != VHDX_OK) return failed("read", path, rc, &d);
    if (memcmp(got, data, len) != 0 || memcmp(zero, none, sizeof zero) != 0) {
        fprintf(stderr, "vhdx_example: %s: read back differs from what was written\n", path);
        return 1;
    }
    return 0;
}

static int check(const char *path)
{
    vhdx_io io;
    int rc = vhdx_io_file_open(&io, path, VHDX_IO_READ);
    if (rc != VHDX_OK) return failed("check", path, rc, NULL);
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    vhdx_report *rep = NULL;
    rc = vhdx_check(&io, path, &co, &rep);
    vhdx_io_destroy(&io);
    if (rc != VHDX_OK) return failed("check", path, rc, NULL);
    printf("check: %s, %zu errors, %zu warnings\n",
           rep->verdict == VHDX_VERDICT_CONFORMANT ? "conformant" : "not conformant",
           rep->errors, rep->warnings);
    int bad = rep->verdict != VHDX_VERDICT_CONFORMANT;
    vhdx_report_free(rep);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("header %s library %s\n", VHDX_VERSION_STRING, vhdx_version());
        return vhdx_version_number() == VHDX_VERSION_NUMBER ? 0 : 1;
    }
    if (argc != 2) {
        fprintf(stderr, "usage: vhdx_example IMAGE | --version\n");
        return 2;
    }
    unsigned char data[4096];
    for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 7 + 1);
    if (create_and_write(argv[1], data, sizeof data) || read_back(argv[1], data, sizeof data))
        return 1;
    printf("wrote and read back %zu bytes at offset %u\n", sizeof data, EXAMPLE_OFFSET);
    return check(argv[1]);
}
