// MUL, IMUL (one, two and three operands), DIV and IDIV (SDM Vol. 2A/2B).
//
// Flags: MUL/IMUL set CF = OF = "the result does not fit the destination";
// SF, ZF, AF and PF are undefined in the SDM and computed as the Intel host
// of the differential harness does: SF and PF of the low half, ZF and AF
// clear. DIV/IDIV leave every flag unchanged (all six are undefined).
// #DE: a zero divisor, or a quotient that does not fit (SDM DIV, IDIV).
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

// The low half's SF and PF, ZF and AF clear, CF = OF = overflow.
template <unsigned S>
inline uint64_t mul_flags(uint64_t low, bool overflow) {
    const uint64_t o = overflow ? (rflags::kCF | rflags::kOF) : 0;
    return (flags::szp<S>(low & flags::kMask<S>) & ~rflags::kZF) | o;
}

// Writes the double-width product or the quotient/remainder pair: AL/AH for 8
// bits, else rDX:rAX.
template <unsigned S>
inline void set_pair(Core& c, uint64_t low, uint64_t high) {
    if constexpr (S == 1) {
        c.set_reg<2>(reg_offset(kRax), (low & 0xFF) | ((high & 0xFF) << 8));
    } else {
        c.set_reg<S>(reg_offset(kRax), low);
        c.set_reg<S>(reg_offset(kRdx), high);
    }
}

template <unsigned S>
inline uint64_t dividend_high(const Core& c) {
    if constexpr (S == 1) return (c.r[kRax] >> 8) & 0xFF;
    else return c.reg<S>(reg_offset(kRdx));
}

template <unsigned S, bool Mem>
inline uint64_t operand(Core& c, const Insn* i) {
    return Mem ? c.load<S>(c.ea(*i), i->stack) : c.reg<S>(i->src);
}

template <MulDivOp Op, unsigned S, bool Mem>
const Insn* one_operand(Core& c, const Insn* i) {
    constexpr unsigned bits = 8 * S;
    constexpr uint64_t m = flags::kMask<S>;
    const uint64_t src = operand<S, Mem>(c, i);
    const uint64_t a = c.reg<S>(reg_offset(kRax));
    if constexpr (Op == MulDivOp::kMul) {
        const u128 p = u128{a} * src;
        const uint64_t low = static_cast<uint64_t>(p) & m;
        const uint64_t high = static_cast<uint64_t>(p >> bits) & m;
        set_pair<S>(c, low, high);
        c.set_status(mul_flags<S>(low, high != 0));
    } else if constexpr (Op == MulDivOp::kImul) {
        const i128 p = i128{flags::sign_extend<S>(a)} * flags::sign_extend<S>(src);
        const uint64_t low = static_cast<uint64_t>(p) & m;
        const uint64_t high = static_cast<uint64_t>(p >> bits) & m;
        set_pair<S>(c, low, high);
        c.set_status(mul_flags<S>(low, p != i128{flags::sign_extend<S>(low)}));
    } else if constexpr (Op == MulDivOp::kDiv) {
        if (src == 0) c.raise(vector::kDivideError);
        const u128 dividend = (u128{dividend_high<S>(c)} << bits) | a;
        const u128 q = dividend / src;
        if (q > m) c.raise(vector::kDivideError);
        set_pair<S>(c, static_cast<uint64_t>(q), static_cast<uint64_t>(dividend % src));
    } else {
        const int64_t d = flags::sign_extend<S>(src);
        if (d == 0) c.raise(vector::kDivideError);
        const i128 dividend = static_cast<i128>((u128{dividend_high<S>(c)} << bits) | a) << (128 - 2 * bits) >> (128 - 2 * bits);
        constexpr i128 lo = -(i128{1} << (bits - 1));
        constexpr i128 hi = (i128{1} << (bits - 1)) - 1;
        i128 q, rem;
        if (d == -1) {  // avoid the host's overflow on INT_MIN / -1: -dividend never fits then
            if (dividend == lo * (i128{1} << bits) || -dividend > hi || -dividend < lo) c.raise(vector::kDivideError);
            q = -dividend;
            rem = 0;
        } else {
            q = dividend / d;
            rem = dividend % d;
        }
        if (q < lo || q > hi) c.raise(vector::kDivideError);
        set_pair<S>(c, static_cast<uint64_t>(q) & m, static_cast<uint64_t>(rem) & m);
    }
    return c.next(i);
}

// IMUL r, r/m (Three = false) and IMUL r, r/m, imm: truncated signed product.
template <unsigned S, bool Mem, bool Three>
const Insn* imul_truncating(Core& c, const Insn* i) {
    const uint64_t b = operand<S, Mem>(c, i);
    const uint64_t a = Three ? (i->imm & flags::kMask<S>) : c.reg<S>(i->dst);
    const i128 p = i128{flags::sign_extend<S>(a)} * flags::sign_extend<S>(b);
    const uint64_t low = static_cast<uint64_t>(p) & flags::kMask<S>;
    c.set_reg<S>(i->dst, low);
    c.set_status(mul_flags<S>(low, p != i128{flags::sign_extend<S>(low)}));
    return c.next(i);
}

template <MulDivOp Op>
Handler one_operand_handler(unsigned size, bool mem) {
    return by_size(size, [&]<unsigned S>() -> Handler {
        return mem ? one_operand<Op, S, true> : one_operand<Op, S, false>;
    });
}

}  // namespace

bool bind_muldiv(const InsnView& v, MulDivOp op, Insn& out) {
    const bool div = op == MulDivOp::kDiv || op == MulDivOp::kIdiv;
    if (v.count == 1) {
        if (!(v.reg(0) || v.mem(0))) return false;
        const bool mem = v.mem(0);
        if (!mem) out.src = reg_of(v, 0);
        const unsigned size = v.op[0].size;
        switch (op) {
            case MulDivOp::kMul: out.fn = one_operand_handler<MulDivOp::kMul>(size, mem); break;
            case MulDivOp::kImul: out.fn = one_operand_handler<MulDivOp::kImul>(size, mem); break;
            case MulDivOp::kDiv: out.fn = one_operand_handler<MulDivOp::kDiv>(size, mem); break;
            case MulDivOp::kIdiv: out.fn = one_operand_handler<MulDivOp::kIdiv>(size, mem); break;
        }
        out.cls = !div ? InsnClass::kMul : size == 8 ? InsnClass::kDiv64 : InsnClass::kDiv32;
        return out.fn != nullptr;
    }
    if (op != MulDivOp::kImul || !v.reg(0) || !(v.reg(1) || v.mem(1))) return false;
    const bool mem = v.mem(1);
    out.dst = reg_of(v, 0);
    if (!mem) out.src = reg_of(v, 1);
    bool three = false;
    if (v.count == 3) {
        if (!v.imm(2)) return false;
        three = true;
        out.imm = v.op[2].imm;
    } else if (v.count != 2) {
        return false;
    }
    out.fn = by_size(v.op[0].size, [&]<unsigned S>() -> Handler {
        if constexpr (S == 1) {
            return nullptr;
        } else {
            if (three) return mem ? imul_truncating<S, true, true> : imul_truncating<S, false, true>;
            return mem ? imul_truncating<S, true, false> : imul_truncating<S, false, false>;
        }
    });
    out.cls = InsnClass::kMul;
    return out.fn != nullptr;
}

}  // namespace simx
