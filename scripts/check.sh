#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/check.sh [BUILD_DIR] - what `make check` runs after the plain (gcc, -Werror) build:
# every registered test (conformance, CLI/differential shell tests, corpus replay, build
# checks) through ctest, with failing tests' output shown and a JUnit XML written to
# reports/junit/plain.xml. Extra ctest arguments can be passed in CTEST_ARGS (e.g. "-L cli").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
junit_name=${JUNIT_NAME:-plain}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
mkdir -p "$root/reports/junit"
junit="$root/reports/junit/$junit_name.xml"
rm -f "$junit"
# cmocka writes its own per-group JUnit only when asked (CMOCKA_MESSAGE_OUTPUT=xml); keep the
# readable stdout format here, ctest's JUnit carries each test's output.
unset CMOCKA_MESSAGE_OUTPUT CMOCKA_XML_FILE
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure --no-tests=error -j"$jobs" \
      --output-junit "$junit" ${CTEST_ARGS:-}
