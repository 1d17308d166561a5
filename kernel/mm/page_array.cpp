#include "kernel/mm/page_array.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/new.h"

namespace kernel::pmm {

void PageArray::init(BootMemory& memory) {
    node_count_ = memory.node_count();
    for (u32 n = 0; n < kMaxNodes; ++n) nodes_[n] = NodePageArray{};
    // Every array is taken before any is written: a node short of room takes its
    // array from another node's runs, which must be final before that node is filled.
    for (u32 n = 0; n < node_count_; ++n) {
        NodePageArray& a = nodes_[n];
        a.span = memory.node_span(n);
        if (a.span.empty()) continue;
        const u64 frames = align_up(a.span.frames() * sizeof(Page), kPageSize) >> kPageShift;
        const u64 first = memory.take(n, frames);
        a.storage = {first, first + frames};
        a.pages = static_cast<Page*>(hal::phys_to_virt(PhysAddr::from_pfn(first)));
    }
    for (u32 n = 0; n < node_count_; ++n)
        if (!nodes_[n].span.empty()) fill_node(n, memory);
}

// One pass over the node's span in address order: runs of usable frames become
// free descriptors, everything between them reserved ones.
void PageArray::fill_node(u32 node, const BootMemory& memory) {
    const NodePageArray& a = nodes_[node];
    u64 pfn = a.span.start;
    auto write = [&](u64 end, bool usable) {
        for (; pfn < end; ++pfn) {
            Page* p = new (a.page(pfn)) Page();
            p->node = static_cast<u8>(node);
            p->zone = zone_of_pfn(pfn);
            if (!usable) {
                p->flags = page_flag::kReserved;
                p->refcount = 1;
            }
        }
    };
    memory.for_each_usable(node, [&](FrameRange run) {
        write(run.start, false);
        write(run.end, true);
    });
    write(a.span.end, false);
}

}  // namespace kernel::pmm
