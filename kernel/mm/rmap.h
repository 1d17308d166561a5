// The reverse map: from a frame to every PTE that maps it (DESIGN.md "Reverse
// mapping"; reclaim, swap, COW and large-page promotion all start from a frame).
//
// Design, after Linux's object-based rmap (Dave McCracken 2003) and its
// anon_vma (Andrea Arcangeli 2004) with the anon_vma_chain links of Rik van
// Riel (2010), rather than a list of PTE pointers per frame (the old
// pte_chains, which cost memory on every mapping) - but per address space
// where Linux has one per VMA:
//   - every AddressSpace owns one AnonObject. A frame it creates (demand
//     zero, a COW copy) records that object and its page index, va >> 12
//     (Page::owner.anon with page_flag::kAnon);
//   - an AnonLink ties a space to an object whose frames it may map (Linux's
//     anon_vma_chain). A space links its own object; fork links the child to
//     the object of each frame it shares with the parent, once per object;
//   - fork keeps addresses and nothing moves a page (no mremap yet), so every
//     PTE that maps a frame sits at index << 12 in a space linked to the
//     frame's object: rmap_walk (address_space.h) looks that address up in
//     each linked space and keeps those whose PTE names the frame;
//   - Page::mapcount counts those PTEs in all spaces together; refcount holds
//     one reference for all the mappings plus one per pin (pin.h), so a frame
//     goes back to the pmm when its last PTE goes, after the TLB flush, unless
//     it is pinned.
// Why per space and not per VMA: our VMAs split and merge on every edit while
// a private page's index never changes; one object per space gives Linux's
// walk (only the spaces that forked from the frame's creator after it existed,
// or the creator) without VMA bookkeeping. The cost: a walk also visits linked
// spaces that map other frames of the object, as Linux's walk visits every VMA
// on an anon_vma. A COW break that reuses a frame moves it to the faulting
// space's object (Linux's page_move_anon_rmap), so later walks stay narrow.
// Shared anonymous frames follow the same rule (fork links the child to their
// creator's object).
//
// Lifetime: an object lives while a space links it. A frame recording it is
// mapped only by linked spaces, so its `pages` is 0 when its last link goes
// (asserted). A frame whose last PTE goes forgets its object at once
// (rmap_remove), pinned or not.
//
// Locking: AnonObject::lock guards the object's list of links; it is taken
// after an address space's lock and before a page table's. mapcount and pages
// change with atomics, under the lock of the space whose PTE changes: two
// spaces sharing a frame edit it concurrently.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"
#include "kernel/mm/page.h"

namespace kernel {

class AddressSpace;
struct AnonObject;

inline constexpr uintptr_t kAnonMappingTag = 1;

// "space may map frames recording object" (Linux's anon_vma_chain).
struct AnonLink {
    ListNode in_object;  // on object->links
    ListNode in_space;   // on the space's own list (AnonLinks)
    AnonObject* object = nullptr;
    AddressSpace* space = nullptr;
};

using AnonLinks = IntrusiveList<AnonLink, &AnonLink::in_space>;

struct AnonObject {
    SpinLock lock{"anon_object"};
    IntrusiveList<AnonLink, &AnonLink::in_object> links;  // the spaces that may map its frames
    u64 pages = 0;  // mapped frames recording this object (atomic)
};

// A new object with no link, or nullptr when memory runs out.
AnonObject* anon_object_create();
// Links `space` (whose list is `links`) to `object`, unless it is already
// linked; false when memory runs out.
bool anon_link(AnonObject& object, AddressSpace& space, AnonLinks& links);
// Drops every link of a space; an object whose last link goes is freed.
void anon_unlink_all(AnonLinks& links);

// A fresh anonymous frame now mapped at `va` in `space`: kAnon, the space's
// own object and the index, mapcount 1.
void rmap_add_anon(Page& page, AddressSpace& space, u64 va);
// One more PTE maps an anonymous frame, at its address, in a space linked to
// its object (fork).
void rmap_add_mapping(Page& page);
// One PTE that mapped `page` is gone; true when it was the last: the frame
// forgets its object and may be freed once the TLBs are flushed.
bool rmap_remove(Page& page);
// A frame mapped once, by the owner of `object`, now records `object`.
void rmap_move_anon(Page& page, AnonObject& object);

// The object an anonymous frame records (nullptr if none) and the address it
// is mapped at in every space that maps it.
AnonObject* rmap_anon_object(const Page& page);
u64 rmap_anon_address(const Page& page);

// Calls fn(space, va) for every PTE that maps `page`, after checking through
// the space's page table that the PTE really maps this frame; returns how many.
// Under the object's lock: fn must not edit links or address spaces. The
// caller keeps the frame's mappings from changing meanwhile (today: no other
// CPU edits the spaces involved).
template <typename Fn>
u32 rmap_walk(const Page& page, Fn&& fn);

}  // namespace kernel
