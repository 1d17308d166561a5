#include "tests/cpu/differential.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "sim/cpu/cpu_state.h"

namespace simx::test {

ZydisRegister gpr(unsigned id, unsigned bytes) {
    const int i = static_cast<int>(id);
    switch (bytes) {
        case 8: return static_cast<ZydisRegister>(ZYDIS_REGISTER_RAX + i);
        case 4: return static_cast<ZydisRegister>(ZYDIS_REGISTER_EAX + i);
        case 2: return static_cast<ZydisRegister>(ZYDIS_REGISTER_AX + i);
        default:
            if (id < 4) return static_cast<ZydisRegister>(ZYDIS_REGISTER_AL + i);
            if (id < 8) return static_cast<ZydisRegister>(ZYDIS_REGISTER_SPL + i - 4);
            return static_cast<ZydisRegister>(ZYDIS_REGISTER_R8B + i - 8);
    }
}

ZydisRegister high_byte(unsigned id) { return static_cast<ZydisRegister>(ZYDIS_REGISTER_AH + static_cast<int>(id)); }

ZydisEncoderOperand reg_op(ZydisRegister r) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_REGISTER;
    o.reg.value = r;
    return o;
}

ZydisEncoderOperand imm_op(uint64_t v) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    o.imm.u = v;
    return o;
}

ZydisEncoderOperand mem_op(ZydisRegister base, ZydisRegister index, unsigned scale, int64_t disp, unsigned bytes) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_MEMORY;
    o.mem.base = base;
    o.mem.index = index;
    o.mem.scale = static_cast<ZyanU8>(index == ZYDIS_REGISTER_NONE ? 0 : scale);
    o.mem.displacement = disp;
    o.mem.size = static_cast<ZyanU16>(bytes);
    return o;
}

std::optional<std::vector<uint8_t>> encode(const EncodeRequest& r) {
    ZydisEncoderRequest req{};
    req.machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
    req.mnemonic = r.mnemonic;
    req.prefixes = r.prefixes;
    req.operand_size_hint = r.size_hint;
    req.branch_width = r.branch_width;
    req.operand_count = static_cast<ZyanU8>(r.operands.size());
    for (size_t n = 0; n < r.operands.size(); ++n) req.operands[n] = r.operands[n];
    uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
    ZyanUSize len = sizeof buf;
    if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, buf, &len))) return std::nullopt;
    return std::vector<uint8_t>(buf, buf + len);
}

// ---- Generator ------------------------------------------------------------------

Generator::Generator(uint64_t seed, uint64_t data_base) : rng_(seed), data_base_(data_base) {}

uint64_t Generator::value() {
    static constexpr uint64_t kEdges[] = {
        0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 0x7FFF'FFFF, 0x8000'0000,
        0xFFFF'FFFF, 0x1'0000'0000, 0x7FFF'FFFF'FFFF'FFFF, 0x8000'0000'0000'0000, ~uint64_t{0},
        ~uint64_t{0} - 1, 0xFFFF'FFFF'FFFF'FF80, 0xFFFF'FFFF'FFFF'8000, 0xFFFF'FFFF'8000'0000,
    };
    switch (below(8)) {
        case 0: return below(256);
        case 1: return kEdges[below(std::size(kEdges))];
        case 2: return 0 - below(256);
        case 3: return (uint64_t{1} << below(64)) - below(2);
        case 4: return kEdges[below(std::size(kEdges))] ^ (uint64_t{1} << below(64));
        default: return rng_();
    }
}

uint64_t Generator::value(unsigned bytes) {
    const uint64_t v = value();
    if (bytes >= 8) return v;
    const unsigned shift = 64 - 8 * bytes;
    return chance(50) ? static_cast<uint64_t>(static_cast<int64_t>(v << shift) >> shift) : (v << shift) >> shift;
}

uint64_t Generator::flags(bool random_df) {
    // User code always runs with IF set.
    uint64_t f = rflags::kFixed1 | rflags::kIF | (rng_() & rflags::kStatus);
    if (random_df && chance(50)) f |= rflags::kDF;
    return f;
}

Case Generator::fresh(bool random_df) {
    Case c;
    for (uint64_t& r : c.regs.gpr) r = value();
    c.regs.gpr[kRsp] = data_base_ + 4096 + 512 + (below(4096) & ~uint64_t{7});
    c.regs.rflags = flags(random_df);
    c.memory.resize(NativeRunner::kDataBytes);
    // splitmix64 for the bulk (the Mersenne Twister would dominate the run time),
    // then edge values sprinkled over it.
    uint64_t x = rng_();
    for (size_t k = 0; k < c.memory.size(); k += 8) {
        x += 0x9E37'79B9'7F4A'7C15ull;
        uint64_t z = x;
        z = (z ^ (z >> 30)) * 0xBF58'476D'1CE4'E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D0'49BB'1331'11EBull;
        z ^= z >> 31;
        std::memcpy(&c.memory[k], &z, 8);
    }
    for (unsigned k = 0; k < 64; ++k) {
        const uint64_t v = value();
        std::memcpy(&c.memory[below(c.memory.size() / 8) * 8], &v, 8);
    }
    return c;
}

uint64_t Generator::data_address(unsigned bytes, unsigned align) {
    uint64_t a;
    if (chance(15)) a = data_base_ + 4096 - below(bytes + 1);  // straddle (or touch) the page boundary
    else if (chance(10)) a = data_base_ + 64 * (1 + below(100)) - below(bytes + 1);  // straddle a cache line
    else a = data_base_ + below(NativeRunner::kDataBytes - bytes - 256) + 128;
    return a & ~uint64_t{align - 1};
}

unsigned Generator::reg_id(uint32_t avoid_mask) {
    for (;;) {
        const unsigned id = static_cast<unsigned>(below(16));
        if (!(avoid_mask & (1u << id))) return id;
    }
}

ZydisEncoderOperand Generator::memory(Case& c, unsigned bytes, uint32_t avoid_mask, unsigned align) {
    const uint64_t target = data_address(bytes, align);
    const uint32_t avoid = avoid_mask | (1u << kRsp);
    const unsigned base = reg_id(avoid);
    ZydisRegister index = ZYDIS_REGISTER_NONE;
    unsigned scale = 1;
    uint64_t index_value = 0;
    if (chance(50)) {
        const unsigned id = reg_id(avoid | (1u << base));
        index = gpr(id, 8);
        scale = 1u << below(4);
        index_value = below(64) - 16;
        c.regs.gpr[id] = index_value;
    }
    int64_t disp = 0;
    const uint64_t pick = below(10);
    if (pick < 4) disp = static_cast<int8_t>(below(256));
    else if (pick < 7) disp = static_cast<int64_t>(below(0x20000)) - 0x10000;
    c.regs.gpr[base] = target - static_cast<uint64_t>(disp) - index_value * scale;
    return mem_op(gpr(base, 8), index, scale, disp, bytes);
}

// ---- Harness --------------------------------------------------------------------

Harness::Harness(DataLayout layout)
    : native_(layout),
      sim_(native_.code_base(), NativeRunner::kCodeBytes, native_.data_base(), NativeRunner::kDataBytes, layout) {
    ZydisDecoderInit(&decoder_, ZYDIS_MACHINE_MODE_LONG_64, ZYDIS_STACK_WIDTH_64);
    ZydisFormatterInit(&formatter_, ZYDIS_FORMATTER_STYLE_INTEL);
}

uint64_t Harness::undefined_flags(const std::vector<uint8_t>& code) const {
    uint64_t undefined = 0;
    size_t off = 0;
    while (off < code.size()) {
        ZydisDecodedInstruction zi;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeInstruction(&decoder_, nullptr, code.data() + off, code.size() - off, &zi)))
            break;
        if (zi.cpu_flags) undefined |= zi.cpu_flags->undefined;
        off += zi.length;
    }
    return undefined;
}

std::string Harness::disassemble(const std::vector<uint8_t>& code, uint64_t rip) const {
    std::string out;
    size_t off = 0;
    while (off < code.size()) {
        ZydisDecodedInstruction zi;
        ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
        std::string bytes;
        if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder_, code.data() + off, code.size() - off, &zi, ops))) {
            for (size_t k = off; k < code.size(); ++k) bytes += fmt::format("{:02x} ", code[k]);
            out += fmt::format("    {}(undecodable)\n", bytes);
            break;
        }
        char text[256];
        ZydisFormatterFormatInstruction(&formatter_, &zi, ops, zi.operand_count_visible, text, sizeof text, rip + off,
                                        nullptr);
        for (size_t k = 0; k < zi.length; ++k) bytes += fmt::format("{:02x} ", code[off + k]);
        out += fmt::format("    {:<40} {}\n", bytes, text);
        off += zi.length;
    }
    return out;
}

namespace {

constexpr const char* kRegNames[16] = {"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                       "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

std::string flag_names(uint64_t f) {
    std::string s;
    const std::pair<uint64_t, const char*> names[] = {{rflags::kCF, "CF"}, {rflags::kPF, "PF"}, {rflags::kAF, "AF"},
                                                      {rflags::kZF, "ZF"}, {rflags::kSF, "SF"}, {rflags::kOF, "OF"},
                                                      {rflags::kDF, "DF"}, {rflags::kAC, "AC"}};
    for (const auto& [bit, name] : names)
        if (f & bit) s += std::string(s.empty() ? "" : " ") + name;
    return s.empty() ? "-" : s;
}

}  // namespace

CheckResult Harness::check(const Case& c) {
    const NativeOutcome n = native_.run(c.code, c.offset, c.regs, c.memory);
    const uint8_t* native_memory = native_.data();
    const SimOutcome s = sim_.run(c.code, c.offset, c.regs, c.memory, c.max_instructions);
    // SIMX_DIFF_STRICT=1 compares the SDM-undefined flags too (to see where the
    // model happens to match this host; not a pass criterion).
    static const bool strict = std::getenv("SIMX_DIFF_STRICT") != nullptr;
    const uint64_t undefined = strict ? 0 : (undefined_flags(c.code) | c.extra_undefined);
    const uint64_t compared = (rflags::kStatus & ~undefined) | rflags::kDF | rflags::kAC | rflags::kID;

    CheckResult result;
    result.native_faulted = n.faulted;
    std::string diffs;
    auto diff = [&](const std::string& what, uint64_t native, uint64_t sim) {
        if (native != sim) diffs += fmt::format("  {:<12} native {:#018x}  sim {:#018x}\n", what, native, sim);
    };
    const uint64_t end = code_base() + c.offset + c.code.size();
    if (n.faulted) {
        if (s.exit.reason != ExitReason::kException) {
            diffs += fmt::format("  native fault (signal {}, vector {}) but sim: {}\n", n.signal, n.trapno, describe(s.exit));
        } else {
            diff("vector", n.trapno, s.exit.vector);
            if (n.trapno == vector::kPageFault) {
                diff("error code", n.error_code, s.exit.error_code);
                diff("cr2", n.fault_address, s.exit.cr2);
            }
        }
        diff("rip", n.fault_rip, s.state.rip);
    } else {
        if (s.exit.reason != ExitReason::kHalt) diffs += fmt::format("  native completed but sim: {}\n", describe(s.exit));
        diff("rip", end + 1, s.state.rip);
    }
    for (unsigned r = 0; r < 16; ++r) diff(kRegNames[r], n.regs.gpr[r], s.state.gpr[r]);
    if ((n.regs.rflags ^ s.state.rflags) & compared)
        diffs += fmt::format("  flags        native [{}]  sim [{}]  (compared: {})\n", flag_names(n.regs.rflags & compared),
                             flag_names(s.state.rflags & compared), flag_names(compared));
    for (size_t k = 0; std::memcmp(native_memory, s.memory.data(), NativeRunner::kDataBytes) && k < NativeRunner::kDataBytes; ++k) {
        if (native_memory[k] != s.memory[k]) {
            diffs += fmt::format("  memory       first difference at data+{:#x} (address {:#x}): native {:02x} sim {:02x}\n",
                                 k, data_base() + k, native_memory[k], s.memory[k]);
            break;
        }
    }
    if (diffs.empty()) return result;
    result.ok = false;
    std::string in;
    for (unsigned r = 0; r < 16; ++r) in += fmt::format("{}{}={:#x}", r % 4 ? " " : "\n    ", kRegNames[r], c.regs.gpr[r]);
    result.report = fmt::format("code at {:#x}:\n{}  input:{}\n    flags [{}]\n  differences:\n{}", code_base() + c.offset,
                                disassemble(c.code, code_base() + c.offset), in, flag_names(c.regs.rflags), diffs);
    return result;
}

unsigned cases_per_form(unsigned default_cases) {
    if (const char* v = std::getenv("SIMX_DIFF_CASES")) {
        const long n = std::strtol(v, nullptr, 10);
        if (n > 0) return static_cast<unsigned>(n);
    }
#if defined(__SANITIZE_ADDRESS__) || !defined(__OPTIMIZE__)
    // Debug and sanitizer builds (CI's second pass) run an eighth of the cases:
    // they look for memory errors, the optimized pass for wrong results.
    return std::max(100u, default_cases / 8);
#else
    return default_cases;
#endif
}

RunStats run_form(Harness& h, Generator& g, unsigned cases,
                  const std::function<std::optional<Case>(Generator&)>& make) {
    RunStats stats;
    for (unsigned k = 0; k < cases; ++k) {
        std::optional<Case> c;
        for (unsigned attempt = 0; attempt < 50 && !c; ++attempt) c = make(g);
        if (!c) {
            stats.failures.push_back("the generator could not encode this form");
            return stats;
        }
        const CheckResult r = h.check(*c);
        ++stats.cases;
        stats.native_faults += r.native_faulted;
        if (!r.ok && stats.failures.size() < 3) stats.failures.push_back(r.report);
    }
    return stats;
}

}  // namespace simx::test
