/* SPDX-License-Identifier: Apache-2.0 */
/* util.c - helpers shared by the vhdx subcommands. */
#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* The formatted message, escaped for the terminal (cli_fputs_safe), on stderr. */
static void err_vprint(const char *fmt, va_list ap) CLI_PRINTF(1, 0);
static void err_vprint(const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (!buf) {
        fputs("(message lost: out of memory)", stderr);
        return;
    }
    vsnprintf(buf, (size_t)n + 1, fmt, ap);
    cli_fputs_safe(stderr, buf);
    free(buf);
}

void cli_err(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fputs("vhdx: ", stderr);
    va_start(ap, fmt);
    err_vprint(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "vhdx: %s%s", cmd ? cmd : "", cmd ? ": " : "");
    va_start(ap, fmt);
    err_vprint(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (usage) fprintf(stderr, "%s", usage);
    fprintf(stderr, "Try 'vhdx%s%s --help' for more information.\n", cmd ? " " : "", cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

int cli_exit_for(int rc)
{
    if (rc == VHDX_OK) return CLI_EXIT_OK;
    vhdx_class cls = vhdx_status_class(rc);
    const char *rule = vhdx_status_rule(rc);
    /* an implementation or host limit is not a rule violation either */
    if (((cls == VHDX_CLASS_IO || cls == VHDX_CLASS_MISUSE) && rule[0] == '\0') ||
        cls == VHDX_CLASS_LIMIT)
        return CLI_EXIT_USAGE;
    return CLI_EXIT_FAIL;
}

int cli_fail(const char *image, int rc, const vhdx_diag *diag)
{
    vhdx_diag d;
    if (!image) image = "-";
    /* room for the image name (any length) plus rule, section, offset, message, field */
    size_t cap = strlen(image) + 1024;
    char *buf = malloc(cap);
    if (!buf) {
        cli_err("%s: %s (%s)", image, vhdx_status_message(rc), vhdx_status_name(rc));
        return cli_exit_for(rc);
    }
    if (diag && diag->code != VHDX_OK) {
        d = *diag;
    } else {
        vhdx_diag_clear(&d);
        d.code = rc == VHDX_OK ? VHDX_E_INTERNAL : rc;
    }
    vhdx_diag_format(&d, image, buf, cap);
    cli_err("%s", buf);
    free(buf);
    return cli_exit_for(d.code);
}

/* ---- numbers ---- */

/* 0x-prefixed hex digits (after the prefix), no suffix. */
static int parse_hex(const char *p, uint64_t *out)
{
    uint64_t v = 0;
    if (!isxdigit((unsigned char)*p)) return -1;
    for (; *p; p++) {
        if (!isxdigit((unsigned char)*p) || v > (UINT64_MAX >> 4)) return -1;
        unsigned c = (unsigned)tolower((unsigned char)*p);
        v = (v << 4) | (c <= '9' ? c - '0' : c - 'a' + 10);
    }
    *out = v;
    return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
    if (!s || !out) return -1;
    const char *p = s;
    uint64_t v = 0;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) return parse_hex(p + 2, out);
    if (!isdigit((unsigned char)*p)) return -1; /* no sign, no space, not empty */
    for (; isdigit((unsigned char)*p); p++) {
        unsigned dv = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - dv) / 10) return -1;
        v = v * 10 + dv;
    }
    unsigned shift = 0;
    if (*p) {
        switch (toupper((unsigned char)*p)) {
        case 'K': shift = 10; break;
        case 'M': shift = 20; break;
        case 'G': shift = 30; break;
        case 'T': shift = 40; break;
        case 'P': shift = 50; break;
        case 'E': shift = 60; break;
        case 'B': shift = 0; break;
        default: return -1;
        }
        p++;
        if (shift != 0) {
            if ((p[0] == 'i' || p[0] == 'I') && (p[1] == 'B' || p[1] == 'b')) p += 2;
            else if (p[0] == 'B' || p[0] == 'b') p++;
        }
        if (*p) return -1;
    }
    if (shift && v > (UINT64_MAX >> shift)) return -1;
    *out = v << shift;
    return 0;
}

int cli_parse_size32(const char *s, uint32_t *out)
{
    uint64_t v;
    if (cli_parse_size(s, &v) != 0 || v > UINT32_MAX) return -1;
    *out = (uint32_t)v;
    return 0;
}

/* ---- options ---- */

/* The long option spelled by argument a ("--name" or "--name=value"): the exact match, or
 * the only one it abbreviates; *ambiguous is set when several match. */
static const struct option *long_of(const struct option *lo, const char *a, int *ambiguous)
{
    const char *name = a + 2;
    size_t n = strcspn(name, "=");
    const struct option *hit = NULL;
    *ambiguous = 0;
    for (; lo && lo->name; lo++) {
        if (strncmp(lo->name, name, n) != 0) continue;
        if (lo->name[n] == '\0') return lo;
        if (hit) *ambiguous = 1;
        hit = lo;
    }
    return *ambiguous ? NULL : hit;
}

/* The spelling of the option with value val: "--name" when the user wrote a long option,
 * else "-c". */
static void opt_name(const cli_opts *o, int val, const char *arg, char *buf, size_t n)
{
    if (arg && arg[0] == '-' && arg[1] == '-') {
        for (const struct option *lo = o->longopts; lo && lo->name; lo++)
            if (lo->val == val && !lo->flag) {
                snprintf(buf, n, "--%s", lo->name);
                return;
            }
    }
    snprintf(buf, n, "-%c", val > 0 && val < 256 ? val : '?');
}

static int opt_error(const cli_opts *o, int c, int argc, char **argv)
{
    const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : NULL;
    char name[64];
    if (c == ':') {
        opt_name(o, optopt, arg, name, sizeof name);
        cli_usage_error(o->cmd, o->usage, "option %s needs a value", name);
        return CLI_OPT_ERROR;
    }
    if (arg && arg[0] == '-' && arg[1] == '-') {
        int amb;
        const struct option *lo = long_of(o->longopts, arg, &amb);
        if (amb)
            cli_usage_error(o->cmd, o->usage, "ambiguous option '%.*s'",
                            (int)strcspn(arg, "="), arg);
        else if (lo && lo->has_arg == no_argument && strchr(arg, '='))
            cli_usage_error(o->cmd, o->usage, "option --%s takes no value", lo->name);
        else
            cli_usage_error(o->cmd, o->usage, "unknown option '%s'", arg);
        return CLI_OPT_ERROR;
    }
    cli_usage_error(o->cmd, o->usage, "unknown option '-%c'", optopt > 0 ? optopt : '?');
    return CLI_OPT_ERROR;
}

/* --parent PATH / --parent-ignore-linkage into the command's storage; 0 or CLI_OPT_ERROR */
static int parent_opt(const cli_opts *o, int c)
{
    if (c == CLI_OPT_IGNORE_LINKAGE) {
        *o->ignore_linkage = 1;
        return 0;
    }
    if (!optarg[0]) {
        cli_usage_error(o->cmd, o->usage, "empty --parent path");
        return CLI_OPT_ERROR;
    }
    *o->parent = optarg;
    return 0;
}

int cli_getopt(cli_opts *o, int argc, char **argv)
{
    char shortopts[64];
    const char *so = o->shortopts ? o->shortopts : "";
    /* ':' first (after a '+' or '-' mode flag): a missing value is reported as ':' and
     * getopt prints nothing itself */
    int mode = so[0] == '+' || so[0] == '-';
    snprintf(shortopts, sizeof shortopts, "%.*s:%s", mode, so, so + mode);
    if (!o->started) {
        o->started = 1;
        optind = 0; /* glibc: a full re-initialisation (main parsed its own options) */
    }
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, shortopts, o->longopts, NULL);
        if (c == -1) return CLI_OPT_END;
        if (c == '?' || c == ':') return opt_error(o, c, argc, argv);
        if (c == 'h' && o->usage) {
            printf("%s%s", o->usage, o->help ? o->help : "");
            return CLI_OPT_HELP;
        }
        if (c == 'U' && o->parent) {
            cli_force_share = 1;
            continue;
        }
        if ((c == CLI_OPT_PARENT || c == CLI_OPT_IGNORE_LINKAGE) && o->parent) {
            if (parent_opt(o, c) != 0) return CLI_OPT_ERROR;
            continue;
        }
        return c;
    }
}

int cli_getopt_all(cli_opts *o, int argc, char **argv)
{
    int c;
    while ((c = cli_getopt(o, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
    }
    return -1;
}

/* ---- text ---- */

/* One character of s escaped into e (at most 7 bytes + NUL); returns the bytes of s used. */
static size_t escape_one(const unsigned char *s, char *e)
{
    uint32_t cp;
    size_t n = cli_utf8_seq(s, &cp);
    if (n == 0) {
        snprintf(e, 8, "\\x%02x", s[0]);
        return 1;
    }
    if (cp < 0x20 || cp == 0x7f) snprintf(e, 8, "\\x%02x", (unsigned)cp);
    else if (cp >= 0x80 && cp <= 0x9f) snprintf(e, 8, "\\u%04x", (unsigned)cp);
    else {
        memcpy(e, s, n);
        e[n] = '\0';
    }
    return n;
}

void cli_text_escape(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char e[8];
        size_t used = escape_one(p, e), el = strlen(e);
        if (o + el + 1 > cap) break;
        memcpy(out + o, e, el);
        o += el;
        p += used;
    }
    out[o] = '\0';
}

void cli_fputs_safe(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        char e[8];
        p += escape_one(p, e);
        fputs(e, f);
    }
}

size_t cli_utf8_seq(const unsigned char *p, uint32_t *cp)
{
    unsigned c = p[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; min = 0x80; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; min = 0x800; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; min = 0x10000; }
    else return 0;
    uint32_t v = c & (0x3Fu >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0; /* also stops at the terminating NUL */
        v = (v << 6) | (p[i] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

const char *cli_guid_str(const vhdx_guid *g, char *buf, size_t buflen)
{
    vhdx_guid_format(g, buf, buflen, 0);
    return buf;
}

const char *cli_human_size(uint64_t v, char *buf, size_t buflen)
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    if (v < 1024) {
        snprintf(buf, buflen, "%llu bytes", (unsigned long long)v);
        return buf;
    }
    unsigned u = 0;
    uint64_t div = 1024;
    while (u + 1 < sizeof units / sizeof units[0] && v / div >= 1024) {
        div <<= 10;
        u++;
    }
    if (v % div == 0)
        snprintf(buf, buflen, "%llu %s", (unsigned long long)(v / div), units[u]);
    else
        snprintf(buf, buflen, "%.2f %s", (double)v / (double)div, units[u]);
    return buf;
}

/* ---- images ---- */

int cli_force_share;

int cli_open_image(const char *path, const char *parent, int ignore_linkage, int rdwr,
                   vhdx_image **out)
{
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    vhdx_diag_clear(&d);
    if (rdwr) o.flags |= VHDX_OPEN_RDWR;
    else if (cli_force_share) o.flags |= VHDX_OPEN_NO_LOCK;
    if (ignore_linkage) o.flags |= VHDX_OPEN_IGNORE_LINKAGE;
    o.parent_path = parent;
    *out = NULL;
    int rc = vhdx_open_file(out, path, &o, &d);
    if (rc != VHDX_OK) {
        *out = NULL;
        return cli_fail(path, rc, &d);
    }
    return CLI_EXIT_OK;
}

int cli_refuse_chain_output(const vhdx_image *img, const char *image_name, const char *out)
{
    struct stat so, si;
    if (strcmp(out, "-") == 0 || stat(out, &so) != 0) return CLI_EXIT_OK;
    for (unsigned lv = 0;; lv++) {
        const char *p = vhdx_chain_path(img, lv);
        if (!p) return CLI_EXIT_OK;
        if (stat(p, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
            if (lv == 0) cli_err("%s: is the image %s: refusing to overwrite it", out, image_name);
            else cli_err("%s: is the parent image %s of %s: refusing to overwrite it", out, p, image_name);
            return CLI_EXIT_USAGE;
        }
    }
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
