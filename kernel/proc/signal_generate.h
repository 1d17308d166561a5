// Signal generation's inside view (kernel/proc/signal.h has the interface):
// what the delivery loop takes from the pending sets.
#pragma once

#include "kernel/proc/signal_state.h"

namespace kernel {

struct Process;
struct Task;

// With p->signal_lock held: removes and returns the signal to deliver next
// among those pending for `task` (its own set, then its process's) and not
// in `blocked` — synchronous fault signals first (Linux's
// dequeue_synchronous_signal), then the lowest number — with its info; 0
// when none.
i32 dequeue_signal_locked(Task* task, u64 blocked, SigInfo* info);

// With p->signal_lock held: would `sig` be discarded at generation (its
// action ignores it and `blocked` does not hold it)?
bool signal_ignored_locked(const Process& p, i32 sig, u64 blocked);

}  // namespace kernel
