// A process: what its threads share — address space, open files, working
// directory, signal actions — its place in the process tree, and the counters
// of what it asked of the kernel. Its threads are tasks (kernel/sched/task.h)
// the scheduler runs, on any CPUs at once.
//
// Lifetime: process_create (fork, or boot for init); exec (kernel/proc/exec.h)
// loads a program; process_start makes its first thread runnable;
// thread_create adds threads (clone with CLONE_THREAD); each thread leaves
// with thread_exit, and the last one out makes the process a zombie its
// parent reaps with wait4, which frees it. Orphans are re-parented to init
// (pid 1); init's exit ends the run.
//
// Group exit (exit_group, a fatal signal; Linux's do_group_exit and
// zap_other_threads): the first thread to decide it records the status and
// sends every other thread a SIGKILL, which each takes on its way back to
// user mode (sleepers are woken, running ones kicked by IPI); the process's
// status is the group's. exec in a multi-threaded process kills the other
// threads the same way and waits until they are gone (de_thread), then
// carries on alone with the process's pid as its tid.
//
// The address space may be shared by processes too (clone with CLONE_VM
// and without CLONE_THREAD, as vfork and posix_spawn do): AddressSpace
// counts its users, and the last one out destroys it.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/list.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"
#include "kernel/sched/kernel_timer.h"
#include "kernel/sched/task.h"
#include "kernel/sched/wait_queue.h"

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
    u64 user_cycles = 0;              // CPU time of its threads (cycles on a CPU, kernel included)
};

enum class ProcessState : u8 { kAlive, kZombie };

struct Process {
    u32 pid = 0;
    u32 ppid = 0;                     // getppid(): the parent's pid, 1 once re-parented to init
    Process* parent = nullptr;
    char name[16] = {};               // comm: the program's file name, truncated
    AddressSpace* space = nullptr;
    FdTable* files = nullptr;
    FsContext* fs = nullptr;          // working directory and umask (kernel/fs)

    // Where the last exec left the program (kernel/proc/exec.cpp): its first
    // thread starts here with these bases.
    u64 entry_rip = 0, entry_rsp = 0;
    u64 fs_base = 0, gs_base = 0;

    // Signals (kernel/proc/signal.h). signal_lock (Linux's siglock) guards
    // the actions, shared_pending, every thread's TaskSignals and the stop
    // state; lock order: process tree, then signal_lock, then run queues.
    SpinLock signal_lock{"signal"};
    SignalAction actions[kSignalCount];

    // getrlimit/setrlimit/prlimit64 (include/uapi/asm-generic/resource.h):
    // soft and hard limits, inherited by fork. Recorded and reported; only the
    // file-descriptor limit is also what the fd table enforces (1024).
    static constexpr u32 kRlimitCount = 16;
    struct Rlimit {
        u64 soft, hard;
    } rlimits[kRlimitCount];
    PendingSignals shared_pending;    // process-directed: kill, SIGCHLD, SIGPIPE
    WaitQueue signal_events{"signal_events"};  // stopped threads, pause/sigsuspend sleep here
    bool stopped = false;             // a stop signal's default action stopped it, until SIGCONT
    i32 stop_signal = 0;
    bool notify_continued = false;    // SIGCONT resumed it: the parent hears it (CLD_CONTINUED)
    u32 continue_count = 0;           // SIGCONTs sent: one after a stop signal's dequeue cancels the stop
    // For wait4's WUNTRACED / WCONTINUED (tree lock): a stop or continue not yet reported.
    bool stop_report = false;
    bool continue_report = false;

    // Lifecycle: alive with threads; a zombie once the last one exited, until
    // the parent reaps it (wait4) and frees it.
    ProcessState state = ProcessState::kAlive;
    i32 wait_status = 0;              // Linux's: exit code << 8, or the signal number
    IntrusiveList<Task, &Task::thread_node> threads;  // tree lock and signal_lock to change
    u32 thread_count = 0;             // threads' length (read without a lock by de_thread)
    WaitQueue thread_events{"thread_events"};  // a thread left (de_thread waits here)
    // Group exit (signal_lock): decided once, with the status every thread leaves with.
    bool group_exiting = false;
    i32 group_exit_status = 0;
    Task* exec_task = nullptr;        // the thread whose exec is killing the others
    // ITIMER_REAL (kernel/proc/itimer.h): deadline 0 when disarmed.
    SpinLock itimer_lock{"itimer"};
    KernelTimer real_timer;
    u64 real_deadline = 0, real_interval = 0;  // hal::cycles() units (signal_lock)
    // vfork (CLONE_VFORK): the parent sleeps on vfork_events until the child
    // execs or exits and so gives the shared address space back.
    bool vfork_pending = false;
    WaitQueue vfork_events{"vfork"};
    Process* children_head = nullptr; // children, linked through next_sibling (tree lock)
    Process* next_sibling = nullptr;
    ListNode all_node;                // on the list of every process (tree lock)
    WaitQueue child_events{"child_events"};  // the parent's wait4 sleeps here
    u64 start_cycles = 0;
    u64 child_cycles = 0;             // CPU time of reaped children (rusage)

    ProcessCounters counters;
    char exec_reason[192] = {};       // why the last exec failed, when it names a file (exec.cpp)
};

// The process tree and the pid space are guarded by one lock (Linux's
// tasklist_lock): fork, exit, re-parenting and wait4 take it.
// nullptr when out of memory. A process starts alive with no address space
// (exec gives it one), a fresh file table and working directory "/", and no
// threads; the caller links it into the tree (process_link).
Process* process_create(const char* name, u32 pid, Process* parent);
// Frees it all. No thread of it may exist.
void process_destroy(Process* process);
u32 allocate_pid();
void set_default_rlimits(Process& process);
void reset_pids_and_init_status();  // at boot (process_tree_init)
Process* find_process(u32 pid);

// The process whose user code this CPU runs (nullptr: none).
Process* current_process();
void set_current_process(Process* process);

// Starts a process's first thread at entry_rip/entry_rsp: a new task made
// runnable on the least loaded CPU. 0 or -ENOMEM.
i64 process_start(Process* process);

// clone(2)'s flags (include/uapi/linux/sched.h) and arguments.
inline constexpr u64 kCloneVm = 0x00000100;
inline constexpr u64 kCloneFs = 0x00000200;
inline constexpr u64 kCloneFiles = 0x00000400;
inline constexpr u64 kCloneSighand = 0x00000800;
inline constexpr u64 kCloneVfork = 0x00004000;
inline constexpr u64 kCloneThread = 0x00010000;
inline constexpr u64 kCloneSysvsem = 0x00040000;
inline constexpr u64 kCloneSettls = 0x00080000;
inline constexpr u64 kCloneParentSettid = 0x00100000;
inline constexpr u64 kCloneChildCleartid = 0x00200000;
inline constexpr u64 kCloneDetached = 0x00400000;
inline constexpr u64 kCloneChildSettid = 0x01000000;
struct CloneArgs {
    u64 flags = 0;
    u64 stack = 0;        // the child's RSP (0: the parent's)
    u64 parent_tid = 0;   // CLONE_PARENT_SETTID writes the new tid here (parent's memory)
    u64 child_tid = 0;    // CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID (child's memory)
    u64 tls = 0;          // CLONE_SETTLS: the child's FS base
};

// fork/vfork/clone without CLONE_THREAD (Linux's kernel_clone for a new
// process): a child with a copy-on-write copy of the address space (kernel/mm
// fork.cpp) — or the same one with CLONE_VM —, copies of the file table,
// working directory and signal actions, and one thread that returns from the
// same syscall with 0 (on args.stack when it is not 0). With CLONE_VFORK the
// caller sleeps until the child execs or exits. The child's pid, or
// -ENOMEM / -EFAULT.
i64 process_fork(const TrapFrame& frame, const CloneArgs& args);

// clone with CLONE_THREAD (and CLONE_VM, CLONE_SIGHAND, CLONE_FS,
// CLONE_FILES, which threads share by being one process): a new thread of
// the caller's process that returns from the same syscall with 0 on
// args.stack, with the caller's signal mask, FS base args.tls (CLONE_SETTLS)
// and x87/SSE state. Its tid, or -ENOMEM / -EFAULT / -EINTR (the process is
// exiting or exec'ing).
i64 thread_create(const TrapFrame& frame, const CloneArgs& args);

// exit(2): the calling thread leaves: its robust futexes are released and
// its clear_child_tid word cleared and woken (kernel/sync/futex.h); the last
// thread out ends the process with `wait_status` (or the group's status).
[[noreturn]] void thread_exit(i32 wait_status);
// exit_group(2) and fatal signals: the group exit above, then thread_exit.
// The process's memory and files go with its last thread, its children are
// re-parented to init, its parent is woken. Ending init ends the run.
[[noreturn]] void process_exit(i32 wait_status);

// exec's point of no return in process p (kernel/proc/exec.cpp), before the
// old image goes: the other threads are killed and gone (de_thread), the
// caller's tid becomes the pid, its robust list and clear_child_tid are
// released, a vfork parent is let go, and the CPU leaves the old address
// space. 0, or -EAGAIN when a group exit is already under way (the caller
// dies on its way out). A no-op when p is not the caller's process (boot's init).
i64 process_exec_prepare(Process& p);

// The thread with this tid in p, or in any process (tree lock held), or nullptr.
Task* find_thread_locked(Process& p, u32 tid);
Task* find_thread_any_locked(u32 tid);
// Ends it as the default action of `signal` would (terminate; core dumps are
// plain terminations).
[[noreturn]] void process_kill(i32 signal);

// Counts a syscall by number; unknown ones (ENOSYS) are listed too.
void count_syscall(Process& process, u64 number, bool known);

// init's end: true once pid 1 exited, with its wait status.
bool init_exited();
i32 init_wait_status();

// Linux's wait-status encodings.
constexpr i32 wait_status_exited(i32 code) { return (code & 0xff) << 8; }
constexpr i32 wait_status_signaled(i32 signal) { return signal & 0x7f; }

}  // namespace kernel
