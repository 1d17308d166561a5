// Helpers shared by the SSE/SSE2 semantics (ops_sse_*.cpp): XMM memory
// operands, the 16-byte alignment rule, and MXCSR exception handling.
//
// Floating-point results come from the host's own SSE instruction, executed
// with the guest's rounding mode, DAZ and FTZ loaded into the host MXCSR and
// every exception masked; the flags it raises are then merged into the guest
// MXCSR as SDM Vol. 1 11.5.2 prescribes (see commit_mxcsr).
#pragma once

#include <emmintrin.h>

#include <cstdint>
#include <cstring>

#include "sim/cpu/ops_common.h"

namespace simx::sse {

// MXCSR bits (SDM Vol. 1 10.2.3).
inline constexpr uint32_t kIE = 1u << 0, kDE = 1u << 1, kZE = 1u << 2, kOE = 1u << 3, kUE = 1u << 4, kPE = 1u << 5;
inline constexpr uint32_t kFlags = 0x3F;
inline constexpr uint32_t kUM = 1u << 11, kFTZ = 1u << 15;
inline constexpr uint32_t kMasks = 0x1F80;
// The MXCSR bits this CPU implements (MXCSR_MASK with DAZ): LDMXCSR of any
// other bit is #GP(0) (SDM Vol. 1 11.6.6).
inline constexpr uint32_t kWritable = 0xFFFF;

inline __m128i get(const Core& c, uint8_t n) {
    __m128i v;
    std::memcpy(&v, c.xmm[n].bytes.data(), 16);
    return v;
}
inline void put(Core& c, uint8_t n, __m128i v) { std::memcpy(c.xmm[n].bytes.data(), &v, 16); }

// The effective address of a 16-byte operand that must be aligned: #GP(0)
// otherwise (SDM Vol. 2 "legacy SSE" memory operands; Vol. 3A 6.15).
inline uint64_t address(Core& c, const Insn* i, bool aligned) {
    const uint64_t va = c.ea(*i);
    if (aligned && (va & 15)) [[unlikely]] c.raise(vector::kGeneralProtection, 0);
    return va;
}

// Loads n bytes into the low bytes of an XMM value (the rest zero).
inline __m128i load(Core& c, uint64_t va, unsigned n, bool stack) {
    ++c.counters.loads;
    const MemRef m = c.translate_data<AccessType::kRead>(va, n, stack);
    alignas(16) uint8_t b[16] = {};
    if (!m.host2) {
        std::memcpy(b, m.host, n);
    } else {
        std::memcpy(b, m.host, m.first);
        std::memcpy(b + m.first, m.host2, n - m.first);
    }
    __m128i v;
    std::memcpy(&v, b, 16);
    return v;
}

// Stores the low n bytes of an XMM value.
inline void store(Core& c, uint64_t va, __m128i v, unsigned n, bool stack) {
    ++c.counters.stores;
    const MemRef m = c.translate_data<AccessType::kWrite>(va, n, stack);
    alignas(16) uint8_t b[16];
    std::memcpy(b, &v, 16);
    if (!m.host2) {
        std::memcpy(m.host, b, n);
    } else {
        std::memcpy(m.host, b, m.first);
        std::memcpy(m.host2, b + m.first, n - m.first);
    }
    c.note_write(m);
}

// The source operand: XMM register src, or `Mem` bytes at the effective
// address (16-byte operands aligned).
template <unsigned Mem>
inline __m128i source(Core& c, const Insn* i) {
    if constexpr (Mem == 0) return get(c, i->src);
    else return load(c, address(c, i, Mem == 16), Mem, i->stack);
}

// The host MXCSR for computing a guest instruction: the guest's rounding,
// DAZ and FTZ, flags clear, all exceptions masked.
inline uint32_t host_mxcsr(uint32_t guest) { return (guest & ~(kFlags | kMasks)) | kMasks; }

// Merges the exception flags an instruction raised (SDM Vol. 1 11.5.2): with
// every raised exception masked, the flags are set and the result is written.
// Otherwise #XM (vector 19, CR4.OSXMMEXCPT set) and the destination is not
// written; if an unmasked pre-computation exception (invalid, denormal,
// divide-by-zero) occurred, only the pre-computation flags are set, else all.
//
// Known deviation: with overflow or underflow *unmasked*, hardware reports PE
// by the rounding of the result with an unbounded exponent (it does not
// deliver the denormalized or overflowed value); here PE is that of the
// masked computation. Only MXCSR.PE at such an #XM can differ (the harness
// ignores exactly that bit in exactly that case).
inline void commit_mxcsr(Core& c, uint32_t raised) {
    raised &= kFlags;
    const uint32_t unmasked = raised & ~(c.mxcsr >> 7) & kFlags;
    if (unmasked) [[unlikely]] {
        const uint32_t pre = raised & (kIE | kDE | kZE);
        if (pre & unmasked) c.mxcsr |= pre;
        else c.mxcsr |= raised;
        c.raise(vector::kSimdFloatingPoint, 0);
    }
    c.mxcsr |= raised;
}

}  // namespace simx::sse
