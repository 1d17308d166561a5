#include "kernel/arch/x86_64/memory_map.h"

#include "kernel/lib/panic.h"

namespace kernel::x86 {
namespace {

u64 min(u64 a, u64 b) { return a < b ? a : b; }
u64 max(u64 a, u64 b) { return a > b ? a : b; }

bool is_type(const pvh::HvmMemoryMapEntry& e, pvh::MemoryType t) { return e.type == static_cast<u32>(t); }

}  // namespace

void MemoryMap::add_firmware_map(const pvh::HvmMemoryMapEntry* entries, u32 count) {
    // RAM first, then the firmware's RAM over it.
    for (u32 i = 0; i < count; ++i)
        if (is_type(entries[i], pvh::MemoryType::kRam))
            paint(entries[i].address, entries[i].address + entries[i].size, hal::MemoryKind::kUsable, true);
    for (u32 i = 0; i < count; ++i)
        if (is_type(entries[i], pvh::MemoryType::kAcpiReclaimable) || is_type(entries[i], pvh::MemoryType::kAcpiNvs))
            paint(entries[i].address, entries[i].address + entries[i].size, hal::MemoryKind::kReserved, true);
}

// One pass in address order, writing the new spans to a copy: each old span
// splits into its parts before, inside and after [start, end), and with
// add_ram the holes inside [start, end) become spans too. An empty or wrapping
// range (end <= start) changes nothing.
void MemoryMap::paint(u64 start, u64 end, hal::MemoryKind kind, bool add_ram) {
    if (start >= end) return;
    Span out[kCapacity];
    u32 n = 0;
    auto emit = [&](u64 s, u64 e, hal::MemoryKind k) {
        if (s >= e) return;
        if (n == kCapacity) panic("MemoryMap::paint: more than %u spans", kCapacity);
        out[n++] = Span{s, e, k};
    };
    u64 cursor = start;  // the part of [start, end) below it is emitted
    for (u32 i = 0; i < count_; ++i) {
        const Span& r = spans_[i];
        if (add_ram) emit(cursor, min(r.start, end), kind);  // the hole before r
        emit(r.start, min(r.end, start), r.kind);
        emit(max(r.start, start), min(r.end, end), kind);
        emit(max(r.start, end), r.end, r.kind);
        cursor = max(cursor, r.end);
    }
    if (add_ram) emit(cursor, end, kind);
    for (u32 i = 0; i < n; ++i) spans_[i] = out[i];
    count_ = n;
    merge();
}

void MemoryMap::clip(u64 limit) {
    while (count_ && spans_[count_ - 1].start >= limit) --count_;
    if (count_ && spans_[count_ - 1].end > limit) spans_[count_ - 1].end = limit;
}

void MemoryMap::merge() {
    u32 n = 0;
    for (u32 i = 0; i < count_; ++i) {
        if (n && spans_[n - 1].end == spans_[i].start && spans_[n - 1].kind == spans_[i].kind)
            spans_[n - 1].end = spans_[i].end;
        else
            spans_[n++] = spans_[i];
    }
    count_ = n;
}

u32 MemoryMap::export_to(hal::BootInfo& info) const {
    info.region_count = 0;
    for (u32 i = 0; i < count_ && info.region_count < hal::BootInfo::kMaxRegions; ++i) {
        const Span& s = spans_[i];
        info.regions[info.region_count++] = hal::MemoryRegion{PhysAddr{s.start}, s.end - s.start, 0, s.kind};
    }
    return count_ - info.region_count;
}

}  // namespace kernel::x86
