// The scheduler (DESIGN.md "Determinism and multiple CPUs"): per-CPU run
// queues, round-robin time slices preempted by the modeled timer, an idle task
// per CPU (the context the CPU booted on), and load balancing by placement
// (a new or woken task goes to the CPU with the fewest runnable tasks) and by
// stealing (an idle CPU takes a task from the busiest queue).
//
// A context switch saves the outgoing user task's x87/SSE state (hal::xsave)
// and FS/GS bases, loads the incoming one's address space (CR3 with its PCID,
// no flush when PCIDs are on) and state, and switches kernel contexts. The run
// queue lock is held across the switch and released by the incoming task
// (finish_switch), as Linux's finish_task_switch does.
//
// Counters per CPU: switches, preemptions, steals, idle entries (published as
// sched.* for the run report).
#pragma once

#include "kernel/lib/types.h"
#include "kernel/sched/task.h"

namespace kernel {

inline constexpr u64 kTimeSliceCycles = 4'000'000;  // 1 ms at 4 GHz (Linux's CFS minimum granularity is ~0.75-3 ms)

// Once per CPU before it schedules: the calling context becomes the CPU's idle task.
void scheduler_init_cpu();

// A new task that will run entry(task) on a fresh kernel context; not yet runnable.
Task* task_create(Process* process, void (*entry)(Task*));
// Frees a task made by task_create that never ran.
void free_unstarted_task(Task* task);
// Writes the x87/SSE state a new program starts with (FNINIT, MXCSR 0x1F80)
// into an xstate area, in the layout hal::xrstor reads.
void fresh_xstate(void* area);
// The current task is about to sleep: it marks itself sleeping (under the
// lock of whatever it waits on) and then calls schedule(), which switches
// away unless a task_wake came in between.
void prepare_to_sleep();
// Makes a new or sleeping task runnable on the least loaded CPU.
void task_wake(Task* task);
// Makes a task that runs on another CPU enter the kernel soon (a reschedule
// IPI), so that it sees a signal sent to it; nothing if it runs nowhere.
void task_kick(Task* task);
// Gives up the CPU: the current task goes back on its queue if still runnable.
void schedule();
// The current task leaves for good (its state set to kDead); never returns.
[[noreturn]] void task_exit_and_schedule();
// What a new task's context calls first: completes the switch into it.
void finish_switch();

// Sleep timers (kernel timers, kernel_timer.h, whose callback wakes the
// task): a task about to sleep arms one for `deadline` (cycles) on this CPU;
// when the deadline passes the CPU wakes it (task_wake), unless timer_cancel
// disarmed it first.
void timer_arm(Task* task, u64 deadline);
// Disarms it; once this returns the timer will not wake the task. True when
// it had already expired (the sleep ended by its deadline).
bool timer_cancel(Task* task);
// Runs the kernel timers of this CPU whose deadlines passed.
void run_expired_timers();

// The idle loop: runs tasks as they become runnable, idling the CPU between
// them, until stop() holds; then returns on the CPU's idle task.
void run_idle_loop(bool (*stop)());

// Affinity (Task::allowed_cpus): placement, stealing and the choice of the
// next task keep to a task's allowed CPUs; the current task leaves a CPU its
// affinity no longer allows at its next schedule() (at once when it changed
// its own, at the kick or tick otherwise).
void reschedule_if_disallowed();
// From the timer interrupt: preempts the current task if its slice is over
// and another is waiting, or if its affinity excludes this CPU.
void scheduler_tick();
// The CPU's timer deadline for the current task (hal::timer_set_deadline).
void arm_timer();

struct SchedulerCounters {
    u64 switches = 0;
    u64 preemptions = 0;
    u64 steals = 0;
    u64 idle_entries = 0;
    u64 timer_wakeups = 0;   // kernel timers that fired (sleepers woken by their deadline, alarms)
};
const SchedulerCounters& scheduler_counters(u32 cpu);
u32 runnable_tasks(u32 cpu);

}  // namespace kernel
