// Shared pieces of the page-table tests: a counting, failure-injecting table
// allocator over a window of simulated RAM, and a fixture that runs the kernel's
// editor on a simulated CPU and checks its work through that CPU's real MMU
// (sim/mmu): the simulated hardware must see exactly what the kernel meant.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernel/hal/hal.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/pat.h"
#include "kernel/mm/tlb_invalidation.h"
#include "sim/machine/phys_mem.h"
#include "sim/mmu/mmu.h"
#include "tests/kernel/kernel_fixture.h"

namespace simx::testing {

inline constexpr uint64_t kKiB = uint64_t{1} << 10;
inline constexpr uint64_t kMiB = uint64_t{1} << 20;
inline constexpr uint64_t kGiB = uint64_t{1} << 30;
inline constexpr uint64_t k4K = 4 * kKiB;
inline constexpr uint64_t k2M = 2 * kMiB;
inline constexpr uint64_t k1G = kGiB;

// Table frames come from [base, base + frames * 4 KiB) of simulated RAM, reused
// last-freed-first (so a table freed too early is quickly somebody else's), and
// poisoned on release with all-ones entries: a walk through a released table
// takes a reserved-bit #PF instead of quietly succeeding.
class TestTableAllocator final : public kernel::TableAllocator {
public:
    TestTableAllocator(PhysicalMemory& memory, uint64_t base, uint64_t frames)
        : memory_(memory), base_(base), frames_(frames), descriptors_(new kernel::Page[frames]) {
        for (uint64_t i = frames; i-- > 0;) free_.push_back(i);
    }

    bool allocate(kernel::PhysAddr& table) override {
        if (fail_after_ && allocations_ >= *fail_after_) {
            ++refused_;
            return false;
        }
        if (free_.empty()) return false;
        const uint64_t i = free_.back();
        free_.pop_back();
        table = kernel::PhysAddr{base_ + i * k4K};
        memory_.fill(PhysAddr{table.value}, 0, k4K);
        ++allocations_;
        return true;
    }
    void release(kernel::PhysAddr table) override {
        const uint64_t i = index(table);
        memory_.fill(PhysAddr{table.value}, 0xff, k4K);
        free_.push_back(i);
        ++releases_;
    }
    kernel::Page& descriptor(kernel::PhysAddr table) override { return descriptors_[index(table)]; }
    kernel::PhysAddr address_of(const kernel::Page& page) override {
        const auto i = static_cast<uint64_t>(&page - descriptors_.get());
        KASSERT(i < frames_, "descriptor %p is not one of the test allocator's", static_cast<const void*>(&page));
        return kernel::PhysAddr{base_ + i * k4K};
    }

    // Allocations succeed until `n` have been made in total, then fail.
    void fail_after(uint64_t n) { fail_after_ = n; }
    void never_fail() { fail_after_.reset(); }
    uint64_t allocations() const { return allocations_; }
    uint64_t releases() const { return releases_; }
    uint64_t outstanding() const { return allocations_ - releases_; }
    uint64_t refused() const { return refused_; }

private:
    uint64_t index(kernel::PhysAddr table) const {
        const uint64_t i = (table.value - base_) / k4K;
        KASSERT(table.value >= base_ && i < frames_ && table.value % k4K == 0, "%#llx is not a test table frame",
                static_cast<unsigned long long>(table.value));
        return i;
    }

    PhysicalMemory& memory_;
    uint64_t base_, frames_;
    std::unique_ptr<kernel::Page[]> descriptors_;
    std::vector<uint64_t> free_;
    std::optional<uint64_t> fail_after_;
    uint64_t allocations_ = 0, releases_ = 0, refused_ = 0;
};

inline MemType mem_type_of(kernel::CachePolicy p) {
    switch (p) {
        case kernel::CachePolicy::kWriteBack: return MemType::kWB;
        case kernel::CachePolicy::kWriteCombining: return MemType::kWC;
        case kernel::CachePolicy::kUncachedMinus: return MemType::kUCMinus;
        case kernel::CachePolicy::kUncached: return MemType::kUC;
        case kernel::CachePolicy::kWriteThrough: return MemType::kWT;
        case kernel::CachePolicy::kWriteProtected: return MemType::kWP;
    }
    return MemType::kWB;
}

inline PageSize sim_size(kernel::PageSize s) { return static_cast<PageSize>(static_cast<unsigned>(s)); }

inline MachineConfig page_table_machine(bool la57 = false, uint64_t ram = 64 * kMiB) {
    MachineConfig c = small_machine(1, {ram});
    c.mmu.la57_supported = la57;
    c.mmu.pages_1g_supported = true;
    c.mmu.pcid_supported = true;
    return c;
}

// A machine, a table allocator over [16 MiB, 48 MiB) of its RAM, and helpers
// to run kernel code on CPU 0 and to translate through CPU 0's MMU.
class PageTableEnv {
public:
    explicit PageTableEnv(const MachineConfig& config = page_table_machine())
        : m_(config), tables_(m_.machine().memory(), 16 * kMiB, 8192) {}

    KernelMachine& km() { return m_; }
    Mmu& mmu() { return m_.machine().mmu(0); }
    TestTableAllocator& tables() { return tables_; }
    const hal::BootInfo& boot_info() { return m_.hal().boot_info(); }
    kernel::PagingConfig config() { return kernel::PagingConfig::from_boot_info(boot_info()); }

    template <typename Fn>
    void run(Fn&& fn) {
        m_.on_cpu(0, std::forward<Fn>(fn));
    }

    // What the kernel does on each CPU: the kernel's PAT, every paging feature
    // the machine offers (NXE, PGE, PCIDE, SMEP, SMAP, LA57), then CR3.
    void load(kernel::PhysAddr root, uint16_t pcid = 0) {
        run([&] { kernel::load_address_space(root, pcid); });
    }

    // Performs `inv` on CPU 0 (INVLPG/INVPCID/CR3) and releases its tables.
    void flush(kernel::TlbInvalidation& inv, uint16_t pcid = 0) {
        run([&] { kernel::flush_tlb_local(inv, pcid); });
    }

    Translation translate(uint64_t va, const Access& a) { return mmu().translate(VirtAddr{va}, a); }

private:
    KernelMachine m_;
    TestTableAllocator tables_;
};

inline constexpr Access kUserRead = Access::user(AccessType::kRead);
inline constexpr Access kUserWrite = Access::user(AccessType::kWrite);
inline constexpr Access kUserFetch = Access::user(AccessType::kFetch);
inline constexpr Access kSupRead = Access::supervisor(AccessType::kRead);
inline constexpr Access kSupWrite = Access::supervisor(AccessType::kWrite);
inline constexpr Access kSupFetch = Access::supervisor(AccessType::kFetch);

// Checks every observable of one page through the simulated MMU: the frame and
// page size of a read, the memory type, and whether a write and a fetch are
// allowed, with the #PF error code the SDM gives when they are not (4.7).
// Returns a description of the first mismatch, or an empty string.
inline std::string check_page(Mmu& mmu, uint64_t va, uint64_t expected_pa, kernel::PageSize size,
                              const kernel::PageAttrs& attrs) {
    const Access read = attrs.user ? kUserRead : kSupRead;
    const Access write = attrs.user ? kUserWrite : kSupWrite;
    const Access fetch = attrs.user ? kUserFetch : kSupFetch;
    const uint32_t user_bit = attrs.user ? pf::kUser : 0;
    auto hex = [](uint64_t v) {
        char b[32];
        std::snprintf(b, sizeof b, "%#llx", static_cast<unsigned long long>(v));
        return std::string(b);
    };
    const Translation r = mmu.translate(VirtAddr{va}, read);
    if (!r.ok()) return "read of " + hex(va) + " faulted, error code " + hex(r.error_code);
    if (r.pa.value != expected_pa) return "read of " + hex(va) + " gave " + hex(r.pa.value) + ", not " + hex(expected_pa);
    if (r.size != sim_size(size))
        return "read of " + hex(va) + " used a " + std::string(page_size_name(r.size)) + " page, not " +
               std::string(page_size_name(sim_size(size)));
    if (r.mem_type != mem_type_of(attrs.cache))
        return "read of " + hex(va) + " has memory type " + std::string(mem_type_name(r.mem_type));
    const Translation w = mmu.translate(VirtAddr{va}, write);
    if (w.ok() != attrs.writable) return "write to " + hex(va) + (w.ok() ? " allowed" : " refused");
    if (!w.ok() && w.error_code != (pf::kPresent | pf::kWrite | user_bit))
        return "write to " + hex(va) + " error code " + hex(w.error_code);
    const Translation x = mmu.translate(VirtAddr{va}, fetch);
    if (x.ok() != attrs.executable) return "fetch from " + hex(va) + (x.ok() ? " allowed" : " refused");
    if (!x.ok() && x.error_code != (pf::kPresent | pf::kFetch | user_bit))
        return "fetch from " + hex(va) + " error code " + hex(x.error_code);
    return "";
}

// A not-present #PF for a read of va.
inline std::string check_unmapped(Mmu& mmu, uint64_t va, bool user) {
    const Translation t = mmu.translate(VirtAddr{va}, user ? kUserRead : kSupRead);
    char b[96];
    if (t.ok()) {
        std::snprintf(b, sizeof b, "%#llx is still mapped (to %#llx)", static_cast<unsigned long long>(va),
                      static_cast<unsigned long long>(t.pa.value));
        return b;
    }
    const uint32_t expected = user ? pf::kUser : 0;
    if (t.fault != FaultKind::kPageFault || t.error_code != expected) {
        std::snprintf(b, sizeof b, "%#llx: fault %d error code %#x, expected not-present %#x",
                      static_cast<unsigned long long>(va), static_cast<int>(t.fault), t.error_code, expected);
        return b;
    }
    return "";
}

}  // namespace simx::testing
