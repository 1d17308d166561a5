// The per-CPU area of the qemu build, reached through the GS base
// (IA32_GS_BASE, SDM Vol. 3A 3.4.4: in 64-bit mode a GS override adds the
// MSR's base), so hal::current_cpu() is one GS-relative load with no table
// lookup and no lock. Each CPU writes its own area's address once, in
// entry.cpp (boot CPU) or smp.cpp (application processors), before anything
// that may take a spinlock (spinlock.h asks current_cpu() for the owner).
//
// User mode: while user code runs, IA32_GS_BASE holds the user's GS base and
// IA32_KERNEL_GS_BASE this area's address; every entry from user mode (SYSCALL,
// an exception or interrupt whose saved CS has RPL 3) executes SWAPGS first and
// every return to user mode last (SDM Vol. 2B SWAPGS), so kernel code always
// finds this area at %gs:0.
#pragma once

#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/lib/types.h"

namespace hal {
struct KernelContext;
}

namespace kernel::x86 {

struct CpuLocal {
    CpuLocal* self;  // the area's own address: %gs:0 gives a plain pointer
    u32 cpu;         // kernel CPU number: 0 the boot CPU, then MADT order
    u32 apic_id;     // the local APIC ID (ACPI MADT)
    u64 kernel_stack;  // top of the running context's kernel stack: SYSCALL's stack, = TSS.RSP0
    u64 user_rsp;      // SYSCALL entry's scratch: the user RSP before the frame holds it
    hal::KernelContext* context;  // the context running on this CPU (context.cpp)
};
inline constexpr u64 kCpuLocalCpuOffset = 8;
static_assert(__builtin_offsetof(CpuLocal, kernel_stack) == CPU_LOCAL_KERNEL_STACK);
static_assert(__builtin_offsetof(CpuLocal, user_rsp) == CPU_LOCAL_USER_RSP);

// Points this CPU's GS base at CPU `cpu`'s area. Any later write of a selector
// to %gs zeroes the base again (SDM 3.4.4), so it runs after the GDT load.
void install_cpu_local(u32 cpu, u32 apic_id);

inline u32 this_cpu() {
    static_assert(kCpuLocalCpuOffset == __builtin_offsetof(CpuLocal, cpu));
    u32 cpu;
    asm volatile("movl %%gs:%c1, %0" : "=r"(cpu) : "i"(kCpuLocalCpuOffset));
    return cpu;
}

inline CpuLocal& this_cpu_local() {
    CpuLocal* self;
    asm volatile("movq %%gs:0, %0" : "=r"(self));
    return *self;
}

}  // namespace kernel::x86
