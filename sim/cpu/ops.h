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
    bool xmm = false;    // kReg: XMM0-15 (reg is the register number)
    bool st = false;     // kReg: x87 ST(i) (reg is i)
    bool mmx = false;    // kReg: MM0-7 (reg is the register number)
    uint8_t reg = 0;     // kReg: byte offset into the register file, or the XMM number
    uint64_t imm = 0;    // kImm: the value, sign-extended if the encoding is signed
};

struct InsnView {
    uint8_t length = 0;
    uint8_t opsize = 0;     // effective operand size in bytes
    uint8_t addrsize = 8;   // effective address size in bytes
    uint8_t opcode = 0;     // last opcode byte (Jcc/SETcc/CMOVcc carry the condition in bits 3:0)
    uint8_t modrm = 0;      // the ModR/M byte (0 if none); the x87 FOP is opcode[2:0]:modrm
    bool lock = false;
    bool rep = false;       // F3 (REP/REPE)
    bool repne = false;     // F2
    uint8_t count = 0;      // visible operands
    OperandView op[4];

    bool is(unsigned n, OperandView::Kind k) const { return count > n && op[n].kind == k; }
    bool reg(unsigned n) const { return is(n, OperandView::Kind::kReg) && op[n].gpr; }
    bool xmm(unsigned n) const { return is(n, OperandView::Kind::kReg) && op[n].xmm; }
    bool st(unsigned n) const { return is(n, OperandView::Kind::kReg) && op[n].st; }
    bool mm(unsigned n) const { return is(n, OperandView::Kind::kReg) && op[n].mmx; }
    bool any_mm() const {
        for (unsigned n = 0; n < count; ++n)
            if (mm(n)) return true;
        return false;
    }
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

// ---- SSE/SSE2 (ops_sse_*.cpp) -------------------------------------------------
// Two-operand xmm, xmm/m forms computed by the host's own instruction (the
// third field: 1 = floating point, run under the guest's MXCSR).
#define SIMX_SSE_BINARY_OPS(X)                                                                              \
    X(PADDB, paddb, 0) X(PADDW, paddw, 0) X(PADDD, paddd, 0) X(PADDQ, paddq, 0) X(PSUBB, psubb, 0)            \
    X(PSUBW, psubw, 0) X(PSUBD, psubd, 0) X(PSUBQ, psubq, 0) X(PADDSB, paddsb, 0) X(PADDSW, paddsw, 0)        \
    X(PADDUSB, paddusb, 0) X(PADDUSW, paddusw, 0) X(PSUBSB, psubsb, 0) X(PSUBSW, psubsw, 0)                 \
    X(PSUBUSB, psubusb, 0) X(PSUBUSW, psubusw, 0) X(PCMPEQB, pcmpeqb, 0) X(PCMPEQW, pcmpeqw, 0)             \
    X(PCMPEQD, pcmpeqd, 0) X(PCMPGTB, pcmpgtb, 0) X(PCMPGTW, pcmpgtw, 0) X(PCMPGTD, pcmpgtd, 0)             \
    X(PMINUB, pminub, 0) X(PMAXUB, pmaxub, 0) X(PMINSW, pminsw, 0) X(PMAXSW, pmaxsw, 0) X(PAVGB, pavgb, 0)   \
    X(PAVGW, pavgw, 0) X(PSADBW, psadbw, 0) X(PMULLW, pmullw, 0) X(PMULHW, pmulhw, 0)                       \
    X(PMULHUW, pmulhuw, 0) X(PMULUDQ, pmuludq, 0) X(PMADDWD, pmaddwd, 0) X(PAND, pand, 0)                   \
    X(PANDN, pandn, 0) X(POR, por, 0) X(PXOR, pxor, 0) X(ANDPS, andps, 0) X(ANDNPS, andnps, 0)              \
    X(ORPS, orps, 0) X(XORPS, xorps, 0) X(ANDPD, andpd, 0) X(ANDNPD, andnpd, 0) X(ORPD, orpd, 0)            \
    X(XORPD, xorpd, 0) X(PSLLW, psllw, 0) X(PSLLD, pslld, 0) X(PSLLQ, psllq, 0) X(PSRLW, psrlw, 0)          \
    X(PSRLD, psrld, 0) X(PSRLQ, psrlq, 0) X(PSRAW, psraw, 0) X(PSRAD, psrad, 0)                             \
    X(PUNPCKLBW, punpcklbw, 0) X(PUNPCKLWD, punpcklwd, 0) X(PUNPCKLDQ, punpckldq, 0)                        \
    X(PUNPCKLQDQ, punpcklqdq, 0) X(PUNPCKHBW, punpckhbw, 0) X(PUNPCKHWD, punpckhwd, 0)                      \
    X(PUNPCKHDQ, punpckhdq, 0) X(PUNPCKHQDQ, punpckhqdq, 0) X(PACKSSWB, packsswb, 0)                        \
    X(PACKSSDW, packssdw, 0) X(PACKUSWB, packuswb, 0) X(UNPCKLPS, unpcklps, 0) X(UNPCKHPS, unpckhps, 0)     \
    X(UNPCKLPD, unpcklpd, 0) X(UNPCKHPD, unpckhpd, 0)                                                       \
    X(ADDPS, addps, 1) X(ADDPD, addpd, 1) X(ADDSS, addss, 1) X(ADDSD, addsd, 1) X(SUBPS, subps, 1)          \
    X(SUBPD, subpd, 1) X(SUBSS, subss, 1) X(SUBSD, subsd, 1) X(MULPS, mulps, 1) X(MULPD, mulpd, 1)          \
    X(MULSS, mulss, 1) X(MULSD, mulsd, 1) X(DIVPS, divps, 1) X(DIVPD, divpd, 1) X(DIVSS, divss, 1)          \
    X(DIVSD, divsd, 1) X(MINPS, minps, 1) X(MINPD, minpd, 1) X(MINSS, minss, 1) X(MINSD, minsd, 1)          \
    X(MAXPS, maxps, 1) X(MAXPD, maxpd, 1) X(MAXSS, maxss, 1) X(MAXSD, maxsd, 1) X(SQRTPS, sqrtps, 1)        \
    X(SQRTPD, sqrtpd, 1) X(SQRTSS, sqrtss, 1) X(SQRTSD, sqrtsd, 1) X(CVTSS2SD, cvtss2sd, 1)                 \
    X(CVTSD2SS, cvtsd2ss, 1) X(CVTDQ2PS, cvtdq2ps, 1) X(CVTPS2DQ, cvtps2dq, 1) X(CVTTPS2DQ, cvttps2dq, 1)   \
    X(CVTDQ2PD, cvtdq2pd, 1) X(CVTPD2DQ, cvtpd2dq, 1) X(CVTTPD2DQ, cvttpd2dq, 1) X(CVTPS2PD, cvtps2pd, 1)   \
    X(CVTPD2PS, cvtpd2ps, 1) X(RCPPS, rcpps, 1) X(RCPSS, rcpss, 1) X(RSQRTPS, rsqrtps, 1)                   \
    X(RSQRTSS, rsqrtss, 1)

enum class SseBinary : uint16_t {
#define SIMX_X(U, l, fp) l,
    SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X
};
bool bind_sse_binary(const InsnView& v, SseBinary op, Insn& out);  // ops_sse_arith.cpp

// Data movement and MXCSR (ops_sse_move.cpp).
enum class SseMove : uint8_t {
    kMovAligned,    // MOVAPS/MOVAPD/MOVDQA
    kMovUnaligned,  // MOVUPS/MOVUPD/MOVDQU
    kMovss, kMovsd, kMovd, kMovq, kMovlp, kMovhp, kMovhlps, kMovlhps,
    kMovmskps, kMovmskpd, kPmovmskb,
    kMovntAligned,  // MOVNTDQ/MOVNTPS/MOVNTPD: a plain aligned store
    kMovnti,
    kLdmxcsr, kStmxcsr,
};
bool bind_sse_move(const InsnView& v, SseMove op, Insn& out);

// Immediate-controlled shuffles and shifts, PEXTRW/PINSRW (ops_sse_shuffle.cpp).
enum class SseShuffle : uint8_t {
    kPshufd, kPshuflw, kPshufhw, kShufps, kShufpd, kPslldq, kPsrldq,
    kPsllw, kPslld, kPsllq, kPsrlw, kPsrld, kPsrlq, kPsraw, kPsrad,  // by imm8 (the xmm forms are SseBinary)
    kPextrw, kPinsrw,
};
bool bind_sse_shuffle(const InsnView& v, SseShuffle op, Insn& out);

// Compares and conversions that touch GPRs or RFLAGS (ops_sse_convert.cpp).
enum class SseConvert : uint8_t {
    kCmpps, kCmppd, kCmpss, kCmpsd,
    kUcomiss, kUcomisd, kComiss, kComisd,
    kCvtsi2ss, kCvtsi2sd, kCvtss2si, kCvtsd2si, kCvttss2si, kCvttsd2si,
};
bool bind_sse_convert(const InsnView& v, SseConvert op, Insn& out);

// ---- x87 (ops_x87.cpp) ------------------------------------------------------------
#define SIMX_X87_OPS(X)                                                                                   \
    X(F2XM1) X(FABS) X(FCHS) X(FCOMPP) X(FCOS) X(FDECSTP) X(FINCSTP) X(FLD1) X(FLDL2E) X(FLDL2T) X(FLDLG2)     \
    X(FLDLN2) X(FLDPI) X(FLDZ) X(FNCLEX) X(FNINIT) X(FNOP) X(FPATAN) X(FPREM) X(FPREM1) X(FPTAN) X(FRNDINT)   \
    X(FSCALE) X(FSIN) X(FSINCOS) X(FSQRT) X(FTST) X(FUCOMPP) X(FXAM) X(FXTRACT) X(FYL2X) X(FYL2XP1) X(FWAIT)  \
    X(FLD) X(FST) X(FSTP) X(FILD) X(FIST) X(FISTP) X(FADD) X(FSUB) X(FSUBR) X(FMUL) X(FDIV) X(FDIVR) X(FCOM)  \
    X(FCOMP) X(FIADD) X(FISUB) X(FISUBR) X(FIMUL) X(FIDIV) X(FIDIVR) X(FICOM) X(FICOMP) X(FLDCW) X(FNSTCW)    \
    X(FNSTSW) X(FXCH) X(FUCOM) X(FUCOMP) X(FFREE) X(FCOMI) X(FCOMIP) X(FUCOMI) X(FUCOMIP) X(FCMOVB)          \
    X(FCMOVE) X(FCMOVBE) X(FCMOVU) X(FCMOVNB) X(FCMOVNE) X(FCMOVNBE) X(FCMOVNU) X(FADDP) X(FSUBP) X(FSUBRP)  \
    X(FMULP) X(FDIVP) X(FDIVRP)

enum class X87Op : uint8_t {
#define SIMX_X(U) U,
    SIMX_X87_OPS(SIMX_X)
#undef SIMX_X
};
bool bind_x87(const InsnView& v, X87Op op, Insn& out);
// FXSAVE/FXRSTOR, REX.W or not (ops_fxsave.cpp).
bool bind_fxsave(const InsnView& v, bool restore, bool rex, Insn& out);
// MMX-register forms (ops_mmx.cpp): the integer SSE2 two-operand ops on
// mm, mm/m64 (floating-point ones have no MMX form), shifts by imm8, MOVD/MOVQ
// to and from MM registers, the SSE additions on MM registers, EMMS.
bool bind_mmx_binary(const InsnView& v, SseBinary op, Insn& out);
bool bind_mmx_move(const InsnView& v, bool quad, Insn& out);  // MOVD (false) / MOVQ (true)
enum class MmxOther : uint8_t { kPshufw, kPextrw, kPinsrw, kPmovmskb, kMovntq, kMovq2dq, kMovdq2q };
bool bind_mmx_other(const InsnView& v, MmxOther op, Insn& out);
bool bind_emms(Insn& out);
// FNSTENV/FLDENV/FNSAVE/FRSTOR, 28- and 108-byte formats (ops_x87_env.cpp).
enum class X87Env : uint8_t { kFnstenv, kFldenv, kFnsave, kFrstor };
bool bind_x87_env(const InsnView& v, X87Env op, Insn& out);

}  // namespace simx
