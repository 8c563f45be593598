/* SPDX-License-Identifier: Apache-2.0 */
/* builder.c - valid VHDX images in memory, built with the codec encoders (see builder.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "builder.h"

void vb_params_default(vb_params *p)
{
    memset(p, 0, sizeof *p);
    p->type = VHDX_TYPE_DYNAMIC;
    p->virtual_size = 64 * MiB;
    p->block_size = (uint32_t)MiB;
    p->lss = 512;
    p->pss = 4096;
    p->log_size = (uint32_t)MiB;
    p->seed = 1;
    p->seq[0] = 1;
    p->seq[1] = 2;
    p->fill = 1;
    p->parent_linkage = "{11111111-2222-3333-4444-555555555555}";
    p->parent_path = "parent.vhdx";
    p->creator = "vhdx conformance builder";
    p->max_size = 8 * GiB;
}

uint8_t vb_pattern_byte(uint64_t v)
{
    uint64_t x = (v >> 3) * 0x9E3779B97F4A7C15ULL;
    x ^= x >> 29;
    return (uint8_t)(x >> (8 * (v & 7)));
}

void vb_pattern(uint64_t voff, void *buf, size_t len)
{
    uint8_t *p = buf;
    for (size_t i = 0; i < len; i++) p[i] = vb_pattern_byte(voff + i);
}

/* ---- raw access ---- */

uint64_t vb_size(const vb_image *im)
{
    size_t n = 0;
    (void)vhdx_io_mem_data(&im->io, &n);
    return n;
}

const uint8_t *vb_data(const vb_image *im) { return vhdx_io_mem_data(&im->io, NULL); }

void vb_read(vb_image *im, uint64_t off, void *buf, size_t len)
{
    if (im->io.read_at(im->io.ctx, off, buf, len) != VHDX_OK) {
        fprintf(stderr, "builder: read past end (0x%llx)\n", (unsigned long long)off);
        abort();
    }
}

void vb_write(vb_image *im, uint64_t off, const void *buf, size_t len)
{
    if (im->io.write_at(im->io.ctx, off, buf, len) != VHDX_OK) {
        fprintf(stderr, "builder: write failed (0x%llx)\n", (unsigned long long)off);
        abort();
    }
}

void vb_put8(vb_image *im, uint64_t off, uint8_t v) { vb_write(im, off, &v, 1); }
void vb_put16(vb_image *im, uint64_t off, uint16_t v) { uint8_t b[2]; vhdx_put16(b, v); vb_write(im, off, b, 2); }
void vb_put32(vb_image *im, uint64_t off, uint32_t v) { uint8_t b[4]; vhdx_put32(b, v); vb_write(im, off, b, 4); }
void vb_put64(vb_image *im, uint64_t off, uint64_t v) { uint8_t b[8]; vhdx_put64(b, v); vb_write(im, off, b, 8); }
uint32_t vb_get32(vb_image *im, uint64_t off) { uint8_t b[4]; vb_read(im, off, b, 4); return vhdx_le32(b); }
uint64_t vb_get64(vb_image *im, uint64_t off) { uint8_t b[8]; vb_read(im, off, b, 8); return vhdx_le64(b); }

void vb_truncate(vb_image *im, uint64_t size)
{
    if (im->io.set_size(im->io.ctx, size) != VHDX_OK) abort();
}

/* ---- headers ---- */

uint64_t vb_header_offset(int slot) { return slot ? VHDX_HEADER2_OFFSET : VHDX_HEADER1_OFFSET; }

void vb_header_fix_crc(vb_image *im, int slot)
{
    uint8_t raw[VHDX_HEADER_SIZE];
    vb_read(im, vb_header_offset(slot), raw, sizeof raw);
    vhdx_put32(raw + HDR_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(raw, sizeof raw, HDR_OFF_CHECKSUM));
    vb_write(im, vb_header_offset(slot), raw, sizeof raw);
}

void vb_header_set16(vb_image *im, int slot, unsigned field, uint16_t v)
{
    vb_put16(im, vb_header_offset(slot) + field, v);
    vb_header_fix_crc(im, slot);
}
void vb_header_set32(vb_image *im, int slot, unsigned field, uint32_t v)
{
    vb_put32(im, vb_header_offset(slot) + field, v);
    vb_header_fix_crc(im, slot);
}
void vb_header_set64(vb_image *im, int slot, unsigned field, uint64_t v)
{
    vb_put64(im, vb_header_offset(slot) + field, v);
    vb_header_fix_crc(im, slot);
}
void vb_header_set_guid(vb_image *im, int slot, unsigned field, const vhdx_guid *g)
{
    vb_write(im, vb_header_offset(slot) + field, g->b, 16);
    vb_header_fix_crc(im, slot);
}

void vb_header_get(vb_image *im, int slot, fmt_header *out)
{
    uint8_t raw[VHDX_HEADER_SIZE];
    vb_read(im, vb_header_offset(slot), raw, sizeof raw);
    if (fmt_header_decode(raw, sizeof raw, out) != VHDX_OK) abort();
}

/* ---- region tables ---- */

uint64_t vb_rt_offset(int copy) { return copy ? VHDX_RT2_OFFSET : VHDX_RT1_OFFSET; }
uint64_t vb_rt_entry_offset(int copy, unsigned idx)
{
    return vb_rt_offset(copy) + RT_HEADER_SIZE + (uint64_t)idx * RT_ENTRY_SIZE;
}

void vb_rt_fix_crc(vb_image *im, int copy)
{
    if (copy < 0) { vb_rt_fix_crc(im, 0); vb_rt_fix_crc(im, 1); return; }
    uint8_t *raw = malloc(VHDX_RT_SIZE);
    if (!raw) abort();
    vb_read(im, vb_rt_offset(copy), raw, VHDX_RT_SIZE);
    vhdx_put32(raw + RT_OFF_CHECKSUM, vhdx_crc32c_with_zero_field(raw, VHDX_RT_SIZE, RT_OFF_CHECKSUM));
    vb_write(im, vb_rt_offset(copy), raw, VHDX_RT_SIZE);
    free(raw);
}

void vb_rt_set32(vb_image *im, int copy, unsigned off, uint32_t v)
{
    for (int c = 0; c < 2; c++) {
        if (copy >= 0 && c != copy) continue;
        vb_put32(im, vb_rt_offset(c) + off, v);
        vb_rt_fix_crc(im, c);
    }
}

void vb_rt_set64(vb_image *im, int copy, unsigned off, uint64_t v)
{
    for (int c = 0; c < 2; c++) {
        if (copy >= 0 && c != copy) continue;
        vb_put64(im, vb_rt_offset(c) + off, v);
        vb_rt_fix_crc(im, c);
    }
}

void vb_rt_entry_set32(vb_image *im, int copy, unsigned idx, unsigned field, uint32_t v)
{
    vb_rt_set32(im, copy, RT_HEADER_SIZE + idx * RT_ENTRY_SIZE + field, v);
}

void vb_rt_entry_set64(vb_image *im, int copy, unsigned idx, unsigned field, uint64_t v)
{
    vb_rt_set64(im, copy, RT_HEADER_SIZE + idx * RT_ENTRY_SIZE + field, v);
}

unsigned vb_rt_add(vb_image *im, int copy, const vhdx_guid *g, uint64_t off, uint32_t len,
                   uint32_t required)
{
    unsigned idx = 0;
    for (int c = 0; c < 2; c++) {
        if (copy >= 0 && c != copy) continue;
        idx = vb_get32(im, vb_rt_offset(c) + RT_OFF_ENTRY_COUNT);
        uint64_t e = vb_rt_entry_offset(c, idx);
        vb_write(im, e + RTE_OFF_GUID, g->b, 16);
        vb_put64(im, e + RTE_OFF_FILE_OFFSET, off);
        vb_put32(im, e + RTE_OFF_LENGTH, len);
        vb_put32(im, e + RTE_OFF_REQUIRED, required);
        vb_put32(im, vb_rt_offset(c) + RT_OFF_ENTRY_COUNT, idx + 1);
        vb_rt_fix_crc(im, c);
    }
    return idx;
}

/* ---- metadata ---- */

uint64_t vb_md_entry_offset(const vb_image *im, unsigned idx)
{
    return im->md_offset + MD_HEADER_SIZE + (uint64_t)idx * MD_ENTRY_SIZE;
}

uint64_t vb_md_item_offset(vb_image *im, unsigned idx)
{
    return im->md_offset + vb_get32(im, vb_md_entry_offset(im, idx) + MDE_OFF_OFFSET);
}

void vb_md_entry_set32(vb_image *im, unsigned idx, unsigned field, uint32_t v)
{
    vb_put32(im, vb_md_entry_offset(im, idx) + field, v);
}

unsigned vb_md_add(vb_image *im, const vhdx_guid *id, uint32_t offset, uint32_t length,
                   uint32_t flags)
{
    uint8_t b[2];
    vb_read(im, im->md_offset + MD_OFF_ENTRY_COUNT, b, 2);
    unsigned idx = vhdx_le16(b);
    uint64_t e = vb_md_entry_offset(im, idx);
    vb_write(im, e + MDE_OFF_ITEM_ID, id->b, 16);
    vb_put32(im, e + MDE_OFF_OFFSET, offset);
    vb_put32(im, e + MDE_OFF_LENGTH, length);
    vb_put32(im, e + MDE_OFF_FLAGS, flags);
    vb_put32(im, e + MDE_OFF_RESERVED2, 0);
    vb_put16(im, im->md_offset + MD_OFF_ENTRY_COUNT, (uint16_t)(idx + 1));
    im->md_count = idx + 1;
    return idx;
}

/* ---- BAT ---- */

uint64_t vb_bat_entry_offset(const vb_image *im, uint64_t index) { return im->bat_offset + index * 8u; }
uint64_t vb_pb_index(const vb_image *im, uint64_t block) { return fmt_bat_pb_index(block, im->geo.chunk_ratio); }
uint64_t vb_sb_index(const vb_image *im, uint64_t chunk) { return fmt_bat_sb_index(chunk, im->geo.chunk_ratio); }
void vb_bat_set(vb_image *im, uint64_t index, uint64_t entry) { vb_put64(im, vb_bat_entry_offset(im, index), entry); }
uint64_t vb_bat_get(vb_image *im, uint64_t index) { return vb_get64(im, vb_bat_entry_offset(im, index)); }

static uint64_t end_aligned(vb_image *im)
{
    return vhdx_div_round_up(vb_size(im), MiB) * MiB;
}

uint64_t vb_alloc_block(vb_image *im, uint64_t block, int pattern)
{
    uint64_t off = end_aligned(im);
    uint64_t bs = im->geo.block_size;
    uint8_t *buf = malloc(MiB);
    if (!buf) abort();
    for (uint64_t pos = 0; pos < bs; pos += MiB) {
        if (pattern) vb_pattern(block * bs + pos, buf, MiB);
        else memset(buf, 0, MiB);
        vb_write(im, off + pos, buf, MiB);
    }
    free(buf);
    vb_bat_set(im, vb_pb_index(im, block), fmt_bat_make(VHDX_PB_FULLY_PRESENT, off));
    return off;
}

uint64_t vb_alloc_sb(vb_image *im, uint64_t chunk, int bits)
{
    uint64_t off = end_aligned(im);
    uint8_t *buf = malloc(MiB);
    if (!buf) abort();
    memset(buf, bits ? 0xFF : 0, MiB);
    vb_write(im, off, buf, MiB);
    free(buf);
    vb_bat_set(im, vb_sb_index(im, chunk), fmt_bat_make(VHDX_SB_PRESENT, off));
    return off;
}

/* ---- build ---- */

static int put_item(vb_image *im, unsigned *next_off, const vhdx_guid *id, const uint8_t *val,
                    uint32_t len, uint32_t flags)
{
    vb_write(im, im->md_offset + *next_off, val, len);
    vb_md_add(im, id, *next_off, len, flags);
    *next_off += len;
    return VHDX_OK;
}

int vb_build(vb_image *im, const vb_params *pin)
{
    memset(im, 0, sizeof *im);
    vb_params p;
    if (pin) p = *pin;
    else vb_params_default(&p);
    im->p = p;
    uint32_t fpflags = 0;
    if (p.type == VHDX_TYPE_FIXED) fpflags = VHDX_FP_LEAVE_BLOCK_ALLOCATED;
    if (p.type == VHDX_TYPE_DIFFERENCING) fpflags = VHDX_FP_HAS_PARENT;
    int rc = fmt_geometry_compute(&im->geo, p.virtual_size, p.block_size, p.lss, p.pss, fpflags);
    if (rc != VHDX_OK) return VHDX_E_CREATE_PARAM;
    if (p.log_size % MiB) return VHDX_E_CREATE_PARAM;
    im->gen = vhdx_guid_gen_seeded(&im->gen_state, p.seed);

    im->log_offset = MiB;
    im->log_length = p.log_size;
    im->md_offset = MiB + p.log_size;
    im->md_length = (uint32_t)MiB;
    im->bat_offset = im->md_offset + MiB;
    uint64_t batlen = vhdx_div_round_up(im->geo.bat_entries * 8u, MiB) * MiB;
    if (batlen > 4095 * MiB) return VHDX_E_CREATE_PARAM;
    im->bat_length = (uint32_t)batlen;
    im->data_offset = im->bat_offset + batlen;

    rc = vhdx_io_mem_open(&im->io, NULL, 0, p.max_size);
    if (rc != VHDX_OK) return rc;
    vb_truncate(im, im->data_offset);

    /* file identifier */
    uint8_t *buf = calloc(1, VHDX_RT_SIZE);
    fmt_fileid fid;
    memset(&fid, 0, sizeof fid);
    memcpy(fid.signature, "vhdxfile", 8);
    fmt_fileid_set_creator(&fid, p.creator);
    if (!buf || fmt_fileid_encode(&fid, buf, VHDX_FILEID_SIZE) != VHDX_OK) abort();
    vb_write(im, 0, buf, VHDX_FILEID_SIZE);

    /* headers: identical but for the sequence number */
    fmt_header h;
    memset(&h, 0, sizeof h);
    h.signature = VHDX_SIG_HEAD;
    if (vhdx_guid_generate(&im->gen, &h.file_write_guid) != VHDX_OK ||
        vhdx_guid_generate(&im->gen, &h.data_write_guid) != VHDX_OK)
        abort();
    h.version = 1;
    h.log_version = 0;
    h.log_length = p.log_size;
    h.log_offset = p.log_size ? im->log_offset : 0;
    for (int s = 0; s < 2; s++) {
        uint8_t raw[VHDX_HEADER_SIZE];
        h.sequence_number = p.seq[s];
        if (fmt_header_encode(&h, raw, sizeof raw) != VHDX_OK) abort();
        vb_write(im, vb_header_offset(s), raw, sizeof raw);
    }

    /* region tables */
    fmt_region_table *rt = calloc(1, sizeof *rt);
    if (!rt) abort();
    rt->signature = VHDX_SIG_REGI;
    rt->entry_count = rt->decoded = 2;
    rt->entries[0].guid = VHDX_GUID_BAT_REGION;
    rt->entries[0].file_offset = im->bat_offset;
    rt->entries[0].length = im->bat_length;
    rt->entries[0].required = 1;
    rt->entries[1].guid = VHDX_GUID_METADATA_REGION;
    rt->entries[1].file_offset = im->md_offset;
    rt->entries[1].length = im->md_length;
    rt->entries[1].required = 1;
    if (fmt_region_table_encode(rt, buf, VHDX_RT_SIZE) != VHDX_OK) abort();
    vb_write(im, VHDX_RT1_OFFSET, buf, VHDX_RT_SIZE);
    vb_write(im, VHDX_RT2_OFFSET, buf, VHDX_RT_SIZE);
    free(rt);

    /* metadata table header (entries added by put_item) */
    fmt_metadata_table *mt = calloc(1, sizeof *mt);
    if (!mt) abort();
    mt->signature = VHDX_SIG_METADATA;
    if (fmt_metadata_table_encode(mt, buf, VHDX_MD_TABLE_SIZE) != VHDX_OK) abort();
    vb_write(im, im->md_offset, buf, VHDX_MD_TABLE_SIZE);
    free(mt);
    unsigned next = VHDX_MD_TABLE_SIZE;
    uint8_t v[16];
    fmt_file_parameters fp = { p.block_size, fpflags };
    if (fmt_file_parameters_encode(&fp, v, 8) != VHDX_OK) abort();
    put_item(im, &next, &VHDX_GUID_FILE_PARAMETERS, v, 8, VHDX_MD_FLAG_IS_REQUIRED);
    if (fmt_u64_item_encode(p.virtual_size, v, 8) != VHDX_OK) abort();
    put_item(im, &next, &VHDX_GUID_VIRTUAL_DISK_SIZE, v, 8,
             VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED);
    vhdx_guid id;
    if (vhdx_guid_generate(&im->gen, &id) != VHDX_OK || fmt_guid_item_encode(&id, v, 16) != VHDX_OK)
        abort();
    put_item(im, &next, &VHDX_GUID_VIRTUAL_DISK_ID, v, 16,
             VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED);
    if (fmt_u32_item_encode(p.lss, v, 4) != VHDX_OK) abort();
    put_item(im, &next, &VHDX_GUID_LOGICAL_SECTOR_SIZE, v, 4,
             VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED);
    if (fmt_u32_item_encode(p.pss, v, 4) != VHDX_OK) abort();
    put_item(im, &next, &VHDX_GUID_PHYSICAL_SECTOR_SIZE, v, 4,
             VHDX_MD_FLAG_IS_VIRTUAL_DISK | VHDX_MD_FLAG_IS_REQUIRED);
    if (p.type == VHDX_TYPE_DIFFERENCING) {
        const char *keys[2] = { "parent_linkage", "relative_path" };
        const char *vals[2] = { p.parent_linkage, p.parent_path };
        size_t written = 0;
        memset(buf, 0, VHDX_RT_SIZE);
        if (fmt_locator_build(keys, vals, 2, buf, VHDX_RT_SIZE, &written) != VHDX_OK) abort();
        put_item(im, &next, &VHDX_GUID_PARENT_LOCATOR, buf, (uint32_t)written,
                 VHDX_MD_FLAG_IS_REQUIRED);
    }
    free(buf);

    /* payload: fixed images are fully allocated in block order */
    if (p.type == VHDX_TYPE_FIXED) {
        for (uint64_t b = 0; b < im->geo.payload_blocks; b++) vb_alloc_block(im, b, p.fill);
    }
    return VHDX_OK;
}

int vb_build_simple(vb_image *im, vhdx_disk_type type, uint64_t virtual_size,
                    uint32_t block_size, uint32_t lss)
{
    vb_params p;
    vb_params_default(&p);
    p.type = type;
    p.virtual_size = virtual_size;
    p.block_size = block_size;
    p.lss = lss;
    return vb_build(im, &p);
}

void vb_free(vb_image *im)
{
    vhdx_io_destroy(&im->io);
}

int vb_open_opts(vb_image *im, const vhdx_open_opts *o, vhdx_image **out, vhdx_diag *diag)
{
    vhdx_open_opts oo = *o;
    if (!oo.guid_gen) oo.guid_gen = &im->gen;
    return vhdx_open(out, &im->io, 0, &oo, diag);
}

int vb_open(vb_image *im, unsigned flags, vhdx_image **out, vhdx_diag *diag)
{
    vhdx_open_opts o;
    vhdx_open_opts_default(&o);
    o.flags = flags;
    return vb_open_opts(im, &o, out, diag);
}

int vb_check(vb_image *im, vhdx_report **out)
{
    vhdx_check_opts o;
    vhdx_check_opts_default(&o);
    if (im->p.type == VHDX_TYPE_DIFFERENCING) o.flags |= VHDX_OPEN_NO_PARENT;
    return vhdx_check(&im->io, NULL, &o, out);
}

int vb_save(vb_image *im, const char *path, uint64_t extend_to)
{
    size_t n = 0;
    const uint8_t *d = vhdx_io_mem_data(&im->io, &n);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return VHDX_E_IO;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, d + done, n - done);
        if (w <= 0) { close(fd); return VHDX_E_IO; }
        done += (size_t)w;
    }
    if (extend_to > n && ftruncate(fd, (off_t)extend_to) != 0) { close(fd); return VHDX_E_IO; }
    close(fd);
    return VHDX_OK;
}
