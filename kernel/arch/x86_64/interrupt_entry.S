// Every way into the kernel and back out to user mode: the exception stubs
// (vectors 0-31), the interrupt stubs (vectors 32-255), the SYSCALL entry,
// and hal::enter_user's first return to user mode. Each entry makes the stack
// a kernel::TrapFrame (interrupt_frame.h) and calls C++ (exception.cpp,
// syscall.cpp); the frame as the handler left it is what the CPU returns to.
//
// Exceptions: the CPU pushes an error code for some vectors only (SDM 6.15,
// table 6-1: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX); the others push
// 0, so every frame has the same shape. In 64-bit mode the CPU aligns RSP to
// 16 bytes before pushing its 5 quadwords (SDM 6.14.2); with the 2 + 15 pushed
// here the frame is 176 bytes, so the call below is made with RSP 16-byte
// aligned, as the ABI wants. An entry from user mode (the saved CS has RPL 3)
// arrives on the TSS's RSP0 stack, the running context's kernel stack top.
//
// GS: in the kernel IA32_GS_BASE points to the per-CPU area (cpu_local.h);
// in user mode it holds the user's base and IA32_KERNEL_GS_BASE the area.
// SWAPGS exchanges them (SDM Vol. 2B SWAPGS), so it runs first on every entry
// from user mode and last before every return to it, and never for an entry
// from kernel mode. NMI, #MC and #DF use the same rule: they could arrive
// between a SWAPGS and the SYSRET/IRETQ after it, where the rule guesses wrong,
// but all three end in a panic in this kernel anyway.
//
// Interrupts stay off in the kernel: the gates are interrupt gates (IF cleared)
// and IA32_FMASK clears IF on SYSCALL; user mode runs with IF set (every
// return to it goes through prepare_user_return, syscall.cpp), so the one
// interrupt source, the local APIC timer (timer.cpp), interrupts user code
// only, but for hal::cpu_idle's STI; HLT.
//
// Interrupts (vectors 32-255) build the same frame, with error code 0, and
// call x86_interrupt_dispatch (exception.cpp), which sends the EOI and may
// switch kernel contexts inside kernel::on_interrupt: the frame stays on this
// context's stack, so whenever the context resumes, on whatever CPU, it
// returns through return_from_trap as any entry does. The CPU's own RSP0
// switch (SDM 6.14.2) put an entry from user mode at the top of the running
// context's kernel stack (TSS.RSP0, which context_switch keeps); an entry
// from kernel mode (cpu_idle) stays on the current stack, 16-byte aligned.
#include "kernel/arch/x86_64/boot_constants.h"

.macro PUSH_GENERAL_REGISTERS
        pushq %rax
        pushq %rbx
        pushq %rcx
        pushq %rdx
        pushq %rsi
        pushq %rdi
        pushq %rbp
        pushq %r8
        pushq %r9
        pushq %r10
        pushq %r11
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
.endm

.macro POP_GENERAL_REGISTERS
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %r11
        popq %r10
        popq %r9
        popq %r8
        popq %rbp
        popq %rdi
        popq %rsi
        popq %rdx
        popq %rcx
        popq %rbx
        popq %rax
.endm

.macro EXCEPTION_STUB vector
        .balign 16
exception_stub_\vector:
        .if !(\vector == 8 || (\vector >= 10 && \vector <= 14) || \vector == 17 || \vector == 21 || \vector == 29 || \vector == 30)
        pushq $0
        .endif
        pushq $\vector
        jmp exception_common
.endm

        .text
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        EXCEPTION_STUB \v
        .endr

exception_common:
        // Vector at 0(%rsp), error code at 8, then RIP and CS.
        testb $3, 24(%rsp)
        jz 1f
        swapgs
1:      PUSH_GENERAL_REGISTERS
        movq %rsp, %rdi
        cld                              // the ABI's direction flag
        call x86_exception_dispatch
        // Fall through: return to the frame.

// The frame at %rsp back to where its CS says (kernel or user mode).
return_from_trap:
        POP_GENERAL_REGISTERS
        addq $16, %rsp                   // vector and error code
        testb $3, 8(%rsp)                // the CS IRETQ is about to load
        jz 2f
        swapgs
2:      iretq

// ---------------------------------------------------------------- interrupts
// One 16-byte stub per vector 32-255 (idt.cpp finds stub v at
// x86_interrupt_stubs + 16 * (v - 32)): error code 0, the vector, the common
// path. PUSH imm32 sign-extends, so vectors 128-255 are pushed as themselves.
        .balign 16
        .globl x86_interrupt_stubs
x86_interrupt_stubs:
        .set irq_vector, 32
        .rept 224
1:      pushq $0
        pushq $irq_vector
        jmp interrupt_common
        .org 1b + 16, 0xcc               // exactly 16 bytes (the assembler fails if longer)
        .set irq_vector, irq_vector + 1
        .endr

interrupt_common:
        testb $3, 24(%rsp)               // the saved CS: from user mode?
        jz 1f
        swapgs
1:      PUSH_GENERAL_REGISTERS
        movq %rsp, %rdi
        cld
        call x86_interrupt_dispatch
        jmp return_from_trap

// ---------------------------------------------------------------- SYSCALL
// SYSCALL (SDM Vol. 2B): RIP -> RCX, RFLAGS -> R11, CS/SS from IA32_STAR,
// RFLAGS &= ~IA32_FMASK (IF, DF, TF, AC, NT), RSP unchanged: still the user's,
// so nothing may touch the stack before it is switched. The per-CPU area holds
// the running context's kernel stack top; the user RSP waits in the area until
// the frame takes it.
        .balign 16
        .globl x86_syscall_entry
x86_syscall_entry:
        swapgs
        movq %rsp, %gs:CPU_LOCAL_USER_RSP
        movq %gs:CPU_LOCAL_KERNEL_STACK, %rsp
        pushq $USER_DATA_SELECTOR        // ss
        pushq %gs:CPU_LOCAL_USER_RSP     // rsp
        pushq %r11                       // rflags
        pushq $USER_CODE_SELECTOR        // cs
        pushq %rcx                       // rip
        pushq $0                         // error code
        pushq $0                         // vector: 0 for a system call, as the sim build
        PUSH_GENERAL_REGISTERS
        movq %rsp, %rdi
        call x86_syscall_dispatch        // nonzero: the frame may return with SYSRET
        testl %eax, %eax
        jz return_from_trap
        // SYSRET (SDM Vol. 2B): RIP <- RCX, RFLAGS <- R11, CS/SS from IA32_STAR.
        // x86_syscall_dispatch checked that RCX = RIP and R11 = RFLAGS in the
        // frame and that RIP is canonical: Intel CPUs raise the #GP of a
        // non-canonical RCX in ring 0 on the user's stack and GS (Linux's
        // CVE-2012-0217), so such frames take IRETQ (or never return at all).
        POP_GENERAL_REGISTERS
        movq 16(%rsp), %rcx              // rip (the vector and error code are at 0 and 8)
        movq 32(%rsp), %r11              // rflags
        movq 40(%rsp), %rsp              // the user's stack: nothing may use the kernel stack now
        swapgs
        sysretq

// ---------------------------------------------------------------- enter_user
// x86_enter_user(frame, stack_top): copies the frame to the top of the
// running context's kernel stack, where every later entry from user mode
// builds its own, and returns to user mode from it. The copy runs from the last
// quadword down, as the frame may lie just below the top and overlap the copy
// (process_main's frame is on this very stack).
        .globl x86_enter_user
x86_enter_user:
        cli
        leaq -TRAP_FRAME_BYTES(%rsi), %rax
        movl $(TRAP_FRAME_BYTES / 8), %ecx
3:      movq -8(%rdi,%rcx,8), %rdx
        movq %rdx, -8(%rax,%rcx,8)
        decl %ecx
        jnz 3b
        movq %rax, %rsp
        xorl %ebp, %ebp
        jmp return_from_trap

// The stubs' addresses, for idt.cpp.
        .section .rodata
        .balign 8
        .globl x86_exception_stubs
x86_exception_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad exception_stub_\v
        .endr

        .section .note.GNU-stack, "", @progbits
