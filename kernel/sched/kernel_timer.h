// Kernel timers: a callback run on a CPU once the CPU's clock passes a
// deadline. Each CPU keeps the timers armed on it (scheduler.cpp, under its
// run-queue lock) and runs the due ones on every timer interrupt, every
// schedule() through arm_timer, and every idle step; the CPU's one-shot timer
// is programmed for the earlier of its task's slice end and its first timer,
// so a timer fires within an idle step (20,000 cycles) of its deadline, or at
// the first user-mode instruction boundary after it.
//
// The callback runs without the run-queue lock, on the CPU the timer was
// armed on, with interrupts off; it may take other locks (signal_lock, wait
// queues) and may arm the timer again. Users: sleep timers (a task's timed
// sleep, scheduler.h) and a process's ITIMER_REAL (alarm, setitimer).
#pragma once

#include "kernel/lib/list.h"
#include "kernel/lib/types.h"

namespace kernel {

struct KernelTimer {
    u64 deadline = 0;                      // hal::cycles() units
    void (*fn)(KernelTimer*) = nullptr;
    void* owner = nullptr;                 // what fn works on
    u32 cpu = 0;                           // the CPU whose list holds it while armed
    bool armed = false;
    bool firing = false;                   // fn is running (kernel_timer_cancel waits for it)
    bool expired = false;                  // its last arming ended by firing, not by a cancel
    ListNode node;
};

// Arms it on this CPU for `deadline`; it must not be armed already.
void kernel_timer_arm(KernelTimer* timer, u64 deadline);
// Disarms it wherever it is armed; once this returns fn is not running and
// will not run for that arming. True when it fired (expired) instead.
bool kernel_timer_cancel(KernelTimer* timer);

}  // namespace kernel
