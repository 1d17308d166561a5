// SSE/SSE2 two-operand xmm, xmm/m instructions: integer arithmetic, compares,
// logic, shifts by an XMM count, unpacks and packs, and the floating-point
// arithmetic and xmm-to-xmm conversions (SDM Vol. 2, one entry each).
//
// Each is computed by the host's own instruction on the same 128-bit values,
// which is exact by construction; floating-point ones run under the guest's
// MXCSR (ops_sse.h). Legacy-SSE 128-bit memory operands must be 16-byte
// aligned (#GP(0)); scalar ones (m32/m64) need not be.
#include "sim/cpu/ops_sse.h"

namespace simx {
namespace {

using Kernel = uint32_t (*)(__m128i& d, __m128i s, uint32_t mxcsr);

#define SIMX_X(U, l, fp)                                                                                   \
    uint32_t k_##l(__m128i& d, __m128i s, [[maybe_unused]] uint32_t mxcsr) {                              \
        if constexpr (fp) {                                                                                \
            uint32_t host = 0, in = mxcsr, out = 0;                                                       \
            asm volatile("stmxcsr %[h]\n\tldmxcsr %[in]\n\t" #l " %[s], %[d]\n\tstmxcsr %[o]\n\tldmxcsr %[h]" \
                         : [d] "+x"(d), [h] "+m"(host), [o] "+m"(out)                                       \
                         : [s] "x"(s), [in] "m"(in));                                                       \
            return out;                                                                                    \
        } else {                                                                                           \
            asm(#l " %[s], %[d]" : [d] "+x"(d) : [s] "x"(s));                                              \
            return 0;                                                                                      \
        }                                                                                                  \
    }
SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X

// Runs a floating-point kernel under the guest's MXCSR. With underflow
// unmasked, the SDM (Vol. 1 11.5.2.4) signals it for any tiny result, exact
// or not, while the masked computation flags only tiny *inexact* ones: the
// kernel runs a second time with FTZ, which flags every tiny result. FTZ
// itself applies only while underflow is masked (SDM Vol. 1 10.2.3.3).
template <Kernel K>
uint32_t run_fp(__m128i& d, __m128i s, uint32_t guest) {
    if (guest & sse::kUM) [[likely]] return K(d, s, sse::host_mxcsr(guest));
    __m128i d2 = d;
    uint32_t raised = K(d, s, sse::host_mxcsr(guest) & ~sse::kFTZ);
    raised |= K(d2, s, sse::host_mxcsr(guest) | sse::kFTZ) & sse::kUE;
    return raised;
}

template <Kernel K, bool Fp, unsigned Mem>
const Insn* binary(Core& c, const Insn* i) {
    const __m128i s = sse::source<Mem>(c, i);
    __m128i d = sse::get(c, i->dst);
    if constexpr (Fp) sse::commit_mxcsr(c, run_fp<K>(d, s, c.mxcsr));
    else K(d, s, 0);
    sse::put(c, i->dst, d);
    return c.next(i);
}

template <Kernel K, bool Fp>
Handler by_mem(unsigned mem) {
    switch (mem) {
        case 0: return binary<K, Fp, 0>;
        case 4: return binary<K, Fp, 4>;
        case 8: return binary<K, Fp, 8>;
        case 16: return binary<K, Fp, 16>;
    }
    return nullptr;
}

bool is_fp(SseBinary op) {
    switch (op) {
#define SIMX_X(U, l, fp) \
    case SseBinary::l: return fp;
        SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X
    }
    return false;
}

}  // namespace

bool bind_sse_binary(const InsnView& v, SseBinary op, Insn& out) {
    // PSLLW..PSRAD with an imm8 count are the immediate group (ops_sse_shuffle.cpp).
    if (v.count == 2 && v.xmm(0) && v.imm(1)) {
        switch (op) {
            case SseBinary::psllw: return bind_sse_shuffle(v, SseShuffle::kPsllw, out);
            case SseBinary::pslld: return bind_sse_shuffle(v, SseShuffle::kPslld, out);
            case SseBinary::psllq: return bind_sse_shuffle(v, SseShuffle::kPsllq, out);
            case SseBinary::psrlw: return bind_sse_shuffle(v, SseShuffle::kPsrlw, out);
            case SseBinary::psrld: return bind_sse_shuffle(v, SseShuffle::kPsrld, out);
            case SseBinary::psrlq: return bind_sse_shuffle(v, SseShuffle::kPsrlq, out);
            case SseBinary::psraw: return bind_sse_shuffle(v, SseShuffle::kPsraw, out);
            case SseBinary::psrad: return bind_sse_shuffle(v, SseShuffle::kPsrad, out);
            default: return false;
        }
    }
    if (v.count != 2 || !v.xmm(0) || !(v.xmm(1) || v.mem(1))) return false;
    const unsigned mem = v.mem(1) ? v.op[1].size : 0;
    out.dst = v.op[0].reg;
    if (!mem) out.src = v.op[1].reg;
    switch (op) {
#define SIMX_X(U, l, fp) \
    case SseBinary::l: out.fn = by_mem<k_##l, fp>(mem); break;
        SIMX_SSE_BINARY_OPS(SIMX_X)
#undef SIMX_X
    }
    // Division and square roots are long-latency (SDM Vol. 1 11.x; optimization manual): charged as div32.
    switch (op) {
        case SseBinary::divps: case SseBinary::divpd: case SseBinary::divss: case SseBinary::divsd:
        case SseBinary::sqrtps: case SseBinary::sqrtpd: case SseBinary::sqrtss: case SseBinary::sqrtsd:
            out.cls = InsnClass::kDiv32; break;
        default:
            out.cls = is_fp(op) ? InsnClass::kMul : InsnClass::kAlu; break;
    }
    return out.fn != nullptr;
}

}  // namespace simx
