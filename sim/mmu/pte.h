// A paging-structure entry of IA-32e paging (SDM Vol. 3A 4.5, tables 4-15..4-20)
// as a typed value with named accessors, so call sites never twiddle raw bits.
#pragma once

#include <cstdint>

#include "sim/machine/types.h"

namespace simx {

struct Pte {
    static constexpr uint64_t kPresent = 1ull << 0;
    static constexpr uint64_t kWritable = 1ull << 1;
    static constexpr uint64_t kUser = 1ull << 2;
    static constexpr uint64_t kWriteThrough = 1ull << 3;  // PWT
    static constexpr uint64_t kCacheDisable = 1ull << 4;  // PCD
    static constexpr uint64_t kAccessed = 1ull << 5;
    static constexpr uint64_t kDirty = 1ull << 6;         // leaves only
    static constexpr uint64_t kPageSize = 1ull << 7;      // PS in PDPTE/PDE; PAT in a 4 KiB PTE
    static constexpr uint64_t kPat4K = 1ull << 7;
    static constexpr uint64_t kGlobal = 1ull << 8;        // leaves only
    static constexpr uint64_t kPatLarge = 1ull << 12;     // PAT in a 2 MiB / 1 GiB leaf
    static constexpr uint64_t kNoExecute = 1ull << 63;    // XD
    static constexpr uint64_t kAddressBits = 0x000F'FFFF'FFFF'F000ull;  // bits 51:12

    uint64_t raw = 0;

    constexpr Pte() = default;
    constexpr explicit Pte(uint64_t r) : raw(r) {}

    constexpr bool present() const { return raw & kPresent; }
    constexpr bool writable() const { return raw & kWritable; }
    constexpr bool user() const { return raw & kUser; }
    constexpr bool accessed() const { return raw & kAccessed; }
    constexpr bool dirty() const { return raw & kDirty; }
    constexpr bool large() const { return raw & kPageSize; }
    constexpr bool global() const { return raw & kGlobal; }
    constexpr bool no_execute() const { return raw & kNoExecute; }
    constexpr bool pwt() const { return raw & kWriteThrough; }
    constexpr bool pcd() const { return raw & kCacheDisable; }
    // Address field, bits 51:12 (the caller masks off the low bits of a large leaf).
    constexpr uint64_t address() const { return raw & kAddressBits; }

    // Index into IA32_PAT (SDM 11.12.3): PAT*4 + PCD*2 + PWT. For a table
    // reference there is no PAT bit.
    constexpr unsigned pat_index(bool is_leaf, PageSize size) const {
        bool pat = is_leaf && (size == PageSize::k4K ? (raw & kPat4K) : (raw & kPatLarge));
        return (pat ? 4u : 0u) | (pcd() ? 2u : 0u) | (pwt() ? 1u : 0u);
    }
};
static_assert(sizeof(Pte) == 8);

}  // namespace simx
