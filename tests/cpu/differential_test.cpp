// The differential harness over every implemented instruction form: each form
// runs cases_per_form() randomized cases natively and in the interpreter
// (tests/cpu/differential.h). A failure prints the instruction, the inputs
// and every difference.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "sim/cpu/cpu_state.h"
#include "tests/cpu/differential_fixture.h"

namespace simx::test {
namespace {

enum class Shape { kRR, kRI8, kRI, kRM, kMR, kMI8, kMI };
const char* shape_name(Shape s) {
    switch (s) {
        case Shape::kRR: return "r,r";
        case Shape::kRI8: return "r,imm8";
        case Shape::kRI: return "r,imm";
        case Shape::kRM: return "r,m";
        case Shape::kMR: return "m,r";
        case Shape::kMI8: return "m,imm8";
        case Shape::kMI: return "m,imm";
    }
    return "?";
}

// Two-operand ALU forms.
Make binary(ZydisMnemonic m, unsigned size, Shape shape, bool lock) {
    return [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        unsigned d, s;
        const ZydisRegister rd = pick_reg(g, size, d);
        const ZydisRegister rs = pick_reg(g, size, s);
        const unsigned imm_bytes = size == 8 ? 4 : size;
        const uint64_t imm8 = sext(g.below(256), 1);
        const uint64_t imm = (m == ZYDIS_MNEMONIC_MOV && size == 8 && g.chance(30)) ? g.value() : sext(g.value(imm_bytes), imm_bytes);
        EncodeRequest r{m, {}};
        switch (shape) {
            case Shape::kRR: r.operands = {reg_op(rd), reg_op(rs)}; break;
            case Shape::kRI8: r.operands = {reg_op(rd), imm_op(imm8)}; break;
            case Shape::kRI: r.operands = {reg_op(rd), imm_op(imm)}; break;
            case Shape::kRM: r.operands = {reg_op(rd), g.memory(c, size)}; break;
            case Shape::kMR: r.operands = {g.memory(c, size), reg_op(rs)}; break;
            case Shape::kMI8: r.operands = {g.memory(c, size), imm_op(imm8)}; break;
            case Shape::kMI: r.operands = {g.memory(c, size), imm_op(imm)}; break;
        }
        if (lock) r.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
        return finish(c, r);
    };
}

DIFFERENTIAL_FAMILY(ArithmeticAndLogic) {
    const std::pair<ZydisMnemonic, const char*> ops[] = {
        {ZYDIS_MNEMONIC_ADD, "add"}, {ZYDIS_MNEMONIC_OR, "or"},   {ZYDIS_MNEMONIC_ADC, "adc"},
        {ZYDIS_MNEMONIC_SBB, "sbb"}, {ZYDIS_MNEMONIC_AND, "and"}, {ZYDIS_MNEMONIC_SUB, "sub"},
        {ZYDIS_MNEMONIC_XOR, "xor"}, {ZYDIS_MNEMONIC_CMP, "cmp"},
    };
    for (const auto& [m, name] : ops)
        for (unsigned size : kSizes)
            for (Shape shape : {Shape::kRR, Shape::kRI8, Shape::kRI, Shape::kRM, Shape::kMR, Shape::kMI8, Shape::kMI}) {
                if (size == 1 && (shape == Shape::kRI8 || shape == Shape::kMI8)) continue;
                t.form(fmt::format("{}{} {}", name, size_name(size), shape_name(shape)), binary(m, size, shape, false));
            }
}

DIFFERENTIAL_FAMILY(LockedReadModifyWrite) {
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SBB,
                            ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_XOR})
        for (unsigned size : kSizes)
            for (Shape shape : {Shape::kMR, Shape::kMI})
                t.form(fmt::format("lock {} {} {}", ZydisMnemonicGetString(m), size_name(size), shape_name(shape)),
                     binary(m, size, shape, true));
}

DIFFERENTIAL_FAMILY(TestAndMov) {
    for (unsigned size : kSizes) {
        for (Shape shape : {Shape::kRR, Shape::kRI, Shape::kMR, Shape::kMI})
            t.form(fmt::format("test{} {}", size_name(size), shape_name(shape)), binary(ZYDIS_MNEMONIC_TEST, size, shape, false));
        for (Shape shape : {Shape::kRR, Shape::kRI, Shape::kRM, Shape::kMR, Shape::kMI})
            t.form(fmt::format("mov{} {}", size_name(size), shape_name(shape)), binary(ZYDIS_MNEMONIC_MOV, size, shape, false));
    }
}

DIFFERENTIAL_FAMILY(IncDecNotNeg) {
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_NEG})
        for (unsigned size : kSizes)
            for (int variant = 0; variant < 3; ++variant)
                t.form(fmt::format("{}{} {}", ZydisMnemonicGetString(m), size_name(size), variant == 0 ? "r" : variant == 1 ? "m" : "lock m"),
                     [=](Generator& g) -> std::optional<Case> {
                         Case c = g.fresh();
                         unsigned id;
                         EncodeRequest r{m, {variant == 0 ? reg_op(pick_reg(g, size, id)) : g.memory(c, size)}};
                         if (variant == 2) r.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
                         return finish(c, r);
                     });
}

DIFFERENTIAL_FAMILY(MovesAndExtensions) {
    struct Ext { ZydisMnemonic m; unsigned dst, src; };
    const Ext exts[] = {
        {ZYDIS_MNEMONIC_MOVZX, 2, 1}, {ZYDIS_MNEMONIC_MOVZX, 4, 1}, {ZYDIS_MNEMONIC_MOVZX, 8, 1},
        {ZYDIS_MNEMONIC_MOVZX, 4, 2}, {ZYDIS_MNEMONIC_MOVZX, 8, 2}, {ZYDIS_MNEMONIC_MOVSX, 2, 1},
        {ZYDIS_MNEMONIC_MOVSX, 4, 1}, {ZYDIS_MNEMONIC_MOVSX, 8, 1}, {ZYDIS_MNEMONIC_MOVSX, 4, 2},
        {ZYDIS_MNEMONIC_MOVSX, 8, 2}, {ZYDIS_MNEMONIC_MOVSXD, 8, 4},
    };
    for (const Ext& e : exts)
        for (bool mem : {false, true})
            t.form(fmt::format("{} r{},{}{}", ZydisMnemonicGetString(e.m), size_name(e.dst), mem ? "m" : "r", size_name(e.src)),
                 [=](Generator& g) -> std::optional<Case> {
                     Case c = g.fresh();
                     unsigned d, s;
                     const ZydisRegister rd = gpr(g.reg_id(), e.dst);
                     EncodeRequest r{e.m, {reg_op(rd), mem ? g.memory(c, e.src) : reg_op(pick_reg(g, e.src, s))}};
                     (void)d;
                     return finish(c, r);
                 });
    // LEA with every addressing shape, 16/32/64-bit destinations and 32-bit addresses.
    for (unsigned size : {2u, 4u, 8u})
        for (bool addr32 : {false, true})
            t.form(fmt::format("lea r{}{}", size_name(size), addr32 ? " addr32" : ""), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh();
                const unsigned base = g.reg_id(1u << kRsp), index = g.reg_id(1u << kRsp);
                const unsigned w = addr32 ? 4 : 8;
                ZydisEncoderOperand m = mem_op(g.chance(90) ? gpr(base, w) : ZYDIS_REGISTER_NONE,
                                               g.chance(60) ? gpr(index, w) : ZYDIS_REGISTER_NONE, 1u << g.below(4),
                                               static_cast<int32_t>(g.value(4)), w);
                EncodeRequest r{ZYDIS_MNEMONIC_LEA, {reg_op(gpr(g.reg_id(), size)), m}};
                return finish(c, r);
            });
    for (unsigned size : {4u, 8u})
        t.form(fmt::format("bswap r{}", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_BSWAP, {reg_op(gpr(g.reg_id(), size))}});
        });
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_CBW, ZYDIS_MNEMONIC_CWDE, ZYDIS_MNEMONIC_CDQE, ZYDIS_MNEMONIC_CWD,
                            ZYDIS_MNEMONIC_CDQ, ZYDIS_MNEMONIC_CQO})
        t.form(ZydisMnemonicGetString(m), [=](Generator& g) -> std::optional<Case> { return finish(g.fresh(), EncodeRequest{m, {}}); });
    // RIP-relative loads and stores (the interpreter adds RIP + length).
    for (unsigned size : kSizes)
        for (bool store : {false, true})
            t.form(fmt::format("mov{} rip-relative {}", size_name(size), store ? "store" : "load"), [=, &t](Generator& g) -> std::optional<Case> {
                Case c = g.fresh();
                const uint64_t target = g.data_address(size);
                const ZydisRegister rd = gpr(g.reg_id(), size);
                // The displacement depends on the length: encode once to learn it.
                for (int64_t len = 6; len <= 10; ++len) {
                    const int64_t disp = static_cast<int64_t>(target - (t.h().code_base() + static_cast<uint64_t>(len)));
                    const ZydisEncoderOperand m = mem_op(ZYDIS_REGISTER_RIP, ZYDIS_REGISTER_NONE, 0, disp, size);
                    EncodeRequest r{ZYDIS_MNEMONIC_MOV, store ? std::vector{m, reg_op(rd)} : std::vector{reg_op(rd), m}};
                    auto bytes = encode(r);
                    if (bytes && static_cast<int64_t>(bytes->size()) == len) {
                        c.code = *bytes;
                        return c;
                    }
                }
                return std::nullopt;
            });
}

DIFFERENTIAL_FAMILY(ConditionalMovesAndSets) {
    const ZydisMnemonic cmovs[] = {ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
                                   ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
                                   ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
                                   ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
    const ZydisMnemonic sets[] = {ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB,
                                  ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
                                  ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
                                  ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};
    for (ZydisMnemonic m : cmovs)
        for (unsigned size : {2u, 4u, 8u})
            for (bool mem : {false, true})
                t.form(fmt::format("{} r{},{}", ZydisMnemonicGetString(m), size_name(size), mem ? "m" : "r"),
                     [=](Generator& g) -> std::optional<Case> {
                         Case c = g.fresh();
                         EncodeRequest r{m, {reg_op(gpr(g.reg_id(), size)), mem ? g.memory(c, size) : reg_op(gpr(g.reg_id(), size))}};
                         return finish(c, r);
                     });
    for (ZydisMnemonic m : sets)
        for (bool mem : {false, true})
            t.form(fmt::format("{} {}", ZydisMnemonicGetString(m), mem ? "m8" : "r8"), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh();
                unsigned id;
                EncodeRequest r{m, {mem ? g.memory(c, 1) : reg_op(pick_reg(g, 1, id))}};
                return finish(c, r);
            });
}

// The count of a shift, and the flags the SDM leaves undefined for it.
uint64_t shift_undefined(ZydisMnemonic m, unsigned size, unsigned raw) {
    const unsigned count = raw & (size == 8 ? 63u : 31u);
    uint64_t u = 0;
    if (count == 0) return 0;  // nothing changes: every flag is defined
    if (count != 1) u |= rflags::kOF;
    if ((m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR) && count >= 8 * size) u |= rflags::kCF;
    return u;
}

DIFFERENTIAL_FAMILY(ShiftsAndRotates) {
    const ZydisMnemonic ops[] = {ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL, ZYDIS_MNEMONIC_RCR,
                                 ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR, ZYDIS_MNEMONIC_SAR};
    for (ZydisMnemonic m : ops)
        for (unsigned size : kSizes)
            for (int count_kind = 0; count_kind < 3; ++count_kind)  // 1, imm8, CL
                for (bool mem : {false, true})
                    t.form(fmt::format("{}{} {},{}", ZydisMnemonicGetString(m), size_name(size), mem ? "m" : "r",
                                     count_kind == 0 ? "1" : count_kind == 1 ? "imm8" : "cl"),
                         [=](Generator& g) -> std::optional<Case> {
                             Case c = g.fresh();
                             unsigned id = kRax;
                             const ZydisEncoderOperand dst = mem ? g.memory(c, size, 1u << kRcx) : reg_op(pick_reg(g, size, id));
                             unsigned count = 1;
                             ZydisEncoderOperand src;
                             if (count_kind == 0) {
                                 src = imm_op(1);
                             } else if (count_kind == 1) {
                                 count = static_cast<unsigned>(g.chance(70) ? g.below(8 * size + 2) : g.below(256));
                                 src = imm_op(count);
                             } else {
                                 if (!mem && id == kRcx) return std::nullopt;
                                 count = static_cast<unsigned>(g.chance(70) ? g.below(8 * size + 2) : g.below(256));
                                 c.regs.gpr[kRcx] = (c.regs.gpr[kRcx] & ~uint64_t{0xFF}) | count;
                                 src = reg_op(ZYDIS_REGISTER_CL);
                             }
                             c.extra_undefined = shift_undefined(m, size, count);
                             return finish(c, EncodeRequest{m, {dst, src}});
                         });
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_SHLD, ZYDIS_MNEMONIC_SHRD})
        for (unsigned size : {2u, 4u, 8u})
            for (bool cl : {false, true})
                for (bool mem : {false, true})
                    t.form(fmt::format("{}{} {},r,{}", ZydisMnemonicGetString(m), size_name(size), mem ? "m" : "r", cl ? "cl" : "imm8"),
                         [=](Generator& g) -> std::optional<Case> {
                             Case c = g.fresh();
                             const ZydisEncoderOperand dst = mem ? g.memory(c, size, 1u << kRcx) : reg_op(gpr(g.reg_id(1u << kRcx), size));
                             const ZydisRegister src = gpr(g.reg_id(1u << kRcx), size);
                             // A 16-bit count above 16 leaves the result undefined (SDM SHLD): not generated.
                             unsigned count = static_cast<unsigned>(g.below(size == 2 ? 17 : 8 * size));
                             if (g.chance(10)) count |= 0x40 | (size == 8 ? 0 : 0x20 * (size != 2));
                             ZydisEncoderOperand cnt = imm_op(count);
                             if (cl) {
                                 c.regs.gpr[kRcx] = (c.regs.gpr[kRcx] & ~uint64_t{0xFF}) | count;
                                 cnt = reg_op(ZYDIS_REGISTER_CL);
                             }
                             c.extra_undefined = shift_undefined(m, size, count);
                             return finish(c, EncodeRequest{m, {dst, reg_op(src), cnt}});
                         });
}

DIFFERENTIAL_FAMILY(MultiplyAndDivide) {
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_MUL, ZYDIS_MNEMONIC_IMUL, ZYDIS_MNEMONIC_DIV, ZYDIS_MNEMONIC_IDIV})
        for (unsigned size : kSizes)
            for (bool mem : {false, true})
                t.form(fmt::format("{}{} {}", ZydisMnemonicGetString(m), size_name(size), mem ? "m" : "r"),
                     [=](Generator& g) -> std::optional<Case> {
                         Case c = g.fresh();
                         const bool div = m == ZYDIS_MNEMONIC_DIV || m == ZYDIS_MNEMONIC_IDIV;
                         const uint32_t avoid = (1u << kRax) | (1u << kRdx);
                         uint64_t divisor = g.value(size);
                         ZydisEncoderOperand src;
                         if (mem) {
                             src = g.memory(c, size, avoid);
                         } else {
                             unsigned id = g.reg_id(avoid);
                             if (size == 1 && g.chance(20)) {
                                 id = 1 + static_cast<unsigned>(g.below(3));  // CH, DH, BH
                                 src = reg_op(high_byte(id));
                                 c.regs.gpr[id] = (c.regs.gpr[id] & ~uint64_t{0xFF00}) | ((divisor & 0xFF) << 8);
                             } else {
                                 src = reg_op(gpr(id, size));
                                 c.regs.gpr[id] = divisor;
                             }
                         }
                         if (div && g.chance(80)) {
                             // Make the quotient fit most of the time, so both the result and #DE are exercised.
                             const unsigned bits = 8 * size;
                             const uint64_t mask = size == 8 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
                             uint64_t dv = divisor & mask;
                             if (mem) {  // read the operand back from memory
                                 ZydisEncoderOperand& o = src;
                                 const uint64_t addr = c.regs.gpr[o.mem.base - ZYDIS_REGISTER_RAX] +
                                                       (o.mem.index != ZYDIS_REGISTER_NONE ? c.regs.gpr[o.mem.index - ZYDIS_REGISTER_RAX] * o.mem.scale : 0) +
                                                       static_cast<uint64_t>(o.mem.displacement);
                                 dv = 0;
                                 std::memcpy(&dv, &c.memory[addr - g.data_base()], size);
                             }
                             if (dv == 0) return std::nullopt;
                             uint64_t high;
                             if (m == ZYDIS_MNEMONIC_DIV) {
                                 high = g.below(dv);
                             } else {
                                 const uint64_t low = c.regs.gpr[kRax] & mask;
                                 high = (static_cast<int64_t>(sext(low, size)) < 0 ? mask : 0);
                             }
                             if (size == 1) c.regs.gpr[kRax] = (c.regs.gpr[kRax] & ~uint64_t{0xFF00}) | ((high & 0xFF) << 8);
                             else c.regs.gpr[kRdx] = (c.regs.gpr[kRdx] & ~mask) | (high & mask);
                         }
                         return finish(c, EncodeRequest{m, {src}});
                     });
    for (unsigned size : {2u, 4u, 8u})
        for (bool three : {false, true})
            for (bool mem : {false, true})
                t.form(fmt::format("imul r{},{}{}", size_name(size), mem ? "m" : "r", three ? ",imm" : ""),
                     [=](Generator& g) -> std::optional<Case> {
                         Case c = g.fresh();
                         EncodeRequest r{ZYDIS_MNEMONIC_IMUL, {reg_op(gpr(g.reg_id(), size)), mem ? g.memory(c, size) : reg_op(gpr(g.reg_id(), size))}};
                         if (three) r.operands.push_back(imm_op(g.chance(50) ? sext(g.below(256), 1) : sext(g.value(std::min(size, 4u)), std::min(size, 4u))));
                         return finish(c, r);
                     });
}

DIFFERENTIAL_FAMILY(BitTestsAndScans) {
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_BT, ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_BTR, ZYDIS_MNEMONIC_BTC})
        for (unsigned size : {2u, 4u, 8u})
            for (int variant = 0; variant < 5; ++variant) {  // r,r  r,imm  m,r  m,imm  lock m,r
                if (m == ZYDIS_MNEMONIC_BT && variant == 4) continue;
                static constexpr const char* kNames[] = {"r,r", "r,imm", "m,r", "m,imm", "lock m,r"};
                t.form(fmt::format("{}{} {}", ZydisMnemonicGetString(m), size_name(size), kNames[variant]),
                     [=](Generator& g) -> std::optional<Case> {
                         Case c = g.fresh();
                         const unsigned off_id = g.reg_id();
                         const bool mem = variant >= 2;
                         const ZydisEncoderOperand dst = mem ? g.memory(c, size, 1u << off_id) : reg_op(gpr(g.reg_id(), size));
                         ZydisEncoderOperand src;
                         if (variant == 1 || variant == 3) {
                             src = imm_op(g.below(256));
                         } else {
                             src = reg_op(gpr(off_id, size));
                             // A memory bit offset reaches outside the operand: keep it in the data region.
                             if (mem) c.regs.gpr[off_id] = (c.regs.gpr[off_id] & ~size_mask(size)) | (static_cast<uint64_t>(static_cast<int64_t>(g.below(256)) - 128) & size_mask(size));
                         }
                         EncodeRequest r{m, {dst, src}};
                         if (variant == 4) r.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
                         return finish(c, r);
                     });
            }
    for (ZydisMnemonic m : {ZYDIS_MNEMONIC_BSF, ZYDIS_MNEMONIC_BSR, ZYDIS_MNEMONIC_POPCNT, ZYDIS_MNEMONIC_LZCNT})
        for (unsigned size : {2u, 4u, 8u})
            for (bool mem : {false, true})
                t.form(fmt::format("{}{} {}", ZydisMnemonicGetString(m), size_name(size), mem ? "m" : "r"),
                     [=](Generator& g) -> std::optional<Case> {
                         Case c = g.fresh();
                         const unsigned s = g.reg_id();
                         if (g.chance(15)) c.regs.gpr[s] = 0;  // the zero-source case
                         const ZydisEncoderOperand src = mem ? g.memory(c, size) : reg_op(gpr(s, size));
                         return finish(c, EncodeRequest{m, {reg_op(gpr(g.reg_id(), size)), src}});
                     });
}

}  // namespace
}  // namespace simx::test
