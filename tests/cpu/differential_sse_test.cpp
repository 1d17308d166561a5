// The differential harness over the SSE/SSE2 forms (issue 4, step 2): random
// XMM registers with floating-point edge values, a random MXCSR (rounding,
// DAZ, FTZ, flags, sometimes unmasked exceptions, so #XM is compared too),
// random memory operands (16-byte ones sometimes misaligned, so the #GP of
// the aligned forms is compared). XMM0-15 and MXCSR are compared bit for bit,
// NaN payloads included: the host is the oracle.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "sim/cpu/ops.h"
#include "tests/cpu/differential_fixture.h"

namespace simx::test {
namespace {

// Cases per form (x4 fewer in the fault layout): the SSE forms are many, so
// fewer than the integer default keep the suite within its CI time.
constexpr unsigned kCases = 1000;

ZydisRegister xmm(unsigned n) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + static_cast<int>(n)); }
ZydisRegister rand_xmm(Generator& g) { return xmm(static_cast<unsigned>(g.below(16))); }

// A memory operand of `bytes`; 16-byte ones are aligned 90% of the time.
ZydisEncoderOperand sse_memory(Generator& g, Case& c, unsigned bytes, uint32_t avoid = 0) {
    return g.memory(c, bytes, avoid, bytes == 16 && g.chance(90) ? 16 : 1);
}

uint64_t address_of(const Case& c, const ZydisEncoderOperand& o) {
    return c.regs.gpr[o.mem.base - ZYDIS_REGISTER_RAX] +
           (o.mem.index != ZYDIS_REGISTER_NONE ? c.regs.gpr[o.mem.index - ZYDIS_REGISTER_RAX] * o.mem.scale : 0) +
           static_cast<uint64_t>(o.mem.displacement);
}

// The memory operand size of a two-operand SSE instruction.
unsigned memory_size(const std::string& name, bool fp) {
    auto ends = [&](const char* s) { return name.size() > 2 && name.compare(name.size() - 2, 2, s) == 0; };
    if (name == "cvtss2sd") return 4;
    if (name == "cvtsd2ss" || name == "cvtdq2pd" || name == "cvtps2pd") return 8;
    if (fp && ends("ss")) return 4;
    if (fp && ends("sd")) return 8;
    return 16;
}

bool is_shift(const std::string& name) { return name.size() == 5 && name[0] == 'p' && name[1] == 's' && name != "psubb" && name != "psubw" && name != "psubd" && name != "psubq"; }

DIFFERENTIAL_FAMILY(SseTwoOperand) {
    struct Op { ZydisMnemonic m; const char* name; bool fp; };
    static const Op ops[] = {
#define SIMX_X(U, l, fp) {ZYDIS_MNEMONIC_##U, #l, fp != 0},
        SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X
    };
    for (const Op& op : ops)
        for (bool mem : {false, true}) {
            const unsigned bytes = memory_size(op.name, op.fp);
            t.form(fmt::format("{} xmm,{}", op.name, mem ? fmt::format("m{}", 8 * bytes) : "xmm"),
                   [=](Generator& g) -> std::optional<Case> {
                       Case c = g.fresh_sse();
                       const unsigned d = static_cast<unsigned>(g.below(16)), s = static_cast<unsigned>(g.below(16));
                       if (!mem && is_shift(op.name) && g.chance(70)) {  // mostly counts that shift something
                           const uint64_t n = g.below(70);
                           std::memcpy(c.regs.fx.xmm(s), &n, 8);
                       }
                       EncodeRequest r{op.m, {reg_op(xmm(d)), mem ? sse_memory(g, c, bytes) : reg_op(xmm(s))}};
                       return finish(c, r);
                   }, kCases);
        }
}

DIFFERENTIAL_FAMILY(SseMoves) {
    enum Shape { kRR, kRM, kMR };
    struct M { ZydisMnemonic m; Shape shape; unsigned bytes; };
    const M moves[] = {
        {ZYDIS_MNEMONIC_MOVAPS, kRR, 16}, {ZYDIS_MNEMONIC_MOVAPS, kRM, 16}, {ZYDIS_MNEMONIC_MOVAPS, kMR, 16},
        {ZYDIS_MNEMONIC_MOVUPS, kRR, 16}, {ZYDIS_MNEMONIC_MOVUPS, kRM, 16}, {ZYDIS_MNEMONIC_MOVUPS, kMR, 16},
        {ZYDIS_MNEMONIC_MOVAPD, kRM, 16}, {ZYDIS_MNEMONIC_MOVAPD, kMR, 16}, {ZYDIS_MNEMONIC_MOVUPD, kRM, 16},
        {ZYDIS_MNEMONIC_MOVUPD, kMR, 16}, {ZYDIS_MNEMONIC_MOVDQA, kRR, 16}, {ZYDIS_MNEMONIC_MOVDQA, kRM, 16},
        {ZYDIS_MNEMONIC_MOVDQA, kMR, 16}, {ZYDIS_MNEMONIC_MOVDQU, kRR, 16}, {ZYDIS_MNEMONIC_MOVDQU, kRM, 16},
        {ZYDIS_MNEMONIC_MOVDQU, kMR, 16}, {ZYDIS_MNEMONIC_MOVSS, kRR, 4},   {ZYDIS_MNEMONIC_MOVSS, kRM, 4},
        {ZYDIS_MNEMONIC_MOVSS, kMR, 4},   {ZYDIS_MNEMONIC_MOVSD, kRR, 8},   {ZYDIS_MNEMONIC_MOVSD, kRM, 8},
        {ZYDIS_MNEMONIC_MOVSD, kMR, 8},   {ZYDIS_MNEMONIC_MOVD, kRM, 4},    {ZYDIS_MNEMONIC_MOVD, kMR, 4},
        {ZYDIS_MNEMONIC_MOVQ, kRR, 8},    {ZYDIS_MNEMONIC_MOVQ, kRM, 8},    {ZYDIS_MNEMONIC_MOVQ, kMR, 8},
        {ZYDIS_MNEMONIC_MOVLPS, kRM, 8},  {ZYDIS_MNEMONIC_MOVLPS, kMR, 8},  {ZYDIS_MNEMONIC_MOVHPS, kRM, 8},
        {ZYDIS_MNEMONIC_MOVHPS, kMR, 8},  {ZYDIS_MNEMONIC_MOVLPD, kRM, 8},  {ZYDIS_MNEMONIC_MOVLPD, kMR, 8},
        {ZYDIS_MNEMONIC_MOVHPD, kRM, 8},  {ZYDIS_MNEMONIC_MOVHPD, kMR, 8},  {ZYDIS_MNEMONIC_MOVHLPS, kRR, 16},
        {ZYDIS_MNEMONIC_MOVLHPS, kRR, 16}, {ZYDIS_MNEMONIC_MOVNTDQ, kMR, 16}, {ZYDIS_MNEMONIC_MOVNTPS, kMR, 16},
        {ZYDIS_MNEMONIC_MOVNTPD, kMR, 16},
    };
    for (const M& mv : moves)
        t.form(fmt::format("{} {}", ZydisMnemonicGetString(mv.m), mv.shape == kRR ? "xmm,xmm" : mv.shape == kRM ? "xmm,m" : "m,xmm"),
               [=](Generator& g) -> std::optional<Case> {
                   Case c = g.fresh_sse();
                   EncodeRequest r{mv.m, {}};
                   if (mv.shape == kRR) r.operands = {reg_op(rand_xmm(g)), reg_op(rand_xmm(g))};
                   else if (mv.shape == kRM) r.operands = {reg_op(rand_xmm(g)), sse_memory(g, c, mv.bytes)};
                   else r.operands = {sse_memory(g, c, mv.bytes), reg_op(rand_xmm(g))};
                   return finish(c, r);
               }, kCases);
    // MOVD/MOVQ with general-purpose registers, the sign masks, MOVNTI.
    for (unsigned size : {4u, 8u}) {
        const ZydisMnemonic m = size == 4 ? ZYDIS_MNEMONIC_MOVD : ZYDIS_MNEMONIC_MOVQ;
        for (bool to_gpr : {false, true})
            t.form(fmt::format("{} {}", ZydisMnemonicGetString(m), to_gpr ? "r,xmm" : "xmm,r"), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh_sse();
                const ZydisEncoderOperand r = reg_op(gpr(g.reg_id(), size)), x = reg_op(rand_xmm(g));
                return finish(c, EncodeRequest{m, to_gpr ? std::vector{r, x} : std::vector{x, r}});
            }, kCases);
        for (ZydisMnemonic mask : {ZYDIS_MNEMONIC_MOVMSKPS, ZYDIS_MNEMONIC_MOVMSKPD, ZYDIS_MNEMONIC_PMOVMSKB}) {
            if (size == 8 && mask == ZYDIS_MNEMONIC_PMOVMSKB) continue;  // Zydis encodes only r32
            t.form(fmt::format("{} r{},xmm", ZydisMnemonicGetString(mask), 8 * size), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh_sse();
                return finish(c, EncodeRequest{mask, {reg_op(gpr(g.reg_id(), size)), reg_op(rand_xmm(g))}});
            }, kCases);
        }
        t.form(fmt::format("movnti m{},r", 8 * size), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_sse();
            const unsigned id = g.reg_id();
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_MOVNTI, {g.memory(c, size, 1u << id), reg_op(gpr(id, size))}});
        }, kCases);
    }
    t.form("stmxcsr m32", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh_sse();
        return finish(c, EncodeRequest{ZYDIS_MNEMONIC_STMXCSR, {g.memory(c, 4)}});
    }, kCases);
    t.form("ldmxcsr m32", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh_sse();
        const ZydisEncoderOperand m = g.memory(c, 4);
        const uint64_t a = address_of(c, m) - g.data_base();
        uint32_t v = static_cast<uint32_t>(g.rng()()) & 0xFFFF;
        if (g.chance(10)) v |= 1u << (16 + g.below(16));  // reserved: #GP(0)
        if (a + 4 <= c.memory.size()) std::memcpy(&c.memory[a], &v, 4);
        return finish(c, EncodeRequest{ZYDIS_MNEMONIC_LDMXCSR, {m}});
    }, kCases);
}

DIFFERENTIAL_FAMILY(SseShufflesAndImmediates) {
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_PSHUFD, ZYDIS_MNEMONIC_PSHUFLW, ZYDIS_MNEMONIC_PSHUFHW, ZYDIS_MNEMONIC_SHUFPS,
                            ZYDIS_MNEMONIC_SHUFPD})
        for (bool mem : {false, true})
            t.form(fmt::format("{} xmm,{},imm8", ZydisMnemonicGetString(m), mem ? "m128" : "xmm"), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh_sse();
                return finish(c, EncodeRequest{m, {reg_op(rand_xmm(g)), mem ? sse_memory(g, c, 16) : reg_op(rand_xmm(g)), imm_op(g.below(256))}});
            }, kCases);
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_PSLLDQ, ZYDIS_MNEMONIC_PSRLDQ, ZYDIS_MNEMONIC_PSLLW, ZYDIS_MNEMONIC_PSLLD,
                            ZYDIS_MNEMONIC_PSLLQ, ZYDIS_MNEMONIC_PSRLW, ZYDIS_MNEMONIC_PSRLD, ZYDIS_MNEMONIC_PSRLQ,
                            ZYDIS_MNEMONIC_PSRAW, ZYDIS_MNEMONIC_PSRAD})
        t.form(fmt::format("{} xmm,imm8", ZydisMnemonicGetString(m)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_sse();
            return finish(c, EncodeRequest{m, {reg_op(rand_xmm(g)), imm_op(g.chance(80) ? g.below(70) : g.below(256))}});
        }, kCases);
    t.form("pextrw r32,xmm,imm8", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh_sse();
        return finish(c, EncodeRequest{ZYDIS_MNEMONIC_PEXTRW, {reg_op(gpr(g.reg_id(), 4)), reg_op(rand_xmm(g)), imm_op(g.below(256))}});
    }, kCases);
    for (bool mem : {false, true})
        t.form(fmt::format("pinsrw xmm,{},imm8", mem ? "m16" : "r32"), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_sse();
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_PINSRW, {reg_op(rand_xmm(g)), mem ? g.memory(c, 2) : reg_op(gpr(g.reg_id(), 4)), imm_op(g.below(256))}});
        }, kCases);
}

DIFFERENTIAL_FAMILY(SseComparesAndConversions) {
    struct Cmp { ZydisMnemonic m; unsigned bytes; };
    for (const Cmp& cmp : {Cmp{ZYDIS_MNEMONIC_CMPPS, 16}, Cmp{ZYDIS_MNEMONIC_CMPPD, 16}, Cmp{ZYDIS_MNEMONIC_CMPSS, 4},
                           Cmp{ZYDIS_MNEMONIC_CMPSD, 8}})
        for (unsigned p = 0; p < 8; ++p)
            for (bool mem : {false, true})
                t.form(fmt::format("{} xmm,{},{}", ZydisMnemonicGetString(cmp.m), mem ? "m" : "xmm", p), [=](Generator& g) -> std::optional<Case> {
                    Case c = g.fresh_sse();
                    const uint64_t imm = g.chance(90) ? p : (p | (g.below(32) << 3));  // reserved bits sometimes set
                    return finish(c, EncodeRequest{cmp.m, {reg_op(rand_xmm(g)), mem ? sse_memory(g, c, cmp.bytes) : reg_op(rand_xmm(g)), imm_op(imm)}});
                }, kCases);
    for (const Cmp& cmp : {Cmp{ZYDIS_MNEMONIC_UCOMISS, 4}, Cmp{ZYDIS_MNEMONIC_UCOMISD, 8}, Cmp{ZYDIS_MNEMONIC_COMISS, 4},
                           Cmp{ZYDIS_MNEMONIC_COMISD, 8}})
        for (bool mem : {false, true})
            t.form(fmt::format("{} xmm,{}", ZydisMnemonicGetString(cmp.m), mem ? "m" : "xmm"), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh_sse();
                return finish(c, EncodeRequest{cmp.m, {reg_op(rand_xmm(g)), mem ? sse_memory(g, c, cmp.bytes) : reg_op(rand_xmm(g))}});
            }, kCases);
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_CVTSI2SS, ZYDIS_MNEMONIC_CVTSI2SD})
        for (unsigned size : {4u, 8u})
            for (bool mem : {false, true})
                t.form(fmt::format("{} xmm,{}{}", ZydisMnemonicGetString(m), mem ? "m" : "r", 8 * size), [=](Generator& g) -> std::optional<Case> {
                    Case c = g.fresh_sse();
                    return finish(c, EncodeRequest{m, {reg_op(rand_xmm(g)), mem ? g.memory(c, size) : reg_op(gpr(g.reg_id(), size))}});
                }, kCases);
    struct Cvt { ZydisMnemonic m; unsigned bytes; };
    for (const Cvt& cvt : {Cvt{ZYDIS_MNEMONIC_CVTSS2SI, 4}, Cvt{ZYDIS_MNEMONIC_CVTSD2SI, 8}, Cvt{ZYDIS_MNEMONIC_CVTTSS2SI, 4},
                           Cvt{ZYDIS_MNEMONIC_CVTTSD2SI, 8}})
        for (unsigned size : {4u, 8u})
            for (bool mem : {false, true})
                t.form(fmt::format("{} r{},{}", ZydisMnemonicGetString(cvt.m), 8 * size, mem ? "m" : "xmm"), [=](Generator& g) -> std::optional<Case> {
                    Case c = g.fresh_sse();
                    return finish(c, EncodeRequest{cvt.m, {reg_op(gpr(g.reg_id(), size)), mem ? g.memory(c, cvt.bytes) : reg_op(rand_xmm(g))}});
                }, kCases);
}

}  // namespace
}  // namespace simx::test
