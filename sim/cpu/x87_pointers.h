// The x87 last-instruction pointers (SDM Vol. 1 8.1.8-8.1.9) as this CPU
// model keeps them: FIP, FDP and FOP, which FXSAVE/FNSTENV/FNSAVE report.
//
// The model follows the host it was checked against, which matches the
// CPUID it reports (sim/cpu/cpuid.cpp, leaf 7 EBX bits 6 and 13):
//   - FIP is the RIP of the last non-control x87 instruction;
//   - FDP_EXCPTN_ONLY: FDP is updated only by a non-control instruction that
//     incurs an unmasked exception (then: its memory operand's offset);
//   - FOP is likewise updated only then (the default with IA32_MISC_ENABLE's
//     FOP compatibility mode off, SDM 8.1.9.1): opcode[2:0]:ModR/M;
//   - FCS/FDS are deprecated and stored as zero (no selectors are kept);
//   - FNINIT and FNSAVE clear all three.
// Which instruction updates what is not tabulated here: the host decides.
// Each x87 form runs on the host (ops_x87.cpp) from an image whose pointers
// are armed with values no instruction produces; afterwards a changed field
// means the instruction updated it, and the guest's own values (its RIP,
// its encoding's FOP, its operand's offset) are put in their place.
#pragma once

#include <cstdint>
#include <cstring>

#include "sim/cpu/cpu_state.h"
#include "sim/cpu/x87_image.h"

namespace simx::x87 {

// Canonical but in the kernel half: never the address of host user code, and
// never what FLDENV/FRSTOR load (32-bit offsets, zero-extended).
inline constexpr uint64_t kPointerSentinel = 0xFFFF'FFFF'FFFF'FFF0ull;

// Before the host runs an instruction on image `fx`.
inline void arm_pointers(uint8_t* fx) {
    std::memcpy(fx + kFip, &kPointerSentinel, 8);
    std::memcpy(fx + kFdp, &kPointerSentinel, 8);
    std::memset(fx + kFop, 0, 2);  // no instruction's FOP is 0 with the host's [rdi] operands or register forms
}

// After it: the guest's pointers as the instruction at `rip` (FOP `fop`,
// memory operand at `data_offset` if `has_memory`) leaves them.
inline void settle_pointers(const uint8_t* fx, X87State& s, uint64_t rip, uint16_t fop, bool has_memory,
                            uint64_t data_offset) {
    uint64_t fip, fdp;
    uint16_t host_fop;
    std::memcpy(&fip, fx + kFip, 8);
    std::memcpy(&fdp, fx + kFdp, 8);
    std::memcpy(&host_fop, fx + kFop, 2);
    if (fip == 0) {  // FNINIT: all cleared
        s.fip = s.fdp = 0;
        s.fop = 0;
        return;
    }
    if (fip != kPointerSentinel) s.fip = rip;
    if (host_fop != 0) s.fop = fop;
    if (fdp != kPointerSentinel) s.fdp = has_memory ? data_offset : fdp;
}

}  // namespace simx::x87
