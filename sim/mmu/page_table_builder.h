// Builds IA-32e page tables in simulated physical memory from the host side:
// for simx's built-in access patterns and for tests, before the kernel's own
// page-table editor exists. Tables come from a frame allocator the caller owns.
//
// Invariant: map() never silently replaces a mapping; mapping over a present
// leaf or through a large leaf throws SimError naming the address.
#pragma once

#include <cstdint>
#include <functional>

#include "sim/machine/types.h"
#include "sim/mmu/pte.h"

namespace simx {

class PhysicalMemory;

// Bump allocator of zeroed, 4 KiB-aligned physical frames in [base, limit).
class FrameAllocator {
public:
    FrameAllocator(PhysicalMemory& memory, PhysAddr base, PhysAddr limit);
    // A block of `bytes` (a multiple of 4 KiB) aligned to `align`, zeroed unless
    // the caller knows it already is (simulated RAM starts zeroed, and zeroing a
    // large block would make the host touch all of it); throws SimError when the
    // range is exhausted.
    PhysAddr allocate(uint64_t bytes, uint64_t align = 4096, bool zero = true);
    uint64_t used() const { return next_ - base_; }

private:
    PhysicalMemory& memory_;
    uint64_t base_, next_, limit_;
};

class PageTableBuilder {
public:
    // levels: 4 or 5. The root table is allocated at construction.
    PageTableBuilder(PhysicalMemory& memory, FrameAllocator& frames, unsigned levels);

    PhysAddr root() const { return root_; }
    unsigned levels() const { return levels_; }

    // Maps one page of `size` at va -> pa. leaf_flags are the leaf's bits other
    // than the address and PS (P is implied); intermediate entries get
    // table_flags (P|W|U by default, so the leaf decides the rights).
    void map(VirtAddr va, PhysAddr pa, PageSize size, uint64_t leaf_flags,
             uint64_t table_flags = Pte::kPresent | Pte::kWritable | Pte::kUser);

    // Physical address of the entry that maps va at `level` (1 = PTE .. 5), or
    // of the deepest existing entry on the path; for tests that edit entries.
    PhysAddr entry_address(VirtAddr va, int level) const;
    // Number of page-table pages allocated so far.
    uint64_t table_pages() const { return table_pages_; }

private:
    PhysicalMemory& memory_;
    FrameAllocator& frames_;
    unsigned levels_;
    PhysAddr root_;
    uint64_t table_pages_ = 0;
};

}  // namespace simx
