// The copy routines of hal::copy_from_user and friends (uaccess.h). Each
// returns with RFLAGS.AC clear on every path. x86_uaccess_smap (a byte, set
// by uaccess.cpp) says whether STAC/CLAC may run: without CR4.SMAP (and
// without the CPU feature, where they #UD) AC does not matter for paging.
//
// Register use follows the System V ABI: arguments in RDI, RSI, RDX, result in
// RAX; RCX, RSI, RDI are scratch, and DF is clear on entry (the ABI).

// One exception-table entry: a #PF at `insn` resumes at `fixup`.
.macro EXTABLE insn, fixup
        .pushsection .ex_table, "a"
        .balign 8
        .quad \insn, \fixup
        .popsection
.endm

.macro USER_ACCESS_BEGIN
        testb $1, x86_uaccess_smap(%rip)
        jz 91f
        stac
91:
.endm

.macro USER_ACCESS_END
        testb $1, x86_uaccess_smap(%rip)
        jz 92f
        clac
92:
.endm

        .text
// usize x86_copy_user(void* dst, const void* src, usize n): either side is the
// user's (copy_from_user: src; copy_to_user: dst); returns the bytes not copied.
        .globl x86_copy_user
x86_copy_user:
        movq %rdx, %rcx
        USER_ACCESS_BEGIN
1:      rep movsb
        USER_ACCESS_END
        movq %rcx, %rax                  // 0, or what a fault left (see the fixup)
        ret
2:      USER_ACCESS_END                  // the fault's fixup: RCX counts what is left
        movq %rcx, %rax
        ret
        EXTABLE 1b, 2b

// usize x86_clear_user(void* dst, usize n): returns the bytes not cleared.
        .globl x86_clear_user
x86_clear_user:
        movq %rsi, %rcx
        xorl %eax, %eax
        USER_ACCESS_BEGIN
3:      rep stosb
        USER_ACCESS_END
        movq %rcx, %rax
        ret
4:      USER_ACCESS_END
        movq %rcx, %rax
        ret
        EXTABLE 3b, 4b

// i64 x86_strncpy_user(char* dst, const char* src, usize n): copies bytes up to
// and including a NUL, at most n; returns the length without the NUL, n when
// no NUL came, or -1 on a fault.
        .globl x86_strncpy_user
x86_strncpy_user:
        xorl %eax, %eax                  // bytes copied so far
        USER_ACCESS_BEGIN
5:      cmpq %rdx, %rax
        jae 7f
6:      movb (%rsi,%rax), %cl
        movb %cl, (%rdi,%rax)
        testb %cl, %cl
        jz 8f
        incq %rax
        jmp 5b
7:      movq %rdx, %rax                  // n bytes, no NUL
8:      USER_ACCESS_END
        ret
9:      USER_ACCESS_END
        movq $-1, %rax
        ret
        EXTABLE 6b, 9b

// u8 x86_kernel_load_byte(const u8* address): a plain kernel load with AC as
// the kernel runs (clear), for hal::smap_violation_probe. Listed nowhere:
// SMAP faults it and the #PF handler must treat it as the bug it imitates.
        .globl x86_kernel_load_byte
x86_kernel_load_byte:
        movzbl (%rdi), %eax
        ret

// int x86_user_cmpxchg32(u32* user, u32 expected, u32 desired, u32* old):
// LOCK CMPXCHG on the user word; 0 with *old set, or 1 when it faulted.
        .globl x86_user_cmpxchg32
x86_user_cmpxchg32:
        movl %esi, %eax
        USER_ACCESS_BEGIN
5:      lock cmpxchgl %edx, (%rdi)
        USER_ACCESS_END
        movl %eax, (%rcx)
        xorl %eax, %eax
        ret
6:      USER_ACCESS_END
        movl $1, %eax
        ret
        EXTABLE 5b, 6b

        .section .note.GNU-stack, "", @progbits
