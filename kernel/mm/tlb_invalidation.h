// The TLB invalidations a page-table edit requires, gathered into one record
// (Linux's mmu_gather, Zircon's consistency manager), and the table pages the
// edit unhooked.
//
// The order is always unhook -> invalidate -> free (Linux mm/mmu_gather.c): an
// edit clears the entry that referenced a table, but the table page itself is
// kept on this record until every CPU that might hold a TLB or paging-structure-
// cache (PSC) entry through it has flushed. Only then does release_tables() hand
// the pages back; reusing them earlier would let a stale PSC entry walk through a
// page that is now something else (SDM Vol. 3A 4.10.3, 4.10.4.2).
//
// Ranges: each range is `pages` consecutive pages of one size. INVLPG of any
// address in a page drops that page's TLB entries whatever their size (SDM
// 4.10.4.1), so a 2 MiB page costs one INVLPG. Past kFlushCeiling INVLPGs, or
// when the ranges do not fit, the record collapses to a full flush: Linux's
// tlb_single_page_flush_ceiling (33; "each single flush is about 100 ns").
//
// Nothing here allocates: ranges are a small array and freed tables are chained
// through their own Page descriptors (Page::list, free while a page is a table).
//
// A record must be empty of tables when it is destroyed ("Finish MUST be
// called", Zircon): flush_tlb_local() or the shootdown layer releases them.
#pragma once

#include "kernel/lib/list.h"
#include "kernel/lib/types.h"
#include "kernel/mm/page.h"
#include "kernel/mm/pte.h"

namespace kernel {

class TableAllocator;

class TlbInvalidation {
public:
    static constexpr u32 kMaxRanges = 8;
    static constexpr u64 kFlushCeiling = 33;

    struct Range {
        VirtAddr start;
        u64 pages;
        PageSize size;
    };

    TlbInvalidation() = default;
    ~TlbInvalidation();
    TlbInvalidation(const TlbInvalidation&) = delete;
    TlbInvalidation& operator=(const TlbInvalidation&) = delete;

    // `pages` pages of `size` from `start` changed or vanished. global: one of
    // them was a global (G=1) leaf, which survives CR3 loads. kernel_half: the
    // translations belong to the shared kernel half, so every PCID may cache them.
    void add_pages(VirtAddr start, u64 pages, PageSize size, bool global, bool kernel_half);
    // A table page whose referencing entry was cleared; `covers` is the first
    // address it translated. Kept until release_tables().
    void defer_table_free(Page& table, TableAllocator& owner, VirtAddr covers, bool kernel_half);
    // Moves everything `other` holds into this record (gathering several edits).
    void absorb(TlbInvalidation& other);

    bool empty() const { return !full_ && range_count_ == 0 && freed_.empty(); }
    // Flush everything of the address space (and all PCIDs for the kernel half).
    bool full_flush() const { return full_; }
    bool involves_global() const { return global_; }
    bool kernel_half() const { return kernel_; }
    // Paging-structure entries were freed: PSCs must be flushed too.
    bool frees_tables() const { return !freed_.empty(); }
    usize freed_table_count() const { return freed_.size(); }
    // A linear address some freed table translated (for a PSC-only flush).
    VirtAddr freed_table_address() const { return freed_va_; }

    u32 range_count() const { return range_count_; }
    const Range& range(u32 i) const { return ranges_[i]; }
    // INVLPGs the record would take page by page (0 once collapsed).
    u64 page_count() const { return pages_; }
    // [envelope_start, envelope_last] holds every page ever added, even after the
    // record collapsed; with the smallest page size added.
    VirtAddr envelope_start() const { return VirtAddr{lo_}; }
    VirtAddr envelope_last() const { return VirtAddr{hi_}; }
    PageSize smallest_size() const { return smallest_; }

    // Hands every deferred table back to its allocator. Call only once every CPU
    // that may cache translations through them has performed this record.
    void release_tables();
    // Forgets the ranges (after they were performed); tables must be released.
    void reset();

private:
    void collapse() {
        full_ = true;
        range_count_ = 0;
        pages_ = 0;
    }

    Range ranges_[kMaxRanges];
    u32 range_count_ = 0;
    u64 pages_ = 0;
    bool full_ = false;
    bool global_ = false;
    bool kernel_ = false;
    u64 lo_ = ~u64{0};
    u64 hi_ = 0;
    PageSize smallest_ = PageSize::k1G;
    IntrusiveList<Page, &Page::list> freed_;
    TableAllocator* table_owner_ = nullptr;
    VirtAddr freed_va_;
};

// Performs the record on the calling CPU and then releases its tables: the
// single-CPU case, until the shootdown layer does the same on every CPU.
// The edited address space must be the one loaded on this CPU under `pcid`
// (INVLPG acts on the current PCID), or the edit must be to the kernel half.
//   page by page:  INVLPG each page (drops global entries too, and every PSC
//                  entry of the current PCID, SDM 4.10.4.1); kernel tables freed
//                  with PCIDs on: INVPCID type 3 as well, for the PSC entries of
//                  the other PCIDs.
//   full, global:  INVPCID type 2 (everything, globals too). Without INVPCID,
//                  INVLPG over the envelope: the HAL has no CR4.PGE toggle.
//   full:          INVPCID type 1 for `pcid` (type 3 for the kernel half), or a
//                  CR3 reload without PCIDs.
void flush_tlb_local(TlbInvalidation& record, u16 pcid);
// The same without releasing the tables or resetting the record: one CPU's
// part of a shootdown (kernel/mm/tlb_shootdown.h).
void perform_tlb_invalidation(const TlbInvalidation& record, u16 pcid);
// Every non-global translation of `pcid`, the loaded one (INVPCID type 1, or
// a CR3 reload without PCIDs): a user space's full flush.
void flush_user_pcid(u16 pcid);

}  // namespace kernel
