// Sending signals (Linux's kernel/signal.c: send_signal_locked,
// prepare_signal, complete_signal, force_sig_info_to_task) and taking them
// off the pending sets (dequeue_signal).
//
// A sent signal is first checked against its action: one the process ignores
// (SIG_IGN, or SIG_DFL of an ignore-by-default signal) and the target does
// not block is dropped, as Linux does. SIGCONT resumes a stopped process and
// drops pending stop signals; a stop signal drops a pending SIGCONT. Then the
// bit and its info go into the task's set (thread-directed) or the process's
// shared set, and a thread that does not block the signal is woken: if it
// sleeps interruptibly (WaitQueue::wait_interruptible) it sees
// signal_pending and returns; if it is stopped it re-checks whether it may
// go on. A thread running user code on another CPU is kicked with an IPI
// (task_kick), as Linux's signal_wake_up does, and takes it at once.
#include "kernel/proc/signal.h"

#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_default.h"
#include "kernel/proc/signal_generate.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sched/scheduler.h"

namespace kernel {
namespace {

constexpr u64 kUnblockable = signal_bit(signal::kSigkill) | signal_bit(signal::kSigstop);
// Signals a fault raises synchronously; delivered before any other pending one.
constexpr u64 kSynchronous = signal_bit(signal::kSigsegv) | signal_bit(signal::kSigbus) |
                             signal_bit(signal::kSigill) | signal_bit(signal::kSigtrap) |
                             signal_bit(signal::kSigfpe);

u64 stop_mask() {
    u64 m = 0;
    for (i32 s = 1; s <= signal::kSigrtmax; ++s)
        if (is_stop_signal(s)) m |= signal_bit(s);
    return m;
}

void flush(PendingSignals& pending, u64 mask) { pending.set &= ~mask; }

// Every thread of p (signal_lock held; the thread list changes under both
// the tree lock and signal_lock).
template <typename Fn>
void for_each_thread(Process& p, Fn&& fn) {
    p.threads.for_each([&](Task& t) { fn(t); });
}

// Linux's prepare_signal: the stop/continue interplay, then whether to queue.
// signal_lock held. False: drop the signal.
bool prepare_locked(Process& p, i32 sig, u64 target_blocked, bool* wake_all) {
    if (p.state != ProcessState::kAlive) return false;
    if (sig == signal::kSigcont) {
        ++p.continue_count;
        const u64 stops = stop_mask();
        flush(p.shared_pending, stops);
        for_each_thread(p, [&](Task& t) { flush(t.signals.pending, stops); });
        if (p.stopped) {
            p.stopped = false;
            p.notify_continued = true;
            *wake_all = true;
        }
    } else if (is_stop_signal(sig)) {
        const u64 cont = signal_bit(signal::kSigcont);
        flush(p.shared_pending, cont);
        for_each_thread(p, [&](Task& t) { flush(t.signals.pending, cont); });
    } else if (sig == signal::kSigkill) {
        *wake_all = true;  // a stopped process must wake up to die
    }
    return !signal_ignored_locked(p, sig, target_blocked);
}

void queue_locked(PendingSignals& pending, i32 sig, const SigInfo& info) {
    if (pending.set & signal_bit(sig)) return;  // one instance per signal
    pending.set |= signal_bit(sig);
    pending.info[sig - 1] = info;
    pending.info[sig - 1].signo = sig;
}

// Unconditional: task_wake's wake_pending covers a target that is just
// deciding to sleep (it checked signal_pending before the bit was set).
void wake(Task* t) {
    if (!t) return;
    task_wake(t);
    task_kick(t);
}

}  // namespace

bool signal_ignored_locked(const Process& p, i32 sig, u64 blocked) {
    if (blocked & signal_bit(sig)) return false;
    const u64 handler = p.actions[sig - 1].handler;
    if (handler == kSigIgn) return true;
    // SIGCONT's default is to ignore it once prepare_locked has resumed the process.
    const DefaultAction d = default_action(sig);
    return handler == kSigDfl && (d == DefaultAction::kIgnore || d == DefaultAction::kContinue);
}

void signal_send(Process* p, i32 sig, const SigInfo& info) {
    KASSERT(sig >= 1 && sig <= signal::kSigrtmax, "signal_send of signal %d", sig);
    Task* target = nullptr;
    bool wake_all = false;
    {
        SpinGuard guard(p->signal_lock);
        // Ignored only if every thread would ignore it: with one thread, its mask decides.
        Task* first = p->threads.front();
        const u64 blocked = first ? first->signals.blocked : 0;
        const bool queue = prepare_locked(*p, sig, blocked, &wake_all);
        // Queued before anyone is woken: a thread woken first could look,
        // find nothing, and sleep again for good.
        if (queue) {
            queue_locked(p->shared_pending, sig, info);
            // Linux's complete_signal: a thread that does not block it takes it.
            for_each_thread(*p, [&](Task& t) {
                if (!target && !(t.signals.blocked & signal_bit(sig))) target = &t;
            });
        }
        // A SIGCONT that resumed the process wakes its threads even when it
        // is itself ignored (SIG_DFL) and dropped.
        if (wake_all) for_each_thread(*p, [&](Task& t) { wake(&t); });
        else wake(target);
    }
}

void signal_send_task(Task* t, i32 sig, const SigInfo& info) {
    KASSERT(sig >= 1 && sig <= signal::kSigrtmax, "signal_send_task of signal %d", sig);
    Process* p = t->process;
    KASSERT(p, "signal %d to a kernel task", sig);
    bool wake_all = false;
    SpinGuard guard(p->signal_lock);
    const bool queue = prepare_locked(*p, sig, t->signals.blocked, &wake_all);
    if (queue) queue_locked(t->signals.pending, sig, info);  // before any wake-up (signal_send)
    if (wake_all) for_each_thread(*p, [&](Task& other) { wake(&other); });
    else if (queue && !(t->signals.blocked & signal_bit(sig))) wake(t);
}

void signal_force(Task* t, i32 sig, const SigInfo& info) {
    Process* p = t->process;
    KASSERT(p, "forced signal %d to a kernel task", sig);
    {
        SpinGuard guard(p->signal_lock);
        SignalAction& action = p->actions[sig - 1];
        const bool blocked = t->signals.blocked & signal_bit(sig);
        if (blocked || action.handler == kSigIgn) {
            action.handler = kSigDfl;
            t->signals.blocked &= ~signal_bit(sig);
        }
    }
    signal_send_task(t, sig, info);
}

bool signal_pending(Task* t) {
    if (!t || !t->process) return false;
    const u64 mine = __atomic_load_n(&t->signals.pending.set, __ATOMIC_ACQUIRE);
    const u64 shared = __atomic_load_n(&t->process->shared_pending.set, __ATOMIC_ACQUIRE);
    const u64 blocked = __atomic_load_n(&t->signals.blocked, __ATOMIC_ACQUIRE);
    return ((mine | shared) & ~blocked) != 0;
}

i32 dequeue_signal_locked(Task* t, u64 blocked, SigInfo* info) {
    Process& p = *t->process;
    PendingSignals* sets[2] = {&t->signals.pending, &p.shared_pending};
    const u64 order[2] = {kSynchronous, ~u64{0}};
    for (u64 preferred : order) {
        for (PendingSignals* set : sets) {
            const u64 ready = set->set & ~blocked & preferred;
            if (!ready) continue;
            const i32 sig = __builtin_ctzll(ready) + 1;
            *info = set->info[sig - 1];
            set->set &= ~signal_bit(sig);
            return sig;
        }
    }
    return 0;
}

u64 signal_blocked(Task* t) {
    SpinGuard guard(t->process->signal_lock);
    return t->signals.blocked;
}

void signal_set_blocked(Task* t, u64 mask) {
    SpinGuard guard(t->process->signal_lock);
    t->signals.blocked = mask & ~kUnblockable;
}

u64 signal_pending_set(Task* t) {
    SpinGuard guard(t->process->signal_lock);
    return t->signals.pending.set | t->process->shared_pending.set;
}

}  // namespace kernel
