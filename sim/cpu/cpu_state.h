// The architectural state of one x86-64 CPU in 64-bit mode as user code sees it
// (SDM Vol. 1 ch. 3.4 and 8-10): what the kernel saves and restores across a
// trap, and what the interpreter reads and writes.
//
// The x87 and SSE state is held here so a context switch carries it; the
// interpreter executes SSE/SSE2 and the x87 on it (sim/cpu/ops_sse_*.cpp,
// ops_x87.cpp).
#pragma once

#include <array>
#include <cstdint>

namespace simx {

// GPR numbers as in the ModRM/REX encoding (SDM Vol. 2A table 2-2).
enum Gpr : uint8_t {
    kRax = 0, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi,
    kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
};
inline constexpr unsigned kGprCount = 16;

// RFLAGS bits (SDM Vol. 1 3.4.3).
namespace rflags {
inline constexpr uint64_t kCF = 1ull << 0;
inline constexpr uint64_t kFixed1 = 1ull << 1;  // reads as 1
inline constexpr uint64_t kPF = 1ull << 2;
inline constexpr uint64_t kAF = 1ull << 4;
inline constexpr uint64_t kZF = 1ull << 6;
inline constexpr uint64_t kSF = 1ull << 7;
inline constexpr uint64_t kTF = 1ull << 8;
inline constexpr uint64_t kIF = 1ull << 9;
inline constexpr uint64_t kDF = 1ull << 10;
inline constexpr uint64_t kOF = 1ull << 11;
inline constexpr uint64_t kIopl = 3ull << 12;
inline constexpr uint64_t kNT = 1ull << 14;
inline constexpr uint64_t kRF = 1ull << 16;
inline constexpr uint64_t kVM = 1ull << 17;
inline constexpr uint64_t kAC = 1ull << 18;
inline constexpr uint64_t kVIF = 1ull << 19;
inline constexpr uint64_t kVIP = 1ull << 20;
inline constexpr uint64_t kID = 1ull << 21;
// The six status flags arithmetic instructions write.
inline constexpr uint64_t kStatus = kCF | kPF | kAF | kZF | kSF | kOF;
// What POPF may change at CPL 3 with IOPL 0 (SDM Vol. 2B POPF, table 4-16):
// not IF, IOPL, VM, VIF, VIP; RF is cleared.
inline constexpr uint64_t kUserWritable = kStatus | kTF | kDF | kNT | kAC | kID;
}  // namespace rflags

// One XMM register, little-endian bytes.
struct Xmm {
    alignas(16) std::array<uint8_t, 16> bytes{};
    bool operator==(const Xmm&) const = default;
};

// The x87 FPU state (SDM Vol. 1 8.1): eight 80-bit registers ST(0)..ST(7) kept
// in physical order R0..R7, the control, status and (full, 2-bit) tag words, and
// the last-instruction pointers FXSAVE reports. Power-on/FNINIT values.
struct X87State {
    std::array<std::array<uint8_t, 10>, 8> regs{};  // 64-bit significand, then 16-bit sign+exponent
    uint16_t fcw = 0x037F;   // all exceptions masked, double-extended precision, round to nearest
    uint16_t fsw = 0;        // TOP in bits 13:11
    uint16_t ftw = 0xFFFF;   // 2 bits per register; 11b = empty
    uint16_t fop = 0;
    uint64_t fip = 0;
    uint64_t fdp = 0;
    bool operator==(const X87State&) const = default;
};

struct CpuState {
    std::array<uint64_t, kGprCount> gpr{};
    uint64_t rip = 0;
    uint64_t rflags = rflags::kFixed1 | rflags::kIF;  // user mode runs with interrupts enabled
    uint64_t fs_base = 0;
    uint64_t gs_base = 0;
    std::array<Xmm, 16> xmm{};
    uint32_t mxcsr = 0x1F80;  // all SIMD exceptions masked, round to nearest (SDM Vol. 1 10.2.3)
    X87State x87;

    bool operator==(const CpuState&) const = default;
};

}  // namespace simx
