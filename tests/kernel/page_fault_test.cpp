// The page-fault path end to end: CPU 0's simulated MMU walks the address
// space's tables; each #PF goes to AddressSpace::handle_page_fault and the
// access is retried. Counters are checked exactly.
#include <gtest/gtest.h>

#include <vector>

#include "tests/kernel/address_space_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;
namespace lx = kernel::linux;

namespace {

constexpr uint32_t R = lx::kProtRead, W = lx::kProtWrite, X = lx::kProtExec;
constexpr uint32_t kAnonPrivate = lx::kMapAnonymous | lx::kMapPrivate;
constexpr uint64_t kA = 0x1000'0000;

class PageFaultTest : public ::testing::Test {
protected:
    void SetUp() override {
        as = env.create(opts());
        ASSERT_NE(as, nullptr);
        env.load(as);
    }
    void TearDown() override {
        env.destroy(as);
        EXPECT_EQ(env.settled_free_frames(), env.baseline()) << "frames leaked";
    }
    virtual k::AddressSpaceOptions opts() { return {}; }
    int64_t mmap(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags) {
        return env.run([&] { return as->mmap(addr, len, prot, flags); });
    }
    k::FaultResult fault(uint64_t va, k::FaultAccess access, bool user = true) {
        return env.run([&] { return as->handle_page_fault(va, access, user); });
    }

    AddressSpaceEnv env;
    k::AddressSpace* as = nullptr;
};

TEST_F(PageFaultTest, TouchingNFreshPagesTakesExactlyNDemandZeroFaults) {
    constexpr uint64_t kPages = 100;
    ASSERT_EQ(mmap(kA, kPages * kPage, R | W, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(kA));
    const uint64_t free_before = env.settled_free_frames();
    for (uint64_t i = 0; i < kPages; ++i) {
        const Touch t = env.touch(as, kA + i * kPage + 8, i % 2 ? AccessType::kWrite : AccessType::kRead);
        ASSERT_TRUE(t.ok) << i;
        EXPECT_EQ(t.faults, 1) << i;
        EXPECT_EQ(env.read64(t.pa), 0u) << "demand-zero frames are zeroed";
        env.write64(t.pa, i + 1);
    }
    // Touched again: no fault, same data.
    for (uint64_t i = 0; i < kPages; ++i) {
        const Touch t = env.touch(as, kA + i * kPage + 8, AccessType::kWrite);
        ASSERT_TRUE(t.ok);
        EXPECT_EQ(t.faults, 0);
        EXPECT_EQ(env.read64(t.pa), i + 1);
    }
    const k::FaultCounters c = as->fault_counters();
    EXPECT_EQ(c.demand_zero, kPages);
    EXPECT_EQ(c.permission + c.maperr + c.accerr + c.stack_growth + c.oom, 0u);
    EXPECT_EQ(as->resident_pages(), kPages);
    // The frames (and a few page tables) came from the pmm.
    const uint64_t used = free_before - env.settled_free_frames();
    EXPECT_GE(used, kPages);
    EXPECT_LE(used, kPages + 3);
    env.check(as);
}

TEST_F(PageFaultTest, RightsAndMissingMappingsGiveSegvWithTheRightCode) {
    ASSERT_EQ(mmap(kA, kPage, R, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(kA));
    ASSERT_EQ(mmap(kA + kPage, kPage, R | W, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(kA + kPage));
    ASSERT_EQ(mmap(kA + 2 * kPage, kPage, lx::kProtNone, kAnonPrivate | lx::kMapFixed),
              static_cast<int64_t>(kA + 2 * kPage));

    // A write to a read-only VMA: before and after the page is present.
    Touch w = env.touch(as, kA + 16, AccessType::kWrite);
    EXPECT_FALSE(w.ok);
    EXPECT_EQ(w.refused.status, k::FaultStatus::kSignal);
    EXPECT_EQ(w.refused.signal, lx::kSigsegv);
    EXPECT_EQ(w.refused.code, lx::kSegvAccerr);
    EXPECT_EQ(w.refused.fault_address, kA + 16);
    ASSERT_TRUE(env.touch(as, kA + 16, AccessType::kRead).ok);
    w = env.touch(as, kA + 16, AccessType::kWrite);
    EXPECT_EQ(w.refused.code, lx::kSegvAccerr) << "present read-only page";

    // Fetch from a non-executable VMA; any access to PROT_NONE.
    EXPECT_EQ(env.touch(as, kA + kPage, AccessType::kFetch).refused.code, lx::kSegvAccerr);
    EXPECT_EQ(env.touch(as, kA + 2 * kPage, AccessType::kRead).refused.code, lx::kSegvAccerr);
    // No VMA, and above the user half.
    const Touch m = env.touch(as, kA + 3 * kPage + 5, AccessType::kRead);
    EXPECT_EQ(m.refused.code, lx::kSegvMaperr);
    EXPECT_EQ(m.refused.fault_address, kA + 3 * kPage + 5);
    EXPECT_EQ(fault(0x8000'0000'0000ull, k::FaultAccess::kRead).code, lx::kSegvMaperr);
    EXPECT_EQ(fault(0, k::FaultAccess::kRead).code, lx::kSegvMaperr) << "NULL";

    // Kernel mode (uaccess): demand-zero works, bad addresses get the same
    // answer for the fixup; the kernel never fetches user code (SMEP).
    EXPECT_EQ(fault(kA + kPage, k::FaultAccess::kWrite, false).status, k::FaultStatus::kRetry);
    EXPECT_EQ(fault(kA + 3 * kPage, k::FaultAccess::kWrite, false).code, lx::kSegvMaperr);
    EXPECT_EQ(fault(kA + kPage, k::FaultAccess::kExecute, false).code, lx::kSegvAccerr);
    const Touch after = env.touch(as, kA + kPage, AccessType::kWrite);
    EXPECT_TRUE(after.ok);
    EXPECT_EQ(after.faults, 0);

    const k::FaultCounters c = as->fault_counters();
    EXPECT_EQ(c.demand_zero, 2u);
    EXPECT_EQ(c.accerr, 5u);
    EXPECT_EQ(c.maperr, 4u);
    env.check(as);
}

TEST_F(PageFaultTest, APresentPageFaultsOnlySpuriouslyAndIsRefreshed) {
    ASSERT_EQ(mmap(kA, kPage, R | W, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(kA));
    ASSERT_TRUE(env.touch(as, kA, AccessType::kWrite).ok);
    // Another CPU's stale TLB entry would bring it here: the PTE already allows it.
    EXPECT_EQ(fault(kA, k::FaultAccess::kWrite).status, k::FaultStatus::kRetry);
    EXPECT_EQ(as->fault_counters().permission, 1u);
    EXPECT_EQ(as->fault_counters().demand_zero, 1u);
    env.check(as);
}

TEST_F(PageFaultTest, TheReverseMapFindsEveryPte) {
    ASSERT_EQ(mmap(kA, 16 * kPage, R | W, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(kA));
    for (uint64_t i = 0; i < 16; i += 2) {
        const Touch t = env.touch(as, kA + i * kPage, AccessType::kWrite);
        ASSERT_TRUE(t.ok);
        env.run([&] {
            const k::Page* page = k::pmm::phys_to_page(k::PhysAddr{t.pa});
            EXPECT_TRUE(page->has(k::page_flag::kAnon));
            EXPECT_EQ(page->mapcount, 1);
            EXPECT_EQ(page->refcount, 1);
            k::AddressSpace* found = nullptr;
            uint64_t at = 0;
            EXPECT_EQ(k::rmap_walk(*page,
                                   [&](k::AddressSpace& s, uint64_t va) {
                                       found = &s;
                                       at = va;
                                   }),
                      1u);
            EXPECT_EQ(found, as);
            EXPECT_EQ(at, kA + i * kPage);
        });
    }
    // A split keeps every page's reverse map valid.
    ASSERT_EQ(env.run([&] { return as->mprotect(kA + 4 * kPage, 4 * kPage, R); }), 0);
    env.check(as);
}

class StackTest : public PageFaultTest {
protected:
    static constexpr uint64_t kTop = 0x7ff0'0000'0000ull;
    static constexpr uint64_t kLimit = 64 * kPage;
    static constexpr uint64_t kGap = 256 * kPage;
    k::AddressSpaceOptions opts() override {
        k::AddressSpaceOptions o;
        o.stack_limit = kLimit;
        o.mmap_base = kTop;  // so mmap's search starts right under the stack
        return o;
    }
};

TEST_F(StackTest, TheStackGrowsDownOnFaultsWithinItsLimit) {
    ASSERT_EQ(env.run([&] { return as->create_stack(kTop, 4 * kPage); }), static_cast<int64_t>(kTop - 4 * kPage));
    ASSERT_TRUE(env.touch(as, kTop - 8, AccessType::kWrite).ok);
    // Ten pages below the stack's start: it grows to take the page in.
    const Touch t = env.touch(as, kTop - 14 * kPage + 100, AccessType::kWrite);
    ASSERT_TRUE(t.ok);
    EXPECT_EQ(t.faults, 1);
    const k::Vma* v = env.run([&] { return as->find_vma(kTop - 1); });
    EXPECT_EQ(v->start, kTop - 14 * kPage);
    EXPECT_TRUE(v->has(k::vma_flag::kGrowsDown));
    EXPECT_EQ(as->fault_counters().stack_growth, 1u);
    EXPECT_EQ(as->fault_counters().demand_zero, 2u);
    // Up to the limit, and not a page beyond.
    EXPECT_TRUE(env.touch(as, kTop - kLimit, AccessType::kRead).ok);
    EXPECT_EQ(env.touch(as, kTop - kLimit - 1, AccessType::kRead).refused.code, lx::kSegvMaperr);
    EXPECT_EQ(as->fault_counters().stack_growth, 2u);
    EXPECT_EQ(as->fault_counters().maperr, 1u);
    EXPECT_EQ(env.run([&] { return as->vma_count(); }), 1u);
    env.check(as);
}

TEST_F(StackTest, MmapAvoidsTheGuardGapAndTheStackDoesNotGrowIntoIt) {
    ASSERT_EQ(env.run([&] { return as->create_stack(kTop, 4 * kPage); }), static_cast<int64_t>(kTop - 4 * kPage));
    const uint64_t stack_start = kTop - 4 * kPage;
    // mmap's top-down search skips the 256-page gap below the stack.
    EXPECT_EQ(mmap(0, kPage, R | W, kAnonPrivate), static_cast<int64_t>(stack_start - kGap - kPage));
    // A hint inside the gap is not honoured either.
    EXPECT_EQ(mmap(stack_start - 2 * kPage, kPage, R | W, kAnonPrivate),
              static_cast<int64_t>(stack_start - kGap - 2 * kPage));
    // MAP_FIXED may go there (as on Linux); the stack then cannot grow near it.
    const uint64_t near = stack_start - 100 * kPage;
    ASSERT_EQ(mmap(near, kPage, R, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(near));
    EXPECT_EQ(env.touch(as, stack_start - kPage, AccessType::kWrite).refused.code, lx::kSegvMaperr)
        << "in the guard gap above an accessible mapping";
    EXPECT_EQ(as->fault_counters().stack_growth, 0u);
    // A PROT_NONE neighbour does not count (Linux's vma_is_accessible).
    ASSERT_EQ(env.run([&] { return as->mprotect(near, kPage, lx::kProtNone); }), 0);
    EXPECT_TRUE(env.touch(as, stack_start - kPage, AccessType::kWrite).ok);
    EXPECT_EQ(as->fault_counters().stack_growth, 1u);
    env.check(as);
}

}  // namespace

namespace {

TEST_F(PageFaultTest, OutOfMemoryIsReportedAndNothingIsLeftHalfDone) {
    ASSERT_EQ(mmap(kA, 4 * kPage, R | W, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(kA));
    ASSERT_TRUE(env.touch(as, kA, AccessType::kWrite).ok);  // the page tables exist now
    // Take every free frame, then fault.
    std::vector<k::Page*> hoard;
    env.run([&] {
        while (k::Page* p = k::pmm::alloc_page()) hoard.push_back(p);
    });
    const k::FaultResult r = fault(kA + kPage, k::FaultAccess::kWrite);
    EXPECT_EQ(r.status, k::FaultStatus::kOutOfMemory);
    EXPECT_EQ(as->fault_counters().oom, 1u);
    EXPECT_EQ(as->resident_pages(), 1u);
    env.run([&] {
        for (k::Page* p : hoard) k::pmm::free_page(p);
    });
    EXPECT_TRUE(env.touch(as, kA + kPage, AccessType::kWrite).ok) << "a retry after memory came back works";
    env.check(as);
}

TEST(PageFault5Level, FiveLevelUserHalfWorksTheSame) {
    MachineConfig c = AddressSpaceEnv::default_config();
    c.mmu.la57_supported = true;
    AddressSpaceEnv env(c);
    k::AddressSpaceOptions o;
    o.mmap_base = 0x00ff'0000'0000'0000ull;  // above the 4-level user half
    k::AddressSpace* as = env.create(o);
    ASSERT_NE(as, nullptr);
    env.load(as);
    // Without a hint, mmap stays in the 47-bit window (Linux's DEFAULT_MAP_WINDOW)...
    const int64_t low = env.run([&] { return as->mmap(0, kPage, R | W, kAnonPrivate); });
    ASSERT_GT(low, 0);
    EXPECT_LT(static_cast<uint64_t>(low), uint64_t{1} << 47);
    // ... and a hint above it reaches the rest of the 5-level user half.
    const uint64_t hint = o.mmap_base - 3 * kPage;
    const int64_t a = env.run([&] { return as->mmap(hint, 3 * kPage, R | W, kAnonPrivate); });
    ASSERT_EQ(a, static_cast<int64_t>(hint));
    for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(env.touch(as, static_cast<uint64_t>(a) + i * kPage, AccessType::kWrite).ok);
    EXPECT_EQ(as->fault_counters().demand_zero, 3u);
    EXPECT_EQ(env.touch(as, 0x00ff'ffff'ffff'f000ull, AccessType::kRead).refused.code, lx::kSegvMaperr);
    env.destroy(as);
    EXPECT_EQ(env.settled_free_frames(), env.baseline());
}

}  // namespace

namespace {

class ZeroPageTest : public PageFaultTest {
protected:
    k::AddressSpaceOptions opts() override {
        k::AddressSpaceOptions o;
        o.zero_page_reads = true;
        return o;
    }
};

TEST_F(ZeroPageTest, ReadsShareTheZeroPageAndWritesGetTheirOwnFrame) {
    constexpr uint64_t kPages = 32;
    ASSERT_EQ(mmap(kA, kPages * kPage, R | W, kAnonPrivate | lx::kMapFixed), static_cast<int64_t>(kA));
    const uint64_t zero = env.run([] { return k::zero_page().value; });
    const uint64_t free_before = env.settled_free_frames();
    for (uint64_t i = 0; i < kPages; ++i) {
        const Touch t = env.touch(as, kA + i * kPage, i % 4 == 3 ? AccessType::kFetch : AccessType::kRead);
        if (i % 4 == 3) {
            EXPECT_EQ(t.refused.code, lx::kSegvAccerr) << "not executable";
            continue;
        }
        ASSERT_TRUE(t.ok);
        EXPECT_EQ(t.pa, zero) << i;
    }
    EXPECT_EQ(as->fault_counters().zero_page, kPages * 3 / 4);
    EXPECT_EQ(as->fault_counters().demand_zero, 0u);
    EXPECT_EQ(as->resident_pages(), 0u);
    EXPECT_LE(free_before - env.settled_free_frames(), 3u) << "only page tables were allocated";
    env.check(as);

    // A write breaks away: a fresh frame, still zero, the zero page untouched.
    const Touch w = env.touch(as, kA + 8, AccessType::kWrite);
    ASSERT_TRUE(w.ok);
    EXPECT_EQ(w.faults, 1);
    EXPECT_NE(w.pa - 8, zero);
    EXPECT_EQ(env.read64(w.pa), 0u);
    env.write64(w.pa, 42);
    EXPECT_EQ(env.read64(zero + 8), 0u);
    EXPECT_EQ(as->fault_counters().permission, 1u);
    EXPECT_EQ(as->fault_counters().demand_zero, 0u) << "each fault counts once: this one as permission";
    EXPECT_EQ(as->resident_pages(), 1u);
    env.check(as);

    // mprotect to read-only and back never makes a zero-page PTE writable.
    ASSERT_EQ(env.run([&] { return as->mprotect(kA, kPages * kPage, R); }), 0);
    ASSERT_EQ(env.run([&] { return as->mprotect(kA, kPages * kPage, R | W); }), 0);
    env.check(as);
    const Touch w2 = env.touch(as, kA + kPage, AccessType::kWrite);
    ASSERT_TRUE(w2.ok);
    EXPECT_EQ(w2.faults, 1);
    EXPECT_NE(w2.pa, zero);
    EXPECT_EQ(env.read64(zero), 0u);
    EXPECT_TRUE(env.touch(as, kA, AccessType::kWrite).ok) << "the frame of its own stayed writable";

    // Shared anonymous memory never uses the zero page.
    ASSERT_EQ(mmap(kA + kPages * kPage, kPage, R | W, lx::kMapAnonymous | lx::kMapShared | lx::kMapFixed),
              static_cast<int64_t>(kA + kPages * kPage));
    const Touch s = env.touch(as, kA + kPages * kPage, AccessType::kRead);
    ASSERT_TRUE(s.ok);
    EXPECT_NE(s.pa, zero);
    // Unmapping zero-page PTEs frees nothing but tables.
    EXPECT_EQ(env.run([&] { return as->madvise(kA, kPages * kPage, lx::kMadvDontneed); }), 0);
    EXPECT_EQ(as->zero_page_ptes(), 0u);
    env.check(as);
}

}  // namespace
