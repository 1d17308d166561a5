// hal::boot_info() of the qemu build, built once from the PVH start info and
// CPUID before boot_main runs.
//
// The memory map (memory_map.h): the firmware's E820 RAM and ACPI regions;
// inside RAM, the first MiB (real-mode area, BIOS data, the start info itself),
// the kernel image (its .bss holds the boot page tables and stacks) and every
// PVH module reserved. RAM beyond MAXPHYADDR or beyond what the boot direct map
// covers (boot_page_tables.h) is left out with a note on the console. One NUMA
// node (the ACPI SRAT is not read yet).
//
// The initramfs is the first PVH module (QEMU's -initrd), the command line
// PVH's cmdline (QEMU's -append), copied. CPUs: the ACPI MADT's (smp.h).
#pragma once

#include "kernel/arch/x86_64/cpu_features.h"
#include "kernel/arch/x86_64/pvh.h"
#include "kernel/hal/hal.h"

namespace kernel::x86 {

void init_boot_info(const pvh::HvmStartInfo& start, const CpuFeatures& cpu);

// The kernel image's physical extent, from the linker script's symbols.
PhysAddr image_phys_start();
PhysAddr image_phys_end();

}  // namespace kernel::x86
