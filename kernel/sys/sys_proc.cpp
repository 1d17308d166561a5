#include "kernel/sys/sys_proc.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_tree.h"
#include "kernel/sched/scheduler.h"

namespace kernel {
namespace {

bool g_test_syscalls = false;

// arch_prctl codes (arch/x86/include/uapi/asm/prctl.h).
constexpr u64 kArchSetGs = 0x1001;
constexpr u64 kArchSetFs = 0x1002;
constexpr u64 kArchGetFs = 0x1003;
constexpr u64 kArchGetGs = 0x1004;

// getrandom flags (include/uapi/linux/random.h).
constexpr u64 kGrndNonblock = 0x1, kGrndRandom = 0x2, kGrndInsecure = 0x4;

// struct utsname: six fields of __NEW_UTS_LEN + 1 = 65 bytes.
struct Utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};
static_assert(sizeof(Utsname) == 390);

}  // namespace

static bool g_exec_randomize = true;

void enable_test_syscalls() { g_test_syscalls = true; }
void set_test_syscalls(bool on) { g_test_syscalls = on; }
void set_exec_randomize(bool on) { g_exec_randomize = on; }
bool exec_randomize() { return g_exec_randomize; }
bool test_syscalls_enabled() { return g_test_syscalls; }

// exit ends the calling thread (the process with its last one); exit_group
// ends every thread of the process.
i64 sys_exit(const SyscallArgs& a) { thread_exit(wait_status_exited(static_cast<i32>(a.arg[0]))); }
i64 sys_exit_group(const SyscallArgs& a) { process_exit(wait_status_exited(static_cast<i32>(a.arg[0]))); }

i64 sys_getpid(const SyscallArgs&) { return current_process()->pid; }
i64 sys_gettid(const SyscallArgs&) { return current_task()->tid; }
i64 sys_getppid(const SyscallArgs&) {
    SpinGuard guard(process_tree_lock());
    return current_process()->ppid;
}
// Everything runs as root: uid, euid, gid and egid are 0.
i64 sys_getuid(const SyscallArgs&) { return 0; }

i64 sys_uname(const SyscallArgs& a) {
    Utsname u;
    mem_set(&u, 0, sizeof u);
    str_copy(u.sysname, "Linux", sizeof u.sysname);
    str_copy(u.nodename, "simx", sizeof u.nodename);
    str_copy(u.release, "6.1.0-simx", sizeof u.release);
    str_copy(u.version, "#1 SMP simx", sizeof u.version);
    str_copy(u.machine, "x86_64", sizeof u.machine);
    str_copy(u.domainname, "(none)", sizeof u.domainname);
    return copy_to_user(a.arg[0], &u, sizeof u);
}

// The bases live in the CPU while the thread runs (the scheduler saves them
// at a switch), so arch_prctl reads and writes the CPU's.
i64 sys_arch_prctl(const SyscallArgs& a) {
    const u64 code = a.arg[0], addr = a.arg[1];
    switch (code) {
        case kArchSetFs:
        case kArchSetGs:
            // Linux: a base at or above TASK_SIZE_MAX is EPERM.
            if (addr >= layout().user_end) return -linux::kEperm;
            if (code == kArchSetFs) hal::set_user_fs_base(addr);
            else hal::set_user_gs_base(addr);
            return 0;
        case kArchGetFs: return put_user(addr, hal::user_fs_base());
        case kArchGetGs: return put_user(addr, hal::user_gs_base());
        default: return -linux::kEinval;
    }
}

i64 sys_set_tid_address(const SyscallArgs& a) {
    Task* t = current_task();
    t->clear_child_tid = a.arg[0];
    return t->tid;
}

i64 sys_sched_yield(const SyscallArgs&) {
    schedule();
    return 0;
}

i64 sys_fork(const SyscallArgs& a) { return process_fork(*a.frame, CloneArgs{}); }

// vfork: the child borrows the address space and the parent sleeps until it
// execs or exits (CLONE_VM | CLONE_VFORK), as Linux.
i64 sys_vfork(const SyscallArgs& a) {
    CloneArgs args;
    args.flags = kCloneVm | kCloneVfork;
    return process_fork(*a.frame, args);
}

// clone(flags, newsp, parent_tid, child_tid, tls) (x86-64's argument order).
// A new thread (CLONE_THREAD, which Linux requires to come with
// CLONE_SIGHAND, which requires CLONE_VM; threads here also share files and
// working directory, so CLONE_FS and CLONE_FILES must come too) or a new
// process (CLONE_VM and CLONE_VFORK allowed). Flags this kernel has no
// meaning for — namespaces, ptrace, pidfds, CLONE_PARENT, separate file
// tables between processes — are EINVAL rather than silently ignored.
namespace {

// clone's and clone3's common part: the flag combinations this kernel gives
// a meaning to, then a thread or a process.
i64 clone_with(const TrapFrame& frame, const CloneArgs& args) {
    constexpr u64 kExitSignalMask = 0xff;
    constexpr u64 kCommon = kCloneSettls | kCloneParentSettid | kCloneChildCleartid | kCloneChildSettid |
                            kCloneSysvsem | kCloneDetached;
    const u64 flags = args.flags;
    if (flags & kCloneThread) {
        constexpr u64 kThread = kCloneVm | kCloneFs | kCloneFiles | kCloneSighand | kCloneThread;
        if ((flags & kThread) != kThread) return -linux::kEinval;
        if (flags & ~(kThread | kCommon | kExitSignalMask)) return -linux::kEinval;
        return thread_create(frame, args);
    }
    if (flags & (kCloneSighand | kCloneFs | kCloneFiles)) return -linux::kEinval;
    if (flags & ~(kExitSignalMask | kCommon | kCloneVm | kCloneVfork)) return -linux::kEinval;
    return process_fork(frame, args);
}

// struct clone_args (include/uapi/linux/sched.h): the first 64 bytes are
// CLONE_ARGS_SIZE_VER0; set_tid/set_tid_size (VER1) and cgroup (VER2) follow.
struct Clone3Args {
    u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
static_assert(sizeof(Clone3Args) == 88);
constexpr u64 kCloneArgsSizeVer0 = 64;

}  // namespace

i64 sys_clone(const SyscallArgs& a) {
    CloneArgs args;
    args.flags = a.arg[0];
    args.stack = a.arg[1];
    args.parent_tid = a.arg[2];
    args.child_tid = a.arg[3];
    args.tls = a.arg[4];
    return clone_with(*a.frame, args);
}

// clone3(args, size) as Linux's copy_clone_args_from_user: a struct of at
// least VER0's size (EINVAL), at most a page (E2BIG), whose bytes past the
// fields known here are zero (E2BIG); the exit signal in its own field (flags
// may not carry one); the stack as base and size. pidfds, set_tid and cgroups
// are EINVAL, as the CLONE_* flags this kernel has no meaning for.
i64 sys_clone3(const SyscallArgs& a) {
    const u64 size = a.arg[1];
    if (size < kCloneArgsSizeVer0) return -linux::kEinval;
    if (size > kPageSize) return -linux::kE2big;
    Clone3Args c{};
    const u64 known = size < sizeof c ? size : sizeof c;
    if (copy_from_user(&c, a.arg[0], known) != 0) return -linux::kEfault;
    for (u64 at = sizeof c; at < size; ++at) {
        u8 byte;
        if (get_user(byte, a.arg[0] + at) != 0) return -linux::kEfault;
        if (byte) return -linux::kE2big;
    }
    constexpr u64 kClonePidfd = 0x1000, kCloneIntoCgroup = 0x200000000ull;
    if ((c.flags & 0xff) || c.exit_signal > 64) return -linux::kEinval;
    if ((c.flags & (kClonePidfd | kCloneIntoCgroup)) || c.set_tid || c.set_tid_size) return -linux::kEinval;
    if ((c.stack == 0) != (c.stack_size == 0)) return -linux::kEinval;
    CloneArgs args;
    args.flags = c.flags | c.exit_signal;
    args.stack = c.stack ? c.stack + c.stack_size : 0;
    args.parent_tid = c.parent_tid;
    args.child_tid = c.child_tid;
    args.tls = c.tls;
    return clone_with(*a.frame, args);
}

i64 sys_wait4(const SyscallArgs& a) {
    // pid_t is a C int: only the low 32 bits of the register count (a
    // caller's -1 may arrive as 0x00000000ffffffff).
    const i64 pid = static_cast<i32>(a.arg[0]);
    const u64 status_at = a.arg[1], rusage_at = a.arg[3];
    const u32 options = static_cast<u32>(a.arg[2]);
    // WNOHANG, WUNTRACED, WCONTINUED and the __W flags Linux accepts.
    constexpr u32 kKnown = kWnohang | 0x2 | 0x8 | 0x20000000u | 0x40000000u | 0x80000000u;
    if (options & ~kKnown) return -linux::kEinval;
    i32 status = 0;
    u64 cycles = 0;
    // wait4 reports every child that ended (waitid asks for it with WEXITED).
    const i64 reaped = wait_for_child(current_process(), pid, options | kWexited, &status, &cycles);
    if (reaped <= 0) return reaped;
    if (status_at && put_user(status_at, status) != 0) return -linux::kEfault;
    if (rusage_at) {
        // struct rusage: ru_utime, ru_stime (timevals), then 14 longs.
        i64 usage[18] = {};
        const u64 ns = cycles / (hal::cycles_per_second() / 1'000'000 ? hal::cycles_per_second() / 1'000'000 : 1) * 1000;
        usage[0] = static_cast<i64>(ns / 1'000'000'000);
        usage[1] = static_cast<i64>(ns % 1'000'000'000 / 1000);
        if (copy_to_user(rusage_at, usage, sizeof usage) != 0) return -linux::kEfault;
    }
    return reaped;
}

i64 sys_getrandom(const SyscallArgs& a) {
    const u64 buffer = a.arg[0];
    u64 length = a.arg[1];
    const u64 flags = a.arg[2];
    if (flags & ~(kGrndNonblock | kGrndRandom | kGrndInsecure)) return -linux::kEinval;
    if ((flags & kGrndInsecure) && (flags & kGrndRandom)) return -linux::kEinval;
    // A short count is allowed (Linux caps a call at MAX_RW_COUNT); 32 MiB
    // keeps one call's modeled time bounded.
    if (length > (u64{32} << 20)) length = u64{32} << 20;
    u8 chunk[256];
    u64 done = 0;
    while (done < length) {
        const u64 n = length - done < sizeof chunk ? length - done : sizeof chunk;
        for (u64 i = 0; i < n; i += 8) {
            const u64 r = hal::random_u64();
            mem_copy(chunk + i, &r, n - i < 8 ? n - i : 8);
        }
        if (copy_to_user(buffer + done, chunk, n) != 0) return done ? static_cast<i64>(done) : -linux::kEfault;
        done += n;
    }
    return static_cast<i64>(done);
}

i64 sys_smap_probe(const SyscallArgs& a) {
    return hal::smap_violation_probe(a.arg[0], "sys_smap_probe (kernel/sys/sys_proc.cpp)");
}

}  // namespace kernel

namespace kernel {
namespace {

constexpr u64 kPrSetName = 15, kPrGetName = 16;
constexpr usize kCommBytes = 16;  // TASK_COMM_LEN

// One limit in the process, with Linux's checks for a new one (kernel/sys.c
// do_prlimit): soft <= hard; raising the hard limit needs CAP_SYS_RESOURCE,
// which root has; RLIMIT_NOFILE cannot go above nr_open (1 << 20).
i64 limit_op(Process& p, u64 resource, u64 new_at, u64 old_at) {
    if (resource >= Process::kRlimitCount) return -linux::kEinval;
    Process::Rlimit incoming{};
    if (new_at && copy_from_user(&incoming, new_at, sizeof incoming) != 0) return -linux::kEfault;
    if (new_at && incoming.soft > incoming.hard) return -linux::kEinval;
    if (new_at && resource == 7 && incoming.hard > (u64{1} << 20)) return -linux::kEperm;
    if (old_at && copy_to_user(old_at, &p.rlimits[resource], sizeof(Process::Rlimit)) != 0) return -linux::kEfault;
    if (new_at) p.rlimits[resource] = incoming;
    return 0;
}

}  // namespace

// prctl: the thread's name (PR_SET_NAME/PR_GET_NAME, what `ps` shows as comm);
// any other option is EINVAL, as Linux answers one it does not know.
i64 sys_prctl(const SyscallArgs& a) {
    Process& p = *current_process();
    switch (a.arg[0]) {
        case kPrSetName: {
            char name[kCommBytes];
            const i64 n = strncpy_from_user(name, a.arg[1], sizeof name);
            if (n == -linux::kEfault) return n;
            name[kCommBytes - 1] = '\0';  // longer names are truncated, as Linux does
            str_copy(p.name, name, sizeof p.name);
            return 0;
        }
        case kPrGetName: return copy_to_user(a.arg[1], p.name, kCommBytes);
        default: return -linux::kEinval;
    }
}

i64 sys_getrlimit(const SyscallArgs& a) { return limit_op(*current_process(), static_cast<u32>(a.arg[0]), 0, a.arg[1]); }
i64 sys_setrlimit(const SyscallArgs& a) { return limit_op(*current_process(), static_cast<u32>(a.arg[0]), a.arg[1], 0); }

i64 sys_prlimit64(const SyscallArgs& a) {
    const i64 pid = static_cast<i32>(a.arg[0]);
    Process* self = current_process();
    if (pid != 0 && pid != self->pid) {
        // Another process's limits: it must exist (permission is root's).
        SpinGuard guard(process_tree_lock());
        Process* other = find_process_locked(static_cast<u32>(pid));
        if (!other || other->state != ProcessState::kAlive) return -linux::kEsrch;
        return -linux::kEperm;  // changing another live process's limits is left out
    }
    return limit_op(*self, static_cast<u32>(a.arg[1]), a.arg[2], a.arg[3]);
}

}  // namespace kernel

namespace kernel {

// waitid(idtype, id, infop, options, rusage): wait4 with a siginfo_t answer
// (kernel/exit.c kernel_waitid). At least one of WEXITED, WSTOPPED and
// WCONTINUED; P_ALL, P_PID and P_PGID (no process groups: any child); with
// WNOHANG and nothing to report, 0 and si_pid 0.
i64 sys_waitid(const SyscallArgs& a) {
    constexpr u32 kPAll = 0, kPPid = 1, kPPgid = 2;
    constexpr u32 kWstopped = kWuntraced;
    const u32 idtype = static_cast<u32>(a.arg[0]);
    const i64 id = static_cast<i32>(a.arg[1]);
    const u64 info_at = a.arg[2], rusage_at = a.arg[4];
    const u32 options = static_cast<u32>(a.arg[3]);
    constexpr u32 kKnown = kWnohang | kWstopped | kWexited | kWcontinued | kWnowait | 0x20000000u | 0x40000000u |
                           0x80000000u;
    if (options & ~kKnown) return -linux::kEinval;
    if (!(options & (kWexited | kWstopped | kWcontinued))) return -linux::kEinval;
    i64 pid = -1;
    if (idtype == kPPid) {
        if (id <= 0) return -linux::kEinval;
        pid = id;
    } else if (idtype != kPAll && idtype != kPPgid) {
        return -linux::kEinval;
    }
    i32 status = 0;
    u64 cycles = 0;
    const i64 found = wait_for_child(current_process(), pid, options, &status, &cycles);
    if (found < 0) return found;
    // siginfo_t for SIGCHLD: si_signo, si_errno, si_code, pad, then si_pid,
    // si_uid, si_status (include/uapi/asm-generic/siginfo.h), 128 bytes.
    struct {
        i32 signo, error, code, pad;
        i32 pid, uid, status;
        u8 rest[128 - 28];
    } info = {};
    if (found > 0) {
        constexpr i32 kSigchld = 17;
        constexpr i32 kCldExited = 1, kCldKilled = 2, kCldStopped = 5, kCldContinued = 6;
        info.signo = kSigchld;
        info.pid = static_cast<i32>(found);
        if (status == 0xffff) {
            info.code = kCldContinued;
            info.status = kSigchld + 1;  // SIGCONT
        } else if ((status & 0xff) == 0x7f) {
            info.code = kCldStopped;
            info.status = (status >> 8) & 0xff;
        } else if ((status & 0x7f) == 0) {
            info.code = kCldExited;
            info.status = (status >> 8) & 0xff;
        } else {
            info.code = kCldKilled;
            info.status = status & 0x7f;
        }
    }
    if (info_at && copy_to_user(info_at, &info, sizeof info) != 0) return -linux::kEfault;
    if (rusage_at) {
        i64 usage[18] = {};
        const u64 us_per = hal::cycles_per_second() / 1'000'000 ? hal::cycles_per_second() / 1'000'000 : 1;
        const u64 us = cycles / us_per;
        usage[0] = static_cast<i64>(us / 1'000'000);
        usage[1] = static_cast<i64>(us % 1'000'000);
        if (copy_to_user(rusage_at, usage, sizeof usage) != 0) return -linux::kEfault;
    }
    return 0;
}

// ---------------------------------------------------------------- CPU affinity

namespace {

u64 online_cpus() { return CpuMask::all(hal::boot_info().cpu_count).bits(); }

// The thread `pid` names (0: the caller), with the tree lock held by the caller.
Task* affinity_target_locked(i64 pid) {
    if (pid == 0) return current_task();
    return pid > 0 ? find_thread_any_locked(static_cast<u32>(pid)) : nullptr;
}

}  // namespace

// sched_getaffinity(pid, len, mask): the mask as a cpumask of 64 bits (this
// kernel's CPU limit); len must hold it and be a multiple of a long (EINVAL);
// returns the bytes written, as the raw syscall does.
i64 sys_sched_getaffinity(const SyscallArgs& a) {
    const i64 pid = static_cast<i32>(a.arg[0]);
    const u64 len = a.arg[1];
    if (len < sizeof(u64) || (len & (sizeof(u64) - 1))) return -linux::kEinval;
    u64 mask;
    {
        SpinGuard guard(process_tree_lock());
        Task* t = affinity_target_locked(pid);
        if (!t) return -linux::kEsrch;
        mask = t->allowed_cpus & online_cpus();
    }
    if (put_user(a.arg[2], mask) != 0) return -linux::kEfault;
    return sizeof mask;
}

// sched_setaffinity(pid, len, mask): the CPUs the thread may run on (of the
// first 64 bits given; the others name CPUs this kernel cannot have); none of
// them online is EINVAL. A thread that must leave its CPU does so at once
// (itself) or at its kick (another).
i64 sys_sched_setaffinity(const SyscallArgs& a) {
    const i64 pid = static_cast<i32>(a.arg[0]);
    const u64 len = a.arg[1];
    u64 mask = 0;
    if (copy_from_user(&mask, a.arg[2], len < sizeof mask ? len : sizeof mask) != 0) return -linux::kEfault;
    if (!(mask & online_cpus())) return -linux::kEinval;
    Task* me = current_task();
    Task* target;
    {
        SpinGuard guard(process_tree_lock());
        target = affinity_target_locked(pid);
        if (!target) return -linux::kEsrch;
        __atomic_store_n(&target->allowed_cpus, mask, __ATOMIC_RELEASE);
        if (target != me) task_kick(target);
    }
    if (target == me) reschedule_if_disallowed();
    return 0;
}

// getcpu(cpu, node, cache): where the caller runs now (the cache argument is
// unused since Linux 2.6.24).
i64 sys_getcpu(const SyscallArgs& a) {
    const u32 cpu = hal::current_cpu();
    if (a.arg[0] && put_user(a.arg[0], cpu) != 0) return -linux::kEfault;
    if (a.arg[1] && put_user(a.arg[1], hal::boot_info().cpu_node[cpu]) != 0) return -linux::kEfault;
    return 0;
}

}  // namespace kernel
