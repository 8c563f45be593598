/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kit_run.h - `vhdx kit --run 'READER {}' OUTDIR`: runs a vendor's reader on each image of
 * the kit as it is written and prints a pass/fail table. {} is replaced by the image's path
 * (shell-quoted); the command runs through /bin/sh with stdin, stdout and stderr on
 * /dev/null. A valid image passes when the reader exits 0, an invalid one when it exits
 * non-zero without a signal (126 and 127, "cannot run", never pass); a deviating image
 * (tolerated by the spec's readers or not) is listed as accepted or rejected, never failed.
 */
#ifndef VHDX_CLI_KIT_RUN_H
#define VHDX_CLI_KIT_RUN_H

#include <stddef.h>
#include <stdio.h>

#include "kit_cases.h"

typedef struct kit_reader {
    const char *cmd;           /* with at least one {} */
    FILE *out;                 /* the table */
    size_t n[3], pass[3];      /* by kind: images run, passed (deviation: accepted) */
} kit_reader;

/* 1 when cmd holds a {} */
int kit_reader_valid(const char *cmd);
/* Runs the reader on path and prints its row; returns 0, or -1 when the command could not be
 * built or started. */
int kit_reader_run(kit_reader *r, const char *path, const char *file, enum kit_kind kind);
/* Prints the totals; returns 1 when a valid or invalid image failed, else 0. */
int kit_reader_summary(kit_reader *r);

#endif
