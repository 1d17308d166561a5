#include "sim/mmu/psc.h"

#include <fmt/format.h>

#include "sim/machine/sim_error.h"
#include "sim/machine/stats.h"

namespace simx {

PagingStructureCaches::PagingStructureCaches(const PscConfig& config, uint64_t seed) {
    const TlbArrayConfig* per_level[6] = {nullptr, nullptr, &config.pd, &config.pdpt, &config.pml4, &config.pml5};
    static constexpr const char* kNames[6] = {"", "", "pd", "pdpt", "pml4", "pml5"};
    for (int level = kLowest; level <= kHighest; ++level) {
        const TlbArrayConfig& c = *per_level[level];
        try {
            caches_[static_cast<size_t>(level)] =
                SetAssociative<PscEntry>(c.entries, c.ways, c.policy, seed + 100 + static_cast<uint64_t>(level));
        } catch (const SimError& e) {
            throw SimError(fmt::format("psc.{}: {}", kNames[level], e.what()));
        }
    }
}

void PagingStructureCaches::fill(int level, uint64_t va, uint16_t pcid, uint64_t next_table, Rights rights,
                                 MemType next_type) {
    auto& c = cache(level);
    if (!c.enabled()) return;
    const uint64_t tag = tag_of(level, va);
    const uint32_t set = c.set_of(tag);
    c.invalidate_in_set(set, [&](const PscEntry& e) { return e.tag == tag && e.pcid == pcid; }, [](const PscEntry&) {});
    PscEntry e;
    e.tag = tag;
    e.next_table = next_table;
    e.pcid = pcid;
    e.rights = rights;
    e.next_mem_type = next_type;
    c.insert(set, e);
    ++fills_;
}

uint32_t PagingStructureCaches::invalidate_pcid(uint16_t pcid) {
    uint32_t n = 0;
    for (int level = kLowest; level <= kHighest; ++level)
        n += cache(level).invalidate_all([pcid](const PscEntry& e) { return e.pcid == pcid; }, [](const PscEntry&) {});
    invalidations_ += n;
    return n;
}

uint32_t PagingStructureCaches::invalidate_all() {
    uint32_t n = 0;
    for (int level = kLowest; level <= kHighest; ++level)
        n += cache(level).invalidate_all([](const PscEntry&) { return true; }, [](const PscEntry&) {});
    invalidations_ += n;
    return n;
}

uint32_t PagingStructureCaches::invalidate_address(uint64_t va, uint16_t pcid) {
    uint32_t n = 0;
    for (int level = kLowest; level <= kHighest; ++level) {
        auto& c = cache(level);
        if (!c.enabled()) continue;
        const uint64_t tag = tag_of(level, va);
        n += c.invalidate_in_set(c.set_of(tag), [&](const PscEntry& e) { return e.tag == tag && e.pcid == pcid; },
                                 [](const PscEntry&) {});
    }
    invalidations_ += n;
    return n;
}

uint32_t PagingStructureCaches::valid_entries() const {
    uint32_t n = 0;
    for (int level = kLowest; level <= kHighest; ++level) n += caches_[static_cast<size_t>(level)].valid_count();
    return n;
}

void PagingStructureCaches::register_stats(StatsRegistry& stats, const std::string& scope) const {
    stats.add(scope, "psc.pml5.hits", &hits_[5]);
    stats.add(scope, "psc.pml4.hits", &hits_[4]);
    stats.add(scope, "psc.pdpt.hits", &hits_[3]);
    stats.add(scope, "psc.pd.hits", &hits_[2]);
    stats.add(scope, "psc.misses", &misses_);
    stats.add(scope, "psc.fills", &fills_);
    stats.add(scope, "psc.invalidations", &invalidations_);
}

}  // namespace simx
