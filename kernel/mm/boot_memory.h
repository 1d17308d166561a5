// The boot memory map in frames: what the physical memory manager starts from.
// It plays the part of Linux's memblock, reduced to what the pmm needs: the usable
// RAM of each NUMA node as sorted runs of whole frames, from which boot-time data
// (the page-descriptor arrays) is carved before the rest goes to the buddy
// allocator.
//
// Reading hal::boot_info():
// - a usable region is rounded inward to whole frames and a reserved one outward,
//   so a frame that is even partly reserved is never handed out;
// - a gap between regions (a hole) is unusable;
// - usable runs are split where zones meet (16 MiB, 4 GiB), so each run lies in
//   one zone of one node.
//
// Invariants (checked by load): runs are sorted by frame, non-empty, disjoint,
// each inside one zone and inside its node's span.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/types.h"
#include "kernel/mm/page.h"

namespace kernel::pmm {

// A half-open range of page frame numbers [start, end).
struct FrameRange {
    u64 start = 0;
    u64 end = 0;
    constexpr u64 frames() const { return end - start; }
    constexpr bool empty() const { return end <= start; }
    constexpr bool contains(u64 pfn) const { return pfn >= start && pfn < end; }
};

inline constexpr u64 kDmaLimitPfn = kDmaLimit >> kPageShift;
inline constexpr u64 kDma32LimitPfn = kDma32Limit >> kPageShift;

// The zone a frame belongs to, by its address alone.
constexpr Zone zone_of_pfn(u64 pfn) {
    return pfn < kDmaLimitPfn ? Zone::kDma : pfn < kDma32LimitPfn ? Zone::kDma32 : Zone::kNormal;
}
// The frames of `zone` inside `span`.
constexpr FrameRange zone_part(FrameRange span, Zone zone) {
    const u64 lo = zone == Zone::kDma ? 0 : zone == Zone::kDma32 ? kDmaLimitPfn : kDma32LimitPfn;
    const u64 hi = zone == Zone::kDma ? kDmaLimitPfn : zone == Zone::kDma32 ? kDma32LimitPfn : ~u64{0};
    FrameRange r{span.start > lo ? span.start : lo, span.end < hi ? span.end : hi};
    if (r.empty()) r = {};
    return r;
}

class BootMemory {
public:
    // Each region may be split at most twice (at the two zone limits).
    static constexpr u32 kMaxRuns = hal::BootInfo::kMaxRegions * 3;

    void load(const hal::BootInfo& info);

    u32 node_count() const { return node_count_; }
    // From the node's first to its last frame, holes and reserved frames included.
    FrameRange node_span(u32 node) const { return spans_[node]; }

    // Takes `frames` contiguous usable frames for boot-time data, preferably from
    // `node` (node-local descriptors, like Linux's memmap), else from any node.
    // Panics if no run can hold them. See boot_memory.cpp for where they are put.
    u64 take(u32 node, u64 frames);

    // fn(FrameRange) for each usable run of `node`, in address order.
    template <typename Fn>
    void for_each_usable(u32 node, Fn&& fn) const {
        for (u32 i = 0; i < run_count_; ++i)
            if (runs_[i].node == node && !runs_[i].frames.empty()) fn(runs_[i].frames);
    }

private:
    struct Run {
        FrameRange frames;
        u32 node = 0;
    };
    void add_usable(FrameRange frames, u32 node);
    bool take_from(u32 node, u64 frames, u64* pfn);

    Run runs_[kMaxRuns];
    u32 run_count_ = 0;
    FrameRange spans_[kMaxNodes];
    u32 node_count_ = 0;
};

}  // namespace kernel::pmm
