// Fork: a new address space that starts as a copy of this one (Linux's
// dup_mmap and copy_page_range, mm/memory.c copy_present_pte). Every VMA is
// copied as it is; then its present PTEs:
//
//   the shared zero page                 -> the child maps it read-only too
//   a shared anonymous frame             -> the child maps the same frame with
//                                           the VMA's rights
//   a private frame that a pin holds     -> the child gets a copy now, the
//   (refcount > 1, pin.h)                   parent keeps its page writable
//                                           (Linux's page_needs_cow_for_dma)
//   any other private frame              -> shared copy-on-write: read-only in
//                                           both, mapcount + 1 (cow.cpp breaks it)
//
// The child is linked to the reverse-map object of every frame it shares
// (rmap.h), so rmap_walk finds its PTEs. The parent's PTEs made read-only are
// flushed on this CPU before fork returns (address_space.h, TLB rule); the
// child is live nowhere yet.
#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/pte_walk.h"
#include "kernel/mm/zap_batch.h"
#include "kernel/mm/zero_page.h"

namespace kernel {

// Departure: Linux's shared anonymous memory lives in a shmem object from which
// every process that maps it faults its pages; ours has no such object yet, so
// a page that neither had touched before fork would afterwards be faulted
// separately in each space. Fork therefore maps every page of the parent's
// shared VMAs first: parent and child start with the same frame for every page
// of the VMA, and no later fault can make them diverge, since a shared PTE
// only goes with its VMA (madvise keeps them, mmap.cpp). The price is memory
// for the pages never touched; the shmem object removes it.
bool AddressSpace::populate_shared(Vma& vma) {
    lock_.assert_held();
    for (u64 va = vma.start; va < vma.end; va += kPageSize) {
        Mapping m;
        if (pt_.lookup(VirtAddr{va}, &m)) continue;
        if (!map_fresh_frame(vma, va)) return false;
    }
    return true;
}

bool AddressSpace::copy_vma_pages(const Vma& vma, AddressSpace& child, ZapBatch& parent_zap) {
    lock_.assert_held();
    const bool shared = vma.has(vma_flag::kShared);
    const PageAttrs attrs = attrs_for_prot(vma.prot);
    PageAttrs read_only = attrs;
    read_only.writable = false;
    ZapBatch child_zap;
    AnonObject* last_linked = nullptr;
    bool ok = true;
    for_each_leaf(pt_, vma.start, vma.end, [&](u64 va, Pte leaf, unsigned level) {
        if (!ok) return;
        KASSERT(level == 1, "user leaf at %#llx is level %u", static_cast<unsigned long long>(va), level);
        const PhysAddr frame = leaf.frame(level);
        auto map_in_child = [&](PhysAddr f, const PageAttrs& a) {
            const PtStatus s = child.pt_.map(VirtAddr{va}, f, kPageSize, a, PageSize::k4K, child_zap.inv);
            KASSERT(s == PtStatus::kOk || s == PtStatus::kNoMemory, "fork: mapping %#llx in the child: %s",
                    static_cast<unsigned long long>(va), describe(s));
            return s == PtStatus::kOk;
        };
        if (is_zero_page(frame)) {
            ok = map_in_child(frame, read_only);
            if (ok) ++child.zero_ptes_;
            return;
        }
        Page* page = pmm::phys_to_page(frame);
        if (!shared && __atomic_load_n(&page->refcount, __ATOMIC_ACQUIRE) > 1) {
            // Pinned: the pin's owner must keep seeing the parent's page, so
            // neither may start sharing it; the child gets its own copy.
            Page* copy = pmm::alloc_page();
            ok = copy != nullptr;
            if (!ok) return;
            hal::copy_frames(pmm::page_to_phys(copy), frame, kPageSize);
            ok = map_in_child(pmm::page_to_phys(copy), attrs);
            if (!ok) {
                pmm::free_page(copy);
                return;
            }
            rmap_add_anon(*copy, child, va);
            ++child.resident_;
            return;
        }
        AnonObject* object = rmap_anon_object(*page);
        KASSERT(object, "fork: frame %#llx at %#llx has no reverse map", static_cast<unsigned long long>(frame.value),
                static_cast<unsigned long long>(va));
        if (object != last_linked) {
            ok = anon_link(*object, child, child.anon_links_);
            if (!ok) return;
            last_linked = object;
        }
        ok = map_in_child(frame, shared ? attrs : read_only);
        if (!ok) return;
        rmap_add_mapping(*page);
        ++child.resident_;
        if (!shared && leaf.writable()) {
            const PtStatus s = pt_.protect(VirtAddr{va}, kPageSize, read_only, parent_zap.inv);
            KASSERT(s == PtStatus::kOk, "fork: write-protecting %#llx: %s", static_cast<unsigned long long>(va),
                    describe(s));
        }
    });
    child.finish(child_zap);
    return ok;
}

AddressSpace* AddressSpace::fork() {
    SpinGuard guard(lock_);
    for (Vma* v = vmas_.first(); v; v = vmas_.next(*v))
        if (v->has(vma_flag::kShared) && !populate_shared(*v)) return nullptr;
    AddressSpace* child = create(options_);
    if (!child) return nullptr;
    ZapBatch parent_zap;
    bool ok = true;
    {
        // No one else can reach the child yet; its lock is taken so that the
        // helpers' lock assertions hold. Order: parent, then child.
        SpinGuard child_guard(child->lock_);
        child->brk_ = brk_;
        for (const Vma* v = vmas_.first(); v && ok; v = vmas_.next(*v)) {
            Vma* copy = vma_alloc();
            ok = copy != nullptr;
            if (!ok) break;
            copy->start = v->start;
            copy->end = v->end;
            copy->prot = v->prot;
            copy->flags = v->flags;
            copy->pgoff = v->pgoff;
            copy->file = v->file;
            copy->shared_id = v->shared_id;
            const bool inserted = child->vmas_.insert(*copy);
            KASSERT(inserted, "fork: two VMAs start at %#llx", static_cast<unsigned long long>(v->start));
            ok = copy_vma_pages(*v, *child, parent_zap);
        }
    }
    // The parent's PTEs made read-only must be invalidated before any write
    // through a stale writable entry could reach a frame the child now shares.
    finish(parent_zap);
    if (!ok) {
        destroy(child);
        return nullptr;
    }
    return child;
}

}  // namespace kernel
