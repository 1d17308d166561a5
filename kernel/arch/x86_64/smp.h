// Multiprocessor bring-up in the qemu build: the CPUs come from the ACPI MADT
// (acpi.h), the boot CPU is CPU 0 and the others are numbered in MADT order;
// each application processor (AP) is woken with INIT-SIPI-SIPI (SDM Vol. 3A
// 8.4.4.1) through the real-mode trampoline (trampoline.S).
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

// Boot CPU, at boot: reads the MADT (rsdp_pa from hvm_start_info, 0 to search)
// and returns how many CPUs the kernel will run, at least 1 (the boot CPU
// alone when there is no MADT or the boot CPU is not in it).
u32 discover_cpus(u64 rsdp_pa);

// The APIC ID of CPU `cpu` (after discover_cpus).
u32 apic_id_of(u32 cpu);

// hal::start_secondary_cpus: starts CPUs 1..count-1 one after the other, each
// running entry(cpu) on its own stack; returns once all have reported in.
void start_application_processors(void (*entry)(u32 cpu));

}  // namespace kernel::x86
