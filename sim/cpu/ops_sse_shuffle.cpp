// SSE/SSE2 instructions controlled by an immediate (SDM Vol. 2): PSHUFD,
// PSHUFLW, PSHUFHW, SHUFPS, SHUFPD, PSLLDQ/PSRLDQ, the shifts PSLLW..PSRAD by
// imm8, PEXTRW and PINSRW. Pure data movement, computed in C++ (shifts by the
// host's xmm-count form, which has the same semantics for counts 0..255).
#include "sim/cpu/ops_sse.h"

namespace simx {
namespace {

template <typename T>
T lane(const Xmm& x, unsigned n) {
    T v;
    std::memcpy(&v, x.bytes.data() + n * sizeof(T), sizeof(T));
    return v;
}
template <typename T>
void set_lane(Xmm& x, unsigned n, T v) {
    std::memcpy(x.bytes.data() + n * sizeof(T), &v, sizeof(T));
}

template <unsigned Mem>
Xmm source_xmm(Core& c, const Insn* i) {
    const __m128i v = sse::source<Mem>(c, i);
    Xmm x;
    std::memcpy(x.bytes.data(), &v, 16);
    return x;
}

template <SseShuffle Op, unsigned Mem>
const Insn* shuffle(Core& c, const Insn* i) {
    const Xmm s = source_xmm<Mem>(c, i);
    const Xmm d = c.xmm[i->dst];
    const unsigned imm = static_cast<uint8_t>(i->imm);
    Xmm r = d;
    if constexpr (Op == SseShuffle::kPshufd) {
        for (unsigned n = 0; n < 4; ++n) set_lane<uint32_t>(r, n, lane<uint32_t>(s, (imm >> (2 * n)) & 3));
    } else if constexpr (Op == SseShuffle::kPshuflw) {
        r = s;
        for (unsigned n = 0; n < 4; ++n) set_lane<uint16_t>(r, n, lane<uint16_t>(s, (imm >> (2 * n)) & 3));
    } else if constexpr (Op == SseShuffle::kPshufhw) {
        r = s;
        for (unsigned n = 0; n < 4; ++n) set_lane<uint16_t>(r, 4 + n, lane<uint16_t>(s, 4 + ((imm >> (2 * n)) & 3)));
    } else if constexpr (Op == SseShuffle::kShufps) {
        set_lane<uint32_t>(r, 0, lane<uint32_t>(d, imm & 3));
        set_lane<uint32_t>(r, 1, lane<uint32_t>(d, (imm >> 2) & 3));
        set_lane<uint32_t>(r, 2, lane<uint32_t>(s, (imm >> 4) & 3));
        set_lane<uint32_t>(r, 3, lane<uint32_t>(s, (imm >> 6) & 3));
    } else if constexpr (Op == SseShuffle::kShufpd) {
        set_lane<uint64_t>(r, 0, lane<uint64_t>(d, imm & 1));
        set_lane<uint64_t>(r, 1, lane<uint64_t>(s, (imm >> 1) & 1));
    }
    c.xmm[i->dst] = r;
    return c.next(i);
}

// PSLLDQ/PSRLDQ: byte shifts of the whole register; counts above 15 clear it.
template <bool Left>
const Insn* byte_shift(Core& c, const Insn* i) {
    const Xmm d = c.xmm[i->dst];
    const unsigned n = static_cast<uint8_t>(i->imm);
    Xmm r{};
    for (unsigned k = 0; k < 16; ++k) {
        if (Left && k >= n) r.bytes[k] = d.bytes[k - n];
        if (!Left && k + n < 16) r.bytes[k] = d.bytes[k + n];
    }
    c.xmm[i->dst] = r;
    return c.next(i);
}

// Shifts by imm8: the xmm-count form with the count in the low quadword.
#define SIMX_SHIFT(l)                                                  \
    const Insn* shift_##l(Core& c, const Insn* i) {                    \
        __m128i d = sse::get(c, i->dst);                               \
        const __m128i n = _mm_cvtsi64_si128(static_cast<uint8_t>(i->imm)); \
        asm(#l " %[s], %[d]" : [d] "+x"(d) : [s] "x"(n));              \
        sse::put(c, i->dst, d);                                        \
        return c.next(i);                                              \
    }
SIMX_SHIFT(psllw) SIMX_SHIFT(pslld) SIMX_SHIFT(psllq) SIMX_SHIFT(psrlw)
SIMX_SHIFT(psrld) SIMX_SHIFT(psrlq) SIMX_SHIFT(psraw) SIMX_SHIFT(psrad)
#undef SIMX_SHIFT

// PEXTRW r32/r64, xmm, imm8: the word imm8[2:0], zero-extended.
const Insn* pextrw(Core& c, const Insn* i) {
    c.r[i->dst / 8] = lane<uint16_t>(c.xmm[i->src], i->imm & 7);
    return c.next(i);
}
// PINSRW xmm, r32/m16, imm8.
template <bool Mem>
const Insn* pinsrw(Core& c, const Insn* i) {
    const uint16_t v = static_cast<uint16_t>(Mem ? c.load<2>(c.ea(*i), i->stack) : c.reg<2>(i->src));
    set_lane<uint16_t>(c.xmm[i->dst], i->imm & 7, v);
    return c.next(i);
}

template <SseShuffle Op>
Handler by_mem(bool mem) {
    return mem ? shuffle<Op, 16> : shuffle<Op, 0>;
}

}  // namespace

bool bind_sse_shuffle(const InsnView& v, SseShuffle op, Insn& out) {
    if (op == SseShuffle::kPextrw) {
        if (v.count != 3 || !v.reg(0) || !v.xmm(1) || !v.imm(2)) return false;
        out.dst = v.op[0].reg;
        out.src = v.op[1].reg;
        out.imm = v.op[2].imm;
        out.fn = pextrw;
        return true;
    }
    if (op == SseShuffle::kPinsrw) {
        if (v.count != 3 || !v.xmm(0) || !(v.reg(1) || v.mem(1)) || !v.imm(2)) return false;
        out.dst = v.op[0].reg;
        if (v.reg(1)) out.src = v.op[1].reg;
        out.imm = v.op[2].imm;
        out.fn = v.mem(1) ? pinsrw<true> : pinsrw<false>;
        return true;
    }
    if (v.count == 2) {  // byte shifts and shifts by imm8: xmm, imm8
        if (!v.xmm(0) || !v.imm(1)) return false;
        out.dst = v.op[0].reg;
        out.imm = v.op[1].imm;
        switch (op) {
            case SseShuffle::kPslldq: out.fn = byte_shift<true>; break;
            case SseShuffle::kPsrldq: out.fn = byte_shift<false>; break;
            case SseShuffle::kPsllw: out.fn = shift_psllw; break;
            case SseShuffle::kPslld: out.fn = shift_pslld; break;
            case SseShuffle::kPsllq: out.fn = shift_psllq; break;
            case SseShuffle::kPsrlw: out.fn = shift_psrlw; break;
            case SseShuffle::kPsrld: out.fn = shift_psrld; break;
            case SseShuffle::kPsrlq: out.fn = shift_psrlq; break;
            case SseShuffle::kPsraw: out.fn = shift_psraw; break;
            case SseShuffle::kPsrad: out.fn = shift_psrad; break;
            default: return false;
        }
        return true;
    }
    if (v.count != 3 || !v.xmm(0) || !(v.xmm(1) || v.mem(1)) || !v.imm(2)) return false;
    if (v.mem(1) && v.op[1].size != 16) return false;
    const bool mem = v.mem(1);
    out.dst = v.op[0].reg;
    if (!mem) out.src = v.op[1].reg;
    out.imm = v.op[2].imm;
    switch (op) {
        case SseShuffle::kPshufd: out.fn = by_mem<SseShuffle::kPshufd>(mem); break;
        case SseShuffle::kPshuflw: out.fn = by_mem<SseShuffle::kPshuflw>(mem); break;
        case SseShuffle::kPshufhw: out.fn = by_mem<SseShuffle::kPshufhw>(mem); break;
        case SseShuffle::kShufps: out.fn = by_mem<SseShuffle::kShufps>(mem); break;
        case SseShuffle::kShufpd: out.fn = by_mem<SseShuffle::kShufpd>(mem); break;
        default: return false;
    }
    return true;
}

}  // namespace simx
