#include "kernel/sched/scheduler.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/list.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/percpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/lib/string.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/mm/tlb_shootdown.h"
#include "kernel/proc/process.h"
#include "kernel/smp/cross_call.h"

namespace kernel {
namespace {

constexpr u32 kKernelStackOrder = 2;  // 16 KiB, what the qemu build runs a task's traps on
constexpr u64 kIdleCycles = 20'000;   // how long an idle CPU waits before looking again

struct RunQueue {
    SpinLock lock{"runqueue"};
    IntrusiveList<Task, &Task::run_node> tasks;
    u32 queued = 0;          // tasks on `tasks` (read without the lock for placement)
    Task* current = nullptr;
    Task* idle = nullptr;
    Task* prev = nullptr;    // the task being switched away from, until finish_switch
    Task* migrate = nullptr; // prev, runnable but not allowed here: finish_switch places it elsewhere
    IntrusiveList<KernelTimer, &KernelTimer::node> timers;  // armed kernel timers (unsorted: few)
    SchedulerCounters counters;
};

PerCpu<RunQueue> g_rq;
u32 g_next_tid = 1000000;    // idle tasks' ids; user tasks take their process's pid or a fresh id

RunQueue& rq_of(u32 cpu) { return g_rq.on(cpu); }

u32 queued(u32 cpu) { return __atomic_load_n(&rq_of(cpu).queued, __ATOMIC_RELAXED); }

// The CPU a woken or new task goes to: fewest queued tasks, its last CPU on a tie.
bool allowed_on(const Task& t, u32 cpu) { return (t.allowed_cpus >> cpu) & 1; }

// Among the CPUs its affinity allows (all, if that is none of the online ones).
u32 place(const Task& t) {
    const u32 cpus = hal::boot_info().cpu_count;
    u32 best = cpus;
    if (t.cpu < cpus && allowed_on(t, t.cpu)) best = t.cpu;
    for (u32 c = 0; c < cpus; ++c)
        if (allowed_on(t, c) && (best == cpus || queued(c) < queued(best))) best = c;
    return best == cpus ? 0 : best;
}

void enqueue(u32 cpu, Task* t) {
    RunQueue& rq = rq_of(cpu);
    rq.lock.lock();
    t->state = TaskState::kRunnable;
    t->cpu = cpu;
    rq.tasks.push_back(*t);
    __atomic_store_n(&rq.queued, rq.queued + 1, __ATOMIC_RELAXED);
    const bool idle = rq.current == rq.idle;
    rq.lock.unlock();
    // An idle CPU wakes up at once rather than at its next look at its queue.
    if (idle && cpu != hal::current_cpu()) hal::send_ipi(cpu, hal::kRescheduleVector);
}

// The task entry every new context starts in.
void task_trampoline(void* arg) {
    finish_switch();
    Task* t = static_cast<Task*>(arg);
    t->entry(t);
    panic("task %u's entry returned", t->tid);
}

void free_task(Task* t) {
    if (t->context) hal::context_destroy(t->context);
    if (t->kernel_stack) pmm::free_pages(pmm::phys_to_page(hal::virt_to_phys(t->kernel_stack)), kKernelStackOrder);
    if (t->xstate) pmm::free_page(pmm::phys_to_page(hal::virt_to_phys(t->xstate)));
    t->~Task();
    kfree(t);
}

// Saves what the CPU holds of prev's user state and loads next's.
void switch_user_state(Task* prev, Task* next) {
    if (prev->process && !prev->xstate_saved) {
        hal::xsave(prev->xstate);
        prev->fs_base = hal::user_fs_base();
        prev->gs_base = hal::user_gs_base();
        prev->xstate_saved = true;
    }
    if (next->process) {
        activate_address_space(next->process->space);
        if (next->xstate_saved) {
            hal::xrstor(next->xstate);
            next->xstate_saved = false;
        }
        hal::set_user_fs_base(next->fs_base);
        hal::set_user_gs_base(next->gs_base);
        hal::set_accounting(next->process->pid);
    } else {
        // Idle runs on the kernel's own tables (no lazy TLB): a CPU in idle
        // is in no space's mask, so shootdowns never interrupt it.
        activate_address_space(nullptr);
        hal::set_accounting(0);
    }
}

// With rq locked: switch from prev (current) to next. Returns when prev runs again.
void switch_to(RunQueue& rq, Task* prev, Task* next) {
    while (__atomic_load_n(&next->on_cpu, __ATOMIC_ACQUIRE)) spin_relax();  // finishing a switch elsewhere
    const u64 now = hal::cycles();
    prev->run_cycles += now - prev->switched_in;
    switch_user_state(prev, next);
    next->state = TaskState::kRunning;
    next->on_cpu = true;
    next->cpu = hal::current_cpu();
    next->switched_in = now;
    next->slice_end = now + kTimeSliceCycles;
    rq.current = next;
    rq.prev = prev;
    ++rq.counters.switches;
    set_current_process(next->process);
    hal::context_switch(next->context);
    finish_switch();
}

// Takes a task from the busiest other queue onto this CPU's.
bool steal() {
    const u32 me = hal::current_cpu(), cpus = hal::boot_info().cpu_count;
    u32 victim = me;
    for (u32 c = 0; c < cpus; ++c)
        if (c != me && queued(c) > 0 && (victim == me || queued(c) > queued(victim))) victim = c;
    if (victim == me) return false;
    RunQueue& from = rq_of(victim);
    from.lock.lock();
    Task* t = nullptr;  // the most recently queued task that may run here
    from.tasks.for_each([&](Task& candidate) {
        if (allowed_on(candidate, me)) t = &candidate;
    });
    if (t) {
        from.tasks.remove(*t);
        __atomic_store_n(&from.queued, from.queued - 1, __ATOMIC_RELAXED);
    }
    from.lock.unlock();
    if (!t) return false;
    enqueue(me, t);
    ++g_rq.local().counters.steals;
    return true;
}

// The earliest armed sleep timer of this CPU (0: none).
u64 earliest_timer() {
    RunQueue& rq = g_rq.local();
    u64 earliest = 0;
    rq.lock.lock();
    rq.timers.for_each([&](KernelTimer& t) {
        if (!earliest || t.deadline < earliest) earliest = t.deadline;
    });
    rq.lock.unlock();
    return earliest;
}

// The fresh x87/SSE image, captured once before any user code runs.
alignas(64) u8 g_fresh_xstate[4096];
bool g_fresh_xstate_ready = false;

}  // namespace

Task* current_task() { return g_rq.local().current; }

void fresh_xstate(void* area) {
    KASSERT(g_fresh_xstate_ready, "fresh_xstate before scheduler_init_cpu");
    mem_copy(area, g_fresh_xstate, hal::xstate_size());
}

void free_unstarted_task(Task* t) {
    KASSERT(!t->on_cpu && t->state == TaskState::kSleeping, "task %u has run", t->tid);
    free_task(t);
}

void scheduler_init_cpu() {
    // Each boot starts from nothing (a host process may boot several machines).
    RunQueue& rq = g_rq.local();
    rq.~RunQueue();
    new (&rq) RunQueue();
    cross_call_init_cpu();
    shootdown_init_cpu();
    if (hal::current_cpu() == 0) {
        KASSERT(hal::xstate_size() <= sizeof g_fresh_xstate, "xstate of %llu bytes",
                static_cast<unsigned long long>(hal::xstate_size()));
        hal::xstate_reset();
        hal::xsave(g_fresh_xstate);
        __atomic_store_n(&g_fresh_xstate_ready, true, __ATOMIC_RELEASE);
    }
    auto* idle = static_cast<Task*>(kzalloc(sizeof(Task)));
    KASSERT(idle, "no memory for cpu %u's idle task", hal::current_cpu());
    new (idle) Task();
    idle->tid = __atomic_fetch_add(&g_next_tid, 1u, __ATOMIC_RELAXED);
    idle->idle = true;
    idle->state = TaskState::kRunning;
    idle->on_cpu = true;
    idle->cpu = hal::current_cpu();
    idle->context = hal::context_current();
    idle->switched_in = hal::cycles();
    rq.idle = idle;
    rq.current = idle;
}

Task* task_create(Process* process, void (*entry)(Task*)) {
    auto* t = static_cast<Task*>(kzalloc(sizeof(Task)));
    if (!t) return nullptr;
    new (t) Task();
    t->process = process;
    t->entry = entry;
    t->state = TaskState::kSleeping;
    t->cpu = hal::current_cpu();
    Page* stack = pmm::alloc_pages(kKernelStackOrder);
    Page* xstate = pmm::alloc_page();
    if (stack) t->kernel_stack = hal::phys_to_virt(pmm::page_to_phys(stack));
    if (xstate) t->xstate = hal::phys_to_virt(pmm::page_to_phys(xstate));
    if (t->kernel_stack && t->xstate)
        t->context = hal::context_create(task_trampoline, t, t->kernel_stack, usize{kPageSize} << kKernelStackOrder);
    if (!t->context) {
        free_task(t);
        return nullptr;
    }
    return t;
}

void task_wake(Task* t) {
    // Sequentially consistent, as the sleeper's side (prepare_to_sleep, then
    // schedule's exchange): a store then a load of another variable may
    // otherwise be reordered (x86 store buffers), and each side could miss
    // the other's write — a lost wake-up.
    __atomic_store_n(&t->wake_pending, true, __ATOMIC_SEQ_CST);
    for (;;) {
        const TaskState s = __atomic_load_n(&t->state, __ATOMIC_SEQ_CST);
        if (s != TaskState::kSleeping) return;  // running (it saw wake_pending), runnable or dead
        if (!__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE)) break;
        spin_relax();  // deciding to sleep, or switching away, on its CPU
    }
    TaskState expected = TaskState::kSleeping;
    if (!__atomic_compare_exchange_n(&t->state, &expected, TaskState::kRunnable, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return;  // another waker won
    __atomic_store_n(&t->wake_pending, false, __ATOMIC_RELEASE);
    enqueue(place(*t), t);
}

void prepare_to_sleep() {
    __atomic_store_n(&current_task()->state, TaskState::kSleeping, __ATOMIC_SEQ_CST);
}

void task_kick(Task* t) {
    if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TaskState::kRunning) return;
    const u32 cpu = __atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE);
    if (cpu != hal::current_cpu()) hal::send_ipi(cpu, hal::kRescheduleVector);
}

void schedule() {
    RunQueue& rq = g_rq.local();
    rq.lock.lock();
    Task* prev = rq.current;
    // A wake-up that came while it was deciding to sleep: it stays.
    if (prev->state == TaskState::kSleeping && __atomic_exchange_n(&prev->wake_pending, false, __ATOMIC_SEQ_CST))
        __atomic_store_n(&prev->state, TaskState::kRunning, __ATOMIC_RELEASE);
    const u32 me = hal::current_cpu();
    if (prev->state == TaskState::kRunning) {
        prev->state = TaskState::kRunnable;
        if (!prev->idle && allowed_on(*prev, me)) {
            rq.tasks.push_back(*prev);
            ++rq.queued;
        } else if (!prev->idle) {
            rq.migrate = prev;  // its affinity excludes this CPU: placed elsewhere once switched away
        }
    }
    // The first queued task allowed here; one whose affinity changed while it
    // was queued runs anyway rather than starve, and moves at its next switch.
    Task* next = nullptr;
    rq.tasks.for_each([&](Task& t) {
        if (!next && allowed_on(t, me)) next = &t;
    });
    if (!next) next = rq.tasks.front();
    if (next) {
        rq.tasks.remove(*next);
        --rq.queued;
    } else {
        next = rq.idle;
    }
    if (next == prev) {
        prev->state = TaskState::kRunning;
        prev->slice_end = hal::cycles() + kTimeSliceCycles;
        rq.lock.unlock();
        arm_timer();
        return;
    }
    switch_to(rq, prev, next);
}

void task_exit_and_schedule() {
    Task* me = current_task();
    KASSERT(!me->idle, "an idle task cannot exit");
    me->state = TaskState::kDead;
    schedule();
    panic("dead task %u was scheduled", me->tid);
}

void finish_switch() {
    RunQueue& rq = g_rq.local();
    Task* prev = rq.prev;
    rq.prev = nullptr;
    Task* migrate = rq.migrate;
    rq.migrate = nullptr;
    rq.lock.unlock();
    if (prev) {
        // Read before on_cpu is cleared: from then on a sleeping prev may be
        // woken, run and even exit (and be freed) on another CPU.
        const bool dead = prev->state == TaskState::kDead;
        __atomic_store_n(&prev->on_cpu, false, __ATOMIC_RELEASE);
        if (dead) free_task(prev);
    }
    if (migrate) enqueue(place(*migrate), migrate);
    arm_timer();
}

void run_idle_loop(bool (*stop)()) {
    RunQueue& rq = g_rq.local();
    KASSERT(current_task() == rq.idle, "run_idle_loop off the idle task");
    while (!stop()) {
        if (queued(hal::current_cpu()) == 0) steal();
        if (queued(hal::current_cpu()) > 0) {
            schedule();
            continue;
        }
        run_expired_timers();
        if (queued(hal::current_cpu()) > 0) continue;
        ++rq.counters.idle_entries;
        const u64 now = hal::cycles(), next = earliest_timer();
        idle_for(next && next > now && next - now < kIdleCycles ? next - now : kIdleCycles);
    }
}

void reschedule_if_disallowed() {
    Task* t = current_task();
    if (!t->idle && !allowed_on(*t, hal::current_cpu())) schedule();
}

void scheduler_tick() {
    run_expired_timers();
    Task* t = current_task();
    if (t->idle) return;
    if (!allowed_on(*t, hal::current_cpu())) {
        schedule();
        return;
    }
    if (hal::cycles() >= t->slice_end && queued(hal::current_cpu()) > 0) {
        ++g_rq.local().counters.preemptions;
        schedule();
        return;
    }
    if (hal::cycles() >= t->slice_end) t->slice_end = hal::cycles() + kTimeSliceCycles;
    arm_timer();
}

void arm_timer() {
    Task* t = current_task();
    u64 deadline = t && !t->idle ? t->slice_end : 0;
    const u64 sleeper = earliest_timer();
    if (sleeper && (!deadline || sleeper < deadline)) deadline = sleeper;
    hal::timer_set_deadline(deadline);
}

void kernel_timer_arm(KernelTimer* t, u64 deadline) {
    RunQueue& rq = g_rq.local();
    rq.lock.lock();
    KASSERT(!t->armed, "a kernel timer armed twice");
    t->deadline = deadline;
    t->cpu = hal::current_cpu();
    t->armed = true;
    t->expired = false;
    rq.timers.push_back(*t);
    rq.lock.unlock();
}

bool kernel_timer_cancel(KernelTimer* t) {
    RunQueue& rq = rq_of(__atomic_load_n(&t->cpu, __ATOMIC_ACQUIRE));
    rq.lock.lock();
    if (t->armed) {
        rq.timers.remove(*t);
        t->armed = false;
    }
    rq.lock.unlock();
    // An expiry that took it off the list may still be running its callback.
    while (__atomic_load_n(&t->firing, __ATOMIC_ACQUIRE)) spin_relax();
    return t->expired;
}

void run_expired_timers() {
    RunQueue& rq = g_rq.local();
    for (;;) {
        const u64 now = hal::cycles();
        KernelTimer* due = nullptr;
        rq.lock.lock();
        rq.timers.for_each([&](KernelTimer& t) {
            if (!due && t.deadline <= now) due = &t;
        });
        if (due) {
            rq.timers.remove(*due);
            due->armed = false;
            due->expired = true;
            __atomic_store_n(&due->firing, true, __ATOMIC_RELEASE);
            ++rq.counters.timer_wakeups;
        }
        rq.lock.unlock();
        if (!due) return;
        due->fn(due);
        __atomic_store_n(&due->firing, false, __ATOMIC_RELEASE);
    }
}

namespace {

void wake_sleeper(KernelTimer* t) { task_wake(static_cast<Task*>(t->owner)); }

}  // namespace

void timer_arm(Task* t, u64 deadline) {
    t->sleep_timer.fn = wake_sleeper;
    t->sleep_timer.owner = t;
    kernel_timer_arm(&t->sleep_timer, deadline);
}

bool timer_cancel(Task* t) { return kernel_timer_cancel(&t->sleep_timer); }

const SchedulerCounters& scheduler_counters(u32 cpu) { return rq_of(cpu).counters; }
u32 runnable_tasks(u32 cpu) { return queued(cpu); }

}  // namespace kernel
