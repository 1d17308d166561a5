// Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR, SHLD, SHRD, by an
// immediate, by 1 or by CL, on registers and memory (SDM Vol. 2B "SAL/SAR/SHL/
// SHR", "RCL/RCR/ROL/ROR", "SHLD", "SHRD").
//
// The count is masked to 5 bits (6 with a 64-bit operand). A masked count of 0
// changes no flags. Where the SDM leaves flags undefined this follows Intel
// cores, as measured on the host by the differential harness (strict mode):
//  - OF for a count above 1 is the OF of the *first* one-bit step applied to
//    the original operand: SHL/ROL/RCL/SHLD MSB^MSB-1 of the operand, ROR
//    LSB^MSB, RCR MSB^CF, SHR MSB, SAR 0, SHRD LSB(src)^MSB;
//  - AF is cleared by SHL/SHR/SAR/SHLD/SHRD with a non-zero count;
//  - RCL/RCR of 8/16-bit operands by a multiple of 9/17 change no flag;
//  - ROL/ROR of a register by an immediate count above 1 leave OF unchanged.
// The harness still masks what the SDM leaves undefined (AMD differs).
// A memory operand is read and written even for a zero count.
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

using rflags::kCF;
using rflags::kOF;

template <ShiftOp Op, unsigned S, bool RegImm = false>
inline uint64_t shift(uint64_t a, unsigned raw_count, uint64_t& f) {
    constexpr unsigned bits = 8 * S;
    constexpr uint64_t m = flags::kMask<S>;
    const unsigned count = raw_count & (S == 8 ? 63u : 31u);
    if (count == 0) return a;
    uint64_t r = 0, cf = 0, of = 0;
    if constexpr (Op == ShiftOp::kShl) {
        r = (a << count) & m;
        cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
        of = ((a >> (bits - 1)) ^ (a >> (bits - 2))) & 1;
    } else if constexpr (Op == ShiftOp::kShr) {
        r = a >> count;
        cf = (a >> (count - 1)) & 1;
        of = (a >> (bits - 1)) & 1;
    } else if constexpr (Op == ShiftOp::kSar) {
        const int64_t sa = flags::sign_extend<S>(a);
        r = static_cast<uint64_t>(sa >> count) & m;
        cf = static_cast<uint64_t>(sa >> (count - 1)) & 1;
        of = 0;
    }
    if constexpr (Op == ShiftOp::kShl || Op == ShiftOp::kShr || Op == ShiftOp::kSar) {
        // CF, OF, SF, ZF, PF written; AF (undefined) cleared as on Intel cores.
        f = (f & ~rflags::kStatus) | cf | (of << 11) | flags::szp<S>(r);
        return r;
    }
    if constexpr (Op == ShiftOp::kRol || Op == ShiftOp::kRor) {
        const unsigned t = count % bits;  // 8/16-bit operands rotate modulo their width
        if constexpr (Op == ShiftOp::kRol) {
            r = t ? ((a << t) | (a >> (bits - t))) & m : a;
            cf = r & 1;
            of = ((a >> (bits - 1)) ^ (a >> (bits - 2))) & 1;
        } else {
            r = t ? ((a >> t) | (a << (bits - t))) & m : a;
            cf = (r >> (bits - 1)) & 1;
            of = ((a >> (bits - 1)) ^ a) & 1;
        }
        if (RegImm && count > 1) of = (f >> 11) & 1;
        f = (f & ~(kCF | kOF)) | cf | (of << 11);
        return r;
    }
    if constexpr (Op == ShiftOp::kRcl || Op == ShiftOp::kRcr) {
        // Rotate the (bits+1)-bit value CF:dest; 8/16-bit counts are taken modulo 9/17.
        const unsigned t = S == 1 ? count % 9 : S == 2 ? count % 17 : count;
        const u128 mask = (u128{1} << (bits + 1)) - 1;
        if (t == 0) return a;  // no rotation step: CF and OF unchanged
        const u128 v = (u128{f & kCF} << bits) | a;
        u128 rot;
        if constexpr (Op == ShiftOp::kRcl) {
            rot = ((v << t) | (v >> (bits + 1 - t))) & mask;
            of = ((a >> (bits - 1)) ^ (a >> (bits - 2))) & 1;
        } else {
            rot = ((v >> t) | (v << (bits + 1 - t))) & mask;
            of = ((a >> (bits - 1)) & 1) ^ (f & kCF);  // before the rotate (SDM RCR)
        }
        r = static_cast<uint64_t>(rot) & m;
        cf = static_cast<uint64_t>(rot >> bits) & 1;
        f = (f & ~(kCF | kOF)) | cf | (of << 11);
        return r;
    }
    return r;
}

// Count source: 0 = the immediate in aux, 1 = CL.
template <ShiftOp Op, unsigned S, bool Mem, bool Cl>
const Insn* shift_op(Core& c, const Insn* i) {
    const unsigned count = Cl ? static_cast<unsigned>(c.r[kRcx] & 0xFF) : i->aux;
    if constexpr (Mem) {
        const uint64_t addr = c.ea(*i);
        uint64_t f = c.rflags;
        const MemRef m = c.rmw_ref(addr, S, i->stack, false);
        c.write<S>(m, shift<Op, S>(Core::read<S>(m), count, f));
        c.rflags = f;
    } else {
        c.set_reg<S>(i->dst, shift<Op, S, !Cl>(c.reg<S>(i->dst), count, c.rflags));
    }
    return c.next(i);
}

template <ShiftOp Op>
Handler shift_handler(unsigned size, bool mem, bool cl) {
    return by_size(size, [&]<unsigned S>() -> Handler {
        if (mem) return cl ? shift_op<Op, S, true, true> : shift_op<Op, S, true, false>;
        return cl ? shift_op<Op, S, false, true> : shift_op<Op, S, false, false>;
    });
}

// ---- SHLD/SHRD: shift dest, filling from src --------------------------------
template <bool Left, unsigned S>
inline uint64_t shift_double(uint64_t a, uint64_t b, unsigned raw_count, uint64_t& f) {
    constexpr unsigned bits = 8 * S;
    constexpr uint64_t m = flags::kMask<S>;
    const unsigned count = raw_count & (S == 8 ? 63u : 31u);
    if (count == 0) return a;
    uint64_t r, cf;
    if constexpr (S == 8) {
        // count < 64 here, so the two-part formulas need no wider type.
        if constexpr (Left) {
            r = (a << count) | (b >> (bits - count));
            cf = (a >> (bits - count)) & 1;
        } else {
            r = (a >> count) | (b << (bits - count));
            cf = (a >> (count - 1)) & 1;
        }
    } else {
        // The pattern dest:src:dest, so a 16-bit count above 16 (undefined in the
        // SDM) still has a deterministic result.
        const u128 v = (u128{a} << (2 * bits)) | (u128{b} << bits) | a;
        if constexpr (Left) {
            r = static_cast<uint64_t>(v >> (2 * bits - count)) & m;
            cf = static_cast<uint64_t>(v >> (3 * bits - count)) & 1;
        } else {
            r = static_cast<uint64_t>(v >> count) & m;
            cf = static_cast<uint64_t>(v >> (count - 1)) & 1;
        }
    }
    // OF of the first one-bit step (the SDM's sign change for a count of 1).
    const uint64_t of = Left ? ((a >> (bits - 1)) ^ (a >> (bits - 2))) & 1 : ((a >> (bits - 1)) ^ b) & 1;
    f = (f & ~rflags::kStatus) | cf | (of << 11) | flags::szp<S>(r);
    return r;
}

template <bool Left, unsigned S, bool Mem, bool Cl>
const Insn* shift_double_op(Core& c, const Insn* i) {
    const unsigned count = Cl ? static_cast<unsigned>(c.r[kRcx] & 0xFF) : i->aux;
    const uint64_t b = c.reg<S>(i->src);
    if constexpr (Mem) {
        const uint64_t addr = c.ea(*i);
        uint64_t f = c.rflags;
        const MemRef m = c.rmw_ref(addr, S, i->stack, false);
        c.write<S>(m, shift_double<Left, S>(Core::read<S>(m), b, count, f));
        c.rflags = f;
    } else {
        c.set_reg<S>(i->dst, shift_double<Left, S>(c.reg<S>(i->dst), b, count, c.rflags));
    }
    return c.next(i);
}

}  // namespace

bool bind_shift(const InsnView& v, ShiftOp op, Insn& out) {
    if (v.count != 2 || !(v.reg(0) || v.mem(0))) return false;
    const bool mem = v.mem(0);
    bool cl = false;
    if (v.reg(1) && v.op[1].reg == reg_offset(kRcx) && v.op[1].size == 1) cl = true;
    else if (v.imm(1)) out.aux = static_cast<uint8_t>(v.op[1].imm);
    else return false;
    if (!mem) out.dst = reg_of(v, 0);
    const unsigned size = v.op[0].size;
    switch (op) {
        case ShiftOp::kRol: out.fn = shift_handler<ShiftOp::kRol>(size, mem, cl); break;
        case ShiftOp::kRor: out.fn = shift_handler<ShiftOp::kRor>(size, mem, cl); break;
        case ShiftOp::kRcl: out.fn = shift_handler<ShiftOp::kRcl>(size, mem, cl); break;
        case ShiftOp::kRcr: out.fn = shift_handler<ShiftOp::kRcr>(size, mem, cl); break;
        case ShiftOp::kShl: out.fn = shift_handler<ShiftOp::kShl>(size, mem, cl); break;
        case ShiftOp::kShr: out.fn = shift_handler<ShiftOp::kShr>(size, mem, cl); break;
        case ShiftOp::kSar: out.fn = shift_handler<ShiftOp::kSar>(size, mem, cl); break;
    }
    out.cls = (op == ShiftOp::kRcl || op == ShiftOp::kRcr) ? InsnClass::kRotateCarry : InsnClass::kAlu;
    return out.fn != nullptr;
}

bool bind_shift_double(const InsnView& v, bool left, Insn& out) {
    if (v.count != 3 || !(v.reg(0) || v.mem(0)) || !v.reg(1)) return false;
    const bool mem = v.mem(0);
    bool cl = false;
    if (v.reg(2) && v.op[2].reg == reg_offset(kRcx) && v.op[2].size == 1) cl = true;
    else if (v.imm(2)) out.aux = static_cast<uint8_t>(v.op[2].imm);
    else return false;
    if (!mem) out.dst = reg_of(v, 0);
    out.src = reg_of(v, 1);
    out.fn = by_size(v.op[0].size, [&]<unsigned S>() -> Handler {
        if constexpr (S == 1) {
            return nullptr;
        } else {
            if (left) {
                if (mem) return cl ? shift_double_op<true, S, true, true> : shift_double_op<true, S, true, false>;
                return cl ? shift_double_op<true, S, false, true> : shift_double_op<true, S, false, false>;
            }
            if (mem) return cl ? shift_double_op<false, S, true, true> : shift_double_op<false, S, true, false>;
            return cl ? shift_double_op<false, S, false, true> : shift_double_op<false, S, false, false>;
        }
    });
    out.cls = InsnClass::kShiftDouble;
    return out.fn != nullptr;
}

}  // namespace simx
