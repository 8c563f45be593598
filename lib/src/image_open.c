/* image_open.c - open and close: every statically checkable rule that affects reading is
 * validated here, in file order, through a findings sink. vhdx_open stops at the first
 * fatal finding; vhdx_check (image_check.c) runs the same code with a collecting sink and
 * continues wherever the structure allows it. */
#include <stdio.h>
#include <stdlib.h>

#include "image.h"

void vhdx_limits_default(vhdx_limits *l)
{
    if (!l) return;
    l->max_bat_memory = 64 * MiB;
    l->max_metadata_item = MiB;
    l->max_log_length = GiB;
    l->max_overlay_memory = 256 * MiB;
    l->max_chain_depth = 16;
}

void vhdx_open_opts_default(vhdx_open_opts *o)
{
    if (!o) return;
    memset(o, 0, sizeof *o);
    vhdx_limits_default(&o->limits);
}

/* ---- open state: a sink wrapper that remembers what was reported ---- */

typedef struct open_state {
    vhdx_sink sink;               /* handed to every validator */
    vhdx_sink *inner;             /* caller's sink (NULL: stop at first fatal) */
    vhdx_diag *diag;
    int first_fatal;
    unsigned long nfatal;
    uint8_t seen[(VHDX_STATUS_COUNT + 7) / 8];
    const img_open_hooks *hooks;
    vhdx_image *img;
    uint64_t hdr_base;            /* file offset of the current header */
    uint64_t log_off, log_len;    /* usable log range (len 0: none) */
    uint64_t rt_base;             /* file offset of the region table copy in use */
    int bat_idx, md_idx;
} open_state;

static int os_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                     const char *detail, const char *src_file, int src_line)
{
    open_state *os = s->ctx;
    if (code > 0 && code < (int)VHDX_STATUS_COUNT)
        os->seen[code / 8] = (uint8_t)(os->seen[code / 8] | (1u << (code % 8)));
    if (vhdx_status_is_fatal(code)) {
        os->nfatal++;
        if (os->first_fatal == VHDX_OK) os->first_fatal = code;
        if (os->diag && os->diag->code == VHDX_OK) {
            vhdx_diag_set(os->diag, code, offset, field, src_file, src_line);
            if (detail) snprintf(os->diag->detail, sizeof os->diag->detail, "%s", detail);
        }
    }
    return vhdx_sink_report(os->inner, code, offset, field, detail, src_file, src_line);
}

static int os_seen(const open_state *os, int code)
{
    return code > 0 && code < (int)VHDX_STATUS_COUNT && (os->seen[code / 8] >> (code % 8)) & 1u;
}

/* A finding: returns the sink's verdict (VHDX_OK = go on). */
#define NOTE(os, code, off, field, detail) \
    vhdx_sink_report(&(os)->sink, (code), (off), (field), (detail), __FILE__, __LINE__)

/* A structural stop: report (unless a validator already reported this code) and return the
 * code whatever the sink says. */
static int os_stop(open_state *os, int code, uint64_t off, const char *field,
                   const char *detail, const char *file, int line)
{
    if (!os_seen(os, code))
        (void)vhdx_sink_report(&os->sink, code, off, field, detail, file, line);
    return code;
}
#define STOP(os, code, off, field, detail) os_stop((os), (code), (off), (field), (detail), __FILE__, __LINE__)

/* Forward a failure recorded in a local diag (log/parent helpers) as a finding. */
static int os_stop_diag(open_state *os, int rc, const vhdx_diag *d, const char *file, int line)
{
    int code = d->code != VHDX_OK ? d->code : rc;
    (void)vhdx_sink_report(&os->sink, code, d->offset, d->field, d->detail[0] ? d->detail : NULL,
                           d->src_file ? d->src_file : file, d->src_file ? d->src_line : line);
    return code;
}

static int read_at(open_state *os, uint64_t off, void *buf, size_t len, const char *field)
{
    int rc = img_pread(os->img, off, buf, len, NULL);
    if (rc != VHDX_OK) return STOP(os, rc, off, field, NULL);
    return VHDX_OK;
}

/* ---- file identifier (2.2.1) ---- */

static int step_fileid(open_state *os)
{
    vhdx_image *img = os->img;
    int rc = img->io->get_size(img->io->ctx, &img->file_size);
    if (rc != VHDX_OK) return STOP(os, rc, VHDX_NO_OFFSET, "file size", NULL);
    /* D2: the header section alone is 1 MiB */
    if (img->file_size < VHDX_HEADER_SECTION)
        return STOP(os, VHDX_E_TOO_SMALL, img->file_size, "file size", NULL);
    uint8_t buf[FILEID_DEFINED];
    rc = read_at(os, VHDX_FILEID_OFFSET, buf, sizeof buf, "FileTypeIdentifier");
    if (rc != VHDX_OK) return rc;
    rc = fmt_fileid_decode(buf, sizeof buf, &img->fileid);
    if (rc != VHDX_OK) return STOP(os, rc, 0, "FileTypeIdentifier", NULL);
    rc = fmt_fileid_validate(&img->fileid, &os->sink, VHDX_FILEID_OFFSET);
    if (rc != VHDX_OK) return rc;
    /* [MS-VHDX 2.2.1] R4/R7: not a VHDX file: nothing else can be interpreted */
    if (memcmp(img->fileid.signature, "vhdxfile", 8) != 0)
        return STOP(os, VHDX_E_FILEID_SIGNATURE, 0, "file_identifier.Signature", NULL);
    return VHDX_OK;
}

/* ---- headers (2.2.2) ---- */

static const char *header_defect(const uint8_t *raw)
{
    return vhdx_le32(raw) != VHDX_SIG_HEAD ? "signature is not \"head\"" : "CRC-32C mismatch";
}

static int step_headers(open_state *os)
{
    vhdx_image *img = os->img;
    static const uint64_t base[2] = { VHDX_HEADER1_OFFSET, VHDX_HEADER2_OFFSET };
    static const char *const names[2] = { "header[0]", "header[1]" };
    int rc;
    for (int i = 0; i < 2; i++) {
        rc = read_at(os, base[i], img->hdr_raw[i], VHDX_HEADER_SIZE, names[i]);
        if (rc != VHDX_OK) return rc;
    }
    int cur = 0, valid[2] = { 0, 0 }, identical = 0;
    rc = fmt_header_select(img->hdr_raw[0], img->hdr_raw[1], &cur, valid, &identical);
    img->hdr_valid[0] = valid[0];
    img->hdr_valid[1] = valid[1];
    if (rc == VHDX_E_NO_VALID_HEADER) {
        char d[160];
        snprintf(d, sizeof d, "header 1: %s; header 2: %s", header_defect(img->hdr_raw[0]),
                 header_defect(img->hdr_raw[1]));
        /* [MS-VHDX 2.2.2] R11: no current header: the file is corrupt */
        return STOP(os, rc, VHDX_HEADER1_OFFSET, "header", d);
    }
    if (rc == VHDX_E_HEADER_SEQ_EQUAL)
        return STOP(os, rc, VHDX_HEADER2_OFFSET + HDR_OFF_SEQUENCE, "header[1].SequenceNumber",
                    NULL);
    if (rc != VHDX_OK) return STOP(os, rc, VHDX_HEADER1_OFFSET, "header", NULL);
    for (int i = 0; i < 2; i++) {
        if (!valid[i]) continue;
        rc = fmt_header_decode(img->hdr_raw[i], VHDX_HEADER_SIZE, &img->hdr[i]);
        if (rc != VHDX_OK) return STOP(os, rc, base[i], names[i], NULL);
    }
    img->cur = cur;
    img->headers_identical = identical;
    if (identical) {
        rc = NOTE(os, VHDX_W_HEADERS_IDENTICAL, VHDX_HEADER1_OFFSET + HDR_OFF_SEQUENCE,
                  "header.SequenceNumber", NULL);
        if (rc != VHDX_OK) return rc;
    }
    for (int i = 0; i < 2; i++) {
        if (valid[i]) continue;
        /* a torn header write must not make the image unreadable: tolerated */
        rc = NOTE(os, VHDX_W_HEADER_INVALID_COPY, base[i], names[i],
                  header_defect(img->hdr_raw[i]));
        if (rc != VHDX_OK) return rc;
    }
    if (valid[0] && valid[1] && !identical &&
        (memcmp(img->hdr_raw[0] + HDR_OFF_FILE_WRITE_GUID, img->hdr_raw[1] + HDR_OFF_FILE_WRITE_GUID,
                VHDX_HEADER_SIZE - HDR_OFF_FILE_WRITE_GUID) != 0)) {
        rc = NOTE(os, VHDX_W_HEADER_FIELDS_DIFFER, base[1 - cur], names[1 - cur], NULL);
        if (rc != VHDX_OK) return rc;
    }

    const fmt_header *h = &img->hdr[cur];
    uint64_t hb = base[cur];
    os->hdr_base = hb;
    rc = fmt_header_validate(h, img->hdr_raw[cur], &os->sink, hb);
    if (rc != VHDX_OK) return rc;
    int log_guid_set = !vhdx_guid_is_zero(&h->log_guid);
    /* [MS-VHDX 2.2.2] R16: another version must not be processed with these rules */
    if (h->version != 1)
        return STOP(os, VHDX_E_HEADER_VERSION, hb + HDR_OFF_VERSION, "header.Version", NULL);
    /* R15: LogVersion != 0 stops us only when there is a log to interpret */
    if (h->log_version != 0 && log_guid_set)
        return STOP(os, VHDX_E_HEADER_LOG_VERSION, hb + HDR_OFF_LOG_VERSION, "header.LogVersion",
                    NULL);
    /* R14: a log GUID without a log */
    if (log_guid_set && h->log_length == 0)
        return STOP(os, VHDX_E_LOG_GUID_NO_LOG, hb + HDR_OFF_LOG_GUID, "header.LogGuid", NULL);

    uint64_t lo = h->log_offset, ll = h->log_length;
    os->log_off = 0;
    os->log_len = 0;
    if (ll != 0) {
        /* R17/R18 (reported by the validator): an unusable log location is fatal only when
         * the log must be read; otherwise it is left out of the overlap checks */
        if (ll % MiB != 0) {
            if (log_guid_set)
                return STOP(os, VHDX_E_HEADER_LOG_LENGTH, hb + HDR_OFF_LOG_LENGTH,
                            "header.LogLength", NULL);
        } else if (lo % MiB != 0 || lo < VHDX_HEADER_SECTION) {
            if (log_guid_set)
                return STOP(os, VHDX_E_HEADER_LOG_OFFSET, hb + HDR_OFF_LOG_OFFSET,
                            "header.LogOffset", NULL);
        } else if (!vhdx_range_ok(lo, ll, img->file_size)) {
            /* D3: the log lies (partly) beyond the end of the file */
            if (log_guid_set)
                return STOP(os, VHDX_E_LOG_OUTSIDE_FILE, hb + HDR_OFF_LOG_OFFSET,
                            "header.LogOffset", NULL);
            rc = NOTE(os, VHDX_E_LOG_OUTSIDE_FILE, hb + HDR_OFF_LOG_OFFSET, "header.LogOffset",
                      NULL);
            if (rc != VHDX_OK) return rc;
            if (lo < ((uint64_t)1 << 62)) { os->log_off = lo; os->log_len = ll; }
        } else {
            os->log_off = lo;
            os->log_len = ll;
        }
    }
    return VHDX_OK;
}

/* ---- log (2.3): replay before anything else is read (R58) ---- */

static int step_log(open_state *os)
{
    vhdx_image *img = os->img;
    const fmt_header *h = &img->hdr[img->cur];
    if (vhdx_guid_is_zero(&h->log_guid)) return VHDX_OK;
    img->log_dirty_at_open = 1;
    int rc = NOTE(os, VHDX_I_LOG_DIRTY, os->hdr_base + HDR_OFF_LOG_GUID, "header.LogGuid", NULL);
    if (rc != VHDX_OK) return rc;
    /* R59: a caller that does not want replay gets a refusal, never stale data */
    if (img->flags & VHDX_OPEN_NO_REPLAY)
        return STOP(os, VHDX_E_LOG_REPLAY_REQUIRED, os->hdr_base + HDR_OFF_LOG_GUID,
                    "header.LogGuid", NULL);
    vhdx_diag d;
    vhdx_diag_clear(&d);
    rc = img_log_open(img, &d);
    if (rc != VHDX_OK) return os_stop_diag(os, rc, &d, __FILE__, __LINE__);
    /* the replay may have rewritten the headers (read-write) */
    os->hdr_base = img->cur ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET;
    return VHDX_OK;
}

/* ---- region table (2.2.3) ---- */

static const char *rt_defect(const uint8_t *raw, int *code)
{
    if (vhdx_le32(raw) != VHDX_SIG_REGI) { *code = VHDX_E_RT_SIGNATURE; return "signature is not \"regi\""; }
    *code = VHDX_E_RT_CHECKSUM;
    return "CRC-32C mismatch";
}

static int region_usable(const fmt_region_entry *e)
{
    return e->file_offset % MiB == 0 && e->file_offset >= MiB && e->length % MiB == 0 &&
           e->length != 0 && e->file_offset < ((uint64_t)1 << 62);
}

static int step_regions(open_state *os)
{
    vhdx_image *img = os->img;
    static const uint64_t base[2] = { VHDX_RT1_OFFSET, VHDX_RT2_OFFSET };
    uint8_t *raw = malloc(2 * (size_t)VHDX_RT_SIZE);
    if (!raw) return STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "region table", NULL);
    uint8_t *r[2] = { raw, raw + VHDX_RT_SIZE };
    int rc = VHDX_OK, valid[2];
    char d[160];
    for (int i = 0; i < 2 && rc == VHDX_OK; i++)
        rc = read_at(os, base[i], r[i], VHDX_RT_SIZE, "region table");
    if (rc != VHDX_OK) goto out;
    for (int i = 0; i < 2; i++) valid[i] = fmt_region_table_is_valid(r[i], VHDX_RT_SIZE);
    if (!valid[0] && !valid[1]) {
        int c0, c1;
        const char *why0 = rt_defect(r[0], &c0);
        const char *why1 = rt_defect(r[1], &c1);
        snprintf(d, sizeof d, "copy 1: %s", why0);
        (void)NOTE(os, c0, base[0] + (c0 == VHDX_E_RT_CHECKSUM ? RT_OFF_CHECKSUM : 0),
                   c0 == VHDX_E_RT_CHECKSUM ? "region_table.Checksum" : "region_table.Signature", d);
        snprintf(d, sizeof d, "copy 2: %s", why1);
        (void)NOTE(os, c1, base[1] + (c1 == VHDX_E_RT_CHECKSUM ? RT_OFF_CHECKSUM : 0),
                   c1 == VHDX_E_RT_CHECKSUM ? "region_table.Checksum" : "region_table.Signature", d);
        rc = c0;
        goto out;
    }
    /* [MS-VHDX 2.2.3] R23: no precedence rule between the copies: use the first valid one */
    int use = valid[0] ? 0 : 1;
    if (!valid[1 - use]) {
        int c;
        rc = NOTE(os, VHDX_W_RT_INVALID_COPY, base[1 - use], use ? "region_table[0]" : "region_table[1]",
                  rt_defect(r[1 - use], &c));
    } else if (memcmp(r[0], r[1], VHDX_RT_SIZE) != 0) {
        rc = NOTE(os, VHDX_W_RT_COPIES_DIFFER, base[1], "region_table[1]", NULL);
    }
    if (rc != VHDX_OK) goto out;
    img->rt = malloc(sizeof *img->rt);
    if (!img->rt) { rc = STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "region table", NULL); goto out; }
    img->rt_copy = use;
    os->rt_base = base[use];
    rc = fmt_region_table_decode(r[use], VHDX_RT_SIZE, img->rt);
    if (rc != VHDX_OK) { rc = STOP(os, rc, base[use], "region table", NULL); goto out; }
    rc = fmt_region_table_validate(img->rt, r[use], &os->sink, base[use]);
    if (rc != VHDX_OK) goto out;

    const fmt_region_table *rt = img->rt;
    int unknown_required = -1;
    os->bat_idx = os->md_idx = -1;
    for (uint32_t j = 0; j < rt->decoded; j++) {
        const fmt_region_entry *e = &rt->entries[j];
        uint64_t eoff = base[use] + RT_HEADER_SIZE + (uint64_t)j * RT_ENTRY_SIZE;
        int is_bat = vhdx_guid_equal(&e->guid, &VHDX_GUID_BAT_REGION);
        int is_md = vhdx_guid_equal(&e->guid, &VHDX_GUID_METADATA_REGION);
        if (is_bat && os->bat_idx < 0) os->bat_idx = (int)j;
        if (is_md && os->md_idx < 0) os->md_idx = (int)j;
        /* [MS-VHDX 2.2.3.2] R31: an unknown required region must not be ignored */
        if (!is_bat && !is_md && (e->required & 1u) && unknown_required < 0)
            unknown_required = (int)j;
        if (!region_usable(e)) continue; /* R29/R30 reported by the validator */
        snprintf(d, sizeof d, "region table entry %u", (unsigned)j);
        /* D6: inside the file */
        if (!vhdx_range_ok(e->file_offset, e->length, img->file_size)) {
            rc = NOTE(os, VHDX_E_RT_OUTSIDE_FILE, eoff + RTE_OFF_FILE_OFFSET,
                      "region.FileOffset", d);
            if (rc != VHDX_OK) goto out;
        }
        /* R18/R32: not overlapping the log */
        if (vhdx_ranges_overlap(e->file_offset, e->length, os->log_off, os->log_len)) {
            rc = NOTE(os, VHDX_E_LOG_OVERLAP, eoff + RTE_OFF_FILE_OFFSET,
                      "region.FileOffset", d);
            if (rc != VHDX_OK) goto out;
        }
        /* R32: regions do not overlap each other */
        for (uint32_t k = 0; k < j; k++) {
            const fmt_region_entry *o = &rt->entries[k];
            if (!region_usable(o)) continue;
            if (vhdx_ranges_overlap(e->file_offset, e->length, o->file_offset, o->length)) {
                snprintf(d, sizeof d, "region table entry %u overlaps entry %u", (unsigned)j,
                         (unsigned)k);
                rc = NOTE(os, VHDX_E_RT_OVERLAP, eoff + RTE_OFF_FILE_OFFSET,
                          "region.FileOffset", d);
                if (rc != VHDX_OK) goto out;
                break;
            }
        }
    }
    if (unknown_required >= 0) {
        snprintf(d, sizeof d, "region table entry %d", unknown_required);
        rc = STOP(os, VHDX_E_RT_UNKNOWN_REQUIRED,
                  base[use] + RT_HEADER_SIZE + (uint64_t)unknown_required * RT_ENTRY_SIZE + RTE_OFF_REQUIRED,
                  "region.Required", d);
        goto out;
    }
    if (os->bat_idx < 0) { rc = STOP(os, VHDX_E_RT_MISSING_BAT, base[use], "region table", NULL); goto out; }
    if (os->md_idx < 0) { rc = STOP(os, VHDX_E_RT_MISSING_METADATA, base[use], "region table", NULL); goto out; }
    for (int k = 0; k < 2; k++) {
        int j = k == 0 ? os->bat_idx : os->md_idx;
        const fmt_region_entry *e = &rt->entries[j];
        uint64_t eoff = base[use] + RT_HEADER_SIZE + (uint64_t)j * RT_ENTRY_SIZE;
        if (e->file_offset % MiB != 0 || e->file_offset < MiB) {
            rc = STOP(os, VHDX_E_RT_OFFSET, eoff + RTE_OFF_FILE_OFFSET, "region.FileOffset", NULL);
            goto out;
        }
        if (e->length % MiB != 0 || e->length == 0) {
            rc = STOP(os, VHDX_E_RT_LENGTH, eoff + RTE_OFF_LENGTH, "region.Length", NULL);
            goto out;
        }
        if (!vhdx_range_ok(e->file_offset, e->length, img->file_size)) {
            rc = STOP(os, VHDX_E_RT_OUTSIDE_FILE, eoff + RTE_OFF_FILE_OFFSET, "region.FileOffset", NULL);
            goto out;
        }
        if (k == 0) { img->bat_offset = e->file_offset; img->bat_length = e->length; }
        else { img->md_offset = e->file_offset; img->md_length = e->length; }
    }
    rc = VHDX_OK;
out:
    free(raw);
    return rc;
}

/* ---- metadata (2.6) ---- */

typedef struct md_item {
    int idx;              /* entry index or -1 */
    uint64_t file_off;    /* file offset of the item value */
    uint64_t entry_off;   /* file offset of the table entry */
} md_item;

static int find_item(open_state *os, const vhdx_guid *id, md_item *it)
{
    vhdx_image *img = os->img;
    it->idx = fmt_metadata_find(img->md, id);
    it->file_off = VHDX_NO_OFFSET;
    it->entry_off = VHDX_NO_OFFSET;
    if (it->idx < 0) return 0;
    const fmt_metadata_entry *e = &img->md->entries[it->idx];
    it->entry_off = img->md_offset + MD_HEADER_SIZE + (uint64_t)it->idx * MD_ENTRY_SIZE;
    it->file_off = img->md_offset + e->offset;
    return 1;
}

/* Reads min_len (or, when whole, the whole item up to the limit) of an item after checking
 * its placement; *out_len = bytes read. */
static int read_item(open_state *os, const md_item *it, const char *name, size_t min_len,
                     uint8_t *buf, size_t buflen, size_t *out_len)
{
    vhdx_image *img = os->img;
    const fmt_metadata_entry *e = &img->md->entries[it->idx];
    char d[160];
    snprintf(d, sizeof d, "%s item", name);
    /* [MS-VHDX 2.6.1.2] R86 and the caller's limit bound every item read */
    if (e->length > img->limits.max_metadata_item)
        return STOP(os, VHDX_E_LIMIT_METADATA, it->entry_off + MDE_OFF_LENGTH, "metadata_entry.Length", d);
    if (e->length > MiB)
        return STOP(os, VHDX_E_MD_LENGTH, it->entry_off + MDE_OFF_LENGTH, "metadata_entry.Length", d);
    /* D10: a known item holds at least its value */
    if (e->length < min_len)
        return STOP(os, VHDX_E_MD_ITEM_SIZE, it->entry_off + MDE_OFF_LENGTH, "metadata_entry.Length", d);
    /* R84/R85: inside the region, after the table */
    if (e->offset < VHDX_MD_TABLE_SIZE)
        return STOP(os, VHDX_E_MD_OFFSET, it->entry_off + MDE_OFF_OFFSET, "metadata_entry.Offset", d);
    if (!vhdx_range_ok(e->offset, e->length, img->md_length))
        return STOP(os, VHDX_E_MD_OUTSIDE_REGION, it->entry_off + MDE_OFF_OFFSET, "metadata_entry.Offset", d);
    size_t n = buflen ? min_len : e->length;
    if (buflen && n > buflen) n = buflen;
    *out_len = n;
    return read_at(os, it->file_off, buf, n, name);
}

static int step_metadata(open_state *os)
{
    vhdx_image *img = os->img;
    uint8_t *tb = malloc(VHDX_MD_TABLE_SIZE);
    if (!tb) return STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "metadata table", NULL);
    int rc = read_at(os, img->md_offset, tb, VHDX_MD_TABLE_SIZE, "metadata table");
    if (rc != VHDX_OK) { free(tb); return rc; }
    img->md = malloc(sizeof *img->md);
    if (!img->md) { free(tb); return STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "metadata table", NULL); }
    rc = fmt_metadata_table_decode(tb, VHDX_MD_TABLE_SIZE, img->md);
    free(tb);
    if (rc != VHDX_OK) return STOP(os, rc, img->md_offset, "metadata table", NULL);
    rc = fmt_metadata_table_validate(img->md, img->md_length, &os->sink, img->md_offset);
    if (rc != VHDX_OK) return rc;
    /* R79: without the signature nothing in the table can be trusted */
    if (img->md->signature != VHDX_SIG_METADATA)
        return STOP(os, VHDX_E_MD_SIGNATURE, img->md_offset, "metadata.Signature", NULL);
    if (img->md->entry_count > VHDX_MD_MAX_ENTRIES)
        return STOP(os, VHDX_E_MD_ENTRY_COUNT, img->md_offset + MD_OFF_ENTRY_COUNT,
                    "metadata.EntryCount", NULL);

    md_item fp, vds, vdid, lss, pss, pl;
    int have_fp = find_item(os, &VHDX_GUID_FILE_PARAMETERS, &fp);
    int have_vds = find_item(os, &VHDX_GUID_VIRTUAL_DISK_SIZE, &vds);
    int have_vdid = find_item(os, &VHDX_GUID_VIRTUAL_DISK_ID, &vdid);
    int have_lss = find_item(os, &VHDX_GUID_LOGICAL_SECTOR_SIZE, &lss);
    int have_pss = find_item(os, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, &pss);
    int have_pl = find_item(os, &VHDX_GUID_PARENT_LOCATOR, &pl);
    /* D9: the disk cannot be interpreted without these */
    if (!have_fp) return STOP(os, VHDX_E_MD_MISSING_ITEM, img->md_offset, "metadata table", "File Parameters");
    if (!have_vds) return STOP(os, VHDX_E_MD_MISSING_ITEM, img->md_offset, "metadata table", "Virtual Disk Size");
    if (!have_lss) return STOP(os, VHDX_E_MD_MISSING_ITEM, img->md_offset, "metadata table", "Logical Sector Size");
    uint8_t v[16];
    size_t n;
    fmt_file_parameters fpv;
    uint64_t vsize;
    uint32_t lssv, pssv = 512;
    rc = read_item(os, &fp, "File Parameters", 8, v, sizeof v, &n);
    if (rc == VHDX_OK) rc = fmt_file_parameters_decode(v, n, &fpv);
    if (rc != VHDX_OK) return STOP(os, rc, fp.file_off, "FileParameters", NULL);
    rc = read_item(os, &vds, "Virtual Disk Size", 8, v, sizeof v, &n);
    if (rc == VHDX_OK) rc = fmt_u64_item_decode(v, n, &vsize);
    if (rc != VHDX_OK) return STOP(os, rc, vds.file_off, "VirtualDiskSize", NULL);
    rc = read_item(os, &lss, "Logical Sector Size", 4, v, sizeof v, &n);
    if (rc == VHDX_OK) rc = fmt_u32_item_decode(v, n, &lssv);
    if (rc != VHDX_OK) return STOP(os, rc, lss.file_off, "LogicalSectorSize", NULL);
    if (have_pss) {
        rc = read_item(os, &pss, "Physical Sector Size", 4, v, sizeof v, &n);
        if (rc == VHDX_OK) rc = fmt_u32_item_decode(v, n, &pssv);
        if (rc != VHDX_OK) return STOP(os, rc, pss.file_off, "PhysicalSectorSize", NULL);
    }
    if (have_vdid) {
        rc = read_item(os, &vdid, "Virtual Disk ID", 16, v, sizeof v, &n);
        if (rc == VHDX_OK) rc = fmt_guid_item_decode(v, n, &img->virtual_disk_id);
        if (rc != VHDX_OK) return STOP(os, rc, vdid.file_off, "VirtualDiskId", NULL);
    }
    rc = fmt_geometry_validate(vsize, fpv.block_size, lssv, pssv, fpv.flags, &os->sink, fp.file_off,
                               vds.file_off, lss.file_off, have_pss ? pss.file_off : VHDX_NO_OFFSET);
    if (rc != VHDX_OK) return rc;
    rc = fmt_geometry_compute(&img->geo, vsize, fpv.block_size, lssv, pssv, fpv.flags);
    if (rc != VHDX_OK) return STOP(os, rc, vds.file_off, "VirtualDiskSize", NULL);

    if (img->geo.has_parent) {
        /* [MS-VHDX 2.6.2.6] R98 */
        if (!have_pl)
            return STOP(os, VHDX_E_NO_PARENT_LOCATOR, fp.file_off + 4, "file_parameters.Flags", NULL);
        const fmt_metadata_entry *e = &img->md->entries[pl.idx];
        if (e->length > img->limits.max_metadata_item || e->length > MiB)
            return read_item(os, &pl, "Parent Locator", PL_HEADER_SIZE, NULL, 0, &n);
        img->locator = malloc(e->length ? e->length : 1);
        if (!img->locator) return STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "Parent Locator", NULL);
        rc = read_item(os, &pl, "Parent Locator", PL_HEADER_SIZE, img->locator, 0, &n);
        if (rc != VHDX_OK) return rc;
        img->locator_len = n;
        fmt_locator *loc = malloc(sizeof *loc);
        if (!loc) return STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "Parent Locator", NULL);
        rc = fmt_locator_decode(img->locator, n, loc);
        if (rc != VHDX_OK) rc = STOP(os, rc, pl.file_off, "ParentLocator", NULL);
        else rc = fmt_locator_validate(loc, img->locator, n, &os->sink, pl.file_off);
        free(loc);
        if (rc != VHDX_OK) return rc;
    }
    return VHDX_OK;
}

/* ---- BAT (2.5): streamed in pages; placement checked with bounded memory ---- */

typedef struct bat_rec {
    uint64_t start;
    uint32_t index;       /* BAT index (< 2^29: the region is at most 4095 MiB) */
    uint32_t len_mb;
} bat_rec;

typedef struct span { uint64_t start, end; } span;

typedef struct bat_ctx {
    open_state *os;
    vhdx_image *img;
    uint64_t cr;
    span *fixed;          /* regions and log, sorted by start */
    uint64_t *fixed_maxend; /* prefix maximum of fixed[].end */
    size_t nfixed;
    bat_rec *recs;
    size_t nrecs, cap, limit;
    int overflow;
    uint64_t min_start;
    int chunk_partial;
    uint64_t chunk_partial_index;
    /* windowed pass */
    uint64_t w0, w1, next_min;
    int window_full;
    uint64_t window_full_index;
} bat_ctx;

static int span_cmp(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int rec_cmp(const void *a, const void *b)
{
    const bat_rec *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static int overlaps_fixed(const bat_ctx *bc, uint64_t start, uint64_t end)
{
    /* last fixed span with start < end; any earlier span reaching past `start` overlaps */
    size_t lo = 0, hi = bc->nfixed;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bc->fixed[mid].start < end) lo = mid + 1; else hi = mid;
    }
    return lo > 0 && bc->fixed_maxend[lo - 1] > start;
}

/* The file range an entry occupies, when it has one (1) or not (0). */
static int entry_extent(const bat_ctx *bc, uint64_t i, uint64_t e, uint64_t *start, uint64_t *len)
{
    const fmt_geometry *g = &bc->img->geo;
    unsigned st = fmt_bat_state(e);
    uint64_t off = fmt_bat_offset(e);
    if (off == 0) return 0;
    if (fmt_bat_is_sb_slot(i, bc->cr)) {
        if (st != VHDX_SB_PRESENT || !g->has_parent) return 0;
        *start = off;
        *len = VHDX_SB_BLOCK_SIZE;
        return 1;
    }
    switch (st) {
    case VHDX_PB_FULLY_PRESENT:
    case VHDX_PB_UNDEFINED:
    case VHDX_PB_UNMAPPED:
        break;
    case VHDX_PB_PARTIALLY_PRESENT:
        if (!g->has_parent) return 0;
        break;
    default:
        return 0;
    }
    uint64_t b = i - i / (bc->cr + 1);
    uint64_t l = g->block_size;
    /* the last block may extend past the virtual disk; only the part holding disk data
     * (rounded to the 1 MiB allocation unit) has to exist (QEMU wrote such files) */
    uint64_t vstart = b * g->block_size;
    if (vstart < g->virtual_size && g->virtual_size - vstart < l) {
        uint64_t need = vhdx_div_round_up(g->virtual_size - vstart, MiB) * MiB;
        if (need < l) l = need;
    }
    *start = off;
    *len = l;
    return 1;
}

static int add_rec(bat_ctx *bc, uint64_t i, uint64_t start, uint64_t len)
{
    if (bc->nrecs == bc->cap) {
        if (bc->cap >= bc->limit) return 1;
        size_t ncap = bc->cap ? bc->cap * 2 : 256;
        if (ncap > bc->limit) ncap = bc->limit;
        bat_rec *p = realloc(bc->recs, ncap * sizeof *p);
        if (!p) return -1;
        bc->recs = p;
        bc->cap = ncap;
    }
    bat_rec *r = &bc->recs[bc->nrecs++];
    r->start = start;
    r->index = (uint32_t)i;
    r->len_mb = (uint32_t)(len / MiB);
    return 0;
}

static int bat_first(bat_ctx *bc, uint64_t i, uint64_t e)
{
    open_state *os = bc->os;
    vhdx_image *img = bc->img;
    const fmt_geometry *g = &img->geo;
    uint64_t eoff = img->bat_offset + i * 8u;
    int rc = fmt_bat_entry_validate(e, i, g, &os->sink, eoff);
    if (rc != VHDX_OK) return rc;
    unsigned st = fmt_bat_state(e);
    int sb = fmt_bat_is_sb_slot(i, bc->cr);
    if (sb) {
        img->counts.sector_bitmap[st]++;
        /* [MS-VHDX 2.5.1.1] R76: a PARTIALLY_PRESENT block needs its chunk's bitmap */
        if (bc->chunk_partial && st != VHDX_SB_PRESENT) {
            rc = NOTE(os, VHDX_E_BAT_PARTIAL_NO_SB, img->bat_offset + bc->chunk_partial_index * 8u,
                      "bat.State", NULL);
            if (rc != VHDX_OK) return rc;
        }
        bc->chunk_partial = 0;
    } else {
        img->counts.payload[st]++;
        if (st == VHDX_PB_PARTIALLY_PRESENT && g->has_parent && !bc->chunk_partial) {
            bc->chunk_partial = 1;
            bc->chunk_partial_index = i;
        }
    }
    uint64_t start, len;
    if (!entry_extent(bc, i, e, &start, &len)) return VHDX_OK;
    /* D12: inside the file */
    if (!vhdx_range_ok(start, len, img->file_size))
        return NOTE(os, VHDX_E_BAT_OUTSIDE_FILE, eoff, "bat.FileOffsetMB", NULL);
    /* R70/R32: not over a region or the log */
    if (overlaps_fixed(bc, start, start + len)) {
        rc = NOTE(os, VHDX_E_BAT_OVERLAP, eoff, "bat.FileOffsetMB", "block overlaps a region or the log");
        if (rc != VHDX_OK) return rc;
    }
    if (start < bc->min_start) bc->min_start = start;
    if (!bc->overflow) {
        int a = add_rec(bc, i, start, len);
        if (a < 0) return STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT", NULL);
        if (a > 0) bc->overflow = 1;
    }
    return VHDX_OK;
}

static int bat_window(bat_ctx *bc, uint64_t i, uint64_t e)
{
    uint64_t start, len;
    if (bc->window_full) return VHDX_OK;
    if (!entry_extent(bc, i, e, &start, &len)) return VHDX_OK;
    if (!vhdx_range_ok(start, len, bc->img->file_size)) return VHDX_OK;
    if (start >= bc->w1) {
        if (start < bc->next_min) bc->next_min = start;
        return VHDX_OK;
    }
    if (start + len <= bc->w0) return VHDX_OK;
    int a = add_rec(bc, i, start, len);
    if (a < 0) return STOP(bc->os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT", NULL);
    if (a > 0) {
        /* more blocks intersect the window than non-overlapping blocks could */
        bc->window_full = 1;
        bc->window_full_index = i;
    }
    return VHDX_OK;
}

/* Sorted sweep: R71 duplicates and R70 overlaps between blocks. Conflicts are attributed
 * to the later block (by offset, then by BAT index) and reported when it starts in
 * [w0, w1). */
static int bat_sweep(bat_ctx *bc, uint64_t w0, uint64_t w1)
{
    open_state *os = bc->os;
    if (bc->nrecs == 0) return VHDX_OK;
    qsort(bc->recs, bc->nrecs, sizeof *bc->recs, rec_cmp);
    const bat_rec *best = &bc->recs[0];
    uint64_t best_end = best->start + (uint64_t)best->len_mb * MiB;
    for (size_t k = 1; k < bc->nrecs; k++) {
        const bat_rec *r = &bc->recs[k], *prev = &bc->recs[k - 1];
        uint64_t end = r->start + (uint64_t)r->len_mb * MiB;
        if (r->start >= w0 && r->start < w1) {
            int code = VHDX_OK;
            if (r->start == prev->start) code = VHDX_E_BAT_DUPLICATE;
            else if (r->start < best_end) code = VHDX_E_BAT_OVERLAP;
            if (code != VHDX_OK) {
                char d[160];
                snprintf(d, sizeof d, "BAT entry %u conflicts with BAT entry %u", (unsigned)r->index,
                         (unsigned)(code == VHDX_E_BAT_DUPLICATE ? prev->index : best->index));
                int rc = NOTE(os, code, bc->img->bat_offset + (uint64_t)r->index * 8u,
                              "bat.FileOffsetMB", d);
                if (rc != VHDX_OK) return rc;
            }
        }
        if (end > best_end) { best = r; best_end = end; }
    }
    return VHDX_OK;
}

static int bat_stream(bat_ctx *bc, int (*fn)(bat_ctx *, uint64_t, uint64_t), int progress)
{
    open_state *os = bc->os;
    vhdx_image *img = bc->img;
    uint64_t total = img->geo.bat_entries * 8u;
    uint64_t pages = vhdx_div_round_up(total, IMG_BAT_PAGE);
    uint8_t *buf = malloc(IMG_BAT_PAGE);
    if (!buf) return STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT", NULL);
    int rc = VHDX_OK;
    for (uint64_t p = 0; p < pages && rc == VHDX_OK; p++) {
        uint64_t pos = p * IMG_BAT_PAGE;
        size_t n = (size_t)(total - pos < IMG_BAT_PAGE ? total - pos : IMG_BAT_PAGE);
        rc = read_at(os, img->bat_offset + pos, buf, n, "BAT");
        for (size_t k = 0; k + 8 <= n && rc == VHDX_OK; k += 8)
            rc = fn(bc, pos / 8u + k / 8u, vhdx_le64(buf + k));
        if (progress && os->hooks && os->hooks->progress)
            os->hooks->progress(os->hooks->progress_ctx, p + 1, pages);
    }
    free(buf);
    return rc;
}

static int step_bat(open_state *os)
{
    vhdx_image *img = os->img;
    const fmt_geometry *g = &img->geo;
    uint64_t need;
    /* [MS-VHDX 2.5] R66-R68: the region holds every required entry */
    if (!vhdx_mul_ok(g->bat_entries, 8, &need) || need > img->bat_length) {
        char d[160];
        snprintf(d, sizeof d, "%llu entries need %llu bytes, region is %u bytes",
                 (unsigned long long)g->bat_entries, (unsigned long long)g->bat_entries * 8u,
                 (unsigned)img->bat_length);
        return STOP(os, VHDX_E_BAT_TOO_SMALL,
                    os->rt_base + RT_HEADER_SIZE + (uint64_t)os->bat_idx * RT_ENTRY_SIZE + RTE_OFF_LENGTH,
                    "region.Length", d);
    }
    bat_ctx bc;
    memset(&bc, 0, sizeof bc);
    bc.os = os;
    bc.img = img;
    bc.cr = g->chunk_ratio;
    bc.min_start = UINT64_MAX;
    uint64_t lim = img->limits.max_bat_memory / sizeof(bat_rec);
    if (lim < 1024) lim = 1024;
    if (lim > (uint64_t)SIZE_MAX / sizeof(bat_rec)) lim = (uint64_t)SIZE_MAX / sizeof(bat_rec);
    bc.limit = (size_t)lim;

    /* fixed structures: every usable region (known or not) and the log */
    const fmt_region_table *rt = img->rt;
    size_t nf = 0;
    bc.fixed = malloc(((size_t)rt->decoded + 1) * sizeof *bc.fixed);
    bc.fixed_maxend = malloc(((size_t)rt->decoded + 1) * sizeof *bc.fixed_maxend);
    int rc = VHDX_OK;
    if (!bc.fixed || !bc.fixed_maxend) { rc = STOP(os, VHDX_E_NOMEM, VHDX_NO_OFFSET, "BAT", NULL); goto out; }
    for (uint32_t j = 0; j < rt->decoded; j++) {
        const fmt_region_entry *e = &rt->entries[j];
        if (!region_usable(e)) continue;
        bc.fixed[nf].start = e->file_offset;
        bc.fixed[nf].end = e->file_offset + e->length;
        nf++;
    }
    if (os->log_len) {
        bc.fixed[nf].start = os->log_off;
        bc.fixed[nf].end = os->log_off + os->log_len;
        nf++;
    }
    qsort(bc.fixed, nf, sizeof *bc.fixed, span_cmp);
    for (size_t k = 0; k < nf; k++)
        bc.fixed_maxend[k] = k && bc.fixed_maxend[k - 1] > bc.fixed[k].end ? bc.fixed_maxend[k - 1]
                                                                         : bc.fixed[k].end;
    bc.nfixed = nf;

    memset(&img->counts, 0, sizeof img->counts);
    rc = bat_stream(&bc, bat_first, 1);
    if (rc != VHDX_OK) goto out;
    if (!bc.overflow) {
        rc = bat_sweep(&bc, 0, UINT64_MAX);
        goto out;
    }
    /* More allocated blocks than the memory limit holds: check the file in windows of
     * (limit - 2) MiB; non-overlapping blocks intersecting one window never exceed that. */
    uint64_t width = ((uint64_t)bc.limit - 2) * MiB;
    uint64_t w0 = bc.min_start;
    while (w0 != UINT64_MAX && rc == VHDX_OK) {
        bc.w0 = w0;
        bc.w1 = w0 > UINT64_MAX - width ? UINT64_MAX : w0 + width;
        bc.next_min = UINT64_MAX;
        bc.nrecs = 0;
        bc.window_full = 0;
        rc = bat_stream(&bc, bat_window, 0);
        if (rc != VHDX_OK) break;
        if (bc.window_full) {
            rc = NOTE(os, VHDX_E_BAT_OVERLAP, img->bat_offset + bc.window_full_index * 8u,
                      "bat.FileOffsetMB", "more blocks than fit in the file range: blocks overlap");
            break;
        }
        rc = bat_sweep(&bc, bc.w0, bc.w1);
        w0 = bc.next_min;
    }
out:
    free(bc.recs);
    free(bc.fixed);
    free(bc.fixed_maxend);
    return rc;
}

/* ---- open / close ---- */

static void img_free(vhdx_image *img)
{
    if (!img) return;
    img_log_close(img);
    if (img->parent) (void)vhdx_close(img->parent);
    img_bat_cache_free(img);
    free(img->rt);
    free(img->md);
    free(img->locator);
    free(img->path);
    if (img->own_io) {
        vhdx_io_destroy(img->io);
        if (img->own_io == 2) free(img->io);
    }
    free(img);
}

int img_open_ex(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                const char *path, vhdx_sink *sink, const img_open_hooks *hooks, vhdx_diag *diag)
{
    if (out) *out = NULL;
    if (!out || !io || !io->read_at || !io->get_size) {
        if (own_io && io) {
            vhdx_io_destroy(io);
            if (own_io == 2) free(io);
        }
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    }
    vhdx_open_opts dflt;
    if (!opts) {
        vhdx_open_opts_default(&dflt);
        opts = &dflt;
    }
    vhdx_image *img = calloc(1, sizeof *img);
    if (!img) {
        if (own_io) {
            vhdx_io_destroy(io);
            if (own_io == 2) free(io);
        }
        return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    }
    img->io = io;
    img->own_io = own_io;
    img->flags = opts->flags;
    img->limits = opts->limits;
    img->gen = opts->guid_gen ? opts->guid_gen : vhdx_guid_gen_default();
    img->parent_path_opt = opts->parent_path;
    img->chain_depth = 1;
    img->writable = (opts->flags & VHDX_OPEN_RDWR) ? 1 : 0;
    if (img->writable && (!io->write_at || !io->flush)) {
        img_free(img);
        return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, "io");
    }
    if (path) {
        size_t n = strlen(path);
        img->path = malloc(n + 1);
        if (!img->path) {
            img_free(img);
            return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
        }
        memcpy(img->path, path, n + 1);
    }

    open_state os;
    memset(&os, 0, sizeof os);
    os.sink.report = os_report;
    os.sink.ctx = &os;
    os.inner = sink;
    os.diag = diag;
    os.hooks = hooks;
    os.img = img;
    os.bat_idx = os.md_idx = -1;

    int rc = step_fileid(&os);
    if (rc == VHDX_OK) rc = step_headers(&os);
    if (rc == VHDX_OK) rc = step_log(&os);
    if (rc == VHDX_OK) rc = step_regions(&os);
    if (rc == VHDX_OK) rc = step_metadata(&os);
    if (rc == VHDX_OK) rc = step_bat(&os);
    if (rc == VHDX_OK && os.first_fatal != VHDX_OK) rc = os.first_fatal;
    if (rc == VHDX_OK) {
        rc = img_bat_cache_init(img);
        if (rc != VHDX_OK) rc = STOP(&os, rc, VHDX_NO_OFFSET, "BAT cache", NULL);
    }
    if (rc == VHDX_OK && img->geo.has_parent) {
        vhdx_diag d;
        vhdx_diag_clear(&d);
        rc = img_parent_open(img, &d);
        if (rc != VHDX_OK) rc = os_stop_diag(&os, rc, &d, __FILE__, __LINE__);
    }
    if (rc == VHDX_OK && img->writable) {
        /* [MS-VHDX 2.2.2.1] R20: a writable open updates the headers before anything else
         * is modified (FileWriteGuid only; DataWriteGuid waits for the first write) */
        vhdx_diag d;
        vhdx_diag_clear(&d);
        rc = img_begin_modify(img, 0, &d);
        if (rc != VHDX_OK) rc = os_stop_diag(&os, rc, &d, __FILE__, __LINE__);
    }
    if (rc != VHDX_OK) {
        if (diag && diag->code == VHDX_OK) vhdx_diag_set(diag, rc, VHDX_NO_OFFSET, NULL, __FILE__, __LINE__);
        img_free(img);
        return rc;
    }
    *out = img;
    return VHDX_OK;
}

int img_open_sink(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
                  const char *path, vhdx_sink *sink, vhdx_diag *diag)
{
    return img_open_ex(out, io, own_io, opts, path, sink, NULL, diag);
}

int vhdx_open(vhdx_image **out, vhdx_io *io, int own_io, const vhdx_open_opts *opts,
              vhdx_diag *diag)
{
    return img_open_ex(out, io, own_io ? 1 : 0, opts, NULL, NULL, NULL, diag);
}

int vhdx_open_file(vhdx_image **out, const char *path, const vhdx_open_opts *opts,
                   vhdx_diag *diag)
{
    if (out) *out = NULL;
    if (!out || !path) return VHDX_FAIL(diag, VHDX_E_MISUSE, VHDX_NO_OFFSET, NULL);
    vhdx_io *io = malloc(sizeof *io);
    if (!io) return VHDX_FAIL(diag, VHDX_E_NOMEM, VHDX_NO_OFFSET, NULL);
    int mode = (opts && (opts->flags & VHDX_OPEN_RDWR)) ? VHDX_IO_RDWR : VHDX_IO_READ;
    int rc = vhdx_io_file_open(io, path, mode);
    if (rc != VHDX_OK) {
        free(io);
        vhdx_diag_set(diag, rc, VHDX_NO_OFFSET, NULL, __FILE__, __LINE__);
        if (diag && diag->code == rc) snprintf(diag->detail, sizeof diag->detail, "%s", path);
        return rc;
    }
    return img_open_ex(out, io, 2, opts, path, NULL, NULL, diag);
}

int vhdx_close(vhdx_image *img)
{
    if (!img) return VHDX_OK;
    int rc = VHDX_OK;
    if (img->writable) {
        rc = img_log_finish(img, NULL);
        int r2 = img_fflush(img, NULL);
        if (rc == VHDX_OK) rc = r2;
    }
    img_free(img);
    return rc;
}
