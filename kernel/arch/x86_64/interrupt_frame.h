// The frame interrupt_entry.S builds on every kernel entry (an exception, or
// SYSCALL) is the generic kernel::TrapFrame (kernel/hal/trap_frame.h): the
// general registers the stubs push, the vector and error code (0 for vectors
// without one), and what the CPU pushed (SDM 6.14.2, figure 6-9), lowest
// address first, as on the stack. The assembly names its offsets through
// boot_constants.h; this header checks them.
#pragma once

#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/hal/trap_frame.h"

namespace kernel::x86 {

static_assert(sizeof(TrapFrame) == TRAP_FRAME_BYTES, "interrupt_entry.S pushes 17 quadwords, the CPU 5");
static_assert(__builtin_offsetof(TrapFrame, rip) == TRAP_FRAME_RIP);
static_assert(__builtin_offsetof(TrapFrame, cs) == TRAP_FRAME_CS);
static_assert(__builtin_offsetof(TrapFrame, rflags) == TRAP_FRAME_RFLAGS);
static_assert(__builtin_offsetof(TrapFrame, rsp) == TRAP_FRAME_RSP);
static_assert(kernel::selector::kUserCode == USER_CODE_SELECTOR && kernel::selector::kUserData == USER_DATA_SELECTOR);
static_assert(sizeof(TrapFrame) % 16 == 0, "a frame at a 16-byte aligned stack top keeps calls aligned");

inline constexpr unsigned kExceptionVectors = 32;

}  // namespace kernel::x86
