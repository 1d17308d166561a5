// The interface between the decoder and the instruction semantics: the decoder
// (sim/cpu/decoder.cpp, the only file that knows Zydis) describes an
// instruction's operands as an InsnView, fills the Insn's operand fields, and
// asks the family's binder to pick the handler for that exact form. A binder
// returns false for a form it does not implement; the instruction then raises
// #UD with a log line.
#pragma once

#include <cstdint>

#include "sim/cpu/insn.h"

namespace simx {

struct OperandView {
    enum class Kind : uint8_t { kNone, kReg, kMem, kImm };
    Kind kind = Kind::kNone;
    uint8_t size = 0;    // bytes
    bool gpr = false;    // kReg: a general-purpose register (reg is valid)
    uint8_t reg = 0;     // kReg: byte offset into the register file
    uint64_t imm = 0;    // kImm: the value, sign-extended if the encoding is signed
};

struct InsnView {
    uint8_t length = 0;
    uint8_t opsize = 0;     // effective operand size in bytes
    uint8_t addrsize = 8;   // effective address size in bytes
    uint8_t opcode = 0;     // last opcode byte (Jcc/SETcc/CMOVcc carry the condition in bits 3:0)
    bool lock = false;
    bool rep = false;       // F3 (REP/REPE)
    bool repne = false;     // F2
    uint8_t count = 0;      // visible operands
    OperandView op[4];

    bool is(unsigned n, OperandView::Kind k) const { return count > n && op[n].kind == k; }
    bool reg(unsigned n) const { return is(n, OperandView::Kind::kReg) && op[n].gpr; }
    bool mem(unsigned n) const { return is(n, OperandView::Kind::kMem); }
    bool imm(unsigned n) const { return is(n, OperandView::Kind::kImm); }
};

// Dispatch records (not instructions): they end decoded runs.
const Insn* op_continue(Core& c, const Insn* i);   // look RIP up again
const Insn* op_cross(Core& c, const Insn* i);      // the instruction at RIP ends on the next page
const Insn* op_undefined(Core& c, const Insn* i);  // #UD with a log line (imm: UndefinedInsn*)

// Arithmetic and logic (ops_alu.cpp).
enum class AluOp : uint8_t { kAdd, kOr, kAdc, kSbb, kAnd, kSub, kXor, kCmp, kTest, kMov };
bool bind_alu(const InsnView& v, AluOp op, Insn& out);
enum class UnaryOp : uint8_t { kInc, kDec, kNot, kNeg };
bool bind_unary(const InsnView& v, UnaryOp op, Insn& out);

// Moves that are not ALU forms (ops_move.cpp).
bool bind_extend(const InsnView& v, bool sign, Insn& out);  // MOVZX, MOVSX, MOVSXD
bool bind_lea(const InsnView& v, Insn& out);
bool bind_cmovcc(const InsnView& v, Insn& out);
bool bind_setcc(const InsnView& v, Insn& out);
bool bind_bswap(const InsnView& v, Insn& out);
enum class ConvertOp : uint8_t { kCbw, kCwde, kCdqe, kCwd, kCdq, kCqo };
bool bind_convert(ConvertOp op, Insn& out);

// Shifts and rotates (ops_shift.cpp).
enum class ShiftOp : uint8_t { kRol, kRor, kRcl, kRcr, kShl, kShr, kSar };
bool bind_shift(const InsnView& v, ShiftOp op, Insn& out);
bool bind_shift_double(const InsnView& v, bool left, Insn& out);  // SHLD, SHRD

// Multiply and divide (ops_muldiv.cpp).
enum class MulDivOp : uint8_t { kMul, kImul, kDiv, kIdiv };
bool bind_muldiv(const InsnView& v, MulDivOp op, Insn& out);

// Bit tests and scans (ops_bits.cpp).
enum class BitTestOp : uint8_t { kBt, kBts, kBtr, kBtc };
bool bind_bit_test(const InsnView& v, BitTestOp op, Insn& out);
enum class BitScanOp : uint8_t { kBsf, kBsr, kPopcnt, kLzcnt };
bool bind_bit_scan(const InsnView& v, BitScanOp op, Insn& out);

// Exchanges and atomics (ops_atomic.cpp).
bool bind_xchg(const InsnView& v, Insn& out);
bool bind_xadd(const InsnView& v, Insn& out);
bool bind_cmpxchg(const InsnView& v, Insn& out);
bool bind_cmpxchg_wide(const InsnView& v, bool sixteen, Insn& out);  // CMPXCHG8B, CMPXCHG16B

// Branches (ops_branch.cpp).
bool bind_jcc(const InsnView& v, Insn& out);
bool bind_jmp(const InsnView& v, Insn& out);
bool bind_call(const InsnView& v, Insn& out);
bool bind_ret(const InsnView& v, Insn& out);
enum class LoopOp : uint8_t { kLoop, kLoope, kLoopne, kJrcxz };
bool bind_loop(const InsnView& v, LoopOp op, Insn& out);

// The stack (ops_stack.cpp).
bool bind_push(const InsnView& v, Insn& out);
bool bind_pop(const InsnView& v, Insn& out);
bool bind_enter(const InsnView& v, Insn& out);
bool bind_leave(const InsnView& v, Insn& out);
bool bind_pushf(const InsnView& v, Insn& out);
bool bind_popf(const InsnView& v, Insn& out);

// String instructions (ops_string.cpp).
enum class StringOp : uint8_t { kMovs, kStos, kLods, kCmps, kScas };
bool bind_string(const InsnView& v, StringOp op, unsigned size, Insn& out);

// Flags, NOPs and the instructions that leave the interpreter (ops_system.cpp).
enum class FlagOp : uint8_t { kClc, kStc, kCmc, kCld, kStd, kLahf, kSahf };
bool bind_flag_op(FlagOp op, Insn& out);
bool bind_nop(Insn& out);
bool bind_cpuid(Insn& out);
bool bind_rdtsc(Insn& out);
bool bind_syscall(Insn& out);
bool bind_hlt(Insn& out);
bool bind_ud2(Insn& out);
bool bind_int3(Insn& out);

}  // namespace simx
