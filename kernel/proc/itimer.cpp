#include "kernel/proc/itimer.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/spinlock.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sched/kernel_timer.h"
#include "kernel/sched/time.h"

namespace kernel {
namespace {

// The timer's callback: SIGALRM, and the next period if there is one.
void real_timer_fired(KernelTimer* t) {
    Process& p = *static_cast<Process*>(t->owner);
    {
        SpinGuard guard(p.signal_lock);
        if (!p.real_deadline) return;  // disarmed while it was firing
        if (p.real_interval) {
            p.real_deadline += p.real_interval;
            const u64 now = hal::cycles();
            if (p.real_deadline <= now) p.real_deadline = now + p.real_interval;  // overruns are not queued
            kernel_timer_arm(&p.real_timer, p.real_deadline);
        } else {
            p.real_deadline = 0;
        }
    }
    SigInfo info;
    info.code = si::kKernel;  // Linux's it_real_fn: SEND_SIG_PRIV
    signal_send(&p, signal::kSigalrm, info);
}

// Value and interval left, in ns (signal_lock held).
void read_locked(const Process& p, u64* value_ns, u64* interval_ns) {
    const u64 now = hal::cycles();
    if (value_ns) *value_ns = p.real_deadline ? (p.real_deadline > now ? cycles_to_ns(p.real_deadline - now) : 1) : 0;
    if (interval_ns) *interval_ns = cycles_to_ns(p.real_interval);
}

}  // namespace

void itimer_real_set(Process& p, u64 value_ns, u64 interval_ns, u64* old_value_ns, u64* old_interval_ns) {
    SpinGuard serialize(p.itimer_lock);
    {
        SpinGuard guard(p.signal_lock);
        read_locked(p, old_value_ns, old_interval_ns);
        p.real_deadline = 0;  // a firing from now on does nothing
    }
    kernel_timer_cancel(&p.real_timer);
    if (!value_ns) {
        SpinGuard guard(p.signal_lock);
        p.real_interval = 0;
        return;
    }
    SpinGuard guard(p.signal_lock);
    p.real_timer.fn = real_timer_fired;
    p.real_timer.owner = &p;
    p.real_interval = interval_ns ? ns_to_cycles(interval_ns) : 0;
    p.real_deadline = deadline_after_ns(value_ns);
    kernel_timer_arm(&p.real_timer, p.real_deadline);
}

void itimer_real_get(Process& p, u64* value_ns, u64* interval_ns) {
    SpinGuard guard(p.signal_lock);
    read_locked(p, value_ns, interval_ns);
}

void itimer_real_stop(Process& p) { itimer_real_set(p, 0, 0, nullptr, nullptr); }

}  // namespace kernel
