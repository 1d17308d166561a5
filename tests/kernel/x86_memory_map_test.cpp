// The qemu build's memory map (kernel/arch/x86_64/memory_map.h), on the host:
// the E820 cases a QEMU boot does not produce (overlaps, ACPI inside RAM and in
// holes, unsorted tables, reservations over holes, clipping).
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "kernel/arch/x86_64/memory_map.h"

namespace k = kernel;
namespace x86 = kernel::x86;
using hal::MemoryKind;

namespace {

constexpr uint64_t kMiB = uint64_t{1} << 20;
constexpr uint32_t kRam = 1, kReserved = 2, kAcpi = 3, kNvs = 4;

// "start-end U|R" per span, hex, for readable failures.
std::string describe(const x86::MemoryMap& map) {
    std::string out;
    for (uint32_t i = 0; i < map.size(); ++i) {
        const x86::MemoryMap::Span& s = map.span(i);
        char b[64];
        std::snprintf(b, sizeof b, "%s%llx-%llx %c", i ? ", " : "", static_cast<unsigned long long>(s.start),
                      static_cast<unsigned long long>(s.end), s.kind == MemoryKind::kUsable ? 'U' : 'R');
        out += b;
    }
    return out;
}

x86::MemoryMap from(std::vector<k::x86::pvh::HvmMemoryMapEntry> entries) {
    x86::MemoryMap map;
    map.add_firmware_map(entries.data(), static_cast<uint32_t>(entries.size()));
    return map;
}

TEST(X86MemoryMap, QemuQ35TableKeepsRamAndDropsDeviceWindows) {
    // The table QEMU 7.2's PVH ROM passed for -machine q35 -m 512M (printed by
    // the kernel on a test boot).
    x86::MemoryMap map = from({
        {0, 0x9fc00, kRam, 0},
        {0x9fc00, 0x400, kReserved, 0},
        {0xf0000, 0x10000, kReserved, 0},
        {0x100000, 0x1fedf000, kRam, 0},
        {0x1ffdf000, 0x21000, kReserved, 0},
        {0xb0000000, 0x10000000, kReserved, 0},  // PCIe ECAM: device memory
        {0xfed1c000, 0x4000, kReserved, 0},
        {0xfffc0000, 0x40000, kReserved, 0},
        {0xfd00000000, 0x300000000, kReserved, 0},
    });
    EXPECT_EQ(describe(map), "0-9fc00 U, 100000-1ffdf000 U");
    map.paint(0, kMiB, MemoryKind::kReserved, false);
    map.paint(16 * kMiB, 16 * kMiB + 0x4f000, MemoryKind::kReserved, false);
    EXPECT_EQ(describe(map), "0-9fc00 R, 100000-1000000 U, 1000000-104f000 R, 104f000-1ffdf000 U");

    hal::BootInfo info;
    EXPECT_EQ(map.export_to(info), 0u);
    ASSERT_EQ(info.region_count, 4u);
    EXPECT_EQ(info.regions[2].base.value, 16 * kMiB);
    EXPECT_EQ(info.regions[2].size, 0x4f000u);
    EXPECT_EQ(info.regions[2].kind, MemoryKind::kReserved);
    EXPECT_EQ(info.regions[3].node, 0u);
}

TEST(X86MemoryMap, FirmwareRegionsInsideRamAreReservedAndInHolesAdded) {
    x86::MemoryMap map = from({
        {64 * kMiB, 64 * kMiB, kRam, 0},
        {kMiB, 63 * kMiB, kRam, 0},                // unsorted, and touching the next: one span
        {32 * kMiB, kMiB, kNvs, 0},                // inside RAM
        {200 * kMiB, 2 * kMiB, kAcpi, 0},          // in a hole: RAM the firmware keeps
        {127 * kMiB, 2 * kMiB, kAcpi, 0},          // straddles RAM's end
    });
    EXPECT_EQ(describe(map), "100000-2000000 U, 2000000-2100000 R, 2100000-7f00000 U, 7f00000-8100000 R, "
                             "c800000-ca00000 R");
}

TEST(X86MemoryMap, OverlappingRamMergesAndOtherTypesAreNotRam) {
    x86::MemoryMap map = from({
        {kMiB, 10 * kMiB, kRam, 0},
        {5 * kMiB, 10 * kMiB, kRam, 0},
        {20 * kMiB, kMiB, 5, 0},   // unusable
        {30 * kMiB, kMiB, 7, 0},   // persistent memory: not ordinary RAM
        {40 * kMiB, 0, kRam, 0},   // empty
        {~uint64_t{0} - 4095, 8192, kRam, 0},  // wraps: ignored
    });
    EXPECT_EQ(describe(map), "100000-f00000 U");
}

TEST(X86MemoryMap, ReservationsNeverTurnHolesIntoRam) {
    x86::MemoryMap map = from({{0, 0x9fc00, kRam, 0}, {kMiB, 15 * kMiB, kRam, 0}});
    map.paint(0, kMiB, MemoryKind::kReserved, false);
    map.paint(15 * kMiB, 20 * kMiB, MemoryKind::kReserved, false);  // beyond RAM's end
    map.paint(0x200000, 0x200000, MemoryKind::kReserved, false);    // empty
    EXPECT_EQ(describe(map), "0-9fc00 R, 100000-f00000 U, f00000-1000000 R");
}

TEST(X86MemoryMap, ClipDropsAndShortensSpansAtTheLimit) {
    x86::MemoryMap map = from({{kMiB, 3 * kMiB, kRam, 0}, {8 * kMiB, 8 * kMiB, kRam, 0}, {32 * kMiB, kMiB, kRam, 0}});
    EXPECT_EQ(map.end(), 33 * kMiB);
    map.clip(12 * kMiB);
    EXPECT_EQ(describe(map), "100000-400000 U, 800000-c00000 U");
    map.clip(8 * kMiB);
    EXPECT_EQ(describe(map), "100000-400000 U");
}

TEST(X86MemoryMap, ExportKeepsTheLowestRegionsWhenTheyDoNotAllFit) {
    x86::MemoryMap map;
    for (uint64_t i = 0; i < 70; ++i)
        map.paint(i * 2 * kMiB, i * 2 * kMiB + kMiB, MemoryKind::kUsable, true);
    hal::BootInfo info;
    EXPECT_EQ(map.export_to(info), 70u - hal::BootInfo::kMaxRegions);
    ASSERT_EQ(info.region_count, hal::BootInfo::kMaxRegions);
    EXPECT_EQ(info.regions[63].base.value, 63 * 2 * kMiB);
}

}  // namespace
