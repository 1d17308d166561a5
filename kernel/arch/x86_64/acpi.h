// The ACPI tables the qemu build reads: RSDP -> RSDT/XSDT -> MADT, for the
// CPUs' local APIC IDs (ACPI 6.4 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.12
// MADT). Runs at boot on the boot page tables, whose direct map covers the low
// 4 GiB where the firmware puts these tables.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

struct MadtCpus {
    u32 count = 0;
    u32 apic_ids[kMaxCpus];
    u32 ignored = 0;        // enabled CPUs beyond kMaxCpus
    u64 lapic_address = 0;  // the MADT's Local Interrupt Controller Address (or its 64-bit override)
};

// The enabled (or online-capable) processor local APIC and x2APIC entries of
// the MADT, in table order. rsdp_pa is hvm_start_info's rsdp_paddr; 0 makes it
// search the BIOS areas as ACPI 6.4 5.2.5.1 describes. Returns false when no
// MADT is found (the caller then runs on the boot CPU alone).
bool read_madt_cpus(u64 rsdp_pa, MadtCpus& out);

}  // namespace kernel::x86
