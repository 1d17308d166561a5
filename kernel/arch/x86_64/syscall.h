// SYSCALL/SYSRET and the checks on every return to user mode (syscall.cpp).
#pragma once

#include "kernel/hal/trap_frame.h"

namespace kernel::x86 {

// This CPU: EFER.SCE, IA32_STAR, IA32_LSTAR and IA32_FMASK.
void init_syscall();

// Before the CPU resumes user mode from `frame` (after a syscall or a user
// exception, and in enter_user): RFLAGS limited to what user code may hold,
// the user selectors, and a canonical RIP (else the process gets SIGSEGV, as
// Linux's bad IRET fixup gives it). Returns whether SYSRET may resume it.
bool prepare_user_return(TrapFrame& frame);

}  // namespace kernel::x86
