// AddressSpace::check_invariants (address_space.h): the VMA tree, then every
// present user PTE against its VMA and its frame's reverse map. Two walks of
// the page table: the first counts, in each frame's descriptor, the PTEs that
// map it; the second compares the counts with mapcount.
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/pte_walk.h"
#include "kernel/mm/zero_page.h"

namespace kernel {
namespace {

u32 g_check_epoch = 0;

unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

}  // namespace

void AddressSpace::check_invariants() {
    SpinGuard guard(lock_);
    vmas_.check_invariants();
    const u64 user_end = layout().user_end;
    const Vma* prev = nullptr;
    for (const Vma* v = vmas_.first(); v; prev = v, v = vmas_.next(*v)) {
        KASSERT(v->start < v->end && is_aligned(v->start, kPageSize) && is_aligned(v->end, kPageSize) &&
                    v->end <= user_end && v->start >= options_.mmap_min_addr,
                "VMA [%#llx, %#llx) is empty, misaligned or outside the user half", ull(v->start), ull(v->end));
        KASSERT(v->has(vma_flag::kAnonymous) && !v->file, "VMA [%#llx, %#llx) is not anonymous", ull(v->start),
                ull(v->end));
        if (v->has(vma_flag::kShared))
            KASSERT(v->shared_id != 0, "shared VMA [%#llx, %#llx) without its object", ull(v->start), ull(v->end));
        else
            KASSERT(v->shared_id == 0 && v->pgoff == v->start >> kPageShift,
                    "private VMA [%#llx, %#llx): pgoff %#llx is not its page number", ull(v->start), ull(v->end),
                    ull(v->pgoff));
        KASSERT(options_.allow_write_execute ||
                    (v->prot & (linux::kProtWrite | linux::kProtExec)) != (linux::kProtWrite | linux::kProtExec),
                "VMA [%#llx, %#llx) is writable and executable (W^X)", ull(v->start), ull(v->end));
        if (prev) {
            KASSERT(prev->end <= v->start, "VMAs [%#llx, %#llx) and [%#llx, %#llx) overlap", ull(prev->start),
                    ull(prev->end), ull(v->start), ull(v->end));
            KASSERT(!vma_mergeable(*prev, *v), "VMAs [%#llx, %#llx) and [%#llx, %#llx) were not merged",
                    ull(prev->start), ull(prev->end), ull(v->start), ull(v->end));
        }
    }
    KASSERT(brk_ >= options_.brk_start, "break %#llx below the heap's start %#llx", ull(brk_), ull(options_.brk_start));

    u32 epoch = __atomic_add_fetch(&g_check_epoch, 1u, __ATOMIC_RELAXED);
    if (epoch == 0) epoch = __atomic_add_fetch(&g_check_epoch, 1u, __ATOMIC_RELAXED);
    const bool nx = pt_.config().nx;
    u64 leaves = 0, zeros = 0;
    for_each_leaf(pt_, 0, user_end, [&](u64 va, Pte e, unsigned level) {
        ++leaves;
        KASSERT(level == 1, "user leaf at %#llx is level %u", ull(va), level);
        const Vma* v = vma_at(va);
        KASSERT(v, "PTE %#llx at %#llx lies in no VMA", ull(e.raw()), ull(va));
        const PageAttrs allowed = attrs_for_prot(v->prot);
        KASSERT(!e.user() || allowed.user, "PTE at %#llx is user-accessible in a kProtNone VMA", ull(va));
        KASSERT(!e.writable() || allowed.writable, "PTE at %#llx is writable, its VMA [%#llx, %#llx) is not",
                ull(va), ull(v->start), ull(v->end));
        KASSERT(!nx || e.no_execute() || allowed.executable,
                "PTE at %#llx is executable, its VMA [%#llx, %#llx) is not", ull(va), ull(v->start), ull(v->end));
        if (is_zero_page(e.frame(level))) {
            ++zeros;
            KASSERT(!e.writable() && !v->has(vma_flag::kShared),
                    "the zero page is mapped writable or in a shared VMA at %#llx", ull(va));
            return;
        }
        Page* page = pmm::phys_to_page(e.frame(level));
        KASSERT(rmap_anon_space(*page) == this && rmap_anon_address(*page) == va,
                "frame %#llx mapped at %#llx: its reverse map says %p at %#llx", ull(e.frame(level).value), ull(va),
                static_cast<void*>(rmap_anon_space(*page)), ull(rmap_anon_address(*page)));
        if (page->owner.anon.check_epoch != epoch) {
            page->owner.anon.check_epoch = epoch;
            page->owner.anon.check_count = 0;
        }
        ++page->owner.anon.check_count;
    });
    KASSERT(leaves == resident_ + zeros && zeros == zero_ptes_,
            "%llu present user PTEs, %llu of them the zero page; counted %llu frames and %llu zero pages",
            ull(leaves), ull(zeros), ull(resident_), ull(zero_ptes_));
    for_each_leaf(pt_, 0, user_end, [&](u64 va, Pte e, unsigned level) {
        if (is_zero_page(e.frame(level))) return;
        const Page* page = pmm::phys_to_page(e.frame(level));
        KASSERT(page->mapcount == static_cast<i32>(page->owner.anon.check_count) && page->refcount >= 1,
                "frame %#llx at %#llx: mapcount %d, %u PTEs map it, refcount %d", ull(e.frame(level).value), ull(va),
                page->mapcount, page->owner.anon.check_count, page->refcount);
    });
    pt_.check_invariants();
}

}  // namespace kernel
