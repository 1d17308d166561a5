// Time syscalls on the modeled clock: CLOCK_MONOTONIC is the CPU's cycle
// clock over its rate (hal::cycles_per_second), CLOCK_REALTIME adds the
// machine's boot epoch, so a run's times are reproducible. A sleep lets the
// modeled time pass (hal::cpu_idle).
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

i64 sys_clock_gettime(const SyscallArgs& a);
i64 sys_clock_getres(const SyscallArgs& a);
i64 sys_gettimeofday(const SyscallArgs& a);
i64 sys_time(const SyscallArgs& a);
i64 sys_nanosleep(const SyscallArgs& a);
i64 sys_clock_nanosleep(const SyscallArgs& a);
i64 sys_getitimer(const SyscallArgs& a);
i64 sys_setitimer(const SyscallArgs& a);
i64 sys_alarm(const SyscallArgs& a);

// Nanoseconds of modeled time since cycle 0.
}  // namespace kernel
