// The x86-64 address-space layout, for 4-level (48-bit) and 5-level (57-bit)
// paging. Every address space has the same kernel half; only the user half
// differs.
//
//   4-level                                      5-level
//   0x0000_0000_0000_0000  user                  0x0000_0000_0000_0000  user
//   0x0000_7fff_ffff_f000  guard page            0x00ff_ffff_ffff_f000  guard page
//   ---------------------  non-canonical  ------------------------------------
//   0xffff_8000_0000_0000  unused (8 TiB)        0xff00_0000_0000_0000  unused
//   0xffff_8880_0000_0000  direct map (64 TiB)   0xff11_0000_0000_0000  direct map (32 PiB)
//   0xffff_c900_0000_0000  kernel heap (32 TiB)  0xffa0_0000_0000_0000  kernel heap (12.5 PiB)
//   0xffff_ea00_0000_0000  page descriptors(1T)  0xffd4_0000_0000_0000  page descriptors (0.5 PiB)
//   0xffff_fe00_0000_0000  per-CPU (512 GiB)     0xffff_fe00_0000_0000  per-CPU (512 GiB)
//   0xffff_ffff_8000_0000  kernel image (2 GiB)  0xffff_ffff_8000_0000  kernel image (2 GiB)
//
// Why these boundaries:
// - The user half ends one page short of the canonical boundary, so no user
//   mapping touches the non-canonical hole (the SYSRET #GP erratum Linux avoids).
// - Every kernel region starts on a top-level-entry boundary (512 GiB per PML4E,
//   256 TiB per PML5E): the kernel half's top-level entries are created once at
//   boot and copied into each new address space, and never change afterwards, so
//   no address space ever needs its top level re-synchronised.
// - The direct map maps all RAM, at the same offsets Linux uses, so addresses are
//   familiar in dumps; it leaves room for 64 TiB (4-level) of RAM.
// - The kernel image sits in the top 2 GiB so -mcmodel=kernel code addresses it
//   with sign-extended 32-bit displacements.
// - The page-descriptor array (vmemmap) is virtually contiguous so a frame's
//   descriptor is one index away, even across NUMA holes.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct AddressSpaceLayout {
    unsigned levels;
    u64 user_end;           // first address above the user half (exclusive)
    u64 direct_map_base;
    u64 direct_map_size;
    u64 heap_base;
    u64 heap_size;
    u64 page_array_base;
    u64 page_array_size;
    u64 percpu_base;
    u64 percpu_stride;      // bytes of per-CPU region per CPU
    u64 kernel_image_base;

    constexpr bool is_user(u64 va) const { return va < user_end; }
    // Linux's DEFAULT_MAP_WINDOW: the 47-bit user half of 4-level paging.
    // With 5-level paging the stack, the PIE base and mmap without a hint
    // above it stay below it, so programs that keep tags in high pointer bits
    // still work; only a hint above it reaches the rest (x86's
    // arch_get_unmapped_area_topdown).
    constexpr u64 default_map_window() const { return user_end < kWindow47 ? user_end : kWindow47; }
    static constexpr u64 kWindow47 = 0x0000'7fff'ffff'f000ull;
    constexpr bool in_direct_map(u64 va) const { return va >= direct_map_base && va - direct_map_base < direct_map_size; }
    // Layout address of a physical address in the direct map.
    constexpr VirtAddr direct_map(PhysAddr pa) const { return VirtAddr{direct_map_base + pa.value}; }
    // First top-level index of the kernel half (256 in both modes).
    constexpr unsigned first_kernel_top_index() const { return 256; }
};

inline constexpr AddressSpaceLayout kLayout4Level{
    4,
    0x0000'7fff'ffff'f000ull,
    0xffff'8880'0000'0000ull, u64{64} << 40,
    0xffff'c900'0000'0000ull, u64{32} << 40,
    0xffff'ea00'0000'0000ull, u64{1} << 40,
    0xffff'fe00'0000'0000ull, u64{8} << 30,
    0xffff'ffff'8000'0000ull,
};

inline constexpr AddressSpaceLayout kLayout5Level{
    5,
    0x00ff'ffff'ffff'f000ull,
    0xff11'0000'0000'0000ull, u64{32} << 50,
    0xffa0'0000'0000'0000ull, (u64{25} << 50) / 2,
    0xffd4'0000'0000'0000ull, u64{1} << 49,
    0xffff'fe00'0000'0000ull, u64{8} << 30,
    0xffff'ffff'8000'0000ull,
};

// Regions must not overlap and must be ordered as drawn above.
constexpr bool layout_is_consistent(const AddressSpaceLayout& l) {
    return l.direct_map_base + l.direct_map_size <= l.heap_base && l.heap_base + l.heap_size <= l.page_array_base &&
           l.page_array_base + l.page_array_size <= l.percpu_base &&
           l.percpu_base + l.percpu_stride * kMaxCpus <= l.kernel_image_base;
}
static_assert(layout_is_consistent(kLayout4Level));
static_assert(layout_is_consistent(kLayout5Level));

// The layout in force, chosen once at boot from hal::boot_info().la57.
const AddressSpaceLayout& layout();
void select_layout(bool five_level);

}  // namespace kernel
