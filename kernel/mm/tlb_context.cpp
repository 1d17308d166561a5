#include "kernel/mm/tlb_context.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/percpu.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_address_space.h"

namespace kernel {
namespace {

struct AsidSlot {
    u64 space_id = 0;     // AddressSpace::generation() of the owner; 0 = free
    u64 tlb_gen = 0;      // the owner's generation its entries are current with
};

struct CpuTlbState {
    AsidSlot slots[kAsidSlots];
    u32 next_victim = 0;
    AddressSpace* loaded = nullptr;  // nullptr: the kernel's tables
    u32 loaded_slot = 0;
    u64 loaded_gen = 0;              // without PCIDs: the generation of the loaded space's TLB
    TlbContextCounters counters;
};

PerCpu<CpuTlbState> g_tlb;

bool pcids() { return hal::boot_info().pcid; }

}  // namespace

void tlb_context_init_cpu() { g_tlb.local() = CpuTlbState{}; }

AddressSpace* loaded_address_space() { return g_tlb.local().loaded; }

u16 loaded_pcid() {
    const CpuTlbState& st = g_tlb.local();
    return st.loaded && pcids() ? static_cast<u16>(st.loaded_slot + 1) : 0;
}

u64 loaded_tlb_generation() {
    const CpuTlbState& st = g_tlb.local();
    return pcids() ? st.slots[st.loaded_slot].tlb_gen : st.loaded_gen;
}

void set_loaded_tlb_generation(u64 generation) {
    CpuTlbState& st = g_tlb.local();
    KASSERT(st.loaded, "a TLB generation for the kernel's tables");
    if (pcids()) st.slots[st.loaded_slot].tlb_gen = generation;
    else st.loaded_gen = generation;
}

void activate_address_space(AddressSpace* space) {
    CpuTlbState& st = g_tlb.local();
    if (space == st.loaded) return;
    const u32 me = hal::current_cpu();
    AddressSpace* old = st.loaded;
    if (!space) {
        // PCID 0 caches no user translation, so with PCIDs nothing needs flushing.
        hal::write_cr3(kernel_page_table().root(), 0, pcids());
        ++st.counters.kernel_loads;
        st.loaded = nullptr;
    } else {
        space->mark_loaded(me);  // before reading the generation (see the header)
        const u64 gen = space->tlb_generation();
        ++st.counters.loads;
        if (!pcids()) {
            hal::write_cr3(space->root(), 0, false);
            st.loaded_gen = gen;
        } else {
            u32 slot = kAsidSlots;
            for (u32 i = 0; i < kAsidSlots; ++i)
                if (st.slots[i].space_id == space->generation()) slot = i;
            bool keep = false;
            if (slot == kAsidSlots) {
                slot = st.next_victim;
                st.next_victim = (st.next_victim + 1) % kAsidSlots;
                if (st.slots[slot].space_id) ++st.counters.slot_evictions;
                st.slots[slot].space_id = space->generation();
            } else if (st.slots[slot].tlb_gen < gen) {
                ++st.counters.stale_flushes;
            } else {
                keep = true;
                ++st.counters.kept;
            }
            hal::write_cr3(space->root(), static_cast<u16>(slot + 1), keep);
            st.slots[slot].tlb_gen = gen;
            st.loaded_slot = slot;
        }
        st.loaded = space;
    }
    if (old) old->mark_unloaded(me);  // after CR3 left it: no more flushes needed here
}

const TlbContextCounters& tlb_context_counters(u32 cpu) { return g_tlb.on(cpu).counters; }

void check_tlb_context() {
    const CpuTlbState& st = g_tlb.local();
    const u32 me = hal::current_cpu();
    if (!st.loaded) {
        KASSERT(hal::current_root() == kernel_page_table().root(), "cpu %u: no space loaded but CR3 is not the kernel's", me);
        return;
    }
    KASSERT(st.loaded->loaded_cpu_bits() & (u64{1} << me), "cpu %u: the loaded space's mask lacks it", me);
    KASSERT(hal::current_root() == st.loaded->root(), "cpu %u: CR3 is not the loaded space's root", me);
    if (pcids()) {
        const AsidSlot& slot = st.slots[st.loaded_slot];
        KASSERT(slot.space_id == st.loaded->generation(), "cpu %u: slot %u names another space", me, st.loaded_slot);
    }
    for (const AsidSlot& slot : st.slots)
        if (slot.space_id == st.loaded->generation())
            KASSERT(slot.tlb_gen <= st.loaded->tlb_generation(), "cpu %u: a slot ahead of its space's generation", me);
}

}  // namespace kernel
