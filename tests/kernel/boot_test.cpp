// The kernel boots on the simulated machine through the sim HAL, on one CPU and
// on several, and the HAL's fibers, panics and charges behave as DESIGN.md says.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/kernel_fixture.h"

using namespace simx;
using simx::testing::KernelMachine;
using simx::testing::small_machine;

TEST(KernelBoot, BootsOnEveryCpuCount) {
    for (uint32_t cpus : {1u, 2u, 4u, 8u}) {
        KernelMachine m(small_machine(cpus));
        EXPECT_EQ(m.hal().boot(), 0);
        EXPECT_NE(m.console().find(fmt::format("simx kernel: {} CPUs online", cpus)), std::string::npos)
            << m.console();
        EXPECT_NE(m.console().find(fmt::format("memory self-test passed on {} CPUs", cpus)), std::string::npos)
            << m.console();
    }
}

TEST(KernelBoot, SelfTestPassesWithFiveLevelPagingAndWithoutPcidsOr1GPages) {
    MachineConfig five = small_machine(2);
    five.mmu.la57_supported = true;
    MachineConfig plain = small_machine(2);
    plain.mmu.pcid_supported = false;
    plain.mmu.pages_1g_supported = false;
    for (const MachineConfig& c : {five, plain}) {
        KernelMachine m(c);
        EXPECT_EQ(m.hal().boot(), 0);
        EXPECT_NE(m.console().find("memory self-test passed on 2 CPUs"), std::string::npos) << m.console();
        // Every CPU loaded the kernel's address space.
        for (uint32_t cpu = 0; cpu < 2; ++cpu) EXPECT_GE(m.hal().cpu_stats(cpu).cr3_writes, 1u);
    }
}

TEST(KernelBoot, SameSeedSameConsoleAndCounters) {
    KernelMachine a(small_machine(4)), b(small_machine(4));
    a.hal().boot();
    b.hal().boot();
    EXPECT_EQ(a.console(), b.console());
    EXPECT_EQ(a.machine().stats().json(), b.machine().stats().json());
}

TEST(KernelBoot, MemoryMapReservesTheFirstMegabyte) {
    KernelMachine m(small_machine(1, {uint64_t{32} << 20, uint64_t{32} << 20}));
    const hal::BootInfo& info = m.hal().boot_info();
    ASSERT_EQ(info.region_count, 3u);
    EXPECT_EQ(info.regions[0].kind, hal::MemoryKind::kReserved);
    EXPECT_EQ(info.regions[0].size, 1u << 20);
    EXPECT_EQ(info.regions[1].base.value, 1u << 20);
    EXPECT_EQ(info.regions[1].node, 0u);
    EXPECT_EQ(info.regions[2].base.value, 32u << 20);
    EXPECT_EQ(info.regions[2].node, 1u);
}

TEST(KernelBoot, PanicBecomesASimErrorNamingTheInvariant) {
    KernelMachine m;
    try {
        m.on_cpu(0, [] {
            int frames = 3;
            KASSERT(frames == 4, "expected %d frames", 4);
        });
        FAIL() << "expected SimError";
    } catch (const SimError& e) {
        const std::string what = e.what();
        EXPECT_NE(what.find("kernel panic on cpu 0"), std::string::npos) << what;
        EXPECT_NE(what.find("assertion 'frames == 4' failed: expected 4 frames"), std::string::npos) << what;
    }
}

TEST(KernelBoot, AccessOutsideRamIsAPanicNotACrash) {
    KernelMachine m;
    EXPECT_THROW(m.on_cpu(0, [] { hal::phys_to_virt(hal::PhysAddr{uint64_t{1} << 36}); }), SimError);
}

TEST(KernelBoot, SpinLockSerializesCpusAndSpinsAreCharged) {
    KernelMachine m(small_machine(4));
    static kernel::SpinLock lock("test");
    static uint64_t counter;
    counter = 0;
    m.on_all_cpus([](uint32_t) {
        for (int i = 0; i < 100; ++i) {
            kernel::SpinGuard g(lock);
            const uint64_t seen = counter;
            hal::cpu_relax();  // let the others try to get in
            counter = seen + 1;
        }
    });
    EXPECT_EQ(counter, 400u);
    uint64_t spins = 0;
    for (uint32_t c = 0; c < 4; ++c) spins += m.hal().cpu_stats(c).spins;
    EXPECT_GT(spins, 400u);
    EXPECT_EQ(m.hal().cpu_stats(0).cycles, m.hal().cpu_stats(0).spins * m.machine().config().costs.pause);
}

TEST(KernelFormat, FormatsLikePrintf) {
    char buf[64];
    kernel::format(buf, sizeof buf, "%d %u %x %#llx %s %c %5d|%-4s|%05u", -12, 7u, 255u, 0x1234ull, "ab", 'z', 42,
                   "x", 9u);
    EXPECT_STREQ(buf, "-12 7 ff 0x1234 ab z    42|x   |00009");
    // Truncation keeps a NUL and returns the full length.
    EXPECT_EQ(kernel::format(buf, 4, "%s", "abcdef"), 6u);
    EXPECT_STREQ(buf, "abc");
}

TEST(KernelBoot, PanicOnOneCpuStopsTheSpinningOthers) {
    KernelMachine m(small_machine(3));
    try {
        m.on_all_cpus([](uint32_t cpu) {
            if (cpu == 1) kernel::panic("cpu%u gives up", cpu);
            for (;;) hal::cpu_relax();
        });
        FAIL() << "expected SimError";
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find("cpu1 gives up"), std::string::npos) << e.what();
    }
    // The machine is still usable for inspection; a new run is refused.
    EXPECT_THROW(m.on_cpu(0, [] {}), SimError);
}
