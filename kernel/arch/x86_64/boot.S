// The first instructions of the qemu build: from the PVH entry (32-bit protected
// mode, paging off) to 64-bit C++ in the higher half.
//
// Why PVH: Debian's QEMU 7.2 boots an ELF64 with a XEN_ELFNOTE_PHYS32_ENTRY note
// directly with -kernel (hw/i386/x86.c load_elfboot); a Multiboot1 header in an
// ELF64 is refused ("Cannot load x86-64 image, give a 32bit one") and
// Multiboot2 is not offered by -kernel at all. The PVH ABI (Xen's
// docs/misc/pvh.pandoc): CR0.PE=1, CR0.PG=0, flat 32-bit CS/DS, interrupts
// off, %ebx = physical address of struct hvm_start_info.
//
// What this file builds (boot page tables, all 2 MiB leaves, in .bss):
//   identity    [0, 4 GiB)                  -> [0, 4 GiB)   only for the switch below;
//                                                            entry.cpp drops it
//   direct map  layout().direct_map_base    -> [0, 4 GiB)   as kernel/mm/layout.h
//   image       0xffffffff80000000 + [0, 1 GiB) -> [0, 1 GiB)
// One PML4 (boot_pml4) serves both paging modes: its entry 0 is the identity,
// 273 the 4-level direct map (0xffff888000000000) and 511 the image. With
// LA57 (CPUID.(7,0):ECX[16]) the root is boot_pml5, whose entries 0, 273
// (0xff11000000000000, the 5-level direct map) and 511 all point to boot_pml4;
// CR4.LA57 can only be set before paging is on (SDM 4.1.1), so the mode is
// chosen here, once, and boot_info() reports what is in force.
#include "kernel/arch/x86_64/boot_constants.h"

#define PHYS(symbol) ((symbol) - KERNEL_VIRT_BASE)
#define PTE_TABLE 0x3        // present, writable
#define PTE_LARGE 0x83       // present, writable, PS (2 MiB)

// ---------------------------------------------------------------- the PVH note
// QEMU reads the descriptor as a 64-bit value when the ELF is 64-bit
// (read_pvh_start_addr), as Linux's .quad. Notes are 4-byte aligned: QEMU
// aligns the name to the PT_NOTE segment's p_align.
        .section .note.Xen, "a", @note
        .balign 4
        .long 4                          // name size ("Xen\0")
        .long 8                          // descriptor size
        .long 18                         // XEN_ELFNOTE_PHYS32_ENTRY
        .asciz "Xen"
        .balign 4
        .quad PHYS(pvh_start)
        .balign 4

// ---------------------------------------------------------------- 32-bit entry
        .section .text.boot, "ax"
        .code32
        .globl pvh_start
pvh_start:
        cli
        cld
        movl %ebx, %esi                  // hvm_start_info: %esi survives CPUID and the C++ call
        lgdt PHYS(boot_gdt_pointer)
        movl $BOOT_DATA_SELECTOR, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss

        // .bss first: the boot page tables and the stack live there, and the
        // PVH ABI does not promise it zeroed.
        movl $PHYS(__bss_start), %edi
        movl $PHYS(__bss_end), %ecx
        subl %edi, %ecx
        xorl %eax, %eax
        rep stosb
        movl $PHYS(boot_stack_top), %esp

        // Long mode: CPUID.80000001H:EDX[29] (SDM Vol. 2A CPUID).
        movl $0x80000000, %eax
        cpuid
        cmpl $0x80000001, %eax
        jb no_long_mode
        movl $0x80000001, %eax
        cpuid
        btl $29, %edx
        jnc no_long_mode

        // %ebp = 1 when the CPU offers 5-level paging.
        xorl %ebp, %ebp
        xorl %eax, %eax
        cpuid
        cmpl $7, %eax
        jb 1f
        movl $7, %eax
        xorl %ecx, %ecx
        cpuid
        btl $16, %ecx
        jnc 1f
        movl $1, %ebp
1:
        // 2048 2 MiB leaves: [0, 4 GiB). Every frame address fits in 32 bits,
        // so the high halves stay zero from the .bss clear.
        movl $PHYS(boot_pd), %edi
        xorl %ecx, %ecx
2:      movl %ecx, %eax
        shll $21, %eax
        orl $PTE_LARGE, %eax
        movl %eax, (%edi,%ecx,8)
        incl %ecx
        cmpl $2048, %ecx
        jb 2b

        movl $(PHYS(boot_pd) + PTE_TABLE), PHYS(boot_pdpt_low) + 0 * 8
        movl $(PHYS(boot_pd) + 1 * 4096 + PTE_TABLE), PHYS(boot_pdpt_low) + 1 * 8
        movl $(PHYS(boot_pd) + 2 * 4096 + PTE_TABLE), PHYS(boot_pdpt_low) + 2 * 8
        movl $(PHYS(boot_pd) + 3 * 4096 + PTE_TABLE), PHYS(boot_pdpt_low) + 3 * 8
        // 0xffffffff80000000 is PDPT entry 510 of PML4 entry 511.
        movl $(PHYS(boot_pd) + PTE_TABLE), PHYS(boot_pdpt_high) + 510 * 8
        movl $(PHYS(boot_pdpt_low) + PTE_TABLE), PHYS(boot_pml4) + 0 * 8
        movl $(PHYS(boot_pdpt_low) + PTE_TABLE), PHYS(boot_pml4) + DIRECT_MAP_TOP_INDEX * 8
        movl $(PHYS(boot_pdpt_high) + PTE_TABLE), PHYS(boot_pml4) + 511 * 8

        movl %cr4, %eax
        orl $CR4_PAE, %eax
        movl $PHYS(boot_pml4), %edx
        testl %ebp, %ebp
        jz 3f
        movl $(PHYS(boot_pml4) + PTE_TABLE), PHYS(boot_pml5) + 0 * 8
        movl $(PHYS(boot_pml4) + PTE_TABLE), PHYS(boot_pml5) + DIRECT_MAP_TOP_INDEX * 8
        movl $(PHYS(boot_pml4) + PTE_TABLE), PHYS(boot_pml5) + 511 * 8
        orl $CR4_LA57, %eax
        movl $PHYS(boot_pml5), %edx
3:      movl %eax, %cr4
        movl %edx, %cr3

        // IA32_EFER.LME, then CR0.PG activates IA-32e mode (SDM 10.8.5). CR0.WP
        // makes supervisor writes honour read-only pages from the start.
        movl $MSR_EFER, %ecx
        rdmsr
        orl $EFER_LME, %eax
        wrmsr
        movl %cr0, %eax
        orl $(CR0_PG | CR0_WP), %eax
        movl %eax, %cr0
        ljmp $BOOT_CODE_SELECTOR, $PHYS(long_mode_identity)

no_long_mode:
        movl $QEMU_EXIT_NO_LONG_MODE, %eax
        outl %eax, $QEMU_EXIT_PORT
4:      hlt
        jmp 4b

// ---------------------------------------------------------------- 64-bit entry
        .code64
long_mode_identity:
        // Still at the physical address: leave for the link address at once.
        movabsq $higher_half, %rax
        jmpq *%rax

        .text
higher_half:
        movl $BOOT_DATA_SELECTOR, %eax
        movl %eax, %ds
        movl %eax, %es
        movl %eax, %ss
        xorl %eax, %eax
        movl %eax, %fs
        movl %eax, %gs
        leaq boot_stack_top(%rip), %rsp
        xorl %ebp, %ebp                  // the end of every backtrace
        movl %esi, %edi                  // hvm_start_info's physical address (below 4 GiB)
        call x86_64_boot_entry           // never returns
5:      cli
        hlt
        jmp 5b

// ---------------------------------------------------------------- boot GDT
// Only for the switch: entry.cpp loads the real GDT (gdt.cpp) first thing. Its
// kernel selectors are the same, so the segment registers stay valid across.
        .section .rodata
        .balign 16
boot_gdt:
        .quad 0
        .quad 0x00af9a000000ffff         // BOOT_CODE_SELECTOR: 64-bit code, DPL 0 (SDM 3.4.5)
        .quad 0x00cf92000000ffff         // BOOT_DATA_SELECTOR: flat data, DPL 0
boot_gdt_end:
boot_gdt_pointer:
        .word boot_gdt_end - boot_gdt - 1
        .long PHYS(boot_gdt)

// ---------------------------------------------------------------- tables and stack
        .section .bss
        .balign 4096
        .globl boot_pml5, boot_pml4, boot_pdpt_low, boot_pdpt_high, boot_pd
boot_pml5:      .skip 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096               // identity and direct map: one PDPT for both
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096           // [0, 4 GiB) in 2 MiB leaves
        .globl boot_stack_top
boot_stack:     .skip BOOT_STACK_BYTES
boot_stack_top:

        .section .note.GNU-stack, "", @progbits
