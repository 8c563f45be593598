/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_rebase.c - `vhdx rebase`: re-link a differencing image to another parent. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "progress.h"
#include "util.h"

static const char usage[] =
    "usage: vhdx rebase [-u | --content] [-p] [--old-parent PATH] CHILD --parent NEW\n";

static const char help[] =
    "\n"
    "Re-links the differencing image CHILD to the parent image NEW: the parent locator is\n"
    "rewritten through the log (parent_linkage = NEW's DataWriteGuid, relative_path and\n"
    "absolute_win32_path to NEW; volume_path and parent_linkage2 are dropped).\n"
    "\n"
    "When NEW's DataWriteGuid is CHILD's parent_linkage, NEW is the same parent (moved or\n"
    "copied) and nothing else is checked. Otherwise NEW must read the same as the old parent\n"
    "wherever CHILD shows its parent's data; if it does not, the rebase is refused, unless\n"
    "--content copies the old parent's data of those sectors into CHILD first, so CHILD reads\n"
    "the same over NEW (like 'qemu-img rebase'), or --unsafe re-links without comparing\n"
    "(like 'qemu-img rebase -u'; CHILD then shows NEW's data there). Comparing and copying\n"
    "need the old parent (from CHILD's locator, or --old-parent).\n"
    "\n"
    "options:\n"
    "  -b, --parent NEW           the new parent image (required)\n"
    "  -u, --unsafe               re-link without comparing the parents\n"
    "  --content                  copy the differences into CHILD (excludes --unsafe)\n"
    "  --old-parent PATH          the old parent (default: from CHILD's parent locator)\n"
    "  -p, --progress             show a progress bar on a terminal\n"
    "  -h, --help                 show this help\n"
    "\n"
    "Prints the bytes copied into CHILD.\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image or refused rebase.\n";

enum { OPT_CONTENT = CLI_OPT_FIRST_FREE, OPT_OLD_PARENT };

int cmd_rebase(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "parent", required_argument, NULL, 'b' },
        { "unsafe", no_argument, NULL, 'u' },
        { "content", no_argument, NULL, OPT_CONTENT },
        { "old-parent", required_argument, NULL, OPT_OLD_PARENT },
        { "progress", no_argument, NULL, 'p' },
        CLI_LONGOPT_HELP,
        { NULL, 0, NULL, 0 } };
    const char *newp = NULL, *oldp = NULL;
    int unsafe = 0, content = 0, progress = 0, c;
    cli_opts op = { "rebase", usage, help, "b:uph", longopts, NULL, NULL, 0 };
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_HELP) return CLI_EXIT_OK;
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if ((c == 'b' || c == OPT_OLD_PARENT) && !optarg[0])
            return cli_usage_error("rebase", usage, "empty %s path", c == 'b' ? "--parent" : "--old-parent");
        if (c == 'b') newp = optarg;
        else if (c == OPT_OLD_PARENT) oldp = optarg;
        else if (c == 'u') unsafe = 1;
        else if (c == OPT_CONTENT) content = 1;
        else if (c == 'p') progress = 1;
    }
    if (optind >= argc) return cli_usage_error("rebase", usage, "missing CHILD");
    if (argc - optind > 1)
        return cli_usage_error("rebase", usage, "unexpected argument '%s'", argv[optind + 1]);
    if (!newp) return cli_usage_error("rebase", usage, "missing --parent NEW");
    if (unsafe && content) return cli_usage_error("rebase", usage, "--unsafe and --content exclude each other");
    const char *child = argv[optind];

    vhdx_rebase_opts o;
    cli_progress pg;
    vhdx_rebase_opts_default(&o);
    o.flags = (unsafe ? VHDX_REBASE_UNSAFE : 0u) | (content ? VHDX_REBASE_CONTENT : 0u);
    o.old_parent_path = oldp;
    cli_progress_start(&pg, progress, 0);
    o.progress = cli_progress_cb;
    o.progress_ctx = &pg;
    uint64_t copied = 0;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_rebase_file(child, newp, &o, &copied, &d);
    cli_progress_end(&pg);
    if (rc != VHDX_OK) return cli_fail(child, rc, &d);
    printf("%s: rebased onto %s; %" PRIu64 " bytes copied\n", child, newp, copied);
    return CLI_EXIT_OK;
}
