#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# scripts/deps.sh - install the Debian 12 packages the project needs.
#
# As root: installs whatever is missing (apt-get update first), and does nothing (fast) when
# everything is present. As another user: prints the exact command and fails.
#
#   scripts/deps.sh            every package (what `make deps` runs)
#   scripts/deps.sh --list     print the package list and exit
#   scripts/deps.sh --check    exit 0 when all are installed, 1 otherwise (no install)
#
# Groups (all installed by default; the list is the contract for a fresh machine):
#   build     compilers, cmake, cmocka, libuuid, OpenSSL (SHA-256 in tests), pmccabe and
#             ctags (scripts/complexity.sh, scripts/callgraph.sh)
#   oracle    independent VHDX implementations for differential tests (qemu-img, libvhdi, 7-Zip), JSON Schema validation,
#             xmllint (JUnit against Jenkins' schema), help2man (man pages), nbdkit with its
#             plugin header and the NBD clients nbdcopy/nbdinfo (libnbd-bin) and nbdsh
#             (python3-libnbd) for nbdkit/, pod2man (perl) for its man page; with the machine's
#             npm, the SARIF validator under $VHDX_TOOLS (see npm_tools below)
#   sanitize  clang-14 and clang-19 with their ASan/UBSan/MSan/libFuzzer runtimes, llvm tools
#   fuzz      AFL++
#   be        s390x cross compiler and qemu-user for the big-endian leg (make be-check)
set -euo pipefail

BUILD_PKGS=(cmake make gcc pkg-config libcmocka-dev uuid-dev libssl-dev binutils file git
            pmccabe universal-ctags)
ORACLE_PKGS=(qemu-utils libvhdi-utils libvhdi-dev python3-libvhdi 7zip python3 python3-jsonschema
             bzip2 gzip xz-utils unzip zip gcovr libxml2-utils help2man
             nbdkit nbdkit-plugin-dev libnbd-bin python3-libnbd perl)
# clang-19 (the newest clang Debian 12 ships, closest to OSS-Fuzz's) beside the default clang-14:
# fuzz/check-oss-fuzz-build.sh builds every OSS-Fuzz configuration with both.
SANITIZE_PKGS=(clang-14 llvm-14 libclang-rt-14-dev clang llvm clang-19 llvm-19 libclang-rt-19-dev)
FUZZ_PKGS=(afl++)
BE_PKGS=(gcc-s390x-linux-gnu libc6-dev-s390x-cross qemu-user)
PKGS=("${BUILD_PKGS[@]}" "${ORACLE_PKGS[@]}" "${SANITIZE_PKGS[@]}" "${FUZZ_PKGS[@]}" "${BE_PKGS[@]}")

case "${1:-}" in
  --list) printf '%s\n' "${PKGS[@]}"; exit 0 ;;
  --check|"") ;;
  *) echo "usage: $0 [--list|--check]" >&2; exit 64 ;;
esac

# npm tools, installed locally under $VHDX_TOOLS (default /opt/vhdx-tools; no global npm state):
# Microsoft's SARIF validator (@microsoft/sarif-multitool, a self-contained .NET binary) for
# cli.test_sarif_validate. Pinned; idempotent (nothing is fetched when the binary is there).
VHDX_TOOLS=${VHDX_TOOLS:-/opt/vhdx-tools}
NPM_TOOLS=("@microsoft/sarif-multitool@5.7.0")
SARIF_MULTITOOL="$VHDX_TOOLS/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool"
npm_tools() {
  [ -x "$SARIF_MULTITOOL" ] && return 0
  [ "${1:-}" = "--check" ] && { echo "deps: missing npm tools: ${NPM_TOOLS[*]} (in $VHDX_TOOLS)"; return 1; }
  command -v npm >/dev/null 2>&1 || { echo "deps: npm not found (Debian package npm)" >&2; return 1; }
  echo "deps: installing ${NPM_TOOLS[*]} into $VHDX_TOOLS"
  mkdir -p "$VHDX_TOOLS" &&
  npm install --prefix "$VHDX_TOOLS" --no-audit --no-fund --no-save "${NPM_TOOLS[@]}" </dev/null &&
  chmod u+x,go+rx "$SARIF_MULTITOOL" && [ -x "$SARIF_MULTITOOL" ]
}

# One dpkg-query call for all packages (fast path when everything is present).
missing=()
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null |
            awk '$NF == "installed" && $(NF-1) == "ok" { print $1 }' || true)
for p in "${PKGS[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done

# Trap 1 (TOOLCHAIN.md): a tool run as root with `-o /dev/null` can replace /dev/null with a
# regular file, after which apt and half the build break. Repair it before anything else.
if [ ! -c /dev/null ] && [ "$(id -u)" -eq 0 ]; then
  echo "deps: /dev/null is not a character device; recreating it" >&2
  rm -f /dev/null && mknod -m 666 /dev/null c 1 3
fi

if [ ${#missing[@]} -eq 0 ]; then
  npm_tools "${1:-}"
  exit $?
fi
if [ "${1:-}" = "--check" ]; then
  echo "deps: missing packages: ${missing[*]}"
  npm_tools --check || true
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing packages: ${missing[*]}" >&2
  echo "deps: run as root:" >&2
  echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq </dev/null
apt-get install -y -qq --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" </dev/null
# Verify: a package that apt could not install must fail here, not three steps later.
still=()
for p in "${missing[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || still+=("$p")
done
if [ ${#still[@]} -ne 0 ]; then
  echo "deps: could not install: ${still[*]}" >&2
  exit 1
fi
npm_tools
echo "deps: done"
