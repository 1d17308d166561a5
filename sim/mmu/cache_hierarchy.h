// The data-cache hierarchy used by page-walk loads and, when a workload asks for
// it, by data loads: private L1D and L2 per CPU, an LLC shared by every CPU, then
// DRAM with a NUMA penalty when the line lives on another node.
//
// The model is a latency model: each level is a set-associative tag array (64-byte
// lines, physical indexing, policy from the config) with a load-to-use latency;
// a miss fills every level on the way back (non-inclusive, no write-back traffic).
// Uncacheable memory types (UC, UC-, WC) go to DRAM and fill nothing.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "sim/machine/config.h"
#include "sim/machine/types.h"
#include "sim/tlb/set_associative.h"

namespace simx {

class PhysicalMemory;
class StatsRegistry;

enum class CacheLevel : uint8_t { kL1D = 0, kL2 = 1, kLLC = 2, kDRAM = 3 };
inline constexpr int kCacheLevelCount = 4;
enum class LoadSource : uint8_t { kWalk = 0, kData = 1 };

struct CacheLine {
    uint64_t line = 0;  // physical address >> 6
    bool valid = false;
};

// One level's tag array.
class CacheArray {
public:
    CacheArray() = default;
    CacheArray(const std::string& name, const CacheLevelConfig& config, uint64_t seed);
    // True on a hit (and marks the line used); false on a miss.
    bool probe(uint64_t line) {
        return tags_.find(tags_.set_of(line), [line](const CacheLine& c) { return c.line == line; }) != nullptr;
    }
    void fill(uint64_t line) { tags_.insert(tags_.set_of(line), CacheLine{line, true}); }
    uint32_t latency() const { return latency_; }

private:
    SetAssociative<CacheLine> tags_;
    uint32_t latency_ = 0;
};

// The last-level cache, shared by every CPU of the machine.
class SharedLlc {
public:
    SharedLlc(const CacheConfig& config, uint64_t seed);
    CacheArray& array() { return array_; }
    void register_stats(StatsRegistry& stats) const;
    uint64_t hits = 0;
    uint64_t misses = 0;

private:
    CacheArray array_;
};

struct CacheAccess {
    CacheLevel level;
    uint32_t latency;
};

class CacheHierarchy {
public:
    CacheHierarchy(const CacheConfig& config, SharedLlc& llc, const PhysicalMemory& memory, uint32_t cpu_node,
                   uint64_t seed);

    CacheAccess load(PhysAddr pa, LoadSource source, MemType type);

    uint64_t count(LoadSource source, CacheLevel level) const {
        return counts_[static_cast<unsigned>(source)][static_cast<unsigned>(level)];
    }
    uint64_t cycles(LoadSource source) const { return cycles_[static_cast<unsigned>(source)]; }
    void register_stats(StatsRegistry& stats, const std::string& scope) const;

private:
    CacheArray l1d_, l2_;
    SharedLlc& llc_;
    const PhysicalMemory& memory_;
    uint32_t cpu_node_;
    uint32_t dram_latency_;
    uint32_t remote_extra_;
    // Loads served per source and level; remote DRAM and uncached loads separately.
    std::array<std::array<uint64_t, kCacheLevelCount>, 2> counts_{};
    std::array<uint64_t, 2> remote_dram_{};
    std::array<uint64_t, 2> uncached_{};
    std::array<uint64_t, 2> cycles_{};
};

}  // namespace simx
