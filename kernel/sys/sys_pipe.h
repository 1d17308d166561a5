// Pipes and readiness (issue 6, item 6): pipe, pipe2 (sys_pipe.cpp) and poll,
// ppoll, select, pselect6 (sys_poll.cpp); numbers in sys_pipe_table.inc.
//
// The pipe itself is kernel/fs/pipe.h; read(2) and write(2) reach it through
// sys_fs.cpp, which hands a pipe's description to the loops here
// (sys_fs::pipe_read_to_user / pipe_write_from_user).
//
// Waiting in poll/select (kernel/fs/pipe.h's poll generation): a call scans
// its descriptors and, when none is ready, waits until some pipe changes
// state (the generation moves) and scans again. Without a timeout it sleeps
// on the poll wait queue; with one it lets modeled time pass in steps (other
// runnable tasks on the CPU run meanwhile, else the CPU idles), rescanning
// after each step, until the deadline on the CPU's cycle clock — there are no
// kernel timers to wake a sleeper at a deadline yet. A pending signal ends
// the wait with EINTR (Linux restarts poll after a handler-less signal; here
// only SA_RESTART-free semantics are given).
//
// The signal masks of ppoll and pselect6 are checked (size, EFAULT) but not
// applied during the wait: the signal layer has no saved-mask restore on
// delivery yet.
#pragma once

#include "kernel/sys/syscall.h"

namespace kernel {

i64 sys_pipe(const SyscallArgs& a);
i64 sys_pipe2(const SyscallArgs& a);
i64 sys_poll(const SyscallArgs& a);
i64 sys_ppoll(const SyscallArgs& a);
i64 sys_select(const SyscallArgs& a);
i64 sys_pselect6(const SyscallArgs& a);

}  // namespace kernel
