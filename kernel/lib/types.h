// Basic types for the freestanding kernel. Only the compiler's own freestanding
// headers are used (<stdint.h>, <stddef.h>, <stdarg.h>): no C++ library header,
// not even <compare>, is reachable in the freestanding build.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace kernel {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;
using i32 = int32_t;
using i64 = int64_t;
using usize = size_t;

inline constexpr u64 kPageShift = 12;
inline constexpr u64 kPageSize = u64{1} << kPageShift;
inline constexpr u64 kLargePageShift = 21;                 // 2 MiB
inline constexpr u64 kHugePageShift = 30;                  // 1 GiB
inline constexpr u32 kMaxCpus = 64;
inline constexpr u32 kMaxNodes = 8;

// A physical address. Never a pointer: the kernel reaches physical memory only
// through hal::phys_to_virt.
struct PhysAddr {
    u64 value = 0;
    constexpr PhysAddr() = default;
    constexpr explicit PhysAddr(u64 v) : value(v) {}
    constexpr bool operator==(const PhysAddr&) const = default;
    constexpr bool operator<(const PhysAddr& o) const { return value < o.value; }
    constexpr bool operator<=(const PhysAddr& o) const { return value <= o.value; }
    constexpr PhysAddr operator+(u64 off) const { return PhysAddr{value + off}; }
    constexpr u64 pfn() const { return value >> kPageShift; }
    static constexpr PhysAddr from_pfn(u64 pfn) { return PhysAddr{pfn << kPageShift}; }
};

// A linear address as the (simulated or real) MMU sees it. In the sim build the
// kernel's own pointers are host addresses, so a VirtAddr is never made from a
// pointer: kernel mappings are computed from the layout (kernel/mm/layout.h).
struct VirtAddr {
    u64 value = 0;
    constexpr VirtAddr() = default;
    constexpr explicit VirtAddr(u64 v) : value(v) {}
    constexpr bool operator==(const VirtAddr&) const = default;
    constexpr bool operator<(const VirtAddr& o) const { return value < o.value; }
    constexpr bool operator<=(const VirtAddr& o) const { return value <= o.value; }
    constexpr VirtAddr operator+(u64 off) const { return VirtAddr{value + off}; }
};

constexpr u64 align_down(u64 v, u64 a) { return v & ~(a - 1); }
constexpr u64 align_up(u64 v, u64 a) { return (v + a - 1) & ~(a - 1); }
constexpr bool is_aligned(u64 v, u64 a) { return (v & (a - 1)) == 0; }

}  // namespace kernel
