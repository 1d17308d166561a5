// Each CPU's local APIC in xAPIC mode: its enabling, EOI, the timer's
// registers, and the interrupt command register for SMP bring-up (SDM Vol. 3A
// chapter 10).
//
// Why xAPIC and not x2APIC: QEMU 7.2's TCG offers no x2APIC (the CPUID bit is
// KVM-only there), and every x2APIC CPU also runs in xAPIC mode, so MMIO is the
// one mode every machine of the tests has. The registers are a 4 KiB page at
// IA32_APIC_BASE (SDM 10.4.4), which the kernel maps uncached (UC, SDM 10.4.1:
// strong uncacheable) into its own address space at the page's direct-map
// address, as a device window boot_info() reports (hal.h DeviceWindow): the
// page-table editor maps it with the kernel's tables, so no table is allocated
// later. Before the kernel loads its tables the boot tables' direct map of
// [0, 4 GiB) reaches the same address (the MTRRs the firmware set keep the
// page UC there).
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86::lapic {

// Register offsets (SDM 10.4.1, table 10-1).
namespace reg {
inline constexpr u32 kId = 0x20;
inline constexpr u32 kTaskPriority = 0x80;
inline constexpr u32 kEoi = 0xb0;
inline constexpr u32 kSpurious = 0xf0;
inline constexpr u32 kErrorStatus = 0x280;
inline constexpr u32 kIcrLow = 0x300;
inline constexpr u32 kIcrHigh = 0x310;
inline constexpr u32 kLvtTimer = 0x320;
inline constexpr u32 kTimerInitialCount = 0x380;
inline constexpr u32 kTimerCurrentCount = 0x390;
inline constexpr u32 kTimerDivide = 0x3e0;
}  // namespace reg

// The spurious-interrupt vector (SVR bits 7:0, SDM 10.9): 0xff, as Linux. Its
// handler sends no EOI (the APIC sets no ISR bit for it).
inline constexpr u8 kSpuriousVector = 0xff;
// LVT fields (SDM 10.5.1, figure 10-8).
inline constexpr u32 kLvtMasked = 1u << 16;
inline constexpr u32 kLvtTimerOneShot = 0u << 17;
inline constexpr u32 kLvtTimerTscDeadline = 2u << 17;

// The registers' physical page (IA32_APIC_BASE), for boot_info's device window.
PhysAddr registers_base();

// Boot CPU, once boot_info() exists: finds the register page (which must be a
// device window) and enables this CPU's APIC (enable_this_cpu).
void init();

// Every CPU, once (the boot CPU through init, the others at their entry):
// software-enables its APIC with the spurious vector (SVR bit 8, SDM
// 10.4.7.2) and accepts every priority (TPR 0, SDM 10.8.3.1). The kernel
// runs with interrupts off, so nothing is delivered yet.
void enable_this_cpu();

u32 read(u32 offset);
void write(u32 offset, u32 value);

// End of interrupt (SDM 10.8.5): a write of 0 to the EOI register clears the
// highest ISR bit, so the APIC may deliver the next interrupt of that class.
void eoi();

// This CPU's APIC ID (ID register bits 31:24 in xAPIC mode).
u32 id();

// Sends an INIT IPI, or a Start-up IPI with the given vector (the trampoline's
// page number), to `apic_id` and waits until the APIC has sent it.
void send_init(u32 apic_id);
void send_startup(u32 apic_id, u8 vector);
// Sends a fixed-delivery interrupt with `vector` to `apic_id` (hal::send_ipi).
void send_fixed(u32 apic_id, u8 vector);

}  // namespace kernel::x86::lapic
