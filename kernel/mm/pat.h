// Memory types through the PAT (SDM Vol. 3A 11.12).
//
// A leaf's PAT, PCD and PWT bits form a 3-bit index into IA32_PAT, whose eight
// bytes name memory types. The power-on value (WB, WT, UC-, UC, repeated) has no
// write-combining entry, so the kernel reprograms IA32_PAT on every CPU, exactly
// as Linux does (arch/x86/mm/pat/memtype.c):
//
//   index  PAT PCD PWT   type
//     0     0   0   0    WB    <- every paging structure (table entries have PCD=PWT=0)
//     1     0   0   1    WC
//     2     0   1   0    UC-
//     3     0   1   1    UC
//     4     1   0   0    WB    (duplicate; never written)
//     5     1   0   1    WP
//     6     1   1   0    UC-   (duplicate; never written)
//     7     1   1   1    WT
//
// WB, WC, UC- and UC live in entries 0-3 and need no PAT bit, so they encode the
// same way in every leaf size and in CR3; WP and WT need the PAT bit, which is
// bit 7 in a 4 KiB PTE but bit 12 in a 2 MiB or 1 GiB leaf (bit 7 is PS there).
// Demote and promote move it (SDM tables 4-17 to 4-20).
//
// Entries 0-3 keep their power-on meaning for PCD/PWT-only users, so firmware-era
// assumptions (PCD=1 means uncached) still hold (SDM 11.12.5).
#pragma once

#include "kernel/lib/types.h"
#include "kernel/mm/pte.h"

namespace kernel {

enum class CachePolicy : u8 {
    kWriteBack,        // ordinary memory
    kWriteCombining,   // frame buffers: writes buffered and combined, reads uncached
    kUncachedMinus,    // UC that an MTRR may upgrade to WC (Linux's ioremap default)
    kUncached,         // strong UC: device registers
    kWriteThrough,
    kWriteProtected,
};
inline constexpr unsigned kCachePolicyCount = 6;

namespace pat {

// Memory-type encodings of IA32_PAT (SDM table 11-10).
enum class MemoryType : u8 { kUC = 0, kWC = 1, kWT = 4, kWP = 5, kWB = 6, kUCMinus = 7 };

inline constexpr MemoryType kEntries[8] = {
    MemoryType::kWB, MemoryType::kWC, MemoryType::kUCMinus, MemoryType::kUC,
    MemoryType::kWB, MemoryType::kWP, MemoryType::kUCMinus, MemoryType::kWT,
};

// The value WRMSR writes to IA32_PAT (0x277): byte i is entry i.
constexpr u64 kernel_pat_value() {
    u64 v = 0;
    for (unsigned i = 0; i < 8; ++i) v |= u64{static_cast<u8>(kEntries[i])} << (8 * i);
    return v;
}
static_assert(kernel_pat_value() == 0x0407'0506'0007'0106ull, "Linux's PAT layout");

constexpr unsigned index_of(CachePolicy p) {
    switch (p) {
        case CachePolicy::kWriteBack: return 0;
        case CachePolicy::kWriteCombining: return 1;
        case CachePolicy::kUncachedMinus: return 2;
        case CachePolicy::kUncached: return 3;
        case CachePolicy::kWriteProtected: return 5;
        case CachePolicy::kWriteThrough: return 7;
    }
    return 0;
}

constexpr MemoryType memory_type(CachePolicy p) { return kEntries[index_of(p)]; }
static_assert(memory_type(CachePolicy::kWriteBack) == MemoryType::kWB);
static_assert(memory_type(CachePolicy::kWriteCombining) == MemoryType::kWC);
static_assert(memory_type(CachePolicy::kUncachedMinus) == MemoryType::kUCMinus);
static_assert(memory_type(CachePolicy::kUncached) == MemoryType::kUC);
static_assert(memory_type(CachePolicy::kWriteProtected) == MemoryType::kWP);
static_assert(memory_type(CachePolicy::kWriteThrough) == MemoryType::kWT);

// The PAT/PCD/PWT bits of a leaf at `level` (1 = 4 KiB PTE, 2/3 = large leaf).
constexpr u64 leaf_bits(CachePolicy p, unsigned level) {
    const unsigned i = index_of(p);
    return ((i & 1) ? Pte::kWriteThrough : 0) | ((i & 2) ? Pte::kCacheDisable : 0) |
           ((i & 4) ? (level == 1 ? Pte::kPat4K : Pte::kPatLarge) : 0);
}
inline constexpr u64 kLeafBitsMask4K = Pte::kWriteThrough | Pte::kCacheDisable | Pte::kPat4K;
inline constexpr u64 kLeafBitsMaskLarge = Pte::kWriteThrough | Pte::kCacheDisable | Pte::kPatLarge;
constexpr u64 leaf_bits_mask(unsigned level) { return level == 1 ? kLeafBitsMask4K : kLeafBitsMaskLarge; }

// The policy a leaf's bits select; false for the duplicate indices 4 and 6,
// which the kernel never writes (check_invariants reports them).
constexpr bool decode(Pte leaf, unsigned level, CachePolicy* out) {
    constexpr CachePolicy kByIndex[8] = {
        CachePolicy::kWriteBack,     CachePolicy::kWriteCombining, CachePolicy::kUncachedMinus,
        CachePolicy::kUncached,      CachePolicy::kWriteBack,      CachePolicy::kWriteProtected,
        CachePolicy::kUncachedMinus, CachePolicy::kWriteThrough,
    };
    const unsigned i = leaf.pat_index(level);
    *out = kByIndex[i];
    return i != 4 && i != 6;
}

}  // namespace pat
}  // namespace kernel
