// Kernel contexts on the simulated machine: each is a fiber, and the one
// current on a CPU is what the scheduler resumes for that CPU. A switch makes
// the target current and yields to the scheduler, which resumes the CPU with
// its new context at once if it is still the CPU furthest behind; every
// fiber only ever yields to the scheduler, which keeps ASan's stack
// bookkeeping and the abort-by-unwinding rule of cpu_fiber.h simple.
#include <fmt/format.h>

#include <algorithm>

#include "sim/hal/kernel_context.h"
#include "sim/hal/sim_hal.h"
#include "sim/hal/sim_hal_cpu.h"
#include "sim/machine/sim_error.h"

namespace simx {

hal::KernelContext* SimHal::context_create(void (*entry)(void*), void* arg) {
    if (!entry) throw SimError("context_create with no entry function");
    contexts_.push_back(std::make_unique<hal::KernelContext>());
    hal::KernelContext* c = contexts_.back().get();
    c->entry = entry;
    c->arg = arg;
    return c;
}

hal::KernelContext* SimHal::context_current() { return me().current; }

void SimHal::context_switch(hal::KernelContext* to) {
    Cpu& cpu = me();
    hal::KernelContext* from = cpu.current;
    if (to == from) return;
    const auto known = std::find_if(contexts_.begin(), contexts_.end(), [to](const auto& c) { return c.get() == to; });
    if (!to || known == contexts_.end()) panic_halt("context_switch to a context that does not exist");
    if (to->cpu >= 0) panic_halt(fmt::format("context_switch to a context running on cpu{}", to->cpu).c_str());
    if (to->fiber.finished()) panic_halt("context_switch to a context that has finished");
    if (!to->fiber.running()) {
        if (!to->entry) panic_halt("context_switch to a CPU's first context that has not started");
        to->fiber.start([this, to] {
            to->entry(to->arg);
            panic_halt("a kernel context's entry function returned");
        });
    }
    ++cpu.stats.context_switches;
    charge(machine_.config().costs.context_switch);
    from->cpu = -1;
    to->cpu = static_cast<int32_t>(cpu.id);
    cpu.current = to;
    // Suspends `from`; the scheduler resumes this CPU with `to`. When some CPU
    // switches back to `from`, it continues here, on that CPU.
    from->fiber.yield();
}

void SimHal::context_destroy(hal::KernelContext* context) {
    const auto it =
        std::find_if(contexts_.begin(), contexts_.end(), [context](const auto& c) { return c.get() == context; });
    if (it == contexts_.end()) throw SimError("context_destroy of a context that does not exist");
    if (context->cpu >= 0) throw SimError(fmt::format("context_destroy of the context running on cpu{}", context->cpu));
    for (const auto& cpu : cpus_)
        if (cpu->first == context) throw SimError(fmt::format("context_destroy of cpu{}'s first context", cpu->id));
    // A suspended fiber is stopped by unwinding it (cpu_fiber.h); that runs on
    // its own stack and comes back here.
    if (context->fiber.running()) context->fiber.abort();
    contexts_.erase(it);
}

}  // namespace simx
