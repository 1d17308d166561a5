// Kernel contexts on the simulated machine (hal.h "kernel contexts",
// sim/hal/sim_context.cpp): switching between them on one CPU and across
// CPUs, their cost, and the errors a kernel bug would make.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernel/hal/hal.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/kernel_fixture.h"

namespace simx::testing {
namespace {

struct PingPong {
    std::vector<std::string> log;
    hal::KernelContext* main = nullptr;
    hal::KernelContext* a = nullptr;
    hal::KernelContext* b = nullptr;
};

void run_a(void* arg) {
    auto* s = static_cast<PingPong*>(arg);
    for (int i = 0; i < 3; ++i) {
        s->log.push_back("a" + std::to_string(i));
        hal::context_switch(s->b);
    }
    s->log.push_back("a done");
    hal::context_switch(s->main);
    hal::panic_halt("context a resumed after it finished");
}

void run_b(void* arg) {
    auto* s = static_cast<PingPong*>(arg);
    for (int i = 0;; ++i) {
        s->log.push_back("b" + std::to_string(i));
        hal::context_switch(s->a);
    }
}

TEST(KernelContext, PingPongRunsInOrderAndEachSwitchIsCharged) {
    KernelMachine m;
    PingPong s;
    const uint64_t before = m.hal().cpu_stats(0).cycles;
    m.on_cpu(0, [&] {
        s.main = hal::context_current();
        s.a = hal::context_create(run_a, &s, nullptr, 0);
        s.b = hal::context_create(run_b, &s, nullptr, 0);
        hal::context_switch(s.a);
        s.log.push_back("main");
        EXPECT_EQ(hal::context_current(), s.main);
        // b is suspended inside its loop: destroying it unwinds its fiber.
        hal::context_destroy(s.a);
        hal::context_destroy(s.b);
    });
    EXPECT_EQ(s.log, (std::vector<std::string>{"a0", "b0", "a1", "b1", "a2", "b2", "a done", "main"}));
    const SimCpuStats& st = m.hal().cpu_stats(0);
    EXPECT_EQ(st.context_switches, 8u);  // main->a, then a<->b six times, a->main
    EXPECT_GE(st.cycles - before, 8u * m.machine().config().costs.context_switch);
}

struct Migrant {
    hal::KernelContext* ctx = nullptr;
    hal::KernelContext* home[2] = {};
    uint32_t ran_on = 99;
    bool go = false;
};

void run_migrant(void* arg) {
    auto* s = static_cast<Migrant*>(arg);
    s->ran_on = hal::current_cpu();
    hal::context_switch(s->home[hal::current_cpu()]);
    hal::panic_halt("migrant resumed");
}

TEST(KernelContext, AContextCreatedOnOneCpuRunsWhereItIsSwitchedTo) {
    KernelMachine m(small_machine(2));
    Migrant s;
    m.hal().run_on_cpus({0, 1}, [&](uint32_t cpu) {
        s.home[cpu] = hal::context_current();
        if (cpu == 0) {
            s.ctx = hal::context_create(run_migrant, &s, nullptr, 0);
            __atomic_store_n(&s.go, true, __ATOMIC_RELEASE);
        } else {
            while (!__atomic_load_n(&s.go, __ATOMIC_ACQUIRE)) hal::cpu_relax();
            hal::context_switch(s.ctx);
            EXPECT_EQ(hal::current_cpu(), 1u);
            hal::context_destroy(s.ctx);
        }
    });
    EXPECT_EQ(s.ran_on, 1u);
}

TEST(KernelContext, SwitchingToARunningContextIsAPanic) {
    KernelMachine m;
    EXPECT_THROW(m.on_cpu(0, [&] { hal::context_switch(reinterpret_cast<hal::KernelContext*>(&m)); }), SimError);
    KernelMachine m2(small_machine(2));
    try {
        hal::KernelContext* first0 = nullptr;
        bool ready = false;
        m2.hal().run_on_cpus({0, 1}, [&](uint32_t cpu) {
            if (cpu == 0) {
                first0 = hal::context_current();
                __atomic_store_n(&ready, true, __ATOMIC_RELEASE);
                for (int i = 0; i < 1000; ++i) hal::cpu_relax();
            } else {
                while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) hal::cpu_relax();
                hal::context_switch(first0);  // cpu0 is running it
            }
        });
        FAIL() << "switching to a context running on another CPU went through";
    } catch (const SimError& e) {
        EXPECT_NE(std::string(e.what()).find("running on cpu0"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace simx::testing
