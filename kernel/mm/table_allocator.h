// Where paging-structure pages come from: an injectable interface (Zircon's
// page-table allocator habit), so unit tests can count table pages and make
// allocations fail, while the kernel uses the buddy allocator.
//
// Contract for every implementation:
// - allocate() gives a zeroed, 4 KiB-aligned RAM frame (a zeroed table is a
//   table of not-present entries), reachable through hal::phys_to_virt.
// - descriptor() is the frame's Page descriptor: the editor keeps the table's
//   count of present entries in it (Page::owner.table), so an empty table is
//   detected in O(1), without scanning 512 entries.
// - release() takes back a frame allocate() gave; the editor calls it only after
//   every TLB and paging-structure cache that could reference the table has been
//   flushed (through TlbInvalidation::release_tables).
#pragma once

#include "kernel/lib/types.h"
#include "kernel/mm/page.h"

namespace kernel {

class TableAllocator {
public:
    virtual bool allocate(PhysAddr& table) = 0;
    virtual void release(PhysAddr table) = 0;
    virtual Page& descriptor(PhysAddr table) = 0;
    virtual PhysAddr address_of(const Page& descriptor) = 0;

protected:
    // Never destroyed through the interface (the kernel has no delete).
    ~TableAllocator() = default;
};

// The kernel's allocator: order-0 frames from pmm, zeroed, on the calling CPU's
// node (page tables are read by that CPU's walker most).
TableAllocator& pmm_table_allocator();

}  // namespace kernel
