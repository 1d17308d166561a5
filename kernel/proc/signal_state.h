// The signal state a task and a process carry (Linux's task_struct.blocked,
// .pending, .sas_ss_*, and signal_struct.shared_pending): sets of signals as
// 64-bit masks (bit sig - 1, the kernel's sigset_t on x86-64), one queued
// instance per signal with its siginfo.
//
// Invariants (kernel/proc/signal_generate.cpp keeps them, under the owning
// process's signal_lock):
//  - a bit in `set` has its SigInfo in info[sig - 1]; a signal already
//    pending is not queued twice (real-time signals too: a departure from
//    Linux, which queues each RT instance);
//  - SIGKILL and SIGSTOP are never in `blocked`.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

// Linux's siginfo_t fields the kernel fills (include/uapi/asm-generic/siginfo.h).
struct SigInfo {
    i32 signo = 0;
    i32 code = 0;      // SI_USER (0), SI_KERNEL (0x80), SEGV_MAPERR, CLD_EXITED, ...
    i32 pid = 0;       // sender (kill) or child (SIGCHLD)
    i32 uid = 0;
    i32 status = 0;    // SIGCHLD: exit code or signal
    u64 addr = 0;      // SIGSEGV/SIGBUS/SIGILL/SIGFPE: the faulting address
};

constexpr u64 signal_bit(i32 sig) { return u64{1} << (sig - 1); }

struct PendingSignals {
    u64 set = 0;
    SigInfo info[64];
};

// sigaltstack(2) flags (include/uapi/linux/signal.h).
inline constexpr i32 kSsOnstack = 1;
inline constexpr i32 kSsDisable = 2;
inline constexpr i32 kSsAutodisarm = i32(1u << 31);

struct TaskSignals {
    u64 blocked = 0;
    PendingSignals pending;          // thread-directed: faults, tgkill/tkill
    // rt_sigsuspend: the mask to put back once a signal was taken (Linux's
    // saved_sigmask with TIF_RESTORE_SIGMASK).
    u64 saved_mask = 0;
    bool restore_saved_mask = false;
    // The alternate signal stack (Linux's sas_ss_sp/size/flags); size 0: none.
    u64 altstack_sp = 0;
    u64 altstack_size = 0;
    i32 altstack_flags = kSsDisable;
    // The trap a fault signal came from, for the sigcontext's trapno/err/cr2.
    u64 fault_trapno = 0, fault_error = 0, fault_cr2 = 0;
};

}  // namespace kernel
