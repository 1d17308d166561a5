// The kernel's page-table editor (kernel/mm/page_table.h), verified through the
// real simulated hardware: every edit runs on a simulated CPU, its TLB
// invalidations are performed there, and then CPU 0's MMU (sim/mmu) translates
// the addresses. The walker must find the frames, page sizes, rights (with the
// SDM's #PF error codes) and memory types the kernel meant.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "kernel/mm/page_table.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/page_table_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;

namespace {

constexpr k::CachePolicy kWB = k::CachePolicy::kWriteBack;
constexpr k::PageAttrs kUserRW{true, false, true, kWB};
constexpr k::PageAttrs kUserRO{false, false, true, kWB};
constexpr k::PageAttrs kUserRX{false, true, true, kWB};
constexpr k::PageAttrs kSupRW{true, false, false, kWB};

// 256 GiB: PML4 slot 0, 1 GiB-aligned, far from anything else.
constexpr uint64_t kVa = 0x0000'0040'0000'0000ull;
constexpr uint64_t kPa = 0x0000'0001'0000'0000ull;  // 4 GiB: frames need not be RAM

struct EditResult {
    k::PtStatus status = k::PtStatus::kOk;
    bool full = false;
    bool global = false;
    size_t freed = 0;
    std::vector<k::TlbInvalidation::Range> ranges;
};

class PageTableTest : public ::testing::Test {
protected:
    void SetUp() override {
        env_.run([&] { ASSERT_EQ(pt_.init_user(env_.tables(), env_.config(), nullptr), k::PtStatus::kOk); });
        env_.load(pt_.root());
    }
    void TearDown() override {
        if (!pt_.initialized() || HasFatalFailure()) return;
        k::TlbInvalidation inv;
        env_.run([&] {
            pt_.check_invariants();
            pt_.destroy(inv);
            k::flush_tlb_local(inv, 0);
        });
        EXPECT_EQ(env_.tables().outstanding(), 0u);
    }

    // Runs one edit on CPU 0, records what its invalidation asked for, and
    // performs it there (so the TLBs stay coherent), then checks the tree.
    template <typename Fn>
    EditResult edit(Fn&& fn) {
        EditResult r;
        k::TlbInvalidation inv;
        env_.run([&] {
            r.status = fn(inv);
            r.full = inv.full_flush();
            r.global = inv.involves_global();
            r.freed = inv.freed_table_count();
            for (uint32_t i = 0; i < inv.range_count(); ++i) r.ranges.push_back(inv.range(i));
            k::flush_tlb_local(inv, 0);
            pt_.check_invariants();
        });
        return r;
    }
    k::PtStatus map(uint64_t va, uint64_t pa, uint64_t bytes, const k::PageAttrs& a, k::PageSize s) {
        return edit([&](k::TlbInvalidation& inv) { return pt_.map(k::VirtAddr{va}, k::PhysAddr{pa}, bytes, a, s, inv); })
            .status;
    }
    EditResult unmap(uint64_t va, uint64_t bytes) {
        return edit([&](k::TlbInvalidation& inv) { return pt_.unmap(k::VirtAddr{va}, bytes, inv); });
    }
    EditResult protect(uint64_t va, uint64_t bytes, const k::PageAttrs& a) {
        return edit([&](k::TlbInvalidation& inv) { return pt_.protect(k::VirtAddr{va}, bytes, a, inv); });
    }
    EditResult demote(uint64_t va) {
        return edit([&](k::TlbInvalidation& inv) { return pt_.demote_large_page(k::VirtAddr{va}, inv); });
    }
    EditResult promote(uint64_t va, k::PageSize s) {
        return edit([&](k::TlbInvalidation& inv) { return pt_.promote_to_large_page(k::VirtAddr{va}, s, inv); });
    }
    std::string page(uint64_t va, uint64_t pa, k::PageSize s, const k::PageAttrs& a) {
        return check_page(env_.mmu(), va, pa, s, a);
    }
    std::string unmapped(uint64_t va) { return check_unmapped(env_.mmu(), va, true); }
    bool lookup(uint64_t va, k::Mapping* m) {
        bool found = false;
        env_.run([&] { found = pt_.lookup(k::VirtAddr{va}, m); });
        return found;
    }

    PageTableEnv env_;
    k::PageTable pt_;
};

TEST_F(PageTableTest, MapsEachPageSizeExactlyAsTheWalkerSeesIt) {
    ASSERT_EQ(map(kVa, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_EQ(map(kVa + k1G, kPa + k1G, k2M, kUserRO, k::PageSize::k2M), k::PtStatus::kOk);
    ASSERT_EQ(map(kVa + 2 * k1G, kPa + 2 * k1G, k1G, kUserRX, k::PageSize::k1G), k::PtStatus::kOk);

    EXPECT_EQ(page(kVa, kPa, k::PageSize::k4K, kUserRW), "");
    EXPECT_EQ(page(kVa + 0xabc, kPa + 0xabc, k::PageSize::k4K, kUserRW), "");
    EXPECT_EQ(page(kVa + k1G + k2M - 1, kPa + k1G + k2M - 1, k::PageSize::k2M, kUserRO), "");
    EXPECT_EQ(page(kVa + 2 * k1G + 0x1234567, kPa + 2 * k1G + 0x1234567, k::PageSize::k1G, kUserRX), "");
    EXPECT_EQ(unmapped(kVa + k4K), "");
    EXPECT_EQ(unmapped(kVa + k1G + k2M), "");

    // Root, PDPT, the 4 KiB page's PD and PT, the 2 MiB page's PD; the 1 GiB leaf
    // sits in the PDPT.
    EXPECT_EQ(pt_.table_pages(), 5u);
    EXPECT_EQ(env_.tables().outstanding(), 5u);

    k::Mapping m;
    ASSERT_TRUE(lookup(kVa + k1G + 0x5000, &m));
    EXPECT_EQ(m.base.value, kVa + k1G);
    EXPECT_EQ(m.frame.value, kPa + k1G);
    EXPECT_EQ(m.size, k::PageSize::k2M);
    EXPECT_EQ(m.attrs, kUserRO);
    EXPECT_FALSE(m.global);
    EXPECT_TRUE(m.accessed);  // the walker set A when it translated the page
    EXPECT_FALSE(lookup(kVa + 3 * k1G, &m));
}

TEST_F(PageTableTest, EveryCachePolicySelectsItsMemoryTypeAtEverySize) {
    // WT and WP need the PAT bit: bit 7 in a PTE, bit 12 in a large leaf.
    const k::CachePolicy policies[] = {k::CachePolicy::kWriteBack,     k::CachePolicy::kWriteCombining,
                                       k::CachePolicy::kUncachedMinus, k::CachePolicy::kUncached,
                                       k::CachePolicy::kWriteThrough,  k::CachePolicy::kWriteProtected};
    uint64_t va = kVa;
    for (k::CachePolicy p : policies) {
        const k::PageAttrs a{true, false, true, p};
        for (k::PageSize s : {k::PageSize::k4K, k::PageSize::k2M, k::PageSize::k1G}) {
            const uint64_t bytes = k::page_bytes(s);
            ASSERT_EQ(map(va, kPa + (va - kVa), bytes, a, s), k::PtStatus::kOk);
            EXPECT_EQ(page(va, kPa + (va - kVa), s, a), "") << static_cast<int>(p);
            va += k1G;
        }
    }
    EXPECT_EQ(env_.mmu().regs().pat, k::pat::kernel_pat_value());
}

TEST_F(PageTableTest, RightsAreEnforcedWithTheSdmErrorCodes) {
    ASSERT_EQ(map(kVa, kPa, 4 * k4K, kUserRO, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_EQ(map(kVa + k2M, kPa, k4K, kSupRW, k::PageSize::k4K), k::PtStatus::kOk);
    const Translation w = env_.translate(kVa, kUserWrite);
    EXPECT_EQ(w.error_code, pf::kPresent | pf::kWrite | pf::kUser);
    const Translation x = env_.translate(kVa, kUserFetch);  // XD with EFER.NXE: I/D is reported
    EXPECT_EQ(x.error_code, pf::kPresent | pf::kFetch | pf::kUser);
    EXPECT_TRUE(env_.translate(kVa + k2M, kSupWrite).ok());
    const Translation u = env_.translate(kVa + k2M, kUserRead);  // a supervisor page
    EXPECT_EQ(u.error_code, pf::kPresent | pf::kUser);
    EXPECT_EQ(page(kVa + k2M, kPa, k::PageSize::k4K, kSupRW), "");
}

TEST_F(PageTableTest, MapRefusesMisalignmentOverlapAndBadRanges) {
    EXPECT_EQ(map(kVa + k4K, kPa, k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kMisaligned);
    EXPECT_EQ(map(kVa, kPa + k4K, k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kMisaligned);
    EXPECT_EQ(map(kVa, kPa, k4K + 1, kUserRW, k::PageSize::k4K), k::PtStatus::kMisaligned);
    EXPECT_EQ(map(kVa, kPa, 0, kUserRW, k::PageSize::k4K), k::PtStatus::kBadRange);
    EXPECT_EQ(map(0xffff'8000'0000'0000ull, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kBadRange);
    EXPECT_EQ(map(0x0000'7fff'ffff'f000ull, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kBadRange);  // guard
    EXPECT_EQ(map(kVa, uint64_t{1} << 39, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kFrameOutOfRange);
    EXPECT_EQ(map(kVa, kPa, k4K, {true, true, false, kWB}, k::PageSize::k4K), k::PtStatus::kWriteExecute);
    EXPECT_EQ(env_.tables().outstanding(), 1u) << "a refused map allocates nothing";

    ASSERT_EQ(map(kVa, kPa, k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kOk);
    EXPECT_EQ(map(kVa + 8 * k4K, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kAlreadyMapped);
    EXPECT_EQ(map(kVa, kPa, k2M, kUserRO, k::PageSize::k2M), k::PtStatus::kAlreadyMapped);
    EXPECT_EQ(map(kVa, kPa, k1G, kUserRW, k::PageSize::k1G), k::PtStatus::kAlreadyMapped);
    ASSERT_EQ(map(kVa + k1G + 5 * k4K, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    EXPECT_EQ(map(kVa + k1G, kPa, k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kAlreadyMapped);
    EXPECT_EQ(page(kVa, kPa, k::PageSize::k2M, kUserRW), "") << "the mapping was not replaced";

    // All or nothing: pages 0..4 would map, page 5 is taken.
    const uint64_t before = env_.tables().outstanding();
    EXPECT_EQ(map(kVa + k1G, kPa, 16 * k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kAlreadyMapped);
    for (int i = 0; i < 5; ++i) EXPECT_EQ(unmapped(kVa + k1G + i * k4K), "");
    EXPECT_EQ(env_.tables().outstanding(), before);
}

TEST_F(PageTableTest, MapLargestPicksTheLargestLeafAlignmentAllows) {
    const uint64_t va = kVa + k1G - k2M - 2 * k4K;
    const uint64_t pa = kPa + k1G - k2M - 2 * k4K;  // same offset in its gigabyte as va
    const uint64_t bytes = 2 * k4K + k2M + k1G + k2M + k4K;
    k::PtStatus s;
    s = edit([&](k::TlbInvalidation& inv) {
            return pt_.map_largest(k::VirtAddr{va}, k::PhysAddr{pa}, bytes, kUserRW, inv);
        }).status;
    ASSERT_EQ(s, k::PtStatus::kOk);
    const struct {
        uint64_t offset;
        k::PageSize size;
    } expect[] = {{0, k::PageSize::k4K},           {k4K, k::PageSize::k4K},
                  {2 * k4K, k::PageSize::k2M},     {2 * k4K + k2M, k::PageSize::k1G},
                  {2 * k4K + k2M + k1G, k::PageSize::k2M}, {2 * k4K + 2 * k2M + k1G, k::PageSize::k4K}};
    for (const auto& e : expect) EXPECT_EQ(page(va + e.offset, pa + e.offset, e.size, kUserRW), "") << e.offset;
    EXPECT_EQ(unmapped(va + bytes), "");

    // A frame misaligned against va by 4 KiB allows 4 KiB leaves only.
    const uint64_t va2 = kVa + 4 * k1G;
    s = edit([&](k::TlbInvalidation& inv) {
            return pt_.map_largest(k::VirtAddr{va2}, k::PhysAddr{kPa + k4K}, 2 * k2M, kUserRW, inv);
        }).status;
    ASSERT_EQ(s, k::PtStatus::kOk);
    EXPECT_EQ(page(va2 + k2M + 7 * k4K, kPa + k4K + k2M + 7 * k4K, k::PageSize::k4K, kUserRW), "");
}

TEST_F(PageTableTest, UnmapGivesNotPresentFaultsAndHandsTablesBack) {
    ASSERT_EQ(map(kVa, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_EQ(map(kVa + k1G, kPa, k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kOk);
    ASSERT_EQ(map(kVa + 2 * k1G, kPa, k1G, kUserRW, k::PageSize::k1G), k::PtStatus::kOk);
    for (uint64_t off : {uint64_t{0}, k1G, 2 * k1G}) ASSERT_TRUE(env_.translate(kVa + off, kUserRead).ok());

    EditResult r = unmap(kVa, k4K);
    ASSERT_EQ(r.status, k::PtStatus::kOk);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_EQ(r.ranges[0].start.value, kVa);
    EXPECT_EQ(r.ranges[0].pages, 1u);
    EXPECT_EQ(r.ranges[0].size, k::PageSize::k4K);
    EXPECT_EQ(r.freed, 2u) << "the PT and the PD it emptied";
    EXPECT_FALSE(r.full);
    EXPECT_FALSE(r.global);
    EXPECT_EQ(unmapped(kVa), "");

    r = unmap(kVa + k1G, k2M);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_EQ(r.ranges[0].size, k::PageSize::k2M);
    EXPECT_EQ(r.freed, 1u);
    EXPECT_EQ(unmapped(kVa + k1G + 12345), "");

    r = unmap(kVa + 2 * k1G, k1G);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_EQ(r.ranges[0].size, k::PageSize::k1G);
    EXPECT_EQ(r.freed, 1u) << "the PDPT";
    EXPECT_EQ(unmapped(kVa + 2 * k1G + k1G / 2), "");
    EXPECT_EQ(env_.tables().outstanding(), 1u) << "only the root is left";

    r = unmap(kVa, 4 * k1G);  // nothing there: nothing to invalidate
    EXPECT_EQ(r.status, k::PtStatus::kOk);
    EXPECT_TRUE(r.ranges.empty());
    EXPECT_FALSE(r.full);
}

TEST_F(PageTableTest, WithoutTheFlushTheSimulatedTlbKeepsAStaleTranslation) {
    // The check that makes every other test meaningful: the sim's TLB really
    // caches, so only the invalidations the editor reports make an edit visible.
    ASSERT_EQ(map(kVa, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_TRUE(env_.translate(kVa, kUserRead).ok());
    k::TlbInvalidation inv;
    env_.run([&] { ASSERT_EQ(pt_.unmap(k::VirtAddr{kVa}, k4K, inv), k::PtStatus::kOk); });
    const Translation stale = env_.translate(kVa, kUserRead);
    EXPECT_TRUE(stale.ok());
    EXPECT_NE(stale.tlb_level, 0);
    EXPECT_EQ(env_.tables().releases(), 0u) << "tables wait for the flush";
    env_.flush(inv);
    EXPECT_EQ(env_.tables().releases(), 3u);
    EXPECT_EQ(unmapped(kVa), "");
}

TEST_F(PageTableTest, UnmapInsideALargePageDemotesItFirst) {
    ASSERT_EQ(map(kVa, kPa, k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kOk);
    ASSERT_TRUE(env_.translate(kVa + 4 * k4K, kUserRead).ok());
    EditResult r = unmap(kVa + k4K, 2 * k4K);
    ASSERT_EQ(r.status, k::PtStatus::kOk);
    ASSERT_EQ(r.ranges.size(), 2u);
    EXPECT_EQ(r.ranges[0].size, k::PageSize::k2M) << "the demoted large page";
    EXPECT_EQ(r.ranges[1].start.value, kVa + k4K);
    EXPECT_EQ(r.ranges[1].pages, 2u);
    EXPECT_EQ(page(kVa, kPa, k::PageSize::k4K, kUserRW), "");
    EXPECT_EQ(unmapped(kVa + k4K), "");
    EXPECT_EQ(unmapped(kVa + 2 * k4K), "");
    for (uint64_t off = 3 * k4K; off < k2M; off += 61 * k4K)
        EXPECT_EQ(page(kVa + off, kPa + off, k::PageSize::k4K, kUserRW), "") << off;

    // A 4 KiB hole in a 1 GiB page: 1 GiB -> 2 MiB -> 4 KiB around it only.
    const uint64_t g = kVa + k1G;
    ASSERT_EQ(map(g, 2 * kPa, k1G, kUserRO, k::PageSize::k1G), k::PtStatus::kOk);
    ASSERT_EQ(unmap(g + 5 * k2M + 9 * k4K, k4K).status, k::PtStatus::kOk);
    EXPECT_EQ(unmapped(g + 5 * k2M + 9 * k4K), "");
    EXPECT_EQ(page(g + 5 * k2M + 8 * k4K, 2 * kPa + 5 * k2M + 8 * k4K, k::PageSize::k4K, kUserRO), "");
    EXPECT_EQ(page(g + 6 * k2M, 2 * kPa + 6 * k2M, k::PageSize::k2M, kUserRO), "");
    EXPECT_EQ(page(g + k1G - 1, 2 * kPa + k1G - 1, k::PageSize::k2M, kUserRO), "");
}

TEST_F(PageTableTest, ProtectChangesRightsAndMemoryTypeAsTheWalkerSeesIt) {
    ASSERT_EQ(map(kVa, kPa, 8 * k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    for (int i = 0; i < 8; ++i) ASSERT_TRUE(env_.translate(kVa + i * k4K, kUserWrite).ok());
    const k::PageAttrs rx_wc{false, true, true, k::CachePolicy::kWriteCombining};
    EditResult r = protect(kVa + 2 * k4K, 4 * k4K, rx_wc);
    ASSERT_EQ(r.status, k::PtStatus::kOk);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_EQ(r.ranges[0].pages, 4u);
    for (int i = 0; i < 8; ++i) {
        const bool changed = i >= 2 && i < 6;
        EXPECT_EQ(page(kVa + i * k4K, kPa + i * k4K, k::PageSize::k4K, changed ? rx_wc : kUserRW), "") << i;
    }
    r = protect(kVa + 2 * k4K, 4 * k4K, rx_wc);
    EXPECT_TRUE(r.ranges.empty()) << "nothing changed, nothing to invalidate";

    // Part of a large page: split, then changed; the whole of one: no split.
    ASSERT_EQ(map(kVa + k1G, kPa, 2 * k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kOk);
    const uint64_t tables = env_.tables().outstanding();
    r = protect(kVa + k1G, k2M, kUserRO);
    EXPECT_EQ(env_.tables().outstanding(), tables);
    EXPECT_EQ(page(kVa + k1G + 77, kPa + 77, k::PageSize::k2M, kUserRO), "");
    r = protect(kVa + k1G + k2M + k4K, k4K, kUserRX);
    EXPECT_EQ(env_.tables().outstanding(), tables + 1);
    EXPECT_EQ(page(kVa + k1G + k2M, kPa + k2M, k::PageSize::k4K, kUserRW), "");
    EXPECT_EQ(page(kVa + k1G + k2M + k4K, kPa + k2M + k4K, k::PageSize::k4K, kUserRX), "");
    // The straddling leaf already has the rights asked for: it stays whole.
    r = protect(kVa + k1G + k4K, 3 * k4K, kUserRO);
    EXPECT_TRUE(r.ranges.empty());
    EXPECT_EQ(page(kVa + k1G + k4K, kPa + k4K, k::PageSize::k2M, kUserRO), "");
    EXPECT_EQ(protect(kVa, k4K, {true, true, false, kWB}).status, k::PtStatus::kWriteExecute);
}

TEST_F(PageTableTest, DemoteKeepsEveryFrameRightAndMemoryType) {
    const k::PageAttrs wt{false, true, true, k::CachePolicy::kWriteThrough};
    ASSERT_EQ(map(kVa, kPa, k2M, wt, k::PageSize::k2M), k::PtStatus::kOk);
    EditResult r = demote(kVa + 0x1234);
    ASSERT_EQ(r.status, k::PtStatus::kOk);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_EQ(r.ranges[0].start.value, kVa);
    EXPECT_EQ(r.ranges[0].size, k::PageSize::k2M);
    for (uint64_t off = 0; off < k2M; off += k4K) {
        const std::string e = page(kVa + off, kPa + off, k::PageSize::k4K, wt);
        ASSERT_EQ(e, "") << off;
    }
    EXPECT_EQ(demote(kVa).status, k::PtStatus::kNotLarge);
    EXPECT_EQ(demote(kVa + k1G).status, k::PtStatus::kNotMapped);

    // 1 GiB -> 512 x 2 MiB, write-protected type, dirty bit carried over.
    const k::PageAttrs wp{true, false, true, k::CachePolicy::kWriteProtected};
    ASSERT_EQ(map(kVa + k1G, 4 * kPa, k1G, wp, k::PageSize::k1G), k::PtStatus::kOk);
    ASSERT_TRUE(env_.translate(kVa + k1G + 5, kUserWrite).ok());
    ASSERT_EQ(demote(kVa + k1G + k1G / 2).status, k::PtStatus::kOk);
    for (uint64_t off = 0; off < k1G; off += k2M)
        ASSERT_EQ(page(kVa + k1G + off, 4 * kPa + off, k::PageSize::k2M, wp), "") << off;
    k::Mapping m;
    ASSERT_TRUE(lookup(kVa + k1G + 300 * k2M, &m));
    EXPECT_TRUE(m.dirty);
}

TEST_F(PageTableTest, PromoteJoinsContiguousIdenticalEntries) {
    ASSERT_EQ(map(kVa, kPa, k2M, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_TRUE(env_.translate(kVa + 17 * k4K, kUserWrite).ok());  // D in one small entry
    const uint64_t tables = env_.tables().outstanding();
    EditResult r = promote(kVa, k::PageSize::k2M);
    ASSERT_EQ(r.status, k::PtStatus::kOk) << k::describe(r.status);
    EXPECT_TRUE(r.full) << "512 pages is past the 33-page ceiling";
    EXPECT_EQ(r.freed, 1u);
    EXPECT_EQ(env_.tables().outstanding(), tables - 1);
    EXPECT_EQ(page(kVa + 0x1fffff, kPa + 0x1fffff, k::PageSize::k2M, kUserRW), "");
    k::Mapping m;
    ASSERT_TRUE(lookup(kVa, &m));
    EXPECT_TRUE(m.dirty);
    EXPECT_EQ(promote(kVa, k::PageSize::k2M).status, k::PtStatus::kAlreadyLarge);

    // 512 x 2 MiB -> 1 GiB, and back and forth.
    const uint64_t g = kVa + k1G;
    ASSERT_EQ(map(g, 2 * kPa, k1G, kUserRX, k::PageSize::k2M), k::PtStatus::kOk);
    ASSERT_EQ(promote(g, k::PageSize::k1G).status, k::PtStatus::kOk);
    EXPECT_EQ(page(g + 0x3fff'ffff, 2 * kPa + 0x3fff'ffff, k::PageSize::k1G, kUserRX), "");
    ASSERT_EQ(demote(g).status, k::PtStatus::kOk);
    ASSERT_EQ(promote(g, k::PageSize::k1G).status, k::PtStatus::kOk);
    EXPECT_EQ(page(g + 12345, 2 * kPa + 12345, k::PageSize::k1G, kUserRX), "");
}

TEST_F(PageTableTest, PromoteRefusesWithTheReason) {
    const uint64_t a = kVa, b = kVa + k2M, c = kVa + 2 * k2M, d = kVa + 3 * k2M;
    // A hole.
    ASSERT_EQ(map(a, kPa, k2M - k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    EXPECT_EQ(promote(a, k::PageSize::k2M).status, k::PtStatus::kNotAllPresent);
    // Frames out of order.
    ASSERT_EQ(map(b, kPa, k2M - 2 * k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_EQ(map(b + k2M - 2 * k4K, kPa + k2M - k4K, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_EQ(map(b + k2M - k4K, kPa + k2M - 2 * k4K, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    EXPECT_EQ(promote(b, k::PageSize::k2M).status, k::PtStatus::kNotContiguous);
    // One page with other rights.
    ASSERT_EQ(map(c, kPa, k2M, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_EQ(protect(c + 100 * k4K, k4K, kUserRO).status, k::PtStatus::kOk);
    EXPECT_EQ(promote(c, k::PageSize::k2M).status, k::PtStatus::kAttributesDiffer);
    // Contiguous, but from a frame that is not 2 MiB-aligned.
    ASSERT_EQ(map(d, kPa + k4K, k2M, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    EXPECT_EQ(promote(d, k::PageSize::k2M).status, k::PtStatus::kFrameMisaligned);
    // 1 GiB over 2 MiB slots of which some are tables.
    EXPECT_EQ(promote(kVa, k::PageSize::k1G).status, k::PtStatus::kNotAllPresent);
    const uint64_t g = kVa + k1G;
    ASSERT_EQ(map(g, kPa, k2M, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    ASSERT_EQ(map(g + k2M, kPa + k2M, k1G - k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kOk);
    EXPECT_EQ(promote(g, k::PageSize::k1G).status, k::PtStatus::kNotLeaf);
    EXPECT_EQ(promote(kVa + 2 * k1G, k::PageSize::k2M).status, k::PtStatus::kNotMapped);
    EXPECT_EQ(promote(kVa + k4K, k::PageSize::k2M).status, k::PtStatus::kMisaligned);
    EXPECT_EQ(promote(kVa, k::PageSize::k4K).status, k::PtStatus::kSizeUnsupported);
    // Refusals change nothing.
    EXPECT_EQ(page(b + k2M - k4K, kPa + k2M - 2 * k4K, k::PageSize::k4K, kUserRW), "");
    EXPECT_EQ(page(c + 100 * k4K, kPa + 100 * k4K, k::PageSize::k4K, kUserRO), "");
    EXPECT_EQ(page(g + k2M, kPa + k2M, k::PageSize::k2M, kUserRW), "");
}

TEST_F(PageTableTest, InvalidationRecordsFollowLinuxsCeiling) {
    ASSERT_EQ(map(kVa, kPa, 64 * k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    EditResult r = unmap(kVa, 33 * k4K);
    EXPECT_FALSE(r.full);
    ASSERT_EQ(r.ranges.size(), 1u);
    EXPECT_EQ(r.ranges[0].pages, 33u);
    ASSERT_EQ(map(kVa, kPa, 33 * k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    r = unmap(kVa, 34 * k4K);
    EXPECT_TRUE(r.full);
    EXPECT_TRUE(r.ranges.empty());
    // Nine separate pages: more ranges than the record holds.
    ASSERT_EQ(map(kVa + k1G, kPa, 32 * k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    k::TlbInvalidation gather;
    env_.run([&] {
        for (int i = 0; i < 8; ++i) ASSERT_EQ(pt_.unmap(k::VirtAddr{kVa + k1G + 2 * i * k4K}, k4K, gather), k::PtStatus::kOk);
        EXPECT_EQ(gather.range_count(), 8u);
        EXPECT_FALSE(gather.full_flush());
        k::TlbInvalidation one;
        ASSERT_EQ(pt_.unmap(k::VirtAddr{kVa + k1G + 30 * k4K}, k4K, one), k::PtStatus::kOk);
        gather.absorb(one);
        EXPECT_TRUE(gather.full_flush());
        EXPECT_TRUE(one.empty());
        k::flush_tlb_local(gather, 0);
    });
    EXPECT_EQ(unmapped(kVa + k1G + 30 * k4K), "");
}

TEST_F(PageTableTest, AFailedAllocationLeavesNothingBehind) {
    ASSERT_EQ(map(kVa + k2M, kPa, k4K, kUserRW, k::PageSize::k4K), k::PtStatus::kOk);
    const uint64_t tables = env_.tables().outstanding();
    // Spans three PTs (one exists) and a second PD: fails at the third new table.
    env_.tables().fail_after(env_.tables().allocations() + 2);
    EXPECT_EQ(map(kVa + k2M + k4K, kPa, k1G, kUserRW, k::PageSize::k4K), k::PtStatus::kNoMemory);
    EXPECT_EQ(env_.tables().outstanding(), tables);
    EXPECT_EQ(unmapped(kVa + k2M + k4K), "");
    EXPECT_EQ(page(kVa + k2M, kPa, k::PageSize::k4K, kUserRW), "");
    // A split that cannot get its table changes nothing.
    env_.tables().never_fail();
    ASSERT_EQ(map(kVa + k1G, kPa, k2M, kUserRW, k::PageSize::k2M), k::PtStatus::kOk);
    env_.tables().fail_after(env_.tables().allocations());
    EXPECT_EQ(unmap(kVa + k1G + k4K, k4K).status, k::PtStatus::kNoMemory);
    EXPECT_EQ(protect(kVa + k1G, k4K, kUserRO).status, k::PtStatus::kNoMemory);
    EXPECT_EQ(demote(kVa + k1G).status, k::PtStatus::kNoMemory);
    EXPECT_EQ(page(kVa + k1G + k4K, kPa + k4K, k::PageSize::k2M, kUserRW), "");
    env_.tables().never_fail();
    EXPECT_GT(env_.tables().refused(), 0u);
}

// ---------------------------------------------------------------- the checker

// A host-side walk to the entry that maps va at `level` (for corrupting it).
uint64_t entry_address(PhysicalMemory& mem, uint64_t root, uint64_t va, unsigned level, unsigned top = 4) {
    uint64_t t = root;
    for (unsigned l = top; l > level; --l) t = mem.read64(PhysAddr{t + k::table_index(va, l) * 8}) & k::Pte::kAddressBits;
    return t + k::table_index(va, level) * 8;
}

void expect_check_panics(const std::function<void(PageTableEnv&, k::PageTable&)>& corrupt, const std::string& why) {
    PageTableEnv env;
    k::PageTable pt;
    env.run([&] {
        ASSERT_EQ(pt.init_user(env.tables(), env.config(), nullptr), k::PtStatus::kOk);
        k::TlbInvalidation inv;
        ASSERT_EQ(pt.map(k::VirtAddr{kVa}, k::PhysAddr{kPa}, 2 * k2M, kUserRW, k::PageSize::k4K, inv), k::PtStatus::kOk);
        ASSERT_EQ(pt.map(k::VirtAddr{kVa + k1G}, k::PhysAddr{kPa}, k2M, kUserRW, k::PageSize::k2M, inv),
                  k::PtStatus::kOk);
        pt.check_invariants();
    });
    corrupt(env, pt);
    try {
        env.run([&] { pt.check_invariants(); });
        ADD_FAILURE() << "check_invariants missed: " << why;
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
}

TEST(PageTableCheck, CatchesEveryKindOfCorruption) {
    expect_check_panics(
        [](PageTableEnv& env, k::PageTable& pt) {
            const uint64_t pte = entry_address(env.km().machine().memory(), pt.root().value, kVa, 1);
            env.tables().descriptor(k::PhysAddr{pte & ~uint64_t{0xfff}}).owner.table.present--;
        },
        "present entries, count says");
    expect_check_panics(
        [](PageTableEnv& env, k::PageTable& pt) {
            PhysicalMemory& mem = env.km().machine().memory();
            const uint64_t pde = entry_address(mem, pt.root().value, kVa + k1G, 2);
            mem.write64(PhysAddr{pde}, mem.read64(PhysAddr{pde}) | (uint64_t{1} << 13));
        },
        "reserved address bits");
    expect_check_panics(
        [](PageTableEnv& env, k::PageTable& pt) {
            // The second PT referenced from a second slot too.
            PhysicalMemory& mem = env.km().machine().memory();
            const uint64_t pde = entry_address(mem, pt.root().value, kVa, 2);
            mem.write64(PhysAddr{pde + 8 * 5}, mem.read64(PhysAddr{pde}));
            env.tables().descriptor(k::PhysAddr{pde & ~uint64_t{0xfff}}).owner.table.present++;
        },
        "reachable twice");
    expect_check_panics(
        [](PageTableEnv& env, k::PageTable& pt) {
            PhysicalMemory& mem = env.km().machine().memory();
            const uint64_t pte = entry_address(mem, pt.root().value, kVa, 1);
            mem.write64(PhysAddr{pte}, mem.read64(PhysAddr{pte}) | k::Pte::kGlobal);
        },
        "is global");
}

}  // namespace
