/*
 * interop.c - interoperability predictions (see interop.h). Facts come from
 * ../shared/spec/VHDX-FORMAT.md section 10; each rule below names its subsection.
 */
#include "interop.h"

#include <stdarg.h>
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

typedef struct pred_out {
    interop_prediction *out;
    size_t n, max;
} pred_out;

#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 5, 6)))
#endif
static void add(pred_out *po, const char *consumer, interop_effect effect, const char *basis,
                const char *fmt, ...)
{
    if (po->n >= po->max) return;
    interop_prediction *p = &po->out[po->n++];
    p->consumer = consumer;
    p->effect = effect;
    p->basis = basis;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->reason, sizeof p->reason, fmt, ap);
    va_end(ap);
}

static const vhdx_finding *find_code(const vhdx_report *r, int code)
{
    for (size_t i = 0; i < r->count; i++)
        if (r->findings[i].code == code) return &r->findings[i];
    return NULL;
}

static int has_code(const vhdx_report *r, int code) { return find_code(r, code) != NULL; }

/* v4 GUID when read in Microsoft layout: version nibble = high nibble of byte 7, variant
 * bits 10 in byte 8 (VHDX-FORMAT.md 4.1). */
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

size_t interop_predict(const vhdx_report *r, const interop_facts *facts,
                       interop_prediction *out, size_t max)
{
    pred_out po = { out, 0, max };
    if (!r) return 0;
    const vhdx_info *in = r->info_valid ? &r->info : NULL;

    /* ---- region table ---- */
    int bat_not_req = 0, md_not_req = 0;
    if (in) {
        for (unsigned i = 0; i < in->region_count && i < VHDX_MAX_INFO_REGIONS; i++) {
            const vhdx_region_info *re = &in->regions[i];
            if (vhdx_guid_equal(&re->guid, &VHDX_GUID_BAT_REGION) && !(re->required & 1u))
                bat_not_req = 1;
            if (vhdx_guid_equal(&re->guid, &VHDX_GUID_METADATA_REGION) && !(re->required & 1u))
                md_not_req = 1;
        }
    }
    if (bat_not_req || md_not_req || has_code(r, VHDX_W_RT_NOT_REQUIRED))
        add(&po, "VirtualBox", INTEROP_REJECTS, "VHDX-FORMAT.md 10.6",
            "the %s region entr%s Required = 0; VirtualBox requires Required = 1 on the BAT and metadata regions (old qemu-img images look like this)",
            bat_not_req && md_not_req ? "BAT and metadata" : bat_not_req ? "BAT" : md_not_req ? "metadata" : "BAT or metadata",
            bat_not_req && md_not_req ? "ies have" : "y has");

    const vhdx_finding *rtc = find_code(r, VHDX_W_RT_INVALID_COPY);
    if (rtc) {
        int first_bad = rtc->offset != UINT64_MAX && rtc->offset < 0x40000;
        if (first_bad) {
            add(&po, "QEMU", INTEROP_REJECTS, "VHDX-FORMAT.md 5.3",
                "region table copy 1 is invalid and QEMU reads copy 1 only");
            add(&po, "VirtualBox", INTEROP_REJECTS, "VHDX-FORMAT.md 5.3",
                "region table copy 1 is invalid and VirtualBox reads copy 1 only");
            add(&po, "7-Zip", INTEROP_REJECTS, "VHDX-FORMAT.md 10.5",
                "region table copy 1 is invalid; 7-Zip's fallback to copy 2 re-parses the first buffer and fails");
        }
        add(&po, "cloud-hypervisor", INTEROP_REJECTS, "VHDX-FORMAT.md 5.3",
            "one region table copy is invalid; cloud-hypervisor requires both copies to validate");
        add(&po, "libvhdi", INTEROP_REJECTS, "VHDX-FORMAT.md 10.1; observed with libvhdi 20210425 on the kit's dev-region-copy2-invalid.vhdx",
            "one region table copy is invalid; libvhdi verifies both copies' checksums and refuses the file");
    }
    if (has_code(r, VHDX_W_RT_COPIES_DIFFER))
        add(&po, "QEMU", INTEROP_NOTE, "VHDX-FORMAT.md 5.3",
            "the region table copies differ; QEMU and VirtualBox use copy 1, other readers may pick another copy");

    /* ---- headers ---- */
    if (has_code(r, VHDX_W_HEADERS_IDENTICAL)) {
        add(&po, "QEMU", INTEROP_NOTE, "VHDX-FORMAT.md 2.2",
            "both headers are identical with equal sequence numbers (Disk2vhd); QEMU accepts this since 2014, a strictly conforming reader finds no current header");
        add(&po, "7-Zip", INTEROP_NOTE, "VHDX-FORMAT.md 2.2",
            "identical headers with equal sequence numbers (Disk2vhd) are accepted; header 1 is used");
    }
    if (has_code(r, VHDX_W_HEADER_INVALID_COPY) || (in && (!in->headers[0].valid || !in->headers[1].valid))) {
        add(&po, "7-Zip", INTEROP_REJECTS, "VHDX-FORMAT.md 10.1",
            "only one header is valid; 7-Zip requires both headers to be valid");
        add(&po, "cloud-hypervisor", INTEROP_REJECTS, "VHDX-FORMAT.md 10.1",
            "only one header is valid; cloud-hypervisor (2026) requires both headers to be valid");
        if (in) {
            int cur = in->current_header == 1 ? 1 : 0;
            if (!in->headers[1 - cur].valid &&
                in->headers[1 - cur].sequence_number > in->headers[cur].sequence_number)
                add(&po, "libvhdi", INTEROP_MISREADS, "VHDX-FORMAT.md 10.4",
                    "the invalid header has the higher sequence number and libvhdi does not verify header checksums: it may use the damaged header");
        }
    }
    if (has_code(r, VHDX_W_HEADER_LOG_VERSION))
        add(&po, "QEMU", INTEROP_REJECTS, "VHDX-FORMAT.md 8.8",
            "LogVersion is not 0; QEMU rejects it even when LogGuid is zero");
    if (in) {
        const vhdx_header_info *h = &in->headers[in->current_header == 1 ? 1 : 0];
        if (h->valid && h->log_length == 0 && h->log_offset < 0x100000)
            add(&po, "QEMU", INTEROP_REJECTS, "VHDX-FORMAT.md 8.8",
                "LogOffset is below 1 MiB; QEMU rejects that even when LogLength is 0");
    }

    /* ---- log ---- */
    int dirty = (in && in->log_dirty) || has_code(r, VHDX_I_LOG_DIRTY) ||
                has_code(r, VHDX_E_LOG_REPLAY_REQUIRED);
    if (dirty) {
        add(&po, "QEMU", INTEROP_READ_ONLY, "VHDX-FORMAT.md 8.8",
            "the log is dirty: QEMU refuses a read-only open (EPERM) until the log is replayed (qemu-img check -r all)");
        add(&po, "VirtualBox", INTEROP_REJECTS, "VHDX-FORMAT.md 10.6",
            "the log is dirty: VirtualBox refuses files with a non-zero LogGuid");
        add(&po, "libvhdi", INTEROP_MISREADS, "VHDX-FORMAT.md 10.4",
            "the log is dirty: libvhdi ignores the log and reads stale BAT/metadata");
        add(&po, "cloud-hypervisor", INTEROP_MISREADS, "VHDX-FORMAT.md 10.3",
            "the log is dirty: cloud-hypervisor has no log handling and uses stale BAT/metadata");
        add(&po, "7-Zip", INTEROP_WARNS, "VHDX-FORMAT.md 10.5",
            "the log is dirty: 7-Zip opens it with \"non-empty LOG was not replayed\" and reads stale data");
    }

    /* ---- metadata ---- */
    if (in) {
        if (in->logical_sector_size == 4096) {
            add(&po, "QEMU", INTEROP_REJECTS, "VHDX-FORMAT.md 10.1",
                "4096-byte logical sectors: QEMU fails with ENOTSUP");
            add(&po, "cloud-hypervisor", INTEROP_REJECTS, "VHDX-FORMAT.md 10.3",
                "4096-byte logical sectors: cloud-hypervisor (2026) rejects them");
        }
        if (in->type == VHDX_TYPE_DIFFERENCING)
            add(&po, "QEMU", INTEROP_REJECTS, "TOOLCHAIN.md; CATALOGUE.md 3",
                "differencing image: qemu-img cannot open differencing VHDX (\"Operation not supported\")");
        int unknown_items = 0, known_not_req = 0, pss_not_req = 0;
        for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++) {
            const vhdx_metadata_info *m = &in->metadata[i];
            if (m->is_user) continue;
            if (!is_known_item(&m->item_id)) { unknown_items++; continue; }
            if (!m->is_required) {
                if (vhdx_guid_equal(&m->item_id, &VHDX_GUID_PHYSICAL_SECTOR_SIZE)) pss_not_req = 1;
                else known_not_req = 1;
            }
        }
        if (unknown_items)
            add(&po, "cloud-hypervisor", INTEROP_REJECTS, "VHDX-FORMAT.md 10.3",
                "%d unknown system metadata item(s): cloud-hypervisor rejects unknown items even when not required", unknown_items);
        if (known_not_req || pss_not_req)
            add(&po, "cloud-hypervisor", INTEROP_REJECTS, "VHDX-FORMAT.md 10.3",
                "a known metadata item lacks IsRequired: cloud-hypervisor rejects it");
        if (known_not_req)
            add(&po, "VirtualBox", INTEROP_REJECTS, "VHDX-FORMAT.md 10.6",
                "a known metadata item other than Physical Sector Size lacks IsRequired: VirtualBox rejects flag mismatches");
        if (in->logical_sector_size == 512 || in->logical_sector_size == 4096) {
            if (in->virtual_size & in->logical_sector_size)
                add(&po, "7-Zip", INTEROP_REJECTS, "VHDX-FORMAT.md 10.5",
                    "VirtualDiskSize has bit %u set; 7-Zip's sector-multiple test checks that single bit and rejects the size",
                    in->logical_sector_size == 512 ? 9u : 12u);
        }
        if (facts && facts->fp_flags_known && (facts->fp_flags & 3u) == 3u)
            add(&po, "libvhdi", INTEROP_REJECTS, "VHDX-FORMAT.md 6.3",
                "File Parameters flags = 3 (LeaveBlockAllocated and HasParent): libvhdi rejects this valid combination as unsupported");
        if (in->chunk_ratio && in->payload_blocks > in->chunk_ratio) {
            add(&po, "cloud-hypervisor", INTEROP_MISREADS, "VHDX-FORMAT.md 10.3",
                "the disk spans %llu chunks; cloud-hypervisor ignores the sector-bitmap interleave of the BAT and reads the wrong block beyond the first chunk (offset %llu)",
                (unsigned long long)((in->payload_blocks + in->chunk_ratio - 1) / in->chunk_ratio),
                (unsigned long long)in->chunk_ratio * in->block_size);
            if (in->type == VHDX_TYPE_FIXED)
                add(&po, "libvhdi", INTEROP_MISREADS, "VHDX-FORMAT.md 10.4",
                    "fixed image larger than one chunk: libvhdi reads fixed BATs without the sector-bitmap interleave and misplaces blocks beyond offset %llu",
                    (unsigned long long)in->chunk_ratio * in->block_size);
        }
        uint64_t nonpresent = in->bat.payload[0] + in->bat.payload[1] + in->bat.payload[2] + in->bat.payload[3];
        if (nonpresent && in->type != VHDX_TYPE_DIFFERENCING)
            add(&po, "cloud-hypervisor", INTEROP_MISREADS, "VHDX-FORMAT.md 10.3",
                "%llu block(s) are NOT_PRESENT/UNDEFINED/ZERO/UNMAPPED; cloud-hypervisor leaves the read buffer untouched for them instead of returning zeros",
                (unsigned long long)nonpresent);
        /* every unallocated block ZERO and none NOT_PRESENT: qemu-img's default layout */
        if (in->bat.payload[2] && !in->bat.payload[0] && in->type != VHDX_TYPE_DIFFERENCING)
            add(&po, "QEMU", INTEROP_NOTE, "VHDX-FORMAT.md 10.2 item 12; CATALOGUE.md 4",
                "all %llu unallocated block(s) are PAYLOAD_BLOCK_ZERO, none NOT_PRESENT (qemu-img's non-standard default block_state_zero=on writes this layout); readers must return zeros for them (R73)",
                (unsigned long long)in->bat.payload[2]);
        if (in->bat.payload[3])
            add(&po, "QEMU", INTEROP_NOTE, "VHDX-FORMAT.md 10.2 item 4",
                "%llu block(s) are PAYLOAD_BLOCK_UNMAPPED (3); QEMU before Dec 2014 (spec v0.95) used 5 for this state",
                (unsigned long long)in->bat.payload[3]);

        /* GUIDs that are not version 4 in Microsoft layout: qemu-img's memcpy of an
         * RFC-4122 uuid (VHDX-FORMAT.md 4.1, 10.2 item 9). */
        const vhdx_header_info *h = &in->headers[in->current_header == 1 ? 1 : 0];
        const struct { const char *name; const vhdx_guid *g; } gs[] = {
            {"FileWriteGuid", &h->file_write_guid}, {"DataWriteGuid", &h->data_write_guid},
            {"VirtualDiskId", &in->virtual_disk_id},
        };
        char names[80] = "";
        for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
            if (vhdx_guid_is_zero(gs[i].g) || guid_is_v4_ms(gs[i].g)) continue;
            if (names[0]) strncat(names, ", ", sizeof names - strlen(names) - 1);
            strncat(names, gs[i].name, sizeof names - strlen(names) - 1);
        }
        if (names[0])
            add(&po, "QEMU", INTEROP_NOTE, "VHDX-FORMAT.md 4.1, 10.2 item 9",
                "not a version-4 GUID in Microsoft layout: %s (the pattern of qemu-img's memcpy of an RFC-4122 uuid); harmless for reading, but a parent_linkage written from such a GUID by a tool using the other byte order will not match",
                names);
    }

    /* ---- BAT findings ---- */
    if (has_code(r, VHDX_W_BAT_OFFSET_NOT_ZERO))
        add(&po, "Hyper-V", INTEROP_REJECTS, "VHDX-FORMAT.md 10.2 item 5",
            "a ZERO or NOT_PRESENT BAT entry has a non-zero FileOffsetMB; Hyper-V refused such images written by old QEMU");
    if (has_code(r, VHDX_E_BAT_RESERVED))
        add(&po, "7-Zip", INTEROP_REJECTS, "VHDX-FORMAT.md 10.5",
            "BAT entries have reserved bits 3-19 set; 7-Zip rejects them");
    if (has_code(r, VHDX_E_BLOCK_SIZE)) {
        add(&po, "VirtualBox", INTEROP_REJECTS, "VHDX-FORMAT.md 10.6",
            "BlockSize is out of range and VirtualBox does not check it: a division by zero or wrong geometry is likely");
        add(&po, "libvhdi", INTEROP_MISREADS, "VHDX-FORMAT.md 10.1",
            "BlockSize is out of range; libvhdi only checks BlockSize %% 512 and may accept it");
    }
    if (has_code(r, VHDX_E_DISK_SIZE))
        add(&po, "QEMU", INTEROP_MISREADS, "VHDX-FORMAT.md 10.2 item 2",
            "VirtualDiskSize is out of range; QEMU's u32 payload-block count can wrap on open (heap out-of-bounds BAT access)");
    return po.n;
}
