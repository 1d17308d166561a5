// SSE/SSE2 compares and the conversions between XMM and general-purpose
// registers (SDM Vol. 2): CMPPS/CMPPD/CMPSS/CMPSD with predicates 0-7,
// UCOMISS/UCOMISD/COMISS/COMISD (ZF, PF, CF; OF, SF, AF cleared),
// CVTSI2SS/CVTSI2SD, CVTSS2SI/CVTSD2SI and the truncating CVTTSS2SI/CVTTSD2SI.
// All are computed by the host instruction under the guest's MXCSR (ops_sse.h).
#include "sim/cpu/ops_sse.h"

namespace simx {
namespace {

// The prologue/epilogue around one host instruction: save the host MXCSR,
// load the guest's (all exceptions masked), run, read the flags, restore.
#define SIMX_FP_PRE "stmxcsr %[h]\n\tldmxcsr %[in]\n\t"
#define SIMX_FP_POST "\n\tstmxcsr %[o]\n\tldmxcsr %[h]"

// ---- CMPccPS/PD/SS/SD: imm8[2:0] selects the predicate (legacy SSE) -----------
#define SIMX_CMP(l)                                                                                 \
    template <unsigned P>                                                                           \
    uint32_t k_##l(__m128i& d, __m128i s, uint32_t mxcsr) {                                         \
        uint32_t host = 0, in = sse::host_mxcsr(mxcsr), out = 0;                                    \
        asm volatile(SIMX_FP_PRE #l " %[p], %[s], %[d]" SIMX_FP_POST                                \
                     : [d] "+x"(d), [h] "+m"(host), [o] "+m"(out)                                    \
                     : [s] "x"(s), [in] "m"(in), [p] "i"(P));                                       \
        return out;                                                                                 \
    }
SIMX_CMP(cmpps) SIMX_CMP(cmppd) SIMX_CMP(cmpss) SIMX_CMP(cmpsd)
#undef SIMX_CMP

using Kernel = uint32_t (*)(__m128i& d, __m128i s, uint32_t mxcsr);

template <Kernel K, unsigned Mem>
const Insn* compare(Core& c, const Insn* i) {
    const __m128i s = sse::source<Mem>(c, i);
    __m128i d = sse::get(c, i->dst);
    sse::commit_mxcsr(c, K(d, s, c.mxcsr));
    sse::put(c, i->dst, d);
    return c.next(i);
}

// ---- UCOMISS/UCOMISD/COMISS/COMISD -> ZF, PF, CF --------------------------------
#define SIMX_COMI(l)                                                                            \
    uint64_t k_##l(__m128i d, __m128i s, uint32_t mxcsr, uint32_t& raised) {                    \
        uint32_t host = 0, in = sse::host_mxcsr(mxcsr), out = 0;                                \
        bool z, p, cf;                                                                          \
        asm volatile(SIMX_FP_PRE #l " %[s], %[d]" SIMX_FP_POST                                  \
                     : "=@ccz"(z), "=@ccp"(p), "=@ccc"(cf), [h] "+m"(host), [o] "+m"(out)        \
                     : [d] "x"(d), [s] "x"(s), [in] "m"(in));                                   \
        raised = out;                                                                           \
        return (z ? rflags::kZF : 0) | (p ? rflags::kPF : 0) | (cf ? rflags::kCF : 0);          \
    }
SIMX_COMI(ucomiss) SIMX_COMI(ucomisd) SIMX_COMI(comiss) SIMX_COMI(comisd)
#undef SIMX_COMI

using ComiKernel = uint64_t (*)(__m128i d, __m128i s, uint32_t mxcsr, uint32_t& raised);

template <ComiKernel K, unsigned Mem>
const Insn* comi(Core& c, const Insn* i) {
    const __m128i s = sse::source<Mem>(c, i);
    uint32_t raised = 0;
    const uint64_t f = K(sse::get(c, i->dst), s, c.mxcsr, raised);
    sse::commit_mxcsr(c, raised);
    c.set_status(f);
    return c.next(i);
}

// ---- CVTSI2SS/CVTSI2SD xmm, r/m32/64 -----------------------------------------
#define SIMX_CVT_FROM_INT(l)                                                                    \
    template <unsigned N>                                                                       \
    uint32_t k_##l(__m128i& d, uint64_t v, uint32_t mxcsr) {                                    \
        uint32_t host = 0, in = sse::host_mxcsr(mxcsr), out = 0;                                \
        if constexpr (N == 8) {                                                                 \
            asm volatile(SIMX_FP_PRE #l " %[v], %[d]" SIMX_FP_POST                              \
                         : [d] "+x"(d), [h] "+m"(host), [o] "+m"(out)                            \
                         : [v] "r"(v), [in] "m"(in));                                           \
        } else {                                                                                \
            const uint32_t w = static_cast<uint32_t>(v);                                        \
            asm volatile(SIMX_FP_PRE #l " %[v], %[d]" SIMX_FP_POST                              \
                         : [d] "+x"(d), [h] "+m"(host), [o] "+m"(out)                            \
                         : [v] "r"(w), [in] "m"(in));                                           \
        }                                                                                       \
        return out;                                                                             \
    }
SIMX_CVT_FROM_INT(cvtsi2ss) SIMX_CVT_FROM_INT(cvtsi2sd)
#undef SIMX_CVT_FROM_INT

using FromIntKernel = uint32_t (*)(__m128i& d, uint64_t v, uint32_t mxcsr);

template <FromIntKernel K, unsigned N, bool Mem>
const Insn* from_int(Core& c, const Insn* i) {
    const uint64_t v = Mem ? c.load<N>(c.ea(*i), i->stack) : c.reg<N>(i->src);
    __m128i d = sse::get(c, i->dst);
    sse::commit_mxcsr(c, K(d, v, c.mxcsr));
    sse::put(c, i->dst, d);
    return c.next(i);
}

// ---- CVT(T)SS2SI/CVT(T)SD2SI r32/64, xmm/m -------------------------------------
#define SIMX_CVT_TO_INT(l)                                                                      \
    template <unsigned N>                                                                       \
    uint64_t k_##l(__m128i s, uint32_t mxcsr, uint32_t& raised) {                               \
        uint32_t host = 0, in = sse::host_mxcsr(mxcsr), out = 0;                                \
        uint64_t r;                                                                             \
        if constexpr (N == 8) {                                                                 \
            asm volatile(SIMX_FP_PRE #l " %[s], %[r]" SIMX_FP_POST                              \
                         : [r] "=r"(r), [h] "+m"(host), [o] "+m"(out)                            \
                         : [s] "x"(s), [in] "m"(in));                                           \
        } else {                                                                                \
            uint32_t w;                                                                         \
            asm volatile(SIMX_FP_PRE #l " %[s], %[r]" SIMX_FP_POST                              \
                         : [r] "=r"(w), [h] "+m"(host), [o] "+m"(out)                            \
                         : [s] "x"(s), [in] "m"(in));                                           \
            r = w;                                                                              \
        }                                                                                       \
        raised = out;                                                                           \
        return r;                                                                               \
    }
SIMX_CVT_TO_INT(cvtss2si) SIMX_CVT_TO_INT(cvtsd2si) SIMX_CVT_TO_INT(cvttss2si) SIMX_CVT_TO_INT(cvttsd2si)
#undef SIMX_CVT_TO_INT

using ToIntKernel = uint64_t (*)(__m128i s, uint32_t mxcsr, uint32_t& raised);

template <ToIntKernel K, unsigned N, unsigned Mem>
const Insn* to_int(Core& c, const Insn* i) {
    const __m128i s = sse::source<Mem>(c, i);
    uint32_t raised = 0;
    const uint64_t r = K(s, c.mxcsr, raised);
    sse::commit_mxcsr(c, raised);
    c.set_reg<N>(i->dst, r);
    return c.next(i);
}

template <Kernel K>
Handler compare_by_mem(unsigned mem) {
    switch (mem) {
        case 0: return compare<K, 0>;
        case 4: return compare<K, 4>;
        case 8: return compare<K, 8>;
        case 16: return compare<K, 16>;
    }
    return nullptr;
}

template <ComiKernel K>
Handler comi_by_mem(unsigned mem) {
    switch (mem) {
        case 0: return comi<K, 0>;
        case 4: return comi<K, 4>;
        case 8: return comi<K, 8>;
    }
    return nullptr;
}

template <template <unsigned> class K>
Handler to_int_by(unsigned n, unsigned mem) {
    if (n == 8) return mem == 0 ? to_int<K<8>::fn, 8, 0> : mem == 4 ? to_int<K<8>::fn, 8, 4> : to_int<K<8>::fn, 8, 8>;
    return mem == 0 ? to_int<K<4>::fn, 4, 0> : mem == 4 ? to_int<K<4>::fn, 4, 4> : to_int<K<4>::fn, 4, 8>;
}
#define SIMX_WRAP(l) \
    template <unsigned N> struct W_##l { static constexpr ToIntKernel fn = k_##l<N>; };
SIMX_WRAP(cvtss2si) SIMX_WRAP(cvtsd2si) SIMX_WRAP(cvttss2si) SIMX_WRAP(cvttsd2si)
#undef SIMX_WRAP

#define SIMX_CMP_WRAP(l) \
    template <unsigned P> struct C_##l { static constexpr Kernel fn = k_##l<P>; };
SIMX_CMP_WRAP(cmpps) SIMX_CMP_WRAP(cmppd) SIMX_CMP_WRAP(cmpss) SIMX_CMP_WRAP(cmpsd)
#undef SIMX_CMP_WRAP

template <template <unsigned> class C>
Handler compare_by(unsigned p, unsigned mem) {
    switch (p & 7) {
        case 0: return compare_by_mem<C<0>::fn>(mem);
        case 1: return compare_by_mem<C<1>::fn>(mem);
        case 2: return compare_by_mem<C<2>::fn>(mem);
        case 3: return compare_by_mem<C<3>::fn>(mem);
        case 4: return compare_by_mem<C<4>::fn>(mem);
        case 5: return compare_by_mem<C<5>::fn>(mem);
        case 6: return compare_by_mem<C<6>::fn>(mem);
        default: return compare_by_mem<C<7>::fn>(mem);
    }
}

}  // namespace

bool bind_sse_convert(const InsnView& v, SseConvert op, Insn& out) {
    switch (op) {
        case SseConvert::kCmpps: case SseConvert::kCmppd: case SseConvert::kCmpss: case SseConvert::kCmpsd: {
            if (v.count != 3 || !v.xmm(0) || !(v.xmm(1) || v.mem(1)) || !v.imm(2)) return false;
            // imm8[7:3] are reserved in legacy SSE; this CPU (like the host) ignores them.
            const unsigned mem = v.mem(1) ? v.op[1].size : 0;
            out.dst = v.op[0].reg;
            if (!mem) out.src = v.op[1].reg;
            const unsigned p = static_cast<unsigned>(v.op[2].imm);
            if (op == SseConvert::kCmpps) out.fn = compare_by<C_cmpps>(p, mem);
            else if (op == SseConvert::kCmppd) out.fn = compare_by<C_cmppd>(p, mem);
            else if (op == SseConvert::kCmpss) out.fn = compare_by<C_cmpss>(p, mem);
            else out.fn = compare_by<C_cmpsd>(p, mem);
            out.cls = InsnClass::kMul;
            return out.fn != nullptr;
        }
        case SseConvert::kUcomiss: case SseConvert::kUcomisd: case SseConvert::kComiss: case SseConvert::kComisd: {
            if (v.count != 2 || !v.xmm(0) || !(v.xmm(1) || v.mem(1))) return false;
            const unsigned mem = v.mem(1) ? v.op[1].size : 0;
            out.dst = v.op[0].reg;
            if (!mem) out.src = v.op[1].reg;
            if (op == SseConvert::kUcomiss) out.fn = comi_by_mem<k_ucomiss>(mem);
            else if (op == SseConvert::kUcomisd) out.fn = comi_by_mem<k_ucomisd>(mem);
            else if (op == SseConvert::kComiss) out.fn = comi_by_mem<k_comiss>(mem);
            else out.fn = comi_by_mem<k_comisd>(mem);
            return out.fn != nullptr;
        }
        case SseConvert::kCvtsi2ss: case SseConvert::kCvtsi2sd: {
            if (v.count != 2 || !v.xmm(0) || !(v.reg(1) || v.mem(1))) return false;
            const unsigned n = v.op[1].size;
            if (n != 4 && n != 8) return false;
            const bool mem = v.mem(1);
            out.dst = v.op[0].reg;
            if (!mem) out.src = v.op[1].reg;
            if (op == SseConvert::kCvtsi2ss)
                out.fn = n == 8 ? (mem ? from_int<k_cvtsi2ss<8>, 8, true> : from_int<k_cvtsi2ss<8>, 8, false>)
                                : (mem ? from_int<k_cvtsi2ss<4>, 4, true> : from_int<k_cvtsi2ss<4>, 4, false>);
            else
                out.fn = n == 8 ? (mem ? from_int<k_cvtsi2sd<8>, 8, true> : from_int<k_cvtsi2sd<8>, 8, false>)
                                : (mem ? from_int<k_cvtsi2sd<4>, 4, true> : from_int<k_cvtsi2sd<4>, 4, false>);
            out.cls = InsnClass::kMul;
            return true;
        }
        case SseConvert::kCvtss2si: case SseConvert::kCvtsd2si: case SseConvert::kCvttss2si: case SseConvert::kCvttsd2si: {
            if (v.count != 2 || !v.reg(0) || !(v.xmm(1) || v.mem(1))) return false;
            const unsigned n = v.op[0].size;
            if (n != 4 && n != 8) return false;
            const unsigned mem = v.mem(1) ? v.op[1].size : 0;
            if (mem != 0 && mem != 4 && mem != 8) return false;
            out.dst = v.op[0].reg;
            if (!mem) out.src = v.op[1].reg;
            if (op == SseConvert::kCvtss2si) out.fn = to_int_by<W_cvtss2si>(n, mem);
            else if (op == SseConvert::kCvtsd2si) out.fn = to_int_by<W_cvtsd2si>(n, mem);
            else if (op == SseConvert::kCvttss2si) out.fn = to_int_by<W_cvttss2si>(n, mem);
            else out.fn = to_int_by<W_cvttsd2si>(n, mem);
            out.cls = InsnClass::kMul;
            return true;
        }
    }
    return false;
}

}  // namespace simx
