// A ticket spinlock: FIFO-fair, so no CPU starves under contention. Waiters call
// spin_relax(): hal::cpu_relax (in the sim build it lets the other simulated
// CPUs run), then the cross calls posted to this CPU (kernel/smp/cross_call.h),
// so a lock holder waiting for this CPU's acknowledgement never deadlocks.
// The holder's CPU is recorded so code can assert that it holds a lock
// (Zircon's AssertHeld habit) and a recursive acquire panics instead of hanging.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/types.h"
#include "kernel/smp/cross_call.h"

namespace kernel {

class SpinLock {
public:
    constexpr explicit SpinLock(const char* name = "spinlock") : name_(name) {}
    SpinLock(const SpinLock&) = delete;
    SpinLock& operator=(const SpinLock&) = delete;

    void lock() {
        const u32 me = hal::current_cpu();
        KASSERT(__atomic_load_n(&owner_, __ATOMIC_RELAXED) != me + 1, "recursive acquire of %s", name_);
        const u32 ticket = __atomic_fetch_add(&next_, 1u, __ATOMIC_RELAXED);
        while (__atomic_load_n(&serving_, __ATOMIC_ACQUIRE) != ticket) spin_relax();
        __atomic_store_n(&owner_, me + 1, __ATOMIC_RELAXED);
    }
    void unlock() {
        KASSERT(held(), "unlock of %s by a CPU that does not hold it", name_);
        __atomic_store_n(&owner_, 0u, __ATOMIC_RELAXED);
        __atomic_store_n(&serving_, serving_ + 1, __ATOMIC_RELEASE);
    }
    bool held() const { return __atomic_load_n(&owner_, __ATOMIC_RELAXED) == hal::current_cpu() + 1; }
    void assert_held() const { KASSERT(held(), "%s not held", name_); }
    const char* name() const { return name_; }

private:
    const char* name_;
    u32 next_ = 0;
    u32 serving_ = 0;
    u32 owner_ = 0;  // holder's CPU + 1; 0 = free
};

// Scoped lock holder; with interrupts off for the critical section.
class SpinGuard {
public:
    explicit SpinGuard(SpinLock& lock) : lock_(lock), irq_(hal::irq_save()) { lock_.lock(); }
    ~SpinGuard() {
        lock_.unlock();
        hal::irq_restore(irq_);
    }
    SpinGuard(const SpinGuard&) = delete;
    SpinGuard& operator=(const SpinGuard&) = delete;

private:
    SpinLock& lock_;
    u64 irq_;
};

}  // namespace kernel
