# Thin wrapper over CMake/ctest. See README.md.
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
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS) --output-junit $(CURDIR)/reports/junit/ctest-plain.xml

clean:
	rm -rf build build-* reports/junit reports/coverage
