/*
 * interop.h - interoperability predictions of `vhdx check`: which known consumers of VHDX
 * (QEMU, VirtualBox, Hyper-V, libvhdi, cloud-hypervisor, 7-Zip) will reject or misread an
 * image, and why. Every prediction rests on a fact recorded in
 * ../shared/spec/VHDX-FORMAT.md section 10 (cited in `basis`), applied to the findings and
 * the information of a check report.
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

/* Facts about an image that a report does not carry, gathered by the caller from the
 * image bytes (through the public I/O interface). */
typedef struct interop_facts {
    int fp_flags_known;
    uint32_t fp_flags;          /* raw File Parameters flags */
} interop_facts;

#define INTEROP_MAX 40

typedef struct interop_prediction {
    const char *consumer;       /* "QEMU", "VirtualBox", ... */
    interop_effect effect;
    char reason[300];
    const char *basis;          /* "VHDX-FORMAT.md 10.6" */
} interop_prediction;

const char *interop_effect_name(interop_effect e); /* "rejects", "misreads", ... */
/* The consumers predictions are made for (stable order). */
const char *const *interop_consumers(size_t *n);
/* Predictions for one report (rep may be NULL: none). Returns the number written (<= max). */
size_t interop_predict(const vhdx_report *rep, const interop_facts *facts,
                       interop_prediction *out, size_t max);

#endif
