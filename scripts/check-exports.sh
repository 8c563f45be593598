#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/check-exports.sh LIB.so [NM] - the shared library's dynamic symbol table must export
# the public API (vhdx_*) and nothing else: the library is compiled with hidden visibility and
# each public function is marked VHDX_API in lib/include/vhdx.h. Registered as ctest build.exports.
set -euo pipefail
lib=${1:?usage: check-exports.sh LIB.so [NM]}
nm=${2:-nm}
[ -n "$nm" ] || nm=nm
[ -f "$lib" ] || { echo "check-exports: $lib not found"; exit 1; }
syms=$("$nm" -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' | sed 's/@.*//' | sort -u)
# Linker-provided markers that every shared object carries; sanitizer/profile runtime hooks in
# instrumented builds.
bad=$(grep -vE '^(vhdx_.*|VHDX_.*|_init|_fini|_edata|_end|__bss_start|__(msan|asan|ubsan|lsan|sanitizer|llvm_profile)_.*)$' <<<"$syms" || true)
count=$(grep -cE "^(vhdx_|VHDX_)" <<<"$syms" || true)
if [ -n "$bad" ]; then
  echo "check-exports: $lib exports symbols outside the vhdx_ namespace:"
  sed 's/^/  /' <<<"$bad"
  exit 1
fi
if [ "$count" -eq 0 ]; then
  echo "check-exports: $lib exports no vhdx_* symbol (VHDX_API missing?)"
  exit 1
fi
# Every VHDX_API declaration in the public headers must be exported (and defined).
hdr_dir=$(cd "$(dirname "$0")/../lib/include" && pwd)
declared=$(grep -hoE 'VHDX_API[^(;]*\b(vhdx_[A-Za-z0-9_]+)[[:space:]]*\(' "$hdr_dir"/*.h |
           grep -oE 'vhdx_[A-Za-z0-9_]+[[:space:]]*\($' | tr -d ' (' | sort -u
          grep -hoE 'VHDX_API[[:space:]]+extern[^;(]*\b[A-Za-z_][A-Za-z0-9_]*[[:space:]]*(\[[^]]*\])?;' "$hdr_dir"/*.h |
           sed -E 's/(\[[^]]*\])?;$//; s/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*$/\1/' | sort -u)
declared=$(printf '%s\n' "$declared" | sort -u)
missing=$(comm -23 <(printf '%s\n' "$declared") <(printf '%s\n' "$syms") | sed '/^$/d')
if [ -n "$missing" ]; then
  echo "check-exports: declared VHDX_API but not exported by $lib (a consumer would fail to link):"
  sed 's/^/  /' <<<"$missing"
  exit 1
fi
echo "check-exports: $lib exports $count vhdx_* symbols and nothing else"
