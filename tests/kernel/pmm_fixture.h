// Helpers for the pmm tests (pmm_test.cpp, pmm_checker_test.cpp,
// pmm_stress_test.cpp): a machine with the pmm up, zone snapshots to compare,
// and expecting a kernel panic.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "kernel/mm/pmm.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/kernel_fixture.h"

namespace simx::testing {

inline constexpr uint64_t MiB = uint64_t{1} << 20;
inline constexpr uint64_t GiB = uint64_t{1} << 30;

// The pmm initialised on CPU 0 and every CPU's lists set up, as at boot.
inline void boot_pmm(KernelMachine& m) {
    m.on_cpu(0, [] { kernel::pmm::init(); });
    m.on_all_cpus([](uint32_t) { kernel::pmm::init_cpu(); });
}

inline uint64_t pa_of(const kernel::Page* p) { return kernel::pmm::page_to_phys(p).value; }

// Every zone's statistics, to compare before and after.
struct PmmSnapshot {
    std::vector<kernel::pmm::ZoneStats> zones;
    uint64_t free = 0;
};
inline PmmSnapshot pmm_snapshot(uint32_t nodes) {
    PmmSnapshot s;
    for (uint32_t n = 0; n < nodes; ++n)
        for (uint32_t z = 0; z < kernel::kZoneCount; ++z)
            s.zones.push_back(kernel::pmm::zone_stats(n, static_cast<kernel::Zone>(z)));
    s.free = kernel::pmm::free_frames();
    return s;
}
inline void expect_same(const PmmSnapshot& a, const PmmSnapshot& b) {
    ASSERT_EQ(a.zones.size(), b.zones.size());
    EXPECT_EQ(a.free, b.free);
    for (size_t i = 0; i < a.zones.size(); ++i) {
        EXPECT_EQ(a.zones[i].managed, b.zones[i].managed) << "zone " << i;
        EXPECT_EQ(a.zones[i].free, b.zones[i].free) << "zone " << i;
        for (uint32_t k = 0; k <= kernel::kMaxOrder; ++k)
            EXPECT_EQ(a.zones[i].free_blocks[k], b.zones[i].free_blocks[k]) << "zone " << i << " order " << k;
    }
}

// Runs fn on CPU 0 and expects a kernel panic whose message contains `needle`.
template <typename Fn>
void expect_panic(KernelMachine& m, Fn&& fn, const std::string& needle) {
    try {
        m.on_cpu(0, std::forward<Fn>(fn));
        FAIL() << "expected a kernel panic containing \"" << needle << "\"";
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

// An address as the kernel's panic messages print it (%#llx).
inline std::string kernel_hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

}  // namespace simx::testing
