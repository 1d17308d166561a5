// The physical memory manager: zones per NUMA node, a binary buddy allocator
// per zone (orders 0..kMaxOrder), and per-CPU lists of order-0 frames with
// batched refill and drain.
//
// Allocation order (documented fallback): the preferred node's zones from the
// highest allowed down (Normal, DMA32, DMA: keep low memory for those who need
// it), then the other nodes by distance (here: increasing node number from the
// preferred one, wrapping), same zone order. Order-0 requests are served from
// the current CPU's list first.
#pragma once

#include "kernel/lib/types.h"
#include "kernel/mm/page.h"

namespace kernel::pmm {

struct AllocFlags {
    Zone highest_zone = Zone::kNormal;  // the highest zone the caller can use
    i32 node = -1;                      // preferred node; -1 = the current CPU's node
    bool this_node_only = false;        // fail instead of falling back to other nodes
    bool zero = false;                  // zero the frames (hal::zero_frames)
};

// Builds the zones and descriptors from hal::boot_info(). Called once per boot
// on the boot CPU; it resets every piece of allocator state, so tests may boot
// many machines in one process.
void init();
// Sets up the calling CPU's order-0 list (each CPU, after init()).
void init_cpu();

// 2^order contiguous, naturally aligned frames, or nullptr. The first frame's
// descriptor stands for the block; refcount is 1.
Page* alloc_pages(u32 order, const AllocFlags& flags = {});
void free_pages(Page* head, u32 order);
inline Page* alloc_page(const AllocFlags& flags = {}) { return alloc_pages(0, flags); }
inline void free_page(Page* page) { free_pages(page, 0); }

PhysAddr page_to_phys(const Page* page);
Page* phys_to_page(PhysAddr pa);       // panics for a frame outside RAM
void* page_to_virt(const Page* page);  // its direct-map address

// Returns the CPU's cached order-0 frames to the buddy allocator.
void drain_cpu(u32 cpu);

struct ZoneStats {
    u64 managed = 0;                  // frames the zone manages
    u64 free = 0;                     // free frames in its buddy lists
    u64 free_blocks[kMaxOrder + 1];   // free blocks per order
};
ZoneStats zone_stats(u32 node, Zone zone);
u64 free_frames();                     // all zones, all nodes, including per-CPU lists

// Walks every zone and per-CPU list and panics, naming the frame, if any
// invariant is broken: every free block aligned to its order, inside its zone,
// on its order's list exactly once, no two blocks overlapping, no free frame
// with a reference, and the counts balanced.
void check_invariants();

}  // namespace kernel::pmm
