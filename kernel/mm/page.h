// The page descriptor: one per physical frame, the record every memory-management
// subsystem shares (buddy allocator, per-CPU lists, slab, page tables, later the
// reverse map, page cache and reclaim). Descriptors live in simulated RAM (the
// qemu build: the page-descriptor area of kernel/mm/layout.h), allocated at boot.
//
// Invariants:
// - A free frame that heads a buddy block has kPageBuddy set and `order` = the
//   block's order; the other frames of the block are not marked and not listed.
// - A free frame (in a buddy block or on a per-CPU list) has refcount 0. An
//   allocated block's references are counted on its first frame (refcount >= 1,
//   kHead and `order` if order > 0); its other frames stay unmarked with
//   refcount 0, as Linux's compound tails, so that allocating and freeing a
//   2 MiB or 1 GiB block does not write 512 or 262144 descriptors.
// - kBuddy and kPerCpu belong to the pmm (written under the zone lock or by the
//   owning CPU); the other flags belong to whoever allocated the frame.
// - node and zone never change after boot.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/lib/types.h"

namespace kernel {

// Zones by physical address, per NUMA node (Linux's split): DMA below 16 MiB for
// ISA-era devices, DMA32 below 4 GiB for 32-bit DMA, Normal above.
enum class Zone : u8 { kDma = 0, kDma32 = 1, kNormal = 2 };
inline constexpr u32 kZoneCount = 3;
inline constexpr u64 kDmaLimit = u64{16} << 20;
inline constexpr u64 kDma32Limit = u64{4} << 30;

// Buddy orders 0 (4 KiB) .. kMaxOrder (1 GiB): order 9 is a 2 MiB frame and
// order 18 a 1 GiB frame, the two large-page sizes of x86-64.
inline constexpr u32 kMaxOrder = 18;
inline constexpr u32 kLargePageOrder = 9;
inline constexpr u32 kHugePageOrder = 18;

namespace page_flag {
inline constexpr u32 kBuddy = 1u << 0;     // heads a free block in a buddy free list
inline constexpr u32 kPerCpu = 1u << 1;    // free, cached on a CPU's order-0 list
inline constexpr u32 kReserved = 1u << 2;  // never allocatable (firmware, holes, boot data)
inline constexpr u32 kSlab = 1u << 3;      // part of a slab
inline constexpr u32 kPageTable = 1u << 4; // a paging-structure page
inline constexpr u32 kHead = 1u << 5;      // first frame of an allocated multi-frame block
inline constexpr u32 kKmallocLarge = 1u << 6;  // first frame of a kmalloc block too large for a slab (kmalloc.cpp)
inline constexpr u32 kAnon = 1u << 7;          // anonymous user memory; owner.anon is its reverse map (rmap.h)
}  // namespace page_flag

struct Page {
    u32 flags = 0;
    i32 refcount = 0;
    i32 mapcount = 0;   // PTEs that map this frame (the reverse map counts them)
    u8 order = 0;       // block order when kBuddy or kHead
    u8 node = 0;
    Zone zone = Zone::kNormal;
    u8 reserved_ = 0;
    ListNode list;      // buddy free list, per-CPU list, or the owner's list (slab, LRU)
    // Owner-specific words: the slab allocator keeps its cache and free objects
    // here, page tables their count of present entries.
    union Owner {
        struct {
            void* cache;     // the SlabCache this slab belongs to
            void* freelist;  // first free object
            u32 in_use;      // allocated objects
            u32 objects;     // objects in the slab
        } slab;
        struct {
            u32 present;     // present entries in this table
            u32 check_epoch; // PageTable::check_invariants: seen in this pass
        } table;
        struct {
            u64 bytes;       // the size kmalloc was asked for
            u32 order;       // the block's order (kKmallocLarge)
        } kmalloc_large;
        struct {
            void* mapping;   // its AnonObject (rmap.h), tagged with kAnonMappingTag
            u64 index;       // its linear page index (address >> 12) in every space that maps it
        } anon;
        u64 raw[3];
    } owner{};

    bool has(u32 f) const { return flags & f; }
};

}  // namespace kernel
