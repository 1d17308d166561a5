#include "kernel/sys/sys_signal.h"

#include "kernel/lib/errno.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_numbers.h"

namespace kernel {
namespace {

constexpr u64 kSigsetBytes = 8;  // the kernel's sigset_t on x86-64
constexpr u64 kSigBlock = 0, kSigUnblock = 1, kSigSetmask = 2;

constexpr u64 bit(i32 signal) { return u64{1} << (signal - 1); }
// SIGKILL and SIGSTOP can be neither caught nor blocked.
constexpr u64 kUnblockable = bit(signal::kSigkill) | bit(signal::kSigstop);

}  // namespace

const char* signal_name(i32 s) {
    switch (s) {
        case signal::kSighup: return "SIGHUP";
        case signal::kSigint: return "SIGINT";
        case signal::kSigquit: return "SIGQUIT";
        case signal::kSigill: return "SIGILL";
        case signal::kSigtrap: return "SIGTRAP";
        case signal::kSigabrt: return "SIGABRT";
        case signal::kSigbus: return "SIGBUS";
        case signal::kSigfpe: return "SIGFPE";
        case signal::kSigkill: return "SIGKILL";
        case signal::kSigusr1: return "SIGUSR1";
        case signal::kSigsegv: return "SIGSEGV";
        case signal::kSigusr2: return "SIGUSR2";
        case signal::kSigpipe: return "SIGPIPE";
        case signal::kSigalrm: return "SIGALRM";
        case signal::kSigterm: return "SIGTERM";
        case signal::kSigchld: return "SIGCHLD";
        case signal::kSigcont: return "SIGCONT";
        case signal::kSigstop: return "SIGSTOP";
        default: return "signal";
    }
}

i64 sys_rt_sigaction(const SyscallArgs& a) {
    const i64 sig = static_cast<i64>(a.arg[0]);
    const u64 act = a.arg[1], oldact = a.arg[2];
    if (a.arg[3] != kSigsetBytes) return -linux::kEinval;
    if (sig < 1 || sig > signal::kSigrtmax) return -linux::kEinval;
    if (act && (sig == signal::kSigkill || sig == signal::kSigstop)) return -linux::kEinval;
    Process& p = *current_process();
    SignalAction incoming;
    if (act && copy_from_user(&incoming, act, sizeof incoming) != 0) return -linux::kEfault;
    if (oldact && copy_to_user(oldact, &p.actions[sig - 1], sizeof(SignalAction)) != 0) return -linux::kEfault;
    if (act) {
        incoming.mask &= ~kUnblockable;
        p.actions[sig - 1] = incoming;
    }
    return 0;
}

i64 sys_rt_sigprocmask(const SyscallArgs& a) {
    const u64 how = a.arg[0], set = a.arg[1], oldset = a.arg[2];
    if (a.arg[3] != kSigsetBytes) return -linux::kEinval;
    Process& p = *current_process();
    u64 incoming = 0;
    if (set) {
        if (how > kSigSetmask) return -linux::kEinval;
        if (copy_from_user(&incoming, set, sizeof incoming) != 0) return -linux::kEfault;
    }
    if (oldset && put_user(oldset, p.signal_blocked) != 0) return -linux::kEfault;
    if (set) {
        incoming &= ~kUnblockable;
        if (how == kSigBlock) p.signal_blocked |= incoming;
        else if (how == kSigUnblock) p.signal_blocked &= ~incoming;
        else p.signal_blocked = incoming;
    }
    return 0;
}

}  // namespace kernel
