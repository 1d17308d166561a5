// Fork and copy-on-write (kernel/mm/fork.cpp, cow.cpp, rmap.h): isolation of
// parent and child through CPU 0's simulated MMU and in the frames themselves,
// exact COW fault counts, the zero page and shared anonymous memory, forks of
// forks and their reverse map, edits after fork, pinned pages, teardown in
// either order, and a randomized run over several spaces against a model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <vector>

#include "tests/kernel/address_space_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;
namespace lx = kernel::linux;

namespace {

constexpr uint32_t R = lx::kProtRead, W = lx::kProtWrite;
constexpr uint32_t kAnonPrivate = lx::kMapAnonymous | lx::kMapPrivate | lx::kMapFixed;
constexpr uint32_t kAnonShared = lx::kMapAnonymous | lx::kMapShared | lx::kMapFixed;
constexpr uint64_t kA = 0x1000'0000;

class ForkTest : public ::testing::Test {
protected:
    void TearDown() override {
        for (k::AddressSpace* s : live) env.destroy(s);
        live.clear();
        EXPECT_EQ(env.settled_free_frames(), env.baseline()) << "frames leaked";
    }
    k::AddressSpace* create(const k::AddressSpaceOptions& o = {}) {
        k::AddressSpace* s = env.create(o);
        if (s) live.push_back(s);
        return s;
    }
    k::AddressSpace* fork(k::AddressSpace* parent) {
        env.load(parent);  // the parent is live on this CPU, as a forking process is
        k::AddressSpace* c = env.run([&] { return parent->fork(); });
        if (c) live.push_back(c);
        return c;
    }
    void destroy(k::AddressSpace* s) {
        live.erase(std::find(live.begin(), live.end(), s));
        env.destroy(s);
    }
    int64_t mmap(k::AddressSpace* s, uint64_t addr, uint64_t len, uint32_t prot, uint32_t flags) {
        return env.run([&] { return s->mmap(addr, len, prot, flags); });
    }
    // A touch through the MMU with `s` loaded in CR3.
    Touch touch(k::AddressSpace* s, uint64_t va, AccessType type) {
        env.load(s);
        return env.touch(s, va, type);
    }
    // Writes v at va in s (faulting as needed); returns the frame's address.
    uint64_t write(k::AddressSpace* s, uint64_t va, uint64_t v) {
        const Touch t = touch(s, va, AccessType::kWrite);
        EXPECT_TRUE(t.ok) << std::hex << va;
        env.write64(t.pa, v);
        return t.pa;
    }
    uint64_t read(k::AddressSpace* s, uint64_t va) {
        const Touch t = touch(s, va, AccessType::kRead);
        EXPECT_TRUE(t.ok) << std::hex << va;
        return t.ok ? env.read64(t.pa) : ~uint64_t{0};
    }
    // The frame s maps at va, without touching (0 if none).
    uint64_t frame_of(k::AddressSpace* s, uint64_t va) {
        return env.run([&] {
            k::Mapping m;
            return s->page_table().lookup(k::VirtAddr{va}, &m) ? m.frame.value : uint64_t{0};
        });
    }
    bool pte_writable(k::AddressSpace* s, uint64_t va) {
        return env.run([&] {
            k::Mapping m;
            return s->page_table().lookup(k::VirtAddr{va}, &m) && m.attrs.writable;
        });
    }
    int mapcount(uint64_t pa) {
        return env.run([&] { return k::pmm::phys_to_page(k::PhysAddr{pa})->mapcount; });
    }
    int refcount(uint64_t pa) {
        return env.run([&] { return k::pmm::phys_to_page(k::PhysAddr{pa})->refcount; });
    }
    // The spaces rmap_walk reports for the frame at pa, each at `va`.
    std::set<k::AddressSpace*> rmap_spaces(uint64_t pa, uint64_t va) {
        std::set<k::AddressSpace*> found;
        env.run([&] {
            const uint32_t n = k::rmap_walk(*k::pmm::phys_to_page(k::PhysAddr{pa}), [&](k::AddressSpace& s, uint64_t at) {
                EXPECT_EQ(at, va);
                EXPECT_TRUE(found.insert(&s).second) << "a space reported twice";
            });
            EXPECT_EQ(n, found.size());
        });
        return found;
    }
    void check_all() {
        for (k::AddressSpace* s : live) env.check(s);
    }

    AddressSpaceEnv env;
    std::vector<k::AddressSpace*> live;
};

TEST_F(ForkTest, ParentAndChildWritesAreInvisibleToEachOther) {
    constexpr uint64_t kPages = 8;
    k::AddressSpace* parent = create();
    ASSERT_EQ(mmap(parent, kA, kPages * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    std::vector<uint64_t> pa(kPages);
    for (uint64_t i = 0; i < kPages; ++i) pa[i] = write(parent, kA + i * kPage, 100 + i);
    k::AddressSpace* child = fork(parent);
    ASSERT_NE(child, nullptr);
    check_all();
    // Same VMAs, same frames, read-only in both, mapped twice.
    ASSERT_EQ(env.run([&] { return child->vma_count(); }), 1u);
    const k::Vma* v = env.run([&] { return child->find_vma(kA); });
    EXPECT_EQ(v->start, kA);
    EXPECT_EQ(v->end, kA + kPages * kPage);
    EXPECT_EQ(v->prot, R | W);
    EXPECT_EQ(child->resident_pages(), kPages);
    for (uint64_t i = 0; i < kPages; ++i) {
        EXPECT_EQ(frame_of(child, kA + i * kPage), pa[i]);
        EXPECT_FALSE(pte_writable(parent, kA + i * kPage));
        EXPECT_FALSE(pte_writable(child, kA + i * kPage));
        EXPECT_EQ(mapcount(pa[i]), 2);
        EXPECT_EQ(refcount(pa[i]), 1);
        EXPECT_EQ(read(child, kA + i * kPage), 100 + i);
    }
    // Each writes its own values; the other keeps seeing its own.
    for (uint64_t i = 0; i < kPages; i += 2) {
        const uint64_t c = write(child, kA + i * kPage, 200 + i);
        EXPECT_NE(c, pa[i]) << "the child's write went to the shared frame";
        EXPECT_EQ(env.read64(pa[i]), 100 + i);
        EXPECT_EQ(read(parent, kA + i * kPage), 100 + i);
    }
    for (uint64_t i = 1; i < kPages; i += 2) {
        write(parent, kA + i * kPage, 300 + i);
        EXPECT_EQ(read(child, kA + i * kPage), 100 + i);
    }
    for (uint64_t i = 0; i < kPages; ++i) {
        EXPECT_EQ(read(parent, kA + i * kPage), i % 2 ? 300 + i : 100 + i);
        EXPECT_EQ(read(child, kA + i * kPage), i % 2 ? 100 + i : 200 + i);
        EXPECT_NE(frame_of(parent, kA + i * kPage), frame_of(child, kA + i * kPage));
    }
    check_all();
}

TEST_F(ForkTest, CowFaultCountsAreExactAndTheLastOwnerReuses) {
    constexpr uint64_t kPages = 16;
    k::AddressSpace* parent = create();
    ASSERT_EQ(mmap(parent, kA, kPages * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    for (uint64_t i = 0; i < kPages; ++i) write(parent, kA + i * kPage, i + 1);
    const uint64_t free_before = env.settled_free_frames();
    k::AddressSpace* child = fork(parent);
    ASSERT_NE(child, nullptr);
    // Only page tables, the VMA and the reverse-map links: no data frame.
    EXPECT_LE(free_before - env.settled_free_frames(), 8u);
    const k::FaultCounters parent_before = parent->fault_counters();

    for (uint64_t i = 0; i < kPages; ++i) {
        const Touch t = touch(child, kA + i * kPage, AccessType::kWrite);
        ASSERT_TRUE(t.ok);
        EXPECT_EQ(t.faults, 1) << i;
        EXPECT_EQ(env.read64(t.pa), i + 1) << "the copy has the data";
        env.write64(t.pa, 1000 + i);
    }
    const k::FaultCounters c = child->fault_counters();
    EXPECT_EQ(c.cow_copy, kPages);
    EXPECT_EQ(c.cow_reuse, 0u);
    EXPECT_EQ(c.demand_zero + c.permission + c.zero_page + c.maperr + c.accerr + c.oom, 0u);
    EXPECT_GE(free_before - env.settled_free_frames(), kPages);
    check_all();

    // The parent is now the only mapper of every old frame: no copy.
    for (uint64_t i = 0; i < kPages; ++i) {
        const uint64_t old = frame_of(parent, kA + i * kPage);
        EXPECT_EQ(mapcount(old), 1);
        const Touch t = touch(parent, kA + i * kPage, AccessType::kWrite);
        ASSERT_TRUE(t.ok);
        EXPECT_EQ(t.faults, 1);
        EXPECT_EQ(t.pa, old) << "reused in place";
        EXPECT_EQ(env.read64(t.pa), i + 1);
    }
    const k::FaultCounters p = parent->fault_counters();
    EXPECT_EQ(p.cow_reuse - parent_before.cow_reuse, kPages);
    EXPECT_EQ(p.cow_copy, 0u);
    EXPECT_EQ(p.permission, 0u);
    // Writable again: no more faults on either side.
    for (uint64_t i = 0; i < kPages; ++i) {
        EXPECT_EQ(touch(parent, kA + i * kPage, AccessType::kWrite).faults, 0);
        EXPECT_EQ(touch(child, kA + i * kPage, AccessType::kWrite).faults, 0);
        EXPECT_EQ(read(child, kA + i * kPage), 1000 + i);
    }
    check_all();
}

TEST_F(ForkTest, TheZeroPageStaysSharedReadOnly) {
    constexpr uint64_t kPages = 8;
    k::AddressSpaceOptions o;
    o.zero_page_reads = true;
    k::AddressSpace* parent = create(o);
    ASSERT_EQ(mmap(parent, kA, kPages * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    const uint64_t zero = env.run([] { return k::zero_page().value; });
    for (uint64_t i = 0; i < kPages; ++i) ASSERT_EQ(touch(parent, kA + i * kPage, AccessType::kRead).pa, zero);
    k::AddressSpace* child = fork(parent);
    ASSERT_NE(child, nullptr);
    EXPECT_EQ(child->zero_page_ptes(), kPages);
    EXPECT_EQ(child->resident_pages(), 0u);
    for (uint64_t i = 0; i < kPages; ++i) {
        const Touch t = touch(child, kA + i * kPage, AccessType::kRead);
        EXPECT_EQ(t.pa, zero);
        EXPECT_EQ(t.faults, 0);
    }
    // A write in the child gets a fresh frame; the zero page and the parent stay zero.
    const uint64_t pa = write(child, kA, 77);
    EXPECT_NE(pa, zero);
    EXPECT_EQ(child->fault_counters().permission, 1u) << "a zero-page break, not a COW fault";
    EXPECT_EQ(child->fault_counters().cow_copy + child->fault_counters().cow_reuse, 0u);
    EXPECT_EQ(env.read64(zero), 0u);
    EXPECT_EQ(read(parent, kA), 0u);
    EXPECT_EQ(touch(parent, kA, AccessType::kRead).pa, zero);
    check_all();
}

TEST_F(ForkTest, SharedAnonymousMemoryStaysShared) {
    constexpr uint64_t kPages = 4;
    k::AddressSpace* parent = create();
    ASSERT_EQ(mmap(parent, kA, kPages * kPage, R | W, kAnonShared), static_cast<int64_t>(kA));
    const uint64_t pa0 = write(parent, kA, 5);
    k::AddressSpace* child = fork(parent);
    ASSERT_NE(child, nullptr);
    check_all();
    EXPECT_EQ(frame_of(child, kA), pa0);
    EXPECT_TRUE(pte_writable(child, kA)) << "shared memory keeps the VMA's rights";
    EXPECT_TRUE(pte_writable(parent, kA));
    EXPECT_EQ(mapcount(pa0), 2);
    EXPECT_EQ(read(child, kA), 5u);
    // Writes go both ways, with no fault, on pages touched before fork or not.
    const Touch w = touch(child, kA, AccessType::kWrite);
    EXPECT_EQ(w.faults, 0);
    env.write64(w.pa, 6);
    EXPECT_EQ(read(parent, kA), 6u);
    write(child, kA + 3 * kPage, 9);
    EXPECT_EQ(read(parent, kA + 3 * kPage), 9u);
    write(parent, kA + kPage, 11);
    EXPECT_EQ(read(child, kA + kPage), 11u);
    EXPECT_EQ(child->fault_counters().cow_copy + parent->fault_counters().cow_copy, 0u);
    // A shared mapping made after fork is the maker's alone.
    ASSERT_EQ(mmap(child, kA + 16 * kPage, kPage, R | W, kAnonShared), static_cast<int64_t>(kA + 16 * kPage));
    write(child, kA + 16 * kPage, 1);
    EXPECT_EQ(touch(parent, kA + 16 * kPage, AccessType::kRead).refused.code, lx::kSegvMaperr);
    // MADV_DONTNEED keeps shared data; munmap in one leaves the other's.
    EXPECT_EQ(env.run([&] { return child->madvise(kA, kPages * kPage, lx::kMadvDontneed); }), 0);
    EXPECT_EQ(read(child, kA), 6u);
    ASSERT_EQ(env.run([&] { return child->munmap(kA, kPages * kPage); }), 0);
    EXPECT_EQ(read(parent, kA + 3 * kPage), 9u);
    EXPECT_EQ(mapcount(pa0), 1);
    check_all();
}

TEST_F(ForkTest, AForkOfAForkSharesAFrameThreeWaysAndTheReverseMapFindsAll) {
    k::AddressSpace* a = create();
    ASSERT_EQ(mmap(a, kA, 2 * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    const uint64_t pa = write(a, kA, 1);
    k::AddressSpace* b = fork(a);
    ASSERT_NE(b, nullptr);
    k::AddressSpace* c = fork(b);
    ASSERT_NE(c, nullptr);
    check_all();
    EXPECT_EQ(mapcount(pa), 3);
    EXPECT_EQ(frame_of(c, kA), pa);
    EXPECT_EQ(rmap_spaces(pa, kA), (std::set<k::AddressSpace*>{a, b, c}));
    // A frame made in the middle one after the first fork is shared with its child only.
    const uint64_t pb = write(b, kA + kPage, 2);
    k::AddressSpace* d = fork(b);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(rmap_spaces(pb, kA + kPage), (std::set<k::AddressSpace*>{b, d}));
    EXPECT_EQ(read(d, kA + kPage), 2u);
    EXPECT_EQ(touch(a, kA + kPage, AccessType::kRead).pa != pb, true);
    // The grandchild breaks away: two left, and they still share.
    write(c, kA, 3);
    EXPECT_EQ(mapcount(pa), 3) << "b, d and a";
    EXPECT_EQ(rmap_spaces(pa, kA), (std::set<k::AddressSpace*>{a, b, d}));
    destroy(a);
    EXPECT_EQ(rmap_spaces(pa, kA), (std::set<k::AddressSpace*>{b, d}));
    EXPECT_EQ(read(b, kA), 1u);
    EXPECT_EQ(read(c, kA), 3u);
    EXPECT_EQ(read(d, kA), 1u);
    check_all();
    // The creator's object outlives it while its frame is mapped: b and d both
    // map the frame, so b's write copies; d is then its last mapper and reuses.
    const k::FaultCounters b0 = b->fault_counters(), d0 = d->fault_counters();
    write(b, kA, 4);
    write(d, kA, 5);
    EXPECT_EQ(b->fault_counters().cow_copy - b0.cow_copy, 1u);
    EXPECT_EQ(d->fault_counters().cow_reuse - d0.cow_reuse, 1u);
    EXPECT_EQ(frame_of(d, kA), pa);
    EXPECT_EQ(rmap_spaces(pa, kA), (std::set<k::AddressSpace*>{d}));
    check_all();
}

TEST_F(ForkTest, MunmapMprotectAndMadviseInOneLeaveTheOther) {
    constexpr uint64_t kPages = 6;
    k::AddressSpace* parent = create();
    ASSERT_EQ(mmap(parent, kA, kPages * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    for (uint64_t i = 0; i < kPages; ++i) write(parent, kA + i * kPage, 10 + i);
    k::AddressSpace* child = fork(parent);
    ASSERT_NE(child, nullptr);

    // munmap of page 0 in the child.
    ASSERT_EQ(env.run([&] { return child->munmap(kA, kPage); }), 0);
    EXPECT_EQ(touch(child, kA, AccessType::kRead).refused.code, lx::kSegvMaperr);
    EXPECT_EQ(read(parent, kA), 10u);
    EXPECT_EQ(mapcount(frame_of(parent, kA)), 1);
    // madvise(DONTNEED) of page 1 in the child: zero there, data in the parent.
    ASSERT_EQ(env.run([&] { return child->madvise(kA + kPage, kPage, lx::kMadvDontneed); }), 0);
    EXPECT_EQ(read(child, kA + kPage), 0u);
    EXPECT_EQ(read(parent, kA + kPage), 11u);
    // mprotect(R) of page 2 in the parent: the child still writes (a copy).
    ASSERT_EQ(env.run([&] { return parent->mprotect(kA + 2 * kPage, kPage, R); }), 0);
    EXPECT_EQ(touch(parent, kA + 2 * kPage, AccessType::kWrite).refused.code, lx::kSegvAccerr);
    write(child, kA + 2 * kPage, 99);
    EXPECT_EQ(read(parent, kA + 2 * kPage), 12u);
    // mprotect(R) then (R|W) of page 3 in the parent while the child shares it:
    // the PTE must stay read-only, and the parent's write must copy.
    ASSERT_EQ(env.run([&] { return parent->mprotect(kA + 3 * kPage, kPage, R); }), 0);
    ASSERT_EQ(env.run([&] { return parent->mprotect(kA + 3 * kPage, kPage, R | W); }), 0);
    EXPECT_FALSE(pte_writable(parent, kA + 3 * kPage)) << "mprotect made a shared frame writable";
    check_all();
    const uint64_t copies = parent->fault_counters().cow_copy;
    write(parent, kA + 3 * kPage, 55);
    EXPECT_EQ(parent->fault_counters().cow_copy, copies + 1);
    EXPECT_EQ(read(child, kA + 3 * kPage), 13u);
    // mprotect(R|W) over a frame the child no longer shares makes it writable.
    ASSERT_EQ(env.run([&] { return parent->mprotect(kA, kPage, R); }), 0);
    ASSERT_EQ(env.run([&] { return parent->mprotect(kA, kPage, R | W); }), 0);
    EXPECT_TRUE(pte_writable(parent, kA));
    // munmap of everything in the parent: the child keeps its data.
    ASSERT_EQ(env.run([&] { return parent->munmap(kA, kPages * kPage); }), 0);
    EXPECT_EQ(read(child, kA + 4 * kPage), 14u);
    EXPECT_EQ(read(child, kA + 2 * kPage), 99u);
    EXPECT_EQ(read(child, kA + 3 * kPage), 13u);
    check_all();
}

TEST_F(ForkTest, PinnedPagesAreCopiedAtFork) {
    k::AddressSpace* parent = create();
    ASSERT_EQ(mmap(parent, kA, 2 * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    write(parent, kA, 7);
    write(parent, kA + kPage, 8);
    k::Page* pinned = nullptr;
    ASSERT_EQ(env.run([&] { return parent->pin_pages(kA, 1, true, &pinned); }), 0);
    const uint64_t pinned_pa = env.run([&] { return k::pmm::page_to_phys(pinned).value; });
    EXPECT_EQ(refcount(pinned_pa), 2);
    k::AddressSpace* child = fork(parent);
    ASSERT_NE(child, nullptr);
    check_all();
    // The parent keeps the pinned frame, writable; the child has a copy.
    EXPECT_EQ(frame_of(parent, kA), pinned_pa);
    EXPECT_TRUE(pte_writable(parent, kA));
    EXPECT_NE(frame_of(child, kA), pinned_pa);
    EXPECT_TRUE(pte_writable(child, kA));
    EXPECT_EQ(mapcount(pinned_pa), 1);
    EXPECT_EQ(read(child, kA), 7u);
    // The unpinned page is shared as usual.
    EXPECT_EQ(frame_of(child, kA + kPage), frame_of(parent, kA + kPage));
    // The pin's owner writes (a DMA, say): the parent sees it, the child not.
    env.write64(pinned_pa, 70);
    EXPECT_EQ(read(parent, kA), 70u);
    EXPECT_EQ(read(child, kA), 7u);
    EXPECT_EQ(touch(parent, kA, AccessType::kWrite).faults, 0);
    env.run([&] { k::AddressSpace::unpin_pages(&pinned, 1); });
    EXPECT_EQ(refcount(pinned_pa), 1);
    check_all();
}

TEST_F(ForkTest, ACowFaultCopiesAFramePinnedAfterFork) {
    k::AddressSpace* parent = create();
    ASSERT_EQ(mmap(parent, kA, kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    const uint64_t pa = write(parent, kA, 3);
    k::AddressSpace* child = fork(parent);
    ASSERT_NE(child, nullptr);
    // The child drops its mapping: the parent maps the frame alone, but a read
    // pin holds it, so the write must copy (not reuse) for the pin to keep it.
    k::Page* pinned = nullptr;
    ASSERT_EQ(env.run([&] { return parent->pin_pages(kA, 1, false, &pinned); }), 0);
    ASSERT_EQ(env.run([&] { return child->munmap(kA, kPage); }), 0);
    EXPECT_EQ(mapcount(pa), 1);
    EXPECT_EQ(refcount(pa), 2);
    const uint64_t now = write(parent, kA, 4);
    EXPECT_NE(now, pa);
    EXPECT_EQ(parent->fault_counters().cow_copy, 1u);
    EXPECT_EQ(parent->fault_counters().cow_reuse, 0u);
    EXPECT_EQ(env.read64(pa), 3u) << "the pinned frame keeps its data";
    EXPECT_EQ(mapcount(pa), 0);
    check_all();
    env.run([&] { k::AddressSpace::unpin_pages(&pinned, 1); });  // frees it: the mapping is gone
}

TEST_F(ForkTest, DestroyInEitherOrderFreesExactlyTheUnsharedFrames) {
    for (bool parent_first : {true, false}) {
        SCOPED_TRACE(parent_first ? "parent first" : "child first");
        k::AddressSpaceOptions o;
        o.zero_page_reads = true;
        k::AddressSpace* parent = create(o);
        ASSERT_EQ(mmap(parent, kA, 8 * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
        ASSERT_EQ(mmap(parent, kA + 16 * kPage, 2 * kPage, R | W, kAnonShared), static_cast<int64_t>(kA + 16 * kPage));
        for (uint64_t i = 0; i < 6; ++i) write(parent, kA + i * kPage, i + 1);
        read(parent, kA + 7 * kPage);  // the zero page
        write(parent, kA + 16 * kPage, 42);
        k::AddressSpace* child = fork(parent);
        ASSERT_NE(child, nullptr);
        write(child, kA, 100);            // copied
        write(parent, kA + kPage, 200);   // copied
        const uint64_t before = env.settled_free_frames();
        k::AddressSpace* first = parent_first ? parent : child;
        k::AddressSpace* second = parent_first ? child : parent;
        const uint64_t second_value = parent_first ? 100 : 1;
        // Frames the first maps alone: its copy, and the old frame of the
        // page the second copied (the first still maps it alone).
        destroy(first);
        const uint64_t freed = env.settled_free_frames() - before;
        EXPECT_GE(freed, 2u) << "the first's own frames were not freed";
        EXPECT_LE(freed, 2u + 10u) << "more than its own frames, tables and slabs";
        EXPECT_EQ(read(second, kA), second_value);
        EXPECT_EQ(read(second, kA + 5 * kPage), 6u);
        EXPECT_EQ(read(second, kA + 16 * kPage), 42u);
        env.check(second);
        destroy(second);
        EXPECT_EQ(env.settled_free_frames(), env.baseline());
    }
}

TEST_F(ForkTest, ReplaceFrameRewritesOnlyAPresent4KLeaf) {
    k::AddressSpace* s = create();
    ASSERT_EQ(mmap(s, kA, kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    const uint64_t old = write(s, kA, 1);
    env.run([&] {
        k::TlbInvalidation inv;
        const k::PageAttrs rw{true, false, true, k::CachePolicy::kWriteBack};
        k::Page* other = k::pmm::alloc_page();
        const k::PhysAddr pa = k::pmm::page_to_phys(other);
        EXPECT_EQ(s->page_table().replace_frame(k::VirtAddr{kA + kPage}, pa, rw, inv), k::PtStatus::kNotMapped);
        EXPECT_EQ(s->page_table().replace_frame(k::VirtAddr{kA + 8}, pa, rw, inv), k::PtStatus::kMisaligned);
        // Pointed at another frame and back: the table stays, the old
        // translation is recorded for the flush each time.
        EXPECT_EQ(s->page_table().replace_frame(k::VirtAddr{kA}, pa, rw, inv), k::PtStatus::kOk);
        k::Mapping m;
        ASSERT_TRUE(s->page_table().lookup(k::VirtAddr{kA}, &m));
        EXPECT_EQ(m.frame.value, pa.value);
        EXPECT_EQ(s->page_table().replace_frame(k::VirtAddr{kA}, k::PhysAddr{old}, rw, inv), k::PtStatus::kOk);
        EXPECT_FALSE(inv.empty());
        k::flush_tlb_local(inv, k::loaded_pcid());
        k::pmm::free_page(other);
    });
    EXPECT_EQ(read(s, kA), 1u);
    env.check(s);
}

TEST_F(ForkTest, ForkFailsCleanlyWhenMemoryRunsOut) {
    k::AddressSpaceOptions o;
    o.zero_page_reads = true;
    k::AddressSpace* parent = create(o);
    constexpr uint64_t kPages = 24;
    ASSERT_EQ(mmap(parent, kA, kPages * kPage, R | W, kAnonPrivate), static_cast<int64_t>(kA));
    ASSERT_EQ(mmap(parent, kA + 64 * kPage, 4 * kPage, R | W, kAnonShared), static_cast<int64_t>(kA + 64 * kPage));
    for (uint64_t i = 0; i < kPages - 4; ++i) write(parent, kA + i * kPage, i + 1);
    for (uint64_t i = kPages - 4; i < kPages; ++i) read(parent, kA + i * kPage);  // zero page
    write(parent, kA + 64 * kPage, 64);
    k::Page* pinned = nullptr;
    ASSERT_EQ(env.run([&] { return parent->pin_pages(kA, 1, true, &pinned); }), 0);
    int failures = 0;
    bool succeeded = false;
    for (uint64_t spare = 0; spare < 40 && !succeeded; ++spare) {
        SCOPED_TRACE(spare);
        // Leave exactly `spare` frames free (the slab keeps what it caches).
        std::vector<k::Page*> hoard;
        env.run([&] {
            while (k::Page* p = k::pmm::alloc_page()) hoard.push_back(p);
            for (uint64_t i = 0; i < spare && !hoard.empty(); ++i) {
                k::pmm::free_page(hoard.back());
                hoard.pop_back();
            }
        });
        env.load(parent);
        k::AddressSpace* child = env.run([&] { return parent->fork(); });
        env.run([&] {
            for (k::Page* p : hoard) k::pmm::free_page(p);
        });
        env.check(parent);
        if (!child) {
            ++failures;
        } else {
            succeeded = true;
            live.push_back(child);
            env.check(child);
            for (uint64_t i = 0; i < kPages - 4; ++i) ASSERT_EQ(read(child, kA + i * kPage), i + 1);
            EXPECT_EQ(read(child, kA + 64 * kPage), 64u);
        }
        // The parent is whole either way: its data, and its writes (a reuse
        // where a failed fork left a PTE read-only).
        for (uint64_t i = 0; i < kPages - 4; ++i) ASSERT_EQ(read(parent, kA + i * kPage), i + 1);
        write(parent, kA + 2 * kPage, 3);
    }
    EXPECT_GT(failures, 3) << "memory never ran out";
    EXPECT_TRUE(succeeded);
    env.run([&] { k::AddressSpace::unpin_pages(&pinned, 1); });
    check_all();
}

// ---------------------------------------------------------------- randomized

struct Cell {
    uint64_t value = 0;
};
struct PageModel {
    uint32_t prot = 0;
    bool shared = false;
    std::shared_ptr<Cell> cell;  // private: this space's alone; shared: every space's that maps it
};
using SpaceModel = std::map<uint64_t, PageModel>;

void run_random_fork(uint64_t seed, int operations) {
    AddressSpaceEnv env;
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t n) { return static_cast<uint64_t>(rng() % n); };
    constexpr uint64_t kWindow = 0x1000'0000, kWindowPages = 64;
    constexpr size_t kMaxSpaces = 5;
    const uint32_t prots[] = {0, R, R | W};
    k::AddressSpaceOptions options;
    options.zero_page_reads = seed % 2 == 0;

    struct Space {
        k::AddressSpace* as;
        SpaceModel model;
        uint64_t faults = 0;
    };
    std::vector<Space> spaces;
    k::AddressSpace* loaded = nullptr;
    auto load = [&](k::AddressSpace* s) {
        if (loaded != s) env.load(s);
        loaded = s;
    };
    auto destroy = [&](size_t i) {
        env.destroy(spaces[i].as);  // checks it first, and loads the kernel's CR3
        loaded = nullptr;
        spaces.erase(spaces.begin() + static_cast<long>(i));
    };
    spaces.push_back({env.create(options), {}, 0});
    ASSERT_NE(spaces[0].as, nullptr);
    uint64_t forks = 0, copies = 0, reuses = 0;

    for (int op = 0; op < operations; ++op) {
        if (spaces.empty()) {
            spaces.push_back({env.create(options), {}, 0});
            ASSERT_NE(spaces.back().as, nullptr);
        }
        const size_t si = pick(spaces.size());
        Space& sp = spaces[si];
        SpaceModel& model = sp.model;
        const uint64_t start = kWindow + pick(kWindowPages) * kPage;
        const uint64_t len = (1 + pick(12)) * kPage;
        const uint64_t end = start + len;
        const uint32_t prot = prots[pick(3)];
        const uint64_t kind = pick(100);
        if (kind < 8) {  // mmap, private or shared
            const bool shared = pick(4) == 0;
            const int64_t r =
                env.run([&] { return sp.as->mmap(start, len, prot, shared ? kAnonShared : kAnonPrivate); });
            ASSERT_EQ(r, static_cast<int64_t>(start)) << "op " << op;
            for (uint64_t p = start; p < end; p += kPage) model[p] = PageModel{prot, shared, std::make_shared<Cell>()};
        } else if (kind < 14) {  // fork
            if (spaces.size() >= kMaxSpaces) continue;
            load(sp.as);
            k::AddressSpace* child = env.run([&] { return sp.as->fork(); });
            ASSERT_NE(child, nullptr);
            ++forks;
            SpaceModel copy;
            for (const auto& [p, m] : model)
                copy[p] = PageModel{m.prot, m.shared, m.shared ? m.cell : std::make_shared<Cell>(*m.cell)};
            spaces.push_back({child, std::move(copy), 0});
        } else if (kind < 16) {  // destroy
            if (spaces.size() < 2) continue;
            destroy(si);
        } else if (kind < 21) {  // munmap
            ASSERT_EQ(env.run([&] { return sp.as->munmap(start, len); }), 0);
            model.erase(model.lower_bound(start), model.lower_bound(end));
        } else if (kind < 30) {  // mprotect
            bool all = true;
            for (uint64_t p = start; p < end; p += kPage) all &= model.count(p) != 0;
            const int64_t r = env.run([&] { return sp.as->mprotect(start, len, prot); });
            ASSERT_EQ(r, all ? 0 : -lx::kEnomem) << "op " << op;
            if (all)
                for (uint64_t p = start; p < end; p += kPage) model[p].prot = prot;
        } else if (kind < 34) {  // madvise(MADV_DONTNEED)
            env.run([&] { return sp.as->madvise(start, len, lx::kMadvDontneed); });
            for (auto it = model.lower_bound(start); it != model.end() && it->first < end; ++it)
                if (!it->second.shared) it->second.cell->value = 0;
        } else {  // touch a page, mostly mapped ones
            uint64_t page = start;
            if (!model.empty() && pick(5) != 0) {
                auto it = model.begin();
                std::advance(it, static_cast<long>(pick(model.size())));
                page = it->first;
            }
            const AccessType type = pick(3) ? AccessType::kWrite : AccessType::kRead;
            load(sp.as);
            const k::FaultCounters before = sp.as->fault_counters();
            const Touch t = env.touch(sp.as, page, type);
            sp.faults += static_cast<uint64_t>(t.faults);
            copies += sp.as->fault_counters().cow_copy - before.cow_copy;
            reuses += sp.as->fault_counters().cow_reuse - before.cow_reuse;
            auto it = model.find(page);
            if (it == model.end()) {
                ASSERT_FALSE(t.ok);
                ASSERT_EQ(t.refused.code, lx::kSegvMaperr) << "op " << op;
            } else if (it->second.prot == 0 || (type == AccessType::kWrite && !(it->second.prot & W))) {
                ASSERT_FALSE(t.ok) << "op " << op;
                ASSERT_EQ(t.refused.code, lx::kSegvAccerr) << "op " << op;
            } else {
                ASSERT_TRUE(t.ok) << "op " << op;
                ASSERT_EQ(env.read64(t.pa), it->second.cell->value) << "op " << op << std::hex << " page " << page;
                if (type == AccessType::kWrite) {
                    it->second.cell->value = rng() | 1;
                    env.write64(t.pa, it->second.cell->value);
                }
            }
        }
        // Every space against its model's values, and every invariant.
        if (op % 50 == 49) {
            for (Space& s : spaces) {
                load(s.as);
                for (const auto& [p, m] : s.model) {
                    if (m.prot == 0) continue;
                    const Touch t = env.touch(s.as, p, AccessType::kRead);
                    s.faults += static_cast<uint64_t>(t.faults);
                    ASSERT_TRUE(t.ok) << "op " << op;
                    ASSERT_EQ(env.read64(t.pa), m.cell->value) << "op " << op << std::hex << " page " << p;
                }
            }
        }
        for (Space& s : spaces) env.check(s.as);
        if (::testing::Test::HasFatalFailure()) return;
    }
    for (Space& s : spaces) {
        const k::FaultCounters c = s.as->fault_counters();
        EXPECT_EQ(c.demand_zero + c.zero_page + c.permission + c.cow_copy + c.cow_reuse + c.maperr + c.accerr + c.oom,
                  s.faults)
            << "each fault counts once";
    }
    EXPECT_GT(forks, 40u);
    EXPECT_GT(copies, 50u);
    EXPECT_GT(reuses, 10u);
    while (!spaces.empty()) destroy(pick(spaces.size()));
    EXPECT_EQ(env.settled_free_frames(), env.baseline()) << "frames leaked";
}

TEST(ForkRandom, ManySpacesMatchAModel) {
    for (uint64_t seed : {11u, 12u, 13u, 14u}) {
        SCOPED_TRACE(seed);
        run_random_fork(seed, 4000);
        if (HasFatalFailure()) return;
    }
}

}  // namespace
