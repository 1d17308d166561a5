// The boot CPU's local APIC in xAPIC mode: what SMP bring-up needs, the
// interrupt command register (SDM Vol. 3A 10.6.1).
//
// Why xAPIC and not x2APIC: QEMU 7.2's TCG offers no x2APIC (the CPUID bit is
// KVM-only there), and every x2APIC CPU also runs in xAPIC mode, so MMIO is the
// one mode every machine of the tests has. The registers are a 4 KiB page at
// IA32_APIC_BASE (SDM 10.4.4), which the kernel maps uncached (UC, SDM 10.4.1:
// strong uncacheable) into its own address space at the page's direct-map
// address, as a device window boot_info() reports (hal.h DeviceWindow): the
// page-table editor maps it with the kernel's tables, so no table is allocated
// later; the direct map itself maps RAM only.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86::lapic {

// The registers' physical page (IA32_APIC_BASE), for boot_info's device window.
PhysAddr registers_base();

// Boot CPU, on the kernel's address space: enables the APIC in software
// (spurious-interrupt vector register bit 8, SDM 10.4.7.2).
void init();

// This CPU's APIC ID (ID register bits 31:24 in xAPIC mode).
u32 id();

// Sends an INIT IPI, or a Start-up IPI with the given vector (the trampoline's
// page number), to `apic_id` and waits until the APIC has sent it.
void send_init(u32 apic_id);
void send_startup(u32 apic_id, u8 vector);

}  // namespace kernel::x86::lapic
