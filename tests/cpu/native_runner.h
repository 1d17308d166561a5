// Runs instruction bytes natively on the host CPU for the differential
// harness: the bytes are copied into an executable page at a fixed linear
// address, every GPR and RFLAGS are loaded from a NativeRegs block, and the
// state is stored back afterwards. Memory operands point into a data region
// that the simulated machine mirrors at the same linear addresses
// (tests/cpu/sim_runner.h).
//
// A fault in the generated code (#DE, #PF, #UD...) arrives as a signal on an
// alternate stack; the handler records the trap number, error code, RIP and
// registers from the signal context and jumps back, so a fault is an outcome
// to compare, not a crash.
#pragma once

#include <signal.h>

#include <array>
#include <cstddef>
#include <cstring>
#include <cstdint>
#include <span>
#include <vector>

namespace simx::test {

// The FXSAVE64 image (SDM Vol. 1 10.5.1, table 10-2): x87 and SSE state.
struct FxImage {
    static constexpr unsigned kFcw = 0, kFsw = 2, kFtw = 4, kMxcsr = 24, kSt = 32, kXmm = 160;
    alignas(16) uint8_t bytes[512] = {};
    FxImage() {
        const uint16_t fcw = 0x037F;   // FNINIT
        const uint32_t mxcsr = 0x1F80;
        std::memcpy(bytes + kFcw, &fcw, 2);
        std::memcpy(bytes + kMxcsr, &mxcsr, 4);
    }
    uint32_t mxcsr() const {
        uint32_t v;
        std::memcpy(&v, bytes + kMxcsr, 4);
        return v;
    }
    void set_mxcsr(uint32_t v) { std::memcpy(bytes + kMxcsr, &v, 4); }
    uint8_t* xmm(unsigned n) { return bytes + kXmm + 16 * n; }
    const uint8_t* xmm(unsigned n) const { return bytes + kXmm + 16 * n; }
};

struct NativeRegs {
    uint64_t gpr[16] = {};
    uint64_t rflags = 0x2;
    uint64_t pad = 0;
    FxImage fx;  // at offset 144: loaded with FXRSTOR64 before the code, saved after
};
static_assert(offsetof(NativeRegs, fx) == 144, "the trampoline's FXRSTOR64/FXSAVE64 offset");

// Protection of each data page, mirrored by the simulated page tables: a
// read-only and a not-present page make every memory form's faults comparable.
enum class PageProtection : uint8_t { kReadWrite, kReadOnly, kNone };
using DataLayout = std::array<PageProtection, 3>;
inline constexpr DataLayout kAllWritable{PageProtection::kReadWrite, PageProtection::kReadWrite, PageProtection::kReadWrite};

struct NativeOutcome {
    NativeRegs regs;          // at the end, or at the fault (from the signal context)
    bool faulted = false;
    int signal = 0;
    uint64_t trapno = 0;      // the exception vector
    uint64_t error_code = 0;
    uint64_t fault_rip = 0;
    uint64_t fault_address = 0;  // si_addr (CR2 for a #PF)
};

class NativeRunner {
public:
    static constexpr uint64_t kCodeBytes = 2 * 4096;
    static constexpr uint64_t kDataBytes = 3 * 4096;

    explicit NativeRunner(DataLayout layout = kAllWritable);
    ~NativeRunner();
    NativeRunner(const NativeRunner&) = delete;
    NativeRunner& operator=(const NativeRunner&) = delete;

    // Linear addresses of the code and data regions (page aligned).
    uint64_t code_base() const { return reinterpret_cast<uint64_t>(code_); }
    uint64_t data_base() const { return reinterpret_cast<uint64_t>(data_); }
    // The data region after a run (readable even where the layout is not).
    const uint8_t* data() const { return data_; }
    const DataLayout& layout() const { return layout_; }

    // Runs `code` placed at code_base() + offset, from `in`, with the data
    // region holding `memory` (kDataBytes) beforehand.
    NativeOutcome run(std::span<const uint8_t> code, uint64_t offset, const NativeRegs& in,
                      std::span<const uint8_t> memory);

private:
    void protect(bool for_run);

    DataLayout layout_;
    uint8_t* code_ = nullptr;
    uint8_t* data_ = nullptr;
    std::vector<uint8_t> alt_stack_;
    stack_t old_stack_{};
    struct sigaction old_actions_[5] {};
    NativeOutcome outcome_;
};

}  // namespace simx::test
