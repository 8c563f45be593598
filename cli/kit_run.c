/* SPDX-License-Identifier: Apache-2.0 */
/* kit_run.c - the reader runner of `vhdx kit --run` (see kit_run.h). */
#include "kit_run.h"

#include "sha256.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

int kit_reader_valid(const char *cmd)
{
    return cmd && strstr(cmd, "{}") != NULL;
}

/* cmd with every {} replaced by 'path' (single quotes, each ' as '\''), inside
 * "( ... ) </dev/null >/dev/null 2>&1" (cat: stdout kept for the pipe); malloc'ed or NULL */
static char *build_command(const char *cmd, const char *path, int cat)
{
    size_t qlen = 2;
    for (const char *p = path; *p; p++) qlen += *p == '\'' ? 4 : 1;
    size_t n = 0;
    for (const char *p = cmd; (p = strstr(p, "{}")) != NULL; p += 2) n++;
    size_t len = strlen(cmd) + n * qlen + 40;
    char *out = malloc(len), *o = out;
    if (!out) return NULL;
    o += sprintf(o, "( ");
    for (const char *p = cmd; *p;) {
        if (p[0] == '{' && p[1] == '}') {
            *o++ = '\'';
            for (const char *q = path; *q; q++) {
                if (*q == '\'') { memcpy(o, "'\\''", 4); o += 4; }
                else *o++ = *q;
            }
            *o++ = '\'';
            p += 2;
        } else {
            *o++ = *p++;
        }
    }
    strcpy(o, cat ? " ) </dev/null 2>/dev/null" : " ) </dev/null >/dev/null 2>&1");
    return out;
}

/* --run-cat: runs cmd with its stdout into a pipe, hex gets the SHA-256 of all it wrote;
 * returns the wait status or -1 */
static int run_hashed(const char *cmd, char hex[65])
{
    FILE *p = popen(cmd, "r");
    if (!p) return -1;
    static unsigned char buf[1 << 16];
    cli_sha256 s;
    cli_sha256_init(&s);
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) cli_sha256_update(&s, buf, n);
    cli_sha256_final_hex(&s, hex);
    return pclose(p);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* the matrix cell of one run (--matrix-json); returns 0 or -1 (out of memory) */
static int record_cell(kit_reader *r, const char *file, enum kit_kind kind, const char *sha256,
                       int st, int misread, double seconds, const char *how)
{
    if (r->ncells == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 128;
        kit_cell *c = realloc(r->cells, cap * sizeof *c);
        if (!c) return -1;
        r->cells = c;
        r->cap = cap;
    }
    kit_cell *c = &r->cells[r->ncells++];
    c->file = file;
    c->kind = kind;
    c->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    c->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
    c->seconds = seconds;
    snprintf(c->sha256, sizeof c->sha256, "%s", sha256 ? sha256 : "");
    snprintf(c->message, sizeof c->message, "%s", c->exit_code == 0 && !misread ? "" : how);
    if (c->signal) c->outcome = "crashes";
    else if (c->exit_code != 0) c->outcome = "refuses";
    else if (!r->cat) c->outcome = "accepts";
    else if (kind == KIT_INVALID) c->outcome = "reads";
    else c->outcome = misread ? "wrong" : "exact";
    return 0;
}

void kit_reader_free(kit_reader *r)
{
    free(r->cells);
    r->cells = NULL;
    r->ncells = r->cap = 0;
}

int kit_reader_run(kit_reader *r, const char *path, const char *file, enum kit_kind kind,
                   const char *sha256)
{
    static const char *const kind_name[3] = { "valid", "deviation", "invalid" };
    char *cmd = build_command(r->cmd, path, r->cat);
    char hex[65] = "";
    if (!cmd) return -1;
    fflush(r->out);
    double t0 = now_seconds();
    int st = r->cat ? run_hashed(cmd, hex) : system(cmd);
    double seconds = now_seconds() - t0;
    free(cmd);
    if (st == -1) return -1;
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    int ran = code >= 0 && code != 126 && code != 127;
    /* --run-cat: a readable image is read right when its bytes hash as the manifest says */
    int misread = r->cat && code == 0 && kind != KIT_INVALID && (!sha256 || strcmp(hex, sha256) != 0);
    int accepted = code == 0 && !misread;
    const char *verdict;
    if (kind == KIT_DEVIATION) verdict = !ran || misread ? "FAIL" : accepted ? "accept" : "reject";
    else verdict = (kind == KIT_VALID ? accepted : ran && !accepted) ? "pass" : "FAIL";
    r->n[kind]++;
    if (kind == KIT_DEVIATION && misread) r->misread++;
    if (kind == KIT_DEVIATION ? (ran && accepted) : verdict[0] == 'p') r->pass[kind]++;
    char how[48];
    if (WIFEXITED(st) && r->cat && code == 0 && kind != KIT_INVALID)
        snprintf(how, sizeof how, "exit 0, sha256 %s", misread ? "differs" : "ok");
    else if (WIFEXITED(st)) snprintf(how, sizeof how, "exit %d", code);
    else if (WIFSIGNALED(st)) snprintf(how, sizeof how, "signal %d", WTERMSIG(st));
    else snprintf(how, sizeof how, "status %d", st);
    fprintf(r->out, "%-6s %-9s %-48s %s\n", verdict, kind_name[kind], file, how);
    return r->record ? record_cell(r, file, kind, sha256, st, misread, seconds, how) : 0;
}

int kit_reader_summary(kit_reader *r)
{
    fprintf(r->out, "reader: %s\n", r->cmd);
    fprintf(r->out, "valid: %zu of %zu pass (exit 0%s)\n", r->pass[KIT_VALID], r->n[KIT_VALID],
            r->cat ? ", stdout has the manifest's sha256" : "");
    fprintf(r->out, "invalid: %zu of %zu pass (rejected: non-zero exit)\n", r->pass[KIT_INVALID],
            r->n[KIT_INVALID]);
    fprintf(r->out, "deviation: %zu of %zu accepted\n", r->pass[KIT_DEVIATION],
            r->n[KIT_DEVIATION]);
    return r->pass[KIT_VALID] != r->n[KIT_VALID] || r->pass[KIT_INVALID] != r->n[KIT_INVALID] ||
           r->misread;
}
