// Object caches: the slab allocator of Bonwick, "The Slab Allocator: An
// Object-Caching Kernel Memory Allocator" (USENIX 1994), with the per-CPU
// magazine layer of Bonwick and Adams 2001 on top (kernel/mm/magazine.h).
//
// A cache hands out objects of one size and alignment. It grows by slabs: a
// naturally aligned block of 2^order frames from the page allocator, carved
// into objects ("slots"). Object caching (Bonwick 1994, section 2): the
// constructor runs once per object, when its slab is created, and an object
// goes back to the cache in its constructed state, so the next allocation
// skips the initialisation. Hence the free-list link of a cache with a
// constructor lives after the object, never over it.
//
// Slab metadata lives in the page descriptors (kernel/mm/page.h owner.slab):
// every frame of a slab has page_flag::kSlab and owner.slab.cache; the first
// frame also keeps the free list, in_use and objects. So the whole slab is
// objects, and a free finds its slab from the address alone:
// pmm::phys_to_page(hal::virt_to_phys(p)), rounded down to the slab size.
//
// Slot layout (offsets from the object):
//   [0, size)            the object
//   redzone  (debug)     8 bytes of kRedzone: catches writes past the end
//   link     (ctor or debug)  the slab free-list link, outside the object
//   buftag   (debug)     state (address ^ kTagAlloc / kTagFree) and checksum
// rounded up to the alignment. Without a constructor and without debug checks
// the link is the object's first word.
//
// Debug checks (per cache; on by default when SIMX_KERNEL_DEBUG is defined, and
// forced on or off per cache or for all caches at slab::init): a free checks
// that the pointer is the start of an object of this cache (foreign pointer),
// that its buffer tag says allocated (double free) and that the redzone is
// intact; it then poisons the object with kPoisonFree (caches without a
// constructor) or records a checksum of its constructed state (caches with
// one). An alloc verifies the poison or the checksum: any write to a freed
// object is caught when the object is next handed out. Every failure panics
// naming the cache and the address. The cost is O(object size) per operation.
//
// Locking: the fast path (CpuCache) runs with interrupts off on the owning CPU
// and takes no lock. The depot has its own lock; the slab lists another
// (slab_lock). Neither is held while a slab is created (pmm::alloc_pages and
// the constructors) or released (pmm::free_pages), so a constructor may
// allocate from other caches. Lock order: registry lock -> depot lock -> slab
// lock; only check_invariants holds the last two at once.
//
// Invariants (check_invariants):
// - every slab is on exactly the list its in_use says: full (in_use == objects),
//   partial (0 < in_use < objects), empty (in_use == 0); its frames are all
//   kSlab and name this cache; its free list holds objects - in_use distinct
//   slots of this slab.
// - objects taken out of slabs == objects in use + rounds in all magazines.
// - the magazine invariants of magazine.h.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/list.h"
#include "kernel/lib/percpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"
#include "kernel/mm/magazine.h"
#include "kernel/mm/page.h"

namespace kernel {

enum class SlabDebug : u8 { kDefault, kOn, kOff };

struct CacheOptions {
    // Rounds per magazine, rounded up to a magazine type (magazine.h); 0 picks
    // one from the object size; kNoMagazines makes every request go to the slab
    // layer (the magazine caches and the cache of caches themselves).
    static constexpr u32 kNoMagazines = ~0u;
    u32 magazine_size = 0;
    SlabDebug debug = SlabDebug::kDefault;
};

struct CacheStats {
    u64 allocs = 0;
    u64 frees = 0;
    u64 alloc_hits = 0;        // allocs served by the CPU's loaded or previous magazine
    u64 free_hits = 0;         // frees served by the CPU's loaded or previous magazine
    u64 alloc_swaps = 0;       // of the hits, those that swapped loaded and previous first
    u64 free_swaps = 0;
    u64 depot_full_exchanges = 0;   // allocs that loaded a full magazine from the depot
    u64 depot_empty_exchanges = 0;  // frees that loaded an empty magazine from the depot
    u64 slab_allocs = 0;       // allocs served by the slab layer (depot had no full magazine)
    u64 slab_frees = 0;        // frees that went to the slab layer (no empty magazine to be had)
    u64 alloc_failures = 0;    // allocs that returned nullptr (out of memory)
    u64 flushed = 0;           // rounds returned from magazines to slabs (drain, reap, destroy)
    u64 magazines_allocated = 0;
    u64 magazines_freed = 0;
    u64 depot_full = 0;        // magazines in the depot now
    u64 depot_empty = 0;
    u64 slabs_allocated = 0;   // slabs created since the cache was
    u64 slabs_freed = 0;       // slabs given back to the page allocator
    u64 slabs = 0;             // slabs now
    u64 objects_in_use = 0;    // allocs - frees
    u64 objects_out_of_slabs = 0;  // in use or in a magazine
};

class SlabCache {
public:
    using Constructor = void (*)(void* object);
    static constexpr u32 kNameLength = 32;
    static constexpr u32 kMinAlign = 8;

    // A new cache of `size`-byte objects aligned to `align` (a power of two, at
    // most a page; at least 8). The name is copied. Returns nullptr if memory
    // for the cache itself cannot be had.
    static SlabCache* create(const char* name, u32 size, u32 align = kMinAlign, Constructor ctor = nullptr,
                             const CacheOptions& options = {});
    // Destroys a cache whose objects have all been freed; panics otherwise. No
    // CPU may be using the cache (it empties every CPU's magazines itself).
    static void destroy(SlabCache* cache);

    // An object in its constructed state, or nullptr when memory runs out.
    void* alloc();
    // Returns an object from alloc(), in its constructed state.
    void free(void* object);

    // Empties the calling CPU's magazines of this cache into its slabs.
    void drain_cpu();
    // Frees the depot's magazines (their rounds back to the slabs) and gives
    // every empty slab back to the page allocator; returns the frames freed.
    // Magazines loaded on CPUs stay: drain_cpu on each CPU first to get all.
    u64 reap();

    CacheStats stats() const;
    // Panics naming the cache and the address if an invariant is broken. The
    // magazine checks assume no CPU is allocating from the cache meanwhile.
    void check_invariants();

    const char* name() const { return name_; }
    u32 object_size() const { return size_; }
    u32 align() const { return align_; }
    u32 slot_size() const { return slot_; }
    u32 slab_order() const { return slab_order_; }
    u32 objects_per_slab() const { return objects_per_slab_; }
    u32 magazine_size() const { return magsize_; }
    bool debug() const { return debug_; }
    Constructor constructor() const { return constructor_; }

    // For slab::init and create only (a SlabCache is an object of the cache of
    // caches, or the bootstrap's static storage).
    SlabCache(const char* name, u32 size, u32 align, Constructor ctor, const CacheOptions& options,
              bool debug_default);
    SlabCache(const SlabCache&) = delete;
    SlabCache& operator=(const SlabCache&) = delete;

    ListNode registry_link;  // on the list of all caches (slab::)

private:
    friend struct SlabCacheAccess;

    // Magazine layer (magazine.cpp). Called with interrupts off on cc's CPU.
    void* alloc_miss(CpuCache& cc);
    void free_miss(CpuCache& cc, void* object);
    void drain_cpu_cache(CpuCache& cc);
    void free_magazine(Magazine* m, u32 rounds);
    u64 reap_depot();

    // Slab layer (slab_cache.cpp).
    void* slab_alloc();
    void slab_free(void* object);
    void slab_free_batch(void* const* objects, u32 count);  // flush of rounds
    void slab_free_locked(void* object);
    Page* create_slab();
    void release_slab(Page* slab);
    Page* slab_of(const void* object) const;
    u64 free_empty_slabs();

    // Debug checks (slab_debug.cpp).
    void debug_init_object(void* object);
    void debug_on_alloc(void* object);
    void debug_on_free(void* object);
    void check_foreign(const void* object, const char* operation) const;
    void check_free_object(const void* object, const char* where) const;
    u64 checksum(const void* object) const;

    u64& link_of(void* object) const { return *reinterpret_cast<u64*>(static_cast<char*>(object) + link_offset_); }

    // ---- read by the fast path
    PerCpu<CpuCache> cpu_;
    Constructor constructor_;
    u32 size_;
    u32 align_;
    u32 slot_;
    u32 slab_order_;
    u32 objects_per_slab_;
    u32 magsize_;
    u32 link_offset_;
    u32 redzone_offset_;
    u32 tag_offset_;
    bool debug_;
    SlabCache* magazine_cache_ = nullptr;  // where this cache's magazines come from

    // ---- the depot
    mutable Depot depot_;
    u64 magazines_allocated_ = 0;  // atomic counters
    u64 magazines_freed_ = 0;

    // ---- the slab layer, under slab_lock_
    mutable SpinLock slab_lock_{"slab lists"};
    IntrusiveList<Page, &Page::list> full_;
    IntrusiveList<Page, &Page::list> partial_;
    IntrusiveList<Page, &Page::list> empty_;
    u64 out_of_slabs_ = 0;
    u64 slab_allocs_ = 0;
    u64 slab_frees_ = 0;
    u64 alloc_failures_ = 0;
    u64 slabs_allocated_ = 0;
    u64 slabs_freed_ = 0;
    u64 flushed_ = 0;

    char name_[kNameLength];
};

// ---------------------------------------------------------------- the fast path

inline void* SlabCache::alloc() {
    const u64 irq = hal::irq_save();
    CpuCache& cc = cpu_.local();
    ++cc.allocs;
    void* object;
    if (__builtin_expect(cc.rounds > 0, 1))
        object = cc.loaded->rounds()[--cc.rounds];
    else
        object = alloc_miss(cc);
    hal::irq_restore(irq);
    if (__builtin_expect(debug_, 0) && object) debug_on_alloc(object);
    return object;
}

inline void SlabCache::free(void* object) {
    if (__builtin_expect(debug_, 0)) debug_on_free(object);
    const u64 irq = hal::irq_save();
    CpuCache& cc = cpu_.local();
    ++cc.frees;
    // rounds == -1 (no magazine) compares as huge: a miss.
    if (__builtin_expect(static_cast<u32>(cc.rounds) < cc.magsize, 1))
        cc.loaded->rounds()[cc.rounds++] = object;
    else
        free_miss(cc, object);
    hal::irq_restore(irq);
}

// ---------------------------------------------------------------- all caches

namespace slab {

struct InitOptions {
    // Debug checks for the caches created with SlabDebug::kDefault (kmalloc's
    // among them): kDefault means on exactly when the kernel was built with
    // SIMX_KERNEL_DEBUG (debug_by_default()).
    SlabDebug debug = SlabDebug::kDefault;
};
// Whether this kernel was built with SIMX_KERNEL_DEBUG.
bool debug_by_default();

// Resets all slab state and creates the cache of caches and the magazine
// caches. Once per boot on the boot CPU, after pmm::init.
void init(const InitOptions& options = {});

// Empties the calling CPU's magazines of every cache.
void drain_cpu();
// reap() on every cache, the magazine caches and the cache of caches last;
// returns the frames given back.
u64 reap_all();
// check_invariants() on every cache.
void check_invariants();
// The cache whose slab holds `object`, or nullptr if its frame is not a slab.
SlabCache* cache_of(const void* object);
// Caches that exist now (including the internal ones).
u32 cache_count();

}  // namespace slab
}  // namespace kernel
