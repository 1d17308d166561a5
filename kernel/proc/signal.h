// Signals (issue 6, item 3): generation, pending and blocked sets, and
// delivery on the way back to user mode with a signal frame laid out as
// Linux's x86-64 rt_sigframe, so musl's and glibc's handlers, siglongjmp and
// SA_RESTART work. Default actions: terminate, core (as terminate), stop,
// continue, ignore.
//
// The concepts, one file each:
//  - signal_state.h       the sets a task and a process carry;
//  - signal_generate.cpp  sending: the pending sets, ignoring, waking a
//                         target, SIGCONT/stop interplay (Linux's
//                         __send_signal, prepare_signal, complete_signal);
//  - signal_default.cpp   default actions: which signals ignore, stop or
//                         terminate; stopping and continuing a process;
//  - signal_frame.{h,cpp} the rt_sigframe (sigcontext, ucontext, siginfo,
//                         the XSAVE area) built for a handler and read back
//                         by rt_sigreturn; sigaltstack;
//  - signal_deliver.cpp   the loop on the way back to user mode: dequeue,
//                         act, syscall restarts (Linux's get_signal,
//                         handle_signal, arch_do_signal_or_restart).
//
// Locking: a process's signal_lock guards its actions, its shared pending
// set, its threads' TaskSignals and its stop state. Lock order: process tree
// lock, then signal_lock, then run-queue locks (task_wake). Senders never take
// a wait queue's lock, so a signal may be sent with the tree lock held (a
// queue's condition may take the tree lock inside the queue's lock).
#pragma once

#include "kernel/hal/trap_frame.h"
#include "kernel/lib/types.h"
#include "kernel/proc/signal_state.h"

namespace kernel {

struct Process;
struct Task;

// Sends a process-directed signal (kill, SIGCHLD, SIGPIPE): one of its
// threads that does not block it will take it; a sleeping one is woken.
// Ignored signals are dropped at once; a zombie gets nothing.
void signal_send(Process* process, i32 sig, const SigInfo& info);
// Sends a thread-directed signal (a fault, tgkill).
void signal_send_task(Task* task, i32 sig, const SigInfo& info);
// A synchronous fault signal (Linux's force_sig_fault): when the task blocks
// or ignores it, it is unblocked and its action reset to the default, so
// the fault still ends the process rather than looping forever.
void signal_force(Task* task, i32 sig, const SigInfo& info);
// Is an unblocked signal pending for this task? (Interruptible sleeps stop on it.)
bool signal_pending(Task* task);
// On every return to user mode (the end of on_syscall, on_exception,
// on_interrupt): delivers pending unblocked signals — runs a default action,
// or rewrites `frame` to enter the handler on a signal frame. At the end of
// a syscall (current_task()->syscall_nr >= 0) it also settles the restart
// codes below.
void signal_deliver(TrapFrame& frame);

// The values a syscall interrupted by a signal returns inside the kernel
// (Linux's include/linux/errno.h); user code never sees them:
// ERESTARTSYS: EINTR when a handler without SA_RESTART runs, else restarted.
inline constexpr i64 kErestartsys = 512;
// ERESTARTNOHAND: EINTR when any handler runs, else restarted (pause,
// rt_sigsuspend, nanosleep).
inline constexpr i64 kErestartnohand = 514;

// The blocked mask of the current task, for rt_sigprocmask and friends
// (SIGKILL and SIGSTOP are dropped from `mask`).
u64 signal_blocked(Task* task);
void signal_set_blocked(Task* task, u64 mask);
// Pending signals of the task (its own and its process's), blocked or not.
u64 signal_pending_set(Task* task);
// rt_sigsuspend: blocks with `mask` until a signal is taken; the old mask is
// put back when the handler's frame is built (saved in uc_sigmask) or, with
// no handler, at once. Returns -kErestartnohand.
i64 signal_suspend(u64 mask);

// rt_sigtimedwait: takes a pending signal of `mask` (its number, with its
// info), waiting for one up to `timeout_ns` (kForever: no limit) with the
// signals of `mask` unblocked meanwhile. -EAGAIN when the time ran out,
// -EINTR when another signal came first (its handler runs).
inline constexpr u64 kForever = ~u64{0};
i64 signal_timedwait(u64 mask, u64 timeout_ns, SigInfo* info);

// The handler addresses rt_sigaction takes (include/uapi/asm-generic/signal-defs.h).
inline constexpr u64 kSigDfl = 0;
inline constexpr u64 kSigIgn = 1;
// sa_flags (arch/x86/include/uapi/asm/signal.h).
inline constexpr u64 kSaNocldstop = 0x00000001;
inline constexpr u64 kSaNocldwait = 0x00000002;
inline constexpr u64 kSaSiginfo = 0x00000004;
inline constexpr u64 kSaRestorer = 0x04000000;
inline constexpr u64 kSaOnstack = 0x08000000;
inline constexpr u64 kSaRestart = 0x10000000;
inline constexpr u64 kSaNodefer = 0x40000000;
inline constexpr u64 kSaResethand = 0x80000000;

// si_code values (include/uapi/asm-generic/siginfo.h).
namespace si {
inline constexpr i32 kUser = 0;
inline constexpr i32 kKernel = 0x80;
inline constexpr i32 kTkill = -6;
inline constexpr i32 kIllIllopn = 2;
inline constexpr i32 kFpeIntdiv = 1;
inline constexpr i32 kFpeFltinv = 7;
inline constexpr i32 kBusAdraln = 1;
inline constexpr i32 kTrapBrkpt = 1;
inline constexpr i32 kTrapTrace = 2;
inline constexpr i32 kCldExited = 1;
inline constexpr i32 kCldKilled = 2;
inline constexpr i32 kCldDumped = 3;
inline constexpr i32 kCldStopped = 5;
inline constexpr i32 kCldContinued = 6;
}  // namespace si

}  // namespace kernel
