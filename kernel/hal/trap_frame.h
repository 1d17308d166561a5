// The registers of a thread of control at a kernel entry (DESIGN.md "The HAL
// and the trap ABI"): what kernel::on_syscall, on_exception and on_interrupt
// receive, and what hal::enter_user resumes user mode from.
//
// The layout is the qemu build's stack frame (lowest address first): the
// general registers its entry stubs push, the vector and error code, then what
// the CPU pushes on an interrupt (SDM Vol. 3A 6.14.2, figure 6-9). The sim
// build's interpreter fills the same fields. A handler may change any field;
// the CPU returns to user mode from the frame as the handler left it.
//
// After SYSCALL (SDM Vol. 2B): RCX holds the return RIP and R11 the RFLAGS,
// as the instruction left them; rip/rflags hold the same values, so a handler
// reads and writes rip/rflags only. FS and GS bases are not in the frame: the
// kernel keeps a thread's in its own state and loads them with
// hal::set_user_fs_base / set_user_gs_base.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

// Segment selectors, in SYSCALL/SYSRET's fixed order (SDM Vol. 2B SYSRET): the
// kernel's code and data, then a base at 0x18 with user data at +8 and 64-bit
// user code at +16, requested privilege level 3.
namespace selector {
inline constexpr u16 kKernelCode = 0x08;
inline constexpr u16 kKernelData = 0x10;
inline constexpr u16 kUserData = 0x20 | 3;
inline constexpr u16 kUserCode = 0x28 | 3;
}  // namespace selector

struct TrapFrame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector;
    u64 error_code;
    u64 rip, cs, rflags, rsp, ss;

    bool from_user() const { return (cs & 3) == 3; }

    // The Linux x86-64 syscall ABI: number in RAX, arguments in RDI, RSI, RDX,
    // R10, R8, R9, result in RAX.
    u64 syscall_number() const { return rax; }
    u64 syscall_arg(unsigned i) const {
        switch (i) {
            case 0: return rdi;
            case 1: return rsi;
            case 2: return rdx;
            case 3: return r10;
            case 4: return r8;
            default: return r9;
        }
    }
};
static_assert(sizeof(TrapFrame) == 22 * 8, "15 general registers, vector, error code and the CPU's 5 quadwords");

// RFLAGS a new user thread starts with: IF and the always-one bit 1.
inline constexpr u64 kUserInitialRflags = 0x202;

}  // namespace kernel
