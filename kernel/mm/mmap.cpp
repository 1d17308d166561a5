// The memory system calls of an address space: mmap, munmap, mprotect, brk,
// madvise, and the initial stack. Each validates its arguments in the order
// Linux does (mm/mmap.c do_mmap and __get_unmapped_area, mm/mprotect.c,
// mm/madvise.c, mm/mmap.c brk), reserves the VMAs a split may need before it
// changes anything, and merges what it leaves adjacent.
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/zap_batch.h"

namespace kernel {

using namespace linux;

namespace {

constexpr u32 kProtMask = kProtRead | kProtWrite | kProtExec;

u64 g_next_shared_id = 0;  // the last shared anonymous object named

// align_up that reports overflow (Linux's PAGE_ALIGN wrapping to 0).
bool page_align(u64 length, u64* out) {
    if (length > ~u64{0} - (kPageSize - 1)) return false;
    *out = align_up(length, kPageSize);
    return true;
}

}  // namespace

bool AddressSpace::write_execute_refused(u32 prot) const {
    return (prot & kProtWrite) && (prot & kProtExec) && !options_.allow_write_execute;
}

// ---------------------------------------------------------------- placement

// Linux's arch_get_unmapped_area_topdown hint test: the hint's range must not
// reach into the VMA above it or its guard gap.
bool AddressSpace::range_is_free(u64 start, u64 end, bool respect_gaps) const {
    const Vma* v = first_ending_after(start);
    if (!v) return true;
    return (respect_gaps ? start_gap(*v) : v->start) >= end;
}

// The highest free range of `length` bytes below mmap_base (or the hint, if it
// is free), above mmap_min_addr and outside every stack guard gap; 0 if none.
// A linear walk down the VMAs: Linux keeps the largest gap of each subtree in
// its tree to make this O(log n), an augmentation our AVL tree can take later.
u64 AddressSpace::find_free_range(u64 length, u64 hint) const {
    const u64 user_end = layout().user_end;
    if (hint && hint <= user_end - length && hint >= options_.mmap_min_addr && range_is_free(hint, hint + length, true))
        return hint;
    // A hint above the 47-bit window opens the whole user half (layout.h).
    const u64 window = hint > layout().default_map_window() ? user_end : layout().default_map_window();
    u64 hi = options_.mmap_base < window ? options_.mmap_base : window;
    const Vma* v = hi ? vmas_.floor(hi - 1) : nullptr;
    const Vma* above = v ? vmas_.next(*v) : vmas_.first();
    if (above && start_gap(*above) < hi) hi = start_gap(*above);
    for (;;) {
        u64 lo = options_.mmap_min_addr;
        if (v && v->end > lo) lo = v->end;
        if (hi > lo && hi - lo >= length) return hi - length;
        if (!v) return 0;
        if (start_gap(*v) < hi) hi = start_gap(*v);
        v = vmas_.prev(*v);
    }
}

// ---------------------------------------------------------------- mmap

i64 AddressSpace::mmap(u64 addr, u64 length, u32 prot, u32 flags, i32 fd, u64 offset) {
    (void)fd;
    // No files yet: every file mapping names a descriptor that does not exist.
    if (!(flags & kMapAnonymous)) return -kEbadf;
    if (offset & (kPageSize - 1)) return -kEinval;  // x86's sys_mmap
    if (flags & kMapFixedNoreplace) flags |= kMapFixed;
    if (length == 0) return -kEinval;
    if (!(flags & kMapFixed)) {
        // round_hint_to_min
        addr = align_down(addr, kPageSize);
        if (addr && addr < options_.mmap_min_addr) addr = options_.mmap_min_addr;
    }
    u64 len;
    if (!page_align(length, &len)) return -kEnomem;
    // W^X (SerenityOS's TestWXProtection): refused unless the machine allows it.
    if (write_execute_refused(prot)) return -kEacces;
    // No huge-page pool is reserved (Linux's default nr_hugepages = 0).
    if (flags & kMapHugetlb) return -kEnomem;

    const u64 user_end = layout().user_end;
    SpinGuard guard(lock_);
    if (len > user_end) return -kEnomem;
    if (flags & kMapFixed) {
        if (addr > user_end - len) return -kEnomem;
        if (addr & (kPageSize - 1)) return -kEinval;
        if (addr < options_.mmap_min_addr) return -kEperm;  // security_mmap_addr
        if ((flags & kMapFixedNoreplace) && !range_is_free(addr, addr + len, false)) return -kEexist;
    } else {
        addr = find_free_range(len, addr);
        if (!addr) return -kEnomem;
    }
    // do_mmap checks the mapping type only once it has an address.
    switch (flags & kMapType) {
        case kMapShared:
            if (flags & kMapGrowsdown) return -kEinval;
            break;
        case kMapPrivate: break;
        default: return -kEinval;  // MAP_SHARED_VALIDATE too: Linux refuses it for anonymous memory
    }
    return map_anonymous_locked(addr, len, prot & kProtMask, flags);
}

// Maps [start, start + length) as one anonymous VMA, replacing whatever was
// there (MAP_FIXED), then merges it with compatible neighbours.
i64 AddressSpace::map_anonymous_locked(u64 start, u64 length, u32 prot, u32 flags) {
    lock_.assert_held();
    const u64 end = start + length;
    VmaSpares spares;
    if (!spares.reserve(1 + splits_needed(start, end))) return -kEnomem;
    ZapBatch zap;
    split_at_edges(start, end, spares);
    remove_vmas(start, end, zap);
    Vma& v = spares.take();
    v.start = start;
    v.end = end;
    v.prot = prot;
    v.flags = vma_flag::kAnonymous;
    if ((flags & kMapType) == kMapShared) {
        v.flags |= vma_flag::kShared;
        v.pgoff = 0;  // offset 0 of its own shared object (Linux: pgoff = 0 for shmem)
        // Unique across address spaces: fork hands a shared VMA to the child.
        v.shared_id = __atomic_add_fetch(&g_next_shared_id, 1, __ATOMIC_RELAXED);
    } else {
        v.pgoff = start >> kPageShift;
    }
    if (flags & kMapGrowsdown) v.flags |= vma_flag::kGrowsDown;
    const bool inserted = vmas_.insert(v);
    KASSERT(inserted, "map_anonymous: a VMA already starts at %#llx", static_cast<unsigned long long>(start));
    finish(zap);
    merge_around(start, end);
    return static_cast<i64>(start);
}

i64 AddressSpace::create_stack(u64 top, u64 initial_bytes) {
    if (!is_aligned(top, kPageSize) || !is_aligned(initial_bytes, kPageSize) || initial_bytes == 0 ||
        top > layout().user_end || top < options_.mmap_min_addr || initial_bytes > top - options_.mmap_min_addr ||
        initial_bytes > options_.stack_limit)
        return -kEinval;
    SpinGuard guard(lock_);
    if (!range_is_free(top - initial_bytes, top, false)) return -kEexist;
    return map_anonymous_locked(top - initial_bytes, initial_bytes, kProtRead | kProtWrite,
                                kMapPrivate | kMapGrowsdown);
}

// ---------------------------------------------------------------- munmap

i64 AddressSpace::munmap(u64 addr, u64 length) {
    const u64 user_end = layout().user_end;
    if ((addr & (kPageSize - 1)) || addr > user_end || length > user_end - addr) return -kEinval;
    const u64 len = align_up(length, kPageSize);
    if (len == 0) return -kEinval;
    const u64 end = addr + len;
    SpinGuard guard(lock_);
    VmaSpares spares;
    if (!spares.reserve(splits_needed(addr, end))) return -kEnomem;
    ZapBatch zap;
    split_at_edges(addr, end, spares);
    remove_vmas(addr, end, zap);
    finish(zap);
    return 0;
}

// ---------------------------------------------------------------- mprotect

i64 AddressSpace::mprotect(u64 addr, u64 length, u32 prot) {
    if (addr & (kPageSize - 1)) return -kEinval;
    if (length == 0) return 0;
    u64 len;
    if (!page_align(length, &len)) return -kEnomem;
    const u64 end = addr + len;
    if (end <= addr) return -kEnomem;
    // PROT_GROWSDOWN/GROWSUP (extend the change to the stack's end) are not
    // supported yet; any other unknown bit is EINVAL on Linux too.
    if (prot & ~kProtMask) return -kEinval;
    if (write_execute_refused(prot)) return -kEacces;
    if (end > layout().user_end) return -kEnomem;

    SpinGuard guard(lock_);
    // Every page must be mapped. Linux checks while it goes and may leave the
    // VMAs before a hole changed; here the call changes nothing then.
    for (u64 at = addr; at < end;) {
        const Vma* v = vma_at(at);
        if (!v) return -kEnomem;
        at = v->end;
    }
    VmaSpares spares;
    if (!spares.reserve(splits_needed(addr, end))) return -kEnomem;
    split_at_edges(addr, end, spares);
    ZapBatch zap;
    const PageAttrs attrs = attrs_for_prot(prot);
    for (Vma* v = vma_at(addr); v && v->start < end; v = vmas_.next(*v)) {
        if (v->prot == prot) continue;
        v->prot = prot;
        // The new rights apply to the pages already present too.
        const PtStatus s = pt_.protect(VirtAddr{v->start}, v->end - v->start, attrs, zap.inv);
        KASSERT(s == PtStatus::kOk, "mprotect: %s", describe(s));
        keep_shared_frames_read_only(*v, attrs, zap.inv);
    }
    finish(zap);
    merge_around(addr, end);
    return 0;
}

// ---------------------------------------------------------------- brk

// Linux's brk (mm/mmap.c): below the heap's start or on any failure it
// returns the current break; within the same page it only moves the break.
u64 AddressSpace::brk(u64 requested) {
    SpinGuard guard(lock_);
    const u64 user_end = layout().user_end;
    if (requested < options_.brk_start || requested > user_end) return brk_;
    if (requested - options_.brk_start > options_.brk_limit) return brk_;  // check_data_rlimit
    const u64 new_end = align_up(requested, kPageSize);
    const u64 old_end = align_up(brk_, kPageSize);
    if (new_end == old_end) {
        brk_ = requested;
        return brk_;
    }
    if (requested <= brk_) {
        // Shrinking: unmap the pages above the new break.
        VmaSpares spares;
        if (!spares.reserve(splits_needed(new_end, old_end))) return brk_;
        ZapBatch zap;
        split_at_edges(new_end, old_end, spares);
        remove_vmas(new_end, old_end, zap);
        finish(zap);
        brk_ = requested;
        return brk_;
    }
    // Growing: the heap must stay a page clear of the next VMA's guard gap.
    const Vma* next = first_ending_after(old_end);
    if (next && new_end + kPageSize > start_gap(*next)) return brk_;
    if (map_anonymous_locked(old_end, new_end - old_end, kProtRead | kProtWrite, kMapPrivate) < 0) return brk_;
    brk_ = requested;
    return brk_;
}

// ---------------------------------------------------------------- madvise

i64 AddressSpace::madvise(u64 addr, u64 length, i32 advice) {
    switch (advice) {
        case kMadvNormal:
        case kMadvRandom:
        case kMadvSequential:
        case kMadvWillneed:
        case kMadvDontneed: break;
        default: return -kEinval;  // other advice is not implemented yet
    }
    if (addr & (kPageSize - 1)) return -kEinval;
    u64 len;
    if (!page_align(length, &len)) return -kEinval;
    const u64 end = addr + len;
    if (end < addr) return -kEinval;
    if (end == addr) return 0;

    SpinGuard guard(lock_);
    // Linux applies the advice to every VMA in the range and reports a hole
    // with ENOMEM at the end.
    bool hole = false;
    u64 at = addr;
    ZapBatch zap;
    for (Vma* v = first_ending_after(addr); v && v->start < end; v = vmas_.next(*v)) {
        if (v->start > at) hole = true;
        const u64 from = v->start > addr ? v->start : addr;
        const u64 to = v->end < end ? v->end : end;
        // Private anonymous pages are dropped: the next touch gets a zero page.
        // Shared anonymous pages stay: Linux zaps their PTEs but shmem keeps the
        // data, so the next touch sees the same bytes either way.
        if (advice == kMadvDontneed && !v->has(vma_flag::kShared)) zap_range(from, to, zap);
        at = v->end;
    }
    if (at < end) hole = true;
    finish(zap);
    return hole ? -kEnomem : 0;
}

}  // namespace kernel
