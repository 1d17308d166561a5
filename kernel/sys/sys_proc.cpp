#include "kernel/sys/sys_proc.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"

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

void enable_test_syscalls() { g_test_syscalls = true; }
bool test_syscalls_enabled() { return g_test_syscalls; }

// exit ends the thread; with one thread per process that is the process
// (the lifecycle work separates them).
i64 sys_exit(const SyscallArgs& a) { process_exit(wait_status_exited(static_cast<i32>(a.arg[0]))); }
i64 sys_exit_group(const SyscallArgs& a) { process_exit(wait_status_exited(static_cast<i32>(a.arg[0]))); }

i64 sys_getpid(const SyscallArgs&) { return current_process()->pid; }
i64 sys_gettid(const SyscallArgs&) { return current_process()->pid; }
i64 sys_getppid(const SyscallArgs&) { return current_process()->ppid; }
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

i64 sys_arch_prctl(const SyscallArgs& a) {
    Process& p = *current_process();
    const u64 code = a.arg[0], addr = a.arg[1];
    switch (code) {
        case kArchSetFs:
        case kArchSetGs:
            // Linux: a base at or above TASK_SIZE_MAX is EPERM.
            if (addr >= layout().user_end) return -linux::kEperm;
            if (code == kArchSetFs) {
                p.fs_base = addr;
                hal::set_user_fs_base(addr);
            } else {
                p.gs_base = addr;
                hal::set_user_gs_base(addr);
            }
            return 0;
        case kArchGetFs: return put_user(addr, p.fs_base);
        case kArchGetGs: return put_user(addr, p.gs_base);
        default: return -linux::kEinval;
    }
}

i64 sys_set_tid_address(const SyscallArgs& a) {
    Process& p = *current_process();
    p.clear_child_tid = a.arg[0];
    return p.pid;
}

i64 sys_sched_yield(const SyscallArgs&) {
    // One runnable thread: nothing to yield to until the scheduler exists.
    return 0;
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
