/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.h - the rule catalogue of `vhdx check`: every numbered requirement R1-R108 of
 * [MS-VHDX] (v20240423) and the derived structural checks D1-D15 used in
 * lib/include/vhdx_errors.h, with section, level, kind, requirement, how to fix an image
 * that breaks it, and whether `vhdx check` judges it from the bytes of an image. Each rule is
 * documented in docs/rules.md (generated from this catalogue and the status table) under the
 * anchor of its lowercase id: docs/rules.md#r11.
 *
 * The link between a rule and the library's findings is the RULE column of the status
 * table (vhdx_status_rule()); rules_codes() lists the status codes of a rule.
 */
#ifndef VHDX_CLI_RULES_H
#define VHDX_CLI_RULES_H

#include <stddef.h>

#include "vhdx.h"

/* How a rule is judged by `vhdx check`. */
typedef enum rule_judge {
    RULE_JUDGED = 0,     /* static property: judged from the image bytes */
    RULE_PARTLY,         /* S/B rule: its static part is judged from the image bytes */
    RULE_IMPLIED,        /* static, judged through other rules' checks (named in `note`) */
    RULE_BEHAVIOUR       /* behaviour of an implementation: not judged from an image */
} rule_judge;

typedef struct rule_info {
    const char *id;          /* "R10", "D4" */
    const char *section;     /* MS-VHDX section, "2.2.2" */
    const char *level;       /* "M" MUST, "m" lowercase must, "S" SHOULD, "-" definition, "D" derived */
    const char *kind;        /* "S" static, "B" behaviour, "S/B" both */
    rule_judge judge;
    const char *requirement; /* one line */
    const char *fix;         /* how to fix an image that breaks it (or what an implementation must do) */
    const char *note;        /* optional extra (which checks imply it, ...) or NULL */
} rule_info;

/* The rule documentation, relative to the repository root; a rule's entry is
 * RULES_DOC_PATH "#" + rules_doc_anchor(). */
#define RULES_DOC_PATH "docs/rules.md"

size_t rules_count(void);
const rule_info *rules_at(size_t i);
/* Case-insensitive lookup by id ("r10" works); NULL when unknown. */
const rule_info *rules_find(const char *id);
/* 1 when `vhdx check` judges the rule from image bytes (JUDGED, PARTLY or IMPLIED). */
int rules_is_judged(const rule_info *r);
/* "judged from the image bytes", "static part judged ...", "not judged from an image" ... */
const char *rules_judge_text(rule_judge j);
/* Status codes of the library whose RULE column is `id`; returns how many exist (writes up
 * to max codes). */
size_t rules_codes(const char *id, int *codes, size_t max);
/* Severity a finding against this rule gets by default: "error" for M/m/-/D rules whose
 * codes are errors, "warning" for S rules ... (the most severe of its status codes; the
 * level when it has none). */
const char *rules_default_severity(const rule_info *r);
/* The rule's anchor in RULES_DOC_PATH: its id in lowercase ("r11", "d3"), written to buf
 * (always NUL-terminated, truncated to n - 1 characters); returns buf. */
const char *rules_doc_anchor(const rule_info *r, char *buf, size_t n);
/* A readable PascalCase name of the rule, derived from its requirement (SARIF
 * reportingDescriptor.name, which must differ from the id): the words before the first ';',
 * ':', '(' or sentence end, articles dropped, at most RULES_NAME_WORDS words, each word's
 * letters and digits with the first letter upper-case ("HeadersSignatureIsHead"). A name
 * that would start with a digit gets the prefix "Rule". Written to buf (NUL-terminated,
 * truncated to n - 1); returns buf. Unique over the catalogue (checked by
 * cli.test_check_formats). */
#define RULES_NAME_WORDS 7
const char *rules_name(const rule_info *r, char *buf, size_t n);

#endif
