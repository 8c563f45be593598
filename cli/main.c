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

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_err("missing command");
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *c = argv[1];
    if (cli_is_help(c) || strcmp(c, "help") == 0) {
        if (strcmp(c, "help") == 0 && argc >= 3) {
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
                if (strcmp(argv[2], commands[i].name) == 0) {
                    char *sub[] = { argv[2], (char *)"--help", NULL };
                    return commands[i].fn(2, sub);
                }
            }
            cli_err("unknown command '%s'", argv[2]);
            return CLI_EXIT_USAGE;
        }
        print_help(stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    if (strcmp(c, "--version") == 0 || strcmp(c, "-V") == 0) {
        printf("vhdx %s\n", VHDX_VERSION_STRING);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(c, commands[i].name) == 0) {
            int rc = commands[i].fn(argc - 1, argv + 1);
            if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
                cli_err("error writing standard output");
                rc = CLI_EXIT_USAGE;
            }
            return rc;
        }
    }
    cli_err("unknown command '%s'", c);
    fprintf(stderr, "Try 'vhdx --help' for the list of commands.\n");
    return CLI_EXIT_USAGE;
}
