/* SPDX-License-Identifier: Apache-2.0 */
/*
 * atomic_out.h - the one way the vhdx tool writes an output file: into a new temporary
 * file in the target's folder ("TARGET.tmp-XXXXXX"), renamed over TARGET only when it is
 * complete. A symbolic link is followed: the file it points to is replaced, the link
 * stays. A target that exists and is not a regular file (a device, a FIFO) and "-"
 * (standard output) are written directly, in order, never replaced (direct mode). A failed or interrupted run (SIGINT, SIGTERM, SIGHUP) leaves no partial output
 * and no temporary file. The file gets the mode a plain creat() would give it
 * (0666 & ~umask, default ACLs of the folder apply).
 */
#ifndef VHDX_CLI_ATOMIC_OUT_H
#define VHDX_CLI_ATOMIC_OUT_H

#include <signal.h>
#include <stdio.h>

#define ATOMIC_OUT_FSYNC 1u /* fsync the data before the rename */

typedef struct atomic_out {
    const char *target;       /* borrowed from the caller until commit or abort */
    char *tmp;                /* the temporary path (owned) */
    int fd;
    FILE *f;                  /* stdio stream over fd, once asked for */
    unsigned flags;
    int direct;               /* written in place (device, FIFO, "-"): no rename */
    char *path;               /* the file written: target with symbolic links followed */
    int handled[3];           /* which of SIGINT, SIGTERM, SIGHUP got our handler */
    struct sigaction old[3];  /* their previous actions, restored at the end */
} atomic_out;

/* Creates the temporary file for `target` and registers it for removal on SIGINT, SIGTERM
 * and SIGHUP (signals that are ignored stay ignored; after the removal a signal goes on to
 * the previous action, so the process still dies or the caller's handler still runs).
 * Only one atomic_out may be open at a time. Returns 0, or -1 with errno set and nothing
 * created. Errors are the caller's to report, naming the target. */
int atomic_out_open(atomic_out *o, const char *target, unsigned flags);
/* 1 when the output is written directly (sequential writes only: no seek, no truncate). */
int atomic_out_direct(const atomic_out *o);
/* A stdio stream over the temporary file (made on the first call; closed by commit or
 * abort). NULL with errno set when out of memory. */
FILE *atomic_out_stream(atomic_out *o);
/* Flushes, fsyncs (with ATOMIC_OUT_FSYNC), closes and renames the file over the target.
 * Returns 0, or -1 with errno set after removing the temporary file. */
int atomic_out_commit(atomic_out *o);
/* Closes and removes the temporary file; errno is preserved. */
void atomic_out_abort(atomic_out *o);

#endif
