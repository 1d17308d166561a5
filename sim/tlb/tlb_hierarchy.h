// The TLB hierarchy of one CPU: L1 ITLB (4K, 2M), L1 DTLB split by page size
// (4K, 2M, 1G), and a unified second-level TLB (4K+2M, plus a 1G array), as on
// Intel Skylake (optimization manual, table 2-15). Sizes, ways, latencies and
// policies come from TlbConfig; a zero-entry array is absent and translations it
// would hold are splintered into the next smaller array.
//
// Protocol (the MMU drives it): lookup() probes the port's L1 arrays, then the
// STLB; an STLB hit refills the L1. On a full miss the MMU walks and calls fill(),
// which installs the translation in the STLB and the port's L1.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "sim/machine/config.h"
#include "sim/tlb/tlb_array.h"

namespace simx {

class StatsRegistry;

enum class TlbPort : uint8_t { kInstruction = 0, kData = 1 };

struct TlbLookup {
    TlbEntry* entry = nullptr;  // nullptr on a miss in every level
    uint32_t latency = 0;       // cycles charged for the lookup (L1 or STLB hit latency)
    uint8_t level = 0;          // 1 = L1 hit, 2 = STLB hit, 0 = miss
};

// Where an L1 hit was found: enough to replay it (TlbHierarchy::replay_l1_hit)
// without a lookup. Valid while epoch() is unchanged since it was taken.
struct TlbL1Hit {
    TlbArray* array = nullptr;
    uint32_t set = 0;
    uint32_t way = 0;
    PageSize size = PageSize::k4K;  // the entry's own size (the set probed)
    TlbPort port = TlbPort::kData;
};

struct TlbLevelStats {
    uint64_t accesses = 0;
    uint64_t misses = 0;
};

class TlbHierarchy {
public:
    TlbHierarchy(const TlbConfig& config, uint64_t seed);

    TlbLookup lookup(uint64_t va, uint16_t pcid, TlbPort port) {
        const std::span<TlbArray* const> l1 =
            port == TlbPort::kData ? std::span<TlbArray* const>(dtlb_) : std::span<TlbArray* const>(itlb_);
        auto& l1_stats = level_stats_[static_cast<unsigned>(port)];
        ++l1_stats.accesses;
        for (TlbArray* a : l1) {
            if (TlbEntry* e = a->lookup(va, pcid)) return {e, a->hit_latency(), 1};
        }
        ++l1_stats.misses;
        ++stlb_stats_.accesses;
        for (TlbArray* a : {&stlb_, &stlb_1g_}) {
            if (!a->enabled()) continue;
            if (TlbEntry* e = a->lookup(va, pcid)) {
                if (e->prefetched) {
                    e->prefetched = false;
                    ++prefetch_useful_;
                }
                fill_l1(va, *e, port);
                return {e, a->hit_latency(), 2};
            }
        }
        ++stlb_stats_.misses;
        return {};
    }

    // ---- the replay interface of translation fast paths (sim/cpu/micro_tlb.h)
    // epoch() changes whenever a lookup could return something else: any slot
    // of any array changed (fill, eviction, STLB-to-L1 refill, an invalidation
    // that dropped an entry) or the owner declared a context change (control
    // registers, caching mode). Invariant: while epoch() is unchanged, lookup()
    // of the same (va page, pcid, port) finds the same entry in the same slot.
    uint64_t epoch() const { return epoch_; }
    void note_context_change() { ++epoch_; }
    // The replayable location of an L1 hit that lookup() just returned.
    TlbL1Hit locate_l1_hit(const TlbEntry* entry, TlbPort port) const;
    // Exactly the side effects of that lookup() hitting again: the port's L1
    // access count, the array's hit counters and its replacement policy's use
    // (earlier arrays' misses in the probe have none).
    void replay_l1_hit(const TlbL1Hit& hit) {
        ++level_stats_[static_cast<unsigned>(hit.port)].accesses;
        hit.array->replay_hit(hit.set, hit.way, hit.size);
    }

    // Installs the translation of `va` from a leaf (leaf.frame is the leaf page's
    // base, leaf.leaf_size its size) in the STLB and the port's L1.
    void fill(uint64_t va, const TlbEntry& leaf, TlbPort port);
    // Installs a prefetched translation in the STLB only.
    void fill_prefetch(uint64_t va, const TlbEntry& leaf);

    template <typename Pred>
    uint32_t invalidate_page(uint64_t va, Pred&& pred) {
        uint32_t n = 0;
        for (TlbArray* a : all_) n += a->invalidate_page(va, pred);
        return n;
    }
    template <typename Pred>
    uint32_t invalidate_all(Pred&& pred) {
        uint32_t n = 0;
        for (TlbArray* a : all_) n += a->invalidate_all(pred);
        return n;
    }

    // Every array, for tests and reports.
    const std::array<TlbArray*, 7>& arrays() const { return all_; }
    uint32_t valid_entries() const;
    const TlbLevelStats& level_stats(TlbPort port) const { return level_stats_[static_cast<unsigned>(port)]; }
    const TlbLevelStats& stlb_stats() const { return stlb_stats_; }

    void register_stats(StatsRegistry& stats, const std::string& scope) const;

private:
    void fill_l1(uint64_t va, const TlbEntry& source, TlbPort port);
    static void fill_into(TlbArray& array, uint64_t va, const TlbEntry& source, PageSize size, bool prefetched = false);

    TlbArray itlb_4k_, itlb_2m_;
    TlbArray dtlb_4k_, dtlb_2m_, dtlb_1g_;
    TlbArray stlb_, stlb_1g_;
    std::array<TlbArray*, 2> itlb_;
    std::array<TlbArray*, 3> dtlb_;
    std::array<TlbArray*, 7> all_;
    std::array<TlbLevelStats, 2> level_stats_{};
    TlbLevelStats stlb_stats_;
    uint64_t prefetch_fills_ = 0;
    uint64_t prefetch_useful_ = 0;
    // Every array points at this (TlbArray::count_changes_in), so the
    // hierarchy must not be copied or moved after construction.
    uint64_t epoch_ = 0;
};

}  // namespace simx
