#include "sim/mmu/cache_hierarchy.h"

#include <fmt/format.h>

#include "sim/machine/phys_mem.h"
#include "sim/machine/sim_error.h"
#include "sim/machine/stats.h"

namespace simx {

CacheArray::CacheArray(const std::string& name, const CacheLevelConfig& config, uint64_t seed)
    : latency_(config.latency) {
    try {
        tags_ = SetAssociative<CacheLine>(static_cast<uint32_t>(config.size_bytes / kCacheLineBytes), config.ways,
                                          config.policy, seed);
    } catch (const SimError& e) {
        throw SimError(fmt::format("cache.{}: {}", name, e.what()));
    }
}

SharedLlc::SharedLlc(const CacheConfig& config, uint64_t seed) : array_("llc", config.llc, seed) {}

void SharedLlc::register_stats(StatsRegistry& stats) const {
    stats.add("machine", "llc.hits", &hits);
    stats.add("machine", "llc.misses", &misses);
}

CacheHierarchy::CacheHierarchy(const CacheConfig& config, SharedLlc& llc, const PhysicalMemory& memory,
                               uint32_t cpu_node, uint64_t seed)
    : l1d_("l1d", config.l1d, seed + 11),
      l2_("l2", config.l2, seed + 12),
      llc_(llc),
      memory_(memory),
      cpu_node_(cpu_node),
      dram_latency_(config.dram_latency),
      remote_extra_(config.remote_dram_extra) {}

CacheAccess CacheHierarchy::load(PhysAddr pa, LoadSource source, MemType type) {
    const unsigned s = static_cast<unsigned>(source);
    const uint64_t line = pa.value / kCacheLineBytes;
    CacheAccess result{CacheLevel::kDRAM, dram_latency_};
    if (!is_cacheable(type)) {
        ++uncached_[s];
    } else if (l1d_.probe(line)) {
        result = {CacheLevel::kL1D, l1d_.latency()};
    } else if (l2_.probe(line)) {
        result = {CacheLevel::kL2, l2_.latency()};
        l1d_.fill(line);
    } else if (llc_.array().probe(line)) {
        ++llc_.hits;
        result = {CacheLevel::kLLC, llc_.array().latency()};
        l2_.fill(line);
        l1d_.fill(line);
    } else {
        ++llc_.misses;
        llc_.array().fill(line);
        l2_.fill(line);
        l1d_.fill(line);
    }
    if (result.level == CacheLevel::kDRAM && memory_.node_of(pa) != cpu_node_) {
        result.latency += remote_extra_;
        ++remote_dram_[s];
    }
    ++counts_[s][static_cast<unsigned>(result.level)];
    cycles_[s] += result.latency;
    return result;
}

void CacheHierarchy::register_stats(StatsRegistry& stats, const std::string& scope) const {
    static constexpr const char* kSource[] = {"walk_loads", "data_loads"};
    static constexpr const char* kLevel[] = {"l1d", "l2", "llc", "dram"};
    for (unsigned s = 0; s < 2; ++s) {
        for (unsigned l = 0; l < kCacheLevelCount; ++l)
            stats.add(scope, fmt::format("cache.{}.{}", kSource[s], kLevel[l]), &counts_[s][l]);
        stats.add(scope, fmt::format("cache.{}.dram_remote", kSource[s]), &remote_dram_[s]);
        stats.add(scope, fmt::format("cache.{}.uncached", kSource[s]), &uncached_[s]);
        stats.add(scope, fmt::format("cache.{}.cycles", kSource[s]), &cycles_[s]);
    }
}

}  // namespace simx
