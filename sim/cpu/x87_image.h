// The x87 state as an FXSAVE64 image (SDM Vol. 1 10.5.1, table 10-2) and back:
// ST(i) is stored in stack order, the tag word abridged to one bit per
// physical register; the full 2-bit tags are recomputed from the values
// (SDM Vol. 1 8.1.7: 00 valid, 01 zero, 10 special, 11 empty).
#pragma once

#include <cstdint>
#include <cstring>

#include "sim/cpu/cpu_state.h"

namespace simx::x87 {

inline constexpr unsigned kFcw = 0, kFsw = 2, kFtw = 4, kFop = 6, kFip = 8, kFdp = 16, kMxcsr = 24, kSt = 32;

inline unsigned top(uint16_t fsw) { return (fsw >> 11) & 7; }

// The 2-bit tag of a non-empty register.
inline uint16_t classify(const std::array<uint8_t, 10>& r) {
    uint64_t mant;
    uint16_t se;
    std::memcpy(&mant, r.data(), 8);
    std::memcpy(&se, r.data() + 8, 2);
    const unsigned exp = se & 0x7FFF;
    if (exp == 0x7FFF) return 2;
    if (exp == 0) return mant == 0 ? 1 : 2;
    return (mant >> 63) ? 0 : 2;  // an unnormal is special
}

inline void to_image(const X87State& s, uint32_t mxcsr, uint8_t* fx) {
    std::memset(fx, 0, 512);
    std::memcpy(fx + kFcw, &s.fcw, 2);
    std::memcpy(fx + kFsw, &s.fsw, 2);
    uint8_t abridged = 0;
    for (unsigned j = 0; j < 8; ++j)
        if (((s.ftw >> (2 * j)) & 3) != 3) abridged |= static_cast<uint8_t>(1u << j);
    fx[kFtw] = abridged;
    std::memcpy(fx + kFop, &s.fop, 2);
    std::memcpy(fx + kFip, &s.fip, 8);
    std::memcpy(fx + kFdp, &s.fdp, 8);
    std::memcpy(fx + kMxcsr, &mxcsr, 4);
    const unsigned t = top(s.fsw);
    for (unsigned i = 0; i < 8; ++i) std::memcpy(fx + kSt + 16 * i, s.regs[(t + i) & 7].data(), 10);
}

// Control, status, tags and registers from an image (FOP/FIP/FDP are left alone).
inline void from_image(const uint8_t* fx, X87State& s) {
    std::memcpy(&s.fcw, fx + kFcw, 2);
    std::memcpy(&s.fsw, fx + kFsw, 2);
    const unsigned t = top(s.fsw);
    for (unsigned i = 0; i < 8; ++i) std::memcpy(s.regs[(t + i) & 7].data(), fx + kSt + 16 * i, 10);
    uint16_t ftw = 0;
    for (unsigned j = 0; j < 8; ++j)
        ftw |= static_cast<uint16_t>(((fx[kFtw] >> j) & 1 ? classify(s.regs[j]) : 3u) << (2 * j));
    s.ftw = ftw;
}

}  // namespace simx::x87
