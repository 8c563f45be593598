#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/be-check.sh - `make be-check`: the conformance suite (and corpus replay) on a
# big-endian host. Cross-builds for s390x with gcc, runs every test binary under qemu-user,
# and requires the checksum, GUID, endian-export, header-alternation and every codec
# (test_fmt_*) test to pass there.
#
# The s390x cmocka and libuuid come from Debian's archive without touching dpkg:
# a private apt state dir with APT::Architecture=s390x, `apt-get download`, `dpkg-deb -x`
# into build-be/sysroot (TOOLCHAIN.md "Big-endian hosts"). No libcrypto: the CLI hashes with
# cli/sha256.c, and the only tests that use OpenSSL (known-good image hashes) are labelled
# slow and skipped here, so they build without it and would exit 77.
#
# Env: BE_BUILD (default build-be), BE_CMAKE_ARGS / BE_CTEST_ARGS (extra args), JOBS.
# Writes reports/junit/be-s390x.xml. 32-bit powerpc is not built: Debian 12 ships the
# powerpc cross compiler but not cmocka/libuuid for powerpc (a ports architecture).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=${BE_BUILD:-build-be}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
arch=s390x
triple=s390x-linux-gnu
sysroot="$build/sysroot"
junit="$root/reports/junit/be-$arch.xml"
mkdir -p "$build" "$root/reports/junit"
rm -f "$junit"

for tool in $triple-gcc qemu-$arch dpkg-deb apt-get; do
  command -v "$tool" >/dev/null || { echo "be-check: $tool not found (run: make deps)"; exit 1; }
done

# ---- sysroot ----
SYSROOT_PKGS=(libcmocka0 libcmocka-dev libuuid1 uuid-dev)
stamp="$sysroot/.vhdx-sysroot"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "${SYSROOT_PKGS[*]}" ]; then
  echo "be-check: reusing $sysroot"
else
  echo "be-check: building $arch sysroot (${SYSROOT_PKGS[*]})"
  rm -rf "$sysroot" "$build/apt" "$build/debs"
  st="$build/apt"
  mkdir -p "$st/lists/partial" "$st/cache/archives/partial" "$build/debs" "$sysroot"
  : >"$st/status"
  APT_OPTS=(-o "APT::Architecture=$arch" -o "APT::Architectures::=$arch"
            -o "Dir::State=$st" -o "Dir::State::Lists=$st/lists" -o "Dir::State::status=$st/status"
            -o "Dir::Cache=$st/cache" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root"
            -o "Acquire::Retries=3")
  ok=0
  for attempt in 1 2 3; do
    if apt-get "${APT_OPTS[@]}" update -qq </dev/null >"$build/apt-update.log" 2>&1; then ok=1; break; fi
    echo "be-check: apt-get update for $arch failed (attempt $attempt)"; sleep 5
  done
  [ $ok = 1 ] || { cat "$build/apt-update.log"; exit 1; }
  (cd "$build/debs" && apt-get "${APT_OPTS[@]}" download "${SYSROOT_PKGS[@]}" </dev/null 2>&1 |
     grep -v "^W: Download is performed unsandboxed" || true)
  n=0
  for deb in "$build/debs"/*.deb; do
    [ -e "$deb" ] || continue
    dpkg-deb -x "$deb" "$sysroot"
    n=$((n + 1))
  done
  if [ "$n" -ne ${#SYSROOT_PKGS[@]} ]; then
    echo "be-check: expected ${#SYSROOT_PKGS[@]} packages, extracted $n"; exit 1
  fi
  echo "${SYSROOT_PKGS[*]}" >"$stamp"
fi

# ---- configure, build ----
# shellcheck disable=SC2086
cmake -S "$root" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-$arch.cmake" \
      -DVHDX_BE_SYSROOT="$sysroot" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVHDX_WERROR=ON \
      -DVHDX_SHARED_DIR="$(cd "$root/.." && pwd)/shared" ${BE_CMAKE_ARGS:-} >"$build/configure.log" 2>&1 ||
  { cat "$build/configure.log"; exit 1; }
grep -E "cmocka" "$build/configure.log" || true
cmake --build "$build" -j"$jobs"

probe=$(find "$build/bin" -maxdepth 1 -type f -name 'test_*' | head -1)
if [ -n "$probe" ]; then
  echo "be-check: $(basename "$probe"): $(readelf -h "$probe" | awk -F: '/Data|Machine/ { gsub(/^ +/, "", $2); printf "%s; ", $2 }')"
fi

# ---- run ----
# Shell (cli) tests are not registered in a cross build; slow and no-be labels are skipped.
set +e
# shellcheck disable=SC2086
ctest --test-dir "$build" --output-on-failure --no-tests=error -j"$jobs" -LE 'slow|no-be' \
      --output-junit "$junit" ${BE_CTEST_ARGS:-}
rc=$?
set -e

# ---- the gate: these areas must have run AND passed on the big-endian host ----
required=("^conformance\..*(crc|checksum)" "^conformance\..*guid" "^conformance\..*(endian|export|encode)" "^conformance\..*header")
# and every codec test (conformance/test_fmt_<module>.c, one per lib/src/fmt_<module>.c), each by name
for src in "$root"/conformance/test_fmt_*.c; do
  required+=("^conformance\.$(basename "$src" .c)\$")
done
missing=0
if [ -f "$junit" ]; then
  # ctest's JUnit: status="run" = ran and passed, "fail" = failed, "notrun" = skipped.
  passed=$(grep -oE '<testcase name="[^"]*"[^>]*status="run"' "$junit" | sed -E 's/<testcase name="([^"]*)".*/\1/')
  for pat in "${required[@]}"; do
    hit=$(grep -iE "$pat" <<<"$passed" | head -4 | tr '\n' ' ' || true)
    if [ -n "$hit" ]; then echo "be-check: required area /$pat/ passed on $arch: $hit"
    else echo "be-check: required area /$pat/ has no passing test on $arch"; missing=1; fi
  done
else
  echo "be-check: no JUnit written"; missing=1
fi
if [ $rc -ne 0 ]; then echo "be-check: ctest failed on $arch"; exit $rc; fi
if [ $missing -ne 0 ] && [ "${BE_REQUIRE_AREAS:-1}" = 1 ]; then exit 1; fi
echo "be-check: $arch OK"
