// The timer of hal.h: one-shot, per CPU, in hal::cycles() (TSC) units, raising
// hal::kTimerVector, taken in user mode only.
//
// Mode (SDM Vol. 3A 10.5.4): TSC-deadline mode when CPUID.01H:ECX[24] offers
// it (10.5.4.1): the deadline is written as is to IA32_TSC_DEADLINE, a value
// in the past interrupts at once, 0 disarms. Otherwise one-shot mode, whose
// counter runs at the APIC timer's own clock (the bus or crystal clock over
// the divide configuration; 1 GHz in QEMU), so its rate is measured once at
// boot against the TSC, whose rate clock.cpp knows: the count for a deadline
// is (deadline - now) times that ratio, rounded up, at least 1 (a deadline in
// the past fires at once), at most 2^32 - 1; the divide configuration is the
// smallest that makes 2^32 - 1 counts last 2 s or more. A write of 0 to the
// initial-count register stops the timer (10.5.4).
//
// The interrupt (interrupt_entry.S, x86_interrupt_dispatch): the EOI first,
// then kernel::on_interrupt only when the deadline armed on this CPU has
// passed: a clamped or rounded-down count may fire early (the timer is armed
// again for the rest), and an interrupt raised while the kernel ran with
// interrupts off stays pending in the IRR after the kernel disarmed or moved
// the deadline; it is delivered at the next return to user mode and dropped
// here. So the handler runs at the first user instruction boundary at or after
// the deadline, as hal.h promises. The kernel runs with IF = 0, so the timer
// never interrupts it, but in hal::cpu_idle, which halts with interrupts on
// until its own deadline and never calls the kernel from there.
#include "kernel/arch/x86_64/timer.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/cpu_local.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/syscall.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"

namespace kernel::x86 {
namespace {

__extension__ typedef unsigned __int128 u128;  // MUL gives the 128-bit product inline

constexpr u32 kTscDeadlineMsr = 0x6e0;  // IA32_TSC_DEADLINE (SDM Vol. 4 table 2-2)
constexpr u32 kMaxCount = 0xffff'ffff;

struct alignas(64) TimerState {
    u64 deadline = 0;     // armed deadline (TSC), 0 when disarmed
    u64 interrupts = 0;   // timer interrupts handed to kernel::on_interrupt
    u64 early = 0;        // taken before the deadline and armed again
    u64 stale = 0;        // taken with no deadline armed (pending from before a disarm)
    bool ready = false;   // this CPU's LVT is set up
    bool idling = false;  // in hal::cpu_idle: a kernel-mode timer interrupt is its wake-up
    bool woken = false;   // an IPI came while idling: cpu_idle returns early
};
TimerState g_timers[kMaxCpus];

bool g_tsc_deadline = false;
// One-shot mode: APIC timer counts per TSC tick (after the divider), 32.32 fixed point.
u64 g_counts_per_tsc = 0;
unsigned g_divide_shift = 0;

// The divide configuration register's encoding of a divide by 2^shift (SDM
// 10.5.4, figure 10-10): bits 0, 1 and 3; 1011b divides by 1.
u32 divide_encoding(unsigned shift) {
    if (shift == 0) return 0b1011;
    const u32 v = shift - 1;
    return (v & 3) | ((v & 4) << 1);
}

TimerState& this_timer() { return g_timers[this_cpu()]; }

void program(u64 deadline) {
    if (g_tsc_deadline) {
        write_msr(kTscDeadlineMsr, deadline);
        return;
    }
    const u64 now = rdtsc();
    u64 count = 1;
    if (deadline > now) {
        const u128 c = ((u128{deadline - now} * g_counts_per_tsc) >> 32) + 1;
        count = c > kMaxCount ? kMaxCount : static_cast<u64>(c);
    }
    lapic::write(lapic::reg::kTimerInitialCount, static_cast<u32>(count));
}

void disarm() {
    if (g_tsc_deadline) write_msr(kTscDeadlineMsr, 0);
    else lapic::write(lapic::reg::kTimerInitialCount, 0);
}

// The APIC timer's counts per TSC tick at divide 1, over 10 ms of the TSC,
// with the LVT masked (no interrupt).
u64 calibrate_counts_per_tsc(u64 tsc_hz) {
    lapic::write(lapic::reg::kTimerDivide, divide_encoding(0));
    lapic::write(lapic::reg::kLvtTimer, lapic::kLvtMasked | lapic::kLvtTimerOneShot | hal::kTimerVector);
    const u64 window = tsc_hz / 100;
    lapic::write(lapic::reg::kTimerInitialCount, kMaxCount);
    const u64 start = rdtsc();
    while (rdtsc() - start < window) pause();
    const u32 current = lapic::read(lapic::reg::kTimerCurrentCount);
    const u64 tsc_elapsed = rdtsc() - start;
    lapic::write(lapic::reg::kTimerInitialCount, 0);
    const u64 counts = kMaxCount - current;
    if (current == 0 || counts == 0 || tsc_elapsed == 0)
        panic("x86 timer: calibration failed: %llu APIC timer counts in %llu TSC ticks",
              static_cast<unsigned long long>(counts), static_cast<unsigned long long>(tsc_elapsed));
    return (counts << 32) / tsc_elapsed;  // counts < 2^32: no overflow
}

}  // namespace

void init_timer() {
    g_tsc_deadline = (cpuid(1).ecx >> 24) & 1;  // CPUID.01H:ECX.TSC_Deadline[bit 24]
    if (g_tsc_deadline) {
        kprintf("x86 timer: local APIC in TSC-deadline mode\n");
    } else {
        const u64 tsc_hz = hal::cycles_per_second();
        const u64 ratio = calibrate_counts_per_tsc(tsc_hz);
        const u64 apic_hz = static_cast<u64>((u128{tsc_hz} * ratio) >> 32);
        unsigned shift = 0;
        while (shift < 7 && (apic_hz >> shift) > (u64{1} << 31)) ++shift;
        g_divide_shift = shift;
        g_counts_per_tsc = ratio >> shift;
        if (g_counts_per_tsc == 0) panic("x86 timer: the APIC timer is too slow for the TSC (%llu Hz)",
                                         static_cast<unsigned long long>(apic_hz));
        kprintf("x86 timer: local APIC one-shot mode, %llu.%03llu MHz (measured against the TSC), divide by %u\n",
                static_cast<unsigned long long>(apic_hz / 1'000'000),
                static_cast<unsigned long long>(apic_hz / 1'000 % 1'000), 1u << shift);
    }
    init_timer_this_cpu();
}

void init_timer_this_cpu() {
    TimerState& s = this_timer();
    if (g_tsc_deadline) {
        lapic::write(lapic::reg::kLvtTimer, lapic::kLvtTimerTscDeadline | hal::kTimerVector);
        // SDM 10.5.4.1: the LVT write (MMIO) must be in effect before the
        // first WRMSR to IA32_TSC_DEADLINE, which does not wait for it:
        // MFENCE orders the two.
        asm volatile("mfence" ::: "memory");
    } else {
        lapic::write(lapic::reg::kTimerDivide, divide_encoding(g_divide_shift));
        lapic::write(lapic::reg::kLvtTimer, lapic::kLvtTimerOneShot | hal::kTimerVector);
    }
    disarm();
    s.deadline = 0;
    s.ready = true;
}

bool idle_wakeup() {
    TimerState& s = this_timer();
    if (!s.idling) return false;
    s.woken = true;
    return true;
}

void timer_interrupt(TrapFrame& frame) {
    TimerState& s = this_timer();
    if (!frame.from_user()) {
        if (s.idling) return;  // cpu_idle's wake-up: it arms what comes next
        panic("x86 timer: interrupt in kernel mode at rip %#llx: the kernel enabled interrupts",
              static_cast<unsigned long long>(frame.rip));
    }
    const u64 deadline = s.deadline;
    if (deadline == 0) {
        ++s.stale;
        return;
    }
    if (rdtsc() < deadline) {
        ++s.early;
        program(deadline);
        return;
    }
    s.deadline = 0;  // hal.h: taken once, then disarmed
    ++s.interrupts;
    // The handler may switch contexts: this thread may come back much later,
    // on another CPU (s is not used again).
    on_interrupt(frame, hal::kTimerVector);
    prepare_user_return(frame);
}

void publish_timer_counters(u32 cpu_count) {
    u64 interrupts = 0, early = 0, stale = 0;
    for (u32 cpu = 0; cpu < cpu_count && cpu < kMaxCpus; ++cpu) {
        const TimerState& s = g_timers[cpu];
        const u64 n = __atomic_load_n(&s.interrupts, __ATOMIC_RELAXED);
        interrupts += n;
        early += __atomic_load_n(&s.early, __ATOMIC_RELAXED);
        stale += __atomic_load_n(&s.stale, __ATOMIC_RELAXED);
        char scope[16];
        format(scope, sizeof scope, "x86.cpu%u", cpu);
        hal::publish_counter(scope, "timer_interrupts", n);
    }
    hal::publish_counter("x86", "timer_interrupts", interrupts);
    hal::publish_counter("x86", "timer_early", early);
    hal::publish_counter("x86", "timer_stale", stale);
}

}  // namespace kernel::x86

namespace hal {

void timer_set_deadline(u64 deadline) {
    kernel::x86::TimerState& s = kernel::x86::this_timer();
    if (!s.ready) kernel::panic("timer_set_deadline on CPU %u before its timer was set up", kernel::x86::this_cpu());
    s.deadline = deadline;
    if (deadline) kernel::x86::program(deadline);
    else kernel::x86::disarm();
}

// Lets `cycles` pass, or less when an IPI wakes the CPU (idle_wakeup): HLT
// with interrupts on, woken by the timer armed for the end (SDM Vol. 2A HLT; STI's one-instruction shadow, Vol. 2B STI, keeps
// an interrupt from coming between the two and being missed). The timer
// interrupt wakes the CPU and returns (timer_interrupt); the kernel's own
// deadline is armed again afterwards, and if it passed meanwhile its
// interrupt comes at the next return to user mode. A CPU whose timer is not
// set up spins with PAUSE.
void cpu_idle(u64 cycles) {
    namespace x86 = kernel::x86;
    if (cycles == 0) return;
    const u64 start = x86::rdtsc();
    x86::TimerState& s = x86::this_timer();
    if (!s.ready) {
        while (x86::rdtsc() - start < cycles) x86::pause();
        return;
    }
    s.idling = true;
    s.woken = false;
    while (!s.woken && x86::rdtsc() - start < cycles) {
        x86::program(start + cycles);
        asm volatile("sti; hlt; cli" ::: "memory");
    }
    s.idling = false;
    if (s.deadline) x86::program(s.deadline);
    else x86::disarm();
}

}  // namespace hal
