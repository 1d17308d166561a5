// The MMU of one simulated CPU: canonical check, TLB hierarchy, page walker with
// paging-structure caches, and the instructions that change what is cached
// (MOV to CR3/CR4, INVLPG, INVPCID) with exactly the SDM's invalidation rules
// (Vol. 3A 4.10.4).
//
// translate() is the single entry for every modeled access:
//   non-canonical            -> #GP(0), nothing cached or charged beyond the check
//   TLB hit, rights allow    -> the cached translation; a write to an entry cached
//                               with D=0 re-walks to set D, as hardware does
//   TLB hit, rights deny     -> the entry is stale or the access is bad: re-walk
//                               (AMD's behaviour; Intel may raise the #PF from the
//                               TLB, SDM 4.10.4.3 allows both); likewise a rights
//                               fault from a walk that started at a PSC entry is
//                               re-walked from the tables, so raising rights
//                               never needs an invalidation
//   miss                     -> walk, fill STLB and L1, ask the prefetcher
//   walk faults              -> #PF with error code and CR2; the page's TLB
//                               entries and its PSC entries are dropped (SDM 4.10.4.1)
// A repeat of an L1-hit translate() may instead be replayed, counter for
// counter, with replay_l1_hit() while translation_epoch() is unchanged
// (the interpreter's fast path, sim/cpu/micro_tlb.h).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/machine/config.h"
#include "sim/machine/types.h"
#include "sim/mmu/access.h"
#include "sim/mmu/cache_hierarchy.h"
#include "sim/mmu/control_regs.h"
#include "sim/mmu/psc.h"
#include "sim/mmu/walker.h"
#include "sim/tlb/prefetcher.h"
#include "sim/tlb/tlb_hierarchy.h"

namespace simx {

class PhysicalMemory;
class StatsRegistry;

struct Translation {
    FaultKind fault = FaultKind::kNone;
    uint32_t error_code = 0;    // #PF error code
    uint64_t fault_address = 0; // CR2 for a #PF
    PhysAddr pa;
    PageSize size = PageSize::k4K;
    MemType mem_type = MemType::kWB;
    uint32_t cycles = 0;        // TLB lookup + walk (+ fault delivery)
    uint8_t tlb_level = 0;      // 1 = L1 TLB, 2 = STLB, 0 = walked

    bool ok() const { return fault == FaultKind::kNone; }
};

struct MmuStats {
    uint64_t translations = 0;
    uint64_t walks = 0;
    uint64_t walk_cycles = 0;
    uint64_t walk_loads = 0;
    uint64_t walks_by_size[kPageSizeCount] = {};  // completed demand walks, by leaf size
    uint64_t dirty_rewalks = 0;                    // write hit a TLB entry cached with D=0
    uint64_t rights_rewalks = 0;                   // TLB hit whose rights denied the access
    uint64_t psc_rewalks = 0;                      // rights fault from a PSC-started walk, re-walked
    uint64_t page_faults = 0;
    uint64_t gp_faults = 0;
    uint64_t prefetch_walks = 0;
    uint64_t prefetch_dropped = 0;                 // prefetch walk that found nothing installable
    uint64_t invlpg = 0;
    uint64_t invpcid[4] = {};
    uint64_t cr3_loads_flush = 0;
    uint64_t cr3_loads_noflush = 0;
    uint64_t cr4_flushes = 0;
    uint64_t fault_invalidations = 0;              // TLB entries dropped because of a #PF
    uint64_t tlb_entries_invalidated = 0;          // TLB entries dropped by software invalidations
};

class Mmu {
public:
    Mmu(const MachineConfig& config, uint32_t cpu, PhysicalMemory& memory, SharedLlc& llc);

    Translation translate(VirtAddr va, const Access& access) { return translate(va, access, nullptr); }
    // The same; when the result is an L1 TLB hit and `l1_hit` is non-null, also
    // where the hit was, for replay_l1_hit().
    Translation translate(VirtAddr va, const Access& access, TlbL1Hit* l1_hit);

    // ---- translation fast paths (sim/cpu/micro_tlb.h) ----------------------
    // A caller may remember an L1 hit that translate() reported (with the
    // access type, privilege and AC it was made with) and, while
    // translation_epoch() is unchanged, stand in for the same translate() call
    // by replay_l1_hit(): the same counters and replacement-policy updates,
    // and the remembered result (pa, size, memory type, hit latency). The
    // epoch moves on any TLB slot change and on every write of CR0/CR3/CR4/
    // EFER/PAT or of the caching mode, so rights, PCID and the A/D rules
    // (a write through an entry with D=0 never reports an L1 hit) stay exact.
    uint64_t translation_epoch() const { return tlb_.epoch(); }
    void replay_l1_hit(const TlbL1Hit& hit) {
        ++stats_.translations;
        tlb_.replay_l1_hit(hit);
    }

    // A data load/store of the translated line through the cache hierarchy.
    uint32_t data_access(PhysAddr pa, MemType type) { return caches_.load(pa, LoadSource::kData, type).latency; }

    // Control-register writes; a value the SDM rejects gives kGeneralProtection
    // and changes nothing.
    FaultKind write_cr0(uint64_t value);
    FaultKind write_cr3(uint64_t value);  // bit 63 = no-flush when CR4.PCIDE=1
    FaultKind write_cr4(uint64_t value);
    FaultKind write_efer(uint64_t value);
    void write_pat(uint64_t value) {
        regs_.pat = value;
        tlb_.note_context_change();
    }
    const ControlRegisters& regs() const { return regs_; }

    void invlpg(VirtAddr va);
    FaultKind invpcid(uint64_t type, uint64_t descriptor_pcid, VirtAddr va);

    // For experiments and the reference-model property test: bypass the TLBs
    // and/or the paging-structure caches entirely.
    void set_caching(bool use_tlb, bool use_psc) {
        use_tlb_ = use_tlb;
        use_psc_ = use_psc;
        tlb_.note_context_change();
    }

    TlbHierarchy& tlb() { return tlb_; }
    PagingStructureCaches& psc() { return psc_; }
    CacheHierarchy& caches() { return caches_; }
    const MmuStats& stats() const { return stats_; }
    uint32_t cpu() const { return cpu_; }
    void register_stats(StatsRegistry& stats, const std::string& scope) const;

private:
    TlbEntry leaf_entry(const WalkResult& w, uint16_t pcid) const;
    void prefetch(uint64_t va, PageSize size, uint16_t pcid);
    void flush_tlb_nonglobal_of(uint16_t pcid);
    void flush_everything();

    uint32_t cpu_;
    const MmuConfig mmu_config_;
    ControlRegisters regs_;
    CacheHierarchy caches_;
    TlbHierarchy tlb_;
    PagingStructureCaches psc_;
    PageWalker walker_;
    std::unique_ptr<TlbPrefetcher> prefetcher_;
    std::vector<uint64_t> prefetch_candidates_;
    uint32_t stlb_miss_latency_;
    bool use_tlb_ = true;
    bool use_psc_ = true;
    MmuStats stats_;
};

}  // namespace simx
