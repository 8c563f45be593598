/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmake/msan_libc.c - MemorySanitizer builds only (-DVHDX_MSAN=ON): glibc 2.33+ exports
 * stat/fstat/lstat/fstatat (and the *64 names that _FILE_OFFSET_BITS=64 redirects to) as
 * real functions, but clang-14's MSan runtime only intercepts the old __fxstat family, so
 * every struct stat filled by the kernel reads as uninitialised (a false positive in
 * vhdx_io_file_open and friends). The build links with -Wl,--wrap=<name> for these names;
 * each wrapper calls the real function and marks the result initialised.
 * Never part of a release build or of `make install`.
 */
#include <sanitizer/msan_interface.h>
#include <sys/stat.h>

#define VHDX_MSAN_STAT_WRAPPERS(X) \
    X(stat) X(lstat) X(stat64) X(lstat64)

#define VHDX_MSAN_DECL_PATH(name) \
    int __real_##name(const char *path, struct stat *st); \
    int __wrap_##name(const char *path, struct stat *st); \
    int __wrap_##name(const char *path, struct stat *st) \
    { \
        int r = __real_##name(path, st); \
        if (r == 0) __msan_unpoison(st, sizeof *st); \
        return r; \
    }
VHDX_MSAN_STAT_WRAPPERS(VHDX_MSAN_DECL_PATH)

int __real_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st);
int __wrap_fstat(int fd, struct stat *st)
{
    int r = __real_fstat(fd, st);
    if (r == 0) __msan_unpoison(st, sizeof *st);
    return r;
}

int __real_fstat64(int fd, struct stat *st);
int __wrap_fstat64(int fd, struct stat *st);
int __wrap_fstat64(int fd, struct stat *st)
{
    int r = __real_fstat64(fd, st);
    if (r == 0) __msan_unpoison(st, sizeof *st);
    return r;
}

int __real_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat(int dirfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    int r = __real_fstatat(dirfd, path, st, flags);
    if (r == 0) __msan_unpoison(st, sizeof *st);
    return r;
}

int __real_fstatat64(int dirfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat64(int dirfd, const char *path, struct stat *st, int flags);
int __wrap_fstatat64(int dirfd, const char *path, struct stat *st, int flags)
{
    int r = __real_fstatat64(dirfd, path, st, flags);
    if (r == 0) __msan_unpoison(st, sizeof *st);
    return r;
}
