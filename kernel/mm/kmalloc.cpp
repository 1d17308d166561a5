// kmalloc on the object caches; see kmalloc.h.
#include "kernel/mm/kmalloc.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/slab_cache.h"

namespace kernel {
namespace {

constexpr usize kClassSizes[kKmallocClasses] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192};

// Class index for sizes up to 192, by (size + 7) / 8: the table covers the two
// odd classes, above them the classes are powers of two.
constexpr u8 kSmallClass[25] = {
    0,                       // 0
    0,                       // 1..8
    1,                       // 9..16
    2, 2,                    // ..32
    3, 3, 3, 3,              // ..64
    4, 4, 4, 4,              // ..96
    5, 5, 5, 5,              // ..128
    6, 6, 6, 6, 6, 6, 6, 6,  // ..192
};

u32 class_index(usize size) {
    if (size <= 192) return kSmallClass[(size + 7) / 8];
    // 193..256 -> 7 (256), 257..512 -> 8, ..., 4097..8192 -> 12.
    return static_cast<u32>(64 - __builtin_clzll(size - 1)) - 1;
}

u32 order_for_bytes(usize size) {
    const u64 frames = (size + kPageSize - 1) / kPageSize;
    return frames <= 1 ? 0 : static_cast<u32>(64 - __builtin_clzll(frames - 1));
}

SlabCache* g_caches[kKmallocClasses];
KmallocStats g_stats;

unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

void* kmalloc_large(usize size, bool zero) {
    const u32 order = order_for_bytes(size);
    pmm::AllocFlags flags;
    flags.zero = zero;
    Page* head = pmm::alloc_pages(order, flags);
    if (!head) return nullptr;
    head->flags |= page_flag::kKmallocLarge;
    head->owner.kmalloc_large.bytes = size;
    head->owner.kmalloc_large.order = order;
    __atomic_fetch_add(&g_stats.large_allocs, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&g_stats.large_frames, u64{1} << order, __ATOMIC_RELAXED);
    return pmm::page_to_virt(head);
}

// The descriptor of a large block that p starts, or a panic naming p.
Page* large_block_of(const void* p, const Page* page, const char* operation) {
    if (!page->has(page_flag::kKmallocLarge) || pmm::page_to_virt(page) != p)
        panic("%s of %p: not from kmalloc (frame %#llx is neither a slab nor the start of a large kmalloc block)",
              operation, p, ull(pmm::page_to_phys(page).value));
    return const_cast<Page*>(page);
}

}  // namespace

void kmalloc_init() {
    g_stats = {};
    for (u32 i = 0; i < kKmallocClasses; ++i) {
        char name[SlabCache::kNameLength];
        format(name, sizeof name, "kmalloc-%zu", kClassSizes[i]);
        const usize size = kClassSizes[i];
        const usize natural = size & (~size + 1);  // largest power of two dividing size
        g_caches[i] = SlabCache::create(name, static_cast<u32>(size), static_cast<u32>(natural < 64 ? natural : 64));
        KASSERT(g_caches[i], "kmalloc_init: no memory for cache %s", name);
    }
}

void* kmalloc(usize size) {
    if (__builtin_expect(size <= kKmallocMaxCached, 1)) return g_caches[class_index(size)]->alloc();
    return kmalloc_large(size, false);
}

void* kzalloc(usize size) {
    if (size > kKmallocMaxCached) return kmalloc_large(size, true);
    void* p = kmalloc(size);
    if (p) mem_set(p, 0, size);
    return p;
}

void kfree(void* p) {
    if (!p) return;
    Page* page = pmm::phys_to_page(hal::virt_to_phys(p));
    if (__builtin_expect(page->has(page_flag::kSlab), 1)) {
        static_cast<SlabCache*>(page->owner.slab.cache)->free(p);
        return;
    }
    Page* head = large_block_of(p, page, "kfree");
    const u32 order = head->owner.kmalloc_large.order;
    head->flags &= ~page_flag::kKmallocLarge;
    head->owner.kmalloc_large = {};
    __atomic_fetch_add(&g_stats.large_frees, 1, __ATOMIC_RELAXED);
    __atomic_fetch_sub(&g_stats.large_frames, u64{1} << order, __ATOMIC_RELAXED);
    pmm::free_pages(head, order);
}

usize ksize(const void* p) {
    const Page* page = pmm::phys_to_page(hal::virt_to_phys(p));
    if (page->has(page_flag::kSlab)) return static_cast<const SlabCache*>(page->owner.slab.cache)->object_size();
    return large_block_of(p, page, "ksize")->owner.kmalloc_large.bytes;
}

SlabCache* kmalloc_cache(usize size) {
    KASSERT(size <= kKmallocMaxCached, "no kmalloc class for %zu bytes", size);
    return g_caches[class_index(size)];
}

usize kmalloc_class_size(u32 index) {
    KASSERT(index < kKmallocClasses, "kmalloc class %u", index);
    return kClassSizes[index];
}

KmallocStats kmalloc_stats() {
    KmallocStats s;
    s.large_allocs = __atomic_load_n(&g_stats.large_allocs, __ATOMIC_RELAXED);
    s.large_frees = __atomic_load_n(&g_stats.large_frees, __ATOMIC_RELAXED);
    s.large_frames = __atomic_load_n(&g_stats.large_frames, __ATOMIC_RELAXED);
    return s;
}

}  // namespace kernel
