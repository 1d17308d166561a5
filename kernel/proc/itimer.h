// A process's real-time interval timer (ITIMER_REAL: alarm(2),
// setitimer(2), getitimer(2)): SIGALRM to the process when it expires, then
// every interval if one is set. A kernel timer (kernel/sched/kernel_timer.h)
// armed on the CPU that set it. The other interval timers (ITIMER_VIRTUAL,
// ITIMER_PROF: user and user+kernel CPU time) are not kept: setitimer and
// getitimer refuse them with EINVAL.
//
// Locking: itimer_lock serializes setters (it is held across a cancel, which
// may wait for a firing); the value and interval are read and written under
// signal_lock, which the firing callback takes too. A firing that finds the
// value cleared (a setter disarmed it meanwhile) does nothing.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct Process;

// Sets the timer to fire in `value_ns` (0 disarms) and then every
// `interval_ns` (0: once); *old_value_ns / *old_interval_ns get what was set
// (the time left). Either may be nullptr.
void itimer_real_set(Process& p, u64 value_ns, u64 interval_ns, u64* old_value_ns, u64* old_interval_ns);
void itimer_real_get(Process& p, u64* value_ns, u64* interval_ns);
// At the process's end: disarmed and no firing in flight.
void itimer_real_stop(Process& p);

}  // namespace kernel
