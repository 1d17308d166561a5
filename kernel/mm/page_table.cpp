// The page-table editor: creation, map, unmap, protect, lookup. Large-page
// demotion and promotion live in page_table_large.cpp, the checker in
// page_table_check.cpp.
#include "kernel/mm/page_table.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/layout.h"

namespace kernel {
namespace {

const AddressSpaceLayout& layout_for(unsigned levels) { return levels == 5 ? kLayout5Level : kLayout4Level; }

// First address of the kernel half: bits 63..(linear bits - 1) all ones.
constexpr u64 kernel_half_start(unsigned levels) { return ~u64{0} << (level_shift(levels) + 8); }

}  // namespace

PagingConfig PagingConfig::from_boot_info(const hal::BootInfo& info) {
    PagingConfig c;
    c.levels = info.la57 ? 5 : 4;
    c.nx = info.nx;
    c.pages_1g = info.pages_1g;
    c.pge = info.pge;
    c.phys_addr_bits = info.phys_addr_bits;
    return c;
}

const char* describe(PtStatus status) {
    switch (status) {
        case PtStatus::kOk: return "ok";
        case PtStatus::kBadRange: return "range empty, wrapping, non-canonical or outside this half";
        case PtStatus::kMisaligned: return "address, frame or length not aligned to the page size";
        case PtStatus::kAlreadyMapped: return "already mapped";
        case PtStatus::kNoMemory: return "no memory for a page table";
        case PtStatus::kWriteExecute: return "kernel mapping both writable and executable (W^X)";
        case PtStatus::kUserInKernelHalf: return "user-accessible mapping in the kernel half";
        case PtStatus::kFrameOutOfRange: return "frame above MAXPHYADDR";
        case PtStatus::kSizeUnsupported: return "page size not supported here";
        case PtStatus::kNotMapped: return "not mapped";
        case PtStatus::kNotLarge: return "mapped by a 4 KiB page, not a large one";
        case PtStatus::kAlreadyLarge: return "already mapped by a large page";
        case PtStatus::kNotAllPresent: return "not all 512 entries are present";
        case PtStatus::kNotLeaf: return "an entry references a table instead of mapping a page";
        case PtStatus::kFrameMisaligned: return "first frame not aligned to the large page size";
        case PtStatus::kNotContiguous: return "frames not physically contiguous";
        case PtStatus::kAttributesDiffer: return "rights, memory type or global bit differ";
    }
    return "?";
}

// ---------------------------------------------------------------- tables

TableView PageTable::table(PhysAddr pa) const { return TableView(hal::phys_to_virt(pa)); }

bool PageTable::allocate_table(PhysAddr& out) {
    if (!tables_->allocate(out)) return false;
    KASSERT(is_aligned(out.value, kPageSize), "table allocator gave unaligned frame %#llx",
            static_cast<unsigned long long>(out.value));
    Page& d = descriptor(out);
    d.flags |= page_flag::kPageTable;
    d.owner.table.present = 0;
    d.owner.table.check_epoch = 0;
    ++table_pages_;
    return true;
}

void PageTable::add_present(PhysAddr t, int delta) {
    u32& present = descriptor(t).owner.table.present;
    KASSERT(delta > 0 ? present < kEntriesPerTable : present > 0, "table %#llx: present count %u %+d",
            static_cast<unsigned long long>(t.value), present, delta);
    present = static_cast<u32>(static_cast<int>(present) + delta);
}

// The entry that referenced the table is already cleared (unhook); the page
// waits on the record for the flush (invalidate) before it is freed.
void PageTable::unhook_table(PhysAddr t, VirtAddr covers, TlbInvalidation& inv) {
    KASSERT(table_pages_ > 0, "unhooking more tables than were allocated");
    --table_pages_;
    inv.defer_table_free(descriptor(t), *tables_, covers, kernel_);
}

// ---------------------------------------------------------------- creation

PtStatus PageTable::init(TableAllocator& tables, const PagingConfig& config, bool kernel) {
    KASSERT(!initialized(), "PageTable initialised twice");
    KASSERT(config.levels == 4 || config.levels == 5, "%u-level paging", config.levels);
    tables_ = &tables;
    config_ = config;
    kernel_ = kernel;
    table_pages_ = 0;
    if (!allocate_table(root_)) {
        tables_ = nullptr;
        return PtStatus::kNoMemory;
    }
    return PtStatus::kOk;
}

PtStatus PageTable::pin_kernel_region(u64 start, u64 bytes) {
    if (bytes == 0) return PtStatus::kOk;
    const unsigned top = config_.levels;
    TableView root = table(root_);
    const unsigned first = table_index(start, top), last = table_index(start + (bytes - 1), top);
    for (unsigned i = first; i <= last; ++i) {
        if (root.load(i).present()) continue;
        PhysAddr child;
        if (!allocate_table(child)) return PtStatus::kNoMemory;
        root.store(i, Pte::make_table(child, /*user_half=*/false));
        add_present(root_, +1);
    }
    return PtStatus::kOk;
}

// The kernel half's top-level entries are made here, once: layout.h promises
// they never change, so a process address space can copy them at creation and
// still see every later kernel mapping through the shared lower tables.
PtStatus PageTable::init_kernel(TableAllocator& tables, const PagingConfig& config, u64 direct_map_bytes) {
    if (PtStatus s = init(tables, config, true); s != PtStatus::kOk) return s;
    const AddressSpaceLayout& l = layout_for(config.levels);
    KASSERT(direct_map_bytes <= l.direct_map_size, "direct map of %#llx bytes exceeds the layout",
            static_cast<unsigned long long>(direct_map_bytes));
    const struct {
        u64 start, bytes;
    } regions[] = {
        {l.direct_map_base, direct_map_bytes},
        {l.heap_base, l.heap_size},
        {l.page_array_base, l.page_array_size},
        {l.percpu_base, l.percpu_stride * kMaxCpus},
        {l.kernel_image_base, 0 - l.kernel_image_base},
    };
    for (const auto& r : regions) {
        if (pin_kernel_region(r.start, r.bytes) != PtStatus::kOk) {
            // Nothing was ever loaded into CR3: the tables can go back at once.
            TlbInvalidation undo;
            destroy(undo);
            undo.release_tables();
            undo.reset();
            return PtStatus::kNoMemory;
        }
    }
    return PtStatus::kOk;
}

PtStatus PageTable::init_user(TableAllocator& tables, const PagingConfig& config, const PageTable* kernel) {
    if (kernel) {
        KASSERT(kernel->kernel_ && kernel->initialized(), "the kernel half must come from the kernel's PageTable");
        KASSERT(kernel->config_.levels == config.levels, "kernel has %u levels, process %u", kernel->config_.levels,
                config.levels);
    }
    if (PtStatus s = init(tables, config, false); s != PtStatus::kOk) return s;
    kernel_reference_ = kernel;
    if (kernel) {
        // Top-level entries 256..511 are the kernel half in both paging modes.
        const TableView from = kernel->table(kernel->root_);
        TableView to = table(root_);
        for (unsigned i = kEntriesPerTable / 2; i < kEntriesPerTable; ++i) {
            const Pte e = from.load(i);
            if (!e.present()) continue;
            to.store(i, e);
            add_present(root_, +1);
        }
    }
    return PtStatus::kOk;
}

void PageTable::destroy(TlbInvalidation& inv) {
    KASSERT(initialized(), "destroy of an uninitialised PageTable");
    {
        SpinGuard guard(lock_);
        const unsigned top = config_.levels;
        if (kernel_) {
            unmap_range(root_, top, kernel_half_start(top), ~u64{0}, /*unpin=*/true, inv);
        } else {
            unmap_range(root_, top, 0, ~kernel_half_start(top), false, inv);
            // The copied kernel entries reference the kernel's tables: just drop them.
            TableView root = table(root_);
            for (unsigned i = kEntriesPerTable / 2; i < kEntriesPerTable; ++i)
                if (root.take(i).present()) add_present(root_, -1);
        }
        KASSERT(descriptor(root_).owner.table.present == 0, "root not empty after destroy");
        unhook_table(root_, VirtAddr{0}, inv);
        KASSERT(table_pages_ == 0, "%llu table pages unaccounted for after destroy",
                static_cast<unsigned long long>(table_pages_));
    }
    tables_ = nullptr;
    kernel_reference_ = nullptr;
    root_ = PhysAddr{};
}

// ---------------------------------------------------------------- checks

PtStatus PageTable::check_range(u64 va, u64 bytes, u64 align) const {
    KASSERT(initialized(), "edit of an uninitialised PageTable");
    if (bytes == 0) return PtStatus::kBadRange;
    if (!is_aligned(va, align) || !is_aligned(bytes, align)) return PtStatus::kMisaligned;
    const u64 last = va + (bytes - 1);
    if (last < va) return PtStatus::kBadRange;
    if (kernel_) return va >= kernel_half_start(config_.levels) ? PtStatus::kOk : PtStatus::kBadRange;
    return last < layout_for(config_.levels).user_end ? PtStatus::kOk : PtStatus::kBadRange;
}

PtStatus PageTable::check_attrs(const PageAttrs& attrs) const {
    if (kernel_ && attrs.user) return PtStatus::kUserInKernelHalf;
    if (!attrs.user && attrs.writable && attrs.executable) return PtStatus::kWriteExecute;
    return PtStatus::kOk;
}

// G marks kernel leaves only (they are the same in every address space, so
// they may survive CR3 loads, SDM 4.10.2.4); XD needs EFER.NXE (else reserved).
Pte PageTable::make_leaf(PhysAddr frame, unsigned level, const PageAttrs& attrs) const {
    u64 raw = (frame.value & Pte::kAddressBits) | Pte::kPresent | pat::leaf_bits(attrs.cache, level);
    if (level > 1) raw |= Pte::kLarge;
    if (attrs.writable) raw |= Pte::kWritable;
    if (attrs.user) raw |= Pte::kUser;
    if (!attrs.executable && config_.nx) raw |= Pte::kNoExecute;
    if (kernel_ && config_.pge) raw |= Pte::kGlobal;
    return Pte{raw};
}

PageAttrs PageTable::attrs_of(Pte leaf, unsigned level) const {
    PageAttrs a;
    a.writable = leaf.writable();
    a.user = leaf.user();
    a.executable = !(config_.nx && leaf.no_execute());
    pat::decode(leaf, level, &a.cache);
    return a;
}

// ---------------------------------------------------------------- map

PtStatus PageTable::map(VirtAddr va, PhysAddr frame, u64 bytes, const PageAttrs& attrs, PageSize size,
                        TlbInvalidation& inv) {
    if (size == PageSize::k1G && !config_.pages_1g) return PtStatus::kSizeUnsupported;
    const u64 align = page_bytes(size);
    if (PtStatus s = check_range(va.value, bytes, align); s != PtStatus::kOk) return s;
    if (!is_aligned(frame.value, align)) return PtStatus::kMisaligned;
    SpinGuard guard(lock_);
    return map_locked(va.value, frame.value, bytes, attrs, size, false, inv);
}

PtStatus PageTable::map_largest(VirtAddr va, PhysAddr frame, u64 bytes, const PageAttrs& attrs,
                                TlbInvalidation& inv) {
    if (PtStatus s = check_range(va.value, bytes, kPageSize); s != PtStatus::kOk) return s;
    if (!is_aligned(frame.value, kPageSize)) return PtStatus::kMisaligned;
    SpinGuard guard(lock_);
    return map_locked(va.value, frame.value, bytes, attrs, PageSize::k4K, true, inv);
}

PtStatus PageTable::map_locked(u64 va, u64 frame, u64 bytes, const PageAttrs& attrs, PageSize fixed, bool largest,
                               TlbInvalidation& inv) {
    if (PtStatus s = check_attrs(attrs); s != PtStatus::kOk) return s;
    if (config_.phys_addr_bits < 52 && (frame + (bytes - 1)) >> config_.phys_addr_bits)
        return PtStatus::kFrameOutOfRange;
    for (u64 done = 0; done < bytes;) {
        unsigned level = leaf_level(fixed);
        if (largest) {
            level = 1;
            for (unsigned l = config_.pages_1g ? 3u : 2u; l >= 2; --l) {
                const u64 span = level_span(l);
                if (is_aligned(va + done, span) && is_aligned(frame + done, span) && bytes - done >= span) {
                    level = l;
                    break;
                }
            }
        }
        const u64 span = level_span(level);
        const PtStatus s = map_page(va + done, make_leaf(PhysAddr{frame + done}, level, attrs), level);
        if (s != PtStatus::kOk) {
            // All or nothing: take back what this call mapped. After kNoMemory the
            // failed page's range holds nothing but the empty tables just made for
            // it, which the unmap prunes; after kAlreadyMapped it made none.
            const u64 undo = s == PtStatus::kNoMemory ? done + span : done;
            if (undo) unmap_range(root_, config_.levels, va, va + (undo - 1), false, inv);
            return s;
        }
        done += span;
    }
    return PtStatus::kOk;
}

// Mapping a page needs no invalidation: a not-present entry is never cached in
// a TLB or paging-structure cache (SDM 4.10.2.3, 4.10.3.1).
PtStatus PageTable::map_page(u64 va, Pte leaf, unsigned level) {
    PhysAddr t = root_;
    for (unsigned l = config_.levels; l > level; --l) {
        TableView v = table(t);
        const unsigned i = table_index(va, l);
        const Pte e = v.load(i);
        if (e.present()) {
            if (e.is_leaf(l)) return PtStatus::kAlreadyMapped;
            t = e.table_address();
            continue;
        }
        // New kernel top-level entries would not reach the copies in process
        // address spaces: the kernel maps only inside its pinned regions.
        if (kernel_ && l == config_.levels) return PtStatus::kBadRange;
        PhysAddr child;
        if (!allocate_table(child)) return PtStatus::kNoMemory;
        v.store(i, Pte::make_table(child, !kernel_));
        add_present(t, +1);
        t = child;
    }
    TableView v = table(t);
    const unsigned i = table_index(va, level);
    if (v.load(i).present()) return PtStatus::kAlreadyMapped;
    v.store(i, leaf);
    add_present(t, +1);
    return PtStatus::kOk;
}

// ---------------------------------------------------------------- unmap

PtStatus PageTable::unmap(VirtAddr va, u64 bytes, TlbInvalidation& inv) {
    if (PtStatus s = check_range(va.value, bytes, kPageSize); s != PtStatus::kOk) return s;
    SpinGuard guard(lock_);
    const u64 end = va.value + bytes;  // 0 when the range ends at the top of the address space
    if (PtStatus s = split_around(va.value, nullptr, inv); s != PtStatus::kOk) return s;
    if (end != 0)
        if (PtStatus s = split_around(end, nullptr, inv); s != PtStatus::kOk) return s;
    unmap_range(root_, config_.levels, va.value, end - 1, false, inv);
    return PtStatus::kOk;
}

// Clears every leaf in [first, last] under `t` (a table at `level`) and unhooks
// each table the range leaves empty. unpin: the kernel's pinned tables too.
void PageTable::unmap_range(PhysAddr t, unsigned level, u64 first, u64 last, bool unpin, TlbInvalidation& inv) {
    TableView v = table(t);
    const u64 span = level_span(level);
    u64 base = align_down(first, span);
    for (unsigned i = table_index(first, level), end = table_index(last, level); i <= end; ++i, base += span) {
        const Pte e = v.load(i);
        if (!e.present()) continue;
        if (e.is_leaf(level)) {
            KASSERT(base >= first && base + (span - 1) <= last, "leaf at %#llx straddles [%#llx, %#llx]",
                    static_cast<unsigned long long>(base), static_cast<unsigned long long>(first),
                    static_cast<unsigned long long>(last));
            const Pte old = v.take(i);
            add_present(t, -1);
            inv.add_pages(VirtAddr{base}, 1, size_at_level(level), old.global(), kernel_);
            continue;
        }
        const PhysAddr child = e.table_address();
        unmap_range(child, level - 1, base < first ? first : base, base + (span - 1) > last ? last : base + (span - 1),
                    unpin, inv);
        if (descriptor(child).owner.table.present == 0 && (unpin || !kernel_pinned(level))) {
            v.take(i);
            add_present(t, -1);
            unhook_table(child, VirtAddr{base}, inv);
        }
    }
}

// ---------------------------------------------------------------- protect

PtStatus PageTable::protect(VirtAddr va, u64 bytes, const PageAttrs& attrs, TlbInvalidation& inv) {
    if (PtStatus s = check_range(va.value, bytes, kPageSize); s != PtStatus::kOk) return s;
    if (PtStatus s = check_attrs(attrs); s != PtStatus::kOk) return s;
    SpinGuard guard(lock_);
    const u64 end = va.value + bytes;
    // A straddling large leaf that already has the attributes needs no split.
    if (PtStatus s = split_around(va.value, &attrs, inv); s != PtStatus::kOk) return s;
    if (end != 0)
        if (PtStatus s = split_around(end, &attrs, inv); s != PtStatus::kOk) return s;
    protect_range(root_, config_.levels, va.value, end - 1, attrs, inv);
    return PtStatus::kOk;
}

// Rewrites the leaves in [first, last]. Every changed leaf needs an
// invalidation: a TLB may hold its old rights or memory type (SDM 4.10.4.2).
void PageTable::protect_range(PhysAddr t, unsigned level, u64 first, u64 last, const PageAttrs& attrs,
                              TlbInvalidation& inv) {
    TableView v = table(t);
    const u64 span = level_span(level);
    u64 base = align_down(first, span);
    for (unsigned i = table_index(first, level), end = table_index(last, level); i <= end; ++i, base += span) {
        Pte e = v.load(i);
        if (!e.present()) continue;
        if (!e.is_leaf(level)) {
            protect_range(e.table_address(), level - 1, base < first ? first : base,
                          base + (span - 1) > last ? last : base + (span - 1), attrs, inv);
            continue;
        }
        if (base < first || base + (span - 1) > last) {
            KASSERT(attrs_of(e, level) == attrs, "unsplit leaf at %#llx straddles the range",
                    static_cast<unsigned long long>(base));
            continue;
        }
        // Keep the A/D bits a walker may set between the load and the store.
        for (;;) {
            const Pte next = make_leaf(e.frame(level), level, attrs).with(e.raw() & Pte::kHardwareBits);
            if (next.same_as(e)) break;
            if (v.replace(i, e, next)) {
                inv.add_pages(VirtAddr{base}, 1, size_at_level(level), e.global() || next.global(), kernel_);
                break;
            }
        }
    }
}

// ---------------------------------------------------------------- lookup

// ---------------------------------------------------------------- replace

PtStatus PageTable::replace_frame(VirtAddr va, PhysAddr frame, const PageAttrs& attrs, TlbInvalidation& inv) {
    if (PtStatus s = check_range(va.value, kPageSize, kPageSize); s != PtStatus::kOk) return s;
    if (PtStatus s = check_attrs(attrs); s != PtStatus::kOk) return s;
    if (!is_aligned(frame.value, kPageSize)) return PtStatus::kMisaligned;
    if (config_.phys_addr_bits < 52 && (frame.value >> config_.phys_addr_bits)) return PtStatus::kFrameOutOfRange;
    SpinGuard guard(lock_);
    const Walk w = walk_to(va.value, 1);
    if (!w.entry.present()) return PtStatus::kNotMapped;
    if (w.level != 1) return PtStatus::kSizeUnsupported;
    // Stored whole: a walker sees the old entry or the new one. The old
    // translation may live on in TLBs until `inv` is performed.
    table(w.table).store(table_index(va.value, 1), make_leaf(frame, 1, attrs));
    inv.add_pages(VirtAddr{align_down(va.value, kPageSize)}, 1, PageSize::k4K, w.entry.global(), kernel_);
    return PtStatus::kOk;
}

PageTable::Walk PageTable::walk_to(u64 va, unsigned stop_level) {
    PhysAddr t = root_;
    for (unsigned l = config_.levels;; --l) {
        const Pte e = table(t).load(table_index(va, l));
        if (l == stop_level || !e.present() || e.is_leaf(l)) return Walk{t, l, e};
        t = e.table_address();
    }
}

bool PageTable::lookup(VirtAddr va, Mapping* out) {
    KASSERT(initialized(), "lookup in an uninitialised PageTable");
    SpinGuard guard(lock_);
    const Walk w = walk_to(va.value, 1);
    if (!w.entry.present()) return false;
    out->base = VirtAddr{align_down(va.value, level_span(w.level))};
    out->frame = w.entry.frame(w.level);
    out->size = size_at_level(w.level);
    out->attrs = attrs_of(w.entry, w.level);
    out->global = w.entry.global();
    out->accessed = w.entry.accessed();
    out->dirty = w.entry.dirty();
    return true;
}

}  // namespace kernel
