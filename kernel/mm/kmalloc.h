// kmalloc/kfree: general-purpose kernel memory on top of the object caches.
//
// Requests up to kKmallocMaxCached bytes are rounded up to a size class and
// served by that class's SlabCache (so they get the per-CPU magazines); the
// classes are powers of two from 8 bytes to 8 KiB plus 96 and 192, which
// Linux added because so many kernel objects land just above 64 and 128.
// Larger requests take a block of 2^order frames straight from the page
// allocator, its first descriptor marked page_flag::kKmallocLarge with the
// order and size. kfree finds which from the page descriptor of the pointer:
// a slab frame names its cache, a large block its order.
//
// Alignment: at least 8 bytes; the power-of-two classes up to 64 bytes are
// naturally aligned, larger classes to 64 bytes (a cache line), large blocks to
// a page.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

class SlabCache;

inline constexpr usize kKmallocMinSize = 8;
inline constexpr usize kKmallocMaxCached = 8192;
inline constexpr u32 kKmallocClasses = 13;

// Creates the size-class caches; after slab::init, on the boot CPU. Resets all
// kmalloc state.
void kmalloc_init();

// `size` bytes (kmalloc(0) returns a minimum-size object), or nullptr when
// memory runs out.
void* kmalloc(usize size);
// kmalloc, zero-filled.
void* kzalloc(usize size);
// Frees memory from kmalloc; nullptr is ignored. Panics, naming the pointer, for
// a pointer kmalloc did not return (with slab debug checks on, also a double
// free or a pointer into the middle of an object).
void kfree(void* p);
// The usable size of a kmalloc'ed block: its class size, or the size asked for
// a large block.
usize ksize(const void* p);

// The class cache serving `size` (size <= kKmallocMaxCached).
SlabCache* kmalloc_cache(usize size);
// The class sizes, smallest first.
usize kmalloc_class_size(u32 index);

struct KmallocStats {
    u64 large_allocs = 0;
    u64 large_frees = 0;
    u64 large_frames = 0;  // frames held by large blocks now
};
KmallocStats kmalloc_stats();

}  // namespace kernel
