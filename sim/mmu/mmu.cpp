#include "sim/mmu/mmu.h"

#include "sim/machine/phys_mem.h"
#include "sim/machine/stats.h"

namespace simx {

Mmu::Mmu(const MachineConfig& config, uint32_t cpu, PhysicalMemory& memory, SharedLlc& llc)
    : cpu_(cpu),
      mmu_config_(config.mmu),
      caches_(config.cache, llc, memory, config.node_of_cpu(cpu), config.seed * 1000003 + cpu),
      tlb_(config.tlb, config.seed * 1000003 + cpu),
      psc_(config.psc, config.seed * 1000003 + cpu),
      walker_(memory, caches_, config.mmu),
      prefetcher_(make_tlb_prefetcher(config.tlb.prefetcher, config.tlb.prefetch_degree)),
      stlb_miss_latency_(config.tlb.stlb.entries ? config.tlb.stlb.hit_latency : config.tlb.dtlb_4k.hit_latency) {}

TlbEntry Mmu::leaf_entry(const WalkResult& w, uint16_t pcid) const {
    TlbEntry e;
    e.frame = w.frame;
    e.size = w.size;
    e.leaf_size = w.size;
    e.pcid = pcid;
    e.global = w.global && regs_.pge();  // G is ignored while CR4.PGE=0
    e.dirty = w.dirty;
    e.rights = w.rights;
    e.mem_type = w.mem_type;
    return e;
}

Translation Mmu::translate(VirtAddr va_typed, const Access& access, TlbL1Hit* l1_hit) {
    const uint64_t va = va_typed.value;
    ++stats_.translations;
    Translation t;
    if (!regs_.canonical(va)) [[unlikely]] {
        ++stats_.gp_faults;
        t.fault = FaultKind::kGeneralProtection;
        return t;
    }
    const uint16_t pcid = regs_.pcid();
    const TlbPort port = access.type == AccessType::kFetch ? TlbPort::kInstruction : TlbPort::kData;

    if (use_tlb_) {
        TlbLookup hit = tlb_.lookup(va, pcid, port);
        if (hit.entry) [[likely]] {
            const TlbEntry& e = *hit.entry;
            const bool allowed = access_allowed(e.rights, access, regs_);
            if (allowed && (access.type != AccessType::kWrite || e.dirty)) [[likely]] {
                t.pa = PhysAddr{e.frame + (va & page_mask(e.size))};
                t.size = e.leaf_size;
                t.mem_type = e.mem_type;
                t.cycles = hit.latency;
                t.tlb_level = hit.level;
                if (l1_hit && hit.level == 1) *l1_hit = tlb_.locate_l1_hit(hit.entry, port);
                return t;
            }
            ++(allowed ? stats_.dirty_rewalks : stats_.rights_rewalks);
            t.cycles = hit.latency;
        } else {
            t.cycles = stlb_miss_latency_;
        }
    }

    WalkResult w = walker_.walk(va, access, regs_, use_psc_ ? &psc_ : nullptr, WalkMode::kDemand);
    ++stats_.walks;
    stats_.walk_cycles += w.cycles;
    stats_.walk_loads += w.loads;
    t.cycles += w.cycles;
    if (!w.ok && w.psc_level != 0 && (w.error_code & (pf::kPresent | pf::kReserved)) == pf::kPresent) {
        // A rights fault on a walk that started from a paging-structure cache may
        // come from rights software has since raised without an invalidation
        // (SDM 4.10.4.3 lets that be a "spurious" #PF). Like the TLB-hit case,
        // re-walk from the tables before faulting, so upgrades never need one.
        psc_.invalidate_address(va, regs_.pcid());
        ++stats_.psc_rewalks;
        w = walker_.walk(va, access, regs_, &psc_, WalkMode::kDemand);
        stats_.walk_cycles += w.cycles;
        stats_.walk_loads += w.loads;
        t.cycles += w.cycles;
    }

    if (!w.ok) {
        // SDM 4.10.4.1: a #PF invalidates the TLB entries for the faulting page
        // (this PCID and global) and the PSC entries that would translate it.
        ++stats_.page_faults;
        stats_.fault_invalidations +=
            tlb_.invalidate_page(va, [pcid](const TlbEntry& e) { return e.global || e.pcid == pcid; });
        psc_.invalidate_address(va, pcid);
        t.fault = FaultKind::kPageFault;
        t.error_code = w.error_code;
        t.fault_address = va;
        t.cycles += mmu_config_.fault_latency;
        return t;
    }

    ++stats_.walks_by_size[static_cast<unsigned>(w.size)];
    if (use_tlb_) {
        tlb_.fill(va, leaf_entry(w, pcid), port);
        if (prefetcher_) prefetch(va, w.size, pcid);
    }
    t.pa = PhysAddr{w.frame + (va & page_mask(w.size))};
    t.size = w.size;
    t.mem_type = w.mem_type;
    return t;
}

void Mmu::prefetch(uint64_t va, PageSize size, uint16_t pcid) {
    prefetch_candidates_.clear();
    prefetcher_->on_stlb_miss(va, size, prefetch_candidates_);
    const Access probe = Access::supervisor(AccessType::kRead);  // unused for rights in prefetch mode
    for (uint64_t target : prefetch_candidates_) {
        if (!regs_.canonical(target)) continue;
        ++stats_.prefetch_walks;
        WalkResult w = walker_.walk(target, probe, regs_, use_psc_ ? &psc_ : nullptr, WalkMode::kPrefetch);
        if (!w.ok) {
            ++stats_.prefetch_dropped;
            continue;
        }
        tlb_.fill_prefetch(target, leaf_entry(w, pcid));
    }
}

void Mmu::flush_tlb_nonglobal_of(uint16_t pcid) {
    stats_.tlb_entries_invalidated +=
        tlb_.invalidate_all([pcid](const TlbEntry& e) { return !e.global && e.pcid == pcid; });
    psc_.invalidate_pcid(pcid);
}

void Mmu::flush_everything() {
    stats_.tlb_entries_invalidated += tlb_.invalidate_all([](const TlbEntry&) { return true; });
    psc_.invalidate_all();
}

FaultKind Mmu::write_cr0(uint64_t value) {
    // IA-32e mode needs PG and PE; leaving it is outside this model.
    if (!(value & cr0::kPaging) || !(value & 1)) return FaultKind::kGeneralProtection;
    regs_.cr0 = value;  // WP is consulted at each access; no invalidation is needed
    tlb_.note_context_change();  // ... but a replayed L1 hit skipped that check
    return FaultKind::kNone;
}

FaultKind Mmu::write_cr3(uint64_t value) {
    const bool no_flush = regs_.pcide() && (value & cr3::kNoFlush);
    // Bit 63 is the no-flush hint only with PCIDE=1 (and never stored); with
    // PCIDE=0 it is a reserved bit of CR3 like bits 62:MAXPHYADDR (SDM 4.5): #GP.
    const uint64_t v = regs_.pcide() ? value & ~cr3::kNoFlush : value;
    const uint64_t reserved = mmu_config_.phys_addr_bits >= 63 ? 0 : (v >> mmu_config_.phys_addr_bits);
    if (reserved) return FaultKind::kGeneralProtection;
    regs_.cr3 = v;
    tlb_.note_context_change();  // the PCID that lookups match may have changed
    if (no_flush) {
        ++stats_.cr3_loads_noflush;
        return FaultKind::kNone;
    }
    ++stats_.cr3_loads_flush;
    // PCIDE=0: every non-global entry (all are PCID 0) and all PSC entries.
    // PCIDE=1: the new PCID's non-global entries and its PSC entries.
    flush_tlb_nonglobal_of(regs_.pcid());
    return FaultKind::kNone;
}

FaultKind Mmu::write_cr4(uint64_t value) {
    const uint64_t old = regs_.cr4;
    if (!(value & cr4::kPae)) return FaultKind::kGeneralProtection;  // IA-32e mode needs PAE
    if ((value & cr4::kPcide) && !mmu_config_.pcid_supported) return FaultKind::kGeneralProtection;
    if ((value & cr4::kLa57) && !mmu_config_.la57_supported) return FaultKind::kGeneralProtection;
    // SDM 4.10.1: setting PCIDE requires CR3[11:0] = 0.
    if (!(old & cr4::kPcide) && (value & cr4::kPcide) && (regs_.cr3 & cr3::kPcidMask))
        return FaultKind::kGeneralProtection;
    const uint16_t old_pcid = regs_.pcid();
    regs_.cr4 = value;
    tlb_.note_context_change();  // SMEP/SMAP/PCIDE change what a hit allows
    const uint64_t changed = old ^ value;
    // LA57 can really change only with paging off, which flushes everything; the
    // model lets it change in place with the same effect.
    if ((changed & (cr4::kPge | cr4::kLa57)) || ((old & cr4::kPcide) && !(value & cr4::kPcide))) {
        ++stats_.cr4_flushes;
        flush_everything();
    } else if (!(old & cr4::kSmep) && (value & cr4::kSmep)) {
        // "All TLB entries and all PSC entries for the current PCID"; global
        // entries are dropped too, which the SDM permits ("free to invalidate more").
        ++stats_.cr4_flushes;
        stats_.tlb_entries_invalidated +=
            tlb_.invalidate_all([old_pcid](const TlbEntry& e) { return e.global || e.pcid == old_pcid; });
        psc_.invalidate_pcid(old_pcid);
    }
    return FaultKind::kNone;
}

FaultKind Mmu::write_efer(uint64_t value) {
    if (!(value & efer::kLme) || !(value & efer::kLma)) return FaultKind::kGeneralProtection;
    regs_.efer = value;
    tlb_.note_context_change();  // NXE changes what a fetch hit allows
    return FaultKind::kNone;
}

void Mmu::invlpg(VirtAddr va_typed) {
    ++stats_.invlpg;
    const uint64_t va = va_typed.value;
    if (!regs_.canonical(va)) return;  // INVLPG of a non-canonical address is a no-op
    const uint16_t pcid = regs_.pcid();
    stats_.tlb_entries_invalidated +=
        tlb_.invalidate_page(va, [pcid](const TlbEntry& e) { return e.global || e.pcid == pcid; });
    // INVLPG drops every PSC entry of the current PCID, whatever its address.
    psc_.invalidate_pcid(pcid);
}

FaultKind Mmu::invpcid(uint64_t type, uint64_t descriptor_pcid, VirtAddr va_typed) {
    if (!mmu_config_.pcid_supported) return FaultKind::kInvalidOpcode;
    if (type > 3) return FaultKind::kGeneralProtection;
    if (descriptor_pcid > cr3::kPcidMask) return FaultKind::kGeneralProtection;  // descriptor bits 63:12
    const uint16_t pcid = static_cast<uint16_t>(descriptor_pcid);
    const uint64_t va = va_typed.value;
    if ((type == 0 || type == 1) && !regs_.pcide() && pcid != 0) return FaultKind::kGeneralProtection;
    switch (type) {
        case 0:  // one address, one PCID, non-global
            if (!regs_.canonical(va)) return FaultKind::kGeneralProtection;
            stats_.tlb_entries_invalidated +=
                tlb_.invalidate_page(va, [pcid](const TlbEntry& e) { return !e.global && e.pcid == pcid; });
            psc_.invalidate_pcid(pcid);
            break;
        case 1:  // one PCID, non-global
            flush_tlb_nonglobal_of(pcid);
            break;
        case 2:  // everything, globals included
            flush_everything();
            break;
        case 3:  // everything but globals
            stats_.tlb_entries_invalidated += tlb_.invalidate_all([](const TlbEntry& e) { return !e.global; });
            psc_.invalidate_all();
            break;
    }
    ++stats_.invpcid[type];
    return FaultKind::kNone;
}

void Mmu::register_stats(StatsRegistry& stats, const std::string& scope) const {
    stats.add(scope, "mmu.translations", &stats_.translations);
    tlb_.register_stats(stats, scope);
    stats.add(scope, "mmu.walks", &stats_.walks);
    stats.add(scope, "mmu.walks_4k", &stats_.walks_by_size[0]);
    stats.add(scope, "mmu.walks_2m", &stats_.walks_by_size[1]);
    stats.add(scope, "mmu.walks_1g", &stats_.walks_by_size[2]);
    stats.add(scope, "mmu.walk_cycles", &stats_.walk_cycles);
    stats.add(scope, "mmu.walk_loads", &stats_.walk_loads);
    stats.add(scope, "mmu.dirty_rewalks", &stats_.dirty_rewalks);
    stats.add(scope, "mmu.rights_rewalks", &stats_.rights_rewalks);
    stats.add(scope, "mmu.psc_rewalks", &stats_.psc_rewalks);
    stats.add(scope, "mmu.page_faults", &stats_.page_faults);
    stats.add(scope, "mmu.gp_faults", &stats_.gp_faults);
    stats.add(scope, "mmu.prefetch_walks", &stats_.prefetch_walks);
    stats.add(scope, "mmu.prefetch_dropped", &stats_.prefetch_dropped);
    psc_.register_stats(stats, scope);
    caches_.register_stats(stats, scope);
    stats.add(scope, "inval.invlpg", &stats_.invlpg);
    stats.add(scope, "inval.invpcid_0_address", &stats_.invpcid[0]);
    stats.add(scope, "inval.invpcid_1_context", &stats_.invpcid[1]);
    stats.add(scope, "inval.invpcid_2_all", &stats_.invpcid[2]);
    stats.add(scope, "inval.invpcid_3_nonglobal", &stats_.invpcid[3]);
    stats.add(scope, "inval.cr3_flush", &stats_.cr3_loads_flush);
    stats.add(scope, "inval.cr3_noflush", &stats_.cr3_loads_noflush);
    stats.add(scope, "inval.cr4_flush", &stats_.cr4_flushes);
    stats.add(scope, "inval.on_page_fault", &stats_.fault_invalidations);
    stats.add(scope, "inval.tlb_entries", &stats_.tlb_entries_invalidated);
}

}  // namespace simx
