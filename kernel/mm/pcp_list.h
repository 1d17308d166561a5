// A per-CPU list of free order-0 frames of one zone (Linux's per_cpu_pages).
// Most allocations and frees are of single frames; serving them from a list the
// CPU owns takes no lock and touches no shared cache line. The zone lock is
// taken once per `batch` frames instead: an empty list is refilled with `batch`
// frames at once, and a list that grows above `high` gives its `batch` coldest
// frames back (so it settles between high - batch and high).
//
// Sizes follow Linux (mm/page_alloc.c, zone_batchsize and the pre-5.14
// pageset_set_batch): batch is about a quarter of a thousandth of the zone, at
// most 63 (256 KiB of frames), rounded to 2^n - 1 so that successive batches do
// not keep landing on the same cache sets; high is 6 * batch.
//
// Invariants (check_invariants): every frame on the list is a frame of the
// list's zone, marked kPerCpu and nothing else, unreferenced; the list's count
// is its length. Frames on the list are free, but the buddy allocator sees them
// as allocated (no kBuddy), so they never merge until drained.
//
// Concurrency: a list is used only by its own CPU with interrupts off
// (hal::irq_save), so it needs no lock; refill and drain take the zone lock.
// Another CPU may read it only while its owner is not allocating (drain_cpu of a
// stopped CPU, check_invariants between test phases).
#pragma once

#include "kernel/lib/types.h"
#include "kernel/mm/page.h"
#include "kernel/mm/zone.h"

namespace kernel::pmm {

class PcpList {
public:
    static u32 batch_for(u64 zone_frames);

    // An empty list (the frames of a previous boot are forgotten, not freed).
    void init(u32 batch, u32 high);

    // A frame (unmarked, refcount 0), refilling from `zone` if the list is empty;
    // nullptr if the zone has no free frame either.
    Page* take(PhysicalZone& zone) {
        if (frames_.empty() && !refill(zone)) return nullptr;
        Page* p = frames_.pop_front();
        p->flags = 0;
        return p;
    }
    // Caches a freed frame (unmarked, refcount 0); above high, returns a batch.
    void give(Page* p, PhysicalZone& zone) {
        p->flags = page_flag::kPerCpu;
        frames_.push_front(*p);  // LIFO: the next allocation gets a cache-hot frame
        if (frames_.size() > high_) drain(zone, batch_);
    }
    // Returns up to `count` of the coldest frames to the zone.
    void drain(PhysicalZone& zone, u64 count);

    u64 count() const { return frames_.size(); }
    u32 batch() const { return batch_; }
    u32 high() const { return high_; }
    u64 refills() const { return refills_; }
    u64 drains() const { return drains_; }

    // Panics, naming the CPU and the frame, if an invariant above is broken;
    // returns the number of frames on the list.
    u64 check_invariants(const PhysicalZone& zone, u32 cpu) const;

private:
    bool refill(PhysicalZone& zone);

    PageList frames_;
    u32 batch_ = 0;
    u32 high_ = 0;
    u64 refills_ = 0;  // times the list was refilled
    u64 drains_ = 0;   // times frames were given back
};

}  // namespace kernel::pmm
