// The kernel half: the kernel's PageTable (pinned top-level entries, W^X,
// global leaves), the direct map of all RAM with the largest leaves the CPU
// offers, process address spaces sharing it, and 5-level paging — each checked
// through the simulated MMU.
#include <gtest/gtest.h>

#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/page_table.h"
#include "tests/kernel/page_table_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;

namespace {

constexpr k::CachePolicy kWB = k::CachePolicy::kWriteBack;
constexpr k::PageAttrs kSupRW{true, false, false, kWB};
constexpr k::PageAttrs kSupRX{false, true, false, kWB};
constexpr k::PageAttrs kUserRW{true, false, true, kWB};

void destroy_and_release(PageTableEnv& env, k::PageTable& pt) {
    k::TlbInvalidation inv;
    env.run([&] {
        pt.check_invariants();
        pt.destroy(inv);
        k::flush_tlb_local(inv, 0);
    });
}

TEST(KernelPageTable, KernelMappingsAreGlobalSupervisorAndWriteXorExecute) {
    PageTableEnv env;
    k::PageTable kpt;
    const k::AddressSpaceLayout& l = k::kLayout4Level;
    env.run([&] { ASSERT_EQ(kpt.init_kernel(env.tables(), env.config(), 64 * kMiB), k::PtStatus::kOk); });
    // Root + the pinned tables: direct map 1, heap 64, page array 2, per-CPU 1, image 1.
    EXPECT_EQ(kpt.table_pages(), 70u);
    env.load(kpt.root());

    const uint64_t heap = l.heap_base;
    k::TlbInvalidation inv;
    env.run([&] {
        EXPECT_EQ(kpt.map(k::VirtAddr{heap}, k::PhysAddr{0x200000}, k4K, {true, true, false, kWB},
                          k::PageSize::k4K, inv),
                  k::PtStatus::kWriteExecute);
        EXPECT_EQ(kpt.map(k::VirtAddr{heap}, k::PhysAddr{0x200000}, k4K, kUserRW, k::PageSize::k4K, inv),
                  k::PtStatus::kUserInKernelHalf);
        EXPECT_EQ(kpt.map(k::VirtAddr{0x1000}, k::PhysAddr{0x200000}, k4K, kSupRW, k::PageSize::k4K, inv),
                  k::PtStatus::kBadRange);
        // Between the user half and the direct map: no pinned top-level entry.
        EXPECT_EQ(kpt.map(k::VirtAddr{0xffff'8000'0000'0000ull}, k::PhysAddr{0x200000}, k4K, kSupRW,
                          k::PageSize::k4K, inv),
                  k::PtStatus::kBadRange);
        ASSERT_EQ(kpt.map(k::VirtAddr{heap}, k::PhysAddr{0x200000}, 2 * k4K, kSupRW, k::PageSize::k4K, inv),
                  k::PtStatus::kOk);
        ASSERT_EQ(kpt.map(k::VirtAddr{l.kernel_image_base}, k::PhysAddr{0x400000}, k2M, kSupRX, k::PageSize::k2M,
                          inv),
                  k::PtStatus::kOk);
        EXPECT_EQ(kpt.protect(k::VirtAddr{heap}, k4K, {true, true, false, kWB}, inv), k::PtStatus::kWriteExecute);
        kpt.check_invariants();
    });
    EXPECT_EQ(check_page(env.mmu(), heap + 5, 0x200005, k::PageSize::k4K, kSupRW), "");
    EXPECT_EQ(check_page(env.mmu(), l.kernel_image_base + 0x1234, 0x401234, k::PageSize::k2M, kSupRX), "");
    EXPECT_EQ(env.translate(heap, kUserRead).error_code, pf::kPresent | pf::kUser);

    // Global: the TLB entry survives a CR3 load (SDM 4.10.4.1); the unmap's
    // record says so, and its INVLPG drops it.
    ASSERT_TRUE(env.translate(heap + k4K, kSupRead).ok());
    env.run([&] { hal::write_cr3(kpt.root(), 0, false); });
    EXPECT_NE(env.translate(heap + k4K, kSupRead).tlb_level, 0) << "a global entry survives MOV to CR3";
    env.run([&] {
        ASSERT_EQ(kpt.unmap(k::VirtAddr{heap + k4K}, k4K, inv), k::PtStatus::kOk);
        EXPECT_TRUE(inv.involves_global());
        EXPECT_TRUE(inv.kernel_half());
        EXPECT_EQ(inv.freed_table_count(), 0u) << "the PT still maps heap+0";
        k::flush_tlb_local(inv, 0);
    });
    EXPECT_EQ(check_unmapped(env.mmu(), heap + k4K, false), "");
    destroy_and_release(env, kpt);
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

TEST(KernelPageTable, WithoutInvpcidFullFlushesReloadCr3OrWalkTheEnvelope) {
    // No PCID/INVPCID: a user full flush is a CR3 reload; a global one (MOV to
    // CR3 keeps globals) becomes INVLPG over the record's envelope.
    MachineConfig c = page_table_machine();
    c.mmu.pcid_supported = false;
    PageTableEnv env(c);
    ASSERT_FALSE(env.boot_info().pcid);
    k::PageTable kpt, proc;
    const uint64_t heap = k::kLayout4Level.heap_base;
    k::TlbInvalidation inv;
    env.run([&] {
        ASSERT_EQ(kpt.init_kernel(env.tables(), env.config(), 64 * kMiB), k::PtStatus::kOk);
        ASSERT_EQ(k::create_process_page_table(proc, env.tables(), kpt), k::PtStatus::kOk);
        ASSERT_EQ(kpt.map(k::VirtAddr{heap}, k::PhysAddr{0}, 40 * k4K, kSupRW, k::PageSize::k4K, inv),
                  k::PtStatus::kOk);
        ASSERT_EQ(proc.map(k::VirtAddr{0x400000}, k::PhysAddr{0}, 40 * k4K, kUserRW, k::PageSize::k4K, inv),
                  k::PtStatus::kOk);
    });
    env.load(proc.root());
    for (uint64_t i = 0; i < 40; ++i) {
        ASSERT_TRUE(env.translate(heap + i * k4K, kSupRead).ok());
        ASSERT_TRUE(env.translate(0x400000 + i * k4K, kUserRead).ok());
    }
    const uint64_t cr3_loads = env.mmu().stats().cr3_loads_flush;
    const uint64_t invlpgs = env.mmu().stats().invlpg;
    env.run([&] {
        ASSERT_EQ(proc.unmap(k::VirtAddr{0x400000}, 40 * k4K, inv), k::PtStatus::kOk);
        EXPECT_TRUE(inv.full_flush());
        k::flush_tlb_local(inv, 0);
    });
    EXPECT_EQ(env.mmu().stats().cr3_loads_flush, cr3_loads + 1);
    env.run([&] {
        ASSERT_EQ(kpt.unmap(k::VirtAddr{heap}, 40 * k4K, inv), k::PtStatus::kOk);
        EXPECT_TRUE(inv.full_flush());
        EXPECT_TRUE(inv.involves_global());
        k::flush_tlb_local(inv, 0);
    });
    EXPECT_EQ(env.mmu().stats().invlpg, invlpgs + 40);
    for (uint64_t i = 0; i < 40; ++i) {
        EXPECT_EQ(check_unmapped(env.mmu(), heap + i * k4K, false), "");
        EXPECT_EQ(check_unmapped(env.mmu(), 0x400000 + i * k4K, true), "");
    }
    destroy_and_release(env, proc);
    destroy_and_release(env, kpt);
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

TEST(KernelAddressSpace, DirectMapsAllRamWithTwoMiBPagesWhenThatIsTheLargest) {
    MachineConfig c = page_table_machine(false, 64 * kMiB);
    c.mmu.pages_1g_supported = false;
    PageTableEnv env(c);
    k::PageTable kpt;
    env.run([&] {
        ASSERT_EQ(k::build_kernel_address_space(kpt, env.tables(), env.config(), hal::boot_info()), k::PtStatus::kOk);
    });
    env.load(kpt.root());
    const uint64_t base = k::kLayout4Level.direct_map_base;
    for (uint64_t pa = 0; pa < 64 * kMiB; pa += k2M) {
        ASSERT_EQ(check_page(env.mmu(), base + pa + 0x10, pa + 0x10, k::PageSize::k2M, k::kDirectMapAttrs), "")
            << pa;
    }
    EXPECT_EQ(check_unmapped(env.mmu(), base + 64 * kMiB, false), "");
    EXPECT_EQ(env.translate(base, kUserRead).error_code, pf::kPresent | pf::kUser);
    k::Mapping m;
    env.run([&] { ASSERT_TRUE(kpt.lookup(k::VirtAddr{base + 3 * k2M}, &m)); });
    EXPECT_TRUE(m.global);
    destroy_and_release(env, kpt);
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

TEST(KernelAddressSpace, DirectMapUsesOneGiBPagesAndSmallerOnesAtTheEdges) {
    // 2 GiB + 6 MiB of RAM (reserved lazily by the host): two 1 GiB leaves, then 2 MiB.
    PageTableEnv env(page_table_machine(false, 2 * kGiB + 6 * kMiB));
    k::PageTable kpt;
    env.run([&] {
        ASSERT_EQ(k::build_kernel_address_space(kpt, env.tables(), env.config(), hal::boot_info()), k::PtStatus::kOk);
        kpt.check_invariants();
    });
    env.load(kpt.root());
    const uint64_t base = k::kLayout4Level.direct_map_base;
    EXPECT_EQ(check_page(env.mmu(), base + 0x1234, 0x1234, k::PageSize::k1G, k::kDirectMapAttrs), "");
    EXPECT_EQ(check_page(env.mmu(), base + kGiB + 77, kGiB + 77, k::PageSize::k1G, k::kDirectMapAttrs), "");
    EXPECT_EQ(check_page(env.mmu(), base + 2 * kGiB + 5 * kMiB, 2 * kGiB + 5 * kMiB, k::PageSize::k2M,
                         k::kDirectMapAttrs),
              "");
    EXPECT_EQ(check_unmapped(env.mmu(), base + 2 * kGiB + 6 * kMiB, false), "");
    destroy_and_release(env, kpt);
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

TEST(KernelAddressSpace, MapsTheKernelImageSectionBySectionWithItsRights) {
    PageTableEnv env;
    const k::AddressSpaceLayout& l = k::kLayout4Level;
    // As the qemu build's linker script lays an image out: text (2 MiB + 8 KiB,
    // so one 2 MiB leaf and two 4 KiB ones), rodata, data+bss.
    hal::BootInfo info = env.boot_info();
    info.image_sections[0] = {0x400000, k::PhysAddr{0x400000}, k2M + 2 * k4K, false, true};
    info.image_sections[1] = {0x602000, k::PhysAddr{0x602000}, 3 * k4K, false, false};
    info.image_sections[2] = {0x605000, k::PhysAddr{0x605000}, 5 * k4K, true, false};
    info.image_section_count = 3;
    k::PageTable kpt;
    env.run([&] {
        ASSERT_EQ(k::build_kernel_address_space(kpt, env.tables(), env.config(), info), k::PtStatus::kOk);
        kpt.check_invariants();
    });
    env.load(kpt.root());
    const uint64_t image = l.kernel_image_base;
    const k::PageAttrs sup_r{false, false, false, kWB};
    EXPECT_EQ(check_page(env.mmu(), image + 0x400123, 0x400123, k::PageSize::k2M, kSupRX), "");
    EXPECT_EQ(check_page(env.mmu(), image + 0x601008, 0x601008, k::PageSize::k4K, kSupRX), "");
    EXPECT_EQ(check_page(env.mmu(), image + 0x604ff8, 0x604ff8, k::PageSize::k4K, sup_r), "");
    EXPECT_EQ(check_page(env.mmu(), image + 0x609000, 0x609000, k::PageSize::k4K, kSupRW), "");
    EXPECT_EQ(check_unmapped(env.mmu(), image + 0x3ff000, false), "");
    EXPECT_EQ(check_unmapped(env.mmu(), image + 0x60a000, false), "");
    destroy_and_release(env, kpt);

    // W^X holds for the image too: a writable text section is refused, and the
    // failed build leaves nothing behind.
    info.image_sections[0].writable = true;
    k::PageTable bad;
    env.run([&] {
        EXPECT_EQ(k::build_kernel_address_space(bad, env.tables(), env.config(), info), k::PtStatus::kWriteExecute);
        EXPECT_FALSE(bad.initialized());
    });
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

TEST(KernelAddressSpace, ProcessesShareTheKernelHalfIncludingLaterMappings) {
    PageTableEnv env;
    k::PageTable kpt, a, b;
    const uint64_t base = k::kLayout4Level.direct_map_base;
    const uint64_t heap = k::kLayout4Level.heap_base;
    k::TlbInvalidation inv;
    env.run([&] {
        ASSERT_EQ(k::build_kernel_address_space(kpt, env.tables(), env.config(), hal::boot_info()), k::PtStatus::kOk);
        ASSERT_EQ(k::create_process_page_table(a, env.tables(), kpt), k::PtStatus::kOk);
        ASSERT_EQ(k::create_process_page_table(b, env.tables(), kpt), k::PtStatus::kOk);
        ASSERT_EQ(a.map(k::VirtAddr{0x400000}, k::PhysAddr{0x800000}, k4K, kUserRW, k::PageSize::k4K, inv),
                  k::PtStatus::kOk);
        // After the processes were made: reaches them through the shared tables.
        ASSERT_EQ(kpt.map(k::VirtAddr{heap + k1G}, k::PhysAddr{0x600000}, k4K, kSupRW, k::PageSize::k4K, inv),
                  k::PtStatus::kOk);
        EXPECT_EQ(a.map(k::VirtAddr{heap}, k::PhysAddr{0x600000}, k4K, kSupRW, k::PageSize::k4K, inv),
                  k::PtStatus::kBadRange)
            << "a process edits only its user half";
        a.check_invariants();
        b.check_invariants();
        kpt.check_invariants();
    });
    env.load(a.root(), 1);
    EXPECT_EQ(check_page(env.mmu(), 0x400010, 0x800010, k::PageSize::k4K, kUserRW), "");
    EXPECT_EQ(check_page(env.mmu(), heap + k1G, 0x600000, k::PageSize::k4K, kSupRW), "");
    EXPECT_EQ(check_page(env.mmu(), base + 0x3456, 0x3456, k::PageSize::k2M, k::kDirectMapAttrs), "");
    env.run([&] { hal::write_cr3(b.root(), 2, false); });
    EXPECT_EQ(check_unmapped(env.mmu(), 0x400010, true), "");
    EXPECT_EQ(check_page(env.mmu(), heap + k1G, 0x600000, k::PageSize::k4K, kSupRW), "");

    // The process's copy picks up A bits from the walker; the check ignores them.
    env.run([&] { a.check_invariants(); });
    destroy_and_release(env, a);
    destroy_and_release(env, b);
    destroy_and_release(env, kpt);
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

TEST(KernelAddressSpace, FiveLevelPagingWorksTheSame) {
    PageTableEnv env(page_table_machine(/*la57=*/true));
    ASSERT_EQ(env.config().levels, 5u);
    k::PageTable kpt, proc;
    const k::AddressSpaceLayout& l = k::kLayout5Level;
    const uint64_t user_va = uint64_t{0x0001'0000'0000'0000} - k1G;  // crosses a PML5 boundary at 256 TiB
    k::TlbInvalidation inv;
    env.run([&] {
        ASSERT_EQ(k::build_kernel_address_space(kpt, env.tables(), env.config(), hal::boot_info()), k::PtStatus::kOk);
        ASSERT_EQ(k::create_process_page_table(proc, env.tables(), kpt), k::PtStatus::kOk);
        ASSERT_EQ(proc.map(k::VirtAddr{user_va}, k::PhysAddr{2 * kGiB}, 2 * k1G, kUserRW, k::PageSize::k1G, inv),
                  k::PtStatus::kOk);
        ASSERT_EQ(proc.map(k::VirtAddr{0x00ff'ffff'ffe0'0000ull}, k::PhysAddr{0}, k4K, kUserRW, k::PageSize::k4K,
                           inv),
                  k::PtStatus::kOk);
        ASSERT_EQ(kpt.map(k::VirtAddr{l.heap_base}, k::PhysAddr{k2M}, k2M, kSupRW, k::PageSize::k2M, inv),
                  k::PtStatus::kOk);
        proc.check_invariants();
        kpt.check_invariants();
    });
    env.load(proc.root());
    ASSERT_TRUE(env.mmu().regs().la57());
    EXPECT_EQ(check_page(env.mmu(), user_va + 5, 2 * kGiB + 5, k::PageSize::k1G, kUserRW), "");
    EXPECT_EQ(check_page(env.mmu(), user_va + k1G + 5, 3 * kGiB + 5, k::PageSize::k1G, kUserRW), "");
    EXPECT_EQ(check_page(env.mmu(), 0x00ff'ffff'ffe0'0000ull, 0, k::PageSize::k4K, kUserRW), "");
    EXPECT_EQ(check_page(env.mmu(), l.heap_base + 9, k2M + 9, k::PageSize::k2M, kSupRW), "");
    EXPECT_EQ(check_page(env.mmu(), l.direct_map_base + 0x2345, 0x2345, k::PageSize::k2M, k::kDirectMapAttrs), "");
    env.run([&] {
        ASSERT_EQ(proc.unmap(k::VirtAddr{user_va}, 2 * k1G, inv), k::PtStatus::kOk);
        k::flush_tlb_local(inv, 0);
    });
    EXPECT_EQ(check_unmapped(env.mmu(), user_va + k1G, true), "");
    destroy_and_release(env, proc);
    destroy_and_release(env, kpt);
    EXPECT_EQ(env.tables().outstanding(), 0u);
}

}  // namespace

namespace {

TEST(KernelAddressSpace, BootBuildsItAndLoadsItOnEveryCpu) {
    KernelMachine m(small_machine(4, {uint64_t{64} << 20, uint64_t{64} << 20}));
    ASSERT_EQ(m.hal().boot(), 0) << m.console();
    const k::PageTable& kpt = k::kernel_page_table();
    ASSERT_TRUE(kpt.initialized());
    const uint64_t base = k::layout().direct_map_base;
    for (uint32_t cpu = 0; cpu < 4; ++cpu) {
        Mmu& mmu = m.machine().mmu(cpu);
        EXPECT_EQ(mmu.regs().cr3 & k::Pte::kAddressBits, kpt.root().value) << "cpu " << cpu;
        EXPECT_EQ(mmu.regs().pat, k::pat::kernel_pat_value());
        EXPECT_TRUE(mmu.regs().nxe());
        EXPECT_TRUE(mmu.regs().pge());
        // All 128 MiB of RAM, both nodes, through the direct map.
        for (uint64_t pa = 0; pa < 128 * kMiB; pa += 8 * kMiB + k4K)
            ASSERT_EQ(check_page(mmu, base + pa, pa, k::PageSize::k2M, k::kDirectMapAttrs), "") << "cpu " << cpu;
    }
    m.on_cpu(0, [] { k::kernel_page_table().check_invariants(); });
}

}  // namespace
