// AddressSpace: creation and teardown, the VMA tree edits every system call
// shares (split, merge, remove), and zapping pages with the unhook ->
// invalidate -> free order.
#include "kernel/mm/address_space.h"

#include "kernel/lib/errno.h"
#include "kernel/lib/list.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/pin.h"
#include "kernel/mm/pte_walk.h"
#include "kernel/mm/table_allocator.h"
#include "kernel/mm/tlb_shootdown.h"
#include "kernel/mm/zap_batch.h"
#include "kernel/mm/zero_page.h"

namespace kernel {

PageAttrs attrs_for_prot(u32 prot) {
    PageAttrs a;
    a.user = (prot & (linux::kProtRead | linux::kProtWrite | linux::kProtExec)) != 0;
    a.writable = (prot & linux::kProtWrite) != 0;
    a.executable = (prot & linux::kProtExec) != 0;
    return a;
}

AddressSpace::AddressSpace(const AddressSpaceOptions& options) : options_(options), brk_(options.brk_start) {}

void AddressSpace::set_program_layout(u64 brk_start, u64 mmap_base) {
    SpinGuard guard(lock_);
    KASSERT(is_aligned(brk_start, kPageSize) && is_aligned(mmap_base, kPageSize), "program layout must be page-aligned");
    KASSERT(mmap_base <= layout().user_end && brk_start < mmap_base, "program layout out of the user half");
    KASSERT(brk_ == options_.brk_start, "program layout set after brk moved");
    options_.brk_start = brk_start;
    options_.mmap_base = mmap_base;
    brk_ = brk_start;
}

AddressSpace* AddressSpace::create(const AddressSpaceOptions& options) {
    KASSERT(is_aligned(options.mmap_base, kPageSize) && is_aligned(options.brk_start, kPageSize) &&
                is_aligned(options.stack_guard_gap, kPageSize) && is_aligned(options.mmap_min_addr, kPageSize),
            "address-space options must be page-aligned");
    KASSERT(options.mmap_min_addr >= kPageSize, "mmap_min_addr must keep page 0 unmapped");
    KASSERT(options.mmap_base <= layout().user_end, "mmap base %#llx above the user half",
            static_cast<unsigned long long>(options.mmap_base));
    void* memory = kmalloc(sizeof(AddressSpace));
    if (!memory) return nullptr;
    auto* space = new (memory) AddressSpace(options);
    static u64 next_generation = 1;
    space->generation_ = __atomic_fetch_add(&next_generation, 1, __ATOMIC_RELAXED);
    space->anon_ = anon_object_create();
    if (!space->anon_ || !anon_link(*space->anon_, *space, space->anon_links_)) {
        if (space->anon_ && space->anon_links_.empty()) {
            space->anon_->~AnonObject();
            kfree(space->anon_);
        }
        anon_unlink_all(space->anon_links_);
        space->~AddressSpace();
        kfree(memory);
        return nullptr;
    }
    if (create_process_page_table(space->pt_, pmm_table_allocator(), kernel_page_table()) != PtStatus::kOk) {
        anon_unlink_all(space->anon_links_);
        space->~AddressSpace();
        kfree(memory);
        return nullptr;
    }
    return space;
}

void AddressSpace::destroy(AddressSpace* space) {
    KASSERT(space->loaded_cpu_bits() == 0, "destroying an address space loaded on CPUs %#llx",
            static_cast<unsigned long long>(space->loaded_cpu_bits()));
    {
        SpinGuard guard(space->lock_);
        ZapBatch zap;
        space->remove_vmas(0, layout().user_end, zap);
        space->finish(zap);
        KASSERT(space->resident_ == 0 && space->zero_ptes_ == 0, "%llu frames, %llu zero pages mapped after teardown",
                static_cast<unsigned long long>(space->resident_), static_cast<unsigned long long>(space->zero_ptes_));
        space->pt_.destroy(zap.inv);
        space->finish(zap);
        // Every PTE of this space is gone: objects only it linked hold no frame.
        anon_unlink_all(space->anon_links_);
    }
    space->~AddressSpace();
    kfree(space);
}

void AddressSpace::release(AddressSpace* space) {
    if (__atomic_sub_fetch(&space->users_, 1u, __ATOMIC_ACQ_REL) == 0) destroy(space);
}

// ---------------------------------------------------------------- lookups

Vma* AddressSpace::vma_at(u64 addr) const {
    Vma* v = vmas_.floor(addr);
    return v && v->contains(addr) ? v : nullptr;
}

const Vma* AddressSpace::find_vma(u64 addr) const { return vma_at(addr); }

i64 AddressSpace::shared_word_frame(u64 addr, PhysAddr* frame) {
    SpinGuard guard(lock_);
    const Vma* v = vma_at(addr);
    if (!v) return -linux::kEfault;
    if (!v->has(vma_flag::kShared)) return 0;
    Mapping m;
    if (!pt_.lookup(VirtAddr{addr}, &m)) return -linux::kEagain;
    *frame = PhysAddr{m.frame.value + (addr - m.base.value)};
    return 1;
}

Vma* AddressSpace::first_ending_after(u64 addr) const {
    Vma* v = vmas_.floor(addr);
    if (v && v->end > addr) return v;
    return v ? vmas_.next(*v) : vmas_.first();
}

// Linux's vm_start_gap: nothing may be placed in the guard gap below a stack.
u64 AddressSpace::start_gap(const Vma& v) const {
    if (!v.has(vma_flag::kGrowsDown)) return v.start;
    return v.start > options_.stack_guard_gap ? v.start - options_.stack_guard_gap : 0;
}

// ---------------------------------------------------------------- split and merge

void AddressSpace::split(Vma& v, u64 at, Vma& spare_vma) {
    Vma* spare = &spare_vma;
    KASSERT(at > v.start && at < v.end && is_aligned(at, kPageSize), "split of [%#llx, %#llx) at %#llx",
            static_cast<unsigned long long>(v.start), static_cast<unsigned long long>(v.end),
            static_cast<unsigned long long>(at));
    *spare = Vma{};
    spare->start = at;
    spare->end = v.end;
    spare->prot = v.prot;
    spare->flags = v.flags;
    spare->pgoff = v.pgoff + ((at - v.start) >> kPageShift);
    spare->file = v.file;
    spare->shared_id = v.shared_id;
    v.end = at;
    const bool inserted = vmas_.insert(*spare);
    KASSERT(inserted, "split: a VMA already starts at %#llx", static_cast<unsigned long long>(at));
}

u32 AddressSpace::splits_needed(u64 start, u64 end) const {
    u32 n = 0;
    const u64 edges[2] = {start, end};
    for (u64 at : edges) {
        const Vma* v = vma_at(at);
        if (v && v->start != at) ++n;
    }
    return n;
}

void AddressSpace::split_at_edges(u64 start, u64 end, VmaSpares& spares) {
    const u64 edges[2] = {start, end};
    for (u64 at : edges) {
        Vma* v = vma_at(at);
        if (v && v->start != at) split(*v, at, spares.take());
    }
}

void AddressSpace::merge_around(u64 start, u64 end) {
    Vma* v = start > 0 ? vmas_.floor(start - 1) : nullptr;
    if (!v) v = vmas_.first();
    while (v && v->start <= end) {
        Vma* n = vmas_.next(*v);
        if (n && vma_mergeable(*v, *n)) {
            vmas_.remove(*n);
            v->end = n->end;
            vma_free(n);
            continue;
        }
        v = n;
    }
}

void AddressSpace::remove_vmas(u64 start, u64 end, ZapBatch& zap) {
    for (Vma* v = first_ending_after(start); v && v->start < end;) {
        KASSERT(v->start >= start && v->end <= end, "VMA [%#llx, %#llx) straddles [%#llx, %#llx): split first",
                static_cast<unsigned long long>(v->start), static_cast<unsigned long long>(v->end),
                static_cast<unsigned long long>(start), static_cast<unsigned long long>(end));
        Vma* n = vmas_.next(*v);
        zap_range(v->start, v->end, zap);
        vmas_.remove(*v);
        vma_free(v);
        v = n;
    }
}

// ---------------------------------------------------------------- zapping pages

void AddressSpace::zap_range(u64 start, u64 end, ZapBatch& zap) {
    u64 found = 0, zeros = 0;
    for_each_leaf(pt_, start, end, [&](u64 va, Pte leaf, unsigned level) {
        KASSERT(level == 1, "user leaf at %#llx is level %u: large user pages are not made yet",
                static_cast<unsigned long long>(va), level);
        if (is_zero_page(leaf.frame(level))) {
            ++zeros;
            return;
        }
        Page* page = pmm::phys_to_page(leaf.frame(level));
        if (rmap_remove(*page)) zap.frames.push_back(*page);
        ++found;
    });
    if (found + zeros == 0) return;
    const PtStatus s = pt_.unmap(VirtAddr{start}, end - start, zap.inv);
    KASSERT(s == PtStatus::kOk, "zap_range: unmap failed: %s", describe(s));
    KASSERT(resident_ >= found, "zap_range: %llu resident, %llu zapped", static_cast<unsigned long long>(resident_),
            static_cast<unsigned long long>(found));
    resident_ -= found;
    KASSERT(zero_ptes_ >= zeros, "zap_range: %llu zero-page PTEs, %llu zapped",
            static_cast<unsigned long long>(zero_ptes_), static_cast<unsigned long long>(zeros));
    zero_ptes_ -= zeros;
}

// Linux's can_change_pte_writable: only a frame this PTE alone maps may be
// written through it; the others wait for a write fault (cow.cpp).
void AddressSpace::keep_shared_frames_read_only(const Vma& vma, const PageAttrs& attrs, TlbInvalidation& inv) {
    if (!attrs.writable || vma.has(vma_flag::kShared)) return;
    PageAttrs read_only = attrs;
    read_only.writable = false;
    for_each_leaf(pt_, vma.start, vma.end, [&](u64 va, Pte leaf, unsigned level) {
        const PhysAddr frame = leaf.frame(level);
        if (!is_zero_page(frame) && __atomic_load_n(&pmm::phys_to_page(frame)->mapcount, __ATOMIC_ACQUIRE) == 1)
            return;
        const PtStatus s = pt_.protect(VirtAddr{va}, kPageSize, read_only, inv);
        KASSERT(s == PtStatus::kOk, "shared frame at %#llx: %s", static_cast<unsigned long long>(va), describe(s));
    });
}

void AddressSpace::finish(ZapBatch& zap) {
    // Every CPU that may cache these translations must have flushed before a
    // frame or a table is reused (flush_tlb returns once they have).
    flush_tlb(*this, zap.inv);
    while (Page* page = zap.frames.pop_front()) {
        // rmap_remove made it forget its object when its last PTE went.
        KASSERT(page->mapcount == 0 && page->refcount >= 1 && !page->has(page_flag::kAnon),
                "freeing frame with mapcount %d refcount %d flags %#x", page->mapcount, page->refcount, page->flags);
        // A pinned frame outlives its mapping: its last unpin frees it (pin.cpp).
        if (page_release_mapping(page)) pmm::free_page(page);
    }
}

}  // namespace kernel
