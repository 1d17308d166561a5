// Synchronous cross-CPU calls (Linux's smp_call_function_many): run a
// function on a set of other CPUs and return once every one of them has run
// it. The TLB shootdown layer (kernel/mm/tlb_shootdown.h) is the user.
//
// Delivery: the caller posts the call in each target's mailbox (one slot per
// sending CPU, so posting never waits) and sends it an IPI
// (hal::kCallFunctionVector). The kernel runs with interrupts off, so a
// target runs its mailbox
//  - on the IPI, when it was in user mode (on_interrupt) or idle;
//  - whenever it spin-waits in the kernel (spin_relax: every SpinLock, every
//    wait for another CPU), so two CPUs that each wait for the other — one
//    holding a lock while it waits for acknowledgements, the other spinning
//    on that lock — never deadlock;
//  - after every idle period (idle_for).
// The caller serves its own mailbox while it waits, for the same reason.
//
// Rules for a called function: short, takes no lock, never sleeps, never
// makes a cross call itself (it may run inside any spin-wait of the target).
// A caller has at most one call in flight (it waits for it), which is what
// makes one mailbox slot per sender enough.
#pragma once

#include "kernel/lib/bitmap.h"
#include "kernel/lib/types.h"

namespace kernel {

// Runs fn(arg) on every CPU of `targets` (the caller's own is left out) and
// returns when all have run it.
void cross_call(CpuMask targets, void (*fn)(void* arg), void* arg);

// Runs the calls posted to this CPU. Cheap when there are none.
void serve_cross_calls();

// One step of a spin-wait: hal::cpu_relax, then the posted calls.
void spin_relax();

// hal::cpu_idle for `cycles` (or less, when an IPI ends it), then the posted calls.
void idle_for(u64 cycles);

struct CrossCallCounters {
    u64 calls_sent = 0;      // cross_call invocations by this CPU
    u64 ipis_sent = 0;       // IPIs those sent (one per target)
    u64 calls_served = 0;    // functions run for other CPUs
    u64 wait_spins = 0;      // spin_relax steps while waiting for acknowledgements
};
const CrossCallCounters& cross_call_counters(u32 cpu);
// Each boot starts from empty mailboxes (a host process may boot several machines).
void cross_call_init_cpu();

}  // namespace kernel
