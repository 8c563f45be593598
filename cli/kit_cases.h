/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit_cases.h - the images of the conformance kit: valid images (a matrix of types, block and
 * sector sizes, BAT states, logs, a differencing pair), tolerated deviations (conformant with
 * warnings) and invalid images (a base image with one rule broken by a mutation).
 */
#ifndef VHDX_CLI_KIT_CASES_H
#define VHDX_CLI_KIT_CASES_H

#include "kit.h"

enum kit_kind { KIT_VALID, KIT_DEVIATION, KIT_INVALID };

enum kit_base {
    KIT_B_NONE,      /* spec given in the case */
    KIT_B_COMPACT,   /* dynamic 4 MiB, 1 MiB blocks, LSS 512, PSS 4096, no log, no data */
    KIT_B_BLOCK,     /* KIT_B_COMPACT with block 0 FULLY_PRESENT */
    KIT_B_LOG,       /* KIT_B_COMPACT with a pending log: one entry whose data descriptor makes
                        block 1 ZERO, and a zero descriptor */
    KIT_B_CHILD,     /* differencing child of diff-parent.vhdx, no log */
    KIT_B_CHUNK      /* dynamic 4 GiB + 1 MiB (one SB slot), no log */
};

typedef struct kit_case {
    const char *file;
    enum kit_kind kind;
    enum kit_base base;
    const char *rules;      /* comma-separated rule ids (errors) */
    const char *warnings;   /* comma-separated rule ids (warnings) */
    void (*mutate)(kit_image *ki);
    const char *what;
    kit_spec spec;          /* KIT_B_NONE */
} kit_case;

/* The cases in kit order (the order is part of the output: it seeds data tags). */
extern const kit_case kit_cases[];
extern const size_t kit_ncases;

/* The spec of case number index (its base, or its own spec for KIT_B_NONE). */
void kit_case_spec(size_t index, kit_spec *spec);
/* What `vhdx check` says: "conformant", "nonconformant", or "unreadable" (not VHDX at all). */
const char *kit_case_verdict(const kit_case *kc);

#endif
