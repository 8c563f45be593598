/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.h - the model `vhdx check` fills for each image and the output formats
 * (report_text.c, report_json.c, report_junit.c, report_sarif.c, report_markdown.c; helpers
 * in report_common.c). The JSON format is described by reports/schema/check.schema.json.
 */
#ifndef VHDX_CLI_REPORT_H
#define VHDX_CLI_REPORT_H

#include <stdio.h>

#include "interop.h"
#include "vhdx.h"

#define REPORT_SCHEMA_ID "https://github.com/vhdx/vhdx/reports/schema/check.schema.json"

typedef struct check_image {
    const char *path;               /* as given on the command line */
    int rc;                         /* vhdx_check's (or the file open's) status */
    vhdx_report *rep;               /* NULL when no report could be produced */
    vhdx_verdict verdict;
    size_t errors, warnings, infos; /* finding counts (all, incl. dropped beyond storage) */
    char error[256];                /* why the image could not be checked (rep == NULL) */
    char note[400];                 /* remark on how it was checked (e.g. parent not found), or "" */
    interop_prediction interop[INTEROP_MAX];
    size_t n_interop;
} check_image;

typedef enum report_format {
    REPORT_TEXT = 0, REPORT_JSON, REPORT_JUNIT, REPORT_SARIF, REPORT_MARKDOWN
} report_format;

/* Each writer returns 0, or -1 when writing to f failed. */
int report_text(FILE *f, const check_image *im, size_t n);
int report_json(FILE *f, const check_image *im, size_t n);
/* warnings_fail: a rule with only warnings is <failure type="warning"> (--junit-warnings-fail)
 * instead of <skipped type="warning">. */
int report_junit(FILE *f, const check_image *im, size_t n, int warnings_fail);
int report_sarif(FILE *f, const check_image *im, size_t n);
int report_markdown(FILE *f, const check_image *im, size_t n);

/* One finding as check's JSON object (report_json.c; also `vhdx info --json` of a damaged
 * image). The writer is json.h's. */
struct json_w;
void report_json_finding(struct json_w *w, const vhdx_finding *fi);

/* ---- helpers (report_common.c) ---- */
const char *report_verdict_name(vhdx_verdict v);   /* conformant|nonconformant|unreadable */
/* rule id of a finding's code, or "" */
const char *report_rule_of(int code);
/* Markdown table cell text (| and newlines escaped) */
void report_md_str(FILE *f, const char *s);
/* Basename of a path (pointer into it). */
const char *report_basename(const char *path);
/* "fixed" / "dynamic" / "differencing" */
const char *report_type_name(vhdx_disk_type t);
/* payload state names by value 0..7 ("NOT_PRESENT" ... ; "" for reserved) */
const char *report_pb_state_name(unsigned s);
/* one-line human message of a finding: message + " (detail)" */
void report_finding_message(const vhdx_finding *fi, char *buf, size_t len);

#endif
