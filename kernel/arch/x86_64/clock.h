// Time in the qemu build (hal.h cycles_per_second, boot_epoch_seconds; the
// timer and cpu_idle are timer.h's): the TSC is the clock, its rate comes from
// CPUID or the PIT, and the wall-clock time at boot from the CMOS real-time
// clock. clock.cpp.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

// Boot CPU, once, before boot_main: measures the TSC rate and reads the RTC.
void init_clock();

// The RTC's date and time as seconds since the Unix epoch (pure; for tests).
// year is the full year (e.g. 2026), month 1-12, day 1-31.
u64 unix_seconds(u32 year, u32 month, u32 day, u32 hour, u32 minute, u32 second);

}  // namespace kernel::x86
