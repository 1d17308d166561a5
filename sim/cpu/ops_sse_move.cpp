// SSE/SSE2 data movement (SDM Vol. 2): MOVAPS/MOVUPS/MOVAPD/MOVUPD/MOVDQA/
// MOVDQU, MOVSS/MOVSD, MOVD/MOVQ, MOVLPS/MOVHPS/MOVLPD/MOVHPD, MOVHLPS/
// MOVLHPS, MOVMSKPS/MOVMSKPD/PMOVMSKB, the non-temporal stores MOVNTDQ/
// MOVNTPS/MOVNTPD/MOVNTI (plain stores: no cache is bypassed in the model),
// and LDMXCSR/STMXCSR. None of them raises an SIMD floating-point exception.
#include "sim/cpu/ops_sse.h"

namespace simx {
namespace {

enum class Dir : uint8_t { kRegReg, kRegMem, kMemReg };

// ---- whole-register moves: 16 bytes, aligned or not -------------------------
template <Dir D, bool Aligned>
const Insn* mov_full(Core& c, const Insn* i) {
    if constexpr (D == Dir::kRegReg) sse::put(c, i->dst, sse::get(c, i->src));
    else if constexpr (D == Dir::kRegMem) sse::put(c, i->dst, sse::load(c, sse::address(c, i, Aligned), 16, i->stack));
    else sse::store(c, sse::address(c, i, Aligned), sse::get(c, i->src), 16, i->stack);
    return c.next(i);
}

// ---- MOVSS/MOVSD: register to register merges the low element; a load
// zeroes the rest; a store writes the low element.
template <Dir D, unsigned N>
const Insn* mov_scalar(Core& c, const Insn* i) {
    if constexpr (D == Dir::kRegReg) {
        Xmm x = c.xmm[i->dst];
        std::memcpy(x.bytes.data(), c.xmm[i->src].bytes.data(), N);
        c.xmm[i->dst] = x;
    } else if constexpr (D == Dir::kRegMem) {
        sse::put(c, i->dst, sse::load(c, c.ea(*i), N, i->stack));
    } else {
        sse::store(c, c.ea(*i), sse::get(c, i->src), N, i->stack);
    }
    return c.next(i);
}

// ---- MOVD/MOVQ -----------------------------------------------------------------
// xmm <- r32/r64: zero-extended.
template <unsigned N>
const Insn* movd_from_gpr(Core& c, const Insn* i) {
    const uint64_t v = c.reg<N>(i->src);
    Xmm x{};
    std::memcpy(x.bytes.data(), &v, N);
    c.xmm[i->dst] = x;
    return c.next(i);
}
// r32/r64 <- xmm: the low element (a 32-bit write zero-extends).
template <unsigned N>
const Insn* movd_to_gpr(Core& c, const Insn* i) {
    uint64_t v = 0;
    std::memcpy(&v, c.xmm[i->src].bytes.data(), N);
    c.set_reg<N>(i->dst, v);
    return c.next(i);
}
// MOVQ xmm, xmm: the low quadword, upper zeroed.
const Insn* movq_xmm(Core& c, const Insn* i) {
    Xmm x{};
    std::memcpy(x.bytes.data(), c.xmm[i->src].bytes.data(), 8);
    c.xmm[i->dst] = x;
    return c.next(i);
}

// ---- MOVLPS/MOVLPD/MOVHPS/MOVHPD: one quadword to or from memory -------------
template <bool Load, unsigned Offset>
const Insn* mov_half(Core& c, const Insn* i) {
    if constexpr (Load) {
        const __m128i v = sse::load(c, c.ea(*i), 8, i->stack);
        Xmm x = c.xmm[i->dst];
        std::memcpy(x.bytes.data() + Offset, &v, 8);
        c.xmm[i->dst] = x;
    } else {
        __m128i v = _mm_setzero_si128();
        std::memcpy(&v, c.xmm[i->src].bytes.data() + Offset, 8);
        sse::store(c, c.ea(*i), v, 8, i->stack);
    }
    return c.next(i);
}
// MOVHLPS: dst.low = src.high; MOVLHPS: dst.high = src.low.
template <unsigned DstOff, unsigned SrcOff>
const Insn* mov_half_reg(Core& c, const Insn* i) {
    Xmm x = c.xmm[i->dst];
    std::memcpy(x.bytes.data() + DstOff, c.xmm[i->src].bytes.data() + SrcOff, 8);
    c.xmm[i->dst] = x;
    return c.next(i);
}

// ---- sign masks: bit n = the sign of element n (Elem bytes each) -------------
template <unsigned Elem>
const Insn* movmsk(Core& c, const Insn* i) {
    const Xmm& x = c.xmm[i->src];
    uint64_t m = 0;
    for (unsigned n = 0; n < 16 / Elem; ++n) m |= static_cast<uint64_t>(x.bytes[n * Elem + Elem - 1] >> 7) << n;
    c.r[i->dst / 8] = m;
    return c.next(i);
}

template <unsigned N>
const Insn* movnti(Core& c, const Insn* i) {
    c.store<N>(c.ea(*i), c.reg<N>(i->src), i->stack);
    return c.next(i);
}

// LDMXCSR: #GP(0) if a reserved bit is set (SDM Vol. 2 LDMXCSR).
const Insn* ldmxcsr(Core& c, const Insn* i) {
    const uint32_t v = static_cast<uint32_t>(c.load<4>(c.ea(*i), i->stack));
    if (v & ~sse::kWritable) c.raise(vector::kGeneralProtection, 0);
    c.mxcsr = v;
    return c.next(i);
}
const Insn* stmxcsr(Core& c, const Insn* i) {
    c.store<4>(c.ea(*i), c.mxcsr, i->stack);
    return c.next(i);
}

}  // namespace

bool bind_sse_move(const InsnView& v, SseMove op, Insn& out) {
    if (op == SseMove::kLdmxcsr || op == SseMove::kStmxcsr) {
        if (v.count != 1 || !v.mem(0)) return false;
        out.fn = op == SseMove::kLdmxcsr ? ldmxcsr : stmxcsr;
        return true;
    }
    if (v.count != 2) return false;
    if (op == SseMove::kMovnti) {
        if (!(v.mem(0) && v.reg(1))) return false;
        out.src = v.op[1].reg;
        out.fn = v.op[1].size == 8 ? movnti<8> : movnti<4>;
        return true;
    }
    Dir d;
    if (v.xmm(0) && v.xmm(1)) d = Dir::kRegReg;
    else if (v.xmm(0) && v.mem(1)) d = Dir::kRegMem;
    else if (v.mem(0) && v.xmm(1)) d = Dir::kMemReg;
    else if ((v.xmm(0) && v.reg(1)) || (v.reg(0) && v.xmm(1))) d = Dir::kRegReg;  // MOVD/MOVQ, masks
    else return false;
    if (v.is(0, OperandView::Kind::kReg)) out.dst = v.op[0].reg;
    if (v.is(1, OperandView::Kind::kReg)) out.src = v.op[1].reg;
    const bool gpr_involved = v.reg(0) || v.reg(1);
    auto pick = [&](Handler rr, Handler rm, Handler mr) {
        out.fn = d == Dir::kRegReg ? rr : d == Dir::kRegMem ? rm : mr;
    };
    switch (op) {
        case SseMove::kMovAligned:
            if (gpr_involved) return false;
            pick(mov_full<Dir::kRegReg, true>, mov_full<Dir::kRegMem, true>, mov_full<Dir::kMemReg, true>);
            break;
        case SseMove::kMovUnaligned:
            if (gpr_involved) return false;
            pick(mov_full<Dir::kRegReg, false>, mov_full<Dir::kRegMem, false>, mov_full<Dir::kMemReg, false>);
            break;
        case SseMove::kMovss:
            if (gpr_involved) return false;
            pick(mov_scalar<Dir::kRegReg, 4>, mov_scalar<Dir::kRegMem, 4>, mov_scalar<Dir::kMemReg, 4>);
            break;
        case SseMove::kMovsd:
            if (gpr_involved) return false;
            pick(mov_scalar<Dir::kRegReg, 8>, mov_scalar<Dir::kRegMem, 8>, mov_scalar<Dir::kMemReg, 8>);
            break;
        case SseMove::kMovd:
        case SseMove::kMovq: {
            if (v.xmm(0) && v.reg(1)) out.fn = v.op[1].size == 8 ? movd_from_gpr<8> : movd_from_gpr<4>;
            else if (v.reg(0) && v.xmm(1)) out.fn = v.op[0].size == 8 ? movd_to_gpr<8> : movd_to_gpr<4>;
            else if (d == Dir::kRegReg) out.fn = op == SseMove::kMovq ? movq_xmm : nullptr;
            else if (d == Dir::kRegMem) out.fn = v.op[1].size == 8 ? mov_scalar<Dir::kRegMem, 8> : mov_scalar<Dir::kRegMem, 4>;
            else out.fn = v.op[0].size == 8 ? mov_scalar<Dir::kMemReg, 8> : mov_scalar<Dir::kMemReg, 4>;
            break;
        }
        case SseMove::kMovlp:
            if (d == Dir::kRegMem) out.fn = mov_half<true, 0>;
            else if (d == Dir::kMemReg) out.fn = mov_half<false, 0>;
            else return false;
            break;
        case SseMove::kMovhp:
            if (d == Dir::kRegMem) out.fn = mov_half<true, 8>;
            else if (d == Dir::kMemReg) out.fn = mov_half<false, 8>;
            else return false;
            break;
        case SseMove::kMovhlps:
            if (!(v.xmm(0) && v.xmm(1))) return false;
            out.fn = mov_half_reg<0, 8>;
            break;
        case SseMove::kMovlhps:
            if (!(v.xmm(0) && v.xmm(1))) return false;
            out.fn = mov_half_reg<8, 0>;
            break;
        case SseMove::kMovmskps:
        case SseMove::kMovmskpd:
        case SseMove::kPmovmskb:
            if (!(v.reg(0) && v.xmm(1))) return false;
            out.fn = op == SseMove::kMovmskps ? movmsk<4> : op == SseMove::kMovmskpd ? movmsk<8> : movmsk<1>;
            break;
        case SseMove::kMovntAligned:
            if (d != Dir::kMemReg) return false;
            out.fn = mov_full<Dir::kMemReg, true>;
            break;
        case SseMove::kMovnti:
        case SseMove::kLdmxcsr:
        case SseMove::kStmxcsr:
            return false;
    }
    return out.fn != nullptr;
}

}  // namespace simx
