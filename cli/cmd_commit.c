/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_commit.c - `vhdx commit`: merge a differencing image into its parent. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx commit [--remove] [-p] [--parent PATH] [--parent-ignore-linkage] CHILD\n";

static const char help[] =
    "\n"
    "Merges the differencing image CHILD into its parent, like 'qemu-img commit': every\n"
    "sector CHILD holds itself (full blocks, the present sectors of partial blocks, zero\n"
    "blocks) is written into the parent, so the parent then reads as CHILD did. Sectors\n"
    "CHILD takes from its parent are not touched: the time is proportional to CHILD's data.\n"
    "Each write of the parent is crash safe (data first, BAT and sector bitmaps through the\n"
    "log); after a crash, run the commit again. CHILD is then re-linked to the parent's new\n"
    "DataWriteGuid (it still opens and reads the same), or deleted with --remove.\n"
    "\n"
    "Other differencing images of the same parent no longer open afterwards (their\n"
    "parent_linkage no longer matches, R105): their content would have changed. Committing\n"
    "into a parent that has other children is your responsibility.\n"
    "\n"
    "options:\n"
    "  --remove                   delete CHILD after a successful commit\n"
    "  -p, --progress             show a progress bar on a terminal\n"
    "  --parent PATH              the parent (default: from CHILD's parent locator)\n"
    "  --parent-ignore-linkage    commit although the parent's DataWriteGuid is not CHILD's\n"
    "                             parent_linkage (R105: the parent changed since)\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Prints the bytes written into the parent.\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image or refused commit.\n";

enum { OPT_REMOVE = CLI_OPT_FIRST_FREE };

int cmd_commit(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "remove", no_argument, NULL, OPT_REMOVE },
        { "progress", no_argument, NULL, 'p' },
        { "parent", required_argument, NULL, CLI_OPT_PARENT },
        { "parent-ignore-linkage", no_argument, NULL, CLI_OPT_IGNORE_LINKAGE },
        CLI_LONGOPT_HELP,
        { NULL, 0, NULL, 0 } };
    const char *parent = NULL;
    int ignore = 0, remove = 0, progress = 0, c;
    cli_opts op = { "commit", usage, help, "ph", longopts, &parent, &ignore, 0 };
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == OPT_REMOVE) remove = 1;
        else if (c == 'p') progress = 1;
    }
    if (optind >= argc) return cli_usage_error("commit", usage, "missing CHILD");
    if (argc - optind > 1)
        return cli_usage_error("commit", usage, "unexpected argument '%s'", argv[optind + 1]);
    const char *child = argv[optind];

    vhdx_commit_opts o;
    cli_progress pg;
    vhdx_commit_opts_default(&o);
    o.flags = (remove ? VHDX_COMMIT_REMOVE : 0u) | (ignore ? VHDX_COMMIT_IGNORE_LINKAGE : 0u);
    o.parent_path = parent;
    cli_progress_start(&pg, progress, 0);
    o.progress = cli_progress_cb;
    o.progress_ctx = &pg;
    uint64_t moved = 0;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_commit_file(child, &o, &moved, &d);
    cli_progress_end(&pg);
    if (rc != VHDX_OK) return cli_fail(child, rc, &d);
    char hs[32];
    printf("%s: committed %" PRIu64 " bytes (%s) into its parent%s\n", child, moved,
           cli_human_size(moved, hs, sizeof hs), remove ? "; removed" : "");
    return CLI_EXIT_OK;
}
