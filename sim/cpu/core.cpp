#include "sim/cpu/core.h"

#include <fmt/format.h>

#include <cstdio>

namespace simx {

const char* insn_class_name(InsnClass c) {
    switch (c) {
        case InsnClass::kInternal: return "dispatch";
        case InsnClass::kAlu: return "alu";
        case InsnClass::kBranch: return "branch";
        case InsnClass::kStack: return "stack";
        case InsnClass::kMul: return "mul";
        case InsnClass::kDiv32: return "div32";
        case InsnClass::kDiv64: return "div64";
        case InsnClass::kRotateCarry: return "rotate_carry";
        case InsnClass::kShiftDouble: return "shift_double";
        case InsnClass::kBitScan: return "bit_scan";
        case InsnClass::kLocked: return "locked";
        case InsnClass::kString: return "string";
        case InsnClass::kCpuid: return "cpuid";
        case InsnClass::kRdtsc: return "rdtsc";
        case InsnClass::kSystem: return "system";
        case InsnClass::kCount: break;
    }
    return "?";
}

std::string describe(const Exit& e) {
    switch (e.reason) {
        case ExitReason::kBudget: return fmt::format("budget after {} instructions", e.instructions);
        case ExitReason::kSyscall: return fmt::format("syscall after {} instructions", e.instructions);
        case ExitReason::kHalt: return fmt::format("hlt after {} instructions", e.instructions);
        case ExitReason::kException:
            return fmt::format("exception vector {} error {:#x} cr2 {:#x} after {} instructions", e.vector,
                               e.error_code, e.cr2, e.instructions);
    }
    return "?";
}

Core::Core(const CpuConfig& config, uint32_t cpu, Mmu& mmu, PhysicalMemory& memory, CodeCache& code,
           const CpuidModel& cpuid)
    : cpu_(cpu), mmu_(mmu), mem_(memory), code_(code), cpuid_(cpuid), utlb_(config.fast_path) {
    auto set = [&](InsnClass c, uint32_t cycles) { class_cost_[static_cast<unsigned>(c)] = cycles; };
    set(InsnClass::kInternal, 0);
    set(InsnClass::kAlu, config.alu);
    set(InsnClass::kBranch, config.branch);
    set(InsnClass::kStack, config.stack);
    set(InsnClass::kMul, config.mul);
    set(InsnClass::kDiv32, config.div32);
    set(InsnClass::kDiv64, config.div64);
    set(InsnClass::kRotateCarry, config.rotate_carry);
    set(InsnClass::kShiftDouble, config.shift_double);
    set(InsnClass::kBitScan, config.bit_scan);
    set(InsnClass::kLocked, config.locked);
    set(InsnClass::kString, config.string_line);
    set(InsnClass::kCpuid, config.cpuid);
    set(InsnClass::kRdtsc, config.rdtsc);
    set(InsnClass::kSystem, config.system);
}

// RIP-relative, 32-bit address size and FS/GS bases (SDM Vol. 1 3.7.5, 3.3.7).
uint64_t Core::ea_modified(const Insn& i, uint64_t a) const {
    if (i.mflags & memflag::kRipRelative) a += rip + i.len;
    if (i.mflags & memflag::kAddr32) a = static_cast<uint32_t>(a);
    if (i.mflags & memflag::kFs) a += fs_base;
    if (i.mflags & memflag::kGs) a += gs_base;
    return a;
}

// A page-split access: both pages are translated (first page first, so its
// fault wins) before any byte is touched.
MemRef Core::translate_split(uint64_t va, unsigned size, AccessType type, bool stack) {
    ++counters.split_accesses;
    const uint32_t first = static_cast<uint32_t>(4096 - (va & 0xFFF));
    const bool ac = flag(rflags::kAC);
    const Translation t1 = utlb_.translate(mmu_, va, type, ac);
    if (!t1.ok()) raise_translation(t1, stack);
    const Translation t2 = utlb_.translate(mmu_, va + first, type, ac);
    if (!t2.ok()) {
        counters.translation_cycles += t1.cycles;
        counters.cycles += t1.cycles;
        raise_translation(t2, stack);
    }
    charge(t1, first);
    charge(t2, size - first);
    return MemRef{mem_.host_view(t1.pa, first), mem_.host_view(t2.pa, size - first), first, t1.pa.value >> 12,
                  t2.pa.value >> 12};
}

void Core::raise_translation(const Translation& t, bool stack) {
    counters.translation_cycles += t.cycles;
    counters.cycles += t.cycles;
    if (t.fault == FaultKind::kPageFault) raise(vector::kPageFault, t.error_code, t.fault_address);
    // A non-canonical address: #SS(0) for SS-relative accesses, else #GP(0) (SDM Vol. 3A 6.15).
    raise(stack ? vector::kStackFault : vector::kGeneralProtection, 0);
}

void Core::code_written(const MemRef& m) {
    ++counters.code_writes;
    code_.invalidate(m.frame);
    if (m.host2) code_.invalidate(m.frame2);
    // The current run may hold records of the page just dropped: finish this
    // instruction, then fetch again from RIP (SDM Vol. 3A 11.6: self-modifying code).
    request_stop(PendingStop::kRefetch);
}

const Insn* Core::fetch_new_page(uint64_t target) {
    const Translation t = utlb_.translate<AccessType::kFetch>(mmu_, target, false);
    ++counters.fetch_translations;
    if (!t.ok()) raise_translation(t, false);
    counters.translation_cycles += t.cycles;
    counters.cycles += t.cycles;
    page_ = &code_.page(t.pa.value >> 12);
    page_va_ = target & ~uint64_t{0xFFF};
    const uint32_t off = static_cast<uint32_t>(target & 0xFFF);
    if (const Insn* i = page_->at(off)) return i;
    return code_.decode_run(*page_, off);
}

const Insn* Core::fetch_crossing() {
    const uint64_t next_va = page_va_ + 4096;
    const Translation t = utlb_.translate<AccessType::kFetch>(mmu_, next_va, false);
    ++counters.fetch_translations;
    if (!t.ok()) raise_translation(t, false);
    counters.translation_cycles += t.cycles;
    counters.cycles += t.cycles;
    const uint64_t next_frame = t.pa.value >> 12;
    CrossingInsn& x = code_.crossing(*page_, static_cast<uint32_t>(rip & 0xFFF), next_frame);
    // Execution continues on the next page, which the fetch just translated.
    page_ = &code_.page(next_frame);
    page_va_ = next_va;
    return &x.insn[0];
}

void Core::raise(uint8_t vector, uint32_t error_code, uint64_t cr2) {
    throw GuestFault{vector, error_code, cr2};
}

void Core::raise_trap(uint8_t vector) { throw GuestFault{vector, 0, 0, true, InsnClass::kSystem}; }

const Insn* Core::fetch_after_branch(uint64_t target) {
    try {
        return fetch_new_page(target);
    } catch (GuestFault& f) {
        f.retired = true;
        f.retired_class = InsnClass::kBranch;
        throw;
    }
}

void Core::raise_undefined(const Insn& insn) {
    const auto* u = reinterpret_cast<const UndefinedInsn*>(insn.imm);
    std::string bytes;
    for (unsigned k = 0; k < u->length; ++k) bytes += fmt::format("{}{:02x}", k ? " " : "", u->bytes[k]);
    log(fmt::format("simx cpu{}: #UD at rip {:#x}: {} ({}): not implemented", cpu_, rip, bytes, u->mnemonic));
    raise(vector::kInvalidOpcode);
}

void Core::log(const std::string& line) const {
    if (log_) log_(line);
    else std::fprintf(stderr, "%s\n", line.c_str());
}

}  // namespace simx
