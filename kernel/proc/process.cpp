#include "kernel/proc/process.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/percpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/string.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/proc/process_tree.h"
#include "kernel/sched/scheduler.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/elf_loader.h"
#include "kernel/sys/syscall.h"

namespace kernel {
namespace {

PerCpu<Process*> g_current;
u32 g_next_pid = 1;
bool g_init_exited = false;
i32 g_init_status = 0;

void publish(const Process& p, const char* name, u64 value) {
    char scope[24];
    format(scope, sizeof scope, "process%u", p.pid);
    hal::publish_counter(scope, name, value);
}

void publish_counters(const Process& p) {
    const ProcessCounters& c = p.counters;
    publish(p, "process.exit_status", static_cast<u64>(p.wait_status));
    publish(p, "process.ppid", p.ppid);
    publish(p, "syscalls.total", c.syscalls);
    for (u32 nr = 0; nr < kSyscallSlots; ++nr) {
        if (!c.by_number[nr]) continue;
        char name[64];
        const char* known = syscall_name(nr);
        if (known) format(name, sizeof name, "syscalls.%s", known);
        else format(name, sizeof name, "syscalls.nr%u", nr);
        publish(p, name, c.by_number[nr]);
    }
    publish(p, "syscalls.enosys", c.unknown);
    for (u32 i = 0; i < c.unknown_distinct; ++i) {
        char name[64];
        const char* known = syscall_name(c.unknown_list[i].number);
        if (known) format(name, sizeof name, "enosys.%s", known);
        else format(name, sizeof name, "enosys.nr%llu", static_cast<unsigned long long>(c.unknown_list[i].number));
        publish(p, name, c.unknown_list[i].count);
    }
    publish(p, "exceptions", c.exceptions);
    publish(p, "io.bytes_read", c.bytes_read);
    publish(p, "io.bytes_written", c.bytes_written);
    if (p.space) {
        const FaultCounters& f = p.space->fault_counters();
        publish(p, "faults.demand_zero", f.demand_zero);
        publish(p, "faults.zero_page", f.zero_page);
        publish(p, "faults.permission", f.permission);
        publish(p, "faults.cow_copy", f.cow_copy);
        publish(p, "faults.cow_reuse", f.cow_reuse);
        publish(p, "faults.stack_growth", f.stack_growth);
        publish(p, "faults.segv_maperr", f.maperr);
        publish(p, "faults.segv_accerr", f.accerr);
        publish(p, "faults.oom", f.oom);
        publish(p, "memory.resident_pages", p.space->resident_pages());
    }
}

}  // namespace

// Linux's defaults for init (include/asm-generic/resource.h INIT_RLIMITS):
// unlimited except the stack (8 MiB soft), open files (1024 soft, 4096 hard),
// locked memory (8 MiB), message queues (800 KiB) and pending signals.
void set_default_rlimits(Process& p) {
    constexpr u64 kInfinity = ~u64{0};
    for (auto& r : p.rlimits) r = {kInfinity, kInfinity};
    p.rlimits[3] = {u64{8} << 20, kInfinity};   // RLIMIT_STACK
    p.rlimits[7] = {1024, 4096};                // RLIMIT_NOFILE
    p.rlimits[8] = {u64{8} << 20, u64{8} << 20};  // RLIMIT_MEMLOCK
    p.rlimits[11] = {63357, 63357};             // RLIMIT_SIGPENDING (a typical machine's)
    p.rlimits[12] = {819200, 819200};           // RLIMIT_MSGQUEUE
    p.rlimits[13] = {0, 0};                     // RLIMIT_NICE
    p.rlimits[14] = {0, 0};                     // RLIMIT_RTPRIO
}

namespace {

// A process's first thread: enter user mode where exec left the program.
void start_user(Task* t) {
    hal::enter_user(t->user_entry);
}

}  // namespace

Process* current_process() { return g_current.local(); }
void set_current_process(Process* process) { g_current.local() = process; }
void reset_pids_and_init_status() {
    g_next_pid = 1;
    g_init_exited = false;
    g_init_status = 0;
}
u32 allocate_pid() { return __atomic_fetch_add(&g_next_pid, 1u, __ATOMIC_RELAXED); }
bool init_exited() { return __atomic_load_n(&g_init_exited, __ATOMIC_ACQUIRE); }
i32 init_wait_status() { return g_init_status; }

Process* process_create(const char* name, u32 pid, Process* parent) {
    auto* p = static_cast<Process*>(kzalloc(sizeof(Process)));
    if (!p) return nullptr;
    new (p) Process();
    p->pid = pid;
    p->parent = parent;
    p->ppid = parent ? parent->pid : 0;
    str_copy(p->name, name, sizeof p->name);
    set_default_rlimits(*p);
    p->files = FdTable::create();
    p->fs = FsContext::create();
    p->start_cycles = hal::cycles();
    if (!p->files || !p->fs) {
        process_destroy(p);
        return nullptr;
    }
    return p;
}

void process_destroy(Process* p) {
    if (!p) return;
    KASSERT(p->threads.empty(), "process %u destroyed with threads", p->pid);
    KASSERT(current_process() != p, "process %u destroyed while current", p->pid);
    if (p->files) FdTable::destroy(p->files);
    if (p->fs) FsContext::destroy(p->fs);
    if (p->space) AddressSpace::destroy(p->space);
    p->~Process();
    kfree(p);
}

i64 process_start(Process* p) {
    KASSERT(p->space && p->entry_rip, "process_start of process %u that was never exec'ed", p->pid);
    Task* t = task_create(p, start_user);
    if (!t) return -linux::kEnomem;
    t->tid = p->pid;
    t->fs_base = p->fs_base;
    t->gs_base = p->gs_base;
    t->user_entry = TrapFrame{};
    t->user_entry.rip = p->entry_rip;
    t->user_entry.rsp = p->entry_rsp;
    t->user_entry.rflags = kUserInitialRflags;
    t->user_entry.cs = selector::kUserCode;
    t->user_entry.ss = selector::kUserData;
    fresh_xstate(t->xstate);
    t->xstate_saved = true;
    {
        SpinGuard guard(process_tree_lock());
        SpinGuard signals(p->signal_lock);  // senders walk the thread list under it
        p->threads.push_back(*t);
    }
    task_wake(t);
    return 0;
}

i64 process_fork(const TrapFrame& frame, u64 flags, u64 new_sp, u64 parent_tid, u64 child_tid) {
    Process* parent = current_process();
    Task* me = current_task();
    const u32 pid = allocate_pid();
    Process* child = process_create(parent->name, pid, parent);
    if (!child) return -linux::kEnomem;
    FdTable::destroy(child->files);
    FsContext::destroy(child->fs);
    child->files = parent->files->clone();
    child->fs = parent->fs->clone();
    child->space = parent->space->fork();
    Task* t = child->files && child->fs && child->space ? task_create(child, start_user) : nullptr;
    if (!t) {
        process_destroy(child);
        return -linux::kEnomem;
    }
    for (u32 i = 0; i < kSignalCount; ++i) child->actions[i] = parent->actions[i];
    for (u32 i = 0; i < Process::kRlimitCount; ++i) child->rlimits[i] = parent->rlimits[i];
    t->signals.blocked = me->signals.blocked;  // Linux's copy_process: mask and altstack inherited, pending not
    t->signals.altstack_sp = me->signals.altstack_sp;
    t->signals.altstack_size = me->signals.altstack_size;
    t->signals.altstack_flags = me->signals.altstack_flags;
    child->entry_rip = parent->entry_rip;
    child->entry_rsp = parent->entry_rsp;
    t->tid = pid;
    // The child returns from the same syscall with 0, on new_sp if given.
    t->user_entry = frame;
    t->user_entry.rax = 0;
    if (new_sp) t->user_entry.rsp = new_sp;
    // The parent's live user state is the child's: bases and x87/SSE.
    t->fs_base = hal::user_fs_base();
    t->gs_base = hal::user_gs_base();
    hal::xsave(t->xstate);
    t->xstate_saved = true;
    if (flags & kCloneChildCleartid) t->clear_child_tid = child_tid;
    if (flags & kCloneChildSettid) {
        const u32 tid = pid;
        if (user_write(*child->space, child_tid, &tid, sizeof tid) != 0) {
            free_unstarted_task(t);
            process_destroy(child);
            return -linux::kEfault;
        }
    }
    if ((flags & kCloneParentSettid) && put_user(parent_tid, pid) != 0) {
        free_unstarted_task(t);
        process_destroy(child);
        return -linux::kEfault;
    }
    process_link(child, parent);
    {
        SpinGuard guard(process_tree_lock());
        SpinGuard signals(child->signal_lock);  // senders walk the thread list under it
        child->threads.push_back(*t);
    }
    task_wake(t);
    return pid;
}

void process_exit(i32 wait_status) {
    Process* p = current_process();
    Task* me = current_task();
    KASSERT(p && me && me->process == p, "process_exit outside a process");
    // The thread's own goodbye: CLONE_CHILD_CLEARTID comes with threads.
    {
        SpinGuard guard(process_tree_lock());
        SpinGuard signals(p->signal_lock);  // senders walk the thread list under it
        p->threads.remove(*me);
        p->wait_status = wait_status;
        p->counters.user_cycles += me->run_cycles + (hal::cycles() - me->switched_in);
    }
    hal::set_accounting(0);
    set_current_process(nullptr);
    // Its memory goes now (a zombie keeps none); the CPU must not run on it.
    load_kernel_address_space();
    publish_counters(*p);
    if (p->space) {
        AddressSpace::destroy(p->space);
        p->space = nullptr;
    }
    if (p->files) {
        FdTable::destroy(p->files);
        p->files = nullptr;
    }
    make_zombie(p);
    if (p->pid == 1) {
        g_init_status = wait_status;
        __atomic_store_n(&g_init_exited, true, __ATOMIC_RELEASE);
    }
    task_exit_and_schedule();
}

void process_kill(i32 signal) { process_exit(wait_status_signaled(signal)); }

void count_syscall(Process& p, u64 number, bool known) {
    ProcessCounters& c = p.counters;
    ++c.syscalls;
    if (number < kSyscallSlots) ++c.by_number[number];
    if (known) return;
    ++c.unknown;
    for (u32 i = 0; i < c.unknown_distinct; ++i) {
        if (c.unknown_list[i].number == number) {
            ++c.unknown_list[i].count;
            return;
        }
    }
    if (c.unknown_distinct < ProcessCounters::kUnknownSlots) c.unknown_list[c.unknown_distinct++] = {number, 1};
}

}  // namespace kernel
