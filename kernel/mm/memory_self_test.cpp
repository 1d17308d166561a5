#include "kernel/mm/memory_self_test.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/slab_cache.h"
#include "kernel/mm/table_allocator.h"
#include "kernel/mm/tlb_invalidation.h"

namespace kernel {
namespace {

constexpr u32 kFrames = 64;
constexpr u32 kObjects = 256;
constexpr u32 kKmallocs = 128;
constexpr u32 kUserPages = 16;
constexpr u64 kUserBase = 0x0000'0040'0000'0000ull;  // 256 GiB, inside every layout's user half

struct TestObject {
    u64 cookie;
    u64 owner;
    u64 payload[6];
};
constexpr u64 kConstructed = 0xC0FFEE'5E1F7E57ull;

SlabCache* g_cache = nullptr;
u64 g_free_baseline = 0;
MemorySelfTestTotals g_totals;

void construct(void* object) {
    auto* o = static_cast<TestObject*>(object);
    o->cookie = kConstructed;
    o->owner = ~u64{0};
}

// A value no two (cpu, index) pairs share, to catch frames or objects handed out twice.
u64 tag(u32 cpu, u64 index) { return (u64{cpu} << 48) ^ (index * 0x9E3779B97F4A7C15ull); }

void test_frames(u32 cpu) {
    Page* pages[kFrames];
    for (u32 i = 0; i < kFrames; ++i) {
        pages[i] = pmm::alloc_page();
        KASSERT(pages[i], "cpu %u: order-0 allocation %u failed", cpu, i);
        *static_cast<u64*>(pmm::page_to_virt(pages[i])) = tag(cpu, i);
    }
    Page* large = pmm::alloc_pages(kLargePageOrder);
    KASSERT(large, "cpu %u: 2 MiB allocation failed", cpu);
    KASSERT(pmm::page_to_phys(large).value % (u64{1} << kLargePageShift) == 0, "cpu %u: 2 MiB frame misaligned",
            cpu);
    auto* words = static_cast<u64*>(pmm::page_to_virt(large));
    words[0] = tag(cpu, ~u64{0});
    words[(u64{1} << kLargePageShift) / 8 - 1] = tag(cpu, ~u64{1});
    hal::cpu_relax();  // let the other CPUs allocate meanwhile
    for (u32 i = 0; i < kFrames; ++i)
        KASSERT(*static_cast<u64*>(pmm::page_to_virt(pages[i])) == tag(cpu, i), "cpu %u: frame %u overwritten",
                cpu, i);
    KASSERT(words[0] == tag(cpu, ~u64{0}) && words[(u64{1} << kLargePageShift) / 8 - 1] == tag(cpu, ~u64{1}),
            "cpu %u: 2 MiB frame overwritten", cpu);
    for (u32 i = 0; i < kFrames; ++i) pmm::free_page(pages[i]);
    pmm::free_pages(large, kLargePageOrder);
    __atomic_fetch_add(&g_totals.frames_allocated, u64{kFrames} + (u64{1} << kLargePageOrder), __ATOMIC_RELAXED);
}

void test_objects(u32 cpu) {
    TestObject* objects[kObjects];
    for (u32 i = 0; i < kObjects; ++i) {
        objects[i] = static_cast<TestObject*>(g_cache->alloc());
        KASSERT(objects[i], "cpu %u: slab allocation %u failed", cpu, i);
        KASSERT(objects[i]->cookie == kConstructed, "cpu %u: object %p not constructed", cpu,
                static_cast<void*>(objects[i]));
        objects[i]->owner = tag(cpu, i);
    }
    void* blocks[kKmallocs];
    for (u32 i = 0; i < kKmallocs; ++i) {
        const usize size = 1 + (i * 97) % 9000;  // across every size class and into pmm blocks
        blocks[i] = kmalloc(size);
        KASSERT(blocks[i], "cpu %u: kmalloc(%zu) failed", cpu, size);
        KASSERT(ksize(blocks[i]) >= size, "cpu %u: kmalloc(%zu) gave %zu bytes", cpu, size, ksize(blocks[i]));
        static_cast<u8*>(blocks[i])[size - 1] = static_cast<u8>(i);
    }
    hal::cpu_relax();
    for (u32 i = 0; i < kObjects; ++i) {
        KASSERT(objects[i]->owner == tag(cpu, i), "cpu %u: object %u overwritten", cpu, i);
        objects[i]->owner = ~u64{0};  // back to the constructed state before freeing
        g_cache->free(objects[i]);
    }
    for (u32 i = 0; i < kKmallocs; ++i) {
        const usize size = 1 + (i * 97) % 9000;
        KASSERT(static_cast<u8*>(blocks[i])[size - 1] == static_cast<u8>(i), "cpu %u: kmalloc block %u overwritten",
                cpu, i);
        kfree(blocks[i]);
    }
    // Hand this CPU's cached objects back, so the final count can expect them all.
    slab::drain_cpu();
    __atomic_fetch_add(&g_totals.objects_allocated, u64{kObjects} + kKmallocs, __ATOMIC_RELAXED);
}

void test_address_space(u32 cpu) {
    PageTable space;
    TableAllocator& tables = pmm_table_allocator();
    PtStatus st = create_process_page_table(space, tables, kernel_page_table());
    KASSERT(st == PtStatus::kOk, "cpu %u: creating an address space: %s", cpu, describe(st));
    Page* frames = pmm::alloc_pages(4, {.zero = true});  // 16 contiguous frames
    KASSERT(frames, "cpu %u: frames for the address space", cpu);
    const PhysAddr base = pmm::page_to_phys(frames);
    TlbInvalidation inv;
    const PageAttrs user_rw{.writable = true, .executable = false, .user = true};
    st = space.map(VirtAddr{kUserBase}, base, kUserPages * kPageSize, user_rw, PageSize::k4K, inv);
    KASSERT(st == PtStatus::kOk, "cpu %u: map: %s", cpu, describe(st));
    for (u32 i = 0; i < kUserPages; ++i) {
        Mapping m;
        KASSERT(space.lookup(VirtAddr{kUserBase + i * kPageSize}, &m), "cpu %u: page %u not mapped", cpu, i);
        KASSERT(m.frame == base + i * kPageSize && m.attrs.user && m.attrs.writable, "cpu %u: page %u mapped wrong",
                cpu, i);
    }
    // Read-only in the middle, then the whole range gone.
    const PageAttrs user_ro{.writable = false, .executable = false, .user = true};
    st = space.protect(VirtAddr{kUserBase + 4 * kPageSize}, 4 * kPageSize, user_ro, inv);
    KASSERT(st == PtStatus::kOk, "cpu %u: protect: %s", cpu, describe(st));
    Mapping m;
    KASSERT(space.lookup(VirtAddr{kUserBase + 5 * kPageSize}, &m) && !m.attrs.writable, "cpu %u: protect lost", cpu);
    space.check_invariants();
    st = space.unmap(VirtAddr{kUserBase}, kUserPages * kPageSize, inv);
    KASSERT(st == PtStatus::kOk, "cpu %u: unmap: %s", cpu, describe(st));
    KASSERT(!space.lookup(VirtAddr{kUserBase}, &m), "cpu %u: unmap left a mapping", cpu);
    // The address space was never loaded on this CPU: the kernel's tables are,
    // and INVLPG of user addresses there is harmless and exact.
    flush_tlb_local(inv, 0);
    space.destroy(inv);
    flush_tlb_local(inv, 0);
    pmm::free_pages(frames, 4);
    __atomic_fetch_add(&g_totals.pages_mapped, u64{kUserPages}, __ATOMIC_RELAXED);
}

}  // namespace

void memory_self_test_prepare() {
    g_totals = {};
    slab::reap_all();
    g_free_baseline = pmm::free_frames();
    g_cache = SlabCache::create("selftest", sizeof(TestObject), 64, construct);
    KASSERT(g_cache, "creating the self-test cache");
}

void memory_self_test_run_on_this_cpu() {
    const u32 cpu = hal::current_cpu();
    test_frames(cpu);
    test_objects(cpu);
    test_address_space(cpu);
}

MemorySelfTestTotals memory_self_test_finish() {
    pmm::check_invariants();
    g_cache->check_invariants();
    slab::check_invariants();
    kernel_page_table().check_invariants();
    const CacheStats s = g_cache->stats();
    KASSERT(s.objects_in_use == 0, "self-test cache: %llu objects still in use",
            static_cast<unsigned long long>(s.objects_in_use));
    SlabCache::destroy(g_cache);
    g_cache = nullptr;
    // Every CPU drained its magazines; reaping gives every empty slab back, so
    // the free frames (per-CPU lists included) must equal the baseline exactly.
    slab::reap_all();
    const u64 now = pmm::free_frames();
    KASSERT(now == g_free_baseline, "memory self-test leaked %lld frames",
            static_cast<long long>(g_free_baseline) - static_cast<long long>(now));
    return g_totals;
}

}  // namespace kernel
