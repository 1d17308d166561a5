#!/usr/bin/env bash
# Installs, from Debian's packages only, whatever simx needs that is missing.
# Idempotent: when everything is present it changes nothing and needs no network.
set -euo pipefail

packages=(
  g++ cmake ninja-build pkg-config
  libgtest-dev libbenchmark-dev
  libboost-program-options-dev libboost-context-dev
  libfmt-dev libzydis-dev
  musl-tools cpio qemu-system-x86
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "simx: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
