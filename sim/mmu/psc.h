// Paging-structure caches (SDM Vol. 3A 4.10.3): a PML5E cache (LA57 only), a
// PML4E cache, a PDPTE cache and a PDE cache, each keyed by PCID and the
// linear-address bits that select the entry (56:48, 47:39, 47:30, 47:21; the
// upper bound is 56 with LA57). An entry holds the physical address of the next
// table, the AND of R/W and U/S and the OR of XD over the path down to it, and
// the memory type of the next table.
//
// Fill rule (SDM 4.10.3.1): made only for entries with P=1, no reserved bit set,
// A=1, and never for an entry that maps a page (no PDPTE entry for a 1 GiB leaf,
// no PDE entry for a 2 MiB leaf). G does not affect PSCs.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "sim/machine/config.h"
#include "sim/machine/types.h"
#include "sim/tlb/set_associative.h"

namespace simx {

class StatsRegistry;

struct PscEntry {
    uint64_t tag = 0;          // linear-address prefix (va >> shift of the level)
    uint64_t next_table = 0;   // physical address of the table this entry references
    uint16_t pcid = 0;
    bool valid = false;
    Rights rights;
    MemType next_mem_type = MemType::kWB;
};

class PagingStructureCaches {
public:
    // Cache levels are named after the entry they hold: 5 = PML5E, 4 = PML4E,
    // 3 = PDPTE, 2 = PDE.
    static constexpr int kLowest = 2;
    static constexpr int kHighest = 5;

    PagingStructureCaches(const PscConfig& config, uint64_t seed);

    // Linear-address bits [shift, 57) select the entry at `level`.
    static constexpr unsigned shift_of(int level) { return 12 + 9 * static_cast<unsigned>(level - 1); }
    static uint64_t tag_of(int level, uint64_t va) { return (va & ((1ull << 57) - 1)) >> shift_of(level); }

    const PscEntry* lookup(int level, uint64_t va, uint16_t pcid) {
        auto& c = cache(level);
        const uint64_t tag = tag_of(level, va);
        return c.find(c.set_of(tag), [&](const PscEntry& e) { return e.tag == tag && e.pcid == pcid; });
    }
    void fill(int level, uint64_t va, uint16_t pcid, uint64_t next_table, Rights rights, MemType next_type);

    // Every entry of one PCID (INVLPG, INVPCID types 0/1, CR3 loads).
    uint32_t invalidate_pcid(uint16_t pcid);
    // Every entry (INVPCID types 2/3, CR4 changes).
    uint32_t invalidate_all();
    // The entries that would be used to translate va under pcid (a #PF).
    uint32_t invalidate_address(uint64_t va, uint16_t pcid);

    uint32_t valid_entries() const;
    uint64_t hits(int level) const { return hits_[static_cast<size_t>(level)]; }
    void count_hit(int level) { ++hits_[static_cast<size_t>(level)]; }
    void count_miss() { ++misses_; }
    void register_stats(StatsRegistry& stats, const std::string& scope) const;

private:
    SetAssociative<PscEntry>& cache(int level) { return caches_[static_cast<size_t>(level)]; }

    std::array<SetAssociative<PscEntry>, 6> caches_;  // indices 2..5 used
    std::array<uint64_t, 6> hits_{};
    uint64_t misses_ = 0;
    uint64_t fills_ = 0;
    uint64_t invalidations_ = 0;
};

}  // namespace simx
