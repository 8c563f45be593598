/* SPDX-License-Identifier: Apache-2.0 */
/* xml.c - the CLI's XML writer and its one escaper (see xml.h). */
#include "xml.h"

#include <stdarg.h>
#include <stdlib.h>

/* [XML 1.0 2.2] Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]
 * (surrogates never come out of cli_utf8_seq). */
static int xml_char_ok(uint32_t cp)
{
    if (cp < 0x20) return cp == 0x9 || cp == 0xA || cp == 0xD;
    return cp != 0xFFFE && cp != 0xFFFF;
}

void xml_escape(FILE *f, const char *s)
{
    if (!s) return;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp;
        size_t n = cli_utf8_seq(p, &cp);
        if (n == 0 || !xml_char_ok(cp)) {
            fputc('?', f);
            p += n ? n : 1;
            continue;
        }
        switch (cp) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default: fwrite(p, 1, n, f); break;
        }
        p += n;
    }
}

/* Formats into a stack buffer, or the heap when longer; out of memory, the text is cut at
 * the buffer's end rather than lost. */
static void xml_vescape(FILE *f, const char *fmt, va_list ap)
{
    char small[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0) return;
    char *buf = (size_t)n < sizeof small ? NULL : malloc((size_t)n + 1);
    if (buf) vsnprintf(buf, (size_t)n + 1, fmt, ap);
    xml_escape(f, buf ? buf : small);
    free(buf);
}

void xml_escapef(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    xml_vescape(f, fmt, ap);
    va_end(ap);
}

void xml_open(FILE *f, const char *name)
{
    fputc('<', f);
    fputs(name, f);
}

void xml_attr(FILE *f, const char *name, const char *value)
{
    fprintf(f, " %s=\"", name);
    xml_escape(f, value);
    fputc('"', f);
}

void xml_attrf(FILE *f, const char *name, const char *fmt, ...)
{
    va_list ap;
    fprintf(f, " %s=\"", name);
    va_start(ap, fmt);
    xml_vescape(f, fmt, ap);
    va_end(ap);
    fputc('"', f);
}

void xml_start_end(FILE *f) { fputc('>', f); }
void xml_empty_end(FILE *f) { fputs("/>", f); }

void xml_close(FILE *f, const char *name)
{
    fputs("</", f);
    fputs(name, f);
    fputc('>', f);
}
