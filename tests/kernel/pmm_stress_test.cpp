// A randomized multi-CPU stress test of the pmm: thousands of mixed allocations
// and frees across orders, nodes and zones on four simulated CPUs, some blocks
// freed by another CPU than the one that allocated them, with the invariant
// checker run after each phase and every frame back at the end.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <map>
#include <random>
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

namespace {

struct Block {
    Page* head;
    uint32_t order;
    uint64_t tag;
};

// Blocks in use, by first frame, across all CPUs: an allocation overlapping one
// of them is a frame handed out twice.
std::map<uint64_t, uint32_t> g_in_use;
std::vector<Block> g_handoff;  // blocks allocated on one CPU, freed on another
uint64_t g_digest;

uint64_t tag_of(uint64_t pfn, uint32_t order) { return (pfn * 0x9E3779B97F4A7C15ull) ^ order; }

void note_allocated(const Block& b) {
    const uint64_t pfn = pa_of(b.head) / 4096, frames = uint64_t{1} << b.order;
    auto next = g_in_use.lower_bound(pfn);
    if (next != g_in_use.end()) {
        ASSERT_GE(next->first, pfn + frames) << "overlaps block at pfn " << next->first;
    }
    if (next != g_in_use.begin()) {
        auto prev = std::prev(next);
        ASSERT_LE(prev->first + (uint64_t{1} << prev->second), pfn) << "overlaps block at pfn " << prev->first;
    }
    g_in_use[pfn] = b.order;
    // Tag the first and last words of the block; checked on free.
    auto* words = static_cast<uint64_t*>(pmm::page_to_virt(b.head));
    words[0] = b.tag;
    words[frames * 512 - 1] = b.tag;
    g_digest = g_digest * 31 + pfn * 64 + b.order;
}

void free_block(const Block& b) {
    const auto* words = static_cast<const uint64_t*>(pmm::page_to_virt(b.head));
    EXPECT_EQ(words[0], b.tag);
    EXPECT_EQ(words[(uint64_t{512} << b.order) - 1], b.tag);
    EXPECT_EQ(g_in_use.erase(pa_of(b.head) / 4096), 1u);
    pmm::free_pages(b.head, b.order);
}

uint32_t random_order(std::mt19937_64& rng) {
    const uint32_t r = static_cast<uint32_t>(rng() % 100);
    if (r < 60) return 0;
    if (r < 85) return 1 + static_cast<uint32_t>(rng() % 3);
    if (r < 98) return 4 + static_cast<uint32_t>(rng() % 6);
    return 10 + static_cast<uint32_t>(rng() % 3);
}

// One phase on one CPU: `ops` random allocations and frees, some with a
// different node or zone limit, some freed by another CPU. Returns with the
// CPU's blocks still held in `mine`.
void stress_phase(uint32_t cpu, uint32_t phase, uint32_t ops, std::vector<Block>& mine) {
    std::mt19937_64 rng(cpu * 1000 + phase);
    for (uint32_t i = 0; i < ops; ++i) {
        if (i % 4 == 0) hal::cpu_relax();  // let the other CPUs interleave
        const uint32_t what = static_cast<uint32_t>(rng() % 100);
        if (what < 55 || mine.empty()) {
            pmm::AllocFlags flags;
            if (rng() % 8 == 0) flags.node = static_cast<int32_t>(rng() % 2);
            if (rng() % 16 == 0) flags.highest_zone = Zone::kDma;
            flags.zero = rng() % 32 == 0;
            const uint32_t order = random_order(rng);
            Page* p = pmm::alloc_pages(order, flags);
            if (!p) continue;  // memory may run out under a burst: that is allowed
            const Block b{p, order, tag_of(pa_of(p) / 4096, order)};
            if (flags.zero) {
                const auto* words = static_cast<const uint64_t*>(pmm::page_to_virt(p));
                ASSERT_EQ(words[0], 0u);
            }
            note_allocated(b);
            (rng() % 10 == 0 ? g_handoff : mine).push_back(b);
        } else if (what < 65 && !g_handoff.empty()) {
            const Block b = g_handoff.back();  // someone else's block
            g_handoff.pop_back();
            free_block(b);
        } else {
            const size_t at = static_cast<size_t>(rng() % mine.size());
            std::swap(mine[at], mine.back());
            free_block(mine.back());
            mine.pop_back();
        }
    }
}

uint64_t run_stress() {
    KernelMachine m(small_machine(4, {64 * MiB, 64 * MiB}));
    boot_pmm(m);
    g_in_use.clear();
    g_handoff.clear();
    g_digest = 0;
    PmmSnapshot before;
    m.on_cpu(0, [&] { before = pmm_snapshot(2); });
    std::array<std::vector<Block>, 4> held;
    for (uint32_t phase = 0; phase < 6; ++phase) {
        m.on_all_cpus([&](uint32_t cpu) { stress_phase(cpu, phase, 1500, held[cpu]); });
        m.on_cpu(0, [] { pmm::check_invariants(); });
    }
    // Everything back: each CPU frees what it holds and drains its own lists.
    m.on_all_cpus([&](uint32_t cpu) {
        for (const Block& b : held[cpu]) free_block(b);
        held[cpu].clear();
        if (cpu == 0) {
            for (const Block& b : g_handoff) free_block(b);
            g_handoff.clear();
        }
    });
    m.on_all_cpus([](uint32_t cpu) { pmm::drain_cpu(cpu); });
    EXPECT_TRUE(g_in_use.empty());
    m.on_cpu(0, [&] {
        pmm::check_invariants();
        expect_same(before, pmm_snapshot(2));
    });
    return g_digest;
}

}  // namespace

TEST(PmmStress, RandomAllocsAndFreesOnFourCpusKeepTheInvariants) {
    const uint64_t first = run_stress();
    EXPECT_NE(first, 0u);
    // The same machine and seeds give the same allocations, frame for frame.
    EXPECT_EQ(run_stress(), first);
}
