// Wait queues: where tasks sleep until an event (Linux's wait_queue_head).
// The sleeper checks its condition under the queue's lock, and marks itself
// sleeping before it drops the lock, so a wake-up between the check and the
// switch is never lost: wake_up makes it runnable again and schedule() then
// simply keeps it.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/list.h"
#include "kernel/lib/spinlock.h"
#include "kernel/sched/task.h"

namespace kernel {

class WaitQueue {
public:
    explicit WaitQueue(const char* name = "wait_queue") : lock_(name) {}
    WaitQueue(const WaitQueue&) = delete;
    WaitQueue& operator=(const WaitQueue&) = delete;

    // Sleeps until cond() holds, evaluated with the queue locked.
    template <typename Cond>
    void wait(Cond&& cond) {
        lock_.lock();
        while (!cond()) {
            sleep_locked();
            lock_.lock();
            forget_current();
        }
        lock_.unlock();
    }
    // The same, but a pending signal (kernel/proc/signal.h) ends the sleep:
    // true when cond() holds, false when a signal came first (the caller
    // returns -kErestartsys, or -EINTR).
    template <typename Cond>
    bool wait_interruptible(Cond&& cond) {
        lock_.lock();
        while (!cond()) {
            if (pending_signal()) {
                lock_.unlock();
                return false;
            }
            sleep_locked();
            lock_.lock();
            forget_current();
        }
        lock_.unlock();
        return true;
    }
    // The same with a deadline in hal::cycles() units (a sleep timer,
    // scheduler.h): 1 when cond() holds, 0 when the deadline passed first,
    // -1 when a signal came first.
    template <typename Cond>
    int wait_interruptible_until(Cond&& cond, u64 deadline) {
        lock_.lock();
        int result = 1;
        while (!cond()) {
            if (pending_signal()) {
                result = -1;
                break;
            }
            if (hal::cycles() >= deadline) {
                result = 0;
                break;
            }
            sleep_locked_until(deadline);
            lock_.lock();
            forget_current();
        }
        lock_.unlock();
        return result;
    }
    // Wakes every sleeper (each re-checks its condition).
    void wake_all();
    bool has_sleepers();

private:
    static bool pending_signal();
    // After a sleep: a task woken by something else than wake_all (a signal)
    // is still listed; it leaves the list before it looks again.
    void forget_current();
    // Queues the current task as sleeping, drops the lock, schedules.
    void sleep_locked();
    // The same with a sleep timer for `deadline`, disarmed after.
    void sleep_locked_until(u64 deadline);

    SpinLock lock_;
    IntrusiveList<Task, &Task::wait_node> sleepers_;
};

}  // namespace kernel
