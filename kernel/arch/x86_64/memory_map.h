// The physical memory map the qemu build hands the kernel (hal::BootInfo's
// regions), built from the firmware's E820 table as PVH passes it on.
//
// Rules (boot_info.h says why):
// - E820 RAM (type 1) is usable; ACPI tables and NVS (types 3, 4) are RAM the
//   firmware keeps, so reserved; they win where the firmware's entries overlap.
// - Every other type is not RAM: left out, so never direct-mapped write-back.
// - Reservations made afterwards (first MiB, kernel image, modules) only change
//   RAM that is already there; they never turn a hole into RAM.
//
// Invariants (hold after every call): spans sorted, non-empty, disjoint, and
// touching spans differ in kind.
#pragma once

#include "kernel/arch/x86_64/pvh.h"
#include "kernel/hal/hal.h"

namespace kernel::x86 {

class MemoryMap {
public:
    static constexpr u32 kCapacity = 256;  // QEMU's pvh ROM passes at most 128 E820 entries

    struct Span {
        u64 start, end;
        hal::MemoryKind kind;
    };

    // Reads a firmware table in any order, by the rules above.
    void add_firmware_map(const pvh::HvmMemoryMapEntry* entries, u32 count);

    // Gives [start, end) the kind `kind` wherever it is RAM already, and with
    // add_ram also where it is a hole. Panics beyond kCapacity spans.
    void paint(u64 start, u64 end, hal::MemoryKind kind, bool add_ram);
    // Forgets everything at and above `limit`.
    void clip(u64 limit);

    u32 size() const { return count_; }
    const Span& span(u32 i) const { return spans_[i]; }
    // The end of the highest span (0 when empty).
    u64 end() const { return count_ ? spans_[count_ - 1].end : 0; }

    // Copies the spans, all on node 0, into info.regions; returns how many did
    // not fit in hal::BootInfo::kMaxRegions (the highest ones are dropped).
    u32 export_to(hal::BootInfo& info) const;

private:
    void merge();

    Span spans_[kCapacity] = {};
    u32 count_ = 0;
};

}  // namespace kernel::x86
