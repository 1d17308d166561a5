// The Linux x86-64 system-call ABI (DESIGN.md "User programs"): on_syscall
// looks the number up in the table (syscall_table.cpp) and calls the handler
// with the six argument registers; the handler returns a value >= 0 or
// -errno, which goes to RAX. A number with no handler returns -ENOSYS and is
// counted and listed for the run report.
//
// Handlers live by topic (sys_fs.cpp, sys_mm.cpp, sys_proc.cpp, ...), each
// declared in the topic's header, and reach the calling process through
// current_process() and user memory only through kernel/mm/uaccess.h.
#pragma once

#include "kernel/hal/trap_frame.h"
#include "kernel/lib/types.h"

namespace kernel {

struct SyscallArgs {
    u64 arg[6];
    TrapFrame* frame;  // for the few that change registers beyond RAX (rt_sigreturn, execve)
};

using SyscallHandler = i64 (*)(const SyscallArgs& args);

struct SyscallEntry {
    u32 number;
    const char* name;
    SyscallHandler handler;
};

// The handler of `number`, or nullptr.
const SyscallEntry* find_syscall(u64 number);
// The Linux name of a syscall number even when we do not implement it
// (for the run report), or nullptr for an unassigned number.
const char* syscall_name(u64 number);

}  // namespace kernel
