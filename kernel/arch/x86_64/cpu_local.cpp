#include "kernel/arch/x86_64/cpu_local.h"

#include "kernel/arch/x86_64/context.h"
#include "kernel/arch/x86_64/cpu.h"

namespace kernel::x86 {
namespace {

// Each area on its own cache line: current_cpu() on one CPU never contends
// with a neighbour's.
struct alignas(64) Slot {
    CpuLocal local;
};
Slot g_cpu_local[kMaxCpus];

}  // namespace

void install_cpu_local(u32 cpu, u32 apic_id) {
    CpuLocal& area = g_cpu_local[cpu].local;
    area.self = &area;
    area.cpu = cpu;
    area.apic_id = apic_id;
    area.kernel_stack = 0;
    area.context = boot_context(cpu);
    write_msr(msr::kGsBase, reinterpret_cast<u64>(&area));
}

}  // namespace kernel::x86
