#include "kernel/sched/time.h"

#include "kernel/hal/hal.h"

namespace kernel {
namespace {

u64 clock_khz() {
    const u64 khz = hal::cycles_per_second() / 1000;
    return khz ? khz : 1;
}

}  // namespace

u64 cycles_to_ns(u64 cycles) {
    const u64 khz = clock_khz();
    return cycles / khz * 1'000'000 + cycles % khz * 1'000'000 / khz;
}

u64 ns_to_cycles(u64 ns) {
    const u64 khz = clock_khz();
    const u64 whole_ms = ns / 1'000'000;
    if (whole_ms > ~u64{0} / khz / 4) return ~u64{0} / 4;  // centuries: saturate
    return whole_ms * khz + (ns % 1'000'000 * khz + 999'999) / 1'000'000;
}

u64 monotonic_ns() { return cycles_to_ns(hal::cycles()); }
u64 realtime_ns() { return hal::boot_epoch_seconds() * kNsPerSecond + monotonic_ns(); }

u64 deadline_after_ns(u64 ns) {
    const u64 now = hal::cycles(), delta = ns_to_cycles(ns);
    return now + delta < now ? ~u64{0} : now + delta;
}

}  // namespace kernel
