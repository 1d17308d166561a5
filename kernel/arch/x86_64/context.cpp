// Kernel contexts and the way into user mode (hal.h "kernel contexts", "user
// mode") in the qemu build.
//
// A context lives at the top of the stack the kernel hands context_create:
// the KernelContext record first, the stack proper below it, so creating one
// allocates nothing and destroying one frees nothing (the kernel owns the
// stack). Its top (the record's address, 16-byte aligned) is the context's
// kernel stack top: while it runs, TSS.RSP0 and the per-CPU SYSCALL stack
// (cpu_local.h) point there, so every entry from user mode builds its
// TrapFrame at the very top of the running context's stack. hal::enter_user
// resumes user mode from a frame put in that same place.
#include "kernel/arch/x86_64/context.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_local.h"
#include "kernel/arch/x86_64/gdt.h"
#include "kernel/arch/x86_64/interrupt_frame.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"

extern "C" void x86_switch_stacks(hal::KernelContext* from, kernel::u64 new_rsp);
extern "C" void x86_context_start();
extern "C" [[noreturn]] void x86_enter_user(const kernel::TrapFrame* frame, kernel::u64 stack_top);

namespace kernel::x86 {
namespace {

static_assert(__builtin_offsetof(hal::KernelContext, saved_rsp) == 0 &&
                  __builtin_offsetof(hal::KernelContext, running_on) == 16,
              "context_switch.S stores to these offsets");

hal::KernelContext g_boot_contexts[kMaxCpus];

constexpr u64 kStackAlign = 16;

// What x86_switch_stacks pops from a new context's stack: R15, R14, R13, R12,
// RBX, RBP, then the return address.
struct InitialSwitchFrame {
    u64 r15, r14, r13, r12, rbx, rbp;
    u64 return_address;
};

// Makes `to` the context of this CPU's kernel entries from user mode.
void install_stacks(CpuLocal& cpu, hal::KernelContext* to) {
    cpu.context = to;
    if (to->stack_top) {
        cpu.kernel_stack = to->stack_top;
        set_kernel_stack(cpu.cpu, to->stack_top);
    }
}

}  // namespace

hal::KernelContext* boot_context(u32 cpu) {
    hal::KernelContext* c = &g_boot_contexts[cpu];
    c->running_on = cpu + 1;
    return c;
}

}  // namespace kernel::x86

extern "C" [[noreturn]] void x86_context_returned() { kernel::panic("a kernel context's entry function returned"); }

namespace hal {

namespace x86 = kernel::x86;

KernelContext* context_create(void (*entry)(void* arg), void* arg, void* stack, usize stack_bytes) {
    const u64 base = reinterpret_cast<u64>(stack);
    const u64 top = (base + stack_bytes) & ~(x86::kStackAlign - 1);
    constexpr u64 kRecord = (sizeof(KernelContext) + x86::kStackAlign - 1) & ~(x86::kStackAlign - 1);
    if (!entry) kernel::panic("context_create with no entry function");
    if (stack_bytes < 4096 || top - base < kRecord + 1024)
        kernel::panic("context_create: a stack of %zu bytes at %p is too small", stack_bytes, stack);
    auto* context = reinterpret_cast<KernelContext*>(top - kRecord);
    const u64 stack_top = reinterpret_cast<u64>(context);
    // x86_context_start runs with RSP = stack_top after the RET: 16-byte aligned.
    auto* frame = reinterpret_cast<x86::InitialSwitchFrame*>(stack_top - sizeof(x86::InitialSwitchFrame));
    *frame = x86::InitialSwitchFrame{0, 0, reinterpret_cast<u64>(arg), reinterpret_cast<u64>(entry), 0, 0,
                                     reinterpret_cast<u64>(&x86_context_start)};
    context->saved_rsp = reinterpret_cast<u64>(frame);
    context->stack_top = stack_top;
    context->running_on = 0;
    return context;
}

KernelContext* context_current() { return x86::this_cpu_local().context; }

void context_switch(KernelContext* to) {
    const u64 irq = irq_save();
    x86::CpuLocal& cpu = x86::this_cpu_local();
    KernelContext* from = cpu.context;
    if (to == from) {
        irq_restore(irq);
        return;
    }
    if (!to || __atomic_load_n(&to->running_on, __ATOMIC_ACQUIRE) != 0)
        kernel::panic("context_switch to %p, which is running on CPU %u", static_cast<void*>(to),
                      to ? to->running_on - 1 : 0);
    __atomic_store_n(&to->running_on, cpu.cpu + 1, __ATOMIC_RELAXED);
    x86::install_stacks(cpu, to);
    // Marks `from` not running only once its registers are saved (context_switch.S).
    x86_switch_stacks(from, to->saved_rsp);
    // Back on `from`, on whichever CPU switched to it.
    irq_restore(irq);
}

void context_destroy(KernelContext* context) {
    if (!context) return;
    if (__atomic_load_n(&context->running_on, __ATOMIC_ACQUIRE) != 0)
        kernel::panic("context_destroy of a context running on CPU %u", context->running_on - 1);
    for (u32 i = 0; i < kernel::kMaxCpus; ++i)
        if (context == &x86::g_boot_contexts[i]) kernel::panic("context_destroy of CPU %u's boot context", i);
    // The record lives on the stack the kernel owns: nothing to free.
    context->saved_rsp = 0;
}

// The frame goes to the top of the running context's stack (interrupt_entry.S),
// where the CPU will build every later frame of this thread; whatever the
// context had on its stack is abandoned, as enter_user never returns.
void enter_user(const kernel::TrapFrame& frame) {
    x86::disable_interrupts();
    const KernelContext* context = x86::this_cpu_local().context;
    if (!context || !context->stack_top) kernel::panic("enter_user on a CPU's boot context, which has no kernel stack");
    if (frame.cs != kernel::selector::kUserCode || frame.ss != kernel::selector::kUserData)
        kernel::panic("enter_user with cs %#llx ss %#llx, not the user selectors", static_cast<unsigned long long>(frame.cs),
                      static_cast<unsigned long long>(frame.ss));
    // context_switch installed this context's stack top already; again here so
    // no path into user mode can leave a stale TSS.RSP0 behind.
    x86::CpuLocal& cpu = x86::this_cpu_local();
    cpu.kernel_stack = context->stack_top;
    x86::set_kernel_stack(cpu.cpu, context->stack_top);
    kernel::TrapFrame first = frame;
    x86::prepare_user_return(first);
    x86_enter_user(&first, context->stack_top);
}

}  // namespace hal
