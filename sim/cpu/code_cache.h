// Decoded instructions cached per *physical* code page, shared by every CPU of
// a machine: two processes mapping the same frame share its decode, and a
// remapped linear page finds the right code because the key is the frame.
//
// A page is decoded lazily in runs: from an entry offset up to a control
// transfer, the page end or kMaxRun instructions, each run followed by a
// dispatch record (op_continue) that looks the next RIP up again. index_[off]
// names the slot of the instruction starting at `off`, so a jump into an
// already decoded run needs one lookup. Runs live in fixed blocks and never
// move, so the hot loop may hold Insn pointers across decoding.
//
// An instruction that crosses into the next page is decoded when executed,
// with that page's bytes (op_cross), and cached per (offset, next frame); the
// page then depends on the next frame too.
//
// Invariants:
//  - holds_code(f) is true for every frame that has a CodePage or on which
//    another page's crossing instruction depends; a store to such a frame must
//    call invalidate(f) (the interpreter's stores check the bitmap; the kernel
//    calls invalidate_code_page on unmap or frame reuse).
//  - invalidate() retires pages instead of freeing them, because the CPU that
//    wrote its own code page is still running one of its instructions;
//    release_retired() frees them at an instruction boundary.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/cpu/decoder.h"
#include "sim/cpu/insn.h"

namespace simx {

class PhysicalMemory;
class StatsRegistry;

inline constexpr uint64_t kCodePageBytes = 4096;

// What an unimplemented or invalid instruction was, kept for its #UD log line.
struct UndefinedInsn {
    std::array<uint8_t, 15> bytes{};
    uint8_t length = 0;  // bytes shown (the instruction's length, or what was available)
    std::string mnemonic;
};

// An instruction that starts on one page and ends on the next.
struct CrossingInsn {
    uint64_t next_frame = ~uint64_t{0};  // frame of the next page it was decoded with
    Insn insn[2];                        // the instruction, then a dispatch record
};

class CodePage {
public:
    static constexpr unsigned kBlockSlots = 256;
    static constexpr unsigned kMaxRun = 64;
    // An instruction is at most 15 bytes, so only the last 14 offsets can cross.
    static constexpr uint32_t kFirstCrossingOffset = kCodePageBytes - 14;

    explicit CodePage(uint64_t frame) : frame_(frame) {}

    uint64_t frame() const { return frame_; }
    // The decoded instruction starting at `offset`, or nullptr if none yet.
    const Insn* at(uint32_t offset) const {
        const uint16_t s = index_[offset];
        return s ? blocks_[s / kBlockSlots].get() + s % kBlockSlots : nullptr;
    }
    uint32_t instructions() const { return decoded_; }

private:
    friend class CodeCache;

    uint64_t frame_;
    std::array<uint16_t, kCodePageBytes> index_{};
    std::vector<std::unique_ptr<Insn[]>> blocks_;
    uint32_t next_slot_ = 1;  // slot 0 is never used: index_ 0 means "not decoded"
    uint32_t decoded_ = 0;
    std::array<std::unique_ptr<CrossingInsn>, 14> crossing_;
    std::vector<std::unique_ptr<UndefinedInsn>> undefined_;
};

struct CodeCacheStats {
    uint64_t pages_created = 0;
    uint64_t runs_decoded = 0;
    uint64_t insns_decoded = 0;
    uint64_t crossing_decoded = 0;
    uint64_t pages_invalidated = 0;
};

class CodeCache {
public:
    explicit CodeCache(PhysicalMemory& memory);
    ~CodeCache();
    CodeCache(const CodeCache&) = delete;
    CodeCache& operator=(const CodeCache&) = delete;

    // The decoded page of `frame`, created empty (and marked as code) if new.
    CodePage& page(uint64_t frame);
    // Decodes a run starting at `offset` of `page` (which has nothing there yet)
    // and returns its first record.
    const Insn* decode_run(CodePage& page, uint32_t offset);
    // The instruction at `offset` of `page` crossing into `next_frame`.
    CrossingInsn& crossing(CodePage& page, uint32_t offset, uint64_t next_frame);

    bool holds_code(uint64_t frame) const {
        return frame < frames_ && ((bits_[frame >> 6] >> (frame & 63)) & 1);
    }
    // Drops the decoded code of `frame` and of every page whose crossing
    // instruction read it. Safe to call for frames holding no code.
    void invalidate(uint64_t frame);
    void release_retired();

    const Decoder& decoder() const { return decoder_; }
    const CodeCacheStats& stats() const { return stats_; }
    size_t live_pages() const { return pages_.size(); }
    // Machine-wide counters ("machine" scope: code.pages_created, ...).
    void register_stats(StatsRegistry& stats) const;
    // Checks the bitmap against the pages and dependencies; throws SimError.
    void check_invariants() const;

private:
    void set_bit(uint64_t frame) { bits_[frame >> 6] |= uint64_t{1} << (frame & 63); }
    void clear_bit(uint64_t frame) { bits_[frame >> 6] &= ~(uint64_t{1} << (frame & 63)); }
    void retire_page(uint64_t frame);
    Insn* allocate_run(CodePage& page, unsigned count, uint16_t& first_slot);
    void make_undefined(CodePage& page, Insn& insn, const uint8_t* bytes, size_t available,
                        const DecodeResult& result);

    PhysicalMemory& memory_;
    Decoder decoder_;
    uint64_t frames_;
    std::vector<uint64_t> bits_;
    std::unordered_map<uint64_t, std::unique_ptr<CodePage>> pages_;
    // frame -> frames of the pages whose crossing instructions read its bytes
    std::unordered_map<uint64_t, std::vector<uint64_t>> dependents_;
    std::vector<std::unique_ptr<CodePage>> retired_;
    CodeCacheStats stats_;
};

}  // namespace simx
