/* SPDX-License-Identifier: Apache-2.0 */
/* bench_logscan.h - the hostile-log open of `vhdx bench`. */
#ifndef VHDX_CLI_BENCH_LOGSCAN_H
#define VHDX_CLI_BENCH_LOGSCAN_H

#include <stdint.h>

typedef struct logscan_result {
    uint64_t log_len;         /* bytes of log */
    double seconds;           /* the open (read-only), wall clock */
    double cpu_seconds;       /* its user + system CPU time (what a loaded machine
                                 does not inflate) */
    long max_rss_kib;         /* peak resident size of the process after the open */
    int rc;                   /* its status (VHDX_E_LOG_NO_SEQUENCE expected) */
} logscan_result;

/* Creates at path a dynamic image whose log_len-byte log (a multiple of 1 MiB) is dirty and
 * full of valid 4 KiB entries with consecutive sequence numbers and no valid head (the last
 * slot is empty and every Tail points at it), then times a read-only open of it. The file
 * is removed. Returns a CLI exit code (errors printed). */
int bench_logscan(const char *path, uint64_t log_len, logscan_result *out);

#endif
