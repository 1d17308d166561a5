// The application processors' first instructions: a Start-up IPI starts an AP
// in real mode at TRAMPOLINE_PA (CS = TRAMPOLINE_PA >> 4, IP = 0; SDM Vol. 3A
// 8.4.4.1). smp.cpp copies [x86_trampoline_start, x86_trampoline_end) there and
// fills the parameter block at its end before each AP's INIT-SIPI-SIPI.
//
// The path is the SDM's (9.9.1 real -> protected mode, 10.8.5 -> IA-32e mode):
// a flat GDT of its own, CR0.PE, then CR4.PAE (and LA57 when the boot CPU
// runs 5-level paging: it cannot change in IA-32e mode), CR3, EFER.LME and
// CR0.PG. CR3 is loaded by a 32-bit MOV, so the root must lie below 4 GiB:
// it is boot.S's root in the image (at 16 MiB), with its identity map put back
// for the bring-up (boot_page_tables.h), not the kernel's own root, which pmm
// may have put anywhere. In 64-bit mode the AP jumps to x86_ap_entry in the
// higher half, which moves it onto the kernel's real GDT, IDT, GS base and,
// through secondary_main, the kernel's address space.
//
// Everything is addressed by its absolute physical address: the code runs at
// TRAMPOLINE_PA, not where it is linked, and DS = 0 reaches the page in real
// mode (TRAMPOLINE_PA < 64 KiB).
#include "kernel/arch/x86_64/boot_constants.h"

#define ABS(symbol) (TRAMPOLINE_PA + (symbol) - x86_trampoline_start)

        .section .rodata.trampoline, "a"
        .balign 16
        .globl x86_trampoline_start, x86_trampoline_end, x86_trampoline_params
        .code16
x86_trampoline_start:
        cli
        cld
        xorw %ax, %ax
        movw %ax, %ds
        lgdtl ABS(trampoline_gdt_pointer)
        movl %cr0, %eax
        orl $1, %eax                     // CR0.PE
        movl %eax, %cr0
        ljmpl $TRAMPOLINE_CODE32_SELECTOR, $ABS(protected_mode)

        .code32
protected_mode:
        movl $TRAMPOLINE_DATA_SELECTOR, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        movl ABS(param_cr4), %eax
        movl %eax, %cr4
        movl ABS(param_cr3), %eax
        movl %eax, %cr3
        movl $MSR_EFER, %ecx
        rdmsr
        orl $EFER_LME, %eax
        wrmsr
        // A whole CR0, not an OR: INIT leaves CR0 = 60000010H (SDM Vol. 3A
        // 9.1.1), caches disabled (CD, NW); clear them as the boot CPU runs.
        movl $(CR0_PG | CR0_WP | CR0_NE | CR0_ET | CR0_PE), %eax
        movl %eax, %cr0
        ljmpl $TRAMPOLINE_CODE64_SELECTOR, $ABS(long_mode)

        .code64
long_mode:
        // Still in the identity map: take the parameters, then leave it.
        movq ABS(param_stack), %rsp
        movl ABS(param_cpu), %edi
        movq ABS(param_entry), %rax
        xorl %ebp, %ebp                  // the end of every backtrace
        jmpq *%rax

        .balign 16
trampoline_gdt:
        .quad 0
        .quad 0x00cf9a000000ffff         // 0x08: 32-bit flat code, DPL 0 (SDM 3.4.5)
        .quad 0x00cf92000000ffff         // 0x10: flat data
        .quad 0x00af9a000000ffff         // 0x18: 64-bit code
trampoline_gdt_end:
trampoline_gdt_pointer:
        .word trampoline_gdt_end - trampoline_gdt - 1
        .long ABS(trampoline_gdt)

// The parameter block (smp.cpp's TrampolineParams, same order).
        .balign 8
x86_trampoline_params:
param_cr3:      .long 0
param_cr4:      .long 0
param_stack:    .quad 0
param_entry:    .quad 0
param_cpu:      .long 0
                .long 0
x86_trampoline_end:

        .section .note.GNU-stack, "", @progbits
