// workload.h: shared helpers for the benchmark workloads. A workload takes its sizes
// from argv (with small defaults, so CI can run it under the simulator), touches memory
// in one characteristic pattern, and prints a deterministic checksum — so the same
// binary run on the host is the oracle for its output.
#ifndef SIMX_GUEST_WORKLOAD_H
#define SIMX_GUEST_WORKLOAD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

// argument i of argv as an unsigned number (0x.. allowed), or fallback when absent.
static inline uint64_t workload_arg(int argc, char** argv, int i, uint64_t fallback) {
    return argc > i ? strtoull(argv[i], NULL, 0) : fallback;
}

// xorshift64*: fixed-seed pseudo-random numbers, identical on every run.
static inline uint64_t workload_rand(uint64_t* state) {
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

// A uniformly distributed number below n (n > 0), by rejection.
static inline uint64_t workload_below(uint64_t* state, uint64_t n) {
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do r = workload_rand(state);
    while (r >= limit);
    return r % n;
}

#endif  // SIMX_GUEST_WORKLOAD_H
