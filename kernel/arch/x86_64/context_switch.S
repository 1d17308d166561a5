// Kernel context switch (hal::context_switch, context.cpp): the System V ABI
// makes RBX, RBP, R12-R15 callee-saved, so a switch saves those six on the old
// stack, stores its RSP, loads the new one and pops the new context's six; the
// return address is the new context's own. Everything else the caller of
// context_switch already treats as clobbered. The kernel runs no SSE/x87 code
// (-mgeneral-regs-only), so no other state moves; the user's extended state is
// hal::xsave's business.

        .text
// void x86_switch_stacks(hal::KernelContext* from, u64 new_rsp): saves the
// running context into `from` (saved_rsp at offset 0), then marks it not
// running (running_on at offset 16) so another CPU may resume it: x86 orders
// the two stores (SDM Vol. 3A 8.2.2, stores are not reordered with other
// stores), so whoever sees running_on = 0 finds saved_rsp written.
        .globl x86_switch_stacks
x86_switch_stacks:
        pushq %rbp
        pushq %rbx
        pushq %r12
        pushq %r13
        pushq %r14
        pushq %r15
        movq %rsp, 0(%rdi)
        movl $0, 16(%rdi)
        movq %rsi, %rsp
        popq %r15
        popq %r14
        popq %r13
        popq %r12
        popq %rbx
        popq %rbp
        ret

// Where a new context starts: context_create leaves a switch frame whose
// return address is this, with entry in R12 and its argument in R13, and RSP
// 16-byte aligned once the return address is popped, so the call below enters
// entry with the alignment the ABI promises.
        .globl x86_context_start
x86_context_start:
        xorl %ebp, %ebp                  // the end of every backtrace
        movq %r13, %rdi
        call *%r12
        call x86_context_returned        // entry must not return (hal.h)
1:      hlt
        jmp 1b

        .section .note.GNU-stack, "", @progbits
