/* SPDX-License-Identifier: Apache-2.0 */
/* cli.h - subcommands of the vhdx tool; each returns the process exit code. */
#ifndef VHDX_CLI_H
#define VHDX_CLI_H

int cmd_info(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_cat(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_write(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_repair(int argc, char **argv);
int cmd_kit(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_map(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_rebase(int argc, char **argv);
int cmd_resize(int argc, char **argv);
int cmd_discard(int argc, char **argv);
int cmd_compact(int argc, char **argv);

#endif
