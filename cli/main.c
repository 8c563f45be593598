/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - `vhdx` command dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    { "info", cmd_info, "show headers, regions, metadata, BAT and log state of an image" },
    { "check", cmd_check, "check an image against every static rule of MS-VHDX" },
    { "cat", cmd_cat, "write virtual disk bytes to standard output" },
    { "convert", cmd_convert, "convert an image to a sparse raw file" },
    { "create", cmd_create, "create a fixed, dynamic or differencing image" },
    { "write", cmd_write, "write bytes of a file or stdin into the virtual disk" },
    { "replay", cmd_replay, "replay a dirty log in place" },
    { "repair", cmd_repair, "repair headers, region tables, metadata table and BAT" },
    { "kit", cmd_kit, "generate the conformance kit" },
    { "bench", cmd_bench, "measure CRC-32C, convert and write throughput" },
};

static void print_help(FILE *f)
{
    fprintf(f, "usage: vhdx [--help] [--version] <command> [<args>]\n\n"
               "Hardened tool for Microsoft VHDX virtual disks ([MS-VHDX]).\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nRun 'vhdx <command> --help' for the options of a command.\n"
               "Exit codes: 0 success, 1 usage or I/O error, 2 invalid image or failed "
               "operation (check: 3 = warnings only).\n");
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return &commands[i];
    return NULL;
}

static int unknown_command(const char *name)
{
    cli_err("unknown command '%s'", name);
    fprintf(stderr, "Try 'vhdx --help' for the list of commands.\n");
    return CLI_EXIT_USAGE;
}

/* `vhdx help [COMMAND]` */
static int help_command(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    const command *cmd = find_command(argv[1]);
    if (!cmd) return unknown_command(argv[1]);
    char *sub[] = { argv[1], (char *)"--help", NULL };
    return cmd->fn(2, sub);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_LONGOPT_HELP, { "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 }
    };
    /* '+': the options before the command only; the command parses the rest */
    cli_opts op = { NULL, NULL, NULL, "+hV", longopts, NULL, NULL, 0 };
    int c;
    while ((c = cli_getopt(&op, argc, argv)) != CLI_OPT_END) {
        if (c == CLI_OPT_ERROR) return CLI_EXIT_USAGE;
        if (c == 'h') {
            print_help(stdout);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        }
        if (c == 'V') {
            printf("vhdx %s\n", VHDX_VERSION_STRING);
            return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        cli_err("missing command");
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) return help_command(argc - optind, argv + optind);
    const command *cmd = find_command(name);
    if (!cmd) return unknown_command(name);
    int rc = cmd->fn(argc - optind, argv + optind);
    if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
        cli_err("error writing standard output");
        rc = CLI_EXIT_USAGE;
    }
    return rc;
}
