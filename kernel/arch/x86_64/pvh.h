// The PVH boot ABI's start-of-day structures (Xen's
// xen/include/public/arch-x86/hvm/start_info.h, which QEMU's pvh option ROM
// fills: pc-bios/optionrom/pvh_main.c). %ebx at the PVH entry points to
// HvmStartInfo; every address in it is physical. Version 1 adds the memory map,
// which QEMU takes from the firmware's E820 table.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86::pvh {

inline constexpr u32 kStartMagic = 0x336ec578;  // "xEn3" with the 0x80 bit of the "E" set

struct HvmStartInfo {
    u32 magic;
    u32 version;
    u32 flags;
    u32 module_count;
    u64 module_list;   // HvmModule[module_count]
    u64 cmdline;       // NUL-terminated
    u64 rsdp;          // ACPI RSDP
    u64 memmap;        // HvmMemoryMapEntry[memmap_entries] (version >= 1)
    u32 memmap_entries;
    u32 reserved;
};
static_assert(sizeof(HvmStartInfo) == 56);

struct HvmModule {
    u64 address;
    u64 size;
    u64 cmdline;
    u64 reserved;
};
static_assert(sizeof(HvmModule) == 32);

// E820 types (ACPI 6.4 table 15.312 "Address Range Types").
enum class MemoryType : u32 { kRam = 1, kReserved = 2, kAcpiReclaimable = 3, kAcpiNvs = 4, kUnusable = 5 };

struct HvmMemoryMapEntry {
    u64 address;
    u64 size;
    u32 type;
    u32 reserved;
};
static_assert(sizeof(HvmMemoryMapEntry) == 24);

}  // namespace kernel::x86::pvh
