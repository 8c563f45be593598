/* SPDX-License-Identifier: Apache-2.0 */
/*
 * xml.h - the one XML writer of the vhdx tool (check --format junit). Text and attribute
 * values go through its one escaper, xml_escape(); element structure and line breaks are
 * written by the caller with xml_open / xml_attr / xml_close.
 */
#ifndef VHDX_CLI_XML_H
#define VHDX_CLI_XML_H

#include <stdint.h>
#include <stdio.h>

#include "util.h"

/* Writes UTF-8 text s escaped for XML 1.0 character data and attribute values: & < > " '
 * as entities; characters XML 1.0 does not allow (controls other than tab, newline and
 * carriage return, U+FFFE, U+FFFF) and bytes that do not start a valid UTF-8 sequence
 * each become '?'. s NULL writes nothing. The output is always well-formed. */
void xml_escape(FILE *f, const char *s);
/* The same for formatted text. */
void xml_escapef(FILE *f, const char *fmt, ...) CLI_PRINTF(2, 3);

/* "<name" (attributes follow); name is a literal of the caller. */
void xml_open(FILE *f, const char *name);
/* ` name="value"` with value escaped; xml_attrf formats the value first. */
void xml_attr(FILE *f, const char *name, const char *value);
void xml_attrf(FILE *f, const char *name, const char *fmt, ...) CLI_PRINTF(3, 4);
/* ">" ends a start tag, "/>" an empty element, "</name>" closes one. */
void xml_start_end(FILE *f);
void xml_empty_end(FILE *f);
void xml_close(FILE *f, const char *name);

#endif
