#include "tests/cpu/sim_runner.h"

#include <cstring>
#include <vector>

#include "sim/cpu/x87_image.h"
#include "sim/mmu/control_regs.h"
#include "sim/mmu/pte.h"

namespace simx::test {

SimRunner::SimRunner(uint64_t code_base, uint64_t code_bytes, uint64_t data_base, uint64_t data_bytes,
                     const DataLayout& layout)
    : code_base_(code_base), code_bytes_(code_bytes), data_base_(data_base), data_bytes_(data_bytes) {
    MachineConfig config;
    config.cpus = 1;
    config.memory.node_bytes = {uint64_t{64} << 20};
    machine_ = std::make_unique<Machine>(config);
    frames_ = std::make_unique<FrameAllocator>(machine_->memory(), PhysAddr{1 << 20}, PhysAddr{uint64_t{64} << 20});
    tables_ = std::make_unique<PageTableBuilder>(machine_->memory(), *frames_, 4);
    code_pa_ = frames_->allocate(code_bytes);
    data_pa_ = frames_->allocate(data_bytes);
    for (uint64_t off = 0; off < code_bytes; off += 4096)
        tables_->map(VirtAddr{code_base + off}, code_pa_ + off, PageSize::k4K, Pte::kWritable | Pte::kUser);
    for (uint64_t off = 0; off < data_bytes; off += 4096) {
        const PageProtection p = off / 4096 < layout.size() ? layout[off / 4096] : PageProtection::kReadWrite;
        if (p == PageProtection::kNone) continue;
        tables_->map(VirtAddr{data_base + off}, data_pa_ + off, PageSize::k4K,
                     Pte::kUser | (p == PageProtection::kReadWrite ? Pte::kWritable : 0));
    }
    Mmu& mmu = machine_->mmu(0);
    mmu.write_efer(mmu.regs().efer | efer::kNxe);
    mmu.write_cr3(tables_->root().value);
    code_ = std::make_unique<CodeCache>(machine_->memory());
    interp_ = std::make_unique<Interpreter>(*machine_, 0, *code_);
}

SimOutcome SimRunner::run(std::span<const uint8_t> code, uint64_t offset, const NativeRegs& in,
                          std::span<const uint8_t> memory, uint64_t max) {
    PhysicalMemory& ram = machine_->memory();
    std::vector<uint8_t> image(code_bytes_, 0xCC);
    std::copy(code.begin(), code.end(), image.begin() + static_cast<std::ptrdiff_t>(offset));
    image[offset + code.size()] = 0xF4;  // HLT ends the run
    ram.write(code_pa_, image.data(), image.size());
    // The harness rewrote code behind the interpreter's back, as a loader would.
    for (uint64_t off = 0; off < code_bytes_; off += 4096) interp_->invalidate_code_page(code_pa_ + off);
    ram.write(data_pa_, memory.data(), data_bytes_);

    SimOutcome out;
    for (unsigned n = 0; n < 16; ++n) out.state.gpr[n] = in.gpr[n];
    out.state.rflags = in.rflags;
    for (unsigned n = 0; n < 16; ++n) std::memcpy(out.state.xmm[n].bytes.data(), in.fx.xmm(n), 16);
    out.state.mxcsr = in.fx.mxcsr();
    x87::from_image(in.fx.bytes, out.state.x87);
    std::memcpy(&out.state.x87.fop, in.fx.bytes + x87::kFop, 2);  // FXRSTOR64 loads the pointers too
    std::memcpy(&out.state.x87.fip, in.fx.bytes + x87::kFip, 8);
    std::memcpy(&out.state.x87.fdp, in.fx.bytes + x87::kFdp, 8);
    out.state.rip = code_base_ + offset;
    out.exit = interp_->run(out.state, max);
    out.memory.resize(data_bytes_);
    ram.read(data_pa_, out.memory.data(), data_bytes_);
    return out;
}

}  // namespace simx::test
