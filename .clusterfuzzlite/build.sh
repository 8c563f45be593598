#!/bin/bash -eu
# ClusterFuzzLite (code-change and batch modes): the same build as OSS-Fuzz.
exec bash "$SRC/vhdx/oss-fuzz/build.sh"
