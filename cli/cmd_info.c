/* cmd_info.c - `vhdx info`: structure summary of an image, as text or JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx info [--json] [--parent PATH] [--parent-ignore-linkage] IMAGE\n";

static const char help[] =
    "\n"
    "Shows the disk type, virtual size, block size, sector sizes, chunk ratio, both headers\n"
    "(sequence numbers, GUIDs), the creator, the region table, the metadata items, the BAT\n"
    "state counts and the log state. The image is opened read-only: a dirty log is replayed\n"
    "in memory and the file is never written.\n"
    "\n"
    "options:\n"
    "  --json                     machine-readable output (stable keys)\n"
    "  --parent PATH              parent image of a differencing disk (overrides the locator)\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    "  -h, --help                 show this help\n"
    "\n"
    "A differencing image whose parent cannot be found is shown without its parent.\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image.\n";

/* File ranges the log replay changes (first INFO_MAX_RANGES kept, total counted). */
#define INFO_MAX_RANGES 64
typedef struct replay_ranges {
    size_t total;   /* ranges after merging the stored ones, plus those not fetched */
    size_t stored;  /* valid entries in off/len */
    uint64_t off[INFO_MAX_RANGES], len[INFO_MAX_RANGES];
} replay_ranges;

/* The library lists each replayed sector and zero range (sorted, possibly repeated when
 * several entries write the same sector): merge overlapping and adjacent ones. Ranges beyond
 * the first INFO_MAX_RANGES stay counted as they are. */
static void merge_ranges(replay_ranges *rr, size_t total)
{
    size_t have = total < INFO_MAX_RANGES ? total : INFO_MAX_RANGES, n = 0;
    for (size_t i = 0; i < have; i++) {
        if (n > 0 && rr->off[i] >= rr->off[n - 1] &&
            rr->off[i] - rr->off[n - 1] <= rr->len[n - 1]) {
            uint64_t end = rr->off[i] + rr->len[i];
            if (end < rr->off[i]) end = UINT64_MAX;
            if (end - rr->off[n - 1] > rr->len[n - 1]) rr->len[n - 1] = end - rr->off[n - 1];
            continue;
        }
        rr->off[n] = rr->off[i];
        rr->len[n] = rr->len[i];
        n++;
    }
    rr->stored = n;
    rr->total = n + (total - have);
}

static const char *type_name(vhdx_disk_type t)
{
    switch (t) {
    case VHDX_TYPE_FIXED: return "fixed";
    case VHDX_TYPE_DYNAMIC: return "dynamic";
    case VHDX_TYPE_DIFFERENCING: return "differencing";
    }
    return "unknown";
}

/* [MS-VHDX 2.5.1.1] payload block states; 4 and 5 are reserved. */
static const char *const payload_state_names[8] = {
    "NOT_PRESENT", "UNDEFINED", "ZERO", "UNMAPPED", "RESERVED_4", "RESERVED_5",
    "FULLY_PRESENT", "PARTIALLY_PRESENT"
};
/* [MS-VHDX 2.5.1.2] sector bitmap block states. */
static const char *const sb_state_names[8] = {
    "NOT_PRESENT", "RESERVED_1", "RESERVED_2", "RESERVED_3", "RESERVED_4", "RESERVED_5",
    "PRESENT", "RESERVED_7"
};

static const char *region_name(const vhdx_guid *g)
{
    if (vhdx_guid_equal(g, &VHDX_GUID_BAT_REGION)) return "BAT";
    if (vhdx_guid_equal(g, &VHDX_GUID_METADATA_REGION)) return "metadata";
    return "unknown";
}

static const char *metadata_name(const vhdx_metadata_info *m)
{
    if (m->is_user) return "user";
    const vhdx_guid *g = &m->item_id;
    if (vhdx_guid_equal(g, &VHDX_GUID_FILE_PARAMETERS)) return "file_parameters";
    if (vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_SIZE)) return "virtual_disk_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_VIRTUAL_DISK_ID)) return "virtual_disk_id";
    if (vhdx_guid_equal(g, &VHDX_GUID_LOGICAL_SECTOR_SIZE)) return "logical_sector_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_PHYSICAL_SECTOR_SIZE)) return "physical_sector_size";
    if (vhdx_guid_equal(g, &VHDX_GUID_PARENT_LOCATOR)) return "parent_locator";
    return "unknown";
}

static const char *log_replayed_name(int r)
{
    switch (r) {
    case 1: return "in-memory";
    case 2: return "in-place";
    default: return "no";
    }
}

static void print_text(const char *path, const vhdx_info *in, int parent_missing,
                       const replay_ranges *rr)
{
    char g[40], h[40];
    printf("image: %s\n", path);
    printf("type: %s\n", type_name(in->type));
    printf("virtual size: %" PRIu64 " (%s)\n", in->virtual_size,
           cli_human_size(in->virtual_size, h, sizeof h));
    printf("block size: %" PRIu32 " (%s)\n", in->block_size,
           cli_human_size(in->block_size, h, sizeof h));
    printf("logical sector size: %" PRIu32 "\n", in->logical_sector_size);
    printf("physical sector size: %" PRIu32 "\n", in->physical_sector_size);
    printf("chunk ratio: %" PRIu32 "\n", in->chunk_ratio);
    printf("payload blocks: %" PRIu64 "\n", in->payload_blocks);
    printf("BAT entries: %" PRIu64 "\n", in->bat_entries);
    printf("file size: %" PRIu64 "\n", in->file_size);
    printf("virtual disk id: %s\n", cli_guid_str(&in->virtual_disk_id, g, sizeof g));
    printf("creator: %s\n", in->creator);
    printf("current header: %d\n", in->current_header);
    for (int i = 0; i < 2; i++) {
        const vhdx_header_info *hd = &in->headers[i];
        if (!hd->valid) {
            printf("header %d: invalid\n", i);
            continue;
        }
        printf("header %d: sequence %" PRIu64 "%s\n", i, hd->sequence_number,
               i == in->current_header ? " (current)" : "");
        printf("  file write guid: %s\n", cli_guid_str(&hd->file_write_guid, g, sizeof g));
        printf("  data write guid: %s\n", cli_guid_str(&hd->data_write_guid, g, sizeof g));
        printf("  log guid: %s\n", cli_guid_str(&hd->log_guid, g, sizeof g));
        printf("  log: offset 0x%" PRIx64 " length 0x%" PRIx32 ", log version %u, version %u\n",
               hd->log_offset, hd->log_length, (unsigned)hd->log_version, (unsigned)hd->version);
        printf("  checksum: 0x%08" PRIx32 "\n", hd->checksum);
    }
    printf("regions: %u\n", in->region_count);
    for (unsigned i = 0; i < in->region_count && i < VHDX_MAX_INFO_REGIONS; i++) {
        const vhdx_region_info *r = &in->regions[i];
        printf("  %s %-8s offset 0x%" PRIx64 " length 0x%" PRIx32 " required %" PRIu32 "\n",
               cli_guid_str(&r->guid, g, sizeof g), region_name(&r->guid), r->file_offset,
               r->length, r->required);
    }
    printf("metadata items: %u\n", in->metadata_count);
    for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++) {
        const vhdx_metadata_info *m = &in->metadata[i];
        printf("  %s %-20s offset 0x%" PRIx32 " length %" PRIu32 "%s%s%s\n",
               cli_guid_str(&m->item_id, g, sizeof g), metadata_name(m), m->offset, m->length,
               m->is_user ? " user" : "", m->is_virtual_disk ? " virtual-disk" : "",
               m->is_required ? " required" : "");
    }
    printf("BAT payload blocks:");
    int any = 0;
    for (int s = 0; s < 8; s++) {
        if (in->bat.payload[s] == 0) continue;
        printf("%s %s %" PRIu64, any ? "," : "", payload_state_names[s], in->bat.payload[s]);
        any = 1;
    }
    printf("%s\n", any ? "" : " none");
    printf("BAT sector bitmap blocks:");
    any = 0;
    for (int s = 0; s < 8; s++) {
        if (in->bat.sector_bitmap[s] == 0) continue;
        printf("%s %s %" PRIu64, any ? "," : "", sb_state_names[s], in->bat.sector_bitmap[s]);
        any = 1;
    }
    printf("%s\n", any ? "" : " none");
    if (!in->log_dirty)
        printf("log: clean\n");
    else if (in->log_replayed == 1)
        printf("log: dirty, replayed in memory (%" PRIu64 " %s; file not modified)\n",
               in->log_entries_replayed, in->log_entries_replayed == 1 ? "entry" : "entries");
    else if (in->log_replayed == 2)
        printf("log: dirty, replayed in place (%" PRIu64 " %s)\n", in->log_entries_replayed,
               in->log_entries_replayed == 1 ? "entry" : "entries");
    else
        printf("log: dirty, not replayed\n");
    if (rr->total) {
        size_t shown = rr->stored;
        printf("log replay changes %zu file %s:\n", rr->total,
               rr->total == 1 ? "range" : "ranges");
        for (size_t i = 0; i < shown; i++)
            printf("  offset 0x%" PRIx64 " length 0x%" PRIx64 "\n", rr->off[i], rr->len[i]);
        if (shown < rr->total) printf("  ... %zu more\n", rr->total - shown);
    }
    if (in->has_parent) {
        printf("parent linkage: %s\n", cli_guid_str(&in->parent_linkage, g, sizeof g));
        if (parent_missing)
            printf("parent: not found (shown without parent)\n");
        else
            printf("chain depth: %d\n", in->chain_depth);
    }
}

static void json_guid(const char *key, const vhdx_guid *gd, int comma)
{
    char g[40];
    printf("\"%s\": \"%s\"%s", key, cli_guid_str(gd, g, sizeof g), comma ? ", " : "");
}

static void print_json(const char *path, const vhdx_info *in, int parent_missing,
                       const replay_ranges *rr)
{
    printf("{\n  \"image\": ");
    cli_json_str(stdout, path);
    printf(",\n  \"type\": \"%s\",\n", type_name(in->type));
    printf("  \"virtual_size\": %" PRIu64 ",\n", in->virtual_size);
    printf("  \"block_size\": %" PRIu32 ",\n", in->block_size);
    printf("  \"logical_sector_size\": %" PRIu32 ",\n", in->logical_sector_size);
    printf("  \"physical_sector_size\": %" PRIu32 ",\n", in->physical_sector_size);
    printf("  \"chunk_ratio\": %" PRIu32 ",\n", in->chunk_ratio);
    printf("  \"payload_blocks\": %" PRIu64 ",\n", in->payload_blocks);
    printf("  \"bat_entries\": %" PRIu64 ",\n", in->bat_entries);
    printf("  \"file_size\": %" PRIu64 ",\n", in->file_size);
    printf("  ");
    json_guid("virtual_disk_id", &in->virtual_disk_id, 0);
    printf(",\n  \"creator\": ");
    cli_json_str(stdout, in->creator);
    printf(",\n  \"current_header\": %d,\n  \"headers\": [\n", in->current_header);
    for (int i = 0; i < 2; i++) {
        const vhdx_header_info *hd = &in->headers[i];
        printf("    {\"index\": %d, \"valid\": %s, \"current\": %s", i,
               hd->valid ? "true" : "false", i == in->current_header ? "true" : "false");
        if (hd->valid) {
            printf(", \"sequence_number\": %" PRIu64 ", ", hd->sequence_number);
            json_guid("file_write_guid", &hd->file_write_guid, 1);
            json_guid("data_write_guid", &hd->data_write_guid, 1);
            json_guid("log_guid", &hd->log_guid, 1);
            printf("\"log_version\": %u, \"version\": %u, \"log_offset\": %" PRIu64
                   ", \"log_length\": %" PRIu32 ", \"checksum\": \"0x%08" PRIx32 "\"",
                   (unsigned)hd->log_version, (unsigned)hd->version, hd->log_offset,
                   hd->log_length, hd->checksum);
        }
        printf("}%s\n", i == 0 ? "," : "");
    }
    printf("  ],\n  \"regions\": [");
    for (unsigned i = 0; i < in->region_count && i < VHDX_MAX_INFO_REGIONS; i++) {
        const vhdx_region_info *r = &in->regions[i];
        printf("%s\n    {", i ? "," : "");
        json_guid("guid", &r->guid, 1);
        printf("\"name\": \"%s\", \"file_offset\": %" PRIu64 ", \"length\": %" PRIu32
               ", \"required\": %" PRIu32 "}",
               region_name(&r->guid), r->file_offset, r->length, r->required);
    }
    printf("%s],\n  \"metadata\": [", in->region_count ? "\n  " : "");
    for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++) {
        const vhdx_metadata_info *m = &in->metadata[i];
        printf("%s\n    {", i ? "," : "");
        json_guid("item_id", &m->item_id, 1);
        printf("\"name\": \"%s\", \"offset\": %" PRIu32 ", \"length\": %" PRIu32
               ", \"is_user\": %s, \"is_virtual_disk\": %s, \"is_required\": %s}",
               metadata_name(m), m->offset, m->length, m->is_user ? "true" : "false",
               m->is_virtual_disk ? "true" : "false", m->is_required ? "true" : "false");
    }
    printf("%s],\n  \"bat\": {\n    \"payload\": {", in->metadata_count ? "\n  " : "");
    for (int s = 0; s < 8; s++)
        printf("%s\"%s\": %" PRIu64, s ? ", " : "", payload_state_names[s], in->bat.payload[s]);
    printf("},\n    \"sector_bitmap\": {");
    for (int s = 0; s < 8; s++)
        printf("%s\"%s\": %" PRIu64, s ? ", " : "", sb_state_names[s],
               in->bat.sector_bitmap[s]);
    printf("}\n  },\n");
    printf("  \"log\": {\"dirty\": %s, \"replayed\": \"%s\", \"entries_replayed\": %" PRIu64
           ", \"replay_range_count\": %zu, \"replay_ranges\": [",
           in->log_dirty ? "true" : "false", log_replayed_name(in->log_replayed),
           in->log_entries_replayed, rr->total);
    for (size_t i = 0; i < rr->stored; i++)
        printf("%s{\"offset\": %" PRIu64 ", \"length\": %" PRIu64 "}", i ? ", " : "",
               rr->off[i], rr->len[i]);
    printf("]},\n");
    printf("  \"parent\": {\"has_parent\": %s", in->has_parent ? "true" : "false");
    if (in->has_parent) {
        printf(", ");
        json_guid("parent_linkage", &in->parent_linkage, 1);
        printf("\"found\": %s", parent_missing ? "false" : "true");
    }
    printf(", \"chain_depth\": %d}\n}\n", in->chain_depth);
}

int cmd_info(int argc, char **argv)
{
    const char *image = NULL, *parent = NULL;
    int json = 0, ignore_linkage = 0, dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && a[0] == '-' && a[1] != '\0') {
            int m;
            if (strcmp(a, "--") == 0) { dashdash = 1; continue; }
            if (cli_is_help(a)) {
                printf("%s%s", usage, help);
                return CLI_EXIT_OK;
            }
            if (strcmp(a, "--json") == 0) { json = 1; continue; }
            if ((m = cli_parent_option(argc, argv, &i, "info", usage, &parent, &ignore_linkage)) != 0) {
                if (m < 0) return CLI_EXIT_USAGE;
                continue;
            }
            return cli_usage_error("info", usage, "unknown option '%s'", a);
        }
        if (image) return cli_usage_error("info", usage, "unexpected argument '%s'", a);
        image = a;
    }
    if (!image) return cli_usage_error("info", usage, "missing IMAGE");

    vhdx_open_opts o;
    vhdx_diag d;
    vhdx_image *img = NULL;
    int parent_missing = 0;
    vhdx_open_opts_default(&o);
    vhdx_diag_clear(&d);
    if (ignore_linkage) o.flags |= VHDX_OPEN_IGNORE_LINKAGE;
    o.parent_path = parent;
    int rc = vhdx_open_file(&img, image, &o, &d);
    if (rc == VHDX_E_PARENT_NOT_FOUND && !parent) {
        /* Show the child's own structures even when its chain cannot be resolved. */
        vhdx_diag_clear(&d);
        img = NULL;
        o.flags |= VHDX_OPEN_NO_PARENT;
        rc = vhdx_open_file(&img, image, &o, &d);
        parent_missing = 1;
    }
    if (rc != VHDX_OK) return cli_fail(image, rc, &d);

    static vhdx_info info; /* large (creator, tables): keep off the stack */
    memset(&info, 0, sizeof info);
    rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK) {
        int ex = cli_fail(image, rc, NULL);
        (void)vhdx_close(img);
        return ex;
    }
    static replay_ranges rr;
    size_t total = vhdx_log_replay_ranges(img, rr.off, rr.len, INFO_MAX_RANGES);
    merge_ranges(&rr, total);
    (void)vhdx_close(img);
    if (json)
        print_json(image, &info, parent_missing, &rr);
    else
        print_text(image, &info, parent_missing, &rr);
    return CLI_EXIT_OK;
}
