// The frame interrupt_entry.S builds on every exception: the general registers
// it saves, the vector and error code (0 for vectors without one), and what the
// CPU pushed (SDM 6.14.2, figure 6-9). Lowest address first, as on the stack.
//
// It carries what the generic kernel::TrapFrame will (DESIGN.md "The HAL and the
// trap ABI"); when that type lands with the syscall path, the stubs build it
// and exceptions go to kernel::on_exception. Until then x86_handle_exception
// reports and panics: this kernel takes no exception on purpose yet.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86 {

struct InterruptFrame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector;
    u64 error_code;
    u64 rip, cs, rflags, rsp, ss;
};
static_assert(sizeof(InterruptFrame) == 22 * 8, "interrupt_entry.S pushes 17 quadwords, the CPU 5");

inline constexpr unsigned kExceptionVectors = 32;

}  // namespace kernel::x86
