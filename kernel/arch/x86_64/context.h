// Kernel contexts of the qemu build (hal.h "kernel contexts"): a context is its
// kernel stack and the RSP saved when it last switched away. context.cpp.
#pragma once

#include "kernel/lib/types.h"

namespace hal {

struct KernelContext {
    kernel::u64 saved_rsp = 0;     // x86_switch_stacks' frame on the context's stack, when not running
    kernel::u64 stack_top = 0;     // its kernel stack's top: TSS.RSP0 and the SYSCALL stack while it runs
                           // (0: a CPU's boot context, which never enters user mode)
    kernel::u32 running_on = 0;    // CPU number + 1 while it runs, else 0
};

}  // namespace hal

namespace kernel::x86 {

// The context a CPU starts on (its boot stack), made current by install_cpu_local.
hal::KernelContext* boot_context(u32 cpu);

}  // namespace kernel::x86
