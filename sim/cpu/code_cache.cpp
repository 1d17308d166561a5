#include "sim/cpu/code_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "sim/cpu/ops.h"
#include "sim/machine/phys_mem.h"
#include "sim/machine/sim_error.h"
#include "sim/machine/stats.h"

namespace simx {
namespace {

Insn dispatch_record(Handler fn) {
    Insn d;
    d.fn = fn;
    d.cls = InsnClass::kInternal;
    d.retires = 0;
    return d;
}

}  // namespace

CodeCache::CodeCache(PhysicalMemory& memory)
    : memory_(memory), frames_(memory.size() / kCodePageBytes), bits_((frames_ + 63) / 64, 0) {}

CodeCache::~CodeCache() = default;

CodePage& CodeCache::page(uint64_t frame) {
    auto it = pages_.find(frame);
    if (it != pages_.end()) return *it->second;
    if (frame >= frames_)
        throw SimError(fmt::format("code fetch from frame {:#x}, outside RAM", frame << 12));
    ++stats_.pages_created;
    set_bit(frame);
    return *pages_.emplace(frame, std::make_unique<CodePage>(frame)).first->second;
}

// `count` contiguous slots in one block of `page`.
Insn* CodeCache::allocate_run(CodePage& page, unsigned count, uint16_t& first_slot) {
    constexpr uint32_t kB = CodePage::kBlockSlots;
    uint32_t slot = page.next_slot_;
    if (slot % kB + count > kB) slot = (slot / kB + 1) * kB;  // a run never straddles blocks
    if (slot + count > 0xFFFF) throw SimError("code page overflows its decoded-instruction slots");
    while (page.blocks_.size() <= (slot + count - 1) / kB) page.blocks_.push_back(std::make_unique<Insn[]>(kB));
    page.next_slot_ = slot + count;
    first_slot = static_cast<uint16_t>(slot);
    return page.blocks_[slot / kB].get() + slot % kB;
}

void CodeCache::make_undefined(CodePage& page, Insn& insn, const uint8_t* bytes, size_t available,
                               const DecodeResult& result) {
    auto u = std::make_unique<UndefinedInsn>();
    u->length = static_cast<uint8_t>(std::min<size_t>(result.length ? result.length : 15, std::min<size_t>(available, 15)));
    std::memcpy(u->bytes.data(), bytes, u->length);
    u->mnemonic = result.status == DecodeStatus::kUnsupported ? result.mnemonic : "invalid";
    insn = Insn{};
    insn.fn = op_undefined;
    insn.len = result.length;
    insn.cls = InsnClass::kSystem;
    insn.imm = reinterpret_cast<uint64_t>(u.get());
    page.undefined_.push_back(std::move(u));
}

const Insn* CodeCache::decode_run(CodePage& page, uint32_t offset) {
    const uint8_t* bytes = memory_.host_view(PhysAddr{page.frame() * kCodePageBytes}, kCodePageBytes);
    Insn run[CodePage::kMaxRun + 1];
    uint32_t offsets[CodePage::kMaxRun];
    unsigned n = 0;
    uint32_t off = offset;
    while (n < CodePage::kMaxRun && off < kCodePageBytes && (n == 0 || page.index_[off] == 0)) {
        Insn& in = run[n];
        in = Insn{};
        const DecodeResult r = decoder_.decode(bytes + off, kCodePageBytes - off, in);
        offsets[n++] = off;
        if (r.status == DecodeStatus::kTruncated) {
            // Ends on the next page: decoded when executed, with that page's bytes.
            in = dispatch_record(op_cross);
            break;
        }
        if (r.status != DecodeStatus::kOk) {
            make_undefined(page, in, bytes + off, kCodePageBytes - off, r);
            break;
        }
        off += r.length;
        if (r.ends_run) break;
    }
    run[n] = dispatch_record(op_continue);
    uint16_t first = 0;
    Insn* dst = allocate_run(page, n + 1, first);
    std::copy(run, run + n + 1, dst);
    for (unsigned k = 0; k < n; ++k) page.index_[offsets[k]] = static_cast<uint16_t>(first + k);
    page.decoded_ += n;
    ++stats_.runs_decoded;
    stats_.insns_decoded += n;
    return dst;
}

CrossingInsn& CodeCache::crossing(CodePage& page, uint32_t offset, uint64_t next_frame) {
    if (offset < CodePage::kFirstCrossingOffset || offset >= kCodePageBytes)
        throw SimError(fmt::format("crossing instruction at page offset {:#x} cannot cross", offset));
    auto& slot = page.crossing_[offset - CodePage::kFirstCrossingOffset];
    if (slot && slot->next_frame == next_frame) return *slot;
    if (next_frame >= frames_)
        throw SimError(fmt::format("code fetch from frame {:#x}, outside RAM", next_frame << 12));
    if (!slot) slot = std::make_unique<CrossingInsn>();
    uint8_t bytes[15];
    const uint32_t head = kCodePageBytes - offset;
    memory_.read(PhysAddr{page.frame() * kCodePageBytes + offset}, bytes, head);
    memory_.read(PhysAddr{next_frame * kCodePageBytes}, bytes + head, sizeof bytes - head);
    slot->next_frame = next_frame;
    Insn& in = slot->insn[0];
    in = Insn{};
    const DecodeResult r = decoder_.decode(bytes, sizeof bytes, in);
    if (r.status != DecodeStatus::kOk) make_undefined(page, in, bytes, sizeof bytes, r);
    slot->insn[1] = dispatch_record(op_continue);
    ++stats_.crossing_decoded;
    // A store to the next frame must drop this page's decode too.
    auto& deps = dependents_[next_frame];
    if (std::find(deps.begin(), deps.end(), page.frame()) == deps.end()) deps.push_back(page.frame());
    set_bit(next_frame);
    return *slot;
}

void CodeCache::retire_page(uint64_t frame) {
    auto it = pages_.find(frame);
    if (it == pages_.end()) return;
    ++stats_.pages_invalidated;
    retired_.push_back(std::move(it->second));
    pages_.erase(it);
}

void CodeCache::invalidate(uint64_t frame) {
    if (!holds_code(frame)) return;
    retire_page(frame);
    auto deps = dependents_.find(frame);
    if (deps != dependents_.end()) {
        for (uint64_t d : deps->second) {
            retire_page(d);
            if (!dependents_.count(d)) clear_bit(d);
        }
        dependents_.erase(deps);
    }
    clear_bit(frame);
}

void CodeCache::release_retired() { retired_.clear(); }

void CodeCache::register_stats(StatsRegistry& stats) const {
    stats.add("machine", "code.pages_created", &stats_.pages_created);
    stats.add("machine", "code.runs_decoded", &stats_.runs_decoded);
    stats.add("machine", "code.insns_decoded", &stats_.insns_decoded);
    stats.add("machine", "code.crossing_decoded", &stats_.crossing_decoded);
    stats.add("machine", "code.pages_invalidated", &stats_.pages_invalidated);
}

void CodeCache::check_invariants() const {
    for (uint64_t f = 0; f < frames_; ++f) {
        const bool expected = pages_.count(f) || dependents_.count(f);
        if (holds_code(f) != expected)
            throw SimError(fmt::format("code cache: frame {:#x} bit {} but page/dependents {}", f, holds_code(f), expected));
    }
    for (const auto& [frame, page] : pages_) {
        if (page->frame() != frame) throw SimError("code cache: page filed under the wrong frame");
        for (uint32_t off = 0; off < kCodePageBytes; ++off) {
            const Insn* i = page->at(off);
            if (i && !i->fn) throw SimError(fmt::format("code cache: empty record at {:#x}+{:#x}", frame, off));
        }
    }
}

}  // namespace simx
