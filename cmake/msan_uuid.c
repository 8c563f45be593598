/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmake/msan_uuid.c - an instrumented stand-in for the parts of libuuid the project uses,
 * linked ONLY into MemorySanitizer builds (-DVHDX_MSAN=ON).
 *
 * Why (TOOLCHAIN.md trap 3): Debian's libuuid is not built with MSan, so every byte it writes
 * (uuid_generate_random's output, uuid_parse's result) is shadowed as uninitialised and MSan
 * reports the first branch on it inside libvhdx. The library's GUID generation already sits
 * behind vhdx_guid_gen; this file keeps libuuid out of the MSan link altogether by providing
 * the same entry points, compiled with the same instrumentation as the rest of the build.
 * Randomness comes from read(2) on /dev/urandom (intercepted, so MSan sees it as written),
 * with a splitmix64 fallback. Never part of a release build or of `make install`.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

static uint64_t msan_uuid_state;

static uint64_t msan_uuid_next(void)
{
    uint64_t z;
    if (msan_uuid_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        msan_uuid_state = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)getpid();
    }
    z = (msan_uuid_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void msan_uuid_random_bytes(unsigned char *out, size_t n)
{
    size_t got = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        while (got < n) {
            ssize_t r = read(fd, out + got, n - got);
            if (r <= 0) break;
            got += (size_t)r;
        }
        close(fd);
    }
    while (got < n) {
        uint64_t v = msan_uuid_next();
        size_t i;
        for (i = 0; i < 8 && got < n; i++) out[got++] = (unsigned char)(v >> (8 * i));
    }
}

void uuid_generate_random(uuid_t out)
{
    msan_uuid_random_bytes(out, 16);
    out[6] = (unsigned char)((out[6] & 0x0f) | 0x40); /* RFC 4122 version 4 */
    out[8] = (unsigned char)((out[8] & 0x3f) | 0x80); /* RFC 4122 variant 10 */
}

void uuid_generate(uuid_t out)
{
    uuid_generate_random(out);
}

void uuid_clear(uuid_t uu)
{
    memset(uu, 0, 16);
}

void uuid_copy(uuid_t dst, const uuid_t src)
{
    memcpy(dst, src, 16);
}

int uuid_compare(const uuid_t uu1, const uuid_t uu2)
{
    int c = memcmp(uu1, uu2, 16);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int uuid_is_null(const uuid_t uu)
{
    size_t i;
    for (i = 0; i < 16; i++)
        if (uu[i] != 0) return 0;
    return 1;
}

static int msan_uuid_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Same acceptance as libuuid: exactly 36 characters, dashes at 8, 13, 18, 23. */
int uuid_parse(const char *in, uuid_t uu)
{
    unsigned char tmp[16];
    size_t i, j = 0;
    if (strlen(in) != 36) return -1;
    for (i = 0; i < 36;) {
        int hi, lo;
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (in[i] != '-') return -1;
            i++;
            continue;
        }
        hi = msan_uuid_hex(in[i]);
        lo = msan_uuid_hex(in[i + 1]);
        if (hi < 0 || lo < 0) return -1;
        tmp[j++] = (unsigned char)(hi << 4 | lo);
        i += 2;
    }
    memcpy(uu, tmp, 16);
    return 0;
}

static void msan_uuid_unparse(const uuid_t uu, char *out, const char *digits)
{
    size_t i, k = 0;
    for (i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out[k++] = '-';
        out[k++] = digits[uu[i] >> 4];
        out[k++] = digits[uu[i] & 15];
    }
    out[k] = '\0';
}

void uuid_unparse_lower(const uuid_t uu, char *out)
{
    msan_uuid_unparse(uu, out, "0123456789abcdef");
}

void uuid_unparse_upper(const uuid_t uu, char *out)
{
    msan_uuid_unparse(uu, out, "0123456789ABCDEF");
}

void uuid_unparse(const uuid_t uu, char *out)
{
    uuid_unparse_lower(uu, out);
}
