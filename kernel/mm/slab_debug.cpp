// Debug checks of the object caches: buffer tags, redzones and poisoning in the
// manner of Solaris's kmem debugging (KMF_BUFTAG, KMF_REDZONE, KMF_DEADBEEF;
// Bonwick and Adams 2001, section 6). The slot layout is drawn in
// slab_cache.h. Every failure panics naming the cache and the object.
//
// - The buffer tag's state word is the object's address XORed with kTagAlloc
//   or kTagFree, so a free of a free object (double free) is told apart from a
//   tag that was overwritten, and a tag copied from another object is wrong.
// - A freed object without a constructor is filled with kPoisonFree and the
//   fill is verified when the object is handed out again. An object with a
//   constructor must keep its constructed state, so instead a checksum of it is
//   recorded at free and verified at alloc: a write to a freed object is caught
//   either way, at the next alloc of that object.
#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/slab_cache.h"

namespace kernel {
namespace {

constexpr u64 kPoisonFree = 0xdeadbeefdeadbeefull;  // Solaris's freed-buffer pattern
constexpr u64 kRedzone = 0xfeedfacefeedfaceull;
constexpr u64 kTagAlloc = 0xa110ca7ea110ca7eull;
constexpr u64 kTagFree = 0xf4eef4eef4eef4eeull;

struct BufTag {
    u64 state;
    u64 checksum;
};

u64 address(const void* p) { return reinterpret_cast<u64>(p); }
unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

}  // namespace

// FNV-1a over the object's bytes.
u64 SlabCache::checksum(const void* object) const {
    const auto* p = static_cast<const u8*>(object);
    u64 h = 0xcbf29ce484222325ull;
    for (u32 i = 0; i < size_; ++i) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

namespace {

BufTag& tag_of(void* object, u32 tag_offset) { return *reinterpret_cast<BufTag*>(static_cast<char*>(object) + tag_offset); }
u64& redzone_of(void* object, u32 redzone_offset) {
    return *reinterpret_cast<u64*>(static_cast<char*>(object) + redzone_offset);
}

}  // namespace

// A new object of a new slab: free, poisoned or checksummed (after its constructor).
void SlabCache::debug_init_object(void* object) {
    redzone_of(object, redzone_offset_) = kRedzone;
    BufTag& tag = tag_of(object, tag_offset_);
    tag.state = address(object) ^ kTagFree;
    tag.checksum = 0;
    if (constructor_) {
        tag.checksum = checksum(object);
    } else {
        auto* words = static_cast<u64*>(object);
        for (u32 i = 0; i < redzone_offset_ / 8; ++i) words[i] = kPoisonFree;
    }
}

// The object must be the start of an object of this cache.
void SlabCache::check_foreign(const void* object, const char* operation) const {
    const PhysAddr pa = hal::virt_to_phys(object);
    const Page* page = pmm::phys_to_page(pa);
    if (!page->has(page_flag::kSlab))
        panic("slab: %s of foreign pointer %p to cache %s: its frame %#llx is not a slab", operation, object, name_,
              ull(align_down(pa.value, kPageSize)));
    if (page->owner.slab.cache != this)
        panic("slab: %s of foreign pointer %p to cache %s: it belongs to cache %s", operation, object, name_,
              static_cast<const SlabCache*>(page->owner.slab.cache)->name_);
    const u64 offset = pa.value & ((kPageSize << slab_order_) - 1);
    if (offset % slot_ != 0 || offset / slot_ >= objects_per_slab_)
        panic("slab: %s of foreign pointer %p to cache %s: not the start of an object (offset %llu in its slab)",
              operation, object, name_, ull(offset));
}

void SlabCache::debug_on_free(void* object) {
    check_foreign(object, "free");
    BufTag& tag = tag_of(object, tag_offset_);
    if (tag.state == (address(object) ^ kTagFree)) panic("slab: double free of %p in cache %s", object, name_);
    if (tag.state != (address(object) ^ kTagAlloc))
        panic("slab: free of %p in cache %s: its buffer tag is corrupt (%#llx): written past its end?", object, name_,
              ull(tag.state));
    const u64 redzone = redzone_of(object, redzone_offset_);
    if (redzone != kRedzone)
        panic("slab: free of %p in cache %s: written past its %u bytes (redzone %#llx)", object, name_, size_,
              ull(redzone));
    if (constructor_) {
        tag.checksum = checksum(object);
    } else {
        auto* words = static_cast<u64*>(object);
        for (u32 i = 0; i < redzone_offset_ / 8; ++i) words[i] = kPoisonFree;
    }
    tag.state = address(object) ^ kTagFree;
}

// A free object (on a slab free list or in a magazine) must be untouched.
void SlabCache::check_free_object(const void* object, const char* where) const {
    auto* o = const_cast<void*>(object);
    const BufTag& tag = tag_of(o, tag_offset_);
    if (tag.state != (address(object) ^ kTagFree))
        panic("slab: free object %p of cache %s (in %s): its buffer tag %#llx does not say free", object, name_, where,
              ull(tag.state));
    const u64 redzone = redzone_of(o, redzone_offset_);
    if (redzone != kRedzone)
        panic("slab: write to freed object %p in cache %s: its redzone is %#llx", object, name_, ull(redzone));
    if (constructor_) {
        if (checksum(object) != tag.checksum)
            panic("slab: write to freed object %p in cache %s: its constructed state changed after it was freed",
                  object, name_);
    } else {
        const auto* words = static_cast<const u64*>(object);
        for (u32 i = 0; i < redzone_offset_ / 8; ++i)
            if (words[i] != kPoisonFree)
                panic("slab: write to freed object %p in cache %s at offset %u (found %#llx, poison %#llx)", object,
                      name_, i * 8, ull(words[i]), ull(kPoisonFree));
    }
}

void SlabCache::debug_on_alloc(void* object) {
    check_free_object(object, "alloc");
    tag_of(object, tag_offset_).state = address(object) ^ kTagAlloc;
}

}  // namespace kernel
