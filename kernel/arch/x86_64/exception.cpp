// Exceptions in the qemu build (interrupt_entry.S calls x86_exception_dispatch
// with the TrapFrame):
// - from user mode: kernel::on_exception, which resolves the fault or ends the
//   process; on return the CPU resumes user mode from the frame;
// - a kernel-mode #PF on a user address, when it comes from a uaccess copy
//   (uaccess.S's exception table) or while a process's address space is
//   loaded: kernel::on_exception too, which resolves it (demand paging), takes
//   the copy's fixup (hal::uaccess_fixup), or panics naming the SMAP violation;
// - anything else (a kernel bug, or the deliberate fault of simx.fault_test
//   before any process exists): print everything a reader needs to find the
//   cause (vector, error code, RIP, CR2, the registers) and panic.
// Interrupts (vectors 32-255, x86_interrupt_dispatch): the local APIC's
// spurious vector is dropped without an EOI (SDM Vol. 3A 10.9); every other
// vector gets its EOI first (SDM 10.8.5), since its handler may switch to
// another context and come back much later. The timer goes to timer.cpp;
// any other vector from user mode to kernel::on_interrupt, and from the
// kernel (which runs with interrupts off) to a panic.
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/arch/x86_64/timer.h"
#include "kernel/arch/x86_64/uaccess.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/layout.h"
#include "kernel/proc/process.h"

namespace kernel::x86 {
namespace {

constexpr u8 kPageFault = 14;

// Mnemonics of SDM Vol. 3A table 6-1.
const char* exception_name(u64 vector) {
    static constexpr const char* kNames[kExceptionVectors] = {
        "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
        "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor segment overrun",
        "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
        "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
        "#XM SIMD error", "#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
        "reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
        "#VC VMM communication", "#SX security", "reserved 31",
    };
    return vector < kExceptionVectors ? kNames[vector] : "?";
}

unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

[[noreturn]] void report_and_panic(const TrapFrame* f, u64 cr2) {
    kprintf("x86 exception: vector %llu (%s), error code %#llx\n", ull(f->vector), exception_name(f->vector),
            ull(f->error_code));
    kprintf("  rip %#018llx  cs %#llx  rflags %#llx  rsp %#018llx  ss %#llx  cr2 %#018llx\n", ull(f->rip), ull(f->cs),
            ull(f->rflags), ull(f->rsp), ull(f->ss), ull(cr2));
    kprintf("  rax %#018llx  rbx %#018llx  rcx %#018llx  rdx %#018llx\n", ull(f->rax), ull(f->rbx), ull(f->rcx),
            ull(f->rdx));
    kprintf("  rsi %#018llx  rdi %#018llx  rbp %#018llx  r8  %#018llx\n", ull(f->rsi), ull(f->rdi), ull(f->rbp),
            ull(f->r8));
    kprintf("  r9  %#018llx  r10 %#018llx  r11 %#018llx  r12 %#018llx\n", ull(f->r9), ull(f->r10), ull(f->r11),
            ull(f->r12));
    kprintf("  r13 %#018llx  r14 %#018llx  r15 %#018llx  cr3 %#018llx\n", ull(f->r13), ull(f->r14), ull(f->r15),
            ull(read_cr3()));
    panic("unhandled %s at rip %#llx (error code %#llx, cr2 %#llx)", exception_name(f->vector), ull(f->rip),
          ull(f->error_code), ull(cr2));
}

// A kernel-mode #PF the generic handler should see: on a user address, from a
// copy routine or with a process's address space in CR3 (kernel/proc/trap.cpp
// then names a SMAP violation or an access outside uaccess).
bool kernel_fault_for_generic_handler(const TrapFrame& f, u64 cr2) {
    if (f.vector != kPageFault || !layout().is_user(cr2)) return false;
    return is_uaccess_instruction(f.rip) || current_process() != nullptr;
}

}  // namespace
}  // namespace kernel::x86

extern "C" void x86_exception_dispatch(kernel::TrapFrame* f) {
    using namespace kernel;
    using namespace kernel::x86;
    const u64 cr2 = read_cr2();  // before anything else can fault and replace it
    const u8 vector = static_cast<u8>(f->vector);
    if (f->from_user()) {
        on_exception(*f, vector, f->error_code, cr2);
        prepare_user_return(*f);
        return;
    }
    if (kernel_fault_for_generic_handler(*f, cr2)) {
        on_exception(*f, vector, f->error_code, cr2);
        return;
    }
    report_and_panic(f, cr2);
}

extern "C" void x86_interrupt_dispatch(kernel::TrapFrame* f) {
    using namespace kernel;
    using namespace kernel::x86;
    const u8 vector = static_cast<u8>(f->vector);
    if (vector == lapic::kSpuriousVector) return;
    lapic::eoi();
    if (vector == hal::kTimerVector) {
        timer_interrupt(*f);
        return;
    }
    if (!f->from_user()) {
        // An IPI waking hal::cpu_idle: the kernel polls what it announced.
        if ((vector == hal::kCallFunctionVector || vector == hal::kRescheduleVector) && idle_wakeup()) return;
        panic("unexpected interrupt vector %u in kernel mode at rip %#llx", vector, ull(f->rip));
    }
    on_interrupt(*f, vector);
    prepare_user_return(*f);
}
