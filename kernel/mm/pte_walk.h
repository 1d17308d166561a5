// Visiting the present leaves of a range of a page table, read-only: what the
// address-space code needs to find the frames a range maps before it unmaps
// them, and what its checker walks. Only present tables are entered, so a
// sparse range of any size costs what it maps.
//
// The caller holds the address space's lock (no edit runs meanwhile); walkers
// may set A/D bits concurrently, which entries loaded whole tolerate.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/pte.h"

namespace kernel {

namespace detail {
template <typename Fn>
void walk_leaves(PhysAddr t, unsigned level, u64 first, u64 last, Fn& fn) {
    TableView v(hal::phys_to_virt(t));
    const u64 span = level_span(level);
    u64 base = align_down(first, span);
    for (unsigned i = table_index(first, level), end = table_index(last, level); i <= end; ++i, base += span) {
        const Pte e = v.load(i);
        if (!e.present()) continue;
        if (e.is_leaf(level)) {
            fn(base, e, level);
            continue;
        }
        walk_leaves(e.table_address(), level - 1, base < first ? first : base,
                    base + (span - 1) > last ? last : base + (span - 1), fn);
    }
}
}  // namespace detail

// fn(u64 va, Pte leaf, unsigned level) for each present leaf in [start, end)
// of a user page table (end <= the user half's end).
template <typename Fn>
void for_each_leaf(const PageTable& pt, u64 start, u64 end, Fn&& fn) {
    if (start >= end) return;
    detail::walk_leaves(pt.root(), pt.config().levels, start, end - 1, fn);
}

}  // namespace kernel
