// The magazine layer of SlabCache: the miss paths behind the inline fast paths
// of slab_cache.h, the depot exchange, and emptying magazines back into slabs.
// Bonwick and Adams 2001, section 3.3 (the algorithm) and 3.4 (reaping); the
// structure follows Solaris's kmem_cache_alloc/kmem_cache_free.
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/slab_cache.h"

namespace kernel {
namespace {

void swap_magazines(CpuCache& cc) {
    Magazine* m = cc.loaded;
    cc.loaded = cc.previous;
    cc.previous = m;
    const i32 r = cc.rounds;
    cc.rounds = cc.prev_rounds;
    cc.prev_rounds = r;
}

}  // namespace

// The loaded magazine is empty (or missing). Interrupts are off on cc's CPU.
void* SlabCache::alloc_miss(CpuCache& cc) {
    // Previous is full: swap, and we are good for another magsize allocs.
    if (cc.prev_rounds > 0) {
        swap_magazines(cc);
        ++cc.alloc_swaps;
        return cc.loaded->rounds()[--cc.rounds];
    }
    // Both empty: give the depot our empty previous, load one of its full ones.
    if (magsize_ != 0) {
        SpinGuard g(depot_.lock);
        if (Magazine* full = depot_.full.pop()) {
            if (cc.previous) depot_.empty.push(cc.previous);
            cc.previous = cc.loaded;
            cc.prev_rounds = cc.rounds;
            cc.loaded = full;
            cc.rounds = static_cast<i32>(magsize_);
            ++depot_.full_exchanges;
            return cc.loaded->rounds()[--cc.rounds];
        }
    }
    // The depot has nothing: an object from the slab layer.
    return slab_alloc();
}

// The loaded magazine is full (or missing). Interrupts are off on cc's CPU.
void SlabCache::free_miss(CpuCache& cc, void* object) {
    // Previous is empty: swap, and we are good for another magsize frees.
    if (cc.prev_rounds == 0) {
        swap_magazines(cc);
        ++cc.free_swaps;
        cc.loaded->rounds()[cc.rounds++] = object;
        return;
    }
    if (magsize_ != 0) {
        for (;;) {
            {
                // Both full: give the depot our full previous, load an empty one.
                SpinGuard g(depot_.lock);
                if (Magazine* empty = depot_.empty.pop()) {
                    if (cc.previous) depot_.full.push(cc.previous);
                    cc.previous = cc.loaded;
                    cc.prev_rounds = cc.rounds;
                    cc.loaded = empty;
                    cc.rounds = 0;
                    ++depot_.empty_exchanges;
                    cc.loaded->rounds()[cc.rounds++] = object;
                    return;
                }
            }
            // No empty magazine in the depot: make one (outside the depot
            // lock; the magazine cache has no magazines, so this cannot recurse)
            // and try again.
            void* memory = magazine_cache_->alloc();
            if (!memory) break;
            Magazine* fresh = new (memory) Magazine();
            __atomic_fetch_add(&magazines_allocated_, 1, __ATOMIC_RELAXED);
            SpinGuard g(depot_.lock);
            depot_.empty.push(fresh);
        }
    }
    // No magazine to be had (or none wanted): straight back to the slab.
    slab_free(object);
}

// Returns a magazine's rounds to the slabs and the magazine to its cache.
void SlabCache::free_magazine(Magazine* m, u32 rounds) {
    if (rounds) slab_free_batch(m->rounds(), rounds);
    magazine_cache_->free(m);
    __atomic_fetch_add(&magazines_freed_, 1, __ATOMIC_RELAXED);
}

// Empties one CPU's loaded and previous magazines. Called by that CPU with
// interrupts off, or for any CPU when no CPU uses the cache (destroy).
void SlabCache::drain_cpu_cache(CpuCache& cc) {
    Magazine* loaded = cc.loaded;
    Magazine* previous = cc.previous;
    const i32 rounds = cc.rounds;
    const i32 prev_rounds = cc.prev_rounds;
    cc.loaded = cc.previous = nullptr;
    cc.rounds = cc.prev_rounds = -1;
    if (loaded) free_magazine(loaded, static_cast<u32>(rounds));
    if (previous) free_magazine(previous, static_cast<u32>(prev_rounds));
}

void SlabCache::drain_cpu() {
    const u64 irq = hal::irq_save();
    drain_cpu_cache(cpu_.local());
    hal::irq_restore(irq);
}

// Frees every magazine in the depot (paper, section 3.4, reaps only those
// beyond the depot's recent working set; we free them all, which is what a
// shrink under memory pressure or a test wants). The lists are taken whole
// under the lock and emptied outside it.
u64 SlabCache::reap_depot() {
    MagazineList full, empty;
    {
        SpinGuard g(depot_.lock);
        full = depot_.full.take();
        empty = depot_.empty.take();
    }
    const u64 magazines = full.count + empty.count;
    while (Magazine* m = full.pop()) free_magazine(m, magsize_);
    while (Magazine* m = empty.pop()) free_magazine(m, 0);
    return magazines;
}

}  // namespace kernel
