// PageTable::check_invariants: the editor's rules (page_table.h) checked over
// the whole tree, panicking with the table, entry and address that break one.
// Reserved bits follow SDM Vol. 3A 4.5 (tables 4-14 to 4-20), as the walker
// applies them: an entry the kernel wrote must never make the hardware raise a
// reserved-bit #PF.
#include "kernel/lib/panic.h"
#include "kernel/mm/page_table.h"

namespace kernel {
namespace {

// Bits the kernel never writes: 11:9 and 58:52 (ignored by the processor), 62:59
// (the protection key with CR4.PKE, ignored without).
constexpr u64 kUnusedBits = 0x7FF0'0000'0000'0E00ull;

u32 g_check_epoch = 0;

unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

}  // namespace

void PageTable::check_entry(Pte e, unsigned level, u64 va) {
    const u64 above_maxphyaddr =
        config_.phys_addr_bits >= 52 ? 0 : Pte::kAddressBits & ~((u64{1} << config_.phys_addr_bits) - 1);
    KASSERT(!(e.raw() & above_maxphyaddr), "entry %#llx (level %u, va %#llx): address above MAXPHYADDR",
            ull(e.raw()), level, ull(va));
    KASSERT(!(e.raw() & kUnusedBits), "entry %#llx (level %u, va %#llx): unused bits set", ull(e.raw()), level,
            ull(va));
    KASSERT(config_.nx || !e.no_execute(), "entry %#llx (level %u, va %#llx): XD without EFER.NXE", ull(e.raw()),
            level, ull(va));
    if (!e.is_leaf(level)) {
        // Also rejects PS in a PML4E/PML5E: the flags would differ.
        KASSERT((e.raw() & ~Pte::kAddressBits) == Pte::make_table(PhysAddr{}, !kernel_).raw(),
                "table entry %#llx (level %u, va %#llx) has flags other than the table flags of its half",
                ull(e.raw()), level, ull(va));
        return;
    }
    KASSERT(level <= 3, "leaf at level %u", level);
    KASSERT(level != 3 || config_.pages_1g, "1 GiB leaf %#llx at va %#llx without CPU support", ull(e.raw()),
            ull(va));
    if (level >= 2) {
        // Bits 20:13 (2 MiB) or 29:13 (1 GiB): below the frame, above PAT.
        const u64 low = (level_span(level) - 1) & ~u64{0x1FFF};
        KASSERT(!(e.raw() & low), "large leaf %#llx at va %#llx: reserved address bits", ull(e.raw()), ull(va));
    }
    CachePolicy policy;
    KASSERT(pat::decode(e, level, &policy), "leaf %#llx at va %#llx selects duplicate PAT entry %u", ull(e.raw()),
            ull(va), e.pat_index(level));
    if (kernel_) {
        KASSERT(!e.user(), "kernel leaf %#llx at va %#llx is user-accessible", ull(e.raw()), ull(va));
        KASSERT(e.global() == config_.pge, "kernel leaf %#llx at va %#llx: G=%d", ull(e.raw()), ull(va),
                e.global() ? 1 : 0);
    } else {
        KASSERT(!e.global(), "user-half leaf %#llx at va %#llx is global", ull(e.raw()), ull(va));
    }
    KASSERT(!config_.nx || e.user() || !e.writable() || e.no_execute(),
            "supervisor leaf %#llx at va %#llx is writable and executable (W^X)", ull(e.raw()), ull(va));
}

u64 PageTable::check_table(PhysAddr t, unsigned level, u64 base, u32 epoch) {
    Page& d = descriptor(t);
    KASSERT(d.has(page_flag::kPageTable), "table %#llx (level %u, va %#llx) is not marked as a page table",
            ull(t.value), level, ull(base));
    KASSERT(d.owner.table.check_epoch != epoch, "table %#llx reachable twice (again at level %u, va %#llx)",
            ull(t.value), level, ull(base));
    d.owner.table.check_epoch = epoch;

    const bool root = level == config_.levels;
    const unsigned linear_bits = level_shift(config_.levels) + 9;
    const u64 span = level_span(level);
    const TableView v = table(t);
    u64 tables = 1;
    u32 present = 0;
    for (unsigned i = 0; i < kEntriesPerTable; ++i) {
        const Pte e = v.load(i);
        if (!e.present()) continue;
        ++present;
        u64 va = base + i * span;
        if (root) {
            // The other half of the root is compared, not walked, by check_invariants.
            if ((i >= kEntriesPerTable / 2) != kernel_) continue;
            if (kernel_) va |= ~u64{0} << linear_bits;  // sign-extend to canonical
        }
        check_entry(e, level, va);
        if (e.is_leaf(level)) continue;
        const PhysAddr child = e.table_address();
        tables += check_table(child, level - 1, va, epoch);
        KASSERT(descriptor(child).owner.table.present != 0 || kernel_pinned(level),
                "empty table %#llx (level %u, va %#llx) was not freed", ull(child.value), level - 1, ull(va));
    }
    KASSERT(present == d.owner.table.present, "table %#llx (level %u, va %#llx): %u present entries, count says %u",
            ull(t.value), level, ull(base), present, d.owner.table.present);
    return tables;
}

void PageTable::check_invariants() {
    KASSERT(initialized(), "check of an uninitialised PageTable");
    SpinGuard guard(lock_);
    u32 epoch = __atomic_add_fetch(&g_check_epoch, 1u, __ATOMIC_RELAXED);
    if (epoch == 0) epoch = __atomic_add_fetch(&g_check_epoch, 1u, __ATOMIC_RELAXED);  // 0 = never checked

    const u64 found = check_table(root_, config_.levels, 0, epoch);
    KASSERT(found == table_pages_, "%llu tables reachable, %llu owned", ull(found), ull(table_pages_));

    const TableView root = table(root_);
    constexpr unsigned kHalf = kEntriesPerTable / 2;
    if (kernel_) {
        for (unsigned i = 0; i < kHalf; ++i)
            KASSERT(!root.load(i).present(), "the kernel's address space maps user-half entry %u", i);
        return;
    }
    if (!kernel_reference_) {
        for (unsigned i = kHalf; i < kEntriesPerTable; ++i)
            KASSERT(!root.load(i).present(), "kernel-half entry %u present without a kernel half", i);
        return;
    }
    // The walker sets A in the copies it walks through: compare without it.
    const TableView reference = kernel_reference_->table(kernel_reference_->root_);
    for (unsigned i = kHalf; i < kEntriesPerTable; ++i) {
        const Pte mine = root.load(i), theirs = reference.load(i);
        KASSERT(((mine.raw() ^ theirs.raw()) & ~Pte::kAccessed) == 0,
                "kernel-half entry %u is %#llx, the kernel's is %#llx", i, ull(mine.raw()), ull(theirs.raw()));
    }
}

}  // namespace kernel
