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

# Optional: Debian's busybox-static, a real third-party static (glibc) program the
# guest tests run (issue 6). Without it those tests are left out at configure
# time with a message; everything else still builds and runs.
optional=(busybox-static)
for p in "${optional[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  echo "simx: installing optional $p"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$p"; } ||
    echo "simx: could not install $p; the tests that need it are left out" >&2
done
