#include "kernel/mm/boot_memory.h"

#include "kernel/lib/panic.h"

namespace kernel::pmm {
namespace {

// How many naturally aligned blocks of `block` frames that lie wholly inside
// `run` (and so could one day be free blocks of that size) a boot allocation of
// [start, start + n) would break.
u64 blocks_broken(FrameRange run, u64 start, u64 n, u64 block) {
    u64 first = align_up(run.start, block);
    const u64 overlap_first = align_down(start, block);
    if (overlap_first > first) first = overlap_first;
    u64 last = align_down(run.end, block);
    const u64 overlap_last = align_up(start + n, block);
    if (overlap_last < last) last = overlap_last;
    return last > first ? (last - first) / block : 0;
}

// What a placement costs, compared in this order: being in the DMA zone (scarce:
// 15 MiB at most, and the only memory ISA-era devices reach), then 1 GiB frames
// lost, then 2 MiB frames lost. Large pages are what the buddy allocator exists
// to keep available (DESIGN.md "Large pages"), so a 28 MiB array placed on a
// 1 GiB boundary would cost a whole 1 GiB frame for nothing.
struct PlacementCost {
    u64 in_dma;
    u64 huge_broken;
    u64 large_broken;
    bool operator<(const PlacementCost& o) const {
        if (in_dma != o.in_dma) return in_dma < o.in_dma;
        if (huge_broken != o.huge_broken) return huge_broken < o.huge_broken;
        return large_broken < o.large_broken;
    }
    bool operator==(const PlacementCost& o) const {
        return in_dma == o.in_dma && huge_broken == o.huge_broken && large_broken == o.large_broken;
    }
};

}  // namespace

void BootMemory::load(const hal::BootInfo& info) {
    run_count_ = 0;
    node_count_ = info.node_count;
    KASSERT(node_count_ >= 1 && node_count_ <= kMaxNodes, "bad node count %u", node_count_);
    KASSERT(info.region_count <= hal::BootInfo::kMaxRegions, "bad region count %u", info.region_count);
    for (u32 n = 0; n < kMaxNodes; ++n) spans_[n] = {};

    u64 previous_end = 0;
    for (u32 i = 0; i < info.region_count; ++i) {
        const hal::MemoryRegion& r = info.regions[i];
        KASSERT(r.node < node_count_, "region %u on node %u of %u", i, r.node, node_count_);
        KASSERT(r.base.value >= previous_end, "memory map not sorted or overlapping at region %u", i);
        previous_end = r.base.value + r.size;
        if (r.size == 0) continue;

        // The node's span covers every frame the region touches.
        const FrameRange touched{r.base.value >> kPageShift, align_up(r.base.value + r.size, kPageSize) >> kPageShift};
        FrameRange& span = spans_[r.node];
        if (span.empty()) {
            span = touched;
        } else {
            if (touched.start < span.start) span.start = touched.start;
            if (touched.end > span.end) span.end = touched.end;
        }
        if (r.kind != hal::MemoryKind::kUsable) continue;

        // Usable: only whole frames. Regions do not overlap, so a frame wholly
        // inside a usable region is touched by no reserved region.
        const FrameRange whole{align_up(r.base.value, kPageSize) >> kPageShift,
                               align_down(r.base.value + r.size, kPageSize) >> kPageShift};
        for (u32 z = 0; z < kZoneCount; ++z) {
            const FrameRange part = zone_part(whole, static_cast<Zone>(z));
            if (!part.empty()) add_usable(part, r.node);
        }
    }
    // Spans of different nodes must not overlap: a frame has one node.
    for (u32 a = 0; a < node_count_; ++a)
        for (u32 b = a + 1; b < node_count_; ++b)
            KASSERT(spans_[a].empty() || spans_[b].empty() || spans_[a].end <= spans_[b].start ||
                        spans_[b].end <= spans_[a].start,
                    "nodes %u and %u overlap", a, b);
}

void BootMemory::add_usable(FrameRange frames, u32 node) {
    KASSERT(run_count_ < kMaxRuns, "too many usable runs");
    KASSERT(run_count_ == 0 || runs_[run_count_ - 1].frames.end <= frames.start, "usable runs out of order");
    runs_[run_count_++] = Run{frames, node};
}

u64 BootMemory::take(u32 node, u64 frames) {
    KASSERT(node < node_count_, "node %u of %u", node, node_count_);
    u64 pfn = 0;
    if (take_from(node, frames, &pfn)) return pfn;
    // A node without room (or without memory) gets its data from another node,
    // as Linux does for memoryless nodes.
    for (u32 other = 0; other < node_count_; ++other)
        if (other != node && take_from(other, frames, &pfn)) return pfn;
    panic("BootMemory::take: no usable run holds %llu frames for node %u", static_cast<unsigned long long>(frames),
          node);
}

// Candidates are the two ends of each run of the node: an allocation at an end
// splits no run, and ends are where a run's alignment is already broken. The
// cheapest (PlacementCost) wins; on a tie the highest address does, as Linux's
// memblock allocates top-down.
bool BootMemory::take_from(u32 node, u64 frames, u64* pfn) {
    Run* best = nullptr;
    u64 best_start = 0;
    PlacementCost best_cost{};
    for (u32 i = 0; i < run_count_; ++i) {
        Run& run = runs_[i];
        if (run.node != node || run.frames.frames() < frames) continue;
        const u64 candidates[2] = {run.frames.start, run.frames.end - frames};
        for (const u64 start : candidates) {
            const PlacementCost cost{run.frames.end <= kDmaLimitPfn ? 1u : 0u,
                                     blocks_broken(run.frames, start, frames, u64{1} << kHugePageOrder),
                                     blocks_broken(run.frames, start, frames, u64{1} << kLargePageOrder)};
            if (!best || cost < best_cost || (cost == best_cost && start > best_start)) {
                best = &run;
                best_start = start;
                best_cost = cost;
            }
        }
    }
    if (!best) return false;
    if (best_start == best->frames.start)
        best->frames.start += frames;
    else
        best->frames.end -= frames;
    *pfn = best_start;
    return true;
}

}  // namespace kernel::pmm
