/* SPDX-License-Identifier: Apache-2.0 */
/* test_sink.c - recording findings sink (see test_sink.h). */
#include <stdio.h>

#include "test_sink.h"

static int test_sink_report(vhdx_sink *s, int code, uint64_t offset, const char *field,
                            const char *detail, const char *src_file, int src_line)
{
    test_sink *ts = (test_sink *)s->ctx;
    (void)detail;
    (void)src_file;
    (void)src_line;
    if (ts->count < TEST_SINK_MAX) {
        ts->f[ts->count].code = code;
        ts->f[ts->count].offset = offset;
        ts->f[ts->count].field = field;
    }
    ts->count++;
    if (ts->stop_on_fatal && vhdx_status_is_fatal(code)) return code;
    return VHDX_OK;
}

void test_sink_init(test_sink *ts)
{
    memset(ts, 0, sizeof *ts);
    ts->sink.report = test_sink_report;
    ts->sink.ctx = ts;
}

static size_t stored(const test_sink *ts)
{
    return ts->count < TEST_SINK_MAX ? ts->count : TEST_SINK_MAX;
}

size_t test_sink_count_code(const test_sink *ts, int code)
{
    size_t n = 0;
    for (size_t i = 0; i < stored(ts); i++) n += ts->f[i].code == code;
    return n;
}

int test_sink_has(const test_sink *ts, int code, uint64_t offset)
{
    for (size_t i = 0; i < stored(ts); i++)
        if (ts->f[i].code == code && ts->f[i].offset == offset) return 1;
    return 0;
}

int test_sink_find(const test_sink *ts, int code)
{
    for (size_t i = 0; i < stored(ts); i++)
        if (ts->f[i].code == code) return (int)i;
    return -1;
}

void test_sink_dump(const test_sink *ts)
{
    for (size_t i = 0; i < stored(ts); i++)
        fprintf(stderr, "  finding %zu: %s at 0x%llx (%s)\n", i, vhdx_status_name(ts->f[i].code),
                (unsigned long long)ts->f[i].offset, ts->f[i].field ? ts->f[i].field : "-");
}
