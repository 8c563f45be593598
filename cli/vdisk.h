/* SPDX-License-Identifier: Apache-2.0 */
/* vdisk.h - a virtual disk to read from, VHDX image or raw file (compare, convert): its
 * size, which runs read as zeros without reading (vhdx_extent_at for an image; SEEK_DATA /
 * SEEK_HOLE of the raw file through the file backend's data_status), and reads. */
#ifndef VHDX_CLI_VDISK_H
#define VHDX_CLI_VDISK_H

#include <stdint.h>
#include <stddef.h>

#include "vhdx.h"

typedef enum vdisk_fmt { VDISK_AUTO = 0, VDISK_RAW, VDISK_VHDX } vdisk_fmt;

typedef struct vdisk {
    const char *name;
    vhdx_image *img;     /* VHDX, or NULL for raw */
    vhdx_io io;          /* raw file */
    int is_raw;
    uint64_t size;
} vdisk;

/* Parses "raw" / "vhdx" for -f/-O; -1 otherwise. */
int vdisk_parse_fmt(const char *s);
/* Opens path read-only: fmt VDISK_AUTO takes a file that starts with the VHDX file
 * identifier signature as VHDX, anything else as raw. Prints the error and returns its exit
 * code (cli_fail / CLI_EXIT_USAGE) on failure. */
int vdisk_open(vdisk *d, const char *path, vdisk_fmt fmt, const char *parent,
               int ignore_linkage);
/* [off, off + *run) (run <= len) reads as zeros (*zero 1) or must be read (*zero 0). */
int vdisk_status(vdisk *d, uint64_t off, uint64_t len, uint64_t *run, int *zero);
/* The extent at off (vhdx_extent_at; a raw file: DATA at its own offset, zero over holes). */
int vdisk_extent(vdisk *d, uint64_t off, uint64_t len, vhdx_extent *x);
int vdisk_read(vdisk *d, uint64_t off, void *buf, size_t n);
void vdisk_close(vdisk *d);

#endif
