#include "sim/cpu/interpreter.h"

#include <fmt/format.h>

#include "sim/machine/machine.h"
#include "sim/machine/stats.h"

namespace simx {

Interpreter::Interpreter(Machine& machine, uint32_t cpu, CodeCache& code)
    : cpuid_(machine.config(), cpu),
      core_(machine.config().cpu, cpu, machine.mmu(cpu), machine.memory(), code, cpuid_) {}

Exit Interpreter::run(CpuState& state, uint64_t max_instructions) {
    Core& c = core_;
    for (unsigned n = 0; n < kGprCount; ++n) c.r[n] = state.gpr[n];
    c.r[kZeroReg] = 0;
    c.rip = state.rip;
    c.rflags = state.rflags | rflags::kFixed1;
    c.fs_base = state.fs_base;
    c.gs_base = state.gs_base;
    c.xmm = state.xmm;
    c.mxcsr = state.mxcsr;
    c.x87 = state.x87;
    // No Insn pointer survives between runs: the kernel may have remapped or
    // invalidated code meanwhile.
    c.code().release_retired();
    c.reset_fetch();
    c.take_pending();

    const uint64_t start = c.counters.instructions;
    const uint64_t end = max_instructions > UINT64_MAX - start ? UINT64_MAX : start + max_instructions;
    Exit exit;
    try {
        const Insn* ip = nullptr;
        if (max_instructions) {
            c.set_stop(end);
            c.check_target(c.rip);
            ip = c.jump(c.rip);
        }
        while (ip) {
            ip = c.execute(ip);
            const PendingStop why = c.take_pending();
            if (why == PendingStop::kSyscall) {
                exit.reason = ExitReason::kSyscall;
            } else if (why == PendingStop::kHalt) {
                exit.reason = ExitReason::kHalt;
            } else if (why == PendingStop::kRefetch && c.counters.instructions < end) {
                // A store hit decoded code: continue from RIP with a fresh decode.
                c.code().release_retired();
                c.reset_fetch();
                c.set_stop(end);
                ip = c.jump(c.rip);
                continue;
            } else {
                exit.reason = ExitReason::kBudget;
            }
            break;
        }
    } catch (const GuestFault& f) {
        exit.reason = ExitReason::kException;
        exit.vector = f.vector;
        exit.error_code = f.error_code;
        exit.cr2 = f.cr2;
        if (f.retired) c.retire_outside_loop(f.retired_class);
        ++c.counters.exceptions_by_vector[f.vector & 31];
    }
    c.reset_fetch();
    exit.instructions = c.counters.instructions - start;
    ++c.counters.exits[static_cast<unsigned>(exit.reason)];

    for (unsigned n = 0; n < kGprCount; ++n) state.gpr[n] = c.r[n];
    state.rip = c.rip;
    state.rflags = c.rflags;
    state.fs_base = c.fs_base;
    state.gs_base = c.gs_base;
    state.xmm = c.xmm;
    state.mxcsr = c.mxcsr;
    state.x87 = c.x87;
    return exit;
}

void Interpreter::register_stats(StatsRegistry& stats, const std::string& scope) const {
    const CpuCounters& k = core_.counters;
    stats.add(scope, "cpu.instructions", &k.instructions);
    stats.add(scope, "cpu.cycles", &k.cycles);
    stats.add(scope, "cpu.translation_cycles", &k.translation_cycles);
    stats.add(scope, "cpu.memory_cycles", &k.memory_cycles);
    for (unsigned n = 1; n < kInsnClassCount; ++n)
        stats.add(scope, fmt::format("cpu.class.{}", insn_class_name(static_cast<InsnClass>(n))), &k.class_count[n]);
    stats.add(scope, "cpu.dispatch_records", &k.class_count[0]);
    stats.add(scope, "cpu.loads", &k.loads);
    stats.add(scope, "cpu.stores", &k.stores);
    stats.add(scope, "cpu.rmws", &k.rmws);
    stats.add(scope, "cpu.locked", &k.locked);
    stats.add(scope, "cpu.string_lines", &k.string_lines);
    stats.add(scope, "cpu.split_accesses", &k.split_accesses);
    stats.add(scope, "cpu.fetch_translations", &k.fetch_translations);
    stats.add(scope, "cpu.code_writes", &k.code_writes);
    stats.add(scope, "cpu.exits.budget", &k.exits[static_cast<unsigned>(ExitReason::kBudget)]);
    stats.add(scope, "cpu.exits.syscall", &k.exits[static_cast<unsigned>(ExitReason::kSyscall)]);
    stats.add(scope, "cpu.exits.exception", &k.exits[static_cast<unsigned>(ExitReason::kException)]);
    stats.add(scope, "cpu.exits.halt", &k.exits[static_cast<unsigned>(ExitReason::kHalt)]);
    stats.add(scope, "cpu.exceptions.de", &k.exceptions_by_vector[vector::kDivideError]);
    stats.add(scope, "cpu.exceptions.ud", &k.exceptions_by_vector[vector::kInvalidOpcode]);
    stats.add(scope, "cpu.exceptions.gp", &k.exceptions_by_vector[vector::kGeneralProtection]);
    stats.add(scope, "cpu.exceptions.pf", &k.exceptions_by_vector[vector::kPageFault]);
}

}  // namespace simx
