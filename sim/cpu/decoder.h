// Decoding with Zydis 4 into the interpreter's compact form (sim/cpu/insn.h).
//
// Called only when a code page's instructions are first needed (CodeCache), so
// Zydis never runs in the hot loop. The decoder picks, for each mnemonic and
// operand form, the handler that implements exactly that form; an instruction
// this interpreter does not implement decodes to kUnsupported and later raises
// #UD with a log line (sim/cpu/ops_system.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "sim/cpu/insn.h"

namespace simx {

enum class DecodeStatus : uint8_t {
    kOk,
    kTruncated,    // the bytes end before the instruction does (it crosses into the next page)
    kInvalid,      // no x86-64 instruction: #UD
    kUnsupported,  // a valid instruction this interpreter does not implement: #UD
};

struct DecodeResult {
    DecodeStatus status = DecodeStatus::kInvalid;
    uint8_t length = 0;
    bool ends_run = false;  // transfers control or traps: decoding past it is wasted work
    std::string mnemonic;   // for kUnsupported, the Zydis mnemonic
};

class Decoder {
public:
    Decoder();
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    // Decodes the instruction at bytes[0..available) into `out`.
    DecodeResult decode(const uint8_t* bytes, size_t available, Insn& out) const;

    // "mnemonic operands" in Intel syntax, for logs and test failure messages.
    std::string disassemble(const uint8_t* bytes, size_t available, uint64_t rip) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace simx
