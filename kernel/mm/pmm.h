// The physical memory manager: zones per NUMA node, a binary buddy allocator
// per zone (orders 0..kMaxOrder), and per-CPU lists of order-0 frames with
// batched refill and drain.
//
// Allocation order (documented fallback): the preferred node's zones from the
// highest allowed down (Normal, DMA32, DMA: keep low memory for those who need
// it), then the other nodes by distance (here: increasing node number from the
// preferred one, wrapping), same zone order. Order-0 requests are served from
// the current CPU's list first: for each zone in that order, the CPU's list for
// the zone, refilled from the zone's buddy allocator when empty. A request of
// higher order that finds nothing drains the current CPU's lists and tries once
// more.
//
// Per-CPU lists: batch = Linux's zone_batchsize (about managed/4096, at most 63,
// 2^n - 1); high = 6 * batch; a free that takes a list above high returns the
// batch coldest frames (pcp_list.h).
//
// Concurrency: every call may be made on any CPU at any time, except that
// drain_cpu of another CPU, cpu_list_stats, free_frames (its per-CPU part) and
// check_invariants read other CPUs' lists and so need those CPUs not to be
// allocating (stopped, or between test phases).
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

// Builds the zones and descriptors from hal::boot_info() and prints a line per
// node and zone. Called once per boot on the boot CPU; it resets every piece of
// allocator state, so tests may boot many machines in one process.
void init();
// Sets up the calling CPU's order-0 lists (each CPU, after init()). Until then
// the CPU allocates and frees straight through the zones.
void init_cpu();

// 2^order contiguous, naturally aligned frames, or nullptr. The first frame's
// descriptor stands for the block; refcount is 1; a block of order > 0 has
// kHead and `order` set on its first frame. The other frames' descriptors are
// unmarked with refcount 0 (page.h).
Page* alloc_pages(u32 order, const AllocFlags& flags = {});
// Gives back a block exactly as alloc_pages returned it: same head, same order,
// refcount 1 (the allocation's reference), mapcount 0, off any owner's list.
// Anything else (a double free, a foreign or reserved frame, a wrong order)
// panics naming the frame. The owner's flags and words are cleared here.
void free_pages(Page* head, u32 order);
inline Page* alloc_page(const AllocFlags& flags = {}) { return alloc_pages(0, flags); }
inline void free_page(Page* page) { free_pages(page, 0); }

PhysAddr page_to_phys(const Page* page);
Page* phys_to_page(PhysAddr pa);       // panics for a frame outside RAM
void* page_to_virt(const Page* page);  // its direct-map address

// Returns the CPU's cached order-0 frames to the buddy allocator. `cpu` is the
// calling CPU, or one that is not allocating (see Concurrency above).
void drain_cpu(u32 cpu);

struct ZoneStats {
    PhysAddr start;                   // the zone's span in its node: [start, end)
    PhysAddr end;
    u64 managed = 0;                  // frames the zone manages (its non-reserved frames)
    u64 free = 0;                     // free frames in its buddy lists
    u64 free_blocks[kMaxOrder + 1] = {};  // free blocks per order
};
ZoneStats zone_stats(u32 node, Zone zone);
u64 free_frames();                     // all zones, all nodes, including per-CPU lists

// One CPU's order-0 list for one zone.
struct CpuListStats {
    u64 frames = 0;    // frames on the list now
    u32 batch = 0;     // frames moved per refill and per drain
    u32 high = 0;      // above this many, a free drains a batch
    u64 refills = 0;   // refills since init
    u64 drains = 0;    // drains since init (drain_cpu included)
};
CpuListStats cpu_list_stats(u32 cpu, u32 node, Zone zone);

// Walks every zone and per-CPU list and panics, naming the frame, if any
// invariant is broken: every free block aligned to its order, inside its zone,
// on its order's list exactly once, no two blocks overlapping, no two free
// buddies left unmerged, no free frame with a reference, every per-CPU frame
// on its list, the descriptor arrays reserved, and the counts balanced.
void check_invariants();

}  // namespace kernel::pmm
