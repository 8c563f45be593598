/* SPDX-License-Identifier: Apache-2.0 */
/* io_file.c - vhdx_io file backend: pread/pwrite loops (EINTR-safe), fstat/lseek size,
 * ftruncate, fdatasync, SEEK_DATA/SEEK_HOLE, an advisory OFD lock per open. A failing
 * callback returns with errno set by the failing system call (image_io.c records it in the
 * diagnostics). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "internal.h"

/* how a vhdx_copier copies into a file (decided at its first copy) */
enum { COPY_UNKNOWN, COPY_CFR, COPY_SPLICE };

/* Every callback works at explicit offsets (pread/pwrite) and keeps no state but the
 * write-behind counter, updated atomically: read_at and write_at may run in several
 * threads at once (VHDX_IO_CAP_CONCURRENT). */
typedef struct file_ctx {
    int fd;
    int regular;      /* a regular file: SEEK_DATA/SEEK_HOLE apply */
    int write_behind; /* vhdx_io_file_write_behind: writeback started as bytes come in */
    uint64_t unkicked; /* bytes written since writeback was last started (atomic) */
} file_ctx;

/* Writeback of the file's dirty pages started every WRITE_BEHIND bytes written: the disk
 * works while the copy goes on, and the final flush finds little left to write. */
#define WRITE_BEHIND ((uint64_t)8 << 20)

static void kick(file_ctx *f, uint64_t n)
{
    if (!f->write_behind) return;
    uint64_t now = __atomic_add_fetch(&f->unkicked, n, __ATOMIC_RELAXED);
    /* one thread of a parallel copy starts the writeback, the others go on */
    if (now < WRITE_BEHIND ||
        !__atomic_compare_exchange_n(&f->unkicked, &now, 0, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        return;
    int e = errno;
    /* a hint: the flush that follows is what makes the bytes durable; errors are its to report */
    (void)sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
    errno = e;
}

/* Largest single transfer handed to the kernel (Linux caps at ~2 GiB anyway). */
#define FILE_IO_CHUNK ((size_t)1 << 30)

static int off_ok(uint64_t off, size_t len)
{
    /* off_t is signed 64-bit (_FILE_OFFSET_BITS=64): the end must stay below 2^63 */
    return off <= (uint64_t)INT64_MAX && (uint64_t)len <= (uint64_t)INT64_MAX - off;
}

static int file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    file_ctx *f = ctx;
    uint8_t *p = buf;
    if (!off_ok(off, len)) return VHDX_E_IO_EOF;
    while (len > 0) {
        size_t n = len < FILE_IO_CHUNK ? len : FILE_IO_CHUNK;
        ssize_t r = pread(f->fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return VHDX_E_IO;
        }
        if (r == 0) return VHDX_E_IO_EOF;
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
    }
    return VHDX_OK;
}

static int file_write(void *ctx, uint64_t off, const void *buf, size_t len)
{
    file_ctx *f = ctx;
    const uint8_t *p = buf;
    if (!off_ok(off, len)) {
        errno = EFBIG;
        return VHDX_E_IO;
    }
    while (len > 0) {
        size_t n = len < FILE_IO_CHUNK ? len : FILE_IO_CHUNK;
        ssize_t r = pwrite(f->fd, p, n, (off_t)off);
        if (r < 0) {
            if (errno == EINTR) continue;
            return VHDX_E_IO;
        }
        if (r == 0) {
            errno = ENOSPC;
            return VHDX_E_IO;
        }
        p += r;
        off += (uint64_t)r;
        len -= (size_t)r;
        kick(f, (uint64_t)r);
    }
    return VHDX_OK;
}

static int file_get_size(void *ctx, uint64_t *size)
{
    file_ctx *f = ctx;
    struct stat st;
    /* zeroed first: clang-14 MSan has no interceptor for glibc >= 2.33 (f)stat, so it would
     * report the fields fstat wrote as uninitialised (fuzz: MSan build of fuzz_open) */
    memset(&st, 0, sizeof st);
    if (fstat(f->fd, &st) != 0) return VHDX_E_IO;
    if (S_ISREG(st.st_mode)) {
        if (st.st_size < 0) return VHDX_E_IO;
        *size = (uint64_t)st.st_size;
        return VHDX_OK;
    }
    /* block devices report st_size 0: ask the device */
    off_t end = lseek(f->fd, 0, SEEK_END);
    if (end < 0) return VHDX_E_IO;
    *size = (uint64_t)end;
    return VHDX_OK;
}

static int file_set_size(void *ctx, uint64_t size)
{
    file_ctx *f = ctx;
    if (size > (uint64_t)INT64_MAX) {
        errno = EFBIG;
        return VHDX_E_IO;
    }
    while (ftruncate(f->fd, (off_t)size) != 0) {
        if (errno != EINTR) return VHDX_E_IO;
    }
    return VHDX_OK;
}

static int file_flush(void *ctx)
{
    file_ctx *f = ctx;
    while (fdatasync(f->fd) != 0) {
        if (errno == EINTR) continue;
        if (errno == EINVAL || errno == EROFS) {
            /* special files that cannot sync data only */
            if (fsync(f->fd) == 0) return VHDX_OK;
            if (errno == EINTR) continue;
        }
        return VHDX_E_IO;
    }
    return VHDX_OK;
}

/* SEEK_DATA/SEEK_HOLE over regular files; anything else (devices, file systems without
 * the support: EINVAL) reports data, which only costs reading zeros. */
static int file_data_status(void *ctx, uint64_t off, uint64_t len, uint64_t *run,
                            int *is_data)
{
    file_ctx *f = ctx;
    *run = len;
    *is_data = 1;
    if (!f->regular || !off_ok(off, (size_t)0) || len == 0) return VHDX_OK;
    off_t d = lseek(f->fd, (off_t)off, SEEK_DATA);
    if (d < 0) {
        /* ENXIO: off is in the hole at the end of the file (or beyond it) */
        if (errno == ENXIO) *is_data = 0;
        return VHDX_OK;
    }
    if ((uint64_t)d > off) {
        *is_data = 0;
        if ((uint64_t)d - off < len) *run = (uint64_t)d - off;
        return VHDX_OK;
    }
    off_t h = lseek(f->fd, (off_t)off, SEEK_HOLE);
    if (h > d && (uint64_t)h - off < len) *run = (uint64_t)h - off;
    return VHDX_OK;
}

static void file_destroy(void *ctx)
{
    file_ctx *f = ctx;
    if (!f) return;
    if (f->fd >= 0) close(f->fd);
    vhdx_free(f);
}

/* What a file that is neither a regular file nor a block device is, for the message. */
const char *vhdx_file_type_name(unsigned mode)
{
    mode_t m = (mode_t)mode;
    if (S_ISDIR(m)) return "is a directory";
    if (S_ISFIFO(m)) return "is a FIFO";
    if (S_ISCHR(m)) return "is a character device";
    if (S_ISSOCK(m)) return "is a socket";
    if (S_ISLNK(m)) return "is a symbolic link";
    if (S_ISREG(m)) return "is a regular file";
    if (S_ISBLK(m)) return "is a block device";
    return "is not a regular file";
}

/* QEMU's image locking protocol (block/file-posix.c), so that vhdx and QEMU refuse each
 * other exactly as two QEMUs do: a shared OFD lock on byte 100 + i says "this open uses
 * permission i", one on byte 200 + i "this open does not share permission i"; an open is
 * refused when another one does not share a permission it uses, or uses one it does not
 * share. Permissions: 0 consistent read, 1 write, 2 write unchanged, 3 resize. A reader
 * uses read and shares all but write and resize; a writer uses read, write and resize
 * and shares the same. So readers share, a writer excludes writers and readers (ours and
 * QEMU's: `qemu-img info` of an image vhdx writes fails, like a second QEMU's). A conflict
 * is VHDX_E_LOCKED; file systems without OFD locks (ENOLCK, EINVAL, EOPNOTSUPP) are used
 * unlocked. */
#define LOCK_PERM_BASE   100
#define LOCK_SHARED_BASE 200
#define LOCK_PERMS       4
#define PERM_READ        0x1u
#define PERM_WRITE       0x2u
#define PERM_RESIZE      0x8u

/* F_OFD_SETLK or F_OFD_GETLK of one byte; -1 with errno on failure. *type gets the
 * conflicting lock's type for GETLK (F_UNLCK: none). */
static int lock_byte(int fd, int cmd, short type, off_t off, short *got)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = off;
    fl.l_len = 1;
    while (fcntl(fd, cmd, &fl) != 0) {
        if (errno != EINTR) return -1;
    }
    if (got) *got = fl.l_type;
    return 0;
}

static int file_lock(int fd, int rdwr)
{
    const unsigned use = PERM_READ | (rdwr ? PERM_WRITE | PERM_RESIZE : 0u);
    const unsigned unshared = PERM_WRITE | PERM_RESIZE;
    for (int i = 0; i < LOCK_PERMS; i++) {
        int rc = 0;
        if (use >> i & 1u) rc = lock_byte(fd, F_OFD_SETLK, F_RDLCK, LOCK_PERM_BASE + i, NULL);
        if (rc == 0 && (unshared >> i & 1u))
            rc = lock_byte(fd, F_OFD_SETLK, F_RDLCK, LOCK_SHARED_BASE + i, NULL);
        if (rc != 0) return errno == EAGAIN || errno == EACCES ? VHDX_E_LOCKED : VHDX_OK;
    }
    for (int i = 0; i < LOCK_PERMS; i++) {
        short t = F_UNLCK;
        if ((use >> i & 1u) && lock_byte(fd, F_OFD_GETLK, F_WRLCK, LOCK_SHARED_BASE + i, &t) == 0 &&
            t != F_UNLCK)
            return VHDX_E_LOCKED; /* another open does not share what this one uses */
        t = F_UNLCK;
        if ((unshared >> i & 1u) && lock_byte(fd, F_OFD_GETLK, F_WRLCK, LOCK_PERM_BASE + i, &t) == 0 &&
            t != F_UNLCK)
            return VHDX_E_LOCKED; /* another open uses what this one does not share */
    }
    return VHDX_OK;
}

static int open_errno(int e)
{
    if (e == ENOENT) return VHDX_E_NOT_FOUND;
    if (e == EEXIST) return VHDX_E_EXISTS;
    if (e == ENOMEM) return VHDX_E_NOMEM;
    return VHDX_E_IO;
}

/* Opens without blocking (a FIFO would block open(2) until a writer comes), then takes
 * only a regular file or a block device, in blocking mode again. */
static int open_fd(const char *path, int flags, int *out, int *regular)
{
    int fd;
    do {
        fd = open(path, flags | O_NONBLOCK, 0666);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return open_errno(errno);
    struct stat st;
    memset(&st, 0, sizeof st); /* MSan vs glibc (f)stat: see get_size */
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return VHDX_E_IO;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        close(fd);
        errno = 0;
        return VHDX_E_FILE_TYPE;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return VHDX_E_IO;
    }
    *out = fd;
    *regular = S_ISREG(st.st_mode) ? 1 : 0;
    return VHDX_OK;
}

int(vhdx_io_file_open)(vhdx_io *io, const char *path, int mode)
{
    if (!io || !path) return VHDX_E_MISUSE;
    vhdx_io full;
    memset(&full, 0, sizeof full);
    ABI_OUT(io, &full);
    int flags = O_CLOEXEC, rdwr = (mode & VHDX_IO_RDWR) != 0;
    if (rdwr) {
        flags |= O_RDWR;
        if (mode & VHDX_IO_CREATE) flags |= O_CREAT | O_EXCL;
    } else if (mode & VHDX_IO_CREATE) {
        return VHDX_E_MISUSE;
    } else {
        flags |= O_RDONLY;
    }
    file_ctx *f = vhdx_malloc(sizeof *f);
    if (!f) return VHDX_E_NOMEM;
    int fd = -1, regular = 0;
    int rc = open_fd(path, flags, &fd, &regular);
    if (rc == VHDX_OK && !(mode & VHDX_IO_NO_LOCK)) {
        rc = file_lock(fd, rdwr);
        if (rc != VHDX_OK) close(fd);
    }
    if (rc != VHDX_OK) {
        int e = errno;
        vhdx_free(f);
        errno = e;
        return rc;
    }
    f->fd = fd;
    f->regular = regular;
    f->write_behind = 0;
    f->unkicked = 0;
    full.ctx = f;
    full.read_at = file_read;
    full.write_at = file_write;
    full.get_size = file_get_size;
    full.set_size = file_set_size;
    full.flush = file_flush;
    full.destroy = file_destroy;
    full.data_status = file_data_status;
    full.caps = VHDX_IO_CAP_CONCURRENT;
    ABI_OUT(io, &full);
    return VHDX_OK;
}

/* ---- kernel copy between two file backends (internal.h) ---- */

#define EXT234_MAGIC 0xEF53u          /* statfs f_type of ext2, ext3 and ext4 */
/* The pipe asked for. 256 KiB: writes of 512 KiB and more were as fast at best, but now and
 * then several times slower on a machine whose memory is fragmented (high-order page cache
 * folios to assemble); 256 KiB stayed within 10% of its best. */
#define SPLICE_PIPE ((size_t)256 << 10)

/* errno values of copy_file_range that mean "not for this pair of files": read and write
 * instead (other file systems, old kernels, special files) */
static int copy_unsupported(int e)
{
    return e == ENOSYS || e == EXDEV || e == EINVAL || e == EOPNOTSUPP || e == ETXTBSY;
}

static void drop_pipe(vhdx_copier *c)
{
    int e = errno;
    if (c->pipe[0] >= 0) close(c->pipe[0]);
    if (c->pipe[1] >= 0) close(c->pipe[1]);
    c->pipe[0] = c->pipe[1] = -1;
    errno = e;
}

/* How c copies into d, decided once. On ext2/3/4, copy_file_range neither clones nor
 * offloads: it is a page-cache copy through the kernel's 64 KiB internal pipe, one
 * delayed-allocation reservation per 4 KiB page. Splicing through a private 256 KiB pipe
 * instead hands the file system 256 KiB writes (larger folios), and preallocating each
 * range first (fallocate) spares the per-page reservation: about 25-35% less CPU for the
 * same bytes (`vhdx bench`, data movement). Elsewhere copy_file_range, which may clone (XFS,
 * Btrfs) or copy on the server (NFS, SMB). */
static void copy_method(vhdx_copier *c, const file_ctx *d)
{
    struct statfs sf;
    memset(&sf, 0, sizeof sf); /* MSan: no fstatfs interceptor on every glibc */
    c->method = COPY_CFR;
    if (fstatfs(d->fd, &sf) != 0 || (unsigned long)sf.f_type != EXT234_MAGIC) return;
    if (pipe2(c->pipe, O_CLOEXEC) != 0) {
        c->pipe[0] = c->pipe[1] = -1;
        return;
    }
    (void)fcntl(c->pipe[1], F_SETPIPE_SZ, (int)SPLICE_PIPE); /* a smaller pipe works too */
    c->method = COPY_SPLICE;
}

/* From c's pipe into d at doff: all n bytes it holds; *done grows by what was written. */
static int pipe_drain(vhdx_copier *c, file_ctx *d, uint64_t doff, size_t n, uint64_t *done)
{
    while (n > 0) {
        loff_t dof = (loff_t)(doff + *done);
        ssize_t w = splice(c->pipe[0], NULL, d->fd, &dof, n, SPLICE_F_MOVE);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = EIO;
            /* bytes left in the pipe belong to no later copy */
            drop_pipe(c);
            if (!copy_unsupported(errno)) {
                c->method = COPY_UNKNOWN; /* a later copy opens a new pipe */
                return VHDX_E_IO;
            }
            c->method = COPY_CFR;
            return VHDX_E_UNSUPPORTED;
        }
        n -= (size_t)w;
        *done += (uint64_t)w;
        kick(d, (uint64_t)w);
    }
    return VHDX_OK;
}

/* src at soff -> the pipe -> d at doff, at most SPLICE_PIPE bytes at a time, each range
 * preallocated first (best effort: the writes report what really fails). */
static int splice_copy(vhdx_copier *c, file_ctx *d, int sfd, uint64_t doff, uint64_t soff,
                       uint64_t len, uint64_t *done)
{
    while (*done < len) {
        uint64_t want = len - *done;
        size_t n = want < SPLICE_PIPE ? (size_t)want : SPLICE_PIPE;
        (void)fallocate(d->fd, FALLOC_FL_KEEP_SIZE, (off_t)(doff + *done), (off_t)n);
        loff_t so = (loff_t)(soff + *done);
        ssize_t r = splice(sfd, &so, c->pipe[1], NULL, n, SPLICE_F_MOVE);
        if (r < 0) {
            if (errno == EINTR) continue;
            if (!copy_unsupported(errno)) return VHDX_E_IO;
            drop_pipe(c);
            c->method = COPY_CFR;
            return VHDX_E_UNSUPPORTED;
        }
        if (r == 0) return VHDX_E_IO_EOF; /* the source ends before soff + len */
        int rc = pipe_drain(c, d, doff, (size_t)r, done);
        if (rc != VHDX_OK) return rc;
    }
    return VHDX_OK;
}

static int cfr_copy(file_ctx *d, int sfd, uint64_t doff, uint64_t soff, uint64_t len,
                    uint64_t *done)
{
    while (*done < len) {
        uint64_t want = len - *done;
        loff_t so = (loff_t)(soff + *done), dof = (loff_t)(doff + *done);
        ssize_t r = copy_file_range(sfd, &so, d->fd, &dof,
                                    want < FILE_IO_CHUNK ? (size_t)want : FILE_IO_CHUNK, 0);
        if (r < 0) {
            if (errno == EINTR) continue;
            return copy_unsupported(errno) ? VHDX_E_UNSUPPORTED : VHDX_E_IO;
        }
        if (r == 0) return VHDX_E_IO_EOF; /* the source ends before soff + len */
        *done += (uint64_t)r;
        kick(d, (uint64_t)r);
    }
    return VHDX_OK;
}

void vhdx_io_file_write_behind(vhdx_io *io)
{
    if (io->write_at != file_write) return;
    file_ctx *f = io->ctx;
    f->write_behind = f->regular;
}

int vhdx_io_concurrent(const vhdx_io *io)
{
    if (io->read_at == file_read) return 1;
    return VHDX_HAS_MEMBER(io, vhdx_io, caps) && (io->caps & VHDX_IO_CAP_CONCURRENT) != 0;
}

void vhdx_copier_init(vhdx_copier *c)
{
    c->method = COPY_UNKNOWN;
    c->pipe[0] = c->pipe[1] = -1;
}

void vhdx_copier_close(vhdx_copier *c)
{
    drop_pipe(c);
    c->method = COPY_UNKNOWN;
}

int vhdx_copier_copy(vhdx_copier *c, vhdx_io *dst, uint64_t doff, vhdx_io *src, uint64_t soff,
                     uint64_t len, uint64_t *done)
{
    *done = 0;
    if (dst->write_at != file_write || src->read_at != file_read) return VHDX_E_UNSUPPORTED;
    file_ctx *d = dst->ctx;
    const file_ctx *s = src->ctx;
    if (!d->regular || !s->regular) return VHDX_E_UNSUPPORTED;
    if (!off_ok(doff, 0) || !off_ok(soff, 0) || len > (uint64_t)INT64_MAX - doff ||
        len > (uint64_t)INT64_MAX - soff) {
        errno = EFBIG;
        return VHDX_E_IO;
    }
    if (c->method == COPY_UNKNOWN) copy_method(c, d);
    if (c->method == COPY_SPLICE) {
        int rc = splice_copy(c, d, s->fd, doff, soff, len, done);
        /* a pipe the kernel refuses: copy_file_range for the rest */
        if (rc != VHDX_E_UNSUPPORTED) return rc;
    }
    uint64_t more = 0;
    int rc = cfr_copy(d, s->fd, doff + *done, soff + *done, len - *done, &more);
    *done += more;
    return rc;
}

void(vhdx_io_destroy)(vhdx_io *io)
{
    if (!io) return;
    if (io->destroy) io->destroy(io->ctx);
    uint32_t ss = io->struct_size;
    memset(io, 0, abi_used(ss, sizeof *io));
    io->struct_size = ss;
}
