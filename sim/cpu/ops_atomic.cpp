// XCHG, XADD, CMPXCHG, CMPXCHG8B and CMPXCHG16B (SDM Vol. 2).
//
// XCHG with memory is locked whether or not it has a LOCK prefix (SDM XCHG).
// Every memory operand here is a read-modify-write: translated once, as a
// write access (Core::rmw_ref). CMPXCHG writes its destination even when the
// comparison fails (the old value), as the SDM specifies. One simulated CPU
// runs at a time, so the read-modify-write is atomic by construction.
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

// ---- XCHG ------------------------------------------------------------------
template <unsigned S>
const Insn* xchg_rr(Core& c, const Insn* i) {
    const uint64_t a = c.reg<S>(i->dst);
    const uint64_t b = c.reg<S>(i->src);
    c.set_reg<S>(i->src, a);
    c.set_reg<S>(i->dst, b);
    return c.next(i);
}

template <unsigned S>
const Insn* xchg_mr(Core& c, const Insn* i) {
    const MemRef m = c.rmw_ref(c.ea(*i), S, i->stack, true);
    const uint64_t old = Core::read<S>(m);
    c.write<S>(m, c.reg<S>(i->src));
    c.set_reg<S>(i->src, old);
    return c.next(i);
}

// ---- XADD: dest <- dest + src, src <- old dest --------------------------------
template <unsigned S, bool Mem, bool Locked>
const Insn* xadd(Core& c, const Insn* i) {
    const uint64_t b = c.reg<S>(i->src);
    uint64_t f = c.rflags;
    uint64_t old;
    if constexpr (!Mem) {
        old = c.reg<S>(i->dst);
        const uint64_t r = (old + b) & flags::kMask<S>;
        f = flags::merge_status(f, flags::add<S>(old, b, r));
        c.set_reg<S>(i->src, old);
        c.set_reg<S>(i->dst, r);
    } else {
        const uint64_t addr = c.ea(*i);
        const MemRef m = c.rmw_ref(addr, S, i->stack, Locked);
        old = Core::read<S>(m);
        const uint64_t r = (old + b) & flags::kMask<S>;
        f = flags::merge_status(f, flags::add<S>(old, b, r));
        c.write<S>(m, r);
        c.set_reg<S>(i->src, old);
    }
    c.rflags = f;
    return c.next(i);
}

// ---- CMPXCHG: compare the accumulator with dest ---------------------------------
template <unsigned S, bool Mem, bool Locked>
const Insn* cmpxchg(Core& c, const Insn* i) {
    const uint64_t acc = c.reg<S>(reg_offset(kRax));
    const uint64_t src = c.reg<S>(i->src);
    uint64_t dest;
    if constexpr (Mem) {
        const uint64_t addr = c.ea(*i);
        const MemRef m = c.rmw_ref(addr, S, i->stack, Locked);
        dest = Core::read<S>(m);
        c.write<S>(m, acc == dest ? src : dest);
    } else {
        dest = c.reg<S>(i->dst);
        if (acc == dest) c.set_reg<S>(i->dst, src);
    }
    const uint64_t r = (acc - dest) & flags::kMask<S>;
    c.set_status(flags::sub<S>(acc, dest, r));
    if (acc != dest) c.set_reg<S>(reg_offset(kRax), dest);
    return c.next(i);
}

// ---- CMPXCHG8B / CMPXCHG16B ----------------------------------------------------
const Insn* cmpxchg8b(Core& c, const Insn* i) {
    const MemRef m = c.rmw_ref(c.ea(*i), 8, i->stack, true);
    const uint64_t old = Core::read<8>(m);
    const uint64_t expected = (c.r[kRdx] << 32) | static_cast<uint32_t>(c.r[kRax]);
    const bool equal = old == expected;
    c.write<8>(m, equal ? ((c.r[kRcx] << 32) | static_cast<uint32_t>(c.r[kRbx])) : old);
    if (equal) {
        c.rflags |= rflags::kZF;
    } else {
        c.rflags &= ~rflags::kZF;
        c.r[kRax] = static_cast<uint32_t>(old);
        c.r[kRdx] = old >> 32;
    }
    return c.next(i);
}

const Insn* cmpxchg16b(Core& c, const Insn* i) {
    const uint64_t addr = c.ea(*i);
    if (addr & 15) c.raise(vector::kGeneralProtection, 0);  // SDM CMPXCHG16B: 16-byte alignment
    const MemRef m = c.rmw_ref(addr, 16, i->stack, true);     // aligned: never page-split
    uint64_t old[2];
    std::memcpy(old, m.host, 16);
    const bool equal = old[0] == c.r[kRax] && old[1] == c.r[kRdx];
    const uint64_t nv[2] = {c.r[kRbx], c.r[kRcx]};
    std::memcpy(m.host, equal ? nv : old, 16);
    c.note_write(m);
    if (equal) {
        c.rflags |= rflags::kZF;
    } else {
        c.rflags &= ~rflags::kZF;
        c.r[kRax] = old[0];
        c.r[kRdx] = old[1];
    }
    return c.next(i);
}

}  // namespace

bool bind_xchg(const InsnView& v, Insn& out) {
    if (v.count != 2) return false;
    if (v.reg(0) && v.reg(1)) {
        out.dst = reg_of(v, 0);
        out.src = reg_of(v, 1);
        out.fn = by_size(v.op[0].size, [&]<unsigned S>() -> Handler { return xchg_rr<S>; });
        return out.fn != nullptr;
    }
    unsigned m = 0, r = 1;
    if (v.mem(1) && v.reg(0)) m = 1, r = 0;
    if (!v.mem(m) || !v.reg(r)) return false;
    out.src = reg_of(v, r);
    out.fn = by_size(v.op[r].size, [&]<unsigned S>() -> Handler { return xchg_mr<S>; });
    out.cls = InsnClass::kLocked;
    return out.fn != nullptr;
}

bool bind_xadd(const InsnView& v, Insn& out) {
    if (v.count != 2 || !(v.reg(0) || v.mem(0)) || !v.reg(1)) return false;
    const bool mem = v.mem(0);
    if (v.lock && !mem) return false;
    if (!mem) out.dst = reg_of(v, 0);
    out.src = reg_of(v, 1);
    out.fn = by_size(v.op[0].size, [&]<unsigned S>() -> Handler {
        if (!mem) return xadd<S, false, false>;
        return v.lock ? xadd<S, true, true> : xadd<S, true, false>;
    });
    out.cls = v.lock ? InsnClass::kLocked : InsnClass::kAlu;
    return out.fn != nullptr;
}

bool bind_cmpxchg(const InsnView& v, Insn& out) {
    if (v.count != 2 || !(v.reg(0) || v.mem(0)) || !v.reg(1)) return false;
    const bool mem = v.mem(0);
    if (v.lock && !mem) return false;
    if (!mem) out.dst = reg_of(v, 0);
    out.src = reg_of(v, 1);
    out.fn = by_size(v.op[0].size, [&]<unsigned S>() -> Handler {
        if (!mem) return cmpxchg<S, false, false>;
        return v.lock ? cmpxchg<S, true, true> : cmpxchg<S, true, false>;
    });
    out.cls = v.lock ? InsnClass::kLocked : InsnClass::kAlu;
    return out.fn != nullptr;
}

bool bind_cmpxchg_wide(const InsnView& v, bool sixteen, Insn& out) {
    if (v.count != 1 || !v.mem(0)) return false;
    out.fn = sixteen ? cmpxchg16b : cmpxchg8b;
    out.cls = InsnClass::kLocked;
    return true;
}

}  // namespace simx
