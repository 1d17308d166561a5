// The 64-bit C++ entry of the qemu build. boot.S calls it in the higher half,
// on the boot stack, with the boot page tables (boot_page_tables.h); it
// readies what the HAL needs, runs boot_main exactly as the sim build does, and
// hands boot_main's status to QEMU through isa-debug-exit (qemu_exit.h).
#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/arch/x86_64/boot_info.h"
#include "kernel/arch/x86_64/boot_page_tables.h"
#include "kernel/arch/x86_64/clock.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/cpu_local.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/hal_x86.h"
#include "kernel/arch/x86_64/idt.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/pvh.h"
#include "kernel/arch/x86_64/qemu_exit.h"
#include "kernel/arch/x86_64/runtime.h"
#include "kernel/arch/x86_64/serial.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/timer.h"
#include "kernel/arch/x86_64/xstate.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/pte.h"

static_assert(KERNEL_VIRT_BASE == kernel::kLayout4Level.kernel_image_base &&
                  KERNEL_VIRT_BASE == kernel::kLayout5Level.kernel_image_base,
              "kernel.ld links the image where layout.h puts it");
static_assert(DIRECT_MAP_TOP_INDEX == kernel::table_index(kernel::kLayout4Level.direct_map_base, 4) &&
                  DIRECT_MAP_TOP_INDEX == kernel::table_index(kernel::kLayout5Level.direct_map_base, 5),
              "boot.S's direct map is where layout.h puts it");
static_assert(QEMU_EXIT_NO_LONG_MODE == static_cast<kernel::u32>(kernel::x86::QemuExit::kNoLongMode));

namespace kernel::x86 {
namespace {

// The 8259 PICs still deliver the legacy IRQs at power-on vectors that overlap
// the exceptions. Masked for good: the kernel will take its interrupts from the
// LAPIC and IOAPIC (a later step of issue 7).
void mask_legacy_pics() {
    out8(0x21, 0xff);
    out8(0xa1, 0xff);
}

// Whether the command line (QEMU's -append) holds `word` as a whole word.
bool command_line_has(const pvh::HvmStartInfo& start, const char* word) {
    if (!start.cmdline) return false;
    const char* line = static_cast<const char*>(hal::phys_to_virt(PhysAddr{start.cmdline}));
    constexpr usize kMaxLength = 4096;  // QEMU's pvh option ROM buffer
    const usize n = str_length(word);
    for (usize i = 0; i < kMaxLength && line[i]; ++i) {
        if (i > 0 && line[i - 1] != ' ') continue;
        usize k = 0;
        while (k < n && line[i + k] == word[k]) ++k;
        if (k == n && (line[i + k] == ' ' || line[i + k] == '\0')) return true;
    }
    return false;
}

// The qemu test of the exception path: a load from 0x10, which the identity
// map no longer covers, so the #PF handler must report CR2 = 0x10 and panic.
[[noreturn]] void deliberate_page_fault() {
    kprintf("x86 boot: simx.fault_test: loading from address 0x10\n");
    u64 value;
    asm volatile("movq 0x10, %0" : "=r"(value)::"memory");
    kprintf("x86 boot: the load from 0x10 did not fault (read %#llx)\n", static_cast<unsigned long long>(value));
    qemu_exit(QemuExit::kFailure);
}

}  // namespace
}  // namespace kernel::x86

extern "C" [[noreturn]] void x86_64_boot_entry(kernel::u32 start_info_pa) {
    using namespace kernel;
    using namespace kernel::x86;
    // The GDT, then the GS base (the GDT load zeroes it) before anything can
    // take a spinlock, which asks hal::current_cpu() (cpu_local.h).
    load_gdt_and_tss(0);
    install_cpu_local(0, cpuid(1).ebx >> 24);
    serial::init();
    run_static_constructors();
    // phys_to_virt adds the direct map's base, which depends on the paging
    // mode boot.S chose; boot_main selects the same layout again.
    select_layout((read_cr4() & cr4::kLa57) != 0);
    build_idt();
    load_idt();
    drop_identity_map();
    mask_legacy_pics();

    const CpuFeatures cpu = detect_cpu_features();
    init_hal(cpu);
    init_fpu();
    init_syscall();
    init_clock();
    const auto& start = *static_cast<const pvh::HvmStartInfo*>(hal::phys_to_virt(PhysAddr{start_info_pa}));
    init_boot_info(start, cpu);
    // The local APIC and its timer (the registers are a device window of
    // boot_info(); the boot tables' direct map reaches them until the kernel
    // loads its own, which map them UC).
    lapic::init();
    init_timer();
    kprintf("x86 boot: PVH start info at %#x, kernel image [%#llx, %#llx) at %#llx, %u-level paging\n", start_info_pa,
            static_cast<unsigned long long>(image_phys_start().value),
            static_cast<unsigned long long>(image_phys_end().value),
            static_cast<unsigned long long>(layout().kernel_image_base + image_phys_start().value), layout().levels);
    if (command_line_has(start, "simx.fault_test")) deliberate_page_fault();

    const int status = boot_main();
    kprintf("x86 boot: boot_main returned %d\n", status);
    publish_timer_counters(hal::boot_info().cpu_count);
    print_published_counters();
    qemu_exit_with(qemu_exit_value(status));
}
