/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay_driver.c - runs a harness's LLVMFuzzerTestOneInput over files and directories
 * (recursively, sorted, dot-files skipped) without any fuzzing engine; this is how every
 * ordinary build replays corpus/<harness>/ and corpus/regress/<harness>/.
 *
 *   fuzz_X [-f] [-n] [-v] PATH...
 *
 * Inputs run in-process (fast: the whole corpus replays in seconds). When one dies (abort,
 * signal, or a sanitizer report through its death callback) the driver names the input
 * first. -f runs each input in a forked child instead, so every failing input is counted
 * and the others still run. -n is accepted for compatibility (in-process).
 * Prints "N passed, N failed" and exits 1 when anything failed. A missing PATH is
 * reported and skipped (an empty regress folder is not tracked by git).
 *
 * A harness with a custom mutator (fz_mutate.h: LLVMFuzzerCustomMutator) also runs
 * FZ_REPLAY_MUTANTS (environment, default 0) mutants of each input, seeded by their index
 * (deterministic): the structure-aware mutator's output is run by every build. A dying
 * mutant is named "<input> mutant <k>". Each seed is first also given to the mutator with
 * no room (a buffer of exactly the input's size, max_size == size: how libFuzzer calls it
 * for an input at -max_len), its output discarded, so that a mutator reading or writing
 * past the input is caught by ASan (the roomy buffer of the mutant that runs would hide it);
 * a dying call is named "<input> mutator <k>".
 *
 * The replay sets fz_all_passes (fuzz_common.h): the passes that fuzzing runs for a
 * sample of the inputs (fz_sampled) run for every input here, so the replay tests and
 * the corpus coverage exercise everything the corpus reaches.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned seed) __attribute__((weak));
/* fuzz_common.h: the replay runs every sampled pass of every input (fz_sampled) */
extern int fz_all_passes;

static int opt_fork = 0, opt_verbose;
static unsigned long n_pass, n_fail;
static const char *current;

/* sanitizer runtimes call this before they exit on a report (weak: absent otherwise) */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static void say_current(void)
{
    if (!current) return;
    static const char pre[] = "FAIL ", post[] = ": this input died\n";
    ssize_t r = write(2, pre, sizeof pre - 1);
    r = write(2, current, strlen(current));
    r = write(2, post, sizeof post - 1);
    (void)r;
}

static void on_signal(int sig)
{
    say_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    size_t cap = 65536, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            uint8_t *b = realloc(buf, cap * 2);
            if (!b) { free(buf); buf = NULL; break; }
            buf = b;
            cap *= 2;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (r == 0) break;
    }
    int err = ferror(fp);
    fclose(fp);
    if (!buf || err) { free(buf); return -1; }
    *out = buf;
    *len = n;
    return 0;
}

static void run_mutants(const char *path, const uint8_t *data, size_t len)
{
    const char *e = getenv("FZ_REPLAY_MUTANTS");
    unsigned long n = e ? strtoul(e, NULL, 10) : 0;
    if (!LLVMFuzzerCustomMutator || n == 0) return;
    size_t max = len * 2 + 65536;
    uint8_t *m = malloc(max), *tight = malloc(len ? len : 1);
    char *name = malloc(strlen(path) + 32);
    if (!m || !tight || !name) { free(m); free(tight); free(name); return; }
    for (unsigned long k = 0; k < n; k++) {
        if (len) { /* no room: max_size == size, output discarded (see the top comment) */
            sprintf(name, "%s mutator %lu", path, k + 1);
            current = name;
            memcpy(tight, data, len);
            size_t tl = LLVMFuzzerCustomMutator(tight, len, len, (unsigned)(k + 1));
            current = NULL;
            if (tl > len) { fprintf(stderr, "FAIL %s: mutant %lu longer than allowed\n", path, k + 1); n_fail++; break; }
        }
        memcpy(m, data, len);
        size_t ml = LLVMFuzzerCustomMutator(m, len, max, (unsigned)(k + 1));
        if (ml > max) { fprintf(stderr, "FAIL %s: mutant %lu longer than allowed\n", path, k); n_fail++; break; }
        sprintf(name, "%s mutant %lu", path, k + 1);
        current = name;
        int rc = LLVMFuzzerTestOneInput(m, ml);
        current = NULL;
        if (rc != 0) n_fail++;
    }
    free(m);
    free(tight);
    free(name);
}

static void run_one(const char *path)
{
    uint8_t *data;
    size_t len;
    if (read_file(path, &data, &len) != 0) {
        fprintf(stderr, "FAIL %s: cannot read: %s\n", path, strerror(errno));
        n_fail++;
        return;
    }
    if (opt_verbose) fprintf(stderr, "run %s (%zu bytes)\n", path, len);
    if (!opt_fork) {
        current = path;
        /* The return value of LLVMFuzzerTestOneInput is reserved (must be 0). */
        int rc = LLVMFuzzerTestOneInput(data, len);
        current = NULL;
        if (rc != 0) {
            fprintf(stderr, "FAIL %s: harness returned non-zero\n", path);
            n_fail++;
        } else {
            n_pass++;
        }
        run_mutants(path, data, len);
        free(data);
        return;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "FAIL %s: fork: %s\n", path, strerror(errno));
        n_fail++;
    } else if (pid == 0) {
        int rc = LLVMFuzzerTestOneInput(data, len);
        free(data);
        exit(rc == 0 ? 0 : 3);
    } else {
        int st = 0;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            n_pass++;
        } else {
            if (WIFSIGNALED(st))
                fprintf(stderr, "FAIL %s: killed by signal %d\n", path, WTERMSIG(st));
            else
                fprintf(stderr, "FAIL %s: exit status %d\n", path, WEXITSTATUS(st));
            n_fail++;
        }
    }
    free(data);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path, int top)
{
    struct stat st;
    memset(&st, 0, sizeof st); /* clang-14 MSan has no interceptor for glibc >= 2.33 stat */
    if (stat(path, &st) != 0) {
        if (top) fprintf(stderr, "note: %s: %s (skipped)\n", path, strerror(errno));
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        run_one(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "FAIL %s: cannot list: %s\n", path, strerror(errno));
        n_fail++;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn) break;
            names = nn;
        }
        size_t l = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(l);
        if (!names[n]) break;
        snprintf(names[n], l, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        run_path(names[i], 0);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    int i = 1;
    fz_all_passes = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "-n") == 0) opt_fork = 0;
        else if (strcmp(argv[i], "-f") == 0) opt_fork = 1;
        else if (strcmp(argv[i], "-v") == 0) opt_verbose = 1;
        else if (strcmp(argv[i], "--") == 0) { i++; break; }
        else {
            fprintf(stderr, "usage: %s [-f] [-n] [-v] FILE|DIR...\n", argv[0]);
            return 2;
        }
    }
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(say_current);
    signal(SIGABRT, on_signal);
    if (!__sanitizer_set_death_callback) {
        signal(SIGSEGV, on_signal);
        signal(SIGBUS, on_signal);
        signal(SIGFPE, on_signal);
        signal(SIGILL, on_signal);
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s [-f] [-n] [-v] FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (; i < argc; i++) run_path(argv[i], 1);
    printf("%lu passed, %lu failed\n", n_pass, n_fail);
    return n_fail ? 1 : 0;
}
