#include "kernel/sys/sys_time.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/itimer.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/time.h"
#include "kernel/sched/wait_queue.h"

namespace kernel {
namespace {

// Clock ids (include/uapi/linux/time.h).
constexpr i64 kClockRealtime = 0, kClockMonotonic = 1, kClockProcessCputime = 2, kClockThreadCputime = 3,
              kClockMonotonicRaw = 4, kClockRealtimeCoarse = 5, kClockMonotonicCoarse = 6, kClockBoottime = 7;
constexpr u64 kTimerAbstime = 1;

struct Timespec {
    i64 tv_sec;
    i64 tv_nsec;
};
struct Timeval {
    i64 tv_sec;
    i64 tv_usec;
};

// The time of a clock in ns, or false for a clock id Linux does not have.
bool clock_now(i64 clock, u64* ns) {
    switch (clock) {
        case kClockRealtime:
        case kClockRealtimeCoarse: *ns = realtime_ns(); return true;
        case kClockMonotonic:
        case kClockMonotonicRaw:
        case kClockMonotonicCoarse:
        case kClockBoottime: *ns = monotonic_ns(); return true;
        case kClockThreadCputime:
        case kClockProcessCputime: {
            // CPU time: the cycles the calling thread (or every thread of
            // its process, the ones gone included) spent on a CPU.
            Task* me = current_task();
            Process* p = current_process();
            const u64 now = hal::cycles();
            u64 cycles = me->run_cycles + (now - me->switched_in);
            if (clock == kClockProcessCputime && p) {
                SpinGuard guard(p->signal_lock);  // the thread list is stable under it
                cycles = p->counters.user_cycles;
                p->threads.for_each([&](Task& t) {
                    cycles += t.run_cycles;
                    if (&t == me) cycles += now - t.switched_in;
                });
            }
            *ns = cycles_to_ns(cycles);
            return true;
        }
        default: return false;
    }
}

Timespec to_timespec(u64 ns) { return {static_cast<i64>(ns / kNsPerSecond), static_cast<i64>(ns % kNsPerSecond)}; }

// Reads and checks a sleep request: -EFAULT / -EINVAL, or 0 with *ns set.
i64 read_request(u64 user, u64* ns) {
    Timespec t;
    if (get_user(t, user) != 0) return -linux::kEfault;
    if (t.tv_sec < 0 || t.tv_nsec < 0 || t.tv_nsec >= static_cast<i64>(kNsPerSecond)) return -linux::kEinval;
    const u64 max_seconds = ~u64{0} / kNsPerSecond - 1;
    const u64 seconds = static_cast<u64>(t.tv_sec) > max_seconds ? max_seconds : static_cast<u64>(t.tv_sec);
    *ns = seconds * kNsPerSecond + static_cast<u64>(t.tv_nsec);
    return 0;
}

// Lets `ns` of modeled time pass, asleep on a sleep timer: other tasks run
// meanwhile, or the CPU idles. A pending signal ends the sleep early: the
// nanoseconds left, 0 when the whole time passed.
u64 sleep_ns(u64 ns) {
    if (!ns) return 0;
    const u64 deadline = deadline_after_ns(ns);
    WaitQueue nobody{"nanosleep"};
    if (nobody.wait_interruptible_until([] { return false; }, deadline) == 0) return 0;
    const u64 now = hal::cycles();
    return now < deadline ? cycles_to_ns(deadline - now) : 0;
}

// An interrupted sleep: the remainder to `rem` (when asked) and
// -ERESTARTNOHAND, which a handler turns into EINTR. With no handler (a stop
// and SIGCONT) the request restarts whole: a departure from Linux's
// restart_block, which sleeps only the remainder.
i64 interrupted_sleep(u64 left, u64 rem) {
    if (rem) {
        const Timespec t = to_timespec(left);
        if (put_user(rem, t) != 0) return -linux::kEfault;
    }
    return -kErestartnohand;
}

}  // namespace

i64 sys_clock_gettime(const SyscallArgs& a) {
    u64 ns;
    if (!clock_now(static_cast<i32>(a.arg[0]), &ns)) return -linux::kEinval;
    const Timespec t = to_timespec(ns);
    return put_user(a.arg[1], t);
}

i64 sys_clock_getres(const SyscallArgs& a) {
    u64 ns;
    if (!clock_now(static_cast<i32>(a.arg[0]), &ns)) return -linux::kEinval;
    if (!a.arg[1]) return 0;
    const Timespec res{0, 1};
    return put_user(a.arg[1], res);
}

i64 sys_gettimeofday(const SyscallArgs& a) {
    if (a.arg[0]) {
        const u64 ns = realtime_ns();
        const Timeval tv{static_cast<i64>(ns / kNsPerSecond), static_cast<i64>(ns % kNsPerSecond / 1000)};
        if (put_user(a.arg[0], tv) != 0) return -linux::kEfault;
    }
    if (a.arg[1]) {
        const i32 tz[2] = {0, 0};  // struct timezone: UTC, no DST
        if (copy_to_user(a.arg[1], tz, sizeof tz) != 0) return -linux::kEfault;
    }
    return 0;
}

i64 sys_time(const SyscallArgs& a) {
    const i64 seconds = static_cast<i64>(realtime_ns() / kNsPerSecond);
    if (a.arg[0] && put_user(a.arg[0], seconds) != 0) return -linux::kEfault;
    return seconds;
}

i64 sys_nanosleep(const SyscallArgs& a) {
    u64 ns;
    if (const i64 r = read_request(a.arg[0], &ns); r != 0) return r;
    if (const u64 left = sleep_ns(ns)) return interrupted_sleep(left, a.arg[1]);
    return 0;
}

i64 sys_clock_nanosleep(const SyscallArgs& a) {
    const i64 clock = static_cast<i32>(a.arg[0]);  // clockid_t is an int
    const u64 flags = a.arg[1];
    u64 now;
    if (!clock_now(clock, &now)) return -linux::kEinval;
    if (clock == kClockThreadCputime) return -linux::kEinval;
    if (flags & ~kTimerAbstime) return -linux::kEinval;
    u64 ns;
    if (const i64 r = read_request(a.arg[2], &ns); r != 0) return r;
    if (flags & kTimerAbstime) {
        if (sleep_ns(ns > now ? ns - now : 0)) return interrupted_sleep(0, 0);  // restarts exactly
    } else if (const u64 left = sleep_ns(ns)) {
        return interrupted_sleep(left, a.arg[3]);
    }
    return 0;
}

// ---------------------------------------------------------------- interval timers

namespace {

constexpr i32 kItimerReal = 0;

struct Itimerval {
    Timeval interval;
    Timeval value;
};

u64 timeval_ns(const Timeval& t) {
    const u64 max_seconds = ~u64{0} / kNsPerSecond / 4;
    const u64 seconds = static_cast<u64>(t.tv_sec) > max_seconds ? max_seconds : static_cast<u64>(t.tv_sec);
    return seconds * kNsPerSecond + static_cast<u64>(t.tv_usec) * 1000;
}

// Linux reports a time left in whole microseconds, rounding a part up.
Timeval ns_timeval(u64 ns) {
    const u64 us = (ns + 999) / 1000;
    return {static_cast<i64>(us / 1'000'000), static_cast<i64>(us % 1'000'000)};
}

bool valid(const Timeval& t) { return t.tv_sec >= 0 && t.tv_usec >= 0 && t.tv_usec < 1'000'000; }

// Only ITIMER_REAL: ITIMER_VIRTUAL and ITIMER_PROF are not kept
// (kernel/proc/itimer.h) and are EINVAL, as an unknown timer is.
i64 check_which(i32 which) { return which == kItimerReal ? 0 : -linux::kEinval; }

}  // namespace

i64 sys_getitimer(const SyscallArgs& a) {
    const i32 which = static_cast<i32>(a.arg[0]);
    if (const i64 r = check_which(which); r < 0) return r;
    u64 value = 0, interval = 0;
    itimer_real_get(*current_process(), &value, &interval);
    const Itimerval out{ns_timeval(interval), ns_timeval(value)};
    return put_user(a.arg[1], out);
}

i64 sys_setitimer(const SyscallArgs& a) {
    const i32 which = static_cast<i32>(a.arg[0]);
    if (const i64 r = check_which(which); r < 0) return r;
    Itimerval in{};
    // A null new value disarms, as Linux has always taken it.
    if (a.arg[1] && get_user(in, a.arg[1]) != 0) return -linux::kEfault;
    if (!valid(in.value) || !valid(in.interval)) return -linux::kEinval;
    u64 old_value = 0, old_interval = 0;
    itimer_real_set(*current_process(), timeval_ns(in.value), timeval_ns(in.interval), &old_value, &old_interval);
    if (a.arg[2]) {
        const Itimerval out{ns_timeval(old_interval), ns_timeval(old_value)};
        if (put_user(a.arg[2], out) != 0) return -linux::kEfault;
    }
    return 0;
}

// alarm(seconds): ITIMER_REAL once; the seconds the previous one had left,
// rounded as Linux's alarm_setitimer (to the nearest second, at least 1 if any
// time was left).
i64 sys_alarm(const SyscallArgs& a) {
    const u64 seconds = static_cast<u32>(a.arg[0]);
    u64 old_value = 0;
    itimer_real_set(*current_process(), seconds * kNsPerSecond, 0, &old_value, nullptr);
    const Timeval left = ns_timeval(old_value);
    i64 secs = left.tv_sec;
    if ((!secs && left.tv_usec) || left.tv_usec >= 500'000) ++secs;
    return secs;
}

}  // namespace kernel
