// Bit tests BT/BTS/BTR/BTC and bit scans BSF/BSR/POPCNT/LZCNT (SDM Vol. 2A).
//
// BTx: CF = the selected bit; ZF unchanged; OF, SF, AF, PF undefined and kept.
// With a register bit offset and a memory operand the offset is signed and
// reaches outside the operand: the access is operand-sized at
// EA + size * (offset DIV bits) (SDM BT, "bit base").
// BSF/BSR: a zero source sets ZF and leaves the destination unchanged (as
// Intel and AMD cores do; the SDM says undefined); of the undefined flags,
// CF, OF, SF and AF are cleared and PF is the parity of the destination (set
// for a zero source), as on the Intel host of the differential harness.
// POPCNT clears all flags but ZF; LZCNT sets CF and ZF and clears the rest.
// TZCNT (F3 0F BC) runs as BSF because CPUID does not report BMI1, as on a
// processor without it (SDM TZCNT).
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

template <BitTestOp Op>
inline uint64_t apply(uint64_t v, uint64_t mask) {
    if constexpr (Op == BitTestOp::kBts) return v | mask;
    else if constexpr (Op == BitTestOp::kBtr) return v & ~mask;
    else if constexpr (Op == BitTestOp::kBtc) return v ^ mask;
    else return v;
}

inline void set_cf(Core& c, uint64_t bit) { c.rflags = (c.rflags & ~rflags::kCF) | (bit & 1); }

// Offset from a register (RegOffset) or the immediate; destination in a register or memory.
template <BitTestOp Op, unsigned S, bool Mem, bool RegOffset, bool Locked>
const Insn* bit_test(Core& c, const Insn* i) {
    constexpr unsigned bits = 8 * S;
    const uint64_t raw = RegOffset ? c.reg<S>(i->src) : i->imm;
    const unsigned bit = static_cast<unsigned>(raw & (bits - 1));
    const uint64_t mask = uint64_t{1} << bit;
    if constexpr (!Mem) {
        const uint64_t v = c.reg<S>(i->dst);
        if constexpr (Op != BitTestOp::kBt) c.set_reg<S>(i->dst, apply<Op>(v, mask));
        set_cf(c, v >> bit);
    } else {
        uint64_t addr = c.ea(*i);
        if constexpr (RegOffset) {
            const int64_t word = flags::sign_extend<S>(raw) >> (S == 2 ? 4 : S == 4 ? 5 : 6);
            addr += static_cast<uint64_t>(word) * S;
        }
        uint64_t v;
        if constexpr (Op == BitTestOp::kBt) {
            v = c.load<S>(addr, i->stack);
        } else {
            const MemRef m = c.rmw_ref(addr, S, i->stack, Locked);
            v = Core::read<S>(m);
            c.write<S>(m, apply<Op>(v, mask));
        }
        set_cf(c, v >> bit);
    }
    return c.next(i);
}

template <BitTestOp Op>
Handler bit_test_handler(unsigned size, bool mem, bool reg_offset, bool lock) {
    return by_size(size, [&]<unsigned S>() -> Handler {
        if constexpr (S == 1) {
            return nullptr;
        } else {
            if (!mem) return reg_offset ? bit_test<Op, S, false, true, false> : bit_test<Op, S, false, false, false>;
            if (lock) return reg_offset ? bit_test<Op, S, true, true, true> : bit_test<Op, S, true, false, true>;
            return reg_offset ? bit_test<Op, S, true, true, false> : bit_test<Op, S, true, false, false>;
        }
    });
}

template <BitScanOp Op, unsigned S, bool Mem>
const Insn* bit_scan(Core& c, const Insn* i) {
    constexpr unsigned bits = 8 * S;
    const uint64_t v = Mem ? c.load<S>(c.ea(*i), i->stack) : c.reg<S>(i->src);
    uint64_t f = c.rflags;
    if constexpr (Op == BitScanOp::kBsf || Op == BitScanOp::kBsr) {
        if (v != 0) {
            const unsigned n = Op == BitScanOp::kBsf ? static_cast<unsigned>(__builtin_ctzll(v))
                                                     : 63u - static_cast<unsigned>(__builtin_clzll(v));
            c.set_reg<S>(i->dst, n);
        }
        f = flags::merge_status(f, v == 0 ? (rflags::kZF | rflags::kPF) : flags::kParity[c.reg<1>(i->dst)]);
    } else if constexpr (Op == BitScanOp::kPopcnt) {
        c.set_reg<S>(i->dst, static_cast<uint64_t>(__builtin_popcountll(v)));
        f = flags::merge_status(f, v == 0 ? rflags::kZF : 0);
    } else {
        const uint64_t n = v == 0 ? bits : static_cast<uint64_t>(__builtin_clzll(v)) - (64 - bits);
        c.set_reg<S>(i->dst, n);
        f = flags::merge_status(f, (v == 0 ? rflags::kCF : 0) | (n == 0 ? rflags::kZF : 0));
    }
    c.rflags = f;
    return c.next(i);
}

template <BitScanOp Op>
Handler bit_scan_handler(unsigned size, bool mem) {
    return by_size(size, [&]<unsigned S>() -> Handler {
        if constexpr (S == 1) return nullptr;
        else return mem ? bit_scan<Op, S, true> : bit_scan<Op, S, false>;
    });
}

}  // namespace

bool bind_bit_test(const InsnView& v, BitTestOp op, Insn& out) {
    if (v.count != 2 || !(v.reg(0) || v.mem(0)) || !(v.reg(1) || v.imm(1))) return false;
    const bool mem = v.mem(0);
    const bool reg_offset = v.reg(1);
    if (v.lock && (!mem || op == BitTestOp::kBt)) return false;
    if (!mem) out.dst = reg_of(v, 0);
    if (reg_offset) out.src = reg_of(v, 1);
    else out.imm = v.op[1].imm & 0xFF;
    const unsigned size = v.op[0].size;
    switch (op) {
        case BitTestOp::kBt: out.fn = bit_test_handler<BitTestOp::kBt>(size, mem, reg_offset, false); break;
        case BitTestOp::kBts: out.fn = bit_test_handler<BitTestOp::kBts>(size, mem, reg_offset, v.lock); break;
        case BitTestOp::kBtr: out.fn = bit_test_handler<BitTestOp::kBtr>(size, mem, reg_offset, v.lock); break;
        case BitTestOp::kBtc: out.fn = bit_test_handler<BitTestOp::kBtc>(size, mem, reg_offset, v.lock); break;
    }
    out.cls = v.lock ? InsnClass::kLocked : InsnClass::kAlu;
    return out.fn != nullptr;
}

bool bind_bit_scan(const InsnView& v, BitScanOp op, Insn& out) {
    if (v.count != 2 || !v.reg(0) || !(v.reg(1) || v.mem(1))) return false;
    const bool mem = v.mem(1);
    out.dst = reg_of(v, 0);
    if (!mem) out.src = reg_of(v, 1);
    const unsigned size = v.op[0].size;
    switch (op) {
        case BitScanOp::kBsf: out.fn = bit_scan_handler<BitScanOp::kBsf>(size, mem); break;
        case BitScanOp::kBsr: out.fn = bit_scan_handler<BitScanOp::kBsr>(size, mem); break;
        case BitScanOp::kPopcnt: out.fn = bit_scan_handler<BitScanOp::kPopcnt>(size, mem); break;
        case BitScanOp::kLzcnt: out.fn = bit_scan_handler<BitScanOp::kLzcnt>(size, mem); break;
    }
    out.cls = InsnClass::kBitScan;
    return out.fn != nullptr;
}

}  // namespace simx
