// The page-descriptor arrays: one Page per physical frame, one array per NUMA
// node covering the node's whole span (holes included, marked reserved), stored
// in the node's own RAM (Linux's per-node mem_map). A frame's descriptor is one
// subtraction away from its frame number and back, and the node is a field of
// the descriptor, so both lookups are O(1); pfn -> Page scans the at most
// kMaxNodes node spans.
//
// The arrays are reached through the direct map (hal::phys_to_virt of their
// first frame: the direct map is contiguous over RAM in both builds). Their own
// frames are taken from usable memory at boot (BootMemory::take) and marked
// reserved, so nothing ever allocates them.
//
// Initial state written by init (page.h's invariants hold from then on):
// - a frame in a usable run: free, not yet in a buddy list (flags 0, refcount 0);
//   the pmm then hands the runs to the zones;
// - any other frame (reserved, hole, descriptor storage): kReserved, refcount 1.
#pragma once

#include "kernel/lib/panic.h"
#include "kernel/lib/types.h"
#include "kernel/mm/boot_memory.h"
#include "kernel/mm/page.h"

namespace kernel::pmm {

struct NodePageArray {
    FrameRange span;          // frames described
    Page* pages = nullptr;    // descriptor of span.start
    FrameRange storage;       // frames holding the array (reserved)

    Page* page(u64 pfn) const { return pages + (pfn - span.start); }
    u64 pfn(const Page* p) const { return span.start + static_cast<u64>(p - pages); }
    bool holds(const Page* p) const { return p >= pages && p < pages + span.frames(); }
};

class PageArray {
public:
    // Takes each node's array out of `memory` and writes every descriptor.
    void init(BootMemory& memory);

    u32 node_count() const { return node_count_; }
    const NodePageArray& node(u32 n) const { return nodes_[n]; }

    // nullptr if pfn is no node's frame.
    Page* find(u64 pfn) const {
        for (u32 n = 0; n < node_count_; ++n)
            if (nodes_[n].span.contains(pfn)) return nodes_[n].page(pfn);
        return nullptr;
    }
    // Panics, naming the pointer, if `page` is not a descriptor of ours.
    // (The pointer is range-checked before it is read.)
    u64 pfn_of(const Page* page) const {
        for (u32 n = 0; n < node_count_; ++n)
            if (nodes_[n].holds(page)) return nodes_[n].pfn(page);
        panic("%p is not a page descriptor", static_cast<const void*>(page));
    }

private:
    void fill_node(u32 node, const BootMemory& memory);

    NodePageArray nodes_[kMaxNodes];
    u32 node_count_ = 0;
};

}  // namespace kernel::pmm
