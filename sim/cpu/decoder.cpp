// The only file that knows Zydis: it turns Zydis's decoded instruction into an
// InsnView, fills the Insn's memory operand, and hands the mnemonic to the
// family binder (sim/cpu/ops.h). Zydis validates encodings (LOCK on a
// non-lockable instruction or a register destination is "illegal lock" and
// decodes as invalid, hence #UD, as the SDM requires).
#include "sim/cpu/decoder.h"

#include <Zydis/Zydis.h>

#include <limits>

#include "sim/cpu/ops.h"

namespace simx {

struct Decoder::Impl {
    ZydisDecoder decoder;
    ZydisFormatter formatter;
};

Decoder::Decoder() : impl_(std::make_unique<Impl>()) {
    ZydisDecoderInit(&impl_->decoder, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatterInit(&impl_->formatter, ZYDIS_FORMATTER_STYLE_INTEL);
}

Decoder::~Decoder() = default;

namespace {

// A general-purpose register as a register-file byte offset (insn.h), or false.
bool gpr_offset(ZydisRegister r, uint8_t& off) {
    if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL) off = reg_offset(r - ZYDIS_REGISTER_AL);
    else if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) off = high_byte_offset(r - ZYDIS_REGISTER_AH);
    else if (r >= ZYDIS_REGISTER_SPL && r <= ZYDIS_REGISTER_R15B) off = reg_offset(4 + r - ZYDIS_REGISTER_SPL);
    else if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_R15W) off = reg_offset(r - ZYDIS_REGISTER_AX);
    else if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_R15D) off = reg_offset(r - ZYDIS_REGISTER_EAX);
    else if (r >= ZYDIS_REGISTER_RAX && r <= ZYDIS_REGISTER_R15) off = reg_offset(r - ZYDIS_REGISTER_RAX);
    else return false;
    return true;
}

// A base or index register as a register-file slot (kZeroReg when absent).
bool address_slot(ZydisRegister r, uint8_t& slot) {
    if (r == ZYDIS_REGISTER_NONE) {
        slot = kZeroReg;
        return true;
    }
    uint8_t off;
    if (!gpr_offset(r, off) || (off & 7)) return false;
    slot = off / 8;
    return true;
}

// Fills the Insn's memory-operand fields from Zydis's operand.
bool fill_memory(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand& op, Insn& out) {
    const auto& m = op.mem;
    if (m.disp.value < std::numeric_limits<int32_t>::min() || m.disp.value > std::numeric_limits<int32_t>::max())
        return false;  // MOV moffs64 with a full 64-bit address: not implemented
    out.disp = static_cast<int32_t>(m.disp.value);
    if (m.base == ZYDIS_REGISTER_RIP || m.base == ZYDIS_REGISTER_EIP) {
        out.base = kZeroReg;
        out.mflags |= memflag::kRipRelative;
    } else if (!address_slot(m.base, out.base)) {
        return false;
    }
    if (!address_slot(m.index, out.index)) return false;
    out.scale = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
    if (zi.address_width == 32) out.mflags |= memflag::kAddr32;
    else if (zi.address_width != 64) return false;
    if (m.segment == ZYDIS_REGISTER_FS) out.mflags |= memflag::kFs;
    if (m.segment == ZYDIS_REGISTER_GS) out.mflags |= memflag::kGs;
    if (m.segment == ZYDIS_REGISTER_SS) out.stack = 1;
    return true;
}

bool make_view(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, InsnView& v, Insn& out) {
    v.length = zi.length;
    v.opsize = static_cast<uint8_t>(zi.operand_width / 8);
    v.addrsize = static_cast<uint8_t>(zi.address_width / 8);
    v.opcode = zi.opcode;
    v.modrm = static_cast<uint8_t>((zi.raw.modrm.mod << 6) | (zi.raw.modrm.reg << 3) | zi.raw.modrm.rm);
    v.lock = zi.attributes & ZYDIS_ATTRIB_HAS_LOCK;
    v.rep = zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE);
    v.repne = zi.attributes & ZYDIS_ATTRIB_HAS_REPNE;
    v.count = zi.operand_count_visible;
    if (v.count > 4) return false;
    bool have_mem = false;
    for (unsigned n = 0; n < v.count; ++n) {
        const ZydisDecodedOperand& op = ops[n];
        OperandView& o = v.op[n];
        o.size = static_cast<uint8_t>(op.size / 8);
        switch (op.type) {
            case ZYDIS_OPERAND_TYPE_REGISTER:
                o.kind = OperandView::Kind::kReg;
                o.gpr = gpr_offset(op.reg.value, o.reg);
                if (op.reg.value >= ZYDIS_REGISTER_ST0 && op.reg.value <= ZYDIS_REGISTER_ST7) {
                    o.st = true;
                    o.reg = static_cast<uint8_t>(op.reg.value - ZYDIS_REGISTER_ST0);
                }
                if (op.reg.value >= ZYDIS_REGISTER_MM0 && op.reg.value <= ZYDIS_REGISTER_MM7) {
                    o.mmx = true;
                    o.reg = static_cast<uint8_t>(op.reg.value - ZYDIS_REGISTER_MM0);
                }
                if (op.reg.value >= ZYDIS_REGISTER_XMM0 && op.reg.value <= ZYDIS_REGISTER_XMM15) {
                    o.xmm = true;
                    o.reg = static_cast<uint8_t>(op.reg.value - ZYDIS_REGISTER_XMM0);
                }
                break;
            case ZYDIS_OPERAND_TYPE_MEMORY:
                o.kind = OperandView::Kind::kMem;
                if (have_mem || !fill_memory(zi, op, out)) return false;
                have_mem = true;
                break;
            case ZYDIS_OPERAND_TYPE_IMMEDIATE:
                o.kind = OperandView::Kind::kImm;
                o.imm = op.imm.value.u;
                break;
            default:
                return false;  // far pointers
        }
    }
    return true;
}

// Segment override of a string instruction's source (RSI) operand.
void string_segment(const ZydisDecodedInstruction& zi, Insn& out) {
    if (zi.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_FS) out.mflags |= memflag::kFs;
    if (zi.attributes & ZYDIS_ATTRIB_HAS_SEGMENT_GS) out.mflags |= memflag::kGs;
}

// The legacy-map string encodings (A4..AF); MOVSD/CMPSD are also SSE2 mnemonics.
bool is_string_opcode(const ZydisDecodedInstruction& zi) {
    return zi.opcode_map == ZYDIS_OPCODE_MAP_DEFAULT && zi.opcode >= 0xA4 && zi.opcode <= 0xAF;
}

}  // namespace

DecodeResult Decoder::decode(const uint8_t* bytes, size_t available, Insn& out) const {
    DecodeResult result;
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    const ZyanStatus status = ZydisDecoderDecodeFull(&impl_->decoder, bytes, available, &zi, ops);
    if (!ZYAN_SUCCESS(status)) {
        result.status = status == ZYDIS_STATUS_NO_MORE_DATA && available < ZYDIS_MAX_INSTRUCTION_LENGTH
                            ? DecodeStatus::kTruncated
                            : DecodeStatus::kInvalid;
        result.ends_run = true;
        return result;
    }
    result.length = zi.length;
    result.mnemonic = ZydisMnemonicGetString(zi.mnemonic);
    out = Insn{};
    out.len = zi.length;
    InsnView v;
    bool ok = make_view(zi, ops, v, out);
    bool ends = false;
    if (ok && (v.any_mm() || zi.mnemonic == ZYDIS_MNEMONIC_EMMS)) {
        // MMX-register forms share their mnemonics with the SSE2 ones.
        switch (zi.mnemonic) {
#define SIMX_X(U, l, fp) \
    case ZYDIS_MNEMONIC_##U: ok = !(fp) && bind_mmx_binary(v, SseBinary::l, out); break;
            SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X
            case ZYDIS_MNEMONIC_MOVD: ok = bind_mmx_move(v, false, out); break;
            case ZYDIS_MNEMONIC_MOVQ: ok = bind_mmx_move(v, true, out); break;
            case ZYDIS_MNEMONIC_EMMS: ok = bind_emms(out); break;
            case ZYDIS_MNEMONIC_PSHUFW: ok = bind_mmx_other(v, MmxOther::kPshufw, out); break;
            case ZYDIS_MNEMONIC_PEXTRW: ok = bind_mmx_other(v, MmxOther::kPextrw, out); break;
            case ZYDIS_MNEMONIC_PINSRW: ok = bind_mmx_other(v, MmxOther::kPinsrw, out); break;
            case ZYDIS_MNEMONIC_PMOVMSKB: ok = bind_mmx_other(v, MmxOther::kPmovmskb, out); break;
            case ZYDIS_MNEMONIC_MOVNTQ: ok = bind_mmx_other(v, MmxOther::kMovntq, out); break;
            case ZYDIS_MNEMONIC_MOVQ2DQ: ok = bind_mmx_other(v, MmxOther::kMovq2dq, out); break;
            case ZYDIS_MNEMONIC_MOVDQ2Q: ok = bind_mmx_other(v, MmxOther::kMovdq2q, out); break;
            default: ok = false; break;
        }
    } else if (ok) {
        switch (zi.mnemonic) {
            // ---- arithmetic and logic
            case ZYDIS_MNEMONIC_ADD: ok = bind_alu(v, AluOp::kAdd, out); break;
            case ZYDIS_MNEMONIC_OR: ok = bind_alu(v, AluOp::kOr, out); break;
            case ZYDIS_MNEMONIC_ADC: ok = bind_alu(v, AluOp::kAdc, out); break;
            case ZYDIS_MNEMONIC_SBB: ok = bind_alu(v, AluOp::kSbb, out); break;
            case ZYDIS_MNEMONIC_AND: ok = bind_alu(v, AluOp::kAnd, out); break;
            case ZYDIS_MNEMONIC_SUB: ok = bind_alu(v, AluOp::kSub, out); break;
            case ZYDIS_MNEMONIC_XOR: ok = bind_alu(v, AluOp::kXor, out); break;
            case ZYDIS_MNEMONIC_CMP: ok = bind_alu(v, AluOp::kCmp, out); break;
            case ZYDIS_MNEMONIC_TEST: ok = bind_alu(v, AluOp::kTest, out); break;
            case ZYDIS_MNEMONIC_MOV: ok = bind_alu(v, AluOp::kMov, out); break;
            case ZYDIS_MNEMONIC_INC: ok = bind_unary(v, UnaryOp::kInc, out); break;
            case ZYDIS_MNEMONIC_DEC: ok = bind_unary(v, UnaryOp::kDec, out); break;
            case ZYDIS_MNEMONIC_NOT: ok = bind_unary(v, UnaryOp::kNot, out); break;
            case ZYDIS_MNEMONIC_NEG: ok = bind_unary(v, UnaryOp::kNeg, out); break;
            // ---- moves
            case ZYDIS_MNEMONIC_MOVZX: ok = bind_extend(v, false, out); break;
            case ZYDIS_MNEMONIC_MOVSX:
            case ZYDIS_MNEMONIC_MOVSXD: ok = bind_extend(v, true, out); break;
            case ZYDIS_MNEMONIC_LEA: ok = bind_lea(v, out); break;
            case ZYDIS_MNEMONIC_CMOVO: case ZYDIS_MNEMONIC_CMOVNO: case ZYDIS_MNEMONIC_CMOVB:
            case ZYDIS_MNEMONIC_CMOVNB: case ZYDIS_MNEMONIC_CMOVZ: case ZYDIS_MNEMONIC_CMOVNZ:
            case ZYDIS_MNEMONIC_CMOVBE: case ZYDIS_MNEMONIC_CMOVNBE: case ZYDIS_MNEMONIC_CMOVS:
            case ZYDIS_MNEMONIC_CMOVNS: case ZYDIS_MNEMONIC_CMOVP: case ZYDIS_MNEMONIC_CMOVNP:
            case ZYDIS_MNEMONIC_CMOVL: case ZYDIS_MNEMONIC_CMOVNL: case ZYDIS_MNEMONIC_CMOVLE:
            case ZYDIS_MNEMONIC_CMOVNLE: ok = bind_cmovcc(v, out); break;
            case ZYDIS_MNEMONIC_SETO: case ZYDIS_MNEMONIC_SETNO: case ZYDIS_MNEMONIC_SETB:
            case ZYDIS_MNEMONIC_SETNB: case ZYDIS_MNEMONIC_SETZ: case ZYDIS_MNEMONIC_SETNZ:
            case ZYDIS_MNEMONIC_SETBE: case ZYDIS_MNEMONIC_SETNBE: case ZYDIS_MNEMONIC_SETS:
            case ZYDIS_MNEMONIC_SETNS: case ZYDIS_MNEMONIC_SETP: case ZYDIS_MNEMONIC_SETNP:
            case ZYDIS_MNEMONIC_SETL: case ZYDIS_MNEMONIC_SETNL: case ZYDIS_MNEMONIC_SETLE:
            case ZYDIS_MNEMONIC_SETNLE: ok = bind_setcc(v, out); break;
            case ZYDIS_MNEMONIC_BSWAP: ok = bind_bswap(v, out); break;
            case ZYDIS_MNEMONIC_CBW: ok = bind_convert(ConvertOp::kCbw, out); break;
            case ZYDIS_MNEMONIC_CWDE: ok = bind_convert(ConvertOp::kCwde, out); break;
            case ZYDIS_MNEMONIC_CDQE: ok = bind_convert(ConvertOp::kCdqe, out); break;
            case ZYDIS_MNEMONIC_CWD: ok = bind_convert(ConvertOp::kCwd, out); break;
            case ZYDIS_MNEMONIC_CDQ: ok = bind_convert(ConvertOp::kCdq, out); break;
            case ZYDIS_MNEMONIC_CQO: ok = bind_convert(ConvertOp::kCqo, out); break;
            // ---- shifts and rotates
            case ZYDIS_MNEMONIC_ROL: ok = bind_shift(v, ShiftOp::kRol, out); break;
            case ZYDIS_MNEMONIC_ROR: ok = bind_shift(v, ShiftOp::kRor, out); break;
            case ZYDIS_MNEMONIC_RCL: ok = bind_shift(v, ShiftOp::kRcl, out); break;
            case ZYDIS_MNEMONIC_RCR: ok = bind_shift(v, ShiftOp::kRcr, out); break;
            case ZYDIS_MNEMONIC_SHL: ok = bind_shift(v, ShiftOp::kShl, out); break;
            case ZYDIS_MNEMONIC_SHR: ok = bind_shift(v, ShiftOp::kShr, out); break;
            case ZYDIS_MNEMONIC_SAR: ok = bind_shift(v, ShiftOp::kSar, out); break;
            case ZYDIS_MNEMONIC_SHLD: ok = bind_shift_double(v, true, out); break;
            case ZYDIS_MNEMONIC_SHRD: ok = bind_shift_double(v, false, out); break;
            // ---- multiply, divide
            case ZYDIS_MNEMONIC_MUL: ok = bind_muldiv(v, MulDivOp::kMul, out); break;
            case ZYDIS_MNEMONIC_IMUL: ok = bind_muldiv(v, MulDivOp::kImul, out); break;
            case ZYDIS_MNEMONIC_DIV: ok = bind_muldiv(v, MulDivOp::kDiv, out); break;
            case ZYDIS_MNEMONIC_IDIV: ok = bind_muldiv(v, MulDivOp::kIdiv, out); break;
            // ---- bits
            case ZYDIS_MNEMONIC_BT: ok = bind_bit_test(v, BitTestOp::kBt, out); break;
            case ZYDIS_MNEMONIC_BTS: ok = bind_bit_test(v, BitTestOp::kBts, out); break;
            case ZYDIS_MNEMONIC_BTR: ok = bind_bit_test(v, BitTestOp::kBtr, out); break;
            case ZYDIS_MNEMONIC_BTC: ok = bind_bit_test(v, BitTestOp::kBtc, out); break;
            case ZYDIS_MNEMONIC_BSF:
            case ZYDIS_MNEMONIC_TZCNT: ok = bind_bit_scan(v, BitScanOp::kBsf, out); break;  // no BMI1
            case ZYDIS_MNEMONIC_BSR: ok = bind_bit_scan(v, BitScanOp::kBsr, out); break;
            case ZYDIS_MNEMONIC_POPCNT: ok = bind_bit_scan(v, BitScanOp::kPopcnt, out); break;
            case ZYDIS_MNEMONIC_LZCNT: ok = bind_bit_scan(v, BitScanOp::kLzcnt, out); break;
            // ---- exchanges
            case ZYDIS_MNEMONIC_XCHG: ok = bind_xchg(v, out); break;
            case ZYDIS_MNEMONIC_XADD: ok = bind_xadd(v, out); break;
            case ZYDIS_MNEMONIC_CMPXCHG: ok = bind_cmpxchg(v, out); break;
            case ZYDIS_MNEMONIC_CMPXCHG8B: ok = bind_cmpxchg_wide(v, false, out); break;
            case ZYDIS_MNEMONIC_CMPXCHG16B: ok = bind_cmpxchg_wide(v, true, out); break;
            // ---- branches
            case ZYDIS_MNEMONIC_JO: case ZYDIS_MNEMONIC_JNO: case ZYDIS_MNEMONIC_JB:
            case ZYDIS_MNEMONIC_JNB: case ZYDIS_MNEMONIC_JZ: case ZYDIS_MNEMONIC_JNZ:
            case ZYDIS_MNEMONIC_JBE: case ZYDIS_MNEMONIC_JNBE: case ZYDIS_MNEMONIC_JS:
            case ZYDIS_MNEMONIC_JNS: case ZYDIS_MNEMONIC_JP: case ZYDIS_MNEMONIC_JNP:
            case ZYDIS_MNEMONIC_JL: case ZYDIS_MNEMONIC_JNL: case ZYDIS_MNEMONIC_JLE:
            case ZYDIS_MNEMONIC_JNLE: ok = bind_jcc(v, out); ends = true; break;
            case ZYDIS_MNEMONIC_JMP: ok = bind_jmp(v, out); ends = true; break;
            case ZYDIS_MNEMONIC_CALL: ok = bind_call(v, out); ends = true; break;
            case ZYDIS_MNEMONIC_RET: ok = bind_ret(v, out); ends = true; break;
            case ZYDIS_MNEMONIC_LOOP: ok = bind_loop(v, LoopOp::kLoop, out); ends = true; break;
            case ZYDIS_MNEMONIC_LOOPE: ok = bind_loop(v, LoopOp::kLoope, out); ends = true; break;
            case ZYDIS_MNEMONIC_LOOPNE: ok = bind_loop(v, LoopOp::kLoopne, out); ends = true; break;
            case ZYDIS_MNEMONIC_JRCXZ:
            case ZYDIS_MNEMONIC_JECXZ: ok = bind_loop(v, LoopOp::kJrcxz, out); ends = true; break;
            // ---- stack
            case ZYDIS_MNEMONIC_PUSH: ok = bind_push(v, out); break;
            case ZYDIS_MNEMONIC_POP: ok = bind_pop(v, out); break;
            case ZYDIS_MNEMONIC_ENTER: ok = bind_enter(v, out); break;
            case ZYDIS_MNEMONIC_LEAVE: ok = bind_leave(v, out); break;
            case ZYDIS_MNEMONIC_PUSHF:
            case ZYDIS_MNEMONIC_PUSHFQ: ok = bind_pushf(v, out); break;
            case ZYDIS_MNEMONIC_POPF:
            case ZYDIS_MNEMONIC_POPFQ: ok = bind_popf(v, out); break;
            // ---- strings
            case ZYDIS_MNEMONIC_MOVSB: case ZYDIS_MNEMONIC_MOVSW: case ZYDIS_MNEMONIC_MOVSD:
            case ZYDIS_MNEMONIC_MOVSQ: case ZYDIS_MNEMONIC_STOSB: case ZYDIS_MNEMONIC_STOSW:
            case ZYDIS_MNEMONIC_STOSD: case ZYDIS_MNEMONIC_STOSQ: case ZYDIS_MNEMONIC_LODSB:
            case ZYDIS_MNEMONIC_LODSW: case ZYDIS_MNEMONIC_LODSD: case ZYDIS_MNEMONIC_LODSQ:
            case ZYDIS_MNEMONIC_CMPSB: case ZYDIS_MNEMONIC_CMPSW: case ZYDIS_MNEMONIC_CMPSD:
            case ZYDIS_MNEMONIC_CMPSQ: case ZYDIS_MNEMONIC_SCASB: case ZYDIS_MNEMONIC_SCASW:
            case ZYDIS_MNEMONIC_SCASD: case ZYDIS_MNEMONIC_SCASQ: {
                if (!is_string_opcode(zi)) {  // the SSE2 MOVSD/CMPSD
                    if (zi.mnemonic == ZYDIS_MNEMONIC_MOVSD) ok = bind_sse_move(v, SseMove::kMovsd, out);
                    else if (zi.mnemonic == ZYDIS_MNEMONIC_CMPSD) ok = bind_sse_convert(v, SseConvert::kCmpsd, out);
                    else ok = false;
                    break;
                }
                string_segment(zi, out);
                const unsigned size = zi.operand_width / 8;
                const uint8_t base = zi.opcode & 0xFE;
                const StringOp op = base == 0xA4 ? StringOp::kMovs
                                    : base == 0xA6 ? StringOp::kCmps
                                    : base == 0xAA ? StringOp::kStos
                                    : base == 0xAC ? StringOp::kLods
                                                   : StringOp::kScas;
                ok = base != 0xA8 && bind_string(v, op, (zi.opcode & 1) ? size : 1, out);  // A8/A9 is TEST
                break;
            }
            // ---- flags, NOPs, system
            case ZYDIS_MNEMONIC_CLC: ok = bind_flag_op(FlagOp::kClc, out); break;
            case ZYDIS_MNEMONIC_STC: ok = bind_flag_op(FlagOp::kStc, out); break;
            case ZYDIS_MNEMONIC_CMC: ok = bind_flag_op(FlagOp::kCmc, out); break;
            case ZYDIS_MNEMONIC_CLD: ok = bind_flag_op(FlagOp::kCld, out); break;
            case ZYDIS_MNEMONIC_STD: ok = bind_flag_op(FlagOp::kStd, out); break;
            case ZYDIS_MNEMONIC_LAHF: ok = bind_flag_op(FlagOp::kLahf, out); break;
            case ZYDIS_MNEMONIC_SAHF: ok = bind_flag_op(FlagOp::kSahf, out); break;
            // Hints and fences have no architectural effect on one in-order CPU.
            case ZYDIS_MNEMONIC_NOP: case ZYDIS_MNEMONIC_PAUSE: case ZYDIS_MNEMONIC_ENDBR64:
            case ZYDIS_MNEMONIC_PREFETCHT0: case ZYDIS_MNEMONIC_PREFETCHT1: case ZYDIS_MNEMONIC_PREFETCHT2:
            case ZYDIS_MNEMONIC_PREFETCHNTA: case ZYDIS_MNEMONIC_PREFETCHW: case ZYDIS_MNEMONIC_PREFETCH:
            case ZYDIS_MNEMONIC_MFENCE: case ZYDIS_MNEMONIC_LFENCE: case ZYDIS_MNEMONIC_SFENCE:
                ok = bind_nop(out);
                out.base = kZeroReg;  // a NOP's memory operand is never accessed
                out.index = kZeroReg;
                out.mflags = 0;
                break;
            case ZYDIS_MNEMONIC_CPUID: ok = bind_cpuid(out); break;
            case ZYDIS_MNEMONIC_RDTSC: ok = bind_rdtsc(out); break;
            case ZYDIS_MNEMONIC_SYSCALL: ok = bind_syscall(out); ends = true; break;
            case ZYDIS_MNEMONIC_HLT: ok = bind_hlt(out); ends = true; break;
            case ZYDIS_MNEMONIC_UD2: ok = bind_ud2(out); ends = true; break;
            case ZYDIS_MNEMONIC_INT3: ok = bind_int3(out); ends = true; break;
            // ---- SSE/SSE2 (MMX-register forms share mnemonics; their binders refuse them)
#define SIMX_X(U, l, fp) \
    case ZYDIS_MNEMONIC_##U: ok = bind_sse_binary(v, SseBinary::l, out); break;
            SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X
            case ZYDIS_MNEMONIC_MOVAPS: case ZYDIS_MNEMONIC_MOVAPD: case ZYDIS_MNEMONIC_MOVDQA:
                ok = bind_sse_move(v, SseMove::kMovAligned, out); break;
            case ZYDIS_MNEMONIC_MOVUPS: case ZYDIS_MNEMONIC_MOVUPD: case ZYDIS_MNEMONIC_MOVDQU:
                ok = bind_sse_move(v, SseMove::kMovUnaligned, out); break;
            case ZYDIS_MNEMONIC_MOVSS: ok = bind_sse_move(v, SseMove::kMovss, out); break;
            case ZYDIS_MNEMONIC_MOVD: ok = bind_sse_move(v, SseMove::kMovd, out); break;
            case ZYDIS_MNEMONIC_MOVQ: ok = bind_sse_move(v, SseMove::kMovq, out); break;
            case ZYDIS_MNEMONIC_MOVLPS: case ZYDIS_MNEMONIC_MOVLPD: ok = bind_sse_move(v, SseMove::kMovlp, out); break;
            case ZYDIS_MNEMONIC_MOVHPS: case ZYDIS_MNEMONIC_MOVHPD: ok = bind_sse_move(v, SseMove::kMovhp, out); break;
            case ZYDIS_MNEMONIC_MOVHLPS: ok = bind_sse_move(v, SseMove::kMovhlps, out); break;
            case ZYDIS_MNEMONIC_MOVLHPS: ok = bind_sse_move(v, SseMove::kMovlhps, out); break;
            case ZYDIS_MNEMONIC_MOVMSKPS: ok = bind_sse_move(v, SseMove::kMovmskps, out); break;
            case ZYDIS_MNEMONIC_MOVMSKPD: ok = bind_sse_move(v, SseMove::kMovmskpd, out); break;
            case ZYDIS_MNEMONIC_PMOVMSKB: ok = bind_sse_move(v, SseMove::kPmovmskb, out); break;
            case ZYDIS_MNEMONIC_MOVNTDQ: case ZYDIS_MNEMONIC_MOVNTPS: case ZYDIS_MNEMONIC_MOVNTPD:
                ok = bind_sse_move(v, SseMove::kMovntAligned, out); break;
            case ZYDIS_MNEMONIC_MOVNTI: ok = bind_sse_move(v, SseMove::kMovnti, out); break;
            case ZYDIS_MNEMONIC_LDMXCSR: ok = bind_sse_move(v, SseMove::kLdmxcsr, out); break;
            case ZYDIS_MNEMONIC_STMXCSR: ok = bind_sse_move(v, SseMove::kStmxcsr, out); break;
            case ZYDIS_MNEMONIC_PSHUFD: ok = bind_sse_shuffle(v, SseShuffle::kPshufd, out); break;
            case ZYDIS_MNEMONIC_PSHUFLW: ok = bind_sse_shuffle(v, SseShuffle::kPshuflw, out); break;
            case ZYDIS_MNEMONIC_PSHUFHW: ok = bind_sse_shuffle(v, SseShuffle::kPshufhw, out); break;
            case ZYDIS_MNEMONIC_SHUFPS: ok = bind_sse_shuffle(v, SseShuffle::kShufps, out); break;
            case ZYDIS_MNEMONIC_SHUFPD: ok = bind_sse_shuffle(v, SseShuffle::kShufpd, out); break;
            case ZYDIS_MNEMONIC_PSLLDQ: ok = bind_sse_shuffle(v, SseShuffle::kPslldq, out); break;
            case ZYDIS_MNEMONIC_PSRLDQ: ok = bind_sse_shuffle(v, SseShuffle::kPsrldq, out); break;
            case ZYDIS_MNEMONIC_PEXTRW: ok = bind_sse_shuffle(v, SseShuffle::kPextrw, out); break;
            case ZYDIS_MNEMONIC_PINSRW: ok = bind_sse_shuffle(v, SseShuffle::kPinsrw, out); break;
            case ZYDIS_MNEMONIC_CMPPS: ok = bind_sse_convert(v, SseConvert::kCmpps, out); break;
            case ZYDIS_MNEMONIC_CMPPD: ok = bind_sse_convert(v, SseConvert::kCmppd, out); break;
            case ZYDIS_MNEMONIC_CMPSS: ok = bind_sse_convert(v, SseConvert::kCmpss, out); break;
            case ZYDIS_MNEMONIC_UCOMISS: ok = bind_sse_convert(v, SseConvert::kUcomiss, out); break;
            case ZYDIS_MNEMONIC_UCOMISD: ok = bind_sse_convert(v, SseConvert::kUcomisd, out); break;
            case ZYDIS_MNEMONIC_COMISS: ok = bind_sse_convert(v, SseConvert::kComiss, out); break;
            case ZYDIS_MNEMONIC_COMISD: ok = bind_sse_convert(v, SseConvert::kComisd, out); break;
            case ZYDIS_MNEMONIC_CVTSI2SS: ok = bind_sse_convert(v, SseConvert::kCvtsi2ss, out); break;
            case ZYDIS_MNEMONIC_CVTSI2SD: ok = bind_sse_convert(v, SseConvert::kCvtsi2sd, out); break;
            case ZYDIS_MNEMONIC_CVTSS2SI: ok = bind_sse_convert(v, SseConvert::kCvtss2si, out); break;
            case ZYDIS_MNEMONIC_CVTSD2SI: ok = bind_sse_convert(v, SseConvert::kCvtsd2si, out); break;
            case ZYDIS_MNEMONIC_CVTTSS2SI: ok = bind_sse_convert(v, SseConvert::kCvttss2si, out); break;
            case ZYDIS_MNEMONIC_CVTTSD2SI: ok = bind_sse_convert(v, SseConvert::kCvttsd2si, out); break;
            case ZYDIS_MNEMONIC_FXSAVE: ok = bind_fxsave(v, false, false, out); break;
            case ZYDIS_MNEMONIC_FXSAVE64: ok = bind_fxsave(v, false, true, out); break;
            case ZYDIS_MNEMONIC_FXRSTOR: ok = bind_fxsave(v, true, false, out); break;
            case ZYDIS_MNEMONIC_FXRSTOR64: ok = bind_fxsave(v, true, true, out); break;
            case ZYDIS_MNEMONIC_FNSTENV: ok = bind_x87_env(v, X87Env::kFnstenv, out); break;
            case ZYDIS_MNEMONIC_FLDENV: ok = bind_x87_env(v, X87Env::kFldenv, out); break;
            case ZYDIS_MNEMONIC_FNSAVE: ok = bind_x87_env(v, X87Env::kFnsave, out); break;
            case ZYDIS_MNEMONIC_FRSTOR: ok = bind_x87_env(v, X87Env::kFrstor, out); break;
            // ---- x87
#define SIMX_X(U) \
    case ZYDIS_MNEMONIC_##U: ok = bind_x87(v, X87Op::U, out); break;
            SIMX_X87_OPS(SIMX_X)
#undef SIMX_X
            default: ok = false; break;
        }
    } else if (zi.mnemonic == ZYDIS_MNEMONIC_NOP) {
        ok = bind_nop(out);  // multi-byte NOPs whose operand forms we do not model
        out.base = out.index = kZeroReg;
        out.mflags = 0;
    }
    if (!ok || !out.fn) {
        result.status = DecodeStatus::kUnsupported;
        result.ends_run = true;
        return result;
    }
    result.status = DecodeStatus::kOk;
    result.ends_run = ends;
    return result;
}

std::string Decoder::disassemble(const uint8_t* bytes, size_t available, uint64_t rip) const {
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&impl_->decoder, bytes, available, &zi, ops))) return "(invalid)";
    char text[256];
    if (!ZYAN_SUCCESS(ZydisFormatterFormatInstruction(&impl_->formatter, &zi, ops, zi.operand_count_visible, text,
                                                      sizeof text, rip, nullptr)))
        return "(unformattable)";
    return text;
}

}  // namespace simx
