/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_map.c - `vhdx map`: the allocation map as extents (vhdx_extent_at), text or JSON with
 * qemu-img map --output=json's field names. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx map [--json] [--parent PATH] [--parent-ignore-linkage] IMAGE\n";

static const char help[] =
    "\n"
    "Prints where the data of the virtual disk lives, as extents: virtual offset, length,\n"
    "state, depth in the differencing chain and host file offset. Only the BAT and sector\n"
    "bitmaps are read, never the data. The image is opened read-only.\n"
    "\n"
    "states:\n"
    "  data          stored in the file at depth (host offset given); zero=true when the\n"
    "                host file has a hole there\n"
    "  zero          PAYLOAD_BLOCK_ZERO: reads as zeros\n"
    "  unmapped      PAYLOAD_BLOCK_UNMAPPED: reads as zeros\n"
    "  undefined     PAYLOAD_BLOCK_UNDEFINED: reads as zeros\n"
    "  not_present   not allocated in any file of the chain: reads as zeros\n"
    "depth: 0 is IMAGE, 1 its parent, and so on.\n"
    "\n"
    "options:\n"
    "  --json                     one JSON array of extents with the fields of\n"
    "                             qemu-img map --output=json (start, length, depth,\n"
    "                             present, zero, data, offset) plus \"state\"\n"
    "  --parent PATH              parent image of a differencing disk (overrides the locator)\n"
    "  --parent-ignore-linkage    do not require parent DataWriteGuid == parent_linkage (R105)\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image.\n";

static const char *state_name(vhdx_extent_state s)
{
    switch (s) {
    case VHDX_EXTENT_DATA: return "data";
    case VHDX_EXTENT_ZERO: return "zero";
    case VHDX_EXTENT_UNMAPPED: return "unmapped";
    case VHDX_EXTENT_UNDEFINED: return "undefined";
    case VHDX_EXTENT_NOT_PRESENT: return "not_present";
    }
    return "?";
}

static void print_json(json_w *w, const vhdx_extent *x)
{
    json_obj(w, NULL);
    json_ku64(w, "start", x->start);
    json_ku64(w, "length", x->length);
    json_ku64(w, "depth", x->depth);
    json_kbool(w, "present", x->present);
    json_kbool(w, "zero", x->zero);
    json_kbool(w, "data", x->data);
    if (x->state == VHDX_EXTENT_DATA) json_ku64(w, "offset", x->offset);
    json_kstr(w, "state", state_name(x->state));
    json_end(w);
}

static void print_text(const vhdx_extent *x)
{
    printf("0x%016" PRIx64 "  0x%016" PRIx64 "  %-11s  %5" PRIu32 "  ", x->start, x->length,
           state_name(x->state), x->depth);
    if (x->state == VHDX_EXTENT_DATA)
        printf("0x%016" PRIx64 "%s\n", x->offset, x->zero ? "  (host hole)" : "");
    else
        printf("-%s\n", x->zero ? "" : "  (parent missing)");
}

static int map_image(vhdx_image *img, const char *image, int as_json)
{
    static vhdx_info info;
    int rc = vhdx_get_info(img, &info);
    if (rc != VHDX_OK) return cli_fail(image, rc, NULL);
    static const json_style arr = { "", ",\n", "", "" };
    json_w w;
    json_init(&w, stdout);
    if (as_json) {
        json_arr(&w, &arr);
    } else {
        printf("%-18s  %-18s  %-11s  %5s  %s\n", "Offset", "Length", "State", "Depth",
               "File offset");
    }
    uint64_t off = 0;
    while (off < info.virtual_size) {
        vhdx_extent x;
        vhdx_diag d;
        vhdx_diag_clear(&d);
        rc = vhdx_extent_at(img, off, info.virtual_size - off, &x, &d);
        if (rc != VHDX_OK) {
            fflush(stdout);
            return cli_fail(image, rc, &d);
        }
        if (as_json) print_json(&w, &x);
        else print_text(&x);
        off += x.length;
    }
    if (as_json) {
        json_end(&w);
        printf("\n");
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_err("standard output: write error");
        return CLI_EXIT_USAGE;
    }
    return CLI_EXIT_OK;
}

int cmd_map(int argc, char **argv)
{
    enum { OPT_JSON = CLI_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        { "json", no_argument, NULL, OPT_JSON }, CLI_LONGOPTS_PARENT, CLI_LONGOPT_HELP,
        { NULL, 0, NULL, 0 }
    };
    const char *parent = NULL;
    int ignore_linkage = 0, as_json = 0, c;
    cli_opts op = { "map", usage, help, "h", longopts, &parent, &ignore_linkage, 0 };
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == OPT_JSON) as_json = 1;
    }
    if (optind >= argc) return cli_usage_error("map", usage, "missing IMAGE");
    if (argc - optind > 1)
        return cli_usage_error("map", usage, "unexpected argument '%s'", argv[optind + 1]);
    vhdx_image *img;
    int ex = cli_open_image(argv[optind], parent, ignore_linkage, 0, &img);
    if (ex != CLI_EXIT_OK) return ex;
    ex = map_image(img, argv[optind], as_json);
    (void)vhdx_close(img);
    return ex;
}
