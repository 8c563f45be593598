/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit_run.h - `vhdx kit --run 'READER {}' OUTDIR`: runs a vendor's reader on each image of
 * the kit as it is written and prints a pass/fail table. {} is replaced by the image's path
 * (shell-quoted); the command runs through /bin/sh with stdin, stdout and stderr on
 * /dev/null. A valid image passes when the reader exits 0, an invalid one when it exits
 * non-zero without a signal (126 and 127, "cannot run", never pass); a deviating image
 * (tolerated by the spec's readers or not) is listed as accepted or rejected, never failed.
 * `vhdx kit --run-cat 'READER {}'` (cat mode): the reader writes the raw virtual disk to its
 * stdout (a pipe; stderr on /dev/null); a valid image passes when the reader exits 0 and the
 * SHA-256 of what it wrote is the manifest's, a deviating one is accepted likewise and failed
 * when it exits 0 with other bytes (a misread); invalid images as without cat mode.
 */
#ifndef VHDX_CLI_KIT_RUN_H
#define VHDX_CLI_KIT_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "kit_cases.h"

/* One image's cell of the interoperability matrix (--matrix-json; outcomes as in
 * reports/schema/interop-matrix.schema.json). */
typedef struct kit_cell {
    const char *file;          /* kit_cases[].file */
    enum kit_kind kind;
    const char *outcome;       /* exact, wrong, reads (cat mode), accepts (run mode), refuses, crashes */
    int exit_code;             /* -1: none (killed by a signal) */
    int signal;                /* 0: none */
    double seconds;
    char message[48];          /* "exit 2", "signal 11", "sha256 differs" */
    char sha256[65];           /* the manifest's whole-disk hash, "" for an invalid image */
} kit_cell;

typedef struct kit_reader {
    const char *cmd;           /* with at least one {} */
    FILE *out;                 /* the table */
    int cat;                   /* --run-cat: hash the reader's stdout */
    size_t n[3], pass[3];      /* by kind: images run, passed (deviation: accepted) */
    size_t misread;            /* cat mode: deviating images read with other bytes */
    int record;                /* keep a kit_cell per image (--matrix-json) */
    kit_cell *cells;           /* malloc'ed, ncells of cap; kit_reader_free */
    size_t ncells, cap;
} kit_reader;

/* 1 when cmd holds a {} */
int kit_reader_valid(const char *cmd);
/* Runs the reader on path and prints its row; sha256 (hex) is the manifest's whole-disk hash
 * of a readable image (cat mode), NULL for an invalid one. Returns 0, or -1 when the command
 * could not be built or started. */
int kit_reader_run(kit_reader *r, const char *path, const char *file, enum kit_kind kind,
                   const char *sha256);
/* Prints the totals; returns 1 when a valid or invalid image failed (or, in cat mode, a
 * deviating image was misread), else 0. */
int kit_reader_summary(kit_reader *r);
void kit_reader_free(kit_reader *r);

/* Writes the recorded cells as an interoperability matrix with one reader column (the
 * vendor's command), in the schema of scripts/interop-matrix.sh
 * (reports/schema/interop-matrix.schema.json, mode "kit-run"). kit_matrix.c. */
void kit_matrix_json(const kit_reader *r, FILE *f);

#endif
