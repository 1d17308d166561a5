// The x87 FPU (SDM Vol. 1 ch. 8; Vol. 2 F*): loads and stores (m16/m32/m64/
// m80, integers, ST(i)), FXCH, arithmetic (+P, integer-operand forms),
// FCHS/FABS/FSQRT/FRNDINT/FSCALE/FXTRACT/FPREM/FPREM1 and the transcendentals,
// compares (FCOM*, FUCOM*, FCOMI*/FUCOMI* to RFLAGS), FCMOVcc, constants,
// FTST/FXAM, FNSTSW/FNSTCW/FLDCW, FNINIT/FNCLEX, FFREE, FINCSTP/FDECSTP, FWAIT.
// Not here: FISTTP (SSE3, not reported), FBLD/FBSTP; FLDENV/FNSTENV/FRSTOR/FNSAVE are in ops_x87_env.cpp.
//
// Every form is executed by the host's x87: the guest's x87 state is put into
// an FXSAVE image (x87_image.h), FXRSTOR64 loads it, the same instruction
// runs (memory operands redirected to a bounce buffer), FXSAVE64 reads the
// result back, and the host's own state is restored. So results, condition
// codes, exception flags, TOP and tags are the host's, bit for bit. The
// guest's FCW is used as is: an unmasked exception only sets ES, and the next
// waiting x87 instruction raises #MF (vector 16) before doing anything, as on
// hardware (SDM Vol. 1 8.6). FIP/FDP/FOP follow the host's rules
// (x87_pointers.h): a changed pointer field in the host's image after the
// instruction is replaced by the guest's RIP, operand offset or encoding.
#include <algorithm>

#include "sim/cpu/ops_common.h"
#include "sim/cpu/x87_image.h"
#include "sim/cpu/x87_pointers.h"

namespace simx {
namespace {

using Kernel = void (*)(uint8_t* fx, uint8_t* buf, uint8_t* host);

// fx: the guest image; buf: the memory operand (bytes 8-10: ZF/PF/CF of
// FCOMI*, byte 12: the guest's RFLAGS low byte for FCMOVcc via SAHF); host:
// where the host's own state is kept meanwhile.
#define SIMX_K(name, text)                                                                              \
    void name(uint8_t* fx, uint8_t* buf, uint8_t* host) {                                               \
        asm volatile(".intel_syntax noprefix\n\tfxsave64 [rdx]\n\tfxrstor64 [rsi]\n\t" text               \
                     "\n\tfxsave64 [rsi]\n\tfxrstor64 [rdx]\n\t.att_syntax prefix"                       \
                     :                                                                                   \
                     : "S"(fx), "D"(buf), "d"(host)                                                     \
                     : "memory", "cc", "rax");                                                          \
    }

enum class X87Form : uint8_t { kNone, kMem, kSti, kSt0Sti, kStiSt0, kAx };
enum class Flow : uint8_t { kReg, kLoad, kStore, kAx, kFlags, kCmov };

struct Entry {
    X87Op op;
    X87Form form;
    uint8_t size;
    Flow flow;
    bool waiting;
    Kernel k[8];
};

#include "sim/cpu/ops_x87_kernels.inc"
#undef SIMX_K

void read_bytes(Core& c, const Insn* i, uint8_t* out, unsigned n) {
    ++c.counters.loads;
    const MemRef m = c.translate_data<AccessType::kRead>(c.ea(*i), n, i->stack);
    if (!m.host2) {
        std::memcpy(out, m.host, n);
    } else {
        std::memcpy(out, m.host, m.first);
        std::memcpy(out + m.first, m.host2, n - m.first);
    }
}

void write_bytes(Core& c, const Insn* i, const uint8_t* in, unsigned n, unsigned offset) {
    ++c.counters.stores;
    const MemRef m = c.translate_data<AccessType::kWrite>(c.ea(*i) + offset, n, i->stack);
    if (!m.host2) {
        std::memcpy(m.host, in, n);
    } else {
        std::memcpy(m.host, in, m.first);
        std::memcpy(m.host2, in + m.first, n - m.first);
    }
    c.note_write(m);
}

// FDP holds the operand's offset, not its linear address: no FS/GS base.
uint64_t data_offset(const Core& c, const Insn& i) {
    uint64_t a = c.ea(i);
    if (i.mflags & memflag::kFs) a -= c.fs_base;
    if (i.mflags & memflag::kGs) a -= c.gs_base;
    return a;
}

template <Flow F, unsigned N, bool Waiting>
const Insn* execute(Core& c, const Insn* i) {
    // A waiting instruction with an unmasked exception pending: #MF first.
    if constexpr (Waiting)
        if (c.x87.fsw & 0x80) [[unlikely]] c.raise(vector::kFloatingPoint, 0);
    alignas(16) uint8_t fx[512];
    alignas(16) uint8_t host[512];
    alignas(16) uint8_t buf[16] = {};
    if constexpr (F == Flow::kLoad) read_bytes(c, i, buf, N);
    if constexpr (F == Flow::kCmov) buf[12] = static_cast<uint8_t>(c.rflags);
    x87::to_image(c.x87, c.mxcsr, fx);
    x87::arm_pointers(fx);
    const Kernel k = reinterpret_cast<Kernel>(i->imm);
    if constexpr (F == Flow::kStore) {
        // With an unmasked invalid, overflow or underflow exception the x87
        // stores nothing (SDM Vol. 1 8.5): a store is seen as one when the
        // bounce buffer changes from all-zero or, failing that, from all-ones.
        alignas(16) uint8_t fx2[512];
        std::memcpy(fx2, fx, sizeof fx);
        k(fx, buf, host);
        bool stored = std::any_of(buf, buf + N, [](uint8_t b) { return b != 0; });
        if (!stored) {
            alignas(16) uint8_t ones[16];
            std::memset(ones, 0xFF, sizeof ones);
            k(fx2, ones, host);
            stored = std::any_of(ones, ones + N, [](uint8_t b) { return b != 0xFF; });
        }
        // May fault: nothing is committed yet. An m80 store is two stores, the
        // significand then the sign and exponent; a fault on the second
        // leaves the first done (as the host does at a page boundary).
        if (stored) {
            if constexpr (N == 10) {
                write_bytes(c, i, buf, 8, 0);
                write_bytes(c, i, buf + 8, 2, 8);
            } else {
                write_bytes(c, i, buf, N, 0);
            }
        }
    } else {
        k(fx, buf, host);
    }
    x87::from_image(fx, c.x87);
    constexpr bool kMemory = F == Flow::kLoad || F == Flow::kStore;
    x87::settle_pointers(fx, c.x87, c.rip, static_cast<uint16_t>(i->aux2 << 8 | i->aux), kMemory,
                         kMemory ? data_offset(c, *i) : 0);
    if constexpr (F == Flow::kAx) c.set_reg<2>(reg_offset(kRax), static_cast<uint64_t>(buf[0]) | buf[1] << 8);
    if constexpr (F == Flow::kFlags)
        c.set_status((buf[8] ? rflags::kZF : 0) | (buf[9] ? rflags::kPF : 0) | (buf[10] ? rflags::kCF : 0));
    return c.next(i);
}

// FWAIT: only the pending-exception check.
const Insn* fwait(Core& c, const Insn* i) {
    if (c.x87.fsw & 0x80) [[unlikely]] c.raise(vector::kFloatingPoint, 0);
    return c.next(i);
}

template <Flow F, bool W>
Handler by_size(unsigned n) {
    switch (n) {
        case 0: return execute<F, 0, W>;
        case 2: return execute<F, 2, W>;
        case 4: return execute<F, 4, W>;
        case 8: return execute<F, 8, W>;
        case 10: return execute<F, 10, W>;
    }
    return nullptr;
}

template <bool W>
Handler pick(Flow f, unsigned n) {
    switch (f) {
        case Flow::kReg: return by_size<Flow::kReg, W>(0);
        case Flow::kLoad: return by_size<Flow::kLoad, W>(n);
        case Flow::kStore: return by_size<Flow::kStore, W>(n);
        case Flow::kAx: return by_size<Flow::kAx, W>(0);
        case Flow::kFlags: return by_size<Flow::kFlags, W>(0);
        case Flow::kCmov: return by_size<Flow::kCmov, W>(0);
    }
    return nullptr;
}

}  // namespace

bool bind_x87(const InsnView& v, X87Op op, Insn& out) {
    if (op == X87Op::FWAIT) {
        out.fn = fwait;
        return true;
    }
    X87Form form;
    unsigned size = 0, index = 0;
    if (v.count == 0) {
        form = X87Form::kNone;
    } else if (v.count == 1 && v.mem(0)) {
        form = X87Form::kMem;
        size = v.op[0].size;
    } else if (v.count == 1 && v.st(0)) {
        form = X87Form::kSti;
        index = v.op[0].reg;
    } else if (v.count == 1 && v.reg(0)) {
        form = X87Form::kAx;
    } else if (v.count == 2 && v.st(0) && v.st(1) && v.op[0].reg == 0) {
        form = X87Form::kSt0Sti;
        index = v.op[1].reg;
        // FADD ST(0), ST(0) etc. encode as D8 C0: the ST(0),ST(i) form. Other
        // ST(i),ST(0) forms (DC/DE) have ST(0) second.
    } else if (v.count == 2 && v.st(0) && v.st(1) && v.op[1].reg == 0) {
        form = X87Form::kStiSt0;
        index = v.op[0].reg;
    } else {
        return false;
    }
    for (int attempt = 0; attempt < 2; ++attempt) {
        for (const Entry& e : kTable) {
            if (e.op != op || e.form != form || e.size != size) continue;
            out.imm = reinterpret_cast<uint64_t>(e.k[index & 7]);
            out.fn = e.waiting ? pick<true>(e.flow, size) : pick<false>(e.flow, size);
            out.cls = InsnClass::kMul;
            out.aux = v.modrm;  // FOP, x87_pointers.h
            out.aux2 = static_cast<uint8_t>(v.opcode & 7);
            return out.fn != nullptr;
        }
        // Zydis shows the implicit ST(0) of some one-register forms (FUCOMP ST(i)).
        if (form != X87Form::kSt0Sti) break;
        form = X87Form::kSti;
    }
    return false;
}

}  // namespace simx
