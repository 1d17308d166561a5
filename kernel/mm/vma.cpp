#include "kernel/mm/vma.h"

#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/slab_cache.h"

namespace kernel {
namespace {

SlabCache* g_vma_cache = nullptr;

}  // namespace

bool vma_mergeable(const Vma& lower, const Vma& upper) {
    return lower.end == upper.start && lower.prot == upper.prot && lower.flags == upper.flags &&
           lower.file == upper.file && lower.shared_id == upper.shared_id &&
           lower.pgoff + lower.pages() == upper.pgoff;
}

void vma_cache_init() {
    // slab::init forgot every cache of the previous boot: make a new one.
    g_vma_cache = SlabCache::create("vma", sizeof(Vma), alignof(Vma));
    if (!g_vma_cache) panic("vma_cache_init: no memory for the VMA cache");
}

Vma* vma_alloc() {
    KASSERT(g_vma_cache, "vma_cache_init was not called");
    void* p = g_vma_cache->alloc();
    return p ? new (p) Vma() : nullptr;
}

bool VmaSpares::reserve(u32 n) {
    KASSERT(n <= kMax, "%u spare VMAs asked for", n);
    while (count_ < n) {
        Vma* v = vma_alloc();
        if (!v) return false;
        vmas_[count_++] = v;
    }
    return true;
}

Vma& VmaSpares::take() {
    KASSERT(count_ > 0, "no spare VMA left: reserve more");
    return *vmas_[--count_];
}

void vma_free(Vma* vma) {
    KASSERT(vma->node.height == 0, "freeing VMA [%#llx, %#llx) still in a tree",
            static_cast<unsigned long long>(vma->start), static_cast<unsigned long long>(vma->end));
    g_vma_cache->free(vma);
}

}  // namespace kernel
