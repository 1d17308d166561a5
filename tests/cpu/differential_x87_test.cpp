// The differential harness over the x87 forms (issue 4, step 2): random x87
// stacks (TOP, tags, edge values, unnormals), rounding and precision control,
// sometimes unmasked exceptions; control, status, abridged tag word and the
// eight registers are compared bit for bit, and so is #MF at a following
// FWAIT.
#include <gtest/gtest.h>

#include <string>

#include <cstring>
#include <vector>

#include "sim/cpu/x87_image.h"
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

namespace simx::test {
namespace {

// The data-region offset of a memory operand Generator::memory() set up in `c`.
uint64_t operand_offset(const Generator& g, const Case& c, const ZydisEncoderOperand& mem) {
    const uint64_t base = mem.mem.base != ZYDIS_REGISTER_NONE ? c.regs.gpr[mem.mem.base - ZYDIS_REGISTER_RAX] : 0;
    const uint64_t index = mem.mem.index != ZYDIS_REGISTER_NONE ? c.regs.gpr[mem.mem.index - ZYDIS_REGISTER_RAX] * mem.mem.scale : 0;
    return base + index + static_cast<uint64_t>(mem.mem.displacement) - g.data_base();
}

// A plausible 28-byte environment (32-bit slots: FCW, FSW, full tags, FIP,
// FCS|FOP<<16, FDP, FDS; reserved halves usually all ones) followed, for
// FRSTOR, by eight 80-bit registers taken from another random x87 state.
std::vector<uint8_t> plausible_state(Generator& g, unsigned bytes) {
    const Case other = g.fresh_x87(60);
    const uint8_t* fx = other.regs.fx.bytes;
    uint16_t fcw, fsw;
    std::memcpy(&fcw, fx + x87::kFcw, 2);
    std::memcpy(&fsw, fx + x87::kFsw, 2);
    if (g.chance(30)) fsw = static_cast<uint16_t>(fsw | (g.below(0x40) | (g.chance(50) ? 0x80 : 0)));  // flags, ES
    auto upper = [&] { return g.chance(85) ? 0xFFFF'0000u : static_cast<uint32_t>(g.rng()()) & 0xFFFF'0000u; };
    const uint32_t slots[7] = {
        fcw | upper(),
        fsw | upper(),
        static_cast<uint32_t>(g.chance(30) ? 0xFFFF : g.rng()() & 0xFFFF) | upper(),
        static_cast<uint32_t>(g.rng()()),
        static_cast<uint32_t>((g.rng()() & 0x7FF) << 16) | (g.chance(10) ? static_cast<uint32_t>(g.rng()() & 0xF800FFFF) : 0u),
        static_cast<uint32_t>(g.rng()()),
        (g.chance(10) ? static_cast<uint32_t>(g.rng()() & 0xFFFF) : 0u) | upper(),
    };
    std::vector<uint8_t> out(bytes);
    std::memcpy(out.data(), slots, 28);
    for (unsigned i = 0; 28 + 10 * i < bytes; ++i) std::memcpy(&out[28 + 10 * i], fx + x87::kSt + 16 * i, 10);
    return out;
}

// A memory operand of `bytes` inside the data region: Generator::memory()
// can reach below it for operands this large (see FxsaveFxrstor).
ZydisEncoderOperand env_memory(Generator& g, Case& c, unsigned bytes, uint32_t avoid = 0) {
    while (true) {
        const ZydisEncoderOperand mem = g.memory(c, bytes, avoid);
        const uint64_t at = operand_offset(g, c, mem);
        if (at <= NativeRunner::kDataBytes - bytes) return mem;
    }
}

std::optional<std::vector<uint8_t>> encode_all(std::initializer_list<EncodeRequest> rs) {
    std::vector<uint8_t> code;
    for (const EncodeRequest& r : rs) {
        auto b = encode(r);
        if (!b) return std::nullopt;
        code.insert(code.end(), b->begin(), b->end());
    }
    return code;
}

// FNSTENV/FLDENV (m28) and FNSAVE/FRSTOR (m108): random x87 states and
// last-instruction pointers; loads from a plausible image (sometimes with a
// pending exception, which a following FWAIT turns into #MF) or random bytes;
// stores after an x87 instruction, so the FIP, FOP and FDP it left (with
// exceptions unmasked 40% of the time) are compared in memory too.
DIFFERENTIAL_FAMILY(X87Environment) {
    struct EnvForm { ZydisMnemonic m; unsigned bytes; bool load; };
    for (const EnvForm f : {EnvForm{ZYDIS_MNEMONIC_FNSTENV, 28, false}, EnvForm{ZYDIS_MNEMONIC_FLDENV, 28, true},
                            EnvForm{ZYDIS_MNEMONIC_FNSAVE, 108, false}, EnvForm{ZYDIS_MNEMONIC_FRSTOR, 108, true}}) {
        t.form(fmt::format("{} m{}", ZydisMnemonicGetString(f.m), 8 * f.bytes), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_x87(70);
            const ZydisEncoderOperand mem = env_memory(g, c, f.bytes);
            if (f.load && g.chance(75)) {
                const uint64_t at = operand_offset(g, c, mem);
                const std::vector<uint8_t> image = plausible_state(g, f.bytes);
                for (unsigned k = 0; k < f.bytes; ++k)
                    if (at + k < c.memory.size()) c.memory[at + k] = image[k];
            }
            auto code = encode_all({EncodeRequest{f.m, {mem}}});
            if (!code) return std::nullopt;
            c.code = *code;
            if (f.load) c.code.push_back(0x9B);  // FWAIT: #MF if the loaded state has one pending
            return c;
        }, 1000);
        if (f.load) continue;
        // An x87 instruction first: FIP (always), FOP and FDP (with an
        // unmasked exception) as the store reports them.
        for (ZydisMnemonic before : {ZYDIS_MNEMONIC_FLD, ZYDIS_MNEMONIC_FADD, ZYDIS_MNEMONIC_FDIV, ZYDIS_MNEMONIC_FSQRT,
                                     ZYDIS_MNEMONIC_FNINIT, ZYDIS_MNEMONIC_FLDCW})
            t.form(fmt::format("{}; {} m{}", ZydisMnemonicGetString(before), ZydisMnemonicGetString(f.m), 8 * f.bytes),
                   [=](Generator& g) -> std::optional<Case> {
                       Case c = g.fresh_x87(60);
                       EncodeRequest first{before, {}};
                       if (before == ZYDIS_MNEMONIC_FLD || before == ZYDIS_MNEMONIC_FADD) first.operands = {g.memory(c, 8)};
                       if (before == ZYDIS_MNEMONIC_FLDCW) first.operands = {g.memory(c, 2)};
                       if (before == ZYDIS_MNEMONIC_FDIV)
                           first.operands = {reg_op(st(0)), reg_op(st(static_cast<unsigned>(g.below(8))))};
                       // The store's operand must not overlap the first one's registers.
                       uint32_t avoid = 0;
                       for (const ZydisEncoderOperand& o : first.operands)
                           if (o.type == ZYDIS_OPERAND_TYPE_MEMORY) {
                               if (o.mem.base != ZYDIS_REGISTER_NONE) avoid |= 1u << (o.mem.base - ZYDIS_REGISTER_RAX);
                               if (o.mem.index != ZYDIS_REGISTER_NONE) avoid |= 1u << (o.mem.index - ZYDIS_REGISTER_RAX);
                           }
                       const ZydisEncoderOperand mem = env_memory(g, c, f.bytes, avoid);
                       auto code = encode_all({first, EncodeRequest{f.m, {mem}}});
                       if (!code) return std::nullopt;
                       c.code = *code;
                       return c;
                   }, 1000);
    }
}

}  // namespace
}  // namespace simx::test
