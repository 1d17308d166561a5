#include "kernel/sys/sys_signal.h"

#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_tree.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_frame.h"
#include "kernel/proc/signal_generate.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sched/scheduler.h"

namespace kernel {
namespace {

constexpr u64 kSigsetBytes = 8;  // the kernel's sigset_t on x86-64
constexpr u64 kSigBlock = 0, kSigUnblock = 1, kSigSetmask = 2;

// SIGKILL and SIGSTOP can be neither caught nor blocked.
constexpr u64 kUnblockable = signal_bit(signal::kSigkill) | signal_bit(signal::kSigstop);

bool valid_signal(i64 sig) { return sig >= 0 && sig <= signal::kSigrtmax; }

SigInfo sender_info(i32 code) {
    SigInfo info;
    info.code = code;
    info.pid = static_cast<i32>(current_process()->pid);
    return info;
}

// kill's group targets (tree lock held): every process, or every one but
// init and the caller.
struct GroupKill {
    i32 sig;
    SigInfo info;
    Process* skip_caller;
    bool skip_init;
    u32 hits;
};

void group_kill_one(Process* p, void* context) {
    auto& k = *static_cast<GroupKill*>(context);
    if (p == k.skip_caller || (k.skip_init && p->pid == 1) || p->state != ProcessState::kAlive) return;
    ++k.hits;
    if (k.sig) signal_send(p, k.sig, k.info);
}

struct TaskSearch {
    u32 tid;
    Task* found;
};

void find_task_in(Process* p, void* context) {
    auto& s = *static_cast<TaskSearch*>(context);
    if (p->state != ProcessState::kAlive) return;
    p->threads.for_each([&](Task& t) {
        if (t.tid == s.tid && !s.found) s.found = &t;
    });
}

// tkill / tgkill: the thread `tid` (of process `tgid`, or of any when tgid is 0).
i64 thread_kill(i64 tgid, i64 tid, i64 sig) {
    if (tid <= 0 || tgid < 0 || !valid_signal(sig)) return -linux::kEinval;
    const SigInfo info = sender_info(si::kTkill);
    SpinGuard guard(process_tree_lock());
    TaskSearch search{static_cast<u32>(tid), nullptr};
    if (tgid) {
        Process* p = find_process_locked(static_cast<u32>(tgid));
        if (p) find_task_in(p, &search);
    } else {
        for_each_process_locked(find_task_in, &search);
    }
    if (!search.found) return -linux::kEsrch;
    if (sig) signal_send_task(search.found, static_cast<i32>(sig), info);
    return 0;
}

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
    const i64 sig = static_cast<i32>(a.arg[0]);  // an int in the C ABI: the low 32 bits
    const u64 act = a.arg[1], oldact = a.arg[2];
    if (a.arg[3] != kSigsetBytes) return -linux::kEinval;
    if (sig < 1 || sig > signal::kSigrtmax) return -linux::kEinval;
    if (act && (sig == signal::kSigkill || sig == signal::kSigstop)) return -linux::kEinval;
    Process& p = *current_process();
    SignalAction incoming, old;
    if (act && copy_from_user(&incoming, act, sizeof incoming) != 0) return -linux::kEfault;
    {
        SpinGuard guard(p.signal_lock);
        old = p.actions[sig - 1];
        if (act) {
            incoming.mask &= ~kUnblockable;
            p.actions[sig - 1] = incoming;
            // POSIX: an action that ignores a pending signal discards it (Linux's do_sigaction).
            if (signal_ignored_locked(p, static_cast<i32>(sig), 0)) {
                p.shared_pending.set &= ~signal_bit(static_cast<i32>(sig));
                p.threads.for_each([&](Task& t) { t.signals.pending.set &= ~signal_bit(static_cast<i32>(sig)); });
            }
        }
    }
    if (oldact && copy_to_user(oldact, &old, sizeof old) != 0) return -linux::kEfault;
    return 0;
}

i64 sys_rt_sigprocmask(const SyscallArgs& a) {
    const u64 how = static_cast<u32>(a.arg[0]), set = a.arg[1], oldset = a.arg[2];  // how is an int
    if (a.arg[3] != kSigsetBytes) return -linux::kEinval;
    Task* t = current_task();
    u64 incoming = 0;
    if (set) {
        if (how > kSigSetmask) return -linux::kEinval;
        if (copy_from_user(&incoming, set, sizeof incoming) != 0) return -linux::kEfault;
    }
    const u64 blocked = signal_blocked(t);
    if (oldset && put_user(oldset, blocked) != 0) return -linux::kEfault;
    if (set) {
        if (how == kSigBlock) signal_set_blocked(t, blocked | incoming);
        else if (how == kSigUnblock) signal_set_blocked(t, blocked & ~incoming);
        else signal_set_blocked(t, incoming);
    }
    return 0;
}

// Returns the restored RAX, which on_syscall writes back as the "result".
i64 sys_rt_sigreturn(const SyscallArgs& a) {
    TrapFrame& frame = *a.frame;
    if (!restore_rt_frame(frame)) {
        // Linux's badframe: SIGSEGV, forced.
        Process& p = *current_process();
        kprintf("%s[%u]: bad frame in rt_sigreturn frame:%llx ip:%llx sp:%llx\n", p.name, p.pid,
                static_cast<unsigned long long>(frame.rsp - 8), static_cast<unsigned long long>(frame.rip),
                static_cast<unsigned long long>(frame.rsp));
        current_task()->syscall_nr = -1;
        SigInfo info;
        info.code = si::kKernel;
        signal_force(current_task(), signal::kSigsegv, info);
    }
    return static_cast<i64>(frame.rax);
}

i64 sys_rt_sigpending(const SyscallArgs& a) {
    const u64 size = a.arg[1];
    if (size > kSigsetBytes) return -linux::kEinval;
    Task* t = current_task();
    const u64 pending = signal_pending_set(t) & signal_blocked(t);
    return copy_to_user(a.arg[0], &pending, size);
}

i64 sys_rt_sigsuspend(const SyscallArgs& a) {
    if (a.arg[1] != kSigsetBytes) return -linux::kEinval;
    u64 mask;
    if (get_user(mask, a.arg[0]) != 0) return -linux::kEfault;
    return signal_suspend(mask & ~kUnblockable);
}

// rt_sigtimedwait(set, info, timeout, sigsetsize).
i64 sys_rt_sigtimedwait(const SyscallArgs& a) {
    if (a.arg[3] != kSigsetBytes) return -linux::kEinval;
    u64 mask;
    if (get_user(mask, a.arg[0]) != 0) return -linux::kEfault;
    mask &= ~kUnblockable;
    u64 timeout_ns = kForever;
    if (a.arg[2]) {
        struct {
            i64 sec, nsec;
        } ts;
        if (copy_from_user(&ts, a.arg[2], sizeof ts) != 0) return -linux::kEfault;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1'000'000'000) return -linux::kEinval;
        const u64 max_sec = ~u64{0} / 1'000'000'000 - 1;
        timeout_ns = (static_cast<u64>(ts.sec) > max_sec ? max_sec : static_cast<u64>(ts.sec)) * 1'000'000'000 +
                     static_cast<u64>(ts.nsec);
    }
    SigInfo info;
    const i64 sig = signal_timedwait(mask, timeout_ns, &info);
    if (sig > 0 && a.arg[1]) {
        const linux_abi::SigInfoAbi out = to_siginfo_abi(static_cast<i32>(sig), info);
        if (copy_to_user(a.arg[1], &out, sizeof out) != 0) return -linux::kEfault;
    }
    return sig;
}

i64 sys_pause(const SyscallArgs&) {
    current_process()->signal_events.wait_interruptible([] { return false; });
    return -kErestartnohand;
}

i64 sys_sigaltstack(const SyscallArgs& a) {
    const u64 uss = a.arg[0], uoss = a.arg[1];
    linux_abi::StackT next, old;
    if (uss && copy_from_user(&next, uss, sizeof next) != 0) return -linux::kEfault;
    const i64 r = do_sigaltstack(uss ? &next : nullptr, uoss ? &old : nullptr, a.frame->rsp);
    if (r == 0 && uoss && copy_to_user(uoss, &old, sizeof old) != 0) return -linux::kEfault;
    return r;
}

i64 sys_kill(const SyscallArgs& a) {
    const i64 pid = static_cast<i32>(a.arg[0]);  // pid_t
    const i64 sig = static_cast<i32>(a.arg[1]);
    if (!valid_signal(sig)) return -linux::kEinval;
    const SigInfo info = sender_info(si::kUser);
    SpinGuard guard(process_tree_lock());
    if (pid > 0) {
        Process* p = find_process_locked(static_cast<u32>(pid));
        if (!p) return -linux::kEsrch;
        if (sig && p->state == ProcessState::kAlive) signal_send(p, static_cast<i32>(sig), info);
        return 0;
    }
    // No process groups: every process is in group 1, which -pgid (< -1) never names.
    if (pid < -1) return -linux::kEsrch;
    GroupKill k{static_cast<i32>(sig), info, pid == -1 ? current_process() : nullptr, pid == -1, 0};
    for_each_process_locked(group_kill_one, &k);
    return k.hits ? 0 : -linux::kEsrch;
}

i64 sys_tkill(const SyscallArgs& a) {
    return thread_kill(0, static_cast<i32>(a.arg[0]), static_cast<i32>(a.arg[1]));
}

i64 sys_tgkill(const SyscallArgs& a) {
    const i64 tgid = static_cast<i32>(a.arg[0]);
    if (tgid <= 0) return -linux::kEinval;
    return thread_kill(tgid, static_cast<i32>(a.arg[1]), static_cast<i32>(a.arg[2]));
}

}  // namespace kernel
