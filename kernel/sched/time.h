// The kernel's clocks on the CPU's cycle counter (hal::cycles): conversions
// between cycles and nanoseconds, CLOCK_MONOTONIC (cycles since boot) and
// CLOCK_REALTIME (the boot epoch plus that). Conversions go through kHz, split
// into quotient and remainder so no product exceeds 64 bits (the freestanding
// build has no 128-bit division) for any clock up to 100 GHz.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

inline constexpr u64 kNsPerSecond = 1'000'000'000;

u64 cycles_to_ns(u64 cycles);
// Rounded up, so a sleep is never shorter than asked; saturates at centuries.
u64 ns_to_cycles(u64 ns);
u64 monotonic_ns();
u64 realtime_ns();
// The hal::cycles() value `ns` from now (saturating).
u64 deadline_after_ns(u64 ns);

}  // namespace kernel
