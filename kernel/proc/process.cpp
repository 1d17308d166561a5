#include "kernel/proc/process.h"

#include "kernel/fs/fd_table.h"
#include "kernel/fs/fs_context.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/format.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/percpu.h"
#include "kernel/lib/string.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/sys/syscall.h"

namespace kernel {
namespace {

PerCpu<Process*> g_current;

// The kernel stack of a process's context: what the qemu build runs its
// traps on (the sim build runs contexts on host stacks and ignores it).
constexpr u32 kKernelStackOrder = 2;  // 16 KiB
constexpr usize kKernelStackBytes = usize{kPageSize} << kKernelStackOrder;

void publish(const Process& p, const char* name, u64 value) {
    char scope[24];
    format(scope, sizeof scope, "process%u", p.pid);
    hal::publish_counter(scope, name, value);
}

void publish_counters(const Process& p) {
    const ProcessCounters& c = p.counters;
    publish(p, "process.exit_status", static_cast<u64>(p.wait_status));
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
        publish(p, "faults.stack_growth", f.stack_growth);
        publish(p, "faults.segv_maperr", f.maperr);
        publish(p, "faults.segv_accerr", f.accerr);
        publish(p, "faults.oom", f.oom);
        publish(p, "memory.resident_pages", p.space->resident_pages());
    }
}

// The process's own context: enter user mode at the entry exec left.
void process_main(void* arg) {
    auto* p = static_cast<Process*>(arg);
    set_current_process(p);
    load_address_space(p->space->root(), p->space->pcid());
    hal::xstate_reset();
    hal::set_user_fs_base(p->fs_base);
    hal::set_user_gs_base(p->gs_base);
    p->start_cycles = hal::cycles();
    hal::set_accounting(p->pid);
    TrapFrame frame{};
    frame.rip = p->entry_rip;
    frame.rsp = p->entry_rsp;
    frame.rflags = kUserInitialRflags;
    frame.cs = selector::kUserCode;
    frame.ss = selector::kUserData;
    hal::enter_user(frame);
}

}  // namespace

Process* current_process() { return g_current.local(); }
void set_current_process(Process* process) { g_current.local() = process; }

Process* process_create(const char* name, u32 pid, u32 ppid) {
    auto* p = static_cast<Process*>(kzalloc(sizeof(Process)));
    if (!p) return nullptr;
    new (p) Process();
    p->pid = pid;
    p->ppid = ppid;
    str_copy(p->name, name, sizeof p->name);
    p->files = FdTable::create();
    p->fs = FsContext::create();
    p->xstate = kmalloc(hal::xstate_size());
    if (!p->files || !p->fs || !p->xstate) {
        process_destroy(p);
        return nullptr;
    }
    return p;
}

void process_destroy(Process* p) {
    if (!p) return;
    KASSERT(current_process() != p, "process %u destroyed while current", p->pid);
    if (p->files) FdTable::destroy(p->files);
    if (p->fs) FsContext::destroy(p->fs);
    if (p->space) AddressSpace::destroy(p->space);
    kfree(p->xstate);
    p->~Process();
    kfree(p);
}

i32 run_process(Process* p) {
    KASSERT(p->space && p->entry_rip, "run_process of process %u that was never exec'ed", p->pid);
    Page* stack = pmm::alloc_pages(kKernelStackOrder);
    if (!stack) return -static_cast<i32>(linux::kEnomem);
    p->kernel_stack = hal::phys_to_virt(pmm::page_to_phys(stack));
    p->waiter = hal::context_current();
    p->context = hal::context_create(process_main, p, p->kernel_stack, kKernelStackBytes);
    KASSERT(p->context, "no memory for process %u's context", p->pid);
    hal::context_switch(p->context);
    // Back: the process has exited (process_exit switched here for good).
    KASSERT(p->exited, "process %u's context came back before it exited", p->pid);
    hal::context_destroy(p->context);
    p->context = nullptr;
    pmm::free_pages(stack, kKernelStackOrder);
    p->kernel_stack = nullptr;
    return p->wait_status;
}

void process_exit(i32 wait_status) {
    Process* p = current_process();
    KASSERT(p, "process_exit with no current process");
    p->exited = true;
    p->wait_status = wait_status;
    hal::set_accounting(0);
    set_current_process(nullptr);
    load_kernel_address_space();
    publish_counters(*p);
    hal::context_switch(p->waiter);
    panic("process %u's context was resumed after it exited", p->pid);
}

void process_kill(i32 signal) {
    process_exit(wait_status_signaled(signal));
}

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
