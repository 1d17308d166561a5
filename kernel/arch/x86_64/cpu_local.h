// The per-CPU area of the qemu build, reached through the GS base
// (IA32_GS_BASE, SDM Vol. 3A 3.4.4: in 64-bit mode a GS override adds the
// MSR's base), so hal::current_cpu() is one GS-relative load with no table
// lookup and no lock. Each CPU writes its own area's address once, in
// entry.cpp (boot CPU) or smp.cpp (application processors), before anything
// that may take a spinlock (spinlock.h asks current_cpu() for the owner).
// User mode and SWAPGS come with the syscall step of issue 7.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

struct CpuLocal {
    CpuLocal* self;  // the area's own address: %gs:0 gives a plain pointer
    u32 cpu;         // kernel CPU number: 0 the boot CPU, then MADT order
    u32 apic_id;     // the local APIC ID (ACPI MADT)
};
inline constexpr u64 kCpuLocalCpuOffset = 8;

// Points this CPU's GS base at CPU `cpu`'s area. Any later write of a selector
// to %gs zeroes the base again (SDM 3.4.4), so it runs after the GDT load.
void install_cpu_local(u32 cpu, u32 apic_id);

inline u32 this_cpu() {
    static_assert(kCpuLocalCpuOffset == __builtin_offsetof(CpuLocal, cpu));
    u32 cpu;
    asm volatile("movl %%gs:%c1, %0" : "=r"(cpu) : "i"(kCpuLocalCpuOffset));
    return cpu;
}

}  // namespace kernel::x86
