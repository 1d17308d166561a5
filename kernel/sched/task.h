// A task: one thread of control the scheduler runs — a user thread with its
// kernel context and stack, or a CPU's idle task (the context the CPU booted
// on). The process it belongs to holds what its threads share (address space,
// files, ...); the task holds what is its own: kernel context, saved user
// extended state and FS/GS bases, scheduling state.
//
// States (Linux's): kRunning on a CPU (at most one task per CPU: that CPU's
// current), kRunnable on exactly one run queue, kSleeping on a wait queue
// (or nowhere, waiting for a wake-up by pointer), kDead once it has left for
// good: its context and stack are freed by the next task that runs on its
// CPU (finish_switch), never by itself.
//
// on_cpu: true from the moment a CPU switches to the task until the next task
// on that CPU has finished switching away from it.
//
// Wake-ups (task_wake) race with the sleeper's own schedule(): the waker sets
// wake_pending first; a sleeper that has not yet switched away sees it under
// its run-queue lock and stays running; one that has switched away is made
// runnable by the waker once on_cpu is clear, by the single compare-and-swap
// of its state from kSleeping to kRunnable. So a wake-up is never lost and a
// task is never on two CPUs.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/list.h"
#include "kernel/lib/types.h"
#include "kernel/proc/signal_state.h"
#include "kernel/sched/kernel_timer.h"

namespace kernel {

struct Process;

enum class TaskState : u8 { kRunnable, kRunning, kSleeping, kDead };

struct Task {
    u32 tid = 0;
    Process* process = nullptr;        // nullptr for an idle task
    TaskState state = TaskState::kRunnable;
    bool on_cpu = false;
    bool wake_pending = false;
    bool idle = false;
    u32 cpu = 0;                       // where it runs or last ran
    u64 allowed_cpus = ~u64{0};        // sched_setaffinity: the CPUs it may run on (bit per CPU)

    hal::KernelContext* context = nullptr;
    void* kernel_stack = nullptr;      // pmm pages the qemu build runs on
    void (*entry)(Task*) = nullptr;    // what a new task runs first (after finish_switch)

    // User state while the task is off its CPU.
    u64 fs_base = 0, gs_base = 0;
    void* xstate = nullptr;            // hal::xsave area (xstate_size bytes)
    bool xstate_saved = false;         // the area holds its state (else the CPU does)
    TrapFrame user_entry{};            // where a new task enters user mode

    u64 slice_end = 0;                 // cycles: when the timer preempts it
    u64 run_cycles = 0;                // cycles on a CPU so far
    u64 switched_in = 0;
    u64 clear_child_tid = 0;           // set_tid_address / CLONE_CHILD_CLEARTID
    u64 robust_list = 0;               // set_robust_list (recorded until futexes)
    i64 syscall_nr = -1;               // the syscall in progress (Linux's orig_ax), for restarts; -1 outside one
    TaskSignals signals;               // blocked mask, thread-directed pending set, altstack (kernel/proc/signal.h)

    // A timed sleep (scheduler.h sleep timers): woken at the deadline unless
    // something else woke it first.
    KernelTimer sleep_timer;

    ListNode run_node;                 // on its run queue while runnable
    ListNode wait_node;                // on a wait queue while sleeping
    ListNode thread_node;              // on its process's thread list
};

// The task running on this CPU.
Task* current_task();

}  // namespace kernel
