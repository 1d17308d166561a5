// The execution context of one simulated CPU, as instruction handlers see it:
// the register file, the data path (every access translated by the modeled
// MMU, charged, and read from or written to simulated RAM), the fetch path
// through the code cache, and the counters.
//
// Fault discipline: a handler performs every access that can fault before it
// changes any architectural state, so raise() (which unwinds to
// Interpreter::run) leaves the state as it was before the instruction (SDM Vol.
// 3A 6.5: faults are restartable). Stores are done translate-then-write as one
// step and come before register and flag updates. REP string instructions
// commit per element or cache line and leave RCX/RSI/RDI at the first element
// not done (SDM Vol. 1 7.3.9.1).
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

#include "sim/cpu/code_cache.h"
#include "sim/cpu/cpu_state.h"
#include "sim/cpu/cpuid.h"
#include "sim/cpu/exit.h"
#include "sim/cpu/flags.h"
#include "sim/cpu/insn.h"
#include "sim/cpu/micro_tlb.h"
#include "sim/machine/config.h"
#include "sim/machine/phys_mem.h"
#include "sim/mmu/mmu.h"

namespace simx {

// Thrown by Core::raise and caught by Interpreter::run: an exception the guest sees.
struct GuestFault {
    uint8_t vector;
    uint32_t error_code;
    uint64_t cr2;
    // The instruction completed before the exception: a trap (INT3), or a
    // branch whose target's fetch faulted. It retires, in this class.
    bool retired = false;
    InsnClass retired_class = InsnClass::kSystem;
};

struct CpuCounters {
    uint64_t instructions = 0;
    uint64_t cycles = 0;
    uint64_t class_count[kInsnClassCount] = {};
    uint64_t translation_cycles = 0;   // TLB lookups and walks, fetch and data
    uint64_t memory_cycles = 0;        // cache-hierarchy latency of data accesses
    uint64_t loads = 0;
    uint64_t stores = 0;
    uint64_t rmws = 0;                 // read-modify-write accesses (one write translation each)
    uint64_t locked = 0;               // ... of which LOCKed or implicitly locked
    uint64_t split_accesses = 0;       // accesses crossing a page boundary
    uint64_t fetch_translations = 0;
    uint64_t code_writes = 0;          // stores into a frame holding decoded code
    uint64_t string_lines = 0;         // REP chunks beyond the first (charged string_line each)
    uint64_t exits[4] = {};            // by ExitReason
    uint64_t exceptions_by_vector[32] = {};
};

// A translated data access: host bytes of up to two pages.
struct MemRef {
    uint8_t* host = nullptr;
    uint8_t* host2 = nullptr;  // bytes on the second page of a page-split access
    uint32_t first = 0;        // bytes on the first page
    uint64_t frame = 0;
    uint64_t frame2 = 0;
};

enum class PendingStop : uint8_t { kNone, kSyscall, kHalt, kRefetch };

class Core {
public:
    Core(const CpuConfig& config, uint32_t cpu, Mmu& mmu, PhysicalMemory& memory, CodeCache& code,
         const CpuidModel& cpuid);

    // ---- register file: 16 GPRs and the always-zero slot kZeroReg --------
    alignas(64) uint64_t r[17] = {};
    uint64_t rip = 0;
    uint64_t rflags = rflags::kFixed1;
    uint64_t fs_base = 0;
    uint64_t gs_base = 0;
    // SSE state (SDM Vol. 1 ch. 10-11): XMM0-15 and MXCSR.
    std::array<Xmm, 16> xmm{};
    uint32_t mxcsr = 0x1F80;
    X87State x87;  // x87 FPU (SDM Vol. 1 ch. 8)

    // Register operand of S bytes at byte offset `off` of the file (insn.h).
    template <unsigned S>
    uint64_t reg(uint8_t off) const {
        if constexpr (S == 8) {
            return r[off / 8];
        } else {
            uint64_t v = 0;
            std::memcpy(&v, reinterpret_cast<const uint8_t*>(r) + off, S);
            return v;
        }
    }
    // Writes a register operand: 32-bit writes zero the upper half, 8- and
    // 16-bit writes keep the rest of the register (SDM Vol. 1 3.4.1.1).
    template <unsigned S>
    void set_reg(uint8_t off, uint64_t v) {
        if constexpr (S == 8) r[off / 8] = v;
        else if constexpr (S == 4) r[off / 8] = static_cast<uint32_t>(v);
        else std::memcpy(reinterpret_cast<uint8_t*>(r) + off, &v, S);
    }

    void set_status(uint64_t status) { rflags = flags::merge_status(rflags, status); }
    bool flag(uint64_t bit) const { return (rflags & bit) != 0; }

    // ---- effective addresses ---------------------------------------------
    uint64_t ea(const Insn& i) const {
        const uint64_t a = r[i.base] + (r[i.index] << i.scale) + static_cast<uint64_t>(static_cast<int64_t>(i.disp));
        if (i.mflags) [[unlikely]] return ea_modified(i, a);
        return a;
    }

    // ---- data path ---------------------------------------------------------
    template <AccessType T>
    MemRef translate_data(uint64_t va, unsigned size, bool stack) {
        if ((va & 0xFFF) + size <= 4096) [[likely]] {
            const Translation t = utlb_.translate<T>(mmu_, va, flag(rflags::kAC));
            if (!t.ok()) [[unlikely]] raise_translation(t, stack);
            charge(t, size);
            return MemRef{mem_.host_view(t.pa, size), nullptr, size, t.pa.value >> 12, 0};
        }
        return translate_split(va, size, T, stack);
    }

    template <unsigned S>
    static uint64_t read(const MemRef& m) {
        uint64_t v = 0;
        if (!m.host2) [[likely]] {
            std::memcpy(&v, m.host, S);
        } else {
            std::memcpy(&v, m.host, m.first);
            std::memcpy(reinterpret_cast<uint8_t*>(&v) + m.first, m.host2, S - m.first);
        }
        return v;
    }
    template <unsigned S>
    void write(const MemRef& m, uint64_t v) {
        if (!m.host2) [[likely]] {
            std::memcpy(m.host, &v, S);
        } else {
            std::memcpy(m.host, &v, m.first);
            std::memcpy(m.host2, reinterpret_cast<const uint8_t*>(&v) + m.first, S - m.first);
        }
        note_write(m);
    }
    // A store into a frame holding decoded code invalidates it (self-modifying code).
    void note_write(const MemRef& m) {
        if (code_.holds_code(m.frame) || (m.host2 && code_.holds_code(m.frame2))) [[unlikely]]
            code_written(m);
    }

    template <unsigned S>
    uint64_t load(uint64_t va, bool stack = false) {
        ++counters.loads;
        return read<S>(translate_data<AccessType::kRead>(va, S, stack));
    }
    template <unsigned S>
    void store(uint64_t va, uint64_t v, bool stack = false) {
        ++counters.stores;
        write<S>(translate_data<AccessType::kWrite>(va, S, stack), v);
    }
    // A read-modify-write (ADD to memory, XCHG, CMPXCHG, BTS...): one
    // write-access translation, then a read and a write through it. Intel
    // cores load with write intent, so a fault on the read already reports
    // W=1 (checked against the host by the harness's fault layout). `locked`
    // marks LOCK-prefixed or implicitly locked ones.
    MemRef rmw_ref(uint64_t va, unsigned size, bool stack, bool locked) {
        ++counters.rmws;
        if (locked) ++counters.locked;
        return translate_data<AccessType::kWrite>(va, size, stack);
    }

    // ---- control flow --------------------------------------------------------
    const Insn* next(const Insn* i) {
        rip += i->len;
        return i + 1;
    }
    bool canonical(uint64_t va) const { return mmu_.regs().canonical(va); }
    // #GP(0) unless `target` is canonical; call before committing a branch.
    void check_target(uint64_t target) {
        if (!canonical(target)) [[unlikely]] raise(vector::kGeneralProtection, 0);
    }
    // Continues at `target`: the current code page if it holds it, else a fetch
    // translation through the ITLB (SDM: a new page is fetched through the ITLB).
    const Insn* jump(uint64_t target) {
        rip = target;
        if (((target ^ page_va_) >> 12) == 0) [[likely]] {
            if (const Insn* i = page_->at(static_cast<uint32_t>(target & 0xFFF))) [[likely]] return i;
            return code_.decode_run(*page_, static_cast<uint32_t>(target & 0xFFF));
        }
        return fetch_new_page(target);
    }
    // jump() for branch instructions: a fault fetching the target is raised
    // after the branch retired (RIP = target, SDM Vol. 3A 6.5).
    const Insn* branch(uint64_t target) {
        if (((target ^ page_va_) >> 12) == 0) [[likely]] return jump(target);
        rip = target;
        return fetch_after_branch(target);
    }
    const Insn* fetch_new_page(uint64_t target);
    const Insn* fetch_after_branch(uint64_t target);
    // For op_cross: the instruction at RIP that ends on the next page.
    const Insn* fetch_crossing();
    // Forget the current code page: the next jump translates again. The
    // sentinel's page number is non-canonical, and no jump reaches a
    // non-canonical target (branches check; run() checks RIP on entry).
    void reset_fetch() {
        page_ = nullptr;
        page_va_ = kNoPage;
    }

    [[noreturn]] void raise(uint8_t vector, uint32_t error_code = 0, uint64_t cr2 = 0);
    [[noreturn]] void raise_trap(uint8_t vector);
    [[noreturn]] void raise_undefined(const Insn& insn);
    // Ends the run after the current instruction retires.
    void request_stop(PendingStop why) {
        pending_ = why;
        stop_at_ = 0;
    }

    // ---- the run loop --------------------------------------------------------
    // Runs from `ip` until `stop_at` instructions have retired or a handler
    // requests a stop; returns the next instruction. Faults unwind as GuestFault.
    const Insn* execute(const Insn* ip) {
        while (counters.instructions < stop_at_) {
            const Insn* cur = ip;
            ip = cur->fn(*this, cur);
            const unsigned c = static_cast<unsigned>(cur->cls);
            counters.instructions += cur->retires;
            counters.cycles += class_cost_[c];
            ++counters.class_count[c];
        }
        return ip;
    }
    void set_stop(uint64_t at) { stop_at_ = at; }
    PendingStop take_pending() {
        const PendingStop p = pending_;
        pending_ = PendingStop::kNone;
        return p;
    }

    // Accounts for an instruction that retired without returning to the loop (a trap).
    void retire_outside_loop(InsnClass c) {
        ++counters.instructions;
        ++counters.class_count[static_cast<unsigned>(c)];
        counters.cycles += class_cost_[static_cast<unsigned>(c)];
    }
    // Charges REP chunks beyond the first, at the string class's cost each.
    void charge_string_lines(uint64_t lines) {
        counters.string_lines += lines;
        counters.cycles += class_cost_[static_cast<unsigned>(InsnClass::kString)] * lines;
    }
    uint64_t class_cost(InsnClass c) const { return class_cost_[static_cast<unsigned>(c)]; }
    uint32_t cpu_index() const { return cpu_; }
    Mmu& mmu() { return mmu_; }
    MicroTlb& micro_tlb() { return utlb_; }
    const MicroTlb& micro_tlb() const { return utlb_; }
    PhysicalMemory& memory() { return mem_; }
    CodeCache& code() { return code_; }
    const CpuidModel& cpuid() const { return cpuid_; }
    void set_log(std::function<void(const std::string&)> log) { log_ = std::move(log); }
    void log(const std::string& line) const;

    CpuCounters counters;

private:
    uint64_t ea_modified(const Insn& i, uint64_t a) const;
    void charge(const Translation& t, unsigned size) {
        uint32_t latency = mmu_.data_access(t.pa, t.mem_type);
        if ((t.pa.value & 63) + size > 64) [[unlikely]]
            latency += mmu_.data_access(PhysAddr{(t.pa.value | 63) + 1}, t.mem_type);
        counters.translation_cycles += t.cycles;
        counters.memory_cycles += latency;
        counters.cycles += t.cycles + latency;
    }
    MemRef translate_split(uint64_t va, unsigned size, AccessType type, bool stack);
    [[noreturn]] void raise_translation(const Translation& t, bool stack);
    void code_written(const MemRef& m);

    uint32_t cpu_;
    Mmu& mmu_;
    PhysicalMemory& mem_;
    CodeCache& code_;
    const CpuidModel& cpuid_;
    // Every translation of this CPU's accesses goes through it (data, split,
    // fetch), so replays happen exactly where translate() calls would.
    MicroTlb utlb_;
    static constexpr uint64_t kNoPage = 0x8000'0000'0000'0000ull;
    CodePage* page_ = nullptr;
    uint64_t page_va_ = kNoPage;
    uint64_t stop_at_ = 0;
    PendingStop pending_ = PendingStop::kNone;
    uint64_t class_cost_[kInsnClassCount] = {};
    std::function<void(const std::string&)> log_;
};

}  // namespace simx
