// AddressSpace system calls (kernel/mm/mmap.cpp) case by case against Linux's
// documented semantics and errno values: mmap placement, hints, MAP_FIXED and
// MAP_FIXED_NOREPLACE, munmap splitting, mprotect splitting and merging, brk,
// madvise, W^X; and teardown giving every frame back.
#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "sim/machine/sim_error.h"
#include "tests/kernel/address_space_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;
namespace lx = kernel::linux;

namespace {

constexpr uint32_t R = lx::kProtRead, W = lx::kProtWrite, X = lx::kProtExec;
constexpr uint32_t kAnonPrivate = lx::kMapAnonymous | lx::kMapPrivate;
constexpr uint32_t kAnonShared = lx::kMapAnonymous | lx::kMapShared;
constexpr uint32_t kFixed = lx::kMapFixed;

// The VMAs as [start, end, prot] triples.
struct VmaView {
    uint64_t start, end;
    uint32_t prot;
    bool operator==(const VmaView&) const = default;
};
std::ostream& operator<<(std::ostream& os, const VmaView& v) {
    return os << std::hex << "[" << v.start << ", " << v.end << ") prot " << v.prot;
}
std::vector<VmaView> vmas(AddressSpaceEnv& env, k::AddressSpace* as) {
    return env.run([&] {
        std::vector<VmaView> out;
        for (const k::Vma* v = as->first_vma(); v; v = as->next_vma(*v)) out.push_back({v->start, v->end, v->prot});
        return out;
    });
}

class AddressSpaceTest : public ::testing::Test {
protected:
    void SetUp() override {
        as = env.create(opts());
        ASSERT_NE(as, nullptr);
        env.load(as);
    }
    void TearDown() override {
        if (as) env.destroy(as);
        EXPECT_EQ(env.settled_free_frames(), env.baseline()) << "frames leaked";
    }
    virtual k::AddressSpaceOptions opts() { return {}; }
    int64_t mmap(uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags) {
        return env.run([&] { return as->mmap(addr, len, prot, flags); });
    }
    int64_t munmap(uint64_t addr, uint64_t len) { return env.run([&] { return as->munmap(addr, len); }); }
    int64_t mprotect(uint64_t addr, uint64_t len, uint32_t prot) {
        return env.run([&] { return as->mprotect(addr, len, prot); });
    }
    int64_t madvise(uint64_t addr, uint64_t len, int advice) {
        return env.run([&] { return as->madvise(addr, len, advice); });
    }
    uint64_t brk(uint64_t addr) { return env.run([&] { return as->brk(addr); }); }

    AddressSpaceEnv env;
    k::AddressSpace* as = nullptr;
};

constexpr uint64_t kBase = 0x7f00'0000'0000ull;  // the default mmap base
constexpr uint64_t kA = 0x1000'0000;             // a quiet spot for MAP_FIXED tests

TEST_F(AddressSpaceTest, MmapPlacesTopDownBelowTheBaseAndMergesNeighbours) {
    const int64_t a = mmap(0, 3 * kPage, R | W, kAnonPrivate);
    EXPECT_EQ(a, static_cast<int64_t>(kBase - 3 * kPage));
    const int64_t b = mmap(0, 5000, R | W, kAnonPrivate);  // rounded up to two pages
    EXPECT_EQ(b, static_cast<int64_t>(kBase - 5 * kPage));
    // Adjacent, same rights, both private anonymous: one VMA, as Linux merges them.
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{kBase - 5 * kPage, kBase, R | W}}));
    const int64_t c = mmap(0, kPage, R, kAnonPrivate);
    EXPECT_EQ(c, static_cast<int64_t>(kBase - 6 * kPage));
    EXPECT_EQ(vmas(env, as).size(), 2u) << "different rights stay apart";
    // Shared anonymous mappings each have their own object: never merged.
    const int64_t s1 = mmap(0, kPage, R | W, kAnonShared);
    const int64_t s2 = mmap(0, kPage, R | W, kAnonShared);
    EXPECT_EQ(s2 + static_cast<int64_t>(kPage), s1);
    EXPECT_EQ(vmas(env, as).size(), 4u);
    env.check(as);
}

TEST_F(AddressSpaceTest, MmapErrorsAreLinuxs) {
    EXPECT_EQ(mmap(0, 0, R, kAnonPrivate), -lx::kEinval) << "length 0";
    EXPECT_EQ(mmap(0, kPage, R, lx::kMapPrivate), -lx::kEbadf) << "a file mapping without a file";
    EXPECT_EQ(env.run([&] { return as->mmap(0, kPage, R, kAnonPrivate, -1, 100); }), -lx::kEinval)
        << "misaligned offset";
    EXPECT_EQ(mmap(0, kPage, R, lx::kMapAnonymous), -lx::kEinval) << "neither shared nor private";
    EXPECT_EQ(mmap(0, kPage, R, lx::kMapAnonymous | lx::kMapSharedValidate), -lx::kEinval);
    EXPECT_EQ(mmap(0, kPage, R, kAnonShared | lx::kMapGrowsdown), -lx::kEinval);
    EXPECT_EQ(mmap(kA + 1, kPage, R, kAnonPrivate | kFixed), -lx::kEinval) << "misaligned kMapFixed";
    EXPECT_EQ(mmap(0x1000, kPage, R, kAnonPrivate | kFixed), -lx::kEperm) << "below mmap_min_addr";
    EXPECT_EQ(mmap(0x7fff'ffff'e000ull, 2 * kPage, R, kAnonPrivate | kFixed), -lx::kEnomem) << "past the user half";
    EXPECT_EQ(mmap(0, ~uint64_t{0} - 10, R, kAnonPrivate), -lx::kEnomem) << "length overflows";
    EXPECT_EQ(mmap(0, uint64_t{1} << 47, R, kAnonPrivate), -lx::kEnomem) << "larger than the user half";
    EXPECT_EQ(mmap(0, kPage, R | W | X, kAnonPrivate), -lx::kEacces) << "W^X";
    EXPECT_EQ(mmap(0, kPage, W | X, kAnonPrivate), -lx::kEacces) << "W^X";
    EXPECT_EQ(mmap(0, kPage, R, kAnonPrivate | lx::kMapHugetlb), -lx::kEnomem) << "no huge pages reserved";
    EXPECT_EQ(vmas(env, as).size(), 0u) << "failed calls leave nothing behind";
}

class SmallAddressSpaceTest : public AddressSpaceTest {
    k::AddressSpaceOptions opts() override {
        k::AddressSpaceOptions o;
        o.mmap_base = 0x100000;  // 960 KiB above mmap_min_addr
        o.brk_start = 0x200000;
        return o;
    }
};

TEST_F(SmallAddressSpaceTest, MmapFailsWithEnomemWhenNoRangeIsFree) {
    EXPECT_EQ(mmap(0, 0x100000, R, kAnonPrivate), -lx::kEnomem);
    EXPECT_EQ(mmap(0, 0xf0000, R, kAnonPrivate), 0x10000);
    EXPECT_EQ(mmap(0, kPage, R | W, kAnonPrivate), -lx::kEnomem);
    // The hint is still honoured above the base when free.
    EXPECT_EQ(mmap(0x300000, kPage, R, kAnonPrivate), 0x300000);
    env.check(as);
}

TEST_F(AddressSpaceTest, HintsAreHonouredWhenFreeOtherwiseTopDown) {
    EXPECT_EQ(mmap(kA + 123, 2 * kPage, R, kAnonPrivate), static_cast<int64_t>(kA)) << "rounded down to a page";
    EXPECT_EQ(mmap(kA + kPage, kPage, R, kAnonPrivate), static_cast<int64_t>(kBase - kPage)) << "occupied hint";
    EXPECT_EQ(mmap(0x2000, kPage, R, kAnonPrivate), 0x10000) << "hint below mmap_min_addr goes to it";
    env.check(as);
}

TEST_F(AddressSpaceTest, MapFixedReplacesAndNoreplaceRefuses) {
    ASSERT_EQ(mmap(kA, 8 * kPage, R | W, kAnonPrivate | kFixed), static_cast<int64_t>(kA));
    for (uint64_t i = 0; i < 8; ++i) ASSERT_TRUE(env.touch(as, kA + i * kPage, AccessType::kWrite).ok);
    EXPECT_EQ(as->resident_pages(), 8u);
    EXPECT_EQ(mmap(kA + 2 * kPage, kPage, R, kAnonPrivate | lx::kMapFixedNoreplace), -lx::kEexist);
    EXPECT_EQ(mmap(kA - kPage, 2 * kPage, R, kAnonPrivate | lx::kMapFixedNoreplace), -lx::kEexist);
    // Replace pages 2..4 with a read-only mapping: the old frames go.
    EXPECT_EQ(mmap(kA + 2 * kPage, 3 * kPage, R, kAnonPrivate | kFixed), static_cast<int64_t>(kA + 2 * kPage));
    EXPECT_EQ(as->resident_pages(), 5u);
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{kA, kA + 2 * kPage, R | W},
                                                   {kA + 2 * kPage, kA + 5 * kPage, R},
                                                   {kA + 5 * kPage, kA + 8 * kPage, R | W}}));
    // The replacement reads as zeros and refuses writes.
    const Touch t = env.touch(as, kA + 3 * kPage, AccessType::kRead);
    ASSERT_TRUE(t.ok);
    EXPECT_EQ(env.read64(t.pa), 0u);
    EXPECT_EQ(env.touch(as, kA + 3 * kPage, AccessType::kWrite).refused.code, lx::kSegvAccerr);
    // MAP_FIXED_NOREPLACE into a free range works; and it merges.
    EXPECT_EQ(mmap(kA + 8 * kPage, kPage, R | W, kAnonPrivate | lx::kMapFixedNoreplace),
              static_cast<int64_t>(kA + 8 * kPage));
    EXPECT_EQ(vmas(env, as).back(), (VmaView{kA + 5 * kPage, kA + 9 * kPage, R | W}));
    // MAP_FIXED over the lot, different rights again: one VMA.
    EXPECT_EQ(mmap(kA, 9 * kPage, R | W, kAnonPrivate | kFixed), static_cast<int64_t>(kA));
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{kA, kA + 9 * kPage, R | W}}));
    EXPECT_EQ(as->resident_pages(), 0u);
    env.check(as);
}

TEST_F(AddressSpaceTest, MunmapSplitsTrimsAndSkipsHoles) {
    ASSERT_EQ(mmap(kA, 10 * kPage, R | W, kAnonPrivate | kFixed), static_cast<int64_t>(kA));
    env.load(as);
    for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(env.touch(as, kA + i * kPage, AccessType::kWrite).ok);
    EXPECT_EQ(munmap(kA + 4 * kPage, 2 * kPage), 0) << "a hole in the middle";
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{kA, kA + 4 * kPage, R | W}, {kA + 6 * kPage, kA + 10 * kPage, R | W}}));
    EXPECT_EQ(as->resident_pages(), 8u);
    EXPECT_EQ(env.touch(as, kA + 4 * kPage, AccessType::kRead).refused.code, lx::kSegvMaperr);
    EXPECT_EQ(munmap(kA + 3 * kPage, 4 * kPage), 0) << "across the hole, trimming both sides";
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{kA, kA + 3 * kPage, R | W}, {kA + 7 * kPage, kA + 10 * kPage, R | W}}));
    EXPECT_EQ(munmap(kA + 20 * kPage, kPage), 0) << "nothing there is fine";
    EXPECT_EQ(munmap(kA + 1, kPage), -lx::kEinval);
    EXPECT_EQ(munmap(kA, 0), -lx::kEinval);
    EXPECT_EQ(munmap(0x7fff'ffff'e000ull, 2 * kPage), -lx::kEinval) << "past the user half";
    EXPECT_EQ(munmap(kA + 9 * kPage, 1), 0) << "length rounds up to the page";
    EXPECT_EQ(munmap(kA, kPage * 100), 0);
    EXPECT_EQ(vmas(env, as).size(), 0u);
    EXPECT_EQ(as->resident_pages(), 0u);
    env.check(as);
}

TEST_F(AddressSpaceTest, MprotectSplitsMergesAndAppliesToPresentPages) {
    ASSERT_EQ(mmap(kA, 6 * kPage, R | W, kAnonPrivate | kFixed), static_cast<int64_t>(kA));
    env.load(as);
    const Touch t = env.touch(as, kA + 2 * kPage, AccessType::kWrite);
    ASSERT_TRUE(t.ok);
    env.write64(t.pa, 0x1234);
    EXPECT_EQ(mprotect(kA + 2 * kPage, 2 * kPage, R), 0);
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{kA, kA + 2 * kPage, R | W},
                                                   {kA + 2 * kPage, kA + 4 * kPage, R},
                                                   {kA + 4 * kPage, kA + 6 * kPage, R | W}}));
    // The present PTE is read-only now, through the MMU.
    const Touch w = env.touch(as, kA + 2 * kPage, AccessType::kWrite);
    EXPECT_FALSE(w.ok);
    EXPECT_EQ(w.refused.signal, lx::kSigsegv);
    EXPECT_EQ(w.refused.code, lx::kSegvAccerr);
    EXPECT_EQ(w.refused.fault_address, kA + 2 * kPage);
    // PROT_NONE keeps the data but refuses every access; rights come back.
    EXPECT_EQ(mprotect(kA + 2 * kPage, kPage, lx::kProtNone), 0);
    EXPECT_EQ(env.touch(as, kA + 2 * kPage, AccessType::kRead).refused.code, lx::kSegvAccerr);
    env.check(as);
    EXPECT_EQ(mprotect(kA, 6 * kPage, R | W), 0);
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{kA, kA + 6 * kPage, R | W}})) << "merged back into one";
    const Touch again = env.touch(as, kA + 2 * kPage, AccessType::kWrite);
    ASSERT_TRUE(again.ok);
    EXPECT_EQ(again.faults, 0) << "mprotect rewrote the PTE";
    EXPECT_EQ(env.read64(again.pa), 0x1234u) << "the data survived kProtNone";
    // Executable, then a fetch works.
    EXPECT_EQ(mprotect(kA, kPage, R | X), 0);
    EXPECT_TRUE(env.touch(as, kA, AccessType::kFetch).ok);
    EXPECT_EQ(env.touch(as, kA + kPage, AccessType::kFetch).refused.code, lx::kSegvAccerr);
    env.check(as);
}

TEST_F(AddressSpaceTest, MprotectErrorsAreLinuxsAndChangeNothing) {
    ASSERT_EQ(mmap(kA, 2 * kPage, R, kAnonPrivate | kFixed), static_cast<int64_t>(kA));
    ASSERT_EQ(mmap(kA + 3 * kPage, 2 * kPage, R, kAnonPrivate | kFixed), static_cast<int64_t>(kA + 3 * kPage));
    const auto before = vmas(env, as);
    EXPECT_EQ(mprotect(kA, 5 * kPage, R | W), -lx::kEnomem) << "a hole at kA + 2 pages";
    EXPECT_EQ(mprotect(kA - kPage, kPage, R), -lx::kEnomem) << "nothing mapped";
    EXPECT_EQ(vmas(env, as), before);
    EXPECT_EQ(mprotect(kA + 1, kPage, R), -lx::kEinval);
    EXPECT_EQ(mprotect(kA, 0, R | W), 0) << "length 0 succeeds";
    EXPECT_EQ(mprotect(kA, kPage, 0x80), -lx::kEinval) << "unknown prot bit";
    EXPECT_EQ(mprotect(kA, kPage, R | W | X), -lx::kEacces) << "W^X";
    EXPECT_EQ(mprotect(kA, ~uint64_t{0} - kA, R), -lx::kEnomem) << "wraps";
    EXPECT_EQ(vmas(env, as), before);
    EXPECT_EQ(mprotect(kA, 1, R | W), 0) << "length rounds up";
    EXPECT_EQ(vmas(env, as).front(), (VmaView{kA, kA + kPage, R | W}));
    env.check(as);
}

class WriteExecuteAllowed : public AddressSpaceTest {
    k::AddressSpaceOptions opts() override {
        k::AddressSpaceOptions o;
        o.allow_write_execute = true;
        return o;
    }
};

TEST_F(WriteExecuteAllowed, TheOptionLiftsWxRefusal) {
    EXPECT_EQ(mmap(kA, kPage, R | W | X, kAnonPrivate | kFixed), static_cast<int64_t>(kA));
    env.load(as);
    EXPECT_TRUE(env.touch(as, kA, AccessType::kWrite).ok);
    EXPECT_TRUE(env.touch(as, kA, AccessType::kFetch).ok);
    EXPECT_EQ(mprotect(kA, kPage, W | X), 0);
    env.check(as);
}

TEST_F(AddressSpaceTest, BrkFollowsLinuxsRules) {
    const uint64_t start = as->brk_start();
    EXPECT_EQ(brk(0), start) << "brk(0) asks for the current break";
    EXPECT_EQ(brk(start + 100), start + 100);
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{start, start + kPage, R | W}}));
    EXPECT_EQ(brk(start + 200), start + 200) << "same page: only the break moves";
    EXPECT_EQ(brk(start + 5 * kPage), start + 5 * kPage);
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{start, start + 5 * kPage, R | W}}));
    env.load(as);
    const Touch t = env.touch(as, start + 4 * kPage, AccessType::kWrite);
    ASSERT_TRUE(t.ok);
    EXPECT_EQ(brk(start - kPage), start + 5 * kPage) << "below the heap: the current break";
    EXPECT_EQ(brk(start + 2 * kPage + 1), start + 2 * kPage + 1) << "shrinking unmaps the pages above";
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{start, start + 3 * kPage, R | W}}));
    EXPECT_EQ(as->resident_pages(), 0u);
    // A mapping above the heap: growth must stop a page short of it.
    ASSERT_EQ(mmap(start + 8 * kPage, kPage, R, kAnonPrivate | kFixed), static_cast<int64_t>(start + 8 * kPage));
    EXPECT_EQ(brk(start + 8 * kPage), start + 2 * kPage + 1) << "failure returns the current break";
    EXPECT_EQ(brk(start + 7 * kPage), start + 7 * kPage);
    EXPECT_EQ(brk(start), start);
    EXPECT_EQ(vmas(env, as), (std::vector<VmaView>{{start + 8 * kPage, start + 9 * kPage, R}}));
    env.check(as);
}

TEST_F(AddressSpaceTest, MadviseDontneedGivesZeroPagesBack) {
    ASSERT_EQ(mmap(kA, 4 * kPage, R | W, kAnonPrivate | kFixed), static_cast<int64_t>(kA));
    ASSERT_EQ(mmap(kA + 5 * kPage, kPage, R | W, kAnonShared | kFixed), static_cast<int64_t>(kA + 5 * kPage));
    env.load(as);
    std::vector<uint64_t> pas;
    for (uint64_t page : {kA, kA + kPage, kA + 5 * kPage}) {
        const Touch t = env.touch(as, page, AccessType::kWrite);
        ASSERT_TRUE(t.ok);
        env.write64(t.pa, 0xfeed0000 + page);
    }
    EXPECT_EQ(madvise(kA, 6 * kPage, lx::kMadvDontneed), -lx::kEnomem) << "a hole: applied, then reported";
    EXPECT_EQ(as->resident_pages(), 1u) << "the shared page stays";
    const Touch r = env.touch(as, kA + 8, AccessType::kRead);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.faults, 1) << "a fresh demand-zero fault";
    EXPECT_EQ(env.read64(r.pa - 8), 0u) << "a fresh zero page";
    const Touch s = env.touch(as, kA + 5 * kPage, AccessType::kRead);
    ASSERT_TRUE(s.ok);
    EXPECT_EQ(env.read64(s.pa), 0xfeed0000 + kA + 5 * kPage) << "shared anonymous memory keeps its data";
    EXPECT_EQ(madvise(kA, 4 * kPage, lx::kMadvDontneed), 0);
    EXPECT_EQ(madvise(kA + 1, kPage, lx::kMadvDontneed), -lx::kEinval);
    EXPECT_EQ(madvise(kA, kPage, 12345), -lx::kEinval);
    EXPECT_EQ(madvise(kA, 0, lx::kMadvDontneed), 0);
    EXPECT_EQ(madvise(kA, kPage, lx::kMadvWillneed), 0);
    EXPECT_EQ(madvise(kA + 20 * kPage, kPage, lx::kMadvNormal), -lx::kEnomem);
    env.check(as);
}

TEST(AddressSpaceTeardown, DestroyingGivesEveryFrameAndTableBack) {
    AddressSpaceEnv env;
    const uint64_t before = env.settled_free_frames();
    EXPECT_EQ(before, env.baseline());
    for (int round = 0; round < 3; ++round) {
        k::AddressSpace* as = env.create();
        ASSERT_NE(as, nullptr);
        env.load(as);
        // Spread over several page tables, including far-apart ones.
        for (uint64_t base : {uint64_t{0x10000}, uint64_t{0x4000'0000}, uint64_t{0x7e00'0000'0000}}) {
            ASSERT_EQ(env.run([&] { return as->mmap(base, 64 * kPage, R | W, kAnonPrivate | kFixed); }),
                      static_cast<int64_t>(base));
            for (uint64_t i = 0; i < 64; i += 3) ASSERT_TRUE(env.touch(as, base + i * kPage, AccessType::kWrite).ok);
        }
        EXPECT_EQ(as->resident_pages(), 3u * 22u);
        EXPECT_LT(env.settled_free_frames(), before);
        env.destroy(as);
        EXPECT_EQ(env.settled_free_frames(), before) << "round " << round;
    }
}

}  // namespace

namespace {

// The checker catches a PTE made behind the address space's back.
void expect_check_panics(const char* needle, uint32_t vma_prot, bool writable_pte) {
    AddressSpaceEnv env;
    k::AddressSpace* as = env.create();
    ASSERT_NE(as, nullptr);
    if (vma_prot != ~0u) {
        ASSERT_EQ(env.run([&] { return as->mmap(kA, kPage, vma_prot, kAnonPrivate | kFixed); }),
                  static_cast<int64_t>(kA));
    }
    env.run([&] {
        k::Page* frame = k::pmm::alloc_page();
        k::rmap_add_anon(*frame, *as, kA);
        k::TlbInvalidation inv;
        const k::PageAttrs attrs{writable_pte, false, true, k::CachePolicy::kWriteBack};
        ASSERT_EQ(as->page_table().map(k::VirtAddr{kA}, k::pmm::page_to_phys(frame), kPage, attrs, k::PageSize::k4K,
                                       inv),
                  k::PtStatus::kOk);
    });
    try {
        env.check(as);
        ADD_FAILURE() << "expected the checker to panic";
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(AddressSpaceChecker, CatchesAPteOutsideEveryVma) { expect_check_panics("lies in no VMA", ~0u, false); }
TEST(AddressSpaceChecker, CatchesAPteWiderThanItsVma) { expect_check_panics("is writable, its VMA", R, true); }

}  // namespace
