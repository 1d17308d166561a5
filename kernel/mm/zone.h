// A zone and its buddy allocator: the frames of one NUMA node that fall in one
// address band (page.h's Zone), handed out as naturally aligned blocks of 2^order
// frames by the binary buddy system (Knuth, TAOCP vol. 1 §2.5; Linux's
// mm/page_alloc.c free_area; SerenityOS Kernel/Memory/PhysicalZone).
//
// The scheme. A free block of order k starts at a frame number that is a
// multiple of 2^k; its buddy is the other half of the order-(k+1) block that
// contains it: pfn ^ 2^k. Allocation takes a block from the smallest non-empty
// order >= k and splits it, returning the upper halves to the lower orders.
// Freeing merges the block with its buddy for as long as the buddy is free and
// whole at the same order. Free-ness lives in the descriptors, as in Linux: a
// free block's first frame carries kBuddy and the order; so finding the buddy is
// an index, not a search, and there is no bitmap to keep in step.
//
// Invariants (check_invariants, with the lock held):
// - every free block is naturally aligned, inside the zone, on the list of its
//   order exactly once, its head marked kBuddy with that order, every frame of it
//   unreferenced and unmarked but the head;
// - no two free blocks overlap, and no free block has a free buddy of its own
//   order (merging is complete);
// - free() = the frames in the lists; managed() = the zone's non-reserved frames;
// - frames marked kPerCpu number exactly what the per-CPU lists say they hold;
// - every descriptor names this zone's node and zone.
//
// Locking: lock() guards the free lists, the counters and the kBuddy/order of
// free frames. alloc_block/free_block/add_free_run/check_invariants need it
// held; so does anything that reads or writes those. The flags of a frame that
// is not free belong to its owner; the buddy test reads them with an atomic
// load (an owner may be writing its own flags, as Linux keeps PageBuddy apart
// in page_type).
#pragma once

#include "kernel/lib/list.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"
#include "kernel/mm/boot_memory.h"
#include "kernel/mm/page.h"

namespace kernel::pmm {

using PageList = IntrusiveList<Page, &Page::list>;

constexpr const char* zone_name(Zone zone) {
    return zone == Zone::kDma ? "DMA" : zone == Zone::kDma32 ? "DMA32" : "Normal";
}

class PhysicalZone {
public:
    explicit PhysicalZone(const char* lock_name = "zone") : lock_(lock_name) {}
    PhysicalZone(const PhysicalZone&) = delete;
    PhysicalZone& operator=(const PhysicalZone&) = delete;

    // An empty zone over `span`, whose descriptors start at `first`.
    void init(u32 node, Zone kind, FrameRange span, Page* first);
    // Boot: the frames of `run` (free descriptors, see page_array.h) join the
    // buddy lists as maximal aligned blocks, merged with their neighbours.
    void add_free_run(FrameRange run);

    // The head of a free block of exactly `order`, unmarked (flags 0, refcount 0),
    // or nullptr if no block of that order or larger is free.
    Page* alloc_block(u32 order);
    // Gives back a block (its head's descriptor unmarked, refcount 0).
    void free_block(Page* head, u32 order);

    SpinLock& lock() { return lock_; }
    u32 node() const { return node_; }
    Zone kind() const { return kind_; }
    FrameRange span() const { return span_; }
    bool empty() const { return managed_ == 0; }
    u64 managed() const { return managed_; }
    u64 free() const { return free_; }
    u64 free_blocks(u32 order) const { return lists_[order].size(); }

    bool holds(const Page* p) const { return p >= first_ && p < first_ + span_.frames(); }
    Page* page(u64 pfn) const { return first_ + (pfn - span_.start); }
    u64 pfn(const Page* p) const { return span_.start + static_cast<u64>(p - first_); }

    // Panics, naming the frame, if an invariant above is broken. `percpu_frames`:
    // how many of this zone's frames the per-CPU lists hold.
    void check_invariants(u64 percpu_frames) const;

private:
    void push(Page* head, u32 order);
    void remove(Page* head, u32 order);
    bool is_free_block(const Page* p, u32 order) const;
    void check_list(u32 order) const;
    void find_unlisted_block() const;

    SpinLock lock_;
    PageList lists_[kMaxOrder + 1];
    u32 nonempty_ = 0;  // bit k set <=> lists_[k] is not empty
    u64 free_ = 0;
    u64 managed_ = 0;
    FrameRange span_;
    Page* first_ = nullptr;
    u32 node_ = 0;
    Zone kind_ = Zone::kNormal;
};
static_assert(kMaxOrder < 32, "nonempty_ has a bit per order");

}  // namespace kernel::pmm
