// Status-flag arithmetic (SDM Vol. 1 3.4.3.1 and appendix A): CF, PF, AF, ZF,
// SF and OF computed eagerly, branch-free, for an operand of S bytes.
//
// Operands and results are passed zero-extended to 64 bits and masked to S
// bytes. The carry/borrow formulas are the full-adder majority functions, so
// they hold for ADC/SBB (carry in) as well as ADD/SUB.
#pragma once

#include <array>
#include <cstdint>

#include "sim/cpu/cpu_state.h"

namespace simx {
// 128-bit integers for MUL/DIV and rotates through CF (a GCC/Clang extension).
__extension__ typedef unsigned __int128 u128;
__extension__ typedef __int128 i128;
}  // namespace simx

namespace simx::flags {

template <unsigned S>
inline constexpr unsigned kBits = 8 * S;
template <unsigned S>
inline constexpr uint64_t kMask = S == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * S)) - 1;
template <unsigned S>
inline constexpr uint64_t kSignBit = uint64_t{1} << (8 * S - 1);

template <unsigned S>
constexpr int64_t sign_extend(uint64_t v) {
    if constexpr (S == 8) return static_cast<int64_t>(v);
    else return static_cast<int64_t>(v << (64 - 8 * S)) >> (64 - 8 * S);
}

// PF: set when the low byte of the result has an even number of 1 bits.
inline constexpr std::array<uint8_t, 256> kParity = [] {
    std::array<uint8_t, 256> t{};
    for (unsigned i = 0; i < 256; ++i) {
        unsigned ones = 0;
        for (unsigned b = i; b; b >>= 1) ones += b & 1;
        t[i] = (ones % 2 == 0) ? static_cast<uint8_t>(rflags::kPF) : 0;
    }
    return t;
}();

// SF, ZF and PF of a result masked to S bytes.
template <unsigned S>
inline uint64_t szp(uint64_t r) {
    return (r == 0 ? rflags::kZF : 0) | ((r >> (kBits<S> - 8)) & rflags::kSF) | kParity[r & 0xFF];
}

template <unsigned S>
inline uint64_t add(uint64_t a, uint64_t b, uint64_t r) {
    constexpr unsigned top = kBits<S> - 1;
    const uint64_t cf = (((a & b) | ((a | b) & ~r)) >> top) & 1;
    const uint64_t of = (((a ^ r) & (b ^ r)) >> top) & 1;
    return cf | szp<S>(r) | ((a ^ b ^ r) & rflags::kAF) | (of << 11);
}

template <unsigned S>
inline uint64_t sub(uint64_t a, uint64_t b, uint64_t r) {
    constexpr unsigned top = kBits<S> - 1;
    const uint64_t cf = (((~a & b) | ((~a | b) & r)) >> top) & 1;
    const uint64_t of = (((a ^ b) & (a ^ r)) >> top) & 1;
    return cf | szp<S>(r) | ((a ^ b ^ r) & rflags::kAF) | (of << 11);
}

// AND/OR/XOR/TEST: CF = OF = 0; AF is undefined in the SDM and cleared, as
// Intel and AMD cores do (checked by the differential harness).
template <unsigned S>
inline uint64_t logic(uint64_t r) {
    return szp<S>(r);
}

// Replaces the six status flags of `rflags_value` by `status`.
inline uint64_t merge_status(uint64_t rflags_value, uint64_t status) {
    return (rflags_value & ~rflags::kStatus) | status;
}

}  // namespace simx::flags
