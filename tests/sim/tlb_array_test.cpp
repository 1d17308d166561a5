// Unit tests for sim/tlb/tlb_array.h: tags (VPN, PCID, G), set conflicts,
// replacement of the same page, page invalidation with predicates, splintered
// entries and the array's counters.
#include "sim/tlb/tlb_array.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "sim/machine/sim_error.h"
#include "sim/machine/stats.h"

namespace simx {
namespace {

constexpr uint8_t bit(PageSize s) { return static_cast<uint8_t>(1u << static_cast<unsigned>(s)); }
constexpr uint64_t k4K = 4096;
constexpr uint64_t k2M = uint64_t{1} << 21;
constexpr uint64_t k1G = uint64_t{1} << 30;

// An entry of `size` for the page containing va, from a leaf of leaf_size.
TlbEntry entry(uint64_t va, uint64_t frame, uint16_t pcid, PageSize size = PageSize::k4K,
               PageSize leaf_size = PageSize::k4K, bool global = false) {
    TlbEntry e;
    e.vpn = va >> page_shift(size);
    e.leaf_vpn = va >> page_shift(leaf_size);
    e.frame = frame;
    e.pcid = pcid;
    e.size = size;
    e.leaf_size = leaf_size;
    e.global = global;
    e.valid = true;
    return e;
}

const auto kAll = [](const TlbEntry&) { return true; };

// 16 entries, 4 ways: 4 sets; a 4K page's set is vpn & 3.
TlbArray small_4k(const std::string& policy = "lru") {
    return TlbArray("dtlb_4k", TlbArrayConfig{16, 4, 3, policy}, bit(PageSize::k4K), 1);
}

TEST(TlbArrayTest, FillThenLookupByVpnAndPcid) {
    TlbArray a = small_4k();
    EXPECT_TRUE(a.enabled());
    EXPECT_TRUE(a.holds(PageSize::k4K));
    EXPECT_FALSE(a.holds(PageSize::k2M));
    EXPECT_EQ(a.hit_latency(), 3u);
    EXPECT_EQ(a.name(), "dtlb_4k");

    a.fill(entry(0x7000, 0xabc000, /*pcid=*/1));
    TlbEntry* e = a.lookup(0x7123, 1);
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(e->frame, 0xabc000u);
    EXPECT_EQ(e->vpn, 7u);
    EXPECT_EQ(a.lookup(0x7fff, 1), e);
    EXPECT_EQ(a.lookup(0x7123, 2), nullptr);  // another PCID
    EXPECT_EQ(a.lookup(0x8000, 1), nullptr);  // next page
    EXPECT_EQ(a.lookup(0x6fff, 1), nullptr);  // previous page
    EXPECT_EQ(a.stats().hits, 2u);
    EXPECT_EQ(a.stats().fills, 1u);
    EXPECT_EQ(a.valid_count(), 1u);
}

TEST(TlbArrayTest, GlobalEntriesMatchAnyPcid) {
    TlbArray a = small_4k();
    a.fill(entry(0x1000, 0x5000, /*pcid=*/3, PageSize::k4K, PageSize::k4K, /*global=*/true));
    a.fill(entry(0x2000, 0x6000, /*pcid=*/3));
    for (uint16_t pcid : {uint16_t{0}, uint16_t{3}, uint16_t{4095}}) {
        TlbEntry* g = a.lookup(0x1000, pcid);
        ASSERT_NE(g, nullptr) << pcid;
        EXPECT_EQ(g->frame, 0x5000u);
    }
    EXPECT_NE(a.lookup(0x2000, 3), nullptr);
    EXPECT_EQ(a.lookup(0x2000, 0), nullptr);
}

TEST(TlbArrayTest, SetConflictEvictsLruAndCounts) {
    TlbArray a = small_4k();
    // VPNs 0, 4, 8, 12 fill set 0; VPN 1 goes to set 1.
    for (uint64_t vpn : {0u, 4u, 8u, 12u, 1u}) a.fill(entry(vpn * k4K, vpn * 0x10000, 0));
    EXPECT_EQ(a.stats().evictions, 0u);
    EXPECT_EQ(a.valid_count(), 5u);
    ASSERT_NE(a.lookup(0, 0), nullptr);  // VPN 0 is now the most recently used of set 0
    // A fifth page in set 0 evicts its LRU entry, VPN 4.
    a.fill(entry(16 * k4K, 0x160000, 0));
    EXPECT_EQ(a.stats().evictions, 1u);
    EXPECT_EQ(a.stats().fills, 6u);
    EXPECT_EQ(a.valid_count(), 5u);
    EXPECT_EQ(a.lookup(4 * k4K, 0), nullptr);
    EXPECT_NE(a.lookup(0, 0), nullptr);
    EXPECT_NE(a.lookup(8 * k4K, 0), nullptr);
    EXPECT_NE(a.lookup(12 * k4K, 0), nullptr);
    EXPECT_NE(a.lookup(16 * k4K, 0), nullptr);
    EXPECT_NE(a.lookup(1 * k4K, 0), nullptr);
}

TEST(TlbArrayTest, RefillOfTheSamePageReplaces) {
    TlbArray a = small_4k();
    a.fill(entry(0x3000, 0x111000, 5));
    a.fill(entry(0x3000, 0x222000, 5));
    EXPECT_EQ(a.valid_count(), 1u);
    ASSERT_NE(a.lookup(0x3000, 5), nullptr);
    EXPECT_EQ(a.lookup(0x3000, 5)->frame, 0x222000u);
    EXPECT_EQ(a.stats().fills, 2u);
    EXPECT_EQ(a.stats().evictions, 0u);
    EXPECT_EQ(a.stats().invalidations, 0u);  // a replacement is not an invalidation

    // Refilling a full set replaces in place: nothing else is evicted.
    for (uint64_t vpn : {7u, 11u, 15u}) a.fill(entry(vpn * k4K, 0, 5));
    a.fill(entry(0x3000, 0x333000, 5));
    EXPECT_EQ(a.valid_count(), 4u);
    EXPECT_EQ(a.stats().evictions, 0u);

    // The same page for another PCID is a separate entry.
    TlbArray b = small_4k();
    b.fill(entry(0x3000, 0x111000, 5));
    b.fill(entry(0x3000, 0x444000, 6));
    EXPECT_EQ(b.valid_count(), 2u);
    EXPECT_EQ(b.lookup(0x3000, 5)->frame, 0x111000u);
    EXPECT_EQ(b.lookup(0x3000, 6)->frame, 0x444000u);
}

TEST(TlbArrayTest, FillOfASizeNotHeldThrows) {
    TlbArray a = small_4k();
    try {
        a.fill(entry(0, 0, 0, PageSize::k2M, PageSize::k2M));
        FAIL() << "expected a SimError";
    } catch (const SimError& e) {
        EXPECT_STREQ(e.what(), "tlb.dtlb_4k: fill of a 2m entry it cannot hold");
    }
}

TEST(TlbArrayTest, DisabledArrayMissesAndDropsFills) {
    TlbArray a("dtlb_1g", TlbArrayConfig{0, 4, 1, "lru"}, bit(PageSize::k1G), 1);
    EXPECT_FALSE(a.enabled());
    EXPECT_FALSE(a.holds(PageSize::k1G));
    a.fill(entry(k1G, 0, 0, PageSize::k1G, PageSize::k1G));
    EXPECT_EQ(a.lookup(k1G, 0), nullptr);
    EXPECT_EQ(a.invalidate_page(k1G, kAll), 0u);
    EXPECT_EQ(a.invalidate_all(kAll), 0u);
    EXPECT_EQ(a.valid_count(), 0u);
    EXPECT_EQ(a.stats().fills, 0u);
}

TEST(TlbArrayTest, BadPolicyNamesTheArray) {
    try {
        TlbArray a("stlb", TlbArrayConfig{16, 4, 1, "bogus"}, bit(PageSize::k4K), 1);
        FAIL() << "expected a SimError";
    } catch (const SimError& e) {
        EXPECT_STREQ(e.what(), "tlb.stlb: unknown replacement policy 'bogus' (known: lru, plru, random, srrip, fifo)");
    }
}

TEST(TlbArrayTest, InvalidatePageWithPredicates) {
    TlbArray a = small_4k();
    a.fill(entry(0x5000, 0xa000, 1));
    a.fill(entry(0x5000, 0xb000, 2));
    a.fill(entry(0x5000, 0xc000, 0, PageSize::k4K, PageSize::k4K, /*global=*/true));
    a.fill(entry(0x6000, 0xd000, 1));

    // Only PCID 1's entry for the page (INVPCID individual-address style).
    EXPECT_EQ(a.invalidate_page(0x5abc, [](const TlbEntry& x) { return !x.global && x.pcid == 1; }), 1u);
    EXPECT_EQ(a.valid_count(), 3u);
    EXPECT_EQ(a.lookup(0x5000, 2)->frame, 0xb000u);
    EXPECT_EQ(a.lookup(0x6000, 1)->frame, 0xd000u);  // another page untouched
    // PCID 1 now finds the global entry instead.
    EXPECT_EQ(a.lookup(0x5000, 1)->frame, 0xc000u);

    // A predicate matching nothing drops nothing.
    EXPECT_EQ(a.invalidate_page(0x5000, [](const TlbEntry& x) { return x.pcid == 9; }), 0u);
    // Everything for the page, globals included (INVLPG).
    EXPECT_EQ(a.invalidate_page(0x5fff, kAll), 2u);
    EXPECT_EQ(a.valid_count(), 1u);
    EXPECT_EQ(a.lookup(0x5000, 2), nullptr);
    EXPECT_EQ(a.stats().invalidations, 3u);

    // invalidate_all with a predicate: non-global entries of PCID 1.
    a.fill(entry(0x9000, 0xe000, 1, PageSize::k4K, PageSize::k4K, true));
    EXPECT_EQ(a.invalidate_all([](const TlbEntry& x) { return !x.global && x.pcid == 1; }), 1u);
    EXPECT_EQ(a.valid_count(), 1u);
    EXPECT_NE(a.lookup(0x9000, 7), nullptr);
    EXPECT_EQ(a.stats().invalidations, 4u);
}

TEST(TlbArrayTest, MixedSizeArrayProbesEachSize) {
    // An STLB-like array holding 4K and 2M entries: 16 entries, 4 ways, 4 sets.
    TlbArray a("stlb", TlbArrayConfig{16, 4, 9, "lru"}, bit(PageSize::k4K) | bit(PageSize::k2M), 1);
    a.fill(entry(0x40000000, 0x80000000, 0, PageSize::k2M, PageSize::k2M));
    a.fill(entry(0x7000, 0x3000, 0));
    TlbEntry* big = a.lookup(0x40000000 + k2M - 1, 0);
    ASSERT_NE(big, nullptr);
    EXPECT_EQ(big->size, PageSize::k2M);
    EXPECT_EQ(a.lookup(0x7000, 0)->size, PageSize::k4K);
    EXPECT_EQ(a.lookup(0x40000000 + k2M, 0), nullptr);
    // INVLPG of any 4K page inside the 2M page drops it.
    EXPECT_EQ(a.invalidate_page(0x40000000 + 0x123000, kAll), 1u);
    EXPECT_EQ(a.lookup(0x40000000, 0), nullptr);
    EXPECT_NE(a.lookup(0x7000, 0), nullptr);

    // Hits are also counted per size, and reported so for a mixed-size array.
    EXPECT_EQ(a.stats().hits, 3u);
    EXPECT_EQ(a.stats().hits_by_size[static_cast<unsigned>(PageSize::k4K)], 2u);
    EXPECT_EQ(a.stats().hits_by_size[static_cast<unsigned>(PageSize::k2M)], 1u);
    StatsRegistry stats;
    a.register_stats(stats, "cpu0");
    EXPECT_EQ(stats.value("cpu0", "tlb.stlb.hits_4k"), 2u);
    EXPECT_EQ(stats.value("cpu0", "tlb.stlb.hits_2m"), 1u);
    EXPECT_FALSE(stats.has("cpu0", "tlb.stlb.hits_1g"));
}

TEST(TlbArrayTest, SplinteredEntryDroppedByAnyAddressInItsLeaf) {
    // A 2M array (8 entries, 2 ways, 4 sets: set = (va >> 21) & 3) holding the
    // 2M pieces of a 1G leaf at linear 3 GiB.
    TlbArray a("itlb_2m", TlbArrayConfig{8, 2, 1, "lru"}, bit(PageSize::k2M), 1);
    const uint64_t leaf = 3 * k1G;
    const uint64_t piece = leaf + 5 * k2M;  // set 1
    a.fill(entry(piece, 0x40000000 + 5 * k2M, 0, PageSize::k2M, PageSize::k1G));
    EXPECT_TRUE(a.lookup(piece, 0)->splintered());
    // An ordinary 2M entry in set 2, in another 1G region.
    const uint64_t other = 4 * k1G + 2 * k2M;
    a.fill(entry(other, 0x1000000, 0, PageSize::k2M, PageSize::k2M));

    // An address outside the leaf does not drop the splinter, even in its set.
    EXPECT_EQ(a.invalidate_page(leaf + k1G + 5 * k2M, kAll), 0u);
    // An address in the leaf but in another 2M piece (set 2, not set 1) does.
    const uint64_t elsewhere = leaf + 2 * k2M + 0x1234;
    EXPECT_EQ(a.invalidate_page(elsewhere, kAll), 1u);
    EXPECT_EQ(a.lookup(piece, 0), nullptr);
    EXPECT_NE(a.lookup(other, 0), nullptr);  // the ordinary entry in set 2 stays
    EXPECT_EQ(a.stats().invalidations, 1u);
    // With no splinters left, a page invalidation drops only its own page.
    EXPECT_EQ(a.invalidate_page(other, kAll), 1u);
    EXPECT_EQ(a.valid_count(), 0u);
}

TEST(TlbArrayTest, EvictedOrReplacedSplinterNoLongerCounts) {
    // One set of 2 ways: a splinter evicted by two later fills, then a page
    // invalidation elsewhere in its former leaf finds nothing to drop.
    TlbArray a("dtlb_2m", TlbArrayConfig{2, 2, 1, "lru"}, bit(PageSize::k2M), 1);
    a.fill(entry(k1G, 0, 0, PageSize::k2M, PageSize::k1G));
    a.fill(entry(8 * k1G, 0, 0, PageSize::k2M, PageSize::k2M));
    a.fill(entry(9 * k1G, 0, 0, PageSize::k2M, PageSize::k2M));
    EXPECT_EQ(a.stats().evictions, 1u);
    EXPECT_EQ(a.invalidate_page(k1G + 7 * k2M, kAll), 0u);
    EXPECT_EQ(a.valid_count(), 2u);
}

TEST(TlbArrayTest, RegistersItsCounters) {
    TlbArray a = small_4k();
    StatsRegistry stats;
    a.register_stats(stats, "cpu0");
    a.fill(entry(0x1000, 0, 0));
    a.lookup(0x1000, 0);
    a.invalidate_page(0x1000, kAll);
    EXPECT_EQ(stats.value("cpu0", "tlb.dtlb_4k.hits"), 1u);
    EXPECT_EQ(stats.value("cpu0", "tlb.dtlb_4k.fills"), 1u);
    EXPECT_EQ(stats.value("cpu0", "tlb.dtlb_4k.evictions"), 0u);
    EXPECT_EQ(stats.value("cpu0", "tlb.dtlb_4k.invalidations"), 1u);
    EXPECT_FALSE(stats.has("cpu0", "tlb.dtlb_4k.hits_4k"));  // one size: no split

    // A disabled array registers nothing.
    TlbArray off("dtlb_1g", TlbArrayConfig{0, 4, 1, "lru"}, bit(PageSize::k1G), 1);
    off.register_stats(stats, "cpu0");
    EXPECT_FALSE(stats.has("cpu0", "tlb.dtlb_1g.hits"));
}

}  // namespace
}  // namespace simx
