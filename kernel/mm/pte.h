// The kernel's view of an IA-32e paging-structure entry (SDM Vol. 3A 4.5, tables
// 4-15 to 4-20): a typed 8-byte value with named accessors, so the page-table
// editor never twiddles raw bits at its call sites (SerenityOS's PageTableEntry).
//
// Levels are numbered as the SDM's walk visits them, bottom up:
//   1 = page table (PTE, maps 4 KiB)      2 = page directory (PDE, 2 MiB leaf)
//   3 = PDPT (PDPTE, 1 GiB leaf)          4 = PML4         5 = PML5 (LA57 only)
// Each table holds 512 entries and each level resolves 9 bits of the address.
//
// This header is the kernel's own: the simulator's sim/mmu/pte.h is the hardware
// side and the kernel never includes it (DESIGN.md dependency direction). The two
// agree because both follow the SDM, and the page-table tests prove it by walking
// the kernel's tables with the simulated walker.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

inline constexpr unsigned kEntriesPerTable = 512;

// The three leaf sizes of IA-32e paging.
enum class PageSize : u8 { k4K = 0, k2M = 1, k1G = 2 };

constexpr unsigned level_shift(unsigned level) { return 12 + 9 * (level - 1); }
// Bytes of linear address space one entry at `level` covers.
constexpr u64 level_span(unsigned level) { return u64{1} << level_shift(level); }
constexpr unsigned table_index(u64 va, unsigned level) { return static_cast<unsigned>((va >> level_shift(level)) & 511); }

// The level whose entries are leaves of this size, and back.
constexpr unsigned leaf_level(PageSize s) { return static_cast<unsigned>(s) + 1; }
constexpr PageSize size_at_level(unsigned level) { return static_cast<PageSize>(level - 1); }
constexpr u64 page_bytes(PageSize s) { return level_span(leaf_level(s)); }
constexpr u64 page_count(PageSize s, u64 bytes) { return bytes >> level_shift(leaf_level(s)); }

class Pte {
public:
    static constexpr u64 kPresent = u64{1} << 0;
    static constexpr u64 kWritable = u64{1} << 1;       // R/W
    static constexpr u64 kUser = u64{1} << 2;           // U/S
    static constexpr u64 kWriteThrough = u64{1} << 3;   // PWT: PAT index bit 0
    static constexpr u64 kCacheDisable = u64{1} << 4;   // PCD: PAT index bit 1
    static constexpr u64 kAccessed = u64{1} << 5;       // set by the walker (SDM 4.8)
    static constexpr u64 kDirty = u64{1} << 6;          // leaves only
    static constexpr u64 kLarge = u64{1} << 7;          // PS in a PDPTE/PDE
    static constexpr u64 kPat4K = u64{1} << 7;          // PAT index bit 2 in a 4 KiB PTE
    static constexpr u64 kGlobal = u64{1} << 8;         // leaves only, with CR4.PGE
    static constexpr u64 kPatLarge = u64{1} << 12;      // PAT index bit 2 in a 2 MiB/1 GiB leaf
    static constexpr u64 kNoExecute = u64{1} << 63;     // XD, reserved unless EFER.NXE
    static constexpr u64 kAddressBits = 0x000F'FFFF'FFFF'F000ull;  // bits 51:12
    // Bits the walker sets behind the kernel's back: compare entries without them.
    static constexpr u64 kHardwareBits = kAccessed | kDirty;

    constexpr Pte() = default;
    constexpr explicit Pte(u64 raw) : raw_(raw) {}

    constexpr u64 raw() const { return raw_; }
    constexpr bool present() const { return raw_ & kPresent; }
    constexpr bool writable() const { return raw_ & kWritable; }
    constexpr bool user() const { return raw_ & kUser; }
    constexpr bool accessed() const { return raw_ & kAccessed; }
    constexpr bool dirty() const { return raw_ & kDirty; }
    constexpr bool global() const { return raw_ & kGlobal; }
    constexpr bool no_execute() const { return raw_ & kNoExecute; }

    // A leaf maps memory; any other present entry references the next table.
    // Bit 7 of a PTE is PAT, not PS (SDM table 4-20).
    constexpr bool is_leaf(unsigned level) const { return level == 1 || ((level == 2 || level == 3) && (raw_ & kLarge)); }

    // The next table an entry above a leaf references.
    constexpr PhysAddr table_address() const { return PhysAddr{raw_ & kAddressBits}; }
    // The frame a leaf at `level` maps. A large leaf's address field starts at
    // bit 21 or 30; bit 12 below it is PAT (SDM tables 4-17, 4-18).
    constexpr PhysAddr frame(unsigned level) const {
        return PhysAddr{raw_ & kAddressBits & ~(level_span(level) - 1)};
    }
    // Index into IA32_PAT: PAT*4 + PCD*2 + PWT (SDM 11.12.3).
    constexpr unsigned pat_index(unsigned level) const {
        const u64 pat_bit = level == 1 ? kPat4K : kPatLarge;
        return ((raw_ & pat_bit) ? 4u : 0u) | ((raw_ & kCacheDisable) ? 2u : 0u) | ((raw_ & kWriteThrough) ? 1u : 0u);
    }

    constexpr Pte with(u64 bits) const { return Pte{raw_ | bits}; }
    constexpr Pte without(u64 bits) const { return Pte{raw_ & ~bits}; }
    // The entry as software wrote it, ignoring the A/D bits the walker sets.
    constexpr bool same_as(Pte other) const { return ((raw_ ^ other.raw_) & ~kHardwareBits) == 0; }
    constexpr bool operator==(const Pte&) const = default;

    // An entry that references a next-level table. R/W and U/S are set so that
    // the leaf alone decides the rights (SDM 4.6 ANDs them along the path); U/S
    // only in the user half, so a kernel-half path can never grant user access.
    // A is preset, as Linux's _PAGE_TABLE does, to spare the walker a write.
    static constexpr Pte make_table(PhysAddr table, bool user_half) {
        return Pte{(table.value & kAddressBits) | kPresent | kWritable | kAccessed | (user_half ? kUser : 0)};
    }

private:
    u64 raw_ = 0;
};
static_assert(sizeof(Pte) == 8);

// A table page seen through the direct map. Entries are read and written with
// single 8-byte atomic accesses: the walker of another CPU may read an entry, or
// set its A/D bits, while the kernel edits the table (SDM 4.8, 4.10.2.3).
class TableView {
public:
    explicit TableView(void* page) : slots_(static_cast<u64*>(page)) {}
    Pte load(unsigned i) const { return Pte{__atomic_load_n(&slots_[i], __ATOMIC_RELAXED)}; }
    void store(unsigned i, Pte e) { __atomic_store_n(&slots_[i], e.raw(), __ATOMIC_RELEASE); }
    // Clears an entry and returns its last value, A/D bits included.
    Pte take(unsigned i) { return Pte{__atomic_exchange_n(&slots_[i], u64{0}, __ATOMIC_ACQ_REL)}; }
    // Stores `desired` if the entry still holds `expected`; otherwise reloads
    // `expected` (a walker set A or D meanwhile) and returns false.
    bool replace(unsigned i, Pte& expected, Pte desired) {
        u64 seen = expected.raw();
        if (__atomic_compare_exchange_n(&slots_[i], &seen, desired.raw(), false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return true;
        expected = Pte{seen};
        return false;
    }

private:
    u64* slots_;
};

}  // namespace kernel
