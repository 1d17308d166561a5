// One TLB array: set-associative, entries tagged with a PCID and a G bit
// (SDM Vol. 3A 4.10.2). An array holds one or two page sizes (the Skylake STLB
// holds 4 KiB and 2 MiB entries); a lookup probes the set of each size it holds.
//
// Splintering: a translation from a leaf larger than any size the array holds is
// stored as an entry of a smaller size (the 2 MiB region of a 1 GiB page in the
// ITLB, as Intel cores do). Such an entry remembers its leaf so that INVLPG of any
// address in the leaf drops it; while any splintered entry is live, page
// invalidations scan the whole array instead of one set.
#pragma once

#include <cstdint>
#include <string>

#include "sim/machine/config.h"
#include "sim/machine/types.h"
#include "sim/tlb/set_associative.h"

namespace simx {

class StatsRegistry;

struct TlbEntry {
    uint64_t vpn = 0;        // linear address >> page_shift(size)
    uint64_t frame = 0;      // physical address of the page this entry maps (size-aligned)
    uint64_t leaf_vpn = 0;   // linear address >> page_shift(leaf_size)
    uint16_t pcid = 0;
    PageSize size = PageSize::k4K;       // the entry's own size
    PageSize leaf_size = PageSize::k4K;  // size of the paging-structure leaf it came from
    bool valid = false;
    bool global = false;     // G=1 in the leaf and CR4.PGE=1 when filled
    bool dirty = false;      // D was 1 in the leaf when filled (a write to a clean entry re-walks)
    bool prefetched = false; // filled by a prefetcher and not used yet
    Rights rights;
    MemType mem_type = MemType::kWB;

    bool splintered() const { return size != leaf_size; }
};

struct TlbArrayStats {
    uint64_t hits = 0;
    uint64_t hits_by_size[kPageSizeCount] = {};  // reported for arrays holding several sizes
    uint64_t fills = 0;
    uint64_t evictions = 0;
    uint64_t invalidations = 0;   // entries dropped by any invalidation
};

class TlbArray {
public:
    TlbArray() = default;
    // sizes: bitmask of (1 << PageSize) this array holds.
    TlbArray(std::string name, const TlbArrayConfig& config, uint8_t sizes, uint64_t seed);

    const std::string& name() const { return name_; }
    bool enabled() const { return storage_.enabled(); }
    bool holds(PageSize s) const { return enabled() && (sizes_ & (1u << static_cast<unsigned>(s))); }
    uint32_t hit_latency() const { return hit_latency_; }
    const TlbArrayStats& stats() const { return stats_; }

    // The entry translating `va` for `pcid` (or a global one), any size held.
    TlbEntry* lookup(uint64_t va, uint16_t pcid) {
        for (unsigned s = 0; s < kPageSizeCount; ++s) {
            if (!(sizes_ & (1u << s))) continue;
            const uint64_t vpn = va >> page_shift(static_cast<PageSize>(s));
            TlbEntry* e = storage_.find(storage_.set_of(vpn), [&](const TlbEntry& x) {
                return x.vpn == vpn && x.size == static_cast<PageSize>(s) && (x.global || x.pcid == pcid);
            });
            if (e) {
                ++stats_.hits;
                ++stats_.hits_by_size[s];
                return e;
            }
        }
        return nullptr;
    }

    // Replays a lookup() hit on the entry at (set, way) of size `size`: the hit
    // counters and the replacement policy's use, nothing else. Only valid while
    // no slot of the array changed since that entry was found (see changes()).
    void replay_hit(uint32_t set, uint32_t way, PageSize size) {
        ++stats_.hits;
        ++stats_.hits_by_size[static_cast<unsigned>(size)];
        storage_.touch(set, way);
    }
    // Where `e` (returned by lookup()) lives; false if it is not this array's.
    bool locate(const TlbEntry* e, uint32_t& set, uint32_t& way) const { return storage_.locate(e, set, way); }
    uint64_t replacement_digest() const { return storage_.policy_digest(); }

    // Every change to a slot (fill, eviction, invalidation that dropped an
    // entry) increments *counter; the TLB hierarchy points all its arrays at
    // its epoch. Lookups never change slots, only policy state.
    void count_changes_in(uint64_t* counter) { changes_ = counter; }

    // Writes an entry (its size must be one this array holds), replacing any entry
    // for the same page and PCID.
    void fill(const TlbEntry& e);

    // Drops entries that cover `va` (through their leaf) and satisfy pred.
    template <typename Pred>
    uint32_t invalidate_page(uint64_t va, Pred&& pred) {
        auto covers = [&](const TlbEntry& x) { return x.leaf_vpn == (va >> page_shift(x.leaf_size)) && pred(x); };
        uint32_t n = 0;
        if (live_splinters_ > 0) {
            n = storage_.invalidate_all(covers, [&](const TlbEntry& x) { dropped(x); });
        } else {
            for (unsigned s = 0; s < kPageSizeCount; ++s) {
                if (!(sizes_ & (1u << s))) continue;
                const uint64_t vpn = va >> page_shift(static_cast<PageSize>(s));
                n += storage_.invalidate_in_set(storage_.set_of(vpn), covers, [&](const TlbEntry& x) { dropped(x); });
            }
        }
        if (n) note_change();
        return n;
    }

    // Drops every entry satisfying pred.
    template <typename Pred>
    uint32_t invalidate_all(Pred&& pred) {
        const uint32_t n = storage_.invalidate_all(pred, [&](const TlbEntry& x) { dropped(x); });
        if (n) note_change();
        return n;
    }

    uint32_t valid_count() const { return storage_.valid_count(); }
    template <typename Fn>
    void for_each_valid(Fn&& fn) const { storage_.for_each_valid(fn); }

    void register_stats(StatsRegistry& stats, const std::string& scope) const;

private:
    void note_change() {
        if (changes_) ++*changes_;
    }
    void dropped(const TlbEntry& x) {
        ++stats_.invalidations;
        if (x.splintered()) --live_splinters_;
    }

    std::string name_;
    uint8_t sizes_ = 0;
    uint32_t hit_latency_ = 0;
    uint32_t live_splinters_ = 0;
    uint64_t* changes_ = nullptr;
    SetAssociative<TlbEntry> storage_;
    TlbArrayStats stats_;
};

}  // namespace simx
