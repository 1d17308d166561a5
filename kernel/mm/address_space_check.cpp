// AddressSpace::check_invariants (address_space.h): the VMA tree, then every
// present user PTE against its VMA and its frame's reverse map. A frame may be
// mapped by several address spaces since fork: for each, rmap_walk must find
// as many PTEs, over all the spaces linked to its object, as its mapcount
// says, this one's among them.
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/pte_walk.h"
#include "kernel/mm/zero_page.h"

namespace kernel {
namespace {

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

    bool own_linked = false;
    anon_links_.for_each([&](const AnonLink& l) {
        KASSERT(l.space == this, "a link of this space names space %p", static_cast<void*>(l.space));
        own_linked |= l.object == anon_;
    });
    KASSERT(anon_ && own_linked, "the space does not link its own reverse-map object");
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
        const Page* page = pmm::phys_to_page(e.frame(level));
        const AnonObject* object = rmap_anon_object(*page);
        KASSERT(object && rmap_anon_address(*page) == va,
                "frame %#llx mapped at %#llx: its reverse map says object %p at %#llx", ull(e.frame(level).value),
                ull(va), static_cast<const void*>(object), ull(rmap_anon_address(*page)));
        const i32 mapcount = __atomic_load_n(&page->mapcount, __ATOMIC_ACQUIRE);
        KASSERT(!e.writable() || v->has(vma_flag::kShared) || mapcount == 1,
                "frame %#llx is writable at %#llx in a private VMA and mapped %d times (COW broken)",
                ull(e.frame(level).value), ull(va), mapcount);
        bool found_here = false;
        const u32 found = rmap_walk(*page, [&](AddressSpace& s, u64) { found_here |= &s == this; });
        KASSERT(found_here && mapcount == static_cast<i32>(found) && page->refcount >= 1,
                "frame %#llx at %#llx: mapcount %d, the reverse map finds %u PTEs (this one %s), refcount %d",
                ull(e.frame(level).value), ull(va), mapcount, found, found_here ? "among them" : "missing",
                page->refcount);
    });
    KASSERT(leaves == resident_ + zeros && zeros == zero_ptes_,
            "%llu present user PTEs, %llu of them the zero page; counted %llu frames and %llu zero pages",
            ull(leaves), ull(zeros), ull(resident_), ull(zero_ptes_));
    pt_.check_invariants();
}

}  // namespace kernel
