#!/usr/bin/env bash
# The main job: install what is missing, build simx and the guest programs, and
# run the default workload — a pointer chase over 16 MiB (guest_userland/
# workloads/chase.c, a static musl binary) under `simx run` on the
# Skylake-client machine — which prints the program's output, then the
# counters of the run per CPU and for the process. Options given to this
# script go to `simx run` (e.g. --set tlb.stlb.entries=3072, --stats-json F).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2 --target simx guest_userland
build/apps/simx/simx run --config machines/skylake-client.ini "$@" build/guest_userland/bin/chase 16 1000000
