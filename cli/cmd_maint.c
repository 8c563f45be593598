/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_maint.c - `vhdx resize`, `vhdx discard`, `vhdx compact`: maintenance of an image in
 * place through vhdx_resize, vhdx_discard and vhdx_compact. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const char resize_usage[] = "usage: vhdx resize [--shrink] [--allow-data-loss] IMAGE SIZE\n";
static const char resize_help[] =
    "\n"
    "Sets the virtual size of IMAGE to SIZE (like qemu-img resize: 10G, 512M, or relative\n"
    "+1G, -512M; a multiple of the logical sector size, at most 64 TiB). Growing: the new\n"
    "range reads as zeros (a fixed image allocates it; a differencing image never shows\n"
    "its parent's bytes there); the BAT region grows in place or moves to the end of the\n"
    "file. Shrinking needs --shrink and is refused while data lies beyond the new end\n"
    "(allocated blocks, or a differencing image's parent bytes) unless --allow-data-loss;\n"
    "the space freed is reclaimed by 'vhdx compact'. Every metadata change goes through\n"
    "the log.\n"
    "\n"
    "options:\n"
    "  --shrink            allow a smaller size\n"
    "  --allow-data-loss   shrink even when data lies beyond the new end\n"
    "  -h, --help          show this help\n"
    "\n"
    "Exit codes (as qemu-img resize: 0 success, 1 failure): 0 success, 1 usage or I/O error\n"
    "or a refused shrink (nothing changed), 2 invalid image or rule violation.\n";

static const char discard_usage[] =
    "usage: vhdx discard IMAGE OFFSET LENGTH\n"
    "       vhdx discard --all IMAGE\n";
static const char discard_help[] =
    "\n"
    "Discards LENGTH bytes of the virtual disk of IMAGE at OFFSET (like 0, 1M, 0x1000): they\n"
    "read as zeros afterwards. Whole blocks give their space back (dynamic: UNMAPPED,\n"
    "differencing: ZERO, so the parent's bytes stay hidden); partial blocks and fixed\n"
    "images get zero bytes. 'vhdx compact' then reclaims the space. --all discards the\n"
    "whole disk (there is no default range).\n"
    "\n"
    "options:\n"
    "  --all         the whole virtual disk (no OFFSET and LENGTH)\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image or rule violation.\n";

static const char compact_usage[] = "usage: vhdx compact [--zeroes] IMAGE\n";
static const char compact_help[] =
    "\n"
    "Moves the payload and sector bitmap blocks of IMAGE down into free space and truncates\n"
    "the file after its last used byte. Each move is journaled: the copy is written and\n"
    "flushed, the BAT entry switched through the log, the old space reused only after.\n"
    "With --zeroes, blocks that read as zeros are released first (dynamic: NOT_PRESENT,\n"
    "differencing: ZERO; not for fixed images). Prints the blocks moved and the sizes.\n"
    "\n"
    "options:\n"
    "  --zeroes      release all-zero blocks first\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image or rule violation.\n";

static int open_rw(const char *image, vhdx_image **img, uint64_t *vsize)
{
    int ex = cli_open_image(image, NULL, 0, 1, img);
    if (ex != CLI_EXIT_OK) return ex;
    static vhdx_info info;
    int rc = vhdx_get_info(*img, &info);
    if (rc != VHDX_OK) {
        (void)vhdx_close(*img);
        return cli_fail(image, rc, NULL);
    }
    *vsize = info.virtual_size;
    return CLI_EXIT_OK;
}

/* Closes img; a failed operation (rc) or close is reported for image. */
static int finish(const char *image, vhdx_image *img, int rc, const vhdx_diag *d)
{
    int crc = vhdx_close(img);
    if (rc != VHDX_OK) return cli_fail(image, rc, d);
    if (crc != VHDX_OK) return cli_fail(image, crc, NULL);
    return CLI_EXIT_OK;
}

/* SIZE, +SIZE or -SIZE against the current size cur. */
static int parse_new_size(const char *s, uint64_t cur, uint64_t *out)
{
    uint64_t v;
    if ((s[0] == '+' || s[0] == '-') && cli_parse_size(s + 1, &v) == 0) {
        if (s[0] == '+' ? v > UINT64_MAX - cur : v > cur) return -1;
        *out = s[0] == '+' ? cur + v : cur - v;
        return 0;
    }
    return cli_parse_size(s, out);
}

int cmd_resize(int argc, char **argv)
{
    enum { OPT_SHRINK = CLI_OPT_FIRST_FREE, OPT_LOSS };
    static const struct option longopts[] = {
        { "shrink", no_argument, NULL, OPT_SHRINK }, { "allow-data-loss", no_argument, NULL, OPT_LOSS },
        CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "resize", resize_usage, resize_help, "h", longopts, NULL, NULL, 0 };
    unsigned flags = 0;
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == OPT_SHRINK) flags |= VHDX_RESIZE_SHRINK;
        if (c == OPT_LOSS) flags |= VHDX_RESIZE_ALLOW_DATA_LOSS;
    }
    char **pos = argv + optind;
    int npos = argc - optind;
    if (npos < 1) return cli_usage_error("resize", resize_usage, "missing IMAGE");
    if (npos < 2) return cli_usage_error("resize", resize_usage, "missing SIZE");
    if (npos > 2) return cli_usage_error("resize", resize_usage, "unexpected argument '%s'", pos[2]);
    uint64_t probe;
    if (parse_new_size(pos[1], 0, &probe) != 0 && !(pos[1][0] == '-' || pos[1][0] == '+'))
        return cli_usage_error("resize", resize_usage, "invalid SIZE '%s'", pos[1]);
    vhdx_image *img;
    uint64_t cur, want;
    int ex = open_rw(pos[0], &img, &cur);
    if (ex != CLI_EXIT_OK) return ex;
    if (parse_new_size(pos[1], cur, &want) != 0) {
        (void)vhdx_close(img);
        return cli_usage_error("resize", resize_usage, "invalid SIZE '%s' for a disk of %" PRIu64 " bytes",
                               pos[1], cur);
    }
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_resize(img, want, flags, &d);
    ex = finish(pos[0], img, rc, &d);
    if (ex == CLI_EXIT_OK)
        printf("%s: virtual size %" PRIu64 " -> %" PRIu64 " bytes\n", pos[0], cur, want);
    return ex;
}

int cmd_discard(int argc, char **argv)
{
    enum { OPT_ALL = CLI_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        { "all", no_argument, NULL, OPT_ALL }, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "discard", discard_usage, discard_help, "h", longopts, NULL, NULL, 0 };
    int all = 0, c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == OPT_ALL) all = 1;
    }
    char **pos = argv + optind;
    int npos = argc - optind, want = all ? 1 : 3;
    uint64_t off = 0, len = 0;
    if (npos < 1) return cli_usage_error("discard", discard_usage, "missing IMAGE");
    if (!all && npos < 3)
        return cli_usage_error("discard", discard_usage, npos < 2 ? "missing OFFSET" : "missing LENGTH");
    if (npos > want) return cli_usage_error("discard", discard_usage, "unexpected argument '%s'", pos[want]);
    if (!all && cli_parse_size(pos[1], &off) != 0)
        return cli_usage_error("discard", discard_usage, "invalid OFFSET '%s'", pos[1]);
    if (!all && cli_parse_size(pos[2], &len) != 0)
        return cli_usage_error("discard", discard_usage, "invalid LENGTH '%s'", pos[2]);
    vhdx_image *img;
    uint64_t vs;
    int ex = open_rw(pos[0], &img, &vs);
    if (ex != CLI_EXIT_OK) return ex;
    if (all) len = vs;
    if (off > vs || len > vs - off) {
        (void)vhdx_close(img);
        cli_err("%s: range %" PRIu64 "+%" PRIu64 " is past the end of the virtual disk (%" PRIu64 " bytes)",
                pos[0], off, len, vs);
        return CLI_EXIT_USAGE;
    }
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_discard(img, off, len, &d);
    ex = finish(pos[0], img, rc, &d);
    if (ex == CLI_EXIT_OK) printf("%s: discarded %" PRIu64 " bytes at offset %" PRIu64 "\n", pos[0], len, off);
    return ex;
}

int cmd_compact(int argc, char **argv)
{
    enum { OPT_ZEROES = CLI_OPT_FIRST_FREE };
    static const struct option longopts[] = {
        { "zeroes", no_argument, NULL, OPT_ZEROES }, CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 }
    };
    cli_opts op = { "compact", compact_usage, compact_help, "h", longopts, NULL, NULL, 0 };
    unsigned flags = 0;
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == OPT_ZEROES) flags |= VHDX_COMPACT_ZEROES;
    }
    char **pos = argv + optind;
    int npos = argc - optind;
    if (npos < 1) return cli_usage_error("compact", compact_usage, "missing IMAGE");
    if (npos > 1) return cli_usage_error("compact", compact_usage, "unexpected argument '%s'", pos[1]);
    vhdx_image *img;
    uint64_t vs;
    int ex = open_rw(pos[0], &img, &vs);
    if (ex != CLI_EXIT_OK) return ex;
    vhdx_compact_stats st;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    memset(&st, 0, sizeof st);
    int rc = vhdx_compact(img, flags, &st, &d);
    ex = finish(pos[0], img, rc, &d);
    if (ex == CLI_EXIT_OK)
        printf("%s: %" PRIu64 " zero blocks released, %" PRIu64 " blocks (%" PRIu64
               " bytes) moved, file %" PRIu64 " -> %" PRIu64 " bytes\n", pos[0], st.zero_blocks,
               st.blocks_moved, st.bytes_moved, st.file_size_before, st.file_size_after);
    return ex;
}
