// A one-CPU machine with hand-built page tables for the interpreter's unit
// tests: map pages at chosen linear addresses, poke instruction bytes and
// data, run, and look at the exit, the state and memory.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/cpu/code_cache.h"
#include "sim/cpu/cpu_state.h"
#include "sim/cpu/exit.h"
#include "sim/cpu/interpreter.h"
#include "sim/machine/machine.h"
#include "sim/mmu/access.h"
#include "sim/mmu/control_regs.h"
#include "sim/mmu/page_table_builder.h"
#include "sim/mmu/pte.h"

namespace simx::test {

inline constexpr uint64_t kCode = 0x0000'0000'0040'0000;   // code pages start here
inline constexpr uint64_t kData = 0x0000'0000'1000'0000;   // data pages start here
inline constexpr uint64_t kStack = 0x0000'7FFF'F000'0000;  // one stack page below this

class CpuFixture : public ::testing::Test {
protected:
    static MachineConfig config() {
        MachineConfig c;
        c.cpus = 1;
        c.memory.node_bytes = {uint64_t{64} << 20};
        return c;
    }

    CpuFixture()
        : machine_(config()),
          frames_(machine_.memory(), PhysAddr{1 << 20}, PhysAddr{uint64_t{64} << 20}),
          tables_(machine_.memory(), frames_, 4),
          code_(machine_.memory()),
          cpu_(machine_, 0, code_) {
        Mmu& m = mmu();
        m.write_efer(m.regs().efer | efer::kNxe);
        m.write_cr3(tables_.root().value);
        cpu_.set_log([this](const std::string& line) { log_.push_back(line); });
        map(kStack - 4096);
    }

    Mmu& mmu() { return machine_.mmu(0); }

    // Maps one 4 KiB page at `va` to a fresh zeroed frame.
    PhysAddr map(uint64_t va, uint64_t flags = Pte::kWritable | Pte::kUser) {
        const PhysAddr pa = frames_.allocate(4096);
        tables_.map(VirtAddr{va}, pa, PageSize::k4K, flags);
        pages_[va] = pa;
        return pa;
    }
    // Physical address of a mapped linear address (test bookkeeping, not a walk).
    PhysAddr pa_of(uint64_t va) const { return pages_.at(va & ~uint64_t{0xFFF}) + (va & 0xFFF); }

    // Writes bytes at `va` through the test's own bookkeeping (pages may be
    // unmapped for the guest later), as a loader would: behind the CPU's back.
    void poke(uint64_t va, const std::vector<uint8_t>& bytes) {
        for (size_t k = 0; k < bytes.size(); ++k) machine_.memory().write(pa_of(va + k), &bytes[k], 1);
    }
    void poke64(uint64_t va, uint64_t v) {
        for (unsigned k = 0; k < 8; ++k) {
            const uint8_t b = static_cast<uint8_t>(v >> (8 * k));
            machine_.memory().write(pa_of(va + k), &b, 1);
        }
    }
    uint8_t peek(uint64_t va) const {
        uint8_t b;
        const_cast<Machine&>(machine_).memory().read(pa_of(va), &b, 1);
        return b;
    }
    uint64_t peek64(uint64_t va) const {
        uint64_t v = 0;
        for (unsigned k = 0; k < 8; ++k) v |= uint64_t{peek(va + k)} << (8 * k);
        return v;
    }

    // A state at `rip` with the stack page mapped.
    static CpuState at(uint64_t rip) {
        CpuState s;
        s.rip = rip;
        s.gpr[kRsp] = kStack - 64;
        return s;
    }
    Exit run(CpuState& s, uint64_t max = 10000) { return cpu_.run(s, max); }

    Machine machine_;
    FrameAllocator frames_;
    PageTableBuilder tables_;
    CodeCache code_;
    Interpreter cpu_;
    std::map<uint64_t, PhysAddr> pages_;
    std::vector<std::string> log_;
};

}  // namespace simx::test
