// A process: its address space, open files, user thread state and the
// counters of what it asked of the kernel. One thread per process until the
// process-lifecycle work (issue 6) adds tasks, fork and a scheduler.
//
// Lifetime: process_create makes it with an empty address space and file
// table; exec (kernel/proc/exec.h) loads a program into it; run_process runs
// it on this CPU until it exits and returns its wait status; process_destroy
// frees everything.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/types.h"

namespace kernel {

class AddressSpace;
class FdTable;
class FsContext;

inline constexpr u32 kSyscallSlots = 512;  // syscall numbers counted one by one
inline constexpr u32 kSignalCount = 64;

// rt_sigaction's struct k_sigaction as the x86-64 kernel ABI lays it out.
struct SignalAction {
    u64 handler = 0;   // SIG_DFL = 0, SIG_IGN = 1, else the handler's address
    u64 flags = 0;
    u64 restorer = 0;
    u64 mask = 0;
};

struct UnknownSyscall {
    u64 number = 0;
    u64 count = 0;
};

struct ProcessCounters {
    u64 syscalls = 0;
    u64 by_number[kSyscallSlots] = {};
    u64 unknown = 0;                  // ENOSYS answers
    static constexpr u32 kUnknownSlots = 32;
    UnknownSyscall unknown_list[kUnknownSlots];  // first kUnknownSlots distinct numbers
    u32 unknown_distinct = 0;
    u64 exceptions = 0;               // user-mode exceptions of any vector
    u64 page_faults = 0;              // user-mode #PF (the kinds are in the address space's counters)
    u64 bytes_read = 0, bytes_written = 0;
};

struct Process {
    u32 pid = 0;
    u32 ppid = 0;
    char name[16] = {};               // comm: the program's file name, truncated
    AddressSpace* space = nullptr;
    FdTable* files = nullptr;
    FsContext* fs = nullptr;          // working directory and umask (kernel/fs)

    // The one thread's user state between kernel entries.
    u64 entry_rip = 0, entry_rsp = 0;  // where exec left it to start
    u64 fs_base = 0, gs_base = 0;
    u64 start_cycles = 0;             // hal::cycles() when it first entered user mode
    u64 clear_child_tid = 0;          // set_tid_address
    u64 signal_blocked = 0;           // rt_sigprocmask (recorded; delivery is issue 6)
    SignalAction actions[kSignalCount];
    void* xstate = nullptr;           // hal::xsave area

    // Exit: the wait status (Linux's: exit code << 8, or the signal number).
    bool exited = false;
    i32 wait_status = 0;

    // Where run_process waits while the process runs, and the process's own
    // kernel context (it enters user mode from there).
    hal::KernelContext* waiter = nullptr;
    hal::KernelContext* context = nullptr;
    void* kernel_stack = nullptr;

    ProcessCounters counters;
};

// A process with no address space yet (exec gives it one), a fresh file table
// and working directory "/"; nullptr when out of memory.
Process* process_create(const char* name, u32 pid, u32 ppid);
// Frees it all. It must not be running.
void process_destroy(Process* process);

// Runs `process` (exec'ed) on this CPU from its entry point until it exits;
// returns its wait status. Publishes its counters (hal::publish_counter,
// scope "process<pid>") when it ends.
i32 run_process(Process* process);

// The process whose user code this CPU runs (nullptr: none).
Process* current_process();
void set_current_process(Process* process);

// Ends the current process with `wait_status` and leaves its context for
// good (back to whoever runs run_process).
[[noreturn]] void process_exit(i32 wait_status);
// Ends it as the default action of `signal` would (terminate; core dumps are
// plain terminations), logging why as Linux's show_signal_msg does.
[[noreturn]] void process_kill(i32 signal);

// Counts a syscall by number; unknown ones (ENOSYS) are listed too.
void count_syscall(Process& process, u64 number, bool known);

// Linux's wait-status encodings.
constexpr i32 wait_status_exited(i32 code) { return (code & 0xff) << 8; }
constexpr i32 wait_status_signaled(i32 signal) { return signal & 0x7f; }

}  // namespace kernel
