/* SPDX-License-Identifier: Apache-2.0 */
/*
 * vhdx_plugin.c - nbdkit-vhdx-plugin: serves the virtual disk of a VHDX image over NBD
 * through libvhdx (nbdkit plugin API version 2). See nbdkit-vhdx-plugin.pod.
 *
 * Handles. libvhdx is not thread-safe for one image, and a writable open takes an exclusive
 * lock on the file (VHDX_E_LOCKED for any other open). So:
 * - read-only connections (nbdkit -r) each open the image themselves (shared locks) and
 *   run in parallel (thread model SERIALIZE_REQUESTS: one request at a time per connection);
 * - writable connections share one open image, opened by the first connection and closed
 *   (flushed, log cleared) by the last; its mutex serializes their requests. Every writable
 *   connection sees every other's writes and a flush on any of them makes all of them
 *   durable, which is what NBD multi-conn asks of a server.
 */
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vhdx.h>

/* One request at a time per connection; connections run in parallel (see above). */
#define THREAD_MODEL NBDKIT_THREAD_MODEL_SERIALIZE_REQUESTS

/* Extents added per .extents call at most (the client asks again for the rest). */
#define MAX_EXTENTS_PER_CALL 65536u

static char *file;              /* file= (absolute) */
static char *parent;            /* parent= (absolute) or NULL */
static int ignore_linkage;      /* ignore-linkage= */

/* One open image and what the callbacks need to know about it. */
typedef struct vimg {
    vhdx_image *img;
    pthread_mutex_t lock;       /* held around every library call on img */
    unsigned refs;              /* connections using it (shared writable image) */
    int writable;
    uint64_t size;              /* virtual size */
    uint64_t block_size;
    uint32_t physical_sector;
    int leave_allocated;        /* fixed image: zeroing writes bytes, never fast */
} vimg;

typedef struct handle {
    vimg *v;
} handle;

static pthread_mutex_t shared_lock = PTHREAD_MUTEX_INITIALIZER;
static vimg *shared_rw;         /* the writable image of all writable connections */

static void vhdx_unload(void)
{
    free(file);
    free(parent);
}

static int vhdx_config(const char *key, const char *value)
{
    if (strcmp(key, "file") == 0) {
        free(file);
        /* absolute: nbdkit changes to / when it goes into the background */
        file = nbdkit_realpath(value);
        return file ? 0 : -1;
    }
    if (strcmp(key, "parent") == 0) {
        free(parent);
        parent = nbdkit_realpath(value);
        return parent ? 0 : -1;
    }
    if (strcmp(key, "ignore-linkage") == 0) {
        int r = nbdkit_parse_bool(value);
        if (r == -1) return -1;
        ignore_linkage = r;
        return 0;
    }
    nbdkit_error("unknown parameter '%s'", key);
    return -1;
}

static int vhdx_config_complete(void)
{
    if (!file) {
        nbdkit_error("you must supply the file=<FILENAME> parameter");
        return -1;
    }
    return 0;
}

#define vhdx_config_help \
    "file=<FILENAME>       (required) The VHDX image to serve.\n" \
    "parent=<FILENAME>     Parent image of a differencing image (overrides its locator).\n" \
    "ignore-linkage=true   Accept a parent whose DataWriteGuid matches neither parent_linkage\n" \
    "                      nor parent_linkage2 (rule R105)."

static void vhdx_dump_plugin(void)
{
    printf("vhdx_version=%s\n", vhdx_version());
}

/* The errno an NBD client sees for a library status. */
static int status_errno(int rc, const vhdx_diag *d)
{
    if (d->sys_errno == ENOSPC || d->sys_errno == EDQUOT || d->sys_errno == EFBIG)
        return ENOSPC;
    switch (rc) {
    case VHDX_E_READONLY: return EROFS;
    case VHDX_E_RANGE:
    case VHDX_E_MISUSE: return EINVAL;
    case VHDX_E_NOMEM:
    case VHDX_E_LIMIT_MEMORY: return ENOMEM;
    case VHDX_E_LIMIT_FILE_SIZE: return ENOSPC;
    default: return EIO;
    }
}

/* Logs the failure with the library's rule and file offset, sets the NBD error; -1. */
static int fail(const char *what, int rc, const vhdx_diag *d)
{
    char msg[512];
    vhdx_diag_format(d, file, msg, sizeof msg);
    nbdkit_error("%s: %s", what, msg);
    nbdkit_set_error(status_errno(rc, d));
    return -1;
}

static vimg *vimg_open(int writable)
{
    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_open_opts_default(&o);
    vhdx_diag_clear(&d);
    /* a dirty log is replayed: in place when writable, in memory when read-only */
    if (writable) o.flags |= VHDX_OPEN_RDWR;
    if (ignore_linkage) o.flags |= VHDX_OPEN_IGNORE_LINKAGE;
    o.parent_path = parent;
    vimg *v = calloc(1, sizeof *v);
    if (!v) {
        nbdkit_error("calloc: %m");
        return NULL;
    }
    int rc = vhdx_open_file(&v->img, file, &o, &d);
    vhdx_info *info = rc == VHDX_OK ? malloc(sizeof *info) : NULL;
    if (rc == VHDX_OK && !info) rc = VHDX_E_NOMEM;
    if (rc == VHDX_OK) rc = vhdx_get_info(v->img, info);
    if (rc != VHDX_OK) {
        fail("open", rc, &d);
        if (v->img) (void)vhdx_close(v->img);
        free(info);
        free(v);
        return NULL;
    }
    if (info->log_replayed)
        nbdkit_debug("vhdx: %s: log replayed %s (%" PRIu64 " entries)", file,
                     info->log_replayed == 2 ? "in place" : "in memory",
                     info->log_entries_replayed);
    v->writable = writable;
    v->size = info->virtual_size;
    v->block_size = info->block_size;
    v->physical_sector = info->physical_sector_size;
    v->leave_allocated = (info->file_parameter_flags & 1u) != 0;
    free(info);
    pthread_mutex_init(&v->lock, NULL);
    return v;
}

static int vimg_close(vimg *v)
{
    int rc = vhdx_close(v->img);
    pthread_mutex_destroy(&v->lock);
    free(v);
    if (rc != VHDX_OK) {
        vhdx_diag d;
        vhdx_diag_clear(&d);
        d.code = rc;
        return fail("close", rc, &d);
    }
    return 0;
}

/* Before serving: the image opens (read-only, shared lock), so a bad file, a missing
 * parent or a writer holding the image stops nbdkit at once instead of at each client. */
static int vhdx_get_ready(void)
{
    vimg *v = vimg_open(0);
    if (!v) return -1;
    return vimg_close(v);
}

static void *vhdx_open_cb(int readonly)
{
    handle *h = calloc(1, sizeof *h);
    if (!h) {
        nbdkit_error("calloc: %m");
        return NULL;
    }
    if (readonly) {
        h->v = vimg_open(0);
    } else {
        pthread_mutex_lock(&shared_lock);
        if (!shared_rw) shared_rw = vimg_open(1);
        if (shared_rw) shared_rw->refs++;
        h->v = shared_rw;
        pthread_mutex_unlock(&shared_lock);
    }
    if (!h->v) {
        free(h);
        return NULL;
    }
    return h;
}

static void vhdx_close_cb(void *hv)
{
    handle *h = hv;
    if (!h->v->writable) {
        (void)vimg_close(h->v);
    } else {
        pthread_mutex_lock(&shared_lock);
        if (--h->v->refs == 0) {
            (void)vimg_close(h->v);
            shared_rw = NULL;
        }
        pthread_mutex_unlock(&shared_lock);
    }
    free(h);
}

static int64_t vhdx_get_size(void *hv)
{
    return (int64_t)((handle *)hv)->v->size;
}

static int vhdx_block_size(void *hv, uint32_t *minimum, uint32_t *preferred,
                           uint32_t *maximum)
{
    const vimg *v = ((handle *)hv)->v;
    *minimum = 1;
    *preferred = v->physical_sector >= 512 ? v->physical_sector : 4096;
    *maximum = 0xffffffff;
    return 0;
}

static int vhdx_can_write(void *hv)
{
    return ((handle *)hv)->v->writable;
}

static int vhdx_can_one(void *hv)
{
    (void)hv;
    return 1;
}

static int vhdx_can_fua(void *hv)
{
    (void)hv;
    return NBDKIT_FUA_NATIVE;
}

/* Takes v->lock for one operation; every callback below goes through these. */
static vimg *lock_v(void *hv)
{
    vimg *v = ((handle *)hv)->v;
    pthread_mutex_lock(&v->lock);
    return v;
}

static int unlock_v(vimg *v, int r)
{
    pthread_mutex_unlock(&v->lock);
    return r;
}

static int vhdx_pread(void *hv, void *buf, uint32_t count, uint64_t offset, uint32_t flags)
{
    (void)flags;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    vimg *v = lock_v(hv);
    int rc = vhdx_read(v->img, offset, buf, count, &d);
    return unlock_v(v, rc == VHDX_OK ? 0 : fail("read", rc, &d));
}

/* With NBDKIT_FLAG_FUA: the operation's result is durable before the reply. */
static int finish_fua(vimg *v, int rc, uint32_t flags, vhdx_diag *d, const char *what)
{
    if (rc == VHDX_OK && (flags & NBDKIT_FLAG_FUA)) rc = vhdx_flush(v->img, d);
    return unlock_v(v, rc == VHDX_OK ? 0 : fail(what, rc, d));
}

static int vhdx_pwrite(void *hv, const void *buf, uint32_t count, uint64_t offset,
                       uint32_t flags)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    vimg *v = lock_v(hv);
    int rc = vhdx_write(v->img, offset, buf, count, &d);
    return finish_fua(v, rc, flags, &d, "write");
}

static int vhdx_flush_cb(void *hv, uint32_t flags)
{
    (void)flags;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    vimg *v = lock_v(hv);
    int rc = vhdx_flush(v->img, &d);
    return unlock_v(v, rc == VHDX_OK ? 0 : fail("flush", rc, &d));
}

/* The range read as zeros without writing data: whole blocks become PAYLOAD_BLOCK_ZERO,
 * and the partial blocks at either end already read as zeros. Never for fixed images
 * (LeaveBlockAllocated: zeroing writes zero bytes). */
static int zero_is_fast(vimg *v, uint64_t off, uint64_t len, int *fast, vhdx_diag *d)
{
    const uint64_t bs = v->block_size, end = off + len;
    *fast = 0;
    if (v->leave_allocated) return VHDX_OK;
    /* the partial blocks: the head [off, next boundary or end), the tail [last boundary,
     * end) unless the head covers it or it is the disk's short last block (whole) */
    uint64_t part[2][2], np = 0, tail = end / bs * bs;
    if (off % bs) {
        uint64_t e = (off / bs + 1) * bs;
        part[np][0] = off;
        part[np++][1] = e < end ? e : end;
    }
    if (end % bs && end != v->size && tail >= off) {
        part[np][0] = tail;
        part[np++][1] = end;
    }
    for (uint64_t i = 0; i < np; i++) {
        uint64_t n = part[i][1] - part[i][0], got;
        int st;
        int rc = vhdx_block_status(v->img, part[i][0], n, &got, &st, d);
        if (rc != VHDX_OK) return rc;
        if (st != VHDX_BLOCK_ZERO || got < n) return VHDX_OK;
    }
    *fast = 1;
    return VHDX_OK;
}

static int vhdx_zero(void *hv, uint32_t count, uint64_t offset, uint32_t flags)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    vimg *v = lock_v(hv);
    if (flags & NBDKIT_FLAG_FAST_ZERO) {
        int fast;
        int rc = zero_is_fast(v, offset, count, &fast, &d);
        if (rc != VHDX_OK) return unlock_v(v, fail("zero", rc, &d));
        if (!fast) {
            nbdkit_set_error(ENOTSUP);
            return unlock_v(v, -1);
        }
    }
    int rc = vhdx_write_zeroes(v->img, offset, count, &d);
    return finish_fua(v, rc, flags, &d, "zero");
}

/* Trim: the whole blocks inside the range stop holding data through vhdx_discard
 * (journaled): PAYLOAD_BLOCK_UNMAPPED in a dynamic image, their file space free for
 * vhdx compact; PAYLOAD_BLOCK_ZERO in a differencing image, which so stops showing its
 * parent there. Partial blocks and fixed images are left as they are, since a trim is
 * advisory. */
static int discard_blocks(vimg *v, uint64_t off, uint64_t len, vhdx_diag *d)
{
    const uint64_t bs = v->block_size, end = off + len;
    uint64_t a = (off + bs - 1) / bs * bs;
    uint64_t b = end == v->size ? end : end / bs * bs;
    if (v->leave_allocated || a >= b) return VHDX_OK;
    return vhdx_discard(v->img, a, b - a, d); /* UNMAPPED (differencing: ZERO), space freed */
}

static int vhdx_trim(void *hv, uint32_t count, uint64_t offset, uint32_t flags)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    vimg *v = lock_v(hv);
    int rc = discard_blocks(v, offset, count, &d);
    return finish_fua(v, rc, flags, &d, "trim");
}

/* NBD extent type of a libvhdx extent: stored data (here or in a parent) is allocated;
 * what reads as zeros without being stored is a hole reading as zeros; a differencing
 * image's bytes that are unknown (no parent) are allocated, so clients read them. */
static uint32_t extent_type(const vhdx_extent *x)
{
    if (x->data || !x->zero) return 0;
    return NBDKIT_EXTENT_HOLE | NBDKIT_EXTENT_ZERO;
}

static int vhdx_extents(void *hv, uint32_t count, uint64_t offset, uint32_t flags,
                        struct nbdkit_extents *ex)
{
    vhdx_diag d;
    vhdx_diag_clear(&d);
    vimg *v = lock_v(hv);
    uint64_t pos = offset, end = offset + count;
    for (unsigned n = 0; pos < end && n < MAX_EXTENTS_PER_CALL; n++) {
        vhdx_extent x;
        int rc = vhdx_extent_at(v->img, pos, end - pos, &x, &d);
        if (rc != VHDX_OK) return unlock_v(v, fail("extents", rc, &d));
        if (nbdkit_add_extent(ex, x.start, x.length, extent_type(&x)) == -1)
            return unlock_v(v, -1);
        pos += x.length;
        if (flags & NBDKIT_FLAG_REQ_ONE) break;
    }
    return unlock_v(v, 0);
}

static struct nbdkit_plugin plugin = {
    .name = "vhdx",
    .longname = "nbdkit VHDX plugin (libvhdx)",
    .version = VHDX_VERSION_STRING,
    .description = "Serves the virtual disk of a Microsoft VHDX image (fixed, dynamic, "
                   "differencing) through libvhdx.",
    .unload = vhdx_unload,
    .config = vhdx_config,
    .config_complete = vhdx_config_complete,
    .config_help = vhdx_config_help,
    .magic_config_key = "file",
    .dump_plugin = vhdx_dump_plugin,
    .get_ready = vhdx_get_ready,
    .open = vhdx_open_cb,
    .close = vhdx_close_cb,
    .get_size = vhdx_get_size,
    .block_size = vhdx_block_size,
    .can_write = vhdx_can_write,
    .can_flush = vhdx_can_one,
    .can_trim = vhdx_can_write,
    .can_zero = vhdx_can_write,
    .can_fast_zero = vhdx_can_one,
    .can_extents = vhdx_can_one,
    .can_fua = vhdx_can_fua,
    .can_multi_conn = vhdx_can_one,
    .pread = vhdx_pread,
    .pwrite = vhdx_pwrite,
    .flush = vhdx_flush_cb,
    .trim = vhdx_trim,
    .zero = vhdx_zero,
    .extents = vhdx_extents,
    .errno_is_preserved = 0,
};

/* defined by NBDKIT_REGISTER_PLUGIN: the one symbol nbdkit looks up */
NBDKIT_DLL_PUBLIC struct nbdkit_plugin *plugin_init(void);
NBDKIT_REGISTER_PLUGIN(plugin)
