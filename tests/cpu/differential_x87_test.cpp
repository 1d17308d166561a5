// The differential harness over the x87 forms (issue 4, step 2): random x87
// stacks (TOP, tags, edge values, unnormals), rounding and precision control,
// sometimes unmasked exceptions; control, status, abridged tag word and the
// eight registers are compared bit for bit, and so is #MF at a following
// FWAIT.
#include <gtest/gtest.h>

#include <string>

#include "tests/cpu/differential_fixture.h"

namespace simx::test {
namespace {

ZydisRegister st(unsigned i) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_ST0 + static_cast<int>(i)); }

const ZydisMnemonic kNoOperand[] = {
    ZYDIS_MNEMONIC_F2XM1,  ZYDIS_MNEMONIC_FABS,   ZYDIS_MNEMONIC_FCHS,    ZYDIS_MNEMONIC_FCOMPP, ZYDIS_MNEMONIC_FCOS,
    ZYDIS_MNEMONIC_FDECSTP, ZYDIS_MNEMONIC_FINCSTP, ZYDIS_MNEMONIC_FLD1,  ZYDIS_MNEMONIC_FLDL2E, ZYDIS_MNEMONIC_FLDL2T,
    ZYDIS_MNEMONIC_FLDLG2, ZYDIS_MNEMONIC_FLDLN2, ZYDIS_MNEMONIC_FLDPI,   ZYDIS_MNEMONIC_FLDZ,   ZYDIS_MNEMONIC_FNCLEX,
    ZYDIS_MNEMONIC_FNINIT, ZYDIS_MNEMONIC_FNOP,   ZYDIS_MNEMONIC_FPATAN,  ZYDIS_MNEMONIC_FPREM,  ZYDIS_MNEMONIC_FPREM1,
    ZYDIS_MNEMONIC_FPTAN,  ZYDIS_MNEMONIC_FRNDINT, ZYDIS_MNEMONIC_FSCALE, ZYDIS_MNEMONIC_FSIN,   ZYDIS_MNEMONIC_FSINCOS,
    ZYDIS_MNEMONIC_FSQRT,  ZYDIS_MNEMONIC_FTST,   ZYDIS_MNEMONIC_FUCOMPP, ZYDIS_MNEMONIC_FXAM,   ZYDIS_MNEMONIC_FXTRACT,
    ZYDIS_MNEMONIC_FYL2X,  ZYDIS_MNEMONIC_FYL2XP1, ZYDIS_MNEMONIC_FWAIT,
};

struct MemForm { ZydisMnemonic m; std::initializer_list<unsigned> sizes; };

DIFFERENTIAL_FAMILY(X87) {
    for (ZydisMnemonic m : kNoOperand)
        t.form(ZydisMnemonicGetString(m), [=](Generator& g) -> std::optional<Case> {
            return finish(g.fresh_x87(), EncodeRequest{m, {}});
        }, 1000);
    const MemForm mems[] = {
        {ZYDIS_MNEMONIC_FLD, {4, 8, 10}},  {ZYDIS_MNEMONIC_FST, {4, 8}},     {ZYDIS_MNEMONIC_FSTP, {4, 8, 10}},
        {ZYDIS_MNEMONIC_FILD, {2, 4, 8}},  {ZYDIS_MNEMONIC_FIST, {2, 4}},    {ZYDIS_MNEMONIC_FISTP, {2, 4, 8}},
        {ZYDIS_MNEMONIC_FADD, {4, 8}},     {ZYDIS_MNEMONIC_FSUB, {4, 8}},    {ZYDIS_MNEMONIC_FSUBR, {4, 8}},
        {ZYDIS_MNEMONIC_FMUL, {4, 8}},     {ZYDIS_MNEMONIC_FDIV, {4, 8}},    {ZYDIS_MNEMONIC_FDIVR, {4, 8}},
        {ZYDIS_MNEMONIC_FCOM, {4, 8}},     {ZYDIS_MNEMONIC_FCOMP, {4, 8}},   {ZYDIS_MNEMONIC_FIADD, {2, 4}},
        {ZYDIS_MNEMONIC_FISUB, {2, 4}},    {ZYDIS_MNEMONIC_FISUBR, {2, 4}},  {ZYDIS_MNEMONIC_FIMUL, {2, 4}},
        {ZYDIS_MNEMONIC_FIDIV, {2, 4}},    {ZYDIS_MNEMONIC_FIDIVR, {2, 4}},  {ZYDIS_MNEMONIC_FICOM, {2, 4}},
        {ZYDIS_MNEMONIC_FICOMP, {2, 4}},   {ZYDIS_MNEMONIC_FLDCW, {2}},      {ZYDIS_MNEMONIC_FNSTCW, {2}},
        {ZYDIS_MNEMONIC_FNSTSW, {2}},
    };
    for (const MemForm& f : mems)
        for (unsigned size : f.sizes)
            t.form(fmt::format("{} m{}", ZydisMnemonicGetString(f.m), 8 * size), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh_x87();
                return finish(c, EncodeRequest{f.m, {g.memory(c, size)}});
            }, 1000);
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FLD, ZYDIS_MNEMONIC_FST, ZYDIS_MNEMONIC_FSTP, ZYDIS_MNEMONIC_FXCH, ZYDIS_MNEMONIC_FCOM,
                            ZYDIS_MNEMONIC_FCOMP, ZYDIS_MNEMONIC_FUCOM, ZYDIS_MNEMONIC_FUCOMP, ZYDIS_MNEMONIC_FFREE})
        t.form(fmt::format("{} st(i)", ZydisMnemonicGetString(m)), [=](Generator& g) -> std::optional<Case> {
            // Zydis encodes FUCOMP only with its implicit ST(0) operand.
            const ZydisEncoderOperand sti = reg_op(st(static_cast<unsigned>(g.below(8))));
            if (m == ZYDIS_MNEMONIC_FUCOMP) return finish(g.fresh_x87(), EncodeRequest{m, {reg_op(st(0)), sti}});
            return finish(g.fresh_x87(), EncodeRequest{m, {sti}});
        }, 1000);
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FSUB, ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FMUL, ZYDIS_MNEMONIC_FDIV,
                            ZYDIS_MNEMONIC_FDIVR, ZYDIS_MNEMONIC_FCOMI, ZYDIS_MNEMONIC_FCOMIP, ZYDIS_MNEMONIC_FUCOMI,
                            ZYDIS_MNEMONIC_FUCOMIP, ZYDIS_MNEMONIC_FCMOVB, ZYDIS_MNEMONIC_FCMOVE, ZYDIS_MNEMONIC_FCMOVBE,
                            ZYDIS_MNEMONIC_FCMOVU, ZYDIS_MNEMONIC_FCMOVNB, ZYDIS_MNEMONIC_FCMOVNE, ZYDIS_MNEMONIC_FCMOVNBE,
                            ZYDIS_MNEMONIC_FCMOVNU})
        t.form(fmt::format("{} st(0),st(i)", ZydisMnemonicGetString(m)), [=](Generator& g) -> std::optional<Case> {
            return finish(g.fresh_x87(), EncodeRequest{m, {reg_op(st(0)), reg_op(st(static_cast<unsigned>(g.below(8))))}});
        }, 1000);
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FSUB, ZYDIS_MNEMONIC_FSUBR, ZYDIS_MNEMONIC_FMUL, ZYDIS_MNEMONIC_FDIV,
                            ZYDIS_MNEMONIC_FDIVR, ZYDIS_MNEMONIC_FADDP, ZYDIS_MNEMONIC_FSUBP, ZYDIS_MNEMONIC_FSUBRP,
                            ZYDIS_MNEMONIC_FMULP, ZYDIS_MNEMONIC_FDIVP, ZYDIS_MNEMONIC_FDIVRP})
        t.form(fmt::format("{} st(i),st(0)", ZydisMnemonicGetString(m)), [=](Generator& g) -> std::optional<Case> {
            return finish(g.fresh_x87(), EncodeRequest{m, {reg_op(st(1 + static_cast<unsigned>(g.below(7)))), reg_op(st(0))}});
        }, 1000);
    t.form("fnstsw ax", [=](Generator& g) -> std::optional<Case> {
        return finish(g.fresh_x87(), EncodeRequest{ZYDIS_MNEMONIC_FNSTSW, {reg_op(ZYDIS_REGISTER_AX)}});
    }, 1000);
    // An arithmetic instruction then FWAIT, often with exceptions unmasked: the
    // pending exception is #MF at the FWAIT (RIP and state compared).
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FMUL, ZYDIS_MNEMONIC_FSQRT, ZYDIS_MNEMONIC_FLD})
        t.form(fmt::format("{}; fwait (unmasked)", ZydisMnemonicGetString(m)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_x87(30);
            EncodeRequest r{m, {}};
            if (m == ZYDIS_MNEMONIC_FDIV || m == ZYDIS_MNEMONIC_FMUL) r.operands = {reg_op(st(0)), reg_op(st(static_cast<unsigned>(g.below(8))))};
            if (m == ZYDIS_MNEMONIC_FLD) r.operands = {g.memory(c, 4)};
            auto bytes = encode(r);
            if (!bytes) return std::nullopt;
            c.code = *bytes;
            c.code.push_back(0x9B);  // FWAIT
            return c;
        }, 1000);
}

}  // namespace
}  // namespace simx::test

namespace simx::test {
namespace {

// FXSAVE/FXRSTOR (REX.W or not) with random x87 and SSE state; FXRSTOR reads
// an image FXSAVE made of another random state, sometimes with a reserved
// MXCSR bit (#GP) or misaligned (#GP).
DIFFERENTIAL_FAMILY(FxsaveFxrstor) {
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_FXSAVE, ZYDIS_MNEMONIC_FXSAVE64, ZYDIS_MNEMONIC_FXRSTOR, ZYDIS_MNEMONIC_FXRSTOR64})
        t.form(ZydisMnemonicGetString(m), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_x87();
            // The address is chosen here: Generator::data_address() can reach
            // below the data region for operands this large.
            uint64_t target = g.chance(30) ? g.data_base() + 4096 * (1 + g.below(2)) - 16 * (1 + g.below(31))
                                           : g.data_base() + 128 + 16 * g.below((NativeRunner::kDataBytes - 512 - 256) / 16);
            if (g.chance(10)) target += 1 + g.below(15);  // misaligned: #GP
            const unsigned base = g.reg_id(1u << kRsp);
            c.regs.gpr[base] = target;
            const ZydisEncoderOperand mem = mem_op(gpr(base, 8), ZYDIS_REGISTER_NONE, 0, 0, 512);
            if (m == ZYDIS_MNEMONIC_FXRSTOR || m == ZYDIS_MNEMONIC_FXRSTOR64) {
                const uint64_t a = c.regs.gpr[mem.mem.base - ZYDIS_REGISTER_RAX] +
                                   (mem.mem.index != ZYDIS_REGISTER_NONE ? c.regs.gpr[mem.mem.index - ZYDIS_REGISTER_RAX] * mem.mem.scale : 0) +
                                   static_cast<uint64_t>(mem.mem.displacement) - g.data_base();
                Case other = g.fresh_x87();
                FxImage img = other.regs.fx;
                uint32_t mxcsr = img.mxcsr();
                if (g.chance(5)) mxcsr |= 1u << (16 + g.below(16));
                img.set_mxcsr(mxcsr);
                const uint64_t mask = 0xFFFF;
                std::memcpy(img.bytes + 28, &mask, 4);
                if (a + 512 <= c.memory.size()) std::memcpy(&c.memory[a], img.bytes, 512);
            }
            return finish(c, EncodeRequest{m, {mem}});
        }, 500);
}

}  // namespace
}  // namespace simx::test
