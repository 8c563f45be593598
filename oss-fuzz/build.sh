#!/bin/bash -eu
# SPDX-License-Identifier: Apache-2.0
# OSS-Fuzz: the build is the repository's own script (VHDX_SRC: source dir, default $SRC/vhdx).
exec bash "${VHDX_SRC:-$SRC/vhdx}/fuzz/build-oss-fuzz.sh"
