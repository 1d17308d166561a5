// hal::KernelContext in the sim build: a kernel thread of control is a fiber
// (DESIGN.md "Determinism and multiple CPUs"). Private to sim/hal.
#pragma once

#include <cstdint>

#include "sim/hal/cpu_fiber.h"

namespace hal {

struct KernelContext {
    simx::CpuFiber fiber;
    void (*entry)(void*) = nullptr;  // nullptr for a CPU's first context (started with a body)
    void* arg = nullptr;
    int32_t cpu = -1;                // the CPU it is current on, -1 when none
};

}  // namespace hal
