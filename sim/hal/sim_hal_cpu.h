// SimHal::Cpu: what the sim HAL keeps per simulated CPU. Private to sim/hal
// (sim_hal.cpp and the sim_*.cpp files that implement parts of SimHal).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sim/cpu/cpu_state.h"
#include "sim/cpu/interpreter.h"
#include "sim/hal/kernel_context.h"
#include "sim/hal/sim_hal.h"

namespace simx {

struct SimHal::Cpu {
    uint32_t id = 0;
    hal::KernelContext* first = nullptr;    // the context the CPU starts on
    hal::KernelContext* current = nullptr;  // the context it runs (its fiber is the CPU's)
    bool irqs_enabled = false;
    SimCpuStats stats;
    std::unique_ptr<Interpreter> interp;
    CpuState user;                 // user state between runs; the x87/SSE part persists here
    uint64_t quantum_end = 0;      // enter_user yields to the other CPUs once the clock passes it
    uint64_t timer_deadline = 0;   // the one-shot timer (hal::timer_set_deadline), 0 = disarmed
    // IPIs sent to this CPU and not yet taken: per vector, the cycle it
    // arrives at (0 = none; a second IPI of a pending vector merges, as the
    // APIC's IRR bit does).
    std::array<uint64_t, 256> ipi_arrival{};
    uint32_t ipis_pending = 0;
    bool in_uaccess = false;       // inside a hal:: uaccess copy (SMAP lifted)
    bool uaccess_stopped = false;  // the kernel took the copy's fixup
    // Accounting (set_accounting): whose the CPU's counters are, and their
    // values when that began.
    uint32_t account = 0;
    std::vector<std::pair<std::string, const uint64_t*>> counters;
    std::vector<uint64_t> baseline;
};

}  // namespace simx
