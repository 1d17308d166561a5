// Near branches in 64-bit mode: Jcc, JMP, CALL, RET, LOOP/LOOPcc, JRCXZ (SDM
// Vol. 2A/2B). Operand size is 64 bits whatever the 66H prefix (as on Intel
// cores). A non-canonical target raises #GP(0) on the branch itself, before
// any state changes; a #PF fetching the target is raised with RIP = target.
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

inline uint64_t relative_target(const Core& c, const Insn* i) { return c.rip + i->len + i->imm; }

template <unsigned CC>
const Insn* jcc(Core& c, const Insn* i) {
    if (condition<CC>(c.rflags)) {
        const uint64_t t = relative_target(c, i);
        c.check_target(t);
        return c.branch(t);
    }
    return c.next(i);
}

const Insn* jmp_rel(Core& c, const Insn* i) {
    const uint64_t t = relative_target(c, i);
    c.check_target(t);
    return c.branch(t);
}

template <bool Mem>
const Insn* jmp_indirect(Core& c, const Insn* i) {
    const uint64_t t = Mem ? c.load<8>(c.ea(*i), i->stack) : c.r[i->src / 8];
    c.check_target(t);
    return c.branch(t);
}

inline const Insn* push_and_jump(Core& c, uint64_t ret, uint64_t target) {
    c.check_target(target);
    const uint64_t sp = c.r[kRsp] - 8;
    c.store<8>(sp, ret, true);
    c.r[kRsp] = sp;
    return c.branch(target);
}

const Insn* call_rel(Core& c, const Insn* i) { return push_and_jump(c, c.rip + i->len, relative_target(c, i)); }

template <bool Mem>
const Insn* call_indirect(Core& c, const Insn* i) {
    const uint64_t t = Mem ? c.load<8>(c.ea(*i), i->stack) : c.r[i->src / 8];  // read before the push
    return push_and_jump(c, c.rip + i->len, t);
}

// RET and RET imm16 (imm: bytes to release after popping).
const Insn* ret(Core& c, const Insn* i) {
    const uint64_t sp = c.r[kRsp];
    const uint64_t t = c.load<8>(sp, true);
    c.check_target(t);
    c.r[kRsp] = sp + 8 + i->imm;
    return c.branch(t);
}

// LOOP/LOOPE/LOOPNE decrement rCX (flags unchanged); JRCXZ tests it. aux = 1
// selects ECX (32-bit address size).
template <LoopOp Op, bool Ecx>
const Insn* loop(Core& c, const Insn* i) {
    uint64_t count = Ecx ? static_cast<uint32_t>(c.r[kRcx]) : c.r[kRcx];
    bool taken;
    if constexpr (Op == LoopOp::kJrcxz) {
        taken = count == 0;
    } else {
        count = Ecx ? static_cast<uint32_t>(count - 1) : count - 1;
        taken = count != 0;
        if constexpr (Op == LoopOp::kLoope) taken = taken && c.flag(rflags::kZF);
        if constexpr (Op == LoopOp::kLoopne) taken = taken && !c.flag(rflags::kZF);
    }
    if (taken) {
        const uint64_t t = relative_target(c, i);
        c.check_target(t);
        if constexpr (Op != LoopOp::kJrcxz) c.r[kRcx] = count;
        return c.branch(t);
    }
    if constexpr (Op != LoopOp::kJrcxz) c.r[kRcx] = count;
    return c.next(i);
}

}  // namespace

bool bind_jcc(const InsnView& v, Insn& out) {
    if (v.count != 1 || !v.imm(0)) return false;
    out.imm = v.op[0].imm;
    out.fn = by_condition(v.opcode, [&]<unsigned CC>() -> Handler { return jcc<CC>; });
    out.cls = InsnClass::kBranch;
    return true;
}

bool bind_jmp(const InsnView& v, Insn& out) {
    if (v.count != 1) return false;
    out.cls = InsnClass::kBranch;
    if (v.imm(0)) {
        out.imm = v.op[0].imm;
        out.fn = jmp_rel;
    } else if (v.reg(0) && v.op[0].size == 8) {
        out.src = reg_of(v, 0);
        out.fn = jmp_indirect<false>;
    } else if (v.mem(0) && v.op[0].size == 8) {
        out.fn = jmp_indirect<true>;
    } else {
        return false;  // far jumps
    }
    return true;
}

bool bind_call(const InsnView& v, Insn& out) {
    if (v.count != 1) return false;
    out.cls = InsnClass::kBranch;
    if (v.imm(0)) {
        out.imm = v.op[0].imm;
        out.fn = call_rel;
    } else if (v.reg(0) && v.op[0].size == 8) {
        out.src = reg_of(v, 0);
        out.fn = call_indirect<false>;
    } else if (v.mem(0) && v.op[0].size == 8) {
        out.fn = call_indirect<true>;
    } else {
        return false;
    }
    return true;
}

bool bind_ret(const InsnView& v, Insn& out) {
    if (v.count > 1 || (v.count == 1 && !v.imm(0))) return false;
    out.imm = v.count == 1 ? (v.op[0].imm & 0xFFFF) : 0;
    out.fn = ret;
    out.cls = InsnClass::kBranch;
    return true;
}

bool bind_loop(const InsnView& v, LoopOp op, Insn& out) {
    if (!v.imm(0)) return false;
    out.imm = v.op[0].imm;
    const bool ecx = v.addrsize == 4;
    switch (op) {
        case LoopOp::kLoop: out.fn = ecx ? loop<LoopOp::kLoop, true> : loop<LoopOp::kLoop, false>; break;
        case LoopOp::kLoope: out.fn = ecx ? loop<LoopOp::kLoope, true> : loop<LoopOp::kLoope, false>; break;
        case LoopOp::kLoopne: out.fn = ecx ? loop<LoopOp::kLoopne, true> : loop<LoopOp::kLoopne, false>; break;
        case LoopOp::kJrcxz: out.fn = ecx ? loop<LoopOp::kJrcxz, true> : loop<LoopOp::kJrcxz, false>; break;
    }
    out.cls = InsnClass::kBranch;
    return true;
}

}  // namespace simx
