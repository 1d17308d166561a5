// User mode on the simulated machine: hal::enter_user runs the CPU's
// interpreter (sim/cpu) on the thread's registers and turns each way out of
// user code into a call of the kernel's trap entry points, on the same
// kernel context, as the qemu build's entry stubs do (DESIGN.md "The HAL and
// the trap ABI"). The x87/SSE state and the FS/GS bases stay in the CPU
// between runs, as in hardware; the kernel saves them with xsave and the
// base getters when it switches threads.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "sim/cpu/x87_image.h"
#include "sim/hal/sim_hal.h"
#include "sim/hal/sim_hal_cpu.h"
#include "sim/machine/sim_error.h"

namespace simx {
namespace {

// Instructions a CPU runs in user mode per interpreter call at most. The
// scheduler of simulated CPUs gets its turn once the CPU's clock passed its
// quantum (machine.quantum_cycles, counting kernel entries too), which keeps
// the CPUs' clocks within a quantum of each other without a timer interrupt.
constexpr uint64_t kMaxRun = 20'000;

void frame_to_state(const kernel::TrapFrame& f, CpuState& s) {
    s.gpr = {f.rax, f.rcx, f.rdx, f.rbx, f.rsp, f.rbp, f.rsi, f.rdi, f.r8, f.r9, f.r10, f.r11, f.r12, f.r13, f.r14, f.r15};
    s.rip = f.rip;
    s.rflags = f.rflags;
}

void state_to_frame(const CpuState& s, kernel::TrapFrame& f) {
    f.rax = s.gpr[kRax], f.rcx = s.gpr[kRcx], f.rdx = s.gpr[kRdx], f.rbx = s.gpr[kRbx];
    f.rsp = s.gpr[kRsp], f.rbp = s.gpr[kRbp], f.rsi = s.gpr[kRsi], f.rdi = s.gpr[kRdi];
    f.r8 = s.gpr[kR8], f.r9 = s.gpr[kR9], f.r10 = s.gpr[kR10], f.r11 = s.gpr[kR11];
    f.r12 = s.gpr[kR12], f.r13 = s.gpr[kR13], f.r14 = s.gpr[kR14], f.r15 = s.gpr[kR15];
    f.rip = s.rip;
    f.rflags = s.rflags;
    f.cs = kernel::selector::kUserCode;
    f.ss = kernel::selector::kUserData;
}

// What IRET/SYSRET to user mode may load into RFLAGS at CPL 3 with IOPL 0:
// the user-writable flags, IF set, bit 1 set (SDM Vol. 2A IRET).
uint64_t user_rflags(uint64_t rflags) { return (rflags & rflags::kUserWritable) | rflags::kIF | rflags::kFixed1; }

}  // namespace

void SimHal::enter_user(const kernel::TrapFrame& initial) {
    kernel::TrapFrame frame = initial;
    if (!frame.from_user()) panic_halt(fmt::format("enter_user with CS {:#x}: not a user selector", frame.cs).c_str());
    for (;;) {
        Cpu& cpu = me();
        // The other CPUs get their turn once this one is a quantum ahead,
        // however it spent it: a thread that makes a syscall every few
        // instructions (a sched_yield spin) must not keep them waiting.
        if (clock(cpu.id) >= cpu.quantum_end) {
            yield_to_scheduler();
            me().quantum_end = clock(current_) + machine_.config().quantum_cycles;
            continue;
        }
        // The timer interrupts at an instruction boundary at or after its
        // deadline; a run stops before it (each instruction costs at least a
        // cycle, so a budget of the cycles left cannot overshoot it).
        // Each instruction costs at least a cycle: a budget of the quantum's
        // cycles left cannot run far past it.
        uint64_t budget = std::min<uint64_t>(kMaxRun, cpu.quantum_end - clock(cpu.id));
        // IPIs likewise, at the first boundary at or after their arrival; the
        // APIC gives them priority over the timer (higher vectors first).
        if (cpu.ipis_pending) {
            const uint64_t now = clock(cpu.id);
            if (const int v = next_ipi(cpu, now); v >= 0) {
                take_ipi(cpu, v);
                charge(machine_.config().costs.exception);
                frame.vector = static_cast<uint64_t>(v);
                frame.error_code = 0;
                kernel::on_interrupt(frame, static_cast<uint8_t>(v));
                continue;
            }
            budget = std::min<uint64_t>(budget, earliest_ipi(cpu) - now);
        }
        if (cpu.timer_deadline) {
            const uint64_t now = clock(cpu.id);
            if (now >= cpu.timer_deadline) {
                cpu.timer_deadline = 0;
                ++cpu.stats.timer_interrupts;
                charge(machine_.config().costs.exception);
                frame.vector = hal::kTimerVector;
                frame.error_code = 0;
                kernel::on_interrupt(frame, hal::kTimerVector);
                continue;
            }
            budget = std::min<uint64_t>(budget, cpu.timer_deadline - now);
        }
        frame_to_state(frame, cpu.user);
        cpu.user.rflags = user_rflags(frame.rflags);
        const Exit exit = cpu.interp->run(cpu.user, budget);
        Cpu& now = me();
        state_to_frame(now.user, frame);
        const KernelCostConfig& costs = machine_.config().costs;
        switch (exit.reason) {
            case ExitReason::kBudget:
                yield_to_scheduler();
                break;
            case ExitReason::kSyscall:
                ++now.stats.syscalls;
                charge(costs.syscall);
                frame.vector = 0;
                frame.error_code = 0;
                kernel::on_syscall(frame);
                break;
            case ExitReason::kException:
            case ExitReason::kHalt: {
                // HLT at CPL 3 is privileged: #GP(0) at the HLT (SDM Vol. 2A HLT).
                const bool halt = exit.reason == ExitReason::kHalt;
                const uint8_t vector = halt ? vector::kGeneralProtection : exit.vector;
                ++now.stats.exceptions;
                charge(costs.exception);
                frame.vector = vector;
                frame.error_code = halt ? 0 : exit.error_code;
                if (halt) frame.rip -= 1;  // HLT is one byte: the fault points at it
                kernel::on_exception(frame, vector, frame.error_code, halt ? 0 : exit.cr2);
                break;
            }
        }
    }
}

void SimHal::timer_set_deadline(uint64_t deadline) { me().timer_deadline = deadline; }

void SimHal::set_user_fs_base(uint64_t base) { me().user.fs_base = base; }
void SimHal::set_user_gs_base(uint64_t base) { me().user.gs_base = base; }
uint64_t SimHal::user_fs_base() const { return cpus_[current_]->user.fs_base; }
uint64_t SimHal::user_gs_base() const { return cpus_[current_]->user.gs_base; }

// The XSAVE standard layout for x87 and SSE (SDM Vol. 1 13.4): the FXSAVE
// image, then the XSAVE header whose XSTATE_BV says both components are there.
void SimHal::xsave(void* area) {
    Cpu& cpu = me();
    auto* a = static_cast<uint8_t*>(area);
    x87::to_image(cpu.user.x87, cpu.user.mxcsr, a);
    const uint32_t mxcsr_mask = 0xFFFF;
    std::memcpy(a + 28, &mxcsr_mask, 4);
    for (unsigned i = 0; i < 16; ++i) std::memcpy(a + 160 + 16 * i, cpu.user.xmm[i].bytes.data(), 16);
    std::memset(a + 512, 0, 64);
    a[512] = 0x3;  // XSTATE_BV: x87 | SSE
    ++cpu.stats.xsaves;
    charge(machine_.config().costs.xsave);
}

void SimHal::xrstor(const void* area) {
    Cpu& cpu = me();
    const auto* a = static_cast<const uint8_t*>(area);
    uint32_t mxcsr = 0;
    std::memcpy(&mxcsr, a + x87::kMxcsr, 4);
    // Reserved MXCSR bits set make XRSTOR #GP (SDM Vol. 1 13.8.1): a kernel bug here.
    if (mxcsr & ~0xFFFFu) panic_halt(fmt::format("XRSTOR of MXCSR {:#x} with reserved bits set", mxcsr).c_str());
    x87::from_image(a, cpu.user.x87);
    std::memcpy(&cpu.user.x87.fop, a + x87::kFop, 2);
    std::memcpy(&cpu.user.x87.fip, a + x87::kFip, 8);
    std::memcpy(&cpu.user.x87.fdp, a + x87::kFdp, 8);
    cpu.user.mxcsr = mxcsr;
    for (unsigned i = 0; i < 16; ++i) std::memcpy(cpu.user.xmm[i].bytes.data(), a + 160 + 16 * i, 16);
    ++cpu.stats.xrstors;
    charge(machine_.config().costs.xsave);
}

void SimHal::xstate_reset() {
    CpuState& s = me().user;
    s.x87 = X87State{};
    s.mxcsr = 0x1F80;
    s.xmm = {};
}

void SimHal::cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    const CpuidResult r = me().interp->cpuid().query(leaf, subleaf);
    out[0] = r.eax;
    out[1] = r.ebx;
    out[2] = r.ecx;
    out[3] = r.edx;
}

// ---------------------------------------------------------------- accounting

void SimHal::flush_accounting(Cpu& cpu) {
    for (size_t i = 0; i < cpu.counters.size(); ++i) {
        const uint64_t v = *cpu.counters[i].second;
        if (cpu.account) {
            const std::string scope = fmt::format("process{}", cpu.account);
            const std::string key = scope + "/" + cpu.counters[i].first;
            auto it = process_index_.find(key);
            if (it == process_index_.end()) {
                process_values_.push_back(0);
                it = process_index_.emplace(key, &process_values_.back()).first;
                process_stats_.add(scope, cpu.counters[i].first, it->second);
            }
            *it->second += v - cpu.baseline[i];
        }
        cpu.baseline[i] = v;
    }
}

void SimHal::set_accounting(uint32_t account) {
    Cpu& cpu = me();
    if (cpu.account == account) return;
    flush_accounting(cpu);
    cpu.account = account;
}

void SimHal::publish_counter(const char* scope, const char* name, uint64_t value) {
    const std::string key = std::string(scope) + "/" + name;
    auto it = process_index_.find(key);
    if (it == process_index_.end()) {
        process_values_.push_back(0);
        it = process_index_.emplace(key, &process_values_.back()).first;
        process_stats_.add(scope, name, it->second);
    }
    *it->second = value;
}

}  // namespace simx
