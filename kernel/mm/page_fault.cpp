// The page-fault path for user addresses (Linux's do_user_addr_fault and
// handle_mm_fault, reduced to what anonymous memory needs today):
//
//   address above the user half, or no VMA (not even a stack to grow into
//   without entering the guard gap of the VMA below)  -> SIGSEGV, SEGV_MAPERR
//   the VMA lacks the right (write: PROT_WRITE; fetch: PROT_EXEC; read: any
//   right, as x86 cannot map write- or exec-only), or the kernel fetching user
//   code (SMEP)                                        -> SIGSEGV, SEGV_ACCERR
//   a PTE is present: the shared zero page and a write: replace it by a fresh
//   frame                                              -> retry ("permission")
//   a write to a read-only frame of a writable private VMA (shared since
//   fork, cow.cpp): make it writable if this PTE is its only mapping and no
//   pin holds it                                       -> retry ("cow_reuse")
//   else copy it into a fresh frame                    -> retry ("cow_copy")
//   else the PTE was stale in some TLB or narrower than the VMA: refresh it to
//   the VMA's rights (a zero-page or COW PTE stays read-only)
//                                                      -> retry ("permission")
//   a read or fetch in private anonymous memory, with zero_page_reads: the
//   shared zero page, read-only                        -> retry ("zero page")
//   otherwise: a zeroed frame, mapped with the VMA's rights, its reverse map
//   recorded                                           -> retry ("demand zero")
//
// fault_address is the faulting address itself, as Linux reports it.
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/zap_batch.h"
#include "kernel/mm/zero_page.h"

namespace kernel {

using namespace linux;

namespace {

bool access_allowed(u32 prot, FaultAccess access) {
    switch (access) {
        case FaultAccess::kWrite: return prot & kProtWrite;
        case FaultAccess::kExecute: return prot & kProtExec;
        case FaultAccess::kRead: return prot & (kProtRead | kProtWrite | kProtExec);
    }
    return false;
}

}  // namespace

FaultResult AddressSpace::handle_page_fault(u64 address, FaultAccess access, bool user_mode) {
    FaultResult r;
    r.fault_address = address;
    auto segv = [&](i32 code) {
        r.status = FaultStatus::kSignal;
        r.signal = kSigsegv;
        r.code = code;
        return r;
    };
    SpinGuard guard(lock_);
    if (address >= layout().user_end) {
        ++faults_.maperr;
        return segv(kSegvMaperr);
    }
    const u64 page = align_down(address, kPageSize);
    Vma* v = vma_at(address);
    if (!v) {
        Vma* above = first_ending_after(address);
        if (!above || !above->has(vma_flag::kGrowsDown) || !grow_stack(*above, page)) {
            ++faults_.maperr;
            return segv(kSegvMaperr);
        }
        merge_around(page, page);
        v = vma_at(address);
    }
    if (!access_allowed(v->prot, access) || (!user_mode && access == FaultAccess::kExecute)) {
        ++faults_.accerr;
        return segv(kSegvAccerr);
    }
    Mapping m;
    if (pt_.lookup(VirtAddr{page}, &m)) {
        ZapBatch zap;
        PageAttrs want = attrs_for_prot(v->prot);
        if (is_zero_page(m.frame)) {
            if (access == FaultAccess::kWrite) {
                // Break away from the zero page: unmap it (and flush) first, so no
                // CPU keeps reading zeros through it after the new frame is in.
                const PtStatus s = pt_.unmap(VirtAddr{page}, kPageSize, zap.inv);
                KASSERT(s == PtStatus::kOk, "unmapping the zero page: %s", describe(s));
                --zero_ptes_;
                finish(zap);
                if (map_fresh_frame(*v, page)) {
                    ++faults_.permission;
                } else {
                    ++faults_.oom;
                    r.status = FaultStatus::kOutOfMemory;
                }
                return r;
            }
            want.writable = false;
        } else if (want.writable && !m.attrs.writable && !v->has(vma_flag::kShared)) {
            // Read-only in a writable private VMA: fork made it copy-on-write.
            if (access == FaultAccess::kWrite) {
                break_cow(*v, page, m, r);
                return r;
            }
            want.writable = false;  // a read leaves it shared until a write comes
        }
        if (!(m.attrs == want)) {
            const PtStatus s = pt_.protect(VirtAddr{page}, kPageSize, want, zap.inv);
            KASSERT(s == PtStatus::kOk, "refreshing a PTE: %s", describe(s));
        } else {
            // The PTE already allows it: this CPU's TLB held an older entry.
            zap.inv.add_pages(VirtAddr{page}, 1, PageSize::k4K, false, false);
        }
        finish(zap);
        ++faults_.permission;
        return r;
    }
    const bool zero_page_will_do =
        options_.zero_page_reads && access != FaultAccess::kWrite && !v->has(vma_flag::kShared);
    if (zero_page_will_do ? map_shared_zero_page(*v, page) : map_fresh_frame(*v, page)) {
        ++(zero_page_will_do ? faults_.zero_page : faults_.demand_zero);
    } else {
        ++faults_.oom;
        r.status = FaultStatus::kOutOfMemory;
    }
    return r;
}

// Linux's expand_downwards: the stack may reach `page` if it stays within the
// stack limit, above mmap_min_addr, and a guard gap clear of an accessible,
// non-stack VMA below.
bool AddressSpace::grow_stack(Vma& stack, u64 page) {
    KASSERT(page < stack.start, "growing a stack up");
    if (stack.end - page > options_.stack_limit || page < options_.mmap_min_addr) return false;
    const Vma* prev = vmas_.prev(stack);
    if (prev && !prev->has(vma_flag::kGrowsDown) && prev->prot != kProtNone &&
        page - prev->end < options_.stack_guard_gap)
        return false;
    // The key moves down, but stays above prev's range: the tree stays ordered.
    stack.pgoff -= (stack.start - page) >> kPageShift;
    stack.start = page;
    ++faults_.stack_growth;
    return true;
}

bool AddressSpace::map_fresh_frame(Vma& vma, u64 page) {
    pmm::AllocFlags flags;
    flags.zero = true;  // hal::zero_frames: charged by the machine
    Page* frame = pmm::alloc_page(flags);
    if (!frame) return false;
    ZapBatch zap;
    const PtStatus s =
        pt_.map(VirtAddr{page}, pmm::page_to_phys(frame), kPageSize, attrs_for_prot(vma.prot), PageSize::k4K, zap.inv);
    if (s != PtStatus::kOk) {
        KASSERT(s == PtStatus::kNoMemory, "demand-zero map at %#llx: %s", static_cast<unsigned long long>(page),
                describe(s));
        finish(zap);
        pmm::free_page(frame);
        return false;
    }
    rmap_add_anon(*frame, *this, page);
    ++resident_;
    finish(zap);
    return true;
}


// Read-only whatever the VMA allows: a write must fault and get its own frame.
bool AddressSpace::map_shared_zero_page(Vma& vma, u64 page) {
    PageAttrs attrs = attrs_for_prot(vma.prot);
    attrs.writable = false;
    ZapBatch zap;
    const PtStatus s = pt_.map(VirtAddr{page}, zero_page(), kPageSize, attrs, PageSize::k4K, zap.inv);
    finish(zap);
    if (s != PtStatus::kOk) {
        KASSERT(s == PtStatus::kNoMemory, "zero-page map at %#llx: %s", static_cast<unsigned long long>(page),
                describe(s));
        return false;
    }
    ++zero_ptes_;
    return true;
}

}  // namespace kernel
