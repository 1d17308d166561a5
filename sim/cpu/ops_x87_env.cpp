// The x87 environment and whole-state instructions (SDM Vol. 1 8.1.10, figures
// 8-9 and 8-10 for the 32-bit protected-mode layout that 64-bit mode uses
// with the default operand size; Vol. 2 FSTENV/FLDENV/FSAVE/FRSTOR):
//
//   FNSTENV m28   FCW, FSW, FTW (full 2-bit tags), FIP[31:0], FCS/FOP, FDP[31:0], FDS,
//                 each in a 32-bit slot; then all exceptions are masked
//   FLDENV  m28   loads that environment
//   FNSAVE  m108  the environment, then ST(0)..ST(7) as 80-bit values; then FNINIT
//   FRSTOR  m108  loads that state
//
// As for every x87 form (ops_x87.cpp) the host executes the instruction on the
// guest's state, so the layout's details are the host's: reserved upper halves
// stored as 1s, FCS/FDS as 0 (deprecated, x87_pointers.h), FOP in bits 26:16 of
// the FCS slot, the full tag word recomputed from the registers by FNSTENV,
// and what FLDENV makes of reserved bits. The 16-bit formats (66 prefix: 14
// and 94 bytes) are not implemented (#UD with a log line).
//
// FLDENV and FRSTOR are waiting instructions: a pending unmasked exception is
// #MF before anything happens (the host would trap too). FNSTENV and FNSAVE
// are not. Stores and loads are one data access of 28 or 108 bytes, done before
// any state changes, so a #PF leaves the x87 state as it was; across a page
// boundary the fault address is the host's (see env_op).
#include "sim/cpu/ops_common.h"
#include "sim/cpu/x87_image.h"

namespace simx {
namespace {

using Kernel = void (*)(uint8_t* fx, uint8_t* buf, uint8_t* host);

// fx: the guest's image (in and out); buf: the memory operand; host: where the
// host's own x87/SSE state is kept meanwhile.
#define SIMX_ENV_KERNEL(name, text)                                                          \
    void name(uint8_t* fx, uint8_t* buf, uint8_t* host) {                                    \
        asm volatile(".intel_syntax noprefix\n\tfxsave64 [rdx]\n\tfxrstor64 [rsi]\n\t" text    \
                     "\n\tfxsave64 [rsi]\n\tfxrstor64 [rdx]\n\t.att_syntax prefix"            \
                     :                                                                        \
                     : "S"(fx), "D"(buf), "d"(host)                                          \
                     : "memory", "cc");                                                      \
    }
SIMX_ENV_KERNEL(k_fnstenv, "fnstenv [rdi]")
SIMX_ENV_KERNEL(k_fldenv, "fldenv [rdi]")
SIMX_ENV_KERNEL(k_fnsave, "fnsave [rdi]")
SIMX_ENV_KERNEL(k_frstor, "frstor [rdi]")
#undef SIMX_ENV_KERNEL

constexpr bool stores(X87Env op) { return op == X87Env::kFnstenv || op == X87Env::kFnsave; }
constexpr unsigned bytes_of(X87Env op) { return op == X87Env::kFnsave || op == X87Env::kFrstor ? 108 : 28; }

template <X87Env Op>
const Insn* env_op(Core& c, const Insn* i) {
    constexpr unsigned N = bytes_of(Op);
    if constexpr (!stores(Op))
        if (c.x87.fsw & 0x80) [[unlikely]] c.raise(vector::kFloatingPoint, 0);
    alignas(16) uint8_t fx[512];
    alignas(16) uint8_t host[512];
    alignas(16) uint8_t buf[112] = {};
    const uint64_t va = c.ea(*i);
    // Across a page boundary the host accesses the first 32-bit slot, then the
    // last byte (measured: with 1-3 bytes on the first page a fault on the
    // second reports the boundary, with 4 or more it reports address + N - 1):
    // so those two probes come first (extra translations, charged).
    constexpr AccessType kType = stores(Op) ? AccessType::kWrite : AccessType::kRead;
    if ((va & 0xFFF) + N > 4096) [[unlikely]] {
        (void)c.translate_data<kType>(va, 4, i->stack);
        (void)c.translate_data<kType>(va + N - 1, 1, i->stack);
    }
    if constexpr (!stores(Op)) {
        ++c.counters.loads;
        const MemRef m = c.translate_data<AccessType::kRead>(va, N, i->stack);
        std::memcpy(buf, m.host, m.host2 ? m.first : N);
        if (m.host2) std::memcpy(buf + m.first, m.host2, N - m.first);
    }
    // The guest's pointers go in as they are: FNSTENV/FNSAVE store them.
    x87::to_image(c.x87, c.mxcsr, fx);
    constexpr Kernel k = Op == X87Env::kFnstenv ? k_fnstenv
                         : Op == X87Env::kFldenv ? k_fldenv
                         : Op == X87Env::kFnsave ? k_fnsave
                                                 : k_frstor;
    k(fx, buf, host);
    if constexpr (stores(Op)) {
        // May fault: nothing is committed yet.
        ++c.counters.stores;
        const MemRef m = c.translate_data<AccessType::kWrite>(va, N, i->stack);
        std::memcpy(m.host, buf, m.host2 ? m.first : N);
        if (m.host2) std::memcpy(m.host2, buf + m.first, N - m.first);
        c.note_write(m);
    }
    x87::from_image(fx, c.x87);
    // Unchanged by FNSTENV (a control instruction), cleared by FNSAVE,
    // loaded (32-bit offsets) by FLDENV/FRSTOR: the host's image says which.
    std::memcpy(&c.x87.fop, fx + x87::kFop, 2);
    std::memcpy(&c.x87.fip, fx + x87::kFip, 8);
    std::memcpy(&c.x87.fdp, fx + x87::kFdp, 8);
    return c.next(i);
}

}  // namespace

bool bind_x87_env(const InsnView& v, X87Env op, Insn& out) {
    if (v.count != 1 || !v.mem(0) || v.op[0].size != bytes_of(op)) return false;
    switch (op) {
        case X87Env::kFnstenv: out.fn = env_op<X87Env::kFnstenv>; break;
        case X87Env::kFldenv: out.fn = env_op<X87Env::kFldenv>; break;
        case X87Env::kFnsave: out.fn = env_op<X87Env::kFnsave>; break;
        case X87Env::kFrstor: out.fn = env_op<X87Env::kFrstor>; break;
    }
    // The whole-state forms move a block like FXSAVE/FXRSTOR do.
    out.cls = bytes_of(op) == 108 ? InsnClass::kString : InsnClass::kMul;
    return true;
}

}  // namespace simx
