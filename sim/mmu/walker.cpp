#include "sim/mmu/walker.h"

#include "sim/machine/phys_mem.h"
#include "sim/mmu/cache_hierarchy.h"
#include "sim/mmu/psc.h"
#include "sim/mmu/pte.h"

namespace simx {
namespace {

constexpr unsigned level_shift(int level) { return 12 + 9 * static_cast<unsigned>(level - 1); }

constexpr uint64_t bit_range(unsigned hi, unsigned lo) { return ((~0ull) >> (63 - hi)) & ~((1ull << lo) - 1); }

}  // namespace

PageWalker::PageWalker(PhysicalMemory& memory, CacheHierarchy& caches, const MmuConfig& config)
    : memory_(memory),
      caches_(caches),
      above_maxphyaddr_(config.phys_addr_bits >= 52 ? 0 : bit_range(51, config.phys_addr_bits)),
      pages_1g_(config.pages_1g_supported),
      base_latency_(config.walk_base_latency) {}

uint64_t PageWalker::reserved_bits(uint64_t raw, int level, const ControlRegisters& cr) const {
    uint64_t rsvd = raw & above_maxphyaddr_;
    if (!cr.nxe()) rsvd |= raw & Pte::kNoExecute;
    const bool ps = raw & Pte::kPageSize;
    switch (level) {
        case 5:
        case 4:
            rsvd |= raw & Pte::kPageSize;  // PS must be 0 in a PML5E/PML4E
            break;
        case 3:
            if (ps) rsvd |= pages_1g_ ? raw & bit_range(29, 13) : Pte::kPageSize;
            break;
        case 2:
            if (ps) rsvd |= raw & bit_range(20, 13);
            break;
        default:
            break;  // a PTE's bit 7 is PAT
    }
    return rsvd;
}

WalkResult PageWalker::walk(uint64_t va, const Access& access, const ControlRegisters& cr, PagingStructureCaches* psc,
                            WalkMode mode) {
    WalkResult r;
    r.cycles = base_latency_;
    const uint16_t pcid = cr.pcid();
    const bool demand = mode == WalkMode::kDemand;

    int level = static_cast<int>(cr.levels());
    uint64_t table = cr.cr3 & Pte::kAddressBits & ~above_maxphyaddr_;
    // With PCIDE=1, CR3 bits 4:3 are PCID bits and the top table is WB (PAT entry 0).
    MemType table_type = cr.pcide() ? cr.pat_type(0)
                                    : cr.pat_type(((cr.cr3 & cr3::kPcd) ? 2u : 0u) | ((cr.cr3 & cr3::kPwt) ? 1u : 0u));
    Rights rights{true, true, false};

    if (psc) {
        for (int l = PagingStructureCaches::kLowest; l <= level; ++l) {
            if (const PscEntry* e = psc->lookup(l, va, pcid)) {
                psc->count_hit(l);
                table = e->next_table;
                table_type = e->next_mem_type;
                rights = e->rights;
                level = l - 1;
                r.psc_level = static_cast<int8_t>(l);
                break;
            }
        }
        if (r.psc_level == 0) psc->count_miss();
    }

    auto fail = [&](bool present, bool reserved) {
        r.ok = false;
        r.error_code = page_fault_error_code(access, cr, present, reserved);
        return r;
    };

    for (;; --level) {
        const PhysAddr entry_addr{table + ((va >> level_shift(level)) & 511) * 8};
        r.cycles += caches_.load(entry_addr, LoadSource::kWalk, table_type).latency;
        ++r.loads;
        Pte pte{memory_.read64(entry_addr)};

        if (!pte.present()) return fail(false, false);
        if (reserved_bits(pte.raw, level, cr)) return fail(true, true);

        rights.writable = rights.writable && pte.writable();
        rights.user = rights.user && pte.user();
        rights.no_exec = rights.no_exec || pte.no_execute();

        const bool leaf = level == 1 || ((level == 2 || level == 3) && pte.large());
        if (!leaf) {
            if (!pte.accessed()) {
                pte.raw |= Pte::kAccessed;
                memory_.write64(entry_addr, pte.raw);
            }
            const MemType next_type = cr.pat_type(pte.pat_index(false, PageSize::k4K));
            if (psc && level >= PagingStructureCaches::kLowest)
                psc->fill(level, va, pcid, pte.address() & ~above_maxphyaddr_, rights, next_type);
            table = pte.address() & ~above_maxphyaddr_;
            table_type = next_type;
            continue;
        }

        r.size = level == 1 ? PageSize::k4K : level == 2 ? PageSize::k2M : PageSize::k1G;
        // A prefetch has no access of its own: the rights are cached and checked
        // when a demand access uses the entry.
        if (demand && !access_allowed(rights, access, cr)) return fail(true, false);
        uint64_t updated = pte.raw | Pte::kAccessed;
        if (demand && access.type == AccessType::kWrite) updated |= Pte::kDirty;
        if (updated != pte.raw) {
            pte.raw = updated;
            memory_.write64(entry_addr, updated);
        }
        r.ok = true;
        r.frame = pte.address() & ~page_mask(r.size);
        r.rights = rights;
        r.global = pte.global();
        r.dirty = pte.dirty();
        r.mem_type = cr.pat_type(pte.pat_index(true, r.size));
        return r;
    }
}

}  // namespace simx
