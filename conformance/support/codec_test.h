/* SPDX-License-Identifier: Apache-2.0 */
/*
 * codec_test.h - what every test_fmt_*.c codec test needs: cmocka (with the headers it
 * expects first), the codec layer, the recording sink, and the two finding assertions.
 */
#ifndef VHDX_TEST_CODEC_TEST_H
#define VHDX_TEST_CODEC_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fmt.h"
#include "test_sink.h"

/* exactly one finding: (code, offset) */
#define EXPECT_ONE(ts, c, off) do { \
        if ((ts)->count != 1 || (ts)->f[0].code != (c) || (ts)->f[0].offset != (uint64_t)(off)) \
            test_sink_dump(ts); \
        assert_int_equal((ts)->count, 1); \
        assert_string_equal(vhdx_status_name((ts)->f[0].code), vhdx_status_name(c)); \
        assert_true((ts)->f[0].offset == (uint64_t)(off)); \
    } while (0)
#define EXPECT_NONE(ts) do { \
        if ((ts)->count != 0) test_sink_dump(ts); \
        assert_int_equal((ts)->count, 0); \
    } while (0)

#endif
