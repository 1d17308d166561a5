// Which address space each CPU has loaded, under which PCID, and how current
// its TLB is for it (Linux's cpu_tlbstate and switch_mm_irqs_off, DESIGN.md
// "TLB coherence layer").
//
// PCIDs: with CR4.PCIDE each CPU keeps a small cache of kAsidSlots address
// spaces, slot i tagged with PCID i + 1 (PCID 0 is the kernel's own tables,
// which map no user half). Switching to a space that still owns a slot
// loads CR3 with the no-flush bit, so its translations survive a round trip
// through other processes; a space without a slot takes the next slot round
// robin and loads with a flush of that PCID. Without PCIDs every load is
// PCID 0 and flushes (MOV to CR3 drops all non-global entries).
//
// Generations: every flush request of a space bumps its tlb_generation
// (kernel/mm/tlb_shootdown.h). A slot remembers the generation its TLB
// entries are current with; loading a space whose generation moved on since
// flushes its PCID. That is what lets a shootdown skip every CPU that holds
// the space only in a slot, not in CR3: it catches up when it loads it.
//
// Invariants (check_tlb_context, this CPU): the loaded space's bit is set in
// its loaded_cpus mask and no other space of this CPU's is; CR3 holds its root
// and its slot's PCID; a slot's generation never exceeds its space's.
//
// Ordering with shootdowns: activate sets the CPU's bit in the space's mask
// and then reads the space's generation; a flush bumps the generation and
// then reads the mask (both sequentially consistent). So either the flusher
// sees this CPU and sends it the flush, or this CPU sees the new generation
// and flushes while loading.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

class AddressSpace;

inline constexpr u32 kAsidSlots = 6;  // Linux's TLB_NR_DYN_ASIDS

// Loads `space` into this CPU's CR3 (nullptr: the kernel's own tables), as
// above. A space already loaded stays as it is.
void activate_address_space(AddressSpace* space);
// The space loaded on this CPU (nullptr: the kernel's tables).
AddressSpace* loaded_address_space();
// The PCID the loaded space runs under here (0 without PCIDs).
u16 loaded_pcid();
// The generation the loaded space's TLB entries on this CPU are current with,
// and its update after a flush (kernel/mm/tlb_shootdown.cpp).
u64 loaded_tlb_generation();
void set_loaded_tlb_generation(u64 generation);

struct TlbContextCounters {
    u64 loads = 0;           // CR3 loads of a user space
    u64 kept = 0;            // ... that kept the PCID's entries (no-flush)
    u64 stale_flushes = 0;   // ... that flushed a slot whose generation was behind
    u64 slot_evictions = 0;  // ... that took a slot from another space
    u64 kernel_loads = 0;    // loads of the kernel's tables (idle, exit)
};
const TlbContextCounters& tlb_context_counters(u32 cpu);

// Each boot, on every CPU before it loads a user space.
void tlb_context_init_cpu();
// Panics unless the invariants above hold on this CPU.
void check_tlb_context();

}  // namespace kernel
