// Delivery on the way back to user mode (Linux's arch_do_signal_or_restart,
// get_signal, handle_signal, signal_delivered).
//
// Each return to user mode takes the pending unblocked signals one at a
// time: an ignored one is dropped, a default action runs (terminate and core
// end the process, stop sleeps until SIGCONT, continue and ignore do
// nothing), and the first one with a handler gets a frame; the rest wait for
// the next return (the handler's rt_sigreturn, at the latest), as each
// handler runs with its own signal blocked.
//
// Syscall restarts: a syscall interrupted by a signal returned
// -kErestartsys / -kErestartnohand. With a handler about to run it becomes
// EINTR, unless it is ERESTARTSYS and the handler has SA_RESTART; with no
// handler (the signal was ignored, stopped and continued the process, ...)
// the syscall is re-issued: RIP back over the 2-byte SYSCALL, RAX the number.
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/spinlock.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_default.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/signal_generate.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/time.h"

namespace kernel {
namespace {

constexpr u64 kSyscallInsnBytes = 2;  // 0F 05

bool is_restart_code(i64 rax) { return rax == -kErestartsys || rax == -kErestartnohand; }

void restart_syscall(TrapFrame& frame, i64 nr) {
    frame.rax = static_cast<u64>(nr);
    frame.rip -= kSyscallInsnBytes;
}

}  // namespace

void signal_deliver(TrapFrame& frame) {
    Task* t = current_task();
    Process* p = t ? t->process : nullptr;
    if (!p) return;
    const i64 nr = t->syscall_nr;
    t->syscall_nr = -1;
    const i64 result = static_cast<i64>(frame.rax);
    bool restart_pending = nr >= 0 && is_restart_code(result);
    // The common case, every fault and tick: nothing to do, no lock taken.
    if (!restart_pending && !t->signals.restore_saved_mask && !__atomic_load_n(&p->notify_continued, __ATOMIC_ACQUIRE) &&
        !signal_pending(t))
        return;

    for (;;) {
        if (__atomic_load_n(&p->notify_continued, __ATOMIC_ACQUIRE)) {
            bool report = false;
            {
                SpinGuard guard(p->signal_lock);
                report = p->notify_continued;
                p->notify_continued = false;
            }
            if (report) report_continued(p);
        }
        SigInfo info;
        SignalAction action;
        u64 blocked;
        i32 sig;
        u32 continues;
        {
            SpinGuard guard(p->signal_lock);
            continues = p->continue_count;
            blocked = t->signals.blocked;
            sig = dequeue_signal_locked(t, blocked, &info);
            if (!sig) break;
            action = p->actions[sig - 1];
            if (action.handler != kSigDfl && action.handler != kSigIgn && (action.flags & kSaResethand))
                p->actions[sig - 1].handler = kSigDfl;  // SA_RESETHAND: one shot
        }
        if (action.handler == kSigIgn) continue;
        if (action.handler == kSigDfl) {
            switch (default_action(sig)) {
                case DefaultAction::kIgnore:
                case DefaultAction::kContinue: continue;
                case DefaultAction::kStop: stop_current_process(sig, continues); continue;
                case DefaultAction::kTerminate:
                case DefaultAction::kCore: process_kill(sig);
            }
        }

        // A handler runs.
        if (restart_pending) {
            restart_pending = false;
            if (result == -kErestartsys && (action.flags & kSaRestart)) restart_syscall(frame, nr);
            else frame.rax = static_cast<u64>(-linux::kEintr);
        }
        // The mask the handler's rt_sigreturn puts back: sigsuspend's saved one, if any.
        u64 saved_mask = blocked;
        if (t->signals.restore_saved_mask) {
            saved_mask = t->signals.saved_mask;
            t->signals.restore_saved_mask = false;
        }
        if (!setup_rt_frame(frame, sig, info, action, saved_mask)) {
            // Linux's force_sigsegv: the frame could not be built.
            kprintf("%s[%u]: cannot set up a frame for %s (rip %llx sp %llx): killed with SIGSEGV\n", p->name,
                    p->pid, signal_name(sig), static_cast<unsigned long long>(frame.rip),
                    static_cast<unsigned long long>(frame.rsp));
            process_kill(signal::kSigsegv);
        }
        u64 during = blocked | action.mask;
        if (!(action.flags & kSaNodefer)) during |= signal_bit(sig);
        signal_set_blocked(t, during);
        return;
    }

    if (restart_pending) restart_syscall(frame, nr);
    if (t->signals.restore_saved_mask) {
        t->signals.restore_saved_mask = false;
        signal_set_blocked(t, t->signals.saved_mask);
    }
}

i64 signal_suspend(u64 mask) {
    Task* t = current_task();
    Process* p = t->process;
    t->signals.saved_mask = signal_blocked(t);
    t->signals.restore_saved_mask = true;
    signal_set_blocked(t, mask);
    // Only a pending signal ends it (ignored ones never queue).
    p->signal_events.wait_interruptible([] { return false; });
    return -kErestartnohand;
}

}  // namespace kernel

namespace kernel {
namespace {

// Takes a signal of `mask` if one is pending.
i32 take_waited(Task* t, u64 mask, SigInfo* info) {
    SpinGuard guard(t->process->signal_lock);
    return dequeue_signal_locked(t, ~mask, info);
}


}  // namespace

i64 signal_timedwait(u64 mask, u64 timeout_ns, SigInfo* info) {
    Task* t = current_task();
    if (const i32 sig = take_waited(t, mask, info)) return sig;
    if (timeout_ns == 0) return -linux::kEagain;
    // Linux's do_sigtimedwait: the waited signals are unblocked while it
    // sleeps, so their arrival wakes it; the old mask comes back after.
    const u64 blocked = signal_blocked(t);
    signal_set_blocked(t, blocked & ~mask);
    if (timeout_ns == kForever) t->process->signal_events.wait_interruptible([] { return false; });
    else t->process->signal_events.wait_interruptible_until([] { return false; }, deadline_after_ns(timeout_ns));
    signal_set_blocked(t, blocked);
    if (const i32 sig = take_waited(t, mask, info)) return sig;
    return signal_pending(t) ? -linux::kEintr : -linux::kEagain;
}

}  // namespace kernel
