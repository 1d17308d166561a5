// The differential harness over exchanges and atomics, the stack, string
// instructions, branches and the flag instructions (tests/cpu/differential.h).
#include <gtest/gtest.h>

#include <cstring>

#include "sim/cpu/cpu_state.h"
#include "tests/cpu/differential_fixture.h"

namespace simx::test {
namespace {

// The address a memory operand of `c` refers to.
uint64_t address_of(const Case& c, const ZydisEncoderOperand& o) {
    uint64_t a = static_cast<uint64_t>(o.mem.displacement);
    if (o.mem.base != ZYDIS_REGISTER_NONE) a += c.regs.gpr[o.mem.base - ZYDIS_REGISTER_RAX];
    if (o.mem.index != ZYDIS_REGISTER_NONE) a += c.regs.gpr[o.mem.index - ZYDIS_REGISTER_RAX] * o.mem.scale;
    return a;
}

void poke(Case& c, uint64_t data_base, uint64_t address, uint64_t value, unsigned bytes) {
    std::memcpy(&c.memory[address - data_base], &value, bytes);
}

uint64_t peek(const Case& c, uint64_t data_base, uint64_t address, unsigned bytes) {
    uint64_t v = 0;
    std::memcpy(&v, &c.memory[address - data_base], bytes);
    return v;
}

DIFFERENTIAL_FAMILY(ExchangesAndAtomics) {
    for (unsigned size : kSizes) {
        t.form(fmt::format("xchg{} r,r", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            unsigned a, b;
            const ZydisRegister ra = pick_reg(g, size, a), rb = pick_reg(g, size, b);
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_XCHG, {reg_op(ra), reg_op(rb)}});
        });
        t.form(fmt::format("xchg{} m,r", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            unsigned a;
            const ZydisRegister ra = pick_reg(g, size, a);
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_XCHG, {g.memory(c, size), reg_op(ra)}});
        });
        for (int variant = 0; variant < 3; ++variant) {  // r,r  m,r  lock m,r
            static constexpr const char* kNames[] = {"r,r", "m,r", "lock m,r"};
            t.form(fmt::format("xadd{} {}", size_name(size), kNames[variant]), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh();
                unsigned a, b;
                const ZydisRegister rb = pick_reg(g, size, b);
                EncodeRequest r{ZYDIS_MNEMONIC_XADD, {variant ? g.memory(c, size) : reg_op(pick_reg(g, size, a)), reg_op(rb)}};
                if (variant == 2) r.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
                return finish(c, r);
            });
            t.form(fmt::format("cmpxchg{} {}", size_name(size), kNames[variant]), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh();
                unsigned a, b;
                const ZydisRegister rb = pick_reg(g, size, b, 1u << kRax);
                ZydisEncoderOperand dst;
                if (variant) {
                    dst = g.memory(c, size, 1u << kRax);
                    if (g.chance(50)) poke(c, g.data_base(), address_of(c, dst), c.regs.gpr[kRax], size);
                } else {
                    const ZydisRegister ra = pick_reg(g, size, a);
                    dst = reg_op(ra);
                    if (g.chance(50) && ra >= ZYDIS_REGISTER_AX) c.regs.gpr[kRax] = c.regs.gpr[a];
                }
                EncodeRequest r{ZYDIS_MNEMONIC_CMPXCHG, {dst, reg_op(rb)}};
                if (variant == 2) r.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
                return finish(c, r);
            });
        }
    }
    for (bool sixteen : {false, true})
        for (bool lock : {false, true})
            t.form(fmt::format("{}cmpxchg{}b", lock ? "lock " : "", sixteen ? 16 : 8), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh();
                const uint32_t avoid = (1u << kRax) | (1u << kRbx) | (1u << kRcx) | (1u << kRdx);
                // Misaligned CMPXCHG16B is #GP(0): a tenth of the cases check that.
                const ZydisEncoderOperand m = g.memory(c, sixteen ? 16 : 8, avoid, sixteen && g.chance(90) ? 16 : 1);
                const uint64_t a = address_of(c, m);
                if (g.chance(50)) {
                    if (sixteen) {
                        if (a + 16 <= g.data_base() + NativeRunner::kDataBytes) {
                            poke(c, g.data_base(), a, c.regs.gpr[kRax], 8);
                            poke(c, g.data_base(), a + 8, c.regs.gpr[kRdx], 8);
                        }
                    } else {
                        poke(c, g.data_base(), a, (c.regs.gpr[kRdx] << 32) | (c.regs.gpr[kRax] & 0xFFFF'FFFF), 8);
                    }
                }
                EncodeRequest r{sixteen ? ZYDIS_MNEMONIC_CMPXCHG16B : ZYDIS_MNEMONIC_CMPXCHG8B, {m}};
                if (lock) r.prefixes = ZYDIS_ATTRIB_HAS_LOCK;
                return finish(c, r);
            });
}

DIFFERENTIAL_FAMILY(Stack) {
    for (unsigned size : {2u, 8u}) {
        const ZydisOperandSizeHint hint = size == 2 ? ZYDIS_OPERAND_SIZE_HINT_16 : ZYDIS_OPERAND_SIZE_HINT_64;
        t.form(fmt::format("push r{}", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_PUSH, {reg_op(gpr(g.reg_id(), size))}});
        });
        t.form(fmt::format("push imm ({}-bit)", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            const uint64_t v = g.chance(50) ? sext(g.below(256), 1) : sext(g.value(size == 2 ? 2 : 4), size == 2 ? 2 : 4);
            EncodeRequest r{ZYDIS_MNEMONIC_PUSH, {imm_op(v)}};
            r.size_hint = hint;
            return finish(c, r);
        });
        t.form(fmt::format("push m{}", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_PUSH, {g.memory(c, size)}});
        });
        t.form(fmt::format("pop r{}", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_POP, {reg_op(gpr(g.reg_id(), size))}});
        });
        t.form(fmt::format("pop m{}", size_name(size)), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            return finish(c, EncodeRequest{ZYDIS_MNEMONIC_POP, {g.memory(c, size)}});
        });
    }
    t.form("pop [rsp+disp]", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        const int64_t disp = static_cast<int64_t>(g.below(64)) - 32;
        return finish(c, EncodeRequest{ZYDIS_MNEMONIC_POP, {mem_op(ZYDIS_REGISTER_RSP, ZYDIS_REGISTER_NONE, 0, disp, 8)}});
    });
    t.form("push rsp; pop rsp", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        c.code = {0x54, 0x48, 0x83, 0x04, 0x24, 0x08, 0x5C};  // push rsp; add qword [rsp], 8; pop rsp
        return c;
    });
    t.form("enter", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        c.regs.gpr[kRbp] = g.data_base() + 1024 + g.below(2048);
        EncodeRequest r{ZYDIS_MNEMONIC_ENTER, {imm_op(g.below(4) * 8 + g.below(2) * g.below(300)), imm_op(g.below(5))}};
        return finish(c, r);
    });
    t.form("leave", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        c.regs.gpr[kRbp] = g.data_base() + 1024 + g.below(2048);
        return finish(c, EncodeRequest{ZYDIS_MNEMONIC_LEAVE, {}});
    });
    t.form("pushfq", [=](Generator& g) -> std::optional<Case> { return finish(g.fresh(true), EncodeRequest{ZYDIS_MNEMONIC_PUSHFQ, {}}); });
    t.form("popfq", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        // Any user-writable flags but TF and AC (single-step and alignment traps).
        const uint64_t v = g.value() & ~(rflags::kTF | rflags::kAC | rflags::kNT);
        poke(c, g.data_base(), c.regs.gpr[kRsp], v, 8);
        return finish(c, EncodeRequest{ZYDIS_MNEMONIC_POPFQ, {}});
    });
}

DIFFERENTIAL_FAMILY(Strings) {
    struct S { ZydisMnemonic m; unsigned size; };
    const S ops[] = {
        {ZYDIS_MNEMONIC_MOVSB, 1}, {ZYDIS_MNEMONIC_MOVSW, 2}, {ZYDIS_MNEMONIC_MOVSD, 4}, {ZYDIS_MNEMONIC_MOVSQ, 8},
        {ZYDIS_MNEMONIC_STOSB, 1}, {ZYDIS_MNEMONIC_STOSW, 2}, {ZYDIS_MNEMONIC_STOSD, 4}, {ZYDIS_MNEMONIC_STOSQ, 8},
        {ZYDIS_MNEMONIC_LODSB, 1}, {ZYDIS_MNEMONIC_LODSW, 2}, {ZYDIS_MNEMONIC_LODSD, 4}, {ZYDIS_MNEMONIC_LODSQ, 8},
        {ZYDIS_MNEMONIC_CMPSB, 1}, {ZYDIS_MNEMONIC_CMPSW, 2}, {ZYDIS_MNEMONIC_CMPSD, 4}, {ZYDIS_MNEMONIC_CMPSQ, 8},
        {ZYDIS_MNEMONIC_SCASB, 1}, {ZYDIS_MNEMONIC_SCASW, 2}, {ZYDIS_MNEMONIC_SCASD, 4}, {ZYDIS_MNEMONIC_SCASQ, 8},
    };
    for (const S& s : ops)
        for (int rep = 0; rep < 3; ++rep) {  // none, F3 (REP/REPE), F2 (REPNE)
            const bool compares = s.m >= ZYDIS_MNEMONIC_CMPSB && s.m <= ZYDIS_MNEMONIC_CMPSW
                                      ? true
                                      : (s.m == ZYDIS_MNEMONIC_SCASB || s.m == ZYDIS_MNEMONIC_SCASW || s.m == ZYDIS_MNEMONIC_SCASD ||
                                         s.m == ZYDIS_MNEMONIC_SCASQ || s.m == ZYDIS_MNEMONIC_CMPSQ || s.m == ZYDIS_MNEMONIC_CMPSD);
            if (rep == 2 && !compares) continue;
            t.form(fmt::format("{}{}", rep == 0 ? "" : rep == 1 ? (compares ? "repe " : "rep ") : "repne ", ZydisMnemonicGetString(s.m)),
                 [=](Generator& g) -> std::optional<Case> {
                     Case c = g.fresh(true);
                     const uint64_t lo = g.data_base() + 700, span = NativeRunner::kDataBytes - 1400;
                     c.regs.gpr[kRsi] = lo + g.below(span);
                     c.regs.gpr[kRdi] = g.chance(25) ? c.regs.gpr[kRsi] + g.below(24) - 12 : lo + g.below(span);
                     c.regs.gpr[kRcx] = g.chance(10) ? 0 : g.below(70);
                     if (compares && g.chance(60)) {
                         // Equal runs, so REPE goes on for a while; make AL..RAX match for SCAS.
                         const bool down = c.regs.rflags & rflags::kDF;
                         const uint64_t n = g.below(70);
                         for (uint64_t k = 0; k < n; ++k) {
                             const uint64_t off = down ? 0 - k * s.size : k * s.size;
                             const uint64_t from = c.regs.gpr[kRsi] + off, to = c.regs.gpr[kRdi] + off;
                             if (s.m >= ZYDIS_MNEMONIC_SCASB && s.m <= ZYDIS_MNEMONIC_SCASW)
                                 poke(c, g.data_base(), to, c.regs.gpr[kRax], s.size);
                             else if (s.m == ZYDIS_MNEMONIC_SCASQ || s.m == ZYDIS_MNEMONIC_SCASD)
                                 poke(c, g.data_base(), to, c.regs.gpr[kRax], s.size);
                             else
                                 poke(c, g.data_base(), to, peek(c, g.data_base(), from, s.size), s.size);
                         }
                     }
                     // A page-boundary case now and then.
                     if (g.chance(10)) c.regs.gpr[kRdi] = g.data_base() + 4096 - g.below(40);
                     EncodeRequest r{s.m, {}};
                     if (rep == 1) r.prefixes = compares ? ZYDIS_ATTRIB_HAS_REPE : ZYDIS_ATTRIB_HAS_REP;
                     if (rep == 2) r.prefixes = ZYDIS_ATTRIB_HAS_REPNE;
                     return finish(c, r);
                 });
        }
}

// Control flow: small sequences whose result depends on the path taken.
DIFFERENTIAL_FAMILY(Branches) {
    // Jcc over "mov eax, imm32", short and near forms, every condition.
    for (unsigned cc = 0; cc < 16; ++cc)
        for (bool near : {false, true})
            t.form(fmt::format("j{:x} {}", cc, near ? "rel32" : "rel8"), [=](Generator& g) -> std::optional<Case> {
                Case c = g.fresh();
                std::vector<uint8_t> code;
                if (near) code = {0x0F, static_cast<uint8_t>(0x80 | cc), 5, 0, 0, 0};
                else code = {static_cast<uint8_t>(0x70 | cc), 5};
                for (uint8_t b : {uint8_t{0xB8}, uint8_t{0x11}, uint8_t{0x22}, uint8_t{0x33}, uint8_t{0x44}}) code.push_back(b);
                c.code = code;
                return c;
            });
    t.form("jmp rel8/rel32", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        c.code = g.chance(50) ? std::vector<uint8_t>{0xEB, 5, 0xB8, 1, 2, 3, 4} : std::vector<uint8_t>{0xE9, 5, 0, 0, 0, 0xB8, 1, 2, 3, 4};
        return c;
    });
    t.form("jmp r64 / m64", [=, &t](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        // lea rax, [rip+5]; jmp rax (2 bytes) or jmp [mem] (holding the address); mov eax, imm32
        const unsigned id = g.reg_id(1u << kRsp);
        if (g.chance(50)) {
            c.regs.gpr[id] = t.h().code_base() + 3 + 5;
            c.code = {static_cast<uint8_t>(id >= 8 ? 0x41 : 0x40), 0xFF, static_cast<uint8_t>(0xE0 | (id & 7)), 0xB8, 1, 2, 3, 4};
            return c;
        }
        const ZydisEncoderOperand m = g.memory(c, 8);
        auto bytes = encode(EncodeRequest{ZYDIS_MNEMONIC_JMP, {m}});
        if (!bytes) return std::nullopt;
        const uint64_t target = t.h().code_base() + bytes->size() + 5;
        if (address_of(c, m) + 8 > g.data_base() + NativeRunner::kDataBytes) return std::nullopt;
        poke(c, g.data_base(), address_of(c, m), target, 8);
        c.code = *bytes;
        c.code.insert(c.code.end(), {0xB8, 1, 2, 3, 4});
        return c;
    });
    t.form("call rel32; pop", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        c.code = {0xE8, 5, 0, 0, 0, 0xB8, 1, 2, 3, 4, 0x59};  // call +5; mov eax,..; pop rcx
        return c;
    });
    t.form("call r64; pop", [=, &t](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        const unsigned id = g.reg_id(1u << kRsp);
        c.regs.gpr[id] = t.h().code_base() + 3 + 5;  // after "call reg" and "mov eax, imm32"
        c.code = {static_cast<uint8_t>(id >= 8 ? 0x41 : 0x40), 0xFF, static_cast<uint8_t>(0xD0 | (id & 7)), 0xB8, 1, 2, 3, 4, 0x5A};
        return c;
    });
    t.form("lea; push; ret / ret imm16", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        // lea rax, [rip+N]; push rax; (push rax)*k; ret imm16 -> the end
        const bool imm = g.chance(50);
        const uint8_t extra = imm ? static_cast<uint8_t>(g.below(4)) : 0;
        c.code = {0x48, 0x8D, 0x05, 0, 0, 0, 0};
        for (unsigned k = 0; k < extra; ++k) c.code.push_back(0x51);
        c.code.push_back(0x50);
        if (imm) c.code.insert(c.code.end(), {0xC2, static_cast<uint8_t>(8 * extra), 0});
        else c.code.push_back(0xC3);
        c.code[3] = static_cast<uint8_t>(c.code.size() - 7);  // RIP after LEA + this = the end
        return c;
    });
    for (uint8_t op : {uint8_t{0xE2}, uint8_t{0xE1}, uint8_t{0xE0}})  // loop, loope, loopne: count down over "inc edx; cmp edx, ebx"
        t.form(fmt::format("loop{:x}", op), [=](Generator& g) -> std::optional<Case> {
            Case c = g.fresh();
            c.regs.gpr[kRcx] = 1 + g.below(20);
            c.regs.gpr[kRdx] = g.below(8);
            c.regs.gpr[kRbx] = g.below(16);
            c.code = {0xFF, 0xC2, 0x39, 0xDA, op, static_cast<uint8_t>(-6)};
            return c;
        });
    t.form("jrcxz", [=](Generator& g) -> std::optional<Case> {
        Case c = g.fresh();
        if (g.chance(50)) c.regs.gpr[kRcx] = 0;
        c.code = {0xE3, 5, 0xB8, 1, 2, 3, 4};
        return c;
    });
}

DIFFERENTIAL_FAMILY(FlagInstructionsAndNops) {
    const std::pair<std::vector<uint8_t>, const char*> one_liners[] = {
        {{0xF8}, "clc"}, {{0xF9}, "stc"}, {{0xF5}, "cmc"}, {{0xFC}, "cld"}, {{0xFD}, "std"},
        {{0x9F}, "lahf"}, {{0x9E}, "sahf"}, {{0x90}, "nop"}, {{0x66, 0x90}, "xchg ax,ax"},
        {{0x0F, 0x1F, 0x44, 0x00, 0x00}, "nop dword [rax+rax]"}, {{0x66, 0x0F, 0x1F, 0x84, 0, 0, 0, 0, 0}, "nopw"},
        {{0xF3, 0x90}, "pause"}, {{0xF3, 0x0F, 0x1E, 0xFA}, "endbr64"}, {{0x0F, 0x18, 0x08}, "prefetcht0 [rax]"},
        {{0x0F, 0xAE, 0xF0}, "mfence"}, {{0x87, 0xC0}, "xchg eax,eax"},
    };
    for (const auto& [code, name] : one_liners)
        t.form(name, [code = code](Generator& g) -> std::optional<Case> {
            Case c = g.fresh(true);
            c.code = code;
            return c;
        });
}

}  // namespace
}  // namespace simx::test
