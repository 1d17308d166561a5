// TLB shootdowns: performing a page-table edit's invalidations (a
// TlbInvalidation record) on every CPU that may cache the edited
// translations, before the edit's frames and tables are freed (Linux's
// flush_tlb_mm_range and flush_tlb_func, DESIGN.md "TLB coherence layer").
//
// flush_tlb(space, record):
//  1. bumps the space's TLB generation (tlb_context.h);
//  2. flushes on this CPU if the space is loaded here;
//  3. sends the record by a synchronous cross call (kernel/smp/cross_call.h,
//     one IPI per CPU) to every other CPU whose CR3 holds the space, and
//     waits until each has flushed;
//  4. releases the record's table pages and resets it.
// A CPU that holds the space only in an ASID slot is not interrupted: its
// slot's generation is behind, so it flushes that PCID when it loads the space.
//
// On a CPU, a request is performed as Linux's flush_tlb_func does: nothing
// if its TLB is already current with the space's generation (a full flush
// there covered it); the record page by page if it is exactly the next
// generation; otherwise a full flush of the space's PCID.
//
// Strategy: eager and synchronous (one round of IPIs per record). The record
// already batches an edit's pages and collapses past the flush ceiling;
// lazier strategies (deferred, LATR-style) would plug in here.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

class AddressSpace;
class TlbInvalidation;

void flush_tlb(AddressSpace& space, TlbInvalidation& record);

struct ShootdownCounters {
    u64 requests = 0;          // flush_tlb calls with something to flush
    u64 local_flushes = 0;     // ... performed on the calling CPU
    u64 remote_requests = 0;   // ... that needed other CPUs (one cross call each)
    u64 remote_cpus = 0;       // CPUs those interrupted
    u64 received = 0;          // requests this CPU took for others (cross calls)
    // Every request this CPU took with the space loaded (its own and others'):
    u64 found_current = 0;     // ... its TLB already current: nothing to do
    u64 performed_partial = 0; // ... performed page by page
    u64 performed_full = 0;    // ... performed as a full flush of the PCID
};
const ShootdownCounters& shootdown_counters(u32 cpu);
void shootdown_init_cpu();

}  // namespace kernel
