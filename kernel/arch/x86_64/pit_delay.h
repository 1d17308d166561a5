// Busy-wait delays timed by the 8254 PIT's channel 2, whose 1.193182 MHz input
// is fixed by the platform (unlike the TSC, whose rate the kernel would first
// have to calibrate, and whose rate under QEMU TCG follows the host). Used for
// the INIT-SIPI-SIPI delays, which are minimums: a delay may only run long.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

// Waits at least `microseconds` (any length; split into PIT periods).
void pit_delay_us(u64 microseconds);

}  // namespace kernel::x86
