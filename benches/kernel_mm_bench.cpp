// Kernel memory-management benchmarks. Kernel code runs natively, as in a boot,
// on a simulated CPU's fiber: each benchmark builds a machine, brings up what
// it measures, and runs its whole timing loop inside one run_on_cpu, so the
// figures are those of the kernel code and its hal:: calls alone.
//
// One section per subsystem (pmm, then slab, page tables, ...), each with its
// issue's goal. Goals are for one host core, RelWithDebInfo.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <sstream>
#include <vector>

#include "kernel/mm/pmm.h"
#include "sim/hal/sim_hal.h"
#include "sim/machine/machine.h"

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;

// A simulated machine with the sim HAL, for running kernel code.
struct BenchMachine {
    BenchMachine(uint32_t cpus, std::vector<uint64_t> node_bytes)
        : machine(config(cpus, std::move(node_bytes))), hal(machine, console) {}
    static simx::MachineConfig config(uint32_t cpus, std::vector<uint64_t> node_bytes) {
        simx::MachineConfig c;
        c.cpus = cpus;
        c.memory.node_bytes = std::move(node_bytes);
        c.cpu_node.clear();
        return c;
    }
    std::ostringstream console;
    simx::Machine machine;
    simx::SimHal hal;
};

}  // namespace

// ================================================================ pmm (issue 3 item 3)
// Goal: order-0 alloc+free pair with the per-CPU list hot under 50 ns.

namespace pmm = kernel::pmm;

// The common case: a frame from this CPU's list and straight back to it.
static void BM_PmmOrder0PairHotList(benchmark::State& state) {
    BenchMachine m(1, {256 * kMiB});
    m.hal.run_on_cpu(0, [&] {
        pmm::init();
        pmm::init_cpu();
        pmm::free_page(pmm::alloc_page());  // the list now holds a batch
        for (auto _ : state) {
            kernel::Page* p = pmm::alloc_page();
            benchmark::DoNotOptimize(p);
            pmm::free_page(p);
        }
    });
}
BENCHMARK(BM_PmmOrder0PairHotList);

// Bursts of N order-0 allocations then N frees: refills and drains through the
// zone lock, batch frames at a time. Reported per pair.
static void BM_PmmOrder0Burst(benchmark::State& state) {
    BenchMachine m(1, {256 * kMiB});
    const auto n = static_cast<size_t>(state.range(0));
    m.hal.run_on_cpu(0, [&] {
        pmm::init();
        pmm::init_cpu();
        std::vector<kernel::Page*> held(n);
        for (auto _ : state) {
            for (size_t i = 0; i < n; ++i) held[i] = pmm::alloc_page();
            for (size_t i = 0; i < n; ++i) pmm::free_page(held[i]);
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
    });
}
BENCHMARK(BM_PmmOrder0Burst)->Arg(64)->Arg(1024);

// A 2 MiB block from the buddy allocator (split on the way out, merged back).
static void BM_PmmOrder9Pair(benchmark::State& state) {
    BenchMachine m(1, {256 * kMiB});
    m.hal.run_on_cpu(0, [&] {
        pmm::init();
        pmm::init_cpu();
        for (auto _ : state) {
            kernel::Page* p = pmm::alloc_pages(kernel::kLargePageOrder);
            benchmark::DoNotOptimize(p);
            pmm::free_pages(p, kernel::kLargePageOrder);
        }
    });
}
BENCHMARK(BM_PmmOrder9Pair);

// ================================================================ slab (issue 3 item 4)
// Goal: slab alloc+free pair from a hot magazine under 15 ns. The fast path is
// irq_save, current_cpu, a pop or push, irq_restore: three hal:: calls.

#include "kernel/mm/kmalloc.h"
#include "kernel/mm/slab_cache.h"

namespace {

// pmm, slab and kmalloc up on CPU 0; slab debug checks as `debug` says.
void slab_boot(kernel::SlabDebug debug = kernel::SlabDebug::kOff) {
    pmm::init();
    pmm::init_cpu();
    kernel::slab::InitOptions options;
    options.debug = debug;
    kernel::slab::init(options);
    kernel::kmalloc_init();
}

kernel::CacheOptions slab_options(uint32_t magazine_size, kernel::SlabDebug debug) {
    kernel::CacheOptions o;
    o.magazine_size = magazine_size;
    o.debug = debug;
    return o;
}

}  // namespace

// One object out of the loaded magazine and straight back.
static void BM_SlabPairHotMagazine(benchmark::State& state) {
    BenchMachine m(1, {64 * kMiB});
    const auto debug = state.range(0) ? kernel::SlabDebug::kOn : kernel::SlabDebug::kOff;
    m.hal.run_on_cpu(0, [&] {
        slab_boot();
        kernel::SlabCache* cache = kernel::SlabCache::create("bench-64", 64, 8, nullptr, slab_options(31, debug));
        cache->free(cache->alloc());  // a loaded magazine with a round in it
        for (auto _ : state) {
            void* p = cache->alloc();
            benchmark::DoNotOptimize(p);
            cache->free(p);
        }
    });
    state.SetLabel(debug == kernel::SlabDebug::kOn ? "debug checks" : "no debug checks");
}
BENCHMARK(BM_SlabPairHotMagazine)->Arg(0)->Arg(1);

// Bursts of N allocations then N frees of one cache: beyond 2 magazines'
// worth (2 x 31) the CPU exchanges with the depot every 31 operations; past
// what the depot holds, it goes to the slab layer. Reported per pair.
static void BM_SlabBurst(benchmark::State& state) {
    BenchMachine m(1, {64 * kMiB});
    const auto n = static_cast<size_t>(state.range(0));
    m.hal.run_on_cpu(0, [&] {
        slab_boot();
        kernel::SlabCache* cache =
            kernel::SlabCache::create("bench-burst", 64, 8, nullptr, slab_options(31, kernel::SlabDebug::kOff));
        std::vector<void*> held(n);
        for (auto _ : state) {
            for (size_t i = 0; i < n; ++i) held[i] = cache->alloc();
            for (size_t i = 0; i < n; ++i) cache->free(held[i]);
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
    });
}
BENCHMARK(BM_SlabBurst)->Arg(16)->Arg(256)->Arg(4096);

// kmalloc+kfree pairs over a fixed random mix of sizes, mostly small, some up
// to 8 KiB (slab classes) and 1 in 64 above (pmm blocks). Reported per pair.
static void BM_KmallocMixedSizes(benchmark::State& state) {
    BenchMachine m(1, {256 * kMiB});
    std::vector<size_t> sizes(1024);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t& s : sizes) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        const uint64_t pick = x % 64;
        s = pick == 0 ? 8193 + (x >> 8) % 24576 : pick < 8 ? 1 + (x >> 8) % 8192 : 1 + (x >> 8) % 512;
    }
    const size_t batch = 16;
    m.hal.run_on_cpu(0, [&] {
        slab_boot();
        void* held[batch];
        size_t next = 0;
        for (auto _ : state) {
            for (size_t i = 0; i < batch; ++i) held[i] = kernel::kmalloc(sizes[(next + i) % sizes.size()]);
            for (size_t i = 0; i < batch; ++i) kernel::kfree(held[i]);
            next = (next + batch) % sizes.size();
        }
        state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
    });
}
BENCHMARK(BM_KmallocMixedSizes);

// kmalloc+kfree of one small size: the slab fast path plus the size-class
// lookup and kfree's descriptor lookup (virt_to_phys, phys_to_page).
static void BM_KmallocPair(benchmark::State& state) {
    BenchMachine m(1, {64 * kMiB});
    const auto size = static_cast<size_t>(state.range(0));
    m.hal.run_on_cpu(0, [&] {
        slab_boot();
        kernel::kfree(kernel::kmalloc(size));
        for (auto _ : state) {
            void* p = kernel::kmalloc(size);
            benchmark::DoNotOptimize(p);
            kernel::kfree(p);
        }
    });
}
BENCHMARK(BM_KmallocPair)->Arg(64)->Arg(1000);

// ================================================================ page tables (issue 3 item 5)
// map+unmap of a 4 KiB and of a 2 MiB page in a process address space, table
// pages from pmm (the production allocator). Each iteration is what a
// one-page mmap+munmap costs the editor on one CPU: map, unmap, and the unmap's
// invalidation performed locally (one INVLPG) with any freed tables released.
// "tables kept": a neighbouring page keeps the path's tables alive (the common
// case); "tables freed": the unmap empties and frees the PT/PD/PDPT (up to 3
// table allocations and frees per iteration).

#include "kernel/mm/page_table.h"
#include "kernel/mm/table_allocator.h"

static void BM_PageTableMapUnmap(benchmark::State& state) {
    const bool large = state.range(0) != 0;
    const bool keep_tables = state.range(1) != 0;
    const kernel::PageSize size = large ? kernel::PageSize::k2M : kernel::PageSize::k4K;
    const uint64_t bytes = kernel::page_bytes(size);
    BenchMachine m(1, {256 * kMiB});
    m.hal.run_on_cpu(0, [&] {
        pmm::init();
        pmm::init_cpu();
        kernel::PageTable pt;
        const kernel::PagingConfig config = kernel::PagingConfig::from_boot_info(hal::boot_info());
        if (pt.init_user(kernel::pmm_table_allocator(), config, nullptr) != kernel::PtStatus::kOk) return;
        hal::write_cr3(pt.root(), 0, false);
        const kernel::VirtAddr va{0x0000'0040'0000'0000ull};
        const kernel::PhysAddr frame{uint64_t{1} << 32};
        const kernel::PageAttrs attrs{true, false, true, kernel::CachePolicy::kWriteBack};
        kernel::TlbInvalidation inv;
        if (keep_tables) pt.map(va + 2 * bytes, frame, 4096, attrs, kernel::PageSize::k4K, inv);  // same PT/PD
        for (auto _ : state) {
            kernel::PtStatus s = pt.map(va, frame, bytes, attrs, size, inv);
            benchmark::DoNotOptimize(s);
            s = pt.unmap(va, bytes, inv);
            benchmark::DoNotOptimize(s);
            kernel::flush_tlb_local(inv, 0);
        }
        pt.destroy(inv);
        kernel::flush_tlb_local(inv, 0);
    });
    state.SetLabel(std::string(large ? "2 MiB" : "4 KiB") + (keep_tables ? ", tables kept" : ", tables freed"));
}
BENCHMARK(BM_PageTableMapUnmap)->ArgsProduct({{0, 1}, {1, 0}});
