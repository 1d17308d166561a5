#include "kernel/arch/x86_64/lapic.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/layout.h"

namespace kernel::x86::lapic {
namespace {

// ICR low fields (SDM 10.6.1, figure 10-12).
constexpr u32 kDeliveryInit = 5u << 8;
constexpr u32 kDeliveryStartup = 6u << 8;
constexpr u32 kDeliveryPending = 1u << 12;  // delivery status: send pending
constexpr u32 kLevelAssert = 1u << 14;

// SVR (SDM 10.9, figure 10-23): bit 8 APIC software enable, bits 7:0 the vector.
constexpr u32 kSoftwareEnable = 1u << 8;

constexpr u64 kApicBaseMask = 0x000f'ffff'ffff'f000ull;  // IA32_APIC_BASE bits 12..MAXPHYADDR-1
constexpr u64 kApicGlobalEnable = u64{1} << 11;

volatile u32* g_registers = nullptr;

void send(u32 apic_id, u32 low) {
    write(reg::kErrorStatus, 0);  // the ESR is rearmed by a write (SDM 10.5.3)
    write(reg::kIcrHigh, apic_id << 24);
    write(reg::kIcrLow, low);  // the write of the low half sends the IPI
    while (read(reg::kIcrLow) & kDeliveryPending) pause();
}

}  // namespace

u32 read(u32 offset) { return g_registers[offset / 4]; }
void write(u32 offset, u32 value) { g_registers[offset / 4] = value; }

PhysAddr registers_base() {
    const u64 base_msr = read_msr(msr::kApicBase);
    if (!(base_msr & kApicGlobalEnable))
        panic("lapic: IA32_APIC_BASE %#llx: the APIC is disabled", static_cast<unsigned long long>(base_msr));
    return PhysAddr{base_msr & kApicBaseMask};
}

void init() {
    const PhysAddr base = registers_base();
    const hal::BootInfo& info = hal::boot_info();
    bool mapped = false;
    for (u32 i = 0; i < info.device_window_count; ++i)
        mapped |= info.device_windows[i].base.value == base.value;
    if (!mapped) panic("lapic: the registers at %#llx are not a device window", static_cast<unsigned long long>(base.value));
    g_registers = reinterpret_cast<volatile u32*>(layout().direct_map(base).value);
    enable_this_cpu();
}

void enable_this_cpu() {
    if (!g_registers) panic("lapic: a CPU enables its APIC before the boot CPU found the registers");
    // An AP leaves INIT with its APIC software-disabled and every LVT masked
    // (SDM 10.4.7.1); the LVTs stay masked until their owner unmasks them.
    write(reg::kTaskPriority, 0);
    write(reg::kSpurious, (read(reg::kSpurious) & ~0xffu) | kSoftwareEnable | kSpuriousVector);
}

void eoi() { write(reg::kEoi, 0); }

u32 id() { return read(reg::kId) >> 24; }

void send_init(u32 apic_id) { send(apic_id, kDeliveryInit | kLevelAssert); }
void send_startup(u32 apic_id, u8 vector) { send(apic_id, kDeliveryStartup | kLevelAssert | vector); }
void send_fixed(u32 apic_id, u8 vector) { send(apic_id, kLevelAssert | vector); }  // delivery mode 000: fixed

}  // namespace kernel::x86::lapic
