// The kernel's entry on each CPU: boot_main on the boot CPU, secondary_main on
// the others. Boot brings the kernel up in the order its subsystems depend on
// and then waits for every CPU to report in.
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/memory_self_test.h"
#include "kernel/mm/slab_cache.h"
#include "kernel/mm/vma.h"
#include "kernel/mm/zero_page.h"
#include "kernel/sync/futex.h"
#include "kernel/proc/command_line.h"
#include "kernel/proc/init.h"
#include "kernel/proc/process.h"
#include "kernel/sched/scheduler.h"

namespace kernel {
namespace {

u32 g_cpus_online = 0;
u32 g_cpus_tested = 0;
bool g_self_test = true;

void print_boot_info(const hal::BootInfo& info) {
    kprintf("simx kernel: %u CPUs, %u NUMA nodes, %u-bit physical addresses, %s-level paging%s%s%s\n",
            info.cpu_count, info.node_count, info.phys_addr_bits, info.la57 ? "5" : "4",
            info.pcid ? ", PCID" : "", info.smep ? ", SMEP" : "", info.smap ? ", SMAP" : "");
    for (u32 i = 0; i < info.region_count; ++i) {
        const hal::MemoryRegion& r = info.regions[i];
        kprintf("  memory [%#llx, %#llx) node %u %s\n", static_cast<unsigned long long>(r.base.value),
                static_cast<unsigned long long>(r.base.value + r.size), r.node,
                r.kind == hal::MemoryKind::kUsable ? "usable" : "reserved");
    }
}

}  // namespace

void secondary_main(u32 cpu) {
    KASSERT(cpu == hal::current_cpu(), "cpu %u started as %u", cpu, hal::current_cpu());
    pmm::init_cpu();
    load_kernel_address_space();
    // A boot with a program: schedule until init ends. Without: the
    // self-test (whose frame accounting starts before this CPU allocates
    // anything, so the idle task is made only when it will schedule).
    if (!__atomic_load_n(&g_self_test, __ATOMIC_ACQUIRE)) {
        scheduler_init_cpu();
        __atomic_fetch_add(&g_cpus_online, 1u, __ATOMIC_ACQ_REL);
        run_idle_loop(init_exited);
        return;
    }
    __atomic_fetch_add(&g_cpus_online, 1u, __ATOMIC_ACQ_REL);
    memory_self_test_run_on_this_cpu();
    __atomic_fetch_add(&g_cpus_tested, 1u, __ATOMIC_ACQ_REL);
}

int boot_main() {
    const hal::BootInfo& info = hal::boot_info();
    KASSERT(info.cpu_count >= 1 && info.cpu_count <= kMaxCpus, "bad CPU count %u", info.cpu_count);
    select_layout(info.la57);
    print_boot_info(info);
    pmm::init();
    pmm::init_cpu();
    init_kernel_address_space();  // the kernel half, with pmm's frames
    load_kernel_address_space();
    slab::init();
    kmalloc_init();
    vma_cache_init();
    zero_page_init();
    futex_init();

    scheduler_init_cpu();

    CommandLine command_line;
    const char* reason = "";
    if (parse_command_line(info.command_line, command_line, &reason) < 0) panic("kernel command line: %s", reason);
    const bool self_test = !command_line.init || command_line.selftest;

    // Every CPU comes up and runs the memory self-test at once, so the
    // allocators see real concurrency; the boot CPU then checks everything.
    if (self_test) memory_self_test_prepare();
    g_self_test = self_test;
    // Before the other CPUs start: their idle loops end when init has exited,
    // and a host process may boot several machines one after another.
    reset_pids_and_init_status();
    g_cpus_online = 1;
    g_cpus_tested = 0;
    hal::start_secondary_cpus(secondary_main);
    while (__atomic_load_n(&g_cpus_online, __ATOMIC_ACQUIRE) < info.cpu_count) hal::cpu_relax();
    kprintf("simx kernel: %u CPUs online\n", g_cpus_online);
    if (!self_test) return run_init(command_line);
    memory_self_test_run_on_this_cpu();
    __atomic_fetch_add(&g_cpus_tested, 1u, __ATOMIC_ACQ_REL);
    while (__atomic_load_n(&g_cpus_tested, __ATOMIC_ACQUIRE) < info.cpu_count) hal::cpu_relax();
    const MemorySelfTestTotals t = memory_self_test_finish();
    kprintf("simx kernel: memory self-test passed on %u CPUs (%llu frames, %llu objects, %llu pages mapped)\n",
            info.cpu_count, static_cast<unsigned long long>(t.frames_allocated),
            static_cast<unsigned long long>(t.objects_allocated), static_cast<unsigned long long>(t.pages_mapped));
    if (command_line.init) return run_init(command_line);
    return 0;
}

}  // namespace kernel
