// Translation throughput of the modeled MMU on one host core.
// Goals (issue 2): >= 100 M L1-hit translations/s, >= 10 M full 4-level walks/s.
#include <benchmark/benchmark.h>

#include <memory>

#include "sim/machine/machine.h"
#include "sim/mmu/page_table_builder.h"

using namespace simx;

namespace {

constexpr uint64_t kBase = 0x0000'7f00'0000'0000ull;

// A one-CPU Skylake-client machine with `pages` 4 KiB user pages mapped at kBase.
struct Fixture {
    explicit Fixture(uint64_t pages, bool pcid = true) {
        MachineConfig config;
        config.cpus = 1;
        config.memory.node_bytes = {uint64_t{256} << 20};
        machine = std::make_unique<Machine>(config);
        frames = std::make_unique<FrameAllocator>(machine->memory(), PhysAddr{1 << 20}, PhysAddr{uint64_t{256} << 20});
        tables = std::make_unique<PageTableBuilder>(machine->memory(), *frames, 4);
        const PhysAddr data = frames->allocate(pages * 4096);
        for (uint64_t i = 0; i < pages; ++i)
            tables->map(VirtAddr{kBase + i * 4096}, data + i * 4096, PageSize::k4K, Pte::kWritable | Pte::kUser);
        Mmu& m = mmu();
        m.write_cr4(m.regs().cr4 | cr4::kPge | (pcid ? cr4::kPcide : 0));
        m.write_cr3(tables->root().value | (pcid ? 1 : 0));
    }
    Mmu& mmu() { return machine->mmu(0); }

    std::unique_ptr<Machine> machine;
    std::unique_ptr<FrameAllocator> frames;
    std::unique_ptr<PageTableBuilder> tables;
};

void run(benchmark::State& state, Fixture& f, uint64_t pages, uint64_t step_pages) {
    Mmu& mmu = f.mmu();
    const Access read = Access::user(AccessType::kRead);
    uint64_t page = 0;
    for (auto _ : state) {
        Translation t = mmu.translate(VirtAddr{kBase + page * 4096 + 8}, read);
        benchmark::DoNotOptimize(t);
        page += step_pages;
        if (page >= pages) page -= pages;
    }
    state.SetItemsProcessed(state.iterations());
}

// The same 8 pages over and over: every lookup hits the L1 DTLB.
void BM_TranslateL1Hit(benchmark::State& state) {
    Fixture f(8);
    run(state, f, 8, 1);
}
BENCHMARK(BM_TranslateL1Hit);

// 512 pages in order: 32 pages per L1 DTLB set (4 ways) always miss L1, and
// 4 per STLB set (12 ways) always hit the STLB.
void BM_TranslateStlbHit(benchmark::State& state) {
    Fixture f(512);
    for (uint64_t i = 0; i < 512; ++i) f.mmu().translate(VirtAddr{kBase + i * 4096}, Access::user(AccessType::kRead));
    run(state, f, 512, 1);
}
BENCHMARK(BM_TranslateStlbHit);

// TLBs and PSCs off: every translation is a full 4-level walk, each load through
// the cache model (the tables stay L1D-resident).
void BM_FullWalk4Level(benchmark::State& state) {
    Fixture f(4096);
    f.mmu().set_caching(false, false);
    run(state, f, 4096, 7);
}
BENCHMARK(BM_FullWalk4Level);

// A TLB miss that the PDE cache shortens to one load, the common case.
void BM_WalkWithPdeCacheHit(benchmark::State& state) {
    Fixture f(4096);
    f.mmu().set_caching(false, true);
    run(state, f, 4096, 7);
}
BENCHMARK(BM_WalkWithPdeCacheHit);

// Random pages over 64 MiB with everything on: mostly STLB misses and walks.
void BM_TranslateRandom64M(benchmark::State& state) {
    constexpr uint64_t kPages = 16384;
    Fixture f(kPages);
    Mmu& mmu = f.mmu();
    uint64_t x = 88172645463325252ull;
    for (auto _ : state) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Translation t = mmu.translate(VirtAddr{kBase + (x % kPages) * 4096}, Access::user(AccessType::kRead));
        benchmark::DoNotOptimize(t);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TranslateRandom64M);

}  // namespace
