// The kernel's entry points from the CPU (hal.h "Trap ABI"), the same in both
// builds: a system call, an exception (from user code, or a #PF from the
// kernel's own uaccess), an interrupt.
//
// User exceptions: a #PF goes to the address space's fault handler; what it
// refuses, and every other fault, becomes the signal Linux would send
// (arch/x86/kernel/traps.c), forced on the thread (a blocked or ignored
// fault signal still kills). A kernel-mode fault is either a uaccess fault
// on a user address (resolved, or its fixup taken) or a kernel bug: panic.
//
// Every return to user mode goes through signal_deliver (kernel/proc/signal.h).
#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sched/scheduler.h"
#include "kernel/smp/cross_call.h"
#include "kernel/sys/syscall.h"

namespace kernel {
namespace {

// #PF error code bits (SDM Vol. 3A 4.7).
constexpr u64 kPfPresent = 1u << 0;
constexpr u64 kPfWrite = 1u << 1;
constexpr u64 kPfUser = 1u << 2;
constexpr u64 kPfReserved = 1u << 3;
constexpr u64 kPfFetch = 1u << 4;
constexpr u64 kRflagsAc = 1u << 18;

FaultAccess access_of(u64 error_code) {
    if (error_code & kPfFetch) return FaultAccess::kExecute;
    if (error_code & kPfWrite) return FaultAccess::kWrite;
    return FaultAccess::kRead;
}

// The signal Linux sends for a user-mode exception (arch/x86/kernel/traps.c).
i32 signal_for_vector(u8 vector) {
    switch (vector) {
        case 0: return signal::kSigfpe;    // #DE
        case 1: return signal::kSigtrap;   // #DB
        case 3: return signal::kSigtrap;   // #BP
        case 4: return signal::kSigsegv;   // #OF
        case 5: return signal::kSigsegv;   // #BR
        case 6: return signal::kSigill;    // #UD
        case 7: return signal::kSigsegv;   // #NM (no lazy FPU here: never expected)
        case 12: return signal::kSigbus;   // #SS
        case 13: return signal::kSigsegv;  // #GP
        case 16: return signal::kSigfpe;   // #MF
        case 17: return signal::kSigbus;   // #AC
        case 19: return signal::kSigfpe;   // #XM
        default: return signal::kSigsegv;
    }
}

// si_code for a vector's signal (Linux's do_trap / do_error_trap callers).
i32 code_for_vector(u8 vector) {
    switch (vector) {
        case 0: return si::kFpeIntdiv;
        case 1: return si::kTrapTrace;
        case 6: return si::kIllIllopn;
        case 16:
        case 19: return si::kFpeFltinv;
        case 17: return si::kBusAdraln;
        default: return si::kKernel;  // #BP, #GP, #SS, ...: force_sig, SI_KERNEL
    }
}

// The faulting thread gets the signal; with no handler to catch it, the log
// line of Linux's show_signal_msg / show_unhandled_signals.
void signal_fault(Process& p, const TrapFrame& frame, u8 vector, u64 error_code, u64 cr2, i32 sig, i32 code,
                  u64 address) {
    Task* t = current_task();
    bool handled;
    {
        SpinGuard guard(p.signal_lock);
        const u64 handler = p.actions[sig - 1].handler;
        handled = handler != kSigDfl && handler != kSigIgn && !(t->signals.blocked & signal_bit(sig));
    }
    if (!handled) {
        if (vector == 14) {
            kprintf("%s[%u]: segfault at %llx ip %016llx sp %016llx error %llx\n", p.name, p.pid,
                    static_cast<unsigned long long>(address), static_cast<unsigned long long>(frame.rip),
                    static_cast<unsigned long long>(frame.rsp), static_cast<unsigned long long>(error_code));
        } else {
            kprintf("%s[%u]: trap %s (vector %u) ip:%llx sp:%llx error:%llx\n", p.name, p.pid, signal_name(sig),
                    vector, static_cast<unsigned long long>(frame.rip), static_cast<unsigned long long>(frame.rsp),
                    static_cast<unsigned long long>(error_code));
        }
    }
    t->signals.fault_trapno = vector;
    t->signals.fault_error = error_code;
    t->signals.fault_cr2 = cr2;
    SigInfo info;
    info.code = code;
    info.addr = address;
    signal_force(t, sig, info);
}

void user_exception(TrapFrame& frame, u8 vector, u64 error_code, u64 cr2) {
    Process* p = current_process();
    KASSERT(p, "user-mode exception %u with no current process", vector);
    __atomic_fetch_add(&p->counters.exceptions, 1, __ATOMIC_RELAXED);  // threads count on several CPUs
    if (vector == 14) {
        __atomic_fetch_add(&p->counters.page_faults, 1, __ATOMIC_RELAXED);
        if (error_code & kPfReserved) panic("reserved bit set in a user PTE at %#llx", static_cast<unsigned long long>(cr2));
        const FaultResult r = p->space->handle_page_fault(cr2, access_of(error_code), true);
        if (r.status == FaultStatus::kRetry) return;
        if (r.status == FaultStatus::kOutOfMemory) {
            kprintf("%s[%u]: out of memory at %#llx: killed\n", p->name, p->pid, static_cast<unsigned long long>(cr2));
            process_kill(signal::kSigkill);
        }
        signal_fault(*p, frame, vector, error_code | kPfUser, cr2, r.signal, r.code, r.fault_address);
        return;
    }
    const i32 sig = signal_for_vector(vector);
    // si_addr: the faulting instruction for #DE/#UD/#MF/#XM/#AC (Linux's
    // error_get_trap_addr), none for the SI_KERNEL ones.
    const i32 code = code_for_vector(vector);
    const u64 address = code == si::kKernel ? 0 : frame.rip;
    signal_fault(*p, frame, vector, error_code, 0, sig, code, address);
}

void kernel_exception(TrapFrame& frame, u8 vector, u64 error_code, u64 cr2) {
    if (vector != 14 || !layout().is_user(cr2)) {
        panic("kernel exception %u error %#llx at rip %#llx (cr2 %#llx)", vector,
              static_cast<unsigned long long>(error_code), static_cast<unsigned long long>(frame.rip),
              static_cast<unsigned long long>(cr2));
    }
    // SMAP (SDM Vol. 3A 4.6.1): a supervisor access to a user page with
    // RFLAGS.AC clear is a kernel bug, whatever the page holds (Linux's
    // do_user_addr_fault refuses it before looking at the VMAs).
    if (hal::boot_info().smap && !(frame.rflags & kRflagsAc)) {
        if (hal::uaccess_fixup(frame)) return;
        panic("SMAP violation: kernel access to user address %#llx outside uaccess at rip %#llx (error %#llx)",
              static_cast<unsigned long long>(cr2), static_cast<unsigned long long>(frame.rip),
              static_cast<unsigned long long>(error_code));
    }
    Process* p = current_process();
    if (p && p->space && !(error_code & kPfReserved)) {
        const FaultResult r = p->space->handle_page_fault(cr2, access_of(error_code), false);
        if (r.status == FaultStatus::kRetry) return;
    }
    if (hal::uaccess_fixup(frame)) return;
    panic("kernel #PF on user address %#llx at rip %#llx (error %#llx) outside uaccess",
          static_cast<unsigned long long>(cr2), static_cast<unsigned long long>(frame.rip),
          static_cast<unsigned long long>(error_code));
}

}  // namespace

void on_syscall(TrapFrame& frame) {
    Process* p = current_process();
    KASSERT(p, "syscall with no current process");
    const u64 nr = frame.syscall_number();
    const SyscallEntry* entry = find_syscall(nr);
    count_syscall(*p, nr, entry != nullptr);
    if (!entry) {
        frame.rax = static_cast<u64>(-linux::kEnosys);
        signal_deliver(frame);
        return;
    }
    SyscallArgs args;
    for (unsigned i = 0; i < 6; ++i) args.arg[i] = frame.syscall_arg(i);
    args.frame = &frame;
    current_task()->syscall_nr = static_cast<i64>(nr);  // for a restart (rt_sigreturn clears it)
    frame.rax = static_cast<u64>(entry->handler(args));
    signal_deliver(frame);
}

void on_exception(TrapFrame& frame, u8 vector, u64 error_code, u64 cr2) {
    if (frame.from_user()) {
        user_exception(frame, vector, error_code, cr2);
        signal_deliver(frame);
    } else {
        kernel_exception(frame, vector, error_code, cr2);
    }
}

void on_interrupt(TrapFrame& frame, u8 vector) {
    switch (vector) {
        case hal::kTimerVector: scheduler_tick(); break;
        case hal::kCallFunctionVector: serve_cross_calls(); break;
        case hal::kRescheduleVector: reschedule_if_disallowed(); break;  // a kick: signals are looked at below
        default:
            panic("unexpected interrupt vector %u at rip %#llx", vector, static_cast<unsigned long long>(frame.rip));
    }
    if (frame.from_user()) signal_deliver(frame);
}

}  // namespace kernel
