#!/usr/bin/env bash
# Builds and runs every test: first an optimized build with warnings as errors,
# then the same suite under AddressSanitizer + UndefinedBehaviorSanitizer (the
# kernel runs natively in the sim build, so this is our KASAN).
# SIMX_TEST_SANITIZE=0 skips the sanitizer pass for a quick local run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh

run_suite() {
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DSIMX_WERROR=ON "$@" >/dev/null
  cmake --build "$dir" -j2
  ctest --test-dir "$dir" -j2 --output-on-failure --timeout 600
}

run_suite build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo
if [[ "${SIMX_TEST_SANITIZE:-1}" != 0 ]]; then
  # Benchmarks are not run by ctest; skip building them under the sanitizers.
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DSIMX_SANITIZE=ON -DSIMX_BENCHES=OFF
fi
