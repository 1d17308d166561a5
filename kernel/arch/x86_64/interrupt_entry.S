// Exception entry stubs (vectors 0-31): each makes the stack an InterruptFrame
// (interrupt_frame.h) and calls x86_handle_exception(frame).
//
// The CPU pushes an error code for some vectors only (SDM 6.15, table 6-1: #DF,
// #TS, #NP, #SS, #GP, #PF, #AC, #CP, #VC, #SX); the others push 0, so every frame
// has the same shape. In 64-bit mode the CPU aligns RSP to 16 bytes before
// pushing its 5 quadwords (SDM 6.14.2); with the 2 + 15 pushed here the frame is
// 176 bytes, so the call below is made with RSP 16-byte aligned, as the ABI wants.
// No SWAPGS yet: nothing runs in user mode and GS is unused (the syscall step
// adds it).

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
        movq %rsp, %rdi
        cld                              // the ABI's direction flag
        call x86_handle_exception
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
        addq $16, %rsp                   // vector and error code
        iretq

// The stubs' addresses, for idt.cpp.
        .section .rodata
        .balign 8
        .globl x86_exception_stubs
x86_exception_stubs:
        .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
        .quad exception_stub_\v
        .endr

        .section .note.GNU-stack, "", @progbits
