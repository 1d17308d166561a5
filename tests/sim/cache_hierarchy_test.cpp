// Unit tests for sim/mmu/cache_hierarchy.h: where each load is served and what
// it costs (L1D, L2, shared LLC, local and remote DRAM), uncacheable memory
// types, the per-source counters, and LLC sharing between CPUs.
#include "sim/mmu/cache_hierarchy.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "sim/machine/phys_mem.h"
#include "sim/machine/sim_error.h"
#include "sim/machine/stats.h"

namespace simx {
namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint64_t kNode1 = 64 * kMiB;  // first address of NUMA node 1

// Latencies are set here, not taken from the defaults. Geometry:
//   L1D 32 KiB, 8 ways  -> 64 sets:   lines 4 KiB apart share an L1D set
//   L2 256 KiB, 4 ways  -> 1024 sets: lines 64 KiB apart share an L2 set
//   LLC 2 MiB, 16 ways  -> 2048 sets
CacheConfig config() {
    CacheConfig c;
    c.l1d = {32 * 1024, 8, 4, "lru"};
    c.l2 = {256 * 1024, 4, 12, "lru"};
    c.llc = {2 * 1024 * 1024, 16, 40, "lru"};
    c.dram_latency = 200;
    c.remote_dram_extra = 100;
    return c;
}

class CacheHierarchyTest : public ::testing::Test {
protected:
    PhysicalMemory memory_{{64 * kMiB, 64 * kMiB}};
    SharedLlc llc_{config(), 1};
    CacheHierarchy cpu0_{config(), llc_, memory_, /*cpu_node=*/0, 1};

    CacheAccess data(CacheHierarchy& h, uint64_t pa, MemType t = MemType::kWB) {
        return h.load(PhysAddr{pa}, LoadSource::kData, t);
    }
};

void expect_access(const CacheAccess& a, CacheLevel level, uint32_t latency) {
    EXPECT_EQ(a.level, level);
    EXPECT_EQ(a.latency, latency);
}

TEST_F(CacheHierarchyTest, FirstLoadGoesToDramThenHitsL1d) {
    expect_access(data(cpu0_, 0x1000), CacheLevel::kDRAM, 200);
    expect_access(data(cpu0_, 0x1000), CacheLevel::kL1D, 4);
    // Any byte of the same 64-byte line hits; the next line does not.
    expect_access(data(cpu0_, 0x103f), CacheLevel::kL1D, 4);
    expect_access(data(cpu0_, 0x1040), CacheLevel::kDRAM, 200);
    EXPECT_EQ(llc_.misses, 2u);
    EXPECT_EQ(llc_.hits, 0u);
}

TEST_F(CacheHierarchyTest, EvictedFromL1dHitsL2) {
    // Nine lines 4 KiB apart map to one L1D set (8 ways) but to nine L2 sets.
    for (uint64_t k = 0; k < 9; ++k) expect_access(data(cpu0_, 0x100000 + k * 4096), CacheLevel::kDRAM, 200);
    // The first was the L1D set's LRU line: now an L2 hit, which refills the L1D.
    expect_access(data(cpu0_, 0x100000), CacheLevel::kL2, 12);
    expect_access(data(cpu0_, 0x100000), CacheLevel::kL1D, 4);
    EXPECT_EQ(cpu0_.count(LoadSource::kData, CacheLevel::kDRAM), 9u);
    EXPECT_EQ(cpu0_.count(LoadSource::kData, CacheLevel::kL2), 1u);
    EXPECT_EQ(cpu0_.count(LoadSource::kData, CacheLevel::kL1D), 1u);
    EXPECT_EQ(cpu0_.count(LoadSource::kData, CacheLevel::kLLC), 0u);
    EXPECT_EQ(cpu0_.cycles(LoadSource::kData), 9u * 200 + 12 + 4);
}

TEST_F(CacheHierarchyTest, EvictedFromL1dAndL2HitsLlc) {
    // Nine lines 64 KiB apart share one L1D set (8 ways) and one L2 set (4 ways);
    // the LLC (16 ways per set) keeps them all.
    for (uint64_t k = 0; k < 9; ++k) data(cpu0_, 0x200000 + k * 65536);
    expect_access(data(cpu0_, 0x200000), CacheLevel::kLLC, 40);
    expect_access(data(cpu0_, 0x200000), CacheLevel::kL1D, 4);
    EXPECT_EQ(llc_.hits, 1u);
    EXPECT_EQ(llc_.misses, 9u);
}

TEST_F(CacheHierarchyTest, UncacheableTypesAlwaysGoToDramAndFillNothing) {
    for (MemType t : {MemType::kUC, MemType::kUCMinus, MemType::kWC}) {
        expect_access(data(cpu0_, 0x3000, t), CacheLevel::kDRAM, 200);
        expect_access(data(cpu0_, 0x3000, t), CacheLevel::kDRAM, 200);
    }
    // Nothing was filled: the first cacheable load still misses everywhere.
    expect_access(data(cpu0_, 0x3000, MemType::kWB), CacheLevel::kDRAM, 200);
    // And a line that is cached is still bypassed by a UC load.
    expect_access(data(cpu0_, 0x3000, MemType::kUC), CacheLevel::kDRAM, 200);
    expect_access(data(cpu0_, 0x3000, MemType::kWB), CacheLevel::kL1D, 4);
    EXPECT_EQ(llc_.misses, 1u);  // uncached loads do not count as LLC misses
    StatsRegistry stats;
    cpu0_.register_stats(stats, "cpu0");
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.uncached"), 7u);
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.dram"), 8u);
}

TEST_F(CacheHierarchyTest, WriteThroughAndWriteProtectAreCacheable) {
    expect_access(data(cpu0_, 0x5000, MemType::kWT), CacheLevel::kDRAM, 200);
    expect_access(data(cpu0_, 0x5000, MemType::kWT), CacheLevel::kL1D, 4);
    expect_access(data(cpu0_, 0x6000, MemType::kWP), CacheLevel::kDRAM, 200);
    expect_access(data(cpu0_, 0x6000, MemType::kWP), CacheLevel::kL1D, 4);
}

TEST_F(CacheHierarchyTest, RemoteNodeAddsRemoteDramExtra) {
    expect_access(data(cpu0_, kNode1 + 0x40), CacheLevel::kDRAM, 300);
    // Once cached, the line costs the same wherever it lives.
    expect_access(data(cpu0_, kNode1 + 0x40), CacheLevel::kL1D, 4);
    // The last line of node 0 is local; the first of node 1 is remote.
    expect_access(data(cpu0_, kNode1 - 64), CacheLevel::kDRAM, 200);
    expect_access(data(cpu0_, kNode1), CacheLevel::kDRAM, 300);
    // An uncached remote load pays the penalty too.
    expect_access(data(cpu0_, kNode1 + 0x1000, MemType::kUC), CacheLevel::kDRAM, 300);

    // A CPU on node 1 sees node 1 as local and node 0 as remote.
    CacheHierarchy cpu1(config(), llc_, memory_, /*cpu_node=*/1, 2);
    expect_access(data(cpu1, kNode1 + 0x2000), CacheLevel::kDRAM, 200);
    expect_access(data(cpu1, 0x2000), CacheLevel::kDRAM, 300);

    StatsRegistry stats;
    cpu0_.register_stats(stats, "cpu0");
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.dram_remote"), 3u);
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.dram"), 4u);
    EXPECT_EQ(cpu0_.cycles(LoadSource::kData), 300u + 4 + 200 + 300 + 300);
}

TEST_F(CacheHierarchyTest, CountersPerSource) {
    StatsRegistry stats;
    cpu0_.register_stats(stats, "cpu0");
    expect_access(cpu0_.load(PhysAddr{0x8000}, LoadSource::kWalk, MemType::kWB), CacheLevel::kDRAM, 200);
    expect_access(cpu0_.load(PhysAddr{0x8000}, LoadSource::kData, MemType::kWB), CacheLevel::kL1D, 4);
    expect_access(cpu0_.load(PhysAddr{0x8008}, LoadSource::kWalk, MemType::kWB), CacheLevel::kL1D, 4);
    expect_access(cpu0_.load(PhysAddr{kNode1}, LoadSource::kWalk, MemType::kUC), CacheLevel::kDRAM, 300);

    EXPECT_EQ(cpu0_.count(LoadSource::kWalk, CacheLevel::kDRAM), 2u);
    EXPECT_EQ(cpu0_.count(LoadSource::kWalk, CacheLevel::kL1D), 1u);
    EXPECT_EQ(cpu0_.count(LoadSource::kData, CacheLevel::kL1D), 1u);
    EXPECT_EQ(cpu0_.count(LoadSource::kData, CacheLevel::kDRAM), 0u);
    EXPECT_EQ(cpu0_.cycles(LoadSource::kWalk), 200u + 4 + 300);
    EXPECT_EQ(cpu0_.cycles(LoadSource::kData), 4u);

    EXPECT_EQ(stats.value("cpu0", "cache.walk_loads.dram"), 2u);
    EXPECT_EQ(stats.value("cpu0", "cache.walk_loads.l1d"), 1u);
    EXPECT_EQ(stats.value("cpu0", "cache.walk_loads.l2"), 0u);
    EXPECT_EQ(stats.value("cpu0", "cache.walk_loads.llc"), 0u);
    EXPECT_EQ(stats.value("cpu0", "cache.walk_loads.dram_remote"), 1u);
    EXPECT_EQ(stats.value("cpu0", "cache.walk_loads.uncached"), 1u);
    EXPECT_EQ(stats.value("cpu0", "cache.walk_loads.cycles"), 504u);
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.l1d"), 1u);
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.dram"), 0u);
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.uncached"), 0u);
    EXPECT_EQ(stats.value("cpu0", "cache.data_loads.cycles"), 4u);
}

TEST_F(CacheHierarchyTest, TwoCpusShareTheLlc) {
    CacheHierarchy cpu1(config(), llc_, memory_, /*cpu_node=*/0, 2);
    expect_access(data(cpu0_, 0x9000), CacheLevel::kDRAM, 200);
    // CPU1's private levels are cold, but the line is in the shared LLC.
    expect_access(data(cpu1, 0x9000), CacheLevel::kLLC, 40);
    expect_access(data(cpu1, 0x9000), CacheLevel::kL1D, 4);
    // A line CPU1 brings in is an LLC hit for CPU0.
    expect_access(data(cpu1, 0xa000), CacheLevel::kDRAM, 200);
    expect_access(data(cpu0_, 0xa000), CacheLevel::kLLC, 40);
    EXPECT_EQ(llc_.hits, 2u);
    EXPECT_EQ(llc_.misses, 2u);

    StatsRegistry stats;
    llc_.register_stats(stats);
    EXPECT_EQ(stats.value("machine", "llc.hits"), 2u);
    EXPECT_EQ(stats.value("machine", "llc.misses"), 2u);
    EXPECT_EQ(cpu1.count(LoadSource::kData, CacheLevel::kLLC), 1u);
    EXPECT_EQ(cpu0_.count(LoadSource::kData, CacheLevel::kLLC), 1u);
}

TEST_F(CacheHierarchyTest, LoadOutsideRamThrows) {
    EXPECT_THROW(data(cpu0_, 128 * kMiB), SimError);
}

}  // namespace
}  // namespace simx
