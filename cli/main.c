/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - `vhdx` command dispatch. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "util.h"
#include "vhdx_project.h"

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    { "info", cmd_info, "show headers, regions, metadata, BAT and log state of an image" },
    { "check", cmd_check, "check an image against every static rule of MS-VHDX" },
    { "cat", cmd_cat, "write virtual disk bytes to standard output" },
    { "map", cmd_map, "show where the data of the virtual disk lives (allocation map)" },
    { "compare", cmd_compare, "compare two virtual disks (VHDX or raw)" },
    { "convert", cmd_convert, "convert between raw and VHDX (fixed, dynamic; chains flattened)" },
    { "create", cmd_create, "create a fixed, dynamic or differencing image" },
    { "write", cmd_write, "write bytes of a file or stdin into the virtual disk" },
    { "replay", cmd_replay, "replay a dirty log in place" },
    { "repair", cmd_repair, "repair headers, region tables, metadata table and BAT" },
    { "commit", cmd_commit, "merge a differencing image into its parent" },
    { "rebase", cmd_rebase, "re-link a differencing image to another parent" },
    { "resize", cmd_resize, "change the virtual size (grow; shrink with --shrink)" },
    { "discard", cmd_discard, "discard a range of the virtual disk (reads as zeros, space freed)" },
    { "compact", cmd_compact, "move blocks down into free space and truncate the file" },
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

/* `vhdx --version`: the version on the first line (what help2man and scripts read), then
 * the build details fixed at configure time. */
static void print_version(FILE *f)
{
    fprintf(f, "vhdx %s\n", VHDX_VERSION_STRING);
    fprintf(f, "library: libvhdx %s\n", vhdx_version());
    fprintf(f, "git: %s\n", VHDX_GIT_DESCRIBE);
    fprintf(f, "compiler: %s\n", VHDX_COMPILER);
    fprintf(f, "build type: %s\n", VHDX_BUILD_TYPE);
    fprintf(f, "home: %s\n", VHDX_HOME_URL);
    fprintf(f, "License: Apache-2.0\n");
}

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(name, commands[i].name) == 0) return &commands[i];
    return NULL;
}

/* Levenshtein distance of a and b, capped: strings longer than 31 bytes count as far. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31) return SIZE_MAX;
    size_t row[32];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* "did you mean": the commands within edit distance 2 (1 for names of up to 3 letters) */
static int unknown_command(const char *name)
{
    cli_err("unknown command '%s'", name);
    size_t limit = strlen(name) <= 3 ? 1 : 2, best = SIZE_MAX;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        size_t d = edit_distance(name, commands[i].name);
        if (d < best) best = d;
    }
    if (best <= limit) {
        fprintf(stderr, "Did you mean");
        const char *sep = " ";
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
            if (edit_distance(name, commands[i].name) != best) continue;
            fprintf(stderr, "%s'vhdx %s'", sep, commands[i].name);
            sep = " or ";
        }
        fprintf(stderr, "?\n");
    }
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
            print_version(stdout);
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
