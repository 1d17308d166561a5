// The HAL implemented on the simulated machine (sim build only).
//
// The kernel runs natively; every hal:: call it makes lands here and is answered
// by the Machine: CR3/INVLPG/INVPCID go to the CPU's modeled MMU, frames are
// zeroed and copied in simulated RAM, and each operation is charged to the
// calling CPU's cycle clock from the machine's KernelCostConfig.
//
// CPUs and fibers (DESIGN.md "Determinism and multiple CPUs"): each simulated CPU
// runs its kernel code on its own fiber (Boost.Context). A fiber runs until it
// spins (hal::cpu_relax), finishes or panics; the scheduler then resumes the
// unfinished CPU whose clock is furthest behind (lowest CPU number on a tie).
// All of it on one host thread, so a run is a function of the config and seed.
//
// The hal:: free functions reach the SimHal that is running (boot or
// run_on_cpus) on the calling host thread; several SimHals may exist at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "kernel/hal/hal.h"
#include "sim/machine/machine.h"

namespace simx {

struct SimCpuStats {
    uint64_t cycles = 0;
    uint64_t hal_calls = 0;
    uint64_t cr3_writes = 0;
    uint64_t invlpg = 0;
    uint64_t invpcid = 0;
    uint64_t frames_zeroed = 0;   // 4 KiB units
    uint64_t frames_copied = 0;
    uint64_t spins = 0;           // cpu_relax calls
};

class SimHal {
public:
    // Kernel console output goes to `console`.
    SimHal(Machine& machine, std::ostream& console);
    ~SimHal();
    SimHal(const SimHal&) = delete;
    SimHal& operator=(const SimHal&) = delete;

    // Runs kernel::boot_main() on CPU 0 (and whatever CPUs it starts) until it
    // returns; returns its status. A kernel panic throws SimError carrying the
    // panic message. Call once per SimHal.
    int boot();

    // For tests: runs fn(cpu) on each listed CPU's fiber, all started at once,
    // with the same scheduling as a boot, until every one returns. Kernel code
    // under test may spin, take locks and panic exactly as it would at boot (a
    // panic throws SimError here). Callable any number of times.
    void run_on_cpus(const std::vector<uint32_t>& cpus, const std::function<void(uint32_t)>& fn);
    void run_on_cpu(uint32_t cpu, const std::function<void()>& fn) {
        run_on_cpus({cpu}, [&](uint32_t) { fn(); });
    }

    Machine& machine() { return machine_; }
    const hal::BootInfo& boot_info() const { return boot_info_; }
    const SimCpuStats& cpu_stats(uint32_t cpu) const;

    // The SimHal whose run is in progress on this thread; the kernel's hal::
    // calls reach it. Throws SimError outside a run.
    static SimHal& active();

    // --- the HAL operations (called by the hal:: free functions) ---
    uint32_t current_cpu() const { return current_; }
    void* phys_to_virt(hal::PhysAddr pa);
    hal::PhysAddr virt_to_phys(const void* p);
    void zero_frames(hal::PhysAddr pa, uint64_t bytes);
    void copy_frames(hal::PhysAddr dst, hal::PhysAddr src, uint64_t bytes);
    void start_secondary_cpus(void (*entry)(uint32_t));
    void cpu_relax();
    uint64_t irq_save();
    void irq_restore(uint64_t state);
    void enable_paging_features(const hal::PagingFeatures& f);
    void write_pat(uint64_t value);
    void write_cr3(hal::PhysAddr root, uint16_t pcid, bool no_flush);
    hal::PhysAddr current_root();
    void invlpg(hal::VirtAddr va);
    void invpcid(hal::InvpcidType type, uint16_t pcid, hal::VirtAddr va);
    void console_write(const char* text, size_t length);
    uint64_t cycles() const;
    uint64_t random_u64();
    [[noreturn]] void panic_halt(const char* message);

private:
    struct Cpu;
    class Activation;
    void charge(uint64_t cycles);
    void yield_to_scheduler();
    void stop_all_cpus();
    // Runs the started, unfinished CPUs until `done` holds, none is runnable or one panics.
    void run_scheduler(const std::function<bool()>& done);
    void start_fiber(uint32_t cpu, std::function<void()> body);
    Mmu& mmu() { return machine_.mmu(current_); }

    Machine& machine_;
    std::ostream& console_;
    hal::BootInfo boot_info_;
    std::vector<std::unique_ptr<Cpu>> cpus_;
    uint32_t current_ = 0;
    uint64_t rng_;
    bool booted_ = false;
    bool panicked_ = false;
    std::string panic_message_;
};

}  // namespace simx
