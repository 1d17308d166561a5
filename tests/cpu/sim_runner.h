// The simulated side of the differential harness: a one-CPU machine whose page
// tables map the native runner's code and data regions at the same linear
// addresses, so the same instruction bytes, registers and memory give the
// same architectural result on both (tests/cpu/native_runner.h).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "sim/cpu/code_cache.h"
#include "sim/cpu/cpu_state.h"
#include "sim/cpu/exit.h"
#include "sim/cpu/interpreter.h"
#include "sim/machine/machine.h"
#include "sim/mmu/page_table_builder.h"
#include "tests/cpu/native_runner.h"

namespace simx::test {

struct SimOutcome {
    CpuState state;
    Exit exit;
    std::vector<uint8_t> memory;  // the data region afterwards
};

class SimRunner {
public:
    // Data pages follow `layout`: read-only pages lack R/W, "none" pages are not present.
    SimRunner(uint64_t code_base, uint64_t code_bytes, uint64_t data_base, uint64_t data_bytes,
              const DataLayout& layout = kAllWritable);

    // Runs `code` at code_base + offset, followed by HLT, from `in` with the data
    // region holding `memory`, until HLT, an exception or `max` instructions.
    SimOutcome run(std::span<const uint8_t> code, uint64_t offset, const NativeRegs& in,
                   std::span<const uint8_t> memory, uint64_t max = 1000);

    Machine& machine() { return *machine_; }
    Interpreter& interpreter() { return *interp_; }
    CodeCache& code_cache() { return *code_; }

private:
    uint64_t code_base_, code_bytes_, data_base_, data_bytes_;
    std::unique_ptr<Machine> machine_;
    std::unique_ptr<FrameAllocator> frames_;
    std::unique_ptr<PageTableBuilder> tables_;
    std::unique_ptr<CodeCache> code_;
    std::unique_ptr<Interpreter> interp_;
    PhysAddr code_pa_, data_pa_;
};

}  // namespace simx::test
