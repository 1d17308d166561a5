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
#include "kernel/proc/itimer.h"
#include "kernel/proc/process_tree.h"
#include "kernel/sched/scheduler.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/elf_loader.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_numbers.h"
#include "kernel/sync/futex.h"
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

// The child thread's registers and user state: it returns from the same
// syscall with 0, on `stack` if given, with the caller's live x87/SSE state
// and bases (FS from CLONE_SETTLS).
void copy_user_state(Task* t, const TrapFrame& frame, const CloneArgs& args) {
    t->user_entry = frame;
    t->user_entry.rax = 0;
    if (args.stack) t->user_entry.rsp = args.stack;
    t->fs_base = (args.flags & kCloneSettls) ? args.tls : hal::user_fs_base();
    t->gs_base = hal::user_gs_base();
    hal::xsave(t->xstate);
    t->xstate_saved = true;
    if (args.flags & kCloneChildCleartid) t->clear_child_tid = args.child_tid;
}

// Adds a started thread to p's list (both locks: senders walk it under signal_lock).
// False when p is exiting or exec'ing: no new thread may join.
bool link_thread(Process* p, Task* t) {
    SpinGuard guard(process_tree_lock());
    SpinGuard signals(p->signal_lock);
    if (p->group_exiting || p->exec_task) return false;
    p->threads.push_back(*t);
    __atomic_store_n(&p->thread_count, p->thread_count + 1, __ATOMIC_RELEASE);
    return true;
}

// A SIGKILL to every thread but `me` (signal_lock held; Linux's zap_other_threads).
void zap_other_threads_locked(Process* p, Task* me) {
    p->threads.for_each([&](Task& t) {
        if (&t == me) return;
        t.signals.pending.set |= signal_bit(signal::kSigkill);
        t.signals.pending.info[signal::kSigkill - 1] = SigInfo{signal::kSigkill, si::kKernel, 0, 0, 0, 0};
        task_wake(&t);
        task_kick(&t);
    });
}

// A vfork parent sleeping until its child gives the address space back.
void release_vfork_parent(Process* p) {
    if (!__atomic_load_n(&p->vfork_pending, __ATOMIC_ACQUIRE)) return;
    __atomic_store_n(&p->vfork_pending, false, __ATOMIC_RELEASE);
    p->vfork_events.wake_all();
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
    if (p->space) AddressSpace::release(p->space);
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
    const bool linked = link_thread(p, t);
    KASSERT(linked, "process %u refused its first thread", p->pid);
    task_wake(t);
    return 0;
}

Task* find_thread_locked(Process& p, u32 tid) {
    Task* found = nullptr;
    p.threads.for_each([&](Task& t) {
        if (t.tid == tid) found = &t;
    });
    return found;
}

Task* find_thread_any_locked(u32 tid) {
    struct Search {
        u32 tid;
        Task* found;
    } search{tid, nullptr};
    for_each_process_locked(
        [](Process* p, void* context) {
            auto* s = static_cast<Search*>(context);
            if (!s->found) s->found = find_thread_locked(*p, s->tid);
        },
        &search);
    return search.found;
}

i64 process_fork(const TrapFrame& frame, const CloneArgs& args) {
    Process* parent = current_process();
    Task* me = current_task();
    const u32 pid = allocate_pid();
    Process* child = process_create(parent->name, pid, parent);
    if (!child) return -linux::kEnomem;
    FdTable::destroy(child->files);
    FsContext::destroy(child->fs);
    child->files = parent->files->clone();
    child->fs = parent->fs->clone();
    if (args.flags & kCloneVm) {
        parent->space->get();
        child->space = parent->space;
    } else {
        child->space = parent->space->fork();
    }
    Task* t = child->files && child->fs && child->space ? task_create(child, start_user) : nullptr;
    if (!t) {
        process_destroy(child);
        return -linux::kEnomem;
    }
    for (u32 i = 0; i < kSignalCount; ++i) child->actions[i] = parent->actions[i];
    for (u32 i = 0; i < Process::kRlimitCount; ++i) child->rlimits[i] = parent->rlimits[i];
    t->signals.blocked = me->signals.blocked;  // Linux's copy_process: mask and altstack inherited, pending not
    t->allowed_cpus = me->allowed_cpus;        // and the CPU affinity
    if (!(args.flags & kCloneVm) || (args.flags & kCloneVfork)) {
        // Linux drops the altstack for CLONE_VM children that are not vforks.
        t->signals.altstack_sp = me->signals.altstack_sp;
        t->signals.altstack_size = me->signals.altstack_size;
        t->signals.altstack_flags = me->signals.altstack_flags;
    }
    child->entry_rip = parent->entry_rip;
    child->entry_rsp = parent->entry_rsp;
    t->tid = pid;
    copy_user_state(t, frame, args);
    if (args.flags & kCloneChildSettid) {
        const u32 tid = pid;
        if (user_write(*child->space, args.child_tid, &tid, sizeof tid) != 0) {
            free_unstarted_task(t);
            process_destroy(child);
            return -linux::kEfault;
        }
    }
    if ((args.flags & kCloneParentSettid) && put_user(args.parent_tid, pid) != 0) {
        free_unstarted_task(t);
        process_destroy(child);
        return -linux::kEfault;
    }
    const bool vfork = args.flags & kCloneVfork;
    if (vfork) child->vfork_pending = true;
    process_link(child, parent);
    const bool linked = link_thread(child, t);
    KASSERT(linked, "a new process refused its first thread");
    task_wake(t);
    // vfork: the parent sleeps until the child gave the memory back (Linux's
    // wait_for_vfork_done, killable: only a fatal signal ends it early).
    if (vfork) child->vfork_events.wait([&] { return !__atomic_load_n(&child->vfork_pending, __ATOMIC_ACQUIRE); });
    return pid;
}

i64 thread_create(const TrapFrame& frame, const CloneArgs& args) {
    Process* p = current_process();
    Task* me = current_task();
    Task* t = task_create(p, start_user);
    if (!t) return -linux::kEnomem;
    t->tid = allocate_pid();
    t->signals.blocked = me->signals.blocked;  // the altstack is not inherited by CLONE_VM threads
    t->allowed_cpus = me->allowed_cpus;
    copy_user_state(t, frame, args);
    if ((args.flags & kCloneChildSettid) && put_user(args.child_tid, t->tid) != 0) {
        free_unstarted_task(t);
        return -linux::kEfault;
    }
    if ((args.flags & kCloneParentSettid) && put_user(args.parent_tid, t->tid) != 0) {
        free_unstarted_task(t);
        return -linux::kEfault;
    }
    const u32 tid = t->tid;
    if (!link_thread(p, t)) {
        free_unstarted_task(t);
        return -linux::kEintr;
    }
    task_wake(t);
    return tid;
}

i64 process_exec_prepare(Process& p) {
    // Boot's exec of init (and kernel tests) run on no thread of p.
    if (current_process() == &p && __atomic_load_n(&p.thread_count, __ATOMIC_ACQUIRE) > 0) {
        Task* me = current_task();
        {
            SpinGuard guard(p.signal_lock);
            if (p.group_exiting) return -linux::kEagain;
            if (p.thread_count > 1) {
                p.exec_task = me;
                zap_other_threads_locked(&p, me);
            }
        }
        p.thread_events.wait([&] { return __atomic_load_n(&p.thread_count, __ATOMIC_ACQUIRE) == 1; });
        {
            SpinGuard guard(p.signal_lock);
            p.exec_task = nullptr;
        }
        me->tid = p.pid;  // Linux: the exec'ing thread takes over the leader's pid
        futex_release_thread(me);
    }
    release_vfork_parent(&p);
    if (p.space && loaded_address_space() == p.space) activate_address_space(nullptr);
    return 0;
}

void process_exit(i32 wait_status) {
    Process* p = current_process();
    Task* me = current_task();
    KASSERT(p && me && me->process == p, "process_exit outside a process");
    {
        SpinGuard guard(p->signal_lock);
        if (p->group_exiting) {
            wait_status = p->group_exit_status;  // another thread decided first
        } else if (!p->exec_task) {
            p->group_exiting = true;
            p->group_exit_status = wait_status;
            zap_other_threads_locked(p, me);
        }
        // else: an exec is killing the other threads; this one just goes.
    }
    thread_exit(wait_status);
}

void thread_exit(i32 wait_status) {
    Process* p = current_process();
    Task* me = current_task();
    KASSERT(p && me && me->process == p, "thread_exit outside a process");
    // Linux's mm_release: robust futexes and clear_child_tid, while the
    // thread's memory is still its own; then the CPU leaves the space, so the
    // last thread out may destroy it (no CPU has it loaded any more).
    futex_release_thread(me);
    activate_address_space(nullptr);
    bool last;
    {
        SpinGuard guard(process_tree_lock());
        SpinGuard signals(p->signal_lock);  // senders walk the thread list under it
        p->threads.remove(*me);
        __atomic_store_n(&p->thread_count, p->thread_count - 1, __ATOMIC_RELEASE);
        last = p->threads.empty();
        if (last) p->wait_status = p->group_exiting ? p->group_exit_status : wait_status;
        p->counters.user_cycles += me->run_cycles + (hal::cycles() - me->switched_in);
    }
    p->thread_events.wake_all();
    if (!last) task_exit_and_schedule();
    itimer_real_stop(*p);  // no SIGALRM for a zombie, no callback on a freed process
    hal::set_accounting(0);
    set_current_process(nullptr);
    publish_counters(*p);
    release_vfork_parent(p);
    if (p->space) {
        AddressSpace::release(p->space);
        p->space = nullptr;
    }
    if (p->files) {
        FdTable::destroy(p->files);
        p->files = nullptr;
    }
    make_zombie(p);
    if (p->pid == 1) {
        g_init_status = p->wait_status;
        __atomic_store_n(&g_init_exited, true, __ATOMIC_RELEASE);
    }
    task_exit_and_schedule();
}

void process_kill(i32 signal) { process_exit(wait_status_signaled(signal)); }

void count_syscall(Process& p, u64 number, bool known) {
    ProcessCounters& c = p.counters;
    // Threads of p count on several CPUs at once.
    __atomic_fetch_add(&c.syscalls, 1, __ATOMIC_RELAXED);
    if (number < kSyscallSlots) __atomic_fetch_add(&c.by_number[number], 1, __ATOMIC_RELAXED);
    if (known) return;
    SpinGuard guard(p.signal_lock);  // the ENOSYS list is rare and small
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
