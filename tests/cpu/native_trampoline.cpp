// The native side's trampoline, as a top-level asm block (the build enables
// no assembler language): it runs generated instruction bytes on the host CPU
// between a prologue that loads every GPR and RFLAGS from a NativeRegs block
// and an epilogue that stores them back (tests/cpu/native_runner.h). The
// generated code ends with "jmp [rip+0]" and the address of simx_native_exit.
//
// NativeRegs: gpr[16] in encoding order (RAX, RCX, ..., R15), then RFLAGS,
// then (at offset 144) an FXSAVE64 image: the x87 and SSE state is loaded
// with FXRSTOR64 before the code and saved after it; the host's own state is
// kept in simx_native_host_fx meanwhile.
asm(R"(
    .intel_syntax noprefix
    .text

    .globl simx_native_enter
    .type simx_native_enter, @function
# void simx_native_enter(NativeRegs* regs, const void* code)
simx_native_enter:
    push rbx
    push rbp
    push r12
    push r13
    push r14
    push r15
    mov [rip + simx_native_host_rsp], rsp
    mov [rip + simx_native_regs], rdi
    mov [rip + simx_native_code], rsi
    fxsave64 [rip + simx_native_host_fx]
    fxrstor64 [rdi + 144]
    mov rsp, rdi
    pop rax
    pop rcx
    pop rdx
    pop rbx
    lea rsp, [rsp + 8]          # the RSP slot is loaded last
    pop rbp
    pop rsi
    pop rdi
    pop r8
    pop r9
    pop r10
    pop r11
    pop r12
    pop r13
    pop r14
    pop r15
    popfq
    mov rsp, [rsp - 13 * 8]     # slot 4, without touching the flags
    jmp [rip + simx_native_code]
    .size simx_native_enter, . - simx_native_enter

    .globl simx_native_exit
    .type simx_native_exit, @function
simx_native_exit:
    mov [rip + simx_native_guest_rsp], rsp
    mov rsp, [rip + simx_native_regs]
    lea rsp, [rsp + 17 * 8]
    pushfq
    cld                         # the host ABI needs DF clear
    push r15
    push r14
    push r13
    push r12
    push r11
    push r10
    push r9
    push r8
    push rdi
    push rsi
    push rbp
    push rax                    # RSP slot, overwritten below
    push rbx
    push rdx
    push rcx
    push rax
    mov rax, [rip + simx_native_guest_rsp]
    mov [rsp + 4 * 8], rax
    fxsave64 [rsp + 144]
    fxrstor64 [rip + simx_native_host_fx]
    mov rsp, [rip + simx_native_host_rsp]
    pushfq                      # the host needs AC (alignment checks) clear too
    and qword ptr [rsp], ~0x44400   # AC, NT, DF
    popfq
    pop r15
    pop r14
    pop r13
    pop r12
    pop rbp
    pop rbx
    ret
    .size simx_native_exit, . - simx_native_exit

    .bss
    .balign 16
    .globl simx_native_host_fx
simx_native_host_fx: .zero 512
simx_native_host_rsp: .quad 0
simx_native_regs: .quad 0
simx_native_code: .quad 0
simx_native_guest_rsp: .quad 0

    .att_syntax prefix
    .text
)");
