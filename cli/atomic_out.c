/* SPDX-License-Identifier: Apache-2.0 */
/* atomic_out.c - temporary file, rename into place, removal on failure and on signals. */
#include "atomic_out.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const int sigs[3] = { SIGINT, SIGTERM, SIGHUP };

/* The registered temporary file; read by the handler (set and cleared with the signals
 * blocked, so the handler never sees a half-made registration). */
static char *volatile reg_path;
static atomic_out *volatile reg_out;

static void on_signal(int sig)
{
    int e = errno;
    atomic_out *o = reg_out;
    if (reg_path) unlink(reg_path);
    reg_path = NULL;
    for (int i = 0; i < 3; i++)
        if (o && sigs[i] == sig && o->handled[i]) sigaction(sig, &o->old[i], NULL);
    /* blocked while we run: delivered to the previous action when we return */
    raise(sig);
    errno = e;
}

static void block_signals(sigset_t *old)
{
    sigset_t set;
    sigemptyset(&set);
    for (int i = 0; i < 3; i++) sigaddset(&set, sigs[i]);
    sigprocmask(SIG_BLOCK, &set, old);
}

static void install(atomic_out *o)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++) {
        o->handled[i] = 0;
        if (sigaction(sigs[i], NULL, &o->old[i]) != 0) continue;
        if (o->old[i].sa_handler == SIG_IGN) continue; /* e.g. nohup: keep ignoring */
        if (sigaction(sigs[i], &sa, NULL) == 0) o->handled[i] = 1;
    }
    reg_out = o;
}

/* Drops the registration; call with the signals blocked. */
static void uninstall(atomic_out *o)
{
    reg_path = NULL;
    reg_out = NULL;
    for (int i = 0; i < 3; i++)
        if (o->handled[i]) sigaction(sigs[i], &o->old[i], NULL);
}

/* Six characters from [A-Za-z0-9] in place of the trailing XXXXXX of path. */
static void fill_random(char *x)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    static uint64_t counter;
    uint64_t r;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20) ^ (++counter * 0x9E3779B97F4A7C15ull);
    for (int i = 0; i < 6; i++) {
        x[i] = al[r % 62];
        r /= 62;
    }
}

/* O_EXCL with mode 0666: the kernel applies the umask (and default ACLs), as for creat. */
static int create_tmp(char *path)
{
    char *x = path + strlen(path) - 6;
    for (int tries = 0; tries < 100; tries++) {
        fill_random(x);
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

/* target with its symbolic links followed (also a dangling last link: the file it names
 * is what gets created); malloc'd, NULL with errno on failure. */
static char *follow_links(const char *target)
{
    char *cur = strdup(target);
    for (int depth = 0; cur && depth < 40; depth++) {
        struct stat st;
        char link[PATH_MAX];
        if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode)) return cur;
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) break;
        link[n] = '\0';
        const char *slash = strrchr(cur, '/');
        size_t dl = link[0] == '/' || !slash ? 0 : (size_t)(slash - cur) + 1;
        char *next = malloc(dl + (size_t)n + 1);
        if (!next) break;
        memcpy(next, cur, dl);
        memcpy(next + dl, link, (size_t)n + 1);
        free(cur);
        cur = next;
    }
    int e = cur ? ELOOP : errno;
    free(cur);
    errno = e;
    return NULL;
}

/* Direct mode: "-" or an existing file that is not a regular file. 1 when opened, 0 when
 * the target is a regular file (or absent), -1 with errno on failure. */
static int open_direct(atomic_out *o)
{
    struct stat st;
    if (strcmp(o->target, "-") == 0) {
        o->fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    } else {
        if (stat(o->path, &st) != 0 || S_ISREG(st.st_mode)) return 0;
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            return -1;
        }
        do {
            o->fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
        } while (o->fd < 0 && errno == EINTR);
    }
    if (o->fd < 0) return -1;
    o->direct = 1;
    return 1;
}

int atomic_out_open(atomic_out *o, const char *target, unsigned flags)
{
    memset(o, 0, sizeof *o);
    o->fd = -1;
    o->target = target;
    o->flags = flags;
    o->path = strcmp(target, "-") == 0 ? strdup(target) : follow_links(target);
    if (!o->path) return -1;
    int d = open_direct(o);
    if (d != 0) {
        if (d < 0) {
            int e = errno;
            free(o->path);
            o->path = NULL;
            errno = e;
            return -1;
        }
        return 0;
    }
    size_t n = strlen(o->path);
    o->tmp = malloc(n + sizeof ".tmp-XXXXXX");
    if (!o->tmp) {
        free(o->path);
        o->path = NULL;
        return -1;
    }
    memcpy(o->tmp, o->path, n);
    memcpy(o->tmp + n, ".tmp-XXXXXX", sizeof ".tmp-XXXXXX");
    sigset_t old;
    block_signals(&old);
    o->fd = create_tmp(o->tmp);
    int e = errno;
    if (o->fd >= 0) {
        install(o);
        reg_path = o->tmp;
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (o->fd < 0) {
        free(o->tmp);
        o->tmp = NULL;
        free(o->path);
        o->path = NULL;
        errno = e;
        return -1;
    }
    return 0;
}

int atomic_out_direct(const atomic_out *o)
{
    return o->direct;
}

FILE *atomic_out_stream(atomic_out *o)
{
    if (!o->f) o->f = fdopen(o->fd, "w");
    return o->f;
}

/* Closes the stream or descriptor; returns 0 or -1 with errno (the first error). */
static int close_file(atomic_out *o)
{
    int rc = 0, e = 0;
    if (o->f) {
        if (fflush(o->f) != 0) { rc = -1; e = errno; }
    }
    /* a FIFO or character device cannot sync: that is no failure of the output */
    if (rc == 0 && (o->flags & ATOMIC_OUT_FSYNC) && fsync(o->fd) != 0 &&
        !(o->direct && (errno == EINVAL || errno == EROFS))) { rc = -1; e = errno; }
    if (o->f) {
        if (fclose(o->f) != 0 && rc == 0) { rc = -1; e = errno; }
    } else if (o->fd >= 0) {
        if (close(o->fd) != 0 && rc == 0) { rc = -1; e = errno; }
    }
    o->f = NULL;
    o->fd = -1;
    errno = e;
    return rc;
}

/* Renames (when ok) or removes the temporary file and drops the registration, with the
 * signals held back: a signal finds either the registered temporary file or the complete
 * target. Returns 0 or -1 with errno. */
static int finish(atomic_out *o, int ok)
{
    int rc = ok ? 0 : -1, e = errno;
    sigset_t old;
    block_signals(&old);
    if (ok && rename(o->tmp, o->path) != 0) {
        rc = -1;
        e = errno;
    }
    if (rc != 0) unlink(o->tmp);
    uninstall(o);
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(o->tmp);
    o->tmp = NULL;
    free(o->path);
    o->path = NULL;
    errno = e;
    return rc;
}

/* Direct mode: close only (nothing to rename or remove). */
static int finish_direct(atomic_out *o)
{
    int rc = close_file(o), e = errno;
    free(o->path);
    o->path = NULL;
    o->direct = 0;
    errno = e;
    return rc;
}

int atomic_out_commit(atomic_out *o)
{
    if (o->direct) return finish_direct(o);
    if (!o->tmp) {
        errno = EINVAL;
        return -1;
    }
    return finish(o, close_file(o) == 0);
}

void atomic_out_abort(atomic_out *o)
{
    int e = errno;
    if (o->direct) {
        (void)finish_direct(o);
    } else if (o->tmp) {
        (void)close_file(o);
        (void)finish(o, 0);
    }
    errno = e;
}
