// The simulated CPU that runs user code: Interpreter::run() interprets ring-3
// x86-64 instructions from a CpuState until a SYSCALL, an exception, a HLT or
// the instruction budget, with every fetch and data access translated by this
// CPU's MMU (sim/mmu) and charged in the cycle model. The kernel (through the
// HAL) calls run() to enter user mode and handles what it returns (DESIGN.md
// "The HAL and the trap ABI").
//
// One Interpreter per simulated CPU; the CodeCache is shared by all CPUs of a
// machine (decoded code is keyed by physical frame). Counters are registered
// under the CPU's scope ("cpu0": cpu.instructions, cpu.cycles, cpu.class.*...).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "sim/cpu/code_cache.h"
#include "sim/cpu/core.h"
#include "sim/cpu/cpu_state.h"
#include "sim/cpu/cpuid.h"
#include "sim/cpu/exit.h"
#include "sim/machine/types.h"

namespace simx {

class Machine;
class StatsRegistry;

class Interpreter {
public:
    Interpreter(Machine& machine, uint32_t cpu, CodeCache& code);

    // Runs until one of the exits of ExitReason. On return `state` holds the
    // architectural state at an instruction boundary: after the last retired
    // instruction, or before the faulting one (SDM Vol. 3A 6.5).
    Exit run(CpuState& state, uint64_t max_instructions);

    // For the kernel/HAL: the frame was unmapped or reused, so its decoded
    // code (and that of pages whose instructions cross into it) is dropped.
    void invalidate_code_page(PhysAddr pa) { core_.code().invalidate(pa.value >> 12); }

    void register_stats(StatsRegistry& stats, const std::string& scope) const;
    const CpuCounters& counters() const { return core_.counters; }
    uint64_t cycles() const { return core_.counters.cycles; }
    // Translations served by the fast path (cpu.fast_path; sim/cpu/micro_tlb.h).
    // Not a stats-registry counter: the report must not depend on the switch.
    uint64_t fast_path_hits() const { return core_.micro_tlb().hits(); }
    // Where "#UD: not implemented" lines go (stderr by default).
    void set_log(std::function<void(const std::string&)> log) { core_.set_log(std::move(log)); }
    const CpuidModel& cpuid() const { return cpuid_; }

private:
    CpuidModel cpuid_;
    Core core_;
};

}  // namespace simx
