/* SPDX-License-Identifier: Apache-2.0 */
/* util.h - helpers shared by the vhdx subcommands (public API only). */
#ifndef VHDX_CLI_UTIL_H
#define VHDX_CLI_UTIL_H

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>

#include "vhdx.h"

/* Process exit codes shared by every subcommand. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_USAGE 1   /* usage error or I/O error */
#define CLI_EXIT_FAIL 2    /* invalid image / operation failed with a rule violation */

#if defined(__GNUC__) || defined(__clang__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

/* "vhdx: " + formatted text + newline on stderr. */
void cli_err(const char *fmt, ...) CLI_PRINTF(1, 2);
/* Usage error of subcommand `cmd`: "vhdx: cmd: text", then "usage: ..." line(s) and a hint
 * to run `vhdx cmd --help`; returns CLI_EXIT_USAGE. cmd NULL: the top level ("vhdx: text",
 * "Try 'vhdx --help'"). */
int cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...) CLI_PRINTF(3, 4);

/* Prints "vhdx: IMAGE: RULE [MS-VHDX section] at offset 0x...: message" for a failed library
 * call (rc; diag may be NULL or empty) and returns the exit code for it (cli_exit_for). */
int cli_fail(const char *image, int rc, const vhdx_diag *diag);
/* CLI_EXIT_USAGE for I/O and misuse errors without a spec rule and for limits (class
 * LIMIT), CLI_EXIT_FAIL otherwise. */
int cli_exit_for(int rc);

/* Parses a size or offset: decimal digits with an optional binary suffix K, M, G, T, P, E
 * (case-insensitive, optionally followed by "B" or "iB"), or 0x-prefixed hex without suffix.
 * Rejects empty strings, signs, spaces, junk and overflow. Returns 0 on success, -1 on error. */
int cli_parse_size(const char *s, uint64_t *out);
/* Same, and the value must fit in uint32_t. */
int cli_parse_size32(const char *s, uint32_t *out);

/* ---- options: getopt_long for every command ----
 * A command describes its options once (cli_opts) and loops over cli_getopt(). Options and
 * operands may come in any order (GNU permutation), "--" ends the options, "--opt=value"
 * and "--opt value" both work, a unique prefix of a long option is accepted. Operands are
 * argv[optind .. argc-1] after the loop. */
typedef struct cli_opts {
    const char *cmd;                 /* "info"; NULL for the top level */
    const char *usage;               /* "usage: vhdx info ...\n" (printed with errors) */
    const char *help;                /* text after the usage for --help */
    const char *shortopts;           /* getopt letters, e.g. "h" or "f:o:h" */
    const struct option *longopts;   /* ends with a zero entry */
    const char **parent;             /* with CLI_LONGOPTS_PARENT: where --parent goes */
    int *ignore_linkage;             /* ... and --parent-ignore-linkage */
    int started;                     /* set by cli_getopt */
} cli_opts;

/* Option values above the byte range, for long options without a letter. */
enum {
    CLI_OPT_PARENT = 256,            /* --parent PATH */
    CLI_OPT_IGNORE_LINKAGE,          /* --parent-ignore-linkage */
    CLI_OPT_FIRST_FREE               /* first value a command may use for its own */
};
#define CLI_LONGOPT_HELP { "help", no_argument, NULL, 'h' }
/* The options of every read-only image command: --parent, --parent-ignore-linkage and
 * -U/--force-share (cli_getopt sets cli_force_share; add "U" to the short options). */
#define CLI_LONGOPTS_PARENT                                                                   \
    { "parent", required_argument, NULL, CLI_OPT_PARENT },                                    \
    { "parent-ignore-linkage", no_argument, NULL, CLI_OPT_IGNORE_LINKAGE },                   \
    { "force-share", no_argument, NULL, 'U' }
#define CLI_HELP_FORCE_SHARE \
    "  -U, --force-share          open without the shared lock: read while a writer has it open\n"
/* -U/--force-share given: read-only opens take no shared lock (VHDX_OPEN_NO_LOCK). */
extern int cli_force_share;

#define CLI_OPT_END (-1)     /* no more options */
#define CLI_OPT_HELP (-2)    /* -h/--help: usage and help printed on stdout; exit 0 */
#define CLI_OPT_ERROR (-3)   /* usage error printed on stderr; exit CLI_EXIT_USAGE */

/* The next option's value (the letter or long option's val; its argument in optarg), or
 * CLI_OPT_END, CLI_OPT_HELP (only when o->usage is set; otherwise 'h' is returned), or
 * CLI_OPT_ERROR after printing "vhdx: CMD: unknown option '--x'" (or "ambiguous option",
 * "option --x needs a value", "option --x takes no value", "empty --parent path") with
 * the usage. The parent options are stored through o->parent / o->ignore_linkage and not
 * returned. */
int cli_getopt(cli_opts *o, int argc, char **argv);
/* The whole loop for a command whose options cli_getopt handles itself (help, parent):
 * returns -1 when the operands follow at argv[optind], else the exit code to return. */
int cli_getopt_all(cli_opts *o, int argc, char **argv);

/* Length (1..4) of the valid UTF-8 sequence at NUL-terminated p, with its code point in
 * *cp; 0 when p does not start one (stray continuation byte, overlong form, surrogate,
 * above U+10FFFF, or cut short). The JSON and XML escapers share it. */
size_t cli_utf8_seq(const unsigned char *p, uint32_t *cp);
/* Text from an image or the command line, made safe for a terminal: control characters
 * (C0, DEL, C1) and bytes that are not valid UTF-8 become "\xHH" (C1: "\u0080".."\u009f");
 * everything else is copied. cli_text_escape writes into out (cap >= 1, always
 * NUL-terminated, cut at a character boundary); cli_fputs_safe prints. Every
 * human-readable output (text, Markdown, messages on stderr) goes through them; JSON
 * and XML have their own escapers. */
void cli_text_escape(const char *s, char *out, size_t cap);
void cli_fputs_safe(FILE *f, const char *s);
/* GUID as lowercase text without braces (buf of at least 37 bytes); returns buf. */
const char *cli_guid_str(const vhdx_guid *g, char *buf, size_t buflen);
/* "1 GiB", "512 KiB", "1.50 MiB", "123 bytes" for human-readable output. */
const char *cli_human_size(uint64_t v, char *buf, size_t buflen);

/* Opens IMAGE read-only (or read-write; -U only applies to read-only) with optional explicit parent and linkage relaxing.
 * On failure prints the error and returns its exit code; on success returns CLI_EXIT_OK. */
int cli_open_image(const char *path, const char *parent, int ignore_linkage, int rdwr,
                   vhdx_image **out);

/* Converts the whole virtual disk of img to a sparse raw file at out_path (written to a
 * temporary file in the same folder, then renamed; removed on failure; fsynced before the
 * rename when sync). image_name names
 * the image in errors. *bytes_read (may be NULL) receives the bytes read from the image.
 * Returns an exit code (messages already printed). */
int cli_convert_to_raw(vhdx_image *img, const char *image_name, const char *out_path,
                       int sync, uint64_t *bytes_read);

/* An output path must not be the image or any image of its parent chain (same st_dev and
 * st_ino, after following links): prints "vhdx: OUT: is the image IMG" (or "is the
 * parent image P of IMG") and returns CLI_EXIT_USAGE, else CLI_EXIT_OK. */
int cli_refuse_chain_output(const vhdx_image *img, const char *image_name, const char *out);

/* Monotonic clock in seconds. */
double cli_now(void);

#endif
