// The slab allocator (kernel/mm/slab_cache.h, magazine.h, kmalloc.h) on the
// simulated machine: object construction and alignment, the magazine paths
// with their exact counters, shrinking back to the page allocator, kmalloc's
// size classes and large blocks, the debug checks, and a randomized stress
// test on 4 CPUs with frees on other CPUs than the allocation.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "kernel/hal/hal.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/slab_cache.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/kernel_fixture.h"

using namespace simx;
using kernel::CacheOptions;
using kernel::CacheStats;
using kernel::SlabCache;
using kernel::SlabDebug;
using simx::testing::KernelMachine;
using simx::testing::small_machine;

namespace {

// A machine with the page allocator, the slab allocator and kmalloc up on every CPU.
std::unique_ptr<KernelMachine> mm_machine(uint32_t cpus = 1, SlabDebug debug = SlabDebug::kDefault,
                                          std::vector<uint64_t> node_bytes = {uint64_t{64} << 20}) {
    auto m = std::make_unique<KernelMachine>(small_machine(cpus, std::move(node_bytes)));
    m->on_cpu(0, [debug] {
        kernel::pmm::init();
        kernel::slab::InitOptions options;
        options.debug = debug;
        kernel::slab::init(options);
        kernel::kmalloc_init();
    });
    m->on_all_cpus([](uint32_t) { kernel::pmm::init_cpu(); });
    return m;
}

// Runs fn on cpu and returns its result.
template <typename Fn>
auto on(KernelMachine& m, uint32_t cpu, Fn&& fn) {
    decltype(fn()) result{};
    m.on_cpu(cpu, [&] { result = fn(); });
    return result;
}

CacheOptions options(uint32_t magazine_size, SlabDebug debug = SlabDebug::kOff) {
    CacheOptions o;
    o.magazine_size = magazine_size;
    o.debug = debug;
    return o;
}

std::string ptr(const void* p) { return fmt::format("{}", p); }

// Expects the run to panic with a message containing every one of `parts`.
template <typename Fn>
void expect_panic(KernelMachine& m, Fn&& fn, const std::vector<std::string>& parts) {
    try {
        m.on_cpu(0, std::forward<Fn>(fn));
        ADD_FAILURE() << "expected a kernel panic";
    } catch (const SimError& e) {
        const std::string what = e.what();
        for (const std::string& part : parts) EXPECT_NE(what.find(part), std::string::npos) << part << " in: " << what;
    }
}

// ---------------------------------------------------------------- construction and layout

struct Widget {
    uint64_t magic;
    uint64_t self;
    uint64_t payload[4];
};
constexpr uint64_t kWidgetMagic = 0x5749444745540000ull;
uint64_t g_constructed;

void construct_widget(void* p) {
    auto* w = static_cast<Widget*>(p);
    w->magic = kWidgetMagic;
    w->self = reinterpret_cast<uint64_t>(p);
    std::memset(w->payload, 0, sizeof w->payload);
    ++g_constructed;
}

class SlabConstructor : public ::testing::TestWithParam<SlabDebug> {};

TEST_P(SlabConstructor, RunsOncePerObjectAndObjectsComeBackConstructed) {
    auto m = mm_machine();
    g_constructed = 0;
    m->on_cpu(0, [debug = GetParam()] {
        SlabCache* c = SlabCache::create("widget", sizeof(Widget), 8, construct_widget, options(7, debug));
        ASSERT_NE(c, nullptr);
        const uint32_t per_slab = c->objects_per_slab();
        std::vector<Widget*> objects;
        for (uint32_t i = 0; i < 2 * per_slab + 5; ++i) {
            auto* w = static_cast<Widget*>(c->alloc());
            ASSERT_NE(w, nullptr);
            EXPECT_EQ(w->magic, kWidgetMagic);
            EXPECT_EQ(w->self, reinterpret_cast<uint64_t>(w));
            w->payload[0] = 42;  // in use: the owner may change it...
            objects.push_back(w);
        }
        EXPECT_EQ(c->stats().slabs_allocated, 3u);
        EXPECT_EQ(g_constructed, 3u * per_slab);  // every object of every slab, once
        for (Widget* w : objects) {
            w->payload[0] = 0;  // ...and returns it constructed
            c->free(w);
        }
        // Round after round, no constructor runs again.
        for (int round = 0; round < 3; ++round) {
            objects.clear();
            for (uint32_t i = 0; i < 2 * per_slab + 5; ++i) objects.push_back(static_cast<Widget*>(c->alloc()));
            for (Widget* w : objects) {
                EXPECT_EQ(w->magic, kWidgetMagic);
                EXPECT_EQ(w->payload[0], 0u);
                c->free(w);
            }
        }
        EXPECT_EQ(g_constructed, 3u * per_slab);
        c->check_invariants();
        // A new slab after a shrink constructs its objects again.
        c->drain_cpu();
        EXPECT_EQ(c->reap(), 3u << c->slab_order());
        c->free(c->alloc());
        EXPECT_EQ(g_constructed, 4u * per_slab);
        c->drain_cpu();
        SlabCache::destroy(c);
    });
}

INSTANTIATE_TEST_SUITE_P(DebugOffAndOn, SlabConstructor, ::testing::Values(SlabDebug::kOff, SlabDebug::kOn));

TEST(Slab, ObjectsAreAlignedDistinctAndDoNotOverlap) {
    auto m = mm_machine();
    m->on_cpu(0, [] {
        for (SlabDebug debug : {SlabDebug::kOff, SlabDebug::kOn})
            for (uint32_t align : {8u, 16u, 32u, 64u, 128u, 512u, 4096u})
                for (uint32_t size : {1u, 24u, 100u, 3000u}) {
                    const std::string name = fmt::format("a{}s{}", align, size);
                    SlabCache* c = SlabCache::create(name.c_str(), size, align, nullptr, options(3, debug));
                    ASSERT_NE(c, nullptr);
                    EXPECT_STREQ(c->name(), name.c_str());
                    EXPECT_EQ(c->slot_size() % align, 0u);
                    EXPECT_GE(c->slot_size(), size);
                    // The slab wastes at most 1/8 of itself once it holds a few objects.
                    const uint64_t slab_bytes = kernel::kPageSize << c->slab_order();
                    EXPECT_LE((slab_bytes - uint64_t{c->objects_per_slab()} * c->slot_size()) * 8, slab_bytes)
                        << name;
                    std::set<uintptr_t> seen;
                    std::vector<void*> objects;
                    for (uint32_t i = 0; i < 3 * c->objects_per_slab(); ++i) {
                        void* p = c->alloc();
                        ASSERT_NE(p, nullptr);
                        EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % align, 0u) << name;
                        EXPECT_TRUE(seen.insert(reinterpret_cast<uintptr_t>(p)).second) << name;
                        std::memset(p, static_cast<int>(i), size);  // all of it is ours
                        objects.push_back(p);
                    }
                    for (uint32_t i = 0; i < objects.size(); ++i) {
                        const auto* b = static_cast<const uint8_t*>(objects[i]);
                        EXPECT_EQ(b[0], static_cast<uint8_t>(i));
                        EXPECT_EQ(b[size - 1], static_cast<uint8_t>(i));
                        EXPECT_EQ(kernel::slab::cache_of(objects[i]), c);
                        c->free(objects[i]);
                    }
                    c->check_invariants();
                    c->drain_cpu();
                    SlabCache::destroy(c);
                }
    });
}

TEST(Slab, SlabOrderKeepsWasteSmall) {
    auto m = mm_machine();
    m->on_cpu(0, [] {
        struct Case {
            uint32_t size, order, objects;
        } cases[] = {
            {8, 0, 512}, {64, 0, 64}, {1024, 0, 4}, {2048, 1, 4}, {3000, 2, 5}, {4096, 2, 4}, {8192, 3, 4}, {20000, 4, 3},
        };
        for (const Case& k : cases) {
            SlabCache* c = SlabCache::create("order", k.size, 8, nullptr, options(0));
            EXPECT_EQ(c->slab_order(), k.order) << k.size;
            EXPECT_EQ(c->objects_per_slab(), k.objects) << k.size;
            SlabCache::destroy(c);
        }
    });
}

// ---------------------------------------------------------------- the magazine layer

TEST(SlabMagazines, HitSwapAndDepotPathsCountExactly) {
    auto m = mm_machine();
    m->on_cpu(0, [] {
        SlabCache* c = SlabCache::create("mag", 64, 8, nullptr, options(3));
        ASSERT_EQ(c->magazine_size(), 3u);
        void* a[9];
        // No magazines yet: every alloc comes from the slab layer.
        for (void*& p : a) p = c->alloc();
        CacheStats s = c->stats();
        EXPECT_EQ(s.allocs, 9u);
        EXPECT_EQ(s.slab_allocs, 9u);
        EXPECT_EQ(s.alloc_hits, 0u);
        EXPECT_EQ(s.magazines_allocated, 0u);

        // Frees: the 1st, 4th and 7th find loaded full (or missing) and
        // previous not empty, and the depot without an empty magazine, so each
        // makes one and exchanges; the 7th also parks a full one in the depot.
        for (int i = 0; i < 8; ++i) c->free(a[i]);
        s = c->stats();
        EXPECT_EQ(s.frees, 8u);
        EXPECT_EQ(s.magazines_allocated, 3u);
        EXPECT_EQ(s.depot_empty_exchanges, 3u);
        EXPECT_EQ(s.free_hits, 5u);
        EXPECT_EQ(s.free_swaps, 0u);
        EXPECT_EQ(s.slab_frees, 0u);
        EXPECT_EQ(s.depot_full, 1u);
        EXPECT_EQ(s.depot_empty, 0u);
        c->check_invariants();

        // Loaded has 2, previous 3, the depot one full magazine.
        void* b[9];
        b[0] = c->alloc();
        b[1] = c->alloc();  // loaded now empty
        EXPECT_EQ(c->stats().alloc_swaps, 0u);
        b[2] = c->alloc();  // swap with the full previous
        EXPECT_EQ(c->stats().alloc_swaps, 1u);
        b[3] = c->alloc();
        b[4] = c->alloc();  // both empty now
        EXPECT_EQ(c->stats().depot_full_exchanges, 0u);
        b[5] = c->alloc();  // the depot's full magazine
        s = c->stats();
        EXPECT_EQ(s.depot_full_exchanges, 1u);
        EXPECT_EQ(s.depot_full, 0u);
        EXPECT_EQ(s.depot_empty, 1u);  // our empty previous went to the depot
        b[6] = c->alloc();
        b[7] = c->alloc();
        b[8] = c->alloc();  // nothing anywhere: the slab layer
        s = c->stats();
        EXPECT_EQ(s.allocs, 18u);
        EXPECT_EQ(s.slab_allocs, 10u);
        EXPECT_EQ(s.alloc_hits, 7u);
        EXPECT_EQ(s.alloc_swaps, 1u);
        // LIFO: the last freed comes back first.
        EXPECT_EQ(b[0], a[7]);
        EXPECT_EQ(b[1], a[6]);

        // Free into an empty loaded, then swap with the empty previous.
        for (int i = 8; i >= 5; --i) c->free(b[i]);
        s = c->stats();
        EXPECT_EQ(s.free_swaps, 1u);
        EXPECT_EQ(s.free_hits, 9u);
        EXPECT_EQ(s.objects_in_use, 18u - 12u);
        // Out of slabs: 10 handed out, 6 in use + 4 rounds (3 + 1) in magazines.
        EXPECT_EQ(s.objects_out_of_slabs, 10u);
        c->check_invariants();

        // Draining the CPU returns the rounds, and reaping the depot its magazines.
        c->drain_cpu();
        s = c->stats();
        EXPECT_EQ(s.flushed, 4u);
        EXPECT_EQ(s.objects_out_of_slabs, 6u);
        EXPECT_EQ(s.magazines_freed, 2u);
        c->reap();
        s = c->stats();
        EXPECT_EQ(s.magazines_freed, 3u);
        EXPECT_EQ(s.depot_empty, 0u);
        for (int i = 0; i < 5; ++i) c->free(b[i]);
        c->free(a[8]);
        c->drain_cpu();
        c->check_invariants();
        SlabCache::destroy(c);
    });
}

TEST(SlabMagazines, DepotCarriesObjectsFreedOnOneCpuToAnother) {
    auto m = mm_machine(2);
    SlabCache* c = nullptr;
    std::vector<void*> objects;
    m->on_cpu(0, [&] {
        c = SlabCache::create("crosscpu", 128, 8, nullptr, options(3));
        for (int i = 0; i < 12; ++i) objects.push_back(c->alloc());
    });
    // CPU 1 frees them all: four magazines, two parked full in the depot, two
    // (full) on CPU 1.
    m->on_cpu(1, [&] {
        for (void* p : objects) c->free(p);
        const CacheStats s = c->stats();
        EXPECT_EQ(s.magazines_allocated, 4u);
        EXPECT_EQ(s.depot_full, 2u);
        EXPECT_EQ(s.depot_empty_exchanges, 4u);
    });
    // CPU 0 allocates from the depot's full magazines, the last parked first:
    // the first six objects freed.
    m->on_cpu(0, [&] {
        std::vector<void*> again;
        for (int i = 0; i < 6; ++i) again.push_back(c->alloc());
        const CacheStats s = c->stats();
        EXPECT_EQ(s.depot_full_exchanges, 2u);
        EXPECT_EQ(s.slab_allocs, 12u);
        EXPECT_EQ(s.alloc_hits, 4u);
        EXPECT_EQ(s.depot_full, 0u);
        EXPECT_EQ(std::set<void*>(again.begin(), again.end()), std::set<void*>(objects.begin(), objects.begin() + 6));
        for (void* p : again) c->free(p);
        c->check_invariants();
        c->drain_cpu();
    });
    m->on_cpu(1, [&] { c->drain_cpu(); });
    m->on_cpu(0, [&] {
        c->check_invariants();
        SlabCache::destroy(c);
    });
}

TEST(SlabMagazines, CacheWithoutMagazinesGoesToTheSlabLayer) {
    auto m = mm_machine();
    m->on_cpu(0, [] {
        SlabCache* c = SlabCache::create("nomag", 40, 8, nullptr, options(CacheOptions::kNoMagazines));
        EXPECT_EQ(c->magazine_size(), 0u);
        void* p[20];
        for (void*& x : p) x = c->alloc();
        for (void* x : p) c->free(x);
        const CacheStats s = c->stats();
        EXPECT_EQ(s.slab_allocs, 20u);
        EXPECT_EQ(s.slab_frees, 20u);
        EXPECT_EQ(s.alloc_hits + s.free_hits, 0u);
        EXPECT_EQ(s.objects_out_of_slabs, 0u);
        c->check_invariants();
        SlabCache::destroy(c);
    });
}

// ---------------------------------------------------------------- shrinking

TEST(SlabShrink, ReapGivesEveryFrameBackToThePageAllocator) {
    auto m = mm_machine(2);
    const uint64_t start = on(*m, 0, [] {
        kernel::slab::reap_all();
        return kernel::pmm::free_frames();
    });
    SlabCache* c = nullptr;
    std::vector<void*> objects;
    m->on_cpu(0, [&] {
        c = SlabCache::create("shrink", 200, 8, nullptr, options(15));
        for (int i = 0; i < 2000; ++i) objects.push_back(c->alloc());
        EXPECT_LT(kernel::pmm::free_frames(), start);
        for (size_t i = 0; i < objects.size(); i += 2) c->free(objects[i]);
    });
    m->on_cpu(1, [&] {
        for (size_t i = 1; i < objects.size(); i += 2) c->free(objects[i]);
    });
    m->on_cpu(0, [&] {
        CacheStats s = c->stats();
        EXPECT_EQ(s.objects_in_use, 0u);
        EXPECT_GT(s.slabs, 0u);
        // Magazines loaded on CPUs pin their rounds' slabs until each CPU drains.
        c->reap();
        EXPECT_GT(c->stats().slabs, 0u);
    });
    m->on_all_cpus([](uint32_t) { kernel::slab::drain_cpu(); });
    m->on_cpu(0, [&] {
        const uint64_t slabs = c->stats().slabs;
        EXPECT_EQ(c->reap(), slabs << c->slab_order());
        const CacheStats s = c->stats();
        EXPECT_EQ(s.slabs, 0u);
        EXPECT_EQ(s.slabs_freed, s.slabs_allocated);
        EXPECT_EQ(s.magazines_freed, s.magazines_allocated);
        c->check_invariants();
        SlabCache::destroy(c);
        kernel::slab::reap_all();  // the magazine caches' slabs too
        EXPECT_EQ(kernel::pmm::free_frames(), start);
        kernel::slab::check_invariants();
        kernel::pmm::check_invariants();
    });
}

TEST(SlabShrink, DestroyWithObjectsInUsePanics) {
    auto m = mm_machine();
    expect_panic(
        *m,
        [] {
            SlabCache* c = SlabCache::create("leaky", 32, 8, nullptr, options(3));
            c->alloc();
            SlabCache::destroy(c);
        },
        {"destroy of cache leaky", "1 objects still in use"});
}

// ---------------------------------------------------------------- kmalloc

TEST(Kmalloc, SizeClassesAndAlignment) {
    auto m = mm_machine();
    m->on_cpu(0, [] {
        const std::map<size_t, size_t> expected = {
            {0, 8},     {1, 8},     {8, 8},       {9, 16},      {16, 16},     {17, 32},   {32, 32},
            {33, 64},   {64, 64},   {65, 96},     {96, 96},     {97, 128},    {128, 128}, {129, 192},
            {192, 192}, {193, 256}, {256, 256},   {257, 512},   {1000, 1024}, {1025, 2048},
            {4096, 4096}, {4097, 8192}, {8192, 8192},
        };
        for (const auto& [size, cls] : expected) {
            void* p = kernel::kmalloc(size);
            ASSERT_NE(p, nullptr) << size;
            EXPECT_EQ(kernel::ksize(p), cls) << size;
            EXPECT_EQ(kernel::slab::cache_of(p), kernel::kmalloc_cache(size)) << size;
            EXPECT_EQ(std::string(kernel::slab::cache_of(p)->name()), fmt::format("kmalloc-{}", cls));
            const size_t natural = cls & (~cls + 1);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % std::min<size_t>(natural, 64), 0u) << size;
            std::memset(p, 0xab, cls);
            kernel::kfree(p);
        }
        for (uint32_t i = 0; i < kernel::kKmallocClasses; ++i)
            EXPECT_EQ(kernel::kmalloc_cache(kernel::kmalloc_class_size(i))->object_size(), kernel::kmalloc_class_size(i));
        auto* z = static_cast<uint8_t*>(kernel::kzalloc(100));
        for (int i = 0; i < 100; ++i) EXPECT_EQ(z[i], 0) << i;
        kernel::kfree(z);
        kernel::kfree(nullptr);
        kernel::slab::check_invariants();
    });
}

TEST(Kmalloc, LargeRequestsGoStraightToThePageAllocator) {
    auto m = mm_machine();
    m->on_cpu(0, [] {
        struct Case {
            size_t size;
            uint32_t order;
        } cases[] = {{8193, 2}, {12288, 2}, {16385, 3}, {100000, 5}, {size_t{1} << 20, 8}};
        for (const Case& k : cases) {
            kernel::slab::reap_all();
            const uint64_t before = kernel::pmm::free_frames();
            auto* p = static_cast<uint8_t*>(kernel::kzalloc(k.size));
            ASSERT_NE(p, nullptr);
            EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % kernel::kPageSize, 0u);
            EXPECT_EQ(kernel::slab::cache_of(p), nullptr);
            EXPECT_EQ(kernel::ksize(p), k.size);
            EXPECT_EQ(before - kernel::pmm::free_frames(), uint64_t{1} << k.order) << k.size;
            EXPECT_EQ(kernel::kmalloc_stats().large_frames, uint64_t{1} << k.order);
            EXPECT_EQ(p[0], 0);
            EXPECT_EQ(p[k.size - 1], 0);
            std::memset(p, 0x5a, k.size);
            kernel::kfree(p);
            EXPECT_EQ(kernel::pmm::free_frames(), before);
        }
        const kernel::KmallocStats s = kernel::kmalloc_stats();
        EXPECT_EQ(s.large_allocs, 5u);
        EXPECT_EQ(s.large_frees, 5u);
        EXPECT_EQ(s.large_frames, 0u);
        kernel::pmm::check_invariants();
    });
}

TEST(Kmalloc, FreeOfAPointerNotFromKmallocPanics) {
    auto m = mm_machine();
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            p = kernel::pmm::page_to_virt(kernel::pmm::alloc_page());
            kernel::kfree(p);
        },
        {"kfree of", "not from kmalloc"});
    EXPECT_NE(m->console().find(ptr(p)), std::string::npos) << m->console();
}

TEST(Kmalloc, DoubleFreeOfALargeBlockPanics) {
    auto m = mm_machine();
    expect_panic(
        *m,
        [] {
            void* p = kernel::kmalloc(64 * 1024);
            kernel::kfree(p);
            kernel::kfree(p);
        },
        {"kfree of", "not from kmalloc"});
}

// ---------------------------------------------------------------- debug checks

TEST(SlabDebugChecks, DoubleFreeIsCaughtNamingCacheAndAddress) {
    auto m = mm_machine();
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            SlabCache* c = SlabCache::create("twice", 48, 8, nullptr, options(7, SlabDebug::kOn));
            p = c->alloc();
            c->free(p);
            c->free(p);  // sits in the loaded magazine: the buffer tag says free
        },
        {"double free of", "in cache twice"});
    EXPECT_NE(m->console().find("double free of " + ptr(p) + " in cache twice"), std::string::npos) << m->console();
}

TEST(SlabDebugChecks, DoubleFreeThroughKfreeIsCaught) {
    auto m = mm_machine(1, SlabDebug::kOn);
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            p = kernel::kmalloc(50);
            kernel::kfree(p);
            kernel::kfree(p);
        },
        {"double free of", "in cache kmalloc-64"});
    EXPECT_NE(m->console().find("double free of " + ptr(p) + " in cache kmalloc-64"), std::string::npos);
}

TEST(SlabDebugChecks, ForeignPointerFromAnotherCacheIsCaught) {
    auto m = mm_machine();
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            SlabCache* a = SlabCache::create("apples", 64, 8, nullptr, options(7, SlabDebug::kOn));
            SlabCache* b = SlabCache::create("oranges", 64, 8, nullptr, options(7, SlabDebug::kOn));
            p = a->alloc();
            b->free(p);
        },
        {"foreign pointer", "to cache oranges", "belongs to cache apples"});
    EXPECT_NE(m->console().find("free of foreign pointer " + ptr(p) + " to cache oranges"), std::string::npos);
}

TEST(SlabDebugChecks, ForeignPointerOutsideAnySlabIsCaught) {
    auto m = mm_machine();
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            SlabCache* c = SlabCache::create("pears", 64, 8, nullptr, options(7, SlabDebug::kOn));
            p = kernel::pmm::page_to_virt(kernel::pmm::alloc_page());
            c->free(p);
        },
        {"foreign pointer", "to cache pears", "is not a slab"});
    EXPECT_NE(m->console().find(ptr(p)), std::string::npos);
}

TEST(SlabDebugChecks, PointerIntoTheMiddleOfAnObjectIsCaught) {
    auto m = mm_machine();
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            SlabCache* c = SlabCache::create("plums", 64, 8, nullptr, options(7, SlabDebug::kOn));
            p = static_cast<char*>(c->alloc()) + 8;
            c->free(p);
        },
        {"foreign pointer", "to cache plums", "not the start of an object"});
    EXPECT_NE(m->console().find(ptr(p)), std::string::npos);
}

TEST(SlabDebugChecks, WriteToAFreedObjectIsCaughtAtTheNextAlloc) {
    auto m = mm_machine();
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            SlabCache* c = SlabCache::create("poisoned", 64, 8, nullptr, options(7, SlabDebug::kOn));
            p = c->alloc();
            c->free(p);
            static_cast<uint64_t*>(p)[2] = 1234;  // use after free
            void* again = c->alloc();              // the same object, LIFO
            (void)again;
        },
        {"write to freed object", "in cache poisoned", "at offset 16"});
    EXPECT_NE(m->console().find("write to freed object " + ptr(p) + " in cache poisoned"), std::string::npos);
}

TEST(SlabDebugChecks, WriteToAFreedConstructedObjectIsCaught) {
    auto m = mm_machine();
    void* p = nullptr;
    expect_panic(
        *m,
        [&] {
            SlabCache* c = SlabCache::create("widgets", sizeof(Widget), 8, construct_widget, options(7, SlabDebug::kOn));
            p = c->alloc();
            c->free(p);
            static_cast<Widget*>(p)->payload[1] = 7;
            c->alloc();
        },
        {"write to freed object", "in cache widgets", "constructed state changed"});
    EXPECT_NE(m->console().find(ptr(p)), std::string::npos);
}

TEST(SlabDebugChecks, WritePastTheEndIsCaughtAtFree) {
    auto m = mm_machine();
    expect_panic(
        *m,
        [] {
            SlabCache* c = SlabCache::create("overrun", 40, 8, nullptr, options(7, SlabDebug::kOn));
            auto* p = static_cast<uint8_t*>(c->alloc());
            p[40] = 1;  // the first byte past the object: its redzone
            c->free(p);
        },
        {"in cache overrun", "written past its 40 bytes"});
}

TEST(SlabDebugChecks, InvariantCheckerNamesTheCacheAndSlab) {
    auto m = mm_machine();
    expect_panic(
        *m,
        [] {
            SlabCache* c = SlabCache::create("checked", 64, 8, nullptr, options(7));
            void* p = c->alloc();
            kernel::Page* page = kernel::pmm::phys_to_page(hal::virt_to_phys(p));
            ++page->owner.slab.in_use;  // a corrupt count
            kernel::slab::check_invariants();
        },
        {"slab cache checked", "slab 0x"});
}

TEST(SlabDebugChecks, DebugDefaultFollowsTheBuild) {
    auto m = mm_machine();
    m->on_cpu(0, [] {
        EXPECT_EQ(kernel::kmalloc_cache(64)->debug(), kernel::slab::debug_by_default());
        SlabCache* c = SlabCache::create("dflt", 64);
        EXPECT_EQ(c->debug(), kernel::slab::debug_by_default());
        SlabCache::destroy(c);
    });
}

// ---------------------------------------------------------------- randomized stress on 4 CPUs

struct Rng {
    uint64_t s;
    uint64_t next() {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        return s;
    }
    uint64_t below(uint64_t n) { return next() % n; }
};

struct Held {
    void* p;
    int kind;        // index into the stress caches, or -1: kmalloc
    size_t size;     // bytes written
    uint64_t stamp;  // pattern written into the object
};

constexpr int kStressCpus = 4;
std::vector<Held> g_held[kStressCpus];
SlabCache* g_stress_caches[3];
constexpr uint32_t kStressSizes[3] = {sizeof(Widget), 72, 1000};

void fill(const Held& h) {
    auto* w = static_cast<uint64_t*>(h.p);
    if (h.kind == 0) {
        auto* x = static_cast<Widget*>(h.p);
        ASSERT_EQ(x->magic, kWidgetMagic);
        ASSERT_EQ(x->self, reinterpret_cast<uint64_t>(h.p));
        ASSERT_EQ(x->payload[0], 0u);
        x->payload[0] = h.stamp;
        x->payload[3] = ~h.stamp;
        return;
    }
    for (size_t i = 0; i < h.size / 8; ++i) w[i] = h.stamp + i;
}

void check_and_clear(const Held& h) {
    if (h.kind == 0) {
        auto* x = static_cast<Widget*>(h.p);
        ASSERT_EQ(x->magic, kWidgetMagic);
        ASSERT_EQ(x->payload[0], h.stamp);
        ASSERT_EQ(x->payload[3], ~h.stamp);
        x->payload[0] = x->payload[3] = 0;  // back to its constructed state
        return;
    }
    const auto* w = static_cast<const uint64_t*>(h.p);
    for (size_t i = 0; i < h.size / 8; ++i) ASSERT_EQ(w[i], h.stamp + i) << i;
}

void release(const Held& h) {
    check_and_clear(h);
    if (h.kind < 0)
        kernel::kfree(h.p);
    else
        g_stress_caches[h.kind]->free(h.p);
}

// `ops` random operations on this CPU's held objects; allocations with
// probability alloc_percent. Yields to the other CPUs now and then so that
// their operations interleave and contend for the depot and slab locks.
void stress_phase(uint32_t cpu, int ops, int alloc_percent, uint64_t seed) {
    Rng rng{seed * 0x9E3779B97F4A7C15ull + cpu + 1};
    std::vector<Held>& held = g_held[cpu];
    for (int op = 0; op < ops; ++op) {
        if (rng.below(8) == 0) hal::cpu_relax();
        if (held.empty() || static_cast<int>(rng.below(100)) < alloc_percent) {
            Held h{};
            h.kind = static_cast<int>(rng.below(5)) - 2;  // -2, -1: kmalloc; 0..2: a cache
            h.stamp = rng.next();
            if (h.kind < 0) {
                h.kind = -1;
                const uint64_t pick = rng.below(100);
                h.size = pick < 2 ? 8193 + rng.below(60000) : pick < 10 ? 1 + rng.below(8192) : 1 + rng.below(512);
                h.p = kernel::kmalloc(h.size);
            } else {
                h.size = kStressSizes[h.kind];
                h.p = g_stress_caches[h.kind]->alloc();
            }
            ASSERT_NE(h.p, nullptr);
            fill(h);
            held.push_back(h);
        } else {
            const size_t i = rng.below(held.size());
            release(held[i]);
            held[i] = held.back();
            held.pop_back();
        }
    }
}

TEST(SlabStress, RandomMixOnFourCpusWithCrossCpuFrees) {
    auto m = mm_machine(kStressCpus, SlabDebug::kDefault, {uint64_t{128} << 20});
    g_constructed = 0;
    for (auto& h : g_held) h.clear();
    const uint64_t start = on(*m, 0, [] {
        kernel::slab::reap_all();
        const uint64_t frames = kernel::pmm::free_frames();
        g_stress_caches[0] = SlabCache::create("stress-widget", sizeof(Widget), 8, construct_widget, options(15));
        g_stress_caches[1] = SlabCache::create("stress-72", 72, 8, nullptr, options(7, SlabDebug::kOn));
        g_stress_caches[2] = SlabCache::create("stress-1000", 1000, 64, nullptr, options(0));
        return frames;
    });
    auto check_all = [&](const char* phase) {
        SCOPED_TRACE(phase);
        m->on_cpu(0, [] {
            kernel::slab::check_invariants();
            kernel::pmm::check_invariants();
            uint64_t in_use = 0;
            for (const auto& held : g_held) in_use += held.size();
            uint64_t counted = 0;
            for (SlabCache* c : g_stress_caches) counted += c->stats().objects_in_use;
            for (uint32_t i = 0; i < kernel::kKmallocClasses; ++i)
                counted += kernel::kmalloc_cache(kernel::kmalloc_class_size(i))->stats().objects_in_use;
            const kernel::KmallocStats k = kernel::kmalloc_stats();
            counted += k.large_allocs - k.large_frees;
            EXPECT_EQ(counted, in_use);
        });
    };
    auto rotate = [] {  // each CPU takes over the objects of the next
        std::vector<Held> first = std::move(g_held[0]);
        for (int c = 0; c + 1 < kStressCpus; ++c) g_held[c] = std::move(g_held[c + 1]);
        g_held[kStressCpus - 1] = std::move(first);
    };

    m->on_all_cpus([](uint32_t cpu) { stress_phase(cpu, 3000, 70, 1); });
    check_all("grow");
    rotate();
    m->on_all_cpus([](uint32_t cpu) { stress_phase(cpu, 4000, 50, 2); });
    check_all("churn with frees of other CPUs' objects");
    rotate();
    m->on_all_cpus([](uint32_t cpu) { stress_phase(cpu, 3000, 30, 3); });
    check_all("shrink");
    rotate();
    m->on_all_cpus([](uint32_t cpu) {
        for (const Held& h : g_held[cpu]) release(h);
        g_held[cpu].clear();
    });
    check_all("all freed");

    uint64_t allocs = 0, hits = 0, exchanges = 0;
    m->on_cpu(0, [&] {
        for (SlabCache* c : g_stress_caches) {
            const CacheStats s = c->stats();
            EXPECT_EQ(s.objects_in_use, 0u) << c->name();
            allocs += s.allocs;
            hits += s.alloc_hits;
            exchanges += s.depot_full_exchanges + s.depot_empty_exchanges;
        }
        const CacheStats w = g_stress_caches[0]->stats();
        EXPECT_EQ(g_constructed, w.slabs_allocated * g_stress_caches[0]->objects_per_slab());
    });
    EXPECT_GT(allocs, 10000u);
    EXPECT_GT(hits, allocs / 2);  // the magazines did most of the work
    EXPECT_GT(exchanges, 0u);

    m->on_all_cpus([](uint32_t) { kernel::slab::drain_cpu(); });
    m->on_cpu(0, [&] {
        for (SlabCache* c : g_stress_caches) SlabCache::destroy(c);
        kernel::slab::reap_all();
        kernel::slab::check_invariants();
        kernel::pmm::check_invariants();
        EXPECT_EQ(kernel::pmm::free_frames(), start);
    });
}

TEST(SlabStress, SameSeedSameCounters) {
    auto run = [] {
        auto m = mm_machine(kStressCpus);
        for (auto& h : g_held) h.clear();
        m->on_cpu(0, [] {
            g_stress_caches[0] = SlabCache::create("stress-widget", sizeof(Widget), 8, construct_widget, options(15));
            g_stress_caches[1] = SlabCache::create("stress-72", 72, 8, nullptr, options(7));
            g_stress_caches[2] = SlabCache::create("stress-1000", 1000, 64, nullptr, options(0));
        });
        m->on_all_cpus([](uint32_t cpu) { stress_phase(cpu, 1500, 60, 9); });
        std::string out;
        m->on_cpu(0, [&] {
            for (SlabCache* c : g_stress_caches) {
                const CacheStats s = c->stats();
                out += fmt::format("{} {} {} {} {} {};", s.allocs, s.alloc_hits, s.depot_full_exchanges,
                                   s.depot_empty_exchanges, s.slabs_allocated, s.magazines_allocated);
            }
        });
        out += m->machine().stats().json();
        return out;
    };
    EXPECT_EQ(run(), run());
}

}  // namespace
