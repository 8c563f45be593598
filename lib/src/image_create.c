/* SPDX-License-Identifier: Apache-2.0 */
/*
 * image_create.c - new fixed, dynamic and differencing images.
 *
 * Layout (what Hyper-V writes): file identifier, headers with sequence numbers 0 and 1
 * (header 2 current), two identical region tables (BAT then metadata, both Required = 1),
 * log at 1 MiB, metadata region (1 MiB) after the log, BAT (multiple of 1 MiB) after the
 * metadata region, payload blocks of a fixed image after the BAT. Everything is validated
 * before the first byte is written; vhdx_create writes a temporary file in the target
 * directory and links it into place at the end, so a failed create leaves no file.
 *
 * Parent locator paths on Linux come from img_locator_paths (image_locator.c); only
 * vhdx_create writes relative_path: vhdx_create_io does not know the child's path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"

#define CREATE_DEFAULT_BLOCK      (32u * 1024u * 1024u)
#define CREATE_DEFAULT_DIFF_BLOCK (2u * 1024u * 1024u)
#define CREATE_LOG_OFFSET         MiB
#define CREATE_MD_LENGTH          MiB
#define CREATE_MAX_LOG            ((uint32_t)4095 * 1024 * 1024)
#define CREATE_LOCATOR_MAX        (64u * 1024u)
#define CREATE_PATH_MAX           4096u
#define CREATE_ITEMS_OFFSET       0x10000u /* metadata items packed after the 64 KiB table */
#define CREATE_ITEMS_FIXED        40u      /* file parameters, sizes, sector sizes, disk id */

void(vhdx_create_params_default)(vhdx_create_params *p)
{
    if (!p) return;
    vhdx_create_params full;
    memset(&full, 0, sizeof full);
    full.struct_size = (uint32_t)sizeof full;
    full.type = VHDX_TYPE_DYNAMIC;
    ABI_OUT(p, &full);
}

/* The caller's parameters over the defaults (ABI: struct_size). */
static const vhdx_create_params *params_in(vhdx_create_params *full, const vhdx_create_params *p)
{
    vhdx_create_params_default(full);
    ABI_IN(full, p);
    return full;
}

typedef struct create_plan {
    vhdx_disk_type type;
    uint64_t virtual_size;
    uint32_t block_size, lss, pss, log_size, fp_flags;
    fmt_geometry geo;
    uint64_t log_off, md_off, bat_off, data_off, file_size;
    uint32_t bat_len;
    vhdx_guid file_write_guid, data_write_guid, disk_id;
    uint8_t *locator;
    size_t locator_len;
    const char *creator;
    size_t buf_size; /* write_image's buffer */
} create_plan;

static int param_fail(vhdx_diag *diag, const char *field, const char *detail)
{
    int rc = VHDX_FAIL(diag, VHDX_E_CREATE_PARAM, VHDX_NO_OFFSET, field);
    if (diag && detail && diag->detail[0] == '\0')
        snprintf(diag->detail, sizeof diag->detail, "%s", detail);
    return rc;
}

static int build_locator(create_plan *pl, const vhdx_guid *linkage, const char *parent_real,
                         const char *child_path, vhdx_diag *diag)
{
    char link[40];
    char rel[CREATE_PATH_MAX], absw[CREATE_PATH_MAX + 8];
    const char *keys[3], *vals[3];
    size_t n = 0, written = 0;
    int rc;

    vhdx_guid_format(linkage, link, sizeof link, 1);
    keys[n] = "parent_linkage";
    vals[n++] = link;
    if (img_locator_paths(child_path, parent_real, rel, sizeof rel, absw, sizeof absw) != VHDX_OK)
        return param_fail(diag, "parent_path", "path too long");
    if (rel[0]) {
        keys[n] = "relative_path";
        vals[n++] = rel;
    }
    keys[n] = "absolute_win32_path";
    vals[n++] = absw;
    pl->locator = vhdx_malloc(CREATE_LOCATOR_MAX);
    if (!pl->locator) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    rc = fmt_locator_build(keys, vals, n, pl->locator, CREATE_LOCATOR_MAX, &written);
    if (rc != VHDX_OK) return param_fail(diag, "parent_path", "parent locator does not fit");
    pl->locator_len = written;
    return VHDX_OK;
}

/* ---- planning (no writes) ---------------------------------------------------------- */

/* Collects the codes fmt_geometry_validate reports (R92, R95-R97): create refuses the
 * parameters instead of writing a nonconformant file. */
typedef struct geo_sink {
    vhdx_sink sink;
    unsigned bad;                 /* GEO_* */
} geo_sink;
enum { GEO_BLOCK = 1u, GEO_LSS = 2u, GEO_PSS = 4u, GEO_SIZE = 8u };

static int geo_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                      const char *detail, const char *src_file, int src_line)
{
    geo_sink *gs = s->ctx;
    (void)offset; (void)field; (void)detail; (void)src_file; (void)src_line;
    if (code == VHDX_E_BLOCK_SIZE) gs->bad |= GEO_BLOCK;
    else if (code == VHDX_E_LOGICAL_SECTOR) gs->bad |= GEO_LSS;
    else if (code == VHDX_E_PHYSICAL_SECTOR) gs->bad |= GEO_PSS;
    else if (code == VHDX_E_DISK_SIZE) gs->bad |= GEO_SIZE;
    return VHDX_OK;
}

static unsigned geo_check(uint64_t vsize, uint32_t block, uint32_t lss, uint32_t pss, uint32_t flags)
{
    geo_sink gs = { { geo_report, NULL }, 0 };
    gs.sink.ctx = &gs;
    (void)fmt_geometry_validate(vsize, block, lss, pss, flags, &gs.sink, VHDX_NO_OFFSET,
                                VHDX_NO_OFFSET, VHDX_NO_OFFSET, VHDX_NO_OFFSET);
    return gs.bad;
}

/* The caller's block size, sector sizes and log size (defaults filled in). The virtual
 * size waits for the parent (a differencing image has its parent's). */
static int plan_params(const vhdx_create_params *p, create_plan *pl, vhdx_diag *diag)
{
    if (p->type != VHDX_TYPE_FIXED && p->type != VHDX_TYPE_DYNAMIC && p->type != VHDX_TYPE_DIFFERENCING)
        return param_fail(diag, "type", "unknown disk type");
    pl->type = p->type;
    pl->block_size = p->block_size ? p->block_size
                     : (p->type == VHDX_TYPE_DIFFERENCING ? CREATE_DEFAULT_DIFF_BLOCK : CREATE_DEFAULT_BLOCK);
    pl->pss = p->physical_sector_size ? p->physical_sector_size : 4096;
    unsigned bad = geo_check(p->virtual_size, pl->block_size,
                             p->logical_sector_size ? p->logical_sector_size : 512, pl->pss, 0);
    if (bad & GEO_BLOCK) /* R92 */
        return param_fail(diag, "block_size", "block size must be a power of two from 1 MiB to 256 MiB");
    if (bad & GEO_LSS) /* R96 */
        return param_fail(diag, "logical_sector_size", "logical sector size must be 512 or 4096");
    if (bad & GEO_PSS) /* R97 */
        return param_fail(diag, "physical_sector_size", "physical sector size must be 512 or 4096");
    pl->log_size = p->log_size ? p->log_size : (uint32_t)MiB;
    if (pl->log_size % MiB != 0 || pl->log_size > CREATE_MAX_LOG) /* R17 */
        return param_fail(diag, "log_size", "log size must be a multiple of 1 MiB below 4 GiB");
    pl->creator = p->creator ? p->creator : "libvhdx " VHDX_VERSION_STRING;
    return VHDX_OK;
}

/* The child would be one level deeper than the parent's chain: refused when that passes
 * the default chain limit, which every open of the child would refuse. A parent whose own
 * chain does not open for another reason (a missing grandparent) is not this create's
 * concern. */
static int check_chain_depth(const char *parent, vhdx_diag *diag)
{
    vhdx_open_opts o;
    vhdx_image *img = NULL;
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_IGNORE_LINKAGE;
    int rc = vhdx_open_file(&img, parent, &o, NULL), depth = 0;
    if (rc == VHDX_OK) {
        depth = img->chain_depth;
        (void)vhdx_close(img);
    }
    if (rc != VHDX_E_LIMIT_CHAIN && (uint64_t)depth + 1 <= o.limits.max_chain_depth)
        return VHDX_OK;
    rc = VHDX_FAIL(diag, VHDX_E_LIMIT_CHAIN, VHDX_NO_OFFSET, "parent chain");
    if (diag && diag->code == rc)
        snprintf(diag->detail, sizeof diag->detail,
                 "the child would be level %d of its chain; the limit is %u", depth ? depth + 1 : 0,
                 (unsigned)o.limits.max_chain_depth);
    return rc;
}

/* Differencing: size, logical sector size and disk id are the parent's; the locator links
 * to its DataWriteGuid (R104). */
static int plan_parent(const vhdx_create_params *p, const char *child_path, create_plan *pl,
                       vhdx_diag *diag)
{
    vhdx_image *par = NULL;
    vhdx_open_opts o;
    vhdx_diag pd;
    int rc;
    if (!p->parent_path || !p->parent_path[0])
        return param_fail(diag, "parent_path", "a differencing image needs a parent");
    char *real = realpath(p->parent_path, NULL);
    if (!real) {
        rc = VHDX_FAIL(diag, VHDX_E_PARENT_NOT_FOUND, VHDX_NO_OFFSET, "parent_path");
        if (diag) snprintf(diag->detail, sizeof diag->detail, "%s", p->parent_path);
        return rc;
    }
    rc = check_chain_depth(real, diag);
    if (rc != VHDX_OK) {
        free(real);
        return rc;
    }
    vhdx_open_opts_default(&o);
    o.flags = VHDX_OPEN_NO_PARENT | VHDX_OPEN_IGNORE_LINKAGE;
    vhdx_diag_clear(&pd);
    rc = vhdx_open_file(&par, real, &o, &pd);
    if (rc != VHDX_OK) {
        if (diag && diag->code == VHDX_OK) {
            *diag = pd;
            /* "parent " and what the open said about the path (e.g. "P is a FIFO") */
            const char *what = pd.detail[0] ? pd.detail : real;
            size_t n = strnlen(what, sizeof diag->detail - 8);
            memcpy(diag->detail, "parent ", 7);
            memcpy(diag->detail + 7, what, n);
            diag->detail[7 + n] = '\0';
        }
        free(real);
        return rc;
    }
    if (p->virtual_size != 0 && p->virtual_size != par->geo.virtual_size)
        rc = param_fail(diag, "virtual_size", "a differencing image has its parent's size");
    else if (p->logical_sector_size != 0 && p->logical_sector_size != par->geo.logical_sector_size)
        rc = param_fail(diag, "logical_sector_size", "the parent's logical sector size differs (R96)");
    if (rc == VHDX_OK) {
        pl->virtual_size = par->geo.virtual_size;
        pl->lss = par->geo.logical_sector_size;
        pl->disk_id = par->virtual_disk_id;
        pl->fp_flags = VHDX_FP_HAS_PARENT;
        rc = build_locator(pl, &par->hdr[par->cur].data_write_guid, real, child_path, diag);
    }
    (void)vhdx_close(par);
    free(real); /* realpath: the C library's */
    return rc;
}

/* Geometry (R95 on the final size), file layout and the new GUIDs. */
static int plan_layout(const vhdx_create_params *p, create_plan *pl, vhdx_diag *diag)
{
    if (geo_check(pl->virtual_size, pl->block_size, pl->lss, pl->pss, pl->fp_flags) & GEO_SIZE)
        return param_fail(diag, "virtual_size",
                          "size must be non-zero, a multiple of the logical sector size and at most 64 TiB");
    int rc = fmt_geometry_compute(&pl->geo, pl->virtual_size, pl->block_size, pl->lss, pl->pss, pl->fp_flags);
    if (rc != VHDX_OK) return param_fail(diag, "geometry", "invalid geometry");
    uint64_t bat_bytes = vhdx_div_round_up(pl->geo.bat_entries * 8, MiB) * MiB;
    if (bat_bytes > (uint64_t)UINT32_MAX - MiB + 1) return param_fail(diag, "block_size", "BAT too large");
    pl->bat_len = (uint32_t)bat_bytes;
    pl->log_off = CREATE_LOG_OFFSET;
    pl->md_off = pl->log_off + pl->log_size;
    pl->bat_off = pl->md_off + CREATE_MD_LENGTH;
    pl->data_off = pl->bat_off + pl->bat_len;
    pl->file_size = pl->data_off;
    if (p->type == VHDX_TYPE_FIXED) pl->file_size += pl->geo.payload_blocks * pl->block_size;

    const vhdx_guid_gen *gen = p->guid_gen ? p->guid_gen : vhdx_guid_gen_default();
    rc = vhdx_guid_generate(gen, &pl->file_write_guid);
    if (rc == VHDX_OK) rc = vhdx_guid_generate(gen, &pl->data_write_guid);
    if (rc == VHDX_OK && p->type != VHDX_TYPE_DIFFERENCING) rc = vhdx_guid_generate(gen, &pl->disk_id);
    if (rc != VHDX_OK) return VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "guid_gen");
    return VHDX_OK;
}

static int plan_create(const vhdx_create_params *p, const char *child_path, create_plan *pl,
                       vhdx_diag *diag)
{
    memset(pl, 0, sizeof *pl);
    if (!p) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    int rc = plan_params(p, pl, diag);
    if (rc != VHDX_OK) return rc;
    if (p->type == VHDX_TYPE_DIFFERENCING) {
        rc = plan_parent(p, child_path, pl, diag);
        if (rc != VHDX_OK) return rc;
    } else {
        if (p->parent_path) return param_fail(diag, "parent_path", "only differencing images have a parent");
        pl->virtual_size = p->virtual_size;
        pl->lss = p->logical_sector_size ? p->logical_sector_size : 512;
        pl->fp_flags = p->type == VHDX_TYPE_FIXED ? VHDX_FP_LEAVE_BLOCK_ALLOCATED : 0;
    }
    return plan_layout(p, pl, diag);
}

/* ---- writing ----------------------------------------------------------------------- */

static int io_write(vhdx_io *io, uint64_t off, const void *buf, size_t len, vhdx_diag *diag)
{
    errno = 0;
    int rc = io->write_at(io->ctx, off, buf, len);
    if (rc != VHDX_OK) return img_io_fail(diag, rc, off, "create", errno);
    return VHDX_OK;
}

static void add_md(fmt_metadata_table *t, const vhdx_guid *id, uint32_t off, uint32_t len,
                   uint32_t flags)
{
    fmt_metadata_entry *e = &t->entries[t->entry_count];
    e->item_id = *id;
    e->offset = off;
    e->length = len;
    e->flags = flags;
    t->entry_count++;
    t->decoded = t->entry_count;
}

/* [MS-VHDX 2.2.1] R6: file type identifier; [2.2.2] headers: sequence 0 and 1, LogGuid zero */
static int write_fileid_headers(vhdx_io *io, const create_plan *pl, uint8_t *buf, vhdx_diag *diag)
{
    fmt_fileid fid;
    memset(&fid, 0, sizeof fid);
    memcpy(fid.signature, "vhdxfile", 8);
    fmt_fileid_set_creator(&fid, pl->creator);
    (void)fmt_fileid_encode(&fid, buf, VHDX_FILEID_SIZE);
    int rc = io_write(io, 0, buf, VHDX_FILEID_SIZE, diag);
    for (int i = 0; i < 2 && rc == VHDX_OK; i++) {
        fmt_header h;
        memset(&h, 0, sizeof h);
        h.signature = VHDX_SIG_HEAD;
        h.sequence_number = (uint64_t)i;
        h.file_write_guid = pl->file_write_guid;
        h.data_write_guid = pl->data_write_guid;
        h.log_version = 0;
        h.version = 1;
        h.log_length = pl->log_size;
        h.log_offset = pl->log_off;
        memset(buf, 0, VHDX_HEADER_SIZE);
        (void)fmt_header_encode(&h, buf, VHDX_HEADER_SIZE);
        rc = io_write(io, i ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET, buf, VHDX_HEADER_SIZE, diag);
    }
    return rc;
}

/* [MS-VHDX 2.2.3] two identical region tables, Required = 1 */
static int write_regions(vhdx_io *io, const create_plan *pl, uint8_t *buf, fmt_region_table *rt,
                         vhdx_diag *diag)
{
    rt->signature = VHDX_SIG_REGI;
    rt->entry_count = 2;
    rt->decoded = 2;
    rt->entries[0].guid = VHDX_GUID_BAT_REGION;
    rt->entries[0].file_offset = pl->bat_off;
    rt->entries[0].length = pl->bat_len;
    rt->entries[0].required = 1;
    rt->entries[1].guid = VHDX_GUID_METADATA_REGION;
    rt->entries[1].file_offset = pl->md_off;
    rt->entries[1].length = (uint32_t)CREATE_MD_LENGTH;
    rt->entries[1].required = 1;
    (void)fmt_region_table_encode(rt, buf, VHDX_RT_SIZE);
    int rc = io_write(io, VHDX_RT1_OFFSET, buf, VHDX_RT_SIZE, diag);
    if (rc == VHDX_OK) rc = io_write(io, VHDX_RT2_OFFSET, buf, VHDX_RT_SIZE, diag);
    return rc;
}

/* [MS-VHDX 2.6] metadata region: table, then the items packed from 64 KiB */
static int write_metadata(vhdx_io *io, const create_plan *pl, uint8_t *buf, fmt_metadata_table *mt,
                          vhdx_diag *diag)
{
    const uint32_t req = VHDX_MD_FLAG_IS_REQUIRED, vreq = VHDX_MD_FLAG_IS_REQUIRED | VHDX_MD_FLAG_IS_VIRTUAL_DISK;
    uint32_t ioff = CREATE_ITEMS_OFFSET;
    fmt_file_parameters fp;
    memset(buf, 0, pl->buf_size);
    mt->signature = VHDX_SIG_METADATA;
    fp.block_size = pl->block_size;
    fp.flags = pl->fp_flags;
    add_md(mt, &VHDX_GUID_FILE_PARAMETERS, ioff, 8, req);
    (void)fmt_file_parameters_encode(&fp, buf + ioff, 8);
    ioff += 8;
    add_md(mt, &VHDX_GUID_VIRTUAL_DISK_SIZE, ioff, 8, vreq);
    (void)fmt_u64_item_encode(pl->virtual_size, buf + ioff, 8);
    ioff += 8;
    add_md(mt, &VHDX_GUID_LOGICAL_SECTOR_SIZE, ioff, 4, vreq);
    (void)fmt_u32_item_encode(pl->lss, buf + ioff, 4);
    ioff += 4;
    add_md(mt, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, ioff, 4, vreq);
    (void)fmt_u32_item_encode(pl->pss, buf + ioff, 4);
    ioff += 4;
    add_md(mt, &VHDX_GUID_VIRTUAL_DISK_ID, ioff, 16, vreq);
    (void)fmt_guid_item_encode(&pl->disk_id, buf + ioff, 16);
    ioff += 16;
    if (pl->locator) {
        add_md(mt, &VHDX_GUID_PARENT_LOCATOR, ioff, (uint32_t)pl->locator_len, req);
        memcpy(buf + ioff, pl->locator, pl->locator_len);
        ioff += (uint32_t)pl->locator_len;
    }
    (void)fmt_metadata_table_encode(mt, buf, VHDX_MD_TABLE_SIZE);
    return io_write(io, pl->md_off, buf, ioff, diag);
}

/* [MS-VHDX 2.5] BAT of a fixed image: every payload block FULLY_PRESENT, SB slots
 * NOT_PRESENT (dynamic/differencing: all NOT_PRESENT, zero from the file extension) */
static int write_fixed_bat(vhdx_io *io, const create_plan *pl, uint8_t *buf, vhdx_diag *diag)
{
    uint64_t idx = 0, b = 0, cr = pl->geo.chunk_ratio;
    int rc = VHDX_OK;
    while (idx < pl->geo.bat_entries && rc == VHDX_OK) {
        uint64_t start = idx;
        size_t k = 0;
        memset(buf, 0, pl->buf_size);
        while (idx < pl->geo.bat_entries && k < pl->buf_size / 8) {
            uint64_t e = 0;
            if (!fmt_bat_is_sb_slot(idx, cr)) {
                e = fmt_bat_make(VHDX_PB_FULLY_PRESENT, pl->data_off + b * pl->block_size);
                b++;
            }
            vhdx_put64(buf + k * 8, e);
            k++;
            idx++;
        }
        rc = io_write(io, pl->bat_off + start * 8, buf, k * 8, diag);
    }
    return rc;
}

/* the rest (log, BAT tail, fixed payload) is zero: extend the file sparsely, then flush */
static int write_extend(vhdx_io *io, const create_plan *pl, uint8_t *buf, vhdx_diag *diag)
{
    int rc = VHDX_OK;
    if (io->set_size) {
        errno = 0;
        rc = io->set_size(io->ctx, pl->file_size);
        if (rc != VHDX_OK) return img_io_fail(diag, rc, pl->file_size, "create", errno);
    } else {
        uint64_t cur = 0;
        if (io->get_size(io->ctx, &cur) == VHDX_OK && cur < pl->file_size) {
            memset(buf, 0, pl->buf_size);
            while (cur < pl->file_size && rc == VHDX_OK) {
                size_t n = pl->file_size - cur > pl->buf_size ? pl->buf_size : (size_t)(pl->file_size - cur);
                rc = io_write(io, cur, buf, n, diag);
                cur += n;
            }
            if (rc != VHDX_OK) return rc;
        }
    }
    errno = 0;
    rc = io->flush(io->ctx);
    if (rc != VHDX_OK) return img_io_fail(diag, rc, VHDX_NO_OFFSET, "create flush", errno);
    return VHDX_OK;
}

/* One buffer for every structure, no larger than they need: the metadata table and its
 * items (64 KiB + 40 bytes + the parent locator), a fixed image's BAT up to 1 MiB (written
 * in 1 MiB pieces beyond), 1 MiB for the zero fill of a backend without set_size. Writes
 * are the same as with the 1 MiB buffer of every create before, which was a fresh mapping
 * and 256 page faults per create under ASan and with many allocators. */
static int write_image(vhdx_io *io, create_plan *pl, vhdx_diag *diag)
{
    uint64_t bat = pl->type == VHDX_TYPE_FIXED ? pl->geo.bat_entries * 8 : 0;
    pl->buf_size = (size_t)CREATE_ITEMS_OFFSET + CREATE_ITEMS_FIXED + pl->locator_len;
    if (bat > pl->buf_size) pl->buf_size = bat < MiB ? (size_t)bat : (size_t)MiB;
    if (!io->set_size) pl->buf_size = MiB;
    uint8_t *buf = vhdx_calloc(1, pl->buf_size);
    fmt_region_table *rt = vhdx_calloc(1, sizeof *rt);
    fmt_metadata_table *mt = vhdx_calloc(1, sizeof *mt);
    int rc = VHDX_OK;
    if (!buf || !rt || !mt) rc = VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    if (rc == VHDX_OK) rc = write_fileid_headers(io, pl, buf, diag);
    if (rc == VHDX_OK) rc = write_regions(io, pl, buf, rt, diag);
    if (rc == VHDX_OK) rc = write_metadata(io, pl, buf, mt, diag);
    if (rc == VHDX_OK && pl->type == VHDX_TYPE_FIXED) rc = write_fixed_bat(io, pl, buf, diag);
    if (rc == VHDX_OK) rc = write_extend(io, pl, buf, diag);
    vhdx_free(buf);
    vhdx_free(rt);
    vhdx_free(mt);
    return rc;
}

int vhdx_create_io(vhdx_io *io, const vhdx_create_params *p, vhdx_diag *diag)
{
    create_plan pl;
    uint64_t size = 0;
    int rc;

    if (!io || !p) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_create_params full;
    p = params_in(&full, p);
    rc = plan_create(p, NULL, &pl, diag);
    if (rc == VHDX_OK) {
        rc = io->get_size(io->ctx, &size);
        if (rc != VHDX_OK) rc = VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "create");
        else if (size != 0) rc = VHDX_FAIL(diag, VHDX_E_EXISTS, VHDX_NO_OFFSET, "create: backend not empty");
    }
    if (rc == VHDX_OK) rc = write_image(io, &pl, diag);
    vhdx_free(pl.locator);
    return rc;
}

int vhdx_create(const char *path, const vhdx_create_params *p, vhdx_diag *diag)
{
    create_plan pl;
    struct stat st;
    memset(&st, 0, sizeof st); /* clang-14 MSan does not intercept glibc >= 2.33 (l)stat */
    char *tmp = NULL;
    vhdx_io io;
    int rc, fd;
    mode_t um;

    if (!path || !path[0] || !p) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_create_params full;
    p = params_in(&full, p);
    rc = plan_create(p, path, &pl, diag);
    if (rc != VHDX_OK) { vhdx_free(pl.locator); return rc; }
    if (lstat(path, &st) == 0) {
        vhdx_free(pl.locator);
        rc = VHDX_FAIL(diag, VHDX_E_EXISTS, VHDX_NO_OFFSET, "path");
        if (diag) snprintf(diag->detail, sizeof diag->detail, "%s", path);
        return rc;
    }
    tmp = vhdx_malloc(strlen(path) + 16);
    if (!tmp) { vhdx_free(pl.locator); return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL); }
    sprintf(tmp, "%s.tmp-XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        vhdx_free(pl.locator);
        vhdx_free(tmp);
        int e = errno;
        return img_io_fail(diag, e == ENOENT ? VHDX_E_NOT_FOUND : VHDX_E_IO, VHDX_NO_OFFSET, "path", e);
    }
    um = umask(0);
    umask(um);
    (void)fchmod(fd, (mode_t)(0666 & ~um));
    close(fd);
    rc = vhdx_io_file_open(&io, tmp, VHDX_IO_RDWR);
    if (rc != VHDX_OK) {
        rc = VHDX_FAIL(diag, rc, VHDX_NO_OFFSET, "path");
    } else {
        rc = write_image(&io, &pl, diag);
        vhdx_io_destroy(&io);
    }
    if (rc == VHDX_OK) {
        /* link() refuses to replace a file that appeared meanwhile; rename() is the
         * fallback for file systems without hard links */
        if (link(tmp, path) != 0) {
            if (errno == EEXIST) rc = VHDX_FAIL(diag, VHDX_E_EXISTS, VHDX_NO_OFFSET, "path");
            else if (lstat(path, &st) == 0) rc = VHDX_FAIL(diag, VHDX_E_EXISTS, VHDX_NO_OFFSET, "path");
            else if (rename(tmp, path) != 0) rc = img_io_fail(diag, VHDX_E_IO, VHDX_NO_OFFSET, "path", errno);
        }
    }
    (void)unlink(tmp);
    if (rc == VHDX_OK) {
        char dir[CREATE_PATH_MAX];
        if (img_abs_dir_of(path, dir, sizeof dir) == VHDX_OK) {
            int dfd = open(dir, O_RDONLY | O_DIRECTORY);
            if (dfd >= 0) { (void)fsync(dfd); close(dfd); }
        }
    }
    vhdx_free(tmp);
    vhdx_free(pl.locator);
    return rc;
}
