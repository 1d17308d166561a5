// poll, ppoll, select, pselect6 (sys_pipe.h says how they wait).
#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/poll_wait.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/time.h"
#include "kernel/sched/task.h"
#include "kernel/sys/sys_fs_common.h"
#include "kernel/sys/sys_pipe.h"

namespace kernel {

using namespace linux;

namespace {

constexpr u64 kSigsetSize = 8;     // the kernel's sigset_t

struct Timespec {
    i64 tv_sec;
    i64 tv_nsec;
};
struct Timeval {
    i64 tv_sec;
    i64 tv_usec;
};

// A wait's end: none (0: do not wait), a deadline, or never.
struct Timeout {
    bool infinite = false;
    u64 deadline = 0;  // hal::cycles() units; meaningful when !infinite
    bool zero = false;
};

Timeout timeout_after_ns(u64 ns) {
    Timeout t;
    t.zero = ns == 0;
    t.deadline = deadline_after_ns(ns);
    return t;
}

Timeout timeout_never() {
    Timeout t;
    t.infinite = true;
    return t;
}

// Modeled nanoseconds left until the deadline (0 once past).
u64 remaining_ns(const Timeout& t) {
    const u64 now = hal::cycles();
    return t.deadline > now ? cycles_to_ns(t.deadline - now) : 0;
}

// Scans with `scan` (the number of ready descriptors, or -errno) until some
// are ready, the timeout passes (0), or a signal is pending (-EINTR).
template <typename Scan>
i64 wait_ready(const Timeout& timeout, Scan&& scan) {
    for (;;) {
        const u64 generation = poll_generation();
        const i64 ready = scan();
        if (ready != 0 || timeout.zero) return ready;
        if (signal_pending(current_task())) return -kEintr;
        // Any pipe's change bumps the generation after its state changed,
        // and the condition is checked under the queue's lock: no lost wake-up.
        auto changed = [&] { return poll_generation() != generation; };
        const int woken = timeout.infinite ? (poll_wait_queue().wait_interruptible(changed) ? 1 : -1)
                                           : poll_wait_queue().wait_interruptible_until(changed, timeout.deadline);
        if (woken < 0) return -kEintr;
        if (woken == 0) return scan();  // the time is up: one last look
    }
}

// Reads a timespec: -EFAULT, -EINVAL (negative, or tv_nsec out of range), or 0.
i64 read_timespec(u64 user, u64* ns) {
    Timespec t;
    if (get_user(t, user) < 0) return -kEfault;
    if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= static_cast<i64>(kNsPerSecond)) return -kEinval;
    const u64 max_seconds = ~u64{0} / kNsPerSecond - 1;
    const u64 seconds = static_cast<u64>(t.tv_sec) > max_seconds ? max_seconds : static_cast<u64>(t.tv_sec);
    *ns = seconds * kNsPerSecond + static_cast<u64>(t.tv_nsec);
    return 0;
}

// Linux writes the time left back (poll_select_finish); a fault there is ignored.
void write_back_timespec(u64 user, const Timeout& t) {
    const u64 ns = remaining_ns(t);
    const Timespec left{static_cast<i64>(ns / kNsPerSecond), static_cast<i64>(ns % kNsPerSecond)};
    (void)put_user(user, left);
}

// The signal mask of ppoll/pselect6 (Linux's set_user_sigmask): in force
// while the call waits. -EINVAL / -EFAULT, or 0 (*applied: a mask was given).
i64 apply_sigmask(u64 user_mask, u64 size, bool* applied) {
    *applied = false;
    if (!user_mask) return 0;
    if (size != kSigsetSize) return -kEinval;
    u64 mask;
    if (get_user(mask, user_mask) < 0) return -kEfault;
    Task* t = current_task();
    t->signals.saved_mask = signal_blocked(t);
    signal_set_blocked(t, mask);
    *applied = true;
    return 0;
}

// And after the wait (restore_saved_sigmask_unless): interrupted by a signal,
// the old mask comes back once the handler's frame is built, so the handler
// runs as under the call's mask (as sigsuspend); otherwise at once.
void restore_sigmask(bool applied, i64 rc) {
    if (!applied) return;
    Task* t = current_task();
    if (rc == -kEintr) t->signals.restore_saved_mask = true;
    else signal_set_blocked(t, t->signals.saved_mask);
}

// ---------------------------------------------------------------- poll

// revents of every entry; the number with any.
i64 scan_pollfds(PollFd* fds, u64 count) {
    i64 ready = 0;
    for (u64 i = 0; i < count; ++i) {
        PollFd& p = fds[i];
        p.revents = 0;
        if (p.fd < 0) continue;  // ignored, as POSIX says
        File* f = sys_fs::fd_file(static_cast<u32>(p.fd));
        u32 mask = kPollnval;
        if (f) {
            // POLLERR and POLLHUP are reported whether asked for or not.
            mask = file_poll(*f) & (u32{p.events} | kPollerr | kPollhup | kPollnval);
            file_put(f);
        }
        p.revents = static_cast<u16>(mask);
        if (mask) ++ready;
    }
    return ready;
}

i64 do_poll(u64 user_fds, u64 nfds, const Timeout& timeout) {
    if (nfds > FdTable::kMaxFds) return -kEinval;  // RLIMIT_NOFILE
    PollFd* fds = nullptr;
    const usize bytes = static_cast<usize>(nfds) * sizeof(PollFd);
    if (nfds) {
        fds = static_cast<PollFd*>(kmalloc(bytes));
        if (!fds) return -kEnomem;
        if (copy_from_user(fds, user_fds, bytes) < 0) {
            kfree(fds);
            return -kEfault;
        }
    }
    i64 rc = wait_ready(timeout, [&] { return scan_pollfds(fds, nfds); });
    if (rc >= 0 && nfds && copy_to_user(user_fds, fds, bytes) < 0) rc = -kEfault;
    kfree(fds);
    return rc;
}

// ---------------------------------------------------------------- select

constexpr u32 kPollinSet = kPollrdnorm | kPollrdband | kPollin | kPollhup | kPollerr;
constexpr u32 kPolloutSet = kPollwrband | kPollwrnorm | kPollout | kPollerr;
constexpr u32 kPollexSet = kPollpri;

// The three fd_set bitmaps of a select, nfds bits each (rounded up to u64s).
struct FdSets {
    u64* in[3] = {};   // what the caller asked for (nullptr: no set)
    u64* out[3] = {};  // what is ready
    usize words = 0;
};

bool test_bit(const u64* set, u32 fd) { return set && (set[fd / 64] >> (fd % 64) & 1); }

// Fills the out sets; the count of bits set, or -EBADF for an fd in a set that is not open.
i64 scan_fdsets(FdSets& s, u32 nfds) {
    for (u32 k = 0; k < 3; ++k)
        if (s.out[k]) mem_set(s.out[k], 0, s.words * 8);
    i64 ready = 0;
    for (u32 fd = 0; fd < nfds; ++fd) {
        const bool r = test_bit(s.in[0], fd), w = test_bit(s.in[1], fd), e = test_bit(s.in[2], fd);
        if (!r && !w && !e) continue;
        File* f = sys_fs::fd_file(fd);
        if (!f) return -kEbadf;
        const u32 mask = file_poll(*f);
        file_put(f);
        if (mask & kPollnval) return -kEbadf;
        const bool hits[3] = {r && (mask & kPollinSet), w && (mask & kPolloutSet), e && (mask & kPollexSet)};
        for (u32 k = 0; k < 3; ++k) {
            if (!hits[k]) continue;
            s.out[k][fd / 64] |= u64{1} << (fd % 64);
            ++ready;
        }
    }
    return ready;
}

i64 do_select(u64 nfds_arg, const u64 user_sets[3], const Timeout& timeout) {
    const i32 n = sys_fs::as_int(nfds_arg);
    if (n < 0) return -kEinval;
    // Linux caps nfds at the table's allocated size (max_fds): bits past it
    // are never looked at, open or not.
    FdTable* table = sys_fs::fd_table();
    const u32 max_fds = table ? table->capacity() : 0;
    const u32 nfds = static_cast<u32>(n) > max_fds ? max_fds : static_cast<u32>(n);
    FdSets s;
    s.words = (nfds + 63) / 64;
    const usize bytes = s.words * 8;
    i64 rc = 0;
    for (u32 k = 0; k < 3 && rc == 0; ++k) {
        if (!user_sets[k] || !bytes) continue;
        s.in[k] = static_cast<u64*>(kmalloc(bytes));
        s.out[k] = static_cast<u64*>(kmalloc(bytes));
        if (!s.in[k] || !s.out[k]) rc = -kEnomem;
        else if (copy_from_user(s.in[k], user_sets[k], bytes) < 0) rc = -kEfault;
        else if (nfds % 64) s.in[k][s.words - 1] &= (u64{1} << (nfds % 64)) - 1;
    }
    if (rc == 0) rc = wait_ready(timeout, [&] { return scan_fdsets(s, nfds); });
    for (u32 k = 0; k < 3; ++k) {
        // The sets are rewritten with what is ready (all clear on a timeout).
        if (rc >= 0 && s.out[k] && copy_to_user(user_sets[k], s.out[k], bytes) < 0) rc = -kEfault;
        kfree(s.in[k]);
        kfree(s.out[k]);
    }
    return rc;
}

}  // namespace

i64 sys_poll(const SyscallArgs& a) {
    const i32 ms = sys_fs::as_int(a.arg[2]);
    const Timeout t = ms < 0 ? timeout_never() : timeout_after_ns(static_cast<u64>(ms) * 1'000'000);
    return do_poll(a.arg[0], a.arg[1], t);
}

i64 sys_ppoll(const SyscallArgs& a) {
    Timeout t = timeout_never();
    if (a.arg[2]) {
        u64 ns;
        if (const i64 rc = read_timespec(a.arg[2], &ns); rc < 0) return rc;
        t = timeout_after_ns(ns);
    }
    bool masked;
    if (const i64 rc = apply_sigmask(a.arg[3], a.arg[4], &masked); rc < 0) return rc;
    const i64 rc = do_poll(a.arg[0], a.arg[1], t);
    restore_sigmask(masked, rc);
    if (a.arg[2]) write_back_timespec(a.arg[2], t);
    return rc;
}

i64 sys_select(const SyscallArgs& a) {
    Timeout t = timeout_never();
    if (a.arg[4]) {
        Timeval tv;
        if (get_user(tv, a.arg[4]) < 0) return -kEfault;
        if (tv.tv_sec < 0 || tv.tv_usec < 0) return -kEinval;
        // Linux folds whole seconds out of tv_usec (poll_select_set_timeout).
        const u64 usec = static_cast<u64>(tv.tv_usec);
        const u64 max_seconds = ~u64{0} / kNsPerSecond / 2;
        const u64 seconds = static_cast<u64>(tv.tv_sec) + usec / 1'000'000;
        t = timeout_after_ns((seconds > max_seconds ? max_seconds : seconds) * kNsPerSecond + usec % 1'000'000 * 1000);
    }
    const u64 sets[3] = {a.arg[1], a.arg[2], a.arg[3]};
    const i64 rc = do_select(a.arg[0], sets, t);
    if (a.arg[4]) {
        const u64 ns = remaining_ns(t);
        const Timeval left{static_cast<i64>(ns / kNsPerSecond), static_cast<i64>(ns % kNsPerSecond / 1000)};
        (void)put_user(a.arg[4], left);
    }
    return rc;
}

i64 sys_pselect6(const SyscallArgs& a) {
    Timeout t = timeout_never();
    if (a.arg[4]) {
        u64 ns;
        if (const i64 rc = read_timespec(a.arg[4], &ns); rc < 0) return rc;
        t = timeout_after_ns(ns);
    }
    bool masked = false;
    if (a.arg[5]) {
        // { const sigset_t* ss; size_t ss_len; }
        u64 pair[2];
        if (copy_from_user(pair, a.arg[5], sizeof pair) < 0) return -kEfault;
        if (const i64 rc = apply_sigmask(pair[0], pair[1], &masked); rc < 0) return rc;
    }
    const u64 sets[3] = {a.arg[1], a.arg[2], a.arg[3]};
    const i64 rc = do_select(a.arg[0], sets, t);
    restore_sigmask(masked, rc);
    if (a.arg[4]) write_back_timespec(a.arg[4], t);
    return rc;
}

}  // namespace kernel
