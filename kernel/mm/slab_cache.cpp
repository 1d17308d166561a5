// The slab layer of the object caches (Bonwick 1994) and the registry of all
// caches. The magazine layer is in magazine.cpp, the debug checks in
// slab_debug.cpp.
#include "kernel/mm/slab_cache.h"

#include "kernel/lib/format.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"
#include "kernel/mm/pmm.h"

namespace kernel {
namespace {

// Slab sizing (Bonwick 1994, section 3.2, and Linux's calculate_order): the
// smallest order whose slab holds at least kMinObjectsPerSlab objects and
// wastes at most 1/8 of itself; past kPreferredMaxSlabOrder the object count no
// longer matters, only the waste. Larger slabs mean fewer trips to the page
// allocator per object; the bound keeps a nearly idle cache from pinning much.
constexpr u32 kMinObjectsPerSlab = 4;
constexpr u32 kPreferredMaxSlabOrder = 3;
constexpr u32 kMaxSlabOrder = 10;

u32 choose_slab_order(u32 slot) {
    for (u32 order = 0; order <= kMaxSlabOrder; ++order) {
        const u64 bytes = kPageSize << order;
        const u64 objects = bytes / slot;
        if (objects == 0) continue;
        const u64 waste = bytes - objects * slot;
        if (waste * 8 <= bytes && (objects >= kMinObjectsPerSlab || order >= kPreferredMaxSlabOrder)) return order;
    }
    for (u32 order = 0; order <= kMaxSlabOrder; ++order)
        if ((kPageSize << order) >= slot) return order;
    panic("slab: objects of %u bytes are too large for a slab", slot);
}

// Magazine size from the object size when the creator does not choose: many
// rounds for small objects, few for large ones, so a CPU's magazines of one
// cache hold at most a few tens of KiB (Solaris starts small and grows under
// contention; we fix it at creation).
u32 default_magazine_size(u32 size) {
    if (size <= 256) return 31;
    if (size <= 1024) return 15;
    if (size <= 4096) return 7;
    return 3;
}

// ---------------------------------------------------------------- the registry

struct Registry {
    SpinLock lock{"slab caches"};
    IntrusiveList<SlabCache, &SlabCache::registry_link> caches;
    SlabCache* cache_cache = nullptr;  // where SlabCache objects come from (itself in static storage)
    SlabCache* magazine_caches[kMagazineTypes] = {};
    bool debug = false;

    bool internal(const SlabCache* c) const {
        if (c == cache_cache) return true;
        for (SlabCache* m : magazine_caches)
            if (c == m) return true;
        return false;
    }
};

alignas(Registry) unsigned char g_registry_storage[sizeof(Registry)];
alignas(SlabCache) unsigned char g_cache_cache_storage[sizeof(SlabCache)];
Registry* g_registry = nullptr;

Registry& registry() {
    KASSERT(g_registry, "slab::init has not run");
    return *g_registry;
}

void register_cache(SlabCache& cache) {
    Registry& r = registry();
    SpinGuard g(r.lock);
    r.caches.push_back(cache);
}

Page* frame_of(const void* object) { return pmm::phys_to_page(hal::virt_to_phys(object)); }

}  // namespace

// ---------------------------------------------------------------- creation and destruction

SlabCache::SlabCache(const char* name, u32 size, u32 align, Constructor ctor, const CacheOptions& options,
                     bool debug_default)
    : constructor_(ctor), size_(size), align_(align < kMinAlign ? kMinAlign : align) {
    KASSERT(size > 0, "slab cache %s: zero-sized objects", name);
    KASSERT((align_ & (align_ - 1)) == 0 && align_ <= kPageSize, "slab cache %s: bad alignment %u", name, align);
    usize n = 0;
    for (; name[n] && n + 1 < kNameLength; ++n) name_[n] = name[n];
    name_[n] = '\0';

    debug_ = options.debug == SlabDebug::kOn || (options.debug == SlabDebug::kDefault && debug_default);
    u64 offset = align_up(size, 8);
    redzone_offset_ = 0;
    if (debug_) {
        redzone_offset_ = static_cast<u32>(offset);
        offset += 8;
    }
    // The free-list link must not overwrite a constructed object, nor the
    // poison that debug checks verify.
    if (constructor_ || debug_) {
        link_offset_ = static_cast<u32>(offset);
        offset += 8;
    } else {
        link_offset_ = 0;
    }
    tag_offset_ = 0;
    if (debug_) {
        tag_offset_ = static_cast<u32>(offset);
        offset += 16;
    }
    KASSERT(offset <= (kPageSize << kMaxSlabOrder), "slab cache %s: %u-byte objects are too large", name_, size);
    slot_ = static_cast<u32>(align_up(offset, align_));
    slab_order_ = choose_slab_order(slot_);
    objects_per_slab_ = static_cast<u32>((kPageSize << slab_order_) / slot_);

    if (options.magazine_size == CacheOptions::kNoMagazines)
        magsize_ = 0;
    else
        magsize_ = kMagazineCapacities[magazine_type_for(options.magazine_size ? options.magazine_size
                                                                              : default_magazine_size(size))];
    for (u32 cpu = 0; cpu < kMaxCpus; ++cpu) cpu_.on(cpu).magsize = magsize_;
}

SlabCache* SlabCache::create(const char* name, u32 size, u32 align, Constructor ctor,
                             const CacheOptions& options) {
    Registry& r = registry();
    KASSERT(options.magazine_size == CacheOptions::kNoMagazines || options.magazine_size <= kMaxMagazineSize,
            "slab cache %s: magazine size %u above %u", name, options.magazine_size, kMaxMagazineSize);
    void* memory = r.cache_cache->alloc();
    if (!memory) return nullptr;
    auto* cache = new (memory) SlabCache(name, size, align, ctor, options, r.debug);
    if (cache->magsize_) cache->magazine_cache_ = r.magazine_caches[magazine_type_for(cache->magsize_)];
    register_cache(*cache);
    return cache;
}

void SlabCache::destroy(SlabCache* cache) {
    Registry& r = registry();
    KASSERT(!r.internal(cache), "slab: destroy of internal cache %s", cache->name_);
    {
        SpinGuard g(r.lock);
        r.caches.remove(*cache);
    }
    // No CPU uses the cache any more (the caller's promise), so each CPU's
    // magazines may be emptied from here.
    const u32 cpus = hal::boot_info().cpu_count;
    for (u32 cpu = 0; cpu < cpus; ++cpu) cache->drain_cpu_cache(cache->cpu_.on(cpu));
    cache->reap_depot();
    {
        SpinGuard g(cache->slab_lock_);
        if (cache->out_of_slabs_ != 0 || !cache->full_.empty() || !cache->partial_.empty())
            panic("slab: destroy of cache %s (%p) with %llu objects still in use", cache->name_,
                  static_cast<void*>(cache), static_cast<unsigned long long>(cache->out_of_slabs_));
    }
    cache->free_empty_slabs();
    cache->~SlabCache();
    r.cache_cache->free(cache);
}

// ---------------------------------------------------------------- slabs

Page* SlabCache::slab_of(const void* object) const {
    const PhysAddr pa = hal::virt_to_phys(object);
    // Slabs are naturally aligned blocks (pmm.h), so the first frame is found
    // by rounding down.
    Page* head = pmm::phys_to_page(PhysAddr{align_down(pa.value, kPageSize << slab_order_)});
    if (!head->has(page_flag::kSlab) || head->owner.slab.cache != this)
        panic("slab: %p is not an object of cache %s (its slab's first frame %#llx is %s)", object, name_,
              static_cast<unsigned long long>(align_down(pa.value, kPageSize << slab_order_)),
              head->has(page_flag::kSlab) ? "another cache's slab" : "not a slab");
    return head;
}

// Takes 2^order frames, marks them, constructs every object once (Bonwick
// 1994, section 2.2: objects are constructed when their slab is created, not
// when they are allocated) and threads the free list in address order.
// Called without locks: the page allocator and constructors may take their own.
Page* SlabCache::create_slab() {
    Page* head = pmm::alloc_pages(slab_order_);
    if (!head) return nullptr;
    const PhysAddr base_pa = pmm::page_to_phys(head);
    for (u32 i = 0; i < (1u << slab_order_); ++i) {
        Page* page = i == 0 ? head : pmm::phys_to_page(base_pa + u64{i} * kPageSize);
        page->flags |= page_flag::kSlab;
        page->owner.slab.cache = this;
        page->owner.slab.freelist = nullptr;
        page->owner.slab.in_use = 0;
        page->owner.slab.objects = 0;
    }
    char* base = static_cast<char*>(pmm::page_to_virt(head));
    void** tail = &head->owner.slab.freelist;
    for (u32 i = 0; i < objects_per_slab_; ++i) {
        void* object = base + u64{i} * slot_;
        if (constructor_) constructor_(object);
        if (debug_) debug_init_object(object);
        *tail = object;
        tail = reinterpret_cast<void**>(&link_of(object));
    }
    *tail = nullptr;
    head->owner.slab.objects = objects_per_slab_;
    return head;
}

// Gives an empty slab's frames back to the page allocator.
void SlabCache::release_slab(Page* head) {
    KASSERT(head->owner.slab.in_use == 0, "slab cache %s: releasing slab %p with %u objects in use", name_,
            pmm::page_to_virt(head), head->owner.slab.in_use);
    const PhysAddr base_pa = pmm::page_to_phys(head);
    for (u32 i = 0; i < (1u << slab_order_); ++i) {
        Page* page = i == 0 ? head : pmm::phys_to_page(base_pa + u64{i} * kPageSize);
        page->flags &= ~page_flag::kSlab;
        page->owner.slab = {};
    }
    pmm::free_pages(head, slab_order_);
}

// One object from the slab layer: from the partial slab at the head of its
// list (so partial slabs fill up and others can drain to empty), else an empty
// slab, else a new slab.
void* SlabCache::slab_alloc() {
    for (;;) {
        {
            SpinGuard g(slab_lock_);
            Page* slab = partial_.front();
            if (!slab) slab = empty_.front();
            if (slab) {
                auto& s = slab->owner.slab;
                void* object = s.freelist;
                KASSERT(object, "slab cache %s: slab %p on a free list has no free object", name_,
                        pmm::page_to_virt(slab));
                s.freelist = reinterpret_cast<void*>(link_of(object));
                if (s.in_use++ == 0) {
                    empty_.remove(*slab);
                    (s.in_use == s.objects ? full_ : partial_).push_front(*slab);
                } else if (s.in_use == s.objects) {
                    partial_.remove(*slab);
                    full_.push_back(*slab);
                }
                ++out_of_slabs_;
                ++slab_allocs_;
                return object;
            }
        }
        Page* slab = create_slab();
        SpinGuard g(slab_lock_);
        if (!slab) {
            ++alloc_failures_;
            return nullptr;
        }
        empty_.push_back(*slab);
        ++slabs_allocated_;
    }
}

void SlabCache::slab_free_locked(void* object) {
    slab_lock_.assert_held();
    Page* slab = slab_of(object);
    auto& s = slab->owner.slab;
    KASSERT(s.in_use > 0, "slab cache %s: free of %p to a slab with no objects in use", name_, object);
    link_of(object) = reinterpret_cast<u64>(s.freelist);
    s.freelist = object;
    if (s.in_use-- == s.objects) {
        full_.remove(*slab);
        (s.in_use == 0 ? empty_ : partial_).push_back(*slab);
    } else if (s.in_use == 0) {
        partial_.remove(*slab);
        empty_.push_back(*slab);
    }
    --out_of_slabs_;
}

void SlabCache::slab_free(void* object) {
    SpinGuard g(slab_lock_);
    slab_free_locked(object);
    ++slab_frees_;
}

void SlabCache::slab_free_batch(void* const* objects, u32 count) {
    SpinGuard g(slab_lock_);
    for (u32 i = 0; i < count; ++i) slab_free_locked(objects[i]);
    flushed_ += count;
}

// Empty slabs go back to the page allocator one at a time, each taken off its
// list under the lock and released outside it.
u64 SlabCache::free_empty_slabs() {
    u64 frames = 0;
    for (;;) {
        Page* slab;
        {
            SpinGuard g(slab_lock_);
            slab = empty_.pop_front();
            if (!slab) return frames;
            ++slabs_freed_;
        }
        release_slab(slab);
        frames += u64{1} << slab_order_;
    }
}

u64 SlabCache::reap() {
    reap_depot();
    return free_empty_slabs();
}

// ---------------------------------------------------------------- statistics and invariants

CacheStats SlabCache::stats() const {
    CacheStats st;
    for (u32 cpu = 0; cpu < kMaxCpus; ++cpu) {
        const CpuCache& cc = cpu_.on(cpu);
        st.allocs += cc.allocs;
        st.frees += cc.frees;
        st.alloc_swaps += cc.alloc_swaps;
        st.free_swaps += cc.free_swaps;
    }
    {
        SpinGuard g(depot_.lock);
        st.depot_full_exchanges = depot_.full_exchanges;
        st.depot_empty_exchanges = depot_.empty_exchanges;
        st.depot_full = depot_.full.count;
        st.depot_empty = depot_.empty.count;
    }
    st.magazines_allocated = __atomic_load_n(&magazines_allocated_, __ATOMIC_RELAXED);
    st.magazines_freed = __atomic_load_n(&magazines_freed_, __ATOMIC_RELAXED);
    {
        SpinGuard g(slab_lock_);
        st.slab_allocs = slab_allocs_;
        st.slab_frees = slab_frees_;
        st.alloc_failures = alloc_failures_;
        st.flushed = flushed_;
        st.slabs_allocated = slabs_allocated_;
        st.slabs_freed = slabs_freed_;
        st.slabs = full_.size() + partial_.size() + empty_.size();
        st.objects_out_of_slabs = out_of_slabs_;
    }
    st.alloc_hits = st.allocs - st.depot_full_exchanges - st.slab_allocs - st.alloc_failures;
    st.free_hits = st.frees - st.depot_empty_exchanges - st.slab_frees;
    st.objects_in_use = st.allocs - st.alloc_failures - st.frees;
    return st;
}

void SlabCache::check_invariants() {
    SpinGuard depot_guard(depot_.lock);
    SpinGuard slab_guard(slab_lock_);
    const u64 slab_bytes = kPageSize << slab_order_;

    auto check_slab = [&](Page& slab, const char* which) {
        void* base = pmm::page_to_virt(&slab);
        const auto& s = slab.owner.slab;
        const PhysAddr pa = pmm::page_to_phys(&slab);
        if (!slab.has(page_flag::kSlab) || s.cache != this)
            panic("slab cache %s: slab %p on its %s list is not marked as its slab", name_, base, which);
        if (!is_aligned(pa.value, slab_bytes))
            panic("slab cache %s: slab %p is not aligned to its %llu bytes", name_, base,
                  static_cast<unsigned long long>(slab_bytes));
        for (u32 i = 1; i < (1u << slab_order_); ++i) {
            const Page* tail = pmm::phys_to_page(pa + u64{i} * kPageSize);
            if (!tail->has(page_flag::kSlab) || tail->owner.slab.cache != this)
                panic("slab cache %s: frame %u of slab %p is not marked as its slab", name_, i, base);
        }
        if (s.objects != objects_per_slab_ || s.in_use > s.objects)
            panic("slab cache %s: slab %p counts %u of %u objects in use", name_, base, s.in_use, s.objects);
        const bool right_list = (which[0] == 'f' && s.in_use == s.objects) ||
                                (which[0] == 'p' && s.in_use > 0 && s.in_use < s.objects) ||
                                (which[0] == 'e' && s.in_use == 0);
        if (!right_list)
            panic("slab cache %s: slab %p with %u of %u objects in use is on the %s list", name_, base, s.in_use,
                  s.objects, which);
        u32 free_objects = 0;
        for (void* object = s.freelist; object; object = reinterpret_cast<void*>(link_of(object))) {
            const u64 offset = static_cast<u64>(static_cast<char*>(object) - static_cast<char*>(base));
            if (static_cast<char*>(object) < static_cast<char*>(base) || offset >= slab_bytes || offset % slot_ != 0 ||
                offset / slot_ >= objects_per_slab_)
                panic("slab cache %s: free list of slab %p holds %p, not one of its objects", name_, base, object);
            if (++free_objects > s.objects - s.in_use)
                panic("slab cache %s: free list of slab %p is longer than its %u free objects (a cycle or a "
                      "double free at %p)",
                      name_, base, s.objects - s.in_use, object);
            if (debug_) check_free_object(object, "a slab free list");
        }
        if (free_objects != s.objects - s.in_use)
            panic("slab cache %s: slab %p has %u objects on its free list, expected %u", name_, base, free_objects,
                  s.objects - s.in_use);
    };
    u64 out = 0;
    auto check_list = [&](IntrusiveList<Page, &Page::list>& list, const char* which) {
        list.for_each([&](Page& slab) {
            check_slab(slab, which);
            out += slab.owner.slab.in_use;
        });
    };
    check_list(full_, "full");
    check_list(partial_, "partial");
    check_list(empty_, "empty");
    if (out != out_of_slabs_)
        panic("slab cache %s (%p): slabs hand out %llu objects, the count says %llu", name_, static_cast<void*>(this),
              static_cast<unsigned long long>(out), static_cast<unsigned long long>(out_of_slabs_));

    // The magazine layer: every round a free object of ours, the shapes of
    // magazine.h, and objects out of slabs == in use + rounds.
    auto check_rounds = [&](Magazine* m, i32 rounds, const char* where) {
        for (i32 i = 0; i < rounds; ++i) {
            void* object = m->rounds()[i];
            Page* slab = slab_of(object);
            const u64 offset = static_cast<u64>(static_cast<char*>(object) - static_cast<char*>(pmm::page_to_virt(slab)));
            if (offset % slot_ != 0 || offset / slot_ >= objects_per_slab_)
                panic("slab cache %s: %s holds %p, not the start of one of its objects", name_, where, object);
            if (debug_) check_free_object(object, where);
        }
    };
    u64 rounds = 0, allocs = 0, frees = 0;
    for (u32 cpu = 0; cpu < kMaxCpus; ++cpu) {
        CpuCache& cc = cpu_.on(cpu);
        allocs += cc.allocs;
        frees += cc.frees;
        if (cc.magsize != magsize_)
            panic("slab cache %s: cpu %u has magazine size %u, the cache %u", name_, cpu, cc.magsize, magsize_);
        if ((cc.loaded == nullptr) != (cc.rounds == -1) || cc.rounds < -1 || cc.rounds > static_cast<i32>(magsize_))
            panic("slab cache %s: cpu %u's loaded magazine %p holds %d rounds", name_, cpu,
                  static_cast<void*>(cc.loaded), cc.rounds);
        if ((cc.previous == nullptr) != (cc.prev_rounds == -1) ||
            (cc.previous && cc.prev_rounds != 0 && cc.prev_rounds != static_cast<i32>(magsize_)) ||
            (cc.previous && !cc.loaded))
            panic("slab cache %s: cpu %u's previous magazine %p holds %d rounds (neither empty nor full)", name_, cpu,
                  static_cast<void*>(cc.previous), cc.prev_rounds);
        if (cc.loaded) check_rounds(cc.loaded, cc.rounds, "a loaded magazine");
        if (cc.previous) check_rounds(cc.previous, cc.prev_rounds, "a previous magazine");
        rounds += static_cast<u64>(cc.rounds > 0 ? cc.rounds : 0) + static_cast<u64>(cc.prev_rounds > 0 ? cc.prev_rounds : 0);
    }
    u64 listed = 0;
    for (Magazine* m = depot_.full.top; m; m = m->next, ++listed) {
        if (listed >= depot_.full.count)
            panic("slab cache %s: depot full list is longer than its count %llu", name_,
                  static_cast<unsigned long long>(depot_.full.count));
        check_rounds(m, static_cast<i32>(magsize_), "a full depot magazine");
        rounds += magsize_;
    }
    if (listed != depot_.full.count)
        panic("slab cache %s: depot holds %llu full magazines, its count says %llu", name_,
              static_cast<unsigned long long>(listed), static_cast<unsigned long long>(depot_.full.count));
    listed = 0;
    for (Magazine* m = depot_.empty.top; m; m = m->next)
        if (++listed > depot_.empty.count)
            panic("slab cache %s: depot empty list is longer than its count %llu", name_,
                  static_cast<unsigned long long>(depot_.empty.count));
    if (listed != depot_.empty.count)
        panic("slab cache %s: depot holds %llu empty magazines, its count says %llu", name_,
              static_cast<unsigned long long>(listed), static_cast<unsigned long long>(depot_.empty.count));
    const u64 in_use = allocs - alloc_failures_ - frees;
    if (out_of_slabs_ != in_use + rounds)
        panic("slab cache %s (%p): %llu objects out of slabs, but %llu in use + %llu in magazines", name_,
              static_cast<void*>(this), static_cast<unsigned long long>(out_of_slabs_),
              static_cast<unsigned long long>(in_use), static_cast<unsigned long long>(rounds));
}

// ---------------------------------------------------------------- all caches

namespace slab {

bool debug_by_default() {
#ifdef SIMX_KERNEL_DEBUG
    return true;
#else
    return false;
#endif
}

void init(const InitOptions& options) {
    // Everything from the previous boot lived in the previous machine's RAM:
    // forget it and start again.
    g_registry = new (g_registry_storage) Registry();
    g_registry->debug = options.debug == SlabDebug::kOn || (options.debug == SlabDebug::kDefault && debug_by_default());
    CacheOptions internal;
    internal.magazine_size = CacheOptions::kNoMagazines;
    // The cache of caches cannot come from itself: it lives in static storage.
    g_registry->cache_cache = new (g_cache_cache_storage)
        SlabCache("slab_cache", sizeof(SlabCache), alignof(SlabCache), nullptr, internal, g_registry->debug);
    register_cache(*g_registry->cache_cache);
    for (u32 t = 0; t < kMagazineTypes; ++t) {
        char name[SlabCache::kNameLength];
        format(name, sizeof name, "magazine_%u", kMagazineCapacities[t]);
        const u32 bytes = Magazine::bytes_for(kMagazineCapacities[t]);
        g_registry->magazine_caches[t] = SlabCache::create(name, bytes, bytes < 64 ? bytes : 64, nullptr, internal);
        KASSERT(g_registry->magazine_caches[t], "slab: no memory for the magazine caches");
    }
}

void drain_cpu() {
    Registry& r = registry();
    SpinGuard g(r.lock);
    r.caches.for_each([](SlabCache& c) { c.drain_cpu(); });
}

u64 reap_all() {
    Registry& r = registry();
    SpinGuard g(r.lock);
    u64 frames = 0;
    // Users' caches first: reaping them frees magazines into the magazine
    // caches, which are reaped next; the cache of caches last.
    r.caches.for_each([&](SlabCache& c) {
        if (!r.internal(&c)) frames += c.reap();
    });
    for (SlabCache* m : r.magazine_caches) frames += m->reap();
    frames += r.cache_cache->reap();
    return frames;
}

void check_invariants() {
    Registry& r = registry();
    SpinGuard g(r.lock);
    r.caches.for_each([](SlabCache& c) { c.check_invariants(); });
}

SlabCache* cache_of(const void* object) {
    const Page* page = frame_of(object);
    return page->has(page_flag::kSlab) ? static_cast<SlabCache*>(page->owner.slab.cache) : nullptr;
}

u32 cache_count() {
    Registry& r = registry();
    SpinGuard g(r.lock);
    return static_cast<u32>(r.caches.size());
}

}  // namespace slab
}  // namespace kernel
