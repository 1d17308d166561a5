// Why Interpreter::run() returned: the ring-3 -> kernel crossings of the trap
// ABI (DESIGN.md "The HAL and the trap ABI").
#pragma once

#include <cstdint>
#include <string>

namespace simx {

// Exception vectors (SDM Vol. 3A table 6-1).
namespace vector {
inline constexpr uint8_t kDivideError = 0;        // #DE
inline constexpr uint8_t kBreakpoint = 3;         // #BP (INT3)
inline constexpr uint8_t kInvalidOpcode = 6;      // #UD
inline constexpr uint8_t kDeviceNotAvailable = 7; // #NM
inline constexpr uint8_t kStackFault = 12;        // #SS
inline constexpr uint8_t kGeneralProtection = 13; // #GP
inline constexpr uint8_t kPageFault = 14;         // #PF
inline constexpr uint8_t kFloatingPoint = 16;     // #MF
inline constexpr uint8_t kAlignmentCheck = 17;    // #AC
inline constexpr uint8_t kSimdFloatingPoint = 19; // #XM
}  // namespace vector

enum class ExitReason : uint8_t {
    kBudget,     // max_instructions retired; state is at an instruction boundary
    kSyscall,    // SYSCALL retired: RIP is the next instruction, RCX = RIP, R11 = RFLAGS
    kException,  // a fault (RIP = the faulting instruction, state as before it)
                 // or a trap (#BP: RIP after the INT3)
    kHalt,       // HLT retired, RIP after it (privileged at CPL 3: the kernel treats it as #GP(0))
};

struct Exit {
    ExitReason reason = ExitReason::kBudget;
    uint8_t vector = 0;
    uint32_t error_code = 0;
    uint64_t cr2 = 0;             // the faulting linear address of a #PF
    uint64_t instructions = 0;    // retired during this run() call

    bool operator==(const Exit&) const = default;
};

std::string describe(const Exit& exit);

}  // namespace simx
