/* report_common.c - helpers shared by the `vhdx check` output formats. */
#include "report.h"

#include <string.h>

const char *report_verdict_name(vhdx_verdict v)
{
    switch (v) {
    case VHDX_VERDICT_CONFORMANT: return "conformant";
    case VHDX_VERDICT_NONCONFORMANT: return "nonconformant";
    case VHDX_VERDICT_UNREADABLE: return "unreadable";
    }
    return "unreadable";
}

const char *report_rule_of(int code)
{
    const char *r = vhdx_status_rule(code);
    return r ? r : "";
}

/* length of the valid UTF-8 sequence at p (1..4), or 0 when p starts an invalid one */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    unsigned cp = c & (0x3Fu >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

void report_json_str(FILE *f, const char *s)
{
    if (!s) { fputs("null", f); return; }
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            size_t n = utf8_seq(p);
            if (n == 0) { fputs("\\ufffd", f); continue; }
            fwrite(p, 1, n, f);
            p += n - 1;
            continue;
        }
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

void report_xml_str(FILE *f, const char *s)
{
    if (!s) return;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x80) {
            size_t n = utf8_seq(p);
            if (n == 0) { fputc('?', f); continue; }
            fwrite(p, 1, n, f);
            p += n - 1;
            continue;
        }
        switch (*p) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* XML 1.0 forbids most control characters even as references */
            if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') fputc('?', f);
            else fputc(*p, f);
        }
    }
}

void report_md_str(FILE *f, const char *s)
{
    if (!s) return;
    for (const char *p = s; *p; p++) {
        if (*p == '|') fputs("\\|", f);
        else if (*p == '\n' || *p == '\r') fputc(' ', f);
        else if (*p == '\\') fputs("\\\\", f);
        else if (*p == '<') fputs("&lt;", f);
        else fputc(*p, f);
    }
}

const char *report_basename(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

const char *report_type_name(vhdx_disk_type t)
{
    switch (t) {
    case VHDX_TYPE_FIXED: return "fixed";
    case VHDX_TYPE_DYNAMIC: return "dynamic";
    case VHDX_TYPE_DIFFERENCING: return "differencing";
    }
    return "unknown";
}

const char *report_pb_state_name(unsigned s)
{
    static const char *const names[8] = {
        "NOT_PRESENT", "UNDEFINED", "ZERO", "UNMAPPED", "RESERVED_4", "RESERVED_5",
        "FULLY_PRESENT", "PARTIALLY_PRESENT"
    };
    return s < 8 ? names[s] : "";
}

void report_finding_message(const vhdx_finding *fi, char *buf, size_t len)
{
    const char *msg = vhdx_status_message(fi->code);
    if (fi->detail[0]) snprintf(buf, len, "%s (%s)", msg ? msg : "", fi->detail);
    else snprintf(buf, len, "%s", msg ? msg : "");
}
