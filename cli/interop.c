/* SPDX-License-Identifier: Apache-2.0 */
/*
 * interop.c - interoperability predictions (see interop.h) as one table: each row is a
 * consumer, the test that selects it (a finding code, a predicate over the report, or
 * both), the effect, its basis and the reason text. docs/interop.md describes each row.
 */
#include "interop.h"

#include <stdio.h>
#include <string.h>

static const char *const consumers[] = {
    "QEMU", "VirtualBox", "Hyper-V", "libvhdi", "cloud-hypervisor", "7-Zip"
};

const char *const *interop_consumers(size_t *n)
{
    if (n) *n = sizeof consumers / sizeof consumers[0];
    return consumers;
}

const char *interop_effect_name(interop_effect e)
{
    switch (e) {
    case INTEROP_REJECTS: return "rejects";
    case INTEROP_MISREADS: return "misreads";
    case INTEROP_READ_ONLY: return "read-write only";
    case INTEROP_WARNS: return "warns";
    case INTEROP_NOTE: return "note";
    }
    return "";
}

/* What a predicate sees: the report, its image information (NULL when the report has
 * none) and the finding of the row's code (NULL when the row has no code). */
typedef struct interop_ctx {
    const vhdx_report *r;
    const vhdx_info *in;
    const vhdx_finding *hit;
} interop_ctx;

/* Texts a predicate supplies for the {0} and {1} placeholders of its row's reason. */
typedef struct interop_args {
    char a[2][96];
} interop_args;

typedef int (*interop_pred)(const interop_ctx *c, interop_args *args);

typedef struct interop_row {
    const char *consumer;
    int code;              /* the row applies when the report has this finding (0: any) */
    interop_pred when;     /* ... and this holds (NULL: no further test) */
    interop_effect effect;
    const char *basis;
    const char *reason;    /* {0} and {1} are replaced by the predicate's texts */
} interop_row;

/* ---- helpers ---- */

static const vhdx_finding *find_code(const vhdx_report *r, int code)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->findings[i].code == code) return &r->findings[i];
    return NULL;
}

static int has_code(const vhdx_report *r, int code) { return find_code(r, code) != NULL; }

static const vhdx_header_info *current_header(const vhdx_info *in)
{
    return &in->headers[in->current_header == 1 ? 1 : 0];
}

/* [MS-VHDX 2] R1: a v4 GUID read in Microsoft layout has the version nibble in the high
 * nibble of byte 7 and the variant bits 10 in byte 8. */
static int guid_is_v4_ms(const vhdx_guid *g)
{
    return (g->b[7] >> 4) == 4 && (g->b[8] & 0xC0) == 0x80;
}

static int is_known_item(const vhdx_guid *g)
{
    return vhdx_guid_equal(g, &VHDX_GUID_FILE_PARAMETERS) ||
           vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_SIZE) ||
           vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_ID) ||
           vhdx_guid_equal(g, &VHDX_GUID_LOGICAL_SECTOR_SIZE) ||
           vhdx_guid_equal(g, &VHDX_GUID_PHYSICAL_SECTOR_SIZE) ||
           vhdx_guid_equal(g, &VHDX_GUID_PARENT_LOCATOR);
}

static void arg_u64(interop_args *a, int i, uint64_t v)
{
    snprintf(a->a[i], sizeof a->a[i], "%llu", (unsigned long long)v);
}

/* ---- predicates, in table order ---- */

/* [MS-VHDX 2.2.3.2] D7: the BAT or metadata region entry has Required = 0 */
static int rt_not_required(const interop_ctx *c, interop_args *a)
{
    int bat = 0, md = 0;
    for (unsigned i = 0; c->in && i < c->in->region_count && i < VHDX_MAX_INFO_REGIONS; i++) {
        const vhdx_region_info *re = &c->in->regions[i];
        if (re->required & 1u) continue;
        if (vhdx_guid_equal(&re->guid, &VHDX_GUID_BAT_REGION)) bat = 1;
        if (vhdx_guid_equal(&re->guid, &VHDX_GUID_METADATA_REGION)) md = 1;
    }
    if (!bat && !md && !has_code(c->r, VHDX_W_RT_NOT_REQUIRED)) return 0;
    snprintf(a->a[0], sizeof a->a[0], "%s", bat && md ? "BAT and metadata" : bat ? "BAT"
                                            : md ? "metadata" : "BAT or metadata");
    snprintf(a->a[1], sizeof a->a[1], "%s", bat && md ? "ies have" : "y has");
    return 1;
}

/* the invalid region table copy is the first (at 192 KiB) */
static int rt_copy1_bad(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return c->hit->offset != UINT64_MAX && c->hit->offset < 0x40000;
}

/* the invalid region table copy is the second (at 256 KiB) */
static int rt_copy2_bad(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return c->hit->offset != UINT64_MAX && c->hit->offset >= 0x40000;
}

static int one_header_invalid(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return has_code(c->r, VHDX_W_HEADER_INVALID_COPY) ||
           (c->in && (!c->in->headers[0].valid || !c->in->headers[1].valid));
}

static int invalid_header_newer(const interop_ctx *c, interop_args *a)
{
    if (!c->in || !one_header_invalid(c, a)) return 0;
    int cur = c->in->current_header == 1 ? 1 : 0;
    const vhdx_header_info *other = &c->in->headers[1 - cur];
    return !other->valid && other->sequence_number > c->in->headers[cur].sequence_number;
}

static int log_offset_low(const interop_ctx *c, interop_args *a)
{
    (void)a;
    if (!c->in) return 0;
    const vhdx_header_info *h = current_header(c->in);
    return h->valid && h->log_length == 0 && h->log_offset < 0x100000;
}

static int log_dirty(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return (c->in && c->in->log_dirty) || has_code(c->r, VHDX_I_LOG_DIRTY) ||
           has_code(c->r, VHDX_E_LOG_REPLAY_REQUIRED);
}

/* a dirty log that holds a valid sequence to replay: no error finding of the log section
 * ([MS-VHDX 2.3]). QEMU 7.2, measured on the kit: with a log it cannot use it either opens
 * the image ignoring the log (no valid sequence found) or fails with EINVAL, depending on
 * the rule broken, so only the replayable case is predicted. */
static int log_dirty_replayable(const interop_ctx *c, interop_args *a)
{
    if (!log_dirty(c, a)) return 0;
    for (size_t i = 0; i < c->r->count; i++) {
        const vhdx_finding *f = &c->r->findings[i];
        if (f->severity == VHDX_SEV_ERROR && strncmp(vhdx_status_section(f->code), "2.3", 3) == 0)
            return 0;
    }
    return 1;
}

static int lss_4096(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return c->in && c->in->logical_sector_size == 4096;
}

static int differencing(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return c->in && c->in->type == VHDX_TYPE_DIFFERENCING;
}

/* The system items: how many are unknown, whether a known one (Physical Sector Size
 * apart, which VirtualBox tolerates) or Physical Sector Size lacks IsRequired. */
typedef struct item_flags {
    unsigned unknown;
    int known_not_required, pss_not_required;
} item_flags;

static item_flags system_items(const vhdx_info *in)
{
    item_flags k = { 0, 0, 0 };
    for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++) {
        const vhdx_metadata_info *m = &in->metadata[i];
        if (m->is_user) continue;
        if (!is_known_item(&m->item_id)) k.unknown++;
        else if (!m->is_required && vhdx_guid_equal(&m->item_id, &VHDX_GUID_PHYSICAL_SECTOR_SIZE))
            k.pss_not_required = 1;
        else if (!m->is_required)
            k.known_not_required = 1;
    }
    return k;
}

static int unknown_items(const interop_ctx *c, interop_args *a)
{
    unsigned n = c->in ? system_items(c->in).unknown : 0;
    arg_u64(a, 0, n);
    return n != 0;
}

static int item_not_required(const interop_ctx *c, interop_args *a)
{
    (void)a;
    item_flags k = c->in ? system_items(c->in) : (item_flags){ 0, 0, 0 };
    return k.known_not_required || k.pss_not_required;
}

static int item_not_required_but_pss(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return c->in && system_items(c->in).known_not_required;
}

/* 7-Zip tests the single bit log2(LogicalSectorSize) of VirtualDiskSize */
static int size_bit_set(const interop_ctx *c, interop_args *a)
{
    if (!c->in) return 0;
    uint32_t lss = c->in->logical_sector_size;
    if ((lss != 512 && lss != 4096) || !(c->in->virtual_size & lss)) return 0;
    arg_u64(a, 0, lss == 512 ? 9 : 12);
    return 1;
}

/* [MS-VHDX 2.6.2.1] File Parameters Flags: LeaveBlockAllocated and HasParent both set */
static int fp_flags_3(const interop_ctx *c, interop_args *a)
{
    (void)a;
    return c->in && (c->in->file_parameter_flags & 3u) == 3u;
}

/* the disk has more than one chunk: {0} chunks, {1} the offset of the second */
static int multi_chunk(const interop_ctx *c, interop_args *a)
{
    const vhdx_info *in = c->in;
    if (!in || !in->chunk_ratio || in->payload_blocks <= in->chunk_ratio) return 0;
    arg_u64(a, 0, (in->payload_blocks + in->chunk_ratio - 1) / in->chunk_ratio);
    arg_u64(a, 1, (uint64_t)in->chunk_ratio * in->block_size);
    return 1;
}

static int fixed_multi_chunk(const interop_ctx *c, interop_args *a)
{
    return multi_chunk(c, a) && c->in->type == VHDX_TYPE_FIXED;
}

static int unallocated_blocks(const interop_ctx *c, interop_args *a)
{
    const vhdx_info *in = c->in;
    if (!in || in->type == VHDX_TYPE_DIFFERENCING) return 0;
    uint64_t n = in->bat.payload[0] + in->bat.payload[1] + in->bat.payload[2] +
                 in->bat.payload[3];
    arg_u64(a, 0, n);
    return n != 0;
}

/* every unallocated block ZERO and none NOT_PRESENT: qemu-img's default layout */
static int zero_layout(const interop_ctx *c, interop_args *a)
{
    const vhdx_info *in = c->in;
    if (!in || !in->bat.payload[2] || in->bat.payload[0] || in->type == VHDX_TYPE_DIFFERENCING)
        return 0;
    arg_u64(a, 0, in->bat.payload[2]);
    return 1;
}

static int unmapped_blocks(const interop_ctx *c, interop_args *a)
{
    if (!c->in || !c->in->bat.payload[3]) return 0;
    arg_u64(a, 0, c->in->bat.payload[3]);
    return 1;
}

/* GUIDs that are not version 4 in Microsoft layout: {0} their names */
static int guids_not_v4(const interop_ctx *c, interop_args *a)
{
    if (!c->in) return 0;
    const vhdx_header_info *h = current_header(c->in);
    const struct { const char *name; const vhdx_guid *g; } gs[] = {
        { "FileWriteGuid", &h->file_write_guid }, { "DataWriteGuid", &h->data_write_guid },
        { "VirtualDiskId", &c->in->virtual_disk_id },
    };
    char *names = a->a[0];
    size_t cap = sizeof a->a[0];
    names[0] = 0;
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
        if (vhdx_guid_is_zero(gs[i].g) || guid_is_v4_ms(gs[i].g)) continue;
        size_t len = strlen(names);
        snprintf(names + len, cap - len, "%s%s", len ? ", " : "", gs[i].name);
    }
    return names[0] != 0;
}

/* ---- the table ---- */

#define BASIS(section, rule, consumer) \
    "[MS-VHDX " section "]; docs/rules.md#" rule "; docs/interop.md#" consumer

static const interop_row rows[] = {
    /* region table */
    { "VirtualBox", 0, rt_not_required, INTEROP_REJECTS, BASIS("2.2.3.2", "d7", "virtualbox"),
      "the {0} region entr{1} Required = 0; VirtualBox requires Required = 1 on the BAT and metadata regions (old qemu-img images look like this)" },
    { "QEMU", VHDX_W_RT_INVALID_COPY, rt_copy1_bad, INTEROP_REJECTS, BASIS("2.2.3", "r23", "qemu"),
      "region table copy 1 is invalid and QEMU reads copy 1 only" },
    { "VirtualBox", VHDX_W_RT_INVALID_COPY, rt_copy1_bad, INTEROP_REJECTS, BASIS("2.2.3", "r23", "virtualbox"),
      "region table copy 1 is invalid and VirtualBox reads copy 1 only" },
    { "7-Zip", VHDX_W_RT_INVALID_COPY, rt_copy1_bad, INTEROP_REJECTS, BASIS("2.2.3", "r23", "7-zip"),
      "region table copy 1 is invalid; 7-Zip's fallback to copy 2 re-parses the first buffer and fails" },
    { "7-Zip", VHDX_W_RT_INVALID_COPY, rt_copy2_bad, INTEROP_REJECTS, BASIS("2.2.3", "r23", "7-zip"),
      "region table copy 2 is invalid; 7-Zip requires both copies to match (\"Region tables mismatch\")" },
    { "cloud-hypervisor", VHDX_W_RT_INVALID_COPY, NULL, INTEROP_REJECTS, BASIS("2.2.3", "r23", "cloud-hypervisor"),
      "one region table copy is invalid; cloud-hypervisor requires both copies to validate" },
    { "libvhdi", VHDX_W_RT_INVALID_COPY, NULL, INTEROP_REJECTS, BASIS("2.2.3.1", "r25", "libvhdi"),
      "one region table copy is invalid; libvhdi verifies both copies' checksums and refuses the file" },
    { "QEMU", VHDX_W_RT_COPIES_DIFFER, NULL, INTEROP_NOTE, BASIS("2.2.3", "r23", "qemu"),
      "the region table copies differ; QEMU and VirtualBox use copy 1, other readers may pick another copy" },
    /* headers */
    { "QEMU", VHDX_W_HEADERS_IDENTICAL, NULL, INTEROP_NOTE, BASIS("2.2.2", "r11", "qemu"),
      "both headers are identical with equal sequence numbers (Disk2vhd); QEMU accepts this since 2014, a strictly conforming reader finds no current header" },
    { "7-Zip", VHDX_W_HEADERS_IDENTICAL, NULL, INTEROP_NOTE, BASIS("2.2.2", "r11", "7-zip"),
      "identical headers with equal sequence numbers (Disk2vhd) are accepted; header 1 is used" },
    { "7-Zip", 0, one_header_invalid, INTEROP_REJECTS, BASIS("2.2.2", "r10", "7-zip"),
      "only one header is valid; 7-Zip requires both headers to be valid" },
    { "cloud-hypervisor", 0, one_header_invalid, INTEROP_REJECTS, BASIS("2.2.2", "r10", "cloud-hypervisor"),
      "only one header is valid; cloud-hypervisor (2026) requires both headers to be valid" },
    { "libvhdi", 0, invalid_header_newer, INTEROP_MISREADS, BASIS("2.2.2", "r10", "libvhdi"),
      "the invalid header has the higher sequence number and libvhdi does not verify header checksums: it may use the damaged header" },
    { "QEMU", VHDX_W_HEADER_LOG_VERSION, NULL, INTEROP_REJECTS, BASIS("2.2.2", "r15", "qemu"),
      "LogVersion is not 0; QEMU rejects it even when LogGuid is zero" },
    { "QEMU", 0, log_offset_low, INTEROP_REJECTS, BASIS("2.2.2", "r18", "qemu"),
      "LogOffset is below 1 MiB; QEMU rejects that even when LogLength is 0" },
    /* log */
    { "QEMU", 0, log_dirty_replayable, INTEROP_READ_ONLY, BASIS("2.3.3", "r58", "qemu"),
      "the log is dirty: QEMU refuses a read-only open (EPERM) until the log is replayed (qemu-img check -r all)" },
    { "VirtualBox", 0, log_dirty, INTEROP_REJECTS, BASIS("2.3.3", "r59", "virtualbox"),
      "the log is dirty: VirtualBox refuses files with a non-zero LogGuid" },
    { "libvhdi", 0, log_dirty, INTEROP_MISREADS, BASIS("2.3.3", "r58", "libvhdi"),
      "the log is dirty: libvhdi ignores the log and reads stale BAT/metadata" },
    { "cloud-hypervisor", 0, log_dirty, INTEROP_MISREADS, BASIS("2.3.3", "r58", "cloud-hypervisor"),
      "the log is dirty: cloud-hypervisor has no log handling and uses stale BAT/metadata" },
    { "7-Zip", 0, log_dirty, INTEROP_REJECTS, BASIS("2.3.3", "r58", "7-zip"),
      "the log is dirty (LogGuid is not zero): 7-Zip 26.02 fails with the error \"non-empty LOG was not replayed\"" },
    /* metadata */
    { "QEMU", 0, lss_4096, INTEROP_REJECTS, BASIS("2.6.2.4", "r96", "qemu"),
      "4096-byte logical sectors: QEMU fails with ENOTSUP" },
    { "cloud-hypervisor", 0, lss_4096, INTEROP_REJECTS, BASIS("2.6.2.4", "r96", "cloud-hypervisor"),
      "4096-byte logical sectors: cloud-hypervisor (2026) rejects them" },
    { "QEMU", 0, differencing, INTEROP_REJECTS,
      "[MS-VHDX 2.6.2.6]; known behaviour of QEMU 7.2 (docs/interop.md#qemu)",
      "differencing image: qemu-img cannot open differencing VHDX (\"Operation not supported\")" },
    { "cloud-hypervisor", 0, unknown_items, INTEROP_REJECTS, BASIS("2.6.1.2", "r90", "cloud-hypervisor"),
      "{0} unknown system metadata item(s): cloud-hypervisor rejects unknown items even when not required" },
    { "cloud-hypervisor", 0, item_not_required, INTEROP_REJECTS, BASIS("2.6.2", "d11", "cloud-hypervisor"),
      "a known metadata item lacks IsRequired: cloud-hypervisor rejects it" },
    { "VirtualBox", 0, item_not_required_but_pss, INTEROP_REJECTS, BASIS("2.6.2", "d11", "virtualbox"),
      "a known metadata item other than Physical Sector Size lacks IsRequired: VirtualBox rejects flag mismatches" },
    { "7-Zip", 0, size_bit_set, INTEROP_REJECTS, BASIS("2.6.2.2", "r95", "7-zip"),
      "VirtualDiskSize has bit {0} set; 7-Zip's sector-multiple test checks that single bit and rejects the size" },
    { "libvhdi", 0, fp_flags_3, INTEROP_REJECTS, BASIS("2.6.2.1", "r94", "libvhdi"),
      "File Parameters flags = 3 (LeaveBlockAllocated and HasParent): libvhdi rejects this valid combination as unsupported" },
    /* BAT layout and block states */
    { "cloud-hypervisor", 0, multi_chunk, INTEROP_MISREADS, BASIS("2.5", "r67", "cloud-hypervisor"),
      "the disk spans {0} chunks; cloud-hypervisor ignores the sector-bitmap interleave of the BAT and reads the wrong block beyond the first chunk (offset {1})" },
    { "libvhdi", 0, fixed_multi_chunk, INTEROP_MISREADS, BASIS("2.5", "r67", "libvhdi"),
      "fixed image larger than one chunk: libvhdi reads fixed BATs without the sector-bitmap interleave and misplaces blocks beyond offset {1}" },
    { "cloud-hypervisor", 0, unallocated_blocks, INTEROP_MISREADS, BASIS("2.5.1.1", "r73", "cloud-hypervisor"),
      "{0} block(s) are NOT_PRESENT/UNDEFINED/ZERO/UNMAPPED; cloud-hypervisor leaves the read buffer untouched for them instead of returning zeros" },
    { "QEMU", 0, zero_layout, INTEROP_NOTE, BASIS("2.5.1.1", "r73", "qemu"),
      "all {0} unallocated block(s) are PAYLOAD_BLOCK_ZERO, none NOT_PRESENT (qemu-img's non-standard default block_state_zero=on writes this layout); readers must return zeros for them (R73)" },
    { "QEMU", 0, unmapped_blocks, INTEROP_NOTE, BASIS("2.5.1.1", "r72", "qemu"),
      "{0} block(s) are PAYLOAD_BLOCK_UNMAPPED (3); QEMU before Dec 2014 (spec v0.95) used 5 for this state" },
    { "QEMU", 0, guids_not_v4, INTEROP_NOTE, BASIS("2", "r1", "qemu"),
      "not a version-4 GUID in Microsoft layout: {0} (the pattern of qemu-img's memcpy of an RFC-4122 uuid); harmless for reading, but a parent_linkage written from such a GUID by a tool using the other byte order will not match" },
    /* BAT and metadata findings */
    { "Hyper-V", VHDX_W_BAT_OFFSET_NOT_ZERO, NULL, INTEROP_REJECTS, BASIS("2.5.1.1", "d13", "hyper-v"),
      "a ZERO or NOT_PRESENT BAT entry has a non-zero FileOffsetMB; Hyper-V refused such images written by old QEMU" },
    { "7-Zip", VHDX_E_BAT_RESERVED, NULL, INTEROP_REJECTS, BASIS("2.5.1", "r69", "7-zip"),
      "BAT entries have reserved bits 3-19 set; 7-Zip rejects them" },
    { "VirtualBox", VHDX_E_BLOCK_SIZE, NULL, INTEROP_REJECTS, BASIS("2.6.2.1", "r92", "virtualbox"),
      "BlockSize is out of range and VirtualBox does not check it: a division by zero or wrong geometry is likely" },
    { "libvhdi", VHDX_E_BLOCK_SIZE, NULL, INTEROP_MISREADS, BASIS("2.6.2.1", "r92", "libvhdi"),
      "BlockSize is out of range; libvhdi only checks BlockSize % 512 and may accept it" },
    { "QEMU", VHDX_E_DISK_SIZE, NULL, INTEROP_MISREADS, BASIS("2.6.2.2", "r95", "qemu"),
      "VirtualDiskSize is out of range; QEMU's u32 payload-block count can wrap on open (heap out-of-bounds BAT access)" },
};

_Static_assert(sizeof rows / sizeof rows[0] <= INTEROP_MAX, "INTEROP_MAX below the table size");

/* reason with {0} and {1} replaced by the predicate's texts */
static void format_reason(char *out, size_t cap, const char *fmt, const interop_args *a)
{
    size_t n = 0;
    for (const char *p = fmt; *p && n + 1 < cap; p++) {
        if (p[0] == '{' && (p[1] == '0' || p[1] == '1') && p[2] == '}') {
            n += (size_t)snprintf(out + n, cap - n, "%s", a->a[p[1] - '0']);
            if (n >= cap) n = cap - 1;
            p += 2;
            continue;
        }
        out[n++] = *p;
    }
    out[n] = 0;
}

size_t interop_predict(const vhdx_report *r, interop_prediction *out, size_t max)
{
    size_t n = 0;
    if (!r) return 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && n < max; i++) {
        const interop_row *row = &rows[i];
        interop_ctx c = { r, r->info_valid ? r->info : NULL, NULL };
        interop_args args;
        memset(&args, 0, sizeof args);
        if (row->code && !(c.hit = find_code(r, row->code))) continue;
        if (row->when && !row->when(&c, &args)) continue;
        out[n].consumer = row->consumer;
        out[n].effect = row->effect;
        out[n].basis = row->basis;
        format_reason(out[n].reason, sizeof out[n].reason, row->reason, &args);
        n++;
    }
    return n;
}
