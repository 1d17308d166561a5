// Typed addresses and page sizes shared by every part of the simulated machine.
//
// A physical address can never be passed where a linear (virtual) one is meant:
// both are distinct structs, converted only by the MMU.
#pragma once

#include <compare>
#include <cstdint>
#include <string_view>

namespace simx {

struct PhysAddr {
    uint64_t value = 0;
    constexpr PhysAddr() = default;
    constexpr explicit PhysAddr(uint64_t v) : value(v) {}
    constexpr auto operator<=>(const PhysAddr&) const = default;
    constexpr PhysAddr operator+(uint64_t off) const { return PhysAddr{value + off}; }
};

struct VirtAddr {
    uint64_t value = 0;
    constexpr VirtAddr() = default;
    constexpr explicit VirtAddr(uint64_t v) : value(v) {}
    constexpr auto operator<=>(const VirtAddr&) const = default;
    constexpr VirtAddr operator+(uint64_t off) const { return VirtAddr{value + off}; }
};

// The three leaf sizes of IA-32e paging (SDM Vol. 3A 4.5).
enum class PageSize : uint8_t { k4K = 0, k2M = 1, k1G = 2 };
inline constexpr int kPageSizeCount = 3;

constexpr unsigned page_shift(PageSize s) {
    return s == PageSize::k4K ? 12u : s == PageSize::k2M ? 21u : 30u;
}
constexpr uint64_t page_bytes(PageSize s) { return uint64_t{1} << page_shift(s); }
constexpr uint64_t page_mask(PageSize s) { return page_bytes(s) - 1; }

constexpr std::string_view page_size_name(PageSize s) {
    return s == PageSize::k4K ? "4k" : s == PageSize::k2M ? "2m" : "1g";
}

inline constexpr uint64_t kCacheLineBytes = 64;

}  // namespace simx

namespace simx {

// Memory types of the PAT (SDM Vol. 3A 11.12.3), encoded as in IA32_PAT.
enum class MemType : uint8_t { kUC = 0, kWC = 1, kWT = 4, kWP = 5, kWB = 6, kUCMinus = 7 };

constexpr bool is_cacheable(MemType t) {
    return t == MemType::kWB || t == MemType::kWT || t == MemType::kWP;
}

constexpr std::string_view mem_type_name(MemType t) {
    switch (t) {
        case MemType::kUC: return "UC";
        case MemType::kWC: return "WC";
        case MemType::kWT: return "WT";
        case MemType::kWP: return "WP";
        case MemType::kWB: return "WB";
        case MemType::kUCMinus: return "UC-";
    }
    return "?";
}

// Access rights of a translation: R/W and U/S ANDed and XD ORed over every
// paging-structure entry on its path (SDM 4.6).
struct Rights {
    bool writable = false;
    bool user = false;
    bool no_exec = false;
    constexpr bool operator==(const Rights&) const = default;
};

}  // namespace simx
