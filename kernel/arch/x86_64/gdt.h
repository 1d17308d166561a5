// Segments in 64-bit mode: the GDT and the TSS (SDM Vol. 3A 3.4.5, 7.7).
//
// Only a few descriptor fields still matter in long mode: the code segment's
// L bit and DPL, and the TSS, which holds the stack pointers the CPU switches
// to: RSP0 for entries from user mode, and the interrupt stack table (IST),
// whose stacks a gate can demand whatever the current stack's state (SDM
// 6.14.5). #DF, NMI and #MC use IST stacks, as in Linux, because they can
// arrive with a broken or half-switched kernel stack.
//
// The selectors follow SYSCALL/SYSRET's fixed order (SDM Vol. 2B SYSRET), so the
// syscall path (syscall.cpp) only has to program IA32_STAR: kernel code, kernel data (= +8),
// then a base for SYSRET at 0x18 with user data at +8 and 64-bit user code at +16.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

namespace selector {
inline constexpr u16 kKernelCode = 0x08;
inline constexpr u16 kKernelData = 0x10;
inline constexpr u16 kUserData = 0x20 | 3;
inline constexpr u16 kUserCode = 0x28 | 3;
inline constexpr u16 kTss = 0x30;
}  // namespace selector

// IST slots (1-based, as an IDT gate names them; 0 = no stack switch).
inline constexpr u8 kIstDoubleFault = 1;
inline constexpr u8 kIstNmi = 2;
inline constexpr u8 kIstMachineCheck = 3;

// Loads CPU `cpu`'s own GDT and TSS (with its own IST stacks) and reloads
// every segment register; %gs's base is zero afterwards (cpu_local.h).
void load_gdt_and_tss(u32 cpu);

// TSS.RSP0 of CPU `cpu`: the stack the CPU switches to on an interrupt or
// exception from user mode (SDM 6.14.2). context.cpp keeps it at the running
// context's kernel stack top.
void set_kernel_stack(u32 cpu, u64 top);

}  // namespace kernel::x86
