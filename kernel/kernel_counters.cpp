#include "kernel/kernel_counters.h"

#include "kernel/hal/hal.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/mm/tlb_shootdown.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp/cross_call.h"
#include "kernel/sync/futex.h"

namespace kernel {

void publish_kernel_counters() {
    const u32 cpus = hal::boot_info().cpu_count;
    TlbContextCounters tlb;
    ShootdownCounters shoot;
    CrossCallCounters calls;
    SchedulerCounters sched;
    for (u32 c = 0; c < cpus; ++c) {
        const TlbContextCounters& t = tlb_context_counters(c);
        tlb.loads += t.loads;
        tlb.kept += t.kept;
        tlb.stale_flushes += t.stale_flushes;
        tlb.slot_evictions += t.slot_evictions;
        tlb.kernel_loads += t.kernel_loads;
        const ShootdownCounters& s = shootdown_counters(c);
        shoot.requests += s.requests;
        shoot.local_flushes += s.local_flushes;
        shoot.remote_requests += s.remote_requests;
        shoot.remote_cpus += s.remote_cpus;
        shoot.received += s.received;
        shoot.found_current += s.found_current;
        shoot.performed_partial += s.performed_partial;
        shoot.performed_full += s.performed_full;
        const CrossCallCounters& x = cross_call_counters(c);
        calls.calls_sent += x.calls_sent;
        calls.ipis_sent += x.ipis_sent;
        calls.calls_served += x.calls_served;
        calls.wait_spins += x.wait_spins;
        const SchedulerCounters& k = scheduler_counters(c);
        sched.switches += k.switches;
        sched.preemptions += k.preemptions;
        sched.steals += k.steals;
        sched.idle_entries += k.idle_entries;
        sched.timer_wakeups += k.timer_wakeups;
    }
    const FutexCounters f = futex_counters();
    const struct {
        const char* name;
        u64 value;
    } all[] = {
        {"tlb.user_space_loads", tlb.loads},
        {"tlb.loads_kept_pcid", tlb.kept},
        {"tlb.loads_stale_flush", tlb.stale_flushes},
        {"tlb.asid_evictions", tlb.slot_evictions},
        {"tlb.kernel_loads", tlb.kernel_loads},
        {"shootdown.requests", shoot.requests},
        {"shootdown.local_flushes", shoot.local_flushes},
        {"shootdown.remote_requests", shoot.remote_requests},
        {"shootdown.remote_cpus", shoot.remote_cpus},
        {"shootdown.received", shoot.received},
        {"shootdown.found_current", shoot.found_current},
        {"shootdown.performed_partial", shoot.performed_partial},
        {"shootdown.performed_full", shoot.performed_full},
        {"cross_call.calls", calls.calls_sent},
        {"cross_call.ipis", calls.ipis_sent},
        {"cross_call.served", calls.calls_served},
        {"cross_call.wait_spins", calls.wait_spins},
        {"sched.switches", sched.switches},
        {"sched.preemptions", sched.preemptions},
        {"sched.steals", sched.steals},
        {"sched.idle_entries", sched.idle_entries},
        {"sched.timer_wakeups", sched.timer_wakeups},
        {"futex.waits", f.waits},
        {"futex.wakes", f.wakes},
        {"futex.timeouts", f.timeouts},
        {"futex.requeued", f.requeued},
        {"futex.owner_died", f.owner_died},
    };
    for (const auto& c : all) hal::publish_counter("kernel", c.name, c.value);
}

}  // namespace kernel
