// Per-CPU magazines: the object cache's fast path, in the manner of Bonwick and
// Adams, "Magazines and Vmem" (USENIX 2001), sections 3.1-3.3.
//
// A magazine is an M-element stack of object pointers ("rounds"). Each CPU holds
// a *loaded* and a *previous* magazine of every cache; alloc pops from loaded,
// free pushes onto it, with interrupts off on the owning CPU and no lock. When
// loaded is empty (alloc) or full (free) and previous is full (resp. empty) the
// two are swapped. Otherwise the CPU exchanges with the cache's *depot*, which
// keeps lists of full and empty magazines under its own lock: alloc returns its
// empty previous to the depot and loads a full one; free returns its full
// previous and loads an empty one. The swap is what makes the scheme work: a
// CPU goes to the depot at most once per M operations even when it alternates
// alloc and free at a magazine boundary (the paper's "previous magazine").
// Only when the depot has nothing to give does a request reach the slab layer
// (alloc: one object from a slab; free: a new empty magazine is allocated from
// a magazine cache, or, failing that, the object goes back to its slab).
//
// As in Solaris the round count lives in the CPU cache, not in the magazine,
// and a magazine on a depot list is always entirely full or entirely empty.
//
// Invariants (SlabCache::check_invariants checks them):
// - loaded == nullptr exactly when rounds == -1; otherwise 0 <= rounds <= magsize.
// - previous == nullptr exactly when prev_rounds == -1; otherwise prev_rounds is
//   0 or magsize (previous is always entirely empty or entirely full).
// - every magazine on the depot's full list holds magsize rounds; every one on
//   its empty list holds none.
// - every round is a free object of this cache (with debug checks: its buffer
//   tag says free).
#pragma once

#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"

namespace kernel {

// A magazine: its depot link and then its rounds (`capacity` of them; the
// capacity is the owning cache's magazine size, so it is not stored here).
// Magazines are objects of the magazine caches, one cache per capacity.
struct Magazine {
    Magazine* next = nullptr;  // depot list link

    void** rounds() { return reinterpret_cast<void**>(this + 1); }
    static constexpr u32 bytes_for(u32 capacity) { return static_cast<u32>(sizeof(Magazine) + capacity * sizeof(void*)); }
};
static_assert(sizeof(Magazine) == 8);

// Magazine sizes: 2^k - 1 rounds, so a magazine (link + rounds) is 2^k words
// and packs its cache's slabs without waste (Solaris's kmem_magtype table uses
// similar steps).
inline constexpr u32 kMagazineCapacities[] = {1, 3, 7, 15, 31, 63, 127, 255};
inline constexpr u32 kMagazineTypes = sizeof(kMagazineCapacities) / sizeof(kMagazineCapacities[0]);
inline constexpr u32 kMaxMagazineSize = kMagazineCapacities[kMagazineTypes - 1];

// The index of the smallest magazine type holding at least `rounds` rounds.
constexpr u32 magazine_type_for(u32 rounds) {
    for (u32 t = 0; t < kMagazineTypes; ++t)
        if (kMagazineCapacities[t] >= rounds) return t;
    return kMagazineTypes - 1;
}

// A LIFO list of magazines in the depot.
struct MagazineList {
    Magazine* top = nullptr;
    u64 count = 0;

    void push(Magazine* m) {
        m->next = top;
        top = m;
        ++count;
    }
    Magazine* pop() {
        Magazine* m = top;
        if (m) {
            top = m->next;
            m->next = nullptr;
            --count;
        }
        return m;
    }
    // Takes the whole list (for reaping outside the lock).
    MagazineList take() {
        MagazineList all = *this;
        top = nullptr;
        count = 0;
        return all;
    }
};

// One CPU's magazines of one cache: touched only by that CPU, with interrupts
// off. One cache line (kernel::PerCpu puts each on its own).
struct CpuCache {
    Magazine* loaded = nullptr;
    Magazine* previous = nullptr;
    i32 rounds = -1;       // rounds in loaded; -1: no loaded magazine
    i32 prev_rounds = -1;  // rounds in previous (0 or magsize); -1: none
    u32 magsize = 0;       // the cache's magazine size (0: no magazines), copied here for locality
    u32 unused_ = 0;
    u64 allocs = 0;        // every alloc on this CPU
    u64 frees = 0;         // every free on this CPU
    u64 alloc_swaps = 0;   // allocs served after swapping loaded and previous
    u64 free_swaps = 0;    // frees served after swapping loaded and previous
};
static_assert(sizeof(CpuCache) == 64);

// The depot: full and empty magazines shared by all CPUs (paper, section 3.2).
struct Depot {
    SpinLock lock{"slab depot"};
    MagazineList full;
    MagazineList empty;
    u64 full_exchanges = 0;   // allocs that loaded a full magazine from the depot
    u64 empty_exchanges = 0;  // frees that loaded an empty magazine from the depot
};

}  // namespace kernel
