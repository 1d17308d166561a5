// The control state the MMU reads: CR0, CR3, CR4, IA32_EFER and IA32_PAT.
// The model is IA-32e mode throughout (CR0.PG, CR4.PAE, EFER.LME/LMA set);
// LA57 selects 4- or 5-level paging.
#pragma once

#include <cstdint>

#include "sim/machine/types.h"

namespace simx {

namespace cr0 {
inline constexpr uint64_t kWriteProtect = 1ull << 16;  // WP
inline constexpr uint64_t kPaging = 1ull << 31;        // PG
}  // namespace cr0

namespace cr4 {
inline constexpr uint64_t kPae = 1ull << 5;
inline constexpr uint64_t kPge = 1ull << 7;
inline constexpr uint64_t kLa57 = 1ull << 12;
inline constexpr uint64_t kPcide = 1ull << 17;
inline constexpr uint64_t kSmep = 1ull << 20;
inline constexpr uint64_t kSmap = 1ull << 21;
}  // namespace cr4

namespace efer {
inline constexpr uint64_t kLme = 1ull << 8;
inline constexpr uint64_t kLma = 1ull << 10;
inline constexpr uint64_t kNxe = 1ull << 11;
}  // namespace efer

namespace cr3 {
inline constexpr uint64_t kNoFlush = 1ull << 63;  // with CR4.PCIDE=1; never stored
inline constexpr uint64_t kPcidMask = 0xFFF;
inline constexpr uint64_t kPwt = 1ull << 3;        // when CR4.PCIDE=0
inline constexpr uint64_t kPcd = 1ull << 4;
}  // namespace cr3

// Power-on value of IA32_PAT: WB, WT, UC-, UC, WB, WT, UC-, UC (SDM table 11-12).
inline constexpr uint64_t kDefaultPat = 0x0007'0406'0007'0406ull;

struct ControlRegisters {
    uint64_t cr0 = cr0::kPaging | cr0::kWriteProtect | 1;  // PE, WP, PG
    uint64_t cr3 = 0;
    uint64_t cr4 = cr4::kPae;
    uint64_t efer = efer::kLme | efer::kLma;
    uint64_t pat = kDefaultPat;

    constexpr bool wp() const { return cr0 & cr0::kWriteProtect; }
    constexpr bool pge() const { return cr4 & cr4::kPge; }
    constexpr bool la57() const { return cr4 & cr4::kLa57; }
    constexpr bool pcide() const { return cr4 & cr4::kPcide; }
    constexpr bool smep() const { return cr4 & cr4::kSmep; }
    constexpr bool smap() const { return cr4 & cr4::kSmap; }
    constexpr bool nxe() const { return efer & efer::kNxe; }
    constexpr uint16_t pcid() const { return pcide() ? static_cast<uint16_t>(cr3 & cr3::kPcidMask) : 0; }
    constexpr unsigned levels() const { return la57() ? 5 : 4; }
    // Width of a linear address: 48 or 57 bits.
    constexpr unsigned linear_bits() const { return la57() ? 57 : 48; }

    constexpr MemType pat_type(unsigned index) const { return static_cast<MemType>((pat >> (8 * index)) & 7); }

    // Canonical: bits 63 down to linear_bits-1 all equal (SDM 3.3.7.1).
    constexpr bool canonical(uint64_t va) const {
        const unsigned shift = linear_bits() - 1;
        const int64_t top = static_cast<int64_t>(va) >> shift;
        return top == 0 || top == -1;
    }
};

}  // namespace simx
