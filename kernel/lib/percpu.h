// Per-CPU data: one slot per CPU, indexed by hal::current_cpu(). The qemu build
// may later place these in per-CPU regions reached through GS (kernel/mm/layout.h);
// generic code only ever uses this interface.
#pragma once

#include "kernel/hal/hal.h"
#include "kernel/lib/types.h"

namespace kernel {

template <typename T>
class PerCpu {
public:
    T& local() { return slots_[hal::current_cpu()]; }
    T& on(u32 cpu) {
        KASSERT(cpu < kMaxCpus, "cpu %u out of range", cpu);
        return slots_[cpu];
    }
    const T& on(u32 cpu) const { return slots_[cpu]; }

private:
    // Each CPU's slot on its own cache lines, so CPUs do not false-share.
    struct alignas(64) Slot {
        T value;
    };
    struct Slots {
        Slot s[kMaxCpus];
        T& operator[](u32 i) { return s[i].value; }
        const T& operator[](u32 i) const { return s[i].value; }
    } slots_;
};

}  // namespace kernel
