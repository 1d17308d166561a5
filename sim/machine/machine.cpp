#include "sim/machine/machine.h"

#include <fmt/format.h>

namespace simx {

Machine::Machine(const MachineConfig& config)
    : config_(config), memory_(config.memory.node_bytes), llc_(config.cache, config.seed) {
    config_.validate();
    for (uint32_t cpu = 0; cpu < config_.cpus; ++cpu) {
        mmus_.push_back(std::make_unique<Mmu>(config_, cpu, memory_, llc_));
        mmus_.back()->register_stats(stats_, fmt::format("cpu{}", cpu));
    }
    llc_.register_stats(stats_);
}

}  // namespace simx
