/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd_check.c - `vhdx check`: runs vhdx_check() over each image and writes a vendor report
 * (text, JSON, JUnit, SARIF 2.1.0 or Markdown) with the findings, their rules and the
 * interoperability predictions. Exit codes follow qemu-img check: 0 conformant, 2 at least
 * one error, 3 warnings only, 1 an image could not be checked (usage, I/O, not VHDX);
 * over several images the first of 1, 2, 3 that applies wins.
 */
#include "atomic_out.h"
#include "cli.h"
#include "interop.h"
#include "json.h"
#include "progress.h"
#include "report.h"
#include "rules.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <strings.h>
#include <unistd.h>

static const char usage[] =
    "usage: vhdx check [-U] [--format text|json|junit|sarif|markdown] [--output FILE]\n"
    "                  [--junit-warnings-fail] [--parent PATH] [--parent-ignore-linkage]\n"
    "                  [-p | --no-progress] IMAGE...\n"
    "       vhdx check --rules [--format text|json|sarif|markdown] [--output FILE]\n"
    "       vhdx check --explain RULE|STATUS\n";

static const char help[] =
    "\n"
    "Checks each IMAGE against every static rule of [MS-VHDX] and reports the findings, the\n"
    "rules they break and which known readers (QEMU, VirtualBox, Hyper-V, libvhdi,\n"
    "cloud-hypervisor, 7-Zip) are predicted to reject or misread the image.\n"
    "\n"
    "options:\n"
    "  -f, --format F             text (default), json, junit, sarif or markdown\n"
    "  -o, --output FILE          write the report to FILE (complete or not at all)\n"
    "  --parent PATH              parent image of a differencing disk (overrides the locator)\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    "  -p                         progress bar: percent, bytes of the image, rate (the\n"
    "                             default; drawn only when stderr is a terminal)\n"
    "  --no-progress              no progress bar\n"
    "  --junit-warnings-fail      JUnit: a rule with warnings fails (default: skipped with\n"
    "                             the warning as its message)\n"
    "  --rules                    list the rule catalogue\n"
    "  --explain RULE|STATUS      explain a rule (R10, D7) or a status (VHDX_E_...)\n"
    CLI_HELP_FORCE_SHARE
    "  -h, --help                 show this help\n"
    "\n"
    "Exit codes (as qemu-img check): 0 conformant, 2 errors, 3 warnings only, 1 an image\n"
    "could not be checked (usage, I/O, not VHDX) or an implementation or host limit was hit\n"
    "(a finding of class limit); over several images 1 beats 2 beats 3.\n";

/* ---- progress bar (progress.c): the check's units of work as bytes of the image ---- */
typedef struct progress_ctx {
    cli_progress pg;
    uint64_t file_size;
} progress_ctx;

static void progress_cb(void *ctx, uint64_t done, uint64_t total)
{
    progress_ctx *p = ctx;
    if (total == 0) return;
    if (done > total) done = total;
    /* done/total of a file of file_size bytes, without overflow */
    uint64_t fs = p->file_size, bytes = fs / total * done + fs % total * done / total;
    cli_progress_update(&p->pg, bytes);
}

static void progress_begin(progress_ctx *p, int on, const char *path, vhdx_io *io)
{
    uint64_t size = 0;
    if (io->get_size(io->ctx, &size) != VHDX_OK) size = 0;
    p->file_size = size;
    cli_progress_start(&p->pg, on, size);
    p->pg.label = report_basename(path);
}

static void check_one(check_image *c, const vhdx_check_opts *base, int progress)
{
    vhdx_io io;
    vhdx_check_opts opts = *base;
    progress_ctx pc;
    memset(&pc, 0, sizeof pc);
    c->verdict = VHDX_VERDICT_UNREADABLE;
    int rc = vhdx_io_file_open(&io, c->path, VHDX_IO_READ | (cli_force_share ? VHDX_IO_NO_LOCK : 0));
    if (rc != VHDX_OK) {
        int e = errno;
        struct stat st;
        const char *what = rc == VHDX_E_FILE_TYPE && stat(c->path, &st) == 0
                               ? vhdx_file_type_name(st.st_mode) : "";
        c->rc = rc;
        snprintf(c->error, sizeof c->error, "cannot open %s: %s%s%s%s%s", c->path,
                 vhdx_status_message(rc), what[0] ? ": " : "", what,
                 e && !what[0] ? ": " : "", e && !what[0] ? strerror(e) : "");
        c->errors = 1;
        return;
    }
    progress_begin(&pc, progress, c->path, &io);
    if (pc.pg.on) {
        opts.progress = progress_cb;
        opts.progress_ctx = &pc;
    }
    c->rc = vhdx_check(&io, c->path, &opts, &c->rep);
    cli_progress_end(&pc.pg);
    /* A differencing image whose parent is not at hand is still checked: without an
     * explicit --parent, a missing parent makes the check run again without it (the parent
     * dependent checks R96/R105 are then skipped, and the report says so). */
    if (c->rc == VHDX_OK && c->rep && !opts.parent_path && !(opts.flags & VHDX_OPEN_NO_PARENT)) {
        const vhdx_finding *miss = NULL;
        for (size_t i = 0; i < c->rep->count; i++)
            if (c->rep->findings[i].code == VHDX_E_PARENT_NOT_FOUND) miss = &c->rep->findings[i];
        if (miss) {
            snprintf(c->note, sizeof c->note,
                     "parent not found%s%s%s: checked without it (parent sector size R96 and linkage R105 not judged; use --parent PATH)",
                     miss->detail[0] ? " (" : "", miss->detail, miss->detail[0] ? ")" : "");
            vhdx_report *again = NULL;
            vhdx_check_opts o2 = opts;
            o2.flags |= VHDX_OPEN_NO_PARENT;
            progress_begin(&pc, progress, c->path, &io);
            int rc2 = vhdx_check(&io, c->path, &o2, &again);
            cli_progress_end(&pc.pg);
            if (rc2 == VHDX_OK && again) {
                vhdx_report_free(c->rep);
                c->rep = again;
            } else {
                if (again) vhdx_report_free(again);
                c->note[0] = 0;
            }
        }
    }
    if (c->rc != VHDX_OK || !c->rep) {
        if (c->rep) { vhdx_report_free(c->rep); c->rep = NULL; }
        if (c->rc == VHDX_OK) c->rc = VHDX_E_INTERNAL;
        snprintf(c->error, sizeof c->error, "%s: %s (%s)", c->path, vhdx_status_message(c->rc),
                 vhdx_status_name(c->rc));
        c->errors = 1;
        vhdx_io_destroy(&io);
        return;
    }
    c->verdict = c->rep->verdict;
    c->errors = c->rep->errors;
    c->warnings = c->rep->warnings;
    c->infos = c->rep->infos;
    vhdx_io_destroy(&io);
    c->n_interop = interop_predict(c->rep, c->interop, INTEROP_MAX);
}

/* ---- --rules / --explain ---- */
static void print_codes(FILE *f, const char *id)
{
    int codes[64];
    size_t n = rules_codes(id, codes, 64);
    if (n > 64) n = 64;
    for (size_t i = 0; i < n; i++)
        fprintf(f, "  %s (%s): %s\n", vhdx_status_name(codes[i]),
                vhdx_severity_name(vhdx_status_severity(codes[i])), vhdx_status_message(codes[i]));
}

static void rules_json(FILE *f)
{
    static const json_style rule_lines = { "\n  ", ",\n  ", "\n", NULL };
    json_w w;
    json_init(&w, f);
    json_obj(&w, NULL);
    json_key(&w, "rules");
    json_arr(&w, &rule_lines);
    for (size_t i = 0; i < rules_count(); i++) {
        const rule_info *r = rules_at(i);
        int codes[64];
        size_t nc = rules_codes(r->id, codes, 64);
        json_obj(&w, NULL);
        json_kstr(&w, "id", r->id);
        json_kstr(&w, "section", r->section);
        json_kstr(&w, "level", r->level);
        json_kstr(&w, "kind", r->kind);
        json_kbool(&w, "judged", rules_is_judged(r));
        json_kstr(&w, "judge", rules_judge_text(r->judge));
        json_kstr(&w, "severity", rules_default_severity(r));
        json_kstr(&w, "requirement", r->requirement);
        json_kstr(&w, "fix", r->fix);
        json_kstr(&w, "note", r->note);
        json_key(&w, "codes");
        json_arr(&w, NULL);
        for (size_t k = 0; k < nc && k < 64; k++) json_str(&w, vhdx_status_name(codes[k]));
        json_end(&w);
        json_end(&w);
    }
    json_end(&w);
    json_end(&w);
    fputc('\n', f);
}

static void print_rules(FILE *f, report_format fmt)
{
    size_t n = rules_count();
    if (fmt == REPORT_JSON) {
        rules_json(f);
        return;
    }
    if (fmt == REPORT_MARKDOWN) {
        fputs("| rule | MS-VHDX | level | kind | judged | requirement | how to fix |\n|---|---|---|---|---|---|---|\n", f);
        for (size_t i = 0; i < n; i++) {
            const rule_info *r = rules_at(i);
            fprintf(f, "| %s | %s | %s | %s | %s | ", r->id, r->section, r->level, r->kind,
                    rules_judge_text(r->judge));
            report_md_str(f, r->requirement);
            fputs(" | ", f);
            report_md_str(f, r->fix);
            fputs(" |\n", f);
        }
        return;
    }
    fprintf(f, "%-5s %-10s %-3s %-4s %-11s %s\n", "rule", "MS-VHDX", "lvl", "kind", "judged", "requirement");
    for (size_t i = 0; i < n; i++) {
        const rule_info *r = rules_at(i);
        const char *j = r->judge == RULE_BEHAVIOUR ? "no (behav.)" : r->judge == RULE_PARTLY ? "static part"
                      : r->judge == RULE_IMPLIED ? "via others" : "yes";
        fprintf(f, "%-5s %-10s %-3s %-4s %-11s %s\n", r->id, r->section, r->level, r->kind, j, r->requirement);
    }
}

static int explain(FILE *f, const char *what)
{
    const rule_info *r = rules_find(what);
    if (!r) {
        /* a status name: explain its rule */
        for (int c = 0; c < (int)VHDX_STATUS_COUNT; c++) {
            if (strcasecmp(vhdx_status_name(c), what) == 0) {
                fprintf(f, "%s (%s, %s): %s\n", vhdx_status_name(c), vhdx_class_name(vhdx_status_class(c)),
                        vhdx_severity_name(vhdx_status_severity(c)), vhdx_status_message(c));
                r = rules_find(vhdx_status_rule(c));
                if (!r) {
                    if (vhdx_status_section(c)[0]) fprintf(f, "MS-VHDX section %s; no catalogue rule.\n", vhdx_status_section(c));
                    return 0;
                }
                fputc('\n', f);
                break;
            }
        }
    }
    if (!r) {
        cli_err("check: unknown rule '%s' (see vhdx check --rules)", what);
        return 1;
    }
    fprintf(f, "%s [MS-VHDX %s] level %s, kind %s: %s\n", r->id, r->section, r->level, r->kind,
            rules_judge_text(r->judge));
    fprintf(f, "Requirement: %s\n", r->requirement);
    fprintf(f, "How to fix:  %s\n", r->fix);
    if (r->note) fprintf(f, "Note:        %s\n", r->note);
    int codes[64];
    if (rules_codes(r->id, codes, 64)) {
        fputs("Findings reported for it:\n", f);
        print_codes(f, r->id);
    }
    return 0;
}

static int parse_format(const char *s, report_format *out)
{
    static const struct { const char *name; report_format f; } fm[] = {
        {"text", REPORT_TEXT}, {"json", REPORT_JSON}, {"junit", REPORT_JUNIT},
        {"sarif", REPORT_SARIF}, {"markdown", REPORT_MARKDOWN}, {"md", REPORT_MARKDOWN},
    };
    for (size_t i = 0; i < sizeof fm / sizeof fm[0]; i++)
        if (strcasecmp(s, fm[i].name) == 0) { *out = fm[i].f; return 0; }
    return -1;
}

/* The report goes to standard output, or to FILE through atomic_out (no partial report
 * is left behind when a run fails). */
typedef struct out_file {
    FILE *f;
    const char *path;   /* NULL: standard output */
    atomic_out ao;
} out_file;

static int out_open(out_file *o, const char *path)
{
    o->path = path && strcmp(path, "-") != 0 ? path : NULL;
    o->f = stdout;
    if (!o->path) return 0;
    if (atomic_out_open(&o->ao, path, 0) != 0) return -1;
    o->f = atomic_out_stream(&o->ao);
    if (!o->f) {
        atomic_out_abort(&o->ao);
        return -1;
    }
    return 0;
}

/* Finishes the report; ok = it was written completely. Returns 0 or -1 with errno. */
static int out_close(out_file *o, int ok)
{
    if (!o->path) return fflush(stdout) == 0 && ok ? 0 : -1;
    if (!ok) {
        atomic_out_abort(&o->ao);
        return -1;
    }
    return atomic_out_commit(&o->ao);
}

typedef struct check_args {
    report_format fmt;
    const char *output, *explain_id, *parent;
    int list_rules, ignore_linkage, no_progress, junit_warnings_fail;
} check_args;

/* Returns CLI_EXIT_OK, or -1 for --help, or CLI_EXIT_USAGE after a usage error. */
static int parse_args(int argc, char **argv, check_args *a)
{
    enum { OPT_RULES = CLI_OPT_FIRST_FREE, OPT_EXPLAIN, OPT_NO_PROGRESS, OPT_JUNIT_WARN };
    static const struct option longopts[] = {
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        { "rules", no_argument, NULL, OPT_RULES },
        { "explain", required_argument, NULL, OPT_EXPLAIN },
        { "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
        { "junit-warnings-fail", no_argument, NULL, OPT_JUNIT_WARN },
        CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "check", usage, help, "f:o:phU", longopts, &a->parent, &a->ignore_linkage,
                    0 };
    int c;
    memset(a, 0, sizeof *a);
    a->fmt = REPORT_TEXT;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        switch (c) {
        case CLI_OPT_HELP: return -1;
        case CLI_OPT_ERROR: return CLI_EXIT_USAGE;
        case 'f':
            if (parse_format(optarg, &a->fmt) != 0)
                return cli_usage_error("check", usage,
                                       "unknown format '%s' (text, json, junit, sarif or markdown)",
                                       optarg);
            break;
        case 'o': a->output = optarg; break;
        case OPT_RULES: a->list_rules = 1; break;
        case OPT_EXPLAIN: a->explain_id = optarg; break;
        case OPT_NO_PROGRESS: a->no_progress = 1; break;
        case 'p': a->no_progress = 0; break;
        case OPT_JUNIT_WARN: a->junit_warnings_fail = 1; break;
        default: break;
        }
    }
    if (a->list_rules && a->fmt == REPORT_JUNIT)
        return cli_usage_error("check", usage, "--rules: format junit has no rule list "
                               "(text, json, sarif or markdown)");
    if (!a->explain_id && !a->list_rules && optind >= argc)
        return cli_usage_error("check", usage, "missing IMAGE");
    return CLI_EXIT_OK;
}

static int write_report(const check_args *a, check_image *im, size_t n)
{
    out_file out;
    if (out_open(&out, a->output) != 0) {
        cli_err("%s: cannot write: %s", a->output, strerror(errno));
        return -1;
    }
    int wr = 0;
    switch (a->fmt) {
    case REPORT_TEXT: wr = report_text(out.f, im, n); break;
    case REPORT_JSON: wr = report_json(out.f, im, n); break;
    case REPORT_JUNIT: wr = report_junit(out.f, im, n, a->junit_warnings_fail); break;
    case REPORT_SARIF: wr = report_sarif(out.f, im, n); break;
    case REPORT_MARKDOWN: wr = report_markdown(out.f, im, n); break;
    }
    if (out_close(&out, wr == 0) != 0) {
        cli_err("%s: cannot write: %s", a->output ? a->output : "standard output",
                strerror(errno));
        return -1;
    }
    return 0;
}

static int list_rules(const check_args *a)
{
    out_file out;
    if (out_open(&out, a->output) != 0) {
        cli_err("%s: cannot write: %s", a->output, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    int wr = 0;
    if (a->fmt == REPORT_SARIF) wr = report_sarif(out.f, NULL, 0); /* the rules, no results */
    else print_rules(out.f, a->fmt);
    if (out_close(&out, wr == 0 && !ferror(out.f)) != 0) {
        cli_err("%s: cannot write: %s", a->output ? a->output : "standard output",
                strerror(errno));
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

/* An implementation or host limit stopped part of the check or a writer (class LIMIT) and
 * no rule is violated: exit 1 like an unreadable image, not 2 (a rule violation wins). */
static int has_limit(const check_image *c)
{
    int limit = vhdx_status_class(c->rc) == VHDX_CLASS_LIMIT;
    for (size_t i = 0; c->rep && i < c->rep->count; i++) {
        const vhdx_finding *f = &c->rep->findings[i];
        if (vhdx_status_class(f->code) == VHDX_CLASS_LIMIT) limit = 1;
        else if (f->severity == VHDX_SEV_ERROR) return 0;
    }
    return limit;
}

/* --output must not be one of the images checked or the explicit parent (same st_dev and
 * st_ino): the report would replace the image. 0 or -1 (reported). */
static int output_is_input(const check_args *a, char **paths, int n)
{
    struct stat so, si;
    if (!a->output || strcmp(a->output, "-") == 0 || stat(a->output, &so) != 0) return 0;
    for (int i = -1; i < n; i++) {
        const char *p = i < 0 ? a->parent : paths[i];
        if (p && stat(p, &si) == 0 && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
            cli_err("check: %s: is the image %s: refusing to overwrite it", a->output, p);
            return -1;
        }
    }
    return 0;
}

int cmd_check(int argc, char **argv)
{
    check_args a;
    int ex = parse_args(argc, argv, &a);
    if (ex != CLI_EXIT_OK) return ex < 0 ? CLI_EXIT_OK : ex;
    if (a.explain_id) return explain(stdout, a.explain_id);
    if (a.list_rules) return list_rules(&a);
    int nimages = argc - optind;
    if (output_is_input(&a, argv + optind, nimages) != 0) return CLI_EXIT_USAGE;
    vhdx_check_opts opts;
    vhdx_check_opts_default(&opts);
    opts.parent_path = a.parent;
    if (a.ignore_linkage) opts.flags |= VHDX_OPEN_IGNORE_LINKAGE;
    if (cli_force_share) opts.flags |= VHDX_OPEN_NO_LOCK;
    int progress = !a.no_progress; /* drawn only on a terminal (progress.c) */

    check_image *im = calloc((size_t)nimages, sizeof *im);
    if (!im) {
        cli_err("check: out of memory");
        return CLI_EXIT_USAGE;
    }
    int any_unreadable = 0, any_error = 0, any_warning = 0;
    for (int i = 0; i < nimages; i++) {
        im[i].path = argv[optind + i];
        errno = 0;
        check_one(&im[i], &opts, progress);
        if (im[i].verdict == VHDX_VERDICT_UNREADABLE || has_limit(&im[i])) any_unreadable = 1;
        else if (im[i].verdict == VHDX_VERDICT_NONCONFORMANT || im[i].errors) any_error = 1;
        else if (im[i].warnings) any_warning = 1;
    }
    int exit_code = any_unreadable ? 1 : any_error ? 2 : any_warning ? 3 : 0; /* 1: also limits */
    if (write_report(&a, im, (size_t)nimages) != 0) exit_code = CLI_EXIT_USAGE;
    /* unreadable images also get a one-line message on stderr (naming file and status) */
    if (a.fmt != REPORT_TEXT || a.output) {
        for (int i = 0; i < nimages; i++)
            if (!im[i].rep) cli_err("check: %s", im[i].error);
    }
    for (int i = 0; i < nimages; i++)
        if (im[i].rep) vhdx_report_free(im[i].rep);
    free(im);
    return exit_code;
}
