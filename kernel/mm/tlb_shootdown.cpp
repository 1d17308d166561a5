#include "kernel/mm/tlb_shootdown.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/percpu.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/mm/tlb_invalidation.h"
#include "kernel/smp/cross_call.h"

namespace kernel {
namespace {

PerCpu<ShootdownCounters> g_counters;

struct Request {
    AddressSpace* space;
    const TlbInvalidation* record;
    u64 generation;  // the space's generation this record brought it to
};

// One CPU's part (Linux's flush_tlb_func). Runs on the requesting CPU and,
// by cross call, on the others; takes no lock.
void perform(const Request& r, ShootdownCounters& c) {
    if (loaded_address_space() != r.space) return;  // its slot is behind: the next load flushes
    const u64 local = loaded_tlb_generation();
    const u64 target = r.space->tlb_generation();
    if (local >= target) {
        ++c.found_current;
        return;
    }
    // Page by page only when this record is the one step between what the TLB
    // holds and the space's newest generation; any gap means other edits this
    // CPU has not performed, which only a full flush covers.
    if (!r.record->full_flush() && r.generation == local + 1 && r.generation == target) {
        perform_tlb_invalidation(*r.record, loaded_pcid());
        set_loaded_tlb_generation(r.generation);
        ++c.performed_partial;
    } else {
        flush_user_pcid(loaded_pcid());
        set_loaded_tlb_generation(target);
        ++c.performed_full;
    }
}

void perform_remote(void* arg) {
    ShootdownCounters& c = g_counters.local();
    ++c.received;
    perform(*static_cast<const Request*>(arg), c);
}

}  // namespace

void shootdown_init_cpu() { g_counters.local() = ShootdownCounters{}; }

void flush_tlb(AddressSpace& space, TlbInvalidation& record) {
    if (record.empty()) return;
    KASSERT(!record.kernel_half(), "flush_tlb of a kernel-half edit");
    ShootdownCounters& c = g_counters.local();
    ++c.requests;
    const Request request{&space, &record, space.next_tlb_generation()};
    if (loaded_address_space() == &space) {
        ++c.local_flushes;
        perform(request, c);
    }
    CpuMask others(space.loaded_cpu_bits());
    others.clear(hal::current_cpu());
    if (!others.empty()) {
        ++c.remote_requests;
        c.remote_cpus += others.count();
        cross_call(others, perform_remote, const_cast<Request*>(&request));
    }
    record.release_tables();
    record.reset();
}

const ShootdownCounters& shootdown_counters(u32 cpu) { return g_counters.on(cpu); }

}  // namespace kernel
