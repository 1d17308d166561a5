// Signal syscalls (kernel/proc/signal.h does the work): actions, masks,
// pending sets, the alternate stack, rt_sigreturn, sending (kill, tkill,
// tgkill) and waiting (pause, rt_sigsuspend, rt_sigtimedwait).
//
// Process groups do not exist yet: every process is in group 1 (init's), so
// kill(0, sig) signals every process (the caller's group is everybody's),
// kill(-1, sig) every process but init and the caller (as Linux), and
// kill(-pgid, sig) with pgid > 1 finds no group: ESRCH.
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

i64 sys_rt_sigaction(const SyscallArgs& a);
i64 sys_rt_sigprocmask(const SyscallArgs& a);
i64 sys_rt_sigreturn(const SyscallArgs& a);
i64 sys_rt_sigpending(const SyscallArgs& a);
i64 sys_rt_sigsuspend(const SyscallArgs& a);
i64 sys_rt_sigtimedwait(const SyscallArgs& a);
i64 sys_sigaltstack(const SyscallArgs& a);
i64 sys_pause(const SyscallArgs& a);
i64 sys_kill(const SyscallArgs& a);
i64 sys_tkill(const SyscallArgs& a);
i64 sys_tgkill(const SyscallArgs& a);

}  // namespace kernel
