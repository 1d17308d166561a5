// Replacement policies for set-associative structures (TLB arrays, PSCs, caches).
//
// A policy sees only (set, way) events; the array owns the entries. The array
// fills an invalid way first (lowest index) and asks the policy for a victim only
// when every way of the set is valid. New policies are added by writing a class
// here and naming it in make_replacement_policy(); arrays pick one by name from
// the machine config.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace simx {

class ReplacementPolicy {
public:
    virtual ~ReplacementPolicy() = default;
    virtual std::string_view name() const = 0;
    // The entry at (set, way) was used by a lookup.
    virtual void on_hit(uint32_t set, uint32_t way) = 0;
    // A new entry was written into (set, way).
    virtual void on_fill(uint32_t set, uint32_t way) = 0;
    // The entry at (set, way) was invalidated; policies may make it the next victim.
    virtual void on_invalidate(uint32_t /*set*/, uint32_t /*way*/) {}
    // Which way of a full set to evict. Pure with respect to the entries; may
    // update policy state (RRIP ages the set while searching).
    virtual uint32_t victim(uint32_t set) = 0;
    // A digest of the whole policy state (ages, stamps, tree bits, RNG state):
    // two structures that saw the same event sequence have equal digests. For
    // tests that check a fast path replays hits exactly (sim/cpu/micro_tlb.h).
    virtual uint64_t state_digest() const = 0;
};

// Names accepted: "lru", "plru" (tree pseudo-LRU), "random" (seeded), "srrip"
// (static RRIP, 2-bit, hit-priority; Jaleel et al., ISCA 2010), "fifo".
// Throws SimError for an unknown name, listing the known ones.
std::unique_ptr<ReplacementPolicy> make_replacement_policy(std::string_view name, uint32_t sets, uint32_t ways,
                                                           uint64_t seed);
const std::vector<std::string>& replacement_policy_names();

}  // namespace simx
