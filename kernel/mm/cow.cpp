// Breaking copy-on-write: a write fault on a present, read-only frame of a
// writable private VMA (Linux's do_wp_page). Fork left the frame shared and
// read-only in every space that maps it (fork.cpp).
//
//   this PTE is the frame's only mapping (mapcount 1) and no pin holds it
//   (refcount 1): nobody else can see a write, so the PTE becomes writable
//   and the frame moves to this space's reverse-map object
//   (wp_page_reuse, page_move_anon_rmap)                   -> "cow_reuse"
//   otherwise: the data is copied into a fresh frame (hal::copy_frames, which
//   the machine charges), the PTE is pointed at it, writable, and the old
//   frame loses one mapping; if that was its last (a pinned frame), the pin's
//   owner keeps it and its last unpin frees it (wp_page_copy) -> "cow_copy"
//
// Both tests are exact under this space's lock: another space can only lower
// mapcount (its unmap) or refcount (an unpin), which at worst makes us copy a
// frame we could have reused; raising mapcount takes a fork of this space and
// raising refcount a pin in it, both under the lock we hold.
//
// No CPU can write the old frame while it is copied: every PTE that maps it
// is read-only (the COW rule that check_invariants verifies), and a frame
// pinned when fork ran was copied for the child, not shared (fork.cpp); a pin
// taken on a shared frame afterwards is a read pin (a write pin breaks COW
// first). The old translation is flushed before the old frame can be freed
// (finish).
#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/zap_batch.h"
#include "kernel/mm/zero_page.h"

namespace kernel {

void AddressSpace::break_cow(Vma& vma, u64 page, const Mapping& m, FaultResult& r) {
    lock_.assert_held();
    KASSERT(!is_zero_page(m.frame) && !vma.has(vma_flag::kShared) && !m.attrs.writable,
            "break_cow at %#llx: not a read-only private frame", static_cast<unsigned long long>(page));
    Page* old = pmm::phys_to_page(m.frame);
    const PageAttrs attrs = attrs_for_prot(vma.prot);
    ZapBatch zap;
    if (__atomic_load_n(&old->mapcount, __ATOMIC_ACQUIRE) == 1 &&
        __atomic_load_n(&old->refcount, __ATOMIC_ACQUIRE) == 1) {
        rmap_move_anon(*old, *anon_);
        const PtStatus s = pt_.protect(VirtAddr{page}, kPageSize, attrs, zap.inv);
        KASSERT(s == PtStatus::kOk, "cow reuse at %#llx: %s", static_cast<unsigned long long>(page), describe(s));
        finish(zap);
        ++faults_.cow_reuse;
        return;
    }
    Page* fresh = pmm::alloc_page();
    if (!fresh) {
        ++faults_.oom;
        r.status = FaultStatus::kOutOfMemory;
        return;
    }
    hal::copy_frames(pmm::page_to_phys(fresh), m.frame, kPageSize);
    const PtStatus s = pt_.replace_frame(VirtAddr{page}, pmm::page_to_phys(fresh), attrs, zap.inv);
    KASSERT(s == PtStatus::kOk, "cow copy at %#llx: %s", static_cast<unsigned long long>(page), describe(s));
    rmap_add_anon(*fresh, *this, page);
    if (rmap_remove(*old)) zap.frames.push_back(*old);
    finish(zap);
    ++faults_.cow_copy;
}

}  // namespace kernel
