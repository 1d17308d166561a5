// Each CPU's one-shot timer (hal.h timer_set_deadline) on its local APIC
// (SDM Vol. 3A 10.5.4), and hal::cpu_idle, which halts on it. timer.cpp.
#pragma once

#include "kernel/hal/trap_frame.h"
#include "kernel/lib/types.h"

namespace kernel::x86 {

// Boot CPU, once, after lapic::init and init_clock: chooses TSC-deadline mode
// when the CPU has it, else calibrates one-shot mode against the TSC; then
// sets up the boot CPU's timer (init_timer_this_cpu).
void init_timer();
// Every CPU, after lapic::enable_this_cpu: its timer LVT, disarmed.
void init_timer_this_cpu();

// x86_interrupt_dispatch, for hal::kTimerVector (the EOI sent): calls
// kernel::on_interrupt when the deadline armed on this CPU has passed and the
// CPU was in user mode.
void timer_interrupt(TrapFrame& frame);
// A kernel-mode interrupt other than the timer: true when it came during
// hal::cpu_idle, which it wakes (cpu_idle then returns early); false when the
// kernel took an interrupt anywhere else, which it never enables.
bool idle_wakeup();

// The counters of timer interrupts, as hal::publish_counter lines: per CPU
// and in all ("counter x86 timer_interrupts N").
void publish_timer_counters(u32 cpu_count);

}  // namespace kernel::x86
