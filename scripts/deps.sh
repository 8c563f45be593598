#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs (as root), or prints the command.
set -euo pipefail
PKGS=(cmake make gcc clang-14 llvm-14 libclang-rt-14-dev pkg-config libcmocka-dev uuid-dev
      qemu-utils libvhdi-utils python3-libvhdi python3 bzip2 gzip unzip zip gcovr)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing packages: ${missing[*]}"
  echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
