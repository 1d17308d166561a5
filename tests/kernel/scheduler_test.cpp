// The scheduler and wait queues (kernel/sched) on the simulated machine:
// kernel tasks on several CPUs, placement and stealing, wake-ups that race
// with sleeping, and the same run twice giving the same counters.
#include <gtest/gtest.h>

#include <vector>

#include "kernel/hal/hal.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/kmalloc.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/slab_cache.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/wait_queue.h"
#include "tests/kernel/kernel_fixture.h"

namespace simx::testing {
namespace {

// Shared by the tasks of one test (the kernel's entry points take no closure).
struct World {
    uint32_t tasks = 0;
    uint32_t finished = 0;
    std::vector<std::vector<uint32_t>> ran_on;  // per task: CPUs it ran on
    uint64_t produced = 0, consumed = 0;
    kernel::WaitQueue* items = nullptr;
    kernel::WaitQueue* space = nullptr;
};
World* g_world = nullptr;

bool all_finished() { return __atomic_load_n(&g_world->finished, __ATOMIC_ACQUIRE) == g_world->tasks; }

void boot_core() {
    kernel::select_layout(hal::boot_info().la57);
    kernel::pmm::init();
    kernel::pmm::init_cpu();
    kernel::init_kernel_address_space();
    kernel::load_kernel_address_space();
    kernel::slab::init();
    kernel::kmalloc_init();
}

void yielder(kernel::Task* t) {
    const uint32_t index = static_cast<uint32_t>(t->tid);
    for (int i = 0; i < 20; ++i) {
        g_world->ran_on[index].push_back(hal::current_cpu());
        kernel::schedule();
    }
    __atomic_fetch_add(&g_world->finished, 1u, __ATOMIC_ACQ_REL);
    kernel::task_exit_and_schedule();
}

// Runs `tasks` copies of entry over `cpus` CPUs, all created on CPU 0.
std::vector<kernel::SchedulerCounters> run_tasks(uint32_t cpus, uint32_t tasks, void (*entry)(kernel::Task*),
                                                 World& w) {
    KernelMachine m(small_machine(cpus));
    g_world = &w;
    w.tasks = tasks;
    w.ran_on.assign(tasks, {});
    bool ready = false;
    uint32_t initialized = 1;
    std::vector<uint32_t> all;
    for (uint32_t c = 0; c < cpus; ++c) all.push_back(c);
    m.hal().run_on_cpus(all, [&](uint32_t cpu) {
        if (cpu == 0) {
            boot_core();
            kernel::scheduler_init_cpu();
            __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
            // Every CPU's run queue exists before tasks are placed on it.
            while (__atomic_load_n(&initialized, __ATOMIC_ACQUIRE) < cpus) hal::cpu_relax();
            for (uint32_t i = 0; i < tasks; ++i) {
                kernel::Task* t = kernel::task_create(nullptr, entry);
                ASSERT_NE(t, nullptr);
                t->tid = i;
                kernel::task_wake(t);
            }
        } else {
            while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) hal::cpu_relax();
            kernel::pmm::init_cpu();
            kernel::load_kernel_address_space();
            kernel::scheduler_init_cpu();
            __atomic_fetch_add(&initialized, 1u, __ATOMIC_ACQ_REL);
        }
        kernel::run_idle_loop(all_finished);
    });
    std::vector<kernel::SchedulerCounters> counters;
    for (uint32_t c = 0; c < cpus; ++c) counters.push_back(kernel::scheduler_counters(c));
    return counters;
}

TEST(Scheduler, TasksSpreadOverCpusAndAllFinish) {
    World w;
    const auto counters = run_tasks(4, 12, yielder, w);
    EXPECT_EQ(w.finished, 12u);
    std::vector<uint32_t> per_cpu(4, 0);
    for (const auto& runs : w.ran_on) {
        ASSERT_EQ(runs.size(), 20u);
        per_cpu[runs.front()]++;
    }
    // Placement by queue length: every CPU got some of the tasks made on CPU 0.
    for (uint32_t c = 0; c < 4; ++c) EXPECT_GT(per_cpu[c], 0u) << "cpu" << c;
    uint64_t switches = 0;
    for (const auto& c : counters) switches += c.switches;
    EXPECT_GE(switches, 12u);  // each task switched in at least once (a yield with nothing else queued stays)
}

TEST(Scheduler, SameMachineSameSchedule) {
    World a, b;
    const auto ca = run_tasks(3, 9, yielder, a);
    const auto cb = run_tasks(3, 9, yielder, b);
    EXPECT_EQ(a.ran_on, b.ran_on);
    for (size_t c = 0; c < ca.size(); ++c) {
        EXPECT_EQ(ca[c].switches, cb[c].switches);
        EXPECT_EQ(ca[c].steals, cb[c].steals);
    }
}

// A bounded buffer of one slot between producers and consumers on different
// CPUs: every item is consumed exactly once, so no wake-up was lost.
constexpr uint64_t kItems = 300;

void producer(kernel::Task*) {
    for (uint64_t i = 0; i < kItems; ++i) {
        g_world->space->wait([] { return g_world->produced == g_world->consumed; });
        __atomic_add_fetch(&g_world->produced, 1, __ATOMIC_ACQ_REL);
        g_world->items->wake_all();
    }
    __atomic_fetch_add(&g_world->finished, 1u, __ATOMIC_ACQ_REL);
    kernel::task_exit_and_schedule();
}

void consumer(kernel::Task*) {
    for (uint64_t i = 0; i < kItems; ++i) {
        g_world->items->wait([] { return g_world->produced > g_world->consumed; });
        __atomic_add_fetch(&g_world->consumed, 1, __ATOMIC_ACQ_REL);
        g_world->space->wake_all();
    }
    __atomic_fetch_add(&g_world->finished, 1u, __ATOMIC_ACQ_REL);
    kernel::task_exit_and_schedule();
}

void producer_or_consumer(kernel::Task* t) {
    if (t->tid == 0) producer(t);
    else consumer(t);
}

TEST(WaitQueue, ProducerAndConsumerOnTwoCpusLoseNoWakeup) {
    World w;
    kernel::WaitQueue items("items"), space("space");
    w.items = &items;
    w.space = &space;
    run_tasks(2, 2, producer_or_consumer, w);
    EXPECT_EQ(w.finished, 2u);
    EXPECT_EQ(w.produced, kItems);
    EXPECT_EQ(w.consumed, kItems);
}

}  // namespace
}  // namespace simx::testing
