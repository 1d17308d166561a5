#include "kernel/sys/sys_futex.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/process_tree.h"
#include "kernel/sched/time.h"
#include "kernel/sync/futex.h"

namespace kernel {
namespace {

// futex(2) operations and flags (include/uapi/linux/futex.h).
constexpr u32 kWait = 0, kWake = 1, kRequeue = 3, kCmpRequeue = 4, kWakeOp = 5, kWaitBitset = 9,
              kWakeBitset = 10;
constexpr u32 kPrivateFlag = 128;
constexpr u32 kClockRealtime = 256;

struct Timespec {
    i64 tv_sec;
    i64 tv_nsec;
};

// The wait's deadline in hal::cycles() units: `at` is relative (FUTEX_WAIT)
// or absolute on CLOCK_MONOTONIC or CLOCK_REALTIME (FUTEX_WAIT_BITSET).
// 0 with no timeout; -EFAULT / -EINVAL.
i64 read_deadline(u64 at, bool absolute, bool realtime, u64* deadline) {
    *deadline = 0;
    if (!at) return 0;
    Timespec t;
    if (get_user(t, at) != 0) return -linux::kEfault;
    if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= static_cast<i64>(kNsPerSecond)) return -linux::kEinval;
    const u64 max_seconds = ~u64{0} / kNsPerSecond / 2;
    const u64 ns = (static_cast<u64>(t.tv_sec) > max_seconds ? max_seconds : static_cast<u64>(t.tv_sec)) * kNsPerSecond +
                   static_cast<u64>(t.tv_nsec);
    u64 wait_ns = ns;
    if (absolute) {
        const u64 now = realtime ? realtime_ns() : monotonic_ns();
        wait_ns = ns > now ? ns - now : 0;
    }
    // A deadline already past still makes a (failed) wait; 0 means none, so at least 1.
    *deadline = wait_ns ? deadline_after_ns(wait_ns) : 1;
    return 0;
}

// A count argument: Linux takes val as an int and treats negatives as huge.
u32 count_of(u64 value) {
    const i32 n = static_cast<i32>(value);
    return n < 0 ? 0x7fffffffu : static_cast<u32>(n);
}

}  // namespace

i64 sys_futex(const SyscallArgs& a) {
    const u64 uaddr = a.arg[0];
    const u32 op = static_cast<u32>(a.arg[1]);
    const u32 val = static_cast<u32>(a.arg[2]);
    const u64 timeout = a.arg[3];  // or val2 (a count) for the requeue operations
    const u64 uaddr2 = a.arg[4];
    const u32 val3 = static_cast<u32>(a.arg[5]);
    const u32 cmd = op & ~(kPrivateFlag | kClockRealtime);
    const bool shared = !(op & kPrivateFlag);
    const bool realtime = op & kClockRealtime;
    if (realtime && cmd != kWait && cmd != kWaitBitset) return -linux::kEnosys;
    switch (cmd) {
        case kWait:
        case kWaitBitset: {
            const u32 bitset = cmd == kWait ? kFutexBitsetMatchAny : val3;
            if (!bitset) return -linux::kEinval;
            u64 deadline;
            if (const i64 r = read_deadline(timeout, cmd == kWaitBitset, realtime, &deadline); r < 0) return r;
            return futex_wait(uaddr, shared, val, deadline, bitset);
        }
        case kWake:
        case kWakeBitset: {
            const u32 bitset = cmd == kWake ? kFutexBitsetMatchAny : val3;
            if (!bitset) return -linux::kEinval;
            return futex_wake(uaddr, shared, count_of(val), bitset);
        }
        case kRequeue:
        case kCmpRequeue:
            if (static_cast<i32>(val) < 0 || static_cast<i32>(timeout) < 0) return -linux::kEinval;
            return futex_requeue(uaddr, uaddr2, shared, val, static_cast<u32>(timeout), cmd == kCmpRequeue ? &val3 : nullptr);
        case kWakeOp:
            return futex_wake_op(uaddr, uaddr2, shared, count_of(val), count_of(timeout), val3);
        default:
            // FUTEX_FD (gone since 2.6.26) and the priority-inheritance operations.
            return -linux::kEnosys;
    }
}

i64 sys_set_robust_list(const SyscallArgs& a) {
    if (a.arg[1] != kRobustListHeadBytes) return -linux::kEinval;
    current_task()->robust_list = a.arg[0];
    return 0;
}

// get_robust_list(pid, head_ptr, len_ptr): pid 0 is the caller; any other
// names a thread (everything runs as root, so no permission check fails).
i64 sys_get_robust_list(const SyscallArgs& a) {
    const i64 tid = static_cast<i32>(a.arg[0]);
    u64 head = 0;
    if (tid == 0) {
        head = current_task()->robust_list;
    } else {
        SpinGuard guard(process_tree_lock());
        Task* t = find_thread_any_locked(static_cast<u32>(tid));
        if (!t) return -linux::kEsrch;
        head = t->robust_list;
    }
    if (put_user(a.arg[1], head) != 0) return -linux::kEfault;
    if (put_user(a.arg[2], kRobustListHeadBytes) != 0) return -linux::kEfault;
    return 0;
}

}  // namespace kernel
