// Default actions and job control (Linux's sig_kernel_* sets,
// do_signal_stop, do_notify_parent_cldstop).
//
// A stop puts the process in the stopped state under signal_lock and its
// thread sleeps on p->signal_events until a SIGCONT clears the state (the
// sender wakes every thread with task_wake; WaitQueue::wait re-checks) or
// a SIGKILL is pending. The scheduler needs no state of its own for it: a
// stopped task is simply a sleeping one.
#include "kernel/proc/signal_default.h"

#include "kernel/lib/spinlock.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_tree.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sched/scheduler.h"

namespace kernel {
namespace {

constexpr i32 kSigtstp = 20, kSigttin = 21, kSigttou = 22, kSigurg = 23, kSigxcpu = 24, kSigxfsz = 25,
              kSigwinch = 28, kSigsys = 31;

// Tells the parent about a stop or a continue: SIGCHLD (unless it asked
// SA_NOCLDSTOP) and a wake-up of its wait4 (WUNTRACED / WCONTINUED).
void notify_parent(Process* p, i32 code, i32 status) {
    Process* parent = nullptr;
    {
        SpinGuard tree(process_tree_lock());
        if (code == si::kCldStopped) p->stop_report = true, p->continue_report = false;
        else p->continue_report = true, p->stop_report = false;
        parent = p->parent;
        if (parent) {
            bool nocldstop;
            {
                SpinGuard sig(parent->signal_lock);
                nocldstop = parent->actions[signal::kSigchld - 1].flags & kSaNocldstop;
            }
            if (!nocldstop) {
                SigInfo info;
                info.code = code;
                info.pid = static_cast<i32>(p->pid);
                info.status = status;
                signal_send(parent, signal::kSigchld, info);
            }
        }
    }
    // As make_zombie: the parent outlives this call (it is reaped only after
    // its own exit, which re-parents us under the tree lock first).
    if (parent) parent->child_events.wake_all();
}

}  // namespace

DefaultAction default_action(i32 sig) {
    switch (sig) {
        case signal::kSigchld:
        case kSigurg:
        case kSigwinch: return DefaultAction::kIgnore;
        case signal::kSigcont: return DefaultAction::kContinue;
        case signal::kSigstop:
        case kSigtstp:
        case kSigttin:
        case kSigttou: return DefaultAction::kStop;
        case signal::kSigquit:
        case signal::kSigill:
        case signal::kSigtrap:
        case signal::kSigabrt:
        case signal::kSigbus:
        case signal::kSigfpe:
        case signal::kSigsegv:
        case kSigxcpu:
        case kSigxfsz:
        case kSigsys: return DefaultAction::kCore;
        default: return DefaultAction::kTerminate;
    }
}

void stop_current_process(i32 sig, u32 continues) {
    Process* p = current_process();
    Task* me = current_task();
    {
        SpinGuard guard(p->signal_lock);
        // A SIGCONT or SIGKILL that came since the stop signal was taken wins.
        if (p->continue_count != continues ||
            (me->signals.pending.set | p->shared_pending.set) & signal_bit(signal::kSigkill))
            return;
        p->stopped = true;
        p->stop_signal = sig;
    }
    notify_parent(p, si::kCldStopped, sig);
    p->signal_events.wait([&] {
        const u64 pending = __atomic_load_n(&me->signals.pending.set, __ATOMIC_ACQUIRE) |
                            __atomic_load_n(&p->shared_pending.set, __ATOMIC_ACQUIRE);
        return !__atomic_load_n(&p->stopped, __ATOMIC_ACQUIRE) || (pending & signal_bit(signal::kSigkill));
    });
}

void report_continued(Process* p) { notify_parent(p, si::kCldContinued, signal::kSigcont); }

}  // namespace kernel
