# SPDX-License-Identifier: Apache-2.0
# Thin wrapper over CMake/ctest and the scripts in scripts/ and fuzz/. See README.md.
SHELL := /bin/bash
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
CMAKE_FLAGS ?=

.PHONY: all deps build check report fuzz afl fuzz-smoke be-check coverage bench install clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVHDX_WERROR=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j$(JOBS)

check: build
	@bash scripts/check.sh $(BUILD)

report: build
	@bash scripts/report.sh $(BUILD)

fuzz: deps
	@bash fuzz/build-fuzz.sh

afl: deps
	@bash fuzz/build-afl.sh

fuzz-smoke: fuzz
	@bash fuzz/smoke.sh

be-check: deps
	@bash scripts/be-check.sh

coverage: deps
	@bash scripts/coverage.sh

# vhdx bench, then nbdkit-vhdx-plugin next to qemu-nbd (nbdkit/bench.sh; skipped with a
# message when the plugin was not built), then the fuzz throughput table (fuzz/throughput.sh)
bench: build
	$(BUILD)/bin/vhdx bench
	@bash nbdkit/bench.sh $(BUILD)
	@bash fuzz/throughput.sh --print

# DESTDIR=/tmp/x stages the install (headers, libvhdx.a/.so, vhdx.pc, the CLI); PREFIX sets the prefix.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

clean:
	rm -rf build build-* reports/junit reports/coverage
