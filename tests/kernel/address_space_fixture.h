// A booted memory core (pmm, slab, kmalloc, the kernel's address space, the
// VMA cache) on a simulated machine, and helpers to run an AddressSpace's
// calls on CPU 0 and to touch user memory through CPU 0's simulated MMU,
// calling the kernel's fault handler on each #PF as the trap path will.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "kernel/hal/hal.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/tlb_context.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/mman.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/slab_cache.h"
#include "kernel/mm/vma.h"
#include "kernel/mm/zero_page.h"
#include "sim/mmu/mmu.h"
#include "tests/kernel/kernel_fixture.h"

namespace simx::testing {

inline constexpr uint64_t kPage = 4096;

// What a touch of user memory came to.
struct Touch {
    bool ok = false;                  // the access completed
    uint64_t pa = 0;                  // its physical address
    int faults = 0;                   // #PFs taken (and handled) on the way
    kernel::FaultResult refused;      // when !ok: the handler's answer
};

class AddressSpaceEnv {
public:
    explicit AddressSpaceEnv(const MachineConfig& config = default_config()) : m_(config) {
        m_.on_cpu(0, [] {
            kernel::select_layout(hal::boot_info().la57);
            kernel::pmm::init();
            kernel::pmm::init_cpu();
            kernel::init_kernel_address_space();
            kernel::load_kernel_address_space();
            kernel::slab::init();
            kernel::kmalloc_init();
            kernel::vma_cache_init();
            kernel::zero_page_init();
        });
        baseline_ = settled_free_frames();
    }

    static MachineConfig default_config() {
        MachineConfig c = small_machine(1, {uint64_t{64} << 20});
        c.mmu.pcid_supported = true;
        return c;
    }

    KernelMachine& km() { return m_; }
    Mmu& mmu() { return m_.machine().mmu(0); }
    uint64_t baseline() const { return baseline_; }

    template <typename Fn>
    auto run(Fn&& fn) {
        if constexpr (std::is_void_v<decltype(fn())>) {
            m_.on_cpu(0, std::forward<Fn>(fn));
        } else {
            decltype(fn()) result{};
            m_.on_cpu(0, [&] { result = fn(); });
            return result;
        }
    }

    // Free frames once the slab layer has given back what it caches.
    uint64_t settled_free_frames() {
        return run([] {
            kernel::slab::drain_cpu();
            kernel::slab::reap_all();
            kernel::pmm::drain_cpu(hal::current_cpu());
            return kernel::pmm::free_frames();
        });
    }

    kernel::AddressSpace* create(const kernel::AddressSpaceOptions& options = {}) {
        return run([&] { return kernel::AddressSpace::create(options); });
    }
    void load(kernel::AddressSpace* as) { run([&] { kernel::activate_address_space(as); }); }
    void destroy(kernel::AddressSpace* as) {
        run([&] {
            as->check_invariants();
            kernel::activate_address_space(nullptr);
            kernel::AddressSpace::destroy(as);
        });
    }
    void check(kernel::AddressSpace* as) {
        run([&] { as->check_invariants(); });
    }

    // One user access through the MMU; each #PF goes to the fault handler and
    // the access is retried, as the trap path will do.
    Touch touch(kernel::AddressSpace* as, uint64_t va, AccessType type) {
        Touch t;
        for (int attempt = 0; attempt < 4; ++attempt) {
            const Translation tr = mmu().translate(VirtAddr{va}, Access::user(type));
            if (tr.ok()) {
                t.ok = true;
                t.pa = tr.pa.value;
                return t;
            }
            EXPECT_EQ(tr.fault, FaultKind::kPageFault);
            EXPECT_EQ(tr.fault_address, va);
            ++t.faults;
            const kernel::FaultAccess access = type == AccessType::kWrite   ? kernel::FaultAccess::kWrite
                                               : type == AccessType::kFetch ? kernel::FaultAccess::kExecute
                                                                             : kernel::FaultAccess::kRead;
            const kernel::FaultResult r = run([&] { return as->handle_page_fault(va, access, true); });
            if (r.status != kernel::FaultStatus::kRetry) {
                t.refused = r;
                return t;
            }
        }
        ADD_FAILURE() << "the access to " << std::hex << va << " kept faulting";
        return t;
    }
    // n bytes of user memory at va, read through the MMU (each #PF handled as
    // touch() does); a refused page fails the test.
    std::vector<uint8_t> read_user(kernel::AddressSpace* as, uint64_t va, size_t n) {
        std::vector<uint8_t> out(n);
        size_t done = 0;
        while (done < n) {
            const uint64_t a = va + done;
            const size_t chunk = std::min<size_t>(n - done, kPage - (a % kPage));
            const Touch t = touch(as, a, AccessType::kRead);
            if (!t.ok) {
                ADD_FAILURE() << "user read at " << std::hex << a << " refused";
                return out;
            }
            m_.machine().memory().read(PhysAddr{t.pa}, out.data() + done, chunk);
            done += chunk;
        }
        return out;
    }
    uint64_t user64(kernel::AddressSpace* as, uint64_t va) {
        const auto b = read_user(as, va, 8);
        uint64_t v;
        std::memcpy(&v, b.data(), 8);
        return v;
    }
    uint64_t read64(uint64_t pa) { return m_.machine().memory().read64(PhysAddr{pa}); }
    void write64(uint64_t pa, uint64_t v) { m_.machine().memory().write64(PhysAddr{pa}, v); }

private:
    KernelMachine m_;
    uint64_t baseline_ = 0;
};

}  // namespace simx::testing
