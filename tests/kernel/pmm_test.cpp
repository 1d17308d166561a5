// The physical memory manager (kernel/mm/pmm.h) on simulated machines: zones and
// nodes from the boot memory map, the descriptor arrays, the buddy allocator's
// split and merge, large blocks, and the per-CPU lists. Kernel code runs on
// simulated CPUs through KernelMachine::on_cpu / on_all_cpus. The invariant
// checker has pmm_checker_test.cpp, the multi-CPU stress pmm_stress_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kernel/hal/hal.h"
#include "kernel/mm/pmm.h"
#include "tests/kernel/pmm_fixture.h"

using namespace simx;
using namespace simx::testing;
using kernel::Page;
using kernel::Zone;
namespace pmm = kernel::pmm;
namespace page_flag = kernel::page_flag;

// ---------------------------------------------------------------- zones and nodes

TEST(Pmm, ZonesFollowTheAddressLimitsOnEachNode) {
    // node 0: [0, 64M) holds DMA and DMA32; node 1: [64M, 4G+128M) holds DMA32 and Normal.
    KernelMachine m(small_machine(2, {64 * MiB, 4 * GiB + 64 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        const pmm::ZoneStats dma0 = pmm::zone_stats(0, Zone::kDma);
        EXPECT_EQ(dma0.start.value, 0u);
        EXPECT_EQ(dma0.end.value, 16 * MiB);
        EXPECT_EQ(dma0.managed, (16 * MiB - 1 * MiB) / 4096);  // the first MiB is reserved
        const pmm::ZoneStats dma32_0 = pmm::zone_stats(0, Zone::kDma32);
        EXPECT_EQ(dma32_0.start.value, 16 * MiB);
        EXPECT_EQ(dma32_0.end.value, 64 * MiB);
        EXPECT_EQ(pmm::zone_stats(0, Zone::kNormal).managed, 0u);
        EXPECT_EQ(pmm::zone_stats(1, Zone::kDma).managed, 0u);
        const pmm::ZoneStats dma32_1 = pmm::zone_stats(1, Zone::kDma32);
        EXPECT_EQ(dma32_1.start.value, 64 * MiB);
        EXPECT_EQ(dma32_1.end.value, 4 * GiB);
        const pmm::ZoneStats normal1 = pmm::zone_stats(1, Zone::kNormal);
        EXPECT_EQ(normal1.start.value, 4 * GiB);
        EXPECT_EQ(normal1.end.value, 4 * GiB + 128 * MiB);

        // Each node's descriptor array (56 bytes a frame) comes out of its own
        // memory, and nothing else: the managed counts add up.
        const uint64_t frames0 = 64 * MiB / 4096, frames1 = (4 * GiB + 64 * MiB) / 4096;
        const uint64_t array0 = (frames0 * sizeof(Page) + 4095) / 4096, array1 = (frames1 * sizeof(Page) + 4095) / 4096;
        EXPECT_EQ(dma0.managed + dma32_0.managed, frames0 - 256 - array0);
        EXPECT_EQ(dma32_1.managed + normal1.managed, frames1 - array1);
        EXPECT_EQ(pmm::free_frames(), frames0 - 256 - array0 + frames1 - array1);

        // DMA only when asked for, below 16 MiB.
        pmm::AllocFlags dma;
        dma.highest_zone = Zone::kDma;
        Page* p = pmm::alloc_page(dma);
        ASSERT_NE(p, nullptr);
        EXPECT_LT(pa_of(p), 16 * MiB);
        EXPECT_EQ(p->zone, Zone::kDma);
        EXPECT_EQ(p->node, 0);
        pmm::free_page(p);
        pmm::check_invariants();
    });
    m.on_cpu(1, [] {
        // CPU 1 is on node 1: Normal first, DMA32 when the caller cannot use Normal.
        Page* p = pmm::alloc_pages(9);
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->node, 1);
        EXPECT_EQ(p->zone, Zone::kNormal);
        EXPECT_GE(pa_of(p), 4 * GiB);
        pmm::AllocFlags low;
        low.highest_zone = Zone::kDma32;
        Page* q = pmm::alloc_page(low);
        ASSERT_NE(q, nullptr);
        EXPECT_EQ(q->node, 1);
        EXPECT_EQ(q->zone, Zone::kDma32);
        EXPECT_GE(pa_of(q), 64 * MiB);
        EXPECT_LT(pa_of(q), 4 * GiB);
        // A node without DMA: the request falls back to node 0's DMA.
        low.highest_zone = Zone::kDma;
        Page* r = pmm::alloc_page(low);
        ASSERT_NE(r, nullptr);
        EXPECT_EQ(r->node, 0);
        EXPECT_EQ(r->zone, Zone::kDma);
        low.this_node_only = true;
        EXPECT_EQ(pmm::alloc_page(low), nullptr);
        pmm::free_pages(p, 9);
        pmm::free_page(q);
        pmm::free_page(r);
    });
    m.on_cpu(0, [] { pmm::check_invariants(); });
    EXPECT_NE(m.console().find("pmm: node 1 Normal [0x100000000, 0x108000000)"), std::string::npos) << m.console();
}

TEST(Pmm, DescriptorsAndTheFirstMegabyteAreReserved) {
    KernelMachine m(small_machine(1, {64 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        Page* first = pmm::phys_to_page(kernel::PhysAddr{0});
        EXPECT_TRUE(first->has(page_flag::kReserved));
        EXPECT_EQ(first->refcount, 1);
        EXPECT_TRUE(pmm::phys_to_page(kernel::PhysAddr{MiB - 4096})->has(page_flag::kReserved));
        EXPECT_FALSE(pmm::phys_to_page(kernel::PhysAddr{MiB})->has(page_flag::kReserved));
        // The descriptors live in simulated RAM, in frames marked reserved, above DMA.
        const kernel::PhysAddr where = hal::virt_to_phys(first);
        EXPECT_GE(where.value, 16 * MiB);
        EXPECT_TRUE(pmm::phys_to_page(where)->has(page_flag::kReserved));
        const kernel::PhysAddr last = hal::virt_to_phys(pmm::phys_to_page(kernel::PhysAddr{64 * MiB - 4096}));
        EXPECT_TRUE(pmm::phys_to_page(last)->has(page_flag::kReserved));
        // pfn <-> descriptor round trips, and the direct map agrees.
        for (uint64_t pa : {MiB, 17 * MiB + 4096, 64 * MiB - 4096}) {
            Page* p = pmm::phys_to_page(kernel::PhysAddr{pa});
            EXPECT_EQ(pa_of(p), pa);
            EXPECT_EQ(pmm::page_to_virt(p), hal::phys_to_virt(kernel::PhysAddr{pa}));
        }
    });
    EXPECT_THROW(m.on_cpu(0, [] { pmm::phys_to_page(kernel::PhysAddr{64 * MiB}); }), SimError);
}

TEST(Pmm, NodeLocalAllocationThenFallbackInNodeOrder) {
    // Three nodes, CPU i on node i.
    KernelMachine m(small_machine(3, {32 * MiB, 32 * MiB, 32 * MiB}));
    boot_pmm(m);
    m.on_cpu(2, [] {
        Page* p = pmm::alloc_page();
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->node, 2);
        pmm::AllocFlags on1;
        on1.node = 1;
        Page* q = pmm::alloc_page(on1);
        ASSERT_NE(q, nullptr);
        EXPECT_EQ(q->node, 1);
        pmm::free_page(p);
        pmm::free_page(q);

        // Exhaust node 2; the preferred node then falls back to 0 (wrapping), not 1.
        pmm::AllocFlags only2;
        only2.this_node_only = true;
        std::vector<Page*> held;
        while (Page* r = pmm::alloc_page(only2)) {
            EXPECT_EQ(r->node, 2);
            held.push_back(r);
        }
        EXPECT_EQ(held.size(), pmm::zone_stats(2, Zone::kDma32).managed);
        Page* fallback = pmm::alloc_page();
        ASSERT_NE(fallback, nullptr);
        EXPECT_EQ(fallback->node, 0);
        held.push_back(fallback);

        // Exhaust node 0 as well: next is node 1.
        pmm::AllocFlags only0;
        only0.node = 0;
        only0.this_node_only = true;
        while (Page* r = pmm::alloc_page(only0)) held.push_back(r);
        Page* last = pmm::alloc_page();
        ASSERT_NE(last, nullptr);
        EXPECT_EQ(last->node, 1);
        held.push_back(last);
        for (Page* r : held) pmm::free_page(r);
        pmm::drain_cpu(2);
        pmm::check_invariants();
    });
}

TEST(Pmm, ZonesOfANodeAreUsedFromTheHighestDown) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        std::vector<Page*> held;
        bool seen_dma = false;
        while (Page* p = pmm::alloc_page()) {
            if (p->zone == Zone::kDma) seen_dma = true;
            // Once DMA is in use, DMA32 must be exhausted.
            if (seen_dma) {
                EXPECT_EQ(p->zone, Zone::kDma);
            }
            held.push_back(p);
        }
        EXPECT_TRUE(seen_dma);
        EXPECT_EQ(held.size(), pmm::zone_stats(0, Zone::kDma).managed + pmm::zone_stats(0, Zone::kDma32).managed);
        for (Page* p : held) pmm::free_page(p);
    });
}

// ---------------------------------------------------------------- buddy

TEST(Pmm, AllocatingEveryFrameThenFreeingAllMergesBackExactly) {
    KernelMachine m(small_machine(1, {64 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        const PmmSnapshot before = pmm_snapshot(1);
        std::vector<Page*> held;
        std::vector<uint64_t> pfns;
        while (Page* p = pmm::alloc_page()) {
            EXPECT_EQ(p->refcount, 1);
            held.push_back(p);
            pfns.push_back(pa_of(p) / 4096);
        }
        EXPECT_EQ(held.size(), before.free);
        EXPECT_EQ(pmm::free_frames(), 0u);
        std::sort(pfns.begin(), pfns.end());
        EXPECT_EQ(std::adjacent_find(pfns.begin(), pfns.end()), pfns.end()) << "a frame was handed out twice";
        pmm::check_invariants();

        std::mt19937_64 rng(42);
        std::shuffle(held.begin(), held.end(), rng);
        for (Page* p : held) pmm::free_page(p);
        EXPECT_EQ(pmm::free_frames(), before.free);
        pmm::drain_cpu(0);
        pmm::check_invariants();
        expect_same(before, pmm_snapshot(1));
    });
}

TEST(Pmm, BlocksOfEveryOrderAreNaturallyAligned) {
    KernelMachine m(small_machine(1, {64 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        const PmmSnapshot before = pmm_snapshot(1);
        std::vector<std::pair<Page*, uint32_t>> held;
        for (uint32_t round = 0; round < 3; ++round)
            for (uint32_t order = 0; order <= 10; ++order) {
                Page* p = pmm::alloc_pages(order);
                ASSERT_NE(p, nullptr) << "order " << order;
                EXPECT_EQ(pa_of(p) % (uint64_t{4096} << order), 0u) << "order " << order;
                if (order) {
                    EXPECT_TRUE(p->has(page_flag::kHead));
                    EXPECT_EQ(p->order, order);
                }
                held.emplace_back(p, order);
            }
        pmm::check_invariants();
        for (auto [p, order] : held) pmm::free_pages(p, order);
        pmm::drain_cpu(0);
        pmm::check_invariants();
        expect_same(before, pmm_snapshot(1));
    });
}

TEST(Pmm, TwoMegabyteAndOneGigabyteFramesFromATwoGigabyteNode) {
    KernelMachine m(small_machine(1, {2 * GiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        // [0, 1G) holds the reserved first MiB and the descriptors; [1G, 2G) is whole.
        EXPECT_EQ(pmm::zone_stats(0, Zone::kDma32).free_blocks[kernel::kHugePageOrder], 1u);
        Page* large = pmm::alloc_pages(kernel::kLargePageOrder);
        ASSERT_NE(large, nullptr);
        EXPECT_EQ(pa_of(large) % (2 * MiB), 0u);
        Page* huge = pmm::alloc_pages(kernel::kHugePageOrder);
        ASSERT_NE(huge, nullptr);
        EXPECT_EQ(pa_of(huge), 1 * GiB);
        EXPECT_EQ(pmm::alloc_pages(kernel::kHugePageOrder), nullptr);
        pmm::free_pages(huge, kernel::kHugePageOrder);
        Page* again = pmm::alloc_pages(kernel::kHugePageOrder);
        EXPECT_EQ(again, huge);
        pmm::free_pages(again, kernel::kHugePageOrder);
        pmm::free_pages(large, kernel::kLargePageOrder);
        pmm::check_invariants();
        EXPECT_EQ(pmm::zone_stats(0, Zone::kDma32).free_blocks[kernel::kHugePageOrder], 1u);
    });
}

TEST(Pmm, ZeroFlagZeroesTheFramesAndIsCharged) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        Page* p = pmm::alloc_pages(2);
        ASSERT_NE(p, nullptr);
        std::memset(pmm::page_to_virt(p), 0xAB, 4 * 4096);
        pmm::free_pages(p, 2);
        pmm::AllocFlags zero;
        zero.zero = true;
        Page* q = pmm::alloc_pages(2, zero);
        ASSERT_EQ(q, p);  // the block just freed comes back first
        const auto* bytes = static_cast<const uint8_t*>(pmm::page_to_virt(q));
        EXPECT_TRUE(std::all_of(bytes, bytes + 4 * 4096, [](uint8_t b) { return b == 0; }));
        pmm::free_pages(q, 2);
    });
    EXPECT_EQ(m.hal().cpu_stats(0).frames_zeroed, 4u);
}

TEST(Pmm, ExhaustionReturnsNullAndEverythingComesBack) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        const PmmSnapshot before = pmm_snapshot(1);
        std::vector<std::pair<Page*, uint32_t>> held;
        for (uint32_t order : {10u, 6u, 3u, 0u})
            while (Page* p = pmm::alloc_pages(order)) held.emplace_back(p, order);
        EXPECT_EQ(pmm::free_frames(), 0u);
        for (uint32_t order : {0u, 1u, 9u, kernel::kMaxOrder}) EXPECT_EQ(pmm::alloc_pages(order), nullptr);
        pmm::AllocFlags dma;
        dma.highest_zone = Zone::kDma;
        EXPECT_EQ(pmm::alloc_page(dma), nullptr);
        pmm::check_invariants();
        for (auto [p, order] : held) pmm::free_pages(p, order);
        pmm::drain_cpu(0);
        expect_same(before, pmm_snapshot(1));
        pmm::check_invariants();
    });
}

TEST(Pmm, HigherOrderRequestDrainsThisCpusListBeforeFailing) {
    KernelMachine m(small_machine(1, {16 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        // Take every frame singly, give them back: they sit on the per-CPU list
        // (up to high) and in the buddy lists, the buddies split apart.
        std::vector<Page*> held;
        while (Page* p = pmm::alloc_page()) held.push_back(p);
        for (Page* p : held) pmm::free_page(p);
        const uint64_t cached = pmm::cpu_list_stats(0, 0, Zone::kDma).frames;
        EXPECT_GT(cached, 0u);
        // The largest block exists only once the cached frames are merged back.
        const uint64_t all = pmm::free_frames();
        uint32_t order = 0;
        while ((uint64_t{2} << order) <= all) ++order;
        std::vector<std::pair<Page*, uint32_t>> blocks;
        while (Page* p = pmm::alloc_pages(order)) blocks.emplace_back(p, order);
        EXPECT_EQ(blocks.size(), 1u);
        EXPECT_EQ(pmm::cpu_list_stats(0, 0, Zone::kDma).frames, 0u);  // the failure drained the list
        for (auto [p, o] : blocks) pmm::free_pages(p, o);
        pmm::check_invariants();
    });
}

// ---------------------------------------------------------------- per-CPU lists

TEST(Pmm, PerCpuListsRefillAndDrainInBatches) {
    KernelMachine m(small_machine(2, {256 * MiB}));
    boot_pmm(m);
    m.on_cpu(0, [] {
        const pmm::ZoneStats zone0 = pmm::zone_stats(0, Zone::kDma32);
        pmm::CpuListStats s = pmm::cpu_list_stats(0, 0, Zone::kDma32);
        // Linux's zone_batchsize for 61440 - 896 frames: 60544/1024/4 = 14 -> 2^4 - 1.
        EXPECT_EQ(s.batch, 15u);
        EXPECT_EQ(s.high, 6 * s.batch);
        EXPECT_EQ(s.frames, 0u);
        const uint32_t batch = s.batch, high = s.high;

        // One allocation refills a whole batch from the buddy lists.
        std::vector<Page*> held{pmm::alloc_page()};
        s = pmm::cpu_list_stats(0, 0, Zone::kDma32);
        EXPECT_EQ(s.refills, 1u);
        EXPECT_EQ(s.frames, batch - 1);
        EXPECT_EQ(pmm::zone_stats(0, Zone::kDma32).free, zone0.free - batch);
        // The batch is used up before the next refill.
        for (uint32_t i = 1; i < batch; ++i) held.push_back(pmm::alloc_page());
        EXPECT_EQ(pmm::cpu_list_stats(0, 0, Zone::kDma32).refills, 1u);
        held.push_back(pmm::alloc_page());
        EXPECT_EQ(pmm::cpu_list_stats(0, 0, Zone::kDma32).refills, 2u);
        while (held.size() < 3 * high) held.push_back(pmm::alloc_page());
        s = pmm::cpu_list_stats(0, 0, Zone::kDma32);

        // Frees cache frames until the list passes high; then a batch goes back.
        uint64_t frames = s.frames, drains = 0;
        for (Page* p : held) {
            pmm::free_page(p);
            if (++frames > high) {
                frames -= batch;
                ++drains;
            }
            s = pmm::cpu_list_stats(0, 0, Zone::kDma32);
            ASSERT_EQ(s.frames, frames);
            ASSERT_LE(s.frames, high);
        }
        EXPECT_EQ(s.drains, drains);
        EXPECT_GT(drains, 0u);
        pmm::check_invariants();
        pmm::drain_cpu(0);
        EXPECT_EQ(pmm::cpu_list_stats(0, 0, Zone::kDma32).frames, 0u);
        EXPECT_EQ(pmm::zone_stats(0, Zone::kDma32).free, zone0.free);
    });
    // Frames cached by CPU 1 stay there until it, or someone while it is idle, drains them.
    m.on_cpu(1, [] { pmm::free_page(pmm::alloc_page()); });
    m.on_cpu(0, [] {
        const uint64_t total = pmm::free_frames();
        EXPECT_GT(pmm::cpu_list_stats(1, 0, Zone::kDma32).frames, 0u);
        pmm::drain_cpu(1);
        EXPECT_EQ(pmm::cpu_list_stats(1, 0, Zone::kDma32).frames, 0u);
        EXPECT_EQ(pmm::free_frames(), total);
        pmm::check_invariants();
    });
}

TEST(Pmm, BootInitialisesThePmmOnEveryCpu) {
    KernelMachine m(small_machine(4, {64 * MiB, 64 * MiB}));
    EXPECT_EQ(m.hal().boot(), 0);
    EXPECT_NE(m.console().find("pmm: node 0 DMA    [0x0, 0x1000000) 3840 frames managed, 3840 free"), std::string::npos)
        << m.console();
    EXPECT_NE(m.console().find("pmm: node 1 DMA32"), std::string::npos) << m.console();
    m.on_all_cpus([](uint32_t cpu) {
        EXPECT_GT(pmm::cpu_list_stats(cpu, cpu % 2, Zone::kDma32).batch, 0u);
        Page* p = pmm::alloc_page();
        ASSERT_NE(p, nullptr);
        EXPECT_EQ(p->node, cpu % 2);
        pmm::free_page(p);
    });
    m.on_cpu(0, [] { pmm::check_invariants(); });
}

TEST(Pmm, InitResetsEverythingForTheNextMachine) {
    for (int i = 0; i < 3; ++i) {
        KernelMachine m(small_machine(2, {32 * MiB}));
        boot_pmm(m);
        m.on_cpu(1, [] {
            // Leave frames allocated and cached: the next machine must not see them.
            for (int j = 0; j < 100; ++j) pmm::alloc_page();
            pmm::free_page(pmm::alloc_page());
        });
        m.on_cpu(0, [] { pmm::check_invariants(); });
    }
}
