#!/usr/bin/env bash
# The main job: install what is missing, build simx, run the default workload
# (random 8-byte loads over 64 MiB per CPU on the Skylake-client machine) and
# print its counters.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target simx
build/apps/simx/simx pattern --config machines/skylake-client.ini "$@"
