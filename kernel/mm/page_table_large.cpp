// Large leaves in the page-table editor: demoting a 2 MiB or 1 GiB leaf into a
// table of 512 smaller leaves, and promoting such a table back into one leaf.
//
// Both keep every translation's frame, rights and memory type; only the page
// size changes. The SDM allows that change without an intervening flush only if
// nothing else changes (4.10.2.3), but a TLB may then hold both sizes for one
// address, which some processors handle badly (AMD erratum 383). So each edit
// records an invalidation of the old translations, as Linux does: demote, the
// one large page (1 INVLPG); promote, the 512 small ones (past the ceiling: a
// full flush, as Linux's collapse flushes the whole PMD range).
#include "kernel/lib/panic.h"
#include "kernel/mm/page_table.h"

namespace kernel {

// The table that replaces a large leaf is filled completely before the parent
// entry points at it, so a concurrent walker sees either the old leaf or the
// complete table, never a half-built one.
PtStatus PageTable::demote_entry(PhysAddr parent, unsigned level, u64 base, TlbInvalidation& inv) {
    TableView pv = table(parent);
    const unsigned i = table_index(base, level);
    const Pte big = pv.load(i);
    KASSERT(level >= 2 && big.present() && big.is_leaf(level), "no large leaf at %#llx",
            static_cast<unsigned long long>(base));
    PhysAddr child;
    if (!allocate_table(child)) return PtStatus::kNoMemory;

    const unsigned small = level - 1;
    // The PAT bit moves from bit 12 (large leaf) to bit 7 (4 KiB PTE) through
    // make_leaf. G, A and D carry over: which parts a dirty large page wrote is
    // unknown, so every small page is dirty (as Linux's split does).
    const Pte proto = make_leaf(PhysAddr{0}, small, attrs_of(big, level))
                          .without(Pte::kGlobal)
                          .with(big.raw() & (Pte::kGlobal | Pte::kHardwareBits));
    const u64 frame = big.frame(level).value;
    TableView cv = table(child);
    for (unsigned j = 0; j < kEntriesPerTable; ++j) cv.store(j, proto.with(frame + j * level_span(small)));
    descriptor(child).owner.table.present = kEntriesPerTable;

    pv.store(i, Pte::make_table(child, !kernel_));
    inv.add_pages(VirtAddr{base}, 1, size_at_level(level), big.global(), kernel_);
    return PtStatus::kOk;
}

// Demotes whatever large leaves contain `addr` without starting at it, so that
// an edit of a range starting or ending at addr changes whole leaves only.
// unless_already: a leaf that already has these attributes can stay whole.
PtStatus PageTable::split_around(u64 addr, const PageAttrs* unless_already, TlbInvalidation& inv) {
    for (;;) {
        const Walk w = walk_to(addr, 1);
        if (!w.entry.present() || w.level == 1 || is_aligned(addr, level_span(w.level))) return PtStatus::kOk;
        if (unless_already && attrs_of(w.entry, w.level) == *unless_already) return PtStatus::kOk;
        if (PtStatus s = demote_entry(w.table, w.level, align_down(addr, level_span(w.level)), inv);
            s != PtStatus::kOk)
            return s;
    }
}

PtStatus PageTable::demote_large_page(VirtAddr va, TlbInvalidation& inv) {
    if (PtStatus s = check_range(align_down(va.value, kPageSize), kPageSize, kPageSize); s != PtStatus::kOk) return s;
    SpinGuard guard(lock_);
    const Walk w = walk_to(va.value, 1);
    if (!w.entry.present()) return PtStatus::kNotMapped;
    if (w.level == 1) return PtStatus::kNotLarge;
    return demote_entry(w.table, w.level, align_down(va.value, level_span(w.level)), inv);
}

PtStatus PageTable::promote_to_large_page(VirtAddr va, PageSize size, TlbInvalidation& inv) {
    if (size == PageSize::k4K || (size == PageSize::k1G && !config_.pages_1g)) return PtStatus::kSizeUnsupported;
    const unsigned level = leaf_level(size);
    const u64 span = level_span(level);
    if (PtStatus s = check_range(va.value, span, span); s != PtStatus::kOk) return s;
    SpinGuard guard(lock_);

    const Walk w = walk_to(va.value, level);
    if (!w.entry.present()) return PtStatus::kNotMapped;
    if (w.entry.is_leaf(w.level)) return PtStatus::kAlreadyLarge;  // at this level or above
    const PhysAddr child = w.entry.table_address();
    // The O(1) test first: a table with a hole cannot be promoted.
    if (descriptor(child).owner.table.present != kEntriesPerTable) return PtStatus::kNotAllPresent;

    const unsigned small = level - 1;
    const u64 small_span = level_span(small);
    const TableView cv = table(child);
    const Pte first = cv.load(0);
    if (!first.is_leaf(small)) return PtStatus::kNotLeaf;
    const u64 frame = first.frame(small).value;
    if (!is_aligned(frame, span)) return PtStatus::kFrameMisaligned;
    // Everything but the frame and A/D must match: rights, PAT/PCD/PWT, G, XD.
    const u64 frame_bits = Pte::kAddressBits & ~(small_span - 1);
    u64 hardware = 0;
    for (unsigned j = 0; j < kEntriesPerTable; ++j) {
        const Pte e = cv.load(j);
        if (!e.is_leaf(small)) return PtStatus::kNotLeaf;
        if (e.frame(small).value != frame + j * small_span) return PtStatus::kNotContiguous;
        if ((e.raw() ^ first.raw()) & ~(frame_bits | Pte::kHardwareBits)) return PtStatus::kAttributesDiffer;
        hardware |= e.raw() & Pte::kHardwareBits;
    }

    const Pte large = make_leaf(PhysAddr{frame}, level, attrs_of(first, small))
                          .without(Pte::kGlobal)
                          .with(first.raw() & Pte::kGlobal)
                          .with(hardware);
    table(w.table).store(table_index(va.value, level), large);
    inv.add_pages(va, kEntriesPerTable, size_at_level(small), first.global(), kernel_);
    unhook_table(child, va, inv);
    return PtStatus::kOk;
}

}  // namespace kernel
