#!/bin/bash -eu
# SPDX-License-Identifier: Apache-2.0
# ClusterFuzzLite (code-change and batch modes): the same build as OSS-Fuzz, from the repository.
exec bash "${VHDX_SRC:-$SRC/vhdx}/fuzz/build-oss-fuzz.sh"
