// Helpers shared by the instruction-semantics files (ops_*.cpp): operand forms,
// per-size handler selection and the condition codes.
#pragma once

#include <cstdint>

#include "sim/cpu/core.h"
#include "sim/cpu/flags.h"
#include "sim/cpu/insn.h"
#include "sim/cpu/ops.h"

namespace simx {

// Operand forms of a two-operand instruction: destination then source.
enum class Form : uint8_t { kRR, kRI, kRM, kMR, kMI, kR, kM };

// The form of operands 0 and 1, or false if they are not GPR/memory/immediate.
inline bool binary_form(const InsnView& v, Form& f) {
    if (v.reg(0) && v.reg(1)) f = Form::kRR;
    else if (v.reg(0) && v.imm(1)) f = Form::kRI;
    else if (v.reg(0) && v.mem(1)) f = Form::kRM;
    else if (v.mem(0) && v.reg(1)) f = Form::kMR;
    else if (v.mem(0) && v.imm(1)) f = Form::kMI;
    else return false;
    return true;
}

// Calls make.template operator()<S>() for the operand size S in bytes.
template <typename Make>
Handler by_size(unsigned size, Make&& make) {
    switch (size) {
        case 1: return make.template operator()<1>();
        case 2: return make.template operator()<2>();
        case 4: return make.template operator()<4>();
        case 8: return make.template operator()<8>();
    }
    return nullptr;
}

// The 16 conditions of Jcc/SETcc/CMOVcc (SDM Vol. 1 appendix B), by the low
// four bits of the opcode.
template <unsigned CC>
inline bool condition(uint64_t f) {
    using namespace rflags;
    bool r = false;
    if constexpr ((CC >> 1) == 0) r = f & kOF;
    else if constexpr ((CC >> 1) == 1) r = f & kCF;
    else if constexpr ((CC >> 1) == 2) r = f & kZF;
    else if constexpr ((CC >> 1) == 3) r = f & (kCF | kZF);
    else if constexpr ((CC >> 1) == 4) r = f & kSF;
    else if constexpr ((CC >> 1) == 5) r = f & kPF;
    else if constexpr ((CC >> 1) == 6) r = ((f >> 7) ^ (f >> 11)) & 1;                     // SF != OF
    else r = (f & kZF) || (((f >> 7) ^ (f >> 11)) & 1);                                   // ZF or SF != OF
    return (CC & 1) ? !r : r;
}

// Calls make.template operator()<CC>() for a condition code 0..15.
template <typename Make>
Handler by_condition(unsigned cc, Make&& make) {
    switch (cc & 15) {
        case 0: return make.template operator()<0>();
        case 1: return make.template operator()<1>();
        case 2: return make.template operator()<2>();
        case 3: return make.template operator()<3>();
        case 4: return make.template operator()<4>();
        case 5: return make.template operator()<5>();
        case 6: return make.template operator()<6>();
        case 7: return make.template operator()<7>();
        case 8: return make.template operator()<8>();
        case 9: return make.template operator()<9>();
        case 10: return make.template operator()<10>();
        case 11: return make.template operator()<11>();
        case 12: return make.template operator()<12>();
        case 13: return make.template operator()<13>();
        case 14: return make.template operator()<14>();
        default: return make.template operator()<15>();
    }
}

// The register operand n as a register-file byte offset.
inline uint8_t reg_of(const InsnView& v, unsigned n) { return v.op[n].reg; }

}  // namespace simx
