#include "kernel/mm/pin.h"

#include "kernel/lib/errno.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/zero_page.h"

namespace kernel {
namespace {

// Drops one reference; true when it was the last (refcount left at 1 for free_pages).
bool drop_reference(Page* page) {
    const i32 left = __atomic_sub_fetch(&page->refcount, 1, __ATOMIC_ACQ_REL);
    KASSERT(left >= 0, "frame %#llx: refcount went negative",
            static_cast<unsigned long long>(pmm::page_to_phys(page).value));
    if (left > 0) return false;
    page->refcount = 1;
    return true;
}

}  // namespace

bool page_release_mapping(Page* page) { return drop_reference(page); }

i64 AddressSpace::pin_pages(u64 addr, u32 n, bool write, Page** pages) {
    if ((addr & (kPageSize - 1)) || n > kMaxPinPages) return -linux::kEinval;
    for (u32 i = 0; i < n; ++i) {
        const u64 va = addr + u64{i} * kPageSize;
        Page* pinned = nullptr;
        // A fault can be undone by another CPU before we look again; a few
        // rounds settle it, and a page that keeps vanishing is refused.
        for (int round = 0; round < 4 && !pinned; ++round) {
            {
                SpinGuard guard(lock_);
                Mapping m;
                if (pt_.lookup(VirtAddr{va}, &m) && m.attrs.user && (!write || m.attrs.writable) &&
                    !is_zero_page(m.frame)) {
                    pinned = pmm::phys_to_page(m.frame);
                    __atomic_add_fetch(&pinned->refcount, 1, __ATOMIC_ACQ_REL);
                    ++pins_taken_;
                    break;
                }
            }
            // Not there, not writable, or the shared zero page (a pin must own
            // its frame): fault it in as the kernel would for a copy.
            const FaultResult r = handle_page_fault(va, write ? FaultAccess::kWrite : FaultAccess::kRead, false);
            if (r.status != FaultStatus::kRetry) {
                unpin_pages(pages, i);
                return r.status == FaultStatus::kOutOfMemory ? -linux::kEnomem : -linux::kEfault;
            }
            // A read fault in a zero-page space maps the zero page; ask for a
            // frame of its own with a write fault when the VMA allows it.
            if (!write) {
                Mapping m;
                bool zero = false;
                {
                    SpinGuard guard(lock_);
                    zero = pt_.lookup(VirtAddr{va}, &m) && is_zero_page(m.frame);
                }
                if (zero && handle_page_fault(va, FaultAccess::kWrite, false).status != FaultStatus::kRetry) {
                    unpin_pages(pages, i);
                    return -linux::kEfault;
                }
            }
        }
        if (!pinned) {
            unpin_pages(pages, i);
            return -linux::kEfault;
        }
        pages[i] = pinned;
    }
    return 0;
}

void AddressSpace::unpin_pages(Page** pages, u32 n) {
    for (u32 i = 0; i < n; ++i)
        if (drop_reference(pages[i])) pmm::free_page(pages[i]);
}

}  // namespace kernel
