// The SYSCALL path of the qemu build (SDM Vol. 2B SYSCALL, SYSRET; Vol. 3A
// 5.8.8): interrupt_entry.S's x86_syscall_entry builds the TrapFrame on the
// running context's kernel stack and calls x86_syscall_dispatch, which runs
// kernel::on_syscall and says whether SYSRET may return.
#include "kernel/arch/x86_64/syscall.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/layout.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal_numbers.h"

extern "C" void x86_syscall_entry();

namespace kernel::x86 {
namespace {

// RFLAGS bits (SDM Vol. 1 3.4.3).
constexpr u64 kCf = 1u << 0, kFixed1 = 1u << 1, kPf = 1u << 2, kAf = 1u << 4, kZf = 1u << 6, kSf = 1u << 7,
              kTf = 1u << 8, kIf = 1u << 9, kDf = 1u << 10, kOf = 1u << 11, kNt = 1u << 14, kRf = 1u << 16,
              kAc = 1u << 18, kId = 1u << 21;
// What user code may set (Linux's FIX_EFLAGS): never IOPL, VM, VIF/VIP or NT;
// IF is always on in user mode.
constexpr u64 kUserFlags = kCf | kPf | kAf | kZf | kSf | kTf | kDf | kOf | kRf | kAc | kId;

// SYSRET's selectors come from IA32_STAR[63:48]: SS = base + 8, CS = base + 16,
// both with RPL 3 (SDM Vol. 2B SYSRET); SYSCALL's from [47:32]: CS = base,
// SS = base + 8. gdt.h orders the GDT for exactly this.
constexpr u64 kSysretBase = (selector::kUserData - 8) | 3;
static_assert(kSysretBase + 8 == selector::kUserData && kSysretBase + 16 == selector::kUserCode);
static_assert(selector::kKernelCode + 8 == selector::kKernelData);

bool canonical(u64 va) {
    const unsigned bits = layout().levels == 5 ? 57 : 48;
    const i64 shifted = static_cast<i64>(va << (64 - bits)) >> (64 - bits);
    return static_cast<u64>(shifted) == va;
}

}  // namespace

void init_syscall() {
    write_msr(msr::kStar, (kSysretBase << 48) | (u64{selector::kKernelCode} << 32));
    write_msr(msr::kLstar, reinterpret_cast<u64>(&x86_syscall_entry));
    // IF: the kernel runs with interrupts off; DF: the ABI's; TF: no single-step
    // trap on the first kernel instruction; AC: SMAP is in force from the first
    // instruction (Linux's SYSCALL_MASK adds NT for IRET's sake, as here).
    write_msr(msr::kFmask, kIf | kDf | kTf | kAc | kNt);
    write_msr(msr::kEfer, read_msr(msr::kEfer) | msr::kEferSce);
}

bool prepare_user_return(TrapFrame& frame) {
    frame.cs = selector::kUserCode;
    frame.ss = selector::kUserData;
    frame.rflags = (frame.rflags & kUserFlags) | kIf | kFixed1;
    if (!canonical(frame.rip)) {
        // IRETQ would raise #GP in ring 0 (SDM Vol. 2A IRET), SYSRET on Intel
        // too but on the user's stack: neither may see it.
        kernel::kprintf("%s[%u]: return to non-canonical rip %#llx: SIGSEGV\n",
                        current_process() ? current_process()->name : "?", current_process() ? current_process()->pid : 0,
                        static_cast<unsigned long long>(frame.rip));
        process_kill(signal::kSigsegv);
    }
    // SYSRET loads RIP from RCX and RFLAGS from R11 and cannot restore those
    // two registers themselves; a pending TF or RF needs IRETQ's exact RFLAGS.
    return frame.rcx == frame.rip && frame.r11 == frame.rflags && !(frame.rflags & (kTf | kRf));
}

}  // namespace kernel::x86

extern "C" int x86_syscall_dispatch(kernel::TrapFrame* frame) {
    kernel::on_syscall(*frame);
    return kernel::x86::prepare_user_return(*frame) ? 1 : 0;
}
