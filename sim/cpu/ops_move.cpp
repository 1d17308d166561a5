// Moves that are not two-operand ALU forms: MOVZX/MOVSX/MOVSXD, LEA, CMOVcc,
// SETcc, BSWAP and the accumulator conversions CBW..CQO (SDM Vol. 2).
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

// ---- MOVZX, MOVSX, MOVSXD: D-byte destination from an Src-byte source ------
template <unsigned D, unsigned Src, bool Sign, bool Mem>
const Insn* extend(Core& c, const Insn* i) {
    const uint64_t v = Mem ? c.load<Src>(c.ea(*i), i->stack) : c.reg<Src>(i->src);
    const uint64_t r = Sign ? static_cast<uint64_t>(flags::sign_extend<Src>(v)) : v;
    c.set_reg<D>(i->dst, r & flags::kMask<D>);
    return c.next(i);
}

template <unsigned D, bool Sign, bool Mem>
Handler extend_from(unsigned src) {
    switch (src) {
        case 1: return extend<D, 1, Sign, Mem>;
        case 2: return extend<D, 2, Sign, Mem>;
        case 4: return extend<D, 4, Sign, Mem>;
    }
    return nullptr;
}

// ---- LEA: the effective address, truncated to the operand size -------------
template <unsigned S>
const Insn* lea(Core& c, const Insn* i) {
    c.set_reg<S>(i->dst, c.ea(*i) & flags::kMask<S>);
    return c.next(i);
}

// ---- CMOVcc: the source is read whatever the condition (SDM CMOVcc); a
// 32-bit destination is zero-extended even when the condition is false.
template <unsigned CC, unsigned S, bool Mem>
const Insn* cmov(Core& c, const Insn* i) {
    const uint64_t v = Mem ? c.load<S>(c.ea(*i), i->stack) : c.reg<S>(i->src);
    if (condition<CC>(c.rflags)) c.set_reg<S>(i->dst, v);
    else if constexpr (S == 4) c.set_reg<4>(i->dst, c.reg<4>(i->dst));
    return c.next(i);
}

template <unsigned CC, bool Mem>
const Insn* setcc(Core& c, const Insn* i) {
    const uint64_t v = condition<CC>(c.rflags) ? 1 : 0;
    if constexpr (Mem) c.store<1>(c.ea(*i), v, i->stack);
    else c.set_reg<1>(i->dst, v);
    return c.next(i);
}

template <unsigned S>
const Insn* bswap(Core& c, const Insn* i) {
    const uint64_t v = c.reg<S>(i->dst);
    if constexpr (S == 8) c.set_reg<8>(i->dst, __builtin_bswap64(v));
    else c.set_reg<4>(i->dst, __builtin_bswap32(static_cast<uint32_t>(v)));
    return c.next(i);
}

// ---- CBW/CWDE/CDQE: sign-extend the low half of the accumulator; CWD/CDQ/CQO:
// fill rDX with the accumulator's sign.
template <ConvertOp Op>
const Insn* convert(Core& c, const Insn* i) {
    const uint64_t a = c.r[kRax];
    if constexpr (Op == ConvertOp::kCbw) c.set_reg<2>(reg_offset(kRax), static_cast<uint64_t>(flags::sign_extend<1>(a)));
    if constexpr (Op == ConvertOp::kCwde) c.set_reg<4>(reg_offset(kRax), static_cast<uint64_t>(flags::sign_extend<2>(a)));
    if constexpr (Op == ConvertOp::kCdqe) c.r[kRax] = static_cast<uint64_t>(flags::sign_extend<4>(a));
    if constexpr (Op == ConvertOp::kCwd) c.set_reg<2>(reg_offset(kRdx), (a & 0x8000) ? 0xFFFF : 0);
    if constexpr (Op == ConvertOp::kCdq) c.set_reg<4>(reg_offset(kRdx), (a & 0x8000'0000) ? 0xFFFF'FFFF : 0);
    if constexpr (Op == ConvertOp::kCqo) c.r[kRdx] = (a >> 63) ? ~uint64_t{0} : 0;
    return c.next(i);
}

}  // namespace

bool bind_extend(const InsnView& v, bool sign, Insn& out) {
    if (v.count != 2 || !v.reg(0) || !(v.reg(1) || v.mem(1))) return false;
    const bool mem = v.mem(1);
    const unsigned src = v.op[1].size;
    out.dst = reg_of(v, 0);
    if (!mem) out.src = reg_of(v, 1);
    out.fn = by_size(v.op[0].size, [&]<unsigned D>() -> Handler {
        if constexpr (D == 1) {
            return nullptr;
        } else {
            if (sign) return mem ? extend_from<D, true, true>(src) : extend_from<D, true, false>(src);
            return mem ? extend_from<D, false, true>(src) : extend_from<D, false, false>(src);
        }
    });
    return out.fn != nullptr;
}

bool bind_lea(const InsnView& v, Insn& out) {
    if (v.count != 2 || !v.reg(0) || !v.mem(1)) return false;
    out.dst = reg_of(v, 0);
    out.mflags &= static_cast<uint8_t>(~(memflag::kFs | memflag::kGs));  // LEA ignores segments
    out.fn = by_size(v.op[0].size, [&]<unsigned S>() -> Handler {
        if constexpr (S == 1) return nullptr;
        else return lea<S>;
    });
    return out.fn != nullptr;
}

bool bind_cmovcc(const InsnView& v, Insn& out) {
    if (v.count != 2 || !v.reg(0) || !(v.reg(1) || v.mem(1))) return false;
    const bool mem = v.mem(1);
    out.dst = reg_of(v, 0);
    if (!mem) out.src = reg_of(v, 1);
    out.fn = by_condition(v.opcode, [&]<unsigned CC>() -> Handler {
        return by_size(v.op[0].size, [&]<unsigned S>() -> Handler {
            if constexpr (S == 1) return nullptr;
            else return mem ? cmov<CC, S, true> : cmov<CC, S, false>;
        });
    });
    return out.fn != nullptr;
}

bool bind_setcc(const InsnView& v, Insn& out) {
    if (v.count != 1 || !(v.reg(0) || v.mem(0)) || v.op[0].size != 1) return false;
    const bool mem = v.mem(0);
    if (!mem) out.dst = reg_of(v, 0);
    out.fn = by_condition(v.opcode, [&]<unsigned CC>() -> Handler { return mem ? setcc<CC, true> : setcc<CC, false>; });
    return true;
}

bool bind_bswap(const InsnView& v, Insn& out) {
    if (v.count != 1 || !v.reg(0)) return false;
    out.dst = reg_of(v, 0);
    if (v.op[0].size == 4) out.fn = bswap<4>;
    else if (v.op[0].size == 8) out.fn = bswap<8>;
    else return false;  // BSWAP r16 is undefined (SDM BSWAP)
    return true;
}

bool bind_convert(ConvertOp op, Insn& out) {
    switch (op) {
        case ConvertOp::kCbw: out.fn = convert<ConvertOp::kCbw>; break;
        case ConvertOp::kCwde: out.fn = convert<ConvertOp::kCwde>; break;
        case ConvertOp::kCdqe: out.fn = convert<ConvertOp::kCdqe>; break;
        case ConvertOp::kCwd: out.fn = convert<ConvertOp::kCwd>; break;
        case ConvertOp::kCdq: out.fn = convert<ConvertOp::kCdq>; break;
        case ConvertOp::kCqo: out.fn = convert<ConvertOp::kCqo>; break;
    }
    return true;
}

}  // namespace simx
