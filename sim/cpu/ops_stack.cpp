// PUSH, POP, ENTER, LEAVE, PUSHF, POPF in 64-bit mode (SDM Vol. 2B): 64-bit
// or (with 66H) 16-bit stack operands; every stack access is SS-relative, so
// a non-canonical RSP raises #SS(0).
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

enum class PushSrc : uint8_t { kReg, kImm, kMem };

template <unsigned S, PushSrc Src>
const Insn* push(Core& c, const Insn* i) {
    uint64_t v;
    if constexpr (Src == PushSrc::kReg) v = c.reg<S>(i->src);  // PUSH RSP pushes the old RSP
    else if constexpr (Src == PushSrc::kImm) v = i->imm;
    else v = c.load<S>(c.ea(*i), i->stack);
    const uint64_t sp = c.r[kRsp] - S;
    c.store<S>(sp, v, true);
    c.r[kRsp] = sp;
    return c.next(i);
}

template <unsigned S>
const Insn* pop_reg(Core& c, const Insn* i) {
    const uint64_t sp = c.r[kRsp];
    const uint64_t v = c.load<S>(sp, true);
    c.r[kRsp] = sp + S;
    c.set_reg<S>(i->dst, v);  // POP RSP: the loaded value wins
    return c.next(i);
}

// POP r/m with a memory destination: an RSP-based address is computed with the
// incremented RSP (SDM POP).
template <unsigned S>
const Insn* pop_mem(Core& c, const Insn* i) {
    const uint64_t sp = c.r[kRsp];
    const uint64_t v = c.load<S>(sp, true);
    c.r[kRsp] = sp + S;
    const uint64_t addr = c.ea(*i);
    c.r[kRsp] = sp;
    c.store<S>(addr, v, i->stack);
    c.r[kRsp] = sp + S;
    return c.next(i);
}

// ENTER size, level (SDM ENTER, 64-bit operand size). With a nesting level
// above 1 it stores several frame pointers; a fault on a later one leaves the
// earlier ones written below RSP (not architecturally visible: RSP and RBP
// are unchanged, and re-execution writes the same values).
const Insn* enter(Core& c, const Insn* i) {
    const uint64_t size = i->imm & 0xFFFF;
    const unsigned level = i->aux & 31;
    uint64_t sp = c.r[kRsp] - 8;
    c.store<8>(sp, c.r[kRbp], true);
    const uint64_t frame = sp;
    if (level > 0) {
        uint64_t bp = c.r[kRbp];
        for (unsigned n = 1; n < level; ++n) {
            bp -= 8;
            const uint64_t v = c.load<8>(bp, true);
            sp -= 8;
            c.store<8>(sp, v, true);
        }
        sp -= 8;
        c.store<8>(sp, frame, true);
    }
    c.r[kRbp] = frame;
    c.r[kRsp] = sp - size;
    return c.next(i);
}

template <unsigned S>
const Insn* leave(Core& c, const Insn* i) {
    const uint64_t bp = c.r[kRbp];
    const uint64_t v = c.load<S>(bp, true);
    c.r[kRsp] = bp + S;
    c.set_reg<S>(reg_offset(kRbp), v);
    return c.next(i);
}

// PUSHF: RFLAGS with VM and RF cleared (SDM PUSHF).
template <unsigned S>
const Insn* pushf(Core& c, const Insn* i) {
    const uint64_t v = c.rflags & ~(rflags::kVM | rflags::kRF);
    const uint64_t sp = c.r[kRsp] - S;
    c.store<S>(sp, v, true);
    c.r[kRsp] = sp;
    return c.next(i);
}

// POPF at CPL 3, IOPL 0: only the user-writable flags change (SDM POPF).
template <unsigned S>
const Insn* popf(Core& c, const Insn* i) {
    const uint64_t sp = c.r[kRsp];
    const uint64_t v = c.load<S>(sp, true);
    c.r[kRsp] = sp + S;
    const uint64_t writable = rflags::kUserWritable & flags::kMask<S>;
    c.rflags = ((c.rflags & ~writable) | (v & writable) | rflags::kFixed1) & ~rflags::kRF;
    return c.next(i);
}

}  // namespace

bool bind_push(const InsnView& v, Insn& out) {
    if (v.count != 1) return false;
    const unsigned size = v.opsize == 2 ? 2 : 8;
    out.cls = InsnClass::kStack;
    if (v.reg(0) && v.op[0].size == size) {
        out.src = reg_of(v, 0);
        out.fn = size == 2 ? push<2, PushSrc::kReg> : push<8, PushSrc::kReg>;
    } else if (v.imm(0)) {
        out.imm = v.op[0].imm & flags::kMask<8>;
        if (size == 2) out.imm &= 0xFFFF;
        out.fn = size == 2 ? push<2, PushSrc::kImm> : push<8, PushSrc::kImm>;
    } else if (v.mem(0) && v.op[0].size == size) {
        out.fn = size == 2 ? push<2, PushSrc::kMem> : push<8, PushSrc::kMem>;
    } else {
        return false;  // segment registers
    }
    return true;
}

bool bind_pop(const InsnView& v, Insn& out) {
    if (v.count != 1) return false;
    const unsigned size = v.opsize == 2 ? 2 : 8;
    out.cls = InsnClass::kStack;
    if (v.reg(0) && v.op[0].size == size) {
        out.dst = reg_of(v, 0);
        out.fn = size == 2 ? pop_reg<2> : pop_reg<8>;
    } else if (v.mem(0) && v.op[0].size == size) {
        out.fn = size == 2 ? pop_mem<2> : pop_mem<8>;
    } else {
        return false;
    }
    return true;
}

bool bind_enter(const InsnView& v, Insn& out) {
    if (v.count != 2 || !v.imm(0) || !v.imm(1) || v.opsize == 2) return false;
    out.imm = v.op[0].imm & 0xFFFF;
    out.aux = static_cast<uint8_t>(v.op[1].imm);
    out.fn = enter;
    out.cls = InsnClass::kStack;
    return true;
}

bool bind_leave(const InsnView& v, Insn& out) {
    out.fn = v.opsize == 2 ? leave<2> : leave<8>;
    out.cls = InsnClass::kStack;
    return true;
}

bool bind_pushf(const InsnView& v, Insn& out) {
    out.fn = v.opsize == 2 ? pushf<2> : pushf<8>;
    out.cls = InsnClass::kStack;
    return true;
}

bool bind_popf(const InsnView& v, Insn& out) {
    out.fn = v.opsize == 2 ? popf<2> : popf<8>;
    out.cls = InsnClass::kStack;
    return true;
}

}  // namespace simx
