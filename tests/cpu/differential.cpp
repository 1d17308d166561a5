#include "tests/cpu/differential.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "sim/cpu/cpu_state.h"
#include "sim/cpu/x87_image.h"

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

uint32_t Generator::fp32() {
    static constexpr uint32_t kEdges[] = {
        0x00000000, 0x80000000, 0x3F800000, 0xBF800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000,
        0x7F800001, 0x7FA00000, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF, 0x4F000000, 0xCF000000,
        0x5F000000, 0xDF000000, 0x3F000000, 0x4B400000, 0x0000FFFF, 0x4EFFFFFF,
    };
    switch (below(6)) {
        case 0: return kEdges[below(std::size(kEdges))];
        case 1: return kEdges[below(std::size(kEdges))] ^ static_cast<uint32_t>(below(4));
        case 2: {  // a small integer or half
            const float f = static_cast<float>(static_cast<int64_t>(below(2000)) - 1000) / (chance(50) ? 1.0f : 2.0f);
            uint32_t u;
            std::memcpy(&u, &f, 4);
            return u;
        }
        case 3: return static_cast<uint32_t>(rng_()) & 0x807FFFFF;  // denormal or zero
        case 4: return 0x7F800000 | static_cast<uint32_t>(rng_() & 0x807FFFFF);  // NaN (or infinity)
        default: return static_cast<uint32_t>(rng_());
    }
}

uint64_t Generator::fp64() {
    static constexpr uint64_t kEdges[] = {
        0, 0x8000000000000000, 0x3FF0000000000000, 0xBFF0000000000000, 0x7FF0000000000000, 0xFFF0000000000000,
        0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0x7FF4000000000000, 1, 0x800FFFFFFFFFFFFF,
        0x0010000000000000, 0x7FEFFFFFFFFFFFFF, 0x41E0000000000000, 0xC1E0000000000000, 0x43E0000000000000,
        0xC3E0000000000000, 0x3FE0000000000000, 0x41DFFFFFFFC00000, 0x47EFFFFFE0000000, 0x3810000000000000,
        0x36A0000000000000,
    };
    switch (below(6)) {
        case 0: return kEdges[below(std::size(kEdges))];
        case 1: return kEdges[below(std::size(kEdges))] ^ below(4);
        case 2: {
            const double f = static_cast<double>(static_cast<int64_t>(below(2000)) - 1000) / (chance(50) ? 1.0 : 2.0);
            uint64_t u;
            std::memcpy(&u, &f, 8);
            return u;
        }
        case 3: return rng_() & 0x800FFFFFFFFFFFFF;
        case 4: return 0x7FF0000000000000 | (rng_() & 0x800FFFFFFFFFFFFF);
        default: return rng_();
    }
}

Case Generator::fresh_sse(unsigned masked_percent) {
    Case c = fresh();
    for (unsigned r = 0; r < 16; ++r) {
        uint8_t* x = c.regs.fx.xmm(r);
        const unsigned kind = static_cast<unsigned>(below(4));
        for (unsigned k = 0; k < 16; k += 8) {
            uint64_t v;
            if (kind == 0) v = fp64();
            else if (kind == 1) v = fp32() | static_cast<uint64_t>(fp32()) << 32;
            else if (kind == 2) v = value();
            else v = rng_();
            std::memcpy(x + k, &v, 8);
        }
    }
    // Memory operands get floating-point values too, here and there.
    for (unsigned k = 0; k < 256; ++k) {
        const uint64_t v = chance(50) ? fp64() : (fp32() | static_cast<uint64_t>(fp32()) << 32);
        std::memcpy(&c.memory[below(c.memory.size() / 8) * 8], &v, 8);
    }
    uint32_t mxcsr = static_cast<uint32_t>(below(4)) << 13;       // RC
    if (chance(20)) mxcsr |= 1u << 6;                              // DAZ
    if (chance(20)) mxcsr |= 1u << 15;                             // FTZ
    if (chance(30)) mxcsr |= static_cast<uint32_t>(below(64));     // sticky flags
    mxcsr |= chance(masked_percent) ? 0x1F80u : static_cast<uint32_t>(below(64)) << 7;
    c.regs.fx.set_mxcsr(mxcsr);
    return c;
}

Case Generator::fresh_x87(unsigned masked_percent) {
    Case c = fresh_sse(100);
    uint8_t* fx = c.regs.fx.bytes;
    uint16_t fcw = static_cast<uint16_t>(0x0040 | (below(4) << 10) | (below(4) << 8));  // RC, PC; bit 6 reads as 1
    fcw = static_cast<uint16_t>(fcw | (chance(masked_percent) ? 0x3Fu : static_cast<unsigned>(below(64))));
    const uint16_t fsw = static_cast<uint16_t>((below(8) << 11) | (rng_() & 0x4700));  // TOP, C3 C2 C1 C0
    std::memcpy(fx + FxImage::kFcw, &fcw, 2);
    std::memcpy(fx + FxImage::kFsw, &fsw, 2);
    fx[FxImage::kFtw] = static_cast<uint8_t>(chance(20) ? (chance(50) ? 0 : 0xFF) : rng_());
    for (unsigned i = 0; i < 8; ++i) {
        uint8_t* r = fx + FxImage::kSt + 16 * i;
        long double v;
        uint64_t mant;
        uint16_t se;
        switch (below(6)) {
            case 0:
            case 1: {
                const uint64_t b = fp64();
                double d;
                std::memcpy(&d, &b, 8);
                v = d;
                std::memcpy(r, &v, 10);
                break;
            }
            case 2:
                v = static_cast<long double>(static_cast<int64_t>(value()));
                std::memcpy(r, &v, 10);
                break;
            case 3:  // anything, unnormals and pseudo-denormals included
                mant = rng_();
                se = static_cast<uint16_t>(rng_());
                std::memcpy(r, &mant, 8);
                std::memcpy(r + 8, &se, 2);
                break;
            default: {  // a normal long double with a full 64-bit significand
                mant = rng_() | (uint64_t{1} << 63);
                se = static_cast<uint16_t>((rng_() & 0x8000) | (0x3FFF + static_cast<int>(below(130)) - 65));
                std::memcpy(r, &mant, 8);
                std::memcpy(r + 8, &se, 2);
                break;
            }
        }
    }
    // Last-instruction pointers as an earlier x87 instruction left them
    // (user-half addresses, an 11-bit FOP), or zero as after FNINIT.
    if (chance(70)) {
        const uint64_t fip = rng_() & 0x0000'7FFF'FFFF'FFFFull, fdp = rng_() & 0x0000'7FFF'FFFF'FFFFull;
        const uint16_t fop = static_cast<uint16_t>(rng_() & 0x7FF);
        std::memcpy(fx + x87::kFip, &fip, 8);
        std::memcpy(fx + x87::kFdp, &fdp, 8);
        std::memcpy(fx + x87::kFop, &fop, 2);
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
    for (unsigned r = 0; r < 16; ++r) {
        if (std::memcmp(n.regs.fx.xmm(r), s.state.xmm[r].bytes.data(), 16) == 0) continue;
        auto hex = [](const uint8_t* b) {
            std::string h;
            for (int k = 15; k >= 0; --k) h += fmt::format("{:02x}{}", b[k], k % 4 == 0 && k ? "_" : "");
            return h;
        };
        diffs += fmt::format("  xmm{:<9} native {}  sim {}\n", r, hex(n.regs.fx.xmm(r)), hex(s.state.xmm[r].bytes.data()));
    }
    // x87: control, status, abridged tags, the last-instruction pointers
    // (sim/cpu/x87_pointers.h) and the eight registers.
    {
        alignas(16) uint8_t img[512];
        x87::to_image(s.state.x87, s.state.mxcsr, img);
        const uint8_t* nat = n.regs.fx.bytes;
        auto u16 = [](const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; };
        diff("fcw", u16(nat + x87::kFcw), u16(img + x87::kFcw));
        diff("fsw", u16(nat + x87::kFsw), u16(img + x87::kFsw));
        diff("ftw", nat[x87::kFtw], img[x87::kFtw]);
        auto u64 = [](const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; };
        diff("fop", u16(nat + x87::kFop), u16(img + x87::kFop));
        diff("fip", u64(nat + x87::kFip), u64(img + x87::kFip));
        diff("fdp", u64(nat + x87::kFdp), u64(img + x87::kFdp));
        for (unsigned r = 0; r < 8; ++r) {
            if (std::memcmp(nat + x87::kSt + 16 * r, img + x87::kSt + 16 * r, 10) == 0) continue;
            uint64_t nm, sm;
            uint16_t ne, se;
            std::memcpy(&nm, nat + x87::kSt + 16 * r, 8);
            std::memcpy(&ne, nat + x87::kSt + 16 * r + 8, 2);
            std::memcpy(&sm, img + x87::kSt + 16 * r, 8);
            std::memcpy(&se, img + x87::kSt + 16 * r + 8, 2);
            diffs += fmt::format("  st({})        native {:04x}:{:016x}  sim {:04x}:{:016x}\n", r, ne, nm, se, sm);
        }
    }
    // The one known deviation (sim/cpu/ops_sse.h commit_mxcsr): PE at an #XM
    // caused by an unmasked overflow or underflow.
    uint32_t mxcsr_ignored = 0;
    if (n.faulted && n.trapno == vector::kSimdFloatingPoint) {
        const uint32_t m = n.regs.fx.mxcsr();
        if (m & ~(m >> 7) & 0x18) mxcsr_ignored = 0x20;
    }
    diff("mxcsr", n.regs.fx.mxcsr() & ~mxcsr_ignored, s.state.mxcsr & ~mxcsr_ignored);
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
    for (unsigned r = 0; r < 16; ++r) {
        const uint8_t* b = c.regs.fx.xmm(r);
        if (std::all_of(b, b + 16, [](uint8_t x) { return x == 0; })) continue;
        std::string h;
        for (int k = 15; k >= 0; --k) h += fmt::format("{:02x}{}", b[k], k % 4 == 0 && k ? "_" : "");
        in += fmt::format("\n    xmm{}={}", r, h);
    }
    in += fmt::format("\n    mxcsr={:#x}", c.regs.fx.mxcsr());
    {
        const uint8_t* fx = c.regs.fx.bytes;
        uint16_t fcw, fsw;
        std::memcpy(&fcw, fx + x87::kFcw, 2);
        std::memcpy(&fsw, fx + x87::kFsw, 2);
        in += fmt::format("\n    fcw={:#06x} fsw={:#06x} ftw(abridged)={:#04x}", fcw, fsw, fx[x87::kFtw]);
        uint16_t fop;
        uint64_t fip, fdp;
        std::memcpy(&fop, fx + x87::kFop, 2);
        std::memcpy(&fip, fx + x87::kFip, 8);
        std::memcpy(&fdp, fx + x87::kFdp, 8);
        in += fmt::format(" fop={:#05x} fip={:#x} fdp={:#x}", fop, fip, fdp);
        for (unsigned r = 0; r < 8; ++r) {
            uint64_t m;
            uint16_t e;
            std::memcpy(&m, fx + x87::kSt + 16 * r, 8);
            std::memcpy(&e, fx + x87::kSt + 16 * r + 8, 2);
            if (m || e) in += fmt::format("\n    st({})={:04x}:{:016x}", r, e, m);
        }
    }
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
