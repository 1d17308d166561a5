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
// A CPU's fiber is the kernel context current on it: each CPU starts on one of
// its own; hal::context_switch makes another current (sim_context.cpp).
//
// User mode (sim_user.cpp): hal::enter_user runs the CPU's interpreter on the
// frame, a quantum at a time, and calls the kernel's trap entry points on the
// same context when user code makes a syscall or faults. uaccess
// (sim_uaccess.cpp) translates each user page with the CPU's MMU and hands
// faults to the kernel's #PF handler as kernel-mode faults.
//
// The hal:: free functions reach the SimHal that is running (boot or
// run_on_cpus) on the calling host thread; several SimHals may exist at once.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "kernel/hal/hal.h"
#include "sim/cpu/code_cache.h"
#include "sim/cpu/interpreter.h"
#include "sim/machine/machine.h"
#include "sim/machine/stats.h"

namespace simx {

struct SimCpuStats {
    uint64_t cycles = 0;          // kernel time: HAL operations and kernel entries
    uint64_t idle_cycles = 0;     // ... of which idle (hal::cpu_idle)
    uint64_t hal_calls = 0;
    uint64_t cr3_writes = 0;
    uint64_t invlpg = 0;
    uint64_t invpcid = 0;
    uint64_t frames_zeroed = 0;   // 4 KiB units
    uint64_t frames_copied = 0;
    uint64_t spins = 0;           // cpu_relax calls
    uint64_t syscalls = 0;        // kernel entries from user mode, by kind
    uint64_t exceptions = 0;
    uint64_t context_switches = 0;
    uint64_t xsaves = 0;
    uint64_t xrstors = 0;
    uint64_t uaccess_calls = 0;
    uint64_t uaccess_bytes = 0;
    uint64_t uaccess_faults = 0;  // #PFs taken inside uaccess (resolved or not)
    uint64_t timer_interrupts = 0;
    uint64_t ipis_sent = 0;
    uint64_t ipis_received = 0;   // taken in user mode or as an idle wake-up
};

// Where the terminal of user programs (hal::terminal_*) is connected.
struct Terminal {
    std::istream* input = nullptr;   // nullptr: end of input at once
    std::ostream* output = nullptr;  // nullptr: the kernel console
    std::ostream* error = nullptr;   // nullptr: the kernel console
};

class SimHal {
public:
    // Kernel console output goes to `console`.
    SimHal(Machine& machine, std::ostream& console);
    ~SimHal();
    SimHal(const SimHal&) = delete;
    SimHal& operator=(const SimHal&) = delete;

    // Before boot(): the initramfs (copied to the top of the highest node's
    // RAM, which becomes a reserved region), the kernel command line and the
    // terminal.
    void set_initrd(const std::vector<uint8_t>& archive);
    void set_command_line(const std::string& line);
    void set_terminal(const Terminal& terminal) { terminal_ = terminal; }

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
    Interpreter& interpreter(uint32_t cpu);
    // Per-process counters: the CPU counters accrued while each account ran
    // (hal::set_accounting) and what the kernel published (hal::publish_counter),
    // one scope per process ("process1"). Kept apart from the machine's registry
    // so machine totals do not count anything twice. Up to date after a run.
    const StatsRegistry& process_stats() const { return process_stats_; }
    // CPUs that were still running when boot_main returned (and were stopped).
    uint32_t cpus_stopped_running() const { return stopped_running_; }
    // The cycle clock of a CPU: kernel time plus the time its user code ran.
    uint64_t clock(uint32_t cpu) const;

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
    void send_ipi(uint32_t cpu, uint8_t vector);
    uint64_t irq_save();
    void irq_restore(uint64_t state);
    void enable_paging_features(const hal::PagingFeatures& f);
    void write_pat(uint64_t value);
    void write_cr3(hal::PhysAddr root, uint16_t pcid, bool no_flush);
    hal::PhysAddr current_root();
    void invlpg(hal::VirtAddr va);
    void invpcid(hal::InvpcidType type, uint16_t pcid, hal::VirtAddr va);
    // sim_context.cpp
    hal::KernelContext* context_create(void (*entry)(void*), void* arg);
    hal::KernelContext* context_current();
    void context_switch(hal::KernelContext* to);
    void context_destroy(hal::KernelContext* context);
    // sim_user.cpp
    [[noreturn]] void enter_user(const kernel::TrapFrame& frame);
    void set_user_fs_base(uint64_t base);
    void set_user_gs_base(uint64_t base);
    uint64_t user_fs_base() const;
    uint64_t user_gs_base() const;
    void xsave(void* area);
    void xrstor(const void* area);
    void xstate_reset();
    void set_accounting(uint32_t account);
    void timer_set_deadline(uint64_t deadline);
    void publish_counter(const char* scope, const char* name, uint64_t value);
    void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
    // sim_uaccess.cpp
    size_t copy_from_user(void* dst, uint64_t user_src, size_t n);
    size_t copy_to_user(uint64_t user_dst, const void* src, size_t n);
    size_t clear_user(uint64_t user_dst, size_t n);
    int64_t strncpy_from_user(char* dst, uint64_t user_src, size_t n);
    bool user_cmpxchg_u32(uint64_t user_address, uint32_t expected, uint32_t desired, uint32_t* old);
    bool uaccess_fixup(kernel::TrapFrame& frame);
    uint8_t smap_violation_probe(uint64_t user_address, const char* site);
    // sim_hal.cpp
    void console_write(const char* text, size_t length);
    void terminal_write(hal::TerminalStream stream, const char* text, size_t length);
    size_t terminal_read(char* buffer, size_t length);
    uint64_t cycles() const;
    uint64_t cycles_per_second() const;
    uint64_t boot_epoch_seconds() const;
    void cpu_idle(uint64_t cycles);
    uint64_t random_u64();
    [[noreturn]] void panic_halt(const char* message);

private:
    struct Cpu;
    class Activation;
    enum class Copy : uint8_t { kFromUser, kToUser, kClear, kString, kCmpxchg };
    void charge(uint64_t cycles);
    void yield_to_scheduler();
    // IPIs (sim_hal.cpp): the highest vector pending by cycle `by` (-1: none),
    // the earliest arrival of any (0: none), and taking one.
    int next_ipi(Cpu& cpu, uint64_t by);
    uint64_t earliest_ipi(const Cpu& cpu) const;
    void take_ipi(Cpu& cpu, int vector);
    void stop_all_cpus();
    // Runs the started, unfinished CPUs until `done` holds, none is runnable or one panics.
    void run_scheduler(const std::function<bool()>& done);
    // Starts `body` on the CPU's own first context.
    void start_cpu(uint32_t cpu, std::function<void()> body);
    bool cpu_running(const Cpu& cpu) const;
    Mmu& mmu() { return machine_.mmu(current_); }
    Cpu& me() { return *cpus_[current_]; }
    // sim_uaccess.cpp: one uaccess call, page by page; the bytes not done.
    size_t user_copy(Copy kind, uint64_t user, uint8_t* kernel, size_t n, int64_t* string_length);
    // Calls the kernel's #PF handler for a fault in kernel mode; true if it
    // was resolved (retry), false if the fixup was taken.
    bool kernel_mode_page_fault(uint64_t address, uint32_t error_code, bool ac);
    void invalidate_code(uint64_t pa, uint64_t bytes);
    void flush_accounting(Cpu& cpu);

    Machine& machine_;
    std::ostream& console_;
    hal::BootInfo boot_info_;
    std::unique_ptr<CodeCache> code_;
    std::vector<std::unique_ptr<Cpu>> cpus_;
    // Every kernel context that exists, each CPU's first one included.
    std::vector<std::unique_ptr<hal::KernelContext>> contexts_;
    uint32_t current_ = 0;
    uint64_t rng_;
    bool booted_ = false;
    uint32_t stopped_running_ = 0;
    bool panicked_ = false;
    std::string panic_message_;
    Terminal terminal_;
    StatsRegistry process_stats_;
    std::deque<uint64_t> process_values_;  // the counters process_stats_ points at
    std::map<std::string, uint64_t*> process_index_;  // "scope/name" -> its value
};

}  // namespace simx
