// MMX-register forms (SDM Vol. 1 ch. 9; Vol. 2 per instruction): the integer
// two-operand ops on mm, mm/m64 (PADDx/PSUBx with and without saturation,
// PCMPEQx/PCMPGTx, PAND/PANDN/POR/PXOR, PUNPCKLx/PUNPCKHx, PACKSSWB/
// PACKSSDW/PACKUSWB, PMULLW/PMULHW/PMADDWD and the SSE/SSE2 additions
// PMULUDQ, PADDQ, PAVGx, PMINUB..., PSADBW), the shifts by mm/m64 or imm8,
// MOVD/MOVQ to and from MM registers, PSHUFW, PEXTRW/PINSRW, PMOVMSKB,
// MOVNTQ, MOVQ2DQ/MOVDQ2Q, and EMMS.
//
// The MMX registers are the x87 registers (SDM Vol. 1 9.5): MMi is the
// significand of *physical* register Ri (not ST(i)). Every MMX instruction
// but EMMS sets TOP to 0 and marks all eight registers valid; an MMX write
// also sets bits 79:64 of its register to all ones; EMMS marks all eight
// empty, and (measured on the harness's host) sets TOP to 0 as well. A
// pending unmasked x87 exception is #MF before anything happens (as for
// waiting x87 instructions). A #PF on a load's m64/m32 changes nothing; a
// store to memory sets TOP to 0 first (it reads the MMX register) and the
// tags only when it completes, so a #PF on the store leaves TOP = 0 and the
// tags as they were (both measured on the harness's host).
//
// Results come from the host's SSE2 instruction on the same 64-bit values in
// the low half of an XMM register, which equals the MMX result lane by lane;
// the two families whose MMX form is not "the low half of the SSE2 form" are
// rearranged: PUNPCKHx takes the operands' high dwords into the low half
// first, and PACKx packs (dst:src) as one 128-bit operand.
#include <emmintrin.h>

#include "sim/cpu/ops_sse.h"
#include "sim/cpu/x87_image.h"

namespace simx {
namespace {

using Kernel = void (*)(__m128i& d, __m128i s);

#define SIMX_X(U, l, fp) \
    [[maybe_unused]] void k_##l(__m128i& d, __m128i s) { asm(#l " %[s], %[d]" : [d] "+x"(d) : [s] "x"(s)); }
SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X

uint64_t mm(const Core& c, uint8_t n) {
    uint64_t v;
    std::memcpy(&v, c.x87.regs[n].data(), 8);
    return v;
}

// The transition every MMX instruction but EMMS makes (SDM Vol. 1 table 9-1):
// TOP = 0, every tag valid. The full tag word is kept as the FXSAVE image
// implies it (x87_image.h): recomputed from the values of non-empty registers.
void enter_mmx(Core& c) {
    c.x87.fsw = static_cast<uint16_t>(c.x87.fsw & ~0x3800u);
    uint16_t ftw = 0;
    for (unsigned j = 0; j < 8; ++j) ftw = static_cast<uint16_t>(ftw | x87::classify(c.x87.regs[j]) << (2 * j));
    c.x87.ftw = ftw;
}

void set_mm(Core& c, uint8_t n, uint64_t v) {
    std::memcpy(c.x87.regs[n].data(), &v, 8);
    c.x87.regs[n][8] = 0xFF;
    c.x87.regs[n][9] = 0xFF;
}

void check_pending(Core& c) {
    if (c.x87.fsw & 0x80) [[unlikely]] c.raise(vector::kFloatingPoint, 0);
}

enum class Shape : uint8_t { kLanes, kHigh, kPack };
enum class Source : uint8_t { kReg, kMem, kImm };

template <Kernel K, Shape Sh, Source Src, unsigned MemBytes>
const Insn* binary(Core& c, const Insn* i) {
    check_pending(c);
    uint64_t s;
    if constexpr (Src == Source::kMem) s = c.load<MemBytes>(c.ea(*i), i->stack);
    else if constexpr (Src == Source::kImm) s = i->imm & 0xFF;
    else s = mm(c, i->src);
    const uint64_t d = mm(c, i->dst);
    __m128i dv, sv;
    if constexpr (Sh == Shape::kHigh) {
        dv = _mm_cvtsi64_si128(static_cast<long long>(d >> 32));
        sv = _mm_cvtsi64_si128(static_cast<long long>(s >> 32));
    } else if constexpr (Sh == Shape::kPack) {
        dv = _mm_set_epi64x(static_cast<long long>(s), static_cast<long long>(d));
        sv = dv;
    } else {
        dv = _mm_cvtsi64_si128(static_cast<long long>(d));
        sv = _mm_cvtsi64_si128(static_cast<long long>(s));
    }
    K(dv, sv);
    set_mm(c, i->dst, static_cast<uint64_t>(_mm_cvtsi128_si64(dv)));
    enter_mmx(c);
    return c.next(i);
}

template <Kernel K, Shape Sh>
Handler pick(Source src, unsigned mem_bytes) {
    switch (src) {
        case Source::kReg: return binary<K, Sh, Source::kReg, 8>;
        case Source::kMem: return mem_bytes == 4 ? binary<K, Sh, Source::kMem, 4> : binary<K, Sh, Source::kMem, 8>;
        case Source::kImm: return binary<K, Sh, Source::kImm, 8>;
    }
    return nullptr;
}

bool is_shift(SseBinary op) {
    switch (op) {
        case SseBinary::psllw: case SseBinary::pslld: case SseBinary::psllq: case SseBinary::psrlw:
        case SseBinary::psrld: case SseBinary::psrlq: case SseBinary::psraw: case SseBinary::psrad:
            return true;
        default:
            return false;
    }
}

// ---- MOVD/MOVQ ---------------------------------------------------------------
enum class Move : uint8_t { kMmFromReg, kMmFromMem, kMmFromMm, kRegFromMm, kMemFromMm };

template <Move M, unsigned S>
const Insn* move(Core& c, const Insn* i) {
    check_pending(c);
    if constexpr (M == Move::kMemFromMm) c.x87.fsw = static_cast<uint16_t>(c.x87.fsw & ~0x3800u);
    if constexpr (M == Move::kMmFromReg) {
        set_mm(c, i->dst, c.reg<S>(i->src));
    } else if constexpr (M == Move::kMmFromMem) {
        set_mm(c, i->dst, c.load<S>(c.ea(*i), i->stack));
    } else if constexpr (M == Move::kMmFromMm) {
        set_mm(c, i->dst, mm(c, i->src));
    } else if constexpr (M == Move::kRegFromMm) {
        c.set_reg<S>(i->dst, S == 8 ? mm(c, i->src) : static_cast<uint32_t>(mm(c, i->src)));
    } else {
        c.store<S>(c.ea(*i), mm(c, i->src), i->stack);
    }
    enter_mmx(c);
    return c.next(i);
}

// ---- shuffles, word insert/extract, byte mask, MMX<->XMM moves ---------------
uint16_t word(uint64_t v, unsigned n) { return static_cast<uint16_t>(v >> (16 * (n & 3))); }

template <bool Mem>
const Insn* pshufw(Core& c, const Insn* i) {
    check_pending(c);
    const uint64_t s = Mem ? c.load<8>(c.ea(*i), i->stack) : mm(c, i->src);
    uint64_t r = 0;
    for (unsigned n = 0; n < 4; ++n) r |= uint64_t{word(s, static_cast<unsigned>(i->imm >> (2 * n)))} << (16 * n);
    set_mm(c, i->dst, r);
    enter_mmx(c);
    return c.next(i);
}

template <unsigned S>
const Insn* pextrw(Core& c, const Insn* i) {
    check_pending(c);
    c.set_reg<S>(i->dst, word(mm(c, i->src), static_cast<unsigned>(i->imm)));
    enter_mmx(c);
    return c.next(i);
}

template <bool Mem>
const Insn* pinsrw(Core& c, const Insn* i) {
    check_pending(c);
    const uint64_t w = Mem ? c.load<2>(c.ea(*i), i->stack) : c.reg<2>(i->src);
    const unsigned at = 16 * static_cast<unsigned>(i->imm & 3);
    set_mm(c, i->dst, (mm(c, i->dst) & ~(uint64_t{0xFFFF} << at)) | (w << at));
    enter_mmx(c);
    return c.next(i);
}

template <unsigned S>
const Insn* pmovmskb(Core& c, const Insn* i) {
    check_pending(c);
    const uint64_t v = mm(c, i->src);
    uint64_t mask = 0;
    for (unsigned n = 0; n < 8; ++n) mask |= ((v >> (8 * n + 7)) & 1) << n;
    c.set_reg<S>(i->dst, mask);
    enter_mmx(c);
    return c.next(i);
}

// MOVQ2DQ xmm, mm: the XMM register gets the MM value zero-extended.
const Insn* movq2dq(Core& c, const Insn* i) {
    check_pending(c);
    const uint64_t v = mm(c, i->src);
    std::memset(c.xmm[i->dst].bytes.data(), 0, 16);
    std::memcpy(c.xmm[i->dst].bytes.data(), &v, 8);
    enter_mmx(c);
    return c.next(i);
}

// MOVDQ2Q mm, xmm: the low quadword.
const Insn* movdq2q(Core& c, const Insn* i) {
    check_pending(c);
    uint64_t v;
    std::memcpy(&v, c.xmm[i->src].bytes.data(), 8);
    set_mm(c, i->dst, v);
    enter_mmx(c);
    return c.next(i);
}

const Insn* emms(Core& c, const Insn* i) {
    check_pending(c);
    c.x87.fsw = static_cast<uint16_t>(c.x87.fsw & ~0x3800u);
    c.x87.ftw = 0xFFFF;
    return c.next(i);
}

}  // namespace

bool bind_mmx_binary(const InsnView& v, SseBinary op, Insn& out) {
    if (v.count != 2 || !v.mm(0)) return false;
    // PUNPCKLx read an m32 (the low halves); everything else an m64.
    Source src;
    if (v.mm(1)) src = Source::kReg;
    else if (v.mem(1) && (v.op[1].size == 8 || v.op[1].size == 4)) src = Source::kMem;
    else if (v.imm(1) && is_shift(op)) src = Source::kImm;
    else return false;
    const unsigned mem = src == Source::kMem ? v.op[1].size : 0;
    out.dst = v.op[0].reg;
    if (src == Source::kReg) out.src = v.op[1].reg;
    if (src == Source::kImm) out.imm = v.op[1].imm;
    switch (op) {
        case SseBinary::punpckhbw: out.fn = pick<k_punpcklbw, Shape::kHigh>(src, mem); break;
        case SseBinary::punpckhwd: out.fn = pick<k_punpcklwd, Shape::kHigh>(src, mem); break;
        case SseBinary::punpckhdq: out.fn = pick<k_punpckldq, Shape::kHigh>(src, mem); break;
        case SseBinary::packsswb: out.fn = pick<k_packsswb, Shape::kPack>(src, mem); break;
        case SseBinary::packssdw: out.fn = pick<k_packssdw, Shape::kPack>(src, mem); break;
        case SseBinary::packuswb: out.fn = pick<k_packuswb, Shape::kPack>(src, mem); break;
        // Integer ops with an MMX form; Zydis decodes no MM operand for the others.
#define SIMX_LANES(l) \
    case SseBinary::l: out.fn = pick<k_##l, Shape::kLanes>(src, mem); break;
        SIMX_LANES(paddb) SIMX_LANES(paddw) SIMX_LANES(paddd) SIMX_LANES(paddq) SIMX_LANES(psubb)
        SIMX_LANES(psubw) SIMX_LANES(psubd) SIMX_LANES(psubq) SIMX_LANES(paddsb) SIMX_LANES(paddsw)
        SIMX_LANES(paddusb) SIMX_LANES(paddusw) SIMX_LANES(psubsb) SIMX_LANES(psubsw) SIMX_LANES(psubusb)
        SIMX_LANES(psubusw) SIMX_LANES(pcmpeqb) SIMX_LANES(pcmpeqw) SIMX_LANES(pcmpeqd) SIMX_LANES(pcmpgtb)
        SIMX_LANES(pcmpgtw) SIMX_LANES(pcmpgtd) SIMX_LANES(pminub) SIMX_LANES(pmaxub) SIMX_LANES(pminsw)
        SIMX_LANES(pmaxsw) SIMX_LANES(pavgb) SIMX_LANES(pavgw) SIMX_LANES(psadbw) SIMX_LANES(pmullw)
        SIMX_LANES(pmulhw) SIMX_LANES(pmulhuw) SIMX_LANES(pmuludq) SIMX_LANES(pmaddwd) SIMX_LANES(pand)
        SIMX_LANES(pandn) SIMX_LANES(por) SIMX_LANES(pxor) SIMX_LANES(psllw) SIMX_LANES(pslld)
        SIMX_LANES(psllq) SIMX_LANES(psrlw) SIMX_LANES(psrld) SIMX_LANES(psrlq) SIMX_LANES(psraw)
        SIMX_LANES(psrad) SIMX_LANES(punpcklbw) SIMX_LANES(punpcklwd) SIMX_LANES(punpckldq)
#undef SIMX_LANES
        default: return false;
    }
    out.cls = InsnClass::kAlu;
    return out.fn != nullptr;
}

bool bind_mmx_move(const InsnView& v, bool quad, Insn& out) {
    if (v.count != 2) return false;
    const unsigned n = quad ? 8 : 4;
    auto pick_size = [&](auto four, auto eight) -> Handler { return quad ? eight : four; };
    if (v.mm(0) && v.reg(1) && v.op[1].size == n) {
        out.dst = v.op[0].reg;
        out.src = v.op[1].reg;
        out.fn = pick_size(move<Move::kMmFromReg, 4>, move<Move::kMmFromReg, 8>);
    } else if (v.mm(0) && v.mem(1) && v.op[1].size == n) {
        out.dst = v.op[0].reg;
        out.fn = pick_size(move<Move::kMmFromMem, 4>, move<Move::kMmFromMem, 8>);
    } else if (quad && v.mm(0) && v.mm(1)) {
        out.dst = v.op[0].reg;
        out.src = v.op[1].reg;
        out.fn = move<Move::kMmFromMm, 8>;
    } else if (v.reg(0) && v.mm(1) && v.op[0].size == n) {
        out.dst = v.op[0].reg;
        out.src = v.op[1].reg;
        out.fn = pick_size(move<Move::kRegFromMm, 4>, move<Move::kRegFromMm, 8>);
    } else if (v.mem(0) && v.mm(1) && v.op[0].size == n) {
        out.src = v.op[1].reg;
        out.fn = pick_size(move<Move::kMemFromMm, 4>, move<Move::kMemFromMm, 8>);
    } else {
        return false;
    }
    out.cls = InsnClass::kAlu;
    return true;
}

bool bind_mmx_other(const InsnView& v, MmxOther op, Insn& out) {
    out.cls = InsnClass::kAlu;
    switch (op) {
        case MmxOther::kPshufw:
            if (v.count != 3 || !v.mm(0) || !v.imm(2)) return false;
            out.dst = v.op[0].reg;
            out.imm = v.op[2].imm;
            if (v.mm(1)) {
                out.src = v.op[1].reg;
                out.fn = pshufw<false>;
            } else if (v.mem(1) && v.op[1].size == 8) {
                out.fn = pshufw<true>;
            } else {
                return false;
            }
            return true;
        case MmxOther::kPextrw:
            if (v.count != 3 || !v.reg(0) || !v.mm(1) || !v.imm(2)) return false;
            out.dst = v.op[0].reg;
            out.src = v.op[1].reg;
            out.imm = v.op[2].imm;
            out.fn = v.op[0].size == 8 ? pextrw<8> : pextrw<4>;
            return true;
        case MmxOther::kPinsrw:
            if (v.count != 3 || !v.mm(0) || !v.imm(2)) return false;
            out.dst = v.op[0].reg;
            out.imm = v.op[2].imm;
            if (v.reg(1)) {
                out.src = v.op[1].reg;
                out.fn = pinsrw<false>;
            } else if (v.mem(1)) {
                out.fn = pinsrw<true>;
            } else {
                return false;
            }
            return true;
        case MmxOther::kPmovmskb:
            if (v.count != 2 || !v.reg(0) || !v.mm(1)) return false;
            out.dst = v.op[0].reg;
            out.src = v.op[1].reg;
            out.fn = v.op[0].size == 8 ? pmovmskb<8> : pmovmskb<4>;
            return true;
        case MmxOther::kMovntq:  // the non-temporal hint changes nothing modeled
            if (v.count != 2 || !v.mem(0) || !v.mm(1)) return false;
            out.src = v.op[1].reg;
            out.fn = move<Move::kMemFromMm, 8>;
            return true;
        case MmxOther::kMovq2dq:
            if (v.count != 2 || !v.xmm(0) || !v.mm(1)) return false;
            out.dst = v.op[0].reg;
            out.src = v.op[1].reg;
            out.fn = movq2dq;
            return true;
        case MmxOther::kMovdq2q:
            if (v.count != 2 || !v.mm(0) || !v.xmm(1)) return false;
            out.dst = v.op[0].reg;
            out.src = v.op[1].reg;
            out.fn = movdq2q;
            return true;
    }
    return false;
}

bool bind_emms(Insn& out) {
    out.fn = emms;
    out.cls = InsnClass::kAlu;
    return true;
}

}  // namespace simx
