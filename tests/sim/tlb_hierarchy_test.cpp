// Unit tests for sim/tlb/tlb_hierarchy.h: L1/STLB lookup protocol and latencies,
// fills per port and page size, splintering of 1 GiB leaves (the Skylake ITLB
// has no 1G array; a disabled dtlb_1g), invalidation of splinters, prefetch
// fills and the level counters.
#include "sim/tlb/tlb_hierarchy.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "sim/machine/stats.h"

namespace simx {
namespace {

constexpr uint64_t k4K = 4096;
constexpr uint64_t k2M = uint64_t{1} << 21;
constexpr uint64_t k1G = uint64_t{1} << 30;

// Skylake geometry with a distinct hit latency per array, so a lookup's latency
// tells which array answered.
TlbConfig config() {
    TlbConfig c;
    c.itlb_4k = {128, 8, 1, "lru"};
    c.itlb_2m = {8, 8, 1, "lru"};
    c.dtlb_4k = {64, 4, 2, "lru"};  // 16 sets
    c.dtlb_2m = {32, 4, 2, "lru"};
    c.dtlb_1g = {4, 4, 3, "lru"};
    c.stlb = {1536, 12, 9, "lru"};  // 128 sets
    c.stlb_1g = {16, 4, 10, "lru"};
    c.prefetcher = "none";
    c.prefetch_degree = 1;
    return c;
}

enum Array { kItlb4k = 0, kItlb2m, kDtlb4k, kDtlb2m, kDtlb1g, kStlb, kStlb1g };

// The leaf a walk would hand to fill(): frame = leaf page base.
TlbEntry leaf(uint64_t frame, PageSize size, uint16_t pcid = 0) {
    TlbEntry e;
    e.frame = frame;
    e.size = size;
    e.leaf_size = size;
    e.pcid = pcid;
    e.rights = Rights{true, true, false};
    return e;
}

std::array<uint32_t, 7> counts(const TlbHierarchy& t) {
    std::array<uint32_t, 7> n{};
    for (size_t i = 0; i < 7; ++i) n[i] = t.arrays()[i]->valid_count();
    return n;
}

const auto kAll = [](const TlbEntry&) { return true; };

TEST(TlbHierarchyTest, ArraysInOrder) {
    TlbHierarchy t(config(), 1);
    const char* names[] = {"itlb_4k", "itlb_2m", "dtlb_4k", "dtlb_2m", "dtlb_1g", "stlb", "stlb_1g"};
    for (size_t i = 0; i < 7; ++i) EXPECT_EQ(t.arrays()[i]->name(), names[i]);
    EXPECT_EQ(t.valid_entries(), 0u);
}

TEST(TlbHierarchyTest, FullMissReturnsLevelZero) {
    TlbHierarchy t(config(), 1);
    const TlbLookup r = t.lookup(0x401000, 0, TlbPort::kData);
    EXPECT_EQ(r.entry, nullptr);
    EXPECT_EQ(r.level, 0u);
    EXPECT_EQ(r.latency, 0u);
    EXPECT_EQ(t.level_stats(TlbPort::kData).accesses, 1u);
    EXPECT_EQ(t.level_stats(TlbPort::kData).misses, 1u);
    EXPECT_EQ(t.stlb_stats().accesses, 1u);
    EXPECT_EQ(t.stlb_stats().misses, 1u);
    EXPECT_EQ(t.level_stats(TlbPort::kInstruction).accesses, 0u);
}

TEST(TlbHierarchyTest, FillInstallsInStlbAndThePortsL1) {
    TlbHierarchy t(config(), 1);
    const uint64_t va = 0x7f1234567089;
    t.fill(va, leaf(0xabcd000, PageSize::k4K, 3), TlbPort::kData);
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 1, 0, 0, 1, 0}));

    const TlbLookup r = t.lookup(va, 3, TlbPort::kData);
    ASSERT_NE(r.entry, nullptr);
    EXPECT_EQ(r.level, 1u);
    EXPECT_EQ(r.latency, 2u);
    EXPECT_EQ(r.entry->frame, 0xabcd000u);
    EXPECT_EQ(r.entry->vpn, va >> 12);
    EXPECT_EQ(r.entry->size, PageSize::k4K);
    EXPECT_FALSE(r.entry->splintered());
    EXPECT_EQ(t.lookup(va, 4, TlbPort::kData).level, 0u);  // another PCID

    // The instruction port misses its L1, hits the STLB and refills the ITLB.
    const TlbLookup i1 = t.lookup(va, 3, TlbPort::kInstruction);
    EXPECT_EQ(i1.level, 2u);
    EXPECT_EQ(i1.latency, 9u);
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{1, 0, 1, 0, 0, 1, 0}));
    const TlbLookup i2 = t.lookup(va, 3, TlbPort::kInstruction);
    EXPECT_EQ(i2.level, 1u);
    EXPECT_EQ(i2.latency, 1u);
    EXPECT_EQ(i2.entry->frame, 0xabcd000u);
}

TEST(TlbHierarchyTest, StlbHitRefillsL1) {
    TlbHierarchy t(config(), 1);
    // Five pages 16 VPNs apart share DTLB set 0 (4 ways) but sit in five STLB sets.
    const uint64_t base = 0x100000;  // VPN 0x100
    for (uint64_t k = 0; k < 5; ++k) t.fill(base + k * 16 * k4K, leaf(0x200000 + k * k4K, PageSize::k4K), TlbPort::kData);
    EXPECT_EQ(counts(t)[kDtlb4k], 4u);
    EXPECT_EQ(counts(t)[kStlb], 5u);
    EXPECT_EQ(t.arrays()[kDtlb4k]->stats().evictions, 1u);

    // The first page was evicted from the DTLB: an STLB hit (level 2, STLB
    // latency), which refills the DTLB, then an L1 hit (level 1, L1 latency).
    const TlbLookup first = t.lookup(base + 0x10, 0, TlbPort::kData);
    ASSERT_NE(first.entry, nullptr);
    EXPECT_EQ(first.level, 2u);
    EXPECT_EQ(first.latency, 9u);
    EXPECT_EQ(first.entry->frame, 0x200000u);
    const TlbLookup second = t.lookup(base + 0x20, 0, TlbPort::kData);
    ASSERT_NE(second.entry, nullptr);
    EXPECT_EQ(second.level, 1u);
    EXPECT_EQ(second.latency, 2u);
    EXPECT_EQ(second.entry->frame, 0x200000u);
    EXPECT_NE(first.entry, second.entry);  // the STLB's entry, then the DTLB's copy

    EXPECT_EQ(t.level_stats(TlbPort::kData).accesses, 2u);
    EXPECT_EQ(t.level_stats(TlbPort::kData).misses, 1u);
    EXPECT_EQ(t.stlb_stats().accesses, 1u);
    EXPECT_EQ(t.stlb_stats().misses, 0u);
    EXPECT_EQ(t.arrays()[kStlb]->stats().hits, 1u);
    EXPECT_EQ(t.arrays()[kDtlb4k]->stats().hits, 1u);
}

TEST(TlbHierarchyTest, TwoMegabyteLeaf) {
    TlbHierarchy t(config(), 1);
    const uint64_t va = 0x7f0000200000 + 0x12345;
    t.fill(va, leaf(0x40000000, PageSize::k2M), TlbPort::kData);
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 0, 1, 0, 1, 0}));
    const TlbLookup r = t.lookup(0x7f0000200000 + k2M - 1, 0, TlbPort::kData);
    ASSERT_NE(r.entry, nullptr);
    EXPECT_EQ(r.level, 1u);
    EXPECT_EQ(r.entry->size, PageSize::k2M);
    EXPECT_EQ(r.entry->frame, 0x40000000u);
    EXPECT_EQ(t.lookup(0x7f0000200000 + k2M, 0, TlbPort::kData).level, 0u);
}

TEST(TlbHierarchyTest, OneGigabyteLeafOnDataPortUsesDtlb1g) {
    TlbHierarchy t(config(), 1);
    const uint64_t page = 5 * k1G;
    t.fill(page + 0x1234567, leaf(2 * k1G, PageSize::k1G), TlbPort::kData);
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 0, 0, 1, 0, 1}));
    const TlbLookup r = t.lookup(page + k1G - 1, 0, TlbPort::kData);
    ASSERT_NE(r.entry, nullptr);
    EXPECT_EQ(r.level, 1u);
    EXPECT_EQ(r.latency, 3u);
    EXPECT_EQ(r.entry->size, PageSize::k1G);
    EXPECT_EQ(r.entry->frame, 2 * k1G);
}

TEST(TlbHierarchyTest, OneGigabyteLeafIsSplinteredIntoThe2mItlb) {
    TlbHierarchy t(config(), 1);
    const uint64_t page = 3 * k1G;                   // linear 1G page
    const uint64_t frame = 7 * k1G;                  // physical 1G frame
    const uint64_t va = page + 5 * k2M + 0x1234;     // in its 2M piece 5
    t.fill(va, leaf(frame, PageSize::k1G), TlbPort::kInstruction);
    // Skylake has no 1G ITLB: the ITLB holds the 2M piece, the STLB the whole leaf.
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 1, 0, 0, 0, 0, 1}));

    const TlbLookup r = t.lookup(va, 0, TlbPort::kInstruction);
    ASSERT_NE(r.entry, nullptr);
    EXPECT_EQ(r.level, 1u);
    EXPECT_EQ(r.latency, 1u);
    EXPECT_EQ(r.entry->size, PageSize::k2M);
    EXPECT_EQ(r.entry->leaf_size, PageSize::k1G);
    EXPECT_TRUE(r.entry->splintered());
    EXPECT_EQ(r.entry->frame, frame + 5 * k2M);
    EXPECT_EQ(r.entry->leaf_vpn, 3u);

    // Another 2M piece of the same leaf: ITLB miss, stlb_1g hit, then a second splinter.
    const TlbLookup s = t.lookup(page + 9 * k2M, 0, TlbPort::kInstruction);
    ASSERT_NE(s.entry, nullptr);
    EXPECT_EQ(s.level, 2u);
    EXPECT_EQ(s.latency, 10u);
    EXPECT_EQ(s.entry->size, PageSize::k1G);
    const TlbLookup s2 = t.lookup(page + 9 * k2M, 0, TlbPort::kInstruction);
    EXPECT_EQ(s2.level, 1u);
    EXPECT_EQ(s2.entry->frame, frame + 9 * k2M);
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 2, 0, 0, 0, 0, 1}));

    // INVLPG of an address in neither piece but in the same 1G page drops both
    // splinters and the STLB entry.
    EXPECT_EQ(t.invalidate_page(page + 512 * (uint64_t{1} << 20) + 0x40, kAll), 3u);
    EXPECT_EQ(t.valid_entries(), 0u);
    EXPECT_EQ(t.lookup(va, 0, TlbPort::kInstruction).level, 0u);
}

TEST(TlbHierarchyTest, DisabledDtlb1gSplintersInto2mArray) {
    TlbConfig c = config();
    c.dtlb_1g.entries = 0;
    TlbHierarchy t(c, 1);
    EXPECT_FALSE(t.arrays()[kDtlb1g]->enabled());
    const uint64_t page = 2 * k1G;
    const uint64_t frame = 4 * k1G;
    t.fill(page + 3 * k2M + 8, leaf(frame, PageSize::k1G), TlbPort::kData);
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 0, 1, 0, 0, 1}));

    const TlbLookup r = t.lookup(page + 3 * k2M + k2M - 1, 0, TlbPort::kData);
    ASSERT_NE(r.entry, nullptr);
    EXPECT_EQ(r.level, 1u);
    EXPECT_EQ(r.latency, 2u);  // the 2M array's latency
    EXPECT_EQ(r.entry->size, PageSize::k2M);
    EXPECT_EQ(r.entry->frame, frame + 3 * k2M);
    // The next 2M piece comes from the STLB's 1G entry.
    const TlbLookup n = t.lookup(page + 4 * k2M, 0, TlbPort::kData);
    EXPECT_EQ(n.level, 2u);
    EXPECT_EQ(n.latency, 10u);
    EXPECT_EQ(t.lookup(page + 4 * k2M, 0, TlbPort::kData).entry->frame, frame + 4 * k2M);

    EXPECT_EQ(t.invalidate_page(page + 1000 * k2M / 2, kAll), 3u);
    EXPECT_EQ(t.valid_entries(), 0u);
}

TEST(TlbHierarchyTest, No1gArraysAtAllSplintersEverywhere) {
    TlbConfig c = config();
    c.dtlb_1g.entries = 0;
    c.stlb_1g.entries = 0;
    TlbHierarchy t(c, 1);
    const uint64_t page = k1G;
    t.fill(page + 7 * k2M, leaf(0, PageSize::k1G), TlbPort::kData);
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 0, 1, 0, 1, 0}));
    // Only piece 7 is cached anywhere.
    EXPECT_EQ(t.lookup(page + 8 * k2M, 0, TlbPort::kData).level, 0u);
    // The STLB's splinter refills the 2M DTLB once the L1 copy is gone.
    EXPECT_EQ(t.arrays()[kDtlb2m]->invalidate_all(kAll), 1u);
    const TlbLookup r = t.lookup(page + 7 * k2M + 5, 0, TlbPort::kData);
    EXPECT_EQ(r.level, 2u);
    EXPECT_EQ(r.latency, 9u);
    EXPECT_EQ(r.entry->size, PageSize::k2M);
    EXPECT_EQ(r.entry->leaf_size, PageSize::k1G);
    EXPECT_EQ(t.lookup(page + 7 * k2M, 0, TlbPort::kData).level, 1u);
    // Both splinters go with an INVLPG elsewhere in the leaf.
    EXPECT_EQ(t.invalidate_page(page, kAll), 2u);
    EXPECT_EQ(t.valid_entries(), 0u);
}

TEST(TlbHierarchyTest, PrefetchFillsOnlyTheStlbAndCountsUsefulOnFirstUse) {
    TlbHierarchy t(config(), 1);
    StatsRegistry stats;
    t.register_stats(stats, "cpu0");
    const uint64_t va = 0x5000;
    t.fill_prefetch(va, leaf(0x9000, PageSize::k4K));
    t.fill_prefetch(0x6000, leaf(0xa000, PageSize::k4K));  // never used
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 0, 0, 0, 2, 0}));
    EXPECT_EQ(stats.value("cpu0", "tlb.prefetch.fills"), 2u);
    EXPECT_EQ(stats.value("cpu0", "tlb.prefetch.useful"), 0u);

    const TlbLookup r = t.lookup(va, 0, TlbPort::kData);
    ASSERT_NE(r.entry, nullptr);
    EXPECT_EQ(r.level, 2u);
    EXPECT_EQ(r.entry->frame, 0x9000u);
    EXPECT_FALSE(r.entry->prefetched);
    EXPECT_EQ(stats.value("cpu0", "tlb.prefetch.useful"), 1u);
    // Later uses, from the L1 or again from the STLB, are not counted again.
    EXPECT_EQ(t.lookup(va, 0, TlbPort::kData).level, 1u);
    EXPECT_EQ(t.lookup(va, 0, TlbPort::kInstruction).level, 2u);
    EXPECT_EQ(stats.value("cpu0", "tlb.prefetch.useful"), 1u);

    // A demand fill is not a prefetch: its STLB hits never count as useful.
    t.fill(0x20000, leaf(0xb000, PageSize::k4K), TlbPort::kData);
    EXPECT_EQ(t.lookup(0x20000, 0, TlbPort::kInstruction).level, 2u);
    EXPECT_EQ(stats.value("cpu0", "tlb.prefetch.useful"), 1u);
    EXPECT_EQ(stats.value("cpu0", "tlb.prefetch.fills"), 2u);
}

TEST(TlbHierarchyTest, PrefetchOf1gLeafGoesToStlb1g) {
    TlbHierarchy t(config(), 1);
    t.fill_prefetch(k1G + 5, leaf(k1G, PageSize::k1G));
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 0, 0, 0, 0, 1}));
    const TlbLookup r = t.lookup(k1G + 12345, 0, TlbPort::kData);
    EXPECT_EQ(r.level, 2u);
    EXPECT_EQ(r.latency, 10u);
    // The refill of the data port goes to its 1G array.
    EXPECT_EQ(counts(t), (std::array<uint32_t, 7>{0, 0, 0, 0, 1, 0, 1}));
}

TEST(TlbHierarchyTest, LevelStatsInTheRegistry) {
    TlbConfig c = config();
    c.dtlb_1g.entries = 0;
    TlbHierarchy t(c, 1);
    StatsRegistry stats;
    t.register_stats(stats, "cpu1");
    t.fill(0x1000, leaf(0x1000, PageSize::k4K), TlbPort::kData);
    t.lookup(0x1000, 0, TlbPort::kData);         // L1 hit
    t.lookup(0x2000, 0, TlbPort::kData);         // full miss
    t.lookup(0x1000, 0, TlbPort::kInstruction);  // ITLB miss, STLB hit
    t.lookup(0x1000, 0, TlbPort::kInstruction);  // ITLB hit
    t.lookup(0x3000, 0, TlbPort::kInstruction);  // full miss
    EXPECT_EQ(stats.value("cpu1", "tlb.dtlb.accesses"), 2u);
    EXPECT_EQ(stats.value("cpu1", "tlb.dtlb.misses"), 1u);
    EXPECT_EQ(stats.value("cpu1", "tlb.itlb.accesses"), 3u);
    EXPECT_EQ(stats.value("cpu1", "tlb.itlb.misses"), 2u);
    EXPECT_EQ(stats.value("cpu1", "tlb.stlb.accesses"), 3u);
    EXPECT_EQ(stats.value("cpu1", "tlb.stlb.misses"), 2u);
    EXPECT_EQ(stats.value("cpu1", "tlb.stlb.hits"), 1u);
    EXPECT_EQ(stats.value("cpu1", "tlb.stlb.fills"), 1u);
    EXPECT_EQ(stats.value("cpu1", "tlb.dtlb_4k.hits"), 1u);
    EXPECT_EQ(stats.value("cpu1", "tlb.itlb_4k.hits"), 1u);
    EXPECT_EQ(stats.value("cpu1", "tlb.itlb_4k.fills"), 1u);
    EXPECT_FALSE(stats.has("cpu1", "tlb.dtlb_1g.hits"));  // disabled arrays register nothing
}

TEST(TlbHierarchyTest, InvalidateAllWithPredicateKeepsGlobals) {
    TlbHierarchy t(config(), 1);
    TlbEntry g = leaf(0x1000, PageSize::k4K, 1);
    g.global = true;
    t.fill(0xffff800000001000, g, TlbPort::kData);
    t.fill(0x400000, leaf(0x2000, PageSize::k4K, 1), TlbPort::kData);
    t.fill(0x400000, leaf(0x3000, PageSize::k4K, 2), TlbPort::kInstruction);
    EXPECT_EQ(t.valid_entries(), 6u);
    // MOV to CR3 without PCID preservation for PCID 1: non-global PCID-1 entries.
    EXPECT_EQ(t.invalidate_all([](const TlbEntry& e) { return !e.global && e.pcid == 1; }), 2u);
    EXPECT_EQ(t.lookup(0x400000, 1, TlbPort::kData).level, 0u);
    EXPECT_EQ(t.lookup(0xffff800000001000, 7, TlbPort::kData).level, 1u);
    EXPECT_EQ(t.lookup(0x400000, 2, TlbPort::kInstruction).level, 1u);
}

}  // namespace
}  // namespace simx
