/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_info.c - `vhdx info`: structure summary of an image, as text or JSON (the info object
 * through info_json.c, the encoder check's JSON uses too); for an image that does not open,
 * what vhdx_check's report could still decode (vhdx_report.info_parts) and its findings. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "info_json.h"
#include "json.h"
#include "report.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx info [-U] [--json] [--parent PATH] [--parent-ignore-linkage] IMAGE\n";

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
    CLI_HELP_FORCE_SHARE
    "  -h, --help                 show this help\n"
    "\n"
    "A differencing image whose parent cannot be found is shown without its parent. An image\n"
    "that does not open is still shown as far as its structures decode (file type identifier,\n"
    "headers, region table, metadata), followed by the findings of 'vhdx check' (exit 2).\n"
    "--json follows reports/schema/info.schema.json (the same info object as check's JSON).\n"
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
    const char *n = info_item_name(m);
    return n ? n : "unknown";
}

static void print_tables(const vhdx_info *in)
{
    char g[40];
    for (int i = 0; i < 2; i++) {
        const vhdx_header_info *hd = &in->headers[i];
        if (!hd->valid) {
            printf("header %d: invalid (signature or CRC-32C; sequence %" PRIu64
                   ", checksum 0x%08" PRIx32 ")\n", i + 1, hd->sequence_number, hd->checksum);
            continue;
        }
        /* numbered 1 and 2 as in check's findings ("header 1 used") */
        printf("header %d: sequence %" PRIu64 "%s\n", i + 1, hd->sequence_number,
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
    fputs("image: ", stdout);
    cli_fputs_safe(stdout, path);
    fputc('\n', stdout);
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
    fputs("creator: ", stdout);
    cli_fputs_safe(stdout, in->creator);
    fputc('\n', stdout);
    printf("current header: %d\n", in->current_header + 1);
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

static void print_json(const char *path, const vhdx_info *in, int parent_missing,
                       const replay_ranges *rr)
{
    info_extra x = { 1, !parent_missing, 1, rr->total, rr->stored, rr->off, rr->len };
    json_w w;
    json_init(&w, stdout);
    json_obj(&w, &top_style);
    json_kstr(&w, "image", path);
    json_info_members(&w, in, &x, &list_style);
    json_end(&w);
    fputc('\n', stdout);
}

/* ---- an image that does not open: what can still be decoded, and the findings ---- */

static void damaged_parts(unsigned parts)
{
    static const struct { unsigned bit; const char *name; } pn[] = {
        { VHDX_INFO_FILEID, "file type identifier" }, { VHDX_INFO_HEADERS, "headers" },
        { VHDX_INFO_REGIONS, "region table" }, { VHDX_INFO_METADATA, "metadata table" },
        { VHDX_INFO_GEOMETRY, "system metadata items" },
    };
    const char *sep = "";
    for (size_t i = 0; i < sizeof pn / sizeof pn[0]; i++) {
        if (!(parts & pn[i].bit)) continue;
        printf("%s%s", sep, pn[i].name);
        sep = ", ";
    }
    printf("\n");
}

static void print_damaged_text(const char *path, const vhdx_report *rep)
{
    const vhdx_info *in = rep->info;
    char g[40], h[40];
    printf("image: %s\n", path);
    printf("damaged: the image does not open; decoded: ");
    damaged_parts(rep->info_parts);
    if (rep->info_parts & VHDX_INFO_GEOMETRY) {
        printf("type: %s\n", type_name(in->type));
        printf("virtual size: %" PRIu64 " (%s)\n", in->virtual_size,
               cli_human_size(in->virtual_size, h, sizeof h));
        printf("block size: %" PRIu32 " (%s)\n", in->block_size,
               cli_human_size(in->block_size, h, sizeof h));
        printf("logical sector size: %" PRIu32 "\n", in->logical_sector_size);
        printf("physical sector size: %" PRIu32 "\n", in->physical_sector_size);
        printf("virtual disk id: %s\n", cli_guid_str(&in->virtual_disk_id, g, sizeof g));
    }
    printf("file size: %" PRIu64 "\n", in->file_size);
    printf("creator: %s\n", in->creator);
    if (rep->info_parts & VHDX_INFO_HEADERS) {
        printf("current header: %d\n", in->current_header + 1);
        print_tables(in);
    }
    printf("findings: %zu errors, %zu warnings\n", rep->errors, rep->warnings);
    for (size_t i = 0; i < rep->count; i++) {
        const vhdx_finding *fi = &rep->findings[i];
        char msg[512], at[32] = "";
        report_finding_message(fi, msg, sizeof msg);
        if (fi->offset != UINT64_MAX) snprintf(at, sizeof at, " at 0x%" PRIx64, fi->offset);
        const char *rule = report_rule_of(fi->code);
        printf("  %-7s %-5s%s%s%s%s: %s\n", vhdx_severity_name(fi->severity),
               rule[0] ? rule : "-", at, fi->field ? " (" : "", fi->field ? fi->field : "",
               fi->field ? ")" : "", msg);
    }
}

static void print_damaged_json(const char *path, const vhdx_report *rep)
{
    static const char *const part_names[] = { "fileid", "headers", "regions", "metadata",
                                              "geometry" };
    info_extra x = { 0, -1, 0, 0, 0, NULL, NULL };
    json_w w;
    json_init(&w, stdout);
    json_obj(&w, &top_style);
    json_kstr(&w, "image", path);
    json_info_members(&w, rep->info, &x, &list_style);
    json_key(&w, "decoded");
    json_arr(&w, NULL);
    for (unsigned i = 0; i < 5; i++)
        if (rep->info_parts & (1u << i)) json_str(&w, part_names[i]);
    json_end(&w);
    json_key(&w, "findings");
    json_arr(&w, &list_style);
    for (size_t i = 0; i < rep->count; i++) report_json_finding(&w, &rep->findings[i]);
    json_end(&w);
    json_end(&w);
    fputc('\n', stdout);
}

/* The open failed with rc: when the file is a VHDX file (its signature decodes), print what
 * vhdx_check could still decode and its findings, and exit 2; otherwise the plain error. */
static int info_damaged(const char *image, int json, int rc, const vhdx_diag *d)
{
    vhdx_io io;
    vhdx_report *rep = NULL;
    if (vhdx_io_file_open(&io, image, VHDX_IO_READ) != VHDX_OK) return cli_fail(image, rc, d);
    vhdx_check_opts co;
    vhdx_check_opts_default(&co);
    co.flags |= VHDX_OPEN_NO_PARENT;
    int crc = vhdx_check(&io, image, &co, &rep);
    vhdx_io_destroy(&io);
    if (crc != VHDX_OK || !rep || rep->info_valid || !(rep->info_parts & VHDX_INFO_FILEID)) {
        if (rep) vhdx_report_free(rep);
        return cli_fail(image, rc, d);
    }
    (void)cli_fail(image, rc, d); /* what stopped the open, on stderr */
    if (json) print_damaged_json(image, rep);
    else print_damaged_text(image, rep);
    vhdx_report_free(rep);
    return CLI_EXIT_FAIL;
}

int cmd_info(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, 'j' }, CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP,
        { NULL, 0, NULL, 0 }
    };
    const char *image, *parent = NULL;
    int json = 0, ignore_linkage = 0, c;
    cli_opts op = { "info", usage, help, "hU", longopts, &parent, &ignore_linkage, 0 };
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
    if (cli_force_share) o.flags |= VHDX_OPEN_NO_LOCK;
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
    if (rc != VHDX_OK) {
        /* I/O and usage errors as they are; a structural one shows what can be decoded */
        if (cli_exit_for(rc) != CLI_EXIT_FAIL) return cli_fail(image, rc, &d);
        return info_damaged(image, json, rc, &d);
    }

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
