// The differential harness (issue 4): an instruction sequence runs natively on
// the host CPU and in the interpreter from the same registers, flags and
// memory; afterwards every GPR, the defined status flags, DF, RIP and the
// whole data region must agree, and so must a fault (vector, error code,
// RIP and the registers at the fault).
//
// Undefined flags: the SDM leaves some flags undefined (per instruction in
// Zydis's metadata, plus count-dependent rules for shifts and rotates). They
// are masked, never "matched by luck"; everything the SDM defines must match
// the host bit for bit.
//
// Adding an instruction: give it a binder in sim/cpu, then a Form in
// differential_test.cpp that generates it with random operands.
#pragma once

#include <Zydis/Zydis.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tests/cpu/native_runner.h"
#include "tests/cpu/sim_runner.h"

namespace simx::test {

// ---- building instructions with Zydis's encoder -------------------------------
ZydisRegister gpr(unsigned id, unsigned bytes);  // id 0..15; for 1 byte, ids 4..7 are SPL..DIL
ZydisRegister high_byte(unsigned id);            // AH, CH, DH, BH for id 0..3
ZydisEncoderOperand reg_op(ZydisRegister r);
ZydisEncoderOperand imm_op(uint64_t v);
ZydisEncoderOperand mem_op(ZydisRegister base, ZydisRegister index, unsigned scale, int64_t disp, unsigned bytes);

struct EncodeRequest {
    ZydisMnemonic mnemonic = ZYDIS_MNEMONIC_INVALID;
    std::vector<ZydisEncoderOperand> operands;
    ZydisInstructionAttributes prefixes = 0;
    ZydisOperandSizeHint size_hint = ZYDIS_OPERAND_SIZE_HINT_NONE;
    ZydisBranchWidth branch_width = ZYDIS_BRANCH_WIDTH_NONE;
};
std::optional<std::vector<uint8_t>> encode(const EncodeRequest& r);

// ---- one case -----------------------------------------------------------------
struct Case {
    std::vector<uint8_t> code;
    uint64_t offset = 0;               // where the code starts in the code region
    NativeRegs regs;
    std::vector<uint8_t> memory;       // the data region (NativeRunner::kDataBytes)
    uint64_t extra_undefined = 0;      // status flags undefined for this case beyond Zydis's metadata
    uint64_t max_instructions = 1000;
};

// Random registers, flags and memory, biased towards edge values.
class Generator {
public:
    Generator(uint64_t seed, uint64_t data_base);
    std::mt19937_64& rng() { return rng_; }
    uint64_t below(uint64_t n) { return n ? rng_() % n : 0; }
    bool chance(unsigned percent) { return below(100) < percent; }
    uint64_t value();                       // any 64-bit value, edge cases often
    uint64_t value(unsigned bytes);         // a value of `bytes`, sign-extended to 64 bits half the time
    uint64_t flags(bool random_df = false); // random status flags (and DF), AC/TF clear
    // A fresh case: random GPRs and flags, random memory, RSP in the data region.
    Case fresh(bool random_df = false);
    // fresh() plus random XMM registers (floating-point edge values: zeros,
    // denormals, infinities, quiet and signalling NaNs with payloads, integer
    // boundaries) and a random MXCSR: rounding mode, DAZ, FTZ and flags; all
    // exceptions masked `masked_percent` of the time, random masks otherwise.
    Case fresh_sse(unsigned masked_percent = 85);
    // fresh_sse() plus a random x87 state: TOP, condition codes, a random
    // subset of non-empty registers holding edge values (zeros, denormals,
    // infinities, NaNs, unnormals, integers), random rounding and precision
    // control; all exceptions masked `masked_percent` of the time.
    Case fresh_x87(unsigned masked_percent = 85);
    uint32_t fp32();
    uint64_t fp64();
    // A data address with room for `bytes`, sometimes straddling the page boundary.
    uint64_t data_address(unsigned bytes, unsigned align = 1);
    uint64_t data_base() const { return data_base_; }

    // A random memory operand of `bytes` at a data address: picks base/index
    // registers (avoiding `avoid`), sets their values in `c`, returns the operand.
    ZydisEncoderOperand memory(Case& c, unsigned bytes, uint32_t avoid_mask = 0, unsigned align = 1);
    // A register id 0..15 not in `avoid_mask` (bit per id).
    unsigned reg_id(uint32_t avoid_mask = 0);

private:
    std::mt19937_64 rng_;
    uint64_t data_base_;
};

struct CheckResult {
    bool ok = true;
    std::string report;
    bool native_faulted = false;
};

class Harness {
public:
    explicit Harness(DataLayout layout = kAllWritable);
    uint64_t code_base() const { return native_.code_base(); }
    uint64_t data_base() const { return native_.data_base(); }
    CheckResult check(const Case& c);
    SimRunner& sim() { return sim_; }
    std::string disassemble(const std::vector<uint8_t>& code, uint64_t rip) const;

private:
    uint64_t undefined_flags(const std::vector<uint8_t>& code) const;

    NativeRunner native_;
    SimRunner sim_;
    ZydisDecoder decoder_;
    ZydisFormatter formatter_;
};

// Cases per form: SIMX_DIFF_CASES overrides the default (e.g. 20000 for a
// soak); debug and sanitizer builds run an eighth of the default.
unsigned cases_per_form(unsigned default_cases);

// Runs `cases` cases from `make` (nullopt = skip), returning at most a few
// failure reports; counts what ran.
struct RunStats {
    uint64_t cases = 0;
    uint64_t native_faults = 0;
    std::vector<std::string> failures;
};
RunStats run_form(Harness& h, Generator& g, unsigned cases, const std::function<std::optional<Case>(Generator&)>& make);

}  // namespace simx::test
