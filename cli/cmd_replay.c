/* SPDX-License-Identifier: Apache-2.0 */
/* cmd_replay.c - `vhdx replay`: replay a dirty log in place. */
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "util.h"

static const char usage[] = "usage: vhdx replay IMAGE\n";

static const char help[] =
    "\n"
    "Replays the active log sequence of IMAGE into the file ([MS-VHDX 2.3.3]) and clears\n"
    "LogGuid through the header update, like 'qemu-img check -r all'. A clean log is left\n"
    "alone (the file is not modified). Prints the number of log entries replayed.\n"
    "\n"
    "options:\n"
    "  -h, --help    show this help\n"
    "\n"
    "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image or log.\n";

int cmd_replay(int argc, char **argv)
{
    static const struct option longopts[] = { CLI_LONGOPT_HELP, { NULL, 0, NULL, 0 } };
    cli_opts op = { "replay", usage, help, "h", longopts, NULL, NULL, 0 };
    int ex = cli_getopt_all(&op, argc, argv);
    if (ex >= 0) return ex;
    if (optind >= argc) return cli_usage_error("replay", usage, "missing IMAGE");
    if (argc - optind > 1)
        return cli_usage_error("replay", usage, "unexpected argument '%s'", argv[optind + 1]);
    const char *image = argv[optind];

    uint64_t n = 0;
    vhdx_diag d;
    vhdx_diag_clear(&d);
    int rc = vhdx_replay_file(image, &n, &d);
    if (rc != VHDX_OK) return cli_fail(image, rc, &d);
    if (n == 0)
        printf("%s: log is clean: 0 entries replayed\n", image);
    else
        printf("%s: replayed %" PRIu64 " log %s\n", image, n, n == 1 ? "entry" : "entries");
    return CLI_EXIT_OK;
}
