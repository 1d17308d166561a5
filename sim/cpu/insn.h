// The decoded form of one instruction, as the interpreter's hot loop sees it:
// Zydis is consulted once, when a code page's instructions are first decoded
// (sim/cpu/decoder.cpp); afterwards an instruction is this 32-byte record whose
// handler implements it for exactly its operand size and form.
//
// Register operands are stored as *byte offsets* into the register file
// (Core::r), so AH..BH (offset 8n+1) and the low registers need no branches,
// and a missing base or index register points at the always-zero slot 16.
#pragma once

#include <cstdint>

namespace simx {

class Core;
struct Insn;

// Executes `insn` and returns the next instruction to run (insn + 1 when it
// falls through within its decoded run, else whatever Core::jump() finds).
// Faults are raised with Core::raise(), which does not return.
using Handler = const Insn* (*)(Core& core, const Insn* insn);

// Classes an instruction's base cost is charged by (CpuConfig), and the
// per-class counters cpu.class.* report. kInternal marks the dispatch records
// that end a decoded run: they retire nothing and cost nothing.
enum class InsnClass : uint8_t {
    kInternal,
    kAlu,          // integer arithmetic/logic, moves, LEA, SETcc, CMOVcc, flag ops, NOPs
    kBranch,       // JMP, Jcc, CALL, RET, LOOP
    kStack,        // PUSH, POP, ENTER, LEAVE, PUSHF, POPF
    kMul,
    kDiv32,        // DIV/IDIV with an 8/16/32-bit divisor
    kDiv64,
    kRotateCarry,  // RCL/RCR
    kShiftDouble,  // SHLD/SHRD
    kBitScan,      // BSF/BSR/POPCNT/LZCNT
    kLocked,       // LOCK-prefixed read-modify-write, XCHG with memory, CMPXCHG8B/16B
    kString,       // MOVS/STOS/LODS/CMPS/SCAS (REP: charged per cache line moved)
    kCpuid,
    kRdtsc,
    kSystem,       // SYSCALL, HLT, UD2, INT3
    kCount,
};
inline constexpr unsigned kInsnClassCount = static_cast<unsigned>(InsnClass::kCount);
const char* insn_class_name(InsnClass c);

// Register-file slots (Core::r): the 16 GPRs, then a slot that is always 0.
inline constexpr uint8_t kZeroReg = 16;
constexpr uint8_t reg_offset(unsigned gpr) { return static_cast<uint8_t>(gpr * 8); }
// Byte offset of AH, CH, DH, BH (encodings 4..7 without REX).
constexpr uint8_t high_byte_offset(unsigned gpr) { return static_cast<uint8_t>(gpr * 8 + 1); }

// Memory-operand modifiers; any non-zero value sends the effective-address
// computation down its slow path (Core::ea_modified).
namespace memflag {
inline constexpr uint8_t kRipRelative = 1u << 0;
inline constexpr uint8_t kFs = 1u << 1;
inline constexpr uint8_t kGs = 1u << 2;
inline constexpr uint8_t kAddr32 = 1u << 3;   // 0x67: 32-bit address size
}  // namespace memflag

struct Insn {
    Handler fn = nullptr;
    uint64_t imm = 0;      // immediate (sign-extended), branch displacement, or handler data
    int32_t disp = 0;      // memory displacement
    uint8_t len = 0;       // instruction length in bytes
    uint8_t dst = 0;       // register operand: byte offset into Core::r
    uint8_t src = 0;       // second register operand: byte offset into Core::r
    uint8_t base = kZeroReg;   // memory base: register slot (kZeroReg = none)
    uint8_t index = kZeroReg;  // memory index: register slot (kZeroReg = none)
    uint8_t scale = 0;     // log2 of the index scale
    uint8_t mflags = 0;    // memflag::*
    uint8_t stack = 0;     // 1 if the memory operand is SS-relative (#SS, not #GP, when non-canonical)
    InsnClass cls = InsnClass::kAlu;
    uint8_t retires = 1;   // 0 for dispatch records
    uint8_t aux = 0;       // handler data: condition code, count, nesting level...
    uint8_t aux2 = 0;
};
static_assert(sizeof(Insn) == 32, "two decoded instructions per cache line");

}  // namespace simx
