// TLB coherence on the simulated machine (kernel/mm/tlb_context.h,
// tlb_shootdown.h, kernel/smp/cross_call.h): the per-CPU ASID cache keeps
// PCIDs across switches and evicts round robin; a space whose generation moved
// on while it sat in a slot is flushed when loaded; an munmap on one CPU
// removes the translation another CPU holds in its TLB before it returns;
// cross calls reach every target once and never deadlock with a lock holder.
#include <gtest/gtest.h>

#include <vector>

#include "kernel/hal/hal.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/slab_cache.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/mm/tlb_shootdown.h"
#include "kernel/mm/vma.h"
#include "kernel/smp/cross_call.h"
#include "tests/kernel/kernel_fixture.h"

namespace simx::testing {
namespace {

namespace k = kernel;
namespace lx = kernel::linux;

MachineConfig machine(uint32_t cpus) {
    MachineConfig c = small_machine(cpus, {uint64_t{128} << 20});
    c.mmu.pcid_supported = true;
    return c;
}

// The memory core on CPU 0, then each other CPU's part.
void boot(KernelMachine& m) {
    m.on_cpu(0, [] {
        k::select_layout(hal::boot_info().la57);
        k::pmm::init();
        k::pmm::init_cpu();
        k::init_kernel_address_space();
        k::load_kernel_address_space();
        k::slab::init();
        k::kmalloc_init();
        k::vma_cache_init();
        k::cross_call_init_cpu();
        k::shootdown_init_cpu();
    });
    for (uint32_t cpu = 1; cpu < m.machine().cpu_count(); ++cpu) {
        m.on_cpu(cpu, [] {
            k::pmm::init_cpu();
            k::load_kernel_address_space();
            k::cross_call_init_cpu();
            k::shootdown_init_cpu();
        });
    }
}

uint16_t cr3_pcid(KernelMachine& m, uint32_t cpu) { return static_cast<uint16_t>(m.machine().mmu(cpu).regs().cr3 & 0xfff); }

// A user read through this CPU's MMU, each #PF resolved by the space's handler.
bool user_read(KernelMachine& m, k::AddressSpace* s, uint64_t va, bool resolve_faults) {
    Mmu& mmu = m.machine().mmu(hal::current_cpu());
    for (int attempt = 0; attempt < 4; ++attempt) {
        const Translation t = mmu.translate(VirtAddr{va}, Access::user(AccessType::kRead));
        if (t.ok()) return true;
        if (!resolve_faults) return false;
        if (s->handle_page_fault(va, k::FaultAccess::kRead, true).status != k::FaultStatus::kRetry) return false;
    }
    return false;
}

TEST(AsidCache, KeepsPcidsAcrossSwitchesAndEvictsRoundRobin) {
    KernelMachine m(machine(1));
    boot(m);
    m.on_cpu(0, [&] {
        std::vector<k::AddressSpace*> spaces;
        for (int i = 0; i < 8; ++i) spaces.push_back(k::AddressSpace::create({}));
        const k::TlbContextCounters& c = k::tlb_context_counters(0);
        // Six spaces take the six slots, PCIDs 1..6.
        for (int i = 0; i < 6; ++i) {
            k::activate_address_space(spaces[i]);
            k::check_tlb_context();
            EXPECT_EQ(cr3_pcid(m, 0), i + 1);
        }
        EXPECT_EQ(c.loads, 6u);
        EXPECT_EQ(c.kept, 0u);
        // Back to the first: its PCID's entries are kept (no-flush load).
        k::activate_address_space(spaces[0]);
        EXPECT_EQ(cr3_pcid(m, 0), 1);
        EXPECT_EQ(c.kept, 1u);
        // A seventh space evicts the oldest slot (slot 0, the first space's).
        k::activate_address_space(spaces[6]);
        EXPECT_EQ(cr3_pcid(m, 0), 1);
        EXPECT_EQ(c.slot_evictions, 1u);
        k::activate_address_space(spaces[0]);
        EXPECT_EQ(cr3_pcid(m, 0), 2) << "the first space lost its slot and takes the next one";
        EXPECT_EQ(c.slot_evictions, 2u);
        // An edit while the space sat in its slot, unloaded: its next load flushes.
        const int64_t addr = spaces[2]->mmap(0, 4096, lx::kProtRead | lx::kProtWrite, lx::kMapPrivate | lx::kMapAnonymous);
        ASSERT_GT(addr, 0);
        ASSERT_EQ(spaces[2]->handle_page_fault(static_cast<uint64_t>(addr), k::FaultAccess::kWrite, true).status,
                  k::FaultStatus::kRetry);
        ASSERT_EQ(spaces[2]->munmap(static_cast<uint64_t>(addr), 4096), 0);
        const uint64_t stale_before = c.stale_flushes;
        k::activate_address_space(spaces[2]);
        EXPECT_EQ(c.stale_flushes, stale_before + 1);
        k::check_tlb_context();
        k::activate_address_space(nullptr);
        EXPECT_EQ(cr3_pcid(m, 0), 0);
        k::check_tlb_context();
        for (k::AddressSpace* s : spaces) k::AddressSpace::destroy(s);
    });
}

struct Shared {
    k::AddressSpace* space = nullptr;
    uint64_t va = 0;
    bool warm = false, unmapped = false;
    bool read_before = false, read_after = true;
};

TEST(TlbShootdown, MunmapRemovesTheTranslationAnotherCpuHolds) {
    KernelMachine m(machine(2));
    boot(m);
    Shared sh;
    m.on_cpu(0, [&] {
        sh.space = k::AddressSpace::create({});
        const int64_t addr = sh.space->mmap(0, 4096, lx::kProtRead | lx::kProtWrite, lx::kMapPrivate | lx::kMapAnonymous);
        ASSERT_GT(addr, 0);
        sh.va = static_cast<uint64_t>(addr);
    });
    m.hal().run_on_cpus({0, 1}, [&](uint32_t cpu) {
        k::activate_address_space(sh.space);
        if (cpu == 1) {
            // The page is in cpu1's TLB now.
            sh.read_before = user_read(m, sh.space, sh.va, true);
            __atomic_store_n(&sh.warm, true, __ATOMIC_RELEASE);
            while (!__atomic_load_n(&sh.unmapped, __ATOMIC_ACQUIRE)) k::spin_relax();
            // Once munmap returned on cpu0, no stale entry may translate it here.
            sh.read_after = user_read(m, sh.space, sh.va, false);
        } else {
            while (!__atomic_load_n(&sh.warm, __ATOMIC_ACQUIRE)) k::spin_relax();
            EXPECT_EQ(sh.space->munmap(sh.va, 4096), 0);
            __atomic_store_n(&sh.unmapped, true, __ATOMIC_RELEASE);
        }
        k::check_tlb_context();
        k::activate_address_space(nullptr);
    });
    EXPECT_TRUE(sh.read_before);
    EXPECT_FALSE(sh.read_after) << "cpu1 still translated the unmapped page: no shootdown reached it";
    m.on_cpu(0, [&] {
        EXPECT_EQ(k::shootdown_counters(0).remote_requests, 1u);
        EXPECT_EQ(k::shootdown_counters(0).remote_cpus, 1u);
        EXPECT_EQ(k::shootdown_counters(1).received, 1u);
        EXPECT_EQ(k::shootdown_counters(1).performed_partial, 1u);
        EXPECT_EQ(sh.space->loaded_cpu_bits(), 0u);
        k::AddressSpace::destroy(sh.space);
    });
    EXPECT_EQ(m.machine().stats().value("cpu0", "kernel.ipis_sent"), 1u);
    EXPECT_EQ(m.machine().stats().value("cpu1", "kernel.ipis_received"), 0u)
        << "cpu1 served the call while spinning; the IPI stays pending (it runs no user code)";
}

struct CallWorld {
    uint32_t runs[4] = {};
    bool done = false;
    bool holding = false;
    k::SpinLock lock{"test"};
};
CallWorld* g_calls = nullptr;

void count_run(void*) { __atomic_fetch_add(&g_calls->runs[hal::current_cpu()], 1u, __ATOMIC_ACQ_REL); }

TEST(CrossCall, ReachesEveryTargetOnceAndNeverDeadlocksWithALockHolder) {
    KernelMachine m(machine(4));
    boot(m);
    CallWorld w;
    g_calls = &w;
    m.hal().run_on_cpus({0, 1, 2, 3}, [&](uint32_t cpu) {
        if (cpu == 0) {
            k::cross_call(k::CpuMask::all(4), count_run, nullptr);  // itself is left out
            k::cross_call(k::CpuMask(0b1010), count_run, nullptr);
            __atomic_store_n(&w.done, true, __ATOMIC_RELEASE);
        } else if (cpu == 1) {
            // Holds a lock while it waits for cpu2, which spins on that lock.
            while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) k::spin_relax();
            w.lock.lock();
            __atomic_store_n(&w.holding, true, __ATOMIC_RELEASE);
            for (int i = 0; i < 50; ++i) hal::cpu_relax();
            k::cross_call(k::CpuMask(0b0100), count_run, nullptr);
            w.lock.unlock();
        } else if (cpu == 2) {
            while (!__atomic_load_n(&w.holding, __ATOMIC_ACQUIRE)) k::spin_relax();
            w.lock.lock();
            w.lock.unlock();
        } else {
            while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) k::spin_relax();
        }
    });
    EXPECT_EQ(w.runs[0], 0u);
    EXPECT_EQ(w.runs[1], 2u);
    EXPECT_EQ(w.runs[2], 2u);
    EXPECT_EQ(w.runs[3], 2u);
    g_calls = nullptr;
}

}  // namespace
}  // namespace simx::testing
