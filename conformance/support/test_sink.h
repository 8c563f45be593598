/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_sink.h - a recording findings sink for conformance tests: keeps (code, offset,
 * field) of every finding and tells the validator to continue (or to stop at the first
 * fatal finding, like open does, when stop_on_fatal is set).
 */
#ifndef VHDX_TEST_SINK_H
#define VHDX_TEST_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#define TEST_SINK_MAX 256

typedef struct test_finding {
    int code;
    uint64_t offset;
    const char *field;
} test_finding;

typedef struct test_sink {
    vhdx_sink sink;            /* pass &ts.sink to validators */
    int stop_on_fatal;         /* 1: return the code of a fatal finding (open-like) */
    size_t count;              /* findings reported (may exceed TEST_SINK_MAX) */
    test_finding f[TEST_SINK_MAX];
} test_sink;

void test_sink_init(test_sink *ts);
/* number of findings with this code */
size_t test_sink_count_code(const test_sink *ts, int code);
/* 1 when a finding (code, offset) was recorded */
int test_sink_has(const test_sink *ts, int code, uint64_t offset);
/* index of the first finding with this code, or -1 */
int test_sink_find(const test_sink *ts, int code);
/* prints every finding to stderr (debug aid for failing tests) */
void test_sink_dump(const test_sink *ts);

#endif
