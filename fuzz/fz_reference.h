/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fz_reference.h - an independent reader of a VHDX image's virtual disk, the oracle the
 * library's reads are compared with. It knows only the BAT (MS-VHDX 2.5): payload bytes
 * come from FULLY_PRESENT blocks, NOT_PRESENT/UNDEFINED/ZERO/UNMAPPED blocks read as zeros.
 * It applies only where that is the whole truth: a clean log and no parent.
 */
#ifndef VHDX_FUZZ_REFERENCE_H
#define VHDX_FUZZ_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

#include "fz_memfile.h"

/* 1 when the reference reader applies to the image the library opened with this info
 * (clean log, no parent, a BAT region, a chunk ratio); *bat_off is then the BAT's file
 * offset. 0 otherwise. */
int fz_reference_applies(const vhdx_info *info, uint64_t *bat_off);
/* Expected bytes of virtual [off, off+n) of f, read through its BAT at bat_off. 0 on
 * success; -1 when a block has a state open should have refused (no reference then). */
int fz_reference_read(const fz_file *f, const vhdx_info *info, uint64_t bat_off,
                      uint64_t off, uint8_t *buf, size_t n);

#endif
