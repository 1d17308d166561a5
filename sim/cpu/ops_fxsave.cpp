// FXSAVE/FXRSTOR and their REX.W forms (SDM Vol. 2 FXSAVE, table 10-2 of
// Vol. 1): the x87, MXCSR and XMM0-15 state as a 512-byte image. glibc's lazy
// binding saves the vector registers with them when XSAVE is not reported.
// The operand must be 16-byte aligned (#GP(0)); FXRSTOR of an MXCSR with a
// reserved bit set is #GP(0). Bytes 416-511 are neither written nor read.
#include "sim/cpu/ops_sse.h"
#include "sim/cpu/x87_image.h"

namespace simx {
namespace {

constexpr unsigned kWritten = 416;   // header, ST0-7, XMM0-15
constexpr uint32_t kMxcsrMask = 0xFFFF;

// The host accesses the last byte of the 512-byte area first: a fault on
// its page reports CR2 = address + 511 (observed; the SDM leaves the order
// open). So that page is translated first.
template <AccessType T>
void probe_end(Core& c, const Insn* i, uint64_t va) {
    (void)c.translate_data<T>(va + 511, 1, i->stack);
}

template <bool Rex>
const Insn* fxsave(Core& c, const Insn* i) {
    alignas(16) uint8_t img[512];
    x87::to_image(c.x87, c.mxcsr, img);
    std::memcpy(img + 28, &kMxcsrMask, 4);
    if constexpr (!Rex) {  // 32-bit FIP/FDP with (zero) selectors
        std::memset(img + 12, 0, 4);
        std::memset(img + 20, 0, 4);
    }
    for (unsigned n = 0; n < 16; ++n) std::memcpy(img + 160 + 16 * n, c.xmm[n].bytes.data(), 16);
    const uint64_t va = sse::address(c, i, true);
    probe_end<AccessType::kWrite>(c, i, va);
    ++c.counters.stores;
    const MemRef m = c.translate_data<AccessType::kWrite>(va, kWritten, i->stack);
    if (!m.host2) {
        std::memcpy(m.host, img, kWritten);
    } else {
        std::memcpy(m.host, img, m.first);
        std::memcpy(m.host2, img + m.first, kWritten - m.first);
    }
    c.note_write(m);
    return c.next(i);
}

template <bool Rex>
const Insn* fxrstor(Core& c, const Insn* i) {
    const uint64_t va = sse::address(c, i, true);
    probe_end<AccessType::kRead>(c, i, va);
    ++c.counters.loads;
    const MemRef m = c.translate_data<AccessType::kRead>(va, kWritten, i->stack);
    alignas(16) uint8_t img[512] = {};
    if (!m.host2) {
        std::memcpy(img, m.host, kWritten);
    } else {
        std::memcpy(img, m.host, m.first);
        std::memcpy(img + m.first, m.host2, kWritten - m.first);
    }
    uint32_t mxcsr;
    std::memcpy(&mxcsr, img + x87::kMxcsr, 4);
    if (mxcsr & ~sse::kWritable) c.raise(vector::kGeneralProtection, 0);
    x87::from_image(img, c.x87);
    std::memcpy(&c.x87.fop, img + x87::kFop, 2);
    c.x87.fip = 0;
    c.x87.fdp = 0;
    std::memcpy(&c.x87.fip, img + x87::kFip, Rex ? 8 : 4);
    std::memcpy(&c.x87.fdp, img + x87::kFdp, Rex ? 8 : 4);
    c.mxcsr = mxcsr;
    for (unsigned n = 0; n < 16; ++n) std::memcpy(c.xmm[n].bytes.data(), img + 160 + 16 * n, 16);
    return c.next(i);
}

}  // namespace

bool bind_fxsave(const InsnView& v, bool restore, bool rex, Insn& out) {
    if (v.count != 1 || !v.mem(0)) return false;
    if (restore) out.fn = rex ? fxrstor<true> : fxrstor<false>;
    else out.fn = rex ? fxsave<true> : fxsave<false>;
    out.cls = InsnClass::kString;
    return true;
}

}  // namespace simx
