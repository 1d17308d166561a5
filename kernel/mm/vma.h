// A virtual memory area: one contiguous, page-aligned range [start, end) of a
// process's user half with one set of rights and one backing (Linux's
// vm_area_struct, FreeBSD's vm_map_entry). An AddressSpace keeps its VMAs in an
// AVL tree keyed by start (kernel/lib/avl_tree.h): the VMA holding an address
// is the floor of the address, then a bounds check.
//
// Backing and the reverse map (DESIGN.md "Reverse mapping"): every frame a VMA
// maps must lead back to each PTE that maps it. A VMA therefore keeps, as
// Linux does, a page offset `pgoff` into its backing object, so that
//     address of page index i = start + (i - pgoff) * 4 KiB
// for every page in the VMA:
//   - private anonymous: the backing object is the AnonObject of the space
//     that created the frame (rmap.h) and pgoff = start >> 12 (Linux: vm_pgoff = addr >> PAGE_SHIFT), so a page's
//     index is its linear page number; splits and stack growth keep the sum;
//   - shared anonymous: pgoff starts at 0 in its own object (Linux's shmem
//     file), named for now by `shared_id` (unique across address spaces; fork
//     hands it to the child); the object itself comes later (fork.cpp);
//   - file-backed (later): `file` and pgoff = file offset >> 12.
// A page records (object, index) (page.h owner.anon, rmap.h), so the PTE is
// found from the object's VMAs without any per-PTE list. Today, with no
// mremap, every anonymous frame, private or shared, records the AnonObject of
// the space that created it and index = va >> 12, the same in every space
// that maps it since fork (rmap.h); a shmem-like object for shared memory
// takes its place later, with index = the page's pgoff there.
//
// Invariants (AddressSpace::check_invariants): start < end, both page-aligned,
// in the user half; VMAs do not overlap; no two adjacent VMAs are mergeable
// (same rights, flags, backing and contiguous pgoff) - every edit merges.
#pragma once

#include "kernel/lib/avl_tree.h"
#include "kernel/lib/types.h"

namespace kernel {

class AddressSpace;

namespace vma_flag {
inline constexpr u32 kShared = 1u << 0;     // MAP_SHARED: writes are seen by every mapper
inline constexpr u32 kAnonymous = 1u << 1;  // zero-filled on demand, no file
inline constexpr u32 kGrowsDown = 1u << 2;  // a stack: faults just below it extend it
}  // namespace vma_flag

// Rights of a VMA, in Linux's PROT_* bits (mman.h): R = 1, W = 2, X = 4.
struct Vma {
    AvlNode node;
    u64 start = 0;          // first byte, page-aligned
    u64 end = 0;            // one past the last byte, page-aligned
    u32 prot = 0;           // PROT_READ | PROT_WRITE | PROT_EXEC
    u32 flags = 0;          // vma_flag
    u64 pgoff = 0;          // page offset of `start` in the backing object (see above)
    void* file = nullptr;   // the backing file (page cache), when files come; nullptr = anonymous
    u64 shared_id = 0;      // shared anonymous: which shared object (0 = private)

    u64 pages() const { return (end - start) >> kPageShift; }
    bool contains(u64 addr) const { return addr >= start && addr < end; }
    bool has(u32 f) const { return flags & f; }
};

struct VmaStart {
    u64 operator()(const Vma& v) const { return v.start; }
};
using VmaTree = AvlTree<Vma, &Vma::node, VmaStart>;

// Whether `lower` followed directly by `upper` could be one VMA.
bool vma_mergeable(const Vma& lower, const Vma& upper);

// VMA objects come from their own slab cache. Once per boot, after slab::init.
void vma_cache_init();
Vma* vma_alloc();  // nullptr when memory runs out
void vma_free(Vma* vma);

// A few VMAs allocated up front; those not taken are freed on destruction.
class VmaSpares {
public:
    static constexpr u32 kMax = 3;
    VmaSpares() = default;
    VmaSpares(const VmaSpares&) = delete;
    VmaSpares& operator=(const VmaSpares&) = delete;
    ~VmaSpares() {
        while (count_) vma_free(vmas_[--count_]);
    }
    // Allocates until n are held; false when memory runs out.
    bool reserve(u32 n);
    Vma& take();

private:
    Vma* vmas_[kMax] = {};
    u32 count_ = 0;
};

}  // namespace kernel
