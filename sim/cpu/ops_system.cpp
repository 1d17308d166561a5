// Flag instructions, NOPs, CPUID, RDTSC and the instructions that leave the
// interpreter: SYSCALL, HLT, UD2, INT3. Also the dispatch records that end a
// decoded run (op_continue, op_cross) and #UD for what is not implemented.
#include <fmt/format.h>

#include "sim/cpu/ops_common.h"

namespace simx {

const Insn* op_continue(Core& c, const Insn*) { return c.jump(c.rip); }

const Insn* op_cross(Core& c, const Insn*) { return c.fetch_crossing(); }

const Insn* op_undefined(Core& c, const Insn* i) { c.raise_undefined(*i); }

namespace {

using namespace rflags;

template <FlagOp Op>
const Insn* flag_op(Core& c, const Insn* i) {
    if constexpr (Op == FlagOp::kClc) c.rflags &= ~kCF;
    if constexpr (Op == FlagOp::kStc) c.rflags |= kCF;
    if constexpr (Op == FlagOp::kCmc) c.rflags ^= kCF;
    if constexpr (Op == FlagOp::kCld) c.rflags &= ~kDF;
    if constexpr (Op == FlagOp::kStd) c.rflags |= kDF;
    // LAHF: AH <- SF:ZF:0:AF:0:PF:1:CF; SAHF loads those five flags from AH.
    if constexpr (Op == FlagOp::kLahf) c.set_reg<1>(high_byte_offset(kRax), (c.rflags & 0xD5) | kFixed1);
    if constexpr (Op == FlagOp::kSahf) {
        const uint64_t ah = (c.r[kRax] >> 8) & 0xD5;
        c.rflags = (c.rflags & ~uint64_t{0xD5}) | ah | kFixed1;
    }
    return c.next(i);
}

const Insn* nop(Core& c, const Insn* i) { return c.next(i); }

const Insn* cpuid(Core& c, const Insn* i) {
    const CpuidResult r = c.cpuid().query(static_cast<uint32_t>(c.r[kRax]), static_cast<uint32_t>(c.r[kRcx]));
    c.r[kRax] = r.eax;
    c.r[kRbx] = r.ebx;
    c.r[kRcx] = r.ecx;
    c.r[kRdx] = r.edx;
    return c.next(i);
}

// RDTSC: the CPU's modeled cycle count (SDM RDTSC; upper halves cleared).
const Insn* rdtsc(Core& c, const Insn* i) {
    const uint64_t t = c.counters.cycles;
    c.r[kRax] = static_cast<uint32_t>(t);
    c.r[kRdx] = t >> 32;
    return c.next(i);
}

// SYSCALL (SDM SYSCALL): RCX <- RIP of the next instruction, R11 <- RFLAGS;
// the kernel runs when run() returns. RIP is left at the next instruction,
// where SYSRET (RIP <- RCX) resumes.
const Insn* syscall(Core& c, const Insn* i) {
    const uint64_t next = c.rip + i->len;
    c.r[kRcx] = next;
    c.r[kR11] = c.rflags & ~kRF;
    c.rip = next;
    c.request_stop(PendingStop::kSyscall);
    return i + 1;
}

const Insn* hlt(Core& c, const Insn* i) {
    c.rip += i->len;
    c.request_stop(PendingStop::kHalt);
    return i + 1;
}

const Insn* ud2(Core& c, const Insn*) { c.raise(vector::kInvalidOpcode); }

// INT3 is a trap: RIP is past it when #BP is delivered (SDM INT n/INT3).
const Insn* int3(Core& c, const Insn* i) {
    c.rip += i->len;
    c.raise_trap(vector::kBreakpoint);
}

}  // namespace

bool bind_flag_op(FlagOp op, Insn& out) {
    switch (op) {
        case FlagOp::kClc: out.fn = flag_op<FlagOp::kClc>; break;
        case FlagOp::kStc: out.fn = flag_op<FlagOp::kStc>; break;
        case FlagOp::kCmc: out.fn = flag_op<FlagOp::kCmc>; break;
        case FlagOp::kCld: out.fn = flag_op<FlagOp::kCld>; break;
        case FlagOp::kStd: out.fn = flag_op<FlagOp::kStd>; break;
        case FlagOp::kLahf: out.fn = flag_op<FlagOp::kLahf>; break;
        case FlagOp::kSahf: out.fn = flag_op<FlagOp::kSahf>; break;
    }
    return true;
}

bool bind_nop(Insn& out) {
    out.fn = nop;
    return true;
}

bool bind_cpuid(Insn& out) {
    out.fn = cpuid;
    out.cls = InsnClass::kCpuid;
    return true;
}

bool bind_rdtsc(Insn& out) {
    out.fn = rdtsc;
    out.cls = InsnClass::kRdtsc;
    return true;
}

bool bind_syscall(Insn& out) {
    out.fn = syscall;
    out.cls = InsnClass::kSystem;
    return true;
}

bool bind_hlt(Insn& out) {
    out.fn = hlt;
    out.cls = InsnClass::kSystem;
    return true;
}

bool bind_ud2(Insn& out) {
    out.fn = ud2;
    out.cls = InsnClass::kSystem;
    return true;
}

bool bind_int3(Insn& out) {
    out.fn = int3;
    out.cls = InsnClass::kSystem;
    return true;
}

}  // namespace simx
