#include "kernel/mm/tlb_invalidation.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/table_allocator.h"

namespace kernel {

TlbInvalidation::~TlbInvalidation() {
    KASSERT(freed_.empty(), "%zu table pages were never released (flush, then release_tables)", freed_.size());
}

void TlbInvalidation::add_pages(VirtAddr start, u64 pages, PageSize size, bool global, bool kernel_half) {
    if (pages == 0) return;
    global_ = global_ || global;
    kernel_ = kernel_ || kernel_half;
    const u64 bytes = page_bytes(size);
    const u64 last = start.value + (pages * bytes - 1);
    if (start.value < lo_) lo_ = start.value;
    if (last > hi_) hi_ = last;
    if (size < smallest_) smallest_ = size;
    if (full_) return;
    if (pages_ + pages > kFlushCeiling) return collapse();
    if (range_count_) {
        Range& prev = ranges_[range_count_ - 1];
        if (prev.size == size && prev.start.value + prev.pages * bytes == start.value) {
            prev.pages += pages;
            pages_ += pages;
            return;
        }
    }
    if (range_count_ == kMaxRanges) return collapse();
    ranges_[range_count_++] = Range{start, pages, size};
    pages_ += pages;
}

void TlbInvalidation::defer_table_free(Page& table, TableAllocator& owner, VirtAddr covers, bool kernel_half) {
    KASSERT(!table_owner_ || table_owner_ == &owner, "one record gathers tables of two allocators");
    table_owner_ = &owner;
    if (freed_.empty()) freed_va_ = covers;
    freed_.push_back(table);
    kernel_ = kernel_ || kernel_half;
}

void TlbInvalidation::absorb(TlbInvalidation& other) {
    if (&other == this) return;
    global_ = global_ || other.global_;
    kernel_ = kernel_ || other.kernel_;
    if (other.lo_ <= other.hi_) {
        if (other.lo_ < lo_) lo_ = other.lo_;
        if (other.hi_ > hi_) hi_ = other.hi_;
        if (other.smallest_ < smallest_) smallest_ = other.smallest_;
    }
    if (other.full_) {
        collapse();
    } else {
        for (u32 i = 0; i < other.range_count_; ++i) {
            const Range& r = other.ranges_[i];
            add_pages(r.start, r.pages, r.size, other.global_, other.kernel_);
        }
    }
    if (!other.freed_.empty()) {
        KASSERT(!table_owner_ || table_owner_ == other.table_owner_, "one record gathers tables of two allocators");
        if (freed_.empty()) freed_va_ = other.freed_va_;
        table_owner_ = other.table_owner_;
        while (Page* p = other.freed_.pop_front()) freed_.push_back(*p);
    }
    other.reset();
}

void TlbInvalidation::release_tables() {
    while (Page* p = freed_.pop_front()) {
        p->flags &= ~page_flag::kPageTable;
        p->owner.table.present = 0;
        table_owner_->release(table_owner_->address_of(*p));
    }
}

void TlbInvalidation::reset() {
    KASSERT(freed_.empty(), "reset with %zu table pages not released", freed_.size());
    range_count_ = 0;
    pages_ = 0;
    full_ = global_ = kernel_ = false;
    lo_ = ~u64{0};
    hi_ = 0;
    smallest_ = PageSize::k1G;
    table_owner_ = nullptr;
    freed_va_ = VirtAddr{};
}

void perform_tlb_invalidation(const TlbInvalidation& record, u16 pcid) {
    if (record.empty()) return;
    const hal::BootInfo& info = hal::boot_info();
    const bool invpcid = info.pcid;
    // Without CR4.PGE kernel entries are not global: they are tagged with the
    // PCID that was current when they were filled, so any PCID may hold them.
    const bool kernel_nonglobal = record.kernel_half() && !info.pge;

    if (record.full_flush()) {
        if (record.involves_global()) {
            if (invpcid) {
                hal::invpcid(hal::InvpcidType::kAllWithGlobals, 0, VirtAddr{});
            } else {
                // MOV to CR3 keeps global entries (SDM 4.10.4.1) and the HAL offers no
                // CR4.PGE toggle: INVLPG drops globals, page by page over the envelope.
                const u64 step = page_bytes(record.smallest_size());
                for (u64 va = record.envelope_start().value;; va += step) {
                    hal::invlpg(VirtAddr{va});
                    if (record.envelope_last().value - va < step) break;
                }
            }
        } else if (record.kernel_half()) {
            if (invpcid) hal::invpcid(hal::InvpcidType::kAllButGlobals, 0, VirtAddr{});
            else hal::write_cr3(hal::current_root(), 0, false);  // no INVPCID: PCID 0 is the only one
        } else {
            if (invpcid) hal::invpcid(hal::InvpcidType::kContext, pcid, VirtAddr{});
            else hal::write_cr3(hal::current_root(), 0, false);
        }
    } else {
        for (u32 i = 0; i < record.range_count(); ++i) {
            const TlbInvalidation::Range& r = record.range(i);
            const u64 bytes = page_bytes(r.size);
            for (u64 p = 0; p < r.pages; ++p) hal::invlpg(VirtAddr{r.start.value + p * bytes});
        }
        // INVLPG drops every PSC entry of the current PCID, whatever its address
        // (SDM 4.10.4.1); a record that freed tables but unmapped nothing (a map
        // rolled back) still needs one.
        if (record.frees_tables() && record.range_count() == 0) hal::invlpg(record.freed_table_address());
        // Kernel tables are cached under every PCID; so are non-global kernel entries.
        if (invpcid && record.kernel_half() && (record.frees_tables() || kernel_nonglobal))
            hal::invpcid(hal::InvpcidType::kAllButGlobals, 0, VirtAddr{});
    }
}

void flush_tlb_local(TlbInvalidation& record, u16 pcid) {
    perform_tlb_invalidation(record, pcid);
    record.release_tables();
    record.reset();
}

void flush_user_pcid(u16 pcid) {
    if (hal::boot_info().pcid) hal::invpcid(hal::InvpcidType::kContext, pcid, VirtAddr{});
    else hal::write_cr3(hal::current_root(), 0, false);
}

}  // namespace kernel
