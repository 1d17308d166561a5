// The differential harness over the MMX-register forms (sim/cpu/ops_mmx.cpp):
// random x87 states underneath (TOP, tags, values, pointers), so the MMX
// transitions are compared too: TOP = 0 and all tags valid after any MMX
// instruction, bits 79:64 all ones in a written register, all tags empty
// after EMMS; #MF when an earlier x87 instruction left an unmasked exception
// pending. Results, GPRs, memory and faults as in every family.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <string>
#include <utility>

#include "sim/cpu/x87_image.h"
#include "tests/cpu/differential_fixture.h"

namespace simx::test {
namespace {

constexpr unsigned kCases = 400;

ZydisRegister mm(unsigned n) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_MM0 + static_cast<int>(n)); }

// Sets MMn (the significand of physical register n) in the starting image,
// which stores registers in stack order.
void set_mm(Case& c, unsigned n, uint64_t v) {
    uint16_t fsw;
    std::memcpy(&fsw, c.regs.fx.bytes + x87::kFsw, 2);
    const unsigned slot = (n - x87::top(fsw)) & 7;
    std::memcpy(c.regs.fx.bytes + x87::kSt + 16 * slot, &v, 8);
}

struct MmxOp { ZydisMnemonic m; const char* name; bool shift; };
const MmxOp kOps[] = {
    {ZYDIS_MNEMONIC_PADDB, "paddb", false},     {ZYDIS_MNEMONIC_PADDW, "paddw", false},
    {ZYDIS_MNEMONIC_PADDD, "paddd", false},     {ZYDIS_MNEMONIC_PADDQ, "paddq", false},
    {ZYDIS_MNEMONIC_PSUBB, "psubb", false},     {ZYDIS_MNEMONIC_PSUBW, "psubw", false},
    {ZYDIS_MNEMONIC_PSUBD, "psubd", false},     {ZYDIS_MNEMONIC_PSUBQ, "psubq", false},
    {ZYDIS_MNEMONIC_PADDSB, "paddsb", false},   {ZYDIS_MNEMONIC_PADDSW, "paddsw", false},
    {ZYDIS_MNEMONIC_PADDUSB, "paddusb", false}, {ZYDIS_MNEMONIC_PADDUSW, "paddusw", false},
    {ZYDIS_MNEMONIC_PSUBSB, "psubsb", false},   {ZYDIS_MNEMONIC_PSUBSW, "psubsw", false},
    {ZYDIS_MNEMONIC_PSUBUSB, "psubusb", false}, {ZYDIS_MNEMONIC_PSUBUSW, "psubusw", false},
    {ZYDIS_MNEMONIC_PCMPEQB, "pcmpeqb", false}, {ZYDIS_MNEMONIC_PCMPEQW, "pcmpeqw", false},
    {ZYDIS_MNEMONIC_PCMPEQD, "pcmpeqd", false}, {ZYDIS_MNEMONIC_PCMPGTB, "pcmpgtb", false},
    {ZYDIS_MNEMONIC_PCMPGTW, "pcmpgtw", false}, {ZYDIS_MNEMONIC_PCMPGTD, "pcmpgtd", false},
    {ZYDIS_MNEMONIC_PMINUB, "pminub", false},   {ZYDIS_MNEMONIC_PMAXUB, "pmaxub", false},
    {ZYDIS_MNEMONIC_PMINSW, "pminsw", false},   {ZYDIS_MNEMONIC_PMAXSW, "pmaxsw", false},
    {ZYDIS_MNEMONIC_PAVGB, "pavgb", false},     {ZYDIS_MNEMONIC_PAVGW, "pavgw", false},
    {ZYDIS_MNEMONIC_PSADBW, "psadbw", false},   {ZYDIS_MNEMONIC_PMULLW, "pmullw", false},
    {ZYDIS_MNEMONIC_PMULHW, "pmulhw", false},   {ZYDIS_MNEMONIC_PMULHUW, "pmulhuw", false},
    {ZYDIS_MNEMONIC_PMULUDQ, "pmuludq", false}, {ZYDIS_MNEMONIC_PMADDWD, "pmaddwd", false},
    {ZYDIS_MNEMONIC_PAND, "pand", false},       {ZYDIS_MNEMONIC_PANDN, "pandn", false},
    {ZYDIS_MNEMONIC_POR, "por", false},         {ZYDIS_MNEMONIC_PXOR, "pxor", false},
    {ZYDIS_MNEMONIC_PSLLW, "psllw", true},      {ZYDIS_MNEMONIC_PSLLD, "pslld", true},
    {ZYDIS_MNEMONIC_PSLLQ, "psllq", true},      {ZYDIS_MNEMONIC_PSRLW, "psrlw", true},
    {ZYDIS_MNEMONIC_PSRLD, "psrld", true},      {ZYDIS_MNEMONIC_PSRLQ, "psrlq", true},
    {ZYDIS_MNEMONIC_PSRAW, "psraw", true},      {ZYDIS_MNEMONIC_PSRAD, "psrad", true},
    {ZYDIS_MNEMONIC_PUNPCKLBW, "punpcklbw", false}, {ZYDIS_MNEMONIC_PUNPCKLWD, "punpcklwd", false},
    {ZYDIS_MNEMONIC_PUNPCKLDQ, "punpckldq", false}, {ZYDIS_MNEMONIC_PUNPCKHBW, "punpckhbw", false},
    {ZYDIS_MNEMONIC_PUNPCKHWD, "punpckhwd", false}, {ZYDIS_MNEMONIC_PUNPCKHDQ, "punpckhdq", false},
    {ZYDIS_MNEMONIC_PACKSSWB, "packsswb", false},   {ZYDIS_MNEMONIC_PACKSSDW, "packssdw", false},
    {ZYDIS_MNEMONIC_PACKUSWB, "packuswb", false},
};

DIFFERENTIAL_FAMILY(Mmx) {
    enum Src { kMm, kMem, kImm };
    for (const MmxOp& op : kOps)
        for (Src src : {kMm, kMem, kImm}) {
            if (src == kImm && !op.shift) continue;
            t.form(fmt::format("{} mm,{}", op.name, src == kMm ? "mm" : src == kMem ? "mem" : "imm8"),
                   [=](Generator& g) -> std::optional<Case> {
                       Case c = g.fresh_x87();
                       const unsigned d = static_cast<unsigned>(g.below(8)), s = static_cast<unsigned>(g.below(8));
                       if (op.shift && src == kMm && g.chance(70)) set_mm(c, s, g.below(70));  // counts that shift
                       if (!op.shift && g.chance(30)) set_mm(c, s, g.value());
                       EncodeRequest r{op.m, {reg_op(mm(d))}};
                       if (src == kMm) r.operands.push_back(reg_op(mm(s)));
                       // PUNPCKLx take an m32 (the low halves), the rest an m64.
                       if (src == kMem) r.operands.push_back(g.memory(c, std::string(op.name).starts_with("punpckl") ? 4 : 8));
                       if (src == kImm) r.operands.push_back(imm_op(g.chance(80) ? g.below(70) : g.below(256)));
                       return finish(c, r);
                   }, kCases);
        }
    // MOVD/MOVQ in every direction.
    enum Dir { kFromReg, kFromMem, kFromMm, kToReg, kToMem };
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_MOVD, ZYDIS_MNEMONIC_MOVQ})
        for (Dir dir : {kFromReg, kFromMem, kFromMm, kToReg, kToMem}) {
            const unsigned bytes = m == ZYDIS_MNEMONIC_MOVD ? 4 : 8;
            if (dir == kFromMm && bytes == 4) continue;
            t.form(fmt::format("{} dir{}", ZydisMnemonicGetString(m), static_cast<int>(dir)),
                   [=](Generator& g) -> std::optional<Case> {
                       Case c = g.fresh_x87();
                       const unsigned n = static_cast<unsigned>(g.below(8)), k = static_cast<unsigned>(g.below(8));
                       EncodeRequest r{m, {}};
                       switch (dir) {
                           case kFromReg: r.operands = {reg_op(mm(n)), reg_op(gpr(g.reg_id(1u << kRsp), bytes))}; break;
                           case kFromMem: r.operands = {reg_op(mm(n)), g.memory(c, bytes)}; break;
                           case kFromMm: r.operands = {reg_op(mm(n)), reg_op(mm(k))}; break;
                           case kToReg: r.operands = {reg_op(gpr(g.reg_id(1u << kRsp), bytes)), reg_op(mm(n))}; break;
                           case kToMem: r.operands = {g.memory(c, bytes), reg_op(mm(n))}; break;
                       }
                       return finish(c, r);
                   }, kCases);
        }
    // The SSE additions on MM registers and the MMX<->XMM moves.
    ZydisRegister (*xmm)(unsigned) = [](unsigned n) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_XMM0 + static_cast<int>(n)); };
    auto u8 = [](Generator& g) { return imm_op(g.below(256)); };
    auto r8 = [](Generator& g) { return static_cast<unsigned>(g.below(8)); };
    const std::pair<const char*, std::function<std::optional<EncodeRequest>(Generator&, Case&)>> others[] = {
        {"pshufw mm,mm,imm8", [=](Generator& g, Case&) { return EncodeRequest{ZYDIS_MNEMONIC_PSHUFW, {reg_op(mm(r8(g))), reg_op(mm(r8(g))), u8(g)}}; }},
        {"pshufw mm,m64,imm8", [=](Generator& g, Case& c) { return EncodeRequest{ZYDIS_MNEMONIC_PSHUFW, {reg_op(mm(r8(g))), g.memory(c, 8), u8(g)}}; }},
        {"pextrw r32,mm,imm8", [=](Generator& g, Case&) { return EncodeRequest{ZYDIS_MNEMONIC_PEXTRW, {reg_op(gpr(g.reg_id(1u << kRsp), 4)), reg_op(mm(r8(g))), u8(g)}}; }},
        {"pinsrw mm,r32,imm8", [=](Generator& g, Case&) { return EncodeRequest{ZYDIS_MNEMONIC_PINSRW, {reg_op(mm(r8(g))), reg_op(gpr(g.reg_id(), 4)), u8(g)}}; }},
        {"pinsrw mm,m16,imm8", [=](Generator& g, Case& c) { return EncodeRequest{ZYDIS_MNEMONIC_PINSRW, {reg_op(mm(r8(g))), g.memory(c, 2), u8(g)}}; }},
        {"pmovmskb r32,mm", [=](Generator& g, Case&) { return EncodeRequest{ZYDIS_MNEMONIC_PMOVMSKB, {reg_op(gpr(g.reg_id(1u << kRsp), 4)), reg_op(mm(r8(g)))}}; }},
        {"movntq m64,mm", [=](Generator& g, Case& c) { return EncodeRequest{ZYDIS_MNEMONIC_MOVNTQ, {g.memory(c, 8), reg_op(mm(r8(g)))}}; }},
        {"movq2dq xmm,mm", [=](Generator& g, Case&) { return EncodeRequest{ZYDIS_MNEMONIC_MOVQ2DQ, {reg_op(xmm(static_cast<unsigned>(g.below(16)))), reg_op(mm(r8(g)))}}; }},
        {"movdq2q mm,xmm", [=](Generator& g, Case&) { return EncodeRequest{ZYDIS_MNEMONIC_MOVDQ2Q, {reg_op(mm(r8(g))), reg_op(xmm(static_cast<unsigned>(g.below(16))))}}; }},
    };
    for (const auto& [name, make] : others)
        t.form(name, [make = make](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_x87();
            const std::optional<EncodeRequest> r = make(g, c);
            if (!r) return std::nullopt;
            return finish(c, *r);
        }, kCases);
    t.form("emms", [=](Generator& g) -> std::optional<Case> {
        return finish(g.fresh_x87(), EncodeRequest{ZYDIS_MNEMONIC_EMMS, {}});
    }, kCases);
    // An x87 instruction (exceptions often unmasked) then an MMX one: #MF
    // for a pending exception; otherwise the transition from x87 to MMX
    // state, and back with EMMS.
    for (ZydisMnemonic then : {ZYDIS_MNEMONIC_PADDB, ZYDIS_MNEMONIC_MOVQ, ZYDIS_MNEMONIC_EMMS})
        t.form(fmt::format("fdiv; {}", ZydisMnemonicGetString(then)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh_x87(30);
            auto first = encode(EncodeRequest{ZYDIS_MNEMONIC_FDIV, {reg_op(ZYDIS_REGISTER_ST0),
                                                                     reg_op(static_cast<ZydisRegister>(ZYDIS_REGISTER_ST0 + static_cast<int>(g.below(8))))}});
            EncodeRequest second{then, {}};
            if (then != ZYDIS_MNEMONIC_EMMS)
                second.operands = {reg_op(mm(static_cast<unsigned>(g.below(8)))), reg_op(mm(static_cast<unsigned>(g.below(8))))};
            auto next = encode(second);
            if (!first || !next) return std::nullopt;
            c.code = *first;
            c.code.insert(c.code.end(), next->begin(), next->end());
            return c;
        }, kCases);
}

}  // namespace
}  // namespace simx::test
