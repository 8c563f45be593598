/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_info.c - `vhdx info`: structure summary of an image, as text or JSON. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
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

static void print_tables(const vhdx_info *in)
{
    char g[40];
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
}

static void print_bat_log(const vhdx_info *in, const replay_ranges *rr)
{
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
    print_tables(in);
    print_bat_log(in, rr);
    if (in->has_parent) {
        printf("parent linkage: %s\n", cli_guid_str(&in->parent_linkage, g, sizeof g));
        if (parent_missing)
            printf("parent: not found (shown without parent)\n");
        else
            printf("chain depth: %d\n", in->chain_depth);
    }
}

/* Layouts of the document: one member per line at the top, one item per line in the
 * header, region and metadata lists and in "bat", everything else on one line. */
static const json_style top_style = { "\n  ", ",\n  ", "\n", NULL };
static const json_style list_style = { "\n    ", ",\n    ", "\n  ", NULL };

static void json_header(json_w *w, int i, const vhdx_info *in)
{
    const vhdx_header_info *hd = &in->headers[i];
    char sum[16];
    json_obj(w, NULL);
    json_ki64(w, "index", i);
    json_kbool(w, "valid", hd->valid);
    json_kbool(w, "current", i == in->current_header);
    if (hd->valid) {
        json_ku64(w, "sequence_number", hd->sequence_number);
        json_header_ids(w, hd);
        json_ku64(w, "log_offset", hd->log_offset);
        json_ku64(w, "log_length", hd->log_length);
        snprintf(sum, sizeof sum, "0x%08" PRIx32, hd->checksum);
        json_kstr(w, "checksum", sum);
    }
    json_end(w);
}

static void json_tables(json_w *w, const vhdx_info *in)
{
    json_key(w, "regions");
    json_arr(w, &list_style);
    for (unsigned i = 0; i < in->region_count && i < VHDX_MAX_INFO_REGIONS; i++)
        json_region(w, &in->regions[i], region_name(&in->regions[i].guid));
    json_end(w);
    json_key(w, "metadata");
    json_arr(w, &list_style);
    for (unsigned i = 0; i < in->metadata_count && i < VHDX_MAX_INFO_METADATA; i++)
        json_metadata_item(w, &in->metadata[i], metadata_name(&in->metadata[i]));
    json_end(w);
}

static void json_bat_log(json_w *w, const vhdx_info *in, const replay_ranges *rr)
{
    json_key(w, "bat");
    json_obj(w, &list_style);
    json_key(w, "payload");
    json_obj(w, NULL);
    for (int s = 0; s < 8; s++) json_ku64(w, payload_state_names[s], in->bat.payload[s]);
    json_end(w);
    json_key(w, "sector_bitmap");
    json_obj(w, NULL);
    for (int s = 0; s < 8; s++) json_ku64(w, sb_state_names[s], in->bat.sector_bitmap[s]);
    json_end(w);
    json_end(w);
    json_key(w, "log");
    json_obj(w, NULL);
    json_kbool(w, "dirty", in->log_dirty);
    json_kstr(w, "replayed", log_replayed_name(in->log_replayed));
    json_ku64(w, "entries_replayed", in->log_entries_replayed);
    json_ku64(w, "replay_range_count", rr->total);
    json_key(w, "replay_ranges");
    json_arr(w, NULL);
    for (size_t i = 0; i < rr->stored; i++) {
        json_obj(w, NULL);
        json_ku64(w, "offset", rr->off[i]);
        json_ku64(w, "length", rr->len[i]);
        json_end(w);
    }
    json_end(w);
    json_end(w);
}

static void print_json(const char *path, const vhdx_info *in, int parent_missing,
                       const replay_ranges *rr)
{
    json_w w;
    json_init(&w, stdout);
    json_obj(&w, &top_style);
    json_kstr(&w, "image", path);
    json_kstr(&w, "type", type_name(in->type));
    json_ku64(&w, "virtual_size", in->virtual_size);
    json_ku64(&w, "block_size", in->block_size);
    json_ku64(&w, "logical_sector_size", in->logical_sector_size);
    json_ku64(&w, "physical_sector_size", in->physical_sector_size);
    json_ku64(&w, "chunk_ratio", in->chunk_ratio);
    json_ku64(&w, "payload_blocks", in->payload_blocks);
    json_ku64(&w, "bat_entries", in->bat_entries);
    json_ku64(&w, "file_size", in->file_size);
    json_key(&w, "virtual_disk_id");
    json_guid(&w, &in->virtual_disk_id);
    json_kstr(&w, "creator", in->creator);
    json_ki64(&w, "current_header", in->current_header);
    json_key(&w, "headers");
    json_arr(&w, &list_style);
    for (int i = 0; i < 2; i++) json_header(&w, i, in);
    json_end(&w);
    json_tables(&w, in);
    json_bat_log(&w, in, rr);
    json_key(&w, "parent");
    json_obj(&w, NULL);
    json_kbool(&w, "has_parent", in->has_parent);
    if (in->has_parent) {
        json_key(&w, "parent_linkage");
        json_guid(&w, &in->parent_linkage);
        json_kbool(&w, "found", !parent_missing);
    }
    json_ki64(&w, "chain_depth", in->chain_depth);
    json_end(&w);
    json_end(&w);
    fputc('\n', stdout);
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' }, CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP,
        { NULL, 0, NULL, 0 }
    };
    const char *image, *parent = NULL;
    int json = 0, ignore_linkage = 0, c;
    cli_opts op = { "info", usage, help, "h", longopts, &parent, &ignore_linkage, 0 };
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == 'j') json = 1;
    }
    if (optind >= argc) return cli_usage_error("info", usage, "missing IMAGE");
    if (argc - optind > 1)
        return cli_usage_error("info", usage, "unexpected argument '%s'", argv[optind + 1]);
    image = argv[optind];

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
