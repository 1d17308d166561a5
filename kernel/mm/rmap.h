// The reverse map: from a frame to every PTE that maps it (DESIGN.md "Reverse
// mapping"; reclaim, swap, COW and large-page promotion all start from a frame).
//
// Design, after Linux's object-based rmap (Dave McCracken 2003, anon_vma by
// Andrea Arcangeli 2004) rather than a list of PTE pointers per frame (the
// old pte_chains, which cost memory on every mapping):
//   - a mapped anonymous frame records its backing object and its page index
//     there (Page::owner.anon, with page_flag::kAnon); the object's VMAs that
//     may hold it give the address start + (index - pgoff) * 4 KiB (vma.h);
//   - Page::mapcount counts the PTEs that map the frame; Page::refcount holds
//     one reference for the mapping (the allocation's), so a frame goes back
//     to the pmm when its last PTE goes, after the TLB flush.
// Today the backing object of anonymous memory is the AddressSpace itself
// (tagged with kAnonMappingTag in the low bit, as Linux's PAGE_MAPPING_ANON
// tells anon_vma from a file's address_space) and each frame is mapped once.
// Fork turns the object into an anon_vma-like node shared by parent and child
// VMAs; the Page fields stay as they are.
#pragma once

#include "kernel/lib/types.h"
#include "kernel/mm/page.h"

namespace kernel {

class AddressSpace;

inline constexpr uintptr_t kAnonMappingTag = 1;

// A fresh anonymous frame now mapped at `va` in `space`: kAnon, its object and
// index, mapcount 1.
void rmap_add_anon(Page& page, AddressSpace& space, u64 va);
// One PTE that mapped `page` is gone; true when it was the last (the frame may
// be freed once the TLBs are flushed).
bool rmap_remove(Page& page);

// The object an anonymous frame belongs to (nullptr if not anonymous) and the
// address it is mapped at there.
AddressSpace* rmap_anon_space(const Page& page);
u64 rmap_anon_address(const Page& page);

// Calls fn(space, va) for every PTE that maps `page`, after checking through
// the space's page table that the PTE really maps this frame; returns how many.
template <typename Fn>
u32 rmap_walk(const Page& page, Fn&& fn);

}  // namespace kernel
