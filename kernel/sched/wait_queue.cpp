#include "kernel/sched/wait_queue.h"

#include "kernel/proc/signal.h"
#include "kernel/sched/scheduler.h"

namespace kernel {

void WaitQueue::sleep_locked() {
    Task* me = current_task();
    prepare_to_sleep();
    sleepers_.push_back(*me);
    lock_.unlock();
    schedule();
}

void WaitQueue::sleep_locked_until(u64 deadline) {
    Task* me = current_task();
    prepare_to_sleep();
    sleepers_.push_back(*me);
    timer_arm(me, deadline);
    lock_.unlock();
    schedule();
    timer_cancel(me);
}

void WaitQueue::wake_all() {
    lock_.lock();
    while (Task* t = sleepers_.pop_front()) task_wake(t);
    lock_.unlock();
}

void WaitQueue::forget_current() {
    Task* me = current_task();
    if (me->wait_node.linked()) sleepers_.remove(*me);
}

bool WaitQueue::pending_signal() { return signal_pending(current_task()); }

bool WaitQueue::has_sleepers() {
    lock_.lock();
    const bool any = !sleepers_.empty();
    lock_.unlock();
    return any;
}

}  // namespace kernel
