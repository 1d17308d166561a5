// Signal syscalls, recorded per process: rt_sigaction and rt_sigprocmask keep
// the actions and the blocked set with Linux's checks and return values.
// Delivery (signal frames, handlers, rt_sigreturn) comes with the process
// lifecycle work; until then a fault ends the process with the signal's
// default action.
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

i64 sys_rt_sigaction(const SyscallArgs& a);
i64 sys_rt_sigprocmask(const SyscallArgs& a);

}  // namespace kernel
