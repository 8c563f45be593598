/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interop.h - interoperability predictions of `vhdx check`: which known consumers of VHDX
 * (QEMU, VirtualBox, Hyper-V, libvhdi, cloud-hypervisor, 7-Zip) will reject or misread an
 * image, and why. Each prediction is a row of the table in interop.c: a consumer
 * behaviour described in docs/interop.md, applied to the findings and the information of
 * a check report. Its `basis` names the [MS-VHDX] section, the rule (docs/rules.md) and
 * the consumer's entry in docs/interop.md.
 */
#ifndef VHDX_CLI_INTEROP_H
#define VHDX_CLI_INTEROP_H

#include <stddef.h>
#include <stdint.h>

#include "vhdx.h"

typedef enum interop_effect {
    INTEROP_REJECTS = 0,   /* refuses to open the image */
    INTEROP_MISREADS,      /* opens it but returns wrong data for some reads */
    INTEROP_READ_ONLY,     /* only a read-write open (or a repair) works */
    INTEROP_WARNS,         /* opens it with a warning */
    INTEROP_NOTE           /* accepted; a peculiarity worth knowing */
} interop_effect;

#define INTEROP_MAX 40     /* at least the number of rows of the table */

typedef struct interop_prediction {
    const char *consumer;       /* "QEMU", "VirtualBox", ... */
    interop_effect effect;
    char reason[300];
    const char *basis;          /* "[MS-VHDX 2.2.3.2]; docs/rules.md#d7; docs/interop.md#virtualbox" */
} interop_prediction;

const char *interop_effect_name(interop_effect e); /* "rejects", "misreads", ... */
/* The consumers predictions are made for (stable order). */
const char *const *interop_consumers(size_t *n);
/* Predictions for one report (rep may be NULL: none), in table order. Returns the number
 * written (<= max). */
size_t interop_predict(const vhdx_report *rep, interop_prediction *out, size_t max);

#endif
