// String instructions MOVS, STOS, LODS, CMPS, SCAS with REP/REPE/REPNE (SDM
// Vol. 2B and Vol. 1 7.3.9), 64-bit address size (RSI, RDI, RCX).
//
// Element semantics are exact (element by element, in the DF direction, so
// overlapping MOVS replicates as the SDM specifies). The memory model is that
// of fast strings: a REP instruction proceeds in chunks of the elements that
// lie in one source and one destination cache line, and each chunk translates
// and charges its lines once (a 4 KiB REP MOVSB is 64 line reads and 64 line
// writes, not 8192 accesses). RCX, RSI and RDI are committed after every
// chunk, so a fault leaves them at the first element not done and RIP at the
// instruction: re-executing resumes it (SDM 7.3.9.1); the flags are those from
// before the instruction, as on Intel cores. A fault's CR2 is the first byte
// the faulting element accesses, and CMPS reads [RDI] before [RSI] (both
// checked against the host by the harness's fault layout). A source FS/GS override
// applies to RSI; RDI always uses ES (base 0).
#include "sim/cpu/ops_common.h"

namespace simx {
namespace {

enum class Rep : uint8_t { kNone, kRep, kRepe, kRepne };

constexpr bool reads_source(StringOp op) { return op == StringOp::kMovs || op == StringOp::kLods || op == StringOp::kCmps; }
constexpr bool uses_dest(StringOp op) { return op != StringOp::kLods; }
constexpr bool compares(StringOp op) { return op == StringOp::kCmps || op == StringOp::kScas; }

inline uint64_t source_base(const Core& c, const Insn* i) {
    return i->mflags & memflag::kFs ? c.fs_base : i->mflags & memflag::kGs ? c.gs_base : 0;
}

// Elements of size S, starting at `addr` and moving `down` or up, that fit in
// addr's cache line (at least 1: an element straddling lines goes alone).
template <unsigned S>
inline uint64_t fit_in_line(uint64_t addr, bool down) {
    const uint64_t off = addr & 63;
    if (off + S > 64) return 1;
    return down ? off / S + 1 : (64 - off) / S;
}

// Translates the n elements from `first` (all in one cache line, or one
// element that may straddle lines and pages). The access starts at the first
// element, so a fault reports its address as CR2 whatever the direction; the
// returned host pointer is that of the lowest byte of the chunk.
template <AccessType T, unsigned S>
inline MemRef translate_chunk(Core& c, uint64_t first, uint64_t n, bool down) {
    if (!down) return c.translate_data<T>(first, static_cast<unsigned>(n * S), false);
    MemRef m = c.translate_data<T>(first, S, false);
    m.host -= (n - 1) * S;  // same cache line, so the same page
    m.first = static_cast<uint32_t>(n * S);
    return m;
}

template <unsigned S>
inline uint64_t element(const uint8_t* p) {
    uint64_t v = 0;
    std::memcpy(&v, p, S);
    return v;
}

// Runs up to `n` elements of the instruction, all within one line per operand;
// returns how many ran (fewer when REPE/REPNE stops early).
template <StringOp Op, unsigned S, Rep R>
uint64_t run_chunk(Core& c, const Insn* i, uint64_t n, bool down) {
    const uint64_t src = c.r[kRsi] + source_base(c, i);
    const uint64_t dst = c.r[kRdi];
    MemRef s{}, d{};
    // Translate everything first: a fault leaves this chunk undone. CMPS reads
    // ES:[RDI] before DS:[RSI], as Intel cores do (the harness compares CR2).
    constexpr AccessType dst_type = Op == StringOp::kMovs || Op == StringOp::kStos ? AccessType::kWrite : AccessType::kRead;
    if constexpr (Op == StringOp::kCmps) d = translate_chunk<dst_type, S>(c, dst, n, down);
    if constexpr (reads_source(Op)) {
        s = translate_chunk<AccessType::kRead, S>(c, src, n, down);
        ++c.counters.loads;
    }
    if constexpr (uses_dest(Op)) {
        if constexpr (Op != StringOp::kCmps) d = translate_chunk<dst_type, S>(c, dst, n, down);
        ++(dst_type == AccessType::kWrite ? c.counters.stores : c.counters.loads);
    }
    // Host pointers to element j: a page-split range has two parts (only when n == 1).
    auto at = [&](const MemRef& m, uint64_t j, uint8_t* buf) -> uint8_t* {
        if (!m.host2) return m.host + (down ? (n - 1 - j) * S : j * S);
        std::memcpy(buf, m.host, m.first);
        std::memcpy(buf + m.first, m.host2, S - m.first);
        return buf;
    };
    const int64_t step = down ? -static_cast<int64_t>(S) : static_cast<int64_t>(S);
    uint64_t done = 0;
    if constexpr (Op == StringOp::kMovs || Op == StringOp::kStos) {
        const uint64_t acc = c.reg<S>(reg_offset(kRax));
        if (!d.host2 && (!reads_source(Op) || !s.host2)) {
            for (uint64_t j = 0; j < n; ++j) {
                uint8_t* to = d.host + (down ? (n - 1 - j) * S : j * S);
                if constexpr (Op == StringOp::kMovs) {
                    const uint8_t* from = s.host + (down ? (n - 1 - j) * S : j * S);
                    std::memmove(to, from, S);  // per element: overlap replicates like hardware
                } else {
                    std::memcpy(to, &acc, S);
                }
            }
        } else {  // a single page-split element
            uint8_t buf[8];
            uint64_t v = acc;
            if constexpr (Op == StringOp::kMovs) v = element<S>(at(s, 0, buf));
            if (!d.host2) {
                std::memcpy(d.host, &v, S);
            } else {
                std::memcpy(d.host, &v, d.first);
                std::memcpy(d.host2, reinterpret_cast<uint8_t*>(&v) + d.first, S - d.first);
            }
        }
        c.note_write(d);
        done = n;
        c.r[kRdi] = dst + static_cast<uint64_t>(step) * n;
        if constexpr (Op == StringOp::kMovs) c.r[kRsi] += static_cast<uint64_t>(step) * n;
    } else if constexpr (Op == StringOp::kLods) {
        uint8_t buf[8];
        c.set_reg<S>(reg_offset(kRax), element<S>(at(s, n - 1, buf)));
        done = n;
        c.r[kRsi] += static_cast<uint64_t>(step) * n;
    } else {
        // CMPS: [RSI] - [RDI]; SCAS: rAX - [RDI]. Flags after every element.
        uint8_t b1[8], b2[8];
        const uint64_t acc = c.reg<S>(reg_offset(kRax));
        while (done < n) {
            const uint64_t a = Op == StringOp::kCmps ? element<S>(at(s, done, b1)) : acc;
            const uint64_t b = element<S>(at(d, done, b2));
            const uint64_t r = (a - b) & flags::kMask<S>;
            c.set_status(flags::sub<S>(a, b, r));
            ++done;
            if constexpr (R != Rep::kNone) c.r[kRcx] -= 1;
            if constexpr (R == Rep::kRepe) if (!c.flag(rflags::kZF)) break;
            if constexpr (R == Rep::kRepne) if (c.flag(rflags::kZF)) break;
        }
        c.r[kRdi] += static_cast<uint64_t>(step) * done;
        if constexpr (Op == StringOp::kCmps) c.r[kRsi] += static_cast<uint64_t>(step) * done;
        return done;
    }
    if constexpr (R != Rep::kNone) c.r[kRcx] -= done;
    return done;
}

template <StringOp Op, unsigned S, Rep R>
const Insn* string_op(Core& c, const Insn* i) {
    const bool down = c.flag(rflags::kDF);
    if constexpr (R == Rep::kNone) {
        run_chunk<Op, S, R>(c, i, 1, down);
        return c.next(i);
    } else {
        uint64_t chunks = 0;
        const uint64_t flags_before = c.rflags;
        try {
            while (c.r[kRcx] != 0) {
                uint64_t n = c.r[kRcx];
                if constexpr (reads_source(Op)) n = std::min(n, fit_in_line<S>(c.r[kRsi] + source_base(c, i), down));
                if constexpr (uses_dest(Op)) n = std::min(n, fit_in_line<S>(c.r[kRdi], down));
                const uint64_t done = run_chunk<Op, S, R>(c, i, n, down);
                ++chunks;
                if (compares(Op) && done < n) break;
                if constexpr (R == Rep::kRepe) if (!c.flag(rflags::kZF)) break;
                if constexpr (R == Rep::kRepne) if (c.flag(rflags::kZF)) break;
            }
        } catch (const GuestFault&) {
            // A fault commits RCX/RSI/RDI progress but not the flags of the
            // elements compared so far (as on the Intel host; restarting the
            // instruction recomputes them).
            c.rflags = flags_before;
            if (chunks > 1) c.charge_string_lines(chunks - 1);
            throw;
        }
        if (chunks > 1) c.charge_string_lines(chunks - 1);
        return c.next(i);
    }
}

template <StringOp Op, unsigned S>
Handler string_handler(Rep rep) {
    switch (rep) {
        case Rep::kNone: return string_op<Op, S, Rep::kNone>;
        case Rep::kRep: return string_op<Op, S, Rep::kRep>;
        case Rep::kRepe: return string_op<Op, S, Rep::kRepe>;
        case Rep::kRepne: return string_op<Op, S, Rep::kRepne>;
    }
    return nullptr;
}

template <StringOp Op>
Handler string_handler(unsigned size, Rep rep) {
    return by_size(size, [&]<unsigned S>() -> Handler { return string_handler<Op, S>(rep); });
}

}  // namespace

bool bind_string(const InsnView& v, StringOp op, unsigned size, Insn& out) {
    if (v.addrsize != 8) return false;  // 32-bit address size (67H) is not implemented
    Rep rep = Rep::kNone;
    if (compares(op)) rep = v.rep ? Rep::kRepe : v.repne ? Rep::kRepne : Rep::kNone;
    else if (v.rep || v.repne) rep = Rep::kRep;  // F2 with MOVS/STOS/LODS acts as REP
    switch (op) {
        case StringOp::kMovs: out.fn = string_handler<StringOp::kMovs>(size, rep); break;
        case StringOp::kStos: out.fn = string_handler<StringOp::kStos>(size, rep); break;
        case StringOp::kLods: out.fn = string_handler<StringOp::kLods>(size, rep); break;
        case StringOp::kCmps: out.fn = string_handler<StringOp::kCmps>(size, rep); break;
        case StringOp::kScas: out.fn = string_handler<StringOp::kScas>(size, rep); break;
    }
    out.cls = InsnClass::kString;
    return out.fn != nullptr;
}

}  // namespace simx
