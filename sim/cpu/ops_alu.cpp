// Two-operand arithmetic and logic (ADD, OR, ADC, SBB, AND, SUB, XOR, CMP,
// TEST, MOV) and the one-operand INC, DEC, NOT, NEG, each for every operand
// size and form (SDM Vol. 2 and Vol. 1 3.4.3 for the flags).
//
// A memory destination is a read-modify-write: one write-access translation
// (Core::rmw_ref), LOCK or not. Flags are committed after the write, so a
// fault leaves them unchanged.
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

constexpr bool writes_dest(AluOp op) { return op != AluOp::kCmp && op != AluOp::kTest; }
constexpr bool reads_dest(AluOp op) { return op != AluOp::kMov; }

// dest OP src for S bytes; updates the status flags in `f`.
template <AluOp Op, unsigned S>
inline uint64_t compute(uint64_t a, uint64_t b, uint64_t& f) {
    constexpr uint64_t m = flags::kMask<S>;
    uint64_t r = 0;
    if constexpr (Op == AluOp::kAdd) {
        r = (a + b) & m;
        f = flags::merge_status(f, flags::add<S>(a, b, r));
    } else if constexpr (Op == AluOp::kAdc) {
        r = (a + b + (f & rflags::kCF)) & m;
        f = flags::merge_status(f, flags::add<S>(a, b, r));
    } else if constexpr (Op == AluOp::kSub || Op == AluOp::kCmp) {
        r = (a - b) & m;
        f = flags::merge_status(f, flags::sub<S>(a, b, r));
    } else if constexpr (Op == AluOp::kSbb) {
        r = (a - b - (f & rflags::kCF)) & m;
        f = flags::merge_status(f, flags::sub<S>(a, b, r));
    } else if constexpr (Op == AluOp::kAnd || Op == AluOp::kTest) {
        r = a & b;
        f = flags::merge_status(f, flags::logic<S>(r));
    } else if constexpr (Op == AluOp::kOr) {
        r = a | b;
        f = flags::merge_status(f, flags::logic<S>(r));
    } else if constexpr (Op == AluOp::kXor) {
        r = a ^ b;
        f = flags::merge_status(f, flags::logic<S>(r));
    } else {
        r = b;
    }
    return r;
}

template <AluOp Op, unsigned S>
const Insn* alu_rr(Core& c, const Insn* i) {
    const uint64_t a = reads_dest(Op) ? c.reg<S>(i->dst) : 0;
    const uint64_t r = compute<Op, S>(a, c.reg<S>(i->src), c.rflags);
    if constexpr (writes_dest(Op)) c.set_reg<S>(i->dst, r);
    return c.next(i);
}

template <AluOp Op, unsigned S>
const Insn* alu_ri(Core& c, const Insn* i) {
    const uint64_t a = reads_dest(Op) ? c.reg<S>(i->dst) : 0;
    const uint64_t r = compute<Op, S>(a, i->imm & flags::kMask<S>, c.rflags);
    if constexpr (writes_dest(Op)) c.set_reg<S>(i->dst, r);
    return c.next(i);
}

template <AluOp Op, unsigned S>
const Insn* alu_rm(Core& c, const Insn* i) {
    const uint64_t b = c.load<S>(c.ea(*i), i->stack);
    const uint64_t a = reads_dest(Op) ? c.reg<S>(i->dst) : 0;
    const uint64_t r = compute<Op, S>(a, b, c.rflags);
    if constexpr (writes_dest(Op)) c.set_reg<S>(i->dst, r);
    return c.next(i);
}

// Memory destination; `Imm` selects the immediate source, `Locked` the LOCK prefix.
template <AluOp Op, unsigned S, bool Imm, bool Locked>
const Insn* alu_m(Core& c, const Insn* i) {
    const uint64_t addr = c.ea(*i);
    const uint64_t b = Imm ? (i->imm & flags::kMask<S>) : c.reg<S>(i->src);
    uint64_t f = c.rflags;
    if constexpr (Op == AluOp::kMov) {
        c.store<S>(addr, b, i->stack);
    } else if constexpr (!writes_dest(Op)) {
        compute<Op, S>(c.load<S>(addr, i->stack), b, f);
    } else {
        const MemRef m = c.rmw_ref(addr, S, i->stack, Locked);
        const uint64_t r = compute<Op, S>(Core::read<S>(m), b, f);
        c.write<S>(m, r);
    }
    c.rflags = f;
    return c.next(i);
}

template <AluOp Op>
Handler alu_handler(Form form, unsigned size, bool lock) {
    return by_size(size, [&]<unsigned S>() -> Handler {
        switch (form) {
            case Form::kRR: return alu_rr<Op, S>;
            case Form::kRI: return alu_ri<Op, S>;
            case Form::kRM: return alu_rm<Op, S>;
            case Form::kMR: return lock ? alu_m<Op, S, false, true> : alu_m<Op, S, false, false>;
            case Form::kMI: return lock ? alu_m<Op, S, true, true> : alu_m<Op, S, true, false>;
            default: return nullptr;
        }
    });
}

// ---- INC, DEC, NOT, NEG ----------------------------------------------------

template <UnaryOp Op, unsigned S>
inline uint64_t unary(uint64_t a, uint64_t& f) {
    constexpr uint64_t m = flags::kMask<S>;
    uint64_t r = 0;
    if constexpr (Op == UnaryOp::kInc) {
        r = (a + 1) & m;  // CF is not affected
        f = (flags::merge_status(f, flags::add<S>(a, 1, r)) & ~rflags::kCF) | (f & rflags::kCF);
    } else if constexpr (Op == UnaryOp::kDec) {
        r = (a - 1) & m;
        f = (flags::merge_status(f, flags::sub<S>(a, 1, r)) & ~rflags::kCF) | (f & rflags::kCF);
    } else if constexpr (Op == UnaryOp::kNot) {
        r = ~a & m;  // no flags
    } else {
        r = (0 - a) & m;  // NEG: flags of 0 - a; CF = (a != 0)
        f = flags::merge_status(f, flags::sub<S>(0, a, r));
    }
    return r;
}

template <UnaryOp Op, unsigned S>
const Insn* unary_r(Core& c, const Insn* i) {
    c.set_reg<S>(i->dst, unary<Op, S>(c.reg<S>(i->dst), c.rflags));
    return c.next(i);
}

template <UnaryOp Op, unsigned S, bool Locked>
const Insn* unary_m(Core& c, const Insn* i) {
    const uint64_t addr = c.ea(*i);
    uint64_t f = c.rflags;
    const MemRef m = c.rmw_ref(addr, S, i->stack, Locked);
    c.write<S>(m, unary<Op, S>(Core::read<S>(m), f));
    c.rflags = f;
    return c.next(i);
}

template <UnaryOp Op>
Handler unary_handler(bool mem, unsigned size, bool lock) {
    return by_size(size, [&]<unsigned S>() -> Handler {
        if (!mem) return unary_r<Op, S>;
        return lock ? unary_m<Op, S, true> : unary_m<Op, S, false>;
    });
}

}  // namespace

bool bind_alu(const InsnView& v, AluOp op, Insn& out) {
    Form form;
    if (v.count != 2 || !binary_form(v, form)) return false;
    if (form == Form::kRM || form == Form::kRI || form == Form::kRR) out.dst = reg_of(v, 0);
    if (form == Form::kRR || form == Form::kMR) out.src = reg_of(v, 1);
    if (form == Form::kRI || form == Form::kMI) out.imm = v.op[1].imm;
    const unsigned size = v.op[0].size;
    const bool lock = v.lock && (form == Form::kMR || form == Form::kMI);
    if (v.lock && !lock) return false;
    switch (op) {
        case AluOp::kAdd: out.fn = alu_handler<AluOp::kAdd>(form, size, lock); break;
        case AluOp::kOr: out.fn = alu_handler<AluOp::kOr>(form, size, lock); break;
        case AluOp::kAdc: out.fn = alu_handler<AluOp::kAdc>(form, size, lock); break;
        case AluOp::kSbb: out.fn = alu_handler<AluOp::kSbb>(form, size, lock); break;
        case AluOp::kAnd: out.fn = alu_handler<AluOp::kAnd>(form, size, lock); break;
        case AluOp::kSub: out.fn = alu_handler<AluOp::kSub>(form, size, lock); break;
        case AluOp::kXor: out.fn = alu_handler<AluOp::kXor>(form, size, lock); break;
        case AluOp::kCmp: out.fn = alu_handler<AluOp::kCmp>(form, size, false); break;
        case AluOp::kTest: out.fn = alu_handler<AluOp::kTest>(form, size, false); break;
        case AluOp::kMov: out.fn = alu_handler<AluOp::kMov>(form, size, false); break;
    }
    out.cls = lock ? InsnClass::kLocked : InsnClass::kAlu;
    return out.fn != nullptr;
}

bool bind_unary(const InsnView& v, UnaryOp op, Insn& out) {
    if (v.count != 1 || !(v.reg(0) || v.mem(0))) return false;
    const bool mem = v.mem(0);
    if (v.lock && !mem) return false;
    if (!mem) out.dst = reg_of(v, 0);
    const unsigned size = v.op[0].size;
    switch (op) {
        case UnaryOp::kInc: out.fn = unary_handler<UnaryOp::kInc>(mem, size, v.lock); break;
        case UnaryOp::kDec: out.fn = unary_handler<UnaryOp::kDec>(mem, size, v.lock); break;
        case UnaryOp::kNot: out.fn = unary_handler<UnaryOp::kNot>(mem, size, v.lock); break;
        case UnaryOp::kNeg: out.fn = unary_handler<UnaryOp::kNeg>(mem, size, v.lock); break;
    }
    out.cls = v.lock ? InsnClass::kLocked : InsnClass::kAlu;
    return out.fn != nullptr;
}

}  // namespace simx
