// Constants shared by boot.S and the C++ of the qemu build: plain macros, so
// boot.S can include this file. The C++ side static_asserts that they agree
// with the values it owns (entry.cpp: layout and exit code; gdt.cpp: selectors).
#pragma once

// The kernel image window: the top 2 GiB (kernel/mm/layout.h), so -mcmodel=kernel
// code reaches every symbol with sign-extended 32-bit displacements. The image
// is linked at KERNEL_VIRT_BASE + its physical address (kernel.ld, which
// cannot include this file, repeats the value).
#define KERNEL_VIRT_BASE 0xffffffff80000000

// Top-level index of the direct map in both paging modes: 0xffff888000000000
// is PML4 entry 273, 0xff11000000000000 is PML5 entry 273.
#define DIRECT_MAP_TOP_INDEX 273

#define BOOT_CODE_SELECTOR 0x08
#define BOOT_DATA_SELECTOR 0x10
#define BOOT_STACK_BYTES (32 * 1024)

#define CR0_PE (1 << 0)
#define CR0_ET (1 << 4)
#define CR0_NE (1 << 5)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define CR4_LA57 (1 << 12)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)

// The application processors' real-mode trampoline (trampoline.S, smp.cpp):
// one page in the first MiB, which boot_info() keeps reserved and the
// firmware no longer uses once the kernel runs. A Start-up IPI's vector is the
// page number (SDM Vol. 3A 8.4.4.1: the AP starts at CS:IP = VV00:0000).
#define TRAMPOLINE_PA 0x8000
#define TRAMPOLINE_CODE32_SELECTOR 0x08
#define TRAMPOLINE_DATA_SELECTOR 0x10
#define TRAMPOLINE_CODE64_SELECTOR 0x18

#define QEMU_EXIT_PORT 0xf4
#define QEMU_EXIT_NO_LONG_MODE 0x13

// ---------------------------------------------------------------- trap entry (interrupt_entry.S)
// The user selectors (kernel/hal/trap_frame.h's selector namespace, gdt.h).
#define USER_DATA_SELECTOR 0x23
#define USER_CODE_SELECTOR 0x2b
// Offsets in the per-CPU area at the GS base (cpu_local.h's CpuLocal).
#define CPU_LOCAL_KERNEL_STACK 16   // top of the running context's kernel stack (= TSS.RSP0)
#define CPU_LOCAL_USER_RSP 24       // SYSCALL entry: the user RSP until it is in the frame
// kernel::TrapFrame: 15 general registers, vector, error code, then the CPU's
// five quadwords (trap_frame.h). Offsets from the frame's start.
#define TRAP_FRAME_BYTES (22 * 8)
#define TRAP_FRAME_RIP (17 * 8)
#define TRAP_FRAME_CS (18 * 8)
#define TRAP_FRAME_RFLAGS (19 * 8)
#define TRAP_FRAME_RSP (20 * 8)
