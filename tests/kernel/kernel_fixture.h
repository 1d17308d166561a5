// A simulated machine with the sim HAL active, for testing kernel code directly:
// kernel functions run on a simulated CPU's fiber through run_on_cpu(s), so they
// may take locks, spin and panic exactly as in a boot. A kernel panic surfaces
// as a SimError in the test.
#pragma once

#include <memory>
#include <sstream>
#include <string>

#include "sim/hal/sim_hal.h"
#include "sim/machine/machine.h"

namespace simx::testing {

inline MachineConfig small_machine(uint32_t cpus = 1, std::vector<uint64_t> node_bytes = {uint64_t{64} << 20}) {
    MachineConfig c;
    c.cpus = cpus;
    c.memory.node_bytes = std::move(node_bytes);
    c.cpu_node.clear();
    return c;
}

class KernelMachine {
public:
    explicit KernelMachine(const MachineConfig& config = small_machine())
        : machine_(std::make_unique<Machine>(config)), hal_(std::make_unique<SimHal>(*machine_, console_)) {}

    Machine& machine() { return *machine_; }
    SimHal& hal() { return *hal_; }
    std::string console() const { return console_.str(); }

    template <typename Fn>
    void on_cpu(uint32_t cpu, Fn&& fn) {
        hal_->run_on_cpu(cpu, std::forward<Fn>(fn));
    }
    // fn(cpu) on every CPU of the machine at once.
    template <typename Fn>
    void on_all_cpus(Fn&& fn) {
        std::vector<uint32_t> all;
        for (uint32_t c = 0; c < machine_->cpu_count(); ++c) all.push_back(c);
        hal_->run_on_cpus(all, std::forward<Fn>(fn));
    }

private:
    std::ostringstream console_;
    std::unique_ptr<Machine> machine_;
    std::unique_ptr<SimHal> hal_;
};

}  // namespace simx::testing
