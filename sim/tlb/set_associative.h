// A set-associative array of entries with a pluggable replacement policy: the
// storage shared by TLB arrays, paging-structure caches and data caches.
//
// Entry must have a `bool valid`. The array knows nothing about keys: callers
// pick the set and pass a predicate, so one template serves TLBs (tagged by VPN,
// PCID, size), PSCs (tagged by linear-address prefix and PCID) and caches (tagged
// by line address).
//
// Invariants: sets() is a power of two; an insert fills the lowest invalid way of
// its set before the policy is asked for a victim.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "sim/tlb/replacement.h"

namespace simx {

template <typename Entry>
class SetAssociative {
public:
    SetAssociative() = default;
    SetAssociative(uint32_t entries, uint32_t ways, std::string_view policy, uint64_t seed) {
        if (entries == 0) return;  // a disabled structure: every lookup misses, inserts are dropped
        ways_ = ways;
        sets_ = entries / ways;
        set_mask_ = sets_ - 1;
        slots_.assign(entries, Entry{});
        policy_ = make_replacement_policy(policy, sets_, ways_, seed);
    }

    bool enabled() const { return !slots_.empty(); }
    uint32_t sets() const { return sets_; }
    uint32_t ways() const { return ways_; }
    uint32_t set_of(uint64_t key) const { return static_cast<uint32_t>(key & set_mask_); }
    std::string_view policy_name() const { return policy_ ? policy_->name() : "none"; }

    // The valid entry of `set` satisfying pred, marked used; nullptr if none.
    template <typename Pred>
    Entry* find(uint32_t set, Pred&& pred) {
        if (!enabled()) return nullptr;
        Entry* base = slot(set, 0);
        for (uint32_t w = 0; w < ways_; ++w) {
            if (base[w].valid && pred(base[w])) {
                policy_->on_hit(set, w);
                return &base[w];
            }
        }
        return nullptr;
    }

    // Marks (set, way) used, exactly as find() does on a hit: a replayed hit
    // (sim/cpu/micro_tlb.h) leaves the policy in the state a lookup would.
    void touch(uint32_t set, uint32_t way) { policy_->on_hit(set, way); }

    // The (set, way) of an entry of this array; false if `e` is not one of its slots.
    bool locate(const Entry* e, uint32_t& set, uint32_t& way) const {
        if (slots_.empty() || e < slots_.data() || e >= slots_.data() + slots_.size()) return false;
        const size_t index = static_cast<size_t>(e - slots_.data());
        set = static_cast<uint32_t>(index / ways_);
        way = static_cast<uint32_t>(index % ways_);
        return true;
    }

    // The replacement policy's state digest (0 for a disabled structure).
    uint64_t policy_digest() const { return policy_ ? policy_->state_digest() : 0; }

    // Writes e into `set`. If a valid entry had to be evicted, it is copied to
    // *evicted (when non-null) and true is returned.
    bool insert(uint32_t set, const Entry& e, Entry* evicted = nullptr) {
        if (!enabled()) return false;
        Entry* base = slot(set, 0);
        uint32_t way = ways_;
        for (uint32_t w = 0; w < ways_; ++w)
            if (!base[w].valid) { way = w; break; }
        bool evict = way == ways_;
        if (evict) {
            way = policy_->victim(set);
            if (evicted) *evicted = base[way];
        }
        base[way] = e;
        base[way].valid = true;
        policy_->on_fill(set, way);
        return evict;
    }

    // Invalidates the entries of `set` satisfying pred; calls on_drop(entry) for each.
    template <typename Pred, typename OnDrop>
    uint32_t invalidate_in_set(uint32_t set, Pred&& pred, OnDrop&& on_drop) {
        if (!enabled()) return 0;
        uint32_t n = 0;
        Entry* base = slot(set, 0);
        for (uint32_t w = 0; w < ways_; ++w) {
            if (base[w].valid && pred(base[w])) {
                on_drop(base[w]);
                base[w].valid = false;
                policy_->on_invalidate(set, w);
                ++n;
            }
        }
        return n;
    }

    template <typename Pred, typename OnDrop>
    uint32_t invalidate_all(Pred&& pred, OnDrop&& on_drop) {
        uint32_t n = 0;
        for (uint32_t s = 0; s < sets_; ++s) n += invalidate_in_set(s, pred, on_drop);
        return n;
    }

    template <typename Fn>
    void for_each_valid(Fn&& fn) const {
        for (const Entry& e : slots_)
            if (e.valid) fn(e);
    }

    uint32_t valid_count() const {
        uint32_t n = 0;
        for (const Entry& e : slots_) n += e.valid ? 1 : 0;
        return n;
    }

private:
    // Only for an enabled structure: a disabled one has no slots to point into.
    Entry* slot(uint32_t set, uint32_t way) { return &slots_[size_t{set} * ways_ + way]; }

    uint32_t sets_ = 0;
    uint32_t ways_ = 0;
    uint64_t set_mask_ = 0;
    std::vector<Entry> slots_;
    std::unique_ptr<ReplacementPolicy> policy_;
};

}  // namespace simx
