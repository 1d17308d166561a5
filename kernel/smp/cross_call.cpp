#include "kernel/smp/cross_call.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/percpu.h"

namespace kernel {
namespace {

struct Call {
    void (*fn)(void*);
    void* arg;
    u32 pending;  // targets that have not run it yet
};

// A CPU's mailbox: slot[s] is the call CPU s posted (valid while bit s of
// `posted` is set). Only CPU s writes slot[s], and only while it has no
// other call in flight.
struct Mailbox {
    Call* slot[kMaxCpus] = {};
    u64 posted = 0;
    CrossCallCounters counters;
};

PerCpu<Mailbox> g_mailbox;

}  // namespace

void cross_call_init_cpu() { g_mailbox.local() = Mailbox{}; }

void serve_cross_calls() {
    Mailbox& box = g_mailbox.local();
    if (!__atomic_load_n(&box.posted, __ATOMIC_ACQUIRE)) return;
    for (u64 senders = __atomic_exchange_n(&box.posted, 0, __ATOMIC_ACQ_REL); senders; senders &= senders - 1) {
        const u32 from = static_cast<u32>(__builtin_ctzll(senders));
        Call* call = __atomic_load_n(&box.slot[from], __ATOMIC_ACQUIRE);
        call->fn(call->arg);
        ++box.counters.calls_served;
        // The last access to *call: the sender may return (and its frame go) right after.
        __atomic_fetch_sub(&call->pending, 1u, __ATOMIC_RELEASE);
    }
}

void spin_relax() {
    hal::cpu_relax();
    serve_cross_calls();
}

void idle_for(u64 cycles) {
    hal::cpu_idle(cycles);
    serve_cross_calls();
}

void cross_call(CpuMask targets, void (*fn)(void*), void* arg) {
    const u32 me = hal::current_cpu();
    targets.clear(me);
    if (targets.empty()) return;
    Call call{fn, arg, targets.count()};
    Mailbox& mine = g_mailbox.local();
    ++mine.counters.calls_sent;
    targets.for_each([&](u32 cpu) {
        KASSERT(cpu < hal::boot_info().cpu_count, "cross call to cpu %u of %u", cpu, hal::boot_info().cpu_count);
        Mailbox& box = g_mailbox.on(cpu);
        __atomic_store_n(&box.slot[me], &call, __ATOMIC_RELEASE);
        __atomic_fetch_or(&box.posted, u64{1} << me, __ATOMIC_ACQ_REL);
        hal::send_ipi(cpu, hal::kCallFunctionVector);
        ++mine.counters.ipis_sent;
    });
    while (__atomic_load_n(&call.pending, __ATOMIC_ACQUIRE) != 0) {
        ++mine.counters.wait_spins;
        spin_relax();
    }
}

const CrossCallCounters& cross_call_counters(u32 cpu) { return g_mailbox.on(cpu).counters; }

}  // namespace kernel
