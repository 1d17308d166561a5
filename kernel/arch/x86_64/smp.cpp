#include "kernel/arch/x86_64/smp.h"

#include "kernel/arch/x86_64/acpi.h"
#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/arch/x86_64/boot_page_tables.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_local.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/pit_delay.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/timer.h"
#include "kernel/arch/x86_64/xstate.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/string.h"

// trampoline.S, in .rodata: copied to TRAMPOLINE_PA.
extern "C" const char x86_trampoline_start[], x86_trampoline_end[], x86_trampoline_params[];

namespace kernel::x86 {
namespace {

// trampoline.S's parameter block, same order.
struct TrampolineParams {
    u32 cr3;
    u32 cr4;
    u64 stack;
    u64 entry;
    u32 cpu;
    u32 reserved;
};

constexpr u64 kApStackBytes = 32 * 1024;  // as boot.S's boot stack
struct alignas(16) ApStack {
    u8 bytes[kApStackBytes];
};
ApStack g_ap_stacks[kMaxCpus];  // index 0 unused: the boot CPU has boot.S's

u32 g_cpu_count = 1;
u32 g_apic_ids[kMaxCpus];
void (*g_entry)(u32 cpu) = nullptr;
u32 g_started = 0;  // the number of the last AP that reported in

// How long the boot CPU waits for an AP to report in after its SIPIs. The SDM
// needs microseconds; QEMU's TCG runs each vCPU in a host thread that a busy
// host may not schedule for a while, so the bound is generous.
// xAPIC destinations are 8 bits, and 0xff is the broadcast (SDM 10.6.2.1).
constexpr u32 kXapicBroadcast = 0xff;

constexpr u64 kApTimeoutUs = 5'000'000;
constexpr u64 kPollUs = 1'000;

}  // namespace

u32 discover_cpus(u64 rsdp_pa) {
    const u32 boot_apic_id = cpuid(1).ebx >> 24;  // initial APIC ID (SDM Vol. 2A CPUID leaf 1)
    g_apic_ids[0] = boot_apic_id;
    g_cpu_count = 1;
    MadtCpus madt;
    if (!read_madt_cpus(rsdp_pa, madt)) {
        kprintf("x86 smp: no ACPI MADT: running on the boot CPU alone\n");
        return 1;
    }
    bool boot_cpu_listed = false;
    u32 unreachable = 0;
    for (u32 i = 0; i < madt.count; ++i) {
        if (madt.apic_ids[i] == boot_apic_id) {
            boot_cpu_listed = true;
        } else if (madt.apic_ids[i] >= kXapicBroadcast) {
            ++unreachable;  // only an x2APIC could address it
        } else if (g_cpu_count < kMaxCpus) {
            g_apic_ids[g_cpu_count++] = madt.apic_ids[i];
        } else {
            ++madt.ignored;
        }
    }
    if (unreachable) kprintf("x86 smp: %u CPUs with APIC IDs above 254 are not used (xAPIC mode)\n", unreachable);
    if (!boot_cpu_listed) {
        kprintf("x86 smp: the boot CPU (APIC ID %u) is not in the MADT: running on it alone\n", boot_apic_id);
        g_cpu_count = 1;
    }
    kprintf("x86 smp: %u CPUs from the ACPI MADT, the boot CPU is APIC ID %u\n", g_cpu_count, boot_apic_id);
    if (madt.ignored) kprintf("x86 smp: %u CPUs beyond the kernel's %u are not used\n", madt.ignored, kMaxCpus);
    return g_cpu_count;
}

u32 apic_id_of(u32 cpu) { return g_apic_ids[cpu]; }

// Each AP, from the trampoline, in the higher half on the boot tables and its
// own stack. It reports in once it has its own GDT, TSS, IDT and GS base, so
// the boot CPU may reuse the trampoline for the next AP.
extern "C" [[noreturn]] void x86_ap_entry(u32 cpu) {
    load_gdt_and_tss(cpu);
    install_cpu_local(cpu, g_apic_ids[cpu]);
    load_idt();
    init_fpu();
    init_syscall();
    lapic::enable_this_cpu();
    init_timer_this_cpu();
    void (*entry)(u32) = __atomic_load_n(&g_entry, __ATOMIC_ACQUIRE);
    __atomic_store_n(&g_started, cpu, __ATOMIC_RELEASE);
    entry(cpu);
    // The kernel has nothing for it to do yet: halt with interrupts off.
    disable_interrupts();
    for (;;) halt();
}

void start_application_processors(void (*entry)(u32 cpu)) {
    if (g_cpu_count <= 1) return;
    if (lapic::id() != g_apic_ids[0])
        panic("x86 smp: the boot CPU's APIC ID is %u, CPUID said %u", lapic::id(), g_apic_ids[0]);
    __atomic_store_n(&g_entry, entry, __ATOMIC_RELEASE);
    const usize bytes = static_cast<usize>(x86_trampoline_end - x86_trampoline_start);
    static_assert(TRAMPOLINE_PA % kPageSize == 0 && TRAMPOLINE_PA < (u64{1} << 20));
    KASSERT(bytes <= kPageSize, "the trampoline is %zu bytes", bytes);
    u8* page = static_cast<u8*>(hal::phys_to_virt(PhysAddr{TRAMPOLINE_PA}));
    mem_copy(page, x86_trampoline_start, bytes);
    auto* params = reinterpret_cast<volatile TrampolineParams*>(page + (x86_trampoline_params - x86_trampoline_start));
    const u32 root = restore_identity_map_for_aps();
    const u32 cr4 = static_cast<u32>(cr4::kPae | (read_cr4() & cr4::kLa57));

    for (u32 cpu = 1; cpu < g_cpu_count; ++cpu) {
        params->cr3 = root;
        params->cr4 = cr4;
        params->stack = reinterpret_cast<u64>(&g_ap_stacks[cpu] + 1);
        params->entry = reinterpret_cast<u64>(&x86_ap_entry);
        params->cpu = cpu;
        __atomic_thread_fence(__ATOMIC_SEQ_CST);  // the block is written before the IPIs

        // SDM Vol. 3A 8.4.4.1 (the MP initialization example): INIT, 10 ms,
        // SIPI, 200 us, SIPI, 200 us. An AP that started on the first SIPI
        // ignores the second (it is no longer waiting for one).
        const u32 apic_id = g_apic_ids[cpu];
        lapic::send_init(apic_id);
        pit_delay_us(10'000);
        lapic::send_startup(apic_id, static_cast<u8>(TRAMPOLINE_PA >> 12));
        pit_delay_us(200);
        if (__atomic_load_n(&g_started, __ATOMIC_ACQUIRE) != cpu) {
            lapic::send_startup(apic_id, static_cast<u8>(TRAMPOLINE_PA >> 12));
            pit_delay_us(200);
        }
        u64 waited = 0;
        while (__atomic_load_n(&g_started, __ATOMIC_ACQUIRE) != cpu) {
            if (waited >= kApTimeoutUs) panic("x86 smp: CPU %u (APIC ID %u) did not start", cpu, apic_id);
            pit_delay_us(kPollUs);
            waited += kPollUs;
        }
    }
    remove_identity_map_after_aps();
}

}  // namespace kernel::x86
